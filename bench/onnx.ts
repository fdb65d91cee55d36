// The ONNX export against the app, on the same 500 SpamAssassin test documents in the same run:
// documents per second of the app's predictor (its USE-lite forward pass in ONNX Runtime, the default, and in
// tfjs-wasm) and of the exported graph in onnxruntime-node (float and int8), the parity of each with the app,
// file sizes and export time.
// USE-lite is the shipped encoder; the tiny random BERT shows the Hugging Face folder path.
// `npx tsx bench/onnx.ts` prints the figures as JSON.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_TRAIN_SETTINGS } from '../shared/domain.js';
import type { TrainExample } from '../electron/backend/training/job.js';
import { trainClassifier } from '../electron/backend/training/trainer.js';
import { writeRunArtifacts } from '../electron/backend/training/artifacts.js';
import { exportModel, MODEL_FILE, QUANTIZED_MODEL_FILE } from '../electron/backend/export/index.js';
import { checkOnnxModel } from '../electron/backend/export/onnx-checker.js';
import { checkParity, timedPredict, type PathFigures } from '../electron/backend/export/verify.js';
import { loadPredictor } from '../electron/backend/training/predictor.js';
import { loadSpamAssassin, SPAM_LABELS, type Example } from '../test/fixtures/corpora.js';
import { writeTinyBert } from '../test/fixtures/tiny-bert.js';

const TEST_DOCS = 500;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const toExample = (e: Example): TrainExample => ({ id: `${e.group}/${e.id}`, text: e.text, contentHash: createHash('sha256').update(e.text).digest('hex'), labels: [e.label] });
const spread = <T>(items: T[], n: number): T[] => items.filter((_, i) => i % Math.max(1, Math.floor(items.length / n)) === 0).slice(0, n);

function figures(f: PathFigures, documents: number) {
  return { docsPerSecond: round(f.docsPerSecond, 1), cpuSeconds: round(f.cpuSeconds, 1), maxAbsProbabilityDiff: Number(f.maxAbsDiff.toExponential(2)), sameLabels: `${f.sameLabels}/${documents}` };
}

/** The app's predictor with USE-lite's forward pass in tfjs-wasm (the app defaults to ONNX Runtime for it). */
async function tfjsAppFigures(modelDir: string, texts: string[]): Promise<{ docsPerSecond: number; cpuSeconds: number }> {
  const predictor = await loadPredictor(modelDir, { backend: 'tfjs' });
  try {
    const { docsPerSecond, cpuSeconds } = await timedPredict(predictor, texts);
    return { docsPerSecond, cpuSeconds };
  } finally {
    await predictor.dispose();
  }
}

async function benchEncoder(dir: string, encoder: string, train: TrainExample[], test: TrainExample[]): Promise<Record<string, unknown>> {
  const runDir = join(dir, encoder.startsWith('hf:') ? 'hf' : 'use-lite');
  const trainStarted = performance.now();
  const result = await trainClassifier({
    task: 'single_label', labels: SPAM_LABELS, examples: train, test,
    settings: { ...DEFAULT_TRAIN_SETTINGS, strategy: 'weighted' },
    encoder, cacheFile: join(dir, 'cache.sqlite'), modelDir: join(runDir, 'model'),
  }, () => {}, undefined, { bootstrapIterations: 100 });
  await writeRunArtifacts(runDir, result.metrics, result.predictions);
  const trainSeconds = (performance.now() - trainStarted) / 1000;

  const exportStarted = performance.now();
  const out = join(runDir, 'export');
  const exported = await exportModel(result.modelDir, out, { quantize: true });
  const exportSeconds = (performance.now() - exportStarted) / 1000;
  const texts = test.map((e) => e.text);
  const parity = await checkParity(result.modelDir, out, texts, { int8: true });
  const tfjs = encoder === 'use-lite' ? await tfjsAppFigures(result.modelDir, texts) : undefined;
  const checker = await checkOnnxModel(join(out, MODEL_FILE));
  const int8 = parity.onnxInt8!;
  return {
    encoder: result.metrics.strategy.encoder,
    trainDocuments: train.length,
    testDocuments: parity.documents,
    macroF1: round(result.metrics.f1_macro, 3),
    trainSeconds: round(trainSeconds, 1),
    exportSeconds: round(exportSeconds, 1),
    modelMB: round(statSync(join(out, MODEL_FILE)).size / 1e6),
    int8ModelMB: round(statSync(join(out, QUANTIZED_MODEL_FILE)).size / 1e6),
    int8Quantized: exported.quantization,
    onnxChecker: checker.status,
    app: figures(parity.app, parity.documents),
    ...(tfjs ? { appWithTfjsEncoder: { docsPerSecond: round(tfjs.docsPerSecond, 1), cpuSeconds: round(tfjs.cpuSeconds, 1) } } : {}),
    onnx: figures(parity.onnx, parity.documents),
    onnxInt8: figures(int8, parity.documents),
    onnxSpeedupOverApp: round(parity.onnx.docsPerSecond / parity.app.docsPerSecond),
    ...(tfjs ? { onnxSpeedupOverTfjsApp: round(parity.onnx.docsPerSecond / tfjs.docsPerSecond) } : {}),
    int8SpeedupOverOnnx: round(int8.docsPerSecond / parity.onnx.docsPerSecond),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-onnx-'));
  try {
    const corpus = loadSpamAssassin();
    const train = SPAM_LABELS.flatMap((label) => spread(corpus.train.filter((e) => e.label === label), label === 'ham' ? 400 : 150)).map(toExample);
    const test = spread(corpus.test, TEST_DOCS).map(toExample);
    const bert = await writeTinyBert(join(dir, 'tiny-bert'));
    return {
      note: 'same 500 SpamAssassin test bodies through each path in one run; docs/s after an 8-document warm-up; other helpers shared the 2 cores',
      useLite: await benchEncoder(dir, 'use-lite', train, test),
      tinyBert: await benchEncoder(dir, `hf:${bert}`, train, test),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(JSON.stringify(await run(), null, 2));
