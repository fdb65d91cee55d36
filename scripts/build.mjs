// npm run build: esbuild bundles the Electron main process, the sandboxed preload (CommonJS) and the training
// worker into dist/electron/, and vite builds the Svelte renderer into renderer/dist/.
// npm packages stay external (native modules, wasm and model files load from node_modules at run time).
//   node scripts/build.mjs               everything
//   node scripts/build.mjs --renderer    only the renderer
//   node scripts/build.mjs --electron    only the bundles
import { build as esbuild } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

async function buildElectron() {
  await Promise.all([
    esbuild({ ...common, format: 'esm', entryPoints: ['electron/main/main.ts'], outfile: 'dist/electron/main/main.js' }),
    esbuild({ ...common, format: 'esm', entryPoints: ['electron/worker/model-worker.ts'], outfile: 'dist/electron/worker/model-worker.js' }),
    // The linear head's solver threads (worker_threads inside the training process), found beside the worker.
    esbuild({ ...common, format: 'esm', entryPoints: ['electron/worker/solver-thread.ts'], outfile: 'dist/electron/worker/solver-thread.js' }),
    // The review of a large project: a thread of the process that owns the project (main), found beside the worker.
    esbuild({ ...common, format: 'esm', entryPoints: ['electron/worker/heavy-read-thread.ts'], outfile: 'dist/electron/worker/heavy-read-thread.js' }),
    // Sandboxed preloads get a CommonJS `require` limited to electron's renderer modules: bundle everything else.
    esbuild({ ...common, format: 'cjs', entryPoints: ['electron/preload/preload.ts'], outfile: 'dist/electron/preload/preload.cjs' }),
  ]);
  console.log('built dist/electron/{main/main.js, preload/preload.cjs, worker/model-worker.js, worker/solver-thread.js, worker/heavy-read-thread.js}');
}

async function buildRenderer() {
  const configFile = join(root, 'renderer', 'vite.config.ts');
  if (!existsSync(configFile)) throw new Error(`${configFile} is missing: the renderer cannot be built.`);
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile, logLevel: 'warn' });
  console.log('built renderer/dist');
}

try {
  if (only !== '--renderer') await buildElectron();
  if (only !== '--electron') await buildRenderer();
} catch (error) {
  console.error(`build failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
