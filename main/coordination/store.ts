// The Coordination Service's storage contract. Every compare-and-set happens inside the database
// (one statement or one transaction), never in process memory, so several service instances can
// share one store — SQLite today, PostgreSQL later.

export type OutboxTrack = 'commit' | 'welcome' | 'request';

export interface OutboxEntry {
  readonly id: number;
  readonly groupId: string;
  readonly track: OutboxTrack;
  readonly moqGroupId: bigint;
  readonly moqObjectId: bigint;
  readonly payload: Uint8Array;
  readonly createdAt: number;
  readonly deliveredAt: number | null;
}

export interface GroupInfo {
  readonly id: string;
  readonly epoch: bigint;
  readonly inviteOnly: boolean;
  readonly createdAt: number;
}

export type AcceptCommitResult =
  | { readonly ok: true; readonly newEpoch: bigint }
  | { readonly ok: false; readonly currentEpoch: bigint }
  | 'unknown-group';

export type LockResult =
  | { readonly result: 'ok'; readonly lockId: string; readonly expiresAt: number }
  | { readonly result: 'conflict'; readonly retryAfterMs: number }
  | { readonly result: 'counter-error'; readonly current: bigint };

export type IncrementResult =
  | { readonly result: 'ok'; readonly value: bigint }
  | {
      readonly result: 'error';
      readonly reason: 'unknown-counter' | 'not-locked' | 'lock-expired' | 'not-lock-holder';
    };

export interface CoordinationStore {
  /** Exactly one caller ever gets 'created' for a given group, however many race. Epoch starts at 0. */
  createGroupIfAbsent(groupId: string, now?: number): Promise<'created' | 'exists'>;
  getGroup(groupId: string): Promise<GroupInfo | undefined>;
  setInviteOnly(groupId: string, inviteOnly: boolean): Promise<boolean>;
  /**
   * Atomically: if the group's epoch equals `epoch`, increment it and append the commit (MoQ group =
   * `epoch`, object 0) and the welcome (same MoQ group, object 0, on the welcome track) to the outbox.
   */
  acceptCommit(
    groupId: string,
    epoch: bigint,
    commit: Uint8Array,
    welcome?: Uint8Array,
    now?: number,
  ): Promise<AcceptCommitResult>;
  /** Appends a request to the RequestTrack outbox (MoQ group = per-group sequence, object 0). */
  enqueueRequest(
    groupId: string,
    payload: Uint8Array,
    now?: number,
  ): Promise<{ moqGroupId: bigint } | 'unknown-group'>;
  /** Undelivered entries, oldest first. */
  pendingOutbox(limit: number): Promise<OutboxEntry[]>;
  markDelivered(ids: readonly number[], now?: number): Promise<void>;
  /** Delivered-or-not entries of one track in [fromGroup, toGroup], for FETCH and late subscribers. */
  outboxRange(
    groupId: string,
    track: OutboxTrack,
    fromGroup: bigint,
    toGroup: bigint,
  ): Promise<OutboxEntry[]>;
  /** The newest MoQ group ID on a track, if any. */
  largestOutbox(groupId: string, track: OutboxTrack): Promise<bigint | undefined>;

  /** Epoch Counter Service (seeds 000/003). */
  lock(counter: string, expected: bigint, owner: string, ttlMs: number, now?: number): Promise<LockResult>;
  increment(counter: string, lockId: string, now?: number): Promise<IncrementResult>;

  ping(): Promise<boolean>;
  close(): Promise<void>;
}
