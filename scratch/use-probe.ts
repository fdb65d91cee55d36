import { initTensorflow } from '../electron/backend/tf/backend.js';
import { loadEncoder } from '../electron/backend/encoders/index.js';
import { UseLiteClassifier } from '../electron/backend/training/transformer/use-lite-trainable.js';
import { toBatch } from '../electron/backend/training/transformer/batches.js';
const rt = await initTensorflow('auto');
const tf = rt.tf;
const enc = await loadEncoder('use-lite');
const texts = ['The jury said the election was conducted fairly.', 'a', 'Free money now, click here', 'The county would pay for the new school building within two years of the vote, said the mayor on Tuesday.'];
const frozen = await enc.embed(texts);
const ids = (await enc.tokenize(texts)).map((s) => (s.length ? s.slice(0, 128) : [0]));
const model = new UseLiteClassifier(tf, 2);
const batch = toBatch(tf, ids, 0);
const t0 = Date.now();
const v = model.sentenceVectors(batch).arraySync();
console.log('ms', Date.now() - t0);
for (let i = 0; i < texts.length; i++) {
  let d = 0, na = 0, nb = 0;
  for (let h = 0; h < 512; h++) { d += v[i][h] * frozen[i][h]; na += v[i][h] ** 2; nb += frozen[i][h] ** 2; }
  console.log(i, d / Math.sqrt(na * nb));
}
const vars = model.trainable({ kind: 'full', freezeEmbeddings: false });
const t1 = Date.now();
const { value } = tf.variableGrads(() => tf.mean(model.logits(batch, 1, 3)) as any, vars);
console.log('grad ms', Date.now() - t1, value.dataSync()[0]);
