// Files the user drops or picks, uploaded to the backend ('import:upload') so it can import them by path.
// In the browser the page never sees real paths; the same route works in Electron, so there is one path.
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

function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(new Error(`Could not read ${file.name}: ${reader.error?.message ?? 'unknown reason'}.`));
    reader.readAsDataURL(file);
  });
}

/** A fresh id for one drop, so the folders of two drops never mix on the host. */
export function newUploadBatch(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Uploads one file; with a batch id, a file of a folder keeps its folders on the host (see 'import:upload'). */
export async function upload(picked: PickedFile, batch?: string): Promise<Uploaded> {
  const base64 = await base64Of(picked.file);
  const name = picked.file.name;
  if (!picked.relativePath || !batch) return api.invoke('import:upload', { name, base64 });
  return api.invoke('import:upload', { name, base64, relativePath: picked.relativePath, batch });
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

/** Offers text as a file download (CSV exports). */
export function download(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
