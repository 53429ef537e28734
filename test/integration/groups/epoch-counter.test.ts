// The seeds 000/003 variant of the security-group protocol end to end on a real relay and a real
// Coordination Service (its Epoch Counter API) over loopback QUIC and HTTPS: members publish their
// KeyPackages, Welcomes and commits on MoQ themselves. Create, two joins, a leave and a moderator
// removal with exporters compared at every epoch; two committers racing for one epoch; a member
// that was offline catching up; hostile objects on every per-party track.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { SFrameMlsContext, nobleBackend } from '../../../common/sframe/index.js';
import { counterTrack } from '../../../main/coordination/tracks.js';
import { partyIdOf } from '../../../main/groups/counter-transport.js';
import { LocalTrackPublisher } from '../../../main/groups/local-publisher.js';
import type { SecurityGroupEvent } from '../../../main/groups/security-group.js';
import { newEpochFromState } from '../../../main/mls/epoch-keys.js';
import { generateIdentity } from '../../../main/mls/identity.js';
import { createIdentityKeyPackage } from '../../../main/mls/identity-credential.js';
import { createMlsEnv } from '../../../main/mls/index.js';
import type { ClientState } from '../../../main/mls/index.js';
import {
  decodeKeyPackageMessage,
  encodeKeyPackageMessage,
  keyPackageRef,
} from '../../../main/mls/messages.js';
import { bytesToHex } from '../../../common/codec/bytes.js';
import { connectMoqt } from '../../../main/moqt/connect.js';
import type { LocalStack } from '../../../main/local-stack.js';
import type { MemberOptions } from '../../../main/groups/member.js';
import { exporterOf, groupStack, member, useGroupStackCleanup } from '../../support/group-stack.js';
import type { TestMember } from '../../support/group-stack.js';

useGroupStackCleanup();

type JoinRequestEvent = Extract<SecurityGroupEvent, { type: 'join-request' }>;

const counterMember = (stack: LocalStack, name: string, options: Partial<MemberOptions> = {}) =>
  member(stack, name, { protocol: 'epoch-counter', ...options });

async function mediaKeys(state: ClientState): Promise<SFrameMlsContext> {
  const epoch = newEpochFromState(await createMlsEnv(), state);
  const context = new SFrameMlsContext({ backend: nobleBackend, ownLeafIndex: epoch.ownLeafIndex });
  await context.installEpoch({ epoch: epoch.epoch, exporter: epoch.exporter, leafCount: epoch.leafCount });
  context.useEpochForSending(epoch.epoch, epoch.ownLeafIndex);
  return context;
}

async function allAt(members: readonly TestMember[], epoch: bigint): Promise<void> {
  await vi.waitFor(
    () => {
      for (const m of members) expect(m.group.epoch, m.name).toBe(epoch);
    },
    { timeout: 30_000, interval: 50 },
  );
  expect(new Set(await Promise.all(members.map(exporterOf))).size).toBe(1);
  expect(new Set(members.map((m) => m.group.verificationCode())).size).toBe(1);
}

const ownCommits = (m: TestMember) =>
  m.events.flatMap((e) => (e.type === 'epoch' && e.ownCommit ? [e.epoch] : []));
const warnings = (m: TestMember) => m.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));

describe('security group with the epoch counter (seeds 000/003)', () => {
  it(
    'creates, admits two joiners, lets one leave and removes the other; exporters agree at every epoch',
    { timeout: 90_000 },
    async () => {
      const stack = await groupStack();
      const requests: JoinRequestEvent[] = [];
      const alice = await counterMember(stack, 'Alice', {
        approval: { kind: 'manual' },
        onEvent: (event) => {
          if (event.type === 'join-request') requests.push(event);
        },
      });
      expect(alice.group.protocol).toBe('epoch-counter');
      expect(alice.events.find((e) => e.type === 'joined')).toMatchObject({ created: true, epoch: 0n });
      expect(alice.group.isCommitter).toBe(true);
      // No seed 002 owner token: the group was made through the counter, not POST /request.
      expect(alice.group.ownerToken).toBeUndefined();
      expect(await stack.coordinator.store.getGroup('studio')).toBeUndefined();

      // Approval still shows who asks: name and fingerprint from the KeyPackage's credential.
      const bobJoining = counterMember(stack, 'Bob');
      await vi.waitFor(() => expect(requests).toHaveLength(1), { timeout: 15_000 });
      expect(requests[0]!.request.displayName).toBe('Bob');
      expect(requests[0]!.request.fingerprint).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
      requests[0]!.approve();
      const bob = await bobJoining;
      await allAt([alice, bob], 1n);

      const carolJoining = counterMember(stack, 'Carol');
      await vi.waitFor(() => expect(requests).toHaveLength(2), { timeout: 15_000 });
      requests[1]!.approve();
      const carol = await carolJoining;
      await allAt([alice, bob, carol], 2n);
      expect(
        alice.group
          .members()
          .map((m) => m.displayName)
          .sort(),
      ).toEqual(['Alice', 'Bob', 'Carol']);

      const bobLastState = bob.group.mlsState!;
      await bob.group.leave();
      await allAt([alice, carol], 3n);
      expect(bob.group.epoch).toBeUndefined();
      expect(bob.events.some((e) => e.type === 'removed')).toBe(true);

      const carolLastState = carol.group.mlsState!;
      alice.group.removeMember(carol.identity.publicKey);
      await vi.waitFor(() => expect(carol.events.some((e) => e.type === 'removed')).toBe(true), {
        timeout: 20_000,
      });
      await allAt([alice], 4n);
      expect(alice.group.members().map((m) => m.displayName)).toEqual(['Alice']);

      // The counter agrees once the last increment landed (members apply a commit as soon as it is
      // published, before its author increments): value = the next epoch to create.
      await vi.waitFor(async () =>
        expect(await stack.coordinator.store.lock('studio', 1n << 62n, 'probe', 1)).toEqual({
          result: 'counter-error',
          current: 5n,
        }),
      );

      // Every epoch each member saw, it saw once and in order.
      const seen = alice.events.flatMap((e) => (e.type === 'epoch' ? [e.epoch] : []));
      expect(seen).toEqual([0n, 1n, 2n, 3n, 4n]);

      // Media after the removals: the removed members hold only their last epoch's keys.
      const metadata = new TextEncoder().encode('track/0/0');
      const frame = await (
        await mediaKeys(alice.group.mlsState!)
      ).protect(new Uint8Array(100).fill(7), metadata);
      for (const last of [bobLastState, carolLastState]) {
        await expect((await mediaKeys(last)).unprotect(frame, metadata)).rejects.toThrow();
      }
      const aliceAgain = await mediaKeys(alice.group.mlsState!);
      expect((await aliceAgain.unprotect(frame, metadata)).plaintext).toEqual(new Uint8Array(100).fill(7));
      expect(warnings(alice)).toEqual([]);
    },
  );

  it('two committers racing for the same epoch end in one linear history', { timeout: 120_000 }, async () => {
    const stack = await groupStack();
    const alice = await counterMember(stack, 'Alice');
    const moderator = await counterMember(stack, 'Moderator', { committer: true });
    const viewer = await counterMember(stack, 'Viewer');
    const everyone = [alice, moderator, viewer];
    let epoch = 2n;
    await allAt(everyone, epoch);

    let collisions = 0;
    for (let round = 0; round < 4 && collisions === 0; round++) {
      const before = [alice, moderator].map((m) => m.group.counterStats!);
      // Both prepare a commit in the same epoch and ask for the same lock.
      alice.group.updateOwnLeaf();
      moderator.group.updateOwnLeaf();
      epoch += 2n;
      await allAt(everyone, epoch);
      const after = [alice, moderator].map((m) => m.group.counterStats!);
      for (let i = 0; i < 2; i++) {
        collisions += after[i]!.conflicts - before[i]!.conflicts + after[i]!.behind - before[i]!.behind;
      }
    }
    // At least one round really raced: the loser was refused (Conflict or CounterError)...
    expect(collisions).toBeGreaterThan(0);
    // ...and exactly one commit made each epoch: no epoch is both committers' own.
    const a = new Set(ownCommits(alice));
    const m = new Set(ownCommits(moderator));
    expect([...a].filter((e) => m.has(e))).toEqual([]);
    for (let e = 3n; e <= epoch; e++) expect(a.has(e) || m.has(e), `epoch ${e}`).toBe(true);
    for (const x of everyone) {
      const seen = x.events.flatMap((ev) => (ev.type === 'epoch' ? [ev.epoch] : []));
      expect(seen, x.name).toEqual([...new Set(seen)].sort((p, q) => (p < q ? -1 : 1)));
    }
    expect(alice.group.counterStats!.lostLocks + moderator.group.counterStats!.lostLocks).toBe(0);
  });

  it(
    'a member offline during commits catches up from the committers when it comes back',
    { timeout: 90_000 },
    async () => {
      const stack = await groupStack();
      const alice = await counterMember(stack, 'Alice');
      const bob = await counterMember(stack, 'Bob');
      await allAt([alice, bob], 1n);
      const bobDir = bob.dataDir;
      await bob.close();

      await counterMember(stack, 'Carol');
      alice.group.updateOwnLeaf();
      await vi.waitFor(() => expect(alice.group.epoch).toBe(3n), { timeout: 20_000 });

      const bobAgain = await counterMember(stack, 'Bob', { dataDir: bobDir });
      expect(bobAgain.events.find((e) => e.type === 'joined')).toMatchObject({ resumed: true, epoch: 1n });
      await allAt([alice, bobAgain], 3n);
      expect(bobAgain.events.some((e) => e.type === 'rejoining')).toBe(false);
    },
  );

  it(
    'hostile objects on KeyPackage, Welcome and commit tracks are refused without breaking anyone',
    { timeout: 90_000 },
    async () => {
      const stack = await groupStack();
      const requests: JoinRequestEvent[] = [];
      const alice = await counterMember(stack, 'Alice', {
        approval: { kind: 'manual' },
        onEvent: (event) => {
          if (event.type === 'join-request') requests.push(event);
        },
      });

      // A rogue client publishes under the group's prefixes.
      const rogue = new LocalTrackPublisher();
      const session = await connectMoqt(stack.relayUrl, { handler: rogue });
      const publish = async (track: ReturnType<typeof counterTrack>, group: bigint, payload: Uint8Array) => {
        await rogue.track(track).publish(group, 0n, payload);
        await session.publishNamespace(track.namespace);
      };
      try {
        const env = await createMlsEnv();
        // Garbage instead of a KeyPackage.
        await publish(counterTrack('studio', 'keypackages', 'ab'.repeat(16)), 0n, Uint8Array.of(0, 1, 5));
        // A valid KeyPackage of Eve under Mallory's sender id.
        const eveKp = await createIdentityKeyPackage(env, generateIdentity('Eve'));
        await publish(
          counterTrack('studio', 'keypackages', partyIdOf(generateIdentity('Mallory').publicKey)),
          0n,
          encodeKeyPackageMessage(eveKp.publicPackage),
        );
        // A "commit" for the current epoch that is no commit at all.
        await publish(counterTrack('studio', 'commits', 'cd'.repeat(16)), 0n, new Uint8Array(64).fill(9));

        await vi.waitFor(
          () => {
            const all = warnings(alice).join('\n');
            expect(all).toMatch(/ignored a KeyPackage from (ab)+: key_package: malformed MLSMessage/);
            expect(all).toMatch(
              /ignored a KeyPackage from [0-9a-f]+: .*does not match the track's sender id/,
            );
            expect(all).toMatch(/ignored a commit for epoch 0 could not be processed/);
          },
          { timeout: 15_000 },
        );
        expect(requests).toEqual([]);
        expect(alice.group.epoch).toBe(0n);

        // Bob asks to join; the rogue reads his KeyPackage and squats his Welcome track with garbage
        // before Alice approves.
        const bobEvents: SecurityGroupEvent[] = [];
        const bobJoining = counterMember(stack, 'Bob', { onEvent: (event) => bobEvents.push(event) });
        await vi.waitFor(() => expect(requests).toHaveLength(1), { timeout: 15_000 });
        const bobKeyPackage = (
          await rogueFetch(
            session,
            counterTrack('studio', 'keypackages', partyIdOf(requests[0]!.request.identityPublicKey)),
          )
        )[0]!;
        const ref = bytesToHex(await keyPackageRef(env, decodeKeyPackageMessage(bobKeyPackage).keyPackage));
        await publish(counterTrack('studio', 'welcome', ref), 0n, Uint8Array.of(1, 2, 3));
        requests[0]!.approve();
        await vi.waitFor(
          () =>
            expect(
              bobEvents.some(
                (e) => e.type === 'warning' && /ignored an unusable Welcome: welcome:/.test(e.message),
              ),
            ).toBe(true),
          { timeout: 15_000 },
        );
        // The squatter leaves; the relay routes Bob's next FETCH to Alice's real Welcome.
        session.close(0, 'rogue gone');
        const bob = await bobJoining;
        await allAt([alice, bob], 1n);
        for (const m of [alice, bob]) expect(m.events.some((e) => e.type === 'rejoining')).toBe(false);
      } finally {
        session.close(0, 'done');
      }
    },
  );

  it('the demo command runs with --protocol epoch-counter', { timeout: 90_000 }, async () => {
    const cli = fileURLToPath(new URL('../../../bin/moq-studio.mjs', import.meta.url));
    const args = ['demo', '--json', '--viewers', '2', '--seconds', '5', '--fps', '10'];
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = spawn(process.execPath, [cli, ...args, '--protocol', 'epoch-counter']);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', (exitCode) => resolve({ stdout: out, code: exitCode }));
    });
    const summary = JSON.parse(stdout) as {
      ok: boolean;
      failures: string[];
      viewers: { removed: boolean; framesDecrypted: number; framesDecryptedAfterRemoval: number }[];
    };
    expect(summary.failures).toEqual([]);
    expect(code).toBe(0);
    expect(summary.ok).toBe(true);
    expect(summary.viewers.filter((v) => v.removed)).toHaveLength(1);
    for (const viewer of summary.viewers) expect(viewer.framesDecryptedAfterRemoval).toBe(0);
  });
});

async function rogueFetch(
  session: Awaited<ReturnType<typeof connectMoqt>>,
  track: ReturnType<typeof counterTrack>,
): Promise<Uint8Array[]> {
  const result = await session.fetch(track, {
    start: { group: 0n, object: 0n },
    end: { group: 1n, object: 0n },
  });
  const payloads: Uint8Array[] = [];
  for await (const object of result) payloads.push(object.payload);
  return payloads;
}
