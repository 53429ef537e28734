// Browser mode (`moq-studio serve`): an HTTP(S) server that serves the built renderer with the app's
// CSP and carries the StudioBridge over a WebSocket at /bridge (protocol: bridge-socket.ts). Each
// connection opens the StudioCore of one named profile (`?profile=`, data in <dataDir>/profiles/<name>),
// one live connection per profile. Loopback by default; the access checks are in access.ts.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { MAX_MEDIA_PAYLOAD } from '../../common/bridge/index.js';
import { BRIDGE_PATH } from '../../common/bridge/json-wire.js';
import { contentSecurityPolicy, securityHeaders } from '../app/security-policy.js';
import type { EmbeddedServices, StudioCore, StudioCoreOptions } from '../studio/api.js';
import { allowedHosts, checkBridgeAccess, createAccessToken, parseProfile, urlHost } from './access.js';
import { closeReason, DEFAULT_SOCKET_LIMITS, newSocketStats, serveBridgeSocket } from './bridge-socket.js';
import type { BridgeSocketLimits, BridgeSocketStats } from './bridge-socket.js';
import { serveStaticFile } from './static-files.js';

export interface StudioServerOptions {
  /** The built renderer (electron-vite builds it to out/renderer). */
  readonly rendererDir: string;
  /** Profiles live in <dataDir>/profiles/<name>. */
  readonly dataDir: string;
  /** Opens one profile's core; the CLI passes main/studio's createStudioCore. */
  readonly createCore: (options: StudioCoreOptions) => Promise<StudioCore>;
  readonly appVersion: string;
  /** The relay + coordinator to use when a profile's settings say "embedded services". */
  readonly embedded?: EmbeddedServices;
  /** Default 127.0.0.1. Anything else exposes the studio to the network (the token still guards it). */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Default: 256 random bits. */
  readonly token?: string;
  /** Serve HTTPS with this certificate instead of HTTP (loopback HTTP is already a secure context). */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  readonly limits?: Partial<BridgeSocketLimits & { maxConnections: number }>;
}

export interface StudioServer {
  /** e.g. http://127.0.0.1:8080 */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** The page URL for a profile, token included: what the user opens. */
  pageUrl(profile?: string): string;
  /** Counters summed over all connections so far. */
  readonly stats: Readonly<BridgeSocketStats & { refusedUpgrades: number }>;
  /** Profiles with a live connection. */
  liveProfiles(): string[];
  /** Closes every connection (and so every core), then the server. */
  close(): Promise<void>;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

/** Answers an upgrade request with a plain HTTP error instead of a WebSocket. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export async function startStudioServer(options: StudioServerOptions): Promise<StudioServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? createAccessToken();
  const scheme = options.tls ? 'https' : 'http';
  const limits = { ...DEFAULT_SOCKET_LIMITS, maxConnections: 16, ...options.limits };
  const stats = { ...newSocketStats(), refusedUpgrades: 0 };
  const live = new Map<string, { socket: WebSocket; done: Promise<void> }>();
  let hosts: ReadonlySet<string> = new Set();
  /** The CSP names the WebSocket of the origin the browser used (127.0.0.1 and localhost differ). */
  const pageHeaders = (hostHeader: string | undefined): Record<string, string> => {
    const known = hostHeader !== undefined && hosts.has(hostHeader.toLowerCase());
    const csp = contentSecurityPolicy(
      known ? { bridgeOrigin: `${scheme}://${hostHeader.toLowerCase()}` } : {},
    );
    return { ...securityHeaders(csp), 'Cross-Origin-Resource-Policy': 'same-origin' };
  };

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem })
    : createHttpServer();
  server.on('request', (request, response) => {
    serveStaticFile(request, response, options.rendererDir, pageHeaders(request.headers.host)).catch(() =>
      response.destroy(),
    );
  });

  const sockets = new WebSocketServer({
    noServer: true,
    // Binary frames carry up to one media payload plus its small header; ws closes with 1009 above it.
    maxPayload: MAX_MEDIA_PAYLOAD + 64,
    perMessageDeflate: false, // ciphertext does not compress, and inflating is a memory-exhaustion risk
  });

  const openConnection = (socket: WebSocket, profile: string): void => {
    if (live.has(profile)) {
      socket.close(4409, closeReason(`profile "${profile}" is already open in another page`));
      return;
    }
    const core = options.createCore({
      dataDir: join(options.dataDir, 'profiles', profile),
      appVersion: options.appVersion,
      versions: process.versions,
      ...(options.embedded ? { embedded: options.embedded } : {}),
    });
    const connectionStats = newSocketStats();
    const done = serveBridgeSocket(socket, core, limits, connectionStats).finally(() => {
      for (const key of Object.keys(connectionStats) as (keyof BridgeSocketStats)[]) {
        stats[key] += connectionStats[key];
      }
      // Released only once the core is closed, so a reconnect never opens the same database twice.
      live.delete(profile);
    });
    live.set(profile, { socket, done });
  };

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', 'http://placeholder');
    const refuse = (status: number, reason: string): void => {
      stats.refusedUpgrades++;
      refuseUpgrade(socket, status, reason);
    };
    if (url.pathname !== BRIDGE_PATH) return refuse(404, 'not found');
    const refusal = checkBridgeAccess(
      { host: request.headers.host, origin: request.headers.origin, token: url.searchParams.get('token') },
      { scheme, hosts, token },
    );
    if (refusal) return refuse(refusal.status, refusal.reason);
    const profile = parseProfile(url.searchParams.get('profile'));
    if (profile === null) return refuse(400, 'profile names are 1-32 of a-z 0-9 _ - (lowercase)');
    if (live.size >= limits.maxConnections) return refuse(503, 'too many connections');
    sockets.handleUpgrade(request, socket, head, (ws) => openConnection(ws, profile));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const port = address.port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const origin = `${scheme}://${urlHost(shownHost)}:${port}`;
  hosts = allowedHosts(host, port);

  return {
    origin,
    port,
    token,
    stats,
    pageUrl(profile) {
      const query = new URLSearchParams({ ...(profile ? { profile } : {}), token });
      return `${origin}/?${query.toString()}`;
    },
    liveProfiles: () => [...live.keys()],
    async close() {
      const connections = [...live.values()];
      for (const { socket } of connections) {
        socket.close(1001, 'server shutting down');
        // A page that never answers the closing handshake must not hold the shutdown up.
        setTimeout(() => socket.terminate(), 2000).unref();
      }
      await Promise.all(connections.map(({ done }) => done));
      sockets.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
