// Client↔server behaviour of the @matrixai/quic adapter on 127.0.0.1: ALPN, stream data with
// backpressure, many concurrent streams, datagrams, reset/stop codes and connection close.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MOQT_ALPN, StreamAbortError } from '../../../main/quic/transport.js';
import type { MoqtTransport } from '../../../main/quic/transport.js';
import { first, pair, readAll, rejectionOf, sha256, useCleanup } from './helpers.js';

useCleanup();

async function writeAll(writable: WritableStream<Uint8Array>, data: Uint8Array, chunk = 64 * 1024) {
  const writer = writable.getWriter();
  for (let offset = 0; offset < data.length; offset += chunk) {
    await writer.write(data.subarray(offset, offset + chunk));
  }
  await writer.close();
}

/** Reads one payload written as a little-endian u32 length followed by the bytes. */
async function readPrefixed(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = readable.getReader();
  let buffered = Buffer.alloc(0);
  for (;;) {
    if (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32LE(0)) {
      reader.releaseLock();
      return buffered.subarray(4, 4 + buffered.readUInt32LE(0));
    }
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended before the payload was complete');
    buffered = Buffer.concat([buffered, value]);
  }
}

/** Echoes every incoming bidi stream back to its sender. */
async function echoBidi(transport: MoqtTransport): Promise<void> {
  for await (const stream of transport.incomingBidirectionalStreams) {
    void stream.readable.pipeTo(stream.writable).catch(() => {});
  }
}

describe('QUIC transport over @matrixai/quic', () => {
  it('negotiates moqt-18 and reports addresses', async () => {
    const { listener, client, server } = await pair();
    expect(client.protocol).toBe(MOQT_ALPN);
    expect(server.protocol).toBe(MOQT_ALPN);
    expect(client.remoteAddress).toEqual({ host: '127.0.0.1', port: listener.port });
    expect(server.remoteAddress.host).toBe('127.0.0.1');
  });

  it('echoes several MB over a bidirectional stream with integrity', async () => {
    const { client, server } = await pair();
    void echoBidi(server);
    const data = randomBytes(3 * 1024 * 1024);
    const stream = await client.createBidirectionalStream();
    const [, echoed] = await Promise.all([writeAll(stream.writable, data), readAll(stream.readable)]);
    expect(echoed.length).toBe(data.length);
    expect(sha256(echoed)).toBe(sha256(data));
  });

  it('applies backpressure: writes wait for the reader beyond the flow-control window', async () => {
    const { client, server } = await pair();
    const stream = await client.createUnidirectionalStream();
    const writer = stream.writable.getWriter();
    const chunk = new Uint8Array(256 * 1024);
    let accepted = 0;
    let issued = 0;
    let blocked = false;
    // Nobody reads on the server: once the 4 MiB stream window is used up, a write must stall.
    for (let i = 0; i < 64 && !blocked; i++) {
      issued += chunk.length;
      const write = writer.write(chunk).then(() => (accepted += chunk.length));
      blocked = await Promise.race([
        write.then(() => false),
        new Promise<boolean>((r) => setTimeout(r, 150, true)),
      ]);
      // A slow write on a busy machine is not a stall: well below the window it must complete.
      if (blocked && issued <= 1024 * 1024) blocked = await write.then(() => false);
    }
    expect(blocked).toBe(true);
    expect(accepted).toBeGreaterThanOrEqual(1024 * 1024);
    expect(accepted).toBeLessThan(16 * 1024 * 1024);
    // Reading on the server releases the writer.
    const incoming = await first(server.incomingUnidirectionalStreams);
    const reading = readAll(incoming.readable);
    await writer.close();
    expect((await reading).length).toBe(issued);
  });

  it('carries 300 concurrent unidirectional streams (above the old default of 100)', async () => {
    const { client, server } = await pair();
    const count = 300;
    // Each payload is length-prefixed and read to its length, so this checks the stream limit
    // and integrity; end-of-stream delivery is the next test's subject.
    const received = new Map<number, string>();
    const receiving = (async () => {
      const reads: Promise<void>[] = [];
      for await (const stream of server.incomingUnidirectionalStreams) {
        reads.push(readPrefixed(stream.readable).then((data) => void received.set(stream.id, sha256(data))));
        if (reads.length === count) break;
      }
      await Promise.all(reads);
    })();
    const sent = new Map<number, string>();
    // Open all streams before writing any, so all 300 are open at the same time.
    const streams = await Promise.all(
      Array.from({ length: count }, () => client.createUnidirectionalStream()),
    );
    await Promise.all(
      streams.map(async (stream, i) => {
        const payload = randomBytes(200 + i);
        sent.set(stream.id, sha256(payload));
        const writer = stream.writable.getWriter();
        await writer.write(Buffer.concat([Buffer.from(Uint32Array.of(payload.length).buffer), payload]));
        writer.releaseLock();
      }),
    );
    await receiving;
    expect(received.size).toBe(count);
    expect(received).toEqual(sent);
  });

  it('delivers the end of stream for concurrently closed streams (quiche#2525 workaround)', async () => {
    const { client, server } = await pair();
    const count = 40;
    let finished = 0;
    const receiving = (async () => {
      const reads: Promise<void>[] = [];
      for await (const stream of server.incomingUnidirectionalStreams) {
        reads.push(readAll(stream.readable).then(() => void finished++));
        if (reads.length === count) break;
      }
      await Promise.all(reads);
    })();
    const streams = await Promise.all(
      Array.from({ length: count }, () => client.createUnidirectionalStream()),
    );
    // Data first on all streams, FINs after: without the workaround, the first streams' FINs are
    // dropped once their data is acknowledged while other streams fill the congestion window.
    await Promise.all(streams.map((s) => writeAll(s.writable, randomBytes(1000))));
    await receiving;
    expect(finished).toBe(count);
  });

  it('sends and receives datagrams in both directions', async () => {
    const { client, server } = await pair();
    expect(client.datagrams.maxDatagramSize).toBeGreaterThan(1000);
    expect(server.datagrams.maxDatagramSize).toBeGreaterThan(1000);
    const toServer = server.datagrams.readable.getReader();
    const toClient = client.datagrams.readable.getReader();
    // Datagrams may be lost in principle; on loopback a few attempts are more than enough.
    const exchange = async (
      from: MoqtTransport,
      reader: ReadableStreamDefaultReader<Uint8Array>,
      text: string,
    ): Promise<string> => {
      const payload = new TextEncoder().encode(text);
      for (let attempt = 0; attempt < 20; attempt++) {
        expect(from.datagrams.send(payload)).toBe(true);
        const got = await Promise.race([reader.read(), new Promise<undefined>((r) => setTimeout(r, 100))]);
        if (got?.value) return new TextDecoder().decode(got.value);
      }
      throw new Error('no datagram arrived');
    };
    expect(await exchange(client, toServer, 'hello server')).toBe('hello server');
    expect(await exchange(server, toClient, 'hello client')).toBe('hello client');
    // Through the WritableStream side as well.
    const writer = client.datagrams.writable.getWriter();
    await writer.write(new TextEncoder().encode('via writable'));
    const got = await toServer.read();
    expect(new TextDecoder().decode(got.value)).toBe('via writable');
  });

  it('drops datagrams larger than the negotiated maximum instead of throwing', async () => {
    const { client } = await pair();
    expect(client.datagrams.send(new Uint8Array(client.datagrams.maxDatagramSize + 1))).toBe(false);
    expect(client.datagrams.send(new Uint8Array(client.datagrams.maxDatagramSize))).toBe(true);
  });

  it('propagates RESET_STREAM and STOP_SENDING application codes', async () => {
    const { client, server } = await pair();
    // RESET_STREAM: the client resets; the server's pending read rejects with the code.
    const sending = await client.createUnidirectionalStream();
    const writer = sending.writable.getWriter();
    await writer.write(new Uint8Array([1, 2, 3]));
    const incoming = await first(server.incomingUnidirectionalStreams);
    const reader = incoming.readable.getReader();
    expect([...((await reader.read()).value ?? [])]).toEqual([1, 2, 3]);
    sending.reset(0x42);
    const reset = await rejectionOf(reader.read());
    expect(reset).toBeInstanceOf(StreamAbortError);
    expect(reset).toMatchObject({ code: 0x42, kind: 'reset' });

    // STOP_SENDING: the server stops reading a bidi stream; the client's writes then reject.
    const bidi = await client.createBidirectionalStream();
    const bidiWriter = bidi.writable.getWriter();
    await bidiWriter.write(new Uint8Array([9]));
    const serverSide = await first(server.incomingBidirectionalStreams);
    serverSide.stopSending(0x17);
    const stopped = await rejectionOf(
      (async () => {
        for (;;) await bidiWriter.write(new Uint8Array(1024));
      })(),
    );
    expect(stopped).toMatchObject({ code: 0x17, kind: 'stop-sending' });

    // The web-stream way works too: abort(reason) carries the reason's code.
    const viaAbort = await client.createUnidirectionalStream();
    const w = viaAbort.writable.getWriter();
    await w.write(new Uint8Array([7]));
    const incoming2 = await first(server.incomingUnidirectionalStreams);
    const r2 = incoming2.readable.getReader();
    await r2.read();
    await w.abort(new StreamAbortError(0x99));
    expect(await rejectionOf(r2.read())).toMatchObject({ code: 0x99 });
  });

  it('accepts stream priorities and rejects invalid ones', async () => {
    const { client } = await pair();
    const stream = await client.createUnidirectionalStream();
    expect(() => stream.setPriority(0)).not.toThrow();
    expect(() => stream.setPriority(7, false)).not.toThrow();
    expect(() => stream.setPriority(8)).toThrow(RangeError);
    expect(() => stream.reset(-1)).toThrow(RangeError);
  });

  it('resolves closed on both sides with the code when the server closes', async () => {
    const { listener, client, server } = await pair();
    // A stream mid-transfer must not turn the close into an unhandled rejection.
    const stream = await client.createBidirectionalStream();
    const writer = stream.writable.getWriter();
    await writer.write(new Uint8Array(1000));
    // Settle-handler attached now: the read rejects while we wait for `closed` below.
    const pendingRead = stream.readable
      .getReader()
      .read()
      .then(
        () => 'resolved',
        (error: unknown) => error,
      );
    await listener.close(0x2a, 'relay shutting down');
    const info = await client.closed;
    expect(info).toEqual({ code: 0x2a, reason: 'relay shutting down', kind: 'application', remote: true });
    expect(await server.closed).toMatchObject({ code: 0x2a, kind: 'application', remote: false });
    expect(await pendingRead).toBeInstanceOf(Error);
    await expect(client.createUnidirectionalStream()).rejects.toMatchObject({ reason: 'closed' });
    // Iterations over incoming streams end rather than hang.
    expect(await client.incomingUnidirectionalStreams[Symbol.asyncIterator]().next()).toMatchObject({
      done: true,
    });
  });

  it('resolves closed when the client closes', async () => {
    const { client, server } = await pair();
    await client.close(0x10, 'bye');
    expect(await client.closed).toMatchObject({ code: 0x10, reason: 'bye', remote: false });
    expect(await server.closed).toEqual({ code: 0x10, reason: 'bye', kind: 'application', remote: true });
  });
});
