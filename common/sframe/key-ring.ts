// Receive-side key storage with bounded retention. Keys are kept by KID; when a key is retired
// (its epoch was superseded) it stays usable for `retiredKeyTtlMs` so frames in flight across a
// transition still decrypt, and the ring never holds more than `maxKeys` (oldest evicted first).

export interface RetentionPolicy {
  /** Upper bound on keys held at once. */
  readonly maxKeys: number;
  /** How long a retired key keeps decrypting. */
  readonly retiredKeyTtlMs: number;
  /** Clock, injectable for tests. */
  readonly now: () => number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxKeys: 256,
  retiredKeyTtlMs: 10_000,
  now: () => Date.now(),
};

interface Slot<T> {
  readonly value: T;
  retiredAt: number | undefined;
}

export class KeyRing<T> {
  private readonly slots = new Map<bigint, Slot<T>>();
  readonly policy: RetentionPolicy;

  constructor(
    policy: Partial<RetentionPolicy> = {},
    private readonly onEvict: (kid: bigint, value: T) => void = () => {},
  ) {
    this.policy = { ...DEFAULT_RETENTION, ...policy };
    if (this.policy.maxKeys < 1) throw new RangeError('maxKeys must be at least 1');
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * Installs (or replaces) the key for `kid`; it becomes the newest entry. `retiredAt` lets a key
   * derived late from an already-superseded epoch keep that epoch's retention deadline.
   */
  set(kid: bigint, value: T, retiredAt?: number): void {
    this.delete(kid);
    this.slots.set(kid, { value, retiredAt });
    // Map iteration order is insertion order, so the first entries are the oldest.
    while (this.slots.size > this.policy.maxKeys) {
      const oldest = this.slots.keys().next().value as bigint;
      this.delete(oldest);
    }
  }

  /** The live or still-retained key for `kid`, dropping it if its retention ran out. */
  get(kid: bigint): T | undefined {
    const slot = this.slots.get(kid);
    if (!slot) return undefined;
    if (slot.retiredAt !== undefined && this.policy.now() - slot.retiredAt >= this.policy.retiredKeyTtlMs) {
      this.delete(kid);
      return undefined;
    }
    return slot.value;
  }

  has(kid: bigint): boolean {
    return this.get(kid) !== undefined;
  }

  /** Starts the retention clock for every key matching `predicate` (already-retired keys keep theirs). */
  retire(predicate: (kid: bigint, value: T) => boolean): void {
    const now = this.policy.now();
    for (const [kid, slot] of this.slots) {
      if (slot.retiredAt === undefined && predicate(kid, slot.value)) slot.retiredAt = now;
    }
    this.purgeExpired();
  }

  delete(kid: bigint): void {
    const slot = this.slots.get(kid);
    if (!slot) return;
    this.slots.delete(kid);
    this.onEvict(kid, slot.value);
  }

  deleteWhere(predicate: (kid: bigint, value: T) => boolean): void {
    for (const [kid, slot] of [...this.slots]) if (predicate(kid, slot.value)) this.delete(kid);
  }

  purgeExpired(): void {
    const now = this.policy.now();
    this.deleteWhere((kid) => {
      const slot = this.slots.get(kid)!;
      return slot.retiredAt !== undefined && now - slot.retiredAt >= this.policy.retiredKeyTtlMs;
    });
  }

  clear(): void {
    this.deleteWhere(() => true);
  }
}
