// Import: turns user files and folders into records (text, labels, where it came from) or issues that
// name the file, the row or path, and the reason. Bad input never throws; it becomes an issue.
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { ImportOptions } from '../../../shared/domain.js';
import { readDelimited } from './delimited.js';
import { extractDocument, longDocumentNote } from './documents.js';
import { listFolder, type FolderFile } from './folder.js';
import { readJsonl } from './jsonl.js';
import { describeFsError, formatOf } from './sources.js';
import { SourceProblem, issueEvent, type ImportEvent } from './types.js';
import { yieldToEventLoop } from '../event-loop.js';
import { isCancelled } from '../cancel.js';

export { formatIssue, type ImportEvent, type ImportRecord } from './types.js';
export { previewSource } from './preview.js';
export { formatOf, type SourceFormat } from './sources.js';

/** Folder imports report progress at least this often. */
const PROGRESS_BYTES = 1024 * 1024;
const PROGRESS_FILES = 100;

/**
 * Files are read and parsed synchronously (cheaper per file), so without this a folder import would never let the
 * event loop run: Ctrl+C (a SIGINT handler) and a cancel message would only be seen once every file was read.
 */

interface FileContext {
  /** Path inside the imported folder; absent for a file given directly. */
  relative?: string;
  /** Label that the file's place in a folder gives it; used for rows that have none of their own. */
  label?: string | null;
}

/** One file's events in pages; every problem becomes an issue naming the file and the row or path. */
async function* readFileSource(path: string, options: ImportOptions, signal: AbortSignal | undefined, context: FileContext): AsyncGenerator<ImportEvent[]> {
  const where = context.relative ?? '';
  const folderLabels = context.label ? [context.label] : null;
  try {
    const format = formatOf(path);
    if (format === 'document') {
      const document = await extractDocument(path, options);
      if (document.text === '') {
        yield [issueEvent('skipped', path, where, 'empty text (the document has no text)')];
        return;
      }
      const sourceRef = context.relative ?? basename(path);
      // Said for a file given on its own; in a folder of long reports it would repeat for every file.
      const note = context.relative === undefined ? longDocumentNote(document.text) : null;
      yield [
        { kind: 'record', record: { text: document.text, labels: folderLabels, sourceFile: path, sourceRef, metadata: document.metadata } },
        ...(note ? [{ kind: 'notice' as const, file: path, message: note }] : []),
      ];
      return;
    }
    const pages = format === 'delimited' ? readDelimited(path, options, signal) : readJsonl(path, options, signal);
    for await (const page of pages) {
      if (folderLabels) {
        for (const event of page) if (event.kind === 'record' && event.record.labels === null) event.record.labels = folderLabels;
      }
      yield page;
    }
  } catch (error) {
    if (isCancelled(error, signal)) throw signal?.reason ?? error;
    if (error instanceof SourceProblem) {
      yield [issueEvent(error.status, path, error.where || where, error.reason)];
    } else if ((error as NodeJS.ErrnoException).code) {
      yield [issueEvent('failed', path, where, describeFsError(error as NodeJS.ErrnoException))];
    } else {
      yield [issueEvent('failed', path, where, `cannot read it: ${(error as Error).message ?? String(error)}`)];
    }
  }
}

async function* readFolderSource(root: string, options: ImportOptions, signal: AbortSignal | undefined): AsyncGenerator<ImportEvent[]> {
  let files: FolderFile[];
  try {
    files = await listFolder(root);
  } catch (error) {
    yield [issueEvent('failed', root, '', `cannot list the folder: ${describeFsError(error as NodeJS.ErrnoException)}`)];
    return;
  }
  if (files.length === 0) {
    yield [issueEvent('failed', root, '', 'empty folder (no files in it or its subfolders)')];
    return;
  }
  const bytesTotal = files.reduce((sum, file) => sum + file.size, 0);
  let bytesDone = 0;
  let reported = 0;
  let filesSinceReport = 0;
  yield [{ kind: 'progress', file: root, bytesDone: 0, bytesTotal }];
  for (const file of files) {
    signal?.throwIfAborted();
    for await (const page of readFileSource(file.path, options, signal, { relative: file.relative, label: file.label })) {
      // A CSV inside the folder reports its own progress; the folder's total is what the user waits on.
      yield page.filter((event) => event.kind !== 'progress');
    }
    bytesDone += file.size;
    filesSinceReport++;
    if (bytesDone - reported >= PROGRESS_BYTES || filesSinceReport >= PROGRESS_FILES) {
      await yieldToEventLoop();
      signal?.throwIfAborted();
      yield [{ kind: 'progress', file: root, bytesDone, bytesTotal }];
      reported = bytesDone;
      filesSinceReport = 0;
    }
  }
  yield [{ kind: 'progress', file: root, bytesDone, bytesTotal }];
}

/**
 * Streams every source (files or folders) in order. Never throws for bad input: bad input becomes issues.
 * Throws only for programmer errors, and signal.reason when the signal fires.
 */
export async function* readSources(paths: string[], options: ImportOptions, signal?: AbortSignal): AsyncGenerator<ImportEvent> {
  if (!Array.isArray(paths)) throw new TypeError('readSources: paths must be an array of file or folder paths');
  for (const given of paths) {
    signal?.throwIfAborted();
    const path = resolve(given);
    let isFolder: boolean;
    try {
      isFolder = (await stat(path)).isDirectory();
    } catch (error) {
      yield issueEvent('failed', path, '', describeFsError(error as NodeJS.ErrnoException));
      continue;
    }
    // The readers hand out pages of events (one per 256 KB read or per file); single events only from here.
    const pages = isFolder ? readFolderSource(path, options, signal) : readFileSource(path, options, signal, {});
    for await (const page of pages) {
      for (const event of page) {
        signal?.throwIfAborted();
        yield event;
      }
    }
  }
}
