// One member of a security group: creates or joins it, follows the commit track in epoch order,
// persists every step in SQLite, catches up by FETCH after a gap or a restart, leaves with a
// self-Remove request, and rejoins from scratch (DAVE-style) when a commit cannot be processed.
// How messages travel — seed 002's Coordination Service or seeds 000/003's Epoch Counter with
// members publishing on MoQ — is the transport's business (transport.ts); committer duties live in
// committer.ts.
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
  keyPackageRef,
  welcomeIsFor,
} from '../mls/messages.js';
import { verificationCodeOf } from '../mls/verification.js';
import type { MoqtSessionApi, Subscription } from '../moqt/session/api.js';
import type { GroupStateRepository } from '../store/group-state-repository.js';
import type { SealedValues } from '../store/sealed-values.js';
import type { ApprovalPolicy, JoinRequest } from './approval.js';
import { Committer } from './committer.js';
import type { CoordinationClient } from './coordination-client.js';
import { CounterTransport } from './counter-transport.js';
import type { CounterStats } from './counter-transport.js';
import type { LocalTrackPublisher } from './local-publisher.js';
import { subscribePatiently } from './moq-tracks.js';
import { Seed002Transport } from './seed002-transport.js';
import type { CommitObject, GroupProtocol, GroupTransport, WelcomeInbox } from './transport.js';

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
  /** The approval policy refused a join request on its own (e.g. not on the allowlist). */
  | { readonly type: 'join-denied'; readonly request: JoinRequest }
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
  /** Stops waiting for a Welcome (e.g. the moderator's denial arrived); the join then fails. */
  readonly joinSignal?: AbortSignal;
  readonly onEvent?: (event: SecurityGroupEvent) => void;
  /**
   * How group messages travel: 'seed-002' (default) through the Coordination Service's request /
   * commit API and its tracks; 'epoch-counter' (seeds 000/003) published by the members themselves,
   * commits serialized by the service's lock / increment API. All members of a group must agree.
   */
  readonly protocol?: GroupProtocol;
  /**
   * Serves the tracks this member publishes ('epoch-counter' only); must be the session's request
   * handler (openMember installs one).
   */
  readonly publisher?: LocalTrackPublisher;
}

/** Epochs past ours held while earlier ones are missing; more means something is badly off. */
const MAX_BUFFERED_COMMITS = 4096;
/** Distinct objects kept per epoch: with many publishers, a bad one must not shadow the real one. */
const MAX_CANDIDATES_PER_EPOCH = 4;
/** While waiting for a Welcome or an epoch, look for missed objects by FETCH this often. */
const CATCH_UP_INTERVAL_MS = 1000;
/**
 * With many commit publishers, how long a member that cannot process any commit for its epoch
 * waits for a usable one before concluding its own state is the problem and rejoining.
 */
const STUCK_REJOIN_MS = 10_000;
const JOIN_ATTEMPTS = 5;

/**
 * SUBSCRIBE to one of the group's seed 002 tracks. Right after a relay or coordinator (re)starts,
 * the coordinator may not have announced the tracks yet: DOES_NOT_EXIST is retried for a while.
 */
export function subscribeGroupTrack(
  session: MoqtSessionApi,
  groupId: string,
  track: 'commit' | 'request' | 'welcome',
  patienceMs = 15_000,
): Promise<Subscription> {
  return subscribePatiently(session, groupTrack(groupId, track), patienceMs);
}

export class SecurityGroupError extends Error {
  override readonly name = 'SecurityGroupError';
}

export class SecurityGroup {
  readonly groupIdBytes: Uint8Array;
  /** How group messages travel (seed 002 or epoch counter). */
  readonly transport: GroupTransport;
  private state: ClientState | undefined;
  /** Candidate commit objects per epoch (normally one), oldest first. */
  private readonly buffered = new Map<bigint, Uint8Array[]>();
  private stuckTimer: ReturnType<typeof setTimeout> | undefined;
  private pending: { epoch: bigint; hash: string; state: ClientState } | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  private epochWaiters: { epoch: bigint; resolve: () => void }[] = [];
  private removedResolvers: (() => void)[] = [];
  private committer: Committer | undefined;
  private fetching = false;
  private closed = false;
  private token: string | undefined;
  private approval: ApprovalPolicy;

  private constructor(private readonly options: SecurityGroupOptions) {
    this.groupIdBytes = new TextEncoder().encode(options.groupId);
    this.token = options.token ?? options.values.getText(this.tokenKey());
    this.approval = options.approval ?? { kind: 'manual' };
    this.transport = this.createTransport();
  }

  private createTransport(): GroupTransport {
    const { options } = this;
    const common = {
      groupId: options.groupId,
      session: options.session,
      coordinator: options.coordinator,
      token: () => this.token,
      warn: (message: string) => this.warn(message),
    };
    if ((options.protocol ?? 'seed-002') === 'seed-002') return new Seed002Transport(common);
    if (!options.publisher) {
      throw new SecurityGroupError(
        "the 'epoch-counter' protocol needs a LocalTrackPublisher as the session's handler (openMember installs one)",
      );
    }
    return new CounterTransport({
      ...common,
      publisher: options.publisher,
      identityPublicKey: options.identity.publicKey,
    });
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

  get protocol(): GroupProtocol {
    return this.transport.protocol;
  }

  /** Lock outcomes of the 'epoch-counter' protocol (undefined for seed 002). */
  get counterStats(): Readonly<CounterStats> | undefined {
    return this.transport instanceof CounterTransport ? { ...this.transport.stats } : undefined;
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
   * Asks to leave: a self-Remove proposal in a PrivateMessage, sent to the committers (through the
   * Coordination Service, or on our own leave track). The proposal is bound to an epoch, so it is
   * re-sent after every epoch change until the removal commit arrives. Resolves when removed.
   */
  async leave(): Promise<void> {
    const removed = this.whenRemoved();
    const send = async () => {
      const state = this.state;
      if (!state || this.closed) return;
      const proposal = await createSelfRemoveProposal(this.options.env, state);
      await this.transport.sendLeave(epochOf(state), proposal);
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

  /** Committers: the approval policy for join requests from now on. */
  setApprovalPolicy(policy: ApprovalPolicy): void {
    this.approval = policy;
    this.committer?.setApproval(policy);
  }

  /** Committers: a commit with only a fresh UpdatePath of our own leaf. */
  updateOwnLeaf(): void {
    this.requireCommitter().requestUpdate();
  }

  /** Stops following the group (the state stays in SQLite for the next open). */
  close(): void {
    this.closed = true;
    clearTimeout(this.stuckTimer);
    this.committer?.close();
    this.transport.close();
  }

  // ---- joining ----

  private tokenKey(): string {
    return `coordination-token:${this.options.groupId}`;
  }

  private async start(): Promise<void> {
    await this.transport.followCommits((commit) => this.onCommitObject(commit));
    const stored = this.options.groups.load(this.groupIdBytes);
    if (stored) {
      this.state = deserializeGroupState(stored.state);
      this.restorePendingCommit();
      this.emit({ type: 'joined', epoch: stored.epoch, created: false, resumed: true });
      if (this.options.committer || this.isCreator()) this.startCommitter();
      this.emitEpoch(false);
      void this.schedule(() => this.drain());
      void this.catchUp().then(() => this.recoverIfBehind(stored.epoch));
      return;
    }
    await this.join();
  }

  private isCreator(): boolean {
    const role = this.options.values.getText(this.ownerKey());
    return role === 'owner' || role === 'creator';
  }

  private ownerKey(): string {
    return `coordination-role:${this.options.groupId}`;
  }

  private async join(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.joinOnce();
        break;
      } catch (error) {
        // Only a lost race to create the group is retried; the next attempt finds it existing.
        if (!(error instanceof CreationLostError) || attempt >= JOIN_ATTEMPTS) throw error;
        this.warn(error.message);
      }
    }
    void this.schedule(() => this.drain());
  }

  private async joinOnce(): Promise<void> {
    const { env, identity } = this.options;
    const own = await createIdentityKeyPackage(env, identity);
    const ref = await keyPackageRef(env, own.publicPackage);
    const inbox = await this.transport.openWelcomeInbox(bytesToHex(ref));
    try {
      const grant = await this.transport.requestJoin(own.publicPackage);
      if (grant.kind === 'create') {
        const state = await createMlsGroup(env, this.groupIdBytes, own);
        try {
          await grant.confirm();
        } catch (error) {
          throw new CreationLostError((error as Error).message);
        }
        if (grant.ownerToken) {
          this.token = grant.ownerToken;
          this.options.values.set(this.tokenKey(), grant.ownerToken);
        }
        // 'owner' = holds the service's owner token (seed 002); 'creator' = committer by creation.
        this.options.values.set(this.ownerKey(), grant.ownerToken ? 'owner' : 'creator');
        this.adopt(state, true);
        this.startCommitter();
      } else {
        const state = await this.awaitWelcome(inbox, ref, own);
        this.adopt(state, false);
        if (this.options.committer) this.startCommitter();
      }
    } finally {
      inbox.close();
      this.transport.joinFinished();
    }
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
    inbox: WelcomeInbox,
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
    inbox.onPayload((payload) => void tryWelcome(payload));
    const abandon = () =>
      failed?.(new SecurityGroupError(`stopped waiting for a Welcome for group ${groupId}`));
    const { joinSignal } = this.options;
    if (joinSignal?.aborted) abandon();
    joinSignal?.addEventListener('abort', abandon, { once: true });
    const poll = setInterval(() => {
      if (Date.now() > deadline) {
        failed?.(
          new SecurityGroupError(`no Welcome for group ${groupId} within ${timeoutMs} ms (not approved?)`),
        );
        return;
      }
      void inbox.poll();
    }, CATCH_UP_INTERVAL_MS);
    try {
      return await result;
    } finally {
      clearInterval(poll);
      joinSignal?.removeEventListener('abort', abandon);
    }
  }

  // ---- following the commit track ----

  private onCommitObject(commit: CommitObject): void {
    const { epoch, payload } = commit;
    if (this.state && epoch < epochOf(this.state)) return;
    const candidates = this.buffered.get(epoch);
    if (!candidates && this.buffered.size >= MAX_BUFFERED_COMMITS) {
      this.warn(`dropping commit for epoch ${epoch}: too many commits waiting for earlier ones`);
      return;
    }
    if (candidates?.some((c) => Buffer.compare(Buffer.from(c), Buffer.from(payload)) === 0)) return;
    if (candidates && candidates.length >= MAX_CANDIDATES_PER_EPOCH) return;
    if (candidates) candidates.push(payload);
    else this.buffered.set(epoch, [payload]);
    void this.schedule(() => this.drain());
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
      const candidates = this.buffered.get(epoch);
      const bytes = candidates?.shift();
      if (bytes === undefined) break;
      if (candidates!.length === 0) this.buffered.delete(epoch);
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
        const reason = `commit for epoch ${epoch} could not be processed: ${(error as Error).message}`;
        if (this.transport.singleCommitSource) await this.rejoin(reason);
        else this.suspectCommit(epoch, reason);
        return;
      }
    }
    clearTimeout(this.stuckTimer);
    this.stuckTimer = undefined;
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
    this.transport.onApplied({ epoch, payload: bytes }, this.committer !== undefined);
    this.emitEpoch(own);
    const reached = epochOf(next);
    this.epochWaiters = this.epochWaiters.filter((w) => {
      if (w.epoch > reached) return true;
      w.resolve();
      return false;
    });
    this.committer?.onEpoch();
  }

  /**
   * Many publishers (epoch counter): an object that does not process may be someone's garbage, so
   * it is dropped and another awaited. If none works while the group has moved past us, our own
   * state is the problem: rejoin.
   */
  private suspectCommit(epoch: bigint, reason: string): void {
    this.warn(`ignored a ${reason}`);
    if (this.stuckTimer) return;
    this.stuckTimer = setTimeout(() => {
      this.stuckTimer = undefined;
      if (this.closed || !this.state || epochOf(this.state) !== epoch) return;
      void this.schedule(async () => {
        if (this.closed || !this.state || epochOf(this.state) !== epoch) return;
        const latest = await this.transport.latestEpoch();
        const movedOn = latest !== undefined && latest > epoch;
        if (movedOn || [...this.buffered.keys()].some((e) => e > epoch)) await this.rejoin(reason);
      });
    }, STUCK_REJOIN_MS);
    this.stuckTimer.unref?.();
  }

  /**
   * After resuming: when the service says the group is past the epoch we stored and nobody can give
   * us the commits in between (everyone who kept them is gone), rejoin rather than stay behind.
   */
  private async recoverIfBehind(storedEpoch: bigint): Promise<void> {
    const latest = await this.transport.latestEpoch();
    if (latest === undefined || latest <= storedEpoch || this.closed) return;
    try {
      await this.catchUpTo(latest);
    } catch (error) {
      if (this.closed || !this.state) return;
      await this.schedule(() =>
        this.rejoin(`cannot catch up to epoch ${latest}: ${(error as Error).message}`),
      );
    }
  }

  /** Fills gaps from the relay's cache or, through it, whoever still keeps the commits. */
  private async catchUp(): Promise<void> {
    if (this.fetching || !this.state || this.closed) return;
    this.fetching = true;
    try {
      const from = epochOf(this.state);
      const objects = await this.transport.fetchCommits(from, this.state);
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
    if (this.committer) return;
    // Seed 002's service only takes commits with a token; the epoch counter needs none by default.
    if (!this.token && this.transport.protocol === 'seed-002') {
      this.warn('committer role requested without a coordination token');
      return;
    }
    this.committer = new Committer({
      group: this,
      env: this.options.env,
      transport: this.transport,
      approval: this.approval,
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

/** We got lock 0 but someone else's increment made the group first. */
class CreationLostError extends SecurityGroupError {}
