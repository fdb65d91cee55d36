// README.md of an exported model: what it was trained on, how, how well each class does, and how to load it.
import type { RunMetrics } from '../../../shared/domain.js';
import { decisionWords, perClassMarkdownTable } from '../training/artifacts.js';
import type { ModelManifest } from '../training/model-files.js';

/** What the card reads of a model's manifest (a head-only model's or a fine-tuned one's). */
export type CardManifest = Pick<ModelManifest, 'task' | 'labels' | 'strategy' | 'temperature' | 'calibrationBias' | 'createdAt'>;

export interface ModelCardInput {
  manifest: CardManifest;
  /** The run's metrics.json, when the model folder sits in a run folder. */
  metrics: RunMetrics | null;
  encoderDescription: string;
  /** What the head is and reads, e.g. "linear over the embedding". */
  headDescription: string;
  /** What the one ONNX graph holds, in a sentence. */
  graphDescription: string;
  quantized: boolean;
  tokenizerNote: string;
  /** Further usage sections (markdown), e.g. loading the safetensors in Python transformers. */
  extraUsage?: string;
}

const fixed = (x: number) => x.toFixed(3);

function metricsSection(metrics: RunMetrics | null): string {
  if (!metrics) {
    return '## Evaluation\n\nNo metrics.json was found beside the model folder, so no test results are included. ' +
      'Evaluate the model on held-out data before relying on it.\n';
  }
  const lines = [
    '## Evaluation (held-out test split)',
    '',
    `- macro-F1: **${fixed(metrics.f1_macro)}** (the mean of the per-class F1: every class counts the same)`,
    `- micro-F1: ${fixed(metrics.f1_micro)}, weighted F1: ${fixed(metrics.f1_weighted)}`,
    `- accuracy${metrics.task === 'multi_label' ? ' (exact match)' : ''}: ${fixed(metrics.accuracy)} — under class imbalance accuracy ` +
      'mostly reflects the majority class; read the per-class table.',
    `- expected calibration error: ${fixed(metrics.ece)}`,
    '',
    perClassMarkdownTable(metrics),
    '',
  ];
  return lines.join('\n');
}

function trainingSection(manifest: CardManifest, metrics: RunMetrics | null, input: ModelCardInput): string {
  const s = manifest.strategy;
  const lines = ['## Training', ''];
  if (metrics) {
    lines.push(`- documents: ${metrics.n_train} train${metrics.n_val ? `, ${metrics.n_val} validation (early stopping, calibration)` : ''}, ${metrics.n_test} test`);
    const support = metrics.labels.map((l) => `${l} ${metrics.per_class[l]?.support ?? 0}`).join(', ');
    lines.push(`- test documents per class: ${support}`);
  }
  lines.push(
    `- task: ${manifest.task === 'single_label' ? 'single-label (one class per text; softmax)' : 'multi-label (any number of classes; sigmoid per class)'}`,
    `- classes (output order): ${manifest.labels.join(', ')}`,
    `- imbalance strategy: **${s.name}** — loss ${s.loss}${s.weights ? `, ${s.weights} class weights` : ''}${s.gamma !== undefined ? `, gamma ${s.gamma}` : ''}, sampling ${s.sampling}`,
  );
  if (s.auto) lines.push(`- chosen automatically because: ${s.auto.reason}`);
  lines.push(
    `- encoder: ${input.encoderDescription}`,
    `- head: ${input.headDescription}`,
    `- calibration: temperature ${manifest.temperature.toFixed(4)}${manifest.calibrationBias ? ` and a per-class prior correction (config.json \`calibration_bias\`)` : ''}, fitted on held-out predictions; the \`logits\` output is already calibrated`,
  );
  if (metrics) lines.push(`- decisions: ${decisionWords(metrics)}`);
  if (metrics?.selection) lines.push(`- how it was chosen: ${metrics.selection.reason}`);
  if (metrics?.review) lines.push(`- review budget: predictions less sure than ${metrics.review.confidenceBelow.toFixed(3)} go to a person (${metrics.review.toReview} of ${metrics.n_test} test documents); the automatic rest scored macro-F1 ${metrics.review.automatic.f1_macro.toFixed(3)}`);
  lines.push(`- seed ${s.seed}, trained ${manifest.createdAt}`, '');
  return lines.join('\n');
}

function usageSection(manifest: CardManifest, quantized: boolean, extraUsage: string): string {
  const multi = manifest.task === 'multi_label';
  // The graph's predicted_class / predicted output is the model's decision; these lines show the same rule.
  const decideJs = multi
    ? 'const predicted = labels.filter((l, i) => probs[i] >= thresholds[l]);'
    : 'const scores = labels.map((l, i) => decision ? decision.scale[l] * probs[i] - decision.shift[l] : probs[i]);\nconst predicted = labels[scores.indexOf(Math.max(...scores))]; // = out.predicted_class';
  const decidePy = multi
    ? 'predicted = [l for i, l in enumerate(labels) if probs[i] >= thresholds[l]]'
    : 'rule = config["decision"]\nscores = [rule["scale"][l] * probs[i] - rule["shift"][l] if rule else probs[i] for i, l in enumerate(labels)]\npredicted = labels[int(np.argmax(scores))]  # = the predicted_class output';
  return [
    '## Use',
    '',
    'Inputs: `input_ids` and `attention_mask` (int64, [batch, sequence]) from the tokenizer in this folder; outputs: `logits` and',
    `\`probabilities\` (${multi ? 'sigmoid' : 'softmax'}), float32 [batch, ${manifest.labels.length}], and the decision: ${multi ? '`predicted` (bool [batch, classes], the thresholds applied)' : '`predicted_class` (int64 [batch])'}. Everything after tokenisation runs inside the graph.`,
    multi
      ? ''
      : 'The decided class is not always the most probable one: the model may favour a rare class on purpose (tuned for macro-F1, or from your costs), as config.json `decision` says. Pipelines that rank by probability show the probabilities; read `predicted_class` for the decision.\n',
    quantized ? '`onnx/model_quantized.onnx` is the int8 version (smaller and faster on CPU; see the parity figures in the export report).\n' : '',
    '### JavaScript (@huggingface/transformers)',
    '',
    '```js',
    "import { pipeline, env } from '@huggingface/transformers';",
    'env.allowRemoteModels = false;',
    "const classify = await pipeline('text-classification', '/path/to/this/folder', { dtype: 'fp32' });",
    `console.log(await classify('some text', { top_k: null }));${multi ? ' // multi-label: compare each score with config.json thresholds' : ''}`,
    '```',
    '',
    '### JavaScript (onnxruntime-node, with the same tokenizer)',
    '',
    '```js',
    "import fs from 'node:fs';",
    "import { AutoTokenizer, env } from '@huggingface/transformers';",
    "import * as ort from 'onnxruntime-node';",
    'env.allowRemoteModels = false;',
    "const dir = '/path/to/this/folder';",
    'const tokenizer = await AutoTokenizer.from_pretrained(dir);',
    'const session = await ort.InferenceSession.create(`${dir}/onnx/model.onnx`);',
    "const ids = tokenizer.encode('some text');",
    'const dims = [1, ids.length];',
    'const out = await session.run({',
    "  input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), dims),",
    "  attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), dims),",
    '});',
    "const { id2label, thresholds, decision } = JSON.parse(fs.readFileSync(`${dir}/config.json`, 'utf8'));",
    'const labels = Object.values(id2label);',
    'const probs = Array.from(out.probabilities.data);',
    decideJs,
    'console.log(predicted, probs);',
    '```',
    '',
    '### Python (onnxruntime + tokenizers)',
    '',
    '```python',
    'import json, numpy as np, onnxruntime as ort',
    'from tokenizers import Tokenizer',
    'd = "/path/to/this/folder"',
    'tok = Tokenizer.from_file(f"{d}/tokenizer.json")',
    'enc = tok.encode("some text")',
    'feeds = {"input_ids": np.array([enc.ids], dtype=np.int64), "attention_mask": np.array([enc.attention_mask], dtype=np.int64)}',
    'logits, probs = ort.InferenceSession(f"{d}/onnx/model.onnx").run(["logits", "probabilities"], feeds)',
    'config = json.load(open(f"{d}/config.json"))',
    'labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]',
    'thresholds = config["thresholds"]',
    'probs = probs[0]',
    decidePy,
    '```',
    '',
    extraUsage,
  ].join('\n');
}

export function renderModelCard(input: ModelCardInput): string {
  const { manifest, metrics } = input;
  return [
    '---',
    'library_name: transformers.js',
    'pipeline_tag: text-classification',
    'tags: [finetune, onnx]',
    '---',
    '',
    `# Text classifier: ${manifest.labels.join(' / ')}`,
    '',
    `Trained with Finetune on the owner's own labeled documents, offline. ${input.graphDescription}, so only tokenisation runs outside it.`,
    '',
    metricsSection(metrics),
    trainingSection(manifest, metrics, input),
    '## Intended use',
    '',
    `Sorting texts like the training documents into ${manifest.labels.join(', ')}, with a person reviewing uncertain or high-stakes decisions.`,
    '',
    '## Limits',
    '',
    '- It only knows these classes and the kind of text it was trained on; other kinds of text get confident but meaningless answers.',
    '- Classes with few test documents have wide F1 intervals (see the table): their figures are rough estimates.',
    '- Probabilities were calibrated on the validation split; they drift when the incoming data differs from the training data.',
    `- ${input.tokenizerNote}`,
    '- The training data were not audited for bias; check the per-class results on your own data before use.',
    '',
    usageSection(manifest, input.quantized, input.extraUsage ?? ''),
  ].join('\n');
}
