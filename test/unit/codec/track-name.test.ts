// Full Track Names and Key-Value-Pairs: encodings, limits, and hostile input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../common/codec/byte-reader.js';
import { bytesToHex } from '../../../common/codec/bytes.js';
import { DecodeError } from '../../../common/codec/errors.js';
import { encodeKeyValuePairs, readKeyValuePairs } from '../../../common/codec/key-value-pairs.js';
import {
  fullTrackName,
  readFullTrackName,
  serializeFullTrackName,
} from '../../../common/codec/track-name.js';

describe('Full Track Name', () => {
  it('serializes as field count, length-prefixed fields, length-prefixed name', () => {
    expect(bytesToHex(serializeFullTrackName(fullTrackName(['ab', 'c'], 'xy')))).toBe(
      '02026162016302' + '7879',
    );
    expect(bytesToHex(serializeFullTrackName(fullTrackName([], '')))).toBe('0000');
  });

  it('round-trips random names', () => {
    const field = fc.uint8Array({ minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(
        fc.array(field, { maxLength: 32 }),
        fc.uint8Array({ maxLength: 100 }),
        (namespace, name) => {
          const track = { namespace, name };
          expect(readFullTrackName(new ByteReader(serializeFullTrackName(track)))).toEqual(track);
        },
      ),
    );
  });

  it('enforces the draft limits in both directions', () => {
    expect(() => serializeFullTrackName(fullTrackName(new Array(33).fill('a'), 'x'))).toThrow(RangeError);
    expect(() => serializeFullTrackName({ namespace: [new Uint8Array(0)], name: new Uint8Array(0) })).toThrow(
      RangeError,
    );
    expect(() => serializeFullTrackName(fullTrackName(['a'.repeat(4000)], 'b'.repeat(97)))).toThrow(
      RangeError,
    );
    expect(() => readFullTrackName(new ByteReader(new Uint8Array([33])))).toThrow(DecodeError);
    expect(() => readFullTrackName(new ByteReader(new Uint8Array([1, 0, 0])))).toThrow(DecodeError);
    expect(() => readFullTrackName(new ByteReader(new Uint8Array([1, 5, 1])))).toThrow(DecodeError);
  });
});

describe('Key-Value-Pairs', () => {
  it('delta-encodes types and round-trips both value kinds', () => {
    const pairs = [
      { type: 0x2n, value: 300n },
      { type: 0xbn, value: new Uint8Array([1, 2]) },
      { type: 0x2an, value: 0n },
    ];
    const encoded = encodeKeyValuePairs([...pairs].reverse());
    expect(bytesToHex(encoded)).toBe('02' + '812c' + '09' + '020102' + '1f' + '00');
    expect(readKeyValuePairs(new ByteReader(encoded))).toEqual(pairs);
  });

  it('rejects truncated values and over-long lengths', () => {
    expect(() => readKeyValuePairs(new ByteReader(new Uint8Array([0x01, 0x05, 1])))).toThrow(DecodeError);
    expect(() => readKeyValuePairs(new ByteReader(new Uint8Array([0x01, 0xc1, 0x00, 0x00])))).toThrow(
      DecodeError,
    );
  });
});
