// Draft-18 SUBGROUP_HEADER (type bits 0b0XX1XXXX) and the objects that follow it on a subgroup
// stream. Object IDs are delta-encoded against the previous object on the stream, so the object
// codec takes the previous ID as explicit state.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import { ByteWriter } from '../../../../common/codec/byte-writer.js';
import { asProtocolError, protocolViolation } from '../errors.js';
import { MAX_U64, ObjectStatus } from './constants.js';
import type { KeyValuePair } from './key-value.js';
import {
  checkPriority,
  checkStatus,
  DEFAULT_MAX_PROPERTIES_LENGTH,
  readObjectPropertiesBlock,
  readObjectStatus,
  writeObjectPropertiesBlock,
} from './object-fields.js';

export const SubgroupTypeBit = {
  PROPERTIES: 0x01,
  SUBGROUP_ID_MODE: 0x06,
  END_OF_GROUP: 0x08,
  ALWAYS_SET: 0x10,
  DEFAULT_PRIORITY: 0x20,
  FIRST_OBJECT: 0x40,
} as const;

/** 0b00: Subgroup ID is 0; 0b01: it is the first Object's ID; 0b10: explicit field. */
export type SubgroupIdMode = 'zero' | 'first-object' | 'explicit';

export interface SubgroupHeader {
  readonly kind: 'subgroup';
  readonly trackAlias: bigint;
  readonly groupId: bigint;
  readonly subgroupIdMode: SubgroupIdMode;
  /** Present exactly when subgroupIdMode is 'explicit'. */
  readonly subgroupId?: bigint;
  /** Absent ⇒ DEFAULT_PRIORITY: inherit the subscription's publisher priority. */
  readonly publisherPriority?: number;
  /** Every object carries a Properties field (possibly empty). */
  readonly hasProperties: boolean;
  /** This subgroup holds the largest Object of the group (known once the stream FINs). */
  readonly endOfGroup: boolean;
  /** The first object on this stream is the first the original publisher sent in the subgroup. */
  readonly firstObject: boolean;
}

export interface SubgroupObject {
  readonly objectId: bigint;
  /** Always empty when the header's PROPERTIES bit is clear. */
  readonly properties: readonly KeyValuePair[];
  readonly status: ObjectStatus;
  /** Empty unless status is NORMAL. */
  readonly payload: Uint8Array;
}

/** True for the 64 valid SUBGROUP_HEADER types (0x10-15, 18-1D, 30-35, 38-3D, 50-55, ...). */
export function isSubgroupHeaderType(type: number | bigint): boolean {
  if (typeof type === 'bigint') {
    if (type > 0x7fn || type < 0n) return false;
    type = Number(type);
  }
  return type >= 0 && type < 0x80 && (type & 0x10) !== 0 && (type & 0x06) !== 0x06;
}

export function subgroupHeaderType(header: SubgroupHeader): number {
  let type = SubgroupTypeBit.ALWAYS_SET;
  if (header.hasProperties) type |= SubgroupTypeBit.PROPERTIES;
  if (header.subgroupIdMode === 'first-object') type |= 0x02;
  if (header.subgroupIdMode === 'explicit') type |= 0x04;
  if (header.endOfGroup) type |= SubgroupTypeBit.END_OF_GROUP;
  if (header.publisherPriority === undefined) type |= SubgroupTypeBit.DEFAULT_PRIORITY;
  if (header.firstObject) type |= SubgroupTypeBit.FIRST_OBJECT;
  return type;
}

export function writeSubgroupHeader(writer: ByteWriter, header: SubgroupHeader): void {
  if ((header.subgroupIdMode === 'explicit') !== (header.subgroupId !== undefined)) {
    throw new RangeError('subgroupId is present exactly when subgroupIdMode is explicit');
  }
  writer.varint(subgroupHeaderType(header)).varint(header.trackAlias).varint(header.groupId);
  if (header.subgroupId !== undefined) writer.varint(header.subgroupId);
  if (header.publisherPriority !== undefined) writer.u8(checkPriority(header.publisherPriority));
}

export function encodeSubgroupHeader(header: SubgroupHeader): Uint8Array {
  const writer = new ByteWriter(32);
  writeSubgroupHeader(writer, header);
  return writer.finish();
}

/** Reads the header after its Type (already read and checked by the caller). */
export function readSubgroupHeaderBody(reader: ByteReader, type: number): SubgroupHeader {
  if (!isSubgroupHeaderType(type))
    protocolViolation(`invalid SUBGROUP_HEADER type 0x${type.toString(16)}`, 'unknown-type');
  const mode = (type & SubgroupTypeBit.SUBGROUP_ID_MODE) >> 1;
  const trackAlias = reader.varintBig();
  const groupId = reader.varintBig();
  const subgroupIdMode: SubgroupIdMode = mode === 0 ? 'zero' : mode === 1 ? 'first-object' : 'explicit';
  const subgroupId = mode === 2 ? reader.varintBig() : undefined;
  const publisherPriority = type & SubgroupTypeBit.DEFAULT_PRIORITY ? undefined : reader.u8();
  return {
    kind: 'subgroup',
    trackAlias,
    groupId,
    subgroupIdMode,
    ...(subgroupId !== undefined && { subgroupId }),
    ...(publisherPriority !== undefined && { publisherPriority }),
    hasProperties: (type & SubgroupTypeBit.PROPERTIES) !== 0,
    endOfGroup: (type & SubgroupTypeBit.END_OF_GROUP) !== 0,
    firstObject: (type & SubgroupTypeBit.FIRST_OBJECT) !== 0,
  };
}

export function decodeSubgroupHeader(bytes: Uint8Array): SubgroupHeader {
  return asProtocolError(() => {
    const reader = new ByteReader(bytes);
    const type = reader.varintBig();
    const header = readSubgroupHeaderBody(reader, isSubgroupHeaderType(type) ? Number(type) : -1);
    if (reader.remaining !== 0) protocolViolation('bytes follow the SUBGROUP_HEADER');
    return header;
  });
}

/** The Subgroup ID an object on this stream belongs to (needs the first object for mode 0b01). */
export function resolveSubgroupId(header: SubgroupHeader, firstObjectId: bigint): bigint {
  if (header.subgroupIdMode === 'explicit') return header.subgroupId!;
  return header.subgroupIdMode === 'zero' ? 0n : firstObjectId;
}

/** Writes one object; `previousObjectId` is undefined for the first object on the stream. */
export function writeSubgroupObject(
  writer: ByteWriter,
  hasProperties: boolean,
  previousObjectId: bigint | undefined,
  object: SubgroupObject,
): void {
  const status = checkStatus(object.status);
  const delta = previousObjectId === undefined ? object.objectId : object.objectId - previousObjectId - 1n;
  if (delta < 0n) throw new RangeError('object IDs on a subgroup stream must increase');
  if (!hasProperties && object.properties.length > 0) {
    throw new RangeError('the SUBGROUP_HEADER has no PROPERTIES bit but the object has properties');
  }
  if (status !== ObjectStatus.NORMAL && (object.payload.length > 0 || object.properties.length > 0)) {
    throw new RangeError('only Normal objects carry a payload or properties');
  }
  writer.varint(delta);
  if (hasProperties) writeObjectPropertiesBlock(writer, object.properties);
  writer.varint(object.payload.length);
  if (object.payload.length === 0) writer.varint(status);
  else writer.bytes(object.payload);
}

export interface SubgroupObjectHead {
  readonly objectId: bigint;
  readonly properties: KeyValuePair[];
  readonly status: ObjectStatus;
  readonly payloadLength: number;
}

/**
 * Reads an object up to (not including) its payload, so a stream parser can wait for the payload
 * bytes without re-parsing. Enforces the status/properties rules of §Object Status.
 */
export function readSubgroupObjectHead(
  reader: ByteReader,
  hasProperties: boolean,
  previousObjectId: bigint | undefined,
  maxPropertiesLength = DEFAULT_MAX_PROPERTIES_LENGTH,
): SubgroupObjectHead {
  const delta = reader.varintBig();
  const objectId = previousObjectId === undefined ? delta : previousObjectId + delta + 1n;
  if (objectId > MAX_U64) protocolViolation('object ID overflows 2^64-1');
  const properties = hasProperties ? readObjectPropertiesBlock(reader, maxPropertiesLength) : [];
  const payloadLength = reader.varint();
  let status: ObjectStatus = ObjectStatus.NORMAL;
  if (payloadLength === 0) {
    status = readObjectStatus(reader);
    if (status !== ObjectStatus.NORMAL && properties.length > 0) {
      protocolViolation('an object with a non-Normal status must not carry properties');
    }
  }
  return { objectId, properties, status, payloadLength };
}

/** Decodes a whole subgroup stream body (all objects after the header) held in memory. */
export function decodeSubgroupObjects(bytes: Uint8Array, header: SubgroupHeader): SubgroupObject[] {
  return asProtocolError(() => {
    const reader = new ByteReader(bytes);
    const objects: SubgroupObject[] = [];
    let previous: bigint | undefined;
    while (reader.remaining > 0) {
      const head = readSubgroupObjectHead(reader, header.hasProperties, previous);
      const payload = reader.bytes(head.payloadLength).slice();
      objects.push({ objectId: head.objectId, properties: head.properties, status: head.status, payload });
      previous = head.objectId;
    }
    return objects;
  });
}

/** Encodes a header and its objects as one stream body (handy for tests and small groups). */
export function encodeSubgroupStream(header: SubgroupHeader, objects: readonly SubgroupObject[]): Uint8Array {
  const writer = new ByteWriter(256);
  writeSubgroupHeader(writer, header);
  let previous: bigint | undefined;
  for (const object of objects) {
    writeSubgroupObject(writer, header.hasProperties, previous, object);
    previous = object.objectId;
  }
  return writer.finish();
}
