// The security-group messages (seed 002 Request / CommitRequest around ts-mls objects) and the
// checks a committer runs on requests from the network: round trips, precise rejection of malformed
// bodies, and leave requests that are not a member's own authentic self-removal.
import { createProposal, defaultProposalTypes } from 'ts-mls';
import { describe, expect, it } from 'vitest';
import { generateIdentity } from '../../../main/mls/identity.js';
import { createIdentityKeyPackage, identityAuthService } from '../../../main/mls/identity-credential.js';
import { commitChanges, createMlsEnv, createMlsGroup, processWelcome } from '../../../main/mls/index.js';
import type { ClientState, MlsEnv } from '../../../main/mls/index.js';
import {
  GroupMessageError,
  createSelfRemoveProposal,
  decodeRequest,
  encodeCommitRequest,
  encodeJoinRequest,
  encodeLeaveRequest,
  verifyLeaveRequest,
} from '../../../main/mls/messages.js';

async function twoMembers(env: MlsEnv): Promise<[ClientState, ClientState]> {
  const a = await createIdentityKeyPackage(env, generateIdentity('Alice'));
  const b = await createIdentityKeyPackage(env, generateIdentity('Bob'));
  const alice = await createMlsGroup(env, new TextEncoder().encode('g'), a);
  const out = await commitChanges(env, alice, [{ kind: 'add', keyPackage: b.publicPackage }], {
    ratchetTreeExtension: true,
  });
  return [out.newState, await processWelcome(env, out.welcome!, b)];
}

describe('security-group messages', () => {
  it('round-trips a join request and reports the verified identity', async () => {
    const env = await createMlsEnv({ authService: identityAuthService });
    const kp = await createIdentityKeyPackage(env, generateIdentity('Zoë'));
    const request = decodeRequest(encodeJoinRequest(kp.publicPackage));
    expect(request.type).toBe('join');
    if (request.type === 'join') expect(request.identity.displayName).toBe('Zoë');
  });

  it('rejects malformed requests with the field at fault', async () => {
    const env = await createMlsEnv({ authService: identityAuthService });
    const body = encodeJoinRequest(
      (await createIdentityKeyPackage(env, generateIdentity('A'))).publicPackage,
    );
    const bad = [
      body.subarray(0, body.length - 5),
      Uint8Array.of(...body, 0),
      Uint8Array.of(9, ...body.subarray(1)),
    ];
    for (const bytes of bad) expect(() => decodeRequest(bytes)).toThrow(GroupMessageError);
    expect(() => decodeRequest(new Uint8Array())).toThrow(GroupMessageError);
  });

  it('accepts a member’s own self-removal and refuses a stale or foreign one', async () => {
    const env = await createMlsEnv({ authService: identityAuthService });
    const [alice, bob] = await twoMembers(env);
    const proposal = await createSelfRemoveProposal(env, bob);
    const leave = decodeRequest(encodeLeaveRequest(proposal));
    if (leave.type !== 'leave') throw new Error('expected a leave');
    expect(await verifyLeaveRequest(env, alice, leave.message)).toBe(bob.privatePath.leafIndex);
    // Not applied to the committer's state: the removal is committed by value.
    expect(Object.keys(alice.unappliedProposals)).toHaveLength(0);

    // One epoch later the proposal is stale.
    const next = await commitChanges(env, alice, []);
    await expect(verifyLeaveRequest(env, next.newState, leave.message)).rejects.toThrow(/epoch/);
    // Bob proposing Alice's removal is not a leave.
    const foreign = await createProposal({
      context: { cipherSuite: env.cipherSuite, authService: env.authService, externalPsks: {} },
      state: bob,
      proposal: {
        proposalType: defaultProposalTypes.remove,
        remove: { removed: alice.privatePath.leafIndex },
      },
    });
    await expect(verifyLeaveRequest(env, alice, foreign.message)).rejects.toThrow(/only self-removal/);
  });

  it('builds a CommitRequest the Coordination Service parser accepts', async () => {
    const env = await createMlsEnv({ authService: identityAuthService });
    const [alice] = await twoMembers(env);
    const out = await commitChanges(env, alice, []);
    expect(encodeCommitRequest(out.commit).at(-1)).toBe(0);
  });
});
