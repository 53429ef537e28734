// Seed 002's transport of group messages: requests and commits go to the Coordination Service over
// HTTPS, which decides (201 create / 200 forwarded; 200 accepted / 409 epoch mismatch) and forwards
// them on the group's RequestTrack, CommitTrack and WelcomeTrack, where members read them.
import { groupTrack } from '../coordination/tracks.js';
import type { ClientState, KeyPackage, MlsFramedMessage } from '../mls/index.js';
import {
  decodeRequest,
  encodeCommitRequest,
  encodeJoinRequest,
  encodeLeaveRequest,
} from '../mls/messages.js';
import type { GroupRequest } from '../mls/messages.js';
import type { MoqtSessionApi, Subscription } from '../moqt/session/api.js';
import type { CoordinationClient } from './coordination-client.js';
import { consumeObjects, fetchFrom, subscribePatiently } from './moq-tracks.js';
import type {
  CommitObject,
  CommitOutcome,
  CommitSubmission,
  GroupTransport,
  JoinGrant,
  RequestListener,
  WelcomeInbox,
} from './transport.js';

export interface Seed002TransportOptions {
  readonly groupId: string;
  readonly session: MoqtSessionApi;
  readonly coordinator: CoordinationClient;
  /** The current Coordination Service token (it changes when we create the group). */
  readonly token: () => string | undefined;
  readonly warn: (message: string) => void;
}

export class Seed002Transport implements GroupTransport {
  readonly protocol = 'seed-002' as const;
  readonly singleCommitSource = true;
  private readonly subscriptions = new Set<Subscription>();
  private listener: RequestListener | undefined;
  private followingRequests = false;
  private closed = false;

  constructor(private readonly options: Seed002TransportOptions) {}

  async followCommits(listener: (commit: CommitObject) => void): Promise<void> {
    const commits = await this.subscribe('commit');
    void consumeObjects(
      commits,
      (object) => listener({ epoch: object.groupId, payload: object.payload }),
      (error) => this.ended('CommitTrack', error),
    );
  }

  async fetchCommits(from: bigint, _state: ClientState | undefined): Promise<CommitObject[]> {
    const objects = await fetchFrom(this.options.session, groupTrack(this.options.groupId, 'commit'), from);
    return objects.map((object) => ({ epoch: object.groupId, payload: object.payload }));
  }

  latestEpoch(): Promise<bigint | undefined> {
    // The service has no read API; a 409 tells a committer, and the CommitTrack tells everyone.
    return Promise.resolve(undefined);
  }

  async openWelcomeInbox(_ref: string): Promise<WelcomeInbox> {
    const welcomes = await this.subscribe('welcome');
    const listeners: ((payload: Uint8Array) => void)[] = [];
    const deliver = (payload: Uint8Array) => {
      for (const listener of listeners) listener(payload);
    };
    void consumeObjects(welcomes, (object) => deliver(object.payload));
    // A Welcome published before the relay had our subscription in place is only reachable by FETCH.
    let next = welcomes.largest ? welcomes.largest.group + 1n : 0n;
    const track = groupTrack(this.options.groupId, 'welcome');
    return {
      onPayload: (listener) => listeners.push(listener),
      poll: async () => {
        for (const object of await fetchFrom(this.options.session, track, next)) {
          if (object.groupId + 1n > next) next = object.groupId + 1n;
          deliver(object.payload);
        }
      },
      close: () => this.cancel(welcomes),
    };
  }

  async requestJoin(keyPackage: KeyPackage): Promise<JoinGrant> {
    const { coordinator, groupId, token } = this.options;
    const outcome = await coordinator.request(groupId, encodeJoinRequest(keyPackage), token());
    if (outcome.kind === 'created') {
      // 201 is final: the service gives it exactly once per group.
      return { kind: 'create', ownerToken: outcome.ownerToken, confirm: () => Promise.resolve() };
    }
    return { kind: 'wait' };
  }

  joinFinished(): void {
    // The request was a one-off POST; nothing stays published.
  }

  async sendLeave(_epoch: bigint, proposal: MlsFramedMessage): Promise<void> {
    const { coordinator, groupId, token } = this.options;
    await coordinator.request(groupId, encodeLeaveRequest(proposal), token());
  }

  setRequestListener(listener: RequestListener | undefined): void {
    this.listener = listener;
    if (listener && !this.followingRequests) {
      this.followingRequests = true;
      void this.followRequests();
    }
  }

  async submitCommit(submission: CommitSubmission): Promise<CommitOutcome> {
    const { coordinator, groupId, token } = this.options;
    const current = token();
    if (!current) return { kind: 'unknown', reason: 'no committer token for the Coordination Service' };
    let outcome: Awaited<ReturnType<CoordinationClient['commit']>>;
    try {
      outcome = await coordinator.commit(
        groupId,
        encodeCommitRequest(submission.commit, submission.welcome),
        current,
      );
    } catch (error) {
      // Maybe accepted, maybe not: if it was, it comes back on the CommitTrack.
      return { kind: 'unknown', reason: (error as Error).message };
    }
    if (outcome.kind === 'accepted') return { kind: 'accepted' };
    return { kind: 'conflict', currentEpoch: outcome.currentEpoch };
  }

  onApplied(): void {
    // The service keeps every commit in its outbox and serves FETCH from it.
  }

  close(): void {
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.cancel();
    this.subscriptions.clear();
  }

  private async followRequests(): Promise<void> {
    let requests: Subscription;
    try {
      requests = await this.subscribe('request');
    } catch (error) {
      this.ended('RequestTrack', error as Error);
      return;
    }
    await consumeObjects(
      requests,
      (object) => {
        const listener = this.listener;
        if (!listener) return;
        let request: GroupRequest;
        try {
          request = decodeRequest(object.payload);
        } catch (error) {
          listener.onWarning(`ignored a malformed request: ${(error as Error).message}`);
          return;
        }
        if (request.type === 'join') listener.onJoin(request);
        else listener.onLeave(request.message);
      },
      (error) => this.ended('RequestTrack', error),
    );
  }

  private async subscribe(track: 'commit' | 'request' | 'welcome'): Promise<Subscription> {
    const subscription = await subscribePatiently(
      this.options.session,
      groupTrack(this.options.groupId, track),
    );
    if (this.closed) {
      subscription.cancel();
      throw new Error('transport closed');
    }
    this.subscriptions.add(subscription);
    return subscription;
  }

  private cancel(subscription: Subscription): void {
    subscription.cancel();
    this.subscriptions.delete(subscription);
  }

  private ended(what: string, error: Error): void {
    if (!this.closed) this.options.warn(`${what} ended: ${error.message}`);
  }
}
