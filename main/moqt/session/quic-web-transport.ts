// Presents a raw-QUIC MoqtTransport (main/quic/) as the WebTransport shape the session layer and
// other MoQT implementations (e.g. @moq/net) expect: incoming streams as ReadableStreams, close
// info with `closeCode`. A pure adapter: no buffering beyond what the streams already do.
import type { MoqtTransport } from '../../quic/transport.js';
import type { WebTransportBidiStream, WebTransportLike } from './api.js';

function streamOf<T, U>(source: AsyncIterable<T>, map: (item: T) => U): ReadableStream<U> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<U>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(map(next.value));
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    // Pull one stream at a time: accepting streams nobody reads would defeat QUIC flow control.
    { highWaterMark: 0 },
  );
}

export function quicWebTransport(transport: MoqtTransport): WebTransportLike {
  const bidi = (stream: WebTransportBidiStream): WebTransportBidiStream => ({
    readable: stream.readable,
    writable: stream.writable,
  });
  return {
    ready: Promise.resolve(),
    closed: transport.closed.then((info) => ({ closeCode: info.code, reason: info.reason })),
    protocol: transport.protocol,
    close(info) {
      transport.close(info?.closeCode ?? 0, info?.reason ?? '').catch(() => {
        // Already closed: closing is idempotent for callers.
      });
    },
    createBidirectionalStream: async () => bidi(await transport.createBidirectionalStream()),
    createUnidirectionalStream: async () => (await transport.createUnidirectionalStream()).writable,
    incomingBidirectionalStreams: streamOf(transport.incomingBidirectionalStreams, bidi),
    incomingUnidirectionalStreams: streamOf(
      transport.incomingUnidirectionalStreams,
      (stream) => stream.readable,
    ),
    datagrams: transport.datagrams,
  };
}
