import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder, decodeModel, float, floats, int, ints, longToNumber } from '../electron/backend/onnx/graph-builder.js';
import { checkOnnxModel } from '../electron/backend/export/onnx-checker.js';

const dir = mkdtempSync(join(tmpdir(), 'onnx-builder-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function assertCheckerPasses(t: { skip: (m: string) => void }, bytes: Uint8Array, name: string) {
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, bytes);
  const result = await checkOnnxModel(path);
  if (result.status === 'unavailable') {
    t.skip(`ONNX checker skipped: ${result.reason}`);
    return;
  }
  assert.deepEqual(result, { status: 'passed' });
}

function buildDemoGraph(): Uint8Array {
  const b = new OnnxGraphBuilder('demo');
  const x = b.input('x', 'float32', ['batch', 3]);
  const ids = b.input('ids', 'int64', ['batch', 'seq']);
  const w = b.initializer('w', Float32Array.from([1, 0, 0, 1, 1, 1]), [3, 2]);
  const bias = b.constantFloat([0.5, -0.5], [2]);
  const [mm] = b.node('MatMul', [x, w]);
  const [logits] = b.node('Add', [mm, bias]);
  const [probs] = b.node('Softmax', [logits], { axis: int(-1) });
  b.outputFrom(probs, 'probabilities', 'float32', ['batch', 2]);
  const table = b.initializer('table', Float32Array.from([0, 0, 10, 11, 20, 21, 30, 31]), [4, 2]);
  const [gathered] = b.node('Gather', [table, ids], { axis: 0 });
  b.outputFrom(gathered, 'gathered', 'float32', ['batch', 'seq', 2]);
  // Unigrams 1, 2, 3 and the bigram (1, 2); TF-IDF weights 1, 2, 3, 4; token 0 is padding, outside the pool.
  const [tfidf] = b.node('TfIdfVectorizer', [ids], {
    mode: 'TFIDF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 0,
    ngram_counts: ints([0, 3]), ngram_indexes: ints([0, 1, 2, 3]), pool_int64s: ints([1, 2, 3, 1, 2]),
    weights: floats([1, 2, 3, 4]),
  });
  b.outputFrom(tfidf, 'tfidf', 'float32', ['batch', 4]);
  const [scaled] = b.node('LeakyRelu', [x], { alpha: 0.5 });
  b.outputFrom(scaled, 'leaky', 'float32', ['batch', 3]);
  return b.toBytes({ purpose: 'test' });
}

test('a built graph runs in onnxruntime-node with the expected values', async (t) => {
  const bytes = buildDemoGraph();
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({
    x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, -1, 0, 2]), [2, 3]),
    ids: new ort.Tensor('int64', BigInt64Array.from([1n, 2n, 1n, 0n, 3n, 3n, 2n, 0n]), [2, 4]),
  });
  // Row 0: x·w = [1+3, 2+3] = [4, 5] + bias = [4.5, 4.5] -> softmax [0.5, 0.5].
  const p = out.probabilities.data as Float32Array;
  assert.ok(Math.abs(p[0] - 0.5) < 1e-6 && Math.abs(p[1] - 0.5) < 1e-6, `probabilities ${Array.from(p)}`);
  // Row 1: [-1+2, 0+2] + bias = [1.5, 1.5].
  assert.ok(Math.abs(p[2] - 0.5) < 1e-6);
  assert.deepEqual(Array.from(out.gathered.data as Float32Array).slice(0, 4), [10, 11, 20, 21]);
  assert.deepEqual(out.gathered.dims, [2, 4, 2]);
  // Row 0 [1,2,1,0]: tf(1)=2, tf(2)=1, tf(3)=0, tf(1 2)=1 -> × weights [2, 2, 0, 4].
  // Row 1 [3,3,2,0]: tf(2)=1, tf(3)=2 -> [0, 2, 6, 0].
  assert.deepEqual(Array.from(out.tfidf.data as Float32Array), [2, 2, 0, 4, 0, 2, 6, 0]);
  assert.deepEqual(Array.from(out.leaky.data as Float32Array), [1, 2, 3, -0.5, 0, 2]);
  await assertCheckerPasses(t, bytes, 'demo');
});

test('the ONNX checker rejects a malformed graph', async (t) => {
  const b = new OnnxGraphBuilder('broken');
  const x = b.input('x', 'float32', [2]);
  const [y] = b.node('Softmax', [x, x, x]); // Softmax takes one input
  b.output(y, 'float32', [2]);
  const path = join(dir, 'broken.onnx');
  writeFileSync(path, b.toBytes());
  const result = await checkOnnxModel(path);
  if (result.status === 'unavailable') return t.skip(`ONNX checker skipped: ${result.reason}`);
  assert.equal(result.status, 'failed');
});

test('attribute types follow explicit helpers or the op schema, never a guess', () => {
  const model = decodeModel(buildDemoGraph());
  const nodes = model.graph!.node;
  const softmax = nodes.find((n) => n.op_type === 'Softmax')!.attribute![0];
  assert.equal(softmax.type, 2); // INT
  assert.equal(longToNumber(softmax.i), -1);
  const leaky = nodes.find((n) => n.op_type === 'LeakyRelu')!.attribute![0];
  assert.equal(leaky.type, 1); // FLOAT, from the schema table
  const weights = nodes.find((n) => n.op_type === 'TfIdfVectorizer')!.attribute!.find((a) => a.name === 'weights')!;
  assert.equal(weights.type, 6); // FLOATS
  assert.deepEqual(model.metadata_props, [{ key: 'purpose', value: 'test' }]);
  assert.deepEqual(model.opset_import!.map((o) => [o.domain ?? '', longToNumber(o.version)]), [['', 17]]);

  const b = new OnnxGraphBuilder('ambiguous');
  const x = b.input('x', 'float32', [1]);
  assert.throws(() => b.node('SomeOp', [x], { ratio: 0.25 }), /not an integer and its type is unknown/);
  assert.doesNotThrow(() => b.node('SomeOp', [x], { ratio: float(0.25) }));
  assert.throws(() => b.initializer('bad', Float32Array.from([1, 2, 3]), [2, 2]), /hold 4 values but 3/);
});

test('inlining a model binds its inputs, renames its tensors and keeps its results', async (t) => {
  const inner = new OnnxGraphBuilder('inner');
  const a = inner.input('a', 'float32', ['n', 2]);
  const w = inner.initializer('w', Float32Array.from([2, 0, 0, 3]), [2, 2]);
  const [y] = inner.node('MatMul', [a, w], {}, ['y']);
  inner.output(y, 'float32', ['n', 2]);
  const innerBytes = inner.toBytes();

  const outer = new OnnxGraphBuilder('outer');
  const x = outer.input('x', 'float32', ['n', 2]);
  outer.initializer('w', Float32Array.from([1, 1]), [2]); // same name as the inlined initializer: must not clash
  const [doubled] = outer.node('Add', [x, x]);
  const mapped = outer.inlineModel(innerBytes, { a: doubled }, 'enc/');
  assert.notEqual(mapped.y, 'y');
  const [sum] = outer.node('Add', [mapped.y, 'w']);
  outer.outputFrom(sum, 'out', 'float32', ['n', 2]);
  const bytes = outer.toBytes();
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2]), [1, 2]) });
  assert.deepEqual(Array.from(out.out.data as Float32Array), [2 * 2 + 1, 4 * 3 + 1]);
  await assertCheckerPasses(t, bytes, 'inlined');

  const otherOpset = new OnnxGraphBuilder('outer', 13);
  const z = otherOpset.input('z', 'float32', ['n', 2]);
  assert.throws(() => otherOpset.inlineModel(innerBytes, { a: z }, 'enc/'), /opset-17 model into an opset-13 graph/);
});
