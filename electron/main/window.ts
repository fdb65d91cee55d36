// The one window factory and the app:// protocol that serves the renderer: isolated, sandboxed, no Node in the
// page, a strict CSP on every response, and no way to navigate elsewhere or open other windows.
import { app, BrowserWindow, protocol, session } from 'electron';
import { readFile } from 'node:fs/promises';
import { contentType, resolveStaticFile, securityHeaders } from '../backend/host/static-files.js';
import { APP_ORIGIN } from './trust.js';

const SCHEME = new URL(APP_ORIGIN).protocol.slice(0, -1);

/** Must run before the app is ready: app:// behaves like https (standard, secure) for the page. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves renderer/dist under app://renderer/, with the CSP (the page talks to nothing but IPC). */
export function serveRenderer(rendererDir: string): void {
  const headers = securityHeaders([]);
  protocol.handle(SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === 'renderer' ? resolveStaticFile(rendererDir, url.pathname) : null;
    if (!file) return new Response('Not found.', { status: 404, headers });
    return new Response(await readFile(file), { headers: { ...headers, 'Content-Type': contentType(file) } });
  });
}

/** Denies navigation, new windows, webviews and every permission (camera, notifications, ...) app-wide. */
export function lockDown(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

export function createMainWindow(preload: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Finetune',
    backgroundColor: '#ffffff',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}
