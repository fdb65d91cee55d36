// The valid files the fuzzer mutates, one per format the importer reads: written by the tests, never kept as
// binaries. Each is small but exercises the format's structure (quoting, multi-part mail, nested HTML, zip parts,
// PDF objects and cross-reference table).
import { docxWith, pdfWithPage } from '../fixtures/documents.js';

export interface Seed {
  /** File name, whose extension picks the reader. */
  name: string;
  content: Buffer;
}

const rows = [
  ['Refund for order #1182, charged twice', 'billing'],
  ['App crashes on login, "Error 0x80"; see log\nline two', 'bug'],
  ['Password reset e-mail never arrives', 'account'],
  ['Préférence: facture en français, s.v.p.', 'billing'],
  ['Checkout button does nothing, tab\tinside', 'bug'],
];

const csvCell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export async function fuzzSeeds(): Promise<Seed[]> {
  const csv = ['text,label', ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n') + '\r\n';
  const tsv = ['text\tlabel', ...rows.map(([text, label]) => `${text.replace(/[\t\n]/g, ' ')}\t${label}`)].join('\n') + '\n';
  const jsonl = rows.map(([text, label], i) => JSON.stringify({ id: i, text, label, meta: { tags: ['a', 'b'], score: i / 3 } })).join('\n') + '\n';
  const eml = [
    'From: "Ana" <ana@example.com>',
    'To: support@example.com',
    'Subject: =?UTF-8?B?UmVmdW5kIHBsZWFzZQ==?=',
    'Date: Tue, 1 Dec 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'I was charged twice for order #1182 =E2=80=93 please refund.',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>I was charged <b>twice</b> for order #1182.</p>',
    '--b1--',
    '',
  ].join('\r\n');
  const html = '<!doctype html><html><head><title>Ticket</title><style>p{color:red}</style><script>var x = 1;</script></head><body><h1>Ticket 77</h1><p>The export &amp; import <em>both</em> fail.</p><ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table></body></html>';
  return [
    { name: 'tickets.csv', content: Buffer.from(csv) },
    { name: 'tickets.tsv', content: Buffer.from(tsv) },
    { name: 'tickets.jsonl', content: Buffer.from(jsonl) },
    { name: 'ticket.eml', content: Buffer.from(eml) },
    { name: 'ticket.html', content: Buffer.from(html) },
    { name: 'letter.docx', content: await docxWith(['Dear customer,', 'Your order <b>shipped</b> &amp; arrives Monday.', 'Regards']) },
    { name: 'report.pdf', content: pdfWithPage('BT /F1 24 Tf 72 700 Td (Quarterly report: refunds up 4%) Tj ET') },
  ];
}
