// The desktop shell's IPC without the Electron binary: the real registerIpc (electron/main/ipc.ts) and the real
// preload API (electron/preload/api.ts) wired to stand-ins for ipcMain, ipcRenderer and the windows, in front of the
// real app service on a real project file.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EVENT_CHANNELS, REQUEST_CHANNELS, type FinetuneApi } from '../shared/api.js';
import { toCsv } from '../shared/csv.js';
import { defaultSamplePath } from '../electron/backend/app/resources.js';
import { createAppService, type AppService } from '../electron/backend/app/service.js';
import { errorCodeOf, RemoteError } from '../shared/reply.js';
import { registerIpc } from '../electron/main/ipc.js';
import { APP_ORIGIN } from '../electron/main/trust.js';
import { preloadApi } from '../electron/preload/api.js';

type Frame = { url: string; parent: Frame | null };
type Handler = (event: { senderFrame: Frame | null }, arg: unknown) => Promise<unknown>;

const appPage: Frame = { url: `${APP_ORIGIN}/index.html`, parent: null };

/** ipcMain, one window's webContents and its ipcRenderer, joined as Electron joins them, for a page in `frame`. */
function standInElectron() {
  const handlers = new Map<string, Handler>();
  const page = new EventEmitter();
  let destroyed = false;
  const ipcMain = { handle: (channel: string, handler: Handler) => void handlers.set(channel, handler) };
  const webContents = { send: (event: string, payload: unknown) => void page.emit(event, {}, payload), isDestroyed: () => destroyed };
  const rendererIn = (frame: Frame | null) => ({
    invoke: async (channel: string, arg: unknown) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      return structuredClone(await handler({ senderFrame: frame }, structuredClone(arg)));
    },
    on: (event: string, listener: (...args: unknown[]) => void) => page.on(event, listener),
    removeListener: (event: string, listener: (...args: unknown[]) => void) => page.removeListener(event, listener),
  });
  return { handlers, ipcMain, webContents, rendererIn, destroy: () => (destroyed = true) };
}

let dir: string;
let service: AppService;
let electron: ReturnType<typeof standInElectron>;
let api: FinetuneApi;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'finetune-ipc-'));
  service = createAppService({ dataDir: join(dir, 'data'), samplePath: defaultSamplePath() });
  electron = standInElectron();
  registerIpc(service, { ipcMain: electron.ipcMain as never, windows: () => [electron.webContents] });
  api = preloadApi(electron.rendererIn(appPage) as never);
});
after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IPC shell (stand-in Electron, real service)', () => {
  it('registers exactly one handler per request channel of the contract', () => {
    assert.deepEqual([...electron.handlers.keys()].sort(), [...REQUEST_CHANNELS].sort());
  });

  it('carries a call from the page to the service and its result back', async () => {
    const { path, project } = await api.invoke('projects:create', { name: 'ipc', task: 'single_label' });
    assert.equal(project.name, 'ipc');
    assert.equal((await api.invoke('projects:current', undefined))?.path, path);
    const labels = await api.invoke('labels:add', { name: 'urgent' });
    assert.deepEqual(labels.map((l) => l.name), ['urgent']);
  });

  it('delivers the service events to the page, and stops when the page unsubscribes', async () => {
    const csv = join(dir, 'tickets.csv');
    writeFileSync(csv, toCsv(['text', 'label'], [['refund please', 'billing'], ['app crashes', 'bug'], ['card declined', 'billing']]));
    const heard: unknown[] = [];
    const stop = api.on('import:progress', (payload) => heard.push(payload));
    const report = await api.invoke('import:run', { paths: [csv], options: { textCol: 'text', labelCol: 'label' } });
    assert.equal(report.imported, 3);
    assert.ok(heard.length > 0, 'no import:progress reached the page');
    stop();
    const before = heard.length;
    await api.invoke('import:run', { paths: [csv], options: { textCol: 'text', labelCol: 'label' } });
    assert.equal(heard.length, before);
  });

  it('keeps an error\'s kind and exact message across the boundary', async () => {
    const direct = await service.handle('projects:create', { name: '', task: 'single_label' }).catch((e: Error) => e);
    const viaIpc = await api.invoke('projects:create', { name: '', task: 'single_label' }).catch((e: Error) => e);
    assert.ok(direct instanceof Error && viaIpc instanceof Error);
    assert.equal(viaIpc.name, direct.name);
    assert.equal(viaIpc.message, direct.message);
    assert.ok(viaIpc instanceof RemoteError);
    assert.equal(viaIpc.code, 'invalid_argument', 'the contract refused the call');
    const missing = await api.invoke('runs:metrics', { runId: 999 }).catch((e: Error) => e);
    assert.ok(missing instanceof RemoteError && missing.code === 'not_found', `${(missing as Error).name}: ${(missing as Error).message}`);
    assert.equal(errorCodeOf('SomethingUnforeseen'), 'internal');
  });

  it('refuses calls from a frame that is not the app\'s own top-level page', async () => {
    const strangers: Array<[string, Frame | null]> = [
      ['another origin', { url: 'https://example.com/', parent: null }],
      ['a subframe of the app', { url: `${APP_ORIGIN}/index.html`, parent: appPage }],
      ['a look-alike origin', { url: 'app://renderer.evil/index.html', parent: null }],
      ['an unknown frame', null],
    ];
    for (const [what, frame] of strangers) {
      const stranger = preloadApi(electron.rendererIn(frame) as never);
      await assert.rejects(stranger.invoke('labels:list', undefined), /Refused 'labels:list' from .*not the Finetune window/, what);
    }
  });

  it('exposes only the contract: unknown channels are refused in the preload, before IPC', async () => {
    assert.deepEqual(Object.keys(api).sort(), ['invoke', 'on']);
    await assert.rejects(api.invoke('shell:exec' as never, undefined as never), /Unknown request channel 'shell:exec'/);
    assert.throws(() => api.on('everything' as never, () => undefined), /Unknown event channel 'everything'/);
    assert.ok(EVENT_CHANNELS.length > 0);
  });

  it('sends nothing to a window that is gone', async () => {
    let sent = 0;
    const gone = { send: () => void sent++, isDestroyed: () => true };
    const other = standInElectron();
    const lone = createAppService({ dataDir: join(dir, 'data-lone'), samplePath: defaultSamplePath() });
    try {
      registerIpc(lone, { ipcMain: other.ipcMain as never, windows: () => [gone] });
      const page = preloadApi(other.rendererIn(appPage) as never);
      await page.invoke('projects:create', { name: 'lone', task: 'single_label' });
      const csv = join(dir, 'lone.csv');
      writeFileSync(csv, toCsv(['text', 'label'], [['a b c', 'x'], ['d e f', 'y']]));
      await page.invoke('import:run', { paths: [csv], options: { textCol: 'text', labelCol: 'label' } });
      assert.equal(sent, 0);
    } finally {
      await lone.close();
    }
  });
});
