// Files the user drops or picks, streamed to the backend (upload:begin / upload:chunk / upload:finish) so it can
// import them by path. In the browser the page never sees real paths; the same route works in Electron.
import { MAX_UPLOAD_CHUNK_BYTES, type DownloadOffer } from '../../../shared/contract.js';
import { api } from '../api/index.js';

export interface PickedFile {
  /** Shown to the user: the name, with the folder it came from when a folder was dropped. */
  name: string;
  file: File;
  /** For a file inside a dropped or picked folder: its path from that folder's parent ('mail/spam/1.eml'). */
  relativePath?: string;
}

export interface Uploaded {
  path: string;
  /** Files of a folder: the dropped folder rebuilt on the host (import it: its subfolders become labels). */
  folder?: string;
  /** Files of a folder: the drop's own folder on the host, which holds every folder dropped together. */
  batchFolder?: string;
}

/** Bytes as base64, in pieces (btoa on one huge string would exhaust the stack). */
function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A fresh id for one drop, so the folders of two drops never mix on the host. */
export function newUploadBatch(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Uploads one file in chunks; with a batch id, a file of a folder keeps its folders on the host (see 'upload:begin'). */
export async function upload(picked: PickedFile, batch?: string): Promise<Uploaded> {
  const { file } = picked;
  const folder = picked.relativePath && batch ? { relativePath: picked.relativePath, batch } : {};
  const { uploadId } = await api.invoke('upload:begin', { name: file.name, size: file.size, ...folder });
  for (let offset = 0; offset < file.size; offset += MAX_UPLOAD_CHUNK_BYTES) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.slice(offset, offset + MAX_UPLOAD_CHUNK_BYTES).arrayBuffer());
    } catch (error) {
      throw new Error(`Could not read ${file.name}: ${(error as Error).message}.`);
    }
    await api.invoke('upload:chunk', { uploadId, offset, base64: base64Of(bytes) });
  }
  return api.invoke('upload:finish', { uploadId });
}

/** Files picked with a folder picker (`webkitdirectory`) carry their path inside the folder. */
export function filesOfInput(files: FileList): PickedFile[] {
  return [...files].map((file) =>
    file.webkitRelativePath ? { name: file.webkitRelativePath, file, relativePath: file.webkitRelativePath } : { name: file.name, file },
  );
}

function filesOfEntry(entry: FileSystemEntry, prefix: string): Promise<PickedFile[]> {
  if (entry.isFile) {
    // prefix is '' for a file dropped on its own; inside a dropped folder it is the folders down to the file.
    return new Promise((resolve, reject) =>
      (entry as FileSystemFileEntry).file(
        (file) => resolve([prefix ? { name: prefix + file.name, file, relativePath: prefix + file.name } : { name: file.name, file }]),
        reject,
      ),
    );
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  return new Promise((resolve, reject) => {
    const found: PickedFile[] = [];
    // readEntries returns the folder in batches; an empty batch means the end.
    const readBatch = () =>
      reader.readEntries(async (entries) => {
        if (entries.length === 0) return resolve(found);
        for (const child of entries) found.push(...(await filesOfEntry(child, `${prefix}${entry.name}/`)));
        readBatch();
      }, reject);
    readBatch();
  });
}

/** Every file in a drop, descending into dropped folders. */
export async function filesOfDrop(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return [...transfer.files].map((file) => ({ name: file.name, file }));
  const lists = await Promise.all(entries.map((entry) => filesOfEntry(entry, '')));
  return lists.flat();
}

/** Offers text or bytes as a file download (CSV exports, files the backend offered). */
export function download(name: string, content: string | BlobPart[], type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob(typeof content === 'string' ? [content] : content, { type }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file the backend offered (an ONNX export's zip, an audit pack), fetched in chunks and saved by the browser. */
export async function saveOffered(offer: DownloadOffer, onProgress?: (fraction: number) => void): Promise<void> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  for (;;) {
    const { base64, done } = await api.invoke('download:chunk', { downloadId: offer.downloadId, offset });
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    parts.push(bytes);
    offset += bytes.length;
    onProgress?.(offer.bytes ? offset / offer.bytes : 1);
    if (done) break;
  }
  download(offer.fileName, parts, 'application/zip');
}
