// Minority examples from a local language model, against a stand-in server that speaks the OpenAI-compatible chat
// API: a good answer becomes pending candidates with their source documents; slow, refusing, garbled and absent
// servers and a non-local address each give a clear message and change nothing in the project.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toCsv } from '../shared/csv.js';
import { parseReply } from '../electron/backend/synthetic/llm.js';
import { createAppService } from '../electron/backend/app/service.js';
import { defaultSamplePath } from '../electron/backend/app/resources.js';

let dir: string;
let server: Server;
let base: string;
const received: Array<{ model: string; messages: Array<{ role: string; content: string }> }> = [];
const WRITTEN = ['I was charged twice for my March invoice; please refund the second charge.', 'The renewal fee was taken although I cancelled in January.', 'Please send a corrected invoice with our new VAT number.'];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'finetune-llm-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const request = JSON.parse(body) as (typeof received)[number];
      received.push(request);
      const reply = (content: string) => res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
      if (request.model === 'good') return reply('Here you are:\n```json\n' + JSON.stringify(WRITTEN) + '\n```');
      if (request.model === 'fresh') return reply(JSON.stringify(['My card was debited for a plan I never ordered.', 'The invoice shows the old address; please reissue it.']));
      if (request.model === 'slow') return void setTimeout(() => reply('[]'), 3000);
      if (request.model === 'garbled') return reply('Sure! Some ideas: refunds, invoices and fees.');
      if (request.model === 'not-json') return res.end('<html>proxy error</html>');
      res.statusCode = 404;
      res.end(JSON.stringify({ error: `model '${request.model}' not found` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const rows = [
    ['Refund the duplicate charge on my card.', 'billing'],
    ['My invoice total is wrong this month.', 'billing'],
    ['Why was I billed after cancelling?', 'billing'],
    ['The app crashes when I open settings.', 'bug'],
    ['Login fails with error 500.', 'bug'],
  ];
  writeFileSync(join(dir, 'tickets.csv'), toCsv(['text', 'label'], rows));
  assert.equal((await finetune('import', '--project', 'p.ftproj', '--data', 'tickets.csv', '--text-col', 'text', '--label-col', 'label')).code, 0);
  assert.equal((await finetune('labels', 'describe', '--project', 'p.ftproj', 'billing', 'Questions about charges, invoices and refunds')).code, 0);
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');
function finetune(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(process.execPath, [bin, ...args], { cwd: dir }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })));
}
const generate = (...extra: string[]) => finetune('synthetic', 'generate', '--project', 'p.ftproj', '--label', 'billing', '--count', '3', '--json', ...extra);
const syntheticCount = async () => (JSON.parse((await finetune('synthetic', 'list', '--project', 'p.ftproj', '--json')).stdout) as unknown[]).length;

describe('synthetic generate --llm', () => {
  it('turns the model\'s answer into pending candidates whose parents are the documents it was shown', async () => {
    const result = await generate('--llm', base, '--model', 'good');
    assert.equal(result.code, 0, result.stderr);
    const rows = JSON.parse(result.stdout) as Array<{ id: number; text: string; synthetic: { method: string; status: string; parents: number[] } }>;
    assert.deepEqual(rows.map((r) => r.text), WRITTEN);
    assert.ok(rows.every((r) => r.synthetic.method === 'llm' && r.synthetic.status === 'pending' && r.synthetic.parents.length === 3));
    const prompt = received.at(-1)!.messages.map((m) => m.content).join('\n');
    assert.match(prompt, /Class: billing\nWhat it means: Questions about charges, invoices and refunds/);
    assert.match(prompt, /Refund the duplicate charge on my card\./);
    assert.doesNotMatch(prompt, /The app crashes/, 'only documents of the class are shown');

    const accepted = await finetune('synthetic', 'accept', '--project', 'p.ftproj', '--id', String(rows[0].id), '--reviewer', 'Ana Compliance', '--json');
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(JSON.parse(accepted.stdout)[0].synthetic.reviewer, 'Ana Compliance');
  });

  it('gives a clear message and changes nothing when the server is slow, refuses, garbles, or is not there', async () => {
    const before = await syntheticCount();
    const cases: Array<[string[], RegExp]> = [
      [['--llm', base, '--model', 'slow', '--timeout', '1'], /did not answer within 1 s/],
      [['--llm', base, '--model', 'missing'], /refused the request \(HTTP 404: .*not found.*\); is the model "missing" installed there\?/],
      [['--llm', base, '--model', 'garbled'], /the model's reply was not a JSON list of texts \(it began: "Sure! Some ideas/],
      [['--llm', base, '--model', 'not-json'], /answered, but not with the chat API's JSON/],
      [['--llm', 'http://127.0.0.1:9/v1', '--model', 'good'], /nothing answers at http:\/\/127\.0\.0\.1:9\/v1\/chat\/completions/],
      [['--llm', 'http://10.1.2.3:11434/v1', '--model', 'good'], /10\.1\.2\.3 is not this computer.*--allow-remote/],
      [['--llm', base], /--llm needs --model NAME/],
    ];
    for (const [args, message] of cases) {
      const result = await generate(...args);
      assert.notEqual(result.code, 0, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
    }
    assert.equal(await syntheticCount(), before);
  });

  it('the app asks the same way: pending candidates from the Synthetic step, and a refusal keeps the project as it was', async () => {
    const service = createAppService({ dataDir: join(dir, 'app-data'), samplePath: defaultSamplePath() });
    try {
      await service.handle('projects:open', { path: join(dir, 'p.ftproj') });
      const before = (await service.handle('synthetic:list', {})).length;
      const made = await service.handle('synthetic:generateWithLlm', { label: 'billing', count: 2, baseUrl: base, model: 'fresh', temperature: 0.5 });
      assert.equal(made.length, 2);
      assert.ok(made.every((row) => row.synthetic.method === 'llm' && row.synthetic.status === 'pending' && row.labels[0] === 'billing' && row.synthetic.parents.length > 0));
      assert.equal(received.at(-1)!.model, 'fresh');
      await assert.rejects(service.handle('synthetic:generateWithLlm', { label: 'billing', count: 2, baseUrl: base, model: 'missing' }), /refused the request \(HTTP 404/);
      await assert.rejects(service.handle('synthetic:generateWithLlm', { label: 'billing', count: 2, baseUrl: 'http://10.1.2.3:11434/v1', model: 'good' }), /is not this computer/);
      assert.equal((await service.handle('synthetic:list', {})).length, before + 2);
    } finally {
      await service.close();
    }
  });

  it('reads lists in code fences and lists of {text} objects', () => {
    assert.deepEqual(parseReply('```\n["a b", "c d"]\n```'), ['a b', 'c d']);
    assert.deepEqual(parseReply('[{"text": "one"}, {"text": "two"}]'), ['one', 'two']);
    assert.throws(() => parseReply('[]'), /not a JSON list of texts/);
  });
});
