// Sliding anti-replay window over a monotonically assigned counter (the RFC 3711 §3.3.2 scheme
// RFC 9605 §9.7 suggests): counters above the highest seen are accepted, counters within `size`
// below it are accepted once, anything older is refused. Check before decrypting, commit only
// after authentication succeeds — so a forged frame cannot advance the window.

export const DEFAULT_REPLAY_WINDOW = 1024;

export type ReplayVerdict = 'fresh' | 'duplicate' | 'too-old';

export class ReplayWindow {
  private highest = -1n;
  /** Bit i set = counter (highest - i) was seen. */
  private readonly seen: Uint32Array;

  constructor(readonly size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) {
      throw new RangeError('replay window size must be a positive multiple of 32');
    }
    this.seen = new Uint32Array(size / 32);
  }

  check(counter: bigint): ReplayVerdict {
    if (counter > this.highest) return 'fresh';
    const age = this.highest - counter;
    if (age >= BigInt(this.size)) return 'too-old';
    const index = Number(age);
    return this.seen[index >>> 5]! & (1 << (index & 31)) ? 'duplicate' : 'fresh';
  }

  /** Records an authenticated counter. Call only after `check` said 'fresh'. */
  commit(counter: bigint): void {
    if (counter > this.highest) {
      const shift = this.highest < 0n ? BigInt(this.size) : counter - this.highest;
      this.shift(shift >= BigInt(this.size) ? this.size : Number(shift));
      this.highest = counter;
    }
    const index = Number(this.highest - counter);
    this.seen[index >>> 5] = this.seen[index >>> 5]! | (1 << (index & 31));
  }

  /** Ages every recorded bit by `by` positions. */
  private shift(by: number): void {
    if (by >= this.size) {
      this.seen.fill(0);
      return;
    }
    const words = by >>> 5;
    const bits = by & 31;
    for (let i = this.seen.length - 1; i >= 0; i--) {
      const source = i - words;
      const low = source >= 0 ? this.seen[source]! : 0;
      const lower = source - 1 >= 0 ? this.seen[source - 1]! : 0;
      this.seen[i] = bits === 0 ? low : ((low << bits) | (lower >>> (32 - bits))) >>> 0;
    }
  }
}
