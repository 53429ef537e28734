// SETUP exchange: options in both directions, the setup timeout, ALPN and role checks.
import { describe, expect, it } from 'vitest';
import { SessionErrorCode } from '../../../main/moqt/codec/error-codes.js';
import { SessionClosedError } from '../../../main/moqt/session/errors.js';
import { MoqtSession } from '../../../main/moqt/session/session.js';
import { bytes, closeAll, connect, rawSetup, text } from './helpers.js';
import { createMemoryTransportPair } from './memory-transport.js';

describe('SETUP exchange', () => {
  it('carries PATH, AUTHORITY, token and implementation from the client, implementation back', async () => {
    const pair = await connect(
      {
        path: '/studio/room1?x=1',
        authority: 'relay.example:4443',
        authorizationToken: bytes('secret'),
        implementation: 'moq-studio-client',
      },
      { implementation: 'moq-studio-relay' },
    );
    expect(pair.server.peer.path).toBe('/studio/room1?x=1');
    expect(pair.server.peer.authority).toBe('relay.example:4443');
    expect(text(pair.server.peer.authorizationToken!)).toBe('secret');
    expect(pair.server.peer.implementation).toBe('moq-studio-client');
    expect(pair.client.peer).toEqual({ implementation: 'moq-studio-relay' });
    expect(pair.client.role).toBe('client');
    expect(pair.server.role).toBe('server');
    pair.client.close();
    expect(await pair.client.closed).toMatchObject({ code: 0, local: true });
    expect(await pair.server.closed).toMatchObject({ code: 0, local: false });
  });

  it('closes with CONTROL_MESSAGE_TIMEOUT when the peer never sends SETUP', async () => {
    const [silent, serverTransport] = createMemoryTransportPair();
    const started = Date.now();
    const establish = MoqtSession.establish(serverTransport, { role: 'server', setupTimeoutMs: 100 });
    await expect(establish).rejects.toBeInstanceOf(SessionClosedError);
    await expect(establish).rejects.toMatchObject({ code: SessionErrorCode.CONTROL_MESSAGE_TIMEOUT });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(await silent.closed).toMatchObject({ closeCode: SessionErrorCode.CONTROL_MESSAGE_TIMEOUT });
  });

  it('refuses a transport that negotiated another ALPN', async () => {
    const [clientTransport] = createMemoryTransportPair({ protocol: 'moqt-20' });
    await expect(MoqtSession.establish(clientTransport, { role: 'client' })).rejects.toMatchObject({
      code: SessionErrorCode.VERSION_NEGOTIATION_FAILED,
    });
    expect(clientTransport.closeInfo?.closeCode).toBe(SessionErrorCode.VERSION_NEGOTIATION_FAILED);
  });

  it('works when the transport reports no ALPN (browser WebTransport without protocols)', async () => {
    const pair = await connect({}, {}, { protocol: null });
    closeAll(pair);
  });

  it('closes with INVALID_PATH when a server sends PATH', async () => {
    const [clientTransport, rawServer] = createMemoryTransportPair();
    const establish = MoqtSession.establish(clientTransport, { role: 'client' });
    const { Draft18 } = await import('../../../main/moqt/codec/draft18/index.js');
    const writer = (await rawServer.createUnidirectionalStream()).getWriter();
    await writer.write(Draft18.encodeControlMessage({ type: 'setup', options: { path: '/x' } }));
    await expect(establish).rejects.toMatchObject({ code: SessionErrorCode.INVALID_PATH });
    expect((await rawServer.closed).closeCode).toBe(SessionErrorCode.INVALID_PATH);
  });

  it('closes with PROTOCOL_VIOLATION on a second SETUP on the control stream', async () => {
    const [clientTransport, rawServer] = createMemoryTransportPair();
    const establish = MoqtSession.establish(clientTransport, { role: 'client' });
    const { Draft18 } = await import('../../../main/moqt/codec/draft18/index.js');
    const writer = (await rawServer.createUnidirectionalStream()).getWriter();
    await writer.write(Draft18.encodeControlMessage({ type: 'setup', options: {} }));
    const session = await establish;
    await writer.write(Draft18.encodeControlMessage({ type: 'setup', options: {} }));
    expect(await session.closed).toMatchObject({ code: SessionErrorCode.PROTOCOL_VIOLATION, local: true });
    expect((await rawServer.closed).reason).toMatch(/duplicate SETUP/);
  });

  it('closes with PROTOCOL_VIOLATION on a second control stream', async () => {
    const [clientTransport, rawServer] = createMemoryTransportPair();
    const establish = MoqtSession.establish(clientTransport, { role: 'client' });
    await rawSetup(rawServer);
    const session = await establish;
    const { Draft18 } = await import('../../../main/moqt/codec/draft18/index.js');
    // A second control stream is a violation just like a second SETUP on the first one.
    const writer = (await rawServer.createUnidirectionalStream()).getWriter();
    await writer.write(Draft18.encodeControlMessage({ type: 'setup', options: {} }));
    expect(await session.closed).toMatchObject({ code: SessionErrorCode.PROTOCOL_VIOLATION, local: true });
    expect((await rawServer.closed).closeCode).toBe(SessionErrorCode.PROTOCOL_VIOLATION);
  });

  it('rejects PATH on a server session', async () => {
    const [, serverTransport] = createMemoryTransportPair();
    await expect(MoqtSession.establish(serverTransport, { role: 'server', path: '/x' })).rejects.toThrow(
      RangeError,
    );
  });
});
