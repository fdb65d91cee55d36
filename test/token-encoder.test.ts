// A per-token head on a Hugging Face encoder's token states: the subword layout and label alignment on hand-made
// cases (the seed's rules: the first subword takes the word's tag, the rest are ignored or take the I- form, special
// tokens are ignored), then real Brown sentences through `finetune train --task token --encoder hf:<tiny BERT>`
// with and without word features, the export in the Hugging Face token-classification layout, and transformers.js'
// own pipeline('token-classification') on it agreeing with the app's scores within 1e-4.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alignSubwordLabels, layoutSubwords } from '../shared/tokens.js';
import { loadHfTokenStates } from '../electron/backend/encoders/hf.js';
import { tokenize } from '../electron/backend/import/tokens.js';
import { readTagger } from '../electron/backend/training/tagger/files.js';
import { tokenLogProbabilities } from '../electron/backend/training/tagger/tagger.js';
import { brownTagged, type BrownSentence } from './fixtures/brown-tags.js';
import { writeTinyBert } from './fixtures/tiny-bert.js';

describe('subword layout and label alignment', () => {
  it('puts special tokens around the words, clips to the length limit, and finds each first subword', () => {
    // Words of 1, 3 and 2 pieces between [CLS] and [SEP].
    assert.deepEqual(layoutSubwords([1, 3, 2], 1, 1, 512), { wordOf: [null, 0, 1, 1, 1, 2, 2, null], first: [1, 2, 5] });
    // Room for 4 pieces only: the third word is cut off (no first subword), the second keeps 3.
    assert.deepEqual(layoutSubwords([1, 3, 2], 1, 1, 6), { wordOf: [null, 0, 1, 1, 1, null], first: [1, 2, -1] });
    // A word the tokenizer gives no pieces has no position either.
    assert.deepEqual(layoutSubwords([1, 0, 1], 1, 1, 512).first, [1, -1, 2]);
  });

  it('gives the first subword the word tag, ignores the rest or gives them the I- form, and ignores special tokens', () => {
    const { wordOf } = layoutSubwords([1, 3, 2], 1, 1, 512);
    const tags = ['O', 'B-ORG', 'B-PER'];
    assert.deepEqual(alignSubwordLabels(wordOf, tags), [null, 'O', 'B-ORG', null, null, 'B-PER', null, null]);
    assert.deepEqual(alignSubwordLabels(wordOf, tags, 'inside'), [null, 'O', 'B-ORG', 'I-ORG', 'I-ORG', 'B-PER', 'I-PER', null]);
    // An I- word's following subwords stay I-; plain tags (parts of speech) repeat.
    assert.deepEqual(alignSubwordLabels([null, 0, 0, null], ['I-LOC'], 'inside'), [null, 'I-LOC', 'I-LOC', null]);
    assert.deepEqual(alignSubwordLabels([null, 0, 0, null], ['NOUN'], 'inside'), [null, 'NOUN', 'NOUN', null]);
  });
});

describe('a tagger on a Hugging Face encoder', () => {
  let dir: string;
  let bert: string;
  const bin = join(import.meta.dirname, '..', 'bin', 'finetune.js');
  const finetune = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { cwd: dir }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  const conll = (list: BrownSentence[]) => list.map((s) => s.tokens.map((t, i) => `${t}\t${s.names[i]}`).join('\n')).join('\n\n') + '\n';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'finetune-token-encoder-'));
    bert = await writeTinyBert(join(dir, 'tiny-bert'));
    const { train, test } = brownTagged();
    writeFileSync(join(dir, 'train.conll'), conll(train.filter((_, i) => i % 30 === 0)));
    writeFileSync(join(dir, 'test.conll'), conll(test.filter((_, i) => i % 30 === 0)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trains with the token states and the word features, and tags new text with both', async () => {
    const trained = await finetune('train', '--task', 'token', '--data', 'train.conll', '--test', 'test.conll', '--encoder', `hf:${bert}`, '--out', 'both');
    assert.equal(trained.code, 0, trained.stderr);
    const model = await readTagger(join(dir, 'both', 'model'));
    assert.equal(model.dense?.dim, 32, 'the tiny BERT is 32 wide');
    assert.ok(model.features.length > 100, 'word features too');
    assert.equal(model.encoder?.alignment, 'first-subword');
    const metrics = JSON.parse(readFileSync(join(dir, 'both', 'metrics.json'), 'utf8'));
    assert.ok(metrics.entities.micro.f1 > 0.4, `entity F1 ${metrics.entities.micro.f1}`);
    writeFileSync(join(dir, 'new.txt'), 'Mayor William Hartsfield spoke to the Fulton County Grand Jury .\n');
    const predicted = await finetune('predict', '--model', join('both', 'model'), '--data', 'new.txt', '--out', 'spans.jsonl');
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.ok(JSON.parse(readFileSync(join(dir, 'spans.jsonl'), 'utf8').split('\n')[0]).spans.length > 0);
    // Word features cannot be computed inside a graph over subword ids: the export says how to train one that can.
    const refused = await finetune('export', '--model', join('both', 'model'), '--out', 'refused');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--encoder hf:<folder> --no-lexical/);
  });

  it('exports a token-states-only tagger that transformers.js pipeline("token-classification") loads with the app\'s scores', async () => {
    const trained = await finetune('train', '--task', 'token', '--data', 'train.conll', '--test', 'test.conll', '--encoder', `hf:${bert}`, '--no-lexical', '--out', 'states');
    assert.equal(trained.code, 0, trained.stderr);
    const exported = await finetune('export', '--model', join('states', 'model'), '--out', 'export');
    assert.equal(exported.code, 0, exported.stderr);
    const config = JSON.parse(readFileSync(join(dir, 'export', 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['BertForTokenClassification']);
    const model = await readTagger(join(dir, 'states', 'model'));
    assert.deepEqual(Object.values(config.id2label), model.tags);

    const { pipeline, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    const tag = await pipeline('token-classification', join(dir, 'export'), { dtype: 'fp32' });
    const states = await loadHfTokenStates(bert);
    try {
      const texts = ['Mayor William Hartsfield spoke to the Fulton County Grand Jury .', 'The jury said the election was conducted in Atlanta on Friday .'];
      let compared = 0;
      for (const text of texts) {
        const words = tokenize(text).tokens;
        const { ids, layout } = states.layout(words);
        // The app's ids (each word alone, specials around) are the ids the pipeline's tokenizer gives the whole text.
        assert.deepEqual(ids, Array.from((tag.tokenizer(text).input_ids as { data: BigInt64Array }).data, Number));
        const [positions] = await states.positionStates([ids]);
        const found = (await tag(text, { ignore_labels: [] })) as Array<{ entity: string; score: number; index: number }>;
        for (const token of found) {
          const logp = tokenLogProbabilities(model, [{ tokens: ['·'], states: positions.slice(token.index * 32, (token.index + 1) * 32) }]);
          const probabilities = Array.from(logp, Math.exp);
          const best = probabilities.indexOf(Math.max(...probabilities));
          assert.equal(token.entity, model.tags[best], `${text}: position ${token.index}`);
          assert.ok(Math.abs(token.score - probabilities[best]) <= 1e-4, `${text}: position ${token.index}, pipeline ${token.score} vs app ${probabilities[best]}`);
          if (layout.wordOf[token.index] !== null) compared++;
        }
      }
      assert.ok(compared >= 20, `${compared} subword positions compared`);
    } finally {
      await tag.dispose();
      await states.dispose();
    }
  });
});
