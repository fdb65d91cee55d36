// The one definition of which documents are real and which are synthetic (schema version 4's tables), used by
// every reader: listings, label counts, the review, training data and the synthetic panel.

/** Condition on a document id column: the document is not synthetic. NOT IN over one list is evaluated once. */
export const isReal = (id: string): string => `${id} NOT IN (SELECT document_id FROM synthetic_documents)`;

/**
 * Condition on a document id column: the document is listed and counted — real, or a synthetic example that was
 * accepted. Pending and rejected candidates are reviewed in the synthetic panel and count nowhere.
 */
export const isListed = (id: string): string => `${id} NOT IN (SELECT document_id FROM synthetic_documents WHERE status != 'accepted')`;
