// A Coordination Service in its own process, for multi-instance races, kill -9 tests and the
// benchmark: `node --import tsx coordinator-process.ts <sqlite path | postgres:// URL>` with an IPC
// channel. It reports {type: 'ready', url} (HTTP on 127.0.0.1, any free port, no rate limit, the
// test token secret) and exits when the parent disconnects, so a crashed test leaves nothing behind.
import { startCoordinator } from '../../main/coordination/index.js';

/** The token secret the child signs with (same as the unit tests' SECRET). */
export const CHILD_SECRET = new Uint8Array(32).fill(42);

export type CoordinatorChildMessage =
  { readonly type: 'ready'; readonly url: string } | { readonly type: 'error'; readonly message: string };

async function main(location: string): Promise<void> {
  const coordinator = await startCoordinator({ dbPath: location, secret: CHILD_SECRET, rateLimit: false });
  const shutdown = () => {
    void coordinator.close().finally(() => process.exit(0));
  };
  process.once('disconnect', shutdown);
  process.once('SIGTERM', shutdown);
  process.send?.({ type: 'ready', url: coordinator.service.url } satisfies CoordinatorChildMessage);
}

if (process.send && process.argv[2]) {
  main(process.argv[2]).catch((error: unknown) => {
    process.send?.({ type: 'error', message: String(error) } satisfies CoordinatorChildMessage);
    process.exit(1);
  });
}
