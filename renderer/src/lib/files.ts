// Files the user drops or picks, uploaded to the backend ('import:upload') so it can import them by path.
// In the browser the page never sees real paths; the same route works in Electron, so there is one path.
import { api } from '../api/index.js';

export interface PickedFile {
  /** Shown to the user: the name, with the folder it came from when a folder was dropped. */
  name: string;
  file: File;
}

function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(new Error(`Could not read ${file.name}: ${reader.error?.message ?? 'unknown reason'}.`));
    reader.readAsDataURL(file);
  });
}

export async function upload(picked: PickedFile): Promise<string> {
  const { path } = await api.invoke('import:upload', { name: picked.name.replace(/[\\/]/g, '_'), base64: await base64Of(picked.file) });
  return path;
}

function filesOfEntry(entry: FileSystemEntry, prefix: string): Promise<PickedFile[]> {
  if (entry.isFile) {
    return new Promise((resolve, reject) =>
      (entry as FileSystemFileEntry).file((file) => resolve([{ name: prefix + file.name, file }]), reject),
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
