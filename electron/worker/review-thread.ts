// The imbalance review of a large project, in a worker thread of the process that owns the project
// (electron/backend/app/heavy-reads.ts): its own read-only connection sees what is committed, and the host keeps
// answering every other call meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import type { ReviewRequest, ReviewReply } from '../backend/app/heavy-reads.js';
import { reviewProject } from '../backend/review.js';
import { openReadConnection } from '../backend/store/database.js';

const { file, task, testFraction } = workerData as ReviewRequest;
let reply: ReviewReply;
try {
  const db = openReadConnection(file);
  try {
    reply = { review: reviewProject(db, task, testFraction) };
  } finally {
    db.close();
  }
} catch (error) {
  reply = { error: `${file}: the review failed: ${(error as Error).message}` };
}
parentPort!.postMessage(reply);
