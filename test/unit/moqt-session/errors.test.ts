// Bad input closes the session with the right code (and the peer sees it), GOAWAY in both
// directions, and teardown: pending requests reject and iterators end.
import { describe, expect, it } from 'vitest';
import { Draft18 } from '../../../main/moqt/codec/draft18/index.js';
import { RequestErrorCode, SessionErrorCode } from '../../../main/moqt/codec/error-codes.js';
import type { ControlMessage } from '../../../main/moqt/codec/draft18/index.js';
import type { TrackWriter } from '../../../main/moqt/session/api.js';
import { SessionClosedError } from '../../../main/moqt/session/errors.js';
import { MoqtSession } from '../../../main/moqt/session/session.js';
import { bytes, closeAll, collect, connect, rawSetup, sendUni, sleep, TRACK } from './helpers.js';
import { createMemoryTransportPair } from './memory-transport.js';
import type { MemoryTransport } from './memory-transport.js';

/** A server session facing a raw client transport the test drives byte by byte. */
async function againstRawClient(handler = {}): Promise<{ server: MoqtSession; raw: MemoryTransport }> {
  const [raw, serverTransport] = createMemoryTransportPair();
  const establish = MoqtSession.establish(serverTransport, { role: 'server', handler });
  await rawSetup(raw);
  return { server: await establish, raw };
}

async function rawRequest(raw: MemoryTransport, data: Uint8Array): Promise<ReadableStream<Uint8Array>> {
  const stream = await raw.createBidirectionalStream();
  const writer = stream.writable.getWriter();
  await writer.write(data);
  writer.releaseLock();
  return stream.readable;
}

const encode = (message: ControlMessage): Uint8Array => Draft18.encodeControlMessage(message);

async function expectViolation(
  server: MoqtSession,
  raw: MemoryTransport,
  code: number = SessionErrorCode.PROTOCOL_VIOLATION,
): Promise<void> {
  expect(await server.closed).toMatchObject({ code, local: true });
  expect((await raw.closed).closeCode).toBe(code);
}

describe('bad input closes the session', () => {
  it('malformed bytes on a request stream → PROTOCOL_VIOLATION, seen by the peer session', async () => {
    const pair = await connect();
    const stream = await pair.clientTransport.createBidirectionalStream();
    const writer = stream.writable.getWriter();
    // SUBSCRIBE whose Length says 2 but whose payload cannot be a SUBSCRIBE.
    await writer.write(new Uint8Array([0x03, 0x00, 0x02, 0xff, 0xff]));
    expect(await pair.server.closed).toMatchObject({
      code: SessionErrorCode.PROTOCOL_VIOLATION,
      local: true,
    });
    expect(await pair.client.closed).toMatchObject({
      code: SessionErrorCode.PROTOCOL_VIOLATION,
      local: false,
    });
  });

  it('an unknown message type on a request stream', async () => {
    const { server, raw } = await againstRawClient();
    await rawRequest(raw, new Uint8Array([0x3f, 0x00, 0x00]));
    await expectViolation(server, raw);
  });

  it('a request stream that does not begin with a request message', async () => {
    const { server, raw } = await againstRawClient();
    await rawRequest(raw, encode({ type: 'publishDone', statusCode: 0n, streamCount: 0n, reason: '' }));
    await expectViolation(server, raw);
  });

  it('a request ID of the wrong parity → INVALID_REQUEST_ID', async () => {
    const { server, raw } = await againstRawClient();
    await rawRequest(raw, encode({ type: 'subscribeNamespace', requestId: 1n, prefix: [], parameters: {} }));
    await expectViolation(server, raw, SessionErrorCode.INVALID_REQUEST_ID);
  });

  it('a duplicate request ID → INVALID_REQUEST_ID', async () => {
    const { server, raw } = await againstRawClient();
    const message = encode({ type: 'subscribeNamespace', requestId: 2n, prefix: [], parameters: {} });
    await rawRequest(raw, message);
    await rawRequest(raw, message);
    await expectViolation(server, raw, SessionErrorCode.INVALID_REQUEST_ID);
  });

  it('an unknown unidirectional stream type', async () => {
    const { server, raw } = await againstRawClient();
    await sendUni(raw, new Uint8Array([0x01, 0x02, 0x03]));
    await expectViolation(server, raw);
  });

  it('a truncated object on a subgroup stream', async () => {
    const pair = await connect({}, { handler: { onSubscribe: (request) => void request.accept() } });
    const subscription = await pair.client.subscribe(TRACK);
    const stream = Draft18.encodeSubgroupStream(
      {
        kind: 'subgroup',
        trackAlias: subscription.trackAlias,
        groupId: 0n,
        subgroupIdMode: 'zero',
        hasProperties: false,
        endOfGroup: false,
        firstObject: false,
      },
      [{ objectId: 0n, properties: [], status: 0, payload: bytes('0123456789') }],
    );
    await sendUni(pair.serverTransport, stream.subarray(0, stream.length - 3));
    expect(await pair.client.closed).toMatchObject({
      code: SessionErrorCode.PROTOCOL_VIOLATION,
      local: true,
    });
    expect((await pair.serverTransport.closed).closeCode).toBe(SessionErrorCode.PROTOCOL_VIOLATION);
    expect(await collect(subscription)).toEqual([]);
  });

  it('a FETCH_HEADER for a request that is not a fetch', async () => {
    const pair = await connect();
    await sendUni(pair.serverTransport, Draft18.encodeFetchHeader({ kind: 'fetch', requestId: 42n }));
    expect(await pair.client.closed).toMatchObject({ code: SessionErrorCode.PROTOCOL_VIOLATION });
  });

  it('a malformed datagram', async () => {
    const pair = await connect();
    await pair.serverTransport.datagrams.writable.getWriter().write(new Uint8Array([0x3f, 0x00]));
    expect(await pair.client.closed).toMatchObject({ code: SessionErrorCode.PROTOCOL_VIOLATION });
  });

  it('closing the control stream', async () => {
    const [raw, serverTransport] = createMemoryTransportPair();
    const establish = MoqtSession.establish(serverTransport, { role: 'server' });
    await sendUni(raw, encode({ type: 'setup', options: {} }), true);
    const server = await establish.catch(() => undefined);
    expect((await raw.closed).closeCode).toBe(SessionErrorCode.PROTOCOL_VIOLATION);
    if (server) expect((await server.closed).code).toBe(SessionErrorCode.PROTOCOL_VIOLATION);
  });

  it('drops a data stream whose alias never becomes known, without closing the session', async () => {
    const pair = await connect();
    const stream = Draft18.encodeSubgroupStream(
      {
        kind: 'subgroup',
        trackAlias: 77n,
        groupId: 0n,
        subgroupIdMode: 'zero',
        hasProperties: false,
        endOfGroup: false,
        firstObject: false,
      },
      [{ objectId: 0n, properties: [], status: 0, payload: bytes('orphan') }],
    );
    await sendUni(pair.serverTransport, stream);
    await sleep(1100);
    expect(pair.client.isClosed).toBe(false);
    closeAll(pair);
  });
});

describe('GOAWAY', () => {
  it('a server GOAWAY reaches the client, which then refuses new requests', async () => {
    const pair = await connect({}, { handler: { onSubscribe: (request) => void request.accept() } });
    await pair.client.subscribe(TRACK);
    await pair.server.goaway('moqt://other.example/studio', 5000);
    const info = await pair.client.goawayReceived;
    expect(info).toEqual({ newSessionUri: 'moqt://other.example/studio', timeoutMs: 5000, requestId: 2n });
    await expect(pair.client.subscribe(TRACK)).rejects.toMatchObject({
      errorCode: RequestErrorCode.GOING_AWAY,
    });
    await expect(pair.server.goaway()).rejects.toThrow(/already/);
    closeAll(pair);
  });

  it('after sending GOAWAY, new requests are answered GOING_AWAY', async () => {
    const { server, raw } = await againstRawClient({ onSubscribeNamespace: () => undefined });
    await server.goaway();
    const readable = await rawRequest(
      raw,
      encode({ type: 'subscribeNamespace', requestId: 0n, prefix: [], parameters: {} }),
    );
    const reader = readable.getReader();
    const parser = new Draft18.ControlStreamParser();
    let messages: ControlMessage[] = [];
    while (messages.length === 0) messages = parser.push((await reader.read()).value!);
    expect(messages[0]).toMatchObject({ type: 'requestError', errorCode: RequestErrorCode.GOING_AWAY });
    server.close();
  });

  it('a client may not send a New Session URI', async () => {
    const pair = await connect();
    await expect(pair.client.goaway('moqt://x')).rejects.toThrow(RangeError);
    await pair.client.goaway();
    expect(await pair.server.goawayReceived).toEqual({ newSessionUri: '', timeoutMs: 0, requestId: 1n });
    closeAll(pair);
  });

  it('a second GOAWAY is a PROTOCOL_VIOLATION', async () => {
    const [raw, serverTransport] = createMemoryTransportPair();
    const establish = MoqtSession.establish(serverTransport, { role: 'server' });
    const writer = (await raw.createUnidirectionalStream()).getWriter();
    await writer.write(encode({ type: 'setup', options: {} }));
    const server = await establish;
    const goaway = encode({ type: 'goaway', newSessionUri: '', timeout: 0n, requestId: 1n });
    await writer.write(goaway);
    await writer.write(goaway);
    expect((await server.closed).code).toBe(SessionErrorCode.PROTOCOL_VIOLATION);
  });
});

describe('teardown', () => {
  it('close() rejects pending requests, ends iterators and cancels writers', async () => {
    let writer: TrackWriter | undefined;
    const pair = await connect(
      {},
      {
        handler: {
          onSubscribe: (request) => void (writer = request.accept()),
          onFetch: () => undefined, // never answers
        },
      },
    );
    const subscription = await pair.client.subscribe(TRACK);
    const iteration = collect(subscription);
    const fetch = pair.client.fetch(TRACK, {
      start: { group: 0n, object: 0n },
      end: { group: 1n, object: 0n },
    });
    await sleep(10);
    pair.client.close(SessionErrorCode.NO_ERROR, 'bye');
    await expect(fetch).rejects.toBeInstanceOf(SessionClosedError);
    expect(await iteration).toEqual([]);
    await writer!.cancelled;
    expect(await pair.server.closed).toEqual({ code: 0, reason: 'bye', local: false });
    await expect(pair.client.subscribe(TRACK)).rejects.toBeInstanceOf(SessionClosedError);
    await expect(pair.client.goaway()).rejects.toBeInstanceOf(SessionClosedError);
    const late = await writer!.openSubgroup({ groupId: 0n });
    await late.write(0n, bytes('into the void'));
    await late.close();
  });
});
