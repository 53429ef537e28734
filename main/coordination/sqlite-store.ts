// CoordinationStore on embedded SQLite (better-sqlite3): WAL so readers never block the writer,
// BEGIN IMMEDIATE transactions so every compare-and-set is serialized by the database itself.
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { openDatabase } from '../store/database.js';
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
     epoch INTEGER NOT NULL,
     invite_only INTEGER NOT NULL DEFAULT 0,
     next_request_seq INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     group_id TEXT NOT NULL REFERENCES groups(id),
     track TEXT NOT NULL CHECK (track IN ('commit', 'welcome', 'request')),
     moq_group_id INTEGER NOT NULL,
     moq_object_id INTEGER NOT NULL,
     payload BLOB NOT NULL,
     created_at INTEGER NOT NULL,
     delivered_at INTEGER,
     UNIQUE (group_id, track, moq_group_id, moq_object_id)
   );
   CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL;
   CREATE TABLE counters (
     name TEXT PRIMARY KEY,
     value INTEGER NOT NULL,
     lock_id TEXT,
     lock_owner TEXT,
     lock_expires_at INTEGER
   );`,
];

interface OutboxRow {
  id: bigint;
  group_id: string;
  track: OutboxTrack;
  moq_group_id: bigint;
  moq_object_id: bigint;
  payload: Buffer;
  created_at: bigint;
  delivered_at: bigint | null;
}

interface CounterRow {
  value: bigint;
  lock_id: string | null;
  lock_expires_at: bigint | null;
}

function toEntry(row: OutboxRow): OutboxEntry {
  return {
    id: Number(row.id),
    groupId: row.group_id,
    track: row.track,
    moqGroupId: row.moq_group_id,
    moqObjectId: row.moq_object_id,
    payload: new Uint8Array(row.payload),
    createdAt: Number(row.created_at),
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
  };
}

export interface SqliteStoreOptions {
  /** How long a writer waits for another connection's lock before failing. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

export class SqliteCoordinationStore implements CoordinationStore {
  readonly db: Database.Database;
  private closed = false;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    // The shared opener: WAL, synchronous=FULL (an acknowledged commit must survive power loss, or
    // the service could hand out the same epoch twice), numbered migrations in one transaction.
    this.db = openDatabase(path, MIGRATIONS, options);
    this.db.defaultSafeIntegers(true);
  }

  async createGroupIfAbsent(groupId: string, now = Date.now()): Promise<'created' | 'exists'> {
    const info = this.db
      .prepare('INSERT INTO groups (id, epoch, created_at) VALUES (?, 0, ?) ON CONFLICT (id) DO NOTHING')
      .run(groupId, BigInt(now));
    return info.changes === 1 ? 'created' : 'exists';
  }

  async getGroup(groupId: string): Promise<GroupInfo | undefined> {
    const row = this.db
      .prepare('SELECT id, epoch, invite_only, created_at FROM groups WHERE id = ?')
      .get(groupId) as { id: string; epoch: bigint; invite_only: bigint; created_at: bigint } | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      epoch: row.epoch,
      inviteOnly: row.invite_only !== 0n,
      createdAt: Number(row.created_at),
    };
  }

  async setInviteOnly(groupId: string, inviteOnly: boolean): Promise<boolean> {
    const info = this.db
      .prepare('UPDATE groups SET invite_only = ? WHERE id = ?')
      .run(inviteOnly ? 1n : 0n, groupId);
    return info.changes === 1;
  }

  async acceptCommit(
    groupId: string,
    epoch: bigint,
    commit: Uint8Array,
    welcome?: Uint8Array,
    now = Date.now(),
  ): Promise<AcceptCommitResult> {
    // SQLite INTEGER is signed 64-bit: an epoch beyond it can never equal the stored one.
    if (epoch < 0n || epoch >= 2n ** 63n - 1n) {
      const group = await this.getGroup(groupId);
      return group ? { ok: false, currentEpoch: group.epoch } : 'unknown-group';
    }
    const run = this.db.transaction((): AcceptCommitResult => {
      const bumped = this.db
        .prepare('UPDATE groups SET epoch = epoch + 1 WHERE id = ? AND epoch = ?')
        .run(groupId, epoch);
      if (bumped.changes !== 1) {
        const row = this.db.prepare('SELECT epoch FROM groups WHERE id = ?').get(groupId) as
          { epoch: bigint } | undefined;
        return row ? { ok: false, currentEpoch: row.epoch } : 'unknown-group';
      }
      const insert = this.db.prepare(
        `INSERT INTO outbox (group_id, track, moq_group_id, moq_object_id, payload, created_at)
         VALUES (?, ?, ?, 0, ?, ?)`,
      );
      insert.run(groupId, 'commit', epoch, Buffer.from(commit), BigInt(now));
      if (welcome) insert.run(groupId, 'welcome', epoch, Buffer.from(welcome), BigInt(now));
      return { ok: true, newEpoch: epoch + 1n };
    });
    return run.immediate();
  }

  async enqueueRequest(
    groupId: string,
    payload: Uint8Array,
    now = Date.now(),
  ): Promise<{ moqGroupId: bigint } | 'unknown-group'> {
    const run = this.db.transaction((): { moqGroupId: bigint } | 'unknown-group' => {
      const row = this.db
        .prepare(
          'UPDATE groups SET next_request_seq = next_request_seq + 1 WHERE id = ? RETURNING next_request_seq - 1 AS seq',
        )
        .get(groupId) as { seq: bigint } | undefined;
      if (!row) return 'unknown-group';
      this.db
        .prepare(
          `INSERT INTO outbox (group_id, track, moq_group_id, moq_object_id, payload, created_at)
           VALUES (?, 'request', ?, 0, ?, ?)`,
        )
        .run(groupId, row.seq, Buffer.from(payload), BigInt(now));
      return { moqGroupId: row.seq };
    });
    return run.immediate();
  }

  async pendingOutbox(limit: number): Promise<OutboxEntry[]> {
    const rows = this.db
      .prepare('SELECT * FROM outbox WHERE delivered_at IS NULL ORDER BY id LIMIT ?')
      .all(BigInt(Math.max(0, Math.floor(limit)))) as OutboxRow[];
    return rows.map(toEntry);
  }

  async markDelivered(ids: readonly number[], now = Date.now()): Promise<void> {
    const update = this.db.prepare(
      'UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL',
    );
    this.db.transaction(() => {
      for (const id of ids) update.run(BigInt(now), BigInt(id));
    })();
  }

  async outboxRange(
    groupId: string,
    track: OutboxTrack,
    fromGroup: bigint,
    toGroup: bigint,
  ): Promise<OutboxEntry[]> {
    const clamp = (v: bigint) => (v > 2n ** 63n - 1n ? 2n ** 63n - 1n : v < 0n ? 0n : v);
    const rows = this.db
      .prepare(
        `SELECT * FROM outbox WHERE group_id = ? AND track = ? AND moq_group_id BETWEEN ? AND ?
         ORDER BY moq_group_id, moq_object_id`,
      )
      .all(groupId, track, clamp(fromGroup), clamp(toGroup)) as OutboxRow[];
    return rows.map(toEntry);
  }

  async largestOutbox(groupId: string, track: OutboxTrack): Promise<bigint | undefined> {
    const row = this.db
      .prepare('SELECT MAX(moq_group_id) AS g FROM outbox WHERE group_id = ? AND track = ?')
      .get(groupId, track) as { g: bigint | null };
    return row.g ?? undefined;
  }

  async lock(
    counter: string,
    expected: bigint,
    owner: string,
    ttlMs: number,
    now = Date.now(),
  ): Promise<LockResult> {
    const run = this.db.transaction((): LockResult => {
      // No explicit initialization (seed 000 §7): a counter springs into existence at 0.
      this.db
        .prepare('INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING')
        .run(counter);
      const lockId = randomBytes(16).toString('hex');
      const expiresAt = now + ttlMs;
      const taken = this.db
        .prepare(
          `UPDATE counters SET lock_id = ?, lock_owner = ?, lock_expires_at = ?
           WHERE name = ? AND value = ? AND (lock_id IS NULL OR lock_expires_at <= ?)`,
        )
        .run(lockId, owner, BigInt(expiresAt), counter, expected, BigInt(now));
      if (taken.changes === 1) return { result: 'ok', lockId, expiresAt };
      const row = this.db
        .prepare('SELECT value, lock_id, lock_expires_at FROM counters WHERE name = ?')
        .get(counter) as CounterRow;
      // A wrong value can never succeed, so say so before telling the caller to wait.
      if (row.value !== expected) return { result: 'counter-error', current: row.value };
      return { result: 'conflict', retryAfterMs: Math.max(1, Number(row.lock_expires_at ?? 0n) - now) };
    });
    return run.immediate();
  }

  async increment(counter: string, lockId: string, now = Date.now()): Promise<IncrementResult> {
    const run = this.db.transaction((): IncrementResult => {
      const row = this.db
        .prepare(
          `UPDATE counters SET value = value + 1, lock_id = NULL, lock_owner = NULL, lock_expires_at = NULL
           WHERE name = ? AND lock_id = ? AND lock_expires_at > ? RETURNING value`,
        )
        .get(counter, lockId, BigInt(now)) as { value: bigint } | undefined;
      if (row) return { result: 'ok', value: row.value };
      const current = this.db
        .prepare('SELECT value, lock_id, lock_expires_at FROM counters WHERE name = ?')
        .get(counter) as CounterRow | undefined;
      if (!current) return { result: 'error', reason: 'unknown-counter' };
      if (current.lock_id === null) return { result: 'error', reason: 'not-locked' };
      if (current.lock_id === lockId) return { result: 'error', reason: 'lock-expired' };
      if (Number(current.lock_expires_at ?? 0n) <= now) return { result: 'error', reason: 'not-locked' };
      return { result: 'error', reason: 'not-lock-holder' };
    });
    return run.immediate();
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
