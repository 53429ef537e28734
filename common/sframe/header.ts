// SFrame header encoding (RFC 9605 §4.3): a config byte |X|K(3)|Y|C(3)| followed by the KID and
// CTR as minimal big-endian integers when they do not fit in 3 bits. Decoding is strict: values
// that could have been encoded shorter are rejected, since the RFC says they MUST be minimal.
import { SFrameError } from './errors.js';

export const MAX_HEADER_VALUE = (1n << 64n) - 1n;
export const MAX_HEADER_LENGTH = 17;

export interface SFrameHeader {
  readonly kid: bigint;
  readonly ctr: bigint;
  /** Number of bytes the header occupies at the start of the ciphertext. */
  readonly length: number;
}

function byteLength(value: bigint): number {
  let length = 1;
  while (value >> BigInt(8 * length) > 0n) length++;
  return length;
}

function checkRange(name: string, value: bigint): void {
  if (value < 0n || value > MAX_HEADER_VALUE) {
    throw new SFrameError('invalid-argument', `${name} ${value} is outside 0..2^64-1`);
  }
}

export function encodedHeaderLength(kid: bigint, ctr: bigint): number {
  return 1 + (kid < 8n ? 0 : byteLength(kid)) + (ctr < 8n ? 0 : byteLength(ctr));
}

/** Writes the header for (kid, ctr) into `out` at `offset`; returns the offset after it. */
export function writeHeader(out: Uint8Array, offset: number, kid: bigint, ctr: bigint): number {
  checkRange('KID', kid);
  checkRange('CTR', ctr);
  let config = 0;
  let position = offset + 1;
  if (kid < 8n) {
    config |= Number(kid) << 4;
  } else {
    const length = byteLength(kid);
    config |= 0x80 | ((length - 1) << 4);
    position = writeBigEndian(out, position, kid, length);
  }
  if (ctr < 8n) {
    config |= Number(ctr);
  } else {
    const length = byteLength(ctr);
    config |= 0x08 | (length - 1);
    position = writeBigEndian(out, position, ctr, length);
  }
  out[offset] = config;
  return position;
}

export function encodeHeader(kid: bigint, ctr: bigint): Uint8Array {
  const out = new Uint8Array(encodedHeaderLength(kid, ctr));
  writeHeader(out, 0, kid, ctr);
  return out;
}

function writeBigEndian(out: Uint8Array, offset: number, value: bigint, length: number): number {
  for (let i = length - 1; i >= 0; i--) {
    out[offset + i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return offset + length;
}

function readExtended(input: Uint8Array, offset: number, length: number, field: string): bigint {
  if (offset + length > input.length) {
    throw new SFrameError('malformed-header', `truncated: ${field} needs ${length} bytes`);
  }
  if (length > 1 && input[offset] === 0) {
    throw new SFrameError('malformed-header', `${field} is not minimally encoded (leading zero byte)`);
  }
  let value = 0n;
  for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(input[offset + i]!);
  if (value < 8n) {
    throw new SFrameError('malformed-header', `${field} ${value} must be carried in the config byte`);
  }
  return value;
}

export function decodeHeader(input: Uint8Array): SFrameHeader {
  if (input.length === 0) throw new SFrameError('malformed-header', 'truncated: empty ciphertext');
  const config = input[0]!;
  let offset = 1;
  let kid: bigint;
  if (config & 0x80) {
    const length = ((config >> 4) & 0x07) + 1;
    kid = readExtended(input, offset, length, 'KID');
    offset += length;
  } else {
    kid = BigInt((config >> 4) & 0x07);
  }
  let ctr: bigint;
  if (config & 0x08) {
    const length = (config & 0x07) + 1;
    ctr = readExtended(input, offset, length, 'CTR');
    offset += length;
  } else {
    ctr = BigInt(config & 0x07);
  }
  return { kid, ctr, length: offset };
}
