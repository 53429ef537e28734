// `moq-studio serve`: browser mode. Serves the built renderer and the StudioBridge over a WebSocket
// (main/serve) so the studio runs in any Chromium without Electron, with a relay + Coordination Service
// embedded on loopback unless --relay/--coordinator name others. Prints the page URL with its token.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../data-dir.js';
import { startLocalStack } from '../local-stack.js';
import type { LocalStack } from '../local-stack.js';
import { loadOrCreateCertificate, parseMoqtUrl } from '../quic/index.js';
import { startStudioServer } from '../serve/index.js';
import { createStudioCore } from '../studio/index.js';

export const serveUsage = `Usage: moq-studio serve [--port 8080] [--host 127.0.0.1] [--data-dir DIR]
                         [--relay URL --coordinator URL] [--https]

  Runs the studio in the browser: open the printed URL (it carries an access token) in Chromium.
  Each ?profile=<name> is a separate studio user with its own identity and data.

  --port         TCP port (default 8080; 0 picks a free one)
  --host         address to listen on (default 127.0.0.1; anything else exposes the studio to the
                 network, guarded by the token — browsers also need --https there for the camera)
  --data-dir     where profiles and the embedded services keep their data
                 (default: the per-user MoQ Studio folder)
  --relay        moqt:// URL of a relay to use instead of the embedded one (with --coordinator)
  --coordinator  https:// URL of a Coordination Service to use instead of the embedded one
  --https        serve HTTPS with a self-signed certificate kept in the data folder`;

const root = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_DIR = path.join(root, 'out', 'renderer');

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

function tcpPort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`--port: ${text} is not a TCP port`);
  return port;
}

function serviceUrls(relay: string | undefined, coordinator: string | undefined) {
  if (relay === undefined && coordinator === undefined) return null;
  if (relay === undefined || coordinator === undefined) {
    throw new Error('--relay and --coordinator go together (or leave both out for the embedded services)');
  }
  parseMoqtUrl(relay); // throws a clear message for a malformed URL
  const parsed = URL.canParse(coordinator) ? new URL(coordinator) : null;
  if (parsed?.protocol !== 'https:') throw new Error(`--coordinator: ${coordinator} is not an https:// URL`);
  return { relayUrl: relay, coordinatorUrl: coordinator };
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      relay: { type: 'string' },
      coordinator: { type: 'string' },
      https: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(serveUsage);
    return 0;
  }
  const port = tcpPort(values.port);
  const external = serviceUrls(values.relay, values.coordinator);
  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`the renderer is not built (${RENDERER_DIR} has no index.html): run npm run build first`);
  }
  const dataDir = path.resolve(values['data-dir'] ?? defaultDataDir());

  let stack: LocalStack | null = null;
  if (!external) stack = await startLocalStack({ dataDir: path.join(dataDir, 'services') });
  const tls = values.https
    ? await loadOrCreateCertificate(path.join(dataDir, 'serve-certificate'))
    : undefined;
  let server;
  try {
    server = await startStudioServer({
      rendererDir: RENDERER_DIR,
      dataDir,
      createCore: createStudioCore,
      appVersion: packageVersion(),
      host: values.host,
      port,
      embedded: external ?? { relayUrl: stack!.relayUrl, coordinatorUrl: stack!.coordinatorUrl },
      ...(tls ? { tls: { certPem: tls.certPem, keyPem: tls.keyPem } } : {}),
    });
  } catch (error) {
    await stack?.close();
    throw error;
  }

  console.log(`MoQ Studio (browser mode) on ${values.host} port ${server.port}`);
  console.log(stack ? `embedded relay: ${stack.relayUrl}` : `relay: ${external!.relayUrl}`);
  console.log(
    stack ? `embedded coordinator: ${stack.coordinatorUrl}` : `coordinator: ${external!.coordinatorUrl}`,
  );
  if (tls) console.log(`certificate SHA-256: ${tls.fingerprint} (self-signed; the browser will ask)`);
  console.log(`\nopen: ${server.pageUrl()}`);
  console.log('another studio user: add &profile=<name> (lowercase letters, digits, - and _)');
  console.log('keep the URL private: its token is the key to this studio. Ctrl-C stops.');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('shutting down…');
  await server.close();
  await stack?.close();
  return 0;
}
