// The desktop shell, where an Electron binary exists: the window loads the wizard over app://, the page has
// exactly window.finetune (no Node), the API answers, and navigation away is refused. Skips (saying why) elsewhere.
import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

function electronBinary(): { path: string } | { why: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path === 'string' && existsSync(path)) return { path };
    return { why: 'node_modules/electron has no binary' };
  } catch (error) {
    return { why: (error as Error).message.split('\n')[0] };
  }
}

const binary = electronBinary();

test('the Electron window exposes exactly the typed API and refuses navigation', async () => {
  test.skip('why' in binary, `Electron binary not installed here: ${'why' in binary ? binary.why : ''}`);
  test.skip(!existsSync(join(root, 'dist', 'electron', 'main', 'main.js')), 'run `npm run build` first (dist/electron is missing)');
  const userData = mkdtempSync(join(tmpdir(), 'finetune-electron-'));
  const app = await electron.launch({
    executablePath: (binary as { path: string }).path,
    args: [root, `--user-data-dir=${userData}`],
    env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' },
  });
  try {
    const window = await app.firstWindow();
    await expect(window.getByRole('heading', { level: 1, name: 'Projects' })).toBeVisible();
    expect(window.url()).toBe('app://renderer/index.html');
    const surface = await window.evaluate(() => ({
      keys: Object.keys((window as unknown as { finetune: object }).finetune).sort(),
      node: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
    }));
    expect(surface).toEqual({ keys: ['invoke', 'on'], node: 'undefined', process: 'undefined' });
    const recent = await window.evaluate(() =>
      (window as unknown as { finetune: { invoke(c: string, a?: unknown): Promise<unknown> } }).finetune.invoke('projects:recent'),
    );
    expect(recent).toEqual([]);
    await expect(
      window.evaluate(() => (window as unknown as { finetune: { invoke(c: string): Promise<unknown> } }).finetune.invoke('shell:exec')),
    ).rejects.toThrow(/Unknown request channel/);
    await window.evaluate(() => {
      location.href = 'https://example.org/';
    });
    await window.waitForTimeout(500);
    expect(window.url()).toBe('app://renderer/index.html');
  } finally {
    await app.close();
    rmSync(userData, { recursive: true, force: true });
  }
});
