// The Coordination Service over HTTP(S): seed 002's request/commit API, seeds 000/003's Epoch
// Counter lock/increment API, and the access control the seeds leave open (per-group tokens).
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { HttpError, discardBody, jsonNumber, mediaType, readBody, sendJson } from './http-util.js';
import { MlsWireError, parseCommitRequest, parseRequest } from './mls-wire.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import type { CoordinationStore } from './store.js';
import { authorize, isRole, mintToken, roleRank, type Role, type TokenCheck } from './tokens.js';

export interface CoordinationServiceOptions {
  readonly store: CoordinationStore;
  /** HMAC key for bearer tokens; at least 32 bytes. */
  readonly secret: Uint8Array;
  /** Default 127.0.0.1: exposing the service is a deliberate choice. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** With a certificate the service speaks HTTPS, as the seeds require; plain HTTP is for tests. */
  readonly certificate?: { readonly certPem: string; readonly keyPem: string };
  /** Largest accepted MLS body. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Counter lock lifetime. Default 5000 ms. */
  readonly lockTtlMs?: number;
  /** Per-remote-address token bucket; false disables it. Default 50 burst, 20/s. */
  readonly rateLimit?: RateLimitOptions | false;
  /** Require a committer token (group = counter id) for lock/increment. Default false (seed behaviour). */
  readonly counterTokens?: boolean;
  /** Owner token lifetime handed to a group's creator. Default 30 days. */
  readonly ownerTokenTtlSeconds?: number;
  /** Called after the outbox grew, so the forwarder can wake up instead of polling. */
  readonly onOutbox?: () => void;
}

export interface CoordinationService {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Group and counter IDs travel in the URL. We allow only unreserved URL characters so there is no
 * percent-decoding ambiguity; the MLS group_id of PrivateMessages must equal the ID's UTF-8 bytes.
 */
const ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

/**
 * Accepted body types. application/mls-request and application/mls-commit-request name the seed
 * 002 structures; application/octet-stream is accepted too because generic HTTP clients send it.
 */
const REQUEST_TYPES = new Set(['application/mls-request', 'application/octet-stream']);
const COMMIT_TYPES = new Set(['application/mls-commit-request', 'application/octet-stream']);
const JSON_LIMIT = 4096;
const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

type Handler = (req: IncomingMessage, res: ServerResponse, id: string, url: URL) => Promise<void>;

export async function startCoordinationService(
  options: CoordinationServiceOptions,
): Promise<CoordinationService> {
  if (options.secret.length < 32) throw new RangeError('the token secret must be at least 32 bytes');
  const { store, secret } = options;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const lockTtlMs = options.lockTtlMs ?? 5000;
  const limiter =
    options.rateLimit === false
      ? undefined
      : new RateLimiter(options.rateLimit ?? { capacity: 50, refillPerSecond: 20 });
  const encoder = new TextEncoder();

  const requireToken = (req: IncomingMessage, group: string, minimum: Role): TokenCheck & { ok: true } => {
    const check = authorize(secret, req.headers.authorization, group, minimum);
    if (!check.ok) throw new HttpError(check.status, check.error, check.message);
    return check;
  };

  const requireType = (req: IncomingMessage, allowed: ReadonlySet<string>): void => {
    const type = mediaType(req);
    if (!allowed.has(type)) {
      throw new HttpError(
        415,
        'unsupported-media-type',
        `Content-Type must be one of ${[...allowed].join(', ')}`,
      );
    }
  };

  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    requireType(req, new Set(['application/json']));
    const body = await readBody(req, JSON_LIMIT);
    try {
      const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      if (value && typeof value === 'object' && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // Reported below.
    }
    throw new HttpError(400, 'malformed-json', 'body must be a JSON object');
  };

  const parseMls = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof MlsWireError) {
        throw new HttpError(400, 'malformed-body', error.message);
      }
      throw error;
    }
  };

  const checkGroupId = (groupId: string, wire: Uint8Array, field: string): void => {
    if (Buffer.compare(Buffer.from(encoder.encode(groupId)), Buffer.from(wire)) !== 0) {
      throw new HttpError(400, 'group-mismatch', `${field}.group_id does not match the group in the URL`);
    }
  };

  const onRequest: Handler = async (req, res, groupId) => {
    requireType(req, REQUEST_TYPES);
    const body = await readBody(req, maxBody);
    const request = parseMls(() => parseRequest(body));
    if (request.type === 'join') {
      if ((await store.createGroupIfAbsent(groupId)) === 'created') {
        const exp = Math.floor(Date.now() / 1000) + (options.ownerTokenTtlSeconds ?? MAX_TOKEN_TTL_SECONDS);
        const ownerToken = mintToken(secret, { group: groupId, role: 'owner', exp });
        sendJson(res, 201, { created: true, epoch: 0, ownerToken, role: 'owner', exp });
        return;
      }
    } else {
      checkGroupId(groupId, request.header.groupId, 'remove');
    }
    // Joins and leaves pass the same gate: a leave is a PrivateMessage the committers authenticate
    // with MLS, so a token adds nothing for open groups, and members of invite-only groups hold the
    // invitation they joined with.
    const group = await store.getGroup(groupId);
    if (group?.inviteOnly) requireToken(req, groupId, 'invitee');
    // The RequestTrack object is the whole Request structure (seed 002 §4.1), exactly as received.
    const queued = await store.enqueueRequest(groupId, body);
    if (queued === 'unknown-group')
      throw new HttpError(404, 'unknown-group', `group ${groupId} does not exist`);
    options.onOutbox?.();
    sendJson(res, 200, { forwarded: true, requestGroupId: jsonNumber(queued.moqGroupId) });
  };

  const onCommit: Handler = async (req, res, groupId) => {
    requireType(req, COMMIT_TYPES);
    const body = await readBody(req, maxBody);
    requireToken(req, groupId, 'committer');
    const commit = parseMls(() => parseCommitRequest(body));
    checkGroupId(groupId, commit.header.groupId, 'commit');
    const result = await store.acceptCommit(groupId, commit.header.epoch, commit.commit, commit.welcome);
    if (result === 'unknown-group')
      throw new HttpError(404, 'unknown-group', `group ${groupId} does not exist`);
    if (!result.ok) {
      sendJson(res, 409, {
        error: 'epoch-mismatch',
        message: `commit is for epoch ${commit.header.epoch}; the group is at epoch ${result.currentEpoch}`,
        currentEpoch: jsonNumber(result.currentEpoch),
      });
      return;
    }
    options.onOutbox?.();
    sendJson(res, 200, { epoch: jsonNumber(result.newEpoch) });
  };

  const onTokens: Handler = async (req, res, groupId) => {
    requireToken(req, groupId, 'owner');
    const body = await readJson(req);
    const role = body.role;
    if (!isRole(role) || roleRank(role) >= roleRank('owner')) {
      throw new HttpError(400, 'invalid-role', 'role must be committer, member or invitee');
    }
    const ttl = body.ttlSeconds ?? 3600;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) {
      throw new HttpError(400, 'invalid-ttl', `ttlSeconds must be an integer in 1..${MAX_TOKEN_TTL_SECONDS}`);
    }
    if (!(await store.getGroup(groupId)))
      throw new HttpError(404, 'unknown-group', `group ${groupId} does not exist`);
    const exp = Math.floor(Date.now() / 1000) + ttl;
    sendJson(res, 200, { token: mintToken(secret, { group: groupId, role, exp }), role, exp });
  };

  const onSettings: Handler = async (req, res, groupId) => {
    requireToken(req, groupId, 'owner');
    const body = await readJson(req);
    if (typeof body.inviteOnly !== 'boolean') {
      throw new HttpError(400, 'invalid-settings', 'inviteOnly must be a boolean');
    }
    if (!(await store.setInviteOnly(groupId, body.inviteOnly))) {
      throw new HttpError(404, 'unknown-group', `group ${groupId} does not exist`);
    }
    sendJson(res, 200, { inviteOnly: body.inviteOnly });
  };

  const onLock: Handler = async (req, res, counter, url) => {
    if (options.counterTokens) requireToken(req, counter, 'committer');
    const val = url.searchParams.get('val');
    if (val === null || !/^\d{1,19}$/.test(val) || BigInt(val) >= 2n ** 63n) {
      throw new HttpError(400, 'invalid-val', 'val must be a decimal counter value below 2^63');
    }
    const clientId = req.headers['x-client-id'];
    const owner =
      typeof clientId === 'string' && clientId.length <= 128 ? clientId : (req.socket.remoteAddress ?? '');
    const result = await store.lock(counter, BigInt(val), owner, lockTtlMs);
    if (result.result === 'ok') sendJson(res, 200, result);
    else if (result.result === 'conflict') {
      sendJson(res, 409, result, { 'retry-after': String(Math.ceil(result.retryAfterMs / 1000)) });
    } else sendJson(res, 409, { result: 'counter-error', current: jsonNumber(result.current) });
  };

  const onIncrement: Handler = async (req, res, counter) => {
    if (options.counterTokens) requireToken(req, counter, 'committer');
    let lockId = req.headers['lock-id'];
    if (typeof lockId !== 'string') {
      const body = await readJson(req);
      lockId = typeof body.lockId === 'string' ? body.lockId : undefined;
    } else discardBody(req);
    if (!lockId || !/^[0-9a-f]{32}$/.test(lockId)) {
      throw new HttpError(
        400,
        'invalid-lock-id',
        'send the lock id from /lock in a Lock-Id header or {"lockId"}',
      );
    }
    const result = await store.increment(counter, lockId);
    if (result.result === 'ok') sendJson(res, 200, { result: 'ok', value: jsonNumber(result.value) });
    else sendJson(res, 409, { ...result, message: `increment refused: ${result.reason}` });
  };

  const routes: { pattern: RegExp; method: string; handle: Handler }[] = [
    { pattern: /^\/groups\/([^/]+)\/request$/, method: 'POST', handle: onRequest },
    { pattern: /^\/groups\/([^/]+)\/commit$/, method: 'POST', handle: onCommit },
    { pattern: /^\/groups\/([^/]+)\/tokens$/, method: 'POST', handle: onTokens },
    { pattern: /^\/groups\/([^/]+)\/settings$/, method: 'POST', handle: onSettings },
    { pattern: /^\/lock\/([^/]+)$/, method: 'GET', handle: onLock },
    { pattern: /^\/increment\/([^/]+)$/, method: 'POST', handle: onIncrement },
  ];

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/health') {
      if (req.method !== 'GET') throw new HttpError(405, 'method-not-allowed', 'use GET', { allow: 'GET' });
      const db = await store.ping();
      sendJson(res, db ? 200 : 503, { ok: db, db: db ? 'ok' : 'unavailable' });
      return;
    }
    for (const route of routes) {
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      if (req.method !== route.method) {
        throw new HttpError(405, 'method-not-allowed', `use ${route.method}`, { allow: route.method });
      }
      const id = match[1]!;
      if (!ID_PATTERN.test(id)) {
        throw new HttpError(400, 'invalid-id', 'IDs are 1-128 characters of A-Z a-z 0-9 . _ ~ -');
      }
      if (limiter) {
        const waitMs = limiter.take(req.socket.remoteAddress ?? '');
        if (waitMs > 0) {
          throw new HttpError(429, 'rate-limited', 'too many requests', {
            'retry-after': String(Math.ceil(waitMs / 1000)),
          });
        }
      }
      await route.handle(req, res, id, url);
      return;
    }
    throw new HttpError(404, 'unknown-route', `no route for ${url.pathname}`);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    dispatch(req, res).catch((error: unknown) => {
      // Whatever happened, the request is over: answer, and never let it reach the process.
      discardBody(req);
      if (error instanceof HttpError) {
        const close: Record<string, string> = error.status === 413 ? { connection: 'close' } : {};
        sendJson(
          res,
          error.status,
          { error: error.code, message: error.message },
          { ...error.headers, ...close },
        );
      } else {
        sendJson(res, 500, { error: 'internal', message: 'internal error' });
      }
    });
  };

  const server: Server = options.certificate
    ? createHttpsServer({ cert: options.certificate.certPem, key: options.certificate.keyPem }, listener)
    : createHttpServer(listener);
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.address;
  const scheme = options.certificate ? 'https' : 'http';
  return {
    host,
    port: address.port,
    url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
