// The Coordination Service: seed-002 request/commit API and seeds 000/003 epoch counters over
// HTTP(S), a SQLite or PostgreSQL store behind CoordinationStore, and the outbox forwarder to MoQT.
import { OutboxForwarder, type ForwarderOptions } from './forwarder.js';
import { startCoordinationService, type CoordinationService } from './service.js';
import type { CoordinationServiceOptions } from './service.js';
import { openCoordinationStore } from './open-store.js';
import type { CoordinationStore } from './store.js';

export * from './mls-wire.js';
export * from './store.js';
export * from './tokens.js';
export * from './tracks.js';
export { SqliteCoordinationStore } from './sqlite-store.js';
export {
  PostgresCoordinationStore,
  applyPostgresMigrations,
  isPostgresUrl,
  type PostgresStoreOptions,
} from './postgres-store.js';
export { openCoordinationStore, describeStoreLocation, type OpenStoreOptions } from './open-store.js';
export {
  startCoordinationService,
  type CoordinationService,
  type CoordinationServiceOptions,
} from './service.js';
export { OutboxForwarder, type ForwarderOptions } from './forwarder.js';
export { RateLimiter, type RateLimitOptions } from './rate-limit.js';

export interface CoordinatorOptions extends Omit<CoordinationServiceOptions, 'store' | 'onOutbox'> {
  /** A SQLite file path, or a postgres:// / postgresql:// URL (several instances may share it). */
  readonly dbPath: string;
  /** Without it the service only queues; with it the outbox is published to this relay. */
  readonly relayUrl?: string;
  readonly forwarder?: Omit<ForwarderOptions, 'store' | 'relayUrl'>;
}

export interface Coordinator {
  readonly service: CoordinationService;
  readonly store: CoordinationStore;
  readonly forwarder?: OutboxForwarder;
  close(): Promise<void>;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const { dbPath, relayUrl, forwarder: forwarderOptions, ...serviceOptions } = options;
  const store = await openCoordinationStore(dbPath);
  const forwarder = relayUrl ? new OutboxForwarder({ ...forwarderOptions, store, relayUrl }) : undefined;
  let service: CoordinationService;
  try {
    service = await startCoordinationService({ ...serviceOptions, store, onOutbox: () => forwarder?.wake() });
  } catch (error) {
    await store.close();
    throw error;
  }
  forwarder?.start();
  return {
    service,
    store,
    ...(forwarder ? { forwarder } : {}),
    async close() {
      await service.close();
      await forwarder?.close();
      await store.close();
    },
  };
}
