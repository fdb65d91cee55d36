// Occlusion explanations on a model whose reasons are known: a keyword scorer, where "free" pushes towards spam
// and "meeting" away from it. The windows, the weights' signs and sizes, and the summary follow from that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PredictionRow } from '../shared/domain.js';
import { explainPair, explainPredictions, explanationSummary, occlusionWindows } from '../shared/explain.js';

const softmax2 = (z: number): [number, number] => [1 / (1 + Math.exp(-z)), 1 - 1 / (1 + Math.exp(-z))];
/** spam score: +2 per "free", −1.5 per "meeting"; everything else nothing. */
async function keywordModel(texts: string[]): Promise<PredictionRow[]> {
  return texts.map((text) => {
    const words = text.toLowerCase().split(/\s+/);
    const z = 2 * words.filter((w) => w === 'free').length - 1.5 * words.filter((w) => w === 'meeting').length + 0.5;
    const [spam, ham] = softmax2(z);
    return { text, predicted: [spam >= ham ? 'spam' : 'ham'], probabilities: { spam, ham } };
  });
}

test('windows are the words, or runs of words once a text has more than the maximum', () => {
  assert.deepEqual(occlusionWindows('  a bb  ccc '), [{ start: 2, end: 3 }, { start: 4, end: 6 }, { start: 8, end: 11 }]);
  const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
  const windows = occlusionWindows(long, 48);
  assert.equal(windows.length, 34, 'runs of 3 words');
  assert.equal(long.slice(windows[0].start, windows[0].end), 'w0 w1 w2');
  assert.equal(long.slice(windows.at(-1)!.start, windows.at(-1)!.end), 'w99');
  assert.deepEqual(occlusionWindows(''), []);
});

test('the word a keyword model relies on gets the largest weight, and a word against the label a negative one', async () => {
  const text = 'free tickets for the meeting today';
  const [row] = await explainPredictions('single_label', await keywordModel([text]), keywordModel);
  const e = row.explanation!;
  assert.equal(e.label, 'spam');
  assert.equal(e.against, 'ham');
  const weightOf = (word: string) => e.spans.find((s) => text.slice(s.start, s.end) === word)!.weight;
  assert.ok(weightOf('free') > 0.3, `free: ${weightOf('free')}`);
  assert.ok(weightOf('meeting') < -0.2, `meeting: ${weightOf('meeting')}`);
  for (const word of ['tickets', 'for', 'the', 'today']) assert.equal(weightOf(word), 0);
  // The lead is p(spam) − p(ham); removing "free" turns the verdict, so its weight is the whole lead and more.
  const lead = row.probabilities.spam - row.probabilities.ham;
  assert.ok(weightOf('free') > lead, `${weightOf('free')} > ${lead}`);
  assert.match(explanationSummary(text, e), /^towards spam \(over ham\): "free" \+\d+ pts; against: "meeting" -\d+ pts$/);
});

test('multi-label explains the label\'s own probability, and a text with no evidence says so', async () => {
  const [row] = await explainPredictions('multi_label', await keywordModel(['nothing here']), keywordModel);
  assert.equal(row.explanation!.against, null);
  assert.equal(explanationSummary(row.text, row.explanation!), `towards ${row.predicted[0]}: no single word matters much`);
});

test('a pair is explained text by text: each text\'s words with the other kept whole', async () => {
  // The keyword model over both texts joined: "free" in either pushes towards spam.
  const pairModel = async (texts: string[], pairs: string[]) => (await keywordModel(texts.map((t, i) => `${t} ${pairs[i]}`))).map((r, i) => ({ ...r, text: texts[i], pair: pairs[i] }));
  const [row] = await pairModel(['free tickets today'], ['see you at the meeting']);
  const explained = await explainPair('single_label', { ...row, pair: 'see you at the meeting' }, pairModel);
  const e = explained.explanation!;
  const first = (w: string) => e.spans.find((s) => 'free tickets today'.slice(s.start, s.end) === w)!.weight;
  const second = (w: string) => e.pairSpans!.find((s) => 'see you at the meeting'.slice(s.start, s.end) === w)!.weight;
  assert.ok(first('free') > 0.3, `free: ${first('free')}`);
  assert.ok(second('meeting') < -0.2, `meeting: ${second('meeting')}`);
  assert.equal(second('you'), 0);
  assert.equal(e.pairSpans!.length, 5);
});
