// A 200 MB CSV streams through the importer with bounded memory and steady progress events.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSources } from '../electron/backend/import/index.js';

const dir = mkdtempSync(join(tmpdir(), 'import-stream-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1024 * 1024;

/** Writes about `megabytes` MB of CSV (rows of ~200 bytes with quoted commas and newlines); returns the row count. */
function writeBigCsv(path: string, megabytes: number): number {
  const rows: string[] = [];
  let blockBytes = 0;
  for (let i = 0; blockBytes < MB; i++) {
    const row = `${i},"Ticket ${i}: the printer on floor ${i % 9} jams, again;\nplease send someone ""soon"" - ${'x'.repeat(i % 120)}",label${i % 5}\n`;
    rows.push(row);
    blockBytes += Buffer.byteLength(row);
  }
  const block = Buffer.from(rows.join(''));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, 'id,text,label\n');
    const blocks = Math.ceil((megabytes * MB) / block.length);
    for (let i = 0; i < blocks; i++) writeSync(fd, block);
    return blocks * rows.length;
  } finally {
    closeSync(fd);
  }
}

test('a 200 MB CSV is streamed: peak RSS grows far less than the file, progress at least every ~1 MB', async (t) => {
  const path = join(dir, 'big.csv');
  const expectedRows = writeBigCsv(path, 200);
  const size = statSync(path).size;
  assert.ok(size >= 200 * MB);

  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  let records = 0;
  let lastRecord = '';
  const progress: number[] = [];
  for await (const event of readSources([path], { textCol: 'text', labelCol: 'label' })) {
    if (event.kind === 'record') {
      records++;
      if (records % 20_000 === 0) peak = Math.max(peak, process.memoryUsage.rss());
      lastRecord = event.record.sourceRef;
    } else if (event.kind === 'progress') {
      progress.push(event.bytesDone);
      assert.equal(event.bytesTotal, size);
      peak = Math.max(peak, process.memoryUsage.rss());
    } else if (event.kind === 'issue') {
      assert.fail(`unexpected issue: ${JSON.stringify(event.issue)}`);
    }
  }
  assert.equal(records, expectedRows);
  assert.equal(lastRecord, String(expectedRows));
  assert.equal(progress.at(-1), size);
  const gaps = progress.slice(1).map((done, i) => done - progress[i]);
  assert.ok(Math.max(...gaps) <= 1.05 * MB, `largest gap between progress events: ${Math.max(...gaps)} bytes`);
  const growthMB = (peak - baseline) / MB;
  t.diagnostic(`peak RSS growth ${growthMB.toFixed(0)} MB for a ${(size / MB).toFixed(0)} MB file`);
  assert.ok(growthMB < 150, `peak RSS grew by ${growthMB.toFixed(0)} MB while streaming ${(size / MB).toFixed(0)} MB`);
});
