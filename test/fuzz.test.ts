// A bounded fuzz sample of the importer (issue 9): 210 mutants of CSV, TSV, JSONL, .eml, .html, .docx and .pdf
// seeds, each previewed and imported into a real project in a separate process. No crash, no hang, no unclear
// message, no saved document lost. `npm run fuzz` runs more, with other seeds.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeFinding, runFuzz } from './fuzz/harness.js';

it('the importer survives 210 mutated files with clear messages and loses nothing', async () => {
  const summary = await runFuzz({ count: 210, seed: 1 });
  const report = (kind: string, list: Parameters<typeof describeFinding>[0][]) => `${list.length} ${kind}:\n${list.slice(0, 10).map(describeFinding).join('\n')}`;
  assert.equal(summary.crashes.length, 0, report('crashes', summary.crashes));
  assert.equal(summary.hangs.length, 0, report('hangs', summary.hangs));
  assert.equal(summary.lost.length, 0, report('losses', summary.lost));
  assert.equal(summary.unclear.length, 0, report('unclear messages', summary.unclear));
  // The sample must reach the parsers, not only their refusals: some mutants still import.
  assert.ok(summary.imported > 20 && summary.refused > 20, `imported ${summary.imported}, refused ${summary.refused}`);
});
