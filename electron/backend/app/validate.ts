// Argument checks at the API boundary: whatever arrives over IPC or the WebSocket is untrusted data. Each check
// names the channel and the field it refuses, so a bad call fails with a clear message instead of deep inside.
import type { RequestArg, RequestChannel } from '../../../shared/api.js';
import { STRATEGY_NAMES, WEIGHT_SCHEMES } from '../../../shared/domain.js';

export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

type Check<T> = (value: unknown, where: string) => T;

const fail = (where: string, expected: string, value: unknown): never => {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new ArgumentError(`${where}: expected ${expected}, got ${got}.`);
};

const str: Check<string> = (v, where) => (typeof v === 'string' ? v : fail(where, 'a string', v));
const nonEmpty: Check<string> = (v, where) => (str(v, where).trim() ? (v as string) : fail(where, 'a non-empty string', v));
const bool: Check<boolean> = (v, where) => (typeof v === 'boolean' ? v : fail(where, 'true or false', v));
const num: Check<number> = (v, where) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(where, 'a finite number', v));
const int: Check<number> = (v, where) => (Number.isInteger(v) ? (v as number) : fail(where, 'an integer', v));
const id: Check<number> = (v, where) => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : fail(where, 'a positive integer id', v));
const fraction: Check<number> = (v, where) => (num(v, where) > 0 && (v as number) < 1 ? (v as number) : fail(where, 'a number between 0 and 1', v));

const oneOf =
  <T extends string>(...values: T[]): Check<T> =>
  (v, where) =>
    values.includes(v as T) ? (v as T) : fail(where, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);

const arrayOf =
  <T>(item: Check<T>): Check<T[]> =>
  (v, where) =>
    Array.isArray(v) ? v.map((x, i) => item(x, `${where}[${i}]`)) : fail(where, 'an array', v);

const optional =
  <T>(check: Check<T>): Check<T | undefined> =>
  (v, where) =>
    v === undefined ? undefined : check(v, where);

type Shape = Record<string, Check<unknown>>;
type FromShape<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

function object<S extends Shape>(shape: S): Check<FromShape<S>> {
  return (v, where) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(where, 'an object', v);
    const record = v as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!(key in shape)) throw new ArgumentError(`${where}: unexpected field '${key}'.`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const value = check(record[key], `${where}.${key}`);
      if (value !== undefined) out[key] = value;
    }
    return out as FromShape<S>;
  };
}

const none: Check<void> = (v, where) => (v === undefined || v === null ? undefined : fail(where, 'no argument', v));

const task = oneOf('single_label', 'multi_label');

const importOptions = object({
  textCol: optional(str),
  labelCol: optional(str),
  multiLabel: optional(bool),
  labelSep: optional(str),
  keepSubject: optional(bool),
  encoding: optional(str),
});

const trainSettings = object({
  strategy: optional(oneOf('auto', ...STRATEGY_NAMES)),
  weights: optional(oneOf(...WEIGHT_SCHEMES)),
  gamma: optional(num),
  head: optional(oneOf('linear', 'mlp')),
  epochs: optional(int),
  seed: optional(int),
  valFraction: optional(fraction),
  testFraction: optional(fraction),
  lexical: optional(bool),
});

const runOnly = object({ runId: id });

const ARGUMENT_CHECKS: { [C in RequestChannel]: Check<RequestArg<C>> } = {
  'projects:recent': none,
  'projects:create': object({ name: nonEmpty, task, path: optional(nonEmpty) }),
  'projects:open': object({ path: nonEmpty }),
  'projects:openSample': none,
  'projects:current': none,
  'projects:setTask': object({ task }),
  'import:preview': object({ path: nonEmpty, options: optional(importOptions) }),
  'import:upload': object({ name: nonEmpty, base64: str, relativePath: optional(nonEmpty), batch: optional(nonEmpty) }),
  'import:run': object({ paths: arrayOf(nonEmpty), options: importOptions }),
  'labels:list': none,
  'labels:add': object({ name: nonEmpty, description: optional(str), colour: optional(str) }),
  'labels:rename': object({ from: nonEmpty, to: nonEmpty }),
  'labels:merge': object({ from: nonEmpty, into: nonEmpty }),
  'labels:delete': object({ name: nonEmpty }),
  'labels:describe': object({ name: nonEmpty, description: str }),
  'documents:query': object({ search: optional(str), label: optional(str), offset: optional(int), limit: optional(int) }),
  'documents:setLabels': object({ documentId: id, labels: arrayOf(nonEmpty) }),
  'review:imbalance': none,
  'train:start': object({ settings: trainSettings }),
  'train:cancel': runOnly,
  'train:active': none,
  'runs:list': none,
  'runs:history': runOnly,
  'runs:metrics': runOnly,
  'runs:predictions': object({
    runId: id,
    trueLabel: optional(str),
    predictedLabel: optional(str),
    misclassifiedOnly: optional(bool),
  }),
  'predict:texts': object({ runId: id, texts: arrayOf(str) }),
  'predict:file': object({ runId: id, path: nonEmpty, options: importOptions }),
  'export:onnx': object({ runId: id, outDir: optional(nonEmpty), quantize: optional(bool) }),
  'synthetic:generate': object({ label: nonEmpty, count: int, seed: optional(int) }),
  'synthetic:list': object({ status: optional(oneOf('pending', 'accepted', 'rejected')), label: optional(nonEmpty) }),
  'synthetic:review': object({ documentId: id, status: oneOf('accepted', 'rejected'), text: optional(str) }),
};

export function isRequestChannel(channel: unknown): channel is RequestChannel {
  return typeof channel === 'string' && Object.prototype.hasOwnProperty.call(ARGUMENT_CHECKS, channel);
}

/** The argument checked and stripped to the fields the channel knows; throws ArgumentError otherwise. */
export function checkArgument<C extends RequestChannel>(channel: C, arg: unknown): RequestArg<C> {
  if (!isRequestChannel(channel)) throw new ArgumentError(`Unknown request channel '${String(channel)}'.`);
  return ARGUMENT_CHECKS[channel](arg, channel) as RequestArg<C>;
}
