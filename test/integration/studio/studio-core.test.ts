// The studio's Node core end to end on a real relay + Coordination Service: a producer core goes
// live, a viewer core joins by invite link, the producer approves, protected frames flow through the
// relay, the producer removes the viewer — and frames sent after that cannot be decrypted with
// anything the viewer's renderer was ever given. The "renderers" here are SFrame contexts fed only
// by the bridge events, exactly what the real renderer's worker receives.
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  BridgeEvent,
  EventName,
  EventPayload,
  MediaFrame,
  SessionPhase,
} from '../../../common/bridge/index.js';
import { ObjectMetadataEncoder, SFrameMlsContext } from '../../../common/sframe/index.js';
import { nodeCryptoBackend } from '../../../common/sframe/backends/node-crypto.node.js';
import { createStudioCore } from '../../../main/studio/index.js';
import type { StudioCore } from '../../../main/studio/index.js';
import { mediaTrackName } from '../../../main/studio/broadcast-media.js';
import { startLocalStack } from '../../../main/local-stack.js';
import { loadOrCreateCertificate } from '../../../main/quic/index.js';
import { startRelayServer } from '../../../main/relay/server.js';
import { groupStack, tempFolder, useGroupStackCleanup } from '../../support/group-stack.js';

useGroupStackCleanup();

const te = new TextEncoder();
const MARKER = te.encode('STUDIO-CORE-PLAINTEXT');

/** A core plus what its renderer would hold: the events it saw and an SFrame context keyed by them. */
class TestStudio {
  readonly events: BridgeEvent[] = [];
  readonly received: MediaFrame[] = [];
  sframe: SFrameMlsContext | undefined;
  keyWork = Promise.resolve();

  constructor(readonly core: StudioCore) {
    core.onEvent((event) => {
      this.events.push(event);
      if (event.name === 'mediaKeys') {
        const m = event.payload;
        this.sframe ??= new SFrameMlsContext({ backend: nodeCryptoBackend, ownLeafIndex: m.ownLeafIndex });
        const context = this.sframe;
        this.keyWork = this.keyWork.then(() =>
          context.installEpoch({
            epoch: BigInt(m.epoch),
            leafCount: m.leafCount,
            exporter: async () => m.baseKey,
          }),
        );
      }
      if (event.name === 'mediaSendEpoch') {
        const { epoch, ownLeafIndex } = event.payload;
        this.keyWork = this.keyWork.then(() => this.sframe!.useEpochForSending(BigInt(epoch), ownLeafIndex));
      }
    });
    core.onMedia((frame) => this.received.push(frame));
  }

  last<K extends EventName>(name: K): EventPayload<K> | undefined {
    const found = this.events.filter((e) => e.name === name).at(-1);
    return found?.payload as EventPayload<K> | undefined;
  }

  async waitFor<K extends EventName>(
    name: K,
    check: (payload: EventPayload<K>) => boolean,
    timeoutMs = 25_000,
  ) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.name === name && check(e.payload as EventPayload<K>));
      if (found) return found.payload as EventPayload<K>;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${name}`);
      await sleep(50);
    }
  }

  waitForPhase(phase: SessionPhase) {
    return this.waitFor('status', (s) => s.phase === phase);
  }
}

async function studio(
  embedded: { relayUrl: string; coordinatorUrl: string },
  name: string,
  dataDir = tempFolder(),
) {
  const core = await createStudioCore({
    dataDir,
    appVersion: '0.0.0-test',
    versions: process.versions,
    embedded,
  });
  await core.handlers.updateSettings({ displayName: name });
  return new TestStudio(core);
}

describe('studio core', () => {
  it('goes live, admits a viewer, carries only ciphertext, and cuts off a removed viewer', async () => {
    const stack = await groupStack();
    const producer = await studio(stack, 'Producer');
    const viewer = await studio(stack, 'Viewer');
    try {
      const live = await producer.core.handlers.createBroadcast('Friday Show');
      expect(live.phase).toBe('live');
      expect(live.inviteLink).toMatch(/^moq-studio:join\?/);
      await expect(producer.core.handlers.createBroadcast('Twice')).rejects.toThrow(/already in a broadcast/);

      // The producer's "renderer" encrypts frames for the broadcast's video track.
      const metadata = new ObjectMetadataEncoder(mediaTrackName(live.groupId!, 'video'));
      let group = 0;
      let object = 0;
      const sendFrames = async (count: number) => {
        for (let i = 0; i < count; i++) {
          await producer.keyWork;
          if (object === 10) {
            group++;
            object = 0;
          }
          const plain = new Uint8Array([...MARKER, group, object]);
          const payload = await producer.sframe!.protect(
            plain,
            metadata.encode(BigInt(group), BigInt(object)),
          );
          producer.core.sendMedia({ track: 'video', group, object, payload });
          object++;
          await sleep(40);
        }
      };
      // Frames of epoch 0, before anyone joins: the viewer will fetch this group but has no key for it.
      await producer.waitFor('mediaSendEpoch', (e) => e.epoch === 0, 10_000);
      await sendFrames(5);

      const waiting = await viewer.core.handlers.joinBroadcast(live.inviteLink!);
      expect(waiting.phase).toBe('waiting-approval');
      const [request] = await producer.waitFor('pendingJoins', (list) => list.length === 1);
      expect(request!.displayName).toBe('Viewer');
      await expect(producer.core.handlers.approveJoin('no-such-request')).rejects.toThrow(/no such pending/);
      await producer.core.handlers.approveJoin(request!.requestId);
      await viewer.waitForPhase('watching');

      // Both see the same epoch, members and verification code.
      const producerEpoch = await producer.waitFor('epoch', (e) => e.memberCount === 2);
      const viewerEpoch = await viewer.waitFor('epoch', (e) => e.epoch === producerEpoch.epoch);
      expect(viewerEpoch.verificationCode).toBe(producerEpoch.verificationCode);
      const snapshot = await viewer.core.handlers.getSnapshot();
      expect(snapshot.members.map((m) => m.displayName).sort()).toEqual(['Producer', 'Viewer']);
      expect(snapshot.status.mediaNamespace).toEqual(live.mediaNamespace);

      await producer.waitFor('mediaSendEpoch', (e) => e.epoch === producerEpoch.epoch, 10_000);
      // The switch came from the viewer's ack over MoQ, not from the timeout.
      const switched = (await producer.core.handlers.getSnapshot()).stats;
      expect(switched.keySwitchesAcked).toBe(1);
      expect(switched.keySwitchesTimedOut).toBe(0);
      await sendFrames(40);
      await waitUntil(() => viewer.received.length >= 10);
      await viewer.keyWork;
      let decrypted = 0;
      for (const frame of viewer.received) {
        expect(containsMarker(frame.payload)).toBe(false); // only ciphertext crossed the relay
        try {
          await viewer.sframe!.unprotect(
            frame.payload,
            metadata.encode(BigInt(frame.group), BigInt(frame.object)),
          );
          decrypted++;
        } catch {
          // Frames sent before the viewer's epoch are not for it.
        }
      }
      // Every frame the viewer's core handed over opens: frames under epochs it has no key for (from
      // before it joined) are held back in the core, not passed on to fail in the renderer.
      expect(decrypted).toBe(viewer.received.length);
      expect(decrypted).toBeGreaterThan(5);
      expect((await viewer.core.handlers.getSnapshot()).stats.framesWithoutKey).toBeGreaterThan(0);

      // Removal: the viewer's page turns to 'removed'; the producer switches keys at once.
      const viewerFingerprint = snapshot.ownFingerprint!;
      await expect(
        producer.core.handlers.removeMember(producer.last('members')!.find((m) => m.self)!.fingerprint),
      ).rejects.toThrow(/cannot remove yourself/);
      await producer.core.handlers.removeMember(viewerFingerprint);
      await viewer.waitForPhase('removed');
      const afterRemoval = await producer.waitFor('epoch', (e) => e.memberCount === 1);
      await producer.waitFor('mediaSendEpoch', (e) => e.epoch === afterRemoval.epoch, 10_000);
      const sentBefore = group * 10 + object;
      await sendFrames(10);
      // The removed viewer's core forwards nothing more; even a frame it somehow got would not open.
      const last = group;
      const lastObject = object - 1;
      const late = await producer.sframe!.protect(
        MARKER,
        metadata.encode(BigInt(last), BigInt(lastObject + 100)),
      );
      await viewer.keyWork;
      await expect(
        viewer.sframe!.unprotect(late, metadata.encode(BigInt(last), BigInt(lastObject + 100))),
      ).rejects.toThrow();
      expect(viewer.received.every((f) => f.group * 10 + f.object < sentBefore)).toBe(true);
      expect((await viewer.core.handlers.getSnapshot()).status.message).toMatch(/removed/);
    } finally {
      await producer.core.close();
      await viewer.core.close();
    }
  }, 90_000);

  it('reconnects producer and viewer after the relay restarts, media flows again, and the end reaches the viewer', async () => {
    const dataDir = tempFolder();
    const stack = await startLocalStack({ dataDir });
    let relay = stack.relay;
    const producer = await studio(stack, 'Producer');
    const viewer = await studio(stack, 'Viewer');
    try {
      const live = await producer.core.handlers.createBroadcast('Resilient');
      await viewer.core.handlers.joinBroadcast(live.inviteLink!);
      const [request] = await producer.waitFor('pendingJoins', (list) => list.length === 1);
      await producer.core.handlers.approveJoin(request!.requestId);
      await viewer.waitForPhase('watching');
      const joined = await producer.waitFor('epoch', (e) => e.memberCount === 2);
      await producer.waitFor('mediaSendEpoch', (e) => e.epoch === joined.epoch, 10_000);

      // The relay goes away and comes back on the same port with the same certificate.
      await relay.close();
      await viewer.waitForPhase('reconnecting');
      await producer.waitForPhase('reconnecting');
      relay = await startRelayServer({
        host: '127.0.0.1',
        port: stack.relay.port,
        certificate: await loadOrCreateCertificate(join(dataDir, 'certificate')),
        fetchFromPublisher: true,
      });
      const phasesSeen = (t: TestStudio) =>
        t.events.filter((e) => e.name === 'status').map((e) => e.payload.phase);
      await waitUntil(
        () => phasesSeen(producer).at(-1) === 'live' && phasesSeen(viewer).at(-1) === 'watching',
        60_000,
      );

      // Same group, same epoch: the members resumed from SQLite instead of rejoining.
      const snapshot = await viewer.core.handlers.getSnapshot();
      expect(snapshot.epoch?.epoch).toBe(joined.epoch);
      expect(snapshot.members).toHaveLength(2);
      const before = viewer.received.length;
      const metadata = new ObjectMetadataEncoder(mediaTrackName(live.groupId!, 'video'));
      await producer.keyWork;
      for (let object = 0; viewer.received.length === before && object < 200; object++) {
        const payload = await producer.sframe!.protect(MARKER, metadata.encode(7n, BigInt(object)));
        producer.core.sendMedia({ track: 'video', group: 7, object, payload });
        await sleep(50);
      }
      const frame = viewer.received.at(-1)!;
      await viewer.keyWork;
      const opened = await viewer.sframe!.unprotect(
        frame.payload,
        metadata.encode(BigInt(frame.group), BigInt(frame.object)),
      );
      expect(opened.plaintext).toEqual(MARKER);

      // The producer ends the broadcast: the viewer learns it (not a dropped connection).
      await producer.core.handlers.leaveBroadcast();
      await viewer.waitForPhase('ended');
    } finally {
      await producer.core.close();
      await viewer.core.close();
      await stack.coordinator.close();
      await relay.close();
    }
  }, 120_000);

  it('tells denied joiners (moderator or allowlist), and applies an approval policy changed while live', async () => {
    const stack = await groupStack();
    const producer = await studio(stack, 'Producer');
    const denied = await studio(stack, 'Denied');
    const first = await studio(stack, 'First');
    const second = await studio(stack, 'Second');
    const stranger = await studio(stack, 'Stranger');
    try {
      const live = await producer.core.handlers.createBroadcast('Open house');
      // A denial reaches the joiner at once instead of after its wait for a Welcome runs out.
      await denied.core.handlers.joinBroadcast(live.inviteLink!);
      const [refused] = await producer.waitFor('pendingJoins', (list) => list.length === 1);
      expect((await denied.core.handlers.getSnapshot()).ownFingerprint).toBe(refused!.fingerprint);
      await producer.core.handlers.denyJoin(refused!.requestId);
      const outcome = await denied.waitForPhase('denied');
      expect(outcome.message).toMatch(/declined/);

      await first.core.handlers.joinBroadcast(live.inviteLink!);
      await producer.waitFor('pendingJoins', (list) => list.some((p) => p.displayName === 'First'));
      // Switching to 'open' admits the one already waiting…
      await producer.core.handlers.updateSettings({ approval: 'open' });
      await first.waitForPhase('watching');
      expect((await producer.core.handlers.getSnapshot()).pendingJoins).toEqual([]);
      // …and everyone after, without asking.
      await second.core.handlers.joinBroadcast(live.inviteLink!);
      await second.waitForPhase('watching');
      expect(
        producer.events.some(
          (e) => e.name === 'pendingJoins' && e.payload.some((p) => p.displayName === 'Second'),
        ),
      ).toBe(false);
      await producer.waitFor('epoch', (e) => e.memberCount === 3);

      // An allowlist refuses strangers on its own, and they are told so too.
      const allowed = (await first.core.handlers.getSnapshot()).ownFingerprint!;
      await producer.core.handlers.updateSettings({ approval: 'allowlist', allowlist: [allowed] });
      await stranger.core.handlers.joinBroadcast(live.inviteLink!);
      await stranger.waitForPhase('denied');
    } finally {
      for (const t of [producer, denied, first, second, stranger]) await t.core.close();
    }
  }, 90_000);

  it('a producer updates its own leaf periodically (post-compromise security)', async () => {
    const stack = await groupStack();
    const core = await createStudioCore({
      dataDir: tempFolder(),
      appVersion: '0.0.0-test',
      versions: process.versions,
      embedded: stack,
      selfUpdateIntervalMs: 300,
    });
    const producer = new TestStudio(core);
    try {
      await core.handlers.createBroadcast('Rotating');
      const later = await producer.waitFor('epoch', (e) => e.epoch >= 2);
      expect(later.memberCount).toBe(1); // new epochs, same members: only fresh key material
      await producer.waitFor('mediaKeys', (m) => m.epoch >= 2);
    } finally {
      await core.close();
    }
  });

  it('refuses bad invite links and keeps a damaged settings file aside', async () => {
    const stack = await groupStack();
    const dataDir = tempFolder();
    writeFileSync(join(dataDir, 'settings.json'), '{"displayName": 42}');
    const viewer = await studio(stack, 'Viewer', dataDir);
    try {
      expect(existsSync(join(dataDir, 'settings.json.invalid'))).toBe(true);
      expect(JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')).displayName).toBe('Viewer');
      await expect(viewer.core.handlers.joinBroadcast('https://example.invalid/')).rejects.toThrow(
        /not a MoQ Studio invite/,
      );
      await expect(
        viewer.core.handlers.joinBroadcast(
          'moq-studio:join?v=1&group=x&relay=https://a/&coordinator=https://b/',
        ),
      ).rejects.toThrow(/relay address must use moqt/);
      await expect(viewer.core.handlers.leaveBroadcast()).rejects.toThrow(/not in a broadcast/);
      const idle = (await viewer.core.handlers.getSnapshot()).status;
      expect(idle.phase).toBe('idle');
      expect(idle.message).toMatch(/settings.json was not valid.*kept as settings.json.invalid/);
    } finally {
      await viewer.core.close();
    }
  });
});

function containsMarker(bytes: Uint8Array): boolean {
  outer: for (let i = 0; i + MARKER.length <= bytes.length; i++) {
    for (let j = 0; j < MARKER.length; j++) if (bytes[i + j] !== MARKER[j]) continue outer;
    return true;
  }
  return false;
}

async function waitUntil(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
