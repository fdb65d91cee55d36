// The fuzz target, run in its own process so a crash or a hang costs one file, not the run: previews and imports
// each file of a folder (from a given index on) into one real project, and reports every message the user would
// read. Protocol on stdout, one JSON object per line: {start}, then {done, messages, imported, stallMs}.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { previewSource } from '../../electron/backend/import/index.js';
import { formatIssue } from '../../electron/backend/import/types.js';
import { ProjectStore } from '../../electron/backend/store/project-store.js';

const [folder, projectFile, fromIndex] = process.argv.slice(2);
const files = readdirSync(folder).sort();
const store = ProjectStore.open(projectFile);
const send = (message: object) => process.stdout.write(JSON.stringify(message) + '\n');
const documents = () => store.queryDocuments({ limit: 1 }).total;

/** The longest the event loop went without a turn while a file was read: the host's other clients wait that long. */
function stallMeter(): () => number {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  return () => {
    clearInterval(timer);
    return Math.round(Math.max(longest, performance.now() - last));
  };
}

for (const name of files.slice(Number(fromIndex))) {
  const file = join(folder, name);
  send({ start: name });
  const stalled = stallMeter();
  const messages: string[] = [];
  let options = {};
  try {
    const preview = await previewSource(file);
    if (preview.suggestedTextCol) options = { textCol: preview.suggestedTextCol, labelCol: preview.suggestedLabelCol ?? undefined };
  } catch (error) {
    messages.push(`preview: ${(error as Error).message}`);
  }
  const before = documents();
  let imported = 0;
  try {
    const report = await store.importSources([file], options);
    imported = report.imported;
    messages.push(...report.issues.map((issue) => `import: ${formatIssue(issue)}`));
  } catch (error) {
    messages.push(`import: ${(error as Error).message}`);
  }
  const after = documents();
  if (after < before) messages.push(`LOST: the project had ${before} documents before ${name} and ${after} after`);
  send({ done: name, messages, imported, stallMs: stalled() });
}
store.close();
