// The export of a tagger that reads a Hugging Face encoder's token states alone (train --task token --encoder
// hf:<folder> --no-lexical): the Hugging Face token-classification layout, which transformers.js loads with
// pipeline('token-classification', folder) — onnx/model.onnx (input_ids, attention_mask[, token_type_ids] ->
// logits [batch, sequence, tags]), config.json with id2label, and the encoder's tokenizer. The graph is the
// encoder's own, inlined, then the tagger's standardisation and weights folded into one MatMul and Add per position.
// A tagger with word features cannot go this way: its affix, shape and neighbour features are of whole words, which a
// graph over subword ids does not see; the error says how to train one that can.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hfEncoderId, resolveHfEncoderSettings } from '../encoders/hf.js';
import { decodeModel, longToNumber, OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { readTagger } from '../training/tagger/files.js';
import type { TaggerModel } from '../training/tagger/tagger.js';
import { readTransformerConfig, sequenceClassificationClass } from '../training/transformer/architecture.js';
import { ATTENTION_MASK, INPUT_IDS, LOGITS, TOKEN_TYPE_IDS } from './graph.js';
import type { ModelExport } from './index.js';
import { copyTokenizerFiles } from './tokenizer-files.js';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt'];

/** The tagger's head with its standardisation folded in: logits = h · W' + b', W' = W / scale, b' = b − (mean / scale) · W. */
export function foldedHead(model: TaggerModel): { weights: Float32Array; bias: Float32Array } {
  const dense = model.dense!;
  const K = model.tags.length;
  const weights = new Float32Array(dense.dim * K);
  const bias = Float64Array.from(model.bias);
  for (let d = 0; d < dense.dim; d++) {
    for (let c = 0; c < K; c++) {
      const w = dense.weights[d * K + c] / dense.scale[d];
      weights[d * K + c] = w;
      bias[c] -= dense.mean[d] * w;
    }
  }
  return { weights, bias: Float32Array.from(bias) };
}

export async function tokenClassifierExport(modelDir: string): Promise<ModelExport> {
  const model = await readTagger(modelDir);
  if (!model.encoder || model.lexical !== false || !model.dense) {
    throw new Error(
      `export: ${modelDir} is a tagger with word features (affixes, shapes, neighbouring words), which a token-classification graph over subword ids cannot compute. ` +
        'To export a tagger, train it on a Hugging Face encoder\'s token states alone: finetune train --task token --encoder hf:<folder> --no-lexical.',
    );
  }
  const settings = await resolveHfEncoderSettings(model.encoder.folder);
  const id = await hfEncoderId(settings);
  if (id !== model.encoder.id) throw new Error(`export: ${settings.folder} changed since the tagger was trained (${model.encoder.id}, now ${id}); train again.`);
  const modelBytes = new Uint8Array(await readFile(settings.modelPath));
  const inner = decodeModel(modelBytes);
  const opset = longToNumber(inner.opset_import?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  const innerInputs = new Set((inner.graph?.input ?? []).map((i) => i.name));
  const K = model.tags.length;

  const b = new OnnxGraphBuilder('finetune_token_classifier', opset);
  const bindings: Record<string, string> = {};
  for (const name of [INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS]) if (innerInputs.has(name)) bindings[name] = b.input(name, 'int64', ['batch_size', 'sequence_length']);
  const outputs = b.inlineModel(modelBytes, bindings, 'encoder/');
  const states = outputs.last_hidden_state ?? Object.values(outputs)[0];
  const head = foldedHead(model);
  const [product] = b.node('MatMul', [states, b.initializer('classifier.weight', head.weights, [model.dense.dim, K])]);
  const [logits] = b.node('Add', [product, b.initializer('classifier.bias', head.bias, [K])]);
  b.outputFrom(logits, LOGITS, 'float32', ['batch_size', 'sequence_length', K]);
  const bytes = b.toBytes({ finetune_labels: JSON.stringify(model.tags), finetune_task: 'token', finetune_encoder: model.encoder.id });

  const encoderConfig = JSON.parse(await readFile(path.join(settings.folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  const family = readTransformerConfig(encoderConfig, path.join(settings.folder, 'config.json')).family;
  return {
    bytes,
    async writeFiles(outDir) {
      const config = {
        ...encoderConfig,
        architectures: [sequenceClassificationClass(family).replace('SequenceClassification', 'TokenClassification')],
        id2label: Object.fromEntries(model.tags.map((t, i) => [String(i), t])),
        label2id: Object.fromEntries(model.tags.map((t, i) => [t, i])),
        finetune: { task: 'token', encoder: model.encoder!.id, alignment: model.encoder!.alignment, bio: model.bio },
      };
      await writeFile(path.join(outDir, 'config.json'), JSON.stringify(config, null, 2));
      return ['config.json', ...(await copyTokenizerFiles(settings.folder, outDir, TOKENIZER_FILES, settings.maxLength))];
    },
    card: () =>
      [
        '# Token classifier (Finetune export)',
        '',
        `Tags: ${model.tags.join(', ')}. Encoder: ${settings.folder} (its last hidden state), then one linear layer per position.`,
        '',
        "Load it with transformers.js: `pipeline('token-classification', folder)`. Each word's tag is the tag of its first subword;",
        `the app also decodes the sentence as a whole${model.bio ? ' (never an I-X that continues nothing)' : ''}, which this graph does not, so a pipeline may mark a few words differently while its scores agree.`,
        '',
        `Trained on ${model.trainedOn.sentences} sentences (${model.trainedOn.tokens} words).`,
        '',
      ].join('\n'),
  };
}
