// The desktop shell: one locked-down window, the typed API over IPC, training in a utilityProcess, projects under
// userData. Everything else lives in electron/backend/, shared with the browser host.
import { app, BrowserWindow, ipcMain } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppService, type AppService } from '../backend/app/service.js';
import { registerIpc } from './ipc.js';
import { createMainWindow, lockDown, registerAppScheme, serveRenderer } from './window.js';
import { utilityProcessSpawner } from './worker-spawner.js';

// Bundled layout: <appRoot>/dist/electron/{main/main.js, preload/preload.cjs, worker/model-worker.js}, and
// <appRoot>/renderer/dist (appRoot is app.asar when packaged).
const bundleDir = dirname(dirname(fileURLToPath(import.meta.url)));
const appRoot = join(bundleDir, '..', '..');

if (!app.requestSingleInstanceLock()) {
  // One process owns the project files: a second instance hands over to the first.
  app.exit(0);
} else {
  app.enableSandbox();
  registerAppScheme();
  let service: AppService | null = null;

  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });

  void app.whenReady().then(() => {
    lockDown();
    serveRenderer(join(appRoot, 'renderer', 'dist'));
    service = createAppService({
      dataDir: app.getPath('userData'),
      spawner: utilityProcessSpawner(join(bundleDir, 'worker', 'model-worker.js')),
      // Packaged, the sample is an extraResource beside app.asar; in development it is resources/sample.
      samplePath: join(app.isPackaged ? process.resourcesPath : join(appRoot, 'resources'), 'sample', 'sample.json'),
    });
    registerIpc(service, { ipcMain, windows: () => BrowserWindow.getAllWindows().map((window) => window.webContents) });
    createMainWindow(join(bundleDir, 'preload', 'preload.cjs'));
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createMainWindow(join(bundleDir, 'preload', 'preload.cjs'));
    });
  });

  app.on('window-all-closed', () => app.quit());

  let closing = false;
  app.on('before-quit', (event) => {
    if (!service || closing) return;
    // Cancel a running training and record it before the process goes away.
    event.preventDefault();
    closing = true;
    void service.close().finally(() => app.quit());
  });
}
