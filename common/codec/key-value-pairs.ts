// MoQT draft-18 Key-Value-Pairs (§1.4.3): types are delta-encoded from the previous type; even
// types carry one varint, odd types a length-prefixed byte string of at most 65535 bytes.
// Used for object properties (e.g. the SecureObjects Key ID property) and message parameters.
import type { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { DecodeError } from './errors.js';
import { MAX_VARINT } from './varint.js';

export const MAX_KVP_VALUE_LENGTH = 0xffff;

export type KeyValuePair =
  | { readonly type: bigint; readonly value: bigint } // even type
  | { readonly type: bigint; readonly value: Uint8Array }; // odd type

export function isEvenType(type: bigint): boolean {
  return (type & 1n) === 0n;
}

/** Writes `pairs` in ascending type order (delta encoding cannot go backwards). */
export function writeKeyValuePairs(writer: ByteWriter, pairs: readonly KeyValuePair[]): void {
  const sorted = [...pairs].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  let previous = 0n;
  for (const pair of sorted) {
    writer.varint(pair.type - previous);
    previous = pair.type;
    if (isEvenType(pair.type)) {
      if (typeof pair.value !== 'bigint')
        throw new RangeError(`even type ${pair.type} needs an integer value`);
      writer.varint(pair.value);
    } else {
      if (!(pair.value instanceof Uint8Array))
        throw new RangeError(`odd type ${pair.type} needs a byte value`);
      if (pair.value.length > MAX_KVP_VALUE_LENGTH)
        throw new RangeError(`value of type ${pair.type} is too long`);
      writer.lengthPrefixed(pair.value);
    }
  }
}

export function encodeKeyValuePairs(pairs: readonly KeyValuePair[]): Uint8Array {
  const writer = new ByteWriter(32);
  writeKeyValuePairs(writer, pairs);
  return writer.finish();
}

/** Reads pairs until `reader` is exhausted (callers bound it to the list's known length). */
export function readKeyValuePairs(reader: ByteReader): KeyValuePair[] {
  const pairs: KeyValuePair[] = [];
  let previous = 0n;
  while (reader.remaining > 0) {
    const type = previous + reader.varintBig();
    if (type > MAX_VARINT) throw new DecodeError('overflow', 'key-value-pair type exceeds 2^64-1');
    previous = type;
    if (isEvenType(type)) pairs.push({ type, value: reader.varintBig() });
    else pairs.push({ type, value: reader.lengthPrefixed(MAX_KVP_VALUE_LENGTH) });
  }
  return pairs;
}
