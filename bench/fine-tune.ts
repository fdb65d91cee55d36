// Fine-tuning speed beside PyTorch, in the same run on the same cores: the median time of one training step
// (forward, backward, AdamW with clipping) of a BERT-shaped model (4 layers, H 256, T 128, B 16) in the
// product's tfjs model and in torch.nn on CPU (Debian's python3-torch, installed when missing); and the product's
// step for the shipped USE-lite, all of it trained. The goal is at most 3x PyTorch's time.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTensorflow } from '../electron/backend/tf/backend.js';
import { parameterNames, readTransformerConfig } from '../electron/backend/training/transformer/architecture.js';
import { AdamW, DEFAULT_ADAMW } from '../electron/backend/training/transformer/adamw.js';
import { checkpointTensors, parameterShape } from '../electron/backend/training/transformer/checkpoint.js';
import { batchGradients } from '../electron/backend/training/transformer/fine-tune.js';
import { TransformerClassifier } from '../electron/backend/training/transformer/model.js';
import type { TensorMap } from '../electron/backend/training/transformer/safetensors.js';
import type { TrainableClassifier } from '../electron/backend/training/transformer/trainable.js';
import { UseLiteClassifier } from '../electron/backend/training/transformer/use-lite-trainable.js';
import { createRng } from '../shared/random.js';
import { ensurePythonModules } from './peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SHAPE = { layers: 4, hidden: 256, heads: 4, intermediate: 1024, vocab: 8000, seq: 128, batch: 16 };
const STEPS = 5;
const WARM_UP = 2;

function randomBert(): { config: ReturnType<typeof readTransformerConfig>; tensors: TensorMap } {
  const config = readTransformerConfig({
    model_type: 'bert', vocab_size: SHAPE.vocab, hidden_size: SHAPE.hidden, num_hidden_layers: SHAPE.layers, num_attention_heads: SHAPE.heads,
    intermediate_size: SHAPE.intermediate, max_position_embeddings: 512, type_vocab_size: 2,
  }, 'bench BERT');
  const rng = createRng(1);
  const names = parameterNames(config, 'bert.').filter((p) => p.part !== 'head');
  const tensors = checkpointTensors(names, (name) => {
    const shape = parameterShape(config, 2, name);
    const count = shape.reduce((a, b) => a * b, 1);
    const values = name.endsWith('.g') ? new Float32Array(count).fill(1) : name.endsWith('.b') ? new Float32Array(count) : Float32Array.from({ length: count }, () => (rng() - 0.5) * 0.04);
    return { shape, values };
  });
  return { config, tensors };
}

/** Median seconds of one full-depth training step on a fixed random batch. */
async function stepSeconds(tf: Awaited<ReturnType<typeof initTensorflow>>['tf'], model: TrainableClassifier, vocab: number): Promise<number> {
  const rng = createRng(2);
  const ids = Array.from({ length: SHAPE.batch }, () => Array.from({ length: SHAPE.seq }, () => 5 + Math.floor(rng() * (vocab - 5))));
  const targets = ids.map((_, i) => [i % 2]);
  const variables = model.trainable({ kind: 'full', freezeEmbeddings: false });
  const optimizer = new AdamW(tf, variables.map((variable) => ({ variable, head: model.isHead(variable), decays: model.decays(variable) })), { ...DEFAULT_ADAMW, warmupSteps: 0, totalSteps: 100 });
  const times: number[] = [];
  for (let step = 0; step < STEPS + WARM_UP; step++) {
    const start = performance.now();
    const { grads } = batchGradients(tf, model, { kind: 'cross_entropy', gamma: 0 }, ids, targets, variables, 0, step);
    optimizer.apply(grads);
    grads.forEach((g) => g.dispose());
    if (step >= WARM_UP) times.push((performance.now() - start) / 1000);
  }
  optimizer.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function run(): Promise<Record<string, unknown>> {
  const rt = await initTensorflow();
  const { config, tensors } = randomBert();
  const bert = TransformerClassifier.fromCheckpoint(rt.tf, config, tensors, 2, 3, 'bench BERT').model;
  const product = await stepSeconds(rt.tf, bert, SHAPE.vocab);
  bert.dispose();
  const useLite = new UseLiteClassifier(rt.tf, 2);
  const useLiteStep = await stepSeconds(rt.tf, useLite, 8000);
  useLite.dispose();

  const missing = ensurePythonModules(['torch'], ['python3-torch']);
  let peer: { seconds_per_step: number; torch: string; threads: number } | { error: string };
  if (missing) peer = { error: missing };
  else {
    const args = Object.entries({ ...SHAPE, steps: STEPS, threads: 2 }).flatMap(([k, v]) => [`--${k}`, String(v)]);
    const out = spawnSync('/usr/bin/python3', [path.join(here, 'peers', 'torch_bert.py'), ...args], { encoding: 'utf8' });
    peer = out.status === 0 ? JSON.parse(out.stdout.trim().split('\n').pop()!) : { error: out.stderr.trim().split('\n').pop() ?? `exit ${out.status}` };
  }
  const ratio = 'seconds_per_step' in peer ? product / peer.seconds_per_step : null;
  return {
    shape: SHAPE,
    backend: rt.backend,
    product_bert_seconds_per_step: Number(product.toFixed(3)),
    product_use_lite_full_seconds_per_step: Number(useLiteStep.toFixed(3)),
    peer_pytorch: peer,
    ratio_to_pytorch: ratio === null ? null : Number(ratio.toFixed(2)),
    goal: 'at most 3x PyTorch on the same cores',
  };
}
