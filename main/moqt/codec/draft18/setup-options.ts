// Typed view of the draft-18 SETUP message's Setup Options (§Setup Options). Unknown options
// (including grease) are kept verbatim because the draft says to ignore — not reject — them.
import { MoqtDecodeError, protocolViolation } from '../errors.js';
import { SessionErrorCode } from '../error-codes.js';
import { decodeAuthToken, encodeAuthToken } from './auth-token.js';
import type { AuthToken } from './auth-token.js';
import { SetupOptionType } from './constants.js';
import type { KeyValuePair } from './key-value.js';
import { utf8Decode, utf8Encode } from './primitives.js';

export interface SetupOptions {
  /** Client only, native QUIC only: `path-abempty [ "?" query ]` of the moqt:// URI. */
  readonly path?: string;
  /** Client only, native QUIC only: the URI authority. */
  readonly authority?: string;
  readonly maxAuthTokenCacheSize?: bigint;
  readonly authorizationTokens?: readonly AuthToken[];
  readonly implementation?: string;
  /** Options this codec does not understand, in wire order. */
  readonly unknown?: readonly KeyValuePair[];
}

const KNOWN: ReadonlySet<bigint> = new Set(Object.values(SetupOptionType));
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// RFC 3986 character classes, enough to reject values that cannot be a path or authority.
const PCHAR = "A-Za-z0-9\\-._~!$&'()*+,;=:@";
const PATH_RE = new RegExp(`^(/([${PCHAR}]|%[0-9A-Fa-f]{2})*)*(\\?([${PCHAR}/?]|%[0-9A-Fa-f]{2})*)?$`);
const AUTHORITY_RE =
  /^(([A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*@)?(\[[0-9A-Fa-f:.vV]+\]|([A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(:[0-9]*)?$/;

function decodeUriPart(bytes: Uint8Array, pattern: RegExp, code: SessionErrorCode, what: string): string {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new MoqtDecodeError(code, 'invalid-value', `${what} is not UTF-8`);
  }
  if (!pattern.test(text))
    throw new MoqtDecodeError(code, 'invalid-value', `${what} is not a valid URI part`);
  return text;
}

function bytesOf(pair: KeyValuePair): Uint8Array {
  // Odd option types always decode to bytes; even to bigint (the KVP parity rule).
  return pair.value as Uint8Array;
}

export function decodeSetupOptions(pairs: readonly KeyValuePair[]): SetupOptions {
  const out: {
    path?: string;
    authority?: string;
    maxAuthTokenCacheSize?: bigint;
    authorizationTokens?: AuthToken[];
    implementation?: string;
    unknown?: KeyValuePair[];
  } = {};
  const seen = new Set<bigint>();
  for (const pair of pairs) {
    if (!KNOWN.has(pair.type)) {
      (out.unknown ??= []).push(pair);
      continue;
    }
    if (seen.has(pair.type) && pair.type !== SetupOptionType.AUTHORIZATION_TOKEN) {
      protocolViolation(`duplicate setup option 0x${pair.type.toString(16)}`);
    }
    seen.add(pair.type);
    switch (pair.type) {
      case SetupOptionType.PATH:
        out.path = decodeUriPart(bytesOf(pair), PATH_RE, SessionErrorCode.MALFORMED_PATH, 'PATH');
        break;
      case SetupOptionType.AUTHORITY:
        out.authority = decodeUriPart(
          bytesOf(pair),
          AUTHORITY_RE,
          SessionErrorCode.MALFORMED_AUTHORITY,
          'AUTHORITY',
        );
        break;
      case SetupOptionType.MAX_AUTH_TOKEN_CACHE_SIZE:
        out.maxAuthTokenCacheSize = pair.value as bigint;
        break;
      case SetupOptionType.AUTHORIZATION_TOKEN:
        (out.authorizationTokens ??= []).push(decodeAuthToken(bytesOf(pair)));
        break;
      case SetupOptionType.MOQT_IMPLEMENTATION:
        out.implementation = utf8Decode(bytesOf(pair));
        break;
    }
  }
  return out;
}

export function encodeSetupOptions(options: SetupOptions): KeyValuePair[] {
  const pairs: KeyValuePair[] = [];
  if (options.path !== undefined) {
    if (!PATH_RE.test(options.path)) throw new RangeError(`invalid PATH ${options.path}`);
    pairs.push({ type: SetupOptionType.PATH, value: utf8Encode(options.path) });
  }
  for (const token of options.authorizationTokens ?? []) {
    pairs.push({ type: SetupOptionType.AUTHORIZATION_TOKEN, value: encodeAuthToken(token) });
  }
  if (options.maxAuthTokenCacheSize !== undefined) {
    pairs.push({ type: SetupOptionType.MAX_AUTH_TOKEN_CACHE_SIZE, value: options.maxAuthTokenCacheSize });
  }
  if (options.authority !== undefined) {
    if (!AUTHORITY_RE.test(options.authority)) throw new RangeError(`invalid AUTHORITY ${options.authority}`);
    pairs.push({ type: SetupOptionType.AUTHORITY, value: utf8Encode(options.authority) });
  }
  if (options.implementation !== undefined) {
    pairs.push({ type: SetupOptionType.MOQT_IMPLEMENTATION, value: utf8Encode(options.implementation) });
  }
  for (const pair of options.unknown ?? []) {
    if (KNOWN.has(pair.type)) throw new RangeError(`setup option 0x${pair.type.toString(16)} is not unknown`);
    pairs.push(pair);
  }
  return pairs;
}
