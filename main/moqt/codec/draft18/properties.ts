// Typed accessors for draft-18 Track and Object Properties (§MOQT Properties). The wire lists
// stay raw KeyValuePairs because relays must forward unknown properties untouched; these helpers
// read the known ones, searching Immutable Properties too as the draft requires.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import { MoqtDecodeError, protocolViolation } from '../errors.js';
import { SessionErrorCode } from '../error-codes.js';
import { PropertyType } from './constants.js';
import { encodeKeyValuePairs, readKeyValuePairs } from './key-value.js';
import type { KeyValuePair } from './key-value.js';
import type { GroupOrder } from './parameters.js';

export interface TrackProperties {
  readonly objectDeliveryTimeout?: bigint;
  readonly maxCacheDuration?: bigint;
  readonly subgroupDeliveryTimeout?: bigint;
  /** Defaults to 128 when absent. */
  readonly defaultPublisherPriority?: number;
  /** Defaults to ascending when absent. */
  readonly defaultPublisherGroupOrder?: GroupOrder;
  readonly dynamicGroups?: boolean;
}

export interface ObjectProperties {
  readonly priorGroupIdGap?: bigint;
  readonly priorObjectIdGap?: bigint;
}

/** Mandatory Track Properties (0x4000-0x7FFF) must be understood or the track refused. */
export function isMandatoryTrackProperty(type: bigint): boolean {
  return type >= 0x4000n && type <= 0x7fffn;
}

/** Application-specific ranges that MOQT will never allocate. */
export function isApplicationProperty(type: bigint): boolean {
  return (type >= 0x38n && type <= 0x3fn) || (type >= 0x3800n && type <= 0x3fffn);
}

/** Parses the contents of an IMMUTABLE_PROPERTIES value; nesting another one is malformed. */
export function decodeImmutableProperties(value: Uint8Array): KeyValuePair[] {
  let inner: KeyValuePair[];
  try {
    inner = readKeyValuePairs(new ByteReader(value));
  } catch (error) {
    if (error instanceof MoqtDecodeError) {
      throw new MoqtDecodeError(SessionErrorCode.KEY_VALUE_FORMATTING_ERROR, 'malformed', error.message);
    }
    throw error;
  }
  if (inner.some((pair) => pair.type === PropertyType.IMMUTABLE_PROPERTIES)) {
    throw new MoqtDecodeError(
      SessionErrorCode.KEY_VALUE_FORMATTING_ERROR,
      'malformed',
      'Immutable Properties must not contain Immutable Properties',
    );
  }
  return inner;
}

export function immutablePropertiesPair(inner: readonly KeyValuePair[]): KeyValuePair {
  if (inner.some((pair) => pair.type === PropertyType.IMMUTABLE_PROPERTIES)) {
    throw new RangeError('Immutable Properties must not nest');
  }
  return { type: PropertyType.IMMUTABLE_PROPERTIES, value: encodeKeyValuePairs(inner) };
}

/** The mutable list followed by the contents of its (single) Immutable Properties entry. */
export function flattenProperties(pairs: readonly KeyValuePair[]): KeyValuePair[] {
  const out: KeyValuePair[] = [];
  let immutableSeen = false;
  for (const pair of pairs) {
    if (pair.type !== PropertyType.IMMUTABLE_PROPERTIES) {
      out.push(pair);
      continue;
    }
    if (immutableSeen) protocolViolation('more than one Immutable Properties entry');
    immutableSeen = true;
    out.push(...decodeImmutableProperties(pair.value as Uint8Array));
  }
  return out;
}

function single(pairs: readonly KeyValuePair[], type: bigint): bigint | undefined {
  let found: bigint | undefined;
  for (const pair of pairs) {
    if (pair.type !== type) continue;
    if (found !== undefined) protocolViolation(`property 0x${type.toString(16)} appears more than once`);
    found = pair.value as bigint;
  }
  return found;
}

export function readTrackProperties(pairs: readonly KeyValuePair[]): TrackProperties {
  const all = flattenProperties(pairs);
  const out: {
    -readonly [K in keyof TrackProperties]: TrackProperties[K];
  } = {};
  const odt = single(all, PropertyType.OBJECT_DELIVERY_TIMEOUT);
  if (odt !== undefined) out.objectDeliveryTimeout = odt;
  const mcd = single(all, PropertyType.MAX_CACHE_DURATION);
  if (mcd !== undefined) out.maxCacheDuration = mcd;
  const sdt = single(all, PropertyType.SUBGROUP_DELIVERY_TIMEOUT);
  if (sdt !== undefined) out.subgroupDeliveryTimeout = sdt;
  const priority = single(all, PropertyType.DEFAULT_PUBLISHER_PRIORITY);
  if (priority !== undefined) {
    if (priority > 255n)
      protocolViolation(`DEFAULT_PUBLISHER_PRIORITY ${priority} exceeds 255`, 'invalid-value');
    out.defaultPublisherPriority = Number(priority);
  }
  const order = single(all, PropertyType.DEFAULT_PUBLISHER_GROUP_ORDER);
  if (order !== undefined) {
    if (order !== 1n && order !== 2n)
      protocolViolation(`DEFAULT_PUBLISHER_GROUP_ORDER ${order}`, 'invalid-value');
    out.defaultPublisherGroupOrder = order === 1n ? 'ascending' : 'descending';
  }
  const dynamic = single(all, PropertyType.DYNAMIC_GROUPS);
  if (dynamic !== undefined) {
    if (dynamic > 1n) protocolViolation(`DYNAMIC_GROUPS must be 0 or 1, got ${dynamic}`, 'invalid-value');
    out.dynamicGroups = dynamic === 1n;
  }
  return out;
}

export function writeTrackProperties(props: TrackProperties): KeyValuePair[] {
  const pairs: KeyValuePair[] = [];
  if (props.objectDeliveryTimeout !== undefined) {
    pairs.push({ type: PropertyType.OBJECT_DELIVERY_TIMEOUT, value: props.objectDeliveryTimeout });
  }
  if (props.maxCacheDuration !== undefined) {
    pairs.push({ type: PropertyType.MAX_CACHE_DURATION, value: props.maxCacheDuration });
  }
  if (props.subgroupDeliveryTimeout !== undefined) {
    pairs.push({ type: PropertyType.SUBGROUP_DELIVERY_TIMEOUT, value: props.subgroupDeliveryTimeout });
  }
  if (props.defaultPublisherPriority !== undefined) {
    const p = props.defaultPublisherPriority;
    if (!Number.isInteger(p) || p < 0 || p > 255)
      throw new RangeError('DEFAULT_PUBLISHER_PRIORITY must be 0..255');
    pairs.push({ type: PropertyType.DEFAULT_PUBLISHER_PRIORITY, value: BigInt(p) });
  }
  if (props.defaultPublisherGroupOrder !== undefined) {
    const value = props.defaultPublisherGroupOrder === 'ascending' ? 1n : 2n;
    pairs.push({ type: PropertyType.DEFAULT_PUBLISHER_GROUP_ORDER, value });
  }
  if (props.dynamicGroups !== undefined) {
    pairs.push({ type: PropertyType.DYNAMIC_GROUPS, value: props.dynamicGroups ? 1n : 0n });
  }
  return pairs;
}

/**
 * Object-scope properties. Per §Prior Group ID Gap a duplicate makes the *track* malformed, which
 * callers handle (relays reset with MALFORMED_TRACK); here it surfaces as PROTOCOL_VIOLATION.
 */
export function readObjectProperties(pairs: readonly KeyValuePair[]): ObjectProperties {
  const all = flattenProperties(pairs);
  const out: { priorGroupIdGap?: bigint; priorObjectIdGap?: bigint } = {};
  const groupGap = single(all, PropertyType.PRIOR_GROUP_ID_GAP);
  if (groupGap !== undefined) out.priorGroupIdGap = groupGap;
  const objectGap = single(all, PropertyType.PRIOR_OBJECT_ID_GAP);
  if (objectGap !== undefined) out.priorObjectIdGap = objectGap;
  return out;
}

export function writeObjectProperties(props: ObjectProperties): KeyValuePair[] {
  const pairs: KeyValuePair[] = [];
  if (props.priorGroupIdGap !== undefined)
    pairs.push({ type: PropertyType.PRIOR_GROUP_ID_GAP, value: props.priorGroupIdGap });
  if (props.priorObjectIdGap !== undefined) {
    pairs.push({ type: PropertyType.PRIOR_OBJECT_ID_GAP, value: props.priorObjectIdGap });
  }
  return pairs;
}
