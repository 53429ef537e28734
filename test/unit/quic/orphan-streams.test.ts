// Streams the library forgot while quiche still knows them. @matrixai/quic 1.2.12 drops its
// QUICStream when a peer's STOP_SENDING hits a write, without shutting the quiche stream down;
// it then re-created such streams as phantom "incoming" streams and, tearing those down, threw
// from an event listener (an uncaught exception that ended CI runs). White-box: the test reaches
// the library objects behind our transport to put a stream in exactly that state.
import quic from '@matrixai/quic';
import type { QUICConnection, QUICStream } from '@matrixai/quic';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quicheOf } from '../../../main/quic/matrixai-internals.js';
import type { MoqtTransport } from '../../../main/quic/transport.js';
import { pair, useCleanup } from './helpers.js';

useCleanup();

const uncaught: unknown[] = [];
const record = (error: unknown) => uncaught.push(error);
beforeEach(() => void process.on('uncaughtException', record));
afterEach(() => {
  process.off('uncaughtException', record);
  uncaught.length = 0;
});

const connectionOf = (transport: MoqtTransport) =>
  (transport as unknown as { connection: QUICConnection }).connection;
const streamMapOf = (connection: QUICConnection) =>
  (connection as unknown as { streamMap: Map<number, QUICStream> }).streamMap;
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('streams the library dropped while quiche kept them', () => {
  it('are not handed out again as incoming streams, and closing the connection does not throw', async () => {
    const { client, server } = await pair();
    const incoming: number[] = [];
    void (async () => {
      for await (const stream of server.incomingUnidirectionalStreams) incoming.push(stream.id);
    })();

    const sent = await server.createUnidirectionalStream();
    await sent.writable.getWriter().write(new TextEncoder().encode('hello'));
    const connection = connectionOf(server);
    const stream = streamMapOf(connection).get(sent.id);
    if (!stream) throw new Error('the library has no QUICStream for the stream we opened');
    // What the library does when STOP_SENDING hits a write: close the writable side, drop the
    // QUICStream, leave quiche's stream writable.
    stream.dispatchEvent(new quic.events.EventQUICStreamCloseWrite());
    await settle(10);
    expect(streamMapOf(connection).has(sent.id)).toBe(false);

    // Any packet from the client makes the server process its stream sets.
    const ping = await client.createUnidirectionalStream();
    await ping.writable.getWriter().write(new Uint8Array([1]));
    await settle(100);

    expect(incoming).toEqual([ping.id]);
    expect(streamMapOf(connection).has(sent.id)).toBe(false);
    await server.close();
    await settle(50);
    expect(uncaught).toEqual([]);
  });

  it('shutting down a direction a unidirectional stream does not have is a no-op', async () => {
    const { server } = await pair();
    const sent = await server.createUnidirectionalStream();
    await sent.writable.getWriter().write(new Uint8Array([1]));
    const conn = quicheOf(connectionOf(server));
    expect(conn.streamShutdown(sent.id, quic.native.Shutdown.Read, 0)).toBeNull();
  });
});
