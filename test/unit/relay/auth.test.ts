// Relay access tokens: mint/verify round trip, expiry, wrong prefix, wrong role, tampering, and the
// REQUEST_ERROR codes the ready-made authorizer picks for each.
import { describe, expect, it } from 'vitest';
import { RequestErrorCode } from '../../../main/moqt/codec/error-codes.js';
import {
  createTokenAuthorizer,
  mintRelayToken,
  relayAuthToken,
  verifyRelayToken,
} from '../../../main/relay/auth.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const ns = (...fields: string[]): Uint8Array[] => fields.map(enc);
const secret = enc('relay test secret, 32 bytes long!');
const NOW = 1_700_000_000;

describe('relay tokens', () => {
  it('round-trips claims', () => {
    const token = mintRelayToken(secret, { role: 'publish', prefix: ns('studio', 'room1'), exp: NOW + 60 });
    const result = verifyRelayToken(secret, token, NOW);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.claims.role).toBe('publish');
    expect(result.claims.prefix.map((f) => new TextDecoder().decode(f))).toEqual(['studio', 'room1']);
    expect(result.claims.exp).toBe(NOW + 60);
  });

  it('refuses expired, tampered, foreign-key and malformed tokens', () => {
    const token = mintRelayToken(secret, { role: 'subscribe', prefix: ns('a'), exp: NOW + 10 });
    expect(verifyRelayToken(secret, token, NOW + 10)).toEqual({ ok: false, error: 'expired' });
    expect(verifyRelayToken(enc('another secret'), token, NOW)).toEqual({
      ok: false,
      error: 'bad-signature',
    });

    // Swap the claims for ones granting publish on everything, keeping the old signature.
    const [, mac] = new TextDecoder().decode(token).split('.');
    const forged = Buffer.from(
      JSON.stringify({ v: 1, role: 'publish', prefix: [], exp: NOW + 1e6 }),
    ).toString('base64url');
    expect(verifyRelayToken(secret, enc(`${forged}.${mac}`), NOW)).toEqual({
      ok: false,
      error: 'bad-signature',
    });

    const flipped = token.slice();
    flipped[3] = flipped[3] === 0x41 ? 0x42 : 0x41;
    expect(verifyRelayToken(secret, flipped, NOW).ok).toBe(false);

    expect(verifyRelayToken(secret, enc('not a token'), NOW)).toEqual({ ok: false, error: 'malformed' });
    expect(verifyRelayToken(secret, new Uint8Array([0xff, 0xfe]), NOW)).toEqual({
      ok: false,
      error: 'malformed',
    });
  });

  it('authorizer checks role, prefix and expiry with the matching codes', () => {
    const authorize = createTokenAuthorizer(secret, { now: () => NOW });
    const pub = relayAuthToken(
      mintRelayToken(secret, { role: 'publish', prefix: ns('studio'), exp: NOW + 60 }),
    );
    const old = relayAuthToken(
      mintRelayToken(secret, { role: 'publish', prefix: ns('studio'), exp: NOW - 1 }),
    );

    expect(authorize(pub, 'publish', ns('studio', 'room1'))).toBe(true);
    expect(authorize(pub, 'publish', ns('studio'))).toBe(true);
    expect(authorize(pub, 'publish', ns('other'))).toMatchObject({
      errorCode: RequestErrorCode.UNAUTHORIZED,
    });
    expect(authorize(pub, 'publish', ns('studiox'))).toMatchObject({
      errorCode: RequestErrorCode.UNAUTHORIZED,
    });
    expect(authorize(pub, 'subscribe', ns('studio'))).toMatchObject({
      errorCode: RequestErrorCode.UNAUTHORIZED,
    });
    expect(authorize(old, 'publish', ns('studio'))).toMatchObject({
      errorCode: RequestErrorCode.EXPIRED_AUTH_TOKEN,
    });
    expect(authorize(undefined, 'publish', ns('studio'))).toMatchObject({
      errorCode: RequestErrorCode.UNAUTHORIZED,
    });
    expect(authorize(relayAuthToken(enc('garbage')), 'publish', ns('studio'))).toMatchObject({
      errorCode: RequestErrorCode.MALFORMED_AUTH_TOKEN,
    });
    expect(authorize({ aliasType: 'use-alias', alias: 1n }, 'publish', ns('studio'))).toMatchObject({
      errorCode: RequestErrorCode.UNAUTHORIZED,
    });
    expect(
      authorize(
        { aliasType: 'use-value', tokenType: 7n, value: pub.aliasType === 'use-value' ? pub.value : enc('') },
        'publish',
        ns('studio'),
      ),
    ).toMatchObject({ errorCode: RequestErrorCode.UNAUTHORIZED });
  });
});
