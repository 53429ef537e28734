// Runtime checks for values that cross the renderer → main boundary. Everything arriving over IPC is
// untrusted (structured-clone data from a possibly compromised renderer), so each command declares
// a validator that turns `unknown[]` into its typed argument tuple or throws.

export class BridgeArgumentError extends TypeError {
  override readonly name = 'BridgeArgumentError';
}

/** Checks one value and returns it typed; `where` names the argument in error messages. */
export type ValueValidator<T> = (value: unknown, where: string) => T;

/** Checks a whole argument list and returns it as a typed tuple. */
export type ArgsValidator<Args extends readonly unknown[]> = (args: readonly unknown[]) => Args;

export function string(options: { maxLength: number; pattern?: RegExp }): ValueValidator<string> {
  return (value, where) => {
    if (typeof value !== 'string') throw new BridgeArgumentError(`${where}: expected a string`);
    if (value.length > options.maxLength) {
      throw new BridgeArgumentError(`${where}: longer than ${options.maxLength} characters`);
    }
    if (options.pattern && !options.pattern.test(value)) {
      throw new BridgeArgumentError(`${where}: does not match ${String(options.pattern)}`);
    }
    return value;
  };
}

export function integer(options: { min: number; max: number }): ValueValidator<number> {
  return (value, where) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw new BridgeArgumentError(`${where}: expected an integer`);
    }
    if (value < options.min || value > options.max) {
      throw new BridgeArgumentError(`${where}: outside [${options.min}, ${options.max}]`);
    }
    return value;
  };
}

export const boolean: ValueValidator<boolean> = (value, where) => {
  if (typeof value !== 'boolean') throw new BridgeArgumentError(`${where}: expected a boolean`);
  return value;
};

type Unwrap<V extends readonly ValueValidator<unknown>[]> = { -readonly [I in keyof V]: ReturnType<V[I]> };

/** Exactly these positional arguments, no more and no fewer (extra arguments are a smell, not a no-op). */
export function tuple<const V extends readonly ValueValidator<unknown>[]>(
  ...validators: V
): ArgsValidator<Unwrap<V>> {
  return (args) => {
    if (args.length !== validators.length) {
      throw new BridgeArgumentError(`expected ${validators.length} argument(s), got ${args.length}`);
    }
    return validators.map((validate, index) => validate(args[index], `argument ${index}`)) as Unwrap<V>;
  };
}

export const noArgs: ArgsValidator<[]> = tuple();

/** One of a fixed set of strings. */
export function oneOf<const T extends string>(values: readonly T[]): ValueValidator<T> {
  return (value, where) => {
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      throw new BridgeArgumentError(`${where}: expected one of ${values.join(', ')}`);
    }
    return value as T;
  };
}

/** An array of at most `maxItems` values, each checked by `item`. */
export function arrayOf<T>(item: ValueValidator<T>, options: { maxItems: number }): ValueValidator<T[]> {
  return (value, where) => {
    if (!Array.isArray(value)) throw new BridgeArgumentError(`${where}: expected an array`);
    if (value.length > options.maxItems) {
      throw new BridgeArgumentError(`${where}: more than ${options.maxItems} items`);
    }
    return value.map((element, index) => item(element, `${where}[${index}]`));
  };
}

type Fields<S> = { readonly [K in keyof S]: ValueValidator<S[K]> };

/**
 * A plain object whose keys are a subset of `fields` (a partial update): unknown keys are refused,
 * not ignored, and the result holds only own, validated properties (no prototype tricks).
 */
export function partialObject<S>(fields: Fields<S>): ValueValidator<Partial<S>> {
  return (value, where) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BridgeArgumentError(`${where}: expected an object`);
    }
    const result: Partial<S> = {};
    for (const [key, field] of Object.entries(value)) {
      if (!Object.hasOwn(fields, key)) throw new BridgeArgumentError(`${where}: unknown field ${key}`);
      result[key as keyof S] = fields[key as keyof S](field, `${where}.${key}`);
    }
    return result;
  };
}
