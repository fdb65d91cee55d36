// File names from the outside world (a project's name, an uploaded file's name), made safe for the disk.
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

/** A file name that is safe on every platform and cannot climb out of its folder. */
export function safeFileName(name: string): string {
  const cleaned = basename(name.replace(/\\/g, '/'))
    .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 120);
  return cleaned || 'file';
}

/** `dir/name.ext`, or `dir/name (2).ext` ... when taken (also by an upload still in progress). */
export function freePath(dir: string, fileName: string, taken: (path: string) => boolean = () => false): string {
  const ext = extname(fileName);
  const stem = fileName.slice(0, fileName.length - ext.length);
  let candidate = join(dir, fileName);
  for (let n = 2; existsSync(candidate) || taken(candidate); n++) candidate = join(dir, `${stem} (${n})${ext}`);
  return candidate;
}
