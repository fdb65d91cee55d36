// Starts the browser host for a spec: a fresh temporary data folder (projects, uploads, models, embedding cache),
// the built renderer, the real training worker. `url` already carries the one-time token.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type Host } from '../../electron/backend/host/host.js';

export const RENDERER_DIST = join(import.meta.dirname, '..', '..', 'renderer', 'dist');

export interface TestHost {
  url: string;
  token: string;
  /** The host's origin, e.g. http://127.0.0.1:43123 */
  origin: string;
  dataDir: string;
  host: Host;
  close(): Promise<void>;
}

export async function startTestHost(opts: { keepData?: boolean } = {}): Promise<TestHost> {
  if (!existsSync(join(RENDERER_DIST, 'index.html'))) {
    throw new Error(`${RENDERER_DIST} has no index.html: run \`npm run build\` before the e2e specs.`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'finetune-e2e-'));
  const host = await startHost({ dataDir, staticDir: RENDERER_DIST });
  return {
    url: host.url,
    token: host.token,
    origin: new URL(host.url).origin,
    dataDir,
    host,
    async close() {
      await host.close();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
