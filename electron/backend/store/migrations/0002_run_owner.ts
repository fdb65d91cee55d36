// Schema version 2: each run records the process that owns it, so opening a project elsewhere (the CLI while the
// app trains) never mistakes a live run for one cut short by a crash.
import type { Migration } from './index.js';

export const runOwner: Migration = {
  version: 2,
  up(db) {
    db.exec('ALTER TABLE runs ADD COLUMN owner_pid INTEGER');
  },
};
