// npm start: the desktop app where Electron can run; otherwise (and with --browser, = npm run serve) the same UI
// served on 127.0.0.1 with a one-time token URL. Builds what is missing first.
//   npm start [-- --browser] [--port N] [--data-dir DIR]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHost } from '../electron/backend/host/host.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function build(part: '--renderer' | '--electron'): void {
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), part], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** The Electron binary, or the reason it cannot be used here, in words for the user. */
function findElectron(): { binary: string } | { why: string } {
  let binary: unknown;
  try {
    binary = createRequire(import.meta.url)('electron');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    return {
      why: missing
        ? 'the optional `electron` package is not installed (its binary download failed or was skipped)'
        : `the electron package is broken (${(error as Error).message.split('\n')[0]})`,
    };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { why: 'the Electron binary is missing from node_modules/electron' };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { why: 'there is no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  return { binary };
}

/** Where the browser host keeps projects: the same kind of per-user folder Electron's userData uses. */
function defaultDataDir(): string {
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Finetune');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Finetune');
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Finetune');
}

async function serve(): Promise<void> {
  const dataDir = resolve(option('--data-dir') ?? process.env.FINETUNE_DATA_DIR ?? defaultDataDir());
  const port = option('--port') ? Number(option('--port')) : undefined;
  const host = await startHost({ dataDir, port, staticDir: join(root, 'renderer', 'dist') });
  console.log(`Finetune is running. Open this link in your browser (it works only from this computer):\n\n  ${host.url}\n`);
  console.log(`Projects are kept in ${join(dataDir, 'projects')}. Press Ctrl+C to stop.`);
  const stop = () => void host.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) build('--renderer');

if (args.includes('--browser')) {
  await serve();
} else {
  const electron = findElectron();
  if ('binary' in electron) {
    build('--electron');
    const child = spawn(electron.binary, [root], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
  } else {
    console.log(`The desktop window cannot open here because ${electron.why}; serving the same app to your browser instead.`);
    await serve();
  }
}
