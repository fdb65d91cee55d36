// Schema version 6: token projects (task 'token'). The projects table is rebuilt to widen its task check and gains
// tag_scheme ('entities' or 'tags', set by the first token import). Each document of a token project has its words
// (character offsets, as the importer or the tokenizer cut them) and whether its marks are finished; its marks are
// entity spans of one label each, which follow a label's rename and merge and go with its deletion.
import type { Migration } from './index.js';

export const tokenTasks: Migration = {
  version: 6,
  up(db) {
    db.exec(`
      CREATE TABLE projects_v6 (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        task TEXT NOT NULL CHECK (task IN ('single_label', 'multi_label', 'token')),
        encoder TEXT NOT NULL DEFAULT 'use-lite',
        created_at TEXT NOT NULL,
        pair_column TEXT,
        tag_scheme TEXT CHECK (tag_scheme IN ('entities', 'tags'))
      );
      INSERT INTO projects_v6 (id, name, task, encoder, created_at, pair_column)
        SELECT id, name, task, encoder, created_at, pair_column FROM projects;
      DROP TABLE projects;
      ALTER TABLE projects_v6 RENAME TO projects;

      CREATE TABLE token_documents (
        document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
        words TEXT NOT NULL,
        annotated INTEGER NOT NULL DEFAULT 0 CHECK (annotated IN (0, 1)),
        author TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE entity_spans (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        label_id INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('imported', 'manual')),
        author TEXT,
        created_at TEXT NOT NULL,
        CHECK (start < end)
      );
      CREATE INDEX entity_spans_document ON entity_spans (document_id);
      CREATE INDEX entity_spans_label ON entity_spans (label_id);
    `);
  },
};
