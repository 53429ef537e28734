// The desktop app's Node core and the services it embeds: a relay + Coordination Service on loopback
// (used when the settings say "embedded services") and the StudioCore for this OS user, its data in
// Electron's userData folder and its secrets sealed under safeStorage. Closing stops both, core first.
import path from 'node:path';
import { startLocalStack } from '../local-stack.js';
import type { LocalStack } from '../local-stack.js';
import { createStudioCore } from '../studio/index.js';
import type { StudioCore } from '../studio/api.js';
import { safeStorageBox } from './secret-box.js';

export interface StudioHost {
  readonly core: StudioCore;
  close(): Promise<void>;
}

export async function openStudioHost(options: {
  userDataDir: string;
  appVersion: string;
}): Promise<StudioHost> {
  // Before the stack starts: without OS-level encryption the app refuses to run, not to store keys bare.
  const secretBox = safeStorageBox(options.userDataDir);
  const stack: LocalStack = await startLocalStack({ dataDir: path.join(options.userDataDir, 'services') });
  let core: StudioCore;
  try {
    core = await createStudioCore({
      dataDir: options.userDataDir,
      appVersion: options.appVersion,
      versions: process.versions,
      embedded: { relayUrl: stack.relayUrl, coordinatorUrl: stack.coordinatorUrl },
      secretBox,
    });
  } catch (error) {
    await stack.close();
    throw error;
  }
  let closing: Promise<void> | null = null;
  return {
    core,
    close() {
      // The core leaves its broadcast through the services, so they stop after it.
      closing ??= core
        .close()
        .catch((error: unknown) => console.error('closing the studio core failed:', error))
        .then(() => stack.close());
      return closing;
    },
  };
}
