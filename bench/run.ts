// `npm run bench`: runs every bench/<area>.ts (each exports run()), prints the figures and saves them.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);

const files = (await readdir(benchDir))
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.ts$/, '')))
  .sort();

const outFile = join(benchDir, 'results', 'latest.json');
// A partial run (`npm run bench -- train`) updates its own entries and keeps the others.
const previous = only.length > 0 ? await readFile(outFile, 'utf8').then(JSON.parse, () => ({})) : {};
const results: Record<string, unknown> = {
  ...previous,
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version },
  startedAt: new Date().toISOString(),
};
let failures = 0;
for (const file of files) {
  const name = file.replace(/\.ts$/, '');
  const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as { run?: () => Promise<Record<string, unknown>> };
  // Helpers beside the benches (peers.ts runs the Python peers for them) export no run().
  if (typeof mod.run !== 'function') continue;
  process.stderr.write(`bench ${name} ...\n`);
  try {
    results[name] = await mod.run();
  } catch (error) {
    failures++;
    results[name] = { error: error instanceof Error ? error.message : String(error) };
  }
  console.log(JSON.stringify({ [name]: results[name] }, null, 2));
}
await writeFile(outFile, JSON.stringify(results, null, 2) + '\n');
console.log(`saved ${outFile}`);
process.exitCode = failures > 0 ? 1 : 0;
