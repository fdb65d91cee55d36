// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the raw little-endian data. Read: F32, F16, BF16
// (widened to float32) and the integer types PyTorch writes for buffers (skipped by callers that want floats).
// Written: F32 only, which every loader accepts.
import { readFile, writeFile } from 'node:fs/promises';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export type TensorMap = Map<string, NamedTensor>;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const FLOAT_TYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decode(dtype: string, bytes: Buffer, count: number): Float32Array {
  // A copy, so the floats are aligned whatever the header's length.
  if (dtype === 'F32') return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count * 4));
  const out = new Float32Array(count);
  if (dtype === 'F64') {
    for (let i = 0; i < count; i++) out[i] = bytes.readDoubleLE(i * 8);
  } else if (dtype === 'F16') {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
  } else {
    // BF16 is the top half of a float32.
    const word = new Uint32Array(1);
    const asFloat = new Float32Array(word.buffer);
    for (let i = 0; i < count; i++) {
      word[0] = bytes.readUInt16LE(i * 2) << 16;
      out[i] = asFloat[0];
    }
  }
  return out;
}

/** Reads every floating-point tensor of a .safetensors file; integer buffers (position ids) are left out. */
export async function readSafetensors(file: string): Promise<TensorMap> {
  const bytes = await readFile(file);
  const fail = (reason: string): never => {
    throw new Error(`${file}: not a safetensors file: ${reason}`);
  };
  if (bytes.length < 8) fail('shorter than its 8-byte header length');
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.length) fail(`header length ${headerLength} does not fit the file`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as typeof header;
  } catch (error) {
    return fail(`its header is not JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const tensors: TensorMap = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = entry as HeaderEntry;
    if (!FLOAT_TYPES.has(dtype)) continue;
    const count = shape.reduce((a, b) => a * b, 1);
    const width = dtype === 'F32' ? 4 : dtype === 'F64' ? 8 : 2;
    const [begin, end] = offsets;
    if (end - begin !== count * width || dataStart + end > bytes.length) fail(`tensor ${name} (${dtype} ${JSON.stringify(shape)}) has ${end - begin} bytes`);
    tensors.set(name, { shape, data: decode(dtype, bytes.subarray(dataStart + begin, dataStart + end), count) });
  }
  return tensors;
}

/** Writes float32 tensors in name order (the order does not matter to readers; a fixed one makes files reproducible). */
export async function writeSafetensors(file: string, tensors: TensorMap, metadata: Record<string, string> = { format: 'pt' }): Promise<void> {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors.get(name)!;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let headerText = JSON.stringify(header);
  // The data must start on an 8-byte boundary; the format pads the header with spaces.
  headerText += ' '.repeat((8 - ((8 + Buffer.byteLength(headerText)) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors.get(name)!;
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, at);
    at += data.byteLength;
  }
  await writeFile(file, out);
}
