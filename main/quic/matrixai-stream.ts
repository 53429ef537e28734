// Wraps @matrixai/quic's QUICStream into the transport's stream objects. Its readable/writable
// are already web streams with backpressure (high-water mark 1, buffering inside quiche), so they
// are handed out as they are; only reset/stop/priority need the internals.
import type { QUICStream, StreamCodeToReason, StreamReasonToCode } from '@matrixai/quic';
import {
  abortStreamWrite,
  cancelStreamRead,
  connectionOfStream,
  setStreamPriority,
} from './matrixai-internals.js';
import { StreamAbortError } from './transport.js';
import type { BidiStream, ReceiveStream, SendStream } from './transport.js';

/** QUIC application error codes are varints: 0 .. 2^62-1 (safe integers cover what JS can send). */
function checkCode(code: number): void {
  if (!Number.isSafeInteger(code) || code < 0) {
    throw new RangeError(`stream error code must be a non-negative integer, got ${code}`);
  }
}

/**
 * Library hook: which code goes on the wire for `abort(reason)` / `cancel(reason)`. Any reason
 * carrying a numeric `code` (StreamAbortError, or a WebTransportError-like object) keeps it;
 * everything else, including the library's own connection-closing errors, sends 0.
 */
export const reasonToCode: StreamReasonToCode = (_type, reason) => {
  const code: unknown = (reason as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' && Number.isSafeInteger(code) && code >= 0 ? code : 0;
};

/** Library hook: what a read ('read': peer RESET_STREAM) or write ('write': STOP_SENDING) rejects with. */
export const codeToReason: StreamCodeToReason = (type, code) =>
  new StreamAbortError(code, type === 'read' ? 'reset' : 'stop-sending');

function sendSide(stream: QUICStream): Omit<SendStream, 'id'> {
  return {
    writable: stream.writable as unknown as WritableStream<Uint8Array>,
    setPriority(urgency, incremental = true) {
      if (!Number.isInteger(urgency) || urgency < 0 || urgency > 7) {
        throw new RangeError(`stream urgency must be an integer 0-7, got ${urgency}`);
      }
      const connection = connectionOfStream(stream);
      setStreamPriority(connection, stream.streamId, urgency, incremental);
    },
    reset(code) {
      checkCode(code);
      if (stream.writeClosed) return;
      try {
        abortStreamWrite(stream, new StreamAbortError(code, 'reset'));
      } catch {
        // The connection is already gone: there is nobody left to reset the stream for.
      }
    },
  };
}

function receiveSide(stream: QUICStream): Omit<ReceiveStream, 'id'> {
  return {
    readable: stream.readable as unknown as ReadableStream<Uint8Array>,
    stopSending(code) {
      checkCode(code);
      if (stream.readClosed) return;
      try {
        cancelStreamRead(stream, new StreamAbortError(code, 'stop-sending'));
      } catch {
        // As for reset: a closed connection has no peer to tell.
      }
    },
  };
}

export const wrapBidi = (stream: QUICStream): BidiStream => ({
  id: stream.streamId,
  ...sendSide(stream),
  ...receiveSide(stream),
});

export const wrapSend = (stream: QUICStream): SendStream => ({ id: stream.streamId, ...sendSide(stream) });

export const wrapReceive = (stream: QUICStream): ReceiveStream => ({
  id: stream.streamId,
  ...receiveSide(stream),
});

/** Refuses a stream nobody will read (queue ended): STOP_SENDING/RESET with code 0. */
export function refuseStream(stream: QUICStream): void {
  try {
    stream.cancel(new StreamAbortError(0));
  } catch {
    // Already closed.
  }
}
