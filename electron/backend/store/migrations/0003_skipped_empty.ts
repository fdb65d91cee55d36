// Schema version 3: empty texts skipped at import are remembered by place (file, row or path), so importing the same
// file again does not count them twice in the review.
import type { Migration } from './index.js';

export const skippedEmpty: Migration = {
  version: 3,
  up(db) {
    db.exec(`
      CREATE TABLE skipped_empty (
        source_file TEXT NOT NULL,
        source_ref TEXT NOT NULL,
        PRIMARY KEY (source_file, source_ref)
      ) WITHOUT ROWID;
    `);
  },
};
