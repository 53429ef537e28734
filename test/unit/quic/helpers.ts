// Shared fixtures for the QUIC tests: one certificate per test file, client/server pairs on
// 127.0.0.1 with ephemeral ports, and a registry that closes everything after each test.
import { createHash } from 'node:crypto';
import { afterEach } from 'vitest';
import { generateSelfSignedCertificate } from '../../../main/quic/certificates.js';
import type { CertificateMaterial } from '../../../main/quic/certificates.js';
import { connectQuic, listenQuic } from '../../../main/quic/matrixai-adapter.js';
import type { ConnectOptions, ListenOptions, QuicListener } from '../../../main/quic/matrixai-adapter.js';
import type { MoqtTransport } from '../../../main/quic/transport.js';

export const HOST = '127.0.0.1';

let shared: CertificateMaterial | undefined;
export function certificate(): CertificateMaterial {
  shared ??= generateSelfSignedCertificate();
  return shared;
}

const cleanups: (() => Promise<unknown>)[] = [];
export function onCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}

/** Registers the afterEach that closes every client and listener a test created. */
export function useCleanup(): void {
  afterEach(async () => {
    const pending = cleanups.splice(0).reverse();
    for (const fn of pending) await fn().catch(() => {});
  });
}

export async function listen(options: Partial<ListenOptions> = {}): Promise<QuicListener> {
  const listener = await listenQuic({ host: HOST, port: 0, certificate: certificate(), ...options });
  onCleanup(() => listener.close());
  return listener;
}

export async function connect(
  listener: QuicListener,
  options: Partial<ConnectOptions> = {},
): Promise<MoqtTransport> {
  const client = await connectQuic({
    host: HOST,
    port: listener.port,
    trust: { kind: 'fingerprint', sha256: certificate().fingerprint },
    ...options,
  });
  onCleanup(() => client.close());
  return client;
}

/** Next accepted connection on the listener. */
export async function accept(listener: QuicListener): Promise<MoqtTransport> {
  const next = await listener.connections[Symbol.asyncIterator]().next();
  if (next.done) throw new Error('listener closed before a connection arrived');
  onCleanup(() => next.value.close());
  return next.value;
}

export async function pair(
  listenOptions: Partial<ListenOptions> = {},
  connectOptions: Partial<ConnectOptions> = {},
): Promise<{ listener: QuicListener; client: MoqtTransport; server: MoqtTransport }> {
  const listener = await listen(listenOptions);
  const [client, server] = await Promise.all([connect(listener, connectOptions), accept(listener)]);
  return { listener, client, server };
}

export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** First item of an async iterable (each transport queue has a single consumer). */
export async function first<T>(iterable: AsyncIterable<T>): Promise<T> {
  const next = await iterable[Symbol.asyncIterator]().next();
  if (next.done) throw new Error('iteration ended');
  return next.value;
}

/** Rejection of a promise, or a failure if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
