// Per-group bearer tokens: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, claims part)).
// Stateless on purpose so several service instances sharing a store need only share the secret.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const ROLES = ['invitee', 'member', 'committer', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenClaims {
  /** The group the token is for. */
  readonly group: string;
  readonly role: Role;
  /** Expiry, seconds since the Unix epoch. */
  readonly exp: number;
}

export type TokenCheck =
  | { readonly ok: true; readonly claims: TokenClaims }
  | {
      readonly ok: false;
      readonly status: 401 | 403;
      readonly error:
        'token-missing' | 'token-invalid' | 'token-expired' | 'token-wrong-group' | 'token-insufficient-role';
      readonly message: string;
    };

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

function sign(secret: Uint8Array, body: string): Buffer {
  return createHmac('sha256', secret).update(`moq-studio-cs-token-v1.${body}`).digest();
}

export function mintToken(secret: Uint8Array, claims: TokenClaims): string {
  const body = Buffer.from(JSON.stringify({ g: claims.group, r: claims.role, exp: claims.exp })).toString(
    'base64url',
  );
  return `${body}.${sign(secret, body).toString('base64url')}`;
}

/** Verifies signature and expiry only; group and role checks are the caller's (see `authorize`). */
export function verifyToken(secret: Uint8Array, token: string, nowMs = Date.now()): TokenCheck {
  const invalid = (message: string): TokenCheck => ({
    ok: false,
    status: 401,
    error: 'token-invalid',
    message,
  });
  const parts = token.split('.');
  if (parts.length !== 2 || parts[0]!.length === 0 || parts[0]!.length > 2048)
    return invalid('malformed token');
  const [body, mac] = parts as [string, string];
  const expected = sign(secret, body);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid('bad signature');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return invalid('claims are not JSON');
  }
  const claims = raw as { g?: unknown; r?: unknown; exp?: unknown };
  if (typeof claims.g !== 'string' || !isRole(claims.r) || typeof claims.exp !== 'number') {
    return invalid('claims are incomplete');
  }
  if (claims.exp * 1000 <= nowMs) {
    return { ok: false, status: 401, error: 'token-expired', message: 'token expired' };
  }
  return { ok: true, claims: { group: claims.g, role: claims.r, exp: claims.exp } };
}

/** Checks an Authorization header value for `group` at `minimum` role or above. */
export function authorize(
  secret: Uint8Array,
  header: string | undefined,
  group: string,
  minimum: Role,
  nowMs = Date.now(),
): TokenCheck {
  const match = header ? /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header.trim()) : null;
  if (!match) {
    return {
      ok: false,
      status: 401,
      error: header ? 'token-invalid' : 'token-missing',
      message: header ? 'Authorization must be "Bearer <token>"' : `a ${minimum} token is required`,
    };
  }
  const check = verifyToken(secret, match[1]!, nowMs);
  if (!check.ok) return check;
  if (check.claims.group !== group) {
    return { ok: false, status: 403, error: 'token-wrong-group', message: 'token is for another group' };
  }
  if (roleRank(check.claims.role) < roleRank(minimum)) {
    return {
      ok: false,
      status: 403,
      error: 'token-insufficient-role',
      message: `role ${check.claims.role} may not do this; ${minimum} or higher is required`,
    };
  }
  return check;
}
