// "Fine-tune top-1" as a candidate beside the strategy search's pick: USE-lite's top layer fine-tuned on part of the
// training split and scored on the rest, against the pick's out-of-fold predictions of the same documents (the test
// split is never read). It runs only within what is left of the search's time: a run that would not fit is stopped
// and reported as not tried, with its projected time. Chosen only when the paired interval of the difference is
// above 0, because fine-tuning often gains little over a strong frozen baseline.
import type { FineTuneComparison } from '../../../../shared/domain.js';
import { macroF1, pairedBootstrapMacroF1 } from '../../../../shared/metrics.js';
import { stratifiedSplit } from '../../../../shared/split.js';
import { isCancelled } from '../../cancel.js';
import { loadEncoder } from '../../encoders/index.js';
import { initTensorflow } from '../../tf/backend.js';
import { decideRow } from '../agent/scoring.js';
import type { Featurized } from '../featurize.js';
import type { HeadOutcome } from '../fit-linear.js';
import type { TrainJob } from '../job.js';
import type { PreparedData } from '../prepare.js';
import { samplingCounts, samplingGroups } from '../sampling.js';
import { DEFAULT_FINE_TUNE, fineTune, scoreSequences } from './fine-tune.js';
import { fitLinearProbe } from './linear-probe.js';
import { USE_LITE_TOKENS } from './saved-model.js';
import { UseLiteClassifier } from './use-lite-trainable.js';

/** Share of the training documents the candidate is scored on (the rest trains it, a tenth of that stops it). */
const HELD_OUT_SHARE = 0.25;
const MIN_SECONDS = 15;
const EPOCHS = 3;

export async function compareFineTuning(job: TrainJob, data: PreparedData, featurized: Featurized, head: HeadOutcome, budgetSeconds: number, signal?: AbortSignal): Promise<FineTuneComparison> {
  if (job.task !== 'single_label') return { tried: false, reason: 'it is measured for single-label projects only' };
  if (job.encoder !== 'use-lite' || job.pairs) return { tried: false, reason: 'it is measured with the shipped USE-lite encoder on single texts only' };
  if (!head.outOfFold) return { tried: false, reason: 'the strategy search did not run, so there is nothing to compare it with' };
  if (budgetSeconds < MIN_SECONDS) return { tried: false, reason: `the search used its time budget (${Math.max(0, Math.round(budgetSeconds))} s left)` };
  const started = Date.now();
  const K = job.labels.length;
  const { rows, logits } = head.outOfFold;
  const examples = rows.map((r) => featurized.example[r]);
  const truth = examples.map((e) => data.classesOf[e]);
  const parts = stratifiedSplit({ labels: truth, groups: examples.map((e) => data.keys[e]), valFraction: 0.1, testFraction: HELD_OUT_SHARE, seed: job.settings.seed + 1, multiLabel: false });

  const { tf } = await initTensorflow();
  const encoder = await loadEncoder('use-lite', { maxTokens: USE_LITE_TOKENS, longDocs: 'truncate' });
  let ids: number[][];
  try {
    ids = (await encoder.tokenize(examples.map((e) => data.all[e].text))).map((s) => (s.length > 0 ? s.slice(0, USE_LITE_TOKENS) : [0]));
  } finally {
    await encoder.dispose();
  }
  const dim = featurized.encoder.dim;
  const frozen = (i: number) => Float32Array.from(featurized.features.dense.subarray(rows[i] * dim, (rows[i] + 1) * dim));
  const model = new UseLiteClassifier(tf, K, await fitLinearProbe(tf, parts.train.map(frozen), parts.train.map((i) => truth[i]), K, head.loss));
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal?.addEventListener('abort', stop);
  let projected = 0;
  try {
    const counts = Array.from({ length: K }, (_, c) => parts.train.filter((i) => truth[i][0] === c).length);
    const repeats = Array.from(samplingCounts(head.spec.sampling, samplingGroups(parts.train.map((i) => truth[i]), counts), job.settings.seed));
    await fineTune(tf, model, { padId: 0 }, {
      task: job.task,
      classes: K,
      train: { ids: parts.train.map((i) => ids[i]), targets: parts.train.map((i) => truth[i]), repeats },
      val: { ids: parts.val.map((i) => ids[i]), targets: parts.val.map((i) => truth[i]) },
    }, head.loss, { ...DEFAULT_FINE_TUNE, depth: { kind: 'top', layers: 1 }, epochs: EPOCHS, seed: job.settings.seed }, (p) => {
      const elapsed = (Date.now() - started) / 1000;
      if (p.etaSeconds !== null && elapsed + p.etaSeconds > budgetSeconds) {
        projected = elapsed + p.etaSeconds;
        controller.abort();
      }
    }, controller.signal);
    const scored = await scoreSequences(tf, model, parts.test.map((i) => ids[i]), 0, 32, signal);
    const yTrue = parts.test.map((i) => truth[i][0]);
    const fineTuned = scored.map((z) => decideRow(job.task, z, null)[0]);
    const frozenHead = parts.test.map((i) => decideRow(job.task, logits.subarray(i * K, (i + 1) * K), null)[0]);
    const boot = pairedBootstrapMacroF1(yTrue, fineTuned, frozenHead, K, { iterations: 1000, seed: job.settings.seed });
    const f1 = (pred: number[]) => macroF1(yTrue, pred, K);
    const estimate = (m: number, [low, high]: [number, number]) => ({ mean: m, low, high });
    const difference = estimate(f1(fineTuned) - f1(frozenHead), boot.difference);
    return {
      tried: true,
      documents: parts.test.length,
      fineTuned: estimate(f1(fineTuned), boot.a),
      head: estimate(f1(frozenHead), boot.b),
      difference,
      seconds: (Date.now() - started) / 1000,
      chosen: difference.low > 0,
    };
  } catch (error) {
    if (signal?.aborted || !isCancelled(error) || projected === 0) throw error;
    return { tried: false, reason: `it would take about ${Math.round(projected)} s on this computer, more than the ${Math.round(budgetSeconds)} s left of the search's time (raise "Time for measuring" to include it)` };
  } finally {
    signal?.removeEventListener('abort', stop);
    model.dispose();
  }
}
