// The one error type every binary decoder throws, so callers can map malformed input to a
// protocol error (e.g. a MoQT PROTOCOL_VIOLATION) without string matching.

export type DecodeErrorCode = 'truncated' | 'overflow' | 'invalid';

export class DecodeError extends Error {
  override readonly name: string = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}
