// Reader-only speed of the importers (no SQLite): all 6,046 SpamAssassin messages as .eml files in label
// folders, and a 50 MB CSV. `npx tsx bench/import-parsers.ts` prints the figures as JSON.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readSources } from '../electron/backend/import/index.js';
import { fastPassThrough } from '../electron/backend/import/mail.js';
import { writeSpamAssassinFolder } from '../test/fixtures/corpora.js';

interface Timing {
  records: number;
  issues: number;
  wallSeconds: number;
  cpuSeconds: number;
}

async function timeRead(path: string, options = {}): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let records = 0;
  let issues = 0;
  for await (const event of readSources([path], options)) {
    if (event.kind === 'record') records++;
    else if (event.kind === 'issue') issues++;
  }
  const used = process.cpuUsage(cpu);
  return { records, issues, wallSeconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

function writeCsv(path: string, megabytes: number): void {
  const rows: string[] = [];
  for (let i = 0; rows.length < 5000; i++) rows.push(`${i},"Ticket ${i}: the printer on floor ${i % 9} jams, again; please ""help""",label${i % 5}\n`);
  const block = Buffer.from(rows.join(''));
  const fd = openSync(path, 'w');
  writeSync(fd, 'id,text,label\n');
  for (let written = 0; written < megabytes * 2 ** 20; written += block.length) writeSync(fd, block);
  closeSync(fd);
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-import-parsers-'));
  try {
    const mailDir = join(dir, 'spam-assassin');
    const files = writeSpamAssassinFolder(mailDir, { includeDuplicates: true }).length;
    await timeRead(mailDir); // warm-up: module loading and JIT
    const eml = await timeRead(mailDir);
    const csvPath = join(dir, 'tickets.csv');
    writeCsv(csvPath, 50);
    const csvMB = statSync(csvPath).size / 2 ** 20;
    const csv = await timeRead(csvPath, { textCol: 'text', labelCol: 'label' });
    return {
      emlFiles: files,
      emlRecords: eml.records,
      emlSkippedOrFailed: eml.issues,
      emlSeconds: round(eml.wallSeconds),
      emlCpuSeconds: round(eml.cpuSeconds),
      emlPerSecond: Math.round(files / eml.wallSeconds),
      // CPU figures stay meaningful when other processes share the machine; wall figures do not.
      emlPerCpuSecond: Math.round(files / eml.cpuSeconds),
      emlCpuMicrosecondsEach: Math.round((eml.cpuSeconds * 1e6) / files),
      // postal-mime with its plain-body join replaced (false: the library runs unmodified, only slower).
      emlFastPassThrough: fastPassThrough,
      csvMB: round(csvMB, 1),
      csvRows: csv.records,
      csvSeconds: round(csv.wallSeconds),
      csvCpuSeconds: round(csv.cpuSeconds),
      csvMBPerSecond: round(csvMB / csv.wallSeconds, 1),
      csvMBPerCpuSecond: round(csvMB / csv.cpuSeconds, 1),
      loadAverage: round(loadavg()[0], 1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) console.log(JSON.stringify(await run(), null, 2));
