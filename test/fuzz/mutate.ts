// Mutations of a seed file, deterministic for a given seed number: byte-level damage (flips, cuts, splices,
// repeats), text-level hazards (quotes, delimiters, NULs, BOMs, invalid UTF-8, huge fields, many columns, deep
// JSON) and, for .docx, damage inside the zip's XML so the reader gets past the container.
import JSZip from 'jszip';
import { createRng, randomInt } from '../../shared/random.js';
import type { Seed } from './seeds.js';

type Rng = () => number;
type Mutation = (bytes: Buffer, rng: Rng) => Buffer;

const HAZARDS = ['"', '""', ',', '\t', '\n', '\r', '\r\n', '\0', '\uFEFF', '\u2028', '\\', '{', '}', '[', ']', ':', '<', '>', '</', '<!--', ']]>', '&#x0;', '=?UTF-8?B?', '--b1', 'obj', 'endstream', '%%EOF', 'é', '😀'];

const at = (bytes: Buffer, rng: Rng) => randomInt(Math.max(1, bytes.length), rng);

const mutations: Record<string, Mutation> = {
  flipBytes: (b, rng) => {
    const out = Buffer.from(b);
    for (let i = 1 + randomInt(8, rng); i > 0; i--) out[at(out, rng)] = randomInt(256, rng);
    return out;
  },
  truncate: (b, rng) => b.subarray(0, at(b, rng)),
  deleteChunk: (b, rng) => {
    const start = at(b, rng);
    return Buffer.concat([b.subarray(0, start), b.subarray(start + 1 + randomInt(64, rng))]);
  },
  repeatChunk: (b, rng) => {
    const start = at(b, rng);
    const chunk = b.subarray(start, start + 1 + randomInt(48, rng));
    const pos = at(b, rng);
    return Buffer.concat([b.subarray(0, pos), ...Array.from({ length: 1 + randomInt(200, rng) }, () => chunk), b.subarray(pos)]);
  },
  insertHazard: (b, rng) => {
    const pos = at(b, rng);
    const hazard = Buffer.from(HAZARDS[randomInt(HAZARDS.length, rng)].repeat(1 + randomInt(3, rng)));
    return Buffer.concat([b.subarray(0, pos), hazard, b.subarray(pos)]);
  },
  invalidUtf8: (b, rng) => {
    const pos = at(b, rng);
    return Buffer.concat([b.subarray(0, pos), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), b.subarray(pos)]);
  },
  randomBytes: (b, rng) => {
    const pos = at(b, rng);
    return Buffer.concat([b.subarray(0, pos), Buffer.from(Array.from({ length: 1 + randomInt(256, rng) }, () => randomInt(256, rng))), b.subarray(pos)]);
  },
  hugeField: (b, rng) => {
    const pos = at(b, rng);
    return Buffer.concat([b.subarray(0, pos), Buffer.alloc(100_000 + randomInt(400_000, rng), 'x'), b.subarray(pos)]);
  },
  manyColumns: (b, rng) => {
    const separator = rng() < 0.5 ? ',' : '\t';
    const names = Array.from({ length: 500 + randomInt(4000, rng) }, (_, i) => (rng() < 0.7 ? 'text' : `c${i}`)).join(separator);
    return Buffer.concat([Buffer.from(names + '\n'), b]);
  },
  deepJson: (_b, rng) => {
    const depth = 1000 + randomInt(20_000, rng);
    return Buffer.from(`{"text": ${'['.repeat(depth)}1${']'.repeat(rng() < 0.5 ? depth : randomInt(depth, rng))}, "label": "x"}\n`);
  },
  utf16: (b) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(b.toString('latin1'), 'utf16le')]),
  empty: () => Buffer.alloc(0),
};

/** Damage inside word/document.xml of a .docx, then re-zip, so mammoth parses broken XML, not just a broken zip. */
async function mutateDocxXml(bytes: Buffer, rng: Rng): Promise<Buffer | null> {
  const zip = await JSZip.loadAsync(bytes).catch(() => null);
  const part = zip?.file('word/document.xml');
  if (!zip || !part) return null;
  const xml = Buffer.from(await part.async('nodebuffer'));
  zip.file('word/document.xml', pickMutation(rng)(xml, rng));
  return zip.generateAsync({ type: 'nodebuffer' });
}

const names = Object.keys(mutations);
const pickMutation = (rng: Rng): Mutation => mutations[names[randomInt(names.length, rng)]];

export interface Mutant {
  name: string;
  content: Buffer;
  /** The mutations applied, in order: enough to tell what a finding was made of. */
  recipe: string[];
}

/** The n-th mutant of a seed: 1 to 3 mutations, from a generator seeded by (seedNumber, n). */
export async function mutant(seed: Seed, n: number, seedNumber: number): Promise<Mutant> {
  const rng = createRng(seedNumber * 1_000_003 + n);
  let content = seed.content;
  const recipe: string[] = [];
  if (seed.name.endsWith('.docx') && rng() < 0.5) {
    const inner = await mutateDocxXml(content, rng);
    if (inner) {
      content = inner;
      recipe.push('docxXml');
    }
  }
  for (let k = 1 + randomInt(3, rng); k > 0; k--) {
    const name = names[randomInt(names.length, rng)];
    content = mutations[name](content, rng);
    recipe.push(name);
  }
  const dot = seed.name.lastIndexOf('.');
  return { name: `${seed.name.slice(0, dot)}-${n}${seed.name.slice(dot)}`, content, recipe };
}
