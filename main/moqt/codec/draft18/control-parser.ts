// Incremental parser for a draft-18 control or request stream: QUIC delivers bytes in arbitrary
// chunks, so this buffers until a whole `Type | Length | Payload` frame is present and then yields
// the decoded message. Buffering is bounded by the largest Length it accepts.
import { SessionErrorCode } from '../error-codes.js';
import { MoqtDecodeError, protocolViolation } from '../errors.js';
import { ChunkBuffer } from '../chunk-buffer.js';
import { MAX_CONTROL_MESSAGE_LENGTH } from './constants.js';
import { decodeControlPayload, isKnownMessageType, readControlFrameHeader } from './control.js';
import type { ControlMessage } from './messages.js';

export interface ControlStreamParserOptions {
  /** Largest payload Length accepted (≤ 65535, the 16-bit field's range). */
  readonly maxMessageLength?: number;
}

/** Type varint (≤ 9 bytes) + 16-bit Length. */
const MAX_HEADER_LENGTH = 11;

export class ControlStreamParser {
  private readonly buffer = new ChunkBuffer();
  private readonly maxMessageLength: number;
  private failed: MoqtDecodeError | undefined;

  constructor(options: ControlStreamParserOptions = {}) {
    this.maxMessageLength = Math.min(
      options.maxMessageLength ?? MAX_CONTROL_MESSAGE_LENGTH,
      MAX_CONTROL_MESSAGE_LENGTH,
    );
  }

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.buffer.length;
  }

  /**
   * Adds a chunk and returns every message it completes. After an error the stream is unusable
   * (the session must close), so later calls rethrow the same error.
   */
  push(chunk: Uint8Array): ControlMessage[] {
    if (this.failed) throw this.failed;
    this.buffer.push(chunk);
    const messages: ControlMessage[] = [];
    try {
      for (;;) {
        const header = readControlFrameHeader(this.buffer.peek(MAX_HEADER_LENGTH));
        if (header === undefined) break;
        // Fail fast on an unknown type rather than buffering a payload we will reject anyway.
        if (!isKnownMessageType(header.type)) {
          protocolViolation(`unknown control message type 0x${header.type.toString(16)}`, 'unknown-type');
        }
        if (header.length > this.maxMessageLength) {
          throw new MoqtDecodeError(
            SessionErrorCode.INTERNAL_ERROR,
            'limit',
            `control message Length ${header.length} exceeds the local limit ${this.maxMessageLength}`,
          );
        }
        const total = header.headerLength + header.length;
        if (this.buffer.length < total) break;
        const frame = this.buffer.peek(total);
        const message = decodeControlPayload(header.type, frame.subarray(header.headerLength));
        this.buffer.skip(total);
        messages.push(message);
      }
    } catch (error) {
      if (error instanceof MoqtDecodeError) this.failed = error;
      throw error;
    }
    return messages;
  }

  /**
   * Call when the peer ends the stream (FIN). A partial message left behind is a
   * PROTOCOL_VIOLATION; closing a control stream at all is one too, which the session decides.
   */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.buffer.length > 0) {
      this.failed = new MoqtDecodeError(
        SessionErrorCode.PROTOCOL_VIOLATION,
        'truncated',
        `stream ended inside a control message (${this.buffer.length} bytes buffered)`,
      );
      throw this.failed;
    }
  }
}
