// At-rest encryption: round trip, tamper and wrong-AAD detection, the 0600 key file rules, and the
// injected safeStorage adapter (a fake; the real one is Electron's, passed in by main/app).
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  aeadSecretBox,
  keyFileSecretBox,
  rowAad,
  safeStorageSecretBox,
  SecretBoxError,
} from '../../../main/store/secret-box.js';
import type { SafeStorageLike } from '../../../main/store/secret-box.js';
import { cleanupTempDirs, tempDir, te } from './store-test-helpers.js';

afterEach(cleanupTempDirs);

const posix = process.platform !== 'win32';
const key = new Uint8Array(32).fill(7);

describe('aeadSecretBox', () => {
  const box = aeadSecretBox(key);
  const aad = rowAad('t.c', te.encode('row-1'));

  it('round-trips with a versioned header and a fresh nonce each time', () => {
    const plain = te.encode('mls state bytes');
    const a = box.seal(plain, aad);
    const b = box.seal(plain, aad);
    expect(a[0]).toBe(1);
    expect(a.length).toBe(1 + 12 + plain.length + 16);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(box.open(a, aad)).toEqual(plain);
  });

  it('rejects any flipped bit, a wrong version byte, truncation and a wrong key', () => {
    const sealed = box.seal(te.encode('secret'), aad);
    for (let i = 1; i < sealed.length; i++) {
      const t = Uint8Array.from(sealed);
      t[i]! ^= 1;
      expect(() => box.open(t, aad)).toThrow(SecretBoxError);
    }
    const v = Uint8Array.from(sealed);
    v[0] = 2;
    expect(() => box.open(v, aad)).toThrow(/format version 2/);
    expect(() => box.open(sealed.subarray(0, 20), aad)).toThrow(SecretBoxError);
    expect(() => aeadSecretBox(new Uint8Array(32)).open(sealed, aad)).toThrow(SecretBoxError);
  });

  it('rejects a BLOB moved to another row or column (AAD mismatch)', () => {
    const sealed = box.seal(te.encode('secret'), aad);
    expect(() => box.open(sealed, rowAad('t.c', te.encode('row-2')))).toThrow(SecretBoxError);
    expect(() => box.open(sealed, rowAad('t.other', te.encode('row-1')))).toThrow(SecretBoxError);
    // length prefixes: ('ab','c') != ('a','bc')
    expect(rowAad('ab', 'c')).not.toEqual(rowAad('a', 'bc'));
  });
});

describe('keyFileSecretBox', () => {
  it('creates a 32-byte key file with mode 0600 and reuses it', () => {
    const path = join(tempDir(), 'store.key');
    const box1 = keyFileSecretBox(path);
    expect(statSync(path).size).toBe(32);
    if (posix) expect(statSync(path).mode & 0o777).toBe(0o600);
    const sealed = box1.seal(te.encode('x'), new Uint8Array());
    expect(keyFileSecretBox(path).open(sealed, new Uint8Array())).toEqual(te.encode('x'));
  });

  it.skipIf(!posix)('refuses a key file readable by group/others', () => {
    const path = join(tempDir(), 'store.key');
    keyFileSecretBox(path);
    chmodSync(path, 0o644);
    expect(() => keyFileSecretBox(path)).toThrow(/accessible by group\/others \(mode 0644\).*chmod 600/);
    chmodSync(path, 0o640);
    expect(() => keyFileSecretBox(path)).toThrow(SecretBoxError);
  });

  it('refuses a key file of the wrong size', () => {
    const path = join(tempDir(), 'short.key');
    writeFileSync(path, new Uint8Array(16), { mode: 0o600 });
    expect(() => keyFileSecretBox(path)).toThrow(/exactly 32 bytes/);
  });
});

/** Fake safeStorage: XOR "encryption" plus a marker, enough to see that only wrapped bytes hit disk. */
function fakeSafeStorage(available = true): SafeStorageLike & { calls: number } {
  const mask = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));
  return {
    calls: 0,
    isEncryptionAvailable: () => available,
    encryptString(plain) {
      this.calls++;
      return Buffer.concat([Buffer.from('v10'), mask(Buffer.from(plain, 'utf8'))]);
    },
    decryptString(enc) {
      if (enc.subarray(0, 3).toString() !== 'v10') throw new Error('not ours');
      return mask(enc.subarray(3)).toString('utf8');
    },
  };
}

describe('safeStorageSecretBox', () => {
  it('wraps a random data key via the injected safeStorage and reuses it', () => {
    const dir = tempDir();
    const path = join(dir, 'data-key.wrapped');
    const ss = fakeSafeStorage();
    const box = safeStorageSecretBox(ss, path);
    expect(ss.calls).toBe(1);
    expect(existsSync(path)).toBe(true);
    if (posix) expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path).subarray(0, 3).toString()).toBe('v10');
    const sealed = box.seal(te.encode('state'), te.encode('aad'));
    const again = safeStorageSecretBox(ss, path);
    expect(ss.calls).toBe(1); // no new key on the second open
    expect(again.open(sealed, te.encode('aad'))).toEqual(te.encode('state'));
  });

  it('refuses when OS encryption is unavailable, and reports an unwrappable key', () => {
    const dir = tempDir();
    expect(() => safeStorageSecretBox(fakeSafeStorage(false), join(dir, 'k'))).toThrow(/not available/);
    writeFileSync(join(dir, 'bad'), 'garbage');
    expect(() => safeStorageSecretBox(fakeSafeStorage(), join(dir, 'bad'))).toThrow(/cannot unwrap/);
  });
});
