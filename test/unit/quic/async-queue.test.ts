// The single-consumer queue behind incoming streams and accepted connections.
import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../../../main/quic/async-queue.js';

describe('AsyncQueue', () => {
  it('delivers pushed items in order, to a waiting or a later consumer', async () => {
    const queue = new AsyncQueue<number>();
    const iterator = queue[Symbol.asyncIterator]();
    const waiting = iterator.next();
    queue.push(1);
    queue.push(2);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await iterator.next()).toEqual({ value: 2, done: false });
  });

  it('ends after the queued items and disposes of late pushes', async () => {
    const disposed: number[] = [];
    const queue = new AsyncQueue<number>((n) => disposed.push(n));
    queue.push(1);
    queue.end();
    expect(queue.push(2)).toBe(false);
    const seen: number[] = [];
    for await (const n of queue) seen.push(n);
    expect(seen).toEqual([1]);
    expect(disposed).toEqual([2]);
  });

  it('disposes of leftovers when the consumer breaks out', async () => {
    const disposed: number[] = [];
    const queue = new AsyncQueue<number>((n) => disposed.push(n));
    [1, 2, 3].forEach((n) => queue.push(n));
    for await (const n of queue) {
      expect(n).toBe(1);
      break;
    }
    expect(disposed).toEqual([2, 3]);
    expect(queue.isEnded).toBe(true);
  });

  it('resolves a pending next with done when ended', async () => {
    const queue = new AsyncQueue<number>();
    const pending = queue[Symbol.asyncIterator]().next();
    queue.end();
    expect(await pending).toEqual({ value: undefined, done: true });
  });
});
