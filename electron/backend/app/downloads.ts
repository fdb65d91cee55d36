// Files the app wrote (an ONNX export, an audit pack) handed to the page in chunks over the API, so that the browser
// host can offer them as downloads: the page cannot read the server's disk, and the API's one channel keeps the
// token check, the message limit and the contract that Electron's preload shares. Only files the service offered
// itself can be read this way — the page names a random id, never a path.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import JSZip from 'jszip';
import { MAX_DOWNLOAD_CHUNK_BYTES, type DownloadOffer } from '../../../shared/contract.js';
import { freePath } from './paths.js';

/** An offer expires after this long unused (the page asks for the chunks right away). */
const OFFER_TTL_MS = 3600_000;
/** Weights are dense floats: deflating them costs seconds and saves a few percent, so they are stored as they are. */
const STORED = /\.(onnx|safetensors|bin|data)$/i;

export class DownloadError extends Error {
  override name = 'DownloadError';
}

interface Offer {
  path: string;
  fileName: string;
  bytes: number;
  /** Zips made only to be downloaded are removed once read to the end. */
  temporary: boolean;
  lastUsed: number;
}

/** Every file under `folder`, as zip entry names with forward slashes under the folder's own name. */
function filesUnder(folder: string, root = folder): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return filesUnder(path, root);
    return entry.isFile() ? [relative(root, path)] : [];
  });
}

export class Downloads {
  private readonly offers = new Map<string, Offer>();

  /** `dir`: where zips made for download are written (removed when read, and at start when older than a day). */
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (Date.now() - statSync(path).mtimeMs > 24 * 3600_000) rmSync(path, { recursive: true, force: true });
    }
  }

  /** A file the service wrote, offered under `fileName`. */
  offer(path: string, fileName: string, temporary = false): DownloadOffer {
    this.expire();
    const downloadId = randomBytes(16).toString('hex');
    const bytes = statSync(path).size;
    this.offers.set(downloadId, { path, fileName, bytes, temporary, lastUsed: Date.now() });
    return { downloadId, fileName, bytes };
  }

  /** A folder the service wrote, zipped (entries under the folder's name) and offered as `<name>.zip`. */
  async offerFolder(folder: string, name: string): Promise<DownloadOffer> {
    const zip = new JSZip();
    const top = zip.folder(name)!;
    for (const file of filesUnder(folder)) {
      top.file(file.split(sep).join('/'), readFileSync(join(folder, file)), { compression: STORED.test(file) ? 'STORE' : 'DEFLATE' });
    }
    const target = freePath(this.dir, `${name}.zip`);
    writeFileSync(target, await zip.generateAsync({ type: 'nodebuffer' }));
    return this.offer(target, `${name}.zip`, true);
  }

  /** Up to MAX_DOWNLOAD_CHUNK_BYTES from `offset` as base64; `done` once the last byte is sent. */
  chunk(request: { downloadId: string; offset: number }): { base64: string; done: boolean } {
    const offer = this.offers.get(request.downloadId);
    if (!offer) throw new DownloadError('This download is unknown or expired; save the file again.');
    if (request.offset > offer.bytes) throw new DownloadError(`${offer.fileName}: byte ${request.offset} is past its end (${offer.bytes} bytes).`);
    const length = Math.min(MAX_DOWNLOAD_CHUNK_BYTES, offer.bytes - request.offset);
    const buffer = Buffer.alloc(length);
    const fd = openSync(offer.path, 'r');
    try {
      readSync(fd, buffer, 0, length, request.offset);
    } finally {
      closeSync(fd);
    }
    const done = request.offset + length >= offer.bytes;
    offer.lastUsed = Date.now();
    if (done) this.drop(request.downloadId);
    return { base64: buffer.toString('base64'), done };
  }

  /** Every offer withdrawn and the temporary zips removed (at close). */
  dropAll(): void {
    for (const id of [...this.offers.keys()]) this.drop(id);
  }

  private drop(downloadId: string): void {
    const offer = this.offers.get(downloadId);
    this.offers.delete(downloadId);
    if (offer?.temporary) rmSync(offer.path, { force: true });
  }

  private expire(): void {
    for (const [id, offer] of this.offers) if (Date.now() - offer.lastUsed > OFFER_TTL_MS) this.drop(id);
  }
}
