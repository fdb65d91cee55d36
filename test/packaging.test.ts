// The packaged app's settings that cannot be tried here (no Electron binary): electron-builder.yml read as
// electron-builder reads it, its fuses checked against electron-builder's own schema.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as { electronFuses?: Record<string, unknown> };

test('packaged builds cannot be run as Node or inspected, and load only their own checked archive', () => {
  const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as { definitions: { FuseOptionsV1: { properties: Record<string, unknown> } } };
  const known = Object.keys(schema.definitions.FuseOptionsV1.properties);
  const fuses = config.electronFuses ?? {};
  for (const name of Object.keys(fuses)) assert.ok(known.includes(name), `electronFuses.${name} is not a fuse electron-builder knows (${known.join(', ')})`);
  assert.deepEqual(
    {
      runAsNode: fuses.runAsNode,
      enableNodeOptionsEnvironmentVariable: fuses.enableNodeOptionsEnvironmentVariable,
      enableNodeCliInspectArguments: fuses.enableNodeCliInspectArguments,
      enableEmbeddedAsarIntegrityValidation: fuses.enableEmbeddedAsarIntegrityValidation,
      onlyLoadAppFromAsar: fuses.onlyLoadAppFromAsar,
      enableCookieEncryption: fuses.enableCookieEncryption,
      grantFileProtocolExtraPrivileges: fuses.grantFileProtocolExtraPrivileges,
    },
    {
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    },
  );
});

test('the main process forks no plain Node process, which runAsNode: false would break', () => {
  const mainDir = join(root, 'electron', 'main');
  const sources = readdirSync(mainDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  assert.ok(sources.length > 0);
  for (const file of sources) assert.doesNotMatch(readFileSync(join(mainDir, file), 'utf8'), /node:child_process|['"]child_process['"]/, `${file} uses child_process`);
  assert.match(readFileSync(join(mainDir, 'worker-spawner.ts'), 'utf8'), /utilityProcess\.fork\(/);
});
