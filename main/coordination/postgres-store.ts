// CoordinationStore on PostgreSQL (node-postgres Pool), for several service instances sharing one
// database. Same semantics as the SQLite store; every compare-and-set is one SQL statement (hence
// one transaction) decided by the database's row locks, never by process memory:
//   group creation   INSERT … ON CONFLICT DO NOTHING RETURNING
//   commits          UPDATE … WHERE epoch = $n RETURNING, with the outbox INSERTs fed by that
//                    RETURNING in the same statement (data-modifying CTE) — both or neither
//   lock/increment   conditional UPDATEs on the counter row
// Times are the callers' (`now`, default Date.now()), exactly as in the SQLite store, so the two
// behave identically; instances sharing a database should run with synchronized clocks (NTP).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type {
  AcceptCommitResult,
  CoordinationStore,
  GroupInfo,
  IncrementResult,
  LockResult,
  OutboxEntry,
  OutboxTrack,
} from './store.js';

/** Numbered migrations; each runs once, all pending ones in one transaction. Append only. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE groups (
     id TEXT PRIMARY KEY,
     epoch BIGINT NOT NULL,
     invite_only BOOLEAN NOT NULL DEFAULT FALSE,
     next_request_seq BIGINT NOT NULL DEFAULT 0,
     created_at BIGINT NOT NULL
   );
   CREATE TABLE outbox (
     id BIGSERIAL PRIMARY KEY,
     group_id TEXT NOT NULL REFERENCES groups(id),
     track TEXT NOT NULL CHECK (track IN ('commit', 'welcome', 'request')),
     moq_group_id BIGINT NOT NULL,
     moq_object_id BIGINT NOT NULL,
     payload BYTEA NOT NULL,
     created_at BIGINT NOT NULL,
     delivered_at BIGINT,
     UNIQUE (group_id, track, moq_group_id, moq_object_id)
   );
   CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL;
   CREATE TABLE counters (
     name TEXT PRIMARY KEY,
     value BIGINT NOT NULL,
     lock_id TEXT,
     lock_owner TEXT,
     lock_expires_at BIGINT
   );`,
];

/** pg_advisory_xact_lock key serializing migrations across instances ("moq-coordinator"). */
const MIGRATION_LOCK_KEY = '7308604895310831939';
const INT64_MAX = 2n ** 63n - 1n;

/** int8 columns arrive as strings (node-postgres does not guess); we convert them ourselves. */
type Int8 = string;

interface OutboxRow {
  id: Int8;
  group_id: string;
  track: OutboxTrack;
  moq_group_id: Int8;
  moq_object_id: Int8;
  payload: Buffer;
  created_at: Int8;
  delivered_at: Int8 | null;
}

interface CounterRow {
  value: Int8;
  lock_id: string | null;
  lock_expires_at: Int8 | null;
}

function toEntry(row: OutboxRow): OutboxEntry {
  return {
    id: Number(row.id),
    groupId: row.group_id,
    track: row.track,
    moqGroupId: BigInt(row.moq_group_id),
    moqObjectId: BigInt(row.moq_object_id),
    payload: new Uint8Array(row.payload),
    createdAt: Number(row.created_at),
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
  };
}

const int8 = (value: bigint | number): string => BigInt(value).toString();
const clamp = (v: bigint) => (v > INT64_MAX ? INT64_MAX : v < 0n ? 0n : v);

export interface PostgresStoreOptions {
  /** Pool size. Default 10. */
  readonly maxConnections?: number;
  /** Fail a query that waits this long for a pool connection. Default 10000 ms. */
  readonly connectionTimeoutMs?: number;
}

/** Whether `location` names a PostgreSQL database (postgres:// or postgresql:// URL). */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Applies pending migrations in one transaction. pg_advisory_xact_lock makes instances starting
 * together take turns: the first migrates, the others then find nothing left to do.
 */
export async function applyPostgresMigrations(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
    const current = rows[0]?.v ?? 0;
    for (let version = current + 1; version <= MIGRATIONS.length; version++) {
      await client.query(MIGRATIONS[version - 1]!);
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [version]);
    }
    await client.query('COMMIT');
    return MIGRATIONS.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export class PostgresCoordinationStore implements CoordinationStore {
  private closed = false;

  private constructor(readonly pool: pg.Pool) {}

  /** Connects, applies migrations and returns the store. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresCoordinationStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    });
    // An idle connection dying (database restart) must not crash the process; the next query
    // simply gets a fresh connection.
    pool.on('error', () => {});
    try {
      await applyPostgresMigrations(pool);
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
    return new PostgresCoordinationStore(pool);
  }

  async createGroupIfAbsent(groupId: string, now = Date.now()): Promise<'created' | 'exists'> {
    const { rowCount } = await this.pool.query(
      'INSERT INTO groups (id, epoch, created_at) VALUES ($1, 0, $2) ON CONFLICT (id) DO NOTHING RETURNING id',
      [groupId, int8(now)],
    );
    return rowCount === 1 ? 'created' : 'exists';
  }

  async getGroup(groupId: string): Promise<GroupInfo | undefined> {
    const { rows } = await this.pool.query<{
      id: string;
      epoch: Int8;
      invite_only: boolean;
      created_at: Int8;
    }>('SELECT id, epoch, invite_only, created_at FROM groups WHERE id = $1', [groupId]);
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      epoch: BigInt(row.epoch),
      inviteOnly: row.invite_only,
      createdAt: Number(row.created_at),
    };
  }

  async setInviteOnly(groupId: string, inviteOnly: boolean): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE groups SET invite_only = $1 WHERE id = $2', [
      inviteOnly,
      groupId,
    ]);
    return rowCount === 1;
  }

  async acceptCommit(
    groupId: string,
    epoch: bigint,
    commit: Uint8Array,
    welcome?: Uint8Array,
    now = Date.now(),
  ): Promise<AcceptCommitResult> {
    // BIGINT is signed 64-bit: an epoch beyond it can never equal the stored one.
    if (epoch >= 0n && epoch < INT64_MAX) {
      // One statement = one transaction: the epoch bump and its outbox rows commit together or
      // not at all. Racing committers queue on the group's row lock; once the winner commits, the
      // others re-check `epoch = $2` against the new row version, fail it and insert nothing.
      const { rows } = await this.pool.query<{ bumped: Int8 }>(
        `WITH bumped AS (
           UPDATE groups SET epoch = epoch + 1 WHERE id = $1::text AND epoch = $2::bigint RETURNING id
         ), inserted AS (
           INSERT INTO outbox (group_id, track, moq_group_id, moq_object_id, payload, created_at)
           SELECT id, 'commit'::text, $2::bigint, 0::bigint, $3::bytea, $5::bigint FROM bumped
           UNION ALL
           SELECT id, 'welcome'::text, $2::bigint, 0::bigint, $4::bytea, $5::bigint FROM bumped
           WHERE $4::bytea IS NOT NULL
           RETURNING id
         )
         SELECT (SELECT count(*) FROM bumped) AS bumped, (SELECT count(*) FROM inserted) AS inserted`,
        [groupId, int8(epoch), Buffer.from(commit), welcome ? Buffer.from(welcome) : null, int8(now)],
      );
      if (rows[0]?.bumped === '1') return { ok: true, newEpoch: epoch + 1n };
    }
    // A new statement, hence a new snapshot (READ COMMITTED): it sees the winner's epoch.
    const group = await this.getGroup(groupId);
    return group ? { ok: false, currentEpoch: group.epoch } : 'unknown-group';
  }

  async enqueueRequest(
    groupId: string,
    payload: Uint8Array,
    now = Date.now(),
  ): Promise<{ moqGroupId: bigint } | 'unknown-group'> {
    const { rows } = await this.pool.query<{ seq: Int8 }>(
      `WITH seq AS (
         UPDATE groups SET next_request_seq = next_request_seq + 1 WHERE id = $1
         RETURNING id, next_request_seq - 1 AS seq
       )
       INSERT INTO outbox (group_id, track, moq_group_id, moq_object_id, payload, created_at)
       SELECT id, 'request', seq, 0, $2, $3 FROM seq
       RETURNING moq_group_id AS seq`,
      [groupId, Buffer.from(payload), int8(now)],
    );
    const row = rows[0];
    return row ? { moqGroupId: BigInt(row.seq) } : 'unknown-group';
  }

  async pendingOutbox(limit: number): Promise<OutboxEntry[]> {
    const { rows } = await this.pool.query<OutboxRow>(
      'SELECT * FROM outbox WHERE delivered_at IS NULL ORDER BY id LIMIT $1',
      [Math.max(0, Math.floor(limit))],
    );
    return rows.map(toEntry);
  }

  async markDelivered(ids: readonly number[], now = Date.now()): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      'UPDATE outbox SET delivered_at = $1 WHERE id = ANY($2::bigint[]) AND delivered_at IS NULL',
      [int8(now), ids.map((id) => int8(id))],
    );
  }

  async outboxRange(
    groupId: string,
    track: OutboxTrack,
    fromGroup: bigint,
    toGroup: bigint,
  ): Promise<OutboxEntry[]> {
    const { rows } = await this.pool.query<OutboxRow>(
      `SELECT * FROM outbox WHERE group_id = $1 AND track = $2 AND moq_group_id BETWEEN $3 AND $4
       ORDER BY moq_group_id, moq_object_id`,
      [groupId, track, int8(clamp(fromGroup)), int8(clamp(toGroup))],
    );
    return rows.map(toEntry);
  }

  async largestOutbox(groupId: string, track: OutboxTrack): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ g: Int8 | null }>(
      'SELECT MAX(moq_group_id) AS g FROM outbox WHERE group_id = $1 AND track = $2',
      [groupId, track],
    );
    const g = rows[0]?.g ?? null;
    return g === null ? undefined : BigInt(g);
  }

  async lock(
    counter: string,
    expected: bigint,
    owner: string,
    ttlMs: number,
    now = Date.now(),
  ): Promise<LockResult> {
    const lockId = randomBytes(16).toString('hex');
    const expiresAt = now + ttlMs;
    const take = () =>
      this.pool.query(
        `UPDATE counters SET lock_id = $1, lock_owner = $2, lock_expires_at = $3
         WHERE name = $4 AND value = $5 AND (lock_id IS NULL OR lock_expires_at <= $6)`,
        [lockId, owner, int8(expiresAt), counter, int8(expected), int8(now)],
      );
    for (let attempt = 0; attempt < 2; attempt++) {
      if ((await take()).rowCount === 1) return { result: 'ok', lockId, expiresAt };
      const { rows } = await this.pool.query<CounterRow>(
        'SELECT value, lock_id, lock_expires_at FROM counters WHERE name = $1',
        [counter],
      );
      const row = rows[0];
      if (row) {
        // A wrong value can never succeed, so say so before telling the caller to wait.
        const value = BigInt(row.value);
        if (value !== expected) return { result: 'counter-error', current: value };
        // The lock was released between our UPDATE and SELECT: one more try.
        if (row.lock_id === null || Number(row.lock_expires_at ?? 0) <= now) continue;
        return { result: 'conflict', retryAfterMs: Math.max(1, Number(row.lock_expires_at ?? 0) - now) };
      }
      // No explicit initialization (seed 000 §7): a counter springs into existence at 0.
      await this.pool.query(
        'INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING',
        [counter],
      );
    }
    return { result: 'conflict', retryAfterMs: 1 };
  }

  async increment(counter: string, lockId: string, now = Date.now()): Promise<IncrementResult> {
    const { rows } = await this.pool.query<{ value: Int8 }>(
      `UPDATE counters SET value = value + 1, lock_id = NULL, lock_owner = NULL, lock_expires_at = NULL
       WHERE name = $1 AND lock_id = $2 AND lock_expires_at > $3 RETURNING value`,
      [counter, lockId, int8(now)],
    );
    if (rows[0]) return { result: 'ok', value: BigInt(rows[0].value) };
    const current = (
      await this.pool.query<CounterRow>(
        'SELECT value, lock_id, lock_expires_at FROM counters WHERE name = $1',
        [counter],
      )
    ).rows[0];
    if (!current) return { result: 'error', reason: 'unknown-counter' };
    if (current.lock_id === null) return { result: 'error', reason: 'not-locked' };
    if (current.lock_id === lockId) return { result: 'error', reason: 'lock-expired' };
    if (Number(current.lock_expires_at ?? 0) <= now) return { result: 'error', reason: 'not-locked' };
    return { result: 'error', reason: 'not-lock-holder' };
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
