// AEAD usage limits per key (draft-irtf-cfrg-aead-limits). For AES-GCM and for AES-CTR, an
// attacker's distinguishing advantage grows with (blocks encrypted + messages)^2 / 2^128; keeping
// that sum at or below 2^36 caps the advantage near 2^-57, the bound QUIC (RFC 9001 §6.6) uses.
// The sender refuses to encrypt past it; the application must rekey (a new MLS epoch) first.
import { SFrameError } from './errors.js';

export const DEFAULT_USAGE_LIMIT_BLOCKS = 2 ** 36;

export class UsageMeter {
  private used = 0;

  constructor(readonly limitBlocks = DEFAULT_USAGE_LIMIT_BLOCKS) {}

  get blocksUsed(): number {
    return this.used;
  }

  /** Accounts for one encryption of `plaintextLength` bytes, or throws if it would pass the limit. */
  charge(plaintextLength: number): void {
    // One block per 16 bytes of payload, plus the block that produces the tag / counter start.
    const blocks = Math.ceil(plaintextLength / 16) + 1;
    if (this.used + blocks > this.limitBlocks) {
      throw new SFrameError('key-exhausted', 'the key reached its AEAD usage limit; a new key is required');
    }
    this.used += blocks;
  }
}
