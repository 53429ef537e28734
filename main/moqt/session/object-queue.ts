// The bounded buffer behind every iterator the session hands out. Live subscriptions must never
// stall the transport for a slow consumer, so they drop whole oldest groups (a partial group is
// useless to a decoder); fetches instead make the producer wait for space.
import { deferred } from './stream-io.js';
import type { Deferred } from './stream-io.js';

export type OverflowPolicy<T> =
  /** At capacity, drop every buffered object of the oldest group, and its later arrivals. */
  | { readonly kind: 'drop-oldest-group'; readonly capacity: number; readonly groupOf: (item: T) => bigint }
  /** The producer checks `hasSpace` / awaits `waitForSpace` before pushing more. */
  | { readonly kind: 'wait'; readonly capacity: number }
  | { readonly kind: 'unbounded' };

/** Groups remembered as dropped, so stragglers of a dropped group are dropped too. */
const MAX_REMEMBERED_DROPS = 256;

export class ObjectQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private readonly droppedGroupIds = new Set<bigint>();
  private consumer: Deferred<void> | undefined;
  private spaceWaiters: (() => void)[] = [];
  private ended: { readonly error?: unknown } | undefined;
  droppedGroups = 0;
  droppedObjects = 0;

  constructor(
    private readonly policy: OverflowPolicy<T>,
    /** Called when the consumer stops iterating early (break / return). */
    private readonly onReturn?: () => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get isEnded(): boolean {
    return this.ended !== undefined;
  }

  push(item: T): void {
    if (this.ended) return;
    const policy = this.policy;
    if (policy.kind === 'drop-oldest-group') {
      const groupOf = policy.groupOf;
      const group = groupOf(item);
      if (this.droppedGroupIds.has(group)) {
        this.droppedObjects++;
        return;
      }
      if (this.items.length >= policy.capacity) this.dropOldestGroup(groupOf);
      if (this.droppedGroupIds.has(group)) {
        this.droppedObjects++;
        return;
      }
    }
    this.items.push(item);
    this.wakeConsumer();
  }

  hasSpace(): boolean {
    return (
      this.policy.kind !== 'wait' || this.items.length < this.policy.capacity || this.ended !== undefined
    );
  }

  /** Resolves once there is room (or the queue ended). */
  waitForSpace(): Promise<void> {
    if (this.hasSpace()) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /** No more items: the consumer drains what is buffered, then sees the end (or `error`). */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = error === undefined ? {} : { error };
    this.wakeConsumer();
    this.releaseProducers();
  }

  /** Ends immediately, discarding buffered items. */
  abort(): void {
    this.items = [];
    this.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: () => {
        const wasEnded = this.ended !== undefined && this.items.length === 0;
        this.abort();
        if (!wasEnded) this.onReturn?.();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.items.length > 0) {
        const value = this.items.shift()!;
        this.releaseProducers();
        return { done: false, value };
      }
      if (this.ended) {
        if (this.ended.error !== undefined) {
          const error = this.ended.error;
          this.ended = {}; // report it once
          throw error;
        }
        return { done: true, value: undefined };
      }
      this.consumer ??= deferred<void>();
      await this.consumer.promise;
    }
  }

  private dropOldestGroup(groupOf: (item: T) => bigint): void {
    const victim = groupOf(this.items[0]!);
    const kept = this.items.filter((item) => groupOf(item) !== victim);
    this.droppedObjects += this.items.length - kept.length;
    this.droppedGroups++;
    this.items = kept;
    this.droppedGroupIds.add(victim);
    if (this.droppedGroupIds.size > MAX_REMEMBERED_DROPS) {
      const oldest = this.droppedGroupIds.values().next().value;
      if (oldest !== undefined) this.droppedGroupIds.delete(oldest);
    }
  }

  private wakeConsumer(): void {
    const consumer = this.consumer;
    this.consumer = undefined;
    consumer?.resolve();
  }

  private releaseProducers(): void {
    if (!this.hasSpace()) return;
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
