// The relay cache: per-track group count, total byte budget with least-recently-used eviction,
// coverage after eviction, duplicates, and FETCH planning on top of it.
import { describe, expect, it } from 'vitest';
import { RequestErrorCode } from '../../../main/moqt/codec/error-codes.js';
import { planFetch } from '../../../main/relay/fetch.js';
import { RelayCache } from '../../../main/relay/object-cache.js';
import { loc, obj, text } from './fake-session.js';

describe('RelayCache', () => {
  it('keeps at most maxGroupsPerTrack groups per track', () => {
    const cache = new RelayCache({ maxGroupsPerTrack: 3, maxBytes: 1 << 20 });
    for (let g = 0; g < 6; g++) for (let o = 0; o < 2; o++) cache.add('t', obj(g, o));
    const track = cache.get('t')!;
    expect(track.order).toEqual([3n, 4n, 5n]);
    expect(cache.stats).toMatchObject({ groups: 3, evictedGroups: 3, bytes: 6 * 4 });
    expect(track.coverageStart).toEqual(loc(3, 0));
  });

  it('respects the byte budget, evicting the least recently used track first', () => {
    const cache = new RelayCache({ maxGroupsPerTrack: 100, maxBytes: 100 });
    const big = (g: number, o: number) => obj(g, o, new Uint8Array(10));
    for (let g = 0; g < 4; g++) cache.add('a', big(g, 0)); // 40 bytes
    for (let g = 0; g < 4; g++) cache.add('b', big(g, 0)); // 80 bytes
    cache.get('a'); // a is now the most recently used
    for (let g = 4; g < 7; g++) cache.add('c', big(g, 0)); // 110 -> evict from b
    expect(cache.stats.bytes).toBeLessThanOrEqual(100);
    expect(cache.get('a')!.order).toHaveLength(4);
    expect(cache.get('b')!.order).toEqual([1n, 2n, 3n]);
    for (let g = 7; g < 20; g++) cache.add('c', big(g, 0));
    expect(cache.stats.bytes).toBeLessThanOrEqual(100);
  });

  it('sorts interleaved subgroups and ignores duplicates', () => {
    const cache = new RelayCache();
    cache.add('t', obj(0, 2, 'two', { subgroupId: 1n }));
    cache.add('t', obj(0, 1, 'one'));
    cache.add('t', obj(0, 1, 'dup'));
    cache.add('t', obj(0, 0, 'zero'));
    expect(
      cache
        .get('t')!
        .objectsOf(0n)
        .map((o) => text(o.payload)),
    ).toEqual(['zero', 'one', 'two']);
  });

  it('plans FETCH ranges: whole groups, partial groups, clamp to largest, evicted → INVALID_RANGE', () => {
    const cache = new RelayCache({ maxGroupsPerTrack: 2, maxBytes: 1 << 20 });
    for (let g = 0; g < 4; g++) for (let o = 0; o < 3; o++) cache.add('t', obj(g, o));
    const track = cache.get('t');
    const whole = planFetch(track, loc(2, 0), loc(3, 0));
    expect(whole.ok && whole.objects.map((o) => text(o.payload))).toEqual([
      'g2o0',
      'g2o1',
      'g2o2',
      'g3o0',
      'g3o1',
      'g3o2',
    ]);
    expect(whole.ok && whole.endLocation).toEqual(loc(3, 3));
    const partial = planFetch(track, loc(2, 1), loc(3, 1));
    expect(partial.ok && partial.objects.map((o) => text(o.payload))).toEqual(['g2o1', 'g2o2', 'g3o0']);
    expect(partial.ok && partial.endLocation).toEqual(loc(3, 1));
    expect(planFetch(track, loc(1, 0), loc(3, 0))).toMatchObject({
      errorCode: RequestErrorCode.INVALID_RANGE,
    });
    expect(planFetch(track, loc(5, 0), loc(6, 0))).toMatchObject({
      errorCode: RequestErrorCode.INVALID_RANGE,
    });
    expect(planFetch(track, loc(3, 0), loc(2, 0))).toMatchObject({
      errorCode: RequestErrorCode.INVALID_RANGE,
    });
    expect(planFetch(undefined, loc(0, 0), loc(1, 0))).toMatchObject({
      errorCode: RequestErrorCode.DOES_NOT_EXIST,
    });
  });
});
