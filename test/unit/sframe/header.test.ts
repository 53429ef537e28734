// SFrame header codec: round trips over the whole 64-bit range and strict rejection of
// malformed, truncated and non-minimal headers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SFrameError, decodeHeader, encodeHeader } from '../../../common/sframe/index.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

function expectMalformed(bytes: number[]): void {
  expect(() => decodeHeader(new Uint8Array(bytes))).toThrowError(
    expect.objectContaining({ name: 'SFrameError', code: 'malformed-header' }),
  );
}

describe('SFrame header', () => {
  it('round-trips any KID and CTR in 0..2^64-1', () => {
    fc.assert(
      fc.property(u64, u64, fc.uint8Array({ maxLength: 8 }), (kid, ctr, trailer) => {
        const header = encodeHeader(kid, ctr);
        const decoded = decodeHeader(new Uint8Array([...header, ...trailer]));
        expect(decoded).toEqual({ kid, ctr, length: header.length });
      }),
      { numRuns: 2000 },
    );
  });

  it('uses the minimal encoding (1..17 bytes)', () => {
    expect(encodeHeader(7n, 7n)).toEqual(new Uint8Array([0x77]));
    expect(encodeHeader(8n, 0n)).toEqual(new Uint8Array([0x80, 8]));
    expect(encodeHeader(0n, 0x100n)).toEqual(new Uint8Array([0x09, 1, 0]));
    expect(encodeHeader((1n << 64n) - 1n, (1n << 64n) - 1n).length).toBe(17);
  });

  it('refuses values outside the 64-bit range when encoding', () => {
    expect(() => encodeHeader(1n << 64n, 0n)).toThrow(SFrameError);
    expect(() => encodeHeader(0n, -1n)).toThrow(SFrameError);
  });

  it('rejects empty and truncated headers', () => {
    expectMalformed([]);
    expectMalformed([0x80]); // KID length 1, no KID byte
    expectMalformed([0xf0, 1, 2, 3]); // KID length 8, only 3 bytes
    expectMalformed([0x08]); // CTR length 1, no CTR byte
    expectMalformed([0x89, 0x10, 0x01]); // KID ok, CTR needs 2 bytes, has 1
  });

  it('rejects non-minimal KID and CTR encodings', () => {
    expectMalformed([0x80, 0x05]); // KID 5 must live in the config byte
    expectMalformed([0x90, 0x00, 0x10]); // leading zero byte
    expectMalformed([0x08, 0x07]); // CTR 7 must live in the config byte
    expectMalformed([0x09, 0x00, 0xff]); // leading zero byte
  });

  it('never throws anything but SFrameError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => {
        try {
          const header = decodeHeader(bytes);
          expect(header.length).toBeLessThanOrEqual(bytes.length);
        } catch (error) {
          expect(error).toBeInstanceOf(SFrameError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
