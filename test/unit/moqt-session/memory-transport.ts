// An in-memory WebTransportLike pair for session tests: every stream is a TransformStream pipe
// (RESET_STREAM = abort, STOP_SENDING = cancel, both reach the peer as errors), datagrams are a
// pipe in each direction, and close() errors everything and tells the peer the code and reason.
import type {
  WebTransportBidiStream,
  WebTransportCloseInfo,
  WebTransportLike,
} from '../../../main/moqt/session/api.js';

export interface MemoryTransportOptions {
  /** ALPN reported by both ends (default 'moqt-18'; null = none reported). */
  readonly protocol?: string | null;
  /** Split every written chunk into pieces of at most this many bytes (exercises the parsers). */
  readonly maxChunk?: number;
  /** Bytes a stream buffers before writes wait for the reader (the "flow-control window"). */
  readonly window?: number;
}

interface Pipe {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Errors both ends (session teardown). */
  error(reason: unknown): void;
}

function createPipe(options: MemoryTransportOptions): Pipe {
  let controller!: TransformStreamDefaultController<Uint8Array>;
  const maxChunk = options.maxChunk ?? Infinity;
  const window = options.window ?? 1 << 20;
  const stream = new TransformStream<Uint8Array, Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      transform(chunk, c) {
        // Copy, as a network would: the writer may reuse its buffer.
        for (let offset = 0; offset < chunk.length; offset += maxChunk) {
          c.enqueue(chunk.slice(offset, Math.min(chunk.length, offset + maxChunk)));
        }
      },
    },
    undefined,
    { highWaterMark: window, size: (chunk) => chunk.byteLength },
  );
  return {
    readable: stream.readable,
    writable: stream.writable,
    error(reason) {
      try {
        controller.error(reason);
      } catch {
        // already closed or errored
      }
    },
  };
}

export class MemoryTransport implements WebTransportLike {
  readonly ready = Promise.resolve();
  readonly closed: Promise<WebTransportCloseInfo>;
  readonly protocol?: string;
  readonly incomingBidirectionalStreams: ReadableStream<WebTransportBidiStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  readonly datagrams: {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
  };
  peer!: MemoryTransport;
  /** Set once either side closed; what close() was called with. */
  closeInfo: WebTransportCloseInfo | undefined;
  /** Streams opened in either direction that are touched by this transport (for teardown). */
  readonly pipes = new Set<Pipe>();
  private resolveClosed!: (info: WebTransportCloseInfo) => void;
  private bidiController!: ReadableStreamDefaultController<WebTransportBidiStream>;
  private uniController!: ReadableStreamDefaultController<ReadableStream<Uint8Array>>;

  constructor(
    private readonly options: MemoryTransportOptions,
    datagramsIn: Pipe,
    datagramsOut: Pipe,
  ) {
    if (options.protocol !== null) this.protocol = options.protocol ?? 'moqt-18';
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.incomingBidirectionalStreams = new ReadableStream({ start: (c) => void (this.bidiController = c) });
    this.incomingUnidirectionalStreams = new ReadableStream({ start: (c) => void (this.uniController = c) });
    this.datagrams = { readable: datagramsIn.readable, writable: datagramsOut.writable };
    this.pipes.add(datagramsIn).add(datagramsOut);
  }

  close(info: WebTransportCloseInfo = {}): void {
    if (this.closeInfo) return;
    this.shutdown(info);
    this.peer.shutdown(info);
  }

  private shutdown(info: WebTransportCloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    const error = new Error(`session closed (code ${info.closeCode ?? 0})`);
    for (const pipe of this.pipes) pipe.error(error);
    this.pipes.clear();
    try {
      this.bidiController.close();
      this.uniController.close();
    } catch {
      // already closed
    }
    this.resolveClosed(info);
  }

  private track(pipe: Pipe): Pipe {
    this.pipes.add(pipe);
    this.peer.pipes.add(pipe);
    return pipe;
  }

  async createBidirectionalStream(): Promise<WebTransportBidiStream> {
    if (this.closeInfo) throw new Error('transport closed');
    const out = this.track(createPipe(this.options));
    const back = this.track(createPipe(this.options));
    this.peer.bidiController.enqueue({ readable: out.readable, writable: back.writable });
    return { readable: back.readable, writable: out.writable };
  }

  async createUnidirectionalStream(): Promise<WritableStream<Uint8Array>> {
    if (this.closeInfo) throw new Error('transport closed');
    const pipe = this.track(createPipe(this.options));
    this.peer.uniController.enqueue(pipe.readable);
    return pipe.writable;
  }
}

/** A connected [client, server] pair. */
export function createMemoryTransportPair(
  options: MemoryTransportOptions = {},
): [MemoryTransport, MemoryTransport] {
  // Datagrams are never split: each write is one datagram.
  const toServer = createPipe({ window: options.window ?? 1 << 20 });
  const toClient = createPipe({ window: options.window ?? 1 << 20 });
  const client = new MemoryTransport(options, toClient, toServer);
  const server = new MemoryTransport(options, toServer, toClient);
  client.peer = server;
  server.peer = client;
  return [client, server];
}
