// Restart test: a member of a 3-member MLS group is persisted (sealed ts-mls state), the database is
// reopened by a fresh repository, and the restored member processes the next commit in step with the rest.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  commitChanges,
  createKeyPackage,
  createMlsEnv,
  createMlsGroup,
  deserializeGroupState,
  epochOf,
  exportSecret,
  GROUP_STATE_FORMAT_VERSION,
  processCommit,
  processWelcome,
  serializeGroupState,
} from '../../../main/mls/index.js';
import type { ClientState, MlsEnv } from '../../../main/mls/index.js';
import { openDatabase } from '../../../main/store/database.js';
import { GroupStateRepository, STORE_MIGRATIONS } from '../../../main/store/group-state-repository.js';
import { keyFileSecretBox } from '../../../main/store/secret-box.js';
import { cleanupTempDirs, tempDir, te } from './store-test-helpers.js';

let env: MlsEnv;
beforeAll(async () => {
  env = await createMlsEnv();
});

const exporter = (s: ClientState) => exportSecret(env, s, 'moq-studio restart', new Uint8Array(), 32);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('MLS group state persistence', () => {
  it('round-trips a ClientState: same epoch and exporter, and rejects malformed bytes', async () => {
    const alice = await createMlsGroup(env, te.encode('g'), await createKeyPackage(env, te.encode('alice')));
    const bytes = serializeGroupState(alice);
    const back = deserializeGroupState(bytes);
    expect(epochOf(back)).toBe(epochOf(alice));
    expect(hex(await exporter(back))).toBe(hex(await exporter(alice)));
    expect(hex(serializeGroupState(back))).toBe(hex(bytes));
    expect(() => deserializeGroupState(bytes.subarray(0, bytes.length - 5))).toThrow();
    expect(() => deserializeGroupState(Uint8Array.of(...bytes, 0))).toThrow(/trailing/);
  });

  it('a member restored from a reopened database processes the next commit', async () => {
    const groupId = te.encode('restart-group');
    const kpA = await createKeyPackage(env, te.encode('alice'));
    const kpB = await createKeyPackage(env, te.encode('bob'));
    const kpC = await createKeyPackage(env, te.encode('carol'));
    const add = await commitChanges(
      env,
      await createMlsGroup(env, groupId, kpA),
      [
        { kind: 'add', keyPackage: kpB.publicPackage },
        { kind: 'add', keyPackage: kpC.publicPackage },
      ],
      { ratchetTreeExtension: true },
    );
    let alice = add.newState;
    let bob = await processWelcome(env, add.welcome!, kpB);
    const carol = await processWelcome(env, add.welcome!, kpC);
    expect(epochOf(carol)).toBe(1n);

    const dir = tempDir();
    const dbPath = join(dir, 'state.db');
    const keyPath = join(dir, 'store.key');
    const db1 = openDatabase(dbPath, STORE_MIGRATIONS);
    const repo1 = new GroupStateRepository(db1, keyFileSecretBox(keyPath));
    const plain = serializeGroupState(carol);
    repo1.create(groupId, epochOf(carol), plain, GROUP_STATE_FORMAT_VERSION, await exporter(carol));
    const raw = db1.prepare('SELECT state FROM security_groups').get() as { state: Buffer };
    expect(raw.state.includes(Buffer.from(plain.subarray(0, 64)))).toBe(false);
    db1.close(); // "restart"

    const update = await commitChanges(env, alice, []);
    alice = update.newState;
    bob = (await processCommit(env, bob, update.commit)).state;

    const db2 = openDatabase(dbPath, STORE_MIGRATIONS);
    try {
      const repo2 = new GroupStateRepository(db2, keyFileSecretBox(keyPath));
      const stored = repo2.load(groupId)!;
      expect(stored.stateVersion).toBe(GROUP_STATE_FORMAT_VERSION);
      const restored = deserializeGroupState(stored.state);
      // Async MLS first, then the synchronous transaction checks nothing moved underneath us.
      const next = (await processCommit(env, restored, update.commit)).state;
      const secret = await exporter(next);
      const result = repo2.processMessage(groupId, te.encode('commit@epoch1'), (current) => {
        if (current.epoch !== stored.epoch) throw new Error('state changed concurrently; retry');
        return { newEpoch: epochOf(next), newState: serializeGroupState(next), epochSecret: secret };
      });
      expect(result).toBe('applied');
      const after = deserializeGroupState(repo2.load(groupId)!.state);
      expect(epochOf(after)).toBe(2n);
      const expected = hex(await exporter(alice));
      expect(hex(await exporter(bob))).toBe(expected);
      expect(hex(await exporter(after))).toBe(expected);
      expect(hex(repo2.loadEpochSecret(groupId, 2n)!)).toBe(expected);
    } finally {
      db2.close();
      cleanupTempDirs();
    }
  });
});
