// The Hugging Face encoder families the trainable transformer supports, read from a model folder's config.json,
// and the mapping between their checkpoint names and the model's own parameter names.
//
// Every supported family is a post-layer-norm transformer encoder with a two-layer head on the first token:
//   BERT / MiniLM: pooler (dense + tanh) then classifier;   RoBERTa / XLM-R: classifier.dense + tanh, out_proj;
//   ELECTRA: classifier.dense + GELU, out_proj;             DistilBERT: pre_classifier + ReLU, classifier.
// DeBERTa-v2/v3 is refused: its disentangled relative-position attention is a different layer, not a renaming.

export type Family = 'bert' | 'roberta' | 'electra' | 'distilbert';
export type Activation = 'gelu' | 'gelu_tanh' | 'relu' | 'tanh';

/** model_type → family; MiniLM checkpoints say 'bert'. */
const MODEL_TYPES: Record<string, Family> = {
  bert: 'bert', roberta: 'roberta', 'xlm-roberta': 'roberta', camembert: 'roberta', electra: 'electra', distilbert: 'distilbert',
};
export const SUPPORTED_MODEL_TYPES = Object.keys(MODEL_TYPES);

const CLASS_NAMES: Record<Family, string> = {
  bert: 'BertForSequenceClassification',
  roberta: 'RobertaForSequenceClassification',
  electra: 'ElectraForSequenceClassification',
  distilbert: 'DistilBertForSequenceClassification',
};

export interface TransformerConfig {
  modelType: string;
  family: Family;
  vocabSize: number;
  /** Width of the embeddings; ELECTRA may project them up to `hidden`. */
  embeddingSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  /** 0 when the family has no token types (DistilBERT). */
  typeVocab: number;
  layerNormEps: number;
  activation: Activation;
  headActivation: Activation;
  padId: number;
  /** RoBERTa numbers positions from padId + 1 and gives padding the position padId. */
  positionsFromPadding: boolean;
  hiddenDropout: number;
  attentionDropout: number;
  initializerRange: number;
}

const ACTIVATIONS: Record<string, Activation> = {
  gelu: 'gelu', gelu_new: 'gelu_tanh', gelu_pytorch_tanh: 'gelu_tanh', gelu_fast: 'gelu_tanh', relu: 'relu',
};

/** Reads config.json's fields for a supported family, or says what was found and what is supported. */
export function readTransformerConfig(config: Record<string, unknown>, file: string): TransformerConfig {
  const modelType = String(config.model_type ?? '');
  const family = MODEL_TYPES[modelType];
  if (!family) {
    throw new Error(`${file}: model_type '${modelType || '(missing)'}' cannot be fine-tuned here; supported: ${SUPPORTED_MODEL_TYPES.join(', ')} (MiniLM checkpoints use 'bert'; DeBERTa's relative attention is not built)`);
  }
  const number = (...names: string[]): number => {
    for (const name of names) if (typeof config[name] === 'number') return config[name] as number;
    throw new Error(`${file}: ${names[0]} is missing or not a number`);
  };
  const optional = (name: string, fallback: number): number => (typeof config[name] === 'number' ? (config[name] as number) : fallback);
  const activationName = String(family === 'distilbert' ? (config.activation ?? 'gelu') : (config.hidden_act ?? 'gelu'));
  const activation = ACTIVATIONS[activationName];
  if (!activation) throw new Error(`${file}: activation '${activationName}' is not supported (${Object.keys(ACTIVATIONS).join(', ')})`);
  const hidden = number('hidden_size', 'dim');
  const heads = number('num_attention_heads', 'n_heads');
  if (hidden % heads !== 0) throw new Error(`${file}: hidden size ${hidden} is not a multiple of ${heads} heads`);
  const distil = family === 'distilbert';
  return {
    modelType,
    family,
    vocabSize: number('vocab_size'),
    embeddingSize: family === 'electra' ? optional('embedding_size', hidden) : hidden,
    hidden,
    layers: number('num_hidden_layers', 'n_layers'),
    heads,
    intermediate: number('intermediate_size', 'hidden_dim'),
    maxPositions: number('max_position_embeddings'),
    typeVocab: distil ? 0 : optional('type_vocab_size', 2),
    layerNormEps: distil ? 1e-12 : optional('layer_norm_eps', 1e-12),
    activation,
    headActivation: family === 'electra' ? 'gelu' : family === 'distilbert' ? 'relu' : 'tanh',
    padId: optional('pad_token_id', family === 'roberta' ? 1 : 0),
    positionsFromPadding: family === 'roberta',
    hiddenDropout: distil ? optional('dropout', 0.1) : optional('hidden_dropout_prob', 0.1),
    attentionDropout: distil ? optional('attention_dropout', 0.1) : optional('attention_probs_dropout_prob', 0.1),
    initializerRange: optional('initializer_range', 0.02),
  };
}

export function sequenceClassificationClass(family: Family): string {
  return CLASS_NAMES[family];
}

/** A parameter: its own name, the checkpoint's name, and whether the checkpoint stores it transposed ([out, in]). */
export interface ParameterName {
  name: string;
  checkpoint: string;
  transposed: boolean;
  /** Which part of the model it belongs to: embeddings, layer i, or the head. */
  part: 'embeddings' | number | 'head';
}

/** The checkpoint's prefix for the encoder: 'bert.' in a *ForSequenceClassification file, '' in a bare BertModel. */
export function encoderPrefix(family: Family, names: Iterable<string>): string {
  const prefixed = `${family}.embeddings.word_embeddings.weight`;
  for (const name of names) if (name === prefixed) return `${family}.`;
  return '';
}

/** Every parameter of the family's sequence classifier, in a fixed order. */
export function parameterNames(cfg: TransformerConfig, prefix: string): ParameterName[] {
  const out: ParameterName[] = [];
  const add = (name: string, checkpoint: string, part: ParameterName['part'], transposed = false) => out.push({ name, checkpoint, transposed, part });
  const dense = (name: string, checkpoint: string, part: ParameterName['part']) => {
    add(`${name}.w`, `${checkpoint}.weight`, part, true);
    add(`${name}.b`, `${checkpoint}.bias`, part);
  };
  const norm = (name: string, checkpoint: string, part: ParameterName['part']) => {
    add(`${name}.g`, `${checkpoint}.weight`, part);
    add(`${name}.b`, `${checkpoint}.bias`, part);
  };
  const e = `${prefix}embeddings`;
  add('embeddings.word', `${e}.word_embeddings.weight`, 'embeddings');
  add('embeddings.position', `${e}.position_embeddings.weight`, 'embeddings');
  if (cfg.typeVocab > 0) add('embeddings.type', `${e}.token_type_embeddings.weight`, 'embeddings');
  norm('embeddings.norm', `${e}.LayerNorm`, 'embeddings');
  if (cfg.family === 'electra' && cfg.embeddingSize !== cfg.hidden) dense('embeddings.project', `${prefix}embeddings_project`, 'embeddings');
  for (let i = 0; i < cfg.layers; i++) {
    if (cfg.family === 'distilbert') {
      const l = `${prefix}transformer.layer.${i}`;
      for (const [own, theirs] of [['query', 'q_lin'], ['key', 'k_lin'], ['value', 'v_lin'], ['attention_out', 'out_lin']]) dense(`layer${i}.${own}`, `${l}.attention.${theirs}`, i);
      norm(`layer${i}.attention_norm`, `${l}.sa_layer_norm`, i);
      dense(`layer${i}.up`, `${l}.ffn.lin1`, i);
      dense(`layer${i}.down`, `${l}.ffn.lin2`, i);
      norm(`layer${i}.output_norm`, `${l}.output_layer_norm`, i);
    } else {
      const l = `${prefix}encoder.layer.${i}`;
      for (const own of ['query', 'key', 'value']) dense(`layer${i}.${own}`, `${l}.attention.self.${own}`, i);
      dense(`layer${i}.attention_out`, `${l}.attention.output.dense`, i);
      norm(`layer${i}.attention_norm`, `${l}.attention.output.LayerNorm`, i);
      dense(`layer${i}.up`, `${l}.intermediate.dense`, i);
      dense(`layer${i}.down`, `${l}.output.dense`, i);
      norm(`layer${i}.output_norm`, `${l}.output.LayerNorm`, i);
    }
  }
  const head: Record<Family, [string, string]> = {
    bert: [`${prefix}pooler.dense`, 'classifier'],
    roberta: ['classifier.dense', 'classifier.out_proj'],
    electra: ['classifier.dense', 'classifier.out_proj'],
    distilbert: ['pre_classifier', 'classifier'],
  };
  dense('head.dense', head[cfg.family][0], 'head');
  dense('head.out', head[cfg.family][1], 'head');
  return out;
}

/** Old TF-converted BERT checkpoints name layer-norm parameters gamma/beta. */
export function checkpointAliases(name: string): string[] {
  return [name, name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')];
}
