// The seed-002 API over real HTTP on loopback, on a real SQLite file and on a real PostgreSQL
// database: exactly one creator per group, exactly one winning commit per epoch, restarts, and
// hostile input leaving state untouched.
import { afterEach, describe, expect, it } from 'vitest';
import { openCoordinationStore } from '../../../main/coordination/open-store.js';
import {
  startCoordinationService,
  type CoordinationServiceOptions,
} from '../../../main/coordination/service.js';
import { mintToken } from '../../../main/coordination/tokens.js';
import {
  COMMIT,
  REQUEST,
  SECRET,
  bearer,
  commitMessage,
  commitRequest,
  joinRequest,
  leaveRequest,
  post,
} from './fixtures.js';
import { storeBackends } from './store-backends.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const backends = storeBackends();

async function start(location: string, options: Partial<CoordinationServiceOptions> = {}) {
  const store = await openCoordinationStore(location);
  const service = await startCoordinationService({ store, secret: SECRET, rateLimit: false, ...options });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await service.close();
    await store.close();
  };
  cleanups.push(close);
  return { store, service, base: service.url, close };
}

async function createGroup(base: string, group: string): Promise<string> {
  const created = await post(base, `/groups/${group}/request`, joinRequest(), REQUEST);
  expect(created.status).toBe(201);
  return created.json.ownerToken as string;
}

const exp = () => Math.floor(Date.now() / 1000) + 600;

describe.each(backends)('on $name', (backend) => {
  const fresh = () => backend.location();

  describe('coordination service: seed-002 API', () => {
    it('gives exactly one 201 among 50 concurrent first requests', async () => {
      const { base, store } = await start(await fresh());
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          post(base, '/groups/race/request', joinRequest(`m${i}`), REQUEST),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(49);
      expect((await store.getGroup('race'))?.epoch).toBe(0n);
      // The 49 others were queued for the RequestTrack, numbered 0..48.
      const pending = await store.pendingOutbox(100);
      expect(pending.map((e) => e.moqGroupId)).toEqual(Array.from({ length: 49 }, (_, i) => BigInt(i)));
      expect(pending.every((e) => e.track === 'request')).toBe(true);
    });

    it('gives exactly one 201 across two instances sharing one database', async () => {
      const location = await fresh();
      const a = await start(location);
      const b = await start(location);
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            post(i % 2 ? a.base : b.base, `/groups/shared-${round}/request`, joinRequest(), REQUEST),
          ),
        );
        expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      }
    });

    it('accepts exactly one of 20 racing commits per epoch, for 100 epochs', async () => {
      const { base, store } = await start(await fresh());
      const owner = await createGroup(base, 'g');
      for (let epoch = 0n; epoch < 100n; epoch++) {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            post(base, '/groups/g/commit', commitRequest('g', epoch, { marker: i, welcome: i % 2 === 0 }), {
              ...COMMIT,
              ...bearer(owner),
            }),
          ),
        );
        const winners = results.filter((r) => r.status === 200);
        expect(winners).toHaveLength(1);
        expect(winners[0]!.json.epoch).toBe(Number(epoch) + 1);
        for (const loser of results.filter((r) => r.status !== 200)) {
          expect(loser.status).toBe(409);
          expect(loser.json).toMatchObject({ error: 'epoch-mismatch', currentEpoch: Number(epoch) + 1 });
        }
      }
      expect((await store.getGroup('g'))?.epoch).toBe(100n);
      const commits = (await store.pendingOutbox(1000)).filter((e) => e.track === 'commit');
      expect(commits.map((e) => e.moqGroupId)).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(i)));
      expect(commits.every((e) => e.moqObjectId === 0n)).toBe(true);
      // Each stored commit is the MLSMessage of the winner, at that epoch.
      for (const entry of commits) {
        expect(Buffer.from(entry.payload).subarray(0, -24)).toEqual(
          Buffer.from(commitMessage('g', entry.moqGroupId)).subarray(0, -24),
        );
      }
    });

    it('keeps epoch and outbox across a restart on the same file', async () => {
      const location = await fresh();
      const first = await start(location);
      const owner = await createGroup(first.base, 'persist');
      for (let epoch = 0n; epoch < 3n; epoch++) {
        const r = await post(
          first.base,
          '/groups/persist/commit',
          commitRequest('persist', epoch, { welcome: true }),
          {
            ...COMMIT,
            ...bearer(owner),
          },
        );
        expect(r.status).toBe(200);
      }
      await first.close();
      const second = await start(location);
      expect((await post(second.base, '/groups/persist/request', joinRequest(), REQUEST)).status).toBe(200);
      const stale = await post(second.base, '/groups/persist/commit', commitRequest('persist', 2n), {
        ...COMMIT,
        ...bearer(owner),
      });
      expect(stale).toMatchObject({ status: 409, json: { currentEpoch: 3 } });
      const ok = await post(second.base, '/groups/persist/commit', commitRequest('persist', 3n), {
        ...COMMIT,
        ...bearer(owner),
      });
      expect(ok).toMatchObject({ status: 200, json: { epoch: 4 } });
      const outbox = await second.store.pendingOutbox(100);
      expect(outbox.map((e) => `${e.track}:${e.moqGroupId}`)).toEqual([
        'commit:0',
        'welcome:0',
        'commit:1',
        'welcome:1',
        'commit:2',
        'welcome:2',
        'request:0',
        'commit:3',
      ]);
    });

    it('answers health', async () => {
      const { base } = await start(await fresh());
      const response = await fetch(`${base}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true, db: 'ok' });
    });
  });

  describe('coordination service: bad input and access control', () => {
    it('rejects malformed bodies with the field and leaves state unchanged', async () => {
      const { base, store } = await start(await fresh());
      const owner = await createGroup(base, 'g');
      const auth = { ...COMMIT, ...bearer(owner) };
      const valid = commitRequest('g', 0n);
      const cases: [Uint8Array, string][] = [
        [valid.subarray(0, 20), 'commit.'],
        [Uint8Array.from([...valid, 0]), 'trailing'],
        [Uint8Array.from([...valid.subarray(0, 3), 3, ...valid.subarray(4)]), 'commit.wire_format'],
        [new Uint8Array(0), 'commit.version'],
      ];
      for (const [body, needle] of cases) {
        const r = await post(base, '/groups/g/commit', body, auth);
        expect(r.status).toBe(400);
        expect(r.json.error).toBe('malformed-body');
        expect(String(r.json.message)).toContain(needle);
      }
      const mismatch = await post(base, '/groups/g/commit', commitRequest('other', 0n), auth);
      expect(mismatch).toMatchObject({ status: 400, json: { error: 'group-mismatch' } });
      const badRequest = await post(base, '/groups/g/request', Uint8Array.of(7), REQUEST);
      expect(badRequest).toMatchObject({ status: 400, json: { error: 'malformed-body' } });
      expect(String(badRequest.json.message)).toContain('request_type');
      expect((await store.getGroup('g'))?.epoch).toBe(0n);
      expect(await store.pendingOutbox(10)).toEqual([]);
    });

    it('enforces content type, body size (also streamed), routes and methods', async () => {
      const { base, store } = await start(await fresh(), { maxBodyBytes: 1024 });
      const owner = await createGroup(base, 'g');
      const wrongType = await post(base, '/groups/g/commit', commitRequest('g', 0n), {
        'content-type': 'text/plain',
        ...bearer(owner),
      });
      expect(wrongType).toMatchObject({ status: 415, json: { error: 'unsupported-media-type' } });
      const octet = await post(base, '/groups/g/commit', commitRequest('g', 0n), {
        'content-type': 'application/octet-stream',
        ...bearer(owner),
      });
      expect(octet.status).toBe(200);
      const big = await post(base, '/groups/g/commit', new Uint8Array(200_000), {
        ...COMMIT,
        ...bearer(owner),
      });
      expect(big).toMatchObject({ status: 413, json: { error: 'body-too-large' } });
      // Chunked, no Content-Length: the limit must hold while streaming.
      const streamed = await fetch(`${base}/groups/g/commit`, {
        method: 'POST',
        headers: { ...COMMIT, ...bearer(owner) },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(512));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      expect((await fetch(`${base}/groups/g/commit`)).status).toBe(405);
      expect((await post(base, '/groups/bad%20id/request', joinRequest(), REQUEST)).status).toBe(400);
      expect((await store.getGroup('g'))?.epoch).toBe(1n);
    });

    it('returns 404 for commits and leaves on groups never created', async () => {
      const { base, store } = await start(await fresh());
      const token = mintToken(SECRET, { group: 'ghost', role: 'owner', exp: exp() });
      const commit = await post(base, '/groups/ghost/commit', commitRequest('ghost', 0n), {
        ...COMMIT,
        ...bearer(token),
      });
      expect(commit).toMatchObject({ status: 404, json: { error: 'unknown-group' } });
      const leave = await post(base, '/groups/ghost/request', leaveRequest('ghost'), {
        ...REQUEST,
        ...bearer(token),
      });
      expect(leave).toMatchObject({ status: 404, json: { error: 'unknown-group' } });
      expect(await store.getGroup('ghost')).toBeUndefined();
    });

    it('checks tokens: missing, forged, expired, wrong group, wrong role', async () => {
      const { base, store } = await start(await fresh());
      const owner = await createGroup(base, 'g');
      await createGroup(base, 'h');
      const body = commitRequest('g', 0n);
      const expect401 = async (headers: Record<string, string>, error: string) =>
        expect(await post(base, '/groups/g/commit', body, { ...COMMIT, ...headers })).toMatchObject({
          status: 401,
          json: { error },
        });
      await expect401({}, 'token-missing');
      await expect401(
        bearer(mintToken(new Uint8Array(32), { group: 'g', role: 'owner', exp: exp() })),
        'token-invalid',
      );
      await expect401(bearer(mintToken(SECRET, { group: 'g', role: 'owner', exp: 1 })), 'token-expired');
      await expect401({ authorization: 'Basic abc' }, 'token-invalid');
      const wrongGroup = await post(base, '/groups/g/commit', body, {
        ...COMMIT,
        ...bearer(mintToken(SECRET, { group: 'h', role: 'owner', exp: exp() })),
      });
      expect(wrongGroup).toMatchObject({ status: 403, json: { error: 'token-wrong-group' } });

      // The owner mints a member token; members may leave but not commit.
      const minted = await post(
        base,
        '/groups/g/tokens',
        JSON.stringify({ role: 'member', ttlSeconds: 60 }),
        {
          'content-type': 'application/json',
          ...bearer(owner),
        },
      );
      expect(minted.status).toBe(200);
      const member = minted.json.token as string;
      expect(await post(base, '/groups/g/commit', body, { ...COMMIT, ...bearer(member) })).toMatchObject({
        status: 403,
        json: { error: 'token-insufficient-role' },
      });
      expect(
        (await post(base, '/groups/g/request', leaveRequest('g'), { ...REQUEST, ...bearer(member) })).status,
      ).toBe(200);
      // Leaves pass the join gate: open group, no token needed (committers authenticate them by MLS).
      expect((await post(base, '/groups/g/request', leaveRequest('g'), REQUEST)).status).toBe(200);
      // Members cannot mint; owners cannot mint owners.
      expect(
        (
          await post(base, '/groups/g/tokens', '{"role":"invitee"}', {
            'content-type': 'application/json',
            ...bearer(member),
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await post(base, '/groups/g/tokens', '{"role":"owner"}', {
            'content-type': 'application/json',
            ...bearer(owner),
          })
        ).status,
      ).toBe(400);
      expect((await store.getGroup('g'))?.epoch).toBe(0n);
    });

    it('requires an invitee token to join an invite-only group', async () => {
      const { base, store } = await start(await fresh());
      const owner = await createGroup(base, 'g');
      const json = { 'content-type': 'application/json', ...bearer(owner) };
      expect((await post(base, '/groups/g/settings', '{"inviteOnly":true}', json)).status).toBe(200);
      expect(await post(base, '/groups/g/request', joinRequest(), REQUEST)).toMatchObject({
        status: 401,
        json: { error: 'token-missing' },
      });
      const invite = await post(base, '/groups/g/tokens', '{"role":"invitee","ttlSeconds":30}', json);
      expect(
        (await post(base, '/groups/g/request', joinRequest(), { ...REQUEST, ...bearer(invite.json.token) }))
          .status,
      ).toBe(200);
      expect((await store.pendingOutbox(10)).length).toBe(1);
      // Leaves pass the same gate.
      expect((await post(base, '/groups/g/request', leaveRequest('g'), REQUEST)).status).toBe(401);
      expect(
        (
          await post(base, '/groups/g/request', leaveRequest('g'), {
            ...REQUEST,
            ...bearer(invite.json.token),
          })
        ).status,
      ).toBe(200);
    });

    it('rate limits per client', async () => {
      const { base } = await start(await fresh(), { rateLimit: { capacity: 5, refillPerSecond: 0.1 } });
      const statuses = [];
      for (let i = 0; i < 8; i++)
        statuses.push((await post(base, '/groups/rl/request', joinRequest(), REQUEST)).status);
      expect(statuses).toEqual([201, 200, 200, 200, 200, 429, 429, 429]);
    });
  });

  describe('coordination service: epoch counter API (seeds 000/003)', () => {
    it('locks, conflicts, reports counter errors and increments', async () => {
      const { base } = await start(await fresh(), { lockTtlMs: 300 });
      const lock = async (val: number, client: string) => {
        const response = await fetch(`${base}/lock/c1?val=${val}`, { headers: { 'x-client-id': client } });
        return { status: response.status, json: (await response.json()) as Record<string, unknown> };
      };
      const increment = (lockId: unknown) =>
        post(base, '/increment/c1', JSON.stringify({ lockId }), { 'content-type': 'application/json' });

      expect(await lock(1, 'a')).toMatchObject({
        status: 409,
        json: { result: 'counter-error', current: 0 },
      });
      const a = await lock(0, 'a');
      expect(a).toMatchObject({ status: 200, json: { result: 'ok' } });
      const conflict = await lock(0, 'b');
      expect(conflict).toMatchObject({ status: 409, json: { result: 'conflict' } });
      expect(conflict.json.retryAfterMs).toBeGreaterThan(0);
      expect(conflict.json.retryAfterMs).toBeLessThanOrEqual(300);
      expect(await increment('0'.repeat(32))).toMatchObject({
        status: 409,
        json: { result: 'error', reason: 'not-lock-holder' },
      });
      expect(await increment(a.json.lockId)).toMatchObject({ status: 200, json: { result: 'ok', value: 1 } });
      // The lock is released by increment; a second increment is an error.
      expect(await increment(a.json.lockId)).toMatchObject({ status: 409, json: { reason: 'not-locked' } });

      // Expiry: a lock nobody increments frees itself, and its holder can no longer increment.
      const b = await lock(1, 'b');
      expect(b.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await increment(b.json.lockId)).toMatchObject({ status: 409, json: { reason: 'lock-expired' } });
      const c = await lock(1, 'c');
      expect(c.status).toBe(200);
      const viaHeader = await fetch(`${base}/increment/c1`, {
        method: 'POST',
        headers: { 'lock-id': String(c.json.lockId) },
      });
      expect(await viaHeader.json()).toMatchObject({ result: 'ok', value: 2 });

      expect((await post(base, '/increment/none', '{}', { 'content-type': 'application/json' })).status).toBe(
        400,
      );
      expect(await increment('f'.repeat(32)).then((r) => r.status)).toBe(409);
      expect((await fetch(`${base}/lock/c1?val=-1`)).status).toBe(400);
    });

    it('can require committer tokens for counters', async () => {
      const { base } = await start(await fresh(), { counterTokens: true });
      expect((await fetch(`${base}/lock/k?val=0`)).status).toBe(401);
      const token = mintToken(SECRET, { group: 'k', role: 'committer', exp: exp() });
      expect((await fetch(`${base}/lock/k?val=0`, { headers: bearer(token) })).status).toBe(200);
    });
  });
});
