"""Finetune's training job for GPU machines: PyTorch + Hugging Face Transformers + Accelerate.

Reads job.json and data.jsonl written by `finetune export-job` (the split is already stored: train, val, test),
fine-tunes a *ForSequenceClassification model with the app's losses (weighted cross-entropy, focal, BCE, focal
BCE) and samplers, stops early on validation macro-F1, calibrates on validation (temperature), scores the test
split once, and writes into --output: metrics.json (the app's shape), predictions.csv, model/ (safetensors) and
export/ (ONNX in the app's Hugging Face layout). `finetune import-run OUTPUT --project P` brings it back.

  accelerate launch train.py --job job.json --output output          # 1 GPU (or CPU)
  accelerate launch --multi_gpu --num_processes 4 train.py --job job.json --output output
  python3 train.py --job job.json --dry-run                          # checks the job without training
  python3 train.py --self-test                                       # the losses and metrics on known cases
"""
import argparse, csv, json, math, os, random, time


def class_weights(counts, scheme, beta=0.9999):
    """Per class, normalised to a mean of 1 (../notes/domain.md): inverse, sqrt_inverse, effective number."""
    n, k = sum(counts), len(counts)
    if scheme == 'inverse':
        w = [n / (k * max(c, 1)) for c in counts]
    elif scheme == 'sqrt_inverse':
        w = [math.sqrt(n / (k * max(c, 1))) for c in counts]
    elif scheme == 'effective_number':
        w = [(1 - beta) / (1 - beta ** max(c, 1)) for c in counts]
    else:
        w = [1.0] * k
    mean = sum(w) / k
    return [x / mean for x in w]


def loss_fn(torch, kind, weights, gamma):
    """Logits [B, K] and targets (class indices, or multi-hot for multi-label) -> mean loss, from log-softmax/sigmoid."""
    F = torch.nn.functional
    alpha = None if weights is None else torch.tensor(weights)

    def single(logits, y):
        logp = F.log_softmax(logits, -1).gather(1, y[:, None])[:, 0]
        focal = (1 - logp.exp()) ** gamma if gamma > 0 else 1.0
        a = alpha.to(logits.device)[y] if alpha is not None else 1.0
        return (-a * focal * logp).mean()

    def multi(logits, y):
        logp_t = torch.where(y > 0.5, F.logsigmoid(logits), F.logsigmoid(-logits))
        focal = (1 - logp_t.exp()) ** gamma if gamma > 0 else 1.0
        a = torch.where(y > 0.5, alpha.to(logits.device), torch.ones_like(logits)) if alpha is not None else 1.0
        return (-a * focal * logp_t).mean()

    return multi if kind in ('bce', 'focal_bce') else single


def per_class_f1(y_true, y_pred, k, multi):
    tp, fp, fn = [0] * k, [0] * k, [0] * k
    for t, p in zip(y_true, y_pred):
        ts, ps = (set(t), set(p)) if multi else ({t}, {p})
        for c in range(k):
            tp[c] += c in ts and c in ps
            fp[c] += c not in ts and c in ps
            fn[c] += c in ts and c not in ps
    ratio = lambda a, b: a / b if b else 0.0
    return tp, fp, fn, [ratio(2 * tp[c], 2 * tp[c] + fp[c] + fn[c]) for c in range(k)], ratio, sum


def metrics_of(y_true, y_pred, top_conf, correct, labels, multi, draws=1000, seed=0):
    """The app's metrics.json figures: per-class precision/recall/F1 with support and bootstrap intervals, macro,
    micro, weighted, accuracy, the confusion matrix (single-label) and the 15-bin expected calibration error."""
    k = len(labels)
    tp, fp, fn, f1, ratio, total = per_class_f1(y_true, y_pred, k, multi)
    support = [tp[c] + fn[c] for c in range(k)]
    rng = random.Random(seed)
    n = len(y_true)
    macro_draws, class_draws = [], [[] for _ in range(k)]
    for _ in range(draws):
        rows = [rng.randrange(n) for _ in range(n)]
        dtp, dfp, dfn, df1, _, _ = per_class_f1([y_true[r] for r in rows], [y_pred[r] for r in rows], k, multi)
        macro_draws.append(sum(df1) / k)
        for c in range(k):
            if dtp[c] + dfp[c] + dfn[c] > 0:
                class_draws[c].append(df1[c])
    def interval(v):
        v = sorted(v)
        if not v:
            return [0.0, 0.0]
        q = lambda p: v[min(len(v) - 1, int(round(p * (len(v) - 1))))]
        return [q(0.025), q(0.975)]
    per_class = {}
    for c, label in enumerate(labels):
        entry = {'precision': ratio(tp[c], tp[c] + fp[c]), 'recall': ratio(tp[c], support[c]), 'f1': f1[c], 'support': support[c], 'f1Interval': interval(class_draws[c])}
        if tp[c] + fp[c] == 0: entry['undefinedPrecision'] = True
        if support[c] == 0: entry['undefinedRecall'] = True
        if support[c] < 10: entry['smallSupport'] = True
        if support[c] < 5: entry['tooFewToTell'] = True
        per_class[label] = entry
    bins, ece = [], 0.0
    for b in range(15):
        lo, hi = b / 15, (b + 1) / 15
        members = [i for i, c in enumerate(top_conf) if (lo < c <= hi) or (b == 0 and c == 0)]
        conf = sum(top_conf[i] for i in members) / len(members) if members else 0.0
        acc = sum(correct[i] for i in members) / len(members) if members else 0.0
        ece += len(members) / max(n, 1) * abs(acc - conf)
        bins.append({'lower': lo, 'upper': hi, 'count': len(members), 'confidence': conf, 'accuracy': acc})
    out = {
        'accuracy': sum(1 for t, p in zip(y_true, y_pred) if (sorted(t) == sorted(p) if multi else t == p)) / max(n, 1),
        'f1_macro': sum(f1) / k, 'f1_macro_interval': interval(macro_draws),
        'f1_micro': ratio(2 * total(tp), 2 * total(tp) + total(fp) + total(fn)),
        'f1_weighted': ratio(sum(f1[c] * support[c] for c in range(k)), total(support)),
        'per_class': per_class, 'ece': ece, 'calibration': bins,
    }
    if not multi:
        matrix = [[0] * k for _ in range(k)]
        for t, p in zip(y_true, y_pred):
            matrix[t][p] += 1
        out['confusion_matrix'] = {'labels': labels, 'matrix': matrix}
    return out


def read_job(job_path):
    job = json.load(open(job_path))
    base = os.path.dirname(os.path.abspath(job_path))
    rows = [json.loads(line) for line in open(os.path.join(base, job['data'])) if line.strip()]
    labels = job['labels']
    index = {l: i for i, l in enumerate(labels)}
    for r in rows:
        unknown = [l for l in r['labels'] if l not in index]
        if unknown or r['split'] not in ('train', 'val', 'test'):
            raise SystemExit(f"data.jsonl: row {r.get('id')}: labels {unknown} not in job.json, or split {r['split']!r} is not train/val/test")
    return job, rows, index


def dry_run(job_path):
    job, rows, _ = read_job(job_path)
    parts = {s: sum(1 for r in rows if r['split'] == s) for s in ('train', 'val', 'test')}
    if min(parts.values()) == 0:
        raise SystemExit(f'data.jsonl: every split needs documents, got {parts}')
    print(json.dumps({'task': job['task'], 'labels': len(job['labels']), 'model': job['model'], 'splits': parts, 'loss': job['loss'], 'sampling': job['sampling'], 'ok': True}))


def self_test():
    import torch
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
    y = torch.tensor([0, 2])
    ce = torch.nn.functional.cross_entropy(logits, y)
    assert abs(loss_fn(torch, 'cross_entropy', None, 0)(logits, y) - ce) < 1e-6, 'gamma 0, no weights = cross-entropy'
    assert loss_fn(torch, 'focal', None, 2)(logits, y) < ce, 'focal down-weights easy examples'
    multi = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, multi)
    assert abs(loss_fn(torch, 'bce', None, 0)(logits, multi) - bce) < 1e-6, 'gamma 0 = binary cross-entropy'
    w = class_weights([9000, 800, 200], 'sqrt_inverse')
    expected = [math.sqrt(1 / 9000), math.sqrt(1 / 800), math.sqrt(1 / 200)]
    assert all(abs(a / w[0] - b / expected[0]) < 1e-9 for a, b in zip(w, expected)) and abs(sum(w) / 3 - 1) < 1e-9
    m = metrics_of([0, 0, 1, 2], [0, 1, 1, 2], [0.9, 0.6, 0.8, 0.7], [1, 0, 1, 1], ['a', 'b', 'c'], False, draws=10)
    assert abs(m['per_class']['a']['recall'] - 0.5) < 1e-9 and abs(m['per_class']['b']['precision'] - 0.5) < 1e-9
    assert abs(m['f1_macro'] - (2 / 3 + 2 / 3 + 1) / 3) < 1e-9 and m['confusion_matrix']['matrix'][0][1] == 1
    print(json.dumps({'self_test': 'passed'}))


def train(job_path, output):
    import numpy as np
    import torch
    from accelerate import Accelerator
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    job, rows, index = read_job(job_path)
    accelerator = Accelerator()
    torch.manual_seed(job['seed'])
    random.seed(job['seed'])
    labels, k, multi = job['labels'], len(job['labels']), job['task'] == 'multi_label'
    tokenizer = AutoTokenizer.from_pretrained(job['model'])
    model = AutoModelForSequenceClassification.from_pretrained(
        job['model'], num_labels=k, id2label=dict(enumerate(labels)), label2id=index,
        problem_type='multi_label_classification' if multi else 'single_label_classification')
    base = getattr(model, model.base_model_prefix)
    if job['depth'] != 'full':
        # head: the encoder stays as it is; top-k: its last k layers learn too.
        keep = 0 if job['depth'] == 'head' else int(job['depth'].split('-')[1])
        layers = list(base.encoder.layer) if hasattr(base, 'encoder') else list(base.transformer.layer)
        for p in base.parameters():
            p.requires_grad = False
        for layer in layers[len(layers) - keep:]:
            for p in layer.parameters():
                p.requires_grad = True
    split = {s: [r for r in rows if r['split'] == s] for s in ('train', 'val', 'test')}
    target = lambda r: [index[l] for l in r['labels']]
    counts = [sum(1 for r in split['train'] if c in target(r)) for c in range(k)]
    weights = class_weights(counts, job['weights']) if job['weights'] else None
    criterion = loss_fn(torch, job['loss'], weights, job.get('gamma', 0))
    # Oversampling repeats each minority document so every class is seen about as often as the largest.
    order = []
    for r in split['train']:
        repeat = 1
        if job['sampling'] in ('oversample', 'oversample+undersample') and not multi:
            repeat = max(1, round(max(counts) / max(counts[target(r)[0]], 1)))
        order += [r] * repeat

    def encode(batch):
        enc = tokenizer([r['text'] for r in batch], [r['pair'] for r in batch] if job.get('pairs') else None,
                        truncation=True, max_length=job['max_length'], padding=True, return_tensors='pt')
        if multi:
            y = torch.zeros(len(batch), k)
            for i, r in enumerate(batch):
                y[i, target(r)] = 1
        else:
            y = torch.tensor([target(r)[0] for r in batch])
        return enc, y

    def batches(items, size, shuffle):
        items = list(items)
        if shuffle:
            random.shuffle(items)
        return [items[i:i + size] for i in range(0, len(items), size)]

    head = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith(model.base_model_prefix)]
    body = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith(model.base_model_prefix)]
    optimizer = torch.optim.AdamW([{'params': body, 'lr': job['learning_rate']}, {'params': head, 'lr': job['head_learning_rate']}], weight_decay=0.01)
    steps = math.ceil(len(order) / job['batch_size']) * job['epochs']
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.1 * steps), steps)
    model, optimizer, schedule = accelerator.prepare(model, optimizer, schedule)

    def logits_of(items):
        model.eval()
        out = []
        with torch.no_grad():
            for chunk in batches(items, 64, False):
                enc, _ = encode(chunk)
                out.append(model(**{n: t.to(accelerator.device) for n, t in enc.items()}).logits.float().cpu())
        model.train()
        return torch.cat(out) if out else torch.zeros(0, k)

    def decide(z):
        return [[c for c in range(k) if v[c] > 0] for v in z.tolist()] if multi else z.argmax(-1).tolist()

    def macro_f1(items, z):
        truth = [target(r) if multi else target(r)[0] for r in items]
        return sum(per_class_f1(truth, decide(z), k, multi)[3]) / k

    best, best_state, history, started = -1.0, None, [], time.time()
    for epoch in range(1, job['epochs'] + 1):
        total = 0.0
        for chunk in batches(order, job['batch_size'], True):
            enc, y = encode(chunk)
            loss = criterion(model(**{n: t.to(accelerator.device) for n, t in enc.items()}).logits, y.to(accelerator.device))
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            total += loss.item() * len(chunk)
        score = macro_f1(split['val'], logits_of(split['val']))
        history.append({'epoch': epoch, 'loss': total / max(len(order), 1), 'valMacroF1': score})
        accelerator.print(json.dumps(history[-1]))
        if score > best:
            best, best_state = score, {n: t.detach().cpu().clone() for n, t in accelerator.unwrap_model(model).state_dict().items()}
        elif epoch - max(h['epoch'] for h in history if h['valMacroF1'] == best) >= job['patience']:
            break
    train_seconds = time.time() - started
    model = accelerator.unwrap_model(model)
    model.load_state_dict(best_state)
    if not accelerator.is_main_process:
        return

    # Temperature on validation (log-loss), then the test split, scored once.
    val_z = logits_of(split['val'])
    val_y = torch.tensor([target(r)[0] for r in split['val']]) if not multi else None
    temperature = 1.0
    if not multi and len(split['val']) > 1:
        grid = [0.5 + 0.05 * i for i in range(71)]
        nll = lambda t: torch.nn.functional.cross_entropy(val_z / t, val_y).item()
        temperature = min(grid, key=nll)
    test_z = logits_of(split['test']) / temperature
    probs = torch.sigmoid(test_z) if multi else torch.softmax(test_z, -1)
    predicted = decide(test_z)
    truth = [target(r) if multi else target(r)[0] for r in split['test']]
    top = probs.max(-1).values.tolist()
    correct = [int(p == t) for p, t in zip(predicted, truth)] if not multi else [int(sorted(p) == sorted(t)) for p, t in zip(predicted, truth)]
    metrics = metrics_of(truth, predicted, top, correct, labels, multi, seed=job['seed'])
    metrics.update({
        'task': job['task'], 'labels': labels, 'n_train': len(split['train']), 'n_val': len(split['val']), 'n_test': len(split['test']),
        'train_counts': dict(zip(labels, counts)),
        'strategy': {'name': job['strategy'], 'loss': job['loss'], 'weights': job['weights'], 'gamma': job.get('gamma', 0), 'sampling': job['sampling'],
                     'head': 'linear', 'epochs': len(history), 'seed': job['seed'], 'backend': f'pytorch {torch.__version__} ({accelerator.device}, {accelerator.num_processes} process(es))',
                     'encoder': job['model'], 'temperature': temperature, 'decision': {'mode': 'argmax'}},
        'selection': {'method': 'validation', 'reason': f"Fine-tuned ({job['depth']}) with PyTorch for {len(history)} epoch(s), keeping the best validation macro-F1 {best:.3f}; temperature {temperature:.2f} fitted on validation."},
        'seconds': {'embed': 0, 'train': train_seconds, 'eval': 0},
        'history': history,
    })
    os.makedirs(output, exist_ok=True)
    json.dump(metrics, open(os.path.join(output, 'metrics.json'), 'w'), indent=2)
    with open(os.path.join(output, 'predictions.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['id', 'text', 'true', 'predicted'] + [f'p_{l}' for l in labels])
        for r, p, pr in zip(split['test'], predicted, probs.tolist()):
            names = [labels[c] for c in (p if multi else [p])]
            w.writerow([r['id'], r['text'], '|'.join(r['labels']), '|'.join(names)] + [f'{x:.6f}' for x in pr])
    model.save_pretrained(os.path.join(output, 'model'), safe_serialization=True)
    tokenizer.save_pretrained(os.path.join(output, 'model'))
    export_onnx(torch, model, tokenizer, labels, job, temperature, os.path.join(output, 'export'))


def export_onnx(torch, model, tokenizer, labels, job, temperature, out):
    """The app's export layout: onnx/model.onnx with logits (calibrated), probabilities and the decision."""
    multi = job['task'] == 'multi_label'

    class Exported(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            z = self.model(input_ids=input_ids, attention_mask=attention_mask).logits / temperature
            p = torch.sigmoid(z) if multi else torch.softmax(z, -1)
            return z, p, (p >= 0.5) if multi else p.argmax(-1)

    os.makedirs(os.path.join(out, 'onnx'), exist_ok=True)
    example = tokenizer(['an example'], return_tensors='pt')
    model.eval().cpu()
    decision = 'predicted' if multi else 'predicted_class'
    torch.onnx.export(Exported(), (example['input_ids'], example['attention_mask']), os.path.join(out, 'onnx', 'model.onnx'),
                      input_names=['input_ids', 'attention_mask'], output_names=['logits', 'probabilities', decision],
                      dynamic_axes={'input_ids': {0: 'batch_size', 1: 'sequence_length'}, 'attention_mask': {0: 'batch_size', 1: 'sequence_length'}},
                      opset_version=17)
    tokenizer.save_pretrained(out)
    config = model.config.to_dict()
    config.update({'id2label': {str(i): l for i, l in enumerate(labels)}, 'label2id': {l: i for i, l in enumerate(labels)},
                   'problem_type': 'multi_label_classification' if multi else 'single_label_classification',
                   'finetune': {'format': 'finetune-onnx-export-v1', 'task': job['task'], 'labels': labels, 'temperature': temperature,
                                'encoder': {'spec': f"hf:{job['model']}", 'id': job['model']}, 'max_length': job['max_length'],
                                'trained_by': 'train.py (PyTorch)'}})
    json.dump(config, open(os.path.join(out, 'config.json'), 'w'), indent=2)


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--job', default='job.json')
    parser.add_argument('--output', default='output')
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--self-test', action='store_true')
    args = parser.parse_args()
    if args.self_test:
        self_test()
    elif args.dry_run:
        dry_run(args.job)
    else:
        train(args.job, args.output)
