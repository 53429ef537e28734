// Small helpers for web streams and promises: resolve-only signals, fire-and-forget writes that
// can never become unhandled rejections, and resets carrying MoQT stream codes.
import { StreamResetError } from './errors.js';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Promise.withResolvers, which Node 20 lacks. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Marks a promise as handled; used for transport calls whose failure the session sees elsewhere. */
export function ignore(promise: Promise<unknown>): void {
  promise.catch(() => undefined);
}

/** RESET_STREAM with a MoqT stream code. Safe on an already-errored stream. */
export function resetWriter(writer: WritableStreamDefaultWriter<Uint8Array>, code: number): void {
  try {
    ignore(writer.abort(new StreamResetError(code, 'reset')));
  } catch {
    // already released or errored
  }
}

/** STOP_SENDING with a MoqT stream code. */
export function stopReader(reader: ReadableStreamDefaultReader<Uint8Array>, code: number): void {
  try {
    ignore(reader.cancel(new StreamResetError(code, 'stop-sending')));
  } catch {
    // already released or errored
  }
}

/** FIN; failures (the peer already stopped the stream, the session closed) are not ours to report. */
export function finishWriter(writer: WritableStreamDefaultWriter<Uint8Array>): void {
  try {
    ignore(writer.close());
  } catch {
    // already closed or errored
  }
}

/** Concatenates two byte arrays (prefix buffering while a stream type is classified). */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
