// Layer rules, in the spirit of VS Code's "code-layering" rule: each folder lists what it may not reach.
import tseslint from 'typescript-eslint';
import sveltePlugin from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const nativeOrServer = ['electron', 'better-sqlite3', '@tensorflow/*', 'onnxruntime-node', 'onnxruntime-web', '@huggingface/*', 'webgpu', 'ws'];

/** Forbid relative imports into the given top-level folders, from a file at any depth. */
const intoFolders = (folders) => folders.map((f) => `**/${f}/**`);

const layer = (files, { paths = [], patterns = [] }) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', {
      paths: paths.map((name) => ({ name, message: 'This layer may not import it (docs/ARCHITECTURE.md).' })),
      patterns: [{ group: patterns, message: 'This layer may not reach there (docs/ARCHITECTURE.md).' }],
    }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'e2e-artifacts/**', 'test-results/**', 'renderer/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  ...sveltePlugin.configs['flat/recommended'],
  {
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser } },
  },
  // shared/: pure TypeScript.
  layer(['shared/**/*.ts'], {
    paths: nodeBuiltins,
    patterns: [...nativeOrServer, ...intoFolders(['electron', 'renderer'])],
  }),
  // renderer/: shared/ only.
  layer(['renderer/**/*.ts', 'renderer/**/*.svelte'], {
    paths: nodeBuiltins,
    patterns: [...nativeOrServer, ...intoFolders(['electron'])],
  }),
  // backend and worker: never electron, never the renderer.
  layer(['electron/backend/**/*.ts', 'electron/worker/**/*.ts'], {
    paths: ['electron'],
    patterns: [...intoFolders(['renderer', 'main', 'preload'])],
  }),
  // main and preload: may use electron, not the renderer.
  layer(['electron/main/**/*.ts', 'electron/preload/**/*.ts'], {
    patterns: [...intoFolders(['renderer'])],
  }),
);
