// The client side of the Coordination Service: seed 002 §4.2 (POST a Request or a CommitRequest and
// learn what happened) and the Epoch Counter API of seeds 000/003 (lock / increment). HTTPS servers are trusted by a pinned certificate fingerprint (`?fp=` in the
// URL, as for relays), a CA bundle, or the system store; plain HTTP is accepted for loopback tests.
import { request as httpRequest } from 'node:http';
import type { ClientRequestArgs, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { checkPinnedCertificate, normalizeFingerprint } from '../quic/trust.js';

export class CoordinationError extends Error {
  override readonly name = 'CoordinationError';
  constructor(
    message: string,
    /** HTTP status, or 0 when the service could not be reached. */
    readonly status: number,
    /** The service's error code (`{error}` of its JSON answer), e.g. 'forbidden', 'unreachable'. */
    readonly code: string,
  ) {
    super(message);
  }
}

export type RequestOutcome =
  /** 201: the group did not exist; create it locally at epoch 0. The owner token lets us commit. */
  | { readonly kind: 'created'; readonly ownerToken: string }
  /** 200: forwarded on the RequestTrack. */
  | { readonly kind: 'forwarded' };

export type CommitOutcome =
  | { readonly kind: 'accepted'; readonly epoch: bigint }
  /** 409: the service is at another epoch; catch up on the CommitTrack and try again. */
  | { readonly kind: 'conflict'; readonly currentEpoch: bigint };

export type LockOutcome =
  /** The lock is ours until it expires; `increment` with this id releases it. */
  | { readonly kind: 'ok'; readonly lockId: string }
  /** Someone else holds it; ask again later. */
  | { readonly kind: 'conflict'; readonly retryAfterMs: number }
  /** The counter is at another value. */
  | { readonly kind: 'counter-error'; readonly current: bigint };

export type IncrementOutcome =
  | { readonly kind: 'ok'; readonly value: bigint }
  /** Not locked, lock expired, or someone else's: the counter did not move for us. */
  | { readonly kind: 'error'; readonly reason: string };

/** No counter ever reaches this value, so a lock request for it only reports the current value. */
const UNREACHABLE_COUNTER = (1n << 63n) - 1n;

export interface CoordinationClientOptions {
  /** `https://host:port/?fp=<sha256>` or `http://127.0.0.1:port/` (loopback testing). */
  readonly url: string;
  /** PEM CA certificates for HTTPS without a pinned fingerprint. */
  readonly caPem?: string;
  /** Per-request bound. Default 10 s. */
  readonly timeoutMs?: number;
}

const MAX_ANSWER_BYTES = 64 * 1024;

export class CoordinationClient {
  private readonly base: URL;
  private readonly pins: string[];

  constructor(private readonly options: CoordinationClientOptions) {
    this.base = new URL(options.url);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') {
      throw new CoordinationError(
        `coordinator URL must be https:// (or http:// on loopback), got ${this.base.protocol}`,
        0,
        'invalid-url',
      );
    }
    this.pins = this.base.searchParams.getAll('fp').map(normalizeFingerprint);
  }

  async request(groupId: string, body: Uint8Array, token?: string): Promise<RequestOutcome> {
    const answer = await this.post(`/groups/${encodeURIComponent(groupId)}/request`, body, token);
    if (answer.status === 201) {
      const ownerToken = answer.json.ownerToken;
      if (typeof ownerToken !== 'string') throw this.unexpected(answer, 'no owner token in a 201');
      return { kind: 'created', ownerToken };
    }
    if (answer.status === 200) return { kind: 'forwarded' };
    throw this.failure(answer);
  }

  async commit(groupId: string, body: Uint8Array, token: string): Promise<CommitOutcome> {
    const answer = await this.post(`/groups/${encodeURIComponent(groupId)}/commit`, body, token);
    if (answer.status === 200) return { kind: 'accepted', epoch: toEpoch(answer.json.epoch) };
    if (answer.status === 409) return { kind: 'conflict', currentEpoch: toEpoch(answer.json.currentEpoch) };
    throw this.failure(answer);
  }

  /** GET /lock/<counter>?val=N (seeds 000/003 §7.1). */
  async lock(counter: string, val: bigint, token?: string, clientId?: string): Promise<LockOutcome> {
    const path = `/lock/${encodeURIComponent(counter)}?val=${val}`;
    const answer = await this.send('GET', path, new Uint8Array(), token, undefined, clientId);
    const result = answer.json.result;
    if (answer.status === 200 && result === 'ok') {
      const lockId = answer.json.lockId;
      if (typeof lockId !== 'string' || !/^[0-9a-f]{32}$/.test(lockId))
        throw this.unexpected(answer, 'no lock id in an ok');
      return { kind: 'ok', lockId };
    }
    if (answer.status === 409 && result === 'conflict') {
      const after = answer.json.retryAfterMs;
      const retryAfterMs = typeof after === 'number' && after >= 0 && after <= 3_600_000 ? after : 1000;
      return { kind: 'conflict', retryAfterMs };
    }
    if (answer.status === 409 && result === 'counter-error')
      return { kind: 'counter-error', current: toEpoch(answer.json.current) };
    throw this.failure(answer);
  }

  /** POST /increment/<counter> with the lock id (seeds 000/003 §7.2). */
  async increment(counter: string, lockId: string, token?: string): Promise<IncrementOutcome> {
    const body = new TextEncoder().encode(JSON.stringify({ lockId }));
    const answer = await this.send(
      'POST',
      `/increment/${encodeURIComponent(counter)}`,
      body,
      token,
      'application/json',
    );
    if (answer.status === 200 && answer.json.result === 'ok')
      return { kind: 'ok', value: toEpoch(answer.json.value) };
    if (answer.status === 409 && answer.json.result === 'error') {
      const reason = typeof answer.json.reason === 'string' ? answer.json.reason : 'refused';
      return { kind: 'error', reason };
    }
    throw this.failure(answer);
  }

  /**
   * The counter's current value without taking a lock: a lock request for a value no counter
   * reaches always answers CounterError(current). (A counter that does not exist yet reads 0.)
   */
  async counterValue(counter: string, token?: string): Promise<bigint> {
    const outcome = await this.lock(counter, UNREACHABLE_COUNTER, token);
    if (outcome.kind !== 'counter-error')
      throw new CoordinationError('counter probe unexpectedly took a lock', 0, 'bad-answer');
    return outcome.current;
  }

  /** Mints a token of a lower role for this group (the owner hands these to joiners and committers). */
  async mintToken(
    groupId: string,
    ownerToken: string,
    role: 'committer' | 'member' | 'invitee',
  ): Promise<string> {
    const body = new TextEncoder().encode(JSON.stringify({ role }));
    const answer = await this.post(
      `/groups/${encodeURIComponent(groupId)}/tokens`,
      body,
      ownerToken,
      'application/json',
    );
    if (answer.status !== 200) throw this.failure(answer);
    if (typeof answer.json.token !== 'string') throw this.unexpected(answer, 'no token in the answer');
    return answer.json.token;
  }

  private failure(answer: Answer): CoordinationError {
    const code = typeof answer.json.error === 'string' ? answer.json.error : 'http-error';
    const message = typeof answer.json.message === 'string' ? answer.json.message : `HTTP ${answer.status}`;
    return new CoordinationError(`coordinator refused: ${message}`, answer.status, code);
  }

  private unexpected(answer: Answer, what: string): CoordinationError {
    return new CoordinationError(`unexpected coordinator answer (${what})`, answer.status, 'bad-answer');
  }

  /**
   * TLS to a self-signed service: the chain cannot verify, so the leaf's fingerprint is checked
   * before the connection is handed to HTTP — nothing (not even the bearer token) is sent first.
   */
  private readonly pinnedConnection = (
    options: ClientRequestArgs,
    done: (error: Error | null, socket: Duplex) => void,
  ): undefined => {
    const host = options.hostname ?? options.host ?? 'localhost';
    const socket = tlsConnect({
      host,
      port: Number(options.port),
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => {
      const problem = checkPinnedCertificate(socket.getPeerCertificate().raw, this.pins);
      if (problem) {
        socket.destroy();
        done(new CoordinationError(problem, 0, 'certificate'), socket);
      } else done(null, socket);
    });
    socket.once('error', (error) => done(error, socket));
    return undefined;
  };

  private post(
    path: string,
    body: Uint8Array,
    token?: string,
    type = 'application/octet-stream',
  ): Promise<Answer> {
    return this.send('POST', path, body, token, type);
  }

  private send(
    method: 'GET' | 'POST',
    path: string,
    body: Uint8Array,
    token?: string,
    type = 'application/octet-stream',
    clientId?: string,
  ): Promise<Answer> {
    const target = new URL(path, this.base);
    const https = target.protocol === 'https:';
    const headers: Record<string, string> =
      method === 'POST' ? { 'content-type': type, 'content-length': String(body.length) } : {};
    if (token) headers.authorization = `Bearer ${token}`;
    // The service names lock holders by this header (else by address, shared by every local member).
    if (clientId) headers['x-client-id'] = clientId;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    return new Promise<Answer>((resolve, reject) => {
      const fail = (error: Error) =>
        reject(
          error instanceof CoordinationError
            ? error
            : new CoordinationError(
                `coordinator ${this.base.origin} unreachable: ${error.message}`,
                0,
                'unreachable',
              ),
        );
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            res.destroy(
              new CoordinationError('coordinator answer too large', res.statusCode ?? 0, 'bad-answer'),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          let json: Record<string, unknown> = {};
          try {
            const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
            if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
              json = parsed as Record<string, unknown>;
          } catch {
            // A non-JSON answer keeps an empty body; the status code still says what happened.
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      };
      const req = https
        ? httpsRequest(target, {
            method,
            headers,
            timeout: timeoutMs,
            ...(this.options.caPem ? { ca: this.options.caPem } : {}),
            ...(this.pins.length > 0 ? { createConnection: this.pinnedConnection } : {}),
          })
        : httpRequest(target, { method, headers, timeout: timeoutMs });
      req.on('response', onResponse);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', fail);
      if (method === 'POST') req.end(body);
      else req.end();
    });
  }
}

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

function toEpoch(value: unknown): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  throw new CoordinationError(
    `coordinator answered an invalid epoch ${JSON.stringify(value)}`,
    0,
    'bad-answer',
  );
}
