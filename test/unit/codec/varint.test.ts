// MoQT draft-18 varints: the draft's example encodings, boundaries, and hostile input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../../common/codec/bytes.js';
import { DecodeError } from '../../../common/codec/errors.js';
import {
  MAX_VARINT,
  encodeVarint,
  readVarint,
  readVarintBig,
  varintLength,
} from '../../../common/codec/varint.js';

describe('draft-18 varint', () => {
  it('decodes the example encodings of the draft', () => {
    const examples: [string, bigint][] = [
      ['25', 37n],
      ['8025', 37n],
      ['bbbd', 15_293n],
      ['ed7f3e7d', 226_442_877n],
      ['faa1a0e403d8', 2_893_212_287_960n],
      ['fc8998abc66bc0', 151_288_809_941_952n],
      ['fefa318fa8e3ca11', 70_423_237_261_249_041n],
      ['ffffffffffffffffff', 18_446_744_073_709_551_615n],
    ];
    for (const [hex, value] of examples) {
      const bytes = hexToBytes(hex);
      expect(readVarintBig(bytes, 0)).toEqual([value, bytes.length]);
    }
    expect(bytesToHex(encodeVarint(15_293))).toBe('bbbd');
    expect(bytesToHex(encodeVarint(MAX_VARINT))).toBe('ffffffffffffffffff');
  });

  it('writes the shortest form at every length boundary', () => {
    const boundaries = [
      0n,
      127n,
      128n,
      16_383n,
      16_384n,
      (1n << 21n) - 1n,
      1n << 21n,
      (1n << 56n) - 1n,
      1n << 56n,
      MAX_VARINT,
    ];
    const lengths = [1, 1, 2, 2, 3, 3, 4, 8, 9, 9];
    boundaries.forEach((value, i) => expect(varintLength(value)).toBe(lengths[i]));
  });

  it('round-trips numbers and bigints', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_VARINT }), (value) => {
        const bytes = encodeVarint(value);
        expect(readVarintBig(bytes, 0)).toEqual([value, bytes.length]);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.maxSafeNat(), (value) => {
        expect(readVarint(encodeVarint(value), 0)[0]).toBe(value);
      }),
    );
  });

  it('refuses truncated input, unsafe numbers and out-of-range values', () => {
    expect(() => readVarint(new Uint8Array([0x80]), 0)).toThrow(DecodeError);
    expect(() => readVarint(new Uint8Array(0), 0)).toThrow(DecodeError);
    expect(() => readVarint(hexToBytes('ffffffffffffffffff'), 0)).toThrowError(
      expect.objectContaining({ code: 'overflow' }),
    );
    expect(() => encodeVarint(MAX_VARINT + 1n)).toThrow(RangeError);
    expect(() => encodeVarint(-1)).toThrow(RangeError);
  });
});
