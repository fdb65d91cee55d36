// Where the files shipped beside the code live (resources/ at the package root), from sources or a bundle.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest folder above this module holding resources/ and package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources')))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package root with resources/ above ${fileURLToPath(import.meta.url)}.`);
    dir = parent;
  }
  return dir;
}

export function defaultSamplePath(): string {
  return join(packageRoot(), 'resources', 'sample', 'sample.json');
}
