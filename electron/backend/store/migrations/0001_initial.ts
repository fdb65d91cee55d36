// Schema version 1: the project, its documents, taxonomy, annotations, import history and training runs.
import type { Migration } from './index.js';

export const initialSchema: Migration = {
  version: 1,
  up(db) {
    db.exec(`
      CREATE TABLE projects (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        task TEXT NOT NULL CHECK (task IN ('single_label', 'multi_label')),
        encoder TEXT NOT NULL DEFAULT 'use-lite',
        created_at TEXT NOT NULL
      );

      CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL,
        source_file TEXT NOT NULL,
        source_ref TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        near_dup_key TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
      );
      CREATE INDEX documents_near_dup_key ON documents (near_dup_key);

      CREATE TABLE labels (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        ord INTEGER NOT NULL,
        colour TEXT NOT NULL
      );

      CREATE TABLE annotations (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        label_id INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('imported', 'manual', 'synthetic', 'predicted')),
        author TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (document_id, label_id, source)
      );
      CREATE INDEX annotations_label ON annotations (label_id);

      -- Exact duplicates skipped at import, kept so the review can report conflicting labels later.
      CREATE TABLE skipped_duplicates (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        source_file TEXT NOT NULL,
        source_ref TEXT NOT NULL,
        labels TEXT NOT NULL,
        conflicting INTEGER NOT NULL
      );
      CREATE INDEX skipped_duplicates_document ON skipped_duplicates (document_id);

      CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        finished_at TEXT NOT NULL,
        files TEXT NOT NULL,
        imported INTEGER NOT NULL,
        skipped INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        empty_skipped INTEGER NOT NULL,
        issues TEXT NOT NULL
      );

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
        settings TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        metrics TEXT,
        error TEXT,
        model_dir TEXT,
        split TEXT,
        history TEXT
      );

      CREATE TABLE run_predictions (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        document_id INTEGER REFERENCES documents (id) ON DELETE SET NULL,
        text TEXT NOT NULL,
        true_labels TEXT,
        predicted_labels TEXT NOT NULL,
        probabilities TEXT NOT NULL
      );
      CREATE INDEX run_predictions_run ON run_predictions (run_id);
    `);
  },
};
