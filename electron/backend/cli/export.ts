// `finetune export`: a trained model folder -> ONNX in the Hugging Face layout, then (by default) proof that the
// export answers as the app does on the run's own test documents, and the ONNX checker when python3-onnx is present.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { exportModel, MODEL_FILE, QUANTIZED_MODEL_FILE } from '../export/index.js';
import { checkOnnxModel } from '../export/onnx-checker.js';
import { checkParity, runTestTexts, type PathFigures } from '../export/verify.js';
import { displayPath, EXIT, UsageError } from './common.js';

interface ExportCliOptions {
  model: string;
  out: string;
  quantize?: boolean;
  verify: string | false;
}

/** The app's parity bound (issue 5): probabilities within 1e-4 and identical labels. */
const PARITY_TOLERANCE = 1e-4;

export function exportCommand(): Command {
  return new Command('export')
    .description('export a trained model as ONNX (Hugging Face layout: onnx/model.onnx, config.json, tokenizer, README.md)')
    .requiredOption('--model <dir>', 'DIR/model from `finetune train`')
    .requiredOption('--out <dir>', 'the folder to write')
    .option('--quantize', 'also write onnx/model_quantized.onnx (int8 weights, dynamic quantization)')
    .option('--verify <n>', "compare with the app on up to n of the run's test documents (DIR/predictions.csv)", '100')
    .option('--no-verify', 'skip the comparison')
    .action(async (opts: ExportCliOptions) => {
      process.exitCode = await runExport(opts);
    });
}

function figuresLine(name: string, f: PathFigures, documents: number): string {
  return `  ${name.padEnd(10)} ${f.docsPerSecond.toFixed(1).padStart(7)} docs/s   max |Δp| ${f.maxAbsDiff.toExponential(1)}   same labels ${f.sameLabels}/${documents}`;
}

async function runExport(opts: ExportCliOptions): Promise<number> {
  if (!existsSync(opts.model)) throw new UsageError(`${opts.model}: no such model folder.`);
  const limit = opts.verify === false ? 0 : Number(opts.verify);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--verify must be a whole number of documents, got "${opts.verify}".`);

  const result = await exportModel(opts.model, opts.out, {
    quantize: opts.quantize,
    onProgress: (message) => process.stderr.write(`${message}\n`),
  });
  process.stdout.write(`Exported ${displayPath(opts.model)} to ${displayPath(result.outDir)}:\n${result.files.map((f) => `  ${f}`).join('\n')}\n`);
  if (result.quantization) {
    const q = result.quantization;
    process.stdout.write(`int8: ${q.matMuls} MatMul weights and ${q.gathers} embedding tables quantized (${(q.floatBytesBefore / 1e6).toFixed(1)} MB -> ${(q.int8Bytes / 1e6).toFixed(1)} MB)\n`);
  }

  let ok = true;
  for (const file of [MODEL_FILE, ...(opts.quantize ? [QUANTIZED_MODEL_FILE] : [])]) {
    const check = await checkOnnxModel(path.join(result.outDir, file));
    if (check.status === 'failed') ok = false;
    process.stdout.write(`ONNX checker on ${file}: ${check.status === 'passed' ? 'passed' : `${check.status} (${check.reason})`}\n`);
  }

  if (limit > 0) {
    const { texts, pairs } = await runTestTexts(opts.model, limit);
    if (texts.length === 0) {
      process.stdout.write(`No predictions.csv beside ${displayPath(opts.model)}: parity not checked.\n`);
    } else {
      process.stderr.write(`comparing with the app on ${texts.length} test documents\n`);
      const report = await checkParity(opts.model, result.outDir, texts, { int8: opts.quantize, pairs });
      const lines = [figuresLine('app', report.app, report.documents), figuresLine('onnx', report.onnx, report.documents)];
      if (report.onnxInt8) lines.push(figuresLine('onnx int8', report.onnxInt8, report.documents));
      process.stdout.write(`Parity on ${report.documents} test documents:\n${lines.join('\n')}\n`);
      if (report.onnx.maxAbsDiff > PARITY_TOLERANCE || report.onnx.sameLabels !== report.documents) {
        ok = false;
        process.stderr.write(`finetune: the export differs from the app beyond ${PARITY_TOLERANCE} (see above); please report it.\n`);
      }
    }
  }
  return ok ? EXIT.ok : EXIT.failed;
}
