// Reads that grow with the project (the imbalance review, the label list with its counts), in a worker thread of
// the process that owns the project (electron/backend/app/heavy-reads.ts): its own read-only connection sees what
// is committed, and the host keeps answering every other call meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import type { HeavyRead, HeavyReply } from '../backend/app/heavy-reads.js';
import { reviewProject } from '../backend/review.js';
import { openReadConnection } from '../backend/store/database.js';
import { listLabels } from '../backend/store/taxonomy.js';

const request = workerData as HeavyRead;
let reply: HeavyReply;
try {
  const db = openReadConnection(request.file);
  try {
    reply = request.kind === 'review' ? { review: reviewProject(db, request.task, request.testFraction) } : { labels: listLabels(db) };
  } finally {
    db.close();
  }
} catch (error) {
  reply = { error: `${request.file}: ${request.kind === 'review' ? 'the review' : 'reading the labels'} failed: ${(error as Error).message}` };
}
parentPort!.postMessage(reply);
