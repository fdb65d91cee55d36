// A checkpoint's tensors (Hugging Face names, linear weights stored [out, in]) as the model's own parameters
// (architecture.ts names, [in, out]), and back. Pure arrays: the tfjs model and the ONNX export both start here.
import { createRng } from '../../../../shared/random.js';
import { checkpointAliases, encoderPrefix, parameterNames, type ParameterName, type TransformerConfig } from './architecture.js';
import type { TensorMap } from './safetensors.js';

export interface OwnTensor {
  shape: number[];
  values: Float32Array;
}

export interface ResolvedParameters {
  params: Map<string, OwnTensor>;
  /** Parameters the checkpoint did not hold and that were initialised at random (a new head, usually). */
  initialised: string[];
}

/**
 * Encoder weights must all be present; head weights that are missing, or that have another number of classes,
 * start from N(0, initializer_range) with zero biases, as transformers does.
 */
export function resolveParameters(config: TransformerConfig, tensors: TensorMap, classes: number, seed: number, source: string): ResolvedParameters {
  const prefix = encoderPrefix(config.family, tensors.keys());
  const rng = createRng(seed);
  const gaussian = () => {
    const u = Math.max(rng(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
  const params = new Map<string, OwnTensor>();
  const initialised: string[] = [];
  const missing: string[] = [];
  for (const p of parameterNames(config, prefix)) {
    const shape = parameterShape(config, classes, p.name);
    const found = checkpointAliases(p.checkpoint).map((n) => tensors.get(n)).find(Boolean);
    const storedShape = p.transposed && shape.length === 2 ? [shape[1], shape[0]] : shape;
    if (found && sameShape(found.shape, storedShape)) {
      params.set(p.name, { shape, values: p.transposed ? transpose2d(found.data, storedShape[0], storedShape[1]) : found.data });
    } else if (p.part === 'head') {
      const count = shape.reduce((a, b) => a * b, 1);
      const values = p.name.endsWith('.b') ? new Float32Array(count) : Float32Array.from({ length: count }, () => gaussian() * config.initializerRange);
      params.set(p.name, { shape, values });
      initialised.push(p.checkpoint);
    } else {
      missing.push(found ? `${p.checkpoint} (shape ${JSON.stringify(found.shape)}, expected ${JSON.stringify(storedShape)})` : p.checkpoint);
    }
  }
  if (missing.length > 0) throw new Error(`${source}: ${missing.length} encoder weights are missing or mis-shaped, e.g. ${missing.slice(0, 3).join('; ')}`);
  return { params, initialised };
}

/** The checkpoint tensors of a *ForSequenceClassification model ([out, in] linear weights, family prefix). */
export function checkpointTensors(names: ParameterName[], valueOf: (name: string) => OwnTensor): TensorMap {
  const out: TensorMap = new Map();
  for (const p of names) {
    const { shape, values } = valueOf(p.name);
    out.set(p.checkpoint, p.transposed && shape.length === 2
      ? { shape: [shape[1], shape[0]], data: transpose2d(values, shape[0], shape[1]) }
      : { shape: [...shape], data: Float32Array.from(values) });
  }
  return out;
}

/** The shape of one of the model's own parameters ([in, out] for linear weights). */
export function parameterShape(c: TransformerConfig, classes: number, name: string): number[] {
  if (name === 'embeddings.word') return [c.vocabSize, c.embeddingSize];
  if (name === 'embeddings.position') return [c.maxPositions, c.embeddingSize];
  if (name === 'embeddings.type') return [c.typeVocab, c.embeddingSize];
  if (name.startsWith('embeddings.norm')) return [c.embeddingSize];
  if (name === 'embeddings.project.w') return [c.embeddingSize, c.hidden];
  if (name === 'head.out.w') return [c.hidden, classes];
  if (name === 'head.out.b') return [classes];
  const local = name.split('.').slice(1).join('.');
  const dims: Record<string, number[]> = {
    'w': [c.hidden, c.hidden], 'b': [c.hidden], 'g': [c.hidden],
    'up.w': [c.hidden, c.intermediate], 'up.b': [c.intermediate], 'down.w': [c.intermediate, c.hidden],
  };
  const key = local in dims ? local : local.split('.').pop()!;
  return dims[key];
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
