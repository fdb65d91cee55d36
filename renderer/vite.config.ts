// Builds the wizard into renderer/dist. Run from the repo root: `vite build -c renderer/vite.config.ts`.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
// import.meta.dirname: this folder (Node >= 20.11), so the build works from any working directory.
const rendererRoot = import.meta.dirname;

export default defineConfig({
  root: rendererRoot,
  // Relative asset URLs, so the same build loads from file:// in Electron and from the browser host.
  base: './',
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1', fs: { allow: [`${rendererRoot}/..`] } },
});
