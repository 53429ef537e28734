// Draft-18 Key-Value-Pairs (§Key-Value-Pair Structure), used by Setup Options and Properties:
// types are delta-encoded in ascending order; even types carry a varint, odd types a ≤65535-byte
// value. A list is always bounded by a byte length known from its context.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import { ByteWriter } from '../../../../common/codec/byte-writer.js';
import { MoqtDecodeError, asProtocolError, protocolViolation } from '../errors.js';
import { SessionErrorCode } from '../error-codes.js';
import { MAX_KEY_VALUE_LENGTH, MAX_U64 } from './constants.js';

/** Even `type` ⇒ `value` is a bigint; odd `type` ⇒ `value` is bytes. */
export interface KeyValuePair {
  readonly type: bigint;
  readonly value: bigint | Uint8Array;
}

export function isValidPair(pair: KeyValuePair): boolean {
  return (pair.type & 1n) === 0n ? typeof pair.value === 'bigint' : pair.value instanceof Uint8Array;
}

/** Reads pairs until `reader` is exhausted (callers hand in a reader bounded to the list). */
export function readKeyValuePairs(reader: ByteReader): KeyValuePair[] {
  try {
    return readPairs(reader);
  } catch (error) {
    // The list's byte length is known, so running out of bytes means a malformed pair, never
    // "wait for more data" — incremental parsers rely on that distinction.
    if (error instanceof MoqtDecodeError && error.kind === 'truncated') {
      throw new MoqtDecodeError(
        SessionErrorCode.PROTOCOL_VIOLATION,
        'malformed',
        `key-value pair overruns its list`,
      );
    }
    throw error;
  }
}

function readPairs(reader: ByteReader): KeyValuePair[] {
  return asProtocolError(() => {
    const pairs: KeyValuePair[] = [];
    let type = 0n;
    while (reader.remaining > 0) {
      type += reader.varintBig();
      if (type > MAX_U64) protocolViolation('key-value type delta overflows 2^64-1');
      if ((type & 1n) === 0n) {
        pairs.push({ type, value: reader.varintBig() });
      } else {
        const length = reader.varint();
        if (length > MAX_KEY_VALUE_LENGTH)
          protocolViolation(`key-value length ${length} exceeds 65535`, 'limit');
        pairs.push({ type, value: reader.bytes(length).slice() });
      }
    }
    return pairs;
  });
}

export function decodeKeyValuePairs(bytes: Uint8Array): KeyValuePair[] {
  return readKeyValuePairs(new ByteReader(bytes));
}

/** Sorts stably by type (the draft requires ascending order) and writes the deltas. */
export function writeKeyValuePairs(writer: ByteWriter, pairs: readonly KeyValuePair[]): void {
  const sorted = [...pairs].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  let previous = 0n;
  for (const pair of sorted) {
    if (pair.type < 0n || pair.type > MAX_U64)
      throw new RangeError(`key-value type out of range: ${pair.type}`);
    if (!isValidPair(pair)) throw new RangeError(`key-value type ${pair.type} has the wrong value kind`);
    writer.varint(pair.type - previous);
    previous = pair.type;
    if (typeof pair.value === 'bigint') {
      writer.varint(pair.value);
    } else {
      if (pair.value.length > MAX_KEY_VALUE_LENGTH)
        throw new RangeError('key-value value exceeds 65535 bytes');
      writer.lengthPrefixed(pair.value);
    }
  }
}

export function encodeKeyValuePairs(pairs: readonly KeyValuePair[]): Uint8Array {
  const writer = new ByteWriter();
  writeKeyValuePairs(writer, pairs);
  return writer.finish();
}
