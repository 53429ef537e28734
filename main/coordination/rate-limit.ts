// Per-client token bucket. In memory and per instance on purpose: it is abuse damping, not a
// quota, so a restart or a second instance resetting it is acceptable.

export interface RateLimitOptions {
  /** Burst size. */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
  /** Bound on tracked clients; full buckets are forgotten first when it is reached. */
  readonly maxClients?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Takes one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(client: string, now = Date.now()): number {
    const { capacity, refillPerSecond } = this.options;
    let bucket = this.buckets.get(client);
    if (!bucket) {
      if (this.buckets.size >= (this.options.maxClients ?? 10_000)) this.prune(now);
      bucket = { tokens: capacity, at: now };
      this.buckets.set(client, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * refillPerSecond);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / refillPerSecond) * 1000);
  }

  private prune(now: number): void {
    for (const [client, bucket] of this.buckets) {
      const tokens = bucket.tokens + ((now - bucket.at) / 1000) * this.options.refillPerSecond;
      if (tokens >= this.options.capacity) this.buckets.delete(client);
    }
    // Everyone is active: drop the oldest half rather than grow without bound.
    if (this.buckets.size >= (this.options.maxClients ?? 10_000)) {
      let drop = Math.floor(this.buckets.size / 2);
      for (const client of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(client);
      }
    }
  }
}
