"""The PyTorch peer of the fine-tuning bench: a BERT-shaped encoder (post-layer-norm, GELU, CLS head) written
with torch.nn, the same architecture and shapes as the product's tfjs model, timed for one training step
(forward, backward, AdamW) on the CPU threads given. Prints one JSON line.

With --check DIR it instead loads an exported BertForSequenceClassification folder (config.json and
model.safetensors under the names transformers uses), scores the token ids of --ids FILE (a JSON list of lists)
and prints the calibrated probabilities the app would give: an independent reading of the checkpoint layout."""
import argparse, json, math, struct, time
import torch
import torch.nn as nn


class Layer(nn.Module):
    def __init__(self, h, heads, inter):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.n1, self.n2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)
        self.up, self.down = nn.Linear(h, inter), nn.Linear(inter, h)

    def forward(self, x, bias):
        b, t, h = x.shape
        d = h // self.heads
        split = lambda y: y.view(b, t, self.heads, d).transpose(1, 2)
        scores = split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(d) + bias
        ctx = (scores.softmax(-1) @ split(self.v(x))).transpose(1, 2).reshape(b, t, h)
        x = self.n1(self.o(ctx) + x)
        return self.n2(self.down(nn.functional.gelu(self.up(x))) + x)


class Bert(nn.Module):
    def __init__(self, vocab, h, layers, heads, inter, positions, classes):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(vocab, h), nn.Embedding(positions, h), nn.Embedding(2, h)
        self.norm = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList(Layer(h, heads, inter) for _ in range(layers))
        self.pool, self.out = nn.Linear(h, h), nn.Linear(h, classes)

    def forward(self, ids, mask):
        t = ids.shape[1]
        x = self.norm(self.word(ids) + self.pos(torch.arange(t))[None] + self.token_type.weight[0])
        bias = ((1 - mask) * -10000.0)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        return self.out(torch.tanh(self.pool(x[:, 0])))


def read_safetensors(path):
    with open(path, 'rb') as f:
        size = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        assert info['dtype'] == 'F32', f'{name}: {info["dtype"]}'
        start, end = info['data_offsets']
        tensors[name] = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(info['shape'])
    return tensors


def hf_state(tensors, layers):
    """transformers' BertForSequenceClassification names -> this module's."""
    own = {'word.weight': 'bert.embeddings.word_embeddings.weight', 'pos.weight': 'bert.embeddings.position_embeddings.weight',
           'token_type.weight': 'bert.embeddings.token_type_embeddings.weight'}
    pairs = [('norm', 'bert.embeddings.LayerNorm'), ('pool', 'bert.pooler.dense'), ('out', 'classifier')]
    for i in range(layers):
        l = f'bert.encoder.layer.{i}.'
        pairs += [(f'layers.{i}.q', l + 'attention.self.query'), (f'layers.{i}.k', l + 'attention.self.key'),
                  (f'layers.{i}.v', l + 'attention.self.value'), (f'layers.{i}.o', l + 'attention.output.dense'),
                  (f'layers.{i}.n1', l + 'attention.output.LayerNorm'), (f'layers.{i}.up', l + 'intermediate.dense'),
                  (f'layers.{i}.down', l + 'output.dense'), (f'layers.{i}.n2', l + 'output.LayerNorm')]
    for mine, theirs in pairs:
        own[f'{mine}.weight'], own[f'{mine}.bias'] = f'{theirs}.weight', f'{theirs}.bias'
    return {mine: tensors[theirs] for mine, theirs in own.items()}


def check(folder, ids_file):
    config = json.load(open(f'{folder}/config.json'))
    assert config['model_type'] == 'bert', 'the reference reads BERT checkpoints only'
    tensors = read_safetensors(f'{folder}/model.safetensors')
    model = Bert(config['vocab_size'], config['hidden_size'], config['num_hidden_layers'], config['num_attention_heads'],
                 config['intermediate_size'], config['max_position_embeddings'], config['num_labels'] if 'num_labels' in config else len(config['id2label']))
    model.load_state_dict(hf_state(tensors, config['num_hidden_layers']), strict=True)
    model.eval()
    rows = json.load(open(ids_file))
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [config.get('pad_token_id', 0)] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1.0] * len(r) + [0.0] * (width - len(r)) for r in rows])
    cal = config['finetune']
    labels = [config['id2label'][str(i)] for i in range(len(config['id2label']))]
    with torch.no_grad():
        z = model(ids, mask) / cal['temperature'] + torch.tensor([cal['calibration_bias'][l] for l in labels])
    probs = z.softmax(-1) if cal['task'] == 'single_label' else z.sigmoid()
    print(json.dumps({'labels': labels, 'probabilities': probs.tolist()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--check')
    p.add_argument('--ids')
    for name, default in [('layers', 4), ('hidden', 256), ('heads', 4), ('intermediate', 1024), ('vocab', 8000), ('seq', 128), ('batch', 16), ('steps', 5), ('threads', 2)]:
        p.add_argument(f'--{name}', type=int, default=default)
    a = p.parse_args()
    if a.check:
        return check(a.check, a.ids)
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    model = Bert(a.vocab, a.hidden, a.layers, a.heads, a.intermediate, 512, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    ids = torch.randint(5, a.vocab, (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq)
    y = torch.randint(0, 2, (a.batch,))
    times = []
    for step in range(a.steps + 2):
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(ids, mask), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step >= 2:
            times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({'seconds_per_step': times[len(times) // 2], 'torch': torch.__version__, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main()
