// Browser mode's server (main/serve) with a real `ws` client on loopback and a small StudioCore fixture:
// static files with the app's CSP, the WebSocket access checks, the wire protocol's error answers for
// hostile input, media frames both ways, per-profile cores and their lifecycle.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { encodeMediaFrame, decodeMediaFrame, MAX_MEDIA_PAYLOAD } from '../../../common/bridge/index.js';
import type { BridgeEvent, CommandHandlers, MediaFrame } from '../../../common/bridge/index.js';
import { decodeWire, encodeWire } from '../../../common/bridge/json-wire.js';
import { generateSelfSignedCertificate } from '../../../main/quic/index.js';
import { startStudioServer } from '../../../main/serve/index.js';
import type { StudioServer } from '../../../main/serve/index.js';
import type { StudioCore, StudioCoreOptions } from '../../../main/studio/api.js';

/** A StudioCore fixture for the host's tests: records what reaches it, lets tests push events/media. */
class FixtureCore implements StudioCore {
  readonly sent: MediaFrame[] = [];
  readonly calls: unknown[][] = [];
  closed = false;
  /** Resolvers of leaveBroadcast calls, which stay in flight until the test releases them. */
  readonly held: (() => void)[] = [];
  private readonly events = new Set<(event: BridgeEvent) => void>();
  private readonly media = new Set<(frame: MediaFrame) => void>();

  constructor(readonly options: StudioCoreOptions) {}

  readonly handlers: CommandHandlers = {
    getVersion: async () => ({ app: this.options.appVersion, electron: null, node: 'test' }),
    getSnapshot: async () => {
      throw new Error('fixture has no snapshot');
    },
    updateSettings: async (patch) => {
      this.calls.push(['updateSettings', patch]);
      return {
        displayName: patch.displayName ?? 'x',
        embeddedServices: true,
        relayUrl: '',
        coordinatorUrl: '',
        approval: 'manual',
        allowlist: [],
      };
    },
    createBroadcast: async () => {
      throw new Error('not in the fixture');
    },
    joinBroadcast: async () => {
      throw new Error('not in the fixture');
    },
    approveJoin: async (id) => {
      this.calls.push(['approveJoin', id]);
    },
    denyJoin: async () => {},
    removeMember: async () => {},
    leaveBroadcast: () => new Promise<void>((resolve) => this.held.push(resolve)),
  };

  onEvent(listener: (event: BridgeEvent) => void): () => void {
    this.events.add(listener);
    return () => this.events.delete(listener);
  }
  emit(event: BridgeEvent): void {
    for (const listener of this.events) listener(event);
  }
  sendMedia(frame: MediaFrame): void {
    this.sent.push(frame);
  }
  onMedia(listener: (frame: MediaFrame) => void): () => void {
    this.media.add(listener);
    return () => this.media.delete(listener);
  }
  pushMedia(frame: MediaFrame): void {
    for (const listener of this.media) listener(frame);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

let dataDir: string;
let rendererDir: string;
let server: StudioServer;
const cores: FixtureCore[] = [];
let failNextCore = false;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'moq-serve-'));
  rendererDir = join(dataDir, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>studio</title>');
  await writeFile(join(rendererDir, 'assets', 'main.js'), 'export {};');
  await writeFile(join(dataDir, 'secret.txt'), 'outside the renderer');
  server = await startStudioServer({
    rendererDir,
    dataDir,
    appVersion: '9.9.9',
    token: 'test-token',
    limits: { maxTextFrame: 1024, maxConcurrentCommands: 2 },
    createCore: async (options) => {
      if (failNextCore) {
        failNextCore = false;
        throw new Error('database is locked');
      }
      const core = new FixtureCore(options);
      cores.push(core);
      return core;
    },
  });
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

// ---- helpers ----

function get(path: string, method = 'GET', headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(`${server.origin}${path}`, { method, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

interface Client {
  socket: WebSocket;
  /** Next text message, decoded. */
  next(): Promise<Record<string, unknown>>;
  nextBinary(): Promise<Uint8Array>;
  send(value: unknown): void;
  call(name: string, args: unknown[], id?: number): Promise<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
}

const openSockets: WebSocket[] = [];

function bridgeUrl(query: Record<string, string>): string {
  return `${server.origin.replace('http:', 'ws:')}/bridge?${new URLSearchParams(query).toString()}`;
}

function connect(
  query: Record<string, string> = { token: 'test-token' },
  origin: string = server.origin,
): Promise<Client> {
  const socket = new WebSocket(bridgeUrl(query), { origin });
  openSockets.push(socket);
  const texts: Record<string, unknown>[] = [];
  const binaries: Uint8Array[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data, isBinary) => {
    if (isBinary) binaries.push(new Uint8Array(data as Buffer));
    else texts.push(decodeWire((data as Buffer).toString('utf8')) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const until = async <T>(queue: T[]): Promise<T> => {
    while (queue.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    return queue.shift()!;
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  let nextId = 1000;
  const client: Client = {
    socket,
    next: () => until(texts),
    nextBinary: () => until(binaries),
    send: (value) => socket.send(typeof value === 'string' ? value : encodeWire(value)),
    async call(name, args, id = nextId++) {
      client.send({ id, name, args });
      return await client.next();
    },
    closed,
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    );
    socket.once('error', reject);
  });
}

async function refusedWith(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
  return 0;
}

afterEach(async () => {
  for (const socket of openSockets.splice(0)) {
    socket.on('error', () => {}); // terminating a refused handshake reports one
    if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
  }
  // Profiles are released once their core has closed.
  while (server.liveProfiles().length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
});

// ---- static files ----

describe('static renderer files', () => {
  it('serves index.html with the strict CSP naming this origin’s WebSocket', async () => {
    const page = await get('/?profile=a&token=x');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>studio</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain(`connect-src 'self' ${server.origin.replace('http:', 'ws:')}`);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("worker-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('names the WebSocket of the host the browser used', async () => {
    const page = await get('/', 'GET', { host: `localhost:${server.port}` });
    expect(String(page.headers['content-security-policy'])).toContain(`ws://localhost:${server.port}`);
    const foreign = await get('/', 'GET', { host: 'evil.example' });
    expect(String(foreign.headers['content-security-policy'])).toContain("connect-src 'self';");
  });

  it('serves assets with their MIME type and HEAD without a body', async () => {
    const script = await get('/assets/main.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const head = await get('/assets/main.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers 404 for missing files, directories and every traversal, with security headers', async () => {
    for (const path of [
      '/missing.js',
      '/assets',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/%00',
      '/%E0%A4%A',
    ]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.body).not.toContain('outside the renderer');
      expect(answer.headers['content-security-policy']).toBeDefined();
    }
  });

  it('refuses other methods with 405', async () => {
    const answer = await get('/', 'POST');
    expect(answer.status).toBe(405);
    expect(answer.headers['allow']).toBe('GET, HEAD');
  });
});

// ---- access ----

describe('WebSocket access', () => {
  it('refuses a missing or wrong token with 401', async () => {
    expect(await refusedWith(connect({}))).toBe(401);
    expect(await refusedWith(connect({ token: 'test-tokeN' }))).toBe(401);
    expect(await refusedWith(connect({ token: '' }))).toBe(401);
  });

  it('refuses a foreign or missing Origin with 403, even with the token', async () => {
    expect(await refusedWith(connect({ token: 'test-token' }, 'https://evil.example'))).toBe(403);
    expect(await refusedWith(connect({ token: 'test-token' }, `http://evil.example:${server.port}`))).toBe(
      403,
    );
    expect(
      await refusedWith(connect({ token: 'test-token' }, server.origin.replace('http:', 'https:'))),
    ).toBe(403);
    expect(await refusedWith(connect({ token: 'test-token' }, ''))).toBe(403);
  });

  it('refuses a DNS-rebinding Host with 403', async () => {
    const socket = new WebSocket(bridgeUrl({ token: 'test-token' }), {
      origin: `http://rebind.example:${server.port}`,
      headers: { host: `rebind.example:${server.port}` },
    });
    openSockets.push(socket);
    const status = await new Promise<number>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => resolve(0));
    });
    expect(status).toBe(403);
  });

  it('accepts the loopback aliases of its own origin', async () => {
    for (const alias of [`localhost:${server.port}`, `[::1]:${server.port}`]) {
      const socket = new WebSocket(bridgeUrl({ token: 'test-token' }), {
        origin: `http://${alias}`,
        headers: { host: alias },
      });
      openSockets.push(socket);
      expect(await new Promise((resolve) => socket.once('open', () => resolve('open')))).toBe('open');
      socket.close();
    }
    // The Origin must still be the host the page was loaded from.
    const mixed = new WebSocket(bridgeUrl({ token: 'test-token' }), {
      origin: `http://localhost:${server.port}`,
    });
    openSockets.push(mixed);
    const status = await new Promise<number>((resolve) =>
      mixed.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(403);
  });

  it('refuses bad profile names with 400 and other paths with 404', async () => {
    for (const profile of ['../x', 'a/b', 'UPPER', '.hidden', 'x'.repeat(33), 'a b']) {
      expect(await refusedWith(connect({ token: 'test-token', profile })), profile).toBe(400);
    }
    const socket = new WebSocket(`${server.origin.replace('http:', 'ws:')}/other?token=test-token`, {
      origin: server.origin,
    });
    openSockets.push(socket);
    const status = await new Promise<number>((resolve) =>
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(404);
    expect(server.stats.refusedUpgrades).toBeGreaterThan(0);
  });
});

// ---- protocol ----

describe('wire protocol', () => {
  it('runs commands and returns their results by id', async () => {
    const client = await connect();
    expect(await client.call('getVersion', [], 7)).toEqual({
      id: 7,
      result: { app: '9.9.9', electron: null, node: 'test' },
    });
    expect(await client.call('approveJoin', ['req-1'], 8)).toEqual({ id: 8 });
    expect(cores.at(-1)!.calls).toContainEqual(['approveJoin', 'req-1']);
  });

  it('opens the core of the named profile in its own folder, default "default"', async () => {
    await connect();
    expect(cores.at(-1)!.options.dataDir).toBe(join(dataDir, 'profiles', 'default'));
    await connect({ token: 'test-token', profile: 'viewer-2' });
    expect(cores.at(-1)!.options.dataDir).toBe(join(dataDir, 'profiles', 'viewer-2'));
    expect(cores.at(-1)!.options.appVersion).toBe('9.9.9');
    expect(server.liveProfiles().sort()).toEqual(['default', 'viewer-2']);
  });

  it('answers bad JSON, bad envelopes and bad tags with WireFormatError and keeps going', async () => {
    const client = await connect();
    client.send('{not json');
    expect(await client.next()).toEqual({ error: { name: 'WireFormatError', message: 'not valid JSON' } });
    for (const bad of [
      '42',
      '[]',
      '{"id":1,"name":"getVersion"}',
      '{"id":-1,"name":"getVersion","args":[]}',
      '{"id":1.5,"name":"getVersion","args":[]}',
      '{"id":1,"name":"getVersion","args":[],"extra":true}',
      '{"id":"1","name":"getVersion","args":[]}',
    ]) {
      client.send(bad);
      expect(await client.next(), bad).toMatchObject({ error: { name: 'WireFormatError' } });
    }
    client.send('{"id":1,"name":"getVersion","args":[{"$t":"bogus"}]}');
    expect(await client.next()).toEqual({
      error: { name: 'WireFormatError', message: 'malformed tagged value' },
    });
    expect((await client.call('getVersion', [], 2)).result).toMatchObject({ app: '9.9.9' });
  });

  it('refuses unknown commands, including prototype keys', async () => {
    const client = await connect();
    for (const name of ['launchMissiles', '__proto__', 'constructor', 'toString']) {
      expect(await client.call(name, [], 3)).toEqual({
        id: 3,
        error: { name: 'BridgeRefusedError', message: 'unknown bridge command' },
      });
    }
  });

  it('refuses arguments that do not fit the contract, with the validator’s message', async () => {
    const client = await connect();
    expect(await client.call('getVersion', ['extra'], 4)).toEqual({
      id: 4,
      error: { name: 'BridgeArgumentError', message: 'expected 0 argument(s), got 1' },
    });
    expect(await client.call('approveJoin', ['../etc'], 5)).toMatchObject({
      id: 5,
      error: { name: 'BridgeArgumentError', message: expect.stringContaining('argument 0: does not match') },
    });
    expect(await client.call('updateSettings', [{ approval: 'open', evil: 1 }], 6)).toEqual({
      id: 6,
      error: { name: 'BridgeArgumentError', message: 'argument 0: unknown field evil' },
    });
    // An undefined argument still counts, as it does over Electron IPC.
    expect(await client.call('getVersion', [undefined], 7)).toMatchObject({
      error: { name: 'BridgeArgumentError' },
    });
    expect(cores.at(-1)!.calls).toEqual([]);
  });

  it('passes core errors through by name and message', async () => {
    const client = await connect();
    expect(await client.call('getSnapshot', [], 9)).toEqual({
      id: 9,
      error: { name: 'Error', message: 'fixture has no snapshot' },
    });
  });

  it('refuses text frames over the limit but keeps the connection', async () => {
    const client = await connect();
    client.send(encodeWire({ id: 1, name: 'createBroadcast', args: ['x'.repeat(2000)] }));
    expect(await client.next()).toEqual({
      error: { name: 'WireFormatError', message: 'text frame larger than 1024 bytes' },
    });
    expect((await client.call('getVersion', [], 2)).result).toMatchObject({ app: '9.9.9' });
  });

  it('closes a connection that sends a frame over the WebSocket limit with 1009; the server keeps serving', async () => {
    const client = await connect();
    client.socket.send(new Uint8Array(MAX_MEDIA_PAYLOAD + 1024));
    expect((await client.closed).code).toBe(1009);
    while (server.liveProfiles().length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(cores.at(-1)!.closed).toBe(true);
    const again = await connect();
    expect((await again.call('getVersion', [], 1)).result).toMatchObject({ app: '9.9.9' });
  });

  it('limits commands in flight per connection', async () => {
    const client = await connect();
    client.send({ id: 1, name: 'leaveBroadcast', args: [] });
    client.send({ id: 2, name: 'leaveBroadcast', args: [] });
    client.send({ id: 3, name: 'leaveBroadcast', args: [] });
    expect(await client.next()).toEqual({
      id: 3,
      error: { name: 'BridgeBusyError', message: 'more than 2 commands in flight' },
    });
    const core = cores.at(-1)!;
    while (core.held.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const release of core.held.splice(0)) release();
    const replies = [await client.next(), await client.next()];
    expect(replies.map((reply) => reply['id']).sort()).toEqual([1, 2]);
    expect((await client.call('getVersion', [], 4)).result).toMatchObject({ app: '9.9.9' });
  });

  it('forwards events, with Uint8Array payloads intact', async () => {
    const client = await connect();
    await client.call('getVersion', [], 1); // the core is open and subscribed
    const baseKey = new Uint8Array([0, 1, 2, 250, 255]);
    cores.at(-1)!.emit({ name: 'mediaKeys', payload: { epoch: 3, baseKey, leafCount: 2, ownLeafIndex: 1 } });
    const message = await client.next();
    expect(message).toEqual({
      event: 'mediaKeys',
      payload: { epoch: 3, baseKey, leafCount: 2, ownLeafIndex: 1 },
    });
    expect((message['payload'] as { baseKey: unknown }).baseKey).toBeInstanceOf(Uint8Array);
  });
});

describe('media frames', () => {
  const frame: MediaFrame = { track: 'video', group: 5, object: 2, payload: new Uint8Array([7, 7, 7]) };

  it('delivers decoded frames to the core and the core’s frames to the page', async () => {
    const client = await connect();
    await client.call('getVersion', [], 1);
    client.socket.send(encodeMediaFrame(frame));
    await client.call('getVersion', [], 2); // ordered after the frame
    expect(cores.at(-1)!.sent).toEqual([frame]);
    cores.at(-1)!.pushMedia({ ...frame, track: 'audio' });
    expect(decodeMediaFrame(await client.nextBinary())).toEqual({ ...frame, track: 'audio' });
  });

  it('drops and counts garbage binary frames with a DecodeError notice; the connection keeps working', async () => {
    const client = await connect();
    const before = server.stats.garbageFrames;
    client.socket.send(new Uint8Array([1, 9, 0, 0]));
    expect(await client.next()).toEqual({
      error: { name: 'DecodeError', message: 'unknown media track' },
    });
    client.socket.send(new Uint8Array([]));
    expect(await client.next()).toMatchObject({ error: { name: 'DecodeError' } });
    client.socket.send(encodeMediaFrame(frame));
    await client.call('getVersion', [], 1);
    const core = cores.at(-1)!;
    expect(core.sent).toEqual([frame]);
    client.socket.close();
    while (server.liveProfiles().length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(server.stats.garbageFrames - before).toBe(2);
  });
});

describe('profiles and lifecycle', () => {
  it('allows one live connection per profile (4409 for the second) and closes the core with the socket', async () => {
    const first = await connect({ token: 'test-token', profile: 'producer' });
    await first.call('getVersion', [], 1);
    const core = cores.at(-1)!;
    const second = await connect({ token: 'test-token', profile: 'producer' });
    expect(await second.closed).toEqual({
      code: 4409,
      reason: 'profile "producer" is already open in another page',
    });
    first.socket.close();
    while (server.liveProfiles().includes('producer')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(core.closed).toBe(true);
    const third = await connect({ token: 'test-token', profile: 'producer' });
    expect((await third.call('getVersion', [], 1)).result).toMatchObject({ app: '9.9.9' });
  });

  it('closes with 1011 when the core cannot start, and fails the calls that were waiting', async () => {
    failNextCore = true;
    const client = await connect({ token: 'test-token', profile: 'broken' });
    expect(await client.closed).toEqual({
      code: 1011,
      reason: 'studio core failed to start: database is locked',
    });
  });

  it('closes every connection and core on server close', async () => {
    const local = await startStudioServer({
      rendererDir,
      dataDir,
      appVersion: '1',
      createCore: async (options) => new FixtureCore(options),
    });
    expect(local.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(local.pageUrl('viewer')).toBe(`${local.origin}/?profile=viewer&token=${local.token}`);
    const socket = new WebSocket(
      `${local.origin.replace('http:', 'ws:')}/bridge?token=${local.token}&profile=p`,
      { origin: local.origin },
    );
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.once('open', resolve));
    await local.close();
    expect(await closed).toBe(1001);
    expect(local.liveProfiles()).toEqual([]);
  });
});

describe('HTTPS', () => {
  it('serves the page and the bridge over TLS with the product certificate, wss:// in the CSP', async () => {
    const certificate = generateSelfSignedCertificate();
    const secure = await startStudioServer({
      rendererDir,
      dataDir,
      appVersion: '2',
      tls: { certPem: certificate.certPem, keyPem: certificate.keyPem },
      createCore: async (options) => new FixtureCore(options),
    });
    try {
      expect(secure.origin).toBe(`https://127.0.0.1:${secure.port}`);
      const { request: httpsRequest } = await import('node:https');
      const csp = await new Promise<string>((resolve, reject) => {
        httpsRequest(`${secure.origin}/`, { ca: certificate.certPem }, (res) => {
          res.resume();
          resolve(String(res.headers['content-security-policy']));
        })
          .on('error', reject)
          .end();
      });
      expect(csp).toContain(`wss://127.0.0.1:${secure.port}`);
      const socket = new WebSocket(`wss://127.0.0.1:${secure.port}/bridge?token=${secure.token}`, {
        origin: secure.origin,
        ca: certificate.certPem,
      });
      const reply = await new Promise<unknown>((resolve, reject) => {
        socket.once('open', () => socket.send(encodeWire({ id: 1, name: 'getVersion', args: [] })));
        socket.once('message', (data) => resolve(decodeWire((data as Buffer).toString('utf8'))));
        socket.once('error', reject);
      });
      expect(reply).toEqual({ id: 1, result: { app: '2', electron: null, node: 'test' } });
      socket.close();
    } finally {
      await secure.close();
    }
  });
});
