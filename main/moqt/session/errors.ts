// Errors the session layer raises: protocol violations it detects itself (beyond the codec's
// MoqtDecodeError), stream resets with their application code, and the "session is gone" error.
import { SessionErrorCode } from '../codec/error-codes.js';

/** A rule broken by the peer; `code` is the session error code to close with. */
export class SessionProtocolError extends Error {
  override readonly name = 'SessionProtocolError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function violation(message: string, code: number = SessionErrorCode.PROTOCOL_VIOLATION): never {
  throw new SessionProtocolError(code, message);
}

/** Thrown to callers whose request or operation outlived the session. */
export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`MoQT session closed (code ${code})${reason ? `: ${reason}` : ''}`);
  }
}

/**
 * The reason we hand to `writable.abort()` (RESET_STREAM) and `readable.cancel()` (STOP_SENDING).
 * It carries the code both as `code` (our QUIC adapter) and `streamErrorCode` (W3C WebTransport).
 */
export class StreamResetError extends Error {
  override readonly name = 'StreamResetError';
  constructor(
    readonly code: number,
    readonly kind: 'reset' | 'stop-sending' = 'reset',
  ) {
    super(`stream ${kind === 'reset' ? 'reset' : 'stopped'} with code ${code}`);
  }

  get streamErrorCode(): number {
    return this.code;
  }
}

/** The application code of a stream error from any transport, when it carries one. */
export function streamErrorCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { streamErrorCode?: unknown; code?: unknown };
  if (typeof candidate.streamErrorCode === 'number') return candidate.streamErrorCode;
  if (typeof candidate.code === 'number') return candidate.code;
  return undefined;
}
