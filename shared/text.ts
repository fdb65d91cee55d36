// Text normalisation shared by the duplicate finder, the splitter and the review.

/**
 * The key under which two texts count as near-exact duplicates: NFKC, lower case, punctuation and symbols removed,
 * whitespace collapsed. "Hello, World!" and "hello world" share a key. Hashing the key is left to the backend.
 */
export function nearDuplicateKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}
