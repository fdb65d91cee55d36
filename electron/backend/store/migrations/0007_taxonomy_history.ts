// Schema version 7: the taxonomy's changes are kept, newest last, with what each one touched, so a rename, merge or
// delete can be undone (taxonomy-history.ts); and the project records when its labeled data last changed, so a run
// can say "the data changed since this run" after a reload too.
import type { Migration } from './index.js';

export const taxonomyHistory: Migration = {
  version: 7,
  up(db) {
    db.exec(`
      CREATE TABLE taxonomy_changes (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('rename', 'merge', 'delete')),
        summary TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1))
      );
      ALTER TABLE projects ADD COLUMN data_changed_at TEXT;
    `);
  },
};
