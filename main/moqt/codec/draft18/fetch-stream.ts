// Draft-18 FETCH_HEADER and fetch-stream objects (§Fetch Header): every object starts with
// Serialization Flags saying which fields are present and which are inherited from the prior
// object, so both directions carry a small state object between calls.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import { ByteWriter } from '../../../../common/codec/byte-writer.js';
import { asProtocolError, protocolViolation } from '../errors.js';
import { MAX_U64, StreamType } from './constants.js';
import type { KeyValuePair } from './key-value.js';
import {
  checkPriority,
  DEFAULT_MAX_PROPERTIES_LENGTH,
  readObjectPropertiesBlock,
  writeObjectPropertiesBlock,
} from './object-fields.js';
import type { GroupOrder } from './parameters.js';

export interface FetchHeader {
  readonly kind: 'fetch';
  readonly requestId: bigint;
}

export const FetchFlag = {
  SUBGROUP_MASK: 0x03,
  OBJECT_ID_DELTA: 0x04,
  GROUP_ID_DELTA: 0x08,
  PRIORITY: 0x10,
  PROPERTIES: 0x20,
  DATAGRAM: 0x40,
  END_OF_NON_EXISTENT_RANGE: 0x8c,
  END_OF_UNKNOWN_RANGE: 0x10c,
} as const;

export type FetchItem =
  | {
      readonly kind: 'object';
      readonly groupId: bigint;
      /** Undefined for objects whose forwarding preference is Datagram (flag 0x40). */
      readonly subgroupId?: bigint;
      readonly objectId: bigint;
      readonly publisherPriority: number;
      readonly properties: readonly KeyValuePair[];
      readonly payload: Uint8Array;
    }
  | {
      readonly kind: 'end-of-range';
      /** 0x8C: the objects up to here do not exist; 0x10C: their status is unknown. */
      readonly range: 'non-existent' | 'unknown';
      readonly groupId: bigint;
      readonly objectId: bigint;
    };

/** What "the prior Object" means for the next item (§Flags, §End of Range). */
export interface FetchStreamState {
  readonly groupOrder: GroupOrder;
  /** Location of the previous item (object or end-of-range); undefined before the first. */
  prior?: { groupId: bigint; objectId: bigint };
  /** Subgroup ID and priority of the last actual object (end-of-range does not change them). */
  priorSubgroupId?: bigint;
  priorPriority?: number;
}

export function newFetchStreamState(groupOrder: GroupOrder = 'ascending'): FetchStreamState {
  return { groupOrder };
}

export function writeFetchHeader(writer: ByteWriter, header: FetchHeader): void {
  writer.varint(StreamType.FETCH_HEADER).varint(header.requestId);
}

export function encodeFetchHeader(header: FetchHeader): Uint8Array {
  const writer = new ByteWriter(16);
  writeFetchHeader(writer, header);
  return writer.finish();
}

function groupDelta(state: FetchStreamState, groupId: bigint): bigint {
  const prior = state.prior!.groupId;
  const delta = state.groupOrder === 'ascending' ? groupId - prior - 1n : prior - groupId - 1n;
  if (delta < 0n) throw new RangeError(`group ${groupId} is out of ${state.groupOrder} order after ${prior}`);
  return delta;
}

/** Writes one item with the most compact flags and advances `state`. */
export function writeFetchItem(writer: ByteWriter, state: FetchStreamState, item: FetchItem): void {
  const first = state.prior === undefined;
  if (item.kind === 'end-of-range') {
    // Both deltas are always present, so the Object ID is absolute and the group must change.
    const delta = first ? item.groupId : groupDelta(state, item.groupId);
    writer.varint(
      item.range === 'non-existent' ? FetchFlag.END_OF_NON_EXISTENT_RANGE : FetchFlag.END_OF_UNKNOWN_RANGE,
    );
    writer.varint(delta).varint(item.objectId).varint(0);
    state.prior = { groupId: item.groupId, objectId: item.objectId };
    return;
  }
  checkPriority(item.publisherPriority);
  let flags = 0;
  let groupField: bigint | undefined;
  let objectField: bigint | undefined;
  let subgroupField: bigint | undefined;
  if (first || item.groupId !== state.prior!.groupId) {
    flags |= FetchFlag.GROUP_ID_DELTA;
    groupField = first ? item.groupId : groupDelta(state, item.groupId);
    if (first || item.objectId !== state.prior!.objectId + 1n) {
      flags |= FetchFlag.OBJECT_ID_DELTA;
      objectField = item.objectId;
    }
  } else if (item.objectId !== state.prior!.objectId + 1n) {
    flags |= FetchFlag.OBJECT_ID_DELTA;
    objectField = item.objectId - state.prior!.objectId;
    if (objectField < 0n) throw new RangeError('object IDs within a fetched group must not decrease');
  }
  if (item.subgroupId === undefined) {
    flags |= FetchFlag.DATAGRAM;
  } else if (item.subgroupId === 0n) {
    // mode 0b00
  } else if (state.priorSubgroupId !== undefined && item.subgroupId === state.priorSubgroupId) {
    flags |= 0x01;
  } else if (state.priorSubgroupId !== undefined && item.subgroupId === state.priorSubgroupId + 1n) {
    flags |= 0x02;
  } else {
    flags |= 0x03;
    subgroupField = item.subgroupId;
  }
  if (state.priorPriority === undefined || item.publisherPriority !== state.priorPriority)
    flags |= FetchFlag.PRIORITY;
  if (item.properties.length > 0) flags |= FetchFlag.PROPERTIES;

  writer.varint(flags);
  if (groupField !== undefined) writer.varint(groupField);
  if (subgroupField !== undefined) writer.varint(subgroupField);
  if (objectField !== undefined) writer.varint(objectField);
  if (flags & FetchFlag.PRIORITY) writer.u8(item.publisherPriority);
  if (flags & FetchFlag.PROPERTIES) writeObjectPropertiesBlock(writer, item.properties);
  writer.lengthPrefixed(item.payload);
  state.prior = { groupId: item.groupId, objectId: item.objectId };
  state.priorSubgroupId = item.subgroupId;
  state.priorPriority = item.publisherPriority;
}

export interface FetchItemHead {
  readonly item: FetchItem;
  /** Bytes of payload still to read (0 for end-of-range). */
  readonly payloadLength: number;
}

/**
 * Reads one item up to its payload and advances `state`. The returned object item has an empty
 * payload placeholder; callers attach `payloadLength` bytes themselves.
 */
export function readFetchItemHead(
  reader: ByteReader,
  state: FetchStreamState,
  maxPropertiesLength = DEFAULT_MAX_PROPERTIES_LENGTH,
): FetchItemHead {
  const flagsBig = reader.varintBig();
  const endOfRange =
    flagsBig === BigInt(FetchFlag.END_OF_NON_EXISTENT_RANGE) ||
    flagsBig === BigInt(FetchFlag.END_OF_UNKNOWN_RANGE);
  if (!endOfRange && flagsBig >= 128n)
    protocolViolation(`invalid fetch serialization flags 0x${flagsBig.toString(16)}`);
  const flags = Number(flagsBig);
  const first = state.prior === undefined;
  const needPrior = (what: string): never =>
    protocolViolation(`the first fetched object cannot inherit its ${what}`);

  let groupId: bigint;
  const hasGroupDelta = (flags & FetchFlag.GROUP_ID_DELTA) !== 0;
  if (hasGroupDelta) {
    const delta = reader.varintBig();
    if (first) groupId = delta;
    else if (state.groupOrder === 'ascending') groupId = state.prior!.groupId + delta + 1n;
    else groupId = state.prior!.groupId - delta - 1n;
    if (groupId < 0n || groupId > MAX_U64) protocolViolation('fetch group ID out of range');
  } else {
    groupId = first ? needPrior('group ID') : state.prior!.groupId;
  }

  let subgroupId: bigint | undefined;
  if (!endOfRange && !(flags & FetchFlag.DATAGRAM)) {
    const mode = flags & FetchFlag.SUBGROUP_MASK;
    if (mode === 0) subgroupId = 0n;
    else if (mode === 3) subgroupId = reader.varintBig();
    else {
      // After a Datagram object (or before any object) there is no prior Subgroup ID to inherit.
      if (state.priorSubgroupId === undefined) protocolViolation('no prior Subgroup ID to inherit');
      subgroupId = state.priorSubgroupId + (mode === 2 ? 1n : 0n);
      if (subgroupId > MAX_U64) protocolViolation('subgroup ID overflows 2^64-1');
    }
  }

  let objectId: bigint;
  if (flags & FetchFlag.OBJECT_ID_DELTA) {
    const delta = reader.varintBig();
    objectId = hasGroupDelta ? delta : state.prior!.objectId + delta;
  } else {
    objectId = first ? needPrior('object ID') : state.prior!.objectId + 1n;
  }
  if (objectId > MAX_U64) protocolViolation('fetch object ID overflows 2^64-1');

  if (endOfRange) {
    // The payload length field is still on the wire; a range marker cannot carry a payload.
    const payloadLength = reader.varint();
    if (payloadLength !== 0) protocolViolation('an End of Range marker must have a zero payload length');
    state.prior = { groupId, objectId };
    const range = flags === FetchFlag.END_OF_NON_EXISTENT_RANGE ? 'non-existent' : 'unknown';
    return { item: { kind: 'end-of-range', range, groupId, objectId }, payloadLength: 0 };
  }

  let publisherPriority: number;
  if (flags & FetchFlag.PRIORITY) publisherPriority = reader.u8();
  else if (state.priorPriority === undefined) publisherPriority = needPrior('priority');
  else publisherPriority = state.priorPriority;

  const properties =
    flags & FetchFlag.PROPERTIES ? readObjectPropertiesBlock(reader, maxPropertiesLength) : [];
  const payloadLength = reader.varint();
  state.prior = { groupId, objectId };
  state.priorSubgroupId = subgroupId;
  state.priorPriority = publisherPriority;
  const item: FetchItem = {
    kind: 'object',
    groupId,
    ...(subgroupId !== undefined && { subgroupId }),
    objectId,
    publisherPriority,
    properties,
    payload: new Uint8Array(0),
  };
  return { item, payloadLength };
}

export function encodeFetchStream(
  header: FetchHeader,
  items: readonly FetchItem[],
  groupOrder: GroupOrder = 'ascending',
): Uint8Array {
  const writer = new ByteWriter(256);
  writeFetchHeader(writer, header);
  const state = newFetchStreamState(groupOrder);
  for (const item of items) writeFetchItem(writer, state, item);
  return writer.finish();
}

/** Decodes the items of a complete fetch stream body (after FETCH_HEADER) held in memory. */
export function decodeFetchItems(bytes: Uint8Array, groupOrder: GroupOrder = 'ascending'): FetchItem[] {
  return asProtocolError(() => {
    const reader = new ByteReader(bytes);
    const state = newFetchStreamState(groupOrder);
    const items: FetchItem[] = [];
    while (reader.remaining > 0) {
      const head = readFetchItemHead(reader, state);
      if (head.item.kind === 'object')
        items.push({ ...head.item, payload: reader.bytes(head.payloadLength).slice() });
      else items.push(head.item);
    }
    return items;
  });
}
