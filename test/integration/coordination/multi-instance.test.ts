// The Coordination Service as separate OS processes on one database: two instances on one
// PostgreSQL database still give exactly one creator per group, instances starting together migrate
// safely, and a service killed with SIGKILL in the middle of a commit race loses no accepted commit
// and applies none twice (SQLite and PostgreSQL) — the race just continues on the restarted process.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openCoordinationStore } from '../../../main/coordination/open-store.js';
import { PostgresCoordinationStore } from '../../../main/coordination/postgres-store.js';
import { ContentType, concat, encodePrivateMessage } from '../../../main/coordination/mls-wire.js';
import type { CoordinationStore } from '../../../main/coordination/store.js';
import {
  startCoordinatorChild,
  stopAllCoordinatorChildren,
  type CoordinatorChild,
} from '../../support/coordinator-child.js';
import { COMMIT, REQUEST, bearer, joinRequest, post } from '../../unit/coordination/fixtures.js';
import { storeBackends } from '../../unit/coordination/store-backends.js';

const backends = storeBackends();
const postgres = backends.find((backend) => backend.name === 'postgres')!;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});
afterAll(() => stopAllCoordinatorChildren());

async function child(location: string): Promise<CoordinatorChild> {
  const started = await startCoordinatorChild(location);
  cleanups.push(() => started.stop());
  return started;
}

async function store(location: string): Promise<CoordinationStore> {
  const opened = await openCoordinationStore(location);
  cleanups.push(() => opened.close());
  return opened;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A CommitRequest whose ciphertext (the last 24 bytes of the stored commit) carries `marker`. */
function markedCommit(group: string, epoch: bigint, marker: number): Uint8Array {
  const ciphertext = new Uint8Array(24);
  new DataView(ciphertext.buffer).setUint32(0, marker);
  const commit = encodePrivateMessage({
    groupId: new TextEncoder().encode(group),
    epoch,
    contentType: ContentType.commit,
    ciphertext,
  });
  return concat(commit, Uint8Array.of(0));
}

function markerOf(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset + payload.length - 24, 24).getUint32(0);
}

describe('two service processes on one PostgreSQL database', () => {
  it('give exactly one 201 among 50 concurrent first requests spread across both', async () => {
    const location = await postgres.location();
    const [a, b] = await Promise.all([child(location), child(location)]);
    for (let round = 0; round < 5; round++) {
      const group = `two-${round}`;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          post(i % 2 ? a.url : b.url, `/groups/${group}/request`, joinRequest(`m${i}`), REQUEST).then(
            (r) => ({ ...r, via: i % 2 }),
          ),
        ),
      );
      const created = results.filter((r) => r.status === 201);
      expect(created).toHaveLength(1);
      expect(results.filter((r) => r.status === 200)).toHaveLength(49);
      // Both instances answered; the 49 others were queued, numbered 0..48 without gaps.
      expect(new Set(results.map((r) => r.via))).toEqual(new Set([0, 1]));
      expect(results.filter((r) => r.status === 200).map((r) => r.json.requestGroupId)).toEqual(
        expect.arrayContaining(Array.from({ length: 49 }, (_, i) => i)),
      );
    }
    const db = await store(location);
    for (let round = 0; round < 5; round++) {
      expect((await db.getGroup(`two-${round}`))?.epoch).toBe(0n);
      const requests = await db.outboxRange(`two-${round}`, 'request', 0n, 1000n);
      expect(requests.map((e) => e.moqGroupId)).toEqual(Array.from({ length: 49 }, (_, i) => BigInt(i)));
    }
  });

  it('migrate safely when eight instances open a fresh database at once', async () => {
    const location = await postgres.location();
    const stores = await Promise.all(
      Array.from({ length: 8 }, () => PostgresCoordinationStore.open(location)),
    );
    for (const opened of stores) cleanups.push(() => opened.close());
    const versions = await stores[0]!.pool.query<{ version: number }>(
      'SELECT version FROM schema_version ORDER BY version',
    );
    expect(versions.rows.map((row) => row.version)).toEqual([1]);
    expect(await stores[7]!.createGroupIfAbsent('m')).toBe('created');
    expect(await stores[3]!.createGroupIfAbsent('m')).toBe('exists');
  });
});

describe.each(backends)('kill -9 in the middle of a commit race on $name', (backend) => {
  it('loses no accepted commit, applies none twice, and the race continues after a restart', async () => {
    const location = await backend.location();
    let service = await child(location);
    const created = await post(service.url, '/groups/k/request', joinRequest(), REQUEST);
    expect(created.status).toBe(201);
    const headers = { ...COMMIT, ...bearer(created.json.ownerToken) };

    const CLIENTS = 10;
    const KILL_AFTER = 20;
    const TOTAL = 60;
    /** marker → the epoch its 200 said it was applied at. */
    const accepted = new Map<number, bigint>();
    /** Requests that got no answer (connection reset/refused): applied or not, the client cannot know. */
    const inDoubt = new Set<number>();
    let known = 0n;
    let nextMarker = 0;
    let killed = false;
    let down: Promise<void> | undefined;
    let cutAtKill = 0;

    let inFlight = 0;
    let inFlightAtKill = 0;

    // SIGKILL at a moment when requests are on the wire (not between two bursts of answers).
    const killAndRestart = () => {
      killed = true;
      const attempt = () => {
        if (inFlight < CLIENTS / 2) return void setImmediate(attempt);
        inFlightAtKill = inFlight;
        down = (async () => {
          await service.kill9();
          service = await child(location);
          down = undefined;
        })();
      };
      setImmediate(attempt);
    };

    const client = async () => {
      while (accepted.size < TOTAL) {
        if (down) await down;
        const marker = nextMarker++;
        const epoch = known;
        let response;
        inFlight++;
        try {
          response = await post(service.url, '/groups/k/commit', markedCommit('k', epoch, marker), headers);
        } catch {
          inFlight--;
          inDoubt.add(marker);
          if (down) cutAtKill++;
          await (down ?? sleep(10));
          continue;
        }
        inFlight--;
        if (response.status === 200) {
          accepted.set(marker, epoch);
          expect(response.json.epoch).toBe(Number(epoch) + 1);
          if (epoch + 1n > known) known = epoch + 1n;
          if (accepted.size === KILL_AFTER && !killed) killAndRestart();
        } else {
          expect(response.status).toBe(409);
          const current = BigInt(response.json.currentEpoch as number);
          if (current > known) known = current;
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    expect(killed).toBe(true);
    // The kill really landed mid-race: requests were on the wire, and (nearly always) some were cut.
    expect(inFlightAtKill).toBeGreaterThan(0);
    console.log(`${backend.name}: ${inFlightAtKill} requests in flight at SIGKILL, ${cutAtKill} cut`);

    await service.stop();
    const db = await store(location);
    const epoch = (await db.getGroup('k'))!.epoch;
    const commits = await db.outboxRange('k', 'commit', 0n, 10_000n);
    // Exactly one commit per epoch 0..epoch-1, in order.
    expect(commits.map((e) => e.moqGroupId)).toEqual(
      Array.from({ length: Number(epoch) }, (_, i) => BigInt(i)),
    );
    const applied = new Map(commits.map((e) => [markerOf(e.payload), e.moqGroupId]));
    expect(applied.size).toBe(commits.length); // no request applied twice
    // Every 200 is in the database, at the epoch the client was told.
    for (const [marker, at] of accepted) expect(applied.get(marker)).toBe(at);
    // Everything else applied is a request whose answer the kill swallowed (normally none).
    const appliedInDoubt = [...applied.keys()].filter((marker) => !accepted.has(marker));
    for (const marker of appliedInDoubt) expect(inDoubt.has(marker)).toBe(true);
    expect(Number(epoch)).toBe(accepted.size + appliedInDoubt.length);
    expect(accepted.size).toBeGreaterThanOrEqual(TOTAL);
  });
});
