// JSON text for values that cross browser mode's WebSocket (main/serve ↔ renderer/src/bridge). JSON
// alone loses what Electron's structured clone keeps: Uint8Array (key material) and `undefined` inside
// argument lists (which must still count toward an argument list's length). Those travel as tagged
// objects `{"$t": <tag>, ...}`; a plain object that itself has a "$t" key is wrapped, so decoding is
// never ambiguous. Decoding treats its input as hostile: bounded depth, strict tags, no prototype keys.

const TAG = '$t';
/** Deeper than any contract value; bounds the recursion a hostile frame can cause. */
export const MAX_WIRE_DEPTH = 32;

export class WireFormatError extends TypeError {
  override readonly name = 'WireFormatError';
}

// ---- base64 without Buffer or atob/btoa's Latin-1 string detour (runs in Node and the renderer) ----

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += ALPHABET[a >> 2]! + ALPHABET[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    out += b === undefined ? '=' : ALPHABET[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    out += c === undefined ? '=' : ALPHABET[c & 63]!;
  }
  return out;
}

function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new WireFormatError('bytes: invalid base64');
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n =
      (LOOKUP[text.charCodeAt(i)]! << 18) |
      (LOOKUP[text.charCodeAt(i + 1)]! << 12) |
      (Math.max(LOOKUP[text.charCodeAt(i + 2)]!, 0) << 6) |
      Math.max(LOOKUP[text.charCodeAt(i + 3)]!, 0);
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

// ---- encoding: value → JSON-native tree ----

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function toWire(value: unknown, depth: number): unknown {
  if (depth > MAX_WIRE_DEPTH) throw new WireFormatError('value nested too deeply');
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON would turn these into null silently; nothing in the contract uses them.
      if (!Number.isFinite(value)) throw new WireFormatError('non-finite number');
      return value;
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'object':
      break;
    default:
      throw new WireFormatError(`cannot encode a ${typeof value}`);
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return { [TAG]: 'bytes', b64: toBase64(value) };
  if (Array.isArray(value)) return value.map((item) => toWire(item, depth + 1));
  if (!isPlainObject(value)) throw new WireFormatError('cannot encode a non-plain object');
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // Like JSON.stringify, an absent optional property and one set to undefined are the same.
    if (item !== undefined) defineKey(out, key, toWire(item, depth + 1));
  }
  return Object.hasOwn(out, TAG) ? { [TAG]: 'object', value: out } : out;
}

/** JSON text for `value`; throws WireFormatError for what the wire cannot carry. */
export function encodeWire(value: unknown): string {
  return JSON.stringify(toWire(value, 0));
}

// ---- decoding: hostile JSON-native tree → value ----

/** Own data property even for "__proto__", so a decoded object never gets a foreign prototype. */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function hasExactKeys(object: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(object);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(object, key));
}

function fromWire(value: unknown, depth: number): unknown {
  if (depth > MAX_WIRE_DEPTH) throw new WireFormatError('value nested too deeply');
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => fromWire(item, depth + 1));
  const object = value as Record<string, unknown>;
  if (Object.hasOwn(object, TAG)) return fromTagged(object, depth);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(object)) defineKey(out, key, fromWire(item, depth + 1));
  return out;
}

function fromTagged(object: Record<string, unknown>, depth: number): unknown {
  switch (object[TAG]) {
    case 'undefined':
      if (!hasExactKeys(object, [TAG])) break;
      return undefined;
    case 'bytes':
      if (!hasExactKeys(object, [TAG, 'b64']) || typeof object['b64'] !== 'string') break;
      return fromBase64(object['b64']);
    case 'object': {
      const inner = object['value'];
      if (!hasExactKeys(object, [TAG, 'value']) || typeof inner !== 'object' || inner === null) break;
      if (Array.isArray(inner)) break;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(inner)) defineKey(out, key, fromWire(item, depth + 1));
      return out;
    }
  }
  throw new WireFormatError('malformed tagged value');
}

/** Parses JSON text from the other end; throws WireFormatError for bad JSON or bad tags. */
export function decodeWire(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WireFormatError('not valid JSON');
  }
  return fromWire(parsed, 0);
}

// ---- the browser-mode envelopes (main/serve/bridge-socket.ts documents the protocol) ----

/** Where `moq-studio serve` accepts the bridge WebSocket. */
export const BRIDGE_PATH = '/bridge';

/** Text frame, renderer → core: one command call. `id` pairs it with its reply. */
export interface WireRequest {
  readonly id: number;
  readonly name: string;
  readonly args: readonly unknown[];
}

/** Text frames, core → renderer: a command's reply, or an event. */
export type WireReply =
  | { readonly id: number; readonly result?: unknown }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string } };
export interface WireEvent {
  readonly event: string;
  readonly payload: unknown;
}

/** Request ids are small non-negative integers chosen by the renderer. */
export function isWireId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
