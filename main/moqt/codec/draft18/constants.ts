// Draft-18 code points: control message types, stream/datagram types, Message Parameter, Setup
// Option and Property types. One table per registry so a later draft can diff against it.

export const DRAFT18_ALPN = 'moqt-18';

export const MessageType = {
  SETUP: 0x2f00,
  GOAWAY: 0x10,
  SUBSCRIBE: 0x3,
  SUBSCRIBE_OK: 0x4,
  PUBLISH: 0x1d,
  /** Registered alias of REQUEST_OK (same body) used in answer to PUBLISH. */
  PUBLISH_OK: 0x1e,
  PUBLISH_DONE: 0xb,
  FETCH: 0x16,
  FETCH_OK: 0x18,
  TRACK_STATUS: 0xd,
  PUBLISH_NAMESPACE: 0x6,
  SUBSCRIBE_NAMESPACE: 0x50,
  SUBSCRIBE_TRACKS: 0x51,
  NAMESPACE: 0x8,
  NAMESPACE_DONE: 0xe,
  PUBLISH_BLOCKED: 0xf,
  REQUEST_UPDATE: 0x2,
  REQUEST_OK: 0x7,
  REQUEST_ERROR: 0x5,
} as const;

/** Message types that must open a new bidirectional request stream (§Session initialization). */
export const REQUEST_STREAM_FIRST_TYPES: ReadonlySet<number> = new Set([
  MessageType.SUBSCRIBE,
  MessageType.PUBLISH,
  MessageType.FETCH,
  MessageType.TRACK_STATUS,
  MessageType.PUBLISH_NAMESPACE,
  MessageType.SUBSCRIBE_NAMESPACE,
  MessageType.SUBSCRIBE_TRACKS,
]);

/** Unidirectional stream types (§Unidirectional Stream Types); subgroup types are a bit pattern. */
export const StreamType = {
  FETCH_HEADER: 0x05,
  SETUP: 0x2f00,
  PADDING: 0x132b3e28,
} as const;

export const PADDING_DATAGRAM_TYPE = 0x132b3e29;

export const ParameterType = {
  OBJECT_DELIVERY_TIMEOUT: 0x02,
  AUTHORIZATION_TOKEN: 0x03,
  RENDEZVOUS_TIMEOUT: 0x04,
  SUBGROUP_DELIVERY_TIMEOUT: 0x06,
  EXPIRES: 0x08,
  LARGEST_OBJECT: 0x09,
  FILL_TIMEOUT: 0x0a,
  FORWARD: 0x10,
  SUBSCRIBER_PRIORITY: 0x20,
  SUBSCRIPTION_FILTER: 0x21,
  GROUP_ORDER: 0x22,
  NEW_GROUP_REQUEST: 0x32,
  TRACK_NAMESPACE_PREFIX: 0x34,
} as const;

export const SetupOptionType = {
  PATH: 0x01n,
  AUTHORIZATION_TOKEN: 0x03n,
  MAX_AUTH_TOKEN_CACHE_SIZE: 0x04n,
  AUTHORITY: 0x05n,
  MOQT_IMPLEMENTATION: 0x07n,
} as const;

export const PropertyType = {
  OBJECT_DELIVERY_TIMEOUT: 0x02n,
  MAX_CACHE_DURATION: 0x04n,
  SUBGROUP_DELIVERY_TIMEOUT: 0x06n,
  IMMUTABLE_PROPERTIES: 0x0bn,
  DEFAULT_PUBLISHER_PRIORITY: 0x0en,
  DEFAULT_PUBLISHER_GROUP_ORDER: 0x22n,
  DYNAMIC_GROUPS: 0x30n,
  PRIOR_GROUP_ID_GAP: 0x3cn,
  PRIOR_OBJECT_ID_GAP: 0x3en,
} as const;

/** Provisional draft-ietf-moq-loc registrations sharing the Property space (Object scope). */
export const LocPropertyType = {
  TIMESTAMP: 0x06n,
  TIMESCALE: 0x08n,
  VIDEO_FRAME_MARKING: 0x0an,
  AUDIO_LEVEL: 0x0cn,
  VIDEO_CONFIG: 0x0dn,
} as const;

/** Object Status values (§Object Status); anything else is a PROTOCOL_VIOLATION. */
export const ObjectStatus = {
  NORMAL: 0x0,
  END_OF_GROUP: 0x3,
  END_OF_TRACK: 0x4,
} as const;
export type ObjectStatus = (typeof ObjectStatus)[keyof typeof ObjectStatus];

export const MAX_REASON_PHRASE_LENGTH = 1024;
export const MAX_GOAWAY_URI_LENGTH = 8192;
export const MAX_KEY_VALUE_LENGTH = 0xffff;
export const MAX_CONTROL_MESSAGE_LENGTH = 0xffff;
export const MAX_U64 = (1n << 64n) - 1n;
