// LOC frames (the SFrame plaintext of each media object): layout, round-trips, group numbering and
// hostile input — every malformed frame is a DecodeError, never a partially decoded frame.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../common/codec/bytes.js';
import { DecodeError } from '../../../common/codec/errors.js';
import { encodeKeyValuePairs, type KeyValuePair } from '../../../common/codec/key-value-pairs.js';
import { encodeVarint } from '../../../common/codec/varint.js';
import {
  GroupSequencer,
  MAX_CODEC_CONFIG,
  decodeLocFrame,
  encodeLocFrame,
  type LocFrame,
} from '../../../common/media/loc.js';

const payload = new Uint8Array([0xaa, 0xbb, 0xcc]);

/** A LOC frame built by hand from properties, so tests can produce what our encoder never would. */
function rawFrame(pairs: readonly KeyValuePair[], body = payload): Uint8Array {
  const props = encodeKeyValuePairs(pairs);
  return new Uint8Array([...encodeVarint(props.length), ...props, ...body]);
}

const ts = (value: bigint): KeyValuePair => ({ type: 0x10n, value });
const marking = (...bytes: number[]): KeyValuePair => ({ type: 0x09n, value: new Uint8Array(bytes) });

describe('LOC frame layout', () => {
  it('writes frame marking, config and timestamp as delta-encoded private properties', () => {
    const bytes = encodeLocFrame({
      kind: 'video',
      timestampUs: 1,
      keyframe: true,
      config: new Uint8Array([7, 8]),
      payload,
    });
    // length 9 | 0x09 len 1 0xE0 | +4 → 0x0D len 2 0708 | +3 → 0x10 value 1 | payload
    expect(bytesToHex(bytes)).toBe('09' + '09' + '01e0' + '04' + '020708' + '03' + '01' + 'aabbcc');
    const delta = encodeLocFrame({ kind: 'video', timestampUs: 300, keyframe: false, payload });
    expect(bytesToHex(delta)).toBe('06' + '09' + '01c0' + '07' + '812c' + 'aabbcc');
    const audio = encodeLocFrame({ kind: 'audio', timestampUs: 2, keyframe: true, payload });
    expect(bytesToHex(audio)).toBe('02' + '10' + '02' + 'aabbcc');
  });

  it('round-trips random frames', () => {
    const frame = fc.oneof(
      fc
        .record({
          kind: fc.constant('video' as const),
          timestampUs: fc.maxSafeNat(),
          keyframe: fc.boolean(),
          payload: fc.uint8Array({ minLength: 1, maxLength: 300 }),
        })
        .chain((f) =>
          f.keyframe
            ? fc
                .option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: undefined })
                .map((config) => ({ ...f, config }))
            : fc.constant({ ...f, config: undefined }),
        ),
      fc.record({
        kind: fc.constant('audio' as const),
        timestampUs: fc.maxSafeNat(),
        keyframe: fc.constant(true),
        config: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: undefined }),
        payload: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      }),
    );
    fc.assert(
      fc.property(frame, (f: LocFrame) => {
        expect(decodeLocFrame(encodeLocFrame(f), f.kind)).toEqual(f);
      }),
    );
  });

  it('refuses to encode what it could not decode', () => {
    const base = { kind: 'video' as const, timestampUs: 1, keyframe: true, payload };
    expect(() => encodeLocFrame({ ...base, timestampUs: -1 })).toThrow(RangeError);
    expect(() => encodeLocFrame({ ...base, timestampUs: 1.5 })).toThrow(RangeError);
    expect(() => encodeLocFrame({ ...base, payload: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodeLocFrame({ ...base, keyframe: false, config: new Uint8Array([1]) })).toThrow(
      RangeError,
    );
    expect(() => encodeLocFrame({ ...base, config: new Uint8Array(MAX_CODEC_CONFIG + 1) })).toThrow(
      RangeError,
    );
    expect(() => encodeLocFrame({ ...base, kind: 'audio', keyframe: false })).toThrow(RangeError);
  });
});

describe('LOC frame decoding of hostile input', () => {
  const reject = (bytes: Uint8Array, kind: 'video' | 'audio' = 'video') =>
    expect(() => decodeLocFrame(bytes, kind)).toThrow(DecodeError);

  it('rejects every truncation of a valid frame', () => {
    const bytes = encodeLocFrame({
      kind: 'video',
      timestampUs: 123456789,
      keyframe: true,
      config: payload,
      payload,
    });
    const propertiesEnd = bytes.length - payload.length;
    for (let cut = 0; cut <= propertiesEnd; cut++) reject(bytes.subarray(0, cut));
  });

  it('requires a timestamp, a whole-frame marking on video, and a non-empty payload', () => {
    reject(rawFrame([marking(0xe0)]));
    reject(rawFrame([ts(1n)]));
    reject(rawFrame([marking(0xa0), ts(1n)])); // E bit missing: a partial frame
    reject(rawFrame([marking(), ts(1n)]));
    reject(rawFrame([marking(0xe0, 0, 0, 0, 0), ts(1n)]));
    reject(rawFrame([marking(0xe0), ts(1n)], new Uint8Array(0)));
    expect(decodeLocFrame(rawFrame([marking(0xe0, 1, 2), ts(1n)]), 'video').keyframe).toBe(true);
  });

  it('rejects properties of the wrong kind, a config on a delta frame, and timescales', () => {
    reject(rawFrame([marking(0xe0), ts(1n)]), 'audio');
    reject(rawFrame([{ type: 0x0fn, value: new Uint8Array([1]) }, ts(1n)]), 'video');
    reject(rawFrame([marking(0xc0), { type: 0x0dn, value: new Uint8Array([1]) }, ts(1n)]));
    reject(rawFrame([{ type: 0x08n, value: 90000n }, marking(0xe0), ts(1n)]));
    reject(rawFrame([marking(0xe0), { type: 0x0dn, value: new Uint8Array(0) }, ts(1n)]));
    reject(rawFrame([marking(0xe0), ts(2n ** 53n)]));
  });

  it('rejects repeated properties and too many of them, skips unknown ones', () => {
    // delta 0 repeats the previous type
    reject(new Uint8Array([4, 0x10, 1, 0x00, 2, 0xaa]), 'audio');
    const unknown = Array.from({ length: 20 }, (_, i): KeyValuePair => ({
      type: 0x20n + 2n * BigInt(i),
      value: 0n,
    }));
    reject(rawFrame([ts(1n), ...unknown]), 'audio');
    const frame = decodeLocFrame(rawFrame([ts(5n), { type: 0x41n, value: new Uint8Array([1]) }]), 'audio');
    expect(frame).toEqual({ kind: 'audio', timestampUs: 5, keyframe: true, config: undefined, payload });
  });

  it('rejects an oversized properties block without reading it', () => {
    reject(new Uint8Array([...encodeVarint(1 << 20), 0x10, 0x01]));
  });

  it('throws only DecodeError on random bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('video' as const, 'audio' as const),
        (bytes, kind) => {
          try {
            const frame = decodeLocFrame(bytes, kind);
            expect(frame.payload.length).toBeGreaterThan(0);
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('throws only DecodeError on mutated valid frames', () => {
    const valid = encodeLocFrame({
      kind: 'video',
      timestampUs: 1_700_000_000_000_000,
      keyframe: true,
      config: payload,
      payload,
    });
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.nat(255), (index, value) => {
        const bytes = valid.slice();
        bytes[index] = value;
        try {
          decodeLocFrame(bytes, 'video');
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});

describe('GroupSequencer', () => {
  it('starts a group at each keyframe and numbers objects from 0', () => {
    const seq = new GroupSequencer(1000);
    const ids = [true, false, false, true, false].map((key) => seq.next(key));
    expect(ids).toEqual([
      { group: 1000, object: 0 },
      { group: 1000, object: 1 },
      { group: 1000, object: 2 },
      { group: 1001, object: 0 },
      { group: 1001, object: 1 },
    ]);
    expect(seq.objectsInGroup).toBe(2);
    expect(() => new GroupSequencer(-1)).toThrow(RangeError);
  });
});
