// `npm run fuzz [-- --count N --seed S --keep]`: the importer fuzz run of test/fuzz.test.ts at a larger size.
// Prints crashes, hangs, unclear messages and losses (each with the mutations that made the file) and exits 1 if any.
import { parseArgs } from 'node:util';
import { describeFinding, runFuzz } from '../test/fuzz/harness.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' }, seed: { type: 'string', default: String(Date.now() % 100_000) }, keep: { type: 'boolean', default: false } } });
const count = Number(values.count);
const seed = Number(values.seed);
const started = Date.now();
let shown = 0;
const summary = await runFuzz({
  count,
  seed,
  keep: values.keep,
  onFile: (done, total) => {
    if (done - shown >= 100 || done === total) {
      shown = done;
      process.stderr.write(`fuzz: ${done}/${total} files, ${Math.round((Date.now() - started) / 1000)} s\n`);
    }
  },
});
for (const kind of ['crashes', 'hangs', 'lost', 'unclear'] as const) {
  console.log(`${kind}: ${summary[kind].length}`);
  for (const finding of summary[kind]) console.log(`  ${describeFinding(finding)}`);
}
console.log(`files ${summary.files} (seed ${seed}): ${summary.imported} imported something, ${summary.refused} refused or skipped with a message; longest event-loop stall ${summary.longestStall.ms} ms (${summary.longestStall.file})`);
if (summary.folder) console.log(`mutants kept in ${summary.folder}`);
process.exitCode = summary.crashes.length + summary.hangs.length + summary.lost.length + summary.unclear.length > 0 ? 1 : 0;
