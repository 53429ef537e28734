// Draft-18 Message Parameters (§Message Parameters): a count, then (Type Delta, Value) pairs whose
// value encoding depends on the type. Every parameter must be known and allowed in the message it
// appears in, otherwise the session closes with PROTOCOL_VIOLATION.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import { ByteWriter } from '../../../../common/codec/byte-writer.js';
import { asProtocolError, keyValueFormattingError, protocolViolation } from '../errors.js';
import { SessionErrorCode } from '../error-codes.js';
import { decodeAuthToken, encodeAuthToken } from './auth-token.js';
import type { AuthToken } from './auth-token.js';
import { MAX_U64, ParameterType } from './constants.js';
import { readLocation, readNamespace, writeLocation, writeNamespace } from './primitives.js';
import type { Location, TrackNamespace } from './primitives.js';

export type SubscriptionFilter =
  | { readonly type: 'next-group-start' }
  | { readonly type: 'largest-object' }
  | { readonly type: 'absolute-start'; readonly start: Location }
  | { readonly type: 'absolute-range'; readonly start: Location; readonly endGroupDelta: bigint };

export type GroupOrder = 'ascending' | 'descending';

/** Typed view of every draft-18 Message Parameter; absent keys were not on the wire. */
export interface MessageParameters {
  readonly objectDeliveryTimeout?: bigint;
  /** The only parameter the draft allows to repeat. */
  readonly authorizationTokens?: readonly AuthToken[];
  readonly rendezvousTimeout?: bigint;
  readonly subgroupDeliveryTimeout?: bigint;
  readonly expires?: bigint;
  readonly largestObject?: Location;
  readonly fillTimeout?: bigint;
  readonly forward?: boolean;
  readonly subscriberPriority?: number;
  readonly subscriptionFilter?: SubscriptionFilter;
  readonly groupOrder?: GroupOrder;
  readonly newGroupRequest?: bigint;
  readonly trackNamespacePrefix?: TrackNamespace;
}

/** Message kinds that carry parameters; used as the key of the scope table below. */
export type ParameterScope =
  | 'subscribe'
  | 'subscribeOk'
  | 'publish'
  | 'publishOk'
  | 'requestOk'
  | 'requestUpdate'
  | 'fetch'
  | 'fetchOk'
  | 'trackStatus'
  | 'publishNamespace'
  | 'subscribeNamespace'
  | 'subscribeTracks';

const P = ParameterType;
const SUBSCRIBE_PARAMS = [
  P.OBJECT_DELIVERY_TIMEOUT,
  P.AUTHORIZATION_TOKEN,
  P.RENDEZVOUS_TIMEOUT,
  P.SUBGROUP_DELIVERY_TIMEOUT,
  P.FORWARD,
  P.SUBSCRIBER_PRIORITY,
  P.SUBSCRIPTION_FILTER,
  P.GROUP_ORDER,
  P.NEW_GROUP_REQUEST,
];
const PUBLISH_OK_PARAMS = [
  P.OBJECT_DELIVERY_TIMEOUT,
  P.SUBGROUP_DELIVERY_TIMEOUT,
  P.EXPIRES,
  P.FORWARD,
  P.SUBSCRIBER_PRIORITY,
  P.SUBSCRIPTION_FILTER,
  P.GROUP_ORDER,
  P.NEW_GROUP_REQUEST,
];

/**
 * Where each parameter may appear, from the "MAY appear in" sentence of its definition.
 * REQUEST_OK (0x7) answers several request types, so it accepts the union of PUBLISH_OK,
 * REQUEST_UPDATE_OK and TRACK_STATUS_OK; the session layer knows which one it is.
 * TRACK_STATUS "is identical to SUBSCRIBE", so it accepts SUBSCRIBE's set (being lenient: the
 * draft only tells senders to leave delivery-related parameters out).
 */
const SCOPES: Record<ParameterScope, ReadonlySet<number>> = {
  subscribe: new Set(SUBSCRIBE_PARAMS),
  trackStatus: new Set(SUBSCRIBE_PARAMS),
  subscribeOk: new Set([P.EXPIRES, P.LARGEST_OBJECT]),
  publish: new Set([P.AUTHORIZATION_TOKEN, P.EXPIRES, P.LARGEST_OBJECT, P.FORWARD]),
  publishOk: new Set(PUBLISH_OK_PARAMS),
  requestOk: new Set([...PUBLISH_OK_PARAMS, P.LARGEST_OBJECT]),
  requestUpdate: new Set([
    P.OBJECT_DELIVERY_TIMEOUT,
    P.AUTHORIZATION_TOKEN,
    P.SUBGROUP_DELIVERY_TIMEOUT,
    P.FORWARD,
    P.SUBSCRIBER_PRIORITY,
    P.SUBSCRIPTION_FILTER,
    P.NEW_GROUP_REQUEST,
    P.TRACK_NAMESPACE_PREFIX,
  ]),
  fetch: new Set([P.AUTHORIZATION_TOKEN, P.FILL_TIMEOUT, P.SUBSCRIBER_PRIORITY, P.GROUP_ORDER]),
  fetchOk: new Set<number>(),
  publishNamespace: new Set([P.AUTHORIZATION_TOKEN]),
  subscribeNamespace: new Set([P.AUTHORIZATION_TOKEN]),
  subscribeTracks: new Set([P.AUTHORIZATION_TOKEN, P.FORWARD]),
};

export function isParameterAllowed(scope: ParameterScope, type: number): boolean {
  return SCOPES[scope].has(type);
}

const FilterType = { NEXT_GROUP_START: 1, LARGEST_OBJECT: 2, ABSOLUTE_START: 3, ABSOLUTE_RANGE: 4 } as const;

export function decodeSubscriptionFilter(bytes: Uint8Array): SubscriptionFilter {
  const reader = new ByteReader(bytes);
  const filter = asProtocolError(() => {
    const type = reader.varintBig();
    switch (type) {
      case 1n:
        return { type: 'next-group-start' } as const;
      case 2n:
        return { type: 'largest-object' } as const;
      case 3n:
        return { type: 'absolute-start', start: readLocation(reader) } as const;
      case 4n: {
        const start = readLocation(reader);
        const endGroupDelta = reader.varintBig();
        if (start.group + endGroupDelta > MAX_U64) protocolViolation('filter end group overflows 2^64-1');
        return { type: 'absolute-range', start, endGroupDelta } as const;
      }
      default:
        return protocolViolation(`unknown subscription filter type ${type}`, 'unknown-type');
    }
  }, SessionErrorCode.KEY_VALUE_FORMATTING_ERROR);
  if (reader.remaining !== 0) keyValueFormattingError('trailing bytes in the subscription filter');
  return filter;
}

export function encodeSubscriptionFilter(filter: SubscriptionFilter): Uint8Array {
  const writer = new ByteWriter(24);
  switch (filter.type) {
    case 'next-group-start':
      writer.varint(FilterType.NEXT_GROUP_START);
      break;
    case 'largest-object':
      writer.varint(FilterType.LARGEST_OBJECT);
      break;
    case 'absolute-start':
      writer.varint(FilterType.ABSOLUTE_START);
      writeLocation(writer, filter.start);
      break;
    case 'absolute-range':
      writer.varint(FilterType.ABSOLUTE_RANGE);
      writeLocation(writer, filter.start);
      writer.varint(filter.endGroupDelta);
      break;
  }
  return writer.finish();
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function readParameters(reader: ByteReader, scope: ParameterScope): MessageParameters {
  const params: Mutable<MessageParameters> = {};
  const count = reader.varint();
  let type = 0n;
  let seenAny = false;
  for (let i = 0; i < count; i++) {
    const delta = reader.varintBig();
    if (seenAny && delta === 0n && type !== BigInt(P.AUTHORIZATION_TOKEN)) {
      protocolViolation(`duplicate message parameter 0x${type.toString(16)}`);
    }
    type += delta;
    seenAny = true;
    if (type > MAX_U64) protocolViolation('message parameter type overflows 2^64-1');
    // Every known type is small; anything ≥ 2^31 is unknown by construction.
    const known = type < 0x80000000n ? Number(type) : -1;
    if (!isParameterAllowed(scope, known)) {
      const isKnown = Object.values(P).includes(known as never);
      protocolViolation(
        isKnown
          ? `message parameter 0x${type.toString(16)} is not allowed in ${scope}`
          : `unknown message parameter 0x${type.toString(16)}`,
        isKnown ? 'malformed' : 'unknown-type',
      );
    }
    switch (known) {
      case P.OBJECT_DELIVERY_TIMEOUT:
        params.objectDeliveryTimeout = reader.varintBig();
        break;
      case P.AUTHORIZATION_TOKEN: {
        const token = decodeAuthToken(reader.lengthPrefixed(reader.remaining));
        params.authorizationTokens = [...(params.authorizationTokens ?? []), token];
        break;
      }
      case P.RENDEZVOUS_TIMEOUT:
        params.rendezvousTimeout = reader.varintBig();
        break;
      case P.SUBGROUP_DELIVERY_TIMEOUT:
        params.subgroupDeliveryTimeout = reader.varintBig();
        break;
      case P.EXPIRES:
        params.expires = reader.varintBig();
        break;
      case P.LARGEST_OBJECT:
        params.largestObject = readLocation(reader);
        break;
      case P.FILL_TIMEOUT:
        params.fillTimeout = reader.varintBig();
        break;
      case P.FORWARD: {
        const value = reader.u8();
        if (value > 1) protocolViolation(`FORWARD must be 0 or 1, got ${value}`, 'invalid-value');
        params.forward = value === 1;
        break;
      }
      case P.SUBSCRIBER_PRIORITY:
        params.subscriberPriority = reader.u8();
        break;
      case P.SUBSCRIPTION_FILTER:
        params.subscriptionFilter = decodeSubscriptionFilter(reader.lengthPrefixed(reader.remaining));
        break;
      case P.GROUP_ORDER: {
        const value = reader.u8();
        if (value !== 1 && value !== 2)
          protocolViolation(`GROUP_ORDER must be 1 or 2, got ${value}`, 'invalid-value');
        params.groupOrder = value === 1 ? 'ascending' : 'descending';
        break;
      }
      case P.NEW_GROUP_REQUEST:
        params.newGroupRequest = reader.varintBig();
        break;
      case P.TRACK_NAMESPACE_PREFIX:
        params.trackNamespacePrefix = readNamespace(reader);
        break;
    }
  }
  return params;
}

function checkScope(scope: ParameterScope, type: number, present: unknown): boolean {
  if (present === undefined) return false;
  if (!isParameterAllowed(scope, type)) {
    throw new RangeError(`message parameter 0x${type.toString(16)} is not allowed in ${scope}`);
  }
  return true;
}

function checkUint8(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new RangeError(`${what} must be 0..255`);
  return value;
}

/** Writes the count and the parameters in ascending type order, as the draft requires. */
export function writeParameters(writer: ByteWriter, scope: ParameterScope, params: MessageParameters): void {
  const entries: [type: number, write: (w: ByteWriter) => void][] = [];
  const add = (type: number, value: unknown, write: (w: ByteWriter) => void): void => {
    if (checkScope(scope, type, value)) entries.push([type, write]);
  };
  add(P.OBJECT_DELIVERY_TIMEOUT, params.objectDeliveryTimeout, (w) =>
    w.varint(params.objectDeliveryTimeout!),
  );
  if (params.authorizationTokens !== undefined && params.authorizationTokens.length > 0) {
    for (const token of params.authorizationTokens) {
      add(P.AUTHORIZATION_TOKEN, token, (w) => w.lengthPrefixed(encodeAuthToken(token)));
    }
  }
  add(P.RENDEZVOUS_TIMEOUT, params.rendezvousTimeout, (w) => w.varint(params.rendezvousTimeout!));
  add(P.SUBGROUP_DELIVERY_TIMEOUT, params.subgroupDeliveryTimeout, (w) =>
    w.varint(params.subgroupDeliveryTimeout!),
  );
  add(P.EXPIRES, params.expires, (w) => w.varint(params.expires!));
  add(P.LARGEST_OBJECT, params.largestObject, (w) => writeLocation(w, params.largestObject!));
  add(P.FILL_TIMEOUT, params.fillTimeout, (w) => w.varint(params.fillTimeout!));
  add(P.FORWARD, params.forward, (w) => w.u8(params.forward ? 1 : 0));
  add(P.SUBSCRIBER_PRIORITY, params.subscriberPriority, (w) =>
    w.u8(checkUint8(params.subscriberPriority!, 'SUBSCRIBER_PRIORITY')),
  );
  add(P.SUBSCRIPTION_FILTER, params.subscriptionFilter, (w) =>
    w.lengthPrefixed(encodeSubscriptionFilter(params.subscriptionFilter!)),
  );
  add(P.GROUP_ORDER, params.groupOrder, (w) => w.u8(params.groupOrder === 'descending' ? 2 : 1));
  add(P.NEW_GROUP_REQUEST, params.newGroupRequest, (w) => w.varint(params.newGroupRequest!));
  add(P.TRACK_NAMESPACE_PREFIX, params.trackNamespacePrefix, (w) =>
    writeNamespace(w, params.trackNamespacePrefix!),
  );

  // `add` calls above are already in ascending type order; the sort documents and enforces it.
  entries.sort((a, b) => a[0] - b[0]);
  writer.varint(entries.length);
  let previous = 0;
  for (const [type, write] of entries) {
    writer.varint(type - previous);
    previous = type;
    write(writer);
  }
}
