// The preload: window.finetune is the typed API of electron/preload/api.ts over IPC. Bundled as CommonJS (sandboxed
// preloads need it).
import { contextBridge, ipcRenderer } from 'electron';
import { preloadApi } from './api.js';

contextBridge.exposeInMainWorld('finetune', preloadApi(ipcRenderer));
