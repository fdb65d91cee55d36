// Encoder throughput on real e-mails: documents and tokens per second for each backend at the shipped settings
// (and the other long-document modes on the default backend), load times, and the matmul GFLOPS of the tfjs
// backend measured in the same run for reference. Run alone: `npx tsx bench/encoder.ts`.
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadEncoder, type LoadEncoderOptions } from '../electron/backend/encoders/index.js';
import { encodeForWindows, tokenWindows } from '../electron/backend/encoders/long-docs.js';
import { loadUseLiteTokenizer } from '../electron/backend/encoders/tokenizer.js';
import { DEFAULT_USE_LITE_OPTIONS } from '../electron/backend/encoders/use-lite.js';
import { initTensorflow } from '../electron/backend/tf/backend.js';
import { loadSpamAssassin } from '../test/fixtures/corpora.js';

const DOCUMENTS = 300;

/** 300 SpamAssassin bodies (headers stripped), spread over every group. */
function sampleEmails(): string[] {
  const all = loadSpamAssassin().all;
  const step = Math.floor(all.length / DOCUMENTS);
  return Array.from({ length: DOCUMENTS }, (_, i) => all[i * step].text);
}

async function embeddedTokens(texts: string[], opts: { maxTokens: number; longDocs: 'truncate' | 'head_tail' | 'chunk_mean' }): Promise<number> {
  const tokenizer = await loadUseLiteTokenizer();
  return texts.reduce(
    (sum, text) => sum + tokenWindows(encodeForWindows(tokenizer, text, opts.maxTokens, opts.longDocs), opts.maxTokens, opts.longDocs).reduce((n, w) => n + w.length, 0),
    0,
  );
}

async function measure(texts: string[], opts: LoadEncoderOptions) {
  const settings = { ...DEFAULT_USE_LITE_OPTIONS, ...opts };
  const loadStart = performance.now();
  const encoder = await loadEncoder('use-lite', opts);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  await encoder.embed(texts.slice(0, 8)); // first-call allocations, kernels
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  await encoder.embed(texts);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await encoder.dispose();
  const tokens = await embeddedTokens(texts, settings);
  return {
    backend: encoder.backend,
    encoder_id: encoder.id,
    load_seconds: round(loadSeconds),
    docs_per_second: round(texts.length / seconds),
    tokens_per_second: Math.round(tokens / seconds),
    tokens_embedded: tokens,
    seconds: round(seconds),
    // The CPU is shared with other work: CPU-seconds (all threads of this process) show the cost independent of load.
    cpu_seconds: round(cpuSeconds),
    docs_per_cpu_second: round(texts.length / cpuSeconds),
  };
}

/** Tokenising what the default settings read (prefix-only for long texts), and whole texts (for lexical features). */
async function tokenizerSpeed(texts: string[]) {
  const tokenizer = await loadUseLiteTokenizer();
  const { maxTokens, longDocs } = DEFAULT_USE_LITE_OPTIONS;
  let start = performance.now();
  for (const text of texts) encodeForWindows(tokenizer, text, maxTokens, longDocs);
  const windowsSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  let tokens = 0;
  for (const text of texts) tokens += tokenizer.encode(text).length;
  const fullSeconds = (performance.now() - start) / 1000;
  return {
    default_windows_docs_per_second: round(texts.length / windowsSeconds),
    whole_text_docs_per_second: round(texts.length / fullSeconds),
    whole_text_tokens_per_second: Math.round(tokens / fullSeconds),
  };
}

async function matmulGflops(size = 1024, repeats = 5): Promise<{ backend: string; gflops: number }> {
  const { tf, backend } = await initTensorflow();
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  const warm = tf.matMul(a, b);
  await warm.data();
  warm.dispose();
  const start = performance.now();
  for (let i = 0; i < repeats; i++) {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([a, b]);
  return { backend, gflops: round((2 * size ** 3 * repeats) / seconds / 1e9) };
}

const round = (x: number) => Math.round(x * 100) / 100;

export async function run(): Promise<Record<string, unknown>> {
  const loadAtStart = round(os.loadavg()[0]);
  const texts = sampleEmails();
  const onnx = await measure(texts, { backend: 'onnx' });
  const tfjs = await measure(texts, { backend: 'tfjs' });
  const matmul = await matmulGflops();
  const tokenizer = await tokenizerSpeed(texts);
  const modes: Record<string, unknown> = {};
  for (const longDocs of ['head_tail', 'chunk_mean'] as const) modes[longDocs] = await measure(texts, { backend: 'onnx', longDocs });
  modes.truncate_64 = await measure(texts, { backend: 'onnx', maxTokens: 64 });
  const { notes } = await initTensorflow();
  return {
    documents: texts.length,
    corpus: 'SpamAssassin bodies (headers stripped), every group',
    settings: DEFAULT_USE_LITE_OPTIONS,
    cores: os.availableParallelism(),
    load_average_1m_at_start: loadAtStart,
    load_average_1m_at_end: round(os.loadavg()[0]),
    onnxruntime: onnx,
    tfjs,
    onnx_speedup_over_tfjs: round(onnx.docs_per_second / tfjs.docs_per_second),
    tfjs_matmul_1024: matmul,
    tokenizer,
    tfjs_backend_notes: notes,
    other_long_doc_modes_on_onnx: modes,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
