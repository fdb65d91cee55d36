// Reads that grow with the project run off the event loop of the process that owns it: the browser host and the
// window's process serve every client from one loop, and a million-document review holding it stalls them all.
import { Worker } from 'node:worker_threads';
import type { ImbalanceReview, LabelInfo, TaskKind } from '../../../shared/domain.js';
import type { ProjectStore } from '../store/project-store.js';
import { threadEntry } from '../thread-entry.js';

/** Below this many documents these reads take milliseconds: a thread would only add its start-up. */
export const HEAVY_READ_IN_THREAD_FROM = 20_000;

export type HeavyRead = { file: string } & ({ kind: 'review'; task: TaskKind; testFraction?: number } | { kind: 'labels' });

export type HeavyReply = { review: ImbalanceReview } | { labels: LabelInfo[] } | { error: string };

function inThread<T>(store: ProjectStore, request: HeavyRead, pick: (reply: HeavyReply) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(threadEntry('heavy-read-thread'), { workerData: request });
    let settled = false;
    thread.once('message', (reply: HeavyReply) => {
      settled = true;
      const value = pick(reply);
      if (value !== undefined) resolve(value);
      else reject(new Error('error' in reply ? reply.error : `${store.file}: the read's thread answered something else`));
    });
    thread.once('error', (error) => {
      settled = true;
      reject(error);
    });
    thread.once('exit', (code) => {
      if (!settled) reject(new Error(`${store.file}: the read's thread ended (code ${code}) before it answered.`));
    });
  });
}

/** The project's imbalance review: in place for a small project, in a worker thread for a large one. */
export function reviewOffLoop(store: ProjectStore, threadFrom = HEAVY_READ_IN_THREAD_FROM): Promise<ImbalanceReview> {
  if (store.documentCountBound() < threadFrom) return Promise.resolve(store.review());
  return inThread(store, { file: store.file, kind: 'review', task: store.labelTask() }, (reply) => ('review' in reply ? reply.review : undefined));
}

/** The labels with their document counts: in place for a small project, in a worker thread for a large one. */
export function labelsOffLoop(store: ProjectStore, threadFrom = HEAVY_READ_IN_THREAD_FROM): Promise<LabelInfo[]> {
  if (store.documentCountBound() < threadFrom) return Promise.resolve(store.labels());
  return inThread(store, { file: store.file, kind: 'labels' }, (reply) => ('labels' in reply ? reply.labels : undefined));
}
