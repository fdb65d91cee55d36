// The contract every text encoder implements (the shipped USE-lite, local Hugging Face folders).

export interface EmbedProgress {
  done: number;
  total: number;
}

export interface TextEncoder {
  /** Stable identity for caching: changes whenever the vectors for the same text could change. */
  readonly id: string;
  /** Embedding width. */
  readonly dim: number;
  /** Where it runs, reported to users, e.g. 'onnxruntime-cpu' or 'tfjs-wasm'. */
  readonly backend: string;
  /** The tokenizer's ids for each text, as the encoder sees them (before any clipping), for lexical features. */
  tokenize(texts: string[]): Promise<number[][]>;
  /** One vector per text, in order. Honours the signal between batches. */
  embed(texts: string[], onProgress?: (p: EmbedProgress) => void, signal?: AbortSignal): Promise<Float32Array[]>;
  /**
   * Encoders that can read two texts as one input (a Hugging Face cross-encoder: [CLS] a [SEP] b [SEP]): one vector
   * per pair. Sentence-pair models use it instead of [u, v, |u − v|, u ∘ v] of separate vectors when it is there.
   */
  embedPairs?(first: string[], second: string[], onProgress?: (p: EmbedProgress) => void, signal?: AbortSignal): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}
