// EpochKeyScheduler with real MLS groups (main/mls facade) and real SFrame / secure-objects contexts:
// install-at-once, switch-on-acks-or-timeout, removed members, superseded epochs. Time is a fake clock.
import { makeGroup } from './mls-test-helpers.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { fullTrackName } from '../../../common/codec/track-name.js';
import { nobleBackend, SecureObjectsContext, SFrameMlsContext } from '../../../common/sframe/index.js';
import {
  EpochKeyScheduler,
  newEpochFromState,
  SecureObjectsTarget,
  SFrameMlsTarget,
  type SchedulerTimers,
  type SwitchReason,
} from '../../../main/mls/epoch-keys.js';
import { commitChanges, createMlsEnv, processCommit } from '../../../main/mls/index.js';
import type { ClientState, MlsEnv, MlsFramedMessage } from '../../../main/mls/index.js';

const te = new TextEncoder();

class FakeClock implements SchedulerTimers {
  time = 0;
  private nextId = 0;
  private readonly tasks = new Map<number, { at: number; run: () => void }>();
  readonly now = (): number => this.time;

  setTimeout(run: () => void, ms: number): unknown {
    this.tasks.set(++this.nextId, { at: this.time + ms, run });
    return this.nextId;
  }

  clearTimeout(handle: unknown): void {
    this.tasks.delete(handle as number);
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.tasks.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.tasks.delete(due[0]);
      this.time = due[1].at;
      due[1].run();
    }
    this.time = end;
  }
}

let env: MlsEnv;
beforeAll(async () => {
  env = await createMlsEnv();
});

interface Member {
  state: ClientState;
  readonly leaf: number;
  readonly scheduler: EpochKeyScheduler;
  readonly switches: [bigint, SwitchReason][];
  readonly readyToAck: bigint[];
}

interface SFrameMember extends Member {
  readonly sframe: SFrameMlsContext;
}

function makeMember(
  state: ClientState,
  leaf: number,
  clock: FakeClock,
  target: SFrameMlsTarget | SecureObjectsTarget,
): Member {
  const switches: [bigint, SwitchReason][] = [];
  const readyToAck: bigint[] = [];
  const scheduler = new EpochKeyScheduler({
    targets: [target],
    timers: clock,
    onSwitched: (epoch, reason) => switches.push([epoch, reason]),
    onReadyToAck: (epoch) => readyToAck.push(epoch),
  });
  return { state, leaf, scheduler, switches, readyToAck };
}

/** A 3-member group on SFrame contexts, all installed and sending in epoch 1. */
async function sframeGroup(clock: FakeClock): Promise<SFrameMember[]> {
  const states = await makeGroup(env, 3);
  const members = states.map((state, leaf): SFrameMember => {
    const sframe = new SFrameMlsContext({
      backend: nobleBackend,
      ownLeafIndex: leaf,
      retention: { retiredKeyTtlMs: 10_000, now: clock.now },
    });
    return { ...makeMember(state, leaf, clock, new SFrameMlsTarget(sframe)), sframe };
  });
  for (const m of members) await m.scheduler.onNewEpoch(newEpochFromState(env, m.state));
  for (const m of members) expect(m.switches).toEqual([[1n, 'initial']]);
  return members;
}

/** `committer` commits `changes`; everyone still in the group moves to the new epoch and installs it. */
async function commitAndInstall(
  members: Member[],
  committer: Member,
  changes: Parameters<typeof commitChanges>[2] = [],
): Promise<MlsFramedMessage> {
  const out = await commitChanges(env, committer.state, changes);
  for (const m of members) {
    if (m === committer) m.state = out.newState;
    else {
      const next = await processCommit(env, m.state, out.commit);
      if (next.removed) continue;
      m.state = next.state;
    }
    await m.scheduler.onNewEpoch(newEpochFromState(env, m.state));
  }
  return out.commit;
}

/** Delivers `from`'s ack for `epoch` to every other member. */
function ack(members: Member[], from: Member, epoch: bigint): void {
  for (const m of members) if (m !== from) m.scheduler.acknowledge(epoch, from.leaf);
}

async function frame(sender: SFrameMember, text: string): Promise<Uint8Array> {
  return sender.sframe.protect(te.encode(text));
}

async function opens(receiver: SFrameMember, ct: Uint8Array, epoch: bigint, text: string): Promise<void> {
  const out = await receiver.sframe.unprotect(ct);
  expect(out.epoch).toBe(epoch);
  expect(new TextDecoder().decode(out.plaintext)).toBe(text);
}

describe('EpochKeyScheduler with the sframe-mls profile', () => {
  it('keeps every frame decryptable across a transition: old-epoch and new-epoch senders both decrypt', async () => {
    const clock = new FakeClock();
    const [a, b, c] = await sframeGroup(clock);
    const all = [a!, b!, c!];
    await commitAndInstall(all, b!);
    for (const m of all) {
      expect(m.readyToAck).toEqual([1n, 2n]);
      expect(m.scheduler.pendingEpoch).toBe(2n);
      expect(m.sframe.currentSendEpoch).toBe(1n); // installed for decryption only
    }
    // Nobody switched yet: frames go out under epoch 1 and still decrypt everywhere.
    const old = await frame(a!, 'a-old');
    await opens(b!, old, 1n, 'a-old');
    await opens(c!, old, 1n, 'a-old');
    // B and C ack; A switches, B has C's ack only and keeps sending on epoch 1.
    ack(all, b!, 2n);
    ack(all, c!, 2n);
    expect(a!.switches.at(-1)).toEqual([2n, 'all-acked']);
    expect(b!.scheduler.currentSendEpoch).toBe(1n);
    const fromSwitched = await frame(a!, 'a-new');
    const fromNotSwitched = await frame(b!, 'b-old');
    await opens(b!, fromSwitched, 2n, 'a-new');
    await opens(c!, fromSwitched, 2n, 'a-new');
    await opens(a!, fromNotSwitched, 1n, 'b-old');
    await opens(c!, fromNotSwitched, 1n, 'b-old');
    ack(all, a!, 2n);
    expect(b!.switches.at(-1)).toEqual([2n, 'all-acked']);
    await opens(c!, await frame(b!, 'b-new'), 2n, 'b-new');
  });

  it('switches on all acks, not before the last one (acks may even arrive before the install)', async () => {
    const clock = new FakeClock();
    const [a, b, c] = await sframeGroup(clock);
    const out = await commitChanges(env, b!.state, []);
    // C is fast: it acks epoch 2 before A has processed the commit.
    a!.scheduler.acknowledge(2n, c!.leaf);
    a!.state = (await processCommit(env, a!.state, out.commit)).state;
    await a!.scheduler.onNewEpoch(newEpochFromState(env, a!.state));
    expect(a!.scheduler.currentSendEpoch).toBe(1n);
    clock.advance(1999);
    expect(a!.scheduler.currentSendEpoch).toBe(1n);
    a!.scheduler.acknowledge(2n, b!.leaf);
    expect(a!.switches).toEqual([
      [1n, 'initial'],
      [2n, 'all-acked'],
    ]);
    expect(a!.sframe.currentSendEpoch).toBe(2n);
    clock.advance(10_000); // the cancelled timer does not fire a second switch
    expect(a!.scheduler.stats.switched).toEqual({ 'all-acked': 1, timeout: 0, initial: 1, removal: 0 });
  });

  it('switches on timeout when one member never acks', async () => {
    const clock = new FakeClock();
    const [a, b, c] = await sframeGroup(clock);
    const all = [a!, b!, c!];
    await commitAndInstall(all, a!);
    ack(all, b!, 2n); // C stays silent
    clock.advance(1999);
    expect(a!.scheduler.currentSendEpoch).toBe(1n);
    clock.advance(1);
    expect(a!.switches.at(-1)).toEqual([2n, 'timeout']);
    expect(a!.sframe.currentSendEpoch).toBe(2n);
    // C installed epoch 2 when it processed the commit, so it decrypts anyway.
    await opens(c!, await frame(a!, 'late'), 2n, 'late');
  });

  it('switches at once when a member was removed, without waiting for acks', async () => {
    const clock = new FakeClock();
    const [a, b, c] = await sframeGroup(clock);
    const all = [a!, b!, c!];
    await commitAndInstall(all, a!, [{ kind: 'remove', leafIndex: c!.leaf }]);
    expect(c!.readyToAck).toEqual([1n]); // removed: no new epoch, nothing installed
    expect(newEpochFromState(env, a!.state).memberLeafIndices).toEqual([0, 1]);
    // The old key is known to C: nothing more goes out under it, acks or not.
    expect(a!.switches.at(-1)).toEqual([2n, 'removal']);
    expect(b!.switches.at(-1)).toEqual([2n, 'removal']);
    a!.scheduler.acknowledge(2n, c!.leaf); // a removed member's ack counts for nothing
    expect(a!.scheduler.stats.ignoredAcks).toBe(1);
    const secret = await frame(a!, 'after removal');
    await opens(b!, secret, 2n, 'after removal');
    await expect(c!.sframe.unprotect(secret)).rejects.toThrow();
  });

  it('two quick epochs: the pending one is superseded and sending goes straight to the newest', async () => {
    const clock = new FakeClock();
    const [a, b, c] = await sframeGroup(clock);
    const all = [a!, b!, c!];
    await commitAndInstall(all, b!);
    clock.advance(1500);
    await commitAndInstall(all, c!);
    ack(all, b!, 2n); // stale: epoch 2 was superseded
    ack(all, c!, 2n);
    clock.advance(400); // t=1900: epoch 3 inherited epoch 2's deadline (t=2000), not a new one
    expect(a!.scheduler.currentSendEpoch).toBe(1n);
    expect(a!.scheduler.pendingEpoch).toBe(3n);
    ack(all, b!, 3n);
    ack(all, c!, 3n);
    expect(a!.switches).toEqual([
      [1n, 'initial'],
      [3n, 'all-acked'],
    ]);
    expect(a!.scheduler.stats.superseded).toBe(1);
    await opens(b!, await frame(a!, 'newest'), 3n, 'newest');
    // B (no ack from A) switches to 3 at the deadline set when epoch 2 arrived (t=2000).
    clock.advance(99);
    expect(b!.scheduler.currentSendEpoch).toBe(1n);
    clock.advance(1);
    expect(b!.switches).toEqual([
      [1n, 'initial'],
      [3n, 'timeout'],
    ]);
    await opens(c!, await frame(b!, 'b3'), 3n, 'b3');
  });
});

describe('EpochKeyScheduler with the secure-objects profile', () => {
  it('drives the per-track contexts of a publisher and its subscribers across a transition', async () => {
    const clock = new FakeClock();
    const video = fullTrackName(['studio', 'room1', 'member-0'], 'video');
    const audio = fullTrackName(['studio', 'room1', 'member-0'], 'audio');
    const retention = { retiredKeyTtlMs: 10_000, now: clock.now };
    const states = await makeGroup(env, 3);
    const tracks = states.map(() => ({
      video: new SecureObjectsContext({ backend: nobleBackend, track: video, retention }),
      audio: new SecureObjectsContext({ backend: nobleBackend, track: audio, retention }),
    }));
    const targets = states.map(() => new SecureObjectsTarget());
    const all = states.map((state, leaf) => makeMember(state, leaf, clock, targets[leaf]!));
    const [a, b, c] = all;
    for (const [i, m] of all.entries()) {
      await targets[i]!.addTrack(tracks[i]!.video);
      await m.scheduler.onNewEpoch(newEpochFromState(env, m.state));
    }
    const send = (ctx: SecureObjectsContext, groupId: bigint, text: string) =>
      ctx.protect({ groupId, objectId: 0n, publisherPriority: 1 }, te.encode(text));
    const open = async (
      ctx: SecureObjectsContext,
      groupId: bigint,
      sealed: { payload: Uint8Array; immutableProperties: Uint8Array },
    ) => {
      const out = await ctx.unprotect(
        { groupId, objectId: 0n, publisherPriority: 1 },
        sealed.immutableProperties,
        sealed.payload,
      );
      return { keyId: out.keyId, text: new TextDecoder().decode(out.payload) };
    };

    await commitAndInstall(all, b!);
    // A track published mid-transition catches up: it sends on epoch 1 until the switch.
    for (const [i, t] of targets.entries()) await t.addTrack(tracks[i]!.audio);
    const oldVideo = await send(tracks[0]!.video, 0n, 'v0');
    const oldAudio = await send(tracks[0]!.audio, 0n, 'a0');
    for (const i of [1, 2]) {
      expect(await open(tracks[i]!.video, 0n, oldVideo)).toEqual({ keyId: 1n, text: 'v0' });
      expect(await open(tracks[i]!.audio, 0n, oldAudio)).toEqual({ keyId: 1n, text: 'a0' });
    }
    ack(all, b!, 2n);
    ack(all, c!, 2n);
    expect(a!.switches.at(-1)).toEqual([2n, 'all-acked']);
    const newVideo = await send(tracks[0]!.video, 1n, 'v1');
    const newAudio = await send(tracks[0]!.audio, 1n, 'a1');
    for (const i of [1, 2]) {
      expect(await open(tracks[i]!.video, 1n, newVideo)).toEqual({ keyId: 2n, text: 'v1' });
      expect(await open(tracks[i]!.audio, 1n, newAudio)).toEqual({ keyId: 2n, text: 'a1' });
    }

    // Removal: sending switches at once and the next epoch's objects are closed to C.
    await commitAndInstall(all, a!, [{ kind: 'remove', leafIndex: c!.leaf }]);
    expect(a!.switches.at(-1)).toEqual([3n, 'removal']);
    const afterRemoval = await send(tracks[0]!.video, 2n, 'v2');
    expect(await open(tracks[1]!.video, 2n, afterRemoval)).toEqual({ keyId: 3n, text: 'v2' });
    await expect(open(tracks[2]!.video, 2n, afterRemoval)).rejects.toThrow();
  });
});
