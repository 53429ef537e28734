// Security groups under load and failure, on a real relay + Coordination Service: 20 members joining
// at once through two competing committers end in one linear history; a member that was offline
// catches up by FETCH; a member process killed with SIGKILL resumes from its SQLite file.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { CoordinationClient } from '../../../main/groups/coordination-client.js';
import {
  exporterOf,
  groupStack,
  member,
  tempFolder,
  useGroupStackCleanup,
} from '../../support/group-stack.js';
import type { TestMember } from '../../support/group-stack.js';

useGroupStackCleanup();

async function allAgree(members: readonly TestMember[], epoch: bigint): Promise<void> {
  await vi.waitFor(
    () => {
      for (const m of members) expect(m.group.epoch, m.name).toBe(epoch);
    },
    { timeout: 60_000, interval: 100 },
  );
  expect(new Set(await Promise.all(members.map(exporterOf))).size).toBe(1);
}

describe('security groups under concurrency and failures', () => {
  it(
    '20 concurrent joiners through two committers: one linear history, no fork',
    { timeout: 180_000 },
    async () => {
      const stack = await groupStack();
      const owner = await member(stack, 'Owner');
      const client = new CoordinationClient({ url: stack.coordinatorUrl });
      const second = await member(stack, 'Second committer', {
        committer: true,
        token: await client.mintToken('studio', owner.group.ownerToken!, 'committer'),
      });
      await allAgree([owner, second], 1n);

      const joiners = await Promise.all(
        Array.from({ length: 20 }, (_, i) => member(stack, `Joiner ${i + 1}`, { joinTimeoutMs: 120_000 })),
      );
      const everyone = [owner, second, ...joiners];
      const epoch = owner.group.epoch!;
      await allAgree(everyone, epoch);
      expect(owner.group.members()).toHaveLength(22);
      // Linear history: every epoch from 0 to the last was seen by the owner exactly once.
      const seen = owner.events.flatMap((e) => (e.type === 'epoch' ? [e.epoch] : []));
      expect(seen).toEqual(Array.from({ length: Number(epoch) + 1 }, (_, i) => BigInt(i)));
      // The service's own counter agrees: nothing was accepted that members did not apply.
      expect((await stack.coordinator.store.getGroup('studio'))?.epoch).toBe(epoch);
    },
  );

  it(
    'a member offline during several commits catches up by FETCH when it comes back',
    { timeout: 60_000 },
    async () => {
      const stack = await groupStack();
      const alice = await member(stack, 'Alice');
      const bob = await member(stack, 'Bob');
      await allAgree([alice, bob], 1n);
      const bobDir = bob.dataDir;
      await bob.close();

      await member(stack, 'Carol');
      await member(stack, 'Dave');
      alice.group.updateOwnLeaf();
      await vi.waitFor(() => expect(alice.group.epoch).toBe(4n), { timeout: 20_000 });

      const bobAgain = await member(stack, 'Bob', { dataDir: bobDir });
      expect(bobAgain.events.find((e) => e.type === 'joined')).toMatchObject({ resumed: true, epoch: 1n });
      await allAgree([alice, bobAgain], 4n);
    },
  );

  it('a member killed with SIGKILL resumes from SQLite and catches up', { timeout: 90_000 }, async () => {
    const stack = await groupStack();
    const alice = await member(stack, 'Alice');
    const dataDir = tempFolder();
    const cli = fileURLToPath(new URL('../../../bin/moq-studio.mjs', import.meta.url));
    const watch = () => {
      const child = spawn(
        process.execPath,
        [
          cli,
          'watch',
          '--json',
          '--relay',
          stack.relayUrl,
          '--coordinator',
          stack.coordinatorUrl,
          '--group',
          'studio',
          '--name',
          'Viewer',
          '--data-dir',
          dataDir,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const events: Record<string, unknown>[] = [];
      createInterface({ input: child.stdout }).on('line', (line) => {
        try {
          events.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not an event line
        }
      });
      return { child, events, exited: new Promise((resolve) => child.once('exit', resolve)) };
    };

    const first = watch();
    await vi.waitFor(() => expect(first.events.some((e) => e.event === 'joined')).toBe(true), {
      timeout: 30_000,
    });
    await vi.waitFor(() => expect(alice.group.epoch).toBe(1n), { timeout: 20_000 });
    first.child.kill('SIGKILL');
    await first.exited;

    // The group moves on while the viewer is dead.
    await member(stack, 'Carol');
    alice.group.updateOwnLeaf();
    await vi.waitFor(() => expect(alice.group.epoch).toBe(3n), { timeout: 20_000 });

    const second = watch();
    try {
      await vi.waitFor(
        () => expect(second.events.some((e) => e.event === 'epoch' && e.epoch === '3')).toBe(true),
        { timeout: 30_000 },
      );
      expect(second.events.find((e) => e.event === 'joined')).toMatchObject({ resumed: true, epoch: '1' });
      const code = second.events.find((e) => e.event === 'epoch' && e.epoch === '3')?.verificationCode;
      expect(code).toBe(alice.group.verificationCode());
      expect(alice.group.members()).toHaveLength(3);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
