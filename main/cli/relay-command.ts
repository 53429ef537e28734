// `moq-studio relay`: runs the MoQT draft-18 relay over raw QUIC until interrupted, and prints the
// moqt:// address (with the certificate fingerprint) that clients connect to.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../data-dir.js';
import { formatMoqtUrl, loadOrCreateCertificate } from '../quic/index.js';
import { createTokenAuthorizer } from '../relay/auth.js';
import { startRelayServer } from '../relay/server.js';

export const relayUsage = `Usage: moq-studio relay [--host 127.0.0.1] [--port 4443] [--data-dir DIR] [--token-secret-file FILE]

  --host               address to listen on (default 127.0.0.1; use :: or 0.0.0.0 for the LAN)
  --port               UDP port (default 4443)
  --data-dir           where the TLS certificate is kept (default: the per-user MoQ Studio folder)
  --token-secret-file  require AUTHORIZATION_TOKENs signed with the secret in this file
                       (mint them with \`moq-studio relay-token\`)`;

export async function readSecretFile(file: string): Promise<Uint8Array> {
  const secret = new Uint8Array(await readFile(file));
  if (secret.length < 16) throw new Error(`${file}: a token secret needs at least 16 bytes`);
  return secret;
}

export async function relayCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '4443' },
      'data-dir': { type: 'string' },
      'token-secret-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(relayUsage);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: ${values.port} is not a UDP port`);
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const certificate = await loadOrCreateCertificate(path.join(dataDir, 'relay'));
  const authorize = values['token-secret-file']
    ? createTokenAuthorizer(await readSecretFile(values['token-secret-file']))
    : undefined;
  const server = await startRelayServer({
    host: values.host,
    port,
    certificate,
    authorize,
    // FETCHes beyond the cache go to the publisher: a member back from offline catches up on
    // a security group's CommitTrack from the Coordination Service's outbox.
    fetchFromPublisher: true,
    onSessionError: (error) => console.error(`session refused: ${(error as Error).message}`),
  });
  // A wildcard address is not something a client can dial; show loopback instead.
  const shownHost = values.host === '::' || values.host === '0.0.0.0' ? '127.0.0.1' : values.host;
  console.log(`MoQ Studio relay listening on ${values.host} port ${server.port} (UDP, ALPN moqt-18)`);
  const url = formatMoqtUrl({
    host: shownHost,
    hostKind: shownHost.includes(':') ? 'ipv6' : 'ipv4',
    port: server.port,
    path: '/',
    fingerprint: certificate.fingerprint,
  });
  console.log(`connect with: ${url}`);
  console.log(
    authorize ? 'authorization tokens: required' : 'authorization tokens: not required (local mode)',
  );

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('shutting down…');
  await server.close();
  return 0;
}
