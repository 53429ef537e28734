// MoQT draft-18 error code registries (§13 IANA "Error Codes"): the codes a session closes with,
// the REQUEST_ERROR / PUBLISH_DONE codes and the stream reset codes. Kept apart from the codec so
// session code can import the numbers without pulling in the wire format.

/** Session Termination Error Codes (CONNECTION_CLOSE / CLOSE_WEBTRANSPORT_SESSION). */
export const SessionErrorCode = {
  NO_ERROR: 0x0,
  INTERNAL_ERROR: 0x1,
  UNAUTHORIZED: 0x2,
  PROTOCOL_VIOLATION: 0x3,
  INVALID_REQUEST_ID: 0x4,
  DUPLICATE_TRACK_ALIAS: 0x5,
  KEY_VALUE_FORMATTING_ERROR: 0x6,
  INVALID_PATH: 0x8,
  MALFORMED_PATH: 0x9,
  GOAWAY_TIMEOUT: 0x10,
  CONTROL_MESSAGE_TIMEOUT: 0x11,
  DATA_STREAM_TIMEOUT: 0x12,
  AUTH_TOKEN_CACHE_OVERFLOW: 0x13,
  DUPLICATE_AUTH_TOKEN_ALIAS: 0x14,
  VERSION_NEGOTIATION_FAILED: 0x15,
  MALFORMED_AUTH_TOKEN: 0x16,
  UNKNOWN_AUTH_TOKEN_ALIAS: 0x17,
  EXPIRED_AUTH_TOKEN: 0x18,
  INVALID_AUTHORITY: 0x19,
  MALFORMED_AUTHORITY: 0x1a,
} as const;
export type SessionErrorCode = (typeof SessionErrorCode)[keyof typeof SessionErrorCode];

/** REQUEST_ERROR codes. On the wire these are vi64 values; unknown ones mean INTERNAL_ERROR. */
export const RequestErrorCode = {
  INTERNAL_ERROR: 0x0n,
  UNAUTHORIZED: 0x1n,
  TIMEOUT: 0x2n,
  NOT_SUPPORTED: 0x3n,
  MALFORMED_AUTH_TOKEN: 0x4n,
  EXPIRED_AUTH_TOKEN: 0x5n,
  GOING_AWAY: 0x6n,
  EXCESSIVE_LOAD: 0x9n,
  DOES_NOT_EXIST: 0x10n,
  INVALID_RANGE: 0x11n,
  MALFORMED_TRACK: 0x12n,
  DUPLICATE_SUBSCRIPTION: 0x19n,
  UNINTERESTED: 0x20n,
  PREFIX_OVERLAP: 0x30n,
  NAMESPACE_TOO_LARGE: 0x31n,
  INVALID_JOINING_REQUEST_ID: 0x32n,
  UNSUPPORTED_EXTENSION: 0x33n,
  REDIRECT: 0x34n,
} as const;

/** PUBLISH_DONE status codes. */
export const PublishDoneCode = {
  INTERNAL_ERROR: 0x0n,
  UNAUTHORIZED: 0x1n,
  TRACK_ENDED: 0x2n,
  SUBSCRIPTION_ENDED: 0x3n,
  GOING_AWAY: 0x4n,
  TOO_FAR_BEHIND: 0x5n,
  EXPIRED: 0x6n,
  UPDATE_FAILED: 0x8n,
  EXCESSIVE_LOAD: 0x9n,
  MALFORMED_TRACK: 0x12n,
} as const;

/** RESET_STREAM / STOP_SENDING application error codes. */
export const StreamResetCode = {
  INTERNAL_ERROR: 0x0,
  CANCELLED: 0x1,
  DELIVERY_TIMEOUT: 0x2,
  SESSION_CLOSED: 0x3,
  GOING_AWAY: 0x4,
  TOO_FAR_BEHIND: 0x5,
  UNKNOWN_OBJECT_STATUS: 0x6,
  EXPIRED_AUTH_TOKEN: 0x7,
  EXCESSIVE_LOAD: 0x9,
  MALFORMED_TRACK: 0x12,
} as const;

/** Grease code points (§Grease): 0x7f * N + 0x9D. Peers must treat them like any unknown value. */
export function isGrease(value: bigint): boolean {
  return value >= 0x9dn && (value - 0x9dn) % 0x7fn === 0n;
}
