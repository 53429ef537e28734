// One member of a security group (seed 002): joins through the Coordination Service (creating the
// group when the service answers 201), follows the CommitTrack in epoch order, persists every step in
// SQLite, catches up by FETCH after a gap or a restart, leaves with a self-Remove request, and rejoins
// from scratch (DAVE-style) when a commit cannot be processed. Committer duties live in committer.ts.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '../../common/codec/bytes.js';
import { groupTrack } from '../coordination/tracks.js';
import { createIdentityKeyPackage, memberLeaves } from '../mls/identity-credential.js';
import { fingerprint } from '../mls/identity.js';
import type { Identity } from '../mls/identity.js';
import {
  GROUP_STATE_FORMAT_VERSION,
  createMlsGroup,
  deserializeGroupState,
  epochOf,
  isRemoved,
  leafIndexOf,
  processCommit,
  processWelcome,
  serializeGroupState,
} from '../mls/index.js';
import type { ClientState, MemberKeyPackage, MlsEnv } from '../mls/index.js';
import {
  createSelfRemoveProposal,
  decodeFramedMessage,
  decodeWelcome,
  encodeJoinRequest,
  encodeLeaveRequest,
  keyPackageRef,
  welcomeIsFor,
} from '../mls/messages.js';
import { verificationCodeOf } from '../mls/verification.js';
import { RequestErrorCode } from '../moqt/codec/error-codes.js';
import { RequestRejectedError } from '../moqt/session/api.js';
import type { MoqtObject, MoqtSessionApi, Subscription } from '../moqt/session/api.js';
import type { GroupStateRepository } from '../store/group-state-repository.js';
import type { SealedValues } from '../store/sealed-values.js';
import type { ApprovalPolicy, JoinRequest } from './approval.js';
import { Committer } from './committer.js';
import type { CoordinationClient } from './coordination-client.js';

export interface MemberInfo {
  readonly leafIndex: number;
  readonly displayName: string;
  readonly fingerprint: string;
  readonly identityPublicKey: Uint8Array;
}

export type SecurityGroupEvent =
  | { readonly type: 'joined'; readonly epoch: bigint; readonly created: boolean; readonly resumed: boolean }
  | {
      readonly type: 'epoch';
      readonly epoch: bigint;
      readonly memberCount: number;
      /** The MLS state of the new epoch, for deriving its media keys. */
      readonly state: ClientState;
      /** True when this member's own commit made the epoch. */
      readonly ownCommit: boolean;
    }
  | {
      readonly type: 'join-request';
      readonly request: JoinRequest;
      approve(): void;
      deny(): void;
    }
  | { readonly type: 'removed' }
  | { readonly type: 'rejoining'; readonly reason: string }
  | { readonly type: 'warning'; readonly message: string };

export interface SecurityGroupOptions {
  /** Coordination group id = MLS group_id (UTF-8), `[A-Za-z0-9._~-]{1,128}`. */
  readonly groupId: string;
  readonly identity: Identity;
  /** Created with the identity authentication service (`identityAuthService`). */
  readonly env: MlsEnv;
  /** A MoQT session to a relay that carries the group's tracks. Not closed by the group. */
  readonly session: MoqtSessionApi;
  readonly coordinator: CoordinationClient;
  readonly groups: GroupStateRepository;
  readonly values: SealedValues;
  /** Coordination Service token for requests (invitee/member) and, for committers, commits. */
  readonly token?: string;
  /** Follow the RequestTrack and commit joins/leaves/removals. The group's creator always does. */
  readonly committer?: boolean;
  /** How a committer treats join requests. Default manual. */
  readonly approval?: ApprovalPolicy;
  /** Approved changes gathered into one commit during this window. Default 50 ms. */
  readonly batchWindowMs?: number;
  /** Committers refresh their own leaf this often (post-compromise security). 0 = never (default). */
  readonly selfUpdateIntervalMs?: number;
  /** Give up waiting for a Welcome after this long. Default 120 s. */
  readonly joinTimeoutMs?: number;
  readonly onEvent?: (event: SecurityGroupEvent) => void;
}

/** Objects past our epoch held while earlier ones are missing; more means something is badly off. */
const MAX_BUFFERED_COMMITS = 4096;
const FAR_FUTURE_GROUP = 1n << 62n;
/** While waiting for a Welcome or an epoch, look for missed objects by FETCH this often. */
const CATCH_UP_INTERVAL_MS = 1000;

/**
 * SUBSCRIBE to one of the group's tracks. Right after a relay or coordinator (re)starts, the
 * coordinator may not have announced the tracks yet: DOES_NOT_EXIST is retried for a while.
 */
export async function subscribeGroupTrack(
  session: MoqtSessionApi,
  groupId: string,
  track: 'commit' | 'request' | 'welcome',
  patienceMs = 15_000,
): Promise<Subscription> {
  const deadline = Date.now() + patienceMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await session.subscribe(groupTrack(groupId, track));
    } catch (error) {
      const missing =
        error instanceof RequestRejectedError && error.errorCode === RequestErrorCode.DOES_NOT_EXIST;
      if (!missing || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export class SecurityGroupError extends Error {
  override readonly name = 'SecurityGroupError';
}

export class SecurityGroup {
  readonly groupIdBytes: Uint8Array;
  private state: ClientState | undefined;
  private commitSubscription: Subscription | undefined;
  private readonly buffered = new Map<bigint, Uint8Array>();
  private pending: { epoch: bigint; hash: string; state: ClientState } | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  private epochWaiters: { epoch: bigint; resolve: () => void }[] = [];
  private removedResolvers: (() => void)[] = [];
  private committer: Committer | undefined;
  private fetching = false;
  private closed = false;
  private token: string | undefined;

  private constructor(private readonly options: SecurityGroupOptions) {
    this.groupIdBytes = new TextEncoder().encode(options.groupId);
    this.token = options.token ?? options.values.getText(this.tokenKey());
  }

  /** Resumes the group from SQLite if this member has it, else creates or joins it. */
  static async open(options: SecurityGroupOptions): Promise<SecurityGroup> {
    const group = new SecurityGroup(options);
    try {
      await group.start();
    } catch (error) {
      group.close();
      throw error;
    }
    return group;
  }

  get epoch(): bigint | undefined {
    return this.state ? epochOf(this.state) : undefined;
  }

  get leafIndex(): number | undefined {
    return this.state ? leafIndexOf(this.state) : undefined;
  }

  /** The current MLS state (for exporters / epoch keys). Undefined before joining and after removal. */
  get mlsState(): ClientState | undefined {
    return this.state;
  }

  /** The owner token the service gave this member when it created the group (to mint others). */
  get ownerToken(): string | undefined {
    return this.options.values.getText(this.ownerKey()) === 'owner' ? this.token : undefined;
  }

  get isCommitter(): boolean {
    return this.committer !== undefined;
  }

  members(): MemberInfo[] {
    if (!this.state) return [];
    return memberLeaves(this.state).map((m) => ({
      leafIndex: m.leafIndex,
      displayName: m.displayName,
      identityPublicKey: m.identityPublicKey,
      fingerprint: fingerprint(m.identityPublicKey),
    }));
  }

  /** This epoch's verification code (compare out of band; equal codes = same group, same members). */
  verificationCode(): string | undefined {
    return this.state ? verificationCodeOf(this.state) : undefined;
  }

  /** Resolves once the group reached `epoch` (or later). */
  waitForEpoch(epoch: bigint): Promise<void> {
    if (this.state && epochOf(this.state) >= epoch) return Promise.resolve();
    return new Promise((resolve) => this.epochWaiters.push({ epoch, resolve }));
  }

  /** Resolves when a commit removed this member. */
  whenRemoved(): Promise<void> {
    return new Promise((resolve) => this.removedResolvers.push(resolve));
  }

  /**
   * Asks to leave: a self-Remove proposal in a PrivateMessage, sent to the Coordination Service for
   * the committers. The proposal is bound to an epoch, so it is re-sent after every epoch change
   * until the removal commit arrives. Resolves when this member has been removed.
   */
  async leave(): Promise<void> {
    const removed = this.whenRemoved();
    const send = async () => {
      const state = this.state;
      if (!state || this.closed) return;
      const proposal = await createSelfRemoveProposal(this.options.env, state);
      await this.options.coordinator.request(this.options.groupId, encodeLeaveRequest(proposal), this.token);
    };
    let lastEpoch = -1n;
    const resend = async () => {
      while (!this.closed && this.state) {
        const epoch = epochOf(this.state);
        if (epoch !== lastEpoch) {
          lastEpoch = epoch;
          await send();
        }
        await Promise.race([this.waitForEpoch(epoch + 1n), removed]);
      }
    };
    void resend().catch((error) => this.warn(`leave request failed: ${(error as Error).message}`));
    await removed;
  }

  /** Committers: removes the member with this identity key (moderator action). */
  removeMember(identityPublicKey: Uint8Array): void {
    this.requireCommitter().requestRemoval(identityPublicKey);
  }

  /** Committers: a commit with only a fresh UpdatePath of our own leaf. */
  updateOwnLeaf(): void {
    this.requireCommitter().requestUpdate();
  }

  /** Stops following the group (the state stays in SQLite for the next open). */
  close(): void {
    this.closed = true;
    this.commitSubscription?.cancel();
    this.committer?.close();
  }

  // ---- joining ----

  private tokenKey(): string {
    return `coordination-token:${this.options.groupId}`;
  }

  private async start(): Promise<void> {
    await this.followCommits();
    const stored = this.options.groups.load(this.groupIdBytes);
    if (stored) {
      this.state = deserializeGroupState(stored.state);
      this.restorePendingCommit();
      this.emit({ type: 'joined', epoch: stored.epoch, created: false, resumed: true });
      if (this.options.committer || this.options.values.getText(this.ownerKey()) === 'owner')
        this.startCommitter();
      this.emitEpoch(false);
      this.schedule(() => this.drain());
      void this.catchUp();
      return;
    }
    await this.join();
  }

  private ownerKey(): string {
    return `coordination-role:${this.options.groupId}`;
  }

  private async followCommits(): Promise<void> {
    const subscription = await subscribeGroupTrack(this.options.session, this.options.groupId, 'commit');
    this.commitSubscription = subscription;
    void this.consume(subscription, (object) => this.onCommitObject(object));
  }

  private async consume(
    objects: AsyncIterable<MoqtObject>,
    onObject: (o: MoqtObject) => void,
  ): Promise<void> {
    try {
      for await (const object of objects) {
        if (object.status === 'normal') onObject(object);
      }
    } catch (error) {
      if (!this.closed) this.warn(`track ended: ${(error as Error).message}`);
    }
  }

  private async join(): Promise<void> {
    const { env, identity, coordinator, groupId } = this.options;
    const welcomes = await subscribeGroupTrack(this.options.session, groupId, 'welcome');
    try {
      const own = await createIdentityKeyPackage(env, identity);
      const ref = await keyPackageRef(env, own.publicPackage);
      const outcome = await coordinator.request(groupId, encodeJoinRequest(own.publicPackage), this.token);
      if (outcome.kind === 'created') {
        this.token = outcome.ownerToken;
        this.options.values.set(this.tokenKey(), outcome.ownerToken);
        this.options.values.set(this.ownerKey(), 'owner');
        const state = await createMlsGroup(env, this.groupIdBytes, own);
        this.adopt(state, true);
        this.startCommitter();
      } else {
        const state = await this.awaitWelcome(welcomes, ref, own);
        this.adopt(state, false);
        if (this.options.committer) this.startCommitter();
      }
    } finally {
      welcomes.cancel();
    }
    this.schedule(() => this.drain());
  }

  private adopt(state: ClientState, created: boolean): void {
    this.options.groups.create(
      this.groupIdBytes,
      epochOf(state),
      serializeGroupState(state),
      GROUP_STATE_FORMAT_VERSION,
    );
    this.state = state;
    for (const epoch of [...this.buffered.keys()]) if (epoch < epochOf(state)) this.buffered.delete(epoch);
    this.emit({ type: 'joined', epoch: epochOf(state), created, resumed: false });
    this.emitEpoch(false);
  }

  /** Waits for the Welcome naming our KeyPackage; other joiners' Welcomes are skipped. */
  private async awaitWelcome(
    welcomes: Subscription,
    ref: Uint8Array,
    own: MemberKeyPackage,
  ): Promise<ClientState> {
    const { env, groupId } = this.options;
    const timeoutMs = this.options.joinTimeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    let found: ((state: ClientState) => void) | undefined;
    let failed: ((error: Error) => void) | undefined;
    const result = new Promise<ClientState>((resolve, reject) => {
      found = resolve;
      failed = reject;
    });
    const seen = new Set<string>();
    const tryWelcome = async (payload: Uint8Array) => {
      const key = bytesToHex(sha256(payload));
      if (seen.has(key)) return;
      seen.add(key);
      try {
        const welcome = decodeWelcome(payload);
        if (!welcomeIsFor(welcome, ref)) return;
        found?.(await processWelcome(env, welcome, own));
      } catch (error) {
        this.warn(`ignored an unusable Welcome: ${(error as Error).message}`);
      }
    };
    void this.consume(welcomes, (object) => void tryWelcome(object.payload));
    // A Welcome published before the relay had our subscription in place is only reachable by FETCH.
    let fetchFrom = welcomes.largest ? welcomes.largest.group + 1n : 0n;
    const poll = setInterval(() => {
      if (Date.now() > deadline) {
        failed?.(
          new SecurityGroupError(`no Welcome for group ${groupId} within ${timeoutMs} ms (not approved?)`),
        );
        return;
      }
      void this.fetchObjects(groupTrack(groupId, 'welcome'), fetchFrom).then(async (objects) => {
        for (const object of objects) {
          fetchFrom = object.groupId + 1n > fetchFrom ? object.groupId + 1n : fetchFrom;
          await tryWelcome(object.payload);
        }
      });
    }, CATCH_UP_INTERVAL_MS);
    try {
      return await result;
    } finally {
      clearInterval(poll);
    }
  }

  private async fetchObjects(track: ReturnType<typeof groupTrack>, from: bigint): Promise<MoqtObject[]> {
    try {
      const result = await this.options.session.fetch(track, {
        start: { group: from, object: 0n },
        end: { group: FAR_FUTURE_GROUP, object: 0n },
      });
      const objects: MoqtObject[] = [];
      for await (const object of result) if (object.status === 'normal') objects.push(object);
      return objects;
    } catch {
      // Nothing there yet (the relay and the publisher have nothing in range): not an error.
      return [];
    }
  }

  // ---- following the CommitTrack ----

  private onCommitObject(object: MoqtObject): void {
    const epoch = object.groupId;
    if (this.state && epoch < epochOf(this.state)) return;
    if (this.buffered.size >= MAX_BUFFERED_COMMITS && !this.buffered.has(epoch)) {
      this.warn(`dropping commit for epoch ${epoch}: too many commits waiting for earlier ones`);
      return;
    }
    this.buffered.set(epoch, object.payload);
    this.schedule(() => this.drain());
  }

  /** Runs `work` after all state changes queued before it (commits are applied one at a time). */
  schedule<T>(work: () => Promise<T>): Promise<T> {
    const run = this.serial.then(work);
    this.serial = run.catch(() => {});
    return run;
  }

  private async drain(): Promise<void> {
    while (this.state && !this.closed) {
      const epoch = epochOf(this.state);
      const bytes = this.buffered.get(epoch);
      if (bytes === undefined) break;
      this.buffered.delete(epoch);
      await this.apply(epoch, bytes);
    }
    if (this.state && [...this.buffered.keys()].some((e) => e > epochOf(this.state!))) void this.catchUp();
  }

  private async apply(epoch: bigint, bytes: Uint8Array): Promise<void> {
    const state = this.state!;
    const hash = bytesToHex(sha256(bytes));
    let next: ClientState;
    let removed = false;
    const own = this.pending?.epoch === epoch && this.pending.hash === hash;
    if (own) {
      next = this.pending!.state;
    } else {
      try {
        const processed = await processCommit(this.options.env, state, decodeFramedMessage(bytes, 'commit'));
        next = processed.state;
        removed = processed.removed;
      } catch (error) {
        if (this.options.groups.isProcessed(this.groupIdBytes, bytes)) return;
        await this.rejoin(`commit for epoch ${epoch} could not be processed: ${(error as Error).message}`);
        return;
      }
    }
    if (this.pending && this.pending.epoch <= epoch) this.pending = undefined;
    if (removed || isRemoved(next)) {
      this.options.groups.delete(this.groupIdBytes);
      this.state = undefined;
      this.committer?.close();
      this.committer = undefined;
      this.emit({ type: 'removed' });
      for (const resolve of this.removedResolvers.splice(0)) resolve();
      return;
    }
    this.options.groups.processMessage(this.groupIdBytes, bytes, (current) => {
      if (current.epoch !== epoch)
        throw new SecurityGroupError(`stored epoch ${current.epoch}, expected ${epoch}`);
      return { newEpoch: epochOf(next), newState: serializeGroupState(next) };
    });
    this.state = next;
    this.emitEpoch(own);
    const reached = epochOf(next);
    this.epochWaiters = this.epochWaiters.filter((w) => {
      if (w.epoch > reached) return true;
      w.resolve();
      return false;
    });
    this.committer?.onEpoch();
  }

  /** Fills gaps from the relay's cache or, through it, the Coordination Service's outbox. */
  private async catchUp(): Promise<void> {
    if (this.fetching || !this.state || this.closed) return;
    this.fetching = true;
    try {
      const from = epochOf(this.state);
      const objects = await this.fetchObjects(groupTrack(this.options.groupId, 'commit'), from);
      for (const object of objects) this.onCommitObject(object);
    } finally {
      this.fetching = false;
    }
  }

  /** Waits for `epoch`, fetching missed commits while it does not come. */
  async catchUpTo(epoch: bigint, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && this.state && epochOf(this.state) < epoch) {
      if (Date.now() > deadline)
        throw new SecurityGroupError(`epoch ${epoch} did not arrive within ${timeoutMs} ms`);
      const reached = this.waitForEpoch(epoch);
      const tick = new Promise((resolve) => setTimeout(resolve, CATCH_UP_INTERVAL_MS));
      if ((await Promise.race([reached.then(() => true), tick.then(() => false)])) === false)
        await this.catchUp();
    }
  }

  /**
   * DAVE-style recovery: a member that cannot process a commit (corrupted state, missed epochs that
   * nobody can supply) throws its state away and joins again with a fresh KeyPackage; the committer
   * replaces its old leaf in the same commit that adds the new one.
   */
  private async rejoin(reason: string): Promise<void> {
    this.emit({ type: 'rejoining', reason });
    this.options.groups.delete(this.groupIdBytes);
    this.state = undefined;
    this.pending = undefined;
    this.committer?.close();
    this.committer = undefined;
    void this.join().catch((error) => this.warn(`rejoin failed: ${(error as Error).message}`));
  }

  // ---- committer plumbing ----

  private requireCommitter(): Committer {
    if (!this.committer) throw new SecurityGroupError('only a committer can do this');
    return this.committer;
  }

  private startCommitter(): void {
    if (this.committer || !this.token) {
      if (!this.token) this.warn('committer role requested without a coordination token');
      return;
    }
    this.committer = new Committer({
      group: this,
      env: this.options.env,
      session: this.options.session,
      coordinator: this.options.coordinator,
      groupId: this.options.groupId,
      token: this.token,
      approval: this.options.approval ?? { kind: 'manual' },
      batchWindowMs: this.options.batchWindowMs ?? 50,
      selfUpdateIntervalMs: this.options.selfUpdateIntervalMs ?? 0,
      emit: (event) => this.emit(event),
    });
    this.committer.start();
  }

  /** Committer: remembers the state its commit from `epoch` leads to, durably, before sending it. */
  setPendingCommit(epoch: bigint, commitBytes: Uint8Array, state: ClientState): void {
    this.options.groups.savePendingCommit(
      this.groupIdBytes,
      epoch,
      commitBytes,
      serializeGroupState(state),
      GROUP_STATE_FORMAT_VERSION,
    );
    this.pending = { epoch, hash: bytesToHex(sha256(commitBytes)), state };
  }

  /** Committer: the service refused the commit (409); it will never come back on the track. */
  clearPendingCommit(epoch: bigint): void {
    if (this.pending?.epoch !== epoch) return;
    this.pending = undefined;
    this.options.groups.clearPendingCommit(this.groupIdBytes);
  }

  private restorePendingCommit(): void {
    const stored = this.options.groups.pendingCommit(this.groupIdBytes);
    if (!stored || !this.state || stored.epoch !== epochOf(this.state)) return;
    this.pending = {
      epoch: stored.epoch,
      hash: bytesToHex(stored.commitHash),
      state: deserializeGroupState(stored.state),
    };
  }

  // ---- events ----

  private emitEpoch(ownCommit: boolean): void {
    const state = this.state;
    if (!state) return;
    this.emit({
      type: 'epoch',
      epoch: epochOf(state),
      memberCount: memberLeaves(state).length,
      state,
      ownCommit,
    });
  }

  private emit(event: SecurityGroupEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (error) {
      // A failing listener must not break the protocol state machine.
      void error;
    }
  }

  private warn(message: string): void {
    this.emit({ type: 'warning', message });
  }
}
