// Identity credentials: encoding, binding of the MLS leaf signature key to the identity key, display-name
// rules, storage round trip, fingerprints, and use as the credential of a real 3-member MLS group.
import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  IdentityError,
  encodeIdentityCredential,
  exportIdentity,
  fingerprint,
  generateIdentity,
  importIdentity,
  normalizeDisplayName,
  verifyIdentityCredential,
} from '../../../main/mls/identity.js';
import type { Identity } from '../../../main/mls/identity.js';
import {
  createIdentityKeyPackage,
  groupMemberIdentities,
  identityAuthService,
} from '../../../main/mls/identity-credential.js';
import {
  commitChanges,
  createKeyPackage,
  createMlsEnv,
  createMlsGroup,
  processWelcome,
} from '../../../main/mls/index.js';
import { bytesEqual } from './mls-test-helpers.js';

const te = new TextEncoder();

function leafKey(): Uint8Array {
  return ed25519.getPublicKey(ed25519.utils.randomSecretKey());
}

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  out[index]! ^= 1;
  return out;
}

describe('identity credential', () => {
  const alice = generateIdentity('Alice');
  const leaf = leafKey();
  const cred = encodeIdentityCredential(alice, leaf);

  it('round-trips and has the documented layout', () => {
    expect(cred.length).toBe(1 + 1 + 5 + 32 + 64);
    expect(cred[0]).toBe(1);
    expect(cred[1]).toBe(5);
    const v = verifyIdentityCredential(cred, leaf);
    expect(v.displayName).toBe('Alice');
    expect(bytesEqual(v.identityPublicKey, alice.publicKey)).toBe(true);
  });

  it('is bound to the leaf signature key', () => {
    expect(() => verifyIdentityCredential(cred, leafKey())).toThrow(/binding signature is invalid/);
  });

  it('rejects a tampered display name, identity key or signature', () => {
    expect(() => verifyIdentityCredential(flip(cred, 2), leaf)).toThrow(IdentityError); // 'A' -> '@'
    expect(() => verifyIdentityCredential(flip(cred, 2 + 5 + 3), leaf)).toThrow(IdentityError);
    expect(() => verifyIdentityCredential(flip(cred, cred.length - 1), leaf)).toThrow(/binding signature/);
    expect(() => verifyIdentityCredential(flip(cred, 2 + 5 + 32), leaf)).toThrow(/binding signature/);
  });

  it('rejects a credential claiming someone else’s identity key', () => {
    // Mallory copies Alice's name and key but cannot sign her own leaf key with Alice's identity key.
    const mallory = generateIdentity('Alice');
    const malloryLeaf = leafKey();
    const forged = encodeIdentityCredential({ ...mallory, publicKey: alice.publicKey }, malloryLeaf);
    expect(() => verifyIdentityCredential(forged, malloryLeaf)).toThrow(/binding signature/);
    expect(() => verifyIdentityCredential(cred, malloryLeaf)).toThrow(/binding signature/);
  });

  it('rejects truncated, overlong and trailing bytes and unknown versions', () => {
    for (let n = 0; n < cred.length; n++) {
      expect(() => verifyIdentityCredential(cred.subarray(0, n), leaf)).toThrow(/truncated/);
    }
    expect(() => verifyIdentityCredential(Uint8Array.of(...cred, 0), leaf)).toThrow(/1 trailing bytes/);
    // A name length pointing past the end.
    const overlong = cred.slice();
    overlong[1] = 200;
    expect(() => verifyIdentityCredential(overlong, leaf)).toThrow(IdentityError);
    expect(() => verifyIdentityCredential(Uint8Array.of(2, ...cred.subarray(1)), leaf)).toThrow(
      /unknown version 2/,
    );
  });

  it('rejects names that are not valid UTF-8 or not NFC inside the credential', () => {
    const bad = cred.slice();
    bad[2] = 0xff;
    expect(() => verifyIdentityCredential(bad, leaf)).toThrow(/not valid UTF-8/);
    const decomposed = te.encode('e\u0301');
    const raw = Uint8Array.of(1, decomposed.length, ...decomposed, ...alice.publicKey, ...new Uint8Array(64));
    expect(() => verifyIdentityCredential(raw, leaf)).toThrow(/not NFC/);
  });
});

describe('display names', () => {
  it('are NFC-normalised', () => {
    expect(normalizeDisplayName('Jose\u0301')).toBe('Jos\u00e9');
    const id = generateIdentity('Jose\u0301');
    const leaf = leafKey();
    expect(verifyIdentityCredential(encodeIdentityCredential(id, leaf), leaf).displayName).toBe('Jos\u00e9');
  });

  it('must be 1..64 bytes of UTF-8', () => {
    expect(() => normalizeDisplayName('')).toThrow(/empty/);
    expect(normalizeDisplayName('x'.repeat(64))).toHaveLength(64);
    expect(() => normalizeDisplayName('x'.repeat(65))).toThrow(/65 bytes of UTF-8, at most 64/);
    expect(normalizeDisplayName('é'.repeat(32))).toHaveLength(32); // 64 bytes
    expect(() => normalizeDisplayName('é'.repeat(33))).toThrow(/66 bytes/);
  });

  it('must not contain control characters or bidi controls', () => {
    expect(() => normalizeDisplayName('a\u0007b')).toThrow(/control character U\+0007/);
    expect(() => normalizeDisplayName('a\nb')).toThrow(/U\+000A/);
    expect(() => normalizeDisplayName('evil\u202Egnp.exe')).toThrow(/U\+202E/);
    expect(() => normalizeDisplayName('a\u2028b')).toThrow(/U\+2028/);
    // Emoji ZWJ sequences and non-Latin scripts are fine.
    expect(normalizeDisplayName('👩‍👩‍👧 Zoë 日本')).toBe('👩‍👩‍👧 Zoë 日本');
  });
});

describe('identity storage', () => {
  it('round-trips private key and display name', () => {
    const id = generateIdentity('Ünïcode Näme');
    const back = importIdentity(exportIdentity(id));
    expect(back.displayName).toBe(id.displayName);
    expect(bytesEqual(back.privateKey, id.privateKey)).toBe(true);
    expect(bytesEqual(back.publicKey, id.publicKey)).toBe(true);
  });

  it('rejects truncated, trailing and unknown-version data', () => {
    const bytes = exportIdentity(generateIdentity('Bob'));
    expect(() => importIdentity(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => importIdentity(Uint8Array.of(...bytes, 9))).toThrow(/trailing/);
    expect(() => importIdentity(Uint8Array.of(7, ...bytes.subarray(1)))).toThrow(/unknown version 7/);
  });
});

describe('fingerprint', () => {
  it('is 8 groups of 4 base32 characters, stable and key-specific', () => {
    const a = generateIdentity('A');
    const f = fingerprint(a.publicKey);
    expect(f).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(fingerprint(a.publicKey.slice())).toBe(f);
    expect(fingerprint(importIdentity(exportIdentity(a)).publicKey)).toBe(f);
    expect(fingerprint(generateIdentity('A').publicKey)).not.toBe(f);
    expect(() => fingerprint(new Uint8Array(31))).toThrow(IdentityError);
  });

  it('matches a fixed vector', () => {
    // SHA-256("moq-studio fingerprint v1" ‖ 32 zero bytes), first 20 bytes in base32 (cross-checked with Python).
    expect(fingerprint(new Uint8Array(32))).toBe('4W67 BEDY J6QN 5J4Q KZLN ZMJ7 ZSHS LWQV');
  });
});

describe('identity credentials in an MLS group', () => {
  it('build a 3-member group whose members all see the verified identities', async () => {
    const env = await createMlsEnv({ authService: identityAuthService });
    const ids: Identity[] = ['Alice', 'Bob', 'Carol'].map((n) => generateIdentity(n));
    const kps = await Promise.all(ids.map((id) => createIdentityKeyPackage(env, id)));
    const creator = await createMlsGroup(env, te.encode('identity-group'), kps[0]!);
    const out = await commitChanges(env, creator, [
      { kind: 'add', keyPackage: kps[1]!.publicPackage },
      { kind: 'add', keyPackage: kps[2]!.publicPackage },
    ]);
    const states = [out.newState];
    for (const k of kps.slice(1))
      states.push(await processWelcome(env, out.welcome!, k, out.newState.ratchetTree));
    for (const s of states) {
      const members = groupMemberIdentities(s);
      expect(members.map((m) => [m.leafIndex, m.displayName])).toEqual([
        [0, 'Alice'],
        [1, 'Bob'],
        [2, 'Carol'],
      ]);
      members.forEach((m, i) => expect(bytesEqual(m.identityPublicKey, ids[i]!.publicKey)).toBe(true));
    }
  });

  it('a commit adding a key package with a copied credential is rejected', async () => {
    const env = await createMlsEnv({ authService: identityAuthService });
    const bob = await createIdentityKeyPackage(env, generateIdentity('Bob'));
    const group = await createMlsGroup(env, te.encode('g'), bob);
    const alice = await createIdentityKeyPackage(env, generateIdentity('Alice'));
    // Mallory's own leaf key with Alice's credential bytes: the binding signature covers Alice's leaf key.
    const aliceCred = alice.publicPackage.leafNode.credential;
    if (!('identity' in aliceCred)) throw new Error('expected a basic credential');
    const malloryKp = await createKeyPackage(env, aliceCred.identity);
    await expect(
      commitChanges(env, group, [{ kind: 'add', keyPackage: malloryKp.publicPackage }]),
    ).rejects.toThrow();
    await expect(
      commitChanges(env, group, [{ kind: 'add', keyPackage: alice.publicPackage }]),
    ).resolves.toBeDefined();
  });

  it('the authentication service rejects credentials not bound to the presented leaf key', async () => {
    const env = await createMlsEnv();
    const kp = await createIdentityKeyPackage(env, generateIdentity('Alice'));
    const { credential, signaturePublicKey } = kp.publicPackage.leafNode;
    expect(await identityAuthService.validateCredential(credential, signaturePublicKey)).toBe(true);
    expect(await identityAuthService.validateCredential(credential, leafKey())).toBe(false);
    expect(
      await identityAuthService.validateCredential(
        { credentialType: 1, identity: te.encode('x') },
        signaturePublicKey,
      ),
    ).toBe(false);
  });
});
