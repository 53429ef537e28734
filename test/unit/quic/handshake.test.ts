// Connection setup: certificate pinning, CA trust, ALPN refusal, timeouts and a peer that
// vanishes without closing (idle timeout), all on 127.0.0.1.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { generateSelfSignedCertificate } from '../../../main/quic/certificates.js';
import { connectQuic } from '../../../main/quic/matrixai-adapter.js';
import { TransportError } from '../../../main/quic/transport.js';
import {
  HOST,
  accept,
  certificate,
  connect,
  listen,
  onCleanup,
  pair,
  rejectionOf,
  useCleanup,
} from './helpers.js';

useCleanup();

async function connectError(promise: Promise<unknown>): Promise<TransportError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

/** A UDP relay between client and server that can be cut to make the server vanish silently. */
async function udpProxy(targetPort: number): Promise<{ port: number; cut(): void }> {
  const socket: Socket = createSocket('udp4');
  let client: { address: string; port: number } | undefined;
  let cut = false;
  const upstream = createSocket('udp4');
  socket.on('message', (msg, from) => {
    client = { address: from.address, port: from.port };
    if (!cut) upstream.send(msg, targetPort, HOST);
  });
  upstream.on('message', (msg) => {
    if (!cut && client) socket.send(msg, client.port, client.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  await new Promise<void>((resolve) => upstream.bind(0, HOST, resolve));
  onCleanup(async () => {
    socket.close();
    upstream.close();
  });
  return { port: socket.address().port, cut: () => void (cut = true) };
}

describe('QUIC handshake and trust', () => {
  it('accepts the pinned certificate, with the fingerprint in any case or with colons', async () => {
    const listener = await listen();
    const fp = certificate()
      .fingerprint.toUpperCase()
      .replace(/(..)(?!$)/g, '$1:');
    const [client] = await Promise.all([
      connect(listener, { trust: { kind: 'fingerprint', sha256: fp } }),
      accept(listener),
    ]);
    expect(client.protocol).toBe('moqt-18');
  });

  it('rejects a server whose certificate does not match the pinned fingerprint', async () => {
    const listener = await listen();
    const wrong = generateSelfSignedCertificate().fingerprint;
    const error = await connectError(connect(listener, { trust: { kind: 'fingerprint', sha256: wrong } }));
    expect(error.reason).toBe('certificate');
    expect(error.message).toContain('fingerprint mismatch');
    expect(error.message).toContain(certificate().fingerprint);
    expect(error.message).toContain(wrong);
  });

  it('rejects malformed fingerprints before connecting', async () => {
    const listener = await listen();
    const error = await connectError(connect(listener, { trust: { kind: 'fingerprint', sha256: 'abc' } }));
    expect(error.reason).toBe('invalid-argument');
    expect(error.message).toContain('64 hex digits');
  });

  it('verifies against a CA bundle by DNS server name', async () => {
    const listener = await listen();
    const [client] = await Promise.all([
      connect(listener, { trust: { kind: 'ca', ca: certificate().certPem }, serverName: 'localhost' }),
      accept(listener),
    ]);
    expect(client.protocol).toBe('moqt-18');
  });

  it('rejects a certificate that the CA bundle does not vouch for', async () => {
    const listener = await listen();
    const other = generateSelfSignedCertificate().certPem;
    const error = await connectError(
      connect(listener, { trust: { kind: 'ca', ca: other }, serverName: 'localhost' }),
    );
    expect(error.reason).toBe('certificate');
    expect(error.message).toMatch(/rejected by TLS verification/);
  });

  it('explains that CA verification needs a DNS name when given an IP literal', async () => {
    const listener = await listen();
    const error = await connectError(connect(listener, { trust: { kind: 'ca', ca: certificate().certPem } }));
    expect(error.reason).toBe('invalid-argument');
    expect(error.message).toContain('serverName');
  });

  it('refuses a client offering another ALPN, and a server speaking another one', async () => {
    const [listener, other] = await Promise.all([listen(), listen({ alpn: 'h3' })]);
    // Both at once: a refused handshake takes a few seconds of draining before it reports.
    const [error, error2] = await Promise.all([
      connectError(connect(listener, { alpn: 'moqt-17' })),
      connectError(connect(other)),
    ]);
    expect(error.reason).toBe('alpn');
    expect(error.message).toContain('moqt-17');
    expect(error2.reason).toBe('alpn');
    expect(error2.message).toContain('moqt-18');
  });

  it('times out when nobody answers', async () => {
    const proxy = await udpProxy(9); // forwards to the discard port: no QUIC server there
    proxy.cut();
    const error = await connectError(
      connectQuic({
        host: HOST,
        port: proxy.port,
        trust: { kind: 'fingerprint', sha256: certificate().fingerprint },
        handshakeTimeoutMs: 300,
      }),
    );
    expect(error.reason).toBe('timeout');
  });

  it('resolves closed with idle-timeout when the server vanishes without closing', async () => {
    const listener = await listen({ idleTimeoutMs: 5000 });
    const proxy = await udpProxy(listener.port);
    const [client] = await Promise.all([
      connectQuic({
        host: HOST,
        port: proxy.port,
        trust: { kind: 'fingerprint', sha256: certificate().fingerprint },
        idleTimeoutMs: 600,
        keepAliveMs: 200,
      }),
      accept(listener),
    ]);
    onCleanup(() => client.close());
    const stream = await client.createBidirectionalStream();
    const read = stream.readable
      .getReader()
      .read()
      .then(
        () => 'resolved',
        (e: unknown) => e,
      );
    proxy.cut();
    expect(await client.closed).toEqual({ code: 0, reason: '', kind: 'idle-timeout', remote: false });
    expect(await read).toBeInstanceOf(Error);
    await expect(client.createBidirectionalStream()).rejects.toMatchObject({ reason: 'closed' });
  });

  it('keeps an idle connection alive with keep-alives', async () => {
    const { client } = await pair(
      { idleTimeoutMs: 400, keepAliveMs: 100 },
      { idleTimeoutMs: 400, keepAliveMs: 100 },
    );
    const outcome = await Promise.race([client.closed, new Promise((r) => setTimeout(r, 1200, 'alive'))]);
    expect(outcome).toBe('alive');
  });

  it('rejects a keep-alive interval that is not below the idle timeout', async () => {
    await expect(listen({ idleTimeoutMs: 100, keepAliveMs: 100 })).rejects.toMatchObject({
      reason: 'invalid-argument',
    });
  });
});
