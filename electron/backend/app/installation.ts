// Settings of this installation, kept as JSON in the data folder: the name labels are recorded under (asked once,
// changeable). A damaged file reads as no settings; nothing else lives there.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface InstallationSettings {
  /** Who labels and reviews here: recorded with every label and review made in the app (the audit pack lists it). */
  author: string | null;
}

export class Installation {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'settings.json');
  }

  read(): InstallationSettings {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { author?: unknown };
      return { author: typeof parsed.author === 'string' && parsed.author.trim() ? parsed.author.trim() : null };
    } catch {
      return { author: null };
    }
  }

  setAuthor(author: string): InstallationSettings {
    const next = { ...this.read(), author: author.trim() };
    writeFileSync(this.file, JSON.stringify(next, null, 2));
    return next;
  }
}
