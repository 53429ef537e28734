// The coordinator publishing through our relay over real QUIC: accepted commits reach a subscriber
// on the CommitTrack (MoQ group = epoch, object 0, in order, gap-free), and a relay that was down
// gets everything once it comes up — live objects plus a FETCH answered from the outbox.
import { collect } from '../../support/moqt-objects.js';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCoordinator, type Coordinator } from '../../../main/coordination/index.js';
import { groupTrack } from '../../../main/coordination/tracks.js';
import { connectMoqt } from '../../../main/moqt/connect.js';
import { certificateFingerprint, generateSelfSignedCertificate } from '../../../main/quic/index.js';
import { startRelayServer, type RelayServer } from '../../../main/relay/server.js';
import {
  COMMIT,
  REQUEST,
  SECRET,
  bearer,
  commitMessage,
  commitRequest,
  joinRequest,
  post,
  tempDir,
} from '../../unit/coordination/fixtures.js';

const certificate = generateSelfSignedCertificate();
const fingerprint = certificateFingerprint(certificate.certPem);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function relay(port: number): Promise<RelayServer> {
  const server = await startRelayServer({ host: '127.0.0.1', port, certificate, fetchFromPublisher: true });
  cleanups.push(() => server.close());
  return server;
}

async function coordinator(relayPort: number): Promise<Coordinator> {
  const temp = tempDir();
  const started = await startCoordinator({
    dbPath: join(temp.path, 'cs.db'),
    secret: SECRET,
    rateLimit: false,
    relayUrl: `moqt://127.0.0.1:${relayPort}/?fp=${fingerprint}`,
    forwarder: { minBackoffMs: 50, maxBackoffMs: 200, pollIntervalMs: 100 },
  });
  cleanups.push(async () => {
    await started.close();
    temp.remove();
  });
  return started;
}

async function subscriber(port: number) {
  const session = await connectMoqt(`moqt://127.0.0.1:${port}/?fp=${fingerprint}`);
  cleanups.push(async () => session.close());
  return session;
}

async function commit(base: string, owner: string, epoch: bigint) {
  const response = await post(base, '/groups/g/commit', commitRequest('g', epoch), {
    ...COMMIT,
    ...bearer(owner),
  });
  expect(response.status).toBe(200);
}

describe('coordinator → relay forwarding', () => {
  it('delivers accepted commits on the CommitTrack with group = epoch, in order', async () => {
    const server = await relay(0);
    const cs = await coordinator(server.port);
    await vi.waitFor(() => expect(server.relay.stats.publishedNamespaces).toBe(1), { timeout: 5000 });
    const created = await post(cs.service.url, '/groups/g/request', joinRequest(), REQUEST);
    const owner = created.json.ownerToken as string;

    const subscription = await (await subscriber(server.port)).subscribe(groupTrack('g', 'commit'));
    await vi.waitFor(() => expect(cs.forwarder?.subscribers('g', 'commit')).toBe(1), { timeout: 5000 });
    const received = collect(subscription, 10);
    for (let epoch = 0n; epoch < 10n; epoch++) await commit(cs.service.url, owner, epoch);
    const objects = await received;
    expect(objects.map((o) => `${o.groupId}/${o.objectId}`)).toEqual(
      Array.from({ length: 10 }, (_, i) => `${i}/0`),
    );
    for (const object of objects)
      expect(Buffer.from(object.payload)).toEqual(Buffer.from(commitMessage('g', object.groupId)));
    await vi.waitFor(async () => expect(await cs.store.pendingOutbox(10)).toEqual([]));
  });

  it('delivers commits accepted while the relay was down once it comes up', async () => {
    const port = await freeUdpPort();
    const cs = await coordinator(port);
    const owner = (await post(cs.service.url, '/groups/g/request', joinRequest(), REQUEST)).json
      .ownerToken as string;
    for (let epoch = 0n; epoch < 5n; epoch++) await commit(cs.service.url, owner, epoch);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cs.forwarder?.connected).toBe(false);
    expect(await cs.store.pendingOutbox(10)).toHaveLength(5);

    const server = await relay(port);
    await vi.waitFor(async () => expect(await cs.store.pendingOutbox(10)).toEqual([]), { timeout: 10_000 });
    expect(cs.forwarder?.delivered).toBe(5);

    // A member arriving now subscribes for what comes next and FETCHes the past from the outbox.
    const session = await subscriber(server.port);
    const live = await session.subscribe(groupTrack('g', 'commit'));
    await vi.waitFor(() => expect(cs.forwarder?.subscribers('g', 'commit')).toBe(1), { timeout: 5000 });
    const past = await session.fetch(groupTrack('g', 'commit'), {
      start: { group: 0n, object: 0n },
      end: { group: 4n, object: 0n },
    });
    const fetched = await collect(past, 5);
    const next = collect(live, 1);
    await commit(cs.service.url, owner, 5n);
    const all = [...fetched, ...(await next)];
    expect(all.map((o) => `${o.groupId}/${o.objectId}`)).toEqual(
      Array.from({ length: 6 }, (_, i) => `${i}/0`),
    );
    for (const object of all)
      expect(Buffer.from(object.payload)).toEqual(Buffer.from(commitMessage('g', object.groupId)));

    // The relay goes away mid-session and comes back on the same port: the backlog follows.
    await server.close();
    await commit(cs.service.url, owner, 6n);
    await commit(cs.service.url, owner, 7n);
    await vi.waitFor(() => expect(cs.forwarder?.connected).toBe(false), { timeout: 5000 });
    const restarted = await relay(port);
    await vi.waitFor(async () => expect(await cs.store.pendingOutbox(10)).toEqual([]), { timeout: 10_000 });
    // Delivery across relay restarts is at least once per process (a write in flight when the relay
    // vanished is retried); what members see is the track, which must hold every epoch exactly once.
    const late = await subscriber(restarted.port);
    const history = await collect(
      await late.fetch(groupTrack('g', 'commit'), {
        start: { group: 0n, object: 0n },
        end: { group: 7n, object: 0n },
      }),
      8,
    );
    expect(history.map((o) => `${o.groupId}/${o.objectId}`)).toEqual(
      Array.from({ length: 8 }, (_, i) => `${i}/0`),
    );
  });
});
