// The export of a fine-tuned model folder (training/transformer/saved-model.ts): one ONNX graph of the trained
// encoder, head, calibration and decision, plus — for a Hugging Face family — the safetensors checkpoint and its
// config.json, which Python transformers loads with AutoModelForSequenceClassification.from_pretrained.
import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunMetrics } from '../../../shared/domain.js';
import { writeTokenizerFiles } from '../encoders/tokenizer.js';
import { buildUseLiteOnnx, USE_LITE_ONNX_OPSET } from '../encoders/use-lite-onnx.js';
import { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { resolveParameters } from '../training/transformer/checkpoint.js';
import { CHECKPOINT_FILE, loadTransformerTokenizer, readTransformerFolder, TOKENIZER_FILES } from '../training/transformer/hf-folder.js';
import { readSafetensors } from '../training/transformer/safetensors.js';
import type { FineTunedManifest } from '../training/transformer/saved-model.js';
import { fineTunedUseLiteWeights } from '../training/transformer/use-lite-trainable.js';
import { exportConfigBlock } from './config.js';
import { appendCalibratedOutputs, classifierInputs } from './graph.js';
import type { ModelExport } from './index.js';
import { renderModelCard } from './model-card.js';
import { copyTokenizerFiles } from './tokenizer-files.js';
import { appendTransformerLogits, appendTruncation, TRANSFORMER_OPSET } from './transformer-graph.js';


const PYTHON_USAGE = [
  '### Python (transformers, PyTorch)',
  '',
  '`model.safetensors` and `config.json` are a *ForSequenceClassification checkpoint. Its raw logits are the head\'s;',
  'the app\'s probabilities apply the calibration in config.json first:',
  '',
  '```python',
  'import json, torch',
  'from transformers import AutoModelForSequenceClassification, AutoTokenizer',
  'd = "/path/to/this/folder"',
  'model = AutoModelForSequenceClassification.from_pretrained(d).eval()',
  'tok = AutoTokenizer.from_pretrained(d)',
  'cfg = json.load(open(f"{d}/config.json"))["finetune"]',
  'batch = tok(["some text"], truncation=True, padding=True, return_tensors="pt")',
  'with torch.no_grad():',
  '    z = model(**batch).logits / cfg["temperature"] + torch.tensor(list(cfg["calibration_bias"].values()))',
  'probs = z.softmax(-1) if cfg["task"] == "single_label" else z.sigmoid()',
  '```',
  '',
].join('\n');

export async function fineTunedExport(dir: string, manifest: FineTunedManifest): Promise<ModelExport> {
  const classes = manifest.labels.length;
  const metadata = { finetune_labels: JSON.stringify(manifest.labels), finetune_task: manifest.task, finetune_encoder: manifest.encoderId };
  const common = exportConfigBlock(manifest, {
    spec: manifest.encoderSpec,
    id: manifest.encoderId,
    description: `${manifest.encoderSpec === 'use-lite' ? 'USE-lite' : manifest.encoderSpec}, fine-tuned (${manifest.depth})`,
  });
  const card = (encoderDescription: string, tokenizerNote: string, extraUsage = '') => (metrics: RunMetrics | null, quantized: boolean) =>
    renderModelCard({
      manifest,
      metrics,
      encoderDescription,
      headDescription: 'the fine-tuned model\'s own classification head on the encoder\'s output',
      graphDescription: `One ONNX graph holds the encoder (fine-tuned: ${manifest.depth}) and its classification head`,
      quantized,
      tokenizerNote,
      extraUsage,
    });

  if (manifest.encoderSpec === 'use-lite') {
    const tensors = await readSafetensors(path.join(dir, manifest.weights));
    const b = new OnnxGraphBuilder('finetune_classifier', USE_LITE_ONNX_OPSET);
    const [ids, mask] = classifierInputs(b);
    const vectors = buildUseLiteOnnx(b, ids, mask, { maxTokens: manifest.maxLength, longDocs: 'truncate' }, fineTunedUseLiteWeights(tensors));
    const tensor = (name: string) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`${path.join(dir, manifest.weights)}: ${name} is missing`);
      return b.initializer(`model.${name}`, t.data, t.shape);
    };
    const [product] = b.node('MatMul', [vectors, tensor('head.w')]);
    appendCalibratedOutputs(b, b.node('Add', [product, tensor('head.b')])[0], manifest);
    return {
      bytes: b.toBytes(metadata),
      async writeFiles(outDir) {
        await writeFile(path.join(outDir, 'config.json'), JSON.stringify({ architectures: ['FinetuneTextClassifier'], model_type: 'bert', ...common }, null, 2));
        await writeTokenizerFiles(outDir, { modelMaxLength: 1_000_000 });
        return ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
      },
      card: card('Universal Sentence Encoder lite, fine-tuned', `The encoder reads the first ${manifest.maxLength} token ids (clipped inside the graph).`),
    };
  }

  const source = await readTransformerFolder(path.join(dir, manifest.weights));
  const checkpoint = path.join(source.folder, CHECKPOINT_FILE);
  const { params, initialised } = resolveParameters(source.config, await readSafetensors(checkpoint), classes, 0, checkpoint);
  if (initialised.length > 0) throw new Error(`${checkpoint}: the fine-tuned head is missing (${initialised.join(', ')}); retrain the model`);
  const tokenizer = await loadTransformerTokenizer(source, manifest.maxLength);
  const b = new OnnxGraphBuilder('finetune_classifier', TRANSFORMER_OPSET);
  const [rawIds, rawMask] = classifierInputs(b);
  const [ids, mask] = appendTruncation(b, rawIds, rawMask, tokenizer.maxLength, tokenizer.trailing);
  appendCalibratedOutputs(b, appendTransformerLogits(b, source.config, params, ids, mask), manifest);
  return {
    bytes: b.toBytes(metadata),
    async writeFiles(outDir) {
      // The checkpoint's own config.json (architectures, id2label, problem_type), with the app's calibration beside it.
      await writeFile(path.join(outDir, 'config.json'), JSON.stringify({ ...source.rawConfig, ...common }, null, 2));
      await copyFile(checkpoint, path.join(outDir, CHECKPOINT_FILE));
      // truncation=True then cuts where the app cut; the graph cuts longer inputs the same way anyway.
      return ['config.json', CHECKPOINT_FILE, ...(await copyTokenizerFiles(source.folder, outDir, TOKENIZER_FILES, tokenizer.maxLength))];
    },
    card: card(
      `${source.config.modelType} (${source.config.layers} layers, hidden ${source.config.hidden}), fine-tuned from ${manifest.encoderSpec.slice(3)}`,
      `The model reads at most ${tokenizer.maxLength} token ids: longer inputs keep their first ids and the closing special token, inside the graph, as truncation=True does.`,
      PYTHON_USAGE,
    ),
  };
}
