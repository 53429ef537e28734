// At-rest encryption of secret BLOBs (MLS state, epoch secrets). The AAD names the row and column, so a
// sealed BLOB copied into another row (or column) fails to open instead of silently loading wrong keys.
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
  fsyncSync,
} from 'node:fs';
import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/ciphers/utils.js';

export interface SecretBox {
  seal(plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  open(sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** Format v1: version(1) || nonce(12) || AES-256-GCM(ciphertext || tag(16)). The version byte is also in the AAD. */
const FORMAT_V1 = 1;
const NONCE_LEN = 12;
const TAG_LEN = 16;
export const DATA_KEY_LEN = 32;

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

function withVersion(version: number, aad: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + aad.length);
  out[0] = version;
  out.set(aad, 1);
  return out;
}

/** AES-256-GCM with a fresh random nonce per seal (safe far beyond the number of rows we ever write). */
export function aeadSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== DATA_KEY_LEN) throw new SecretBoxError(`data key must be ${DATA_KEY_LEN} bytes`);
  const k = Uint8Array.from(key);
  return {
    seal(plaintext, aad) {
      const nonce = randomBytes(NONCE_LEN);
      const ct = gcm(k, nonce, withVersion(FORMAT_V1, aad)).encrypt(plaintext);
      const out = new Uint8Array(1 + NONCE_LEN + ct.length);
      out[0] = FORMAT_V1;
      out.set(nonce, 1);
      out.set(ct, 1 + NONCE_LEN);
      return out;
    },
    open(sealed, aad) {
      if (sealed.length < 1 + NONCE_LEN + TAG_LEN) throw new SecretBoxError('sealed blob too short');
      if (sealed[0] !== FORMAT_V1)
        throw new SecretBoxError(`unknown sealed blob format version ${sealed[0]}`);
      const nonce = sealed.subarray(1, 1 + NONCE_LEN);
      try {
        return gcm(k, nonce, withVersion(FORMAT_V1, aad)).decrypt(sealed.subarray(1 + NONCE_LEN));
      } catch {
        throw new SecretBoxError('sealed blob failed authentication (tampered, wrong key or wrong row)');
      }
    },
  };
}

/** AAD naming a row: length-prefixed parts, so ('ab','c') and ('a','bc') differ. */
export function rowAad(...parts: (string | Uint8Array | bigint | number)[]): Uint8Array {
  const te = new TextEncoder();
  const chunks = parts.map((p) =>
    p instanceof Uint8Array ? p : te.encode(typeof p === 'string' ? p : `#${p.toString()}`),
  );
  const out = new Uint8Array(chunks.reduce((s, c) => s + 4 + c.length, 0));
  const view = new DataView(out.buffer);
  let o = 0;
  for (const c of chunks) {
    view.setUint32(o, c.length);
    out.set(c, o + 4);
    o += 4 + c.length;
  }
  return out;
}

/** Writes `data` to a new file with mode 0600; 'wx' fails if it exists, so two processes never race. */
function createPrivateFile(path: string, data: Uint8Array): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (process.platform !== 'win32') chmodSync(path, 0o600); // in case the umask was odd
}

function checkPrivate(path: string): void {
  // POSIX modes mean nothing on Windows; there the file lives in the per-user profile directory.
  if (process.platform === 'win32') return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new SecretBoxError(
      `key file ${path} is accessible by group/others (mode ${mode.toString(8).padStart(4, '0')}); ` +
        `run "chmod 600 ${path}" after checking nobody else read it`,
    );
}

/** Headless mode: the 32-byte data key lives in a 0600 file, created on first use. */
export function keyFileSecretBox(path: string): SecretBox {
  if (!existsSync(path)) {
    try {
      createPrivateFile(path, randomBytes(DATA_KEY_LEN));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  checkPrivate(path);
  const fd = openSync(path, 'r');
  let key: Uint8Array;
  try {
    if (fstatSync(fd).size !== DATA_KEY_LEN)
      throw new SecretBoxError(`key file ${path} must hold exactly ${DATA_KEY_LEN} bytes`);
    key = new Uint8Array(readFileSync(fd));
  } finally {
    closeSync(fd);
  }
  return aeadSecretBox(key);
}

/** The subset of Electron's `safeStorage` we use; injected so this module never imports 'electron'. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * App mode: a random data key, wrapped by the OS keychain via safeStorage and kept in `wrappedKeyPath`.
 * Only the small data key goes through safeStorage; BLOBs are sealed locally with AES-GCM.
 */
export function safeStorageSecretBox(safeStorage: SafeStorageLike, wrappedKeyPath: string): SecretBox {
  if (!safeStorage.isEncryptionAvailable())
    throw new SecretBoxError('OS-level encryption (safeStorage) is not available; refusing to store secrets');
  if (!existsSync(wrappedKeyPath)) {
    const fresh = randomBytes(DATA_KEY_LEN);
    try {
      createPrivateFile(wrappedKeyPath, safeStorage.encryptString(Buffer.from(fresh).toString('base64')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  let key: Uint8Array;
  try {
    key = new Uint8Array(Buffer.from(safeStorage.decryptString(readFileSync(wrappedKeyPath)), 'base64'));
  } catch (err) {
    throw new SecretBoxError(`cannot unwrap data key in ${wrappedKeyPath}: ${(err as Error).message}`);
  }
  if (key.length !== DATA_KEY_LEN) throw new SecretBoxError(`wrapped key in ${wrappedKeyPath} is malformed`);
  return aeadSecretBox(key);
}
