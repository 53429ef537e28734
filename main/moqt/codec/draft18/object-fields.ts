// Pieces shared by every draft-18 object encoding (subgroup, fetch, datagram): the length-prefixed
// Object Properties block and Object Status validation.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import type { ByteWriter } from '../../../../common/codec/byte-writer.js';
import { SessionErrorCode } from '../error-codes.js';
import { MoqtDecodeError, protocolViolation } from '../errors.js';
import { ObjectStatus } from './constants.js';
import { encodeKeyValuePairs, readKeyValuePairs } from './key-value.js';
import type { KeyValuePair } from './key-value.js';

/** Default cap on one object's Properties block; the draft has none beyond each value's 65535. */
export const DEFAULT_MAX_PROPERTIES_LENGTH = 0xffff;

export function readObjectPropertiesBlock(
  reader: ByteReader,
  maxLength = DEFAULT_MAX_PROPERTIES_LENGTH,
): KeyValuePair[] {
  const length = reader.varint();
  if (length > maxLength) {
    throw new MoqtDecodeError(
      SessionErrorCode.INTERNAL_ERROR,
      'limit',
      `object properties are ${length} bytes; the local limit is ${maxLength}`,
    );
  }
  return readKeyValuePairs(new ByteReader(reader.bytes(length)));
}

export function writeObjectPropertiesBlock(writer: ByteWriter, properties: readonly KeyValuePair[]): void {
  writer.lengthPrefixed(encodeKeyValuePairs(properties));
}

export function readObjectStatus(reader: ByteReader): ObjectStatus {
  const status = reader.varintBig();
  if (status !== 0n && status !== 3n && status !== 4n) {
    protocolViolation(`unknown object status ${status}`, 'invalid-value');
  }
  return Number(status) as ObjectStatus;
}

export function checkStatus(status: number): ObjectStatus {
  if (
    status !== ObjectStatus.NORMAL &&
    status !== ObjectStatus.END_OF_GROUP &&
    status !== ObjectStatus.END_OF_TRACK
  ) {
    throw new RangeError(`invalid object status ${status}`);
  }
  return status;
}

export function checkPriority(priority: number): number {
  if (!Number.isInteger(priority) || priority < 0 || priority > 255) {
    throw new RangeError(`publisher priority must be 0..255, got ${priority}`);
  }
  return priority;
}
