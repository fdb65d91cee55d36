// `finetune predict`: runs a trained model folder (or an ONNX export) on new documents and writes a CSV with the
// predicted label(s) and every class's probability.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { predictionsToCsv } from '../../../shared/csv.js';
import { EXPLANATION_MEANING, explainPair, explainPredictions, MAX_WINDOWS } from '../../../shared/explain.js';
import { readSources } from '../import/index.js';
import { isExportFolder, loadOnnxPredictor } from '../export/onnx-predictor.js';
import { loadPredictor } from '../training/predictor.js';
import { formatIssueLine } from './import.js';
import { displayPath, EXIT, interruptSignal, statusLine, UsageError } from './common.js';
import { runTokenPredict } from './tokens.js';
import { isTaggerFolder } from '../training/tagger/files.js';

interface PredictCliOptions {
  model: string;
  data: string;
  textCol?: string;
  pairCol?: string;
  labelCol?: string;
  labelSep: string;
  quantized?: boolean;
  explain?: boolean;
  out: string;
}

export function predictCommand(): Command {
  return new Command('predict')
    .description('predict labels for new documents with a trained model folder or an ONNX export folder')
    .requiredOption('--model <dir>', 'DIR/model from `finetune train`, or an export folder from `finetune export` (runs in ONNX Runtime)')
    .requiredOption('--data <path>', 'a CSV/TSV/JSONL file, a folder or a document to predict')
    .option('--text-col <column>', 'the text column')
    .option('--pair-col <column>', 'for a sentence-pair model: the column of the second text')
    .option('--label-col <column>', 'a column with known labels, copied into the output as "true" for comparison')
    .option('--label-sep <sep>', 'separator between labels in the output and in --label-col', '|')
    .option('--quantized', 'with an export folder: run its int8 model (made by export --quantize)')
    .option('--explain', `add a "why" column: the words whose removal most lowers the label's lead (each document is scored again without each of up to ${MAX_WINDOWS} word windows)`)
    .requiredOption('--out <file>', 'the CSV to write (for a token model: JSONL, one line per sentence with its entities as spans)')
    .action(async (opts: PredictCliOptions) => {
      process.exitCode = await runPredict(opts);
    });
}

/** The model folder to load: an export folder, DIR/model, or the run folder DIR that holds it. */
function modelFolder(given: string): string {
  if (isExportFolder(given) || existsSync(join(given, 'manifest.json'))) return given;
  if (existsSync(join(given, 'model', 'manifest.json'))) return join(given, 'model');
  throw new UsageError(`${given}: not a model folder (no manifest.json). Give DIR/model from finetune train, or a folder made by finetune export.`);
}

async function runPredict(opts: PredictCliOptions): Promise<number> {
  for (const path of [opts.model, opts.data]) if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder.`);
  const model = modelFolder(opts.model);
  if (await isTaggerFolder(model)) return runTokenPredict(model, opts.data, opts.out);
  if (opts.quantized && !isExportFolder(model)) {
    throw new UsageError(`--quantized runs the int8 model of an export folder, and ${displayPath(model)} is a training model folder; make one with finetune export --model ${displayPath(model)} --out DIR --quantize.`);
  }
  const data = resolve(opts.data);
  // Where each prediction comes from, so the output can be joined back to the input even when rows were skipped.
  const sourceOf = (file: string, ref: string) => (file === data ? ref : /^\d+$/.test(ref) ? `${relative(data, file)}:${ref}` : ref);
  const documents: { text: string; pair?: string; labels: string[] | null; source: string }[] = [];
  let unread = 0;
  for await (const event of readSources([opts.data], { textCol: opts.textCol, labelCol: opts.labelCol, multiLabel: true, labelSep: opts.labelSep })) {
    if (event.kind === 'issue') {
      unread++;
      process.stderr.write(`${event.issue.status} ${formatIssueLine(event.issue)}\n`);
    }
    if (event.kind !== 'record') continue;
    const { record } = event;
    const pair = opts.pairCol === undefined ? undefined : String(record.metadata[opts.pairCol] ?? '').trim();
    if (pair === '') {
      unread++;
      process.stderr.write(`skipped ${displayPath(record.sourceFile)} (row ${record.sourceRef}): no second text in column "${opts.pairCol}"\n`);
      continue;
    }
    documents.push({ text: record.text, pair, labels: record.labels, source: sourceOf(record.sourceFile, record.sourceRef) });
  }
  if (documents.length === 0) throw new Error(`${displayPath(opts.data)}: no documents to predict.`);

  const predictor = isExportFolder(model) ? await loadOnnxPredictor(model, { quantized: opts.quantized }) : await loadPredictor(model);
  if (predictor.pairs && opts.pairCol === undefined) {
    await predictor.dispose();
    throw new UsageError(`${displayPath(model)} is a sentence-pair model: give --pair-col, the column of each input's second text.`);
  }
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
      predictor.pairs ? documents.map((d) => d.pair!) : undefined,
    );
    status.end();
    if (opts.explain) {
      status.show(`explaining ${rows.length} documents (each scored again without each word window)`);
      const predict = (texts: string[], pairs?: string[]) => predictor.predict(texts, undefined, interrupt.signal, pairs);
      const explained = predictor.pairs
        ? await Promise.all(rows.map((row, i) => explainPair(predictor.task, { ...row, pair: documents[i].pair! }, predict)))
        : await explainPredictions(predictor.task, rows, (texts) => predict(texts));
      rows.splice(0, rows.length, ...explained);
      status.end();
    }
    rows.forEach((row, i) => {
      row.source = documents[i].source;
      if (documents[i].pair !== undefined) row.pair = documents[i].pair;
      if (opts.labelCol) row.trueLabels = documents[i].labels ?? [];
    });
    await writeFile(opts.out, predictionsToCsv(rows, predictor.labels, opts.labelSep));
    const seconds = (performance.now() - started) / 1000;
    const skipped = unread ? ` ${unread} item${unread === 1 ? ' was' : 's were'} not read (listed above); the "source" column names each prediction's row or file.` : '';
    process.stdout.write(`Predicted ${rows.length} documents in ${seconds.toFixed(1)} s; wrote ${displayPath(opts.out)}.${skipped}\n`);
    if (opts.explain) process.stdout.write(`The "why" column: ${EXPLANATION_MEANING}\n`);
    return EXIT.ok;
  } finally {
    interrupt.dispose();
    await predictor.dispose();
  }
}
