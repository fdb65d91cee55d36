// What kind of source a path is, and file system errors in plain words.
import { extname } from 'node:path';

const DELIMITED_EXTENSIONS = new Set(['.csv', '.tsv', '.tab']);
const JSONL_EXTENSIONS = new Set(['.jsonl', '.ndjson']);
export type SourceFormat = 'delimited' | 'jsonl' | 'document';

export function formatOf(path: string): SourceFormat {
  const extension = extname(path).toLowerCase();
  if (DELIMITED_EXTENSIONS.has(extension)) return 'delimited';
  if (JSONL_EXTENSIONS.has(extension)) return 'jsonl';
  return 'document';
}

/** A file system error in plain words. */
export function describeFsError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT': return 'file or folder not found';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a folder, not a file';
    default: return error.message;
  }
}
