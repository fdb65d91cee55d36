// The recent-projects list, kept as JSON in the data folder. A damaged file is treated as empty: it is a
// convenience list, never the only record of anything.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecentProject } from '../../../shared/api.js';

const MAX_RECENT = 12;

export class RecentProjects {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'recent.json');
  }

  /** Most recent first, without projects whose file has gone. */
  list(): RecentProject[] {
    return this.read().filter((p) => existsSync(p.path));
  }

  remember(path: string, name: string): void {
    const others = this.read().filter((p) => p.path !== path);
    const next = [{ path, name, openedAt: new Date().toISOString() }, ...others].slice(0, MAX_RECENT);
    writeFileSync(this.file, JSON.stringify(next, null, 2));
  }

  private read(): RecentProject[] {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      return Array.isArray(parsed)
        ? parsed.filter((p): p is RecentProject => typeof p?.path === 'string' && typeof p?.name === 'string')
        : [];
    } catch {
      return [];
    }
  }
}
