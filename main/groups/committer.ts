// A committer's duties in a security group: take the join and leave requests the transport delivers
// (seed 002's RequestTrack, or the per-joiner KeyPackage and leave tracks of seeds 000/003), put joins
// through the approval policy, authenticate leaves, and turn everything approved into commits —
// batched, one at a time, applied only when the commit comes back on the commit track, retried after
// the group caught up when another commit took the epoch (409 / CounterError) or the lock was busy.
import { bytesToHex } from '../../common/codec/bytes.js';
import type { VerifiedIdentity } from '../mls/identity.js';
import { memberLeaves } from '../mls/identity-credential.js';
import { commitChanges, epochOf } from '../mls/index.js';
import type { Change, ClientState, KeyPackage, MlsEnv, MlsFramedMessage } from '../mls/index.js';
import { encodeMlsMessage, keyPackageRef, verifyLeaveRequest } from '../mls/messages.js';
import { decideByPolicy, describeRequester } from './approval.js';
import type { ApprovalPolicy } from './approval.js';
import type { SecurityGroup, SecurityGroupEvent } from './security-group.js';
import type { CommitOutcome, GroupTransport } from './transport.js';

export interface CommitterOptions {
  readonly group: SecurityGroup;
  readonly env: MlsEnv;
  readonly transport: GroupTransport;
  readonly approval: ApprovalPolicy;
  readonly batchWindowMs: number;
  readonly selfUpdateIntervalMs: number;
  readonly emit: (event: SecurityGroupEvent) => void;
}

interface ApprovedJoin {
  readonly keyPackage: KeyPackage;
  readonly identityKey: string;
}

/** After a network failure the outcome of a commit is unknown; wait this long for it to show up. */
const UNKNOWN_OUTCOME_WAIT_MS = 3000;
const RETRY_DELAY_MS = 500;

export class Committer {
  /** Approved joins by leaf signature key (a KeyPackage is added at most once). */
  private readonly joins = new Map<string, ApprovedJoin>();
  /** Identity keys (hex) to remove: leave requests and moderator removals. */
  private readonly removals = new Set<string>();
  private updateWanted = false;
  private batchTimer: ReturnType<typeof setTimeout> | undefined;
  private updateTimer: ReturnType<typeof setInterval> | undefined;
  private running = false;
  private closed = false;
  private approval: ApprovalPolicy;

  constructor(private readonly options: CommitterOptions) {
    this.approval = options.approval;
  }

  /** Applies to join requests from now on (a moderator changed the policy while live). */
  setApproval(policy: ApprovalPolicy): void {
    this.approval = policy;
  }

  start(): void {
    this.options.transport.setRequestListener({
      onJoin: (request) => this.onJoinRequest(request),
      onLeave: (message) => void this.onLeaveRequest(message),
      onWarning: (message) => this.warn(message),
    });
    if (this.options.selfUpdateIntervalMs > 0) {
      this.updateTimer = setInterval(() => this.requestUpdate(), this.options.selfUpdateIntervalMs);
      this.updateTimer.unref?.();
    }
  }

  close(): void {
    this.closed = true;
    this.options.transport.setRequestListener(undefined);
    clearTimeout(this.batchTimer);
    clearInterval(this.updateTimer);
  }

  requestRemoval(identityPublicKey: Uint8Array): void {
    this.removals.add(bytesToHex(identityPublicKey));
    this.kick();
  }

  requestUpdate(): void {
    this.updateWanted = true;
    this.kick();
  }

  /** Called by the group after every applied epoch: queued work may be committable now. */
  onEpoch(): void {
    if (this.hasWork()) this.kick();
  }

  private onJoinRequest(request: { keyPackage: KeyPackage; identity: VerifiedIdentity }): void {
    if (this.closed) return;
    const leafKey = bytesToHex(request.keyPackage.leafNode.signaturePublicKey);
    if (this.joins.has(leafKey)) return;
    const requester = describeRequester(request.identity);
    const approve = () => {
      if (this.closed) return;
      this.joins.set(leafKey, {
        keyPackage: request.keyPackage,
        identityKey: bytesToHex(request.identity.identityPublicKey),
      });
      this.kick();
    };
    const decision = decideByPolicy(this.approval, requester);
    if (decision === 'approve') approve();
    else if (decision === 'deny') this.options.emit({ type: 'join-denied', request: requester });
    else {
      let decided = false;
      this.options.emit({
        type: 'join-request',
        request: requester,
        approve: () => {
          if (!decided) approve();
          decided = true;
        },
        deny: () => {
          decided = true;
        },
      });
    }
  }

  private async onLeaveRequest(message: MlsFramedMessage): Promise<void> {
    if (this.closed) return;
    // Checked against the state of the epoch it was sent in; a stale one is re-sent by the leaver.
    await this.options.group.schedule(async () => {
      const state = this.options.group.mlsState;
      if (!state) return;
      try {
        const leaf = await verifyLeaveRequest(this.options.env, state, message);
        const member = memberLeaves(state).find((m) => m.leafIndex === leaf);
        if (member) this.requestRemoval(member.identityPublicKey);
      } catch (error) {
        this.warn(`ignored a leave request: ${(error as Error).message}`);
      }
    });
  }

  private hasWork(): boolean {
    return this.joins.size > 0 || this.removals.size > 0 || this.updateWanted;
  }

  private kick(): void {
    if (this.closed || this.running || this.batchTimer) return;
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      void this.run();
    }, this.options.batchWindowMs);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.hasWork()) {
        if (!(await this.commitOnce())) break;
      }
    } catch (error) {
      this.warn(`commit failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
    if (!this.closed && this.hasWork()) {
      setTimeout(() => this.kick(), RETRY_DELAY_MS).unref?.();
    }
  }

  /**
   * The changes still needed against `state`: joins whose leaf is not in the tree yet (a rejoining
   * identity's old leaf is removed in the same commit), removals of identities still present.
   * Satisfied work is dropped here, so a commit by another committer that did it is not repeated.
   */
  private changesFor(state: ClientState): Change[] {
    const leaves = memberLeaves(state);
    const ownLeaf = state.privatePath.leafIndex;
    const leafKeys = new Set(leaves.map((l) => bytesToHex(l.signaturePublicKey)));
    const removeLeaves = new Set<number>();
    const adds: Change[] = [];
    for (const [leafKey, join] of this.joins) {
      if (leafKeys.has(leafKey)) {
        this.joins.delete(leafKey);
        continue;
      }
      adds.push({ kind: 'add', keyPackage: join.keyPackage });
      for (const leaf of leaves) {
        if (bytesToHex(leaf.identityPublicKey) === join.identityKey && leaf.leafIndex !== ownLeaf)
          removeLeaves.add(leaf.leafIndex);
      }
    }
    for (const identityKey of this.removals) {
      const present = leaves.filter(
        (l) => bytesToHex(l.identityPublicKey) === identityKey && l.leafIndex !== ownLeaf,
      );
      if (present.length === 0) this.removals.delete(identityKey);
      for (const leaf of present) removeLeaves.add(leaf.leafIndex);
    }
    return [...[...removeLeaves].map((leafIndex): Change => ({ kind: 'remove', leafIndex })), ...adds];
  }

  /** One commit attempt; false when there is nothing (left) to commit. */
  private async commitOnce(): Promise<boolean> {
    const { group, env, transport } = this.options;
    const prepared = await group.schedule(async () => {
      const state = group.mlsState;
      if (!state) return undefined;
      const changes = this.changesFor(state);
      if (changes.length === 0 && !this.updateWanted) return undefined;
      // The ratchet tree travels in the Welcome, so joiners need nothing but their Welcome.
      const output = await commitChanges(env, state, changes, { ratchetTreeExtension: true });
      const epoch = epochOf(state);
      const commitBytes = encodeMlsMessage(output.commit);
      const recipients = await Promise.all(
        changes.flatMap((c) =>
          c.kind === 'add' ? [keyPackageRef(env, c.keyPackage).then((ref) => bytesToHex(ref))] : [],
        ),
      );
      group.setPendingCommit(epoch, commitBytes, output.newState);
      return {
        submission: {
          epoch,
          commit: output.commit,
          commitBytes,
          ...(output.welcome ? { welcome: output.welcome } : {}),
          recipients,
        },
        includedUpdate: this.updateWanted,
      };
    });
    if (!prepared) {
      this.updateWanted = false;
      return false;
    }
    const epoch = prepared.submission.epoch;
    const outcome: CommitOutcome = await transport.submitCommit(prepared.submission);
    switch (outcome.kind) {
      case 'accepted':
        if (prepared.includedUpdate) this.updateWanted = false;
        await group.catchUpTo(epoch + 1n);
        return true;
      case 'conflict':
        group.clearPendingCommit(epoch);
        await group.catchUpTo(outcome.currentEpoch);
        return true;
      case 'busy':
        // Not published: drop it and recompute once the holder of the lock is done.
        group.clearPendingCommit(epoch);
        await new Promise((resolve) => setTimeout(resolve, outcome.retryAfterMs));
        return true;
      case 'unknown':
        // Maybe accepted, maybe not: if it was, it comes back on the commit track and applies.
        this.warn(`commit for epoch ${epoch} not confirmed: ${outcome.reason}`);
        await group.catchUpTo(epoch + 1n, UNKNOWN_OUTCOME_WAIT_MS).catch(() => {
          group.clearPendingCommit(epoch);
        });
        return true;
    }
  }

  private warn(message: string): void {
    this.options.emit({ type: 'warning', message });
  }
}
