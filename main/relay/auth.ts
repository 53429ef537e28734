// Relay access tokens: opaque bytes = UTF-8 of `<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, first part))>`,
// claims `{ "v": 1, "role": "publish"|"subscribe", "prefix": [base64url field, ...], "exp": unix seconds }`.
// Carried as AUTHORIZATION_TOKEN (USE_VALUE or REGISTER, token type 0 = "negotiated out of band", §AUTHORIZATION TOKEN).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TrackNamespace } from '../../common/codec/track-name.js';
import type { AuthToken } from '../moqt/codec/draft18/index.js';
import { RequestErrorCode } from '../moqt/codec/error-codes.js';
import { isNamespacePrefix } from './names.js';

/** Token Type 0: reserved by the draft for types agreed out of band, which is what these tokens are. */
export const RELAY_TOKEN_TYPE = 0n;

export type RelayAction = 'publish' | 'subscribe';

export interface RelayTokenClaims {
  readonly role: RelayAction;
  /** Namespace tuple the token grants; every namespace it is a prefix of is covered. */
  readonly prefix: TrackNamespace;
  /** Expiry, unix seconds. */
  readonly exp: number;
}

/** A refusal with the REQUEST_ERROR code to send. */
export interface AuthDenial {
  readonly errorCode: bigint;
  readonly reason: string;
}

/** Decides one request. `true` allows, `false` refuses with UNAUTHORIZED, a denial picks its own code. */
export type RelayAuthorizer = (
  token: AuthToken | undefined,
  action: RelayAction,
  namespace: TrackNamespace,
) => boolean | AuthDenial;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function sign(secret: Uint8Array, body: string): Uint8Array {
  return createHmac('sha256', secret).update(body).digest();
}

export function mintRelayToken(secret: Uint8Array, claims: RelayTokenClaims): Uint8Array {
  const json = JSON.stringify({
    v: 1,
    role: claims.role,
    prefix: claims.prefix.map(b64url),
    exp: claims.exp,
  });
  const body = Buffer.from(json, 'utf8').toString('base64url');
  return encoder.encode(`${body}.${b64url(sign(secret, body))}`);
}

/** Wraps a minted token as the AUTHORIZATION_TOKEN parameter value the session layer sends. */
export function relayAuthToken(value: Uint8Array): AuthToken {
  return { aliasType: 'use-value', tokenType: RELAY_TOKEN_TYPE, value };
}

export type VerifyResult =
  | { readonly ok: true; readonly claims: RelayTokenClaims }
  | { readonly ok: false; readonly error: 'malformed' | 'bad-signature' | 'expired' };

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function parseClaims(body: string): RelayTokenClaims | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { v, role, prefix, exp } = raw as Record<string, unknown>;
  if (v !== 1 || (role !== 'publish' && role !== 'subscribe')) return undefined;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
  if (!Array.isArray(prefix) || prefix.length > 32) return undefined;
  const fields: Uint8Array[] = [];
  for (const field of prefix) {
    if (typeof field !== 'string' || !BASE64URL.test(field)) return undefined;
    fields.push(new Uint8Array(Buffer.from(field, 'base64url')));
  }
  return { role, prefix: fields, exp };
}

/** Checks the signature (constant time) before looking at the claims, then the expiry. */
export function verifyRelayToken(secret: Uint8Array, token: Uint8Array, nowSeconds: number): VerifyResult {
  let text: string;
  try {
    text = decoder.decode(token);
  } catch {
    return { ok: false, error: 'malformed' };
  }
  const parts = text.split('.');
  const [body, mac] = parts;
  if (parts.length !== 2 || !body || !mac || !BASE64URL.test(body) || !BASE64URL.test(mac)) {
    return { ok: false, error: 'malformed' };
  }
  const expected = sign(secret, body);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, error: 'bad-signature' };
  }
  const claims = parseClaims(body);
  if (!claims) return { ok: false, error: 'malformed' };
  if (claims.exp <= nowSeconds) return { ok: false, error: 'expired' };
  return { ok: true, claims };
}

/**
 * The ready-made authorizer: a request passes when its token verifies, has the action's role and its
 * prefix covers the namespace. Tokens of other types or behind an alias are treated as absent (the
 * session layer does not resolve aliases for us).
 */
export function createTokenAuthorizer(
  secret: Uint8Array,
  options: { now?: () => number } = {},
): RelayAuthorizer {
  const now = options.now ?? (() => Date.now() / 1000);
  return (token, action, namespace) => {
    if (!token || (token.aliasType !== 'use-value' && token.aliasType !== 'register')) {
      return { errorCode: RequestErrorCode.UNAUTHORIZED, reason: 'authorization token required' };
    }
    if (token.tokenType !== RELAY_TOKEN_TYPE) {
      return { errorCode: RequestErrorCode.UNAUTHORIZED, reason: 'unsupported token type' };
    }
    const result = verifyRelayToken(secret, token.value, now());
    if (!result.ok) {
      if (result.error === 'expired')
        return { errorCode: RequestErrorCode.EXPIRED_AUTH_TOKEN, reason: 'token expired' };
      if (result.error === 'malformed') {
        return { errorCode: RequestErrorCode.MALFORMED_AUTH_TOKEN, reason: 'token malformed' };
      }
      return { errorCode: RequestErrorCode.UNAUTHORIZED, reason: 'token signature invalid' };
    }
    if (result.claims.role !== action) {
      return { errorCode: RequestErrorCode.UNAUTHORIZED, reason: `token does not grant ${action}` };
    }
    if (!isNamespacePrefix(result.claims.prefix, namespace)) {
      return { errorCode: RequestErrorCode.UNAUTHORIZED, reason: 'token does not cover this namespace' };
    }
    return true;
  };
}
