// The anti-replay window against a simple reference model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayWindow } from '../../../common/sframe/index.js';

describe('ReplayWindow', () => {
  it('accepts each counter once and refuses counters older than the window', () => {
    const window = new ReplayWindow(64);
    for (const counter of [5n, 3n, 4n, 100n, 40n, 37n]) {
      expect(window.check(counter)).toBe('fresh');
      window.commit(counter);
      expect(window.check(counter)).toBe('duplicate');
    }
    expect(window.check(36n)).toBe('too-old'); // 100 - 64
    expect(window.check(37n)).toBe('duplicate');
    expect(window.check(38n)).toBe('fresh');
  });

  it('matches a reference model for random arrival orders', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(32, 64, 96, 1024),
        fc.array(fc.bigInt({ min: 0n, max: 3000n }), { maxLength: 300 }),
        (size, counters) => {
          const window = new ReplayWindow(size);
          const accepted = new Set<bigint>();
          let highest = -1n;
          for (const counter of counters) {
            const expected =
              highest - counter >= BigInt(size) ? 'too-old' : accepted.has(counter) ? 'duplicate' : 'fresh';
            expect(window.check(counter)).toBe(expected);
            if (expected === 'fresh') {
              window.commit(counter);
              accepted.add(counter);
              if (counter > highest) highest = counter;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('works at the top of the 64-bit range', () => {
    const window = new ReplayWindow();
    const top = (1n << 64n) - 1n;
    window.commit(top);
    expect(window.check(top)).toBe('duplicate');
    expect(window.check(top - 1n)).toBe('fresh');
  });

  it('refuses sizes that are not multiples of 32', () => {
    expect(() => new ReplayWindow(33)).toThrow(RangeError);
  });
});
