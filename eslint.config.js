// Layer rules, after VS Code's code-layering: each folder lists what it may import (scripts/eslint/layers.js).
import tseslint from 'typescript-eslint';
import sveltePlugin from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';
import { builtinModules } from 'node:module';
import { layersRule } from './scripts/eslint/layers.js';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** Files at the root of electron/backend/ that any backend folder may use: cancellation, yielding, thread entries. */
const backendBase = ['electron/backend/cancel', 'electron/backend/event-loop', 'electron/backend/thread-entry'];
const backend = (name) => `electron/backend/${name}/`;

/**
 * Who may import whom. `folders`: folder prefixes (ending in /) or files (without extension) a layer may reach by a
 * relative import, itself included. `packages`: the only packages it may import; `denyPackages`: packages it may not.
 */
const LAYERS = [
  { folder: 'shared/', folders: ['shared/'], packages: [] },
  { folder: 'renderer/src/', folders: ['renderer/src/', 'shared/'], packages: ['svelte'] },
  { folder: 'electron/preload/', folders: ['electron/preload/', 'shared/'], packages: ['electron'] },
  { folder: 'electron/main/', folders: ['electron/main/', 'shared/', backend('app'), backend('host'), backend('training')], packages: ['electron', ...nodeBuiltins] },
  { folder: 'electron/worker/', folders: ['electron/worker/', 'electron/backend/', 'shared/'], denyPackages: ['electron'] },
  { folder: 'electron/backend/', folders: [...backendBase, 'electron/backend/review', 'electron/backend/store/real-documents', 'shared/'], denyPackages: ['electron'] },
  { folder: backend('tf'), folders: [backend('tf')], denyPackages: ['electron'] },
  { folder: backend('synthetic'), folders: [backend('synthetic'), 'shared/'], denyPackages: ['electron'] },
  { folder: backend('onnx'), folders: [backend('onnx'), ...backendBase, 'shared/'], denyPackages: ['electron'] },
  { folder: backend('import'), folders: [backend('import'), ...backendBase, 'shared/'], denyPackages: ['electron'] },
  { folder: backend('store'), folders: [backend('store'), backend('import'), backend('synthetic'), ...backendBase, 'electron/backend/review', 'shared/'], denyPackages: ['electron'] },
  { folder: backend('encoders'), folders: [backend('encoders'), backend('onnx'), backend('tf'), ...backendBase, 'shared/'], denyPackages: ['electron'] },
  { folder: backend('training'), folders: [backend('training'), backend('encoders'), backend('onnx'), backend('tf'), backend('store'), ...backendBase, 'shared/'], denyPackages: ['electron'] },
  { folder: backend('export'), folders: [backend('export'), backend('training'), backend('encoders'), backend('onnx'), ...backendBase, 'shared/'], denyPackages: ['electron'] },
  { folder: backend('app'), folders: [backend('app'), backend('import'), backend('store'), backend('synthetic'), backend('training'), backend('export'), ...backendBase, 'shared/'], denyPackages: ['electron'] },
  { folder: backend('host'), folders: [backend('host'), backend('app'), backend('training'), ...backendBase, 'shared/'], denyPackages: ['electron'] },
  { folder: backend('cli'), folders: [backend('cli'), 'electron/backend/review', backend('synthetic'), backend('app'), backend('import'), backend('store'), backend('training'), backend('export'), backend('encoders'), ...backendBase, 'shared/'], denyPackages: ['electron'] },
];

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
  {
    files: ['shared/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.svelte', 'electron/**/*.ts'],
    plugins: { finetune: { rules: { layers: layersRule } } },
    rules: { 'finetune/layers': ['error', LAYERS] },
  },
);
