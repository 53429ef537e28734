// The relay end to end over real QUIC on loopback: MoQT sessions from connectMoqt, a publisher
// announcing a namespace, several subscribers, namespace discovery, and token-based admission.
import { collect } from '../support/moqt-objects.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fullTrackName } from '../../common/codec/track-name.js';
import { RequestErrorCode } from '../../main/moqt/codec/error-codes.js';
import { connectMoqt } from '../../main/moqt/connect.js';
import type { IncomingSubscribe, MoqtSession, TrackWriter } from '../../main/moqt/session/index.js';
import { certificateFingerprint, generateSelfSignedCertificate } from '../../main/quic/index.js';
import { createTokenAuthorizer, mintRelayToken } from '../../main/relay/auth.js';
import { startRelayServer, type RelayServer, type RelayServerOptions } from '../../main/relay/server.js';

const certificate = generateSelfSignedCertificate();
const fingerprint = certificateFingerprint(certificate.certPem);
const namespace = fullTrackName(['studio', 'broadcast-1'], '').namespace;
const video = fullTrackName(['studio', 'broadcast-1'], 'video');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function relay(options: Partial<RelayServerOptions> = {}): Promise<RelayServer> {
  const server = await startRelayServer({ host: '127.0.0.1', port: 0, certificate, ...options });
  cleanups.push(() => server.close());
  return server;
}

async function connect(
  server: RelayServer,
  options: Parameters<typeof connectMoqt>[1] = {},
): Promise<MoqtSession> {
  const session = await connectMoqt(`moqt://127.0.0.1:${server.port}/?fp=${fingerprint}`, options);
  cleanups.push(async () => session.close());
  return session;
}

/** A publisher whose track writer becomes available when the relay subscribes upstream. */
function publisherHandler() {
  let resolveWriter!: (writer: TrackWriter) => void;
  const writer = new Promise<TrackWriter>((resolve) => (resolveWriter = resolve));
  return {
    writer,
    handler: { onSubscribe: (request: IncomingSubscribe) => resolveWriter(request.accept()) },
  };
}

async function publishGroups(writer: TrackWriter, groups: number, objectsPerGroup: number, size: number) {
  for (let group = 0n; group < BigInt(groups); group++) {
    const subgroup = await writer.openSubgroup({ groupId: group });
    for (let object = 0n; object < BigInt(objectsPerGroup); object++) {
      await subgroup.write(object, new Uint8Array(size).fill(Number((group * 16n + object) & 0xffn)));
    }
    await subgroup.close({ endOfGroup: true });
  }
}

describe('relay over QUIC', () => {
  it('fans one publisher out to several subscribers, intact and in order', async () => {
    const server = await relay();
    const { writer, handler } = publisherHandler();
    const publisher = await connect(server, { handler });
    await publisher.publishNamespace(namespace);

    const viewers = await Promise.all([connect(server), connect(server), connect(server)]);
    const subscriptions = [];
    for (const viewer of viewers) subscriptions.push(await viewer.subscribe(video));
    const received = subscriptions.map((subscription) => collect(subscription, 3 * 5));

    await publishGroups(await writer, 3, 5, 10_000);
    for (const objects of await Promise.all(received)) {
      expect(objects.map((o) => `${o.groupId}/${o.objectId}`)).toEqual(
        [0, 1, 2].flatMap((g) => [0, 1, 2, 3, 4].map((o) => `${g}/${o}`)),
      );
      for (const object of objects) {
        expect(object.payload.length).toBe(10_000);
        expect(
          object.payload.every((byte) => byte === Number((object.groupId * 16n + object.objectId) & 0xffn)),
        ).toBe(true);
      }
    }
    expect(server.relay.stats.upstreamSubscriptions).toBe(1);
  });

  it('tells namespace subscribers about namespaces published later', async () => {
    const server = await relay();
    const watcher = await connect(server);
    const announcements = await watcher.subscribeNamespace([new TextEncoder().encode('studio')]);
    const publisher = await connect(server);
    await publisher.publishNamespace(namespace);
    const first = await announcements[Symbol.asyncIterator]().next();
    expect(first.value?.type).toBe('namespace');
    expect(first.value?.suffix.map((field: Uint8Array) => new TextDecoder().decode(field))).toEqual([
      'broadcast-1',
    ]);
  });

  it('refuses publish and subscribe without a valid token', async () => {
    const secret = new Uint8Array(32).fill(7);
    const server = await relay({ authorize: createTokenAuthorizer(secret) });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const anonymous = await connect(server);
    await expect(anonymous.publishNamespace(namespace)).rejects.toMatchObject({
      errorCode: RequestErrorCode.UNAUTHORIZED,
    });
    await expect(anonymous.subscribe(video)).rejects.toMatchObject({
      errorCode: RequestErrorCode.UNAUTHORIZED,
    });

    const subscribeOnly = mintRelayToken(secret, { role: 'subscribe', prefix: namespace.slice(0, 1), exp });
    await expect(
      anonymous.publishNamespace(namespace, { authorizationToken: subscribeOnly }),
    ).rejects.toMatchObject({
      errorCode: RequestErrorCode.UNAUTHORIZED,
    });
    const publishToken = mintRelayToken(secret, { role: 'publish', prefix: namespace, exp });
    const { handler } = publisherHandler();
    const publisher = await connect(server, { handler });
    await publisher.publishNamespace(namespace, { authorizationToken: publishToken });
    expect(server.relay.stats.publishedNamespaces).toBe(1);
  });

  it('keeps serving other sessions when a client sends garbage', async () => {
    const server = await relay();
    const { writer, handler } = publisherHandler();
    const publisher = await connect(server, { handler });
    await publisher.publishNamespace(namespace);
    const viewer = await connect(server);
    const subscription = await viewer.subscribe(video);

    const { connectQuic } = await import('../../main/quic/index.js');
    const rogue = await connectQuic({
      host: '127.0.0.1',
      port: server.port,
      trust: { kind: 'fingerprint', sha256: fingerprint },
    });
    cleanups.push(() => rogue.close());
    const stream = await rogue.createUnidirectionalStream();
    const sink = stream.writable.getWriter();
    await sink.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    const closed = await rogue.closed;
    expect(closed.code).toBeGreaterThan(0);

    const received = collect(subscription, 2);
    await publishGroups(await writer, 1, 2, 100);
    expect((await received).length).toBe(2);
  });

  it('serves FETCH of cached groups to a late subscriber', async () => {
    const server = await relay();
    const { writer, handler } = publisherHandler();
    const publisher = await connect(server, { handler });
    await publisher.publishNamespace(namespace);
    const live = await (await connect(server)).subscribe(video);
    const received = collect(live, 2 * 3);
    await publishGroups(await writer, 2, 3, 500);
    await received;

    const late = await connect(server);
    const fetched = await late.fetch(video, {
      start: { group: 0n, object: 0n },
      end: { group: 1n, object: 3n },
    });
    const objects = await collect(fetched, 6);
    expect(objects.map((o) => `${o.groupId}/${o.objectId}`)).toEqual([
      '0/0',
      '0/1',
      '0/2',
      '1/0',
      '1/1',
      '1/2',
    ]);
    expect(objects.every((o) => o.payload.length === 500)).toBe(true);
  });

  it('keeps other subscribers flowing when one disconnects mid-group', async () => {
    const server = await relay();
    const { writer, handler } = publisherHandler();
    const publisher = await connect(server, { handler });
    await publisher.publishNamespace(namespace);
    const staying = await (await connect(server)).subscribe(video);
    const leaving = await connect(server);
    const leavingSubscription = await leaving.subscribe(video);
    const stayingObjects = collect(staying, 2 * 4);

    const track = await writer;
    const group0 = await track.openSubgroup({ groupId: 0n });
    for (let object = 0n; object < 2n; object++) await group0.write(object, new Uint8Array(1000));
    await collect(leavingSubscription, 1);
    leaving.close();
    await leaving.closed;
    await vi.waitFor(() => expect(server.relay.stats.downstreamSubscriptions).toBe(1));
    for (let object = 2n; object < 4n; object++) await group0.write(object, new Uint8Array(1000));
    await group0.close({ endOfGroup: true });
    const group1 = await track.openSubgroup({ groupId: 1n });
    for (let object = 0n; object < 4n; object++) await group1.write(object, new Uint8Array(1000));
    await group1.close({ endOfGroup: true });

    expect((await stayingObjects).map((o) => `${o.groupId}/${o.objectId}`)).toEqual([
      '0/0',
      '0/1',
      '0/2',
      '0/3',
      '1/0',
      '1/1',
      '1/2',
      '1/3',
    ]);
  });
});
