// Typed SFrame failures. Every rejection says which check failed, so callers can count drops by
// cause and tests can assert the exact reason; no failure ever yields partial plaintext.

export type SFrameErrorCode =
  /** The SFrame header (or a SecureObjects property) could not be parsed. */
  | 'malformed-header'
  /** No key is installed (or still retained) for the KID. */
  | 'unknown-kid'
  /** The AEAD tag did not verify: wrong key, wrong metadata, or tampering. */
  | 'authentication-failed'
  /** The (KID, CTR) was already accepted, or is older than the replay window. */
  | 'replay'
  /** The key reached its AEAD usage limit or its counter space is exhausted. */
  | 'key-exhausted'
  /** No key is set up for sending. */
  | 'no-send-key'
  /** A caller-supplied argument is outside what the protocol allows. */
  | 'invalid-argument'
  /** Decrypted plaintext did not have the structure the profile requires. */
  | 'malformed-plaintext';

export class SFrameError extends Error {
  override readonly name = 'SFrameError';
  constructor(
    readonly code: SFrameErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
