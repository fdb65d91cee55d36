// Folder imports: each immediate subfolder names a label (its files are collected recursively),
// files directly in the folder are unlabeled.
import { statSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface FolderFile {
  path: string;
  /** Path relative to the imported folder, with forward slashes. */
  relative: string;
  label: string | null;
  size: number;
}

/** Hidden files and folders (.DS_Store, .git) are not documents. */
const isHidden = (name: string) => name.startsWith('.');

async function collect(root: string, dir: string, label: string | null, into: FolderFile[], visited: Set<string>): Promise<void> {
  // A link back to a folder already walked (a loop, or the same data twice) is not walked again.
  const real = await realpath(dir);
  if (visited.has(real)) return;
  visited.add(real);
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => !isHidden(entry.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    // Symbolic links are followed: a label folder may well be a link to the real data.
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path)).isDirectory());
    if (isDirectory) await collect(root, path, label ?? (dir === root ? entry.name : null), into, visited);
    else files.push(path);
  }
  // statSync on purpose: one promise per file through the thread pool costs more than the stat itself.
  for (const path of files) into.push({ path, relative: relative(root, path).split(sep).join('/'), label, size: statSync(path).size });
}

/** Every file under root (sorted, hidden ones left out) with the label its place gives it. */
export async function listFolder(root: string): Promise<FolderFile[]> {
  const files: FolderFile[] = [];
  await collect(root, root, null, files, new Set());
  return files;
}
