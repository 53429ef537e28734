// The SETUP exchange's content: what we announce (PATH/AUTHORITY for a raw-QUIC client, an
// authorization token, our implementation name) and the checks on what the peer announces.
import { SessionErrorCode } from '../codec/error-codes.js';
import type { AuthToken, SetupOptions } from '../codec/draft18/index.js';
import type { PeerSetup, SessionOptions } from './api.js';
import { violation } from './errors.js';

/** Raw tokens from the API travel as "use value" tokens of type 0 (application-defined). */
export function tokenFromBytes(value: Uint8Array): AuthToken {
  return { aliasType: 'use-value', tokenType: 0n, value };
}

export function tokensParameter(value: Uint8Array | undefined): { authorizationTokens?: AuthToken[] } {
  return value === undefined ? {} : { authorizationTokens: [tokenFromBytes(value)] };
}

export function ourSetupOptions(options: SessionOptions): SetupOptions {
  if (options.role === 'server' && (options.path !== undefined || options.authority !== undefined)) {
    throw new RangeError('PATH and AUTHORITY are client-only SETUP options');
  }
  return {
    ...(options.path !== undefined && { path: options.path }),
    ...(options.authority !== undefined && { authority: options.authority }),
    ...(options.authorizationToken !== undefined && {
      authorizationTokens: [tokenFromBytes(options.authorizationToken)],
    }),
    ...(options.implementation !== undefined && { implementation: options.implementation }),
  };
}

/** The first token that carries a value (register or use-value), as the API exposes one token. */
function firstTokenValue(tokens: readonly AuthToken[] | undefined): Uint8Array | undefined {
  for (const token of tokens ?? []) {
    if (token.aliasType === 'use-value' || token.aliasType === 'register') return token.value;
  }
  return undefined;
}

/** Validates the peer's SETUP for our role and returns what the API exposes of it. */
export function peerSetupFrom(role: 'client' | 'server', options: SetupOptions): PeerSetup {
  if (role === 'client' && options.path !== undefined) {
    violation('the server sent a PATH setup option', SessionErrorCode.INVALID_PATH);
  }
  if (role === 'client' && options.authority !== undefined) {
    violation('the server sent an AUTHORITY setup option', SessionErrorCode.INVALID_AUTHORITY);
  }
  const token = firstTokenValue(options.authorizationTokens);
  return {
    ...(options.path !== undefined && { path: options.path }),
    ...(options.authority !== undefined && { authority: options.authority }),
    ...(options.implementation !== undefined && { implementation: options.implementation }),
    ...(token !== undefined && { authorizationToken: token }),
  };
}
