// `moq-studio coordinator`: runs the Coordination Service (seed 002 request/commit API and the
// seed 000/003 lock/increment API) over HTTPS, forwarding accepted messages to a MoQT relay.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeStoreLocation, startCoordinator } from '../coordination/index.js';
import { defaultDataDir } from '../data-dir.js';
import { loadOrCreateCertificate } from '../quic/index.js';
import { loadOrCreateSecret } from './secret-file.js';

export const coordinatorUsage = `Usage: moq-studio coordinator [--db FILE] [--relay moqt://HOST:PORT/?fp=HEX] [--host 127.0.0.1] [--port 8443] [--data-dir DIR]

  --db        SQLite database file (default: coordinator.sqlite in the data folder), or a
              postgres://USER:PASSWORD@HOST:PORT/DATABASE URL shared by several coordinators
  --relay     relay to publish the Request/Commit/Welcome tracks on (without it, messages are
              queued durably and published once a relay is configured)
  --host      address to listen on (default 127.0.0.1)
  --port      HTTPS port (default 8443; 0 picks a free one)
  --data-dir  where the certificate, token secret and database live (default: per-user folder)`;

export async function coordinatorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: 'string' },
      relay: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8443' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(coordinatorUsage);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: ${values.port} is not a TCP port`);
  const db = values.db ?? path.join(values['data-dir'] ?? defaultDataDir(), 'coordinator.sqlite');
  const dataDir = path.join(values['data-dir'] ?? defaultDataDir(), 'coordinator');
  const certificate = await loadOrCreateCertificate(dataDir);
  const coordinator = await startCoordinator({
    dbPath: db,
    host: values.host,
    port,
    certificate,
    secret: await loadOrCreateSecret(path.join(dataDir, 'token-secret.bin')),
    ...(values.relay ? { relayUrl: values.relay } : {}),
  });
  console.log(`MoQ Studio coordinator listening on ${coordinator.service.url}`);
  console.log(`certificate sha-256: ${certificate.fingerprint}`);
  console.log(`database: ${describeStoreLocation(db)}`);
  console.log(values.relay ? `forwarding to: ${values.relay}` : 'no relay configured: messages are queued');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('shutting down…');
  await coordinator.close();
  return 0;
}
