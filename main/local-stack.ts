// A relay and a Coordination Service on loopback, wired to each other: what `npm start` embeds and
// what `moq-studio demo` runs. Both use the stored self-signed certificate of the data folder; the
// URLs they return pin its fingerprint, so members trust exactly this stack.
import { join } from 'node:path';
import { loadOrCreateSecret } from './cli/secret-file.js';
import { startCoordinator } from './coordination/index.js';
import type { Coordinator } from './coordination/index.js';
import { loadOrCreateCertificate } from './quic/index.js';
import { startRelayServer } from './relay/server.js';
import type { RelayServer } from './relay/server.js';

export interface LocalStackOptions {
  readonly dataDir: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (default) picks free ports. */
  readonly relayPort?: number;
  readonly coordinatorPort?: number;
}

export interface LocalStack {
  readonly relay: RelayServer;
  readonly coordinator: Coordinator;
  /** `moqt://host:port/?fp=…` */
  readonly relayUrl: string;
  /** `https://host:port/?fp=…` */
  readonly coordinatorUrl: string;
  close(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const certificate = await loadOrCreateCertificate(join(options.dataDir, 'certificate'));
  const relay = await startRelayServer({
    host,
    port: options.relayPort ?? 0,
    certificate,
    // Members that were offline catch up by FETCHing the CommitTrack; what the relay no longer
    // caches comes from the coordinator's outbox.
    fetchFromPublisher: true,
  });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const relayUrl = `moqt://${urlHost}:${relay.port}/?fp=${certificate.fingerprint}`;
  let coordinator: Coordinator;
  try {
    coordinator = await startCoordinator({
      dbPath: join(options.dataDir, 'coordinator.sqlite'),
      host,
      port: options.coordinatorPort ?? 0,
      certificate,
      secret: await loadOrCreateSecret(join(options.dataDir, 'coordinator-token-secret.bin')),
      relayUrl,
      // Loopback members are many and fast (a demo joins N viewers at once).
      rateLimit: false,
      forwarder: { pollIntervalMs: 100, minBackoffMs: 50, maxBackoffMs: 1000 },
    });
  } catch (error) {
    await relay.close();
    throw error;
  }
  await untilAnnounced(relay);
  return {
    relay,
    coordinator,
    relayUrl,
    coordinatorUrl: `https://${urlHost}:${coordinator.service.port}/?fp=${certificate.fingerprint}`,
    async close() {
      await coordinator.close();
      await relay.close();
    },
  };
}

/** Members subscribe as soon as we return: wait until the coordinator's tracks are routable. */
async function untilAnnounced(relay: RelayServer, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (relay.relay.stats.publishedNamespaces === 0) {
    if (Date.now() > deadline) throw new Error('the coordinator did not connect to the relay in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
