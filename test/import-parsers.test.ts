// The import parsers on real files written here: every bad input gives an issue naming the file, the row or
// path, and the reason; good input gives clean records.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import type { ImportIssue, ImportOptions } from '../shared/domain.js';
import { formatIssue, previewSource, readSources, type ImportEvent, type ImportRecord } from '../electron/backend/import/index.js';
import { writeSpamAssassinFolder } from './fixtures/corpora.js';
import JSZip from 'jszip';
import { docxWith, pdfWithPage } from './fixtures/documents.js';

const dir = mkdtempSync(join(tmpdir(), 'import-parsers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

interface Collected {
  records: ImportRecord[];
  issues: ImportIssue[];
  notices: string[];
  events: ImportEvent[];
}

async function collect(paths: string[], options: ImportOptions = {}, signal?: AbortSignal): Promise<Collected> {
  const out: Collected = { records: [], issues: [], notices: [], events: [] };
  for await (const event of readSources(paths, options, signal)) {
    out.events.push(event);
    if (event.kind === 'record') out.records.push(event.record);
    else if (event.kind === 'issue') out.issues.push(event.issue);
    else if (event.kind === 'notice') out.notices.push(event.message);
  }
  return out;
}

/** The one issue of a source, checked to name the file, the row or path, and the reason. */
function onlyIssue(result: Collected, file: string, where: string, reason: RegExp, status: ImportIssue['status'] = 'failed'): ImportIssue {
  assert.equal(result.issues.length, 1, `expected one issue, got ${JSON.stringify(result.issues)}`);
  const [issue] = result.issues;
  assert.equal(issue.status, status);
  assert.equal(issue.file, file);
  assert.equal(issue.where, where);
  assert.match(issue.reason, reason);
  const line = formatIssue(issue);
  assert.ok(line.startsWith(file), line);
  if (where !== '') assert.ok(line.includes(where), line);
  return issue;
}

// ---------- CSV / TSV ----------

test('CSV: quoted newlines, doubled quotes and commas stay inside their field', async () => {
  const path = write('quoted.csv', 'id,text,label\n1,"first line\nsecond line",a\n2,"she said ""hi"", then left",b\n');
  const { records, issues } = await collect([path], { textCol: 'text', labelCol: 'label' });
  assert.deepEqual(issues, []);
  assert.deepEqual(records.map((r) => r.text), ['first line\nsecond line', 'she said "hi", then left']);
  assert.deepEqual(records.map((r) => r.labels), [['a'], ['b']]);
  assert.deepEqual(records.map((r) => r.sourceRef), ['1', '2']);
  assert.deepEqual(records[0].metadata, { id: '1' });
  assert.equal(records[0].sourceFile, path);
});

test('CSV: an unterminated quote names the row and line where it starts; rows before it are imported', async () => {
  const path = write('unterminated.csv', 'text,label\nfine one,a\n"fine\ntwo",b\n\n"broken starts here,c\nnever,d\nimported,e\n');
  const result = await collect([path], { textCol: 'text', labelCol: 'label' });
  assert.deepEqual(result.records.map((r) => r.text), ['fine one', 'fine\ntwo']);
  const issue = onlyIssue(result, path, '3', /unterminated quote/);
  assert.match(issue.reason, /row 3 \(starting on line 6\)/);
  assert.match(issue.reason, /closing "/);
  assert.match(issue.reason, /2 rows before it were read/);
});

test('CSV: a quote closed in the wrong place mid-file fails that row (naming its lines), not silently merging rows', async () => {
  // Row 3 opens a quote that is never closed on its line; a relaxed parser reads on to the quote of row 4.
  const path = write('badquote.csv', 'text,label\n"first ok",a\n"second, ok",b\n"third never closed,a\n"fourth",b\n"fifth",a\n"""quoted"" start\nover two lines",c\n5" screen,d\n');
  const result = await collect([path], { textCol: 'text', labelCol: 'label' });
  assert.deepEqual(result.records.map((r) => r.text), ['first ok', 'second, ok', 'fifth', '"quoted" start\nover two lines', '5" screen']);
  const issue = onlyIssue(result, path, '3', /a quoted field opened on line 4 is not closed properly/);
  assert.match(issue.reason, /lines 4-5 were read as this one row; it was skipped/);
});

test('CSV: a missing column fails the whole file, naming the column asked for and the columns present', async () => {
  const path = write('missing.csv', 'id,body,category\n1,hello,a\n');
  const result = await collect([path], { textCol: 'message', labelCol: 'category' });
  assert.equal(result.records.length, 0);
  const issue = onlyIssue(result, path, '', /text column "message" not found/);
  assert.match(issue.reason, /"id", "body", "category"/);
  const labelResult = await collect([path], { textCol: 'body', labelCol: 'topic' });
  onlyIssue(labelResult, path, '', /label column "topic" not found; the columns are: "id", "body", "category"/);
});

test('CSV: a UTF-8 BOM does not end up in the first column name', async () => {
  const path = write('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('text,label\ncafé au lait,drinks\n')]));
  const { records, issues } = await collect([path], { textCol: 'text', labelCol: 'label' });
  assert.deepEqual(issues, []);
  assert.equal(records[0].text, 'café au lait');
  const preview = await previewSource(path);
  assert.deepEqual(preview.columns, ['text', 'label']);
  assert.ok(!preview.columns[0].includes('\uFEFF'));
});

test('CSV: Windows-1252 text is detected and decoded (é, smart quotes, €)', async () => {
  const text = 'Le café coûte 3 € – “très” bon, n’est-ce pas';
  const path = write('cp1252.csv', iconv.encode(`text;label\n${text};fr\nrésumé déjà vu;fr\n`, 'windows-1252'));
  const { records, issues, notices } = await collect([path], { textCol: 'text', labelCol: 'label' });
  assert.deepEqual(issues, []);
  assert.equal(records[0].text, text);
  assert.equal(records[1].text, 'résumé déjà vu');
  assert.ok(notices.some((n) => /semicolon/.test(n) && /windows-1252/.test(n)), notices.join('\n'));
  // options.encoding forces a reading, here a wrong one, to show it is honoured.
  const forced = await collect([path], { textCol: 'text', encoding: 'utf-8' });
  assert.notEqual(forced.records[0].text, text);
});

test('CSV: Windows-1252 bytes that appear only after the first 64 KB are still decoded, with a notice', async () => {
  const asciiRows = Array.from({ length: 3000 }, (_, i) => `plain ascii row number ${i},en\n`).join('');
  assert.ok(asciiRows.length > 64 * 1024);
  const path = write('late-cp1252.csv', Buffer.concat([Buffer.from(`text,label\n${asciiRows}`), iconv.encode('déjà “vu” 5 €,fr\n', 'windows-1252')]));
  const { records, issues, notices } = await collect([path], { textCol: 'text', labelCol: 'label' });
  assert.deepEqual(issues, []);
  assert.equal(records.length, 3001);
  assert.equal(records.at(-1)!.text, 'déjà “vu” 5 €');
  assert.ok(notices.some((n) => /not UTF-8 from byte \d+ on/.test(n) && n.includes('windows-1252')), notices.join('\n'));
});

test('CSV: an empty file and a header-only file fail with plain reasons', async () => {
  const empty = write('empty.csv', '');
  onlyIssue(await collect([empty]), empty, '', /empty file/);
  const headerOnly = write('header-only.csv', 'text,label\n');
  onlyIssue(await collect([headerOnly]), headerOnly, '', /header row only, no data rows/);
});

test('CSV: empty text cells are skipped with their row; empty label cells give unlabeled records', async () => {
  const path = write('empties.csv', 'text,label\nfirst,a\n   ,b\nthird,\n');
  const result = await collect([path], { textCol: 'text', labelCol: 'label' });
  assert.deepEqual(result.records.map((r) => [r.text, r.labels]), [['first', ['a']], ['third', null]]);
  onlyIssue(result, path, '2', /empty text/, 'skipped');
});

test('CSV: CRLF line endings (also inside quoted fields) become \\n; a trailing delimiter on every row is accepted', async () => {
  const crlf = write('crlf.csv', 'text,label\r\n"line one\r\nline two",a\r\nplain,b\r\n');
  assert.deepEqual((await collect([crlf], { textCol: 'text' })).records.map((r) => r.text), ['line one\nline two', 'plain']);
  const trailing = write('trailing.csv', 'text,label\nhello,a,\nbye,b,\n');
  const result = await collect([trailing], { textCol: 'text', labelCol: 'label' });
  assert.deepEqual(result.issues, []);
  assert.deepEqual(result.records.map((r) => [r.text, r.labels]), [['hello', ['a']], ['bye', ['b']]]);
});

test('CSV: a row with the wrong number of fields is skipped, naming the counts', async () => {
  const path = write('ragged.csv', 'text,label\nok,a\ntoo,many,fields\n');
  const result = await collect([path], { textCol: 'text', labelCol: 'label' });
  assert.equal(result.records.length, 1);
  onlyIssue(result, path, '2', /3 fields but the header has 2/, 'skipped');
});

test('CSV: multi-label cells are split on labelSep and trimmed', async () => {
  const path = write('multi.csv', 'text,tags\none, sports | politics \ntwo,sports\nthree,\nfour,|\n');
  const { records } = await collect([path], { textCol: 'text', labelCol: 'tags', multiLabel: true, labelSep: '|' });
  assert.deepEqual(records.map((r) => r.labels), [['sports', 'politics'], ['sports'], null, null]);
  const single = await collect([path], { textCol: 'text', labelCol: 'tags' });
  assert.deepEqual(single.records[0].labels, ['sports | politics']);
});

test('CSV/TSV: semicolon, tab and pipe delimiters are sniffed', async () => {
  const semicolon = write('semicolon.csv', 'text;label\nhello, world;a\nbye;b\n');
  const tab = write('tabbed.tsv', 'id\ttext\tlabel\n1\thello, world; again\ta\n');
  const pipe = write('pipe.csv', 'text|label\nhello, world|a\n');
  for (const path of [semicolon, tab, pipe]) {
    const { records, issues } = await collect([path], { textCol: 'text', labelCol: 'label' });
    assert.deepEqual(issues, [], path);
    assert.equal(records[0].labels?.[0], 'a', path);
    assert.match(records[0].text, /^hello, world/, path);
  }
  assert.equal((await previewSource(tab)).format, 'tsv');
});

test('CSV: without textCol a text-like column is chosen and the choice reported', async () => {
  const named = write('named.csv', 'id,Body,category\n1,the body text,a\n');
  const result = await collect([named]);
  assert.equal(result.records[0].text, 'the body text');
  assert.equal(result.records[0].labels, null);
  assert.ok(result.notices.some((n) => n.includes('using "Body"')), result.notices.join('\n'));
  assert.ok(result.notices.some((n) => n.includes('"category" looks like labels (--label-col category)')), result.notices.join('\n'));
  const longest = write('longest.csv', 'code,words,flag\nA1,a much longer piece of writing,y\nB2,another long piece of text here,n\n');
  assert.equal((await collect([longest])).records[0].text, 'a much longer piece of writing');
});

// ---------- JSONL ----------

test('JSONL: a bad line fails with its line number and the parser reason; other lines import', async () => {
  const path = write('data.jsonl', [
    '{"text": "first", "label": "a", "id": 1}',
    '{"text": "broken", "label": ',
    '',
    '{"text": "third", "label": ["a", " b "], "meta": {"lang": "en"}}',
    '[1, 2]',
  ].join('\n'));
  const result = await collect([path], { textCol: 'text', labelCol: 'label', multiLabel: true });
  assert.deepEqual(result.records.map((r) => [r.text, r.labels, r.sourceRef]), [['first', ['a'], '1'], ['third', ['a', 'b'], '4']]);
  assert.deepEqual(result.records[0].metadata, { id: 1 });
  assert.equal(result.issues.length, 2);
  assert.equal(result.issues[0].file, path);
  assert.equal(result.issues[0].where, '2');
  assert.match(result.issues[0].reason, /invalid JSON on line 2: .+/);
  assert.equal(result.issues[1].where, '5');
  assert.match(result.issues[1].reason, /not a JSON object/);
});

test('JSONL: a line nested thousands of levels deep fails with its line number; the next line imports', async () => {
  const deep = `{"text": ${'['.repeat(5000)}1${']'.repeat(5000)}, "label": "a"}`;
  const path = write('deep.jsonl', [deep, '{"text": "shallow", "label": "a", "meta": [[["fine"]]]}'].join('\n'));
  const result = await collect([path], { textCol: 'text', labelCol: 'label' });
  assert.deepEqual(result.records.map((r) => r.text), ['shallow']);
  onlyIssue(result, path, '1', /line 1 nests objects or arrays more than 512 levels deep/);
});

test('JSONL: dotted field paths and a missing field', async () => {
  const path = write('nested.jsonl', '{"doc": {"body": "nested text"}, "y": "x"}\n{"y": "z"}\n');
  const result = await collect([path], { textCol: 'doc.body', labelCol: 'y' });
  assert.deepEqual(result.records.map((r) => [r.text, r.labels]), [['nested text', ['x']]]);
  onlyIssue(result, path, '2', /no field "doc.body"/, 'skipped');
  const missing = await collect([path], { textCol: 'content' });
  onlyIssue(missing, path, '', /text field "content" not found; the fields are: "doc", "y"/);
});

// ---------- Single files ----------

test('TXT/EML: a binary file renamed .txt fails as binary; an empty one is an empty text, skipped (the review counts those)', async () => {
  const binary = write('photo.txt', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
  onlyIssue(await collect([binary]), binary, '', /binary file, not text/);
  for (const name of ['nothing.txt', 'nothing.eml']) {
    const empty = write(name, '');
    onlyIssue(await collect([empty]), empty, '', /^empty text \(the file is empty, 0 bytes\)$/, 'skipped');
  }
});

test('TXT and HTML: Windows-1252 and UTF-16 text decode; HTML becomes plain text', async () => {
  const cp1252 = write('note.txt', iconv.encode('café “quoted” costs 5 €\n', 'windows-1252'));
  const utf16 = write('wide.md', iconv.encode('\uFEFF# Título\nçà\n', 'utf-16le', { addBOM: false }));
  const page = write('page.html', '<html><head><title>t</title><style>p{}</style></head><body><h1>Hello</h1><p>caf&eacute; <a href="http://x.example">link</a></p><img src="a.png"></body></html>');
  const { records, issues } = await collect([cp1252, utf16, page]);
  assert.deepEqual(issues, []);
  assert.equal(records[0].text, 'café “quoted” costs 5 €');
  assert.equal(records[1].text, '# Título\nçà');
  assert.match(records[2].text, /HELLO/i);
  assert.match(records[2].text, /café link/);
  assert.doesNotMatch(records[2].text, /http|png|<|p\{\}/);
  assert.equal(records[0].sourceRef, 'note.txt');
});

test('EML: the body only, headers dropped; keepSubject puts the subject in front; metadata kept', async () => {
  const path = write('mail.eml', [
    'From: Alice <alice@example.com>',
    'To: bob@example.com',
    'Subject: Quarterly invoice',
    'Date: Tue, 01 Oct 2024 10:00:00 +0000',
    'X-Mailing-List: billing-team',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Please find the invoice attached, caf=C3=A9 included.',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>HTML version</p>',
    '--b1--',
    '',
  ].join('\r\n'));
  const plain = await collect([path]);
  assert.deepEqual(plain.issues, []);
  assert.equal(plain.records[0].text, 'Please find the invoice attached, café included.');
  assert.deepEqual(plain.records[0].metadata.subject, 'Quarterly invoice');
  assert.equal(plain.records[0].metadata.from, 'Alice <alice@example.com>');
  assert.equal(plain.records[0].metadata.date, '2024-10-01T10:00:00.000Z');
  const withSubject = await collect([path], { keepSubject: true });
  assert.equal(withSubject.records[0].text, 'Subject: Quarterly invoice\n\nPlease find the invoice attached, café included.');

  const htmlOnly = write('html-only.eml', 'Subject: hi\r\nContent-Type: text/html\r\n\r\n<div>Only <b>HTML</b> here</div>\r\n');
  assert.equal((await collect([htmlOnly])).records[0].text, 'Only HTML here');
  const noBody = write('no-body.eml', 'Subject: nothing\r\n\r\n');
  onlyIssue(await collect([noBody]), noBody, '', /empty text/, 'skipped');
});

test('PDF: text is extracted; a page without a text layer fails with "run OCR first"', async () => {
  const text = write('report.pdf', pdfWithPage('BT /F1 24 Tf 72 700 Td (Quarterly report) Tj ET'));
  const scanned = write('scanned.pdf', pdfWithPage('0 0 m 300 300 l S'));
  const good = await collect([text]);
  assert.deepEqual(good.issues, []);
  assert.equal(good.records[0].text, 'Quarterly report');
  assert.equal(good.records[0].metadata.pages, 1);
  onlyIssue(await collect([scanned]), scanned, '', /no text layer \(scanned PDF\?\); run OCR first/);
  const corrupt = write('corrupt.pdf', '%PDF-1.4\nthis is not a pdf\n');
  onlyIssue(await collect([corrupt]), corrupt, '', /not a readable PDF/);
});

test('DOCX: a valid document gives its text; a corrupt or truncated one fails with the reason', async () => {
  const valid = await docxWith(['Dear customer,', 'Your order shipped.']);
  const good = write('letter.docx', valid);
  const truncated = write('truncated.docx', valid.subarray(0, Math.floor(valid.length / 2)));
  const random = write('random.docx', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256)));
  const result = await collect([good]);
  assert.deepEqual(result.issues, []);
  assert.equal(result.records[0].text, 'Dear customer,\n\nYour order shipped.');
  for (const path of [truncated, random]) {
    const issue = onlyIssue(await collect([path]), path, '', /not a valid \.docx file \(.+\)/);
    assert.match(issue.reason, /zip/i);
  }
});

test('DOCX: damaged XML inside a sound zip fails in plain words, without the XML parser\'s insides', async () => {
  const zip = await JSZip.loadAsync(await docxWith(['Dear customer,']));
  for (const [name, xml] of [['unclosed.docx', '<w:document><w:body><w:p'], ['two-roots.docx', '<a/><b/>'], ['bad-end.docx', '<w:document></w:']]) {
    zip.file('word/document.xml', xml);
    const path = write(name, await zip.generateAsync({ type: 'nodebuffer' }));
    const issue = onlyIssue(await collect([path]), path, '', /not a valid \.docx file \(one of its parts is damaged\); open it in Word/);
    assert.doesNotMatch(issue.reason, /undefined|xmldom|tagName|Cannot read/);
  }
});

test('unknown extensions and missing paths become issues, and the next source still imports', async () => {
  const sheet = write('numbers.xlsx', 'PK');
  const fine = write('fine.txt', 'still imported');
  const missing = join(dir, 'does-not-exist.csv');
  const result = await collect([sheet, missing, fine]);
  assert.deepEqual(result.records.map((r) => r.text), ['still imported']);
  assert.equal(result.issues.length, 2);
  assert.deepEqual([result.issues[0].status, result.issues[0].file], ['skipped', sheet]);
  assert.match(result.issues[0].reason, /unsupported file type "\.xlsx"; save it as CSV/);
  assert.deepEqual([result.issues[1].status, result.issues[1].file], ['failed', missing]);
  assert.match(result.issues[1].reason, /not found/);
});

test('garbage in every supported format gives issues or records, never an exception', async () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const garbage = (length: number, printable: boolean) =>
    Buffer.from(Array.from({ length }, () => (printable ? 32 + Math.floor(random() * 95) : Math.floor(random() * 256))));
  const paths: string[] = [];
  for (const extension of ['.csv', '.tsv', '.jsonl', '.txt', '.md', '.html', '.eml', '.pdf', '.docx']) {
    paths.push(write(`garbage/binary${extension}`, garbage(3000, false)));
    // Printable noise with quotes, delimiters and braces in it, plus a stray newline now and then.
    const noise = garbage(3000, true).toString('latin1').replace(/~/g, '\n');
    paths.push(write(`garbage/printable${extension}`, noise));
  }
  const result = await collect(paths);
  const touched = new Set([...result.issues.map((i) => i.file), ...result.records.map((r) => r.sourceFile)]);
  for (const path of paths) assert.ok(touched.has(path), `${path} gave neither a record nor an issue`);
  for (const issue of result.issues) assert.ok(issue.reason.length > 10 && paths.includes(issue.file), JSON.stringify(issue));
});

// ---------- Folders ----------

test('folder: subfolder names are labels (recursively), root files unlabeled, links are not walked twice, problems name the relative path', async () => {
  const root = join(dir, 'tickets');
  write('tickets/billing/a.txt', 'refund please');
  write('tickets/billing/2024/b.md', 'invoice wrong');
  write('tickets/outage/c.html', '<p>site down</p>');
  write('tickets/outage/broken.txt', Buffer.from([0, 1, 2, 3, 0, 0]));
  write('tickets/loose.txt', 'no label here');
  write('tickets/.DS_Store', Buffer.from([0, 0, 0, 1]));
  symlinkSync(root, join(root, 'outage', 'loop'), 'dir');
  const result = await collect([root]);
  const byRef = Object.fromEntries(result.records.map((r) => [r.sourceRef, r]));
  assert.deepEqual(Object.keys(byRef).sort(), ['billing/2024/b.md', 'billing/a.txt', 'loose.txt', 'outage/c.html']);
  assert.deepEqual(byRef['billing/2024/b.md'].labels, ['billing']);
  assert.deepEqual(byRef['outage/c.html'].labels, ['outage']);
  assert.equal(byRef['loose.txt'].labels, null);
  assert.equal(byRef['billing/a.txt'].sourceFile, join(root, 'billing', 'a.txt'));
  onlyIssue(result, join(root, 'outage', 'broken.txt'), 'outage/broken.txt', /binary file/);
  const progress = result.events.filter((e) => e.kind === 'progress');
  assert.ok(progress.length >= 2);
  const last = progress.at(-1)!;
  assert.ok(last.kind === 'progress' && last.bytesDone === last.bytesTotal && last.file === root);

  const preview = await previewSource(root);
  assert.equal(preview.format, 'folder');
  assert.deepEqual(preview.columns, ['text', 'label']);
  assert.deepEqual(new Set(preview.rows.map((r) => r.label)), new Set(['billing', 'outage', '']));
});

test('folder: real SpamAssassin messages come out as bodies without header lines', async () => {
  const root = join(dir, 'spam-assassin');
  writeSpamAssassinFolder(root, { perLabel: 17 });
  const result = await collect([root]);
  assert.equal(result.records.length + result.issues.length, 51);
  assert.ok(result.records.length >= 48, JSON.stringify(result.issues));
  for (const issue of result.issues) assert.match(issue.reason, /empty text/);
  for (const record of result.records) {
    // The message's own header lines (not quoted ones inside a reply) must not reach the text.
    const raw = readFileSync(record.sourceFile, 'utf8');
    const headerLines = raw.split(/\r?\n\r?\n/)[0].split(/\r?\n/).filter((line) => /^(From |Return-Path:|Delivered-To:|Received:|Message-Id:|X-[\w-]+:)/i.test(line));
    assert.ok(headerLines.length >= 3, record.sourceRef);
    for (const line of headerLines) assert.ok(!record.text.includes(line.trim()), `${record.sourceRef} keeps the header line "${line}"`);
    assert.ok(record.text.length > 0);
    assert.ok(record.labels && ['ham', 'hard_ham', 'spam'].includes(record.labels[0]));
  }
  assert.deepEqual(new Set(result.records.map((r) => r.labels![0])), new Set(['ham', 'hard_ham', 'spam']));
});

// ---------- Preview and cancellation ----------

test('preview: columns, first rows as strings and suggested columns', async () => {
  const path = write('preview.csv', 'id,message,category\n1,hello there,greeting\n2,"bye\nnow",farewell\n3,x,y\n');
  const preview = await previewSource(path, {}, 2);
  assert.equal(preview.format, 'csv');
  assert.deepEqual(preview.columns, ['id', 'message', 'category']);
  assert.deepEqual(preview.rows, [{ id: '1', message: 'hello there', category: 'greeting' }, { id: '2', message: 'bye\nnow', category: 'farewell' }]);
  assert.equal(preview.suggestedTextCol, 'message');
  assert.equal(preview.suggestedLabelCol, 'category');
  const jsonl = await previewSource(write('preview.jsonl', '{"body":"b","tags":["x"]}\n'));
  assert.deepEqual([jsonl.format, jsonl.columns, jsonl.rows[0].tags], ['jsonl', ['body', 'tags'], '["x"]']);
  await assert.rejects(previewSource(join(dir, 'nope.csv')), (error: Error) => error.message.includes('nope.csv') && /not found/.test(error.message));
});

test('an aborted signal stops the stream with its reason', async () => {
  const path = write('abort.csv', `text\n${'row\n'.repeat(1000)}`);
  const controller = new AbortController();
  let seen = 0;
  await assert.rejects(async () => {
    for await (const event of readSources([path], {}, controller.signal)) {
      if (event.kind === 'record' && ++seen === 10) controller.abort();
    }
  }, { name: 'AbortError' });
  assert.equal(seen, 10);
});

test('a header of thousands of repeated names is handled in linear time, and an absurdly wide one refused clearly', async () => {
  // 900 copies of one name: every one gets its own suffix (once quadratic: 10,000 copies took 18 s).
  const header = Array.from({ length: 900 }, () => 'x');
  const wide = write('repeated.csv', `${header.join(',')},text,label\n${header.map(() => '1').join(',')},hello there,greeting\n`);
  const ok = await collect([wide], { textCol: 'text', labelCol: 'label' });
  assert.equal(ok.records.length, 1);
  assert.equal(Object.keys(ok.records[0].metadata).length, 900);
  assert.ok('x_900' in ok.records[0].metadata && 'x' in ok.records[0].metadata);

  const huge = write('huge-header.csv', `${Array.from({ length: 40_000 }, () => 'dup').join(',')}\n1\n`);
  const refused = await collect([huge]);
  onlyIssue(refused, huge, '', /the header row has 40,000 columns; Finetune reads tables of up to 1,000/);

  // A column asked for but absent: the message names the first columns and counts the rest.
  const many = write('many-columns.csv', `${Array.from({ length: 300 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 300 }, () => 'v').join(',')}\n`);
  const missing = onlyIssue(await collect([many], { textCol: 'body' }), many, '', /text column "body" not found; the columns are: "c0", "c1", .* and 280 more$/);
  assert.ok(missing.reason.length < 400, `a short message (${missing.reason.length} characters)`);
});

test('a long document is imported whole, and the preview and the import say the model reads only its beginning', async () => {
  const oneLine = write('one-line.txt', 'Quarterly figures attached, see the summary. '.repeat(25_000));
  const preview = await previewSource(oneLine);
  assert.equal(preview.warnings?.length, 1);
  assert.match(preview.warnings![0], /^this file is one line of 1\.1 million characters with no line breaks: it becomes one document, and the language model reads only its beginning/);
  const { records, notices } = await collect([oneLine]);
  assert.equal(records.length, 1);
  assert.equal(records[0].text.length, 'Quarterly figures attached, see the summary. '.length * 25_000 - 1, 'the text is kept whole');
  assert.ok(notices.some((n) => n.startsWith('this file is one line of 1.1 million characters')), JSON.stringify(notices));
  // Long with line breaks: only that the model reads the beginning.
  const report = write('report.txt', 'A paragraph of the annual report.\n'.repeat(1000));
  assert.match((await previewSource(report)).warnings![0], /^this is a long document \(34 thousand characters\): the language model reads only its beginning/);
  // An ordinary document: no warning.
  assert.equal((await previewSource(write('note.txt', 'Lunch at noon?'))).warnings, undefined);
});
