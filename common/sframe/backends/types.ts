// The AEAD backend contract. SFrame's framing, key schedule and replay logic are written once;
// a backend only turns (key, nonce, aad, data) into ciphertext||tag and back, so @noble/ciphers,
// node:crypto and WebCrypto give byte-identical results behind the same interface.
import type { CipherSuite } from '../suites.js';

export type MaybePromise<T> = T | Promise<T>;

export interface AeadKey {
  /** Returns prefix || ciphertext || tag, so the SFrame header costs no extra copy. */
  seal(
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    prefix: Uint8Array,
  ): MaybePromise<Uint8Array>;
  /** Returns the plaintext, or throws SFrameError('authentication-failed'); never partial output. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): MaybePromise<Uint8Array>;
}

export interface AeadBackend {
  readonly name: string;
  /** True when seal/open/importKey never return promises (so the *Sync context APIs work). */
  readonly synchronous: boolean;
  importKey(suite: CipherSuite, key: Uint8Array): MaybePromise<AeadKey>;
}

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
