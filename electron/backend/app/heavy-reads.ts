// Reads that grow with the project run off the event loop of the process that owns it: the browser host and the
// window's process serve every client from one loop, and a million-document review holding it stalls them all.
import { Worker } from 'node:worker_threads';
import type { ImbalanceReview, TaskKind } from '../../../shared/domain.js';
import type { ProjectStore } from '../store/project-store.js';
import { threadEntry } from '../thread-entry.js';

/** Below this many documents the review takes milliseconds: a thread would only add its start-up. */
export const REVIEW_IN_THREAD_FROM = 20_000;

export interface ReviewRequest {
  file: string;
  task: TaskKind;
  testFraction?: number;
}

export type ReviewReply = { review: ImbalanceReview } | { error: string };

/** The project's imbalance review: in place for a small project, in a worker thread for a large one. */
export function reviewOffLoop(store: ProjectStore, threadFrom = REVIEW_IN_THREAD_FROM): Promise<ImbalanceReview> {
  if (store.documentCountBound() < threadFrom) return Promise.resolve(store.review());
  const request: ReviewRequest = { file: store.file, task: store.info().task };
  return new Promise((resolve, reject) => {
    const thread = new Worker(threadEntry('review-thread'), { workerData: request });
    let settled = false;
    thread.once('message', (reply: ReviewReply) => {
      settled = true;
      if ('review' in reply) resolve(reply.review);
      else reject(new Error(reply.error));
    });
    thread.once('error', (error) => {
      settled = true;
      reject(error);
    });
    thread.once('exit', (code) => {
      if (!settled) reject(new Error(`${store.file}: the review's thread ended (code ${code}) before it answered.`));
    });
  });
}
