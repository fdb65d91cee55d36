// `finetune predict`: runs a trained model folder (or an ONNX export) on new documents and writes a CSV with the
// predicted label(s) and every class's probability.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { predictionsToCsv } from '../../../shared/csv.js';
import { readSources } from '../import/index.js';
import { isExportFolder, loadOnnxPredictor } from '../export/onnx-predictor.js';
import { loadPredictor } from '../training/predictor.js';
import { formatIssueLine } from './import.js';
import { displayPath, EXIT, interruptSignal, statusLine, UsageError } from './common.js';

interface PredictCliOptions {
  model: string;
  data: string;
  textCol?: string;
  labelCol?: string;
  labelSep: string;
  quantized?: boolean;
  out: string;
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('predict labels for new documents with a trained model folder or an ONNX export folder')
    .requiredOption('--model <dir>', 'DIR/model from `finetune train`, or an export folder from `finetune export` (runs in ONNX Runtime)')
    .requiredOption('--data <path>', 'a CSV/TSV/JSONL file, a folder or a document to predict')
    .option('--text-col <column>', 'the text column')
    .option('--label-col <column>', 'a column with known labels, copied into the output as "true" for comparison')
    .option('--label-sep <sep>', 'separator between labels in the output and in --label-col', '|')
    .option('--quantized', 'with an export folder: run its int8 model (made by export --quantize)')
    .requiredOption('--out <file>', 'the CSV to write')
    .action(async (opts: PredictCliOptions) => {
      process.exitCode = await runPredict(opts);
    });
}

async function runPredict(opts: PredictCliOptions): Promise<number> {
  for (const path of [opts.model, opts.data]) if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder.`);
  const documents: { text: string; labels: string[] | null }[] = [];
  for await (const event of readSources([opts.data], { textCol: opts.textCol, labelCol: opts.labelCol, multiLabel: true, labelSep: opts.labelSep })) {
    if (event.kind === 'issue') process.stderr.write(`${event.issue.status} ${formatIssueLine(event.issue)}\n`);
    if (event.kind === 'record') documents.push({ text: event.record.text, labels: event.record.labels });
  }
  if (documents.length === 0) throw new UsageError(`${displayPath(opts.data)}: no documents to predict.`);

  const predictor = isExportFolder(opts.model) ? await loadOnnxPredictor(opts.model, { quantized: opts.quantized }) : await loadPredictor(opts.model);
  const status = statusLine();
  const interrupt = interruptSignal();
  const started = performance.now();
  try {
    const rows = await predictor.predict(
      documents.map((d) => d.text),
      ({ done, total }) => {
        const seconds = (performance.now() - started) / 1000;
        const eta = done > 0 ? `, about ${Math.ceil((seconds * (total - done)) / done)} s left` : '';
        status.show(`predicting: ${done}/${total}${eta}`);
      },
      interrupt.signal,
    );
    status.end();
    if (opts.labelCol) rows.forEach((row, i) => (row.trueLabels = documents[i].labels ?? []));
    await writeFile(opts.out, predictionsToCsv(rows, predictor.labels, opts.labelSep));
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`Predicted ${rows.length} documents in ${seconds.toFixed(1)} s; wrote ${displayPath(opts.out)}.\n`);
    return EXIT.ok;
  } finally {
    interrupt.dispose();
    await predictor.dispose();
  }
}
