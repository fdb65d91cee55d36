// Files the page hands over (the browser cannot give paths): streamed to disk under the data folder's uploads/ in
// chunks (upload:begin, upload:chunk, upload:finish), limited in size, with strict base64, and removed once imported
// — or when left unfinished (at close, and uploads older than a day at start).
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { MAX_UPLOAD_CHUNK_BYTES } from '../../../shared/contract.js';
import { freePath, safeFileName } from './paths.js';

/** One file at most, and all pending uploads together. */
export const MAX_UPLOAD_BYTES = 1024 ** 3;
export const MAX_PENDING_BYTES = 4 * 1024 ** 3;

const STALE_MS = 24 * 3600_000;
const UPLOAD_BATCH = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_UPLOAD_DEPTH = 32;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class UploadError extends Error {
  override name = 'UploadError';
}

/**
 * The folders of a file dropped inside a folder, rebuilt safely: `relativePath` comes from the page, so anything that
 * could leave the batch folder (an absolute path, a drive, '..', '.', an empty segment, a NUL) is refused, and each
 * segment is cleaned like a file name. Returns the segments to join under uploads/<batch>/.
 */
export function safeRelativeSegments(relativePath: string): string[] {
  const refuse = (reason: string): never => {
    throw new UploadError(`Upload refused: the path '${relativePath.replace(/\0/g, '\\0')}' ${reason}.`);
  };
  if (relativePath.includes('\0')) refuse('contains a NUL character');
  if (/^([\\/]|[A-Za-z]:)/.test(relativePath)) refuse('is absolute; only paths inside the dropped folder are accepted');
  const segments = relativePath.split(/[\\/]/);
  if (segments.length > MAX_UPLOAD_DEPTH) refuse(`is more than ${MAX_UPLOAD_DEPTH} folders deep`);
  for (const segment of segments) {
    if (segment === '..' || segment === '.') refuse(`contains '${segment}'`);
    if (segment.trim() === '') refuse('has an empty folder name');
  }
  return segments.map(safeFileName);
}

interface Pending {
  path: string;
  partPath: string;
  size: number;
  received: number;
  fd: number;
  folder?: string;
  batchFolder?: string;
  name: string;
}

export class Uploads {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.removeStale();
  }

  /** Where a file of this name (and folder path, for a dropped folder) will land; reserves it. */
  begin(request: { name: string; size: number; relativePath?: string; batch?: string }): { uploadId: string } {
    const { name, size, relativePath, batch } = request;
    if (size > MAX_UPLOAD_BYTES) throw new UploadError(`${name}: ${(size / 1024 ** 2).toFixed(0)} MB is more than the ${MAX_UPLOAD_BYTES / 1024 ** 3} GB one upload may hold; import it from the command line (finetune import) instead.`);
    const inFlight = [...this.pending.values()].reduce((s, p) => s + p.size, 0);
    if (inFlight + size > MAX_PENDING_BYTES) throw new UploadError(`${name}: uploads in progress would exceed ${MAX_PENDING_BYTES / 1024 ** 3} GB; import the files already sent first.`);
    const taken = (path: string) => [...this.pending.values()].some((p) => p.path === path);
    let path: string;
    let folder: string | undefined;
    let batchFolder: string | undefined;
    if (relativePath === undefined) {
      path = freePath(this.dir, safeFileName(name), taken);
    } else {
      if (batch === undefined || !UPLOAD_BATCH.test(batch)) {
        throw new UploadError(`Upload refused for '${relativePath}': a folder upload needs a batch id of 1–64 letters, digits, '-' or '_'.`);
      }
      const segments = safeRelativeSegments(relativePath);
      batchFolder = join(this.dir, batch);
      const target = join(batchFolder, ...segments.slice(0, -1));
      mkdirSync(target, { recursive: true });
      path = freePath(target, segments.at(-1)!, taken);
      folder = segments.length > 1 ? join(batchFolder, segments[0]) : batchFolder;
    }
    const partPath = `${path}.part-${randomBytes(4).toString('hex')}`;
    const uploadId = randomBytes(16).toString('hex');
    this.pending.set(uploadId, { path, partPath, size, received: 0, fd: openSync(partPath, 'wx'), folder, batchFolder, name });
    return { uploadId };
  }

  /** Appends the next bytes (base64) at `offset`, which must be where the previous chunk ended. */
  chunk(request: { uploadId: string; offset: number; base64: string }): { received: number } {
    const upload = this.get(request.uploadId);
    if (request.offset !== upload.received) throw new UploadError(`${upload.name}: chunk at byte ${request.offset}, but ${upload.received} bytes were received; send the chunks in order.`);
    if (!BASE64.test(request.base64)) {
      this.abort(request.uploadId);
      throw new UploadError(`${upload.name}: a chunk is not valid base64 (the upload was dropped; try again).`);
    }
    const bytes = Buffer.from(request.base64, 'base64');
    if (bytes.length > MAX_UPLOAD_CHUNK_BYTES) throw new UploadError(`${upload.name}: a chunk of ${bytes.length} bytes is larger than ${MAX_UPLOAD_CHUNK_BYTES}.`);
    if (upload.received + bytes.length > upload.size) {
      this.abort(request.uploadId);
      throw new UploadError(`${upload.name}: more bytes arrived than the ${upload.size} announced (the upload was dropped).`);
    }
    writeSync(upload.fd, bytes, 0, bytes.length, upload.received);
    upload.received += bytes.length;
    return { received: upload.received };
  }

  finish(uploadId: string): { path: string; folder?: string; batchFolder?: string } {
    const upload = this.get(uploadId);
    if (upload.received !== upload.size) throw new UploadError(`${upload.name}: ${upload.received} of ${upload.size} bytes arrived; send the rest before finishing.`);
    closeSync(upload.fd);
    this.pending.delete(uploadId);
    renameSync(upload.partPath, upload.path);
    return { path: upload.path, ...(upload.folder ? { folder: upload.folder, batchFolder: upload.batchFolder } : {}) };
  }

  /** Removes imported files that lie under uploads/ (and their batch folder), once the import is over. */
  removeImported(paths: string[]): void {
    for (const path of paths) {
      const absolute = resolve(path);
      const inside = relative(this.dir, absolute);
      if (!inside || inside.startsWith('..') || inside.includes(`..${sep}`)) continue;
      const top = join(this.dir, inside.split(sep)[0]);
      rmSync(top, { recursive: true, force: true });
    }
  }

  /** Unfinished uploads: closed and deleted. */
  abortAll(): void {
    for (const id of [...this.pending.keys()]) this.abort(id);
  }

  private abort(uploadId: string): void {
    const upload = this.pending.get(uploadId);
    if (!upload) return;
    this.pending.delete(uploadId);
    closeSync(upload.fd);
    rmSync(upload.partPath, { force: true });
  }

  private get(uploadId: string): Pending {
    const upload = this.pending.get(uploadId);
    if (!upload) throw new UploadError('This upload is unknown or was dropped; send the file again.');
    return upload;
  }

  /** Uploads a crashed or closed app left behind, older than a day. */
  private removeStale(): void {
    for (const entry of readdirSync(this.dir)) {
      const path = join(this.dir, entry);
      try {
        if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
      } catch {
        // Gone already, or not ours to remove: leave it.
      }
    }
  }
}
