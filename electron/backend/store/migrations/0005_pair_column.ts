// Schema version 5: a project of sentence pairs names the imported column that holds each document's second text
// (NULL: single texts), and a run's test predictions keep the second text of each pair.
import type { Migration } from './index.js';

export const pairColumn: Migration = {
  version: 5,
  up(db) {
    db.exec('ALTER TABLE projects ADD COLUMN pair_column TEXT; ALTER TABLE run_predictions ADD COLUMN pair TEXT;');
  },
};
