// Verification codes: the per-epoch group code agrees across members of one epoch and changes with the epoch
// secrets or membership; the pairwise code is symmetric; the displayable-code rendering matches DAVE's.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '../../../main/mls/identity.js';
import {
  createIdentityKeyPackage,
  epochAuthenticatorOf,
  identityAuthService,
} from '../../../main/mls/identity-credential.js';
import {
  commitChanges,
  createMlsEnv,
  createMlsGroup,
  epochOf,
  leafIndexOf,
  processCommit,
  processWelcome,
} from '../../../main/mls/index.js';
import type { ClientState, MlsEnv } from '../../../main/mls/index.js';
import {
  displayableCode,
  epochVerificationCode,
  pairwiseCode,
  verificationCodeOf,
} from '../../../main/mls/verification.js';

const te = new TextEncoder();
const CODE = /^(\d{5} ){5}\d{5}$/;

let env: MlsEnv;
beforeAll(async () => {
  env = await createMlsEnv({ authService: identityAuthService });
});

async function makeGroup(names: string[]): Promise<ClientState[]> {
  const kps = await Promise.all(names.map((n) => createIdentityKeyPackage(env, generateIdentity(n))));
  const creator = await createMlsGroup(env, te.encode('verification-group'), kps[0]!);
  const out = await commitChanges(
    env,
    creator,
    kps.slice(1).map((k) => ({ kind: 'add' as const, keyPackage: k.publicPackage })),
  );
  const states = [out.newState];
  for (const k of kps.slice(1))
    states.push(await processWelcome(env, out.welcome!, k, out.newState.ratchetTree));
  return states;
}

describe('displayableCode', () => {
  it('renders big-endian groups of bytes mod 10^groupSize, zero-padded', () => {
    const data = new Uint8Array(30);
    data.set([0, 0, 0, 0, 42], 0); // 42
    data.set([0xff, 0xff, 0xff, 0xff, 0xff], 5); // 2^40 - 1 = 1099511627775
    expect(displayableCode(data, 30, 5)).toBe('00042 27775 00000 00000 00000 00000');
    expect(() => displayableCode(new Uint8Array(29), 30, 5)).toThrow(RangeError);
    expect(() => displayableCode(data, 31, 5)).toThrow(RangeError);
    expect(() => displayableCode(data, 16, 8)).toThrow(RangeError);
  });
});

describe('per-epoch verification code', () => {
  it('is the same for all members of an epoch and changes after a commit', async () => {
    const [a, b, c] = await makeGroup(['Alice', 'Bob', 'Carol']);
    const code = verificationCodeOf(a!);
    expect(code).toMatch(CODE);
    expect(verificationCodeOf(b!)).toBe(code);
    expect(verificationCodeOf(c!)).toBe(code);

    // An update commit keeps the members but moves to a new epoch with new secrets.
    const out = await commitChanges(env, b!, []);
    const a2 = (await processCommit(env, a!, out.commit)).state;
    const c2 = (await processCommit(env, c!, out.commit)).state;
    expect(epochOf(a2)).toBe(epochOf(a!) + 1n);
    const code2 = verificationCodeOf(out.newState);
    expect(code2).toMatch(CODE);
    expect(code2).not.toBe(code);
    expect(verificationCodeOf(a2)).toBe(code2);
    expect(verificationCodeOf(c2)).toBe(code2);
  });

  it('differs for a removed member, whose state stays in the old epoch', async () => {
    const [a, b, c] = await makeGroup(['Alice', 'Bob', 'Carol']);
    const out = await commitChanges(env, a!, [{ kind: 'remove', leafIndex: leafIndexOf(c!) }]);
    const b2 = await processCommit(env, b!, out.commit);
    const c2 = await processCommit(env, c!, out.commit);
    expect(c2.removed).toBe(true);
    const code = verificationCodeOf(out.newState);
    expect(verificationCodeOf(b2.state)).toBe(code);
    expect(verificationCodeOf(c!)).not.toBe(code);
    expect(verificationCodeOf(c2.state)).not.toBe(code);
  });

  it('depends on both the epoch authenticator and the member keys, not on their order', async () => {
    const [a] = await makeGroup(['Alice', 'Bob']);
    const auth = epochAuthenticatorOf(a!);
    const keys = [1, 2, 3].map(() => generateIdentity('x').publicKey);
    const code = epochVerificationCode(auth, keys);
    expect(epochVerificationCode(auth, [keys[2]!, keys[0]!, keys[1]!])).toBe(code);
    expect(epochVerificationCode(auth, keys.slice(0, 2))).not.toBe(code);
    expect(epochVerificationCode(auth, [...keys, keys[0]!])).not.toBe(code);
    expect(epochVerificationCode(auth, [keys[0]!, keys[1]!, generateIdentity('x').publicKey])).not.toBe(code);
    const otherAuth = auth.slice();
    otherAuth[0]! ^= 1;
    expect(epochVerificationCode(otherAuth, keys)).not.toBe(code);
    expect(() => epochVerificationCode(auth, [new Uint8Array(31)])).toThrow(/32 bytes/);
  });

  it('matches an independently computed HKDF output', () => {
    // HKDF-SHA256(ikm = 32×0x01, salt = none, info = label ‖ u32(1) ‖ 32×0x02, 30); cross-checked with Python.
    expect(epochVerificationCode(new Uint8Array(32).fill(1), [new Uint8Array(32).fill(2)])).toBe(
      EXPECTED_EPOCH_CODE,
    );
  });
});

describe('pairwise code', () => {
  it('is symmetric, 9 groups of 5 digits, and specific to the pair', () => {
    const [x, y, z] = ['X', 'Y', 'Z'].map((n) => generateIdentity(n).publicKey);
    const code = pairwiseCode(x!, y!);
    expect(code).toMatch(/^(\d{5} ){8}\d{5}$/);
    expect(pairwiseCode(y!, x!)).toBe(code);
    expect(pairwiseCode(x!, z!)).not.toBe(code);
    expect(pairwiseCode(z!, y!)).not.toBe(code);
  });
});

const EXPECTED_EPOCH_CODE = '28745 70245 16045 36515 88894 19908';
