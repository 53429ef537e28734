// Regression tests for the project's ts-mls patch (patches/ts-mls+2.0.0-rc.10.patch). Each test fails on the
// registry version of ts-mls 2.0.0-rc.10 and passes with the patch applied.
import { makeGroup } from './mls-test-helpers.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addExternalPsk,
  commitChanges,
  createKeyPackage,
  createMlsEnv,
  epochOf,
  exportSecret,
  leafIndexOf,
  processCommit,
  processWelcome,
} from '../../../main/mls/index.js';
import type { ClientState, MlsEnv } from '../../../main/mls/index.js';
import { bytesEqual, exporterSecretWithoutPath } from './mls-test-helpers.js';

const te = new TextEncoder();
const LABEL = 'moq-studio test';

let env: MlsEnv;
beforeAll(async () => {
  env = await createMlsEnv();
});

function exporter(s: ClientState): Promise<Uint8Array> {
  return exportSecret(env, s, LABEL, new Uint8Array(), 32);
}

describe('ts-mls patch', () => {
  it('defect 1: a Remove-only commit carries an UpdatePath, so the removed member cannot derive the next epoch', async () => {
    const [a, b, c] = await makeGroup(env, 3);
    const out = await commitChanges(env, a!, [{ kind: 'remove', leafIndex: leafIndexOf(c!) }]);
    // Remaining member follows.
    const bNext = await processCommit(env, b!, out.commit);
    expect(bNext.removed).toBe(false);
    expect(bytesEqual(await exporter(bNext.state), await exporter(out.newState))).toBe(true);
    // Removed member: learns it was removed, and its old init_secret (commit_secret = 0) does not give
    // the new epoch's exporter secret.
    const cNext = await processCommit(env, c!, out.commit);
    expect(cNext.removed).toBe(true);
    const guess = await exporterSecretWithoutPath(
      env.cipherSuite,
      c!.keySchedule.initSecret,
      out.newState.groupContext,
    );
    expect(bytesEqual(guess, out.newState.keySchedule.exporterSecret)).toBe(false);
    expect(bytesEqual(await exporter(cNext.state), await exporter(out.newState))).toBe(false);
  });

  it('defect 2: a joiner accepts the tree after remove→add into blank leaves below non-blank parents', async () => {
    // 8 leaves: A..H at leaves 0..7.
    const s = await makeGroup(env, 8);
    // B removes A (leaf 0) and F (leaf 5); B's UpdatePath sets the non-blank parents 3 and 7.
    const r1 = await commitChanges(env, s[1]!, [
      { kind: 'remove', leafIndex: 0 },
      { kind: 'remove', leafIndex: 5 },
    ]);
    const live: ClientState[] = [r1.newState];
    for (const i of [2, 3, 4, 6, 7]) live.push((await processCommit(env, s[i]!, r1.commit)).state);
    // C adds X and Y into the blank leaves 0 and 5: node 3 lists [0], the root lists [0, 5].
    const x = await createKeyPackage(env, te.encode('x'));
    const y = await createKeyPackage(env, te.encode('y'));
    const r2 = await commitChanges(env, live[1]!, [
      { kind: 'add', keyPackage: x.publicPackage },
      { kind: 'add', keyPackage: y.publicPackage },
    ]);
    const joinedX = await processWelcome(env, r2.welcome!, x, r2.newState.ratchetTree);
    const joinedY = await processWelcome(env, r2.welcome!, y, r2.newState.ratchetTree);
    expect([leafIndexOf(joinedX), leafIndexOf(joinedY)].sort()).toEqual([0, 5]);
    const e = await exporter(r2.newState);
    expect(bytesEqual(await exporter(joinedX), e)).toBe(true);
    expect(bytesEqual(await exporter(joinedY), e)).toBe(true);
    const other = await processCommit(env, live[4]!, r2.commit);
    expect(bytesEqual(await exporter(other.state), e)).toBe(true);
  });

  it('defect 3: a member whose leaf is reused by an Add in the same commit learns it was removed', async () => {
    const [a, b, c] = await makeGroup(env, 3);
    const d = await createKeyPackage(env, te.encode('d'));
    const out = await commitChanges(env, a!, [
      { kind: 'remove', leafIndex: leafIndexOf(c!) },
      { kind: 'add', keyPackage: d.publicPackage },
    ]);
    const joined = await processWelcome(env, out.welcome!, d, out.newState.ratchetTree);
    expect(leafIndexOf(joined)).toBe(leafIndexOf(c!));
    const cNext = await processCommit(env, c!, out.commit);
    expect(cNext.removed).toBe(true);
    const bNext = await processCommit(env, b!, out.commit);
    expect(bNext.removed).toBe(false);
    const e = await exporter(out.newState);
    expect(bytesEqual(await exporter(bNext.state), e)).toBe(true);
    expect(bytesEqual(await exporter(joined), e)).toBe(true);
    expect(bytesEqual(await exporter(cNext.state), e)).toBe(false);
  });

  it('defect 4: a PSK proposal inside an encrypted (PrivateMessage) commit is accepted by the receiver', async () => {
    const [a, b] = await makeGroup(env, 2);
    const pskId = te.encode('multi-mls-psk');
    addExternalPsk(env, pskId, new Uint8Array(32).fill(7));
    const out = await commitChanges(env, a!, [{ kind: 'externalPsk', pskId }]);
    const bNext = await processCommit(env, b!, out.commit);
    expect(epochOf(bNext.state)).toBe(epochOf(out.newState));
    expect(bytesEqual(await exporter(bNext.state), await exporter(out.newState))).toBe(true);
  });
});
