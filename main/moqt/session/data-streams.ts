// Incoming unidirectional streams and datagrams: classify each stream by its type, hand the
// control stream to the session, and route subgroup objects by track alias and fetch objects by
// request ID. Streams whose alias is not known yet wait briefly (SUBSCRIBE_OK may be in flight).
import { ByteReader } from '../../../common/codec/byte-reader.js';
import type { KeyValuePair } from '../../../common/codec/key-value-pairs.js';
import { DecodeError } from '../../../common/codec/errors.js';
import { StreamResetCode } from '../codec/error-codes.js';
import { Draft18, ObjectStatus } from '../codec/draft18/index.js';
import type { DataStreamEvent, GroupOrder } from '../codec/draft18/index.js';
import type { MoqtObject, ObjectStatusName } from './api.js';
import type { SessionContext } from './context.js';
import { violation } from './errors.js';
import type { FetchResultImpl } from './fetch.js';
import { concatBytes, stopReader } from './stream-io.js';
import type { SubscriptionImpl } from './subscription.js';

export interface DataPlaneHost extends SessionContext {
  /** Resolves when the peer's SETUP arrived or the session closed. */
  readonly setupSignal: Promise<void>;
  handleControlStream(reader: ReadableStreamDefaultReader<Uint8Array>, prefix: Uint8Array): void;
  /** The subscription for a track alias, waiting briefly for SUBSCRIBE_OK; undefined = drop. */
  resolveAlias(alias: bigint): Promise<SubscriptionImpl | undefined>;
  /** The fetch a FETCH_HEADER names: 'drop' for one we cancelled, undefined if never requested. */
  fetchFor(requestId: bigint): FetchResultImpl | 'drop' | undefined;
  /** The fetch's data stream ended; its request ID is no longer routable. */
  fetchFinished(requestId: bigint): void;
}

export function statusName(status: number): ObjectStatusName {
  if (status === ObjectStatus.END_OF_GROUP) return 'end-of-group';
  if (status === ObjectStatus.END_OF_TRACK) return 'end-of-track';
  return 'normal';
}

/** Reads two varints (stream type, request ID) or returns undefined if more bytes are needed. */
function fetchRequestId(prefix: Uint8Array): bigint | undefined {
  try {
    const reader = new ByteReader(prefix);
    reader.varintBig();
    return reader.varintBig();
  } catch (error) {
    if (error instanceof DecodeError && error.code === 'truncated') return undefined;
    throw error;
  }
}

type Reader = ReadableStreamDefaultReader<Uint8Array>;

/** Reads one chunk; undefined at FIN; throws the transport's error on a reset. */
async function readChunk(reader: Reader): Promise<Uint8Array | undefined> {
  const result = await reader.read();
  return result.done ? undefined : result.value;
}

export async function handleUniStream(
  readable: ReadableStream<Uint8Array>,
  host: DataPlaneHost,
): Promise<void> {
  const reader = readable.getReader();
  let prefix: Uint8Array = new Uint8Array(0);
  try {
    for (;;) {
      const chunk = await readChunk(reader);
      if (host.isClosed) return;
      if (chunk === undefined) {
        if (prefix.length > 0) violation('a unidirectional stream ended inside its type');
        return; // an empty stream: nothing to do
      }
      prefix = concatBytes(prefix, chunk);
      const kind = Draft18.classifyUniStream(prefix);
      if (kind === undefined) continue;
      if (kind === 'control') {
        host.handleControlStream(reader, prefix);
        return;
      }
      if (kind === 'padding') {
        stopReader(reader, StreamResetCode.CANCELLED);
        return;
      }
      await host.setupSignal;
      if (host.isClosed) return;
      if (kind === 'subgroup') return await readSubgroupStream(reader, prefix, host);
      const requestId = fetchRequestId(prefix);
      if (requestId === undefined) continue;
      return await readFetchStream(reader, prefix, requestId, host);
    }
  } catch (error) {
    if (host.isClosed) return;
    // Decode and protocol errors close the session; a transport error means the peer reset it.
    if (isDecodeFailure(error)) host.fail(error);
  }
}

function isProtocolError(error: Error): boolean {
  return error instanceof DecodeError || error.name === 'SessionProtocolError';
}

/** Feeds chunks to the parser, calling `onEvent` per event; resolves at FIN, throws on reset. */
async function pump(
  reader: Reader,
  first: Uint8Array,
  parser: InstanceType<typeof Draft18.DataStreamParser>,
  host: DataPlaneHost,
  onEvent: (event: DataStreamEvent) => Promise<boolean> | boolean,
): Promise<'fin' | 'stopped'> {
  let chunk: Uint8Array | undefined = first;
  while (chunk !== undefined) {
    for (const event of parser.push(chunk)) {
      if (!(await onEvent(event)) || host.isClosed) return 'stopped';
    }
    chunk = await readChunk(reader);
    if (host.isClosed) return 'stopped';
  }
  parser.end();
  return 'fin';
}

function toObject(
  groupId: bigint,
  subgroupId: bigint,
  publisherPriority: number,
  object: {
    objectId: bigint;
    status: number;
    properties: readonly { type: bigint; value: bigint | Uint8Array }[];
    payload: Uint8Array;
  },
): MoqtObject {
  return {
    groupId,
    subgroupId,
    objectId: object.objectId,
    publisherPriority,
    status: statusName(object.status),
    properties: object.properties as readonly KeyValuePair[],
    payload: object.payload,
  };
}

async function readSubgroupStream(reader: Reader, prefix: Uint8Array, host: DataPlaneHost): Promise<void> {
  const parser = new Draft18.DataStreamParser();
  let subscription: SubscriptionImpl | undefined;
  let groupId = 0n;
  let priority = 128;
  let endOfGroup = false;
  let last: { subgroupId: bigint; objectId: bigint; status: number } | undefined;
  const cancel = (): void => stopReader(reader, StreamResetCode.CANCELLED);
  try {
    const outcome = await pump(reader, prefix, parser, host, async (event) => {
      if (event.event === 'subgroupHeader') {
        subscription = await host.resolveAlias(event.header.trackAlias);
        if (subscription === undefined || !subscription.streamOpened(cancel)) {
          subscription = undefined;
          cancel();
          return false;
        }
        groupId = event.header.groupId;
        priority = event.header.publisherPriority ?? subscription.defaultPublisherPriority;
        endOfGroup = event.header.endOfGroup;
        return true;
      }
      if (event.event !== 'subgroupObject') return violation('unexpected event on a subgroup stream');
      last = { subgroupId: event.subgroupId, objectId: event.object.objectId, status: event.object.status };
      subscription!.deliver(toObject(groupId, event.subgroupId, priority, event.object));
      return !subscription!.isEnded;
    });
    // END_OF_GROUP header bit + FIN: no object of this group follows the last one received
    // (§Subgroup Header). Say so the way an END_OF_GROUP status object would, so consumers (the
    // relay, which must FIN its own streams for the group) learn it from either form.
    if (outcome === 'fin' && endOfGroup && last !== undefined && last.status === ObjectStatus.NORMAL) {
      if (subscription !== undefined && !subscription.isEnded) {
        subscription.deliver(
          toObject(groupId, last.subgroupId, priority, {
            objectId: last.objectId + 1n,
            status: ObjectStatus.END_OF_GROUP,
            properties: [],
            payload: new Uint8Array(0),
          }),
        );
      }
    }
  } catch (error) {
    // A reset from the publisher only ends this subgroup; decode errors go up and close the session.
    if (isDecodeFailure(error)) throw error;
  } finally {
    subscription?.streamClosed(cancel);
  }
}

function isDecodeFailure(error: unknown): boolean {
  return error instanceof Error && isProtocolError(error);
}

async function readFetchStream(
  reader: Reader,
  prefix: Uint8Array,
  requestId: bigint,
  host: DataPlaneHost,
): Promise<void> {
  const fetch = host.fetchFor(requestId);
  if (fetch === 'drop') {
    stopReader(reader, StreamResetCode.CANCELLED);
    return;
  }
  if (fetch === undefined || !fetch.claimDataStream()) {
    violation(`FETCH_HEADER for request ${requestId}, which is not an open fetch`);
  }
  const groupOrder: GroupOrder = fetch.groupOrder;
  const parser = new Draft18.DataStreamParser({ fetchGroupOrder: groupOrder });
  try {
    const outcome = await pump(reader, prefix, parser, host, async (event) => {
      if (event.event === 'fetchHeader') return true;
      if (event.event !== 'fetchItem') return violation('unexpected event on a fetch stream');
      if (event.item.kind !== 'object') return true; // end-of-range markers carry no object
      const item = event.item;
      fetch.queue.push(
        toObject(item.groupId, item.subgroupId ?? 0n, item.publisherPriority, {
          objectId: item.objectId,
          status: ObjectStatus.NORMAL,
          properties: item.properties,
          payload: item.payload,
        }),
      );
      await fetch.queue.waitForSpace();
      return !fetch.isCancelled;
    });
    if (outcome === 'stopped' && fetch.isCancelled) stopReader(reader, StreamResetCode.CANCELLED);
    fetch.queue.end();
  } catch (error) {
    if (isDecodeFailure(error)) throw error;
    fetch.queue.end(error);
  } finally {
    host.fetchFinished(requestId);
  }
}

/** Decodes one datagram into the object it carries (undefined for padding). */
export function datagramObject(
  bytes: Uint8Array,
  defaultPriority: (alias: bigint) => number,
): { alias: bigint; object: MoqtObject } | undefined {
  const datagram = Draft18.decodeDatagram(bytes);
  if (datagram.kind === 'padding') return undefined;
  const priority = datagram.publisherPriority ?? defaultPriority(datagram.trackAlias);
  const object = toObject(datagram.groupId, 0n, priority, {
    objectId: datagram.objectId,
    status: datagram.kind === 'status' ? datagram.status : ObjectStatus.NORMAL,
    properties: datagram.properties,
    payload: datagram.kind === 'object' ? datagram.payload : new Uint8Array(0),
  });
  return { alias: datagram.trackAlias, object };
}
