// How group messages travel, as one interface with two implementations: seed 002 (the Coordination
// Service takes requests and commits and forwards them on its tracks; seed002-transport.ts) and seeds
// 000/003 (members publish on MoQ themselves and an Epoch Counter serializes commits;
// counter-transport.ts). The MLS side — epoch-ordered apply, persistence, committing, approval — is
// the same for both and lives in security-group.ts and committer.ts.
import type { VerifiedIdentity } from '../mls/identity.js';
import type { ClientState, KeyPackage, MlsFramedMessage, Welcome } from '../mls/index.js';

export type GroupProtocol = 'seed-002' | 'epoch-counter';

export const GROUP_PROTOCOLS: readonly GroupProtocol[] = ['seed-002', 'epoch-counter'];

/** A commit object as it arrived: MoQ group ID = the epoch it was sent in, object 0. */
export interface CommitObject {
  readonly epoch: bigint;
  readonly payload: Uint8Array;
}

/** Where the joiner's Welcome may show up; closed once the join is over. */
export interface WelcomeInbox {
  /** Every candidate payload, live or fetched (duplicates possible; the caller filters). */
  onPayload(listener: (payload: Uint8Array) => void): void;
  /** Looks for payloads published before the live path was in place. */
  poll(): Promise<void>;
  close(): void;
}

export type JoinGrant =
  /**
   * The group does not exist and we may create it. `confirm` makes that final (seed 002: already
   * final; counter: the increment releasing lock 0) and rejects when someone else got there first.
   */
  | { readonly kind: 'create'; readonly ownerToken?: string; confirm(): Promise<void> }
  /** The group exists; our KeyPackage is with the committers. Wait for a Welcome. */
  | { readonly kind: 'wait' };

/** What committers are told about; the transport has already decoded and checked the framing. */
export interface RequestListener {
  onJoin(request: { readonly keyPackage: KeyPackage; readonly identity: VerifiedIdentity }): void;
  onLeave(message: MlsFramedMessage): void;
  onWarning(message: string): void;
}

export interface CommitSubmission {
  /** The epoch the commit was made in (it creates `epoch + 1`). */
  readonly epoch: bigint;
  /** The commit as an MLSMessage (PrivateMessage). */
  readonly commit: MlsFramedMessage;
  readonly commitBytes: Uint8Array;
  readonly welcome?: Welcome;
  /** KeyPackageRefs (hex) of the members the Welcome is for. */
  readonly recipients: readonly string[];
}

export type CommitOutcome =
  /** Accepted: the commit is (or will be) on the commit track at MoQ group `epoch`. */
  | { readonly kind: 'accepted' }
  /** Another commit made that epoch; the group is at least at `currentEpoch`. Catch up, retry. */
  | { readonly kind: 'conflict'; readonly currentEpoch: bigint }
  /** Someone else holds the right to commit right now; try again after this long. */
  | { readonly kind: 'busy'; readonly retryAfterMs: number }
  /** Not known whether it went through (network failure, lost lock): watch the commit track. */
  | { readonly kind: 'unknown'; readonly reason: string };

export interface GroupTransport {
  readonly protocol: GroupProtocol;
  /**
   * True when exactly one trusted publisher writes the commit track (seed 002's service): a commit
   * that fails to process then means our own state is bad. With many publishers (epoch counter), a
   * bad object may just be someone else's garbage, so the member waits for a better one first.
   */
  readonly singleCommitSource: boolean;
  /** Starts delivering commit objects, live, to `listener`; resolves once following. */
  followCommits(listener: (commit: CommitObject) => void): Promise<void>;
  /** Commits from MoQ group `from` on, from wherever they are still kept. `state` names the members. */
  fetchCommits(from: bigint, state: ClientState | undefined): Promise<CommitObject[]>;
  /** The newest epoch the group has (as far as the service knows), when the transport can tell. */
  latestEpoch(): Promise<bigint | undefined>;

  /** Opens the place the Welcome for KeyPackageRef `ref` (hex) will appear. */
  openWelcomeInbox(ref: string): Promise<WelcomeInbox>;
  /** Create-or-join with our KeyPackage. */
  requestJoin(keyPackage: KeyPackage): Promise<JoinGrant>;
  /** The join is over (joined or given up): stop offering our KeyPackage. */
  joinFinished(): void;
  /** Sends a self-Remove proposal made in `epoch` to the committers. */
  sendLeave(epoch: bigint, proposal: MlsFramedMessage): Promise<void>;

  /** Committers: join and leave requests go to `listener` (undefined stops them). */
  setRequestListener(listener: RequestListener | undefined): void;
  submitCommit(submission: CommitSubmission): Promise<CommitOutcome>;
  /** A commit this member applied (committers re-publish it so it outlives its author). */
  onApplied(commit: CommitObject, isCommitter: boolean): void;

  close(): void;
}
