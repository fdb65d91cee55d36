// Generates the bundled sample project's data: resources/sample/spam-assassin-sample.csv and sample.json.
// 300 SpamAssassin e-mails (200 ham, 60 spam, 40 hard ham: a realistic imbalance), headers stripped, HTML bodies
// turned into text, picked by a seeded shuffle so every run writes the same files.
// Run: npx tsx scripts/make-sample.ts
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from 'html-to-text';
import { toCsv } from '../shared/csv.js';
import { createRng, shuffleInPlace } from '../shared/random.js';
import { loadSpamAssassin, type SpamLabel } from '../test/fixtures/corpora.js';

const PER_LABEL: Record<SpamLabel, number> = { ham: 200, spam: 60, hard_ham: 40 };
const DESCRIPTIONS: Record<SpamLabel, string> = {
  ham: 'Ordinary wanted mail: mailing-list discussion, newsletters the reader subscribed to, personal mail.',
  spam: 'Unsolicited bulk mail: advertising, scams, "make money fast".',
  hard_ham: 'Wanted mail that looks like spam: commercial newsletters, order confirmations, promotions the reader asked for.',
};
/** Long messages are cut here: the sample stays small and nothing in it needs more to be classified. */
const MAX_CHARS = 4000;
const SEED = 20240501;

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'sample');

function readable(body: string): string {
  const html = /<html|<body|<table|<p>/i.test(body);
  const text = html ? convert(body, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] }) : body;
  return text.replace(/\r\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim().slice(0, MAX_CHARS);
}

const rng = createRng(SEED);
const rows: string[][] = [];
// Different raw bodies can read the same once cleaned and cut: keep each text once, so the import keeps them all.
const seen = new Set<string>();
const isNew = (text: string) => !seen.has(text) && Boolean(seen.add(text));
for (const label of Object.keys(PER_LABEL) as SpamLabel[]) {
  const pool = loadSpamAssassin().all.filter((e) => e.label === label);
  const picked = shuffleInPlace([...pool], rng)
    .map((e) => readable(e.text))
    .filter((text) => text.length > 20 && isNew(text))
    .slice(0, PER_LABEL[label]);
  for (const text of picked) rows.push([text, label]);
}
shuffleInPlace(rows, rng);

const csvFile = 'spam-assassin-sample.csv';
writeFileSync(join(outDir, csvFile), toCsv(['text', 'label'], rows));
const manifest = { name: 'SpamAssassin sample', task: 'single_label', file: csvFile, textCol: 'text', labelCol: 'label', labels: DESCRIPTIONS };
writeFileSync(join(outDir, 'sample.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${rows.length} e-mails to ${join(outDir, csvFile)}`);
