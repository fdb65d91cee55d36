// Import speed: all 6,046 SpamAssassin e-mails (raw .eml in ham/ hard_ham/ spam/) into a new project, plus the
// imbalance review. Target: under 10 s on the 2-core reference machine.
// The measured work runs in a child process so that its peak memory is its own, not the bench runner's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ProjectStore } from '../electron/backend/store/project-store.js';
import { writeSpamAssassinFolder } from '../test/fixtures/corpora.js';

const thisFile = fileURLToPath(import.meta.url);
const repo = join(dirname(thisFile), '..');

interface ChildFigures {
  importSeconds: number;
  reviewSeconds: number;
  imported: number;
  skipped: number;
  failed: number;
  classes: Record<string, number>;
  imbalanceRatio: number | null;
  peakRssMB: number;
  /** CPU time of the child (user + system), less sensitive than wall time to other jobs on the machine. */
  cpuSeconds: number;
}

const round = (ms: number) => Number((ms / 1000).toFixed(3));

/** The measured part: runs in the child. */
async function measureImport(mail: string, project: string): Promise<ChildFigures> {
  const started = performance.now();
  const store = ProjectStore.create(project, { name: 'bench', task: 'single_label' });
  const report = await store.importSources([mail], {});
  const imported = performance.now();
  const review = store.review();
  const reviewed = performance.now();
  store.close();
  return {
    importSeconds: round(imported - started),
    reviewSeconds: round(reviewed - imported),
    imported: report.imported,
    skipped: report.skipped,
    failed: report.failed,
    classes: Object.fromEntries(review.classes.map((c) => [c.label, c.count])),
    imbalanceRatio: review.imbalanceRatio,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    cpuSeconds: round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
  };
}

function timed(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return (performance.now() - started) / 1000;
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'finetune-bench-import-'));
  try {
    const mail = join(dir, 'mail');
    const messages = writeSpamAssassinFolder(mail, { includeDuplicates: true }).length;
    const loadBefore = loadavg()[0];
    const child = spawnSync(process.execPath, ['--import', 'tsx', thisFile, '--child', mail, join(dir, 'a.ftproj')], {
      cwd: repo,
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`import bench child failed: ${child.stderr}`);
    const figures = JSON.parse(child.stdout) as ChildFigures;
    const seconds = figures.importSeconds + figures.reviewSeconds;
    // The same through the command line, start-up included: `finetune import` then `finetune inspect`.
    const bin = join(repo, 'bin', 'finetune.js');
    const project = join(dir, 'b.ftproj');
    const cliSeconds = timed([bin, 'import', '--project', project, '--data', mail]) + timed([bin, 'inspect', '--project', project]);
    return {
      messages,
      ...figures,
      seconds: Number(seconds.toFixed(3)),
      messagesPerSecond: Math.round(messages / seconds),
      cliSeconds: Number(cliSeconds.toFixed(2)),
      targetSeconds: 10,
      loadAverageBefore: Number(loadBefore.toFixed(2)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  process.stdout.write(JSON.stringify(await measureImport(process.argv[3], process.argv[4])));
} else if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  console.log(JSON.stringify(await run(), null, 2));
}
