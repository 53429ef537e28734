// The desktop app seals MLS state and other secrets at rest with a data key that the OS keychain
// protects (Electron safeStorage: Keychain, DPAPI, libsecret/kwallet). The sealing itself is
// main/store/secret-box.ts's; this only hands it Electron's safeStorage.
import path from 'node:path';
import { safeStorage } from 'electron';
import { safeStorageSecretBox } from '../store/secret-box.js';
import type { SecretBox } from '../store/secret-box.js';

/** File (in the user-data folder) holding the data key, encrypted by safeStorage. */
export const WRAPPED_KEY_FILE = 'data-key.safestorage';

/** Throws if the OS offers no encryption: the app then refuses to store secrets rather than store them bare. */
export function safeStorageBox(userDataDir: string): SecretBox {
  return safeStorageSecretBox(safeStorage, path.join(userDataDir, WRAPPED_KEY_FILE));
}
