// One row per MLS security group: the sealed, versioned ts-mls state BLOB plus its epoch. Processing a
// message, persisting the new state and recording the message hash is one SQLite transaction, so after
// a crash the state is either fully before or fully after a message — never in between.
import { sha256 } from '@noble/hashes/sha2.js';
import type { SqliteDatabase } from './database.js';
import { rowAad } from './secret-box.js';
import type { SecretBox } from './secret-box.js';

/** Schema steps for main/store (version = index + 1). Append only. */
export const STORE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE security_groups (
     group_id BLOB PRIMARY KEY,
     epoch INTEGER NOT NULL CHECK (epoch >= 0),
     state_version INTEGER NOT NULL,
     state BLOB NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE processed_messages (
     group_id BLOB NOT NULL REFERENCES security_groups(group_id) ON DELETE CASCADE,
     message_hash BLOB NOT NULL,
     epoch INTEGER NOT NULL,
     processed_at INTEGER NOT NULL,
     PRIMARY KEY (group_id, message_hash)
   ) WITHOUT ROWID;
   CREATE INDEX processed_messages_epoch ON processed_messages (group_id, epoch);
   CREATE TABLE epoch_secrets (
     group_id BLOB NOT NULL REFERENCES security_groups(group_id) ON DELETE CASCADE,
     epoch INTEGER NOT NULL,
     secret BLOB NOT NULL,
     PRIMARY KEY (group_id, epoch)
   ) WITHOUT ROWID;`,
  // A committer's own commit, accepted by the Coordination Service but not yet seen on the
  // CommitTrack: the state it leads to must survive a crash, because MLS cannot process one's own
  // commit — without this row a committer killed at that moment could never follow its group again.
  `CREATE TABLE pending_commits (
     group_id BLOB PRIMARY KEY REFERENCES security_groups(group_id) ON DELETE CASCADE,
     epoch INTEGER NOT NULL,
     commit_hash BLOB NOT NULL,
     state_version INTEGER NOT NULL,
     state BLOB NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE sealed_values (
     key TEXT PRIMARY KEY,
     value BLOB NOT NULL
   ) WITHOUT ROWID;`,
];

export interface StoredGroupState {
  readonly epoch: bigint;
  /** Serialization format version of `state` (see main/mls GROUP_STATE_FORMAT_VERSION). */
  readonly stateVersion: number;
  readonly state: Uint8Array;
}

export interface HandlerResult {
  readonly newEpoch: bigint;
  readonly newState: Uint8Array;
  /** Defaults to the current row's version. */
  readonly stateVersion?: number;
  /** Secret of `newEpoch` (e.g. the SFrame base key) kept for the key-retention window. */
  readonly epochSecret?: Uint8Array;
}

/** Our own commit from `epoch`, and the sealed state it leads to once it comes back on the CommitTrack. */
export interface PendingCommit {
  readonly epoch: bigint;
  readonly commitHash: Uint8Array;
  readonly stateVersion: number;
  readonly state: Uint8Array;
}

export interface CommittedEvent {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly messageHash: Uint8Array;
}

export type ProcessResult = 'applied' | 'duplicate';

export interface GroupStateRepositoryOptions {
  /** Epochs whose secrets are kept, including the current one (default 4). */
  retainEpochs?: number;
  /** State serialization versions this build can read (default [1]). */
  supportedStateVersions?: readonly number[];
  /** Called after COMMIT of every applied message: the place to send the acknowledgement. */
  onCommitted?: (event: CommittedEvent) => void;
  now?: () => number;
}

export class UnknownStateVersionError extends Error {
  override name = 'UnknownStateVersionError';
}

export class EpochError extends Error {
  override name = 'EpochError';
}

interface GroupRow {
  epoch: bigint;
  state_version: bigint;
  state: Uint8Array;
}

// Epochs are uint64 in MLS but INTEGER in SQLite is int64; no real group gets near 2^63 epochs.
const MAX_EPOCH = (1n << 63n) - 1n;

function checkEpoch(epoch: bigint): void {
  if (epoch < 0n || epoch > MAX_EPOCH) throw new EpochError(`epoch ${epoch} out of range`);
}

export class GroupStateRepository {
  private readonly retainEpochs: bigint;
  private readonly versions: ReadonlySet<number>;
  private readonly now: () => number;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly box: SecretBox,
    private readonly options: GroupStateRepositoryOptions = {},
  ) {
    const retain = options.retainEpochs ?? 4;
    if (!Number.isInteger(retain) || retain < 1) throw new RangeError('retainEpochs must be an integer >= 1');
    this.retainEpochs = BigInt(retain);
    this.versions = new Set(options.supportedStateVersions ?? [1]);
    this.now = options.now ?? Date.now;
  }

  // Epoch and version are in the AAD too: a sealed state cannot be paired with another row's epoch.
  private stateAad(groupId: Uint8Array, epoch: bigint, version: number): Uint8Array {
    return rowAad('security_groups.state', groupId, epoch, version);
  }

  private secretAad(groupId: Uint8Array, epoch: bigint): Uint8Array {
    return rowAad('epoch_secrets.secret', groupId, epoch);
  }

  private row(groupId: Uint8Array): GroupRow | undefined {
    return this.db
      .prepare('SELECT epoch, state_version, state FROM security_groups WHERE group_id = ?')
      .safeIntegers(true)
      .get(groupId) as GroupRow | undefined;
  }

  private decode(groupId: Uint8Array, row: GroupRow): StoredGroupState {
    const version = Number(row.state_version);
    if (!this.versions.has(version))
      throw new UnknownStateVersionError(
        `group state has serialization version ${version}; this build reads ${[...this.versions].join(', ')}`,
      );
    const state = this.box.open(row.state, this.stateAad(groupId, row.epoch, version));
    return { epoch: row.epoch, stateVersion: version, state };
  }

  load(groupId: Uint8Array): StoredGroupState | undefined {
    const row = this.row(groupId);
    return row === undefined ? undefined : this.decode(groupId, row);
  }

  list(): { groupId: Uint8Array; epoch: bigint; stateVersion: number }[] {
    const rows = this.db
      .prepare('SELECT group_id, epoch, state_version FROM security_groups ORDER BY group_id')
      .safeIntegers(true)
      .all() as { group_id: Uint8Array; epoch: bigint; state_version: bigint }[];
    return rows.map((r) => ({
      groupId: new Uint8Array(r.group_id),
      epoch: r.epoch,
      stateVersion: Number(r.state_version),
    }));
  }

  /** Stores a new group; throws if `groupId` already exists. */
  create(
    groupId: Uint8Array,
    epoch: bigint,
    state: Uint8Array,
    stateVersion = 1,
    epochSecret?: Uint8Array,
  ): void {
    checkEpoch(epoch);
    this.db
      .transaction(() => {
        if (this.row(groupId) !== undefined) throw new Error('security group already exists');
        this.db
          .prepare(
            'INSERT INTO security_groups (group_id, epoch, state_version, state, updated_at) VALUES (?, ?, ?, ?, ?)',
          )
          .run(
            groupId,
            epoch,
            stateVersion,
            this.box.seal(state, this.stateAad(groupId, epoch, stateVersion)),
            this.now(),
          );
        if (epochSecret !== undefined) this.putSecret(groupId, epoch, epochSecret);
      })
      .immediate();
  }

  /** Removes the group and (by ON DELETE CASCADE) its epoch secrets and processed-message hashes. */
  delete(groupId: Uint8Array): boolean {
    return this.db.prepare('DELETE FROM security_groups WHERE group_id = ?').run(groupId).changes > 0;
  }

  /** A retained epoch secret, or undefined once it left the retention window. */
  loadEpochSecret(groupId: Uint8Array, epoch: bigint): Uint8Array | undefined {
    const row = this.db
      .prepare('SELECT secret FROM epoch_secrets WHERE group_id = ? AND epoch = ?')
      .get(groupId, epoch) as { secret: Uint8Array } | undefined;
    return row === undefined ? undefined : this.box.open(row.secret, this.secretAad(groupId, epoch));
  }

  retainedEpochs(groupId: Uint8Array): bigint[] {
    const rows = this.db
      .prepare('SELECT epoch FROM epoch_secrets WHERE group_id = ? ORDER BY epoch')
      .safeIntegers(true)
      .all(groupId) as { epoch: bigint }[];
    return rows.map((r) => r.epoch);
  }

  private pendingAad(
    groupId: Uint8Array,
    epoch: bigint,
    version: number,
    commitHash: Uint8Array,
  ): Uint8Array {
    return rowAad('pending_commits.state', groupId, epoch, version, commitHash);
  }

  /** Records our commit from `epoch` (replacing any older one) before it is sent to the service. */
  savePendingCommit(
    groupId: Uint8Array,
    epoch: bigint,
    commitBytes: Uint8Array,
    state: Uint8Array,
    stateVersion = 1,
  ): void {
    checkEpoch(epoch);
    const commitHash = sha256(commitBytes);
    this.db
      .prepare(
        'INSERT OR REPLACE INTO pending_commits (group_id, epoch, commit_hash, state_version, state) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        groupId,
        epoch,
        commitHash,
        stateVersion,
        this.box.seal(state, this.pendingAad(groupId, epoch, stateVersion, commitHash)),
      );
  }

  pendingCommit(groupId: Uint8Array): PendingCommit | undefined {
    const row = this.db
      .prepare('SELECT epoch, commit_hash, state_version, state FROM pending_commits WHERE group_id = ?')
      .safeIntegers(true)
      .get(groupId) as
      { epoch: bigint; commit_hash: Uint8Array; state_version: bigint; state: Uint8Array } | undefined;
    if (row === undefined) return undefined;
    const version = Number(row.state_version);
    const commitHash = new Uint8Array(row.commit_hash);
    const state = this.box.open(row.state, this.pendingAad(groupId, row.epoch, version, commitHash));
    return { epoch: row.epoch, commitHash, stateVersion: version, state };
  }

  /** Forgets our pending commit (the service refused it, or another commit took its epoch). */
  clearPendingCommit(groupId: Uint8Array): void {
    this.db.prepare('DELETE FROM pending_commits WHERE group_id = ?').run(groupId);
  }

  isProcessed(groupId: Uint8Array, messageBytes: Uint8Array): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM processed_messages WHERE group_id = ? AND message_hash = ?')
        .get(groupId, sha256(messageBytes)) !== undefined
    );
  }

  private putSecret(groupId: Uint8Array, epoch: bigint, secret: Uint8Array): void {
    this.db
      .prepare('INSERT OR REPLACE INTO epoch_secrets (group_id, epoch, secret) VALUES (?, ?, ?)')
      .run(groupId, epoch, this.box.seal(secret, this.secretAad(groupId, epoch)));
  }

  /**
   * Applies one received message in ONE transaction: duplicate check, `handler(current)`, epoch check,
   * sealed state write, message-hash record, epoch secret, pruning. If anything throws, nothing is
   * written and the error propagates.
   *
   * The handler must be synchronous (a SQLite transaction cannot span an await). With async MLS
   * processing, compute the next state first from `load()`, then pass a handler that checks `current`
   * is still the epoch/state it started from and returns the precomputed result.
   *
   * Acknowledge (e.g. to the network) only AFTER this returns 'applied' — or in `onCommitted`, which runs
   * after COMMIT. Acking earlier could confirm a message whose state a crash then loses.
   */
  processMessage(
    groupId: Uint8Array,
    messageBytes: Uint8Array,
    handler: (current: StoredGroupState) => HandlerResult,
    options: { onCommitted?: (event: CommittedEvent) => void } = {},
  ): ProcessResult {
    // Inside an outer transaction this would only be a SAVEPOINT and "after COMMIT" would be a lie.
    if (this.db.inTransaction) throw new Error('processMessage must not run inside another transaction');
    const messageHash = sha256(messageBytes);
    const outcome = this.db
      .transaction((): { kind: 'duplicate' } | { kind: 'applied'; epoch: bigint } => {
        const row = this.row(groupId);
        if (row === undefined) throw new Error('unknown security group');
        const seen = this.db
          .prepare('SELECT 1 FROM processed_messages WHERE group_id = ? AND message_hash = ?')
          .get(groupId, messageHash);
        if (seen !== undefined) return { kind: 'duplicate' };
        const current = this.decode(groupId, row);
        const next = handler(current);
        if (next.newEpoch !== current.epoch && next.newEpoch !== current.epoch + 1n)
          throw new EpochError(
            `new epoch ${next.newEpoch} is neither ${current.epoch} nor ${current.epoch + 1n}`,
          );
        checkEpoch(next.newEpoch);
        const version = next.stateVersion ?? current.stateVersion;
        this.db
          .prepare(
            'UPDATE security_groups SET epoch = ?, state_version = ?, state = ?, updated_at = ? WHERE group_id = ?',
          )
          .run(
            next.newEpoch,
            version,
            this.box.seal(next.newState, this.stateAad(groupId, next.newEpoch, version)),
            this.now(),
            groupId,
          );
        this.db
          .prepare(
            'INSERT INTO processed_messages (group_id, message_hash, epoch, processed_at) VALUES (?, ?, ?, ?)',
          )
          .run(groupId, messageHash, next.newEpoch, this.now());
        if (next.epochSecret !== undefined) this.putSecret(groupId, next.newEpoch, next.epochSecret);
        // Keep epochs (newEpoch - retain, newEpoch]; older secrets are exactly what forward secrecy
        // wants gone, and hashes of messages from pruned epochs can no longer be decrypted anyway.
        const oldest = next.newEpoch - this.retainEpochs + 1n;
        this.db.prepare('DELETE FROM epoch_secrets WHERE group_id = ? AND epoch < ?').run(groupId, oldest);
        this.db
          .prepare('DELETE FROM processed_messages WHERE group_id = ? AND epoch < ?')
          .run(groupId, oldest);
        // A pending commit from an epoch we have left is either the one just applied or lost to
        // another commit; either way it can never apply again.
        this.db
          .prepare('DELETE FROM pending_commits WHERE group_id = ? AND epoch < ?')
          .run(groupId, next.newEpoch);
        return { kind: 'applied', epoch: next.newEpoch };
      })
      .immediate();
    if (outcome.kind === 'duplicate') return 'duplicate';
    const event: CommittedEvent = { groupId, epoch: outcome.epoch, messageHash };
    this.options.onCommitted?.(event);
    options.onCommitted?.(event);
    return 'applied';
  }
}
