// The one place that picks the TensorFlow.js backend for this process (encoder and training head alike).
// Order: WebGPU (Dawn through the `webgpu` package) → tfjs-node-gpu → tfjs-node → wasm → cpu.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import os from 'node:os';
import { registerMissingWasmKernels } from './wasm-kernels.js';

type Tf = typeof import('@tensorflow/tfjs');
export type TfPreference = 'auto' | 'webgpu' | 'wasm' | 'cpu';
export interface TfRuntime {
  tf: Tf;
  /** The tfjs backend name actually in use: 'webgpu', 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** Why each faster option was skipped, and settings chosen (threads), for logs and reports. */
  notes: string[];
}

const require = createRequire(import.meta.url);
let initialised: Promise<TfRuntime> | null = null;
let initialisedWith: TfPreference | null = null;

/**
 * Picks and initialises the backend once per process. A second call returns the same runtime; asking for a
 * different preference after the first call changes nothing (tfjs has one global engine) and says so in notes.
 */
export function initTensorflow(prefer: TfPreference = 'auto'): Promise<TfRuntime> {
  if (initialised) {
    if (prefer !== initialisedWith && prefer !== 'auto') {
      return initialised.then((rt) => ({
        ...rt,
        notes: [...rt.notes, `asked for '${prefer}' after tfjs was initialised with '${initialisedWith}': kept '${rt.backend}'`],
      }));
    }
    return initialised;
  }
  initialisedWith = prefer;
  initialised = pickBackend(prefer);
  return initialised;
}

async function pickBackend(prefer: TfPreference): Promise<TfRuntime> {
  const notes: string[] = [];
  // navigator.gpu must exist before tfjs-backend-webgpu is evaluated, and that happens when tfjs is imported
  // only if we import it ourselves first; so WebGPU set-up comes before anything touches tfjs.
  const wantGpu = prefer === 'auto' || prefer === 'webgpu';
  const gpuAvailable = wantGpu ? await prepareWebGpu(notes) : false;
  const tf: Tf = await import('@tensorflow/tfjs');

  if (gpuAvailable) {
    await import('@tensorflow/tfjs-backend-webgpu');
    if (await trySetBackend(tf, 'webgpu', notes)) return { tf, backend: 'webgpu', notes };
  }
  if (prefer === 'auto') {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      if (await tryNativeBinding(pkg, notes) && (await trySetBackend(tf, 'tensorflow', notes))) {
        return { tf, backend: 'tensorflow', notes };
      }
    }
  }
  if (prefer !== 'cpu') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDirectory());
    // Threads need the emscripten pthread workers, which are browser Workers; under Node the threaded build
    // is not selected, and the count stays 1. Ask anyway so a future build that can use them does.
    wasm.setThreadsCount(Math.max(1, os.availableParallelism()));
    if (await trySetBackend(tf, 'wasm', notes)) {
      registerMissingWasmKernels(tf);
      notes.push(`wasm threads: ${wasmThreads(wasm)} (of ${os.availableParallelism()} cores)`);
      return { tf, backend: 'wasm', notes };
    }
  }
  if (!(await trySetBackend(tf, 'cpu', notes))) throw new Error('tfjs: not even the cpu backend could start');
  return { tf, backend: 'cpu', notes };
}

/** Installs Dawn's navigator.gpu and asks for an adapter; false (with a note) when there is none. */
async function prepareWebGpu(notes: string[]): Promise<boolean> {
  if (process.platform === 'linux' && !vulkanLoaderFound()) {
    // Dawn would print "Couldn't load Vulkan" to stderr on every run; say it once, here, instead.
    notes.push('webgpu: no Vulkan loader (libvulkan.so.1) on this system, so no GPU adapter');
    return false;
  }
  try {
    const { create, globals } = (await import('webgpu')) as unknown as { create(o: string[]): GPU; globals: object };
    const gpu = create([]);
    Object.assign(globalThis, globals);
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else (globalThis as { navigator?: object }).navigator = { gpu };
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      notes.push('webgpu: no adapter found (no GPU, or its Vulkan/D3D12/Metal driver lacks required features)');
      return false;
    }
    return true;
  } catch (err) {
    notes.push(`webgpu: could not load Dawn (${(err as Error).message})`);
    return false;
  }
}

/** Is libvulkan.so.1 in LD_LIBRARY_PATH or the dynamic linker's cache? (Linux only.) */
function vulkanLoaderFound(): boolean {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((dir) => existsSync(path.join(dir, 'libvulkan.so.1')))) return true;
  const cache = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  if (cache.status === 0) return cache.stdout.includes('libvulkan.so.1');
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/lib/aarch64-linux-gnu'].some((dir) => existsSync(path.join(dir, 'libvulkan.so.1')));
}

async function tryNativeBinding(pkg: string, notes: string[]): Promise<boolean> {
  try {
    require.resolve(pkg);
  } catch {
    notes.push(`${pkg}: not installed`);
    return false;
  }
  try {
    await import(pkg);
    return true;
  } catch (err) {
    notes.push(`${pkg}: installed but failed to load (${(err as Error).message.split('\n')[0]})`);
    return false;
  }
}

async function trySetBackend(tf: Tf, name: string, notes: string[]): Promise<boolean> {
  try {
    if (await tf.setBackend(name)) {
      await tf.ready();
      return true;
    }
    notes.push(`${name}: backend refused to initialise`);
  } catch (err) {
    notes.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
  }
  return false;
}

/** Another copy of tfjs in the process (e.g. a bundled one) can own the 'wasm' registration; then we cannot ask. */
function wasmThreads(wasm: { getThreadsCount(): number }): string {
  try {
    return String(wasm.getThreadsCount());
  } catch {
    return 'unknown';
  }
}

/** The folder holding the .wasm binaries, with a trailing slash as setWasmPaths expects. */
function wasmDirectory(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep;
}
