// Draft-18 OBJECT_DATAGRAM (type form 0b00X0XXXX) carrying one object or one object status, plus
// the padding datagram. A datagram is always whole, so decoding is a single call.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import { ByteWriter } from '../../../../common/codec/byte-writer.js';
import { asProtocolError, protocolViolation } from '../errors.js';
import { ObjectStatus, PADDING_DATAGRAM_TYPE } from './constants.js';
import type { KeyValuePair } from './key-value.js';
import {
  checkPriority,
  checkStatus,
  readObjectPropertiesBlock,
  readObjectStatus,
  writeObjectPropertiesBlock,
} from './object-fields.js';

export const DatagramTypeBit = {
  PROPERTIES: 0x01,
  END_OF_GROUP: 0x02,
  ZERO_OBJECT_ID: 0x04,
  DEFAULT_PRIORITY: 0x08,
  STATUS: 0x20,
} as const;

interface DatagramCommon {
  readonly trackAlias: bigint;
  readonly groupId: bigint;
  readonly objectId: bigint;
  /** Absent ⇒ DEFAULT_PRIORITY: inherit the subscription's publisher priority. */
  readonly publisherPriority?: number;
  /** Encoded with the PROPERTIES bit only when non-empty (an empty block is a violation). */
  readonly properties: readonly KeyValuePair[];
}

export interface ObjectDatagram extends DatagramCommon {
  readonly kind: 'object';
  /** No object with a larger ID exists in this group. */
  readonly endOfGroup: boolean;
  readonly payload: Uint8Array;
}

export interface StatusDatagram extends DatagramCommon {
  readonly kind: 'status';
  readonly status: ObjectStatus;
}

export interface PaddingDatagram {
  readonly kind: 'padding';
  /** Bytes of padding after the type (discarded). */
  readonly length: number;
}

export type Datagram = ObjectDatagram | StatusDatagram | PaddingDatagram;

/** True for the 24 valid OBJECT_DATAGRAM types: 0x00-0x0F and 0x20-0x2F without END_OF_GROUP. */
export function isObjectDatagramType(type: number): boolean {
  if (type >= 0x00 && type <= 0x0f) return true;
  return type >= 0x20 && type <= 0x2f && (type & DatagramTypeBit.END_OF_GROUP) === 0;
}

export function datagramType(datagram: ObjectDatagram | StatusDatagram): number {
  let type = 0;
  if (datagram.properties.length > 0) type |= DatagramTypeBit.PROPERTIES;
  if (datagram.kind === 'object' && datagram.endOfGroup) type |= DatagramTypeBit.END_OF_GROUP;
  if (datagram.objectId === 0n) type |= DatagramTypeBit.ZERO_OBJECT_ID;
  if (datagram.publisherPriority === undefined) type |= DatagramTypeBit.DEFAULT_PRIORITY;
  if (datagram.kind === 'status') type |= DatagramTypeBit.STATUS;
  return type;
}

export function encodeDatagram(datagram: Datagram): Uint8Array {
  const writer = new ByteWriter(64 + (datagram.kind === 'object' ? datagram.payload.length : 0));
  if (datagram.kind === 'padding') {
    writer.varint(PADDING_DATAGRAM_TYPE).bytes(new Uint8Array(datagram.length));
    return writer.finish();
  }
  if (datagram.kind === 'status') {
    checkStatus(datagram.status);
    if (datagram.status !== ObjectStatus.NORMAL && datagram.properties.length > 0) {
      throw new RangeError('only Normal objects carry properties');
    }
  }
  const type = datagramType(datagram);
  writer.varint(type).varint(datagram.trackAlias).varint(datagram.groupId);
  if (!(type & DatagramTypeBit.ZERO_OBJECT_ID)) writer.varint(datagram.objectId);
  if (datagram.publisherPriority !== undefined) writer.u8(checkPriority(datagram.publisherPriority));
  if (type & DatagramTypeBit.PROPERTIES) writeObjectPropertiesBlock(writer, datagram.properties);
  if (datagram.kind === 'status') writer.varint(datagram.status);
  else writer.bytes(datagram.payload);
  return writer.finish();
}

export function decodeDatagram(bytes: Uint8Array): Datagram {
  return asProtocolError(() => {
    const reader = new ByteReader(bytes);
    const typeBig = reader.varintBig();
    if (typeBig === BigInt(PADDING_DATAGRAM_TYPE)) return { kind: 'padding', length: reader.remaining };
    const type = typeBig < 0x30n ? Number(typeBig) : -1;
    // §Data Streams: "An endpoint that receives an unknown datagram type MUST close the session."
    if (!isObjectDatagramType(type))
      protocolViolation(`invalid OBJECT_DATAGRAM type 0x${typeBig.toString(16)}`, 'unknown-type');
    const trackAlias = reader.varintBig();
    const groupId = reader.varintBig();
    const objectId = type & DatagramTypeBit.ZERO_OBJECT_ID ? 0n : reader.varintBig();
    const publisherPriority = type & DatagramTypeBit.DEFAULT_PRIORITY ? undefined : reader.u8();
    let properties: KeyValuePair[] = [];
    if (type & DatagramTypeBit.PROPERTIES) {
      // The datagram bounds the block; the 64 KiB default cap would only reject legal datagrams.
      properties = readObjectPropertiesBlock(reader, Number.MAX_SAFE_INTEGER);
      if (properties.length === 0) protocolViolation('PROPERTIES bit set with an empty Properties block');
    }
    const common = {
      trackAlias,
      groupId,
      objectId,
      ...(publisherPriority !== undefined && { publisherPriority }),
      properties,
    };
    if (type & DatagramTypeBit.STATUS) {
      const status = readObjectStatus(reader);
      if (status !== ObjectStatus.NORMAL && properties.length > 0) {
        protocolViolation('a non-Normal status datagram must not carry properties');
      }
      if (reader.remaining !== 0) protocolViolation('bytes follow the Object Status in a datagram');
      return { kind: 'status', ...common, status };
    }
    const endOfGroup = (type & DatagramTypeBit.END_OF_GROUP) !== 0;
    return { kind: 'object', ...common, endOfGroup, payload: reader.rest().slice() };
  });
}
