// The ONNX graph of a fine-tuned transformer against the tfjs model it was exported from, for every supported
// family (BERT, RoBERTa's padding-offset positions, ELECTRA's embedding projection and GELU head, DistilBERT's
// ReLU head and no token types), on a padded batch with a row longer than the model reads (cut inside the graph).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { initTensorflow, type TfRuntime } from '../electron/backend/tf/backend.js';
import { parameterNames, readTransformerConfig, type TransformerConfig } from '../electron/backend/training/transformer/architecture.js';
import { checkpointTensors, parameterShape, resolveParameters } from '../electron/backend/training/transformer/checkpoint.js';
import { TransformerClassifier } from '../electron/backend/training/transformer/model.js';
import { toBatch, disposeBatch } from '../electron/backend/training/transformer/batches.js';
import { OnnxGraphBuilder } from '../electron/backend/onnx/graph-builder.js';
import { classifierInputs } from '../electron/backend/export/graph.js';
import { appendTransformerLogits, appendTruncation, TRANSFORMER_OPSET } from '../electron/backend/export/transformer-graph.js';
import { createRng } from '../shared/random.js';

const CLASSES = 3;
const MAX_LENGTH = 12;
const base = { vocab_size: 60, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 40, initializer_range: 0.5 };
const FAMILIES: Record<string, Record<string, unknown>> = {
  bert: { ...base, model_type: 'bert', hidden_act: 'gelu' },
  roberta: { ...base, model_type: 'xlm-roberta', hidden_act: 'gelu', pad_token_id: 1, type_vocab_size: 1 },
  electra: { ...base, model_type: 'electra', hidden_act: 'gelu_new', embedding_size: 8 },
  distilbert: { model_type: 'distilbert', vocab_size: 60, dim: 16, n_layers: 2, n_heads: 2, hidden_dim: 24, max_position_embeddings: 40, activation: 'gelu' },
};

let rt: TfRuntime;
before(async () => {
  rt = await initTensorflow('auto');
});

/** A checkpoint of random weights under the family's Hugging Face names (what a real folder would hold). */
function randomCheckpoint(config: TransformerConfig, seed: number) {
  const rng = createRng(seed);
  return checkpointTensors(parameterNames(config, `${config.family}.`), (name) => {
    const shape = parameterShape(config, CLASSES, name);
    const count = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: count }, () => (name.endsWith('.g') ? 1 : 0) + (rng() * 2 - 1) * 0.5);
    return { shape, values };
  });
}

/** The app's truncation: the text's ids cut so that [first, …, last] fits maxLength (the last id closes the text). */
const appTruncate = (row: number[]) => (row.length <= MAX_LENGTH ? row : [...row.slice(0, MAX_LENGTH - 1), row.at(-1)!]);

for (const [family, raw] of Object.entries(FAMILIES)) {
  test(`${family}: the exported graph gives the tfjs model's logits (≤ 1e-5), cutting long rows as the app does`, async () => {
    const config = readTransformerConfig(raw, `${family}/config.json`);
    const tensors = randomCheckpoint(config, family.length);
    const model = TransformerClassifier.fromCheckpoint(rt.tf, config, tensors, CLASSES, 0, family).model;
    const pad = config.padId;
    const rows = [[2, 17, 30, 3], [2, 3], Array.from({ length: 20 }, (_, i) => 5 + i * 2).concat([3]), [2, 40, 41, 42, 43, 44, 3]];
    const batch = toBatch(rt.tf, rows.map(appTruncate), pad);
    const ours = rt.tf.tidy(() => model.logits(batch)).dataSync();
    disposeBatch(batch);
    model.dispose();

    const b = new OnnxGraphBuilder('test', TRANSFORMER_OPSET);
    const [ids, mask] = classifierInputs(b);
    const [cutIds, cutMask] = appendTruncation(b, ids, mask, MAX_LENGTH, 1);
    const { params } = resolveParameters(config, tensors, CLASSES, 0, family);
    b.outputFrom(appendTransformerLogits(b, config, params, cutIds, cutMask), 'out', 'float32', ['batch', CLASSES]);
    const session = await ort.InferenceSession.create(b.toBytes());
    const width = Math.max(...rows.map((r) => r.length));
    const flat = (f: (row: number[], c: number) => number) => BigInt64Array.from(rows.flatMap((row) => Array.from({ length: width }, (_, c) => BigInt(f(row, c)))));
    const dims = [rows.length, width];
    const out = await session.run({
      input_ids: new ort.Tensor('int64', flat((row, c) => (c < row.length ? row[c] : pad)), dims),
      attention_mask: new ort.Tensor('int64', flat((row, c) => (c < row.length ? 1 : 0)), dims),
    });
    const theirs = out.out.data as Float32Array;
    let max = 0;
    ours.forEach((v, i) => (max = Math.max(max, Math.abs(v - theirs[i]))));
    assert.ok(max <= 1e-5, `max |Δ logit| ${max}`);
    assert.ok(Math.max(...Array.from(ours, Math.abs)) > 1e-3, 'the logits are not trivially zero');
    await session.release();
  });
}
