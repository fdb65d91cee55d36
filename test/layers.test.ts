// The layer rule (eslint.config.js, scripts/eslint/layers.js) refuses what the architecture forbids and accepts
// what it allows, judged by the real ESLint on the real configuration.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const eslint = new ESLint({ cwd: repoRoot });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return result.messages.filter((m) => m.ruleId === 'finetune/layers').map((m) => m.message);
}

const refused: Array<[string, string, RegExp]> = [
  ['shared/x.ts', `import { readFileSync } from 'node:fs';`, /package 'node:fs'/],
  ['shared/x.ts', `import { ProjectStore } from '../electron/backend/store/project-store.js';`, /shared\/ may not import electron\/backend\/store/],
  ['renderer/src/x.ts', `import { startHost } from '../../electron/backend/host/host.js';`, /renderer\/src\/ may not import/],
  ['electron/backend/store/x.ts', `import { trainClassifier } from '../training/trainer.js';`, /store\/ may not import electron\/backend\/training/],
  ['electron/backend/store/x.ts', `export type { AppService } from '../app/service.js';`, /store\/ may not import electron\/backend\/app/],
  ['electron/backend/onnx/x.ts', `const t = await import('../training/heads.js');`, /onnx\/ may not import electron\/backend\/training/],
  ['electron/backend/app/x.ts', `import { app } from 'electron/main';`, /package 'electron\/main'/],
  ['electron/worker/x.ts', `import { ipcRenderer } from 'electron/renderer';`, /package 'electron\/renderer'/],
  ['electron/preload/x.ts', `import { readFileSync } from 'node:fs';`, /package 'node:fs'/],
];

const allowed: Array<[string, string]> = [
  ['electron/backend/training/x.ts', `import { throwIfAborted } from '../cancel.js';`],
  ['electron/backend/store/x.ts', `import { readSources } from '../import/index.js';`],
  ['electron/main/x.ts', `import { app } from 'electron/main';`],
  ['electron/preload/x.ts', `import { contextBridge } from 'electron';`],
  ['renderer/src/x.ts', `import { mount } from 'svelte';\nimport type { Reply } from '../../shared/reply.js';`],
  ['test/x.ts', `import { startHost } from '../electron/backend/host/host.js';`],
];

describe('layer rule', () => {
  for (const [file, code, expected] of refused) {
    it(`refuses in ${file}: ${code}`, async () => {
      const errors = await layerErrors(file, code);
      assert.equal(errors.length, 1, `expected one layer error, got ${JSON.stringify(errors)}`);
      assert.match(errors[0], expected);
    });
  }
  for (const [file, code] of allowed) {
    it(`allows in ${file}: ${code.split('\n')[0]}`, async () => {
      assert.deepEqual(await layerErrors(file, code), []);
    });
  }
});
