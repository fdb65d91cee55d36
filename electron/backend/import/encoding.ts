// Text encodings: detect (BOM, then UTF-8 validity, then chardet), refuse binary files, and turn any
// supported encoding into UTF-8 bytes so the parsers downstream only ever see UTF-8.
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { SourceProblem } from './types.js';

/** How much of a file the detectors look at. */
export const SAMPLE_BYTES = 64 * 1024;
const BINARY_SAMPLE_BYTES = 8 * 1024;
const CONTROL_SAMPLE_BYTES = 2 * 1024;
/** Read size for streamed sources; also the granularity of progress events. */
const CHUNK_BYTES = 256 * 1024;

export interface DetectedEncoding {
  /** An iconv-lite encoding name; 'utf8' means the bytes can be passed through. */
  encoding: string;
  /** How it was decided, for messages. */
  how: 'forced' | 'bom' | 'utf8-valid' | 'chardet' | 'fallback';
}

const BOMS: { bytes: number[]; encoding: string }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

function bomEncoding(sample: Uint8Array): string | null {
  for (const bom of BOMS) {
    if (bom.bytes.every((byte, i) => sample[i] === byte)) return bom.encoding;
  }
  return null;
}

function isValidUtf8(sample: Uint8Array): boolean {
  try {
    // stream: true tolerates a multi-byte character cut at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** chardet names Latin-1 whenever it sees Windows-1252 text; 1252 is the superset that users actually write. */
function normaliseChardetName(name: string): string {
  const lower = name.toLowerCase();
  if (lower === 'iso-8859-1' || lower === 'ascii') return 'windows-1252';
  return lower;
}

export function checkEncodingName(encoding: string): void {
  if (!iconv.encodingExists(encoding)) {
    throw new SourceProblem('failed', '', `unknown text encoding "${encoding}" (try utf-8, windows-1252, latin1, utf-16le)`);
  }
}

export function detectEncoding(sample: Uint8Array, forced?: string): DetectedEncoding {
  if (forced) {
    checkEncodingName(forced);
    const canonical = forced.toLowerCase().replace(/[^a-z0-9]/g, '');
    return { encoding: canonical === 'utf8' ? 'utf8' : forced, how: 'forced' };
  }
  const fromBom = bomEncoding(sample);
  if (fromBom) return { encoding: fromBom, how: 'bom' };
  if (isValidUtf8(sample)) return { encoding: 'utf8', how: 'utf8-valid' };
  const guess = chardet.detect(sample);
  if (guess) {
    const name = normaliseChardetName(guess);
    // chardet's UTF-16/32 guesses without a BOM are unreliable on 8-bit text; 1252 is the safer reading.
    if (iconv.encodingExists(name) && !name.startsWith('utf')) return { encoding: name, how: 'chardet' };
  }
  return { encoding: 'windows-1252', how: 'fallback' };
}

/** NUL bytes or many control characters in the first 8 KB mean the file is not text (UTF-16 excepted). */
export function looksBinary(sample: Uint8Array, encoding: string): boolean {
  if (encoding.startsWith('utf-16') || encoding.startsWith('utf16')) return false;
  if (sample.subarray(0, BINARY_SAMPLE_BYTES).indexOf(0) !== -1) return true;
  // The ratio needs fewer bytes than the NUL search, and this runs once per e-mail in a folder import.
  const head = sample.subarray(0, CONTROL_SAMPLE_BYTES);
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const byte = head[i];
    // Tab, LF, VT, FF, CR and ESC occur in real text files.
    if (byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 11 && byte !== 12 && byte !== 13 && byte !== 27) control++;
  }
  return head.length > 0 && control / head.length > 0.1;
}

export async function readSample(path: string, bytes = SAMPLE_BYTES): Promise<{ sample: Buffer; size: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const sample = Buffer.alloc(Math.min(bytes, size));
    const { bytesRead } = await handle.read(sample, 0, sample.length, 0);
    return { sample: sample.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

export function refuseBinary(sample: Uint8Array, encoding: string): void {
  if (looksBinary(sample, encoding)) {
    throw new SourceProblem('failed', '', 'binary file, not text (it contains NUL bytes or control characters); export it as text first');
  }
}

/** Detects the encoding of a text source and refuses binary content. */
export function textEncodingOf(sample: Uint8Array, forced?: string): DetectedEncoding {
  const detected = detectEncoding(sample, forced);
  refuseBinary(sample, detected.encoding);
  return detected;
}

/** Decodes a whole buffer (BOM stripped) to a string. */
export function decodeText(bytes: Uint8Array, encoding: string): string {
  return iconv.decode(bytes, encoding);
}

export interface Utf8Chunk {
  bytes: Buffer;
  /** Bytes of the file consumed so far. */
  bytesRead: number;
}

/** Text that looked like UTF-8 in its first 64 KB but is not further on is nearly always Windows-1252. */
const LATER_FALLBACK = 'windows-1252';

/**
 * Streams a file as UTF-8 byte chunks of 256 KB (transcoding when needed, BOM stripped).
 * Pulled one chunk at a time, so memory stays bounded by the consumer's pace. When UTF-8 was only guessed
 * from the sample and a later chunk is not UTF-8, the rest is read as Windows-1252 and onSwitch says where.
 */
export async function* readUtf8Chunks(
  path: string,
  detected: DetectedEncoding,
  signal?: AbortSignal,
  onSwitch?: (atByte: number, encoding: string) => void,
): AsyncGenerator<Utf8Chunk> {
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES, signal });
  let decoder = detected.encoding === 'utf8' ? null : iconv.getDecoder(detected.encoding);
  let validator = detected.encoding === 'utf8' && detected.how === 'utf8-valid' ? new TextDecoder('utf-8', { fatal: true }) : null;
  let first = true;
  try {
    for await (const raw of stream as AsyncIterable<Buffer>) {
      if (validator) {
        try {
          validator.decode(raw, { stream: true });
        } catch {
          validator = null;
          decoder = iconv.getDecoder(LATER_FALLBACK);
          onSwitch?.(stream.bytesRead - raw.length, LATER_FALLBACK);
        }
      }
      let bytes = decoder ? Buffer.from(decoder.write(raw), 'utf8') : raw;
      if (first) {
        first = false;
        if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
      }
      yield { bytes, bytesRead: stream.bytesRead };
    }
    const rest = decoder?.end();
    if (rest) yield { bytes: Buffer.from(rest, 'utf8'), bytesRead: stream.bytesRead };
  } finally {
    stream.destroy();
  }
}

export function encodingSwitchNotice(atByte: number, encoding: string): string {
  return `the text is not UTF-8 from byte ${atByte} on (only its start was); read the rest as ${encoding}. If letters look wrong, pick the encoding by hand`;
}
