// Run-time checks of untrusted data (whatever arrives over IPC or the WebSocket) whose TypeScript types are inferred
// from the checks themselves, so a channel's argument type and its check are one declaration (shared/contract.ts).
// Each check names the field it refuses: "train:start.settings.folds: expected an integer of at least 2, got string."

export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

export interface Schema<T> {
  /** The value, checked (objects: stripped to known fields); throws ArgumentError naming `where`. */
  check(value: unknown, where: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

const describe = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

export function fail(where: string, expected: string, value: unknown): never {
  throw new ArgumentError(`${where}: expected ${expected}, got ${describe(value)}.`);
}

const schema = <T>(check: (value: unknown, where: string) => T): Schema<T> => ({ check });

export const string = schema<string>((v, where) => (typeof v === 'string' ? v : fail(where, 'a string', v)));
export const nonEmpty = schema<string>((v, where) => (string.check(v, where).trim() ? (v as string) : fail(where, 'a non-empty string', v)));
export const boolean = schema<boolean>((v, where) => (typeof v === 'boolean' ? v : fail(where, 'true or false', v)));
export const number = schema<number>((v, where) => (typeof v === 'number' && Number.isFinite(v) ? v : fail(where, 'a finite number', v)));
export const id = schema<number>((v, where) => (Number.isInteger(v) && (v as number) > 0 ? (v as number) : fail(where, 'a positive integer id', v)));
/** No argument (undefined or null). */
export const none = schema<void>((v, where) => (v === undefined || v === null ? undefined : fail(where, 'no argument', v)));

export function integer(min = -Infinity, max = Infinity): Schema<number> {
  const bounds = min > -Infinity && max < Infinity ? ` from ${min} to ${max}` : min > -Infinity ? ` of at least ${min}` : '';
  return schema((v, where) => (Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : fail(where, `an integer${bounds}`, v)));
}

/** A number in [min, max] (exclusive bounds where asked). */
export function range(min: number, max: number, { exclusive = false } = {}): Schema<number> {
  return schema((v, where) => {
    const n = number.check(v, where);
    const inside = exclusive ? n > min && n < max : n >= min && n <= max;
    return inside ? n : fail(where, `a number ${exclusive ? 'between' : 'from'} ${min} ${exclusive ? 'and' : 'to'} ${max}`, v);
  });
}

export function oneOf<const T extends string>(...values: T[]): Schema<T> {
  return schema((v, where) => (values.includes(v as T) ? (v as T) : fail(where, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v)));
}

export function arrayOf<T>(item: Schema<T>, maxLength = Infinity): Schema<T[]> {
  return schema((v, where) => {
    if (!Array.isArray(v)) return fail(where, 'an array', v);
    if (v.length > maxLength) throw new ArgumentError(`${where}: at most ${maxLength} items, got ${v.length}.`);
    return v.map((x, i) => item.check(x, `${where}[${i}]`));
  });
}

/** A string-keyed record of values (e.g. costs per class). */
export function recordOf<T>(value: Schema<T>): Schema<Record<string, T>> {
  return schema((v, where) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(where, 'an object', v);
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([key, x]) => [key, value.check(x, `${where}.${key}`)]));
  });
}

export interface Optional<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export function optional<T>(inner: Schema<T>): Optional<T> {
  return { optional: true, check: (v, where) => (v === undefined ? undefined : inner.check(v, where)) };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> };

/** An object with exactly these fields (unknown fields are refused, absent optional ones left out). */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  return schema((v, where) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(where, 'an object', v);
    const record = v as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!(key in shape)) throw new ArgumentError(`${where}: unexpected field '${key}'.`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const value = check.check(record[key], `${where}.${key}`);
      if (value !== undefined) out[key] = value;
    }
    return out as ObjectOf<S>;
  });
}
