// MoQT draft-18 variable-length integers (§1.4.1): the number of leading 1 bits of the first byte
// gives the length (1..9 bytes); 9 bytes carry a full 64-bit value. Encoders always write the
// shortest form; decoders accept any valid length, as the draft requires.
import { DecodeError } from './errors.js';

export const MAX_VARINT = (1n << 64n) - 1n;

/** Number of bytes the shortest encoding of `value` takes. */
export function varintLength(value: number | bigint): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
    if (value < 0x80) return 1;
    if (value < 0x4000) return 2;
    if (value < 0x200000) return 3;
    if (value < 0x10000000) return 4;
    value = BigInt(value);
  }
  if (value < 0n || value > MAX_VARINT) throw new RangeError(`varint out of range: ${value}`);
  for (let length = 1; length <= 8; length++) {
    if (value < 1n << BigInt(7 * length)) return length;
  }
  return 9;
}

/** Writes the shortest encoding of `value` at `offset`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number | bigint): number {
  const length = varintLength(value);
  if (offset + length > out.length) throw new RangeError('varint does not fit in the buffer');
  if (length === 9) {
    out[offset] = 0xff;
    let big = BigInt(value);
    for (let i = 8; i >= 1; i--) {
      out[offset + i] = Number(big & 0xffn);
      big >>= 8n;
    }
    return offset + 9;
  }
  if (typeof value === 'number' && length <= 4) {
    for (let i = length - 1; i >= 0; i--) {
      out[offset + i] = value & 0xff;
      value = Math.floor(value / 256);
    }
  } else {
    let big = BigInt(value);
    for (let i = length - 1; i >= 0; i--) {
      out[offset + i] = Number(big & 0xffn);
      big >>= 8n;
    }
  }
  // Prefix: (length - 1) one-bits followed by a zero bit.
  out[offset] = out[offset]! | ((0xff00 >> (length - 1)) & 0xff);
  return offset + length;
}

export function encodeVarint(value: number | bigint): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/** Encoded length implied by a first byte. */
export function varintLengthFromFirstByte(first: number): number {
  if (first === 0xff) return 9;
  let length = 1;
  while (first & (0x80 >> (length - 1))) length++;
  return length;
}

/** Reads a varint at `offset` as a bigint; returns the value and the offset after it. */
export function readVarintBig(input: Uint8Array, offset: number): [value: bigint, next: number] {
  if (offset >= input.length) throw new DecodeError('truncated', 'varint: no bytes left');
  const first = input[offset]!;
  const length = varintLengthFromFirstByte(first);
  if (offset + length > input.length) throw new DecodeError('truncated', `varint: needs ${length} bytes`);
  let value = length === 9 ? 0n : BigInt(first & (0xff >> length));
  for (let i = 1; i < length; i++) value = (value << 8n) | BigInt(input[offset + i]!);
  return [value, offset + length];
}

/** Reads a varint that must fit in a JS safe integer (lengths, counts, types). */
export function readVarint(input: Uint8Array, offset: number): [value: number, next: number] {
  if (offset >= input.length) throw new DecodeError('truncated', 'varint: no bytes left');
  const first = input[offset]!;
  const length = varintLengthFromFirstByte(first);
  if (length <= 4) {
    if (offset + length > input.length) throw new DecodeError('truncated', `varint: needs ${length} bytes`);
    let value = first & (0xff >> length);
    for (let i = 1; i < length; i++) value = value * 256 + input[offset + i]!;
    return [value, offset + length];
  }
  const [big, next] = readVarintBig(input, offset);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DecodeError('overflow', `varint ${big} exceeds the largest safe integer`);
  }
  return [Number(big), next];
}
