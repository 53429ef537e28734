// Growable byte buffer for encoders: appends fixed-width integers, varints and byte strings and
// hands back exactly the bytes written.
import { varintLength, writeVarint } from './varint.js';

export class ByteWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialCapacity = 64) {
    this.buffer = new Uint8Array(initialCapacity);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  u8(value: number): this {
    this.reserve(1);
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    this.reserve(2);
    this.buffer[this.length++] = (value >> 8) & 0xff;
    this.buffer[this.length++] = value & 0xff;
    return this;
  }

  u64(value: bigint): this {
    this.reserve(8);
    new DataView(this.buffer.buffer, this.buffer.byteOffset + this.length, 8).setBigUint64(0, value);
    this.length += 8;
    return this;
  }

  varint(value: number | bigint): this {
    this.reserve(varintLength(value));
    this.length = writeVarint(this.buffer, this.length, value);
    return this;
  }

  bytes(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  lengthPrefixed(value: Uint8Array): this {
    return this.varint(value.length).bytes(value);
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
