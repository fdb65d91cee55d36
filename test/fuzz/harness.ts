// The fuzz run: writes mutants of every seed, feeds them to test/fuzz/child.ts in a separate process, and sorts
// what happened into crashes (the process died), hangs (one file ran past the bound), unclear messages and lost
// documents. Shared by the bounded sample in `npm test` (test/fuzz.test.ts) and `npm run fuzz` (scripts/fuzz.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ProjectStore } from '../../electron/backend/store/project-store.js';
import { mutant } from './mutate.js';
import { fuzzSeeds } from './seeds.js';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** Wording that leaks the program's insides instead of telling the user what is wrong with their file. */
const UNCLEAR = /Cannot read propert|is not a function|is not defined|\bundefined\b|\[object |\bNaN\b|Maximum call stack|\b(Range|Type|Syntax|Reference)Error\b|node:internal|\bat (async |Object\.)|ERR_[A-Z_]+/;

export interface FuzzFinding {
  file: string;
  recipe: string[];
  what: string;
}

export interface FuzzSummary {
  files: number;
  seed: number;
  crashes: FuzzFinding[];
  hangs: FuzzFinding[];
  unclear: FuzzFinding[];
  lost: FuzzFinding[];
  /** Files that imported at least one document, and files refused or skipped with a message. */
  imported: number;
  refused: number;
  /** The longest event-loop stall while one file was read, and which file (a figure, not a pass/fail bound). */
  longestStall: { ms: number; file: string };
  /** Where the mutants are kept when `keep` was set, to reproduce a finding. */
  folder?: string;
}

export interface FuzzOptions {
  /** How many mutants in all, spread evenly over the seeds. */
  count: number;
  seed: number;
  /** A file still running after this long is a hang: the process is killed and the run goes on with the next file. */
  hangSeconds?: number;
  keep?: boolean;
  onFile?: (done: number, total: number) => void;
}

/** A message is clear when it names the file it is about, says something, and does not leak internals. */
export function unclearReason(message: string, file: string): string | null {
  if (message.replace(/^(preview|import): /, '').trim().length < 8) return 'says nothing';
  if (!message.includes(file)) return 'does not name the file';
  if (message.length > 2000) return `is ${message.length} characters long`;
  const leak = UNCLEAR.exec(message);
  return leak ? `leaks internals ("${leak[0]}")` : null;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const hangSeconds = options.hangSeconds ?? 60;
  const work = mkdtempSync(join(tmpdir(), 'finetune-fuzz-'));
  const folder = join(work, 'mutants');
  mkdirSync(folder);
  const seeds = await fuzzSeeds();
  const recipes = new Map<string, string[]>();
  for (let n = 0; n < options.count; n++) {
    const m = await mutant(seeds[n % seeds.length], n, options.seed);
    const name = `${String(n).padStart(5, '0')}-${m.name}`;
    writeFileSync(join(folder, name), m.content);
    recipes.set(name, m.recipe);
  }
  // The project starts with real documents, so "nothing already saved is lost" is checked on every file.
  const projectFile = join(work, 'fuzz.ftproj');
  const good = join(work, seeds[0].name);
  writeFileSync(good, seeds[0].content);
  const store = ProjectStore.create(projectFile, { name: 'fuzz', task: 'single_label' });
  await store.importSources([good], { textCol: 'text', labelCol: 'label' });
  store.close();

  const summary: FuzzSummary = { files: options.count, seed: options.seed, crashes: [], hangs: [], unclear: [], lost: [], imported: 0, refused: 0, longestStall: { ms: 0, file: '' } };
  const names = [...recipes.keys()].sort();
  const finding = (file: string, what: string): FuzzFinding => ({ file, recipe: recipes.get(file) ?? [], what });
  let next = 0;
  while (next < names.length) {
    next = await runChild(folder, projectFile, next, names, hangSeconds, {
      done(name, messages, imported, stallMs) {
        const path = join(folder, name);
        for (const message of messages) {
          if (message.startsWith('LOST:')) summary.lost.push(finding(name, message));
          else {
            const why = unclearReason(message, path);
            if (why) summary.unclear.push(finding(name, `${why}: ${message.slice(0, 300)}`));
          }
        }
        if (imported > 0) summary.imported++;
        else summary.refused++;
        if (stallMs > summary.longestStall.ms) summary.longestStall = { ms: stallMs, file: name };
        options.onFile?.(names.indexOf(name) + 1, names.length);
      },
      crashed: (name, why) => summary.crashes.push(finding(name, why)),
      hung: (name) => summary.hangs.push(finding(name, `still running after ${hangSeconds} s`)),
    });
  }
  if (options.keep) summary.folder = folder;
  else rmSync(work, { recursive: true, force: true });
  return summary;
}

interface ChildEvents {
  done(name: string, messages: string[], imported: number, stallMs: number): void;
  crashed(name: string, why: string): void;
  hung(name: string): void;
}

/** Runs the child from file `from`; resolves with the index to go on from (past a file that crashed or hung it). */
function runChild(folder: string, projectFile: string, from: number, names: string[], hangSeconds: number, on: ChildEvents): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsx, join(here, 'child.ts'), folder, projectFile, String(from)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let current: string | null = null;
    let index = from;
    let hung = false;
    let stderr = '';
    let watchdog: NodeJS.Timeout | undefined;
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as { start?: string; done?: string; messages?: string[]; imported?: number; stallMs?: number };
      clearTimeout(watchdog);
      if (message.start) {
        current = message.start;
        watchdog = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, hangSeconds * 1000);
      } else if (message.done) {
        on.done(message.done, message.messages ?? [], message.imported ?? 0, message.stallMs ?? 0);
        current = null;
        index++;
      }
    });
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      if (current === null && index >= names.length) return resolve(index);
      const name = current ?? names[index];
      if (hung) on.hung(name);
      else on.crashed(name, `the import process ended (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
      on.done(name, [], 0, 0);
      resolve(index + 1);
    });
  });
}

export const describeFinding = (f: FuzzFinding) => `${basename(f.file)} [${f.recipe.join(', ')}]: ${f.what}`;
