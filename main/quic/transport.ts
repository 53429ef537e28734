// The transport the MoQT session runs on, shaped after WebTransport (web streams, datagrams,
// `closed`) so the session can run over @matrixai/quic today and over a browser WebTransport or
// another QUIC library later without change. Nothing here depends on a QUIC library.

/** MoQT draft-18's ALPN over raw QUIC. */
export const MOQT_ALPN = 'moqt-18';

/** Where a connection went, or came from. Host is an IP literal without brackets. */
export interface TransportAddress {
  readonly host: string;
  readonly port: number;
}

/** Why a connection ended. `code`/`reason` are the CONNECTION_CLOSE fields when there was one. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  /** 'application': closed by an endpoint's application with an app error code (what MoQT uses);
   *  'transport': a QUIC/TLS error code; 'idle-timeout': the peer went silent, no frame was seen. */
  readonly kind: 'application' | 'transport' | 'idle-timeout';
  /** True when the peer closed the connection, false when this endpoint did (or timed out). */
  readonly remote: boolean;
}

/**
 * Raised through a stream when the peer resets it (RESET_STREAM: a pending read rejects) or asks
 * us to stop sending (STOP_SENDING: a pending write rejects), with the peer's application code.
 * Also the way to send those codes: `writable.abort(new StreamAbortError(code))` sends
 * RESET_STREAM and `readable.cancel(new StreamAbortError(code))` sends STOP_SENDING.
 */
export class StreamAbortError extends Error {
  constructor(
    readonly code: number,
    readonly kind: 'reset' | 'stop-sending' = 'reset',
    message = `stream ${kind === 'reset' ? 'reset' : 'stopped'} with application code ${code}`,
  ) {
    super(message);
    this.name = 'StreamAbortError';
  }
}

/** Connection setup failed or was refused; `reason` says which check failed, for UI and logs. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly reason:
      | 'certificate'
      | 'alpn'
      | 'timeout'
      | 'refused'
      | 'closed'
      | 'invalid-argument'
      | 'stream-limit'
      | 'internal',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

interface StreamBase {
  /** The QUIC stream id (its low two bits give initiator and direction). */
  readonly id: number;
}

/** The sending half of a stream. Writes resolve once QUIC accepted the bytes (backpressure). */
export interface SendStream extends StreamBase {
  readonly writable: WritableStream<Uint8Array>;
  /**
   * RFC 9218-style scheduling: lower `urgency` (0-7) is sent first; `incremental` interleaves
   * streams of equal urgency instead of sending them one after the other.
   */
  setPriority(urgency: number, incremental?: boolean): void;
  /** RESET_STREAM with an application code; buffered unsent data is discarded. Idempotent. */
  reset(code: number): void;
}

/** The receiving half of a stream; the readable yields chunks as they arrive, in order. */
export interface ReceiveStream extends StreamBase {
  readonly readable: ReadableStream<Uint8Array>;
  /** STOP_SENDING with an application code; unread data is discarded. Idempotent. */
  stopSending(code: number): void;
}

export interface BidiStream extends SendStream, ReceiveStream {}

/** Unreliable, unordered QUIC DATAGRAM frames (RFC 9221). */
export interface DatagramChannel {
  /** Largest payload `send` accepts right now; 0 when the peer did not enable datagrams. */
  readonly maxDatagramSize: number;
  /** Queues one datagram. Returns false (and drops it) when too large, not supported or closed,
   *  or when the send queue is full: datagrams never block the sender. */
  send(data: Uint8Array): boolean;
  /** Received datagrams. When the reader falls behind, new datagrams are dropped, not queued. */
  readonly readable: ReadableStream<Uint8Array>;
  /** `send` as a WritableStream, for piping. Oversized datagrams are dropped like WebTransport. */
  readonly writable: WritableStream<Uint8Array>;
}

export interface MoqtTransport {
  /** The negotiated ALPN, e.g. 'moqt-18'. */
  readonly protocol: string;
  readonly remoteAddress: TransportAddress;
  /** Waits for stream credit from the peer (MAX_STREAMS) rather than failing at the limit. */
  createBidirectionalStream(): Promise<BidiStream>;
  createUnidirectionalStream(): Promise<SendStream>;
  /** Peer-opened streams in arrival order; the iteration ends when the connection closes. */
  readonly incomingBidirectionalStreams: AsyncIterable<BidiStream>;
  readonly incomingUnidirectionalStreams: AsyncIterable<ReceiveStream>;
  readonly datagrams: DatagramChannel;
  /** Resolves (never rejects) once the connection is closed, however that happened. */
  readonly closed: Promise<CloseInfo>;
  /** CONNECTION_CLOSE with an application error code; resolves when the close was sent. */
  close(code?: number, reason?: string): Promise<void>;
}
