// The one error every MoQT decoder throws. It carries the draft's session error code so the
// session layer can close the connection with the right code without inspecting messages.
import { DecodeError } from '../../../common/codec/errors.js';
import type { DecodeErrorCode } from '../../../common/codec/errors.js';
import { SessionErrorCode } from './error-codes.js';

/** Why decoding failed, for logs and tests; `sessionError` is what goes on the wire. */
export type MoqtErrorKind = 'truncated' | 'malformed' | 'unknown-type' | 'limit' | 'invalid-value';

export class MoqtDecodeError extends DecodeError {
  constructor(
    readonly sessionError: SessionErrorCode,
    readonly kind: MoqtErrorKind,
    message: string,
    code: DecodeErrorCode = kind === 'truncated' ? 'truncated' : 'invalid',
  ) {
    super(code, message);
  }

  override readonly name: string = 'MoqtDecodeError';
}

export function protocolViolation(message: string, kind: MoqtErrorKind = 'malformed'): never {
  throw new MoqtDecodeError(SessionErrorCode.PROTOCOL_VIOLATION, kind, message);
}

export function keyValueFormattingError(message: string): never {
  throw new MoqtDecodeError(SessionErrorCode.KEY_VALUE_FORMATTING_ERROR, 'malformed', message);
}

/**
 * Runs a decoder and converts the generic DecodeErrors thrown by common/codec (truncation inside
 * a length-bounded structure, varint overflow, namespace limits) into PROTOCOL_VIOLATION, which is
 * what the draft requires for all of them. Other errors are bugs and propagate unchanged.
 */
export function asProtocolError<T>(decode: () => T, sessionError: SessionErrorCode = 0x3): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof MoqtDecodeError) throw error;
    if (error instanceof DecodeError) {
      const kind: MoqtErrorKind = error.code === 'truncated' ? 'truncated' : 'malformed';
      throw new MoqtDecodeError(sessionError, kind, error.message, error.code);
    }
    throw error;
  }
}
