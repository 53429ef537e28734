// The security-group protocol of seed 002 end to end on a real relay and Coordination Service over
// loopback QUIC and HTTPS: create, joins, a leave, a moderator removal, with every member's exporter
// compared at every epoch and the removed members locked out of the new epoch's media keys.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import type { SecurityGroupEvent } from '../../../main/groups/security-group.js';
import { SFrameMlsContext, nobleBackend } from '../../../common/sframe/index.js';
import { newEpochFromState } from '../../../main/mls/epoch-keys.js';
import { createMlsEnv } from '../../../main/mls/index.js';
import type { ClientState } from '../../../main/mls/index.js';
import { exporterOf, groupStack, member, useGroupStackCleanup } from '../../support/group-stack.js';
import type { TestMember } from '../../support/group-stack.js';

useGroupStackCleanup();

type JoinRequestEvent = Extract<SecurityGroupEvent, { type: 'join-request' }>;

/** An SFrame context holding the media keys of the epoch `state` is in. */
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
    { timeout: 20_000, interval: 50 },
  );
  const exporters = await Promise.all(members.map(exporterOf));
  expect(new Set(exporters).size).toBe(1);
  const codes = members.map((m) => m.group.verificationCode());
  expect(new Set(codes).size).toBe(1);
}

describe('security group over a real relay and coordinator', () => {
  it('creates, admits two joiners, lets one leave and removes the other', { timeout: 60_000 }, async () => {
    const stack = await groupStack();
    const alice = await member(stack, 'Alice');
    expect(alice.events.find((e) => e.type === 'joined')).toMatchObject({ created: true, epoch: 0n });
    expect(alice.group.isCommitter).toBe(true);

    const bob = await member(stack, 'Bob');
    await allAt([alice, bob], 1n);
    const carol = await member(stack, 'Carol');
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
    const carolKey = carol.identity.publicKey;
    alice.group.removeMember(carolKey);
    await vi.waitFor(() => expect(carol.events.some((e) => e.type === 'removed')).toBe(true), {
      timeout: 20_000,
    });
    await allAt([alice], 4n);
    expect(alice.group.members().map((m) => m.displayName)).toEqual(['Alice']);

    // Media sent after the removals: the removed members hold only their last epoch's keys.
    const metadata = new TextEncoder().encode('track/0/0');
    const frame = await (
      await mediaKeys(alice.group.mlsState!)
    ).protect(new Uint8Array(100).fill(7), metadata);
    for (const last of [bobLastState, carolLastState]) {
      await expect((await mediaKeys(last)).unprotect(frame, metadata)).rejects.toThrow();
    }
    // ...while a member of the epoch decrypts it (the check above can fail).
    const aliceAgain = await mediaKeys(alice.group.mlsState!);
    expect((await aliceAgain.unprotect(frame, metadata)).plaintext).toEqual(new Uint8Array(100).fill(7));
  });

  it(
    'manual approval shows the requester and admits only whom the moderator approves',
    { timeout: 60_000 },
    async () => {
      const stack = await groupStack();
      const requests: JoinRequestEvent[] = [];
      const alice = await member(stack, 'Alice', {
        approval: { kind: 'manual' },
        onEvent: (event) => {
          if (event.type === 'join-request') requests.push(event);
        },
      });
      const mallory = member(stack, 'Mallory', { joinTimeoutMs: 3000 });
      await vi.waitFor(() => expect(requests).toHaveLength(1), { timeout: 10_000 });
      expect(requests[0]!.request.displayName).toBe('Mallory');
      expect(requests[0]!.request.fingerprint).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
      requests[0]!.deny();
      await expect(mallory).rejects.toThrow(/no Welcome/);
      expect(alice.group.epoch).toBe(0n);

      const bob = member(stack, 'Bob');
      await vi.waitFor(() => expect(requests).toHaveLength(2), { timeout: 10_000 });
      requests[1]!.approve();
      await allAt([alice, await bob], 1n);
    },
  );

  it(
    'the demo command runs a producer, a moderator and viewers and reports success',
    { timeout: 90_000 },
    async () => {
      const cli = fileURLToPath(new URL('../../../bin/moq-studio.mjs', import.meta.url));
      const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
        const child = spawn(process.execPath, [
          cli,
          'demo',
          '--json',
          '--viewers',
          '2',
          '--seconds',
          '5',
          '--fps',
          '10',
        ]);
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.once('exit', (exitCode) => resolve({ stdout: out, code: exitCode }));
      });
      const summary = JSON.parse(stdout) as {
        ok: boolean;
        viewers: { removed: boolean; framesDecrypted: number; framesDecryptedAfterRemoval: number }[];
      };
      expect(code).toBe(0);
      expect(summary.ok).toBe(true);
      expect(summary.viewers).toHaveLength(2);
      expect(summary.viewers.filter((v) => v.removed)).toHaveLength(1);
      for (const viewer of summary.viewers) {
        expect(viewer.framesDecrypted).toBeGreaterThan(0);
        expect(viewer.framesDecryptedAfterRemoval).toBe(0);
      }
    },
  );
});
