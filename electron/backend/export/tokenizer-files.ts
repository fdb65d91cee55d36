// A Hugging Face tokenizer's files copied into an export, with tokenizer_config.json's model_max_length set to what
// the export expects (how long an input the tokenizer lets through with truncation=True).
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Copies those of `names` that `from` has; returns the names written. */
export async function copyTokenizerFiles(from: string, to: string, names: readonly string[], modelMaxLength: number): Promise<string[]> {
  const written: string[] = [];
  for (const name of names) {
    const source = path.join(from, name);
    if (!existsSync(source)) continue;
    if (name === 'tokenizer_config.json') {
      const config = JSON.parse(await readFile(source, 'utf8')) as Record<string, unknown>;
      await writeFile(path.join(to, name), JSON.stringify({ ...config, model_max_length: modelMaxLength }, null, 2));
    } else {
      await copyFile(source, path.join(to, name));
    }
    written.push(name);
  }
  return written;
}
