// Schema version 4: synthetic examples get their own tables instead of JSON inside documents.metadata. A document
// is synthetic exactly when it has a synthetic_documents row; its parents are rows of synthetic_parents (no foreign
// key: a parent may be deleted, and the review says so). Existing provenance moves over and leaves the metadata.
import type { Migration } from './index.js';

export const syntheticTables: Migration = {
  version: 4,
  up(db) {
    db.exec(`
      CREATE TABLE synthetic_documents (
        document_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
        method TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
        edited INTEGER NOT NULL DEFAULT 0 CHECK (edited IN (0, 1)),
        reviewer TEXT
      );
      CREATE INDEX synthetic_documents_status ON synthetic_documents (status);
      CREATE TABLE synthetic_parents (
        document_id INTEGER NOT NULL REFERENCES synthetic_documents (document_id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        parent_id INTEGER NOT NULL,
        PRIMARY KEY (document_id, position)
      ) WITHOUT ROWID;

      INSERT INTO synthetic_documents (document_id, method, status, edited)
        SELECT id, json_extract(metadata, '$.synthetic.method'), json_extract(metadata, '$.synthetic.status'),
               CASE WHEN json_extract(metadata, '$.synthetic.edited') THEN 1 ELSE 0 END
          FROM documents WHERE json_extract(metadata, '$.synthetic') IS NOT NULL;
      INSERT INTO synthetic_parents (document_id, position, parent_id)
        SELECT d.id, p.key, p.value FROM documents d, json_each(d.metadata, '$.synthetic.parents') p
         WHERE json_extract(d.metadata, '$.synthetic') IS NOT NULL;
      UPDATE documents SET metadata = json_remove(metadata, '$.synthetic') WHERE json_extract(metadata, '$.synthetic') IS NOT NULL;
    `);
  },
};
