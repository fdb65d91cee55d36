// What every `finetune` command shares: exit codes, one-line error messages, opening the project.
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { ProjectStore } from '../store/project-store.js';
import { isCancelled } from '../cancel.js';

export const EXIT = {
  ok: 0,
  /** The command ran but failed (bad data, every item failed, a refused project file). */
  failed: 1,
  /** The command line itself is wrong. */
  usage: 2,
  /** Stopped by Ctrl+C. */
  interrupted: 130,
} as const;

/** A mistake in the command line: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The --project option every project command takes. */
export function projectOption(): Option {
  return new Option('--project <file>', 'the project file (.ftproj)').makeOptionMandatory();
}

/** Errors of the store whose messages do not name the project file. */
const PROJECT_ERRORS = new Set(['TaxonomyError', 'ImportError', 'RunError']);

/** The store's refusals (no such label, a run or import in the way) are about this project: the message names it. */
export function namingProject(error: unknown, file: string): unknown {
  if (error instanceof Error && PROJECT_ERRORS.has(error.name) && !error.message.startsWith(displayPath(file))) {
    error.message = `${displayPath(file)}: ${error.message}`;
  }
  return error;
}

/**
 * Opens an existing project for the command and closes it afterwards, whatever happens. Commands that only read
 * pass `{ reading: true }`, so that a read-only project can still be read.
 */
export async function withProject<T>(file: string, work: (store: ProjectStore) => T | Promise<T>, access: { reading?: boolean } = {}): Promise<T> {
  if (!existsSync(file)) throw new UsageError(`${file}: no such project file (create one with finetune import).`);
  const store = access.reading ? ProjectStore.openForReading(file) : ProjectStore.open(file);
  try {
    return await work(store);
  } catch (error) {
    throw namingProject(error, file);
  } finally {
    store.close();
  }
}

/** A path as users typed it: relative to the working folder when it lies inside it. */
export function displayPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export function parseFraction(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n >= 1) throw new UsageError(`${name} must be a number between 0 and 1, got "${value}".`);
  return n;
}

/** "1 row", "2 rows": counts in messages, with thousands separators. */
export function countOf(n: number, word: string, words = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : words}`;
}

/**
 * Labels such as "news|sports" in a single-label import usually mean the cells hold several labels and
 * --multi-label was forgotten. Returns the hint to print, or null.
 */
export function multiLabelHint(labels: string[], separators = ['|', ';']): string | null {
  const joined = labels.filter((label) => separators.some((sep) => label.includes(sep)));
  if (joined.length === 0) return null;
  const examples = joined.slice(0, 2).map((label) => `"${label}"`).join(', ');
  return `${countOf(joined.length, 'label contains', 'labels contain')} a separator (${examples}); if a cell holds several labels, use --multi-label (and --label-sep).`;
}

/** Prints an error as one line (the stack only with FINETUNE_DEBUG=1) and returns the exit code it deserves. */
export function reportError(error: unknown): number {
  const debug = process.env.FINETUNE_DEBUG === '1';
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`finetune: ${debug && error instanceof Error && error.stack ? error.stack : message}\n`);
  if (error instanceof UsageError) return EXIT.usage;
  if (isCancelled(error)) return EXIT.interrupted;
  return EXIT.failed;
}

function forEachCommand(command: Command, visit: (c: Command) => void): void {
  visit(command);
  for (const sub of command.commands) forEachCommand(sub as Command, visit);
}

/**
 * Runs the program: commander's own errors (unknown option, missing argument) exit with 2, errors thrown by a
 * command print one line and exit with 1 (2 for a UsageError). Applied to every command, including those added by
 * other modules, so registration stays one line per command in main.ts.
 */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  forEachCommand(program, (command) => {
    command.exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage));
    command.showHelpAfterError('(add --help for usage)');
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

/**
 * A progress line on stderr: rewritten in place on a terminal, at most one line a second otherwise (logs, pipes,
 * tests), so long work is never silent and never floods the output.
 */
export function statusLine(): { show(line: string, force?: boolean): void; end(): void } {
  const tty = Boolean(process.stderr.isTTY);
  let lastPrint = -Infinity;
  let printed = false;
  return {
    show(line, force = false) {
      const now = performance.now();
      if (!force && printed && now - lastPrint < (tty ? 200 : 1000)) return;
      lastPrint = now;
      printed = true;
      process.stderr.write(tty ? `\r${line.padEnd(100)}` : `${line}\n`);
    },
    end() {
      if (tty && printed) process.stderr.write('\n');
    },
  };
}

/** Ctrl+C aborts the returned signal instead of killing the process, so work can stop cleanly. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', interrupt) };
}
