// Property test of the group-dropping buffer: whatever the arrival pattern and consumer pace,
// delivered groups are whole, per-group order is kept, memory stays bounded, drops are counted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ObjectQueue } from '../../../main/moqt/session/object-queue.js';

interface Item {
  readonly group: bigint;
  readonly id: number;
}

describe('ObjectQueue (drop-oldest-group)', () => {
  it('never delivers a partial group and never exceeds its capacity', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), { maxLength: 60 }),
        async (capacity, steps) => {
          const queue = new ObjectQueue<Item>({
            kind: 'drop-oldest-group',
            capacity,
            groupOf: (item) => item.group,
          });
          const iterator = queue[Symbol.asyncIterator]();
          const sent = new Map<bigint, number>();
          const received: Item[] = [];
          for (const [group, consume] of steps) {
            const g = BigInt(group);
            const id = sent.get(g) ?? 0;
            sent.set(g, id + 1);
            queue.push({ group: g, id });
            expect(queue.size).toBeLessThanOrEqual(capacity);
            if (consume && queue.size > 0) received.push((await iterator.next()).value as Item);
          }
          queue.end();
          for (;;) {
            const next = await iterator.next();
            if (next.done) break;
            received.push(next.value);
          }
          const byGroup = new Map<bigint, number[]>();
          for (const item of received) byGroup.set(item.group, [...(byGroup.get(item.group) ?? []), item.id]);
          for (const ids of byGroup.values()) expect(ids).toEqual(ids.map((_, index) => index));
          const total = [...sent.values()].reduce((a, b) => a + b, 0);
          expect(received.length + queue.droppedObjects).toBe(total);
        },
      ),
      { numRuns: 200 },
    );
  });
});
