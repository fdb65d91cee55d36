// The browser host under load (issue 9): a project of 1,000,000 documents, its imbalance review timed in place
// (what every client waited for when the review ran on the host's loop) and through the host (in a thread), and
// the latency 50 other clients see for a light call (the open project's header) while that review runs. The label
// list (which the host also answers from a thread at this size) and a page of documents are timed in place too.
// Run alone: `npx tsx bench/host.ts`.
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startHost } from '../electron/backend/host/host.js';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { hostClient } from '../test/fixtures/host-client.js';

const DOCUMENTS = 1_000_000;
const CLIENTS = 50;
const workDir = path.join(os.tmpdir(), 'finetune-bench-host');
const round = (value: number, digits = 3) => Number(value.toFixed(digits));

/** Short tickets over four classes, one of them about 1 in 89: written once and kept between runs. */
async function largeProject(): Promise<{ file: string; importSeconds: number | null }> {
  const file = path.join(workDir, `large-${DOCUMENTS}.ftproj`);
  if (existsSync(file)) return { file, importSeconds: null };
  mkdirSync(workDir, { recursive: true });
  const csv = path.join(workDir, 'large.csv');
  const out = createWriteStream(csv);
  const words = 'invoice refund crash login error payment account shipping order late broken password screen update'.split(' ');
  out.write('text,label\n');
  for (let i = 0; i < DOCUMENTS; i++) {
    const text = Array.from({ length: 12 }, (_, k) => words[(i * 7 + k * 13 + (i >> k)) % words.length]).join(' ');
    const label = i % 89 === 0 ? 'urgent' : ['billing', 'bug', 'account'][i % 3];
    if (!out.write(`${text} ${i},${label}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const started = performance.now();
  const temporary = `${file}.partial`;
  rmSync(temporary, { force: true });
  const store = ProjectStore.create(temporary, { name: 'large', task: 'single_label' });
  await store.importSources([csv], { textCol: 'text', labelCol: 'label' });
  store.close();
  renameSync(temporary, file);
  rmSync(csv);
  return { file, importSeconds: round((performance.now() - started) / 1000, 1) };
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export async function run(): Promise<Record<string, unknown>> {
  const { file, importSeconds } = await largeProject();
  const store = ProjectStore.open(file);
  const inPlaceStarted = performance.now();
  const review = store.review();
  const reviewInPlaceSeconds = (performance.now() - inPlaceStarted) / 1000;
  const timed = (read: () => unknown) => {
    const started = performance.now();
    read();
    return round((performance.now() - started) / 1000);
  };
  const otherReadsInPlaceSeconds = {
    labelList: timed(() => store.labels()),
    documentPage: timed(() => store.queryDocuments({ limit: 50, offset: 0 })),
  };
  store.close();

  const dataDir = path.join(workDir, 'host-data');
  rmSync(dataDir, { recursive: true, force: true });
  const staticDir = path.join(workDir, 'static');
  mkdirSync(staticDir, { recursive: true });
  const host = await startHost({ dataDir, staticDir });
  try {
    const reviewer = await hostClient(host);
    await reviewer.call('projects:open', { path: file });
    const others = await Promise.all(Array.from({ length: CLIENTS }, () => hostClient(host)));
    const latencies: number[] = [];
    let reviewing = true;
    const hostStarted = performance.now();
    const reviewed = reviewer.call('review:imbalance').finally(() => (reviewing = false));
    // Each client calls again as soon as it is answered, for as long as the review runs.
    await Promise.all(
      others.map(async (client) => {
        while (reviewing) {
          const sent = performance.now();
          await client.call('projects:current');
          latencies.push(performance.now() - sent);
        }
      }),
    );
    const viaHost = await reviewed;
    const reviewViaHostSeconds = (performance.now() - hostStarted) / 1000;
    for (const client of [reviewer, ...others]) client.ws.close();
    latencies.sort((a, b) => a - b);
    return {
      documents: review.documents,
      importSeconds,
      reviewInPlaceSeconds: round(reviewInPlaceSeconds),
      otherReadsInPlaceSeconds,
      reviewViaHostSeconds: round(reviewViaHostSeconds),
      sameReview: JSON.stringify(viaHost) === JSON.stringify(review),
      clients: CLIENTS,
      callsAnsweredDuringReview: latencies.length,
      latencyMs: { p50: round(percentile(latencies, 0.5), 1), p95: round(percentile(latencies, 0.95), 1), max: round(latencies.at(-1) ?? 0, 1) },
    };
  } finally {
    await host.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(JSON.stringify(await run(), null, 2));
