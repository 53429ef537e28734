// Interoperability with @moq/net, an independent MoQT implementation, over real QUIC on loopback:
// its clients through our relay, our client publishing to it, and our client subscribing from it.
// Both stacks negotiate draft-18 through the 'moqt-18' ALPN; @moq/net runs on our QUIC layer via
// quicWebTransport(), which gives it the W3C WebTransport shape it expects.
//
// How @moq/net maps its model onto MoQT (read from its ietf/ layer, version 0.3.4):
// - a broadcast path "a/b" is the namespace tuple ['a', 'b']; a track name is the track name;
// - a group's sequence is the Group ID and its n-th frame is Object n, all in subgroup 0, one
//   stream per group;
// - frames carry a TIMESTAMP object property (0x10) when the subscriber did not opt out of
//   properties (it cannot before draft-20), so only the payload is compared, never the properties;
// - as a draft-18 publisher it ignores the subscription filter and serves from the latest group,
//   so every test publishes only after the subscription is in place;
// - as a subscriber it drops any subgroup stream whose header lacks FIRST_OBJECT, and it rejects
//   object ID gaps and subgroups other than 0;
// - as a publisher it ends each group with the header's END_OF_GROUP bit plus FIN, never with an
//   END_OF_GROUP status object.
//
// Interop bugs these tests found on our side (both fixed):
// - we never set FIRST_OBJECT, which draft-18 (§Subgroups) requires of an Original Publisher opening
//   a subgroup and of a relay forwarding one from its first object, so @moq/net dropped every group
//   we sent (TrackWriter.openSubgroup now sets it by default; the relay sets it from object 0);
// - a subgroup that ended with END_OF_GROUP bit + FIN did not tell our subscriber the group was
//   over, so the relay kept its downstream streams open and @moq/net never saw the groups end (our
//   session now reports it as an END_OF_GROUP status object, which the relay forwards).
import './setup.js';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Moq from '@moq/net';
import { fullTrackName, type TrackNamespace } from '../../../common/codec/track-name.js';
import { connectMoqt } from '../../../main/moqt/connect.js';
import type {
  IncomingPublishNamespace,
  IncomingSubscribe,
  MoqtObject,
  MoqtSession,
  RequestHandler,
  TrackWriter,
} from '../../../main/moqt/session/index.js';
import { quicWebTransport } from '../../../main/moqt/session/quic-web-transport.js';
import {
  certificateFingerprint,
  connectQuic,
  generateSelfSignedCertificate,
  listenQuic,
  type MoqtTransport,
} from '../../../main/quic/index.js';
import { startRelayServer, type RelayServer } from '../../../main/relay/server.js';

const certificate = generateSelfSignedCertificate();
const fingerprint = certificateFingerprint(certificate.certPem);
const encoder = new TextEncoder();

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  // Tearing sessions down mid-subscription makes @moq/net warn about every request it loses
  // ("subscribe error ... error=null"); that is expected here, so mute it for the teardown only.
  const { warn, error } = console;
  console.warn = console.error = () => {};
  try {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // best effort: the peer may already have closed it
      }
    }
  } finally {
    console.warn = warn;
    console.error = error;
  }
});

// ---- content: random payloads of varied sizes, so any loss, reordering or corruption shows ----

type Groups = Uint8Array[][];

function makeGroups(groups: number, framesPerGroup: number): Groups {
  const sizes = [1, 700, 1500, 12_000, 40_000];
  return Array.from({ length: groups }, (_, g) =>
    Array.from({ length: framesPerGroup }, (_, f) => {
      const payload = new Uint8Array(sizes[(g + f) % sizes.length]!);
      // getRandomValues fills at most 65536 bytes per call.
      for (let offset = 0; offset < payload.length; offset += 65_536) {
        crypto.getRandomValues(payload.subarray(offset, offset + 65_536));
      }
      return payload;
    }),
  );
}

/** Length and SHA-256 of the full payload: any altered byte changes it, and diffs stay readable. */
function digest(bytes: Uint8Array): string {
  return `${bytes.length}B#${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}`;
}

/** Expected and received content as comparable rows: one per frame, with its full payload. */
function rows(groups: Groups, firstGroup = 0): string[] {
  return groups.flatMap((frames, g) =>
    frames.map((payload, f) => `${firstGroup + g}/${f}:${digest(payload)}`),
  );
}

/**
 * Our subscriptions deliver each subgroup in order but interleave groups (one stream each), so
 * order by group first; the sort is stable, which keeps (and checks) the order within a group.
 */
function objectRows(objects: readonly MoqtObject[]): string[] {
  return [...objects]
    .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
    .map((o) => `${o.groupId}/${o.objectId}:${digest(o.payload)}`);
}

// ---- helpers ----

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Rejects with `what` if `promise` has not settled in time, so a stall fails fast and says where. */
async function within<T>(promise: Promise<T>, what: string, timeoutMs = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

function namespaceOf(path: string): TrackNamespace {
  return path.split('/').map((field) => encoder.encode(field));
}

/** @moq/net's transport parameter is typed as the DOM WebTransport; ours has the subset it uses. */
function asWebTransport(transport: MoqtTransport): WebTransport {
  return quicWebTransport(transport) as unknown as WebTransport;
}

async function relay(): Promise<RelayServer> {
  const server = await startRelayServer({ host: '127.0.0.1', port: 0, certificate });
  cleanups.push(() => server.close());
  return server;
}

async function ourClient(port: number, handler: RequestHandler = {}): Promise<MoqtSession> {
  const session = await connectMoqt(`moqt://127.0.0.1:${port}/?fp=${fingerprint}`, { handler });
  cleanups.push(() => session.close());
  return session;
}

/** An @moq/net client on our QUIC stack, as `Moq.Connection.connect` with a supplied transport. */
async function moqNetClient(port: number): Promise<Moq.Connection.Established> {
  const transport = await connectQuic({
    host: '127.0.0.1',
    port,
    trust: { kind: 'fingerprint', sha256: fingerprint },
  });
  cleanups.push(() => transport.close());
  const connection = await Moq.Connection.connect(new URL(`https://127.0.0.1:${port}/`), {
    transport: asWebTransport(transport),
  });
  cleanups.push(() => connection.close());
  expect(connection.version).toMatch(/18/);
  return connection;
}

/** A QUIC listener whose first connection is accepted by @moq/net's server-side handshake. */
async function moqNetServer(): Promise<{ port: number; connection: Promise<Moq.Connection.Established> }> {
  const listener = await listenQuic({ host: '127.0.0.1', port: 0, certificate });
  cleanups.push(() => listener.close());
  const connection = (async () => {
    for await (const transport of listener.connections) {
      cleanups.push(() => transport.close());
      const established = await Moq.Connection.accept(
        asWebTransport(transport),
        new URL(`https://127.0.0.1:${listener.port}/`),
      );
      cleanups.push(() => established.close());
      return established;
    }
    throw new Error('listener closed before a connection arrived');
  })();
  return { port: listener.port, connection };
}

/** Reads `count` groups from an @moq/net track subscriber, each frame's payload in frame order. */
async function readMoqNetGroups(subscriber: Moq.Track.Subscriber, count: number): Promise<Groups> {
  // Groups travel on separate streams and may arrive in any order; frames within one may not.
  const received = new Map<number, Uint8Array[]>();
  while (received.size < count) {
    const group = await subscriber.recvGroup();
    if (!group) throw new Error(`track ended after ${received.size} groups`);
    expect(received.has(group.sequence), `group ${group.sequence} delivered twice`).toBe(false);
    const frames: Uint8Array[] = [];
    for (let frame = await group.readFrame(); frame; frame = await group.readFrame()) {
      frames.push(new Uint8Array(frame.payload));
    }
    received.set(group.sequence, frames);
  }
  return Array.from({ length: count }, (_, sequence) => received.get(sequence) ?? []);
}

/** Collects `count` normal objects of one of our subscriptions, skipping status objects. */
async function collectObjects(objects: AsyncIterable<MoqtObject>, count: number): Promise<MoqtObject[]> {
  const received: MoqtObject[] = [];
  if (count === 0) return received;
  for await (const object of objects) {
    if (object.status !== 'normal') continue;
    received.push(object);
    if (received.length === count) break;
  }
  return received;
}

/** Publishes one group through an @moq/net track producer: frame n becomes object n. */
function writeMoqNetGroup(track: Moq.Track.Producer, frames: readonly Uint8Array[]): void {
  const group = track.appendGroup();
  for (const payload of frames) group.writeFrame({ payload, timestamp: Moq.Time.Timestamp.now() });
  group.close();
}

/** Publishes one group through our TrackWriter: subgroup 0, objects 0..n-1, END_OF_GROUP. */
async function writeOurGroup(
  writer: TrackWriter,
  groupId: number,
  frames: readonly Uint8Array[],
): Promise<void> {
  const subgroup = await writer.openSubgroup({ groupId: BigInt(groupId) });
  for (const [index, payload] of frames.entries()) await subgroup.write(BigInt(index), payload);
  await subgroup.close({ endOfGroup: true });
}

function publisherHandler() {
  const writer = deferred<TrackWriter>();
  const requests: IncomingSubscribe[] = [];
  return {
    writer: writer.promise,
    requests,
    onSubscribe(request: IncomingSubscribe) {
      requests.push(request);
      writer.resolve(request.accept());
    },
  };
}

// ---- scenarios ----

describe('interop with @moq/net over QUIC (draft-18)', () => {
  it('relays an @moq/net publisher to an @moq/net subscriber through our relay', async () => {
    const server = await relay();
    const path = Moq.Path.from('studio', 'moqnet-broadcast');

    const publisher = await moqNetClient(server.port);
    const broadcast = new Moq.Broadcast.Producer();
    cleanups.push(() => broadcast.close());
    const track = broadcast.createTrack('video');
    publisher.publish(path, broadcast);
    await until(() => server.relay.stats.publishedNamespaces === 1, 'the PUBLISH_NAMESPACE at the relay');

    const viewer = await moqNetClient(server.port);
    const consumed = viewer.consume(path);
    cleanups.push(() => consumed.close());
    const subscriber = consumed.track('video').subscribe();
    await until(
      () => server.relay.stats.downstreamSubscriptions === 1 && track.used.peek(),
      'the subscription to reach the publisher',
    );

    const groups = makeGroups(4, 5);
    const received = readMoqNetGroups(subscriber, groups.length);
    for (const frames of groups) writeMoqNetGroup(track, frames);
    expect(rows(await within(received, 'the groups'))).toEqual(rows(groups));
    expect(server.relay.stats.upstreamSubscriptions).toBe(1);
  });

  it('delivers our published objects to an @moq/net subscriber', async () => {
    const { port, connection } = await moqNetServer();
    const handler = publisherHandler();
    const ours = await ourClient(port, {
      onSubscribe: (request) => handler.onSubscribe(request),
      // @moq/net asks for announcements under a prefix; answer with our broadcast.
      onSubscribeNamespace(request) {
        request.accept().announce(namespaceOf('ours'));
      },
    });
    const peer = await connection;

    // It learns about the broadcast from our PUBLISH_NAMESPACE (and our NAMESPACE answer).
    const announced = peer.announced(Moq.Path.from('studio'));
    cleanups.push(() => announced.close());
    await ours.publishNamespace(namespaceOf('studio/ours'));
    expect(await within(announced.next(), 'the announcement')).toEqual({ path: 'ours', active: true });

    const consumed = peer.consume(Moq.Path.from('studio', 'ours'));
    cleanups.push(() => consumed.close());
    const subscriber = consumed.track('video').subscribe();
    const writer = await within(handler.writer, 'the SUBSCRIBE from @moq/net');
    const request = handler.requests[0]!;
    expect(request.track.namespace.map((field) => new TextDecoder().decode(field))).toEqual([
      'studio',
      'ours',
    ]);
    expect(new TextDecoder().decode(request.track.name)).toBe('video');

    const groups = makeGroups(4, 5);
    const received = readMoqNetGroups(subscriber, groups.length);
    for (const [g, frames] of groups.entries()) await writeOurGroup(writer, g, frames);
    expect(rows(await within(received, 'the groups'))).toEqual(rows(groups));
  });

  it('delivers an @moq/net broadcast to our subscriber', async () => {
    const { port, connection } = await moqNetServer();
    const announcement = deferred<IncomingPublishNamespace>();
    const ours = await ourClient(port, {
      onPublishNamespace(request) {
        request.accept();
        announcement.resolve(request);
      },
    });
    const peer = await connection;

    const broadcast = new Moq.Broadcast.Producer();
    cleanups.push(() => broadcast.close());
    const track = broadcast.createTrack('video');
    peer.publish(Moq.Path.from('studio', 'theirs'), broadcast);
    const published = await within(announcement.promise, 'the PUBLISH_NAMESPACE');
    expect(published.namespace.map((field) => new TextDecoder().decode(field))).toEqual(['studio', 'theirs']);

    const subscription = await ours.subscribe(fullTrackName(['studio', 'theirs'], 'video'));
    cleanups.push(() => subscription.cancel());
    const groups = makeGroups(4, 5);
    const received = collectObjects(subscription, groups.length * 5);
    for (const frames of groups) writeMoqNetGroup(track, frames);
    const objects = await within(received, 'the objects');
    expect(objectRows(objects)).toEqual(rows(groups));
    expect(objects.every((o) => o.subgroupId === 0n)).toBe(true);
  });

  it('serves an @moq/net subscriber and ours from the same broadcast through our relay', async () => {
    const server = await relay();
    const handler = publisherHandler();
    const publisher = await ourClient(server.port, {
      onSubscribe: (request) => handler.onSubscribe(request),
    });
    await publisher.publishNamespace(namespaceOf('studio/mixed'));

    const moqViewer = await moqNetClient(server.port);
    const consumed = moqViewer.consume(Moq.Path.from('studio', 'mixed'));
    cleanups.push(() => consumed.close());
    const moqSubscriber = consumed.track('video').subscribe();
    const ourViewer = await ourClient(server.port);
    const ourSubscription = await ourViewer.subscribe(fullTrackName(['studio', 'mixed'], 'video'));
    cleanups.push(() => ourSubscription.cancel());
    await until(() => server.relay.stats.downstreamSubscriptions === 2, 'both subscriptions at the relay');
    const writer = await within(handler.writer, 'the relay to subscribe upstream');

    const groups = makeGroups(3, 4);
    const moqReceived = readMoqNetGroups(moqSubscriber, groups.length);
    const ourReceived = collectObjects(ourSubscription, groups.length * 4);
    for (const [g, frames] of groups.entries()) await writeOurGroup(writer, g, frames);
    expect(rows(await within(moqReceived, 'the groups at @moq/net'))).toEqual(rows(groups));
    expect(objectRows(await within(ourReceived, 'the objects at our subscriber'))).toEqual(rows(groups));
    expect(server.relay.stats.upstreamSubscriptions).toBe(1);
  });
});
