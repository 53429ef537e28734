// GroupStateRepository against real SQLite files: create/load, one-transaction processMessage (duplicate,
// epoch checks, rollback on handler error), retention pruning, sealed-at-rest state and crash atomicity.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/store/database.js';
import type { SqliteDatabase } from '../../../main/store/database.js';
import {
  EpochError,
  GroupStateRepository,
  STORE_MIGRATIONS,
  UnknownStateVersionError,
} from '../../../main/store/group-state-repository.js';
import type {
  CommittedEvent,
  GroupStateRepositoryOptions,
} from '../../../main/store/group-state-repository.js';
import { keyFileSecretBox, SecretBoxError } from '../../../main/store/secret-box.js';
import { cleanupTempDirs, tempDir, te } from './store-test-helpers.js';

const open: SqliteDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  cleanupTempDirs();
});

function setup(options: GroupStateRepositoryOptions = {}, dir = tempDir()) {
  const dbPath = join(dir, 'state.db');
  const keyPath = join(dir, 'store.key');
  const db = openDatabase(dbPath, STORE_MIGRATIONS);
  open.push(db);
  const repo = new GroupStateRepository(db, keyFileSecretBox(keyPath), options);
  return { dir, dbPath, keyPath, db, repo };
}

const g = te.encode('group-A');
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

function bump(state: string, secret?: string) {
  return (c: { epoch: bigint }) => ({
    newEpoch: c.epoch + 1n,
    newState: te.encode(state),
    ...(secret !== undefined ? { epochSecret: te.encode(secret) } : {}),
  });
}

describe('GroupStateRepository', () => {
  it('creates, loads, lists and deletes groups', () => {
    const { repo, db } = setup();
    expect(repo.load(g)).toBeUndefined();
    repo.create(g, 3n, te.encode('s3'), 1, te.encode('k3'));
    expect(() => repo.create(g, 0n, te.encode('x'))).toThrow(/already exists/);
    const loaded = repo.load(g)!;
    expect(loaded.epoch).toBe(3n);
    expect(loaded.stateVersion).toBe(1);
    expect(text(loaded.state)).toBe('s3');
    repo.create(te.encode('group-B'), 0n, te.encode('b'));
    expect(repo.list().map((r) => [text(r.groupId), r.epoch])).toEqual([
      ['group-A', 3n],
      ['group-B', 0n],
    ]);
    expect(text(repo.loadEpochSecret(g, 3n))).toBe('k3');
    expect(repo.delete(g)).toBe(true);
    expect(repo.load(g)).toBeUndefined();
    expect(db.prepare('SELECT count(*) AS n FROM epoch_secrets').get()).toEqual({ n: 0 });
    expect(repo.delete(g)).toBe(false);
  });

  it('applies a message once and reports the replay as duplicate without calling the handler', () => {
    const events: CommittedEvent[] = [];
    const { repo } = setup({ onCommitted: (e) => events.push(e) });
    repo.create(g, 0n, te.encode('s0'));
    const perCall: bigint[] = [];
    const msg = te.encode('commit-1');
    expect(repo.processMessage(g, msg, bump('s1', 'k1'), { onCommitted: (e) => perCall.push(e.epoch) })).toBe(
      'applied',
    );
    expect(events.map((e) => e.epoch)).toEqual([1n]);
    expect(perCall).toEqual([1n]);
    expect(repo.isProcessed(g, msg)).toBe(true);
    let called = false;
    const again = repo.processMessage(g, msg, (c) => {
      called = true;
      return bump('s2')(c);
    });
    expect(again).toBe('duplicate');
    expect(called).toBe(false);
    expect(events).toHaveLength(1);
    expect(repo.load(g)!.epoch).toBe(1n);
    // same epoch (application message / proposal) is allowed
    expect(
      repo.processMessage(g, te.encode('app'), (c) => ({ newEpoch: c.epoch, newState: te.encode('s1b') })),
    ).toBe('applied');
    expect(text(repo.load(g)!.state)).toBe('s1b');
  });

  it('refuses epoch jumps and going back, writing nothing', () => {
    const { repo } = setup();
    repo.create(g, 5n, te.encode('s5'));
    for (const newEpoch of [4n, 7n, 0n]) {
      expect(() =>
        repo.processMessage(g, te.encode(`m${newEpoch}`), () => ({ newEpoch, newState: te.encode('x') })),
      ).toThrow(EpochError);
    }
    expect(repo.load(g)!.epoch).toBe(5n);
    expect(text(repo.load(g)!.state)).toBe('s5');
    expect(repo.isProcessed(g, te.encode('m7'))).toBe(false);
    expect(() => repo.processMessage(te.encode('nope'), te.encode('m'), bump('x'))).toThrow(
      /unknown security group/,
    );
  });

  it('rolls everything back when the handler throws, and the message can be retried', () => {
    const events: CommittedEvent[] = [];
    const { repo } = setup({ onCommitted: (e) => events.push(e) });
    repo.create(g, 0n, te.encode('s0'));
    const msg = te.encode('commit');
    expect(() =>
      repo.processMessage(g, msg, () => {
        throw new Error('invalid commit');
      }),
    ).toThrow('invalid commit');
    expect(repo.isProcessed(g, msg)).toBe(false);
    expect(text(repo.load(g)!.state)).toBe('s0');
    expect(events).toHaveLength(0);
    expect(repo.processMessage(g, msg, bump('s1'))).toBe('applied');
  });

  it('keeps only the retained epochs of secrets and processed-message hashes', () => {
    const { repo } = setup({ retainEpochs: 3 });
    repo.create(g, 0n, te.encode('s0'), 1, te.encode('k0'));
    for (let e = 1; e <= 6; e++) repo.processMessage(g, te.encode(`c${e}`), bump(`s${e}`, `k${e}`));
    expect(repo.retainedEpochs(g)).toEqual([4n, 5n, 6n]);
    expect(text(repo.loadEpochSecret(g, 4n))).toBe('k4');
    expect(repo.loadEpochSecret(g, 3n)).toBeUndefined();
    expect(repo.isProcessed(g, te.encode('c3'))).toBe(false);
    expect(repo.isProcessed(g, te.encode('c4'))).toBe(true);
    expect(
      () => new GroupStateRepository(setup().db, keyFileSecretBox(join(tempDir(), 'k')), { retainEpochs: 0 }),
    ).toThrow(RangeError);
  });

  it('never stores plaintext, and detects swapped or tampered rows', () => {
    const { repo, db } = setup();
    const secretState = te.encode('PLAINTEXT-MLS-STATE-'.repeat(4));
    repo.create(g, 1n, secretState, 1, te.encode('EPOCH-SECRET-PLAINTEXT'));
    repo.create(te.encode('group-B'), 1n, te.encode('other'));
    const file = db.prepare('SELECT state FROM security_groups WHERE group_id = ?').get(g) as {
      state: Buffer;
    };
    expect(file.state.includes(Buffer.from(secretState))).toBe(false);
    expect(file.state.includes(Buffer.from('PLAINTEXT'))).toBe(false);
    db.pragma('wal_checkpoint(TRUNCATE)');
    // Swap A's sealed state into B's row: same epoch and version, only the group id differs.
    db.prepare('UPDATE security_groups SET state = ? WHERE group_id = ?').run(
      file.state,
      te.encode('group-B'),
    );
    expect(() => repo.load(te.encode('group-B'))).toThrow(SecretBoxError);
    // Rolling back only the epoch column breaks the binding too.
    db.prepare('UPDATE security_groups SET epoch = 0 WHERE group_id = ?').run(g);
    expect(() => repo.load(g)).toThrow(SecretBoxError);
  });

  it('gives a clear error for an unknown state serialization version', () => {
    const { repo, db, keyPath } = setup();
    repo.create(g, 0n, te.encode('s'), 2);
    expect(() => repo.load(g)).toThrow(UnknownStateVersionError);
    expect(() => repo.load(g)).toThrow(/serialization version 2; this build reads 1/);
    const v2 = new GroupStateRepository(db, keyFileSecretBox(keyPath), { supportedStateVersions: [1, 2] });
    expect(text(v2.load(g)!.state)).toBe('s');
  });

  it('refuses to run inside an outer transaction (onCommitted must mean committed)', () => {
    const { repo, db } = setup();
    repo.create(g, 0n, te.encode('s0'));
    expect(() => db.transaction(() => repo.processMessage(g, te.encode('m'), bump('s1')))()).toThrow(
      /inside another transaction/,
    );
  });

  it('survives a process killed mid-transaction: state is all-before, and a second connection agrees', () => {
    const { repo, dbPath, keyPath, dir } = setup();
    repo.create(g, 0n, te.encode('s0'), 1, te.encode('k0'));
    repo.processMessage(g, te.encode('c1'), bump('s1', 'k1'));
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts'), dbPath, keyPath],
      { encoding: 'utf8', cwd: process.cwd() },
    );
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(child.stdout).not.toContain('not reached');
    // Fresh connection + repository on the same files, as after a restart.
    const { repo: reopened } = setup({}, dir);
    const state = reopened.load(g)!;
    expect(state.epoch).toBe(1n);
    expect(text(state.state)).toBe('s1');
    expect(reopened.isProcessed(g, te.encode('msg-crash'))).toBe(false);
    expect(reopened.retainedEpochs(g)).toEqual([0n, 1n]);
    expect(reopened.processMessage(g, te.encode('msg-crash'), bump('s2', 'k2'))).toBe('applied');
    expect(text(repo.load(g)!.state)).toBe('s2'); // first connection sees the committed write
  });
});
