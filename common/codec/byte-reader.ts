// Bounds-checked cursor over a byte array. Every read either returns a value inside the input or
// throws DecodeError('truncated'), so decoders built on it cannot read past hostile input.
import { DecodeError } from './errors.js';
import { readVarint, readVarintBig } from './varint.js';

export class ByteReader {
  private offset = 0;

  constructor(private readonly input: Uint8Array) {}

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.input.length - this.offset;
  }

  u8(): number {
    if (this.offset >= this.input.length) throw new DecodeError('truncated', 'expected 1 more byte');
    return this.input[this.offset++]!;
  }

  u16(): number {
    const bytes = this.bytes(2);
    return (bytes[0]! << 8) | bytes[1]!;
  }

  u64(): bigint {
    const bytes = this.bytes(8);
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
  }

  varint(): number {
    const [value, next] = readVarint(this.input, this.offset);
    this.offset = next;
    return value;
  }

  varintBig(): bigint {
    const [value, next] = readVarintBig(this.input, this.offset);
    this.offset = next;
    return value;
  }

  /** A view (not a copy) of the next `length` bytes. */
  bytes(length: number): Uint8Array {
    if (length > this.remaining) {
      throw new DecodeError('truncated', `expected ${length} bytes, ${this.remaining} left`);
    }
    const view = this.input.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  /** A varint length followed by that many bytes, refusing lengths above `maxLength`. */
  lengthPrefixed(maxLength: number): Uint8Array {
    const length = this.varint();
    if (length > maxLength)
      throw new DecodeError('invalid', `length ${length} exceeds the limit ${maxLength}`);
    return this.bytes(length);
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
}
