// Randomized MLS consistency test (issue #5): every future ts-mls upgrade must pass it. For fixed seeds, a
// group of >= 30 members goes through 40 random add / remove / add+remove / update commits, each by a random
// current member. After EVERY commit: all members agree on epoch and exporter, every joiner processes its
// Welcome, every removed member learns it was removed and cannot derive the new epoch's exporter.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  commitChanges,
  createKeyPackage,
  createMlsEnv,
  createMlsGroup,
  epochOf,
  exportSecret,
  isRemoved,
  leafIndexOf,
  processCommit,
  processWelcome,
} from '../../../main/mls/index.js';
import type { Change, ClientState, MemberKeyPackage, MlsEnv } from '../../../main/mls/index.js';
import { bytesEqual, exporterSecretWithoutPath, toHex } from './mls-test-helpers.js';

const MEMBERS = 30;
const MAX_MEMBERS = 33;
const COMMITS = 40;
const SEEDS = [1, 2, 3];
const LABEL = 'moq-studio consistency';
const te = new TextEncoder();

/** mulberry32: small seeded PRNG, reproducible across runs. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

type Kind = 'update' | 'remove' | 'remove2' | 'add' | 'addremove';

let env: MlsEnv;
beforeAll(async () => {
  env = await createMlsEnv();
});

function exporter(s: ClientState): Promise<Uint8Array> {
  return exportSecret(env, s, LABEL, new Uint8Array(), 32);
}

async function runSeed(seed: number): Promise<Record<Kind, number>> {
  const rnd = prng(seed);
  let counter = 0;
  const newKp = (): Promise<MemberKeyPackage> => createKeyPackage(env, te.encode(`s${seed}-m${counter++}`));
  const creatorKp = await newKp();
  const kps: MemberKeyPackage[] = [];
  for (let i = 1; i < MEMBERS; i++) kps.push(await newKp());
  const init = await commitChanges(
    env,
    await createMlsGroup(env, te.encode(`group-${seed}`), creatorKp),
    kps.map((k) => ({ kind: 'add' as const, keyPackage: k.publicPackage })),
  );
  let members: ClientState[] = [init.newState];
  for (const k of kps) members.push(await processWelcome(env, init.welcome!, k, init.newState.ratchetTree));
  const counts: Record<Kind, number> = { update: 0, remove: 0, remove2: 0, add: 0, addremove: 0 };

  for (let op = 0; op < COMMITS; op++) {
    const where = `seed ${seed} op ${op}`;
    const ci = rnd(members.length);
    const committer = members[ci]!;
    // Keep the group between MEMBERS and MAX_MEMBERS.
    const kinds: Kind[] =
      members.length <= MEMBERS + 1
        ? ['update', 'add', 'addremove']
        : members.length >= MAX_MEMBERS - 1
          ? ['update', 'remove', 'remove2', 'addremove']
          : ['update', 'remove', 'remove2', 'add', 'addremove'];
    const kind = kinds[rnd(kinds.length)]!;
    counts[kind]++;
    const removed = new Set<number>();
    const pickOther = (): number => {
      for (;;) {
        const j = rnd(members.length);
        const leaf = leafIndexOf(members[j]!);
        if (j !== ci && !removed.has(leaf)) return leaf;
      }
    };
    const changes: Change[] = [];
    if (kind === 'remove' || kind === 'remove2' || kind === 'addremove') removed.add(pickOther());
    if (kind === 'remove2') removed.add(pickOther());
    for (const leafIndex of removed) changes.push({ kind: 'remove', leafIndex });
    const joiners: MemberKeyPackage[] = [];
    if (kind === 'add' || kind === 'addremove') joiners.push(await newKp(), await newKp());
    for (const k of joiners) changes.push({ kind: 'add', keyPackage: k.publicPackage });

    const out = await commitChanges(env, committer, changes);
    const newExporter = await exporter(out.newState);
    const newEpoch = epochOf(out.newState);
    const next: ClientState[] = [];
    for (const member of members) {
      if (member === committer) {
        next.push(out.newState);
        continue;
      }
      const wasRemoved = removed.has(leafIndexOf(member));
      const processed = await processCommit(env, member, out.commit);
      expect(processed.removed, `${where}: leaf ${leafIndexOf(member)} removed flag`).toBe(wasRemoved);
      if (wasRemoved) {
        // Its state is inert and it cannot compute the new exporter, neither from its (old) state nor
        // from its old init_secret with an all-zero commit secret.
        expect(isRemoved(processed.state)).toBe(true);
        expect(
          bytesEqual(await exporter(processed.state), newExporter),
          `${where}: removed member exporter`,
        ).toBe(false);
        const guess = await exporterSecretWithoutPath(
          env.cipherSuite,
          member.keySchedule.initSecret,
          out.newState.groupContext,
        );
        expect(
          bytesEqual(guess, out.newState.keySchedule.exporterSecret),
          `${where}: removed member guess`,
        ).toBe(false);
        continue;
      }
      next.push(processed.state);
    }
    for (const k of joiners) next.push(await processWelcome(env, out.welcome!, k, out.newState.ratchetTree));
    members = next;
    expect(members.length, `${where}: group size`).toBeGreaterThanOrEqual(MEMBERS);
    const expected = toHex(newExporter);
    for (const m of members) {
      expect(epochOf(m), `${where}: epoch of leaf ${leafIndexOf(m)}`).toBe(newEpoch);
      expect(toHex(await exporter(m)), `${where}: exporter of leaf ${leafIndexOf(m)}`).toBe(expected);
    }
  }
  return counts;
}

describe('MLS randomized consistency (ts-mls behind main/mls)', () => {
  for (const seed of SEEDS) {
    it(
      `seed ${seed}: ${MEMBERS}+ members, ${COMMITS} random commits stay consistent`,
      { timeout: 120_000 },
      async () => {
        const counts = await runSeed(seed);
        expect(counts.update + counts.add + counts.addremove + counts.remove + counts.remove2).toBe(COMMITS);
        expect(counts.addremove).toBeGreaterThan(0);
      },
    );
  }
});
