// How long fine-tuning would take, measured on this computer before the user commits to it: the model is built
// as the run builds it, and training steps on the project's own documents are timed; the run's step count
// (epochs × batches, validation passes) turns that into minutes.
import type { FineTuneEstimate } from '../../../../shared/domain.js';
import { createRng, shuffleInPlace } from '../../../../shared/random.js';
import { throwIfAborted } from '../../cancel.js';
import { loadEncoder } from '../../encoders/index.js';
import { initTensorflow } from '../../tf/backend.js';
import type { TrainJob } from '../job.js';
import { checkContrastiveEncoder, contrastivePairCount, contrastiveTune } from './contrastive.js';
import { batchGradients } from './fine-tune.js';
import { loadTransformerClassifier, loadTransformerTokenizer, readTransformerFolder } from './hf-folder.js';
import { fineTuneSettingsOf, validationShareOf } from './job.js';
import { USE_LITE_TOKENS } from './saved-model.js';
import type { TrainableClassifier } from './trainable.js';
import { UseLiteClassifier } from './use-lite-trainable.js';

/** WebGPU over the 2-core wasm CPU on one transformer layer's training step (../shared/notes/gpu.md, an H100). */
const WEBGPU_SPEEDUP = 49;
/** A forward pass costs about a third of a training step (backward is about twice the forward). */
const FORWARD_SHARE = 1 / 3;

export async function estimateFineTune(job: TrainJob, signal?: AbortSignal): Promise<FineTuneEstimate> {
  const tune = fineTuneSettingsOf(job.settings);
  if (tune.depth.kind === 'head') throw new Error('estimate: depth "head" trains no encoder weight; nothing to estimate');
  const rt = await initTensorflow();
  const { tf } = rt;
  const K = job.labels.length;
  const rng = createRng(job.settings.seed);
  const sample = shuffleInPlace(job.examples.map((e) => e.text), rng).slice(0, tune.batchSize * 2);
  const maxLength = job.settings.fineTune?.maxLength ?? 128;
  let model: TrainableClassifier;
  let ids: number[][];
  let padId = 0;
  let probeSecondsPerDocument = 0;
  if (tune.depth.kind === 'contrastive') checkContrastiveEncoder(job.encoder);
  if (job.encoder === 'use-lite') {
    const encoder = await loadEncoder('use-lite', { maxTokens: USE_LITE_TOKENS, longDocs: 'truncate' });
    try {
      ids = (await encoder.tokenize(sample)).map((s) => (s.length > 0 ? s.slice(0, Math.min(maxLength, USE_LITE_TOKENS)) : [0]));
      if (tune.depth.kind !== 'contrastive') {
        // The run first fits a head on the frozen vectors of every training document.
        const started = performance.now();
        await encoder.embed(sample);
        probeSecondsPerDocument = (performance.now() - started) / 1000 / sample.length;
      }
    } finally {
      await encoder.dispose();
    }
    model = new UseLiteClassifier(tf, K);
  } else {
    const source = await readTransformerFolder(job.encoder.slice(3));
    const tokenizer = await loadTransformerTokenizer(source, maxLength);
    ids = sample.map(tokenizer.encode);
    padId = tokenizer.padId;
    model = (await loadTransformerClassifier(tf, source, K, job.settings.seed)).model;
  }
  try {
    const variables = model.trainable(tune.depth);
    const targets = ids.map((_, i) => [i % K]);
    const loss = { kind: 'cross_entropy' as const, gamma: 0 };
    const contrastive = tune.depth.kind === 'contrastive';
    const timeStep = async (from: number): Promise<number> => {
      const rows = ids.slice(from, from + tune.batchSize);
      if (contrastive && model instanceof UseLiteClassifier) {
        // A pair step: both sides of batchSize pairs through the body, backward and AdamW.
        const pairs = rows.map((_, i) => ({ left: from + i, right: from + ((i + 1) % rows.length), similar: (i % 2) as 0 | 1 }));
        return (await contrastiveTune(tf, model, ids, padId, pairs, { ...tune, freezeEmbeddings: false }, undefined, signal)).secondsPerStep;
      }
      const started = performance.now();
      const { grads } = batchGradients(tf, model, loss, rows, targets.slice(from, from + tune.batchSize), variables, padId, 1);
      for (const g of grads) g.dispose();
      return (performance.now() - started) / 1000;
    };
    await timeStep(0); // the first step also compiles kernels and allocates
    throwIfAborted(signal);
    const secondsPerStep = await timeStep(ids.length > tune.batchSize ? tune.batchSize : 0);
    throwIfAborted(signal);

    const labeled = job.examples.length;
    const train = Math.max(1, Math.round(labeled * (1 - job.settings.testFraction) * (1 - validationShareOf(job.settings))));
    const validation = Math.max(1, Math.round(labeled * (1 - job.settings.testFraction)) - train);
    const test = Math.max(0, labeled - train - validation);
    const epochs = contrastive ? 1 : tune.epochs;
    const steps = contrastive ? Math.ceil(contrastivePairCount(train, tune.pairs) / tune.batchSize) : Math.ceil(train / tune.batchSize) * epochs;
    // Contrastive: one pass to embed the training documents for the head, then validation and test once.
    const scoringBatches = Math.ceil((contrastive ? train + validation : validation * (epochs + 1)) / tune.batchSize) + Math.ceil(test / tune.batchSize);
    const seconds = steps * secondsPerStep + scoringBatches * secondsPerStep * FORWARD_SHARE + train * probeSecondsPerDocument;
    return {
      depth: job.settings.depth ?? 'head',
      backend: rt.backend,
      batchSize: tune.batchSize,
      secondsPerStep,
      steps,
      epochs,
      seconds,
      // The ratio was measured against wasm; for a native or GPU backend there is no honest figure to give.
      gpuSeconds: rt.backend === 'wasm' || rt.backend === 'cpu' ? seconds / WEBGPU_SPEEDUP : null,
    };
  } finally {
    model.dispose();
  }
}
