// Where a worker thread's entry file is: its .ts source under electron/worker/ when this code runs from source under
// tsx (then the thread registers tsx first), or the bundled .js beside the bundle this code was built into
// (dist/electron/{main,worker}/ both have ../worker/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function threadEntry(name: string): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const source = new URL(`../worker/${name}.ts`, import.meta.url).href;
    const code = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(source)});`;
    return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
  }
  const bundled = new URL(`../worker/${name}.js`, import.meta.url);
  if (!existsSync(fileURLToPath(bundled))) throw new Error(`${fileURLToPath(bundled)}: the bundled thread ${name} is missing; run \`npm run build\``);
  return bundled;
}
