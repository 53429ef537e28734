// Long-lived service secrets (token signing keys) kept as 0600 files in the data folder: created
// with 32 random bytes on first use, reused afterwards so tokens survive restarts.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function loadOrCreateSecret(file: string): Promise<Uint8Array> {
  try {
    const existing = new Uint8Array(await readFile(file));
    if (existing.length >= 32) return existing;
    throw new Error(`${file} holds ${existing.length} bytes; a secret needs at least 32`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32);
  // 'wx' refuses to overwrite a secret another process created meanwhile.
  await writeFile(file, secret, { mode: 0o600, flag: 'wx' });
  return new Uint8Array(secret);
}
