// Single documents: plain text, Markdown, HTML, e-mail (.eml), PDF and Word (.docx), each to clean text.
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { Address } from 'postal-mime';
import { compile } from 'html-to-text';
import type { ImportOptions } from '../../../shared/domain.js';
import { decodeText, refuseBinary, textEncodingOf } from './encoding.js';
import { parseMail } from './mail.js';
import { SourceProblem, cleanText } from './types.js';

export interface ExtractedDocument {
  text: string;
  metadata: Record<string, unknown>;
}

/** A single document is read whole; beyond this it is surely not one document to classify. */
const MAX_DOCUMENT_BYTES = 256 * 2 ** 20;

type Extractor = (bytes: Buffer, options: ImportOptions) => Promise<ExtractedDocument>;

// Compiled once: building html-to-text's options per document costs more than the conversion itself.
const htmlToText = compile({
  wordwrap: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
  ],
});

/** A 0-byte document is an empty text, skipped and counted as such (a 0-byte CSV, with no header, fails instead). */
const emptyDocument = (): SourceProblem => new SourceProblem('skipped', '', 'empty text (the file is empty, 0 bytes)');

function decodeTextFile(bytes: Buffer, options: ImportOptions): string {
  if (bytes.length === 0) throw emptyDocument();
  const { encoding } = textEncodingOf(bytes.subarray(0, 64 * 1024), options.encoding);
  return decodeText(bytes, encoding);
}

const plainText: Extractor = async (bytes, options) => ({ text: decodeTextFile(bytes, options), metadata: {} });

const html: Extractor = async (bytes, options) => ({ text: htmlToText(decodeTextFile(bytes, options)), metadata: {} });

function mailbox(address: Address | undefined): string | undefined {
  if (!address) return undefined;
  if (address.address === undefined) return address.name;
  return address.name ? `${address.name} <${address.address}>` : address.address;
}

/** The body only (headers leak labels): the text/plain part, else the HTML part as text. */
const email: Extractor = async (bytes, options) => {
  if (bytes.length === 0) throw emptyDocument();
  refuseBinary(bytes, 'utf8');
  const message = await parseMail(bytes);
  let body = message.text?.trim() ? message.text : message.html ? htmlToText(message.html) : '';
  const subject = message.subject?.trim() ?? '';
  if (options.keepSubject && subject !== '') body = `Subject: ${subject}\n\n${body.trim()}`;
  const metadata: Record<string, unknown> = {};
  if (subject !== '') metadata.subject = subject;
  const from = mailbox(message.from);
  if (from) metadata.from = from;
  if (message.date) metadata.date = message.date;
  if (message.attachments.length) metadata.attachments = message.attachments.map((a) => a.filename ?? a.mimeType);
  return { text: body, metadata };
};

/** Text of all pages through pdfjs's legacy build (the one meant for Node). */
const pdf: Extractor = async (bytes) => {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({
    data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    disableFontFace: true,
    isEvalSupported: false,
    useSystemFonts: false,
    verbosity: 0,
  });
  try {
    const document = await task.promise;
    const pages: string[] = [];
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      pages.push(content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''));
      page.cleanup();
    }
    const text = pages.join('\n\n');
    if (text.trim() === '') {
      throw new SourceProblem('failed', '', `no text layer (scanned PDF?); run OCR first (${document.numPages} page${document.numPages === 1 ? '' : 's'}, no text found)`);
    }
    return { text, metadata: { pages: document.numPages } };
  } catch (error) {
    if (error instanceof SourceProblem) throw error;
    const name = (error as Error).name;
    if (name === 'PasswordException') throw new SourceProblem('failed', '', 'the PDF is password-protected; remove the password and import it again');
    throw new SourceProblem('failed', '', `not a readable PDF (${(error as Error).message})`);
  } finally {
    await task.destroy();
  }
};

const docx: Extractor = async (bytes) => {
  const mammoth = await import('mammoth');
  try {
    const result = await mammoth.extractRawText({ buffer: bytes });
    return { text: result.value, metadata: {} };
  } catch (error) {
    // Only the zip library's messages say something a user can act on (and end with a link to its docs, cut here);
    // mammoth's XML and internal errors carry parser tags, empty positions or JavaScript's own wording.
    const message = (error as Error).message;
    const readable = /zip|central directory|end of data|signature|could not find/i.test(message) && !/tagName|xmldom|reading '/.test(message);
    const reason = readable ? message.replace(/\s*If it is, see .*$/s, '').trim() : 'one of its parts is damaged';
    throw new SourceProblem('failed', '', `not a valid .docx file (${reason}); open it in Word and save it again as .docx`);
  }
};

const EXTRACTORS: Record<string, Extractor> = {
  '.txt': plainText,
  '.md': plainText,
  '.markdown': plainText,
  '.html': html,
  '.htm': html,
  '.eml': email,
  '.pdf': pdf,
  '.docx': docx,
};

export const DOCUMENT_EXTENSIONS = Object.keys(EXTRACTORS);

export function isDocument(path: string): boolean {
  return extname(path).toLowerCase() in EXTRACTORS;
}

/** Text and metadata of one document; SourceProblem for bad input (unsupported type, binary, corrupt, no text). */
export async function extractDocument(path: string, options: ImportOptions): Promise<ExtractedDocument> {
  const extension = extname(path).toLowerCase();
  const extractor = EXTRACTORS[extension];
  if (!extractor) {
    const hint = extension === '.doc' ? '; save it as .docx' : extension === '.xlsx' || extension === '.xls' ? '; save it as CSV' : '';
    throw new SourceProblem('skipped', '', `unsupported file type "${extension || '(no extension)'}"${hint} (supported: .csv, .tsv, .jsonl, ${DOCUMENT_EXTENSIONS.join(', ')})`);
  }
  const { size } = statSync(path);
  if (size > MAX_DOCUMENT_BYTES) {
    throw new SourceProblem('failed', '', `too large for one document (${Math.round(size / 2 ** 20)} MB, the limit is ${MAX_DOCUMENT_BYTES / 2 ** 20} MB); split it, or import it as CSV or JSONL`);
  }
  // Synchronous on purpose: fs.promises.readFile costs ~0.2 ms per call, more than parsing a typical e-mail.
  const document = await extractor(readFileSync(path), options);
  return { text: cleanText(document.text), metadata: document.metadata };
}

/** From here a document is far longer than any language model here reads (128 to 512 word pieces). */
const LONG_DOCUMENT_CHARS = 20_000;
/** A text file of this size without one line break is most likely many documents run together. */
const ONE_LINE_CHARS = 1_000_000;

/**
 * What a user should know about one long document, in words, or null: it is imported whole, but the language model
 * reads only its beginning, while the word counts use all of it. A huge single line gets its own warning.
 */
export function longDocumentNote(text: string): string | null {
  if (text.length < LONG_DOCUMENT_CHARS) return null;
  const size = text.length >= ONE_LINE_CHARS ? `${(text.length / 1e6).toFixed(1)} million characters` : `${Math.round(text.length / 1000)} thousand characters`;
  const reads = 'the language model reads only its beginning (about the first 100 to 400 words, depending on the model), though the word counts use all of it';
  if (text.length >= ONE_LINE_CHARS && !text.includes('\n')) {
    return `this file is one line of ${size} with no line breaks: it becomes one document, and ${reads}. If it holds many documents, save them one per row as CSV or JSONL`;
  }
  return `this is a long document (${size}): ${reads}`;
}
