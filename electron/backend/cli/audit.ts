// `finetune audit`: one archive an auditor can read and check — the run's report with its verdict, settings and
// seed, software versions, metrics with intervals, every training / validation / test document by content hash
// (the text only with --with-text), the annotation history, the synthetic examples with their sources, and the
// model's file hashes — with a manifest of sha256 hashes over every file. `finetune audit verify` checks it.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AuditPackError, buildAuditPack, verifyAuditPack } from '../app/audit-pack.js';
import { RunError, type ProjectStore } from '../store/project-store.js';
import { displayPath, EXIT, projectOption, UsageError, withProject } from './common.js';

async function writePack(store: ProjectStore, runId: number, out: string, withText: boolean, exportDirs: string[]): Promise<string> {
  for (const dir of exportDirs) if (!existsSync(join(dir, 'onnx', 'model.onnx'))) throw new UsageError(`${displayPath(dir)}: not an export folder (no onnx/model.onnx); give the --out folder of finetune export.`);
  const pack = await buildAuditPack(store, runId, { withText, verifyHint: `npx finetune audit verify ${displayPath(out)}`, exportDirs: exportDirs.map((d) => resolve(d)) }).catch((error: unknown) => {
    throw error instanceof RunError ? new UsageError(error.message.replace(store.file, displayPath(store.file))) : error;
  });
  await writeFile(out, pack.bytes);
  return `Wrote ${displayPath(out)}: ${pack.files} files and their manifest (${pack.documents} documents, ${pack.annotations} annotations).\n`;
}

export function auditCommand(): Command {
  const command = new Command('audit')
    .description('write an audit pack of a run (report, settings, versions, documents by hash, annotation history, model hashes)')
    .addOption(projectOption().makeOptionMandatory(false))
    .option('--run <id>', 'the run (default: the latest completed one)')
    .option('--out <file>', 'the .zip to write', 'audit.zip')
    .option('--with-text', 'include each document\'s text in documents.csv (left out by default)')
    .option('--export <dir>', 'an ONNX export of the run (finetune export --out DIR) whose files are hashed too; repeatable', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .action(async (opts: { project?: string; run?: string; out: string; withText?: boolean; export: string[] }) => {
      if (!opts.project) throw new UsageError('Give --project FILE (or use finetune audit verify PACK.zip).');
      process.stdout.write(
        await withProject(
          opts.project,
          (store) => {
            const completed = store.listRuns().filter((r) => r.status === 'completed');
            const runId = opts.run !== undefined ? Number(opts.run) : completed[0]?.id;
            if (runId === undefined) throw new UsageError(`${displayPath(store.file)}: no completed run to audit yet.`);
            return writePack(store, runId, opts.out, Boolean(opts.withText), opts.export);
          },
          { reading: true },
        ),
      );
    });
  command
    .command('verify <pack>')
    .description('check an audit pack against its manifest and name every file that changed')
    .action(async (pack: string) => {
      const result = await verifyAuditPack(pack).catch((error: unknown) => {
        throw error instanceof AuditPackError ? new UsageError(error.message.replace(pack, displayPath(pack))) : error;
      });
      if (result.ok) process.stdout.write(`${displayPath(pack)}: all ${result.files} files match the manifest.\n`);
      else process.stderr.write(`${displayPath(pack)}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:\n${result.problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.exitCode = result.ok ? EXIT.ok : EXIT.failed;
    });
  return command;
}
