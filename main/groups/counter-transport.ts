// The seeds 000/003 transport of group messages: members publish on MoQ themselves and the Epoch
// Counter Service (`GET /lock`, `POST /increment`) makes commits linear.
//
// - Counter value = the next epoch to be created (0: the group does not exist). A joiner asks for
//   lock 0: Ok → it creates the group and increments; CounterError → the group exists, so it
//   publishes its KeyPackage on its own track and waits on its own Welcome track.
// - A committer at epoch N locks N + 1, publishes the Welcomes (one track per recipient, MoQ group
//   N, object 0) and the commit (its commit track, MoQ group N, object 0), then increments.
//   Conflict → busy, try again shortly; CounterError above us → catch up first; below us → a holder
//   published without incrementing (it crashed or its lock expired): count those epochs first.
// - Commits outlive their author: every committer re-publishes each commit it applies on its own
//   commit track, so any live committer (or the relay's cache) can answer a member's FETCH.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '../../common/codec/bytes.js';
import type { FullTrackName } from '../../common/codec/track-name.js';
import { counterPrefix, counterTrack } from '../coordination/tracks.js';
import type { CounterTrackKind } from '../coordination/tracks.js';
import { memberLeaves } from '../mls/identity-credential.js';
import type { ClientState, KeyPackage, MlsFramedMessage } from '../mls/index.js';
import {
  decodeFramedMessage,
  decodeKeyPackageMessage,
  encodeKeyPackageMessage,
  encodeMlsMessage,
  encodeWelcome,
} from '../mls/messages.js';
import type { MoqtObject, MoqtSessionApi, NamespacePublication } from '../moqt/session/api.js';
import { trackKey } from '../relay/names.js';
import type { CoordinationClient } from './coordination-client.js';
import type { LocalTrack, LocalTrackPublisher } from './local-publisher.js';
import { fetchFrom, followTrack } from './moq-tracks.js';
import { PartyWatcher } from './party-watcher.js';
import type {
  CommitObject,
  CommitOutcome,
  CommitSubmission,
  GroupTransport,
  JoinGrant,
  RequestListener,
  WelcomeInbox,
} from './transport.js';

/** A party's id: the first 128 bits of SHA-256 of its long-term identity key, as hex. */
export function partyIdOf(identityPublicKey: Uint8Array): string {
  return bytesToHex(sha256(identityPublicKey)).slice(0, 32);
}

export interface CounterTransportOptions {
  readonly groupId: string;
  readonly session: MoqtSessionApi;
  readonly coordinator: CoordinationClient;
  /** Installed as the session's request handler: serves the tracks we publish. */
  readonly publisher: LocalTrackPublisher;
  readonly identityPublicKey: Uint8Array;
  /** Bearer token for lock/increment, for services that require one. */
  readonly token: () => string | undefined;
  readonly warn: (message: string) => void;
}

export interface CounterStats {
  /** Locks we obtained for a commit (not counting group creation or repairs). */
  locksWon: number;
  /** Conflict answers: someone else held the lock. */
  conflicts: number;
  /** CounterError answers that sent us to catch up. */
  behind: number;
  /** Epochs counted for a holder that published but never incremented. */
  repairs: number;
  /** Increments refused after we had published (our lock expired). */
  lostLocks: number;
}

/** Locks last 5 s at the service; publish only with most of that left, so the increment lands. */
const LOCK_SAFETY_MS = 1500;
/** Conflicts usually clear in milliseconds (the holder increments right away): poll, capped. */
const BUSY_POLL_MS = 150;
/** Seen-payload memory per followed track (duplicates from SUBSCRIBE + FETCH overlap). */
const SEEN_LIMIT = 256;
/** A Welcome track stays announced this long: the joiner's default patience. */
const WELCOME_LIFETIME_MS = 120_000;

export class CounterTransport implements GroupTransport {
  readonly protocol = 'epoch-counter' as const;
  readonly singleCommitSource = false;
  readonly stats: CounterStats = { locksWon: 0, conflicts: 0, behind: 0, repairs: 0, lostLocks: 0 };
  readonly ownId: string;
  private readonly publications = new Map<string, Promise<NamespacePublication | undefined>>();
  private commitWatcher: PartyWatcher | undefined;
  private requestWatchers: PartyWatcher[] = [];
  private commitListener: ((commit: CommitObject) => void) | undefined;
  private requestListener: RequestListener | undefined;
  private keyPackageObject = 0n;
  private closed = false;

  constructor(private readonly options: CounterTransportOptions) {
    this.ownId = partyIdOf(options.identityPublicKey);
  }

  // ---- commits ----

  async followCommits(listener: (commit: CommitObject) => void): Promise<void> {
    this.commitListener = listener;
    const watcher = new PartyWatcher(
      this.options.session,
      counterPrefix(this.options.groupId, 'commits'),
      (id) =>
        this.follow('commits', id, 'latest-group', (object) =>
          listener({ epoch: object.groupId, payload: object.payload }),
        ),
      this.options.warn,
    );
    this.commitWatcher = watcher;
    await watcher.start();
  }

  /**
   * Any committer of epoch `from` may hold the commit that ends it, and every live committer
   * re-publishes what it applied: ask all announced committers and every member of our epoch.
   */
  async fetchCommits(from: bigint, state: ClientState | undefined): Promise<CommitObject[]> {
    const ids = new Set([this.ownId, ...(this.commitWatcher?.ids ?? [])]);
    if (state) for (const leaf of memberLeaves(state)) ids.add(partyIdOf(leaf.identityPublicKey));
    const answers = await Promise.all(
      [...ids].map((id) => fetchFrom(this.options.session, this.track('commits', id), from)),
    );
    return answers.flat().map((object) => ({ epoch: object.groupId, payload: object.payload }));
  }

  async latestEpoch(): Promise<bigint | undefined> {
    try {
      const value = await this.options.coordinator.counterValue(this.options.groupId, this.options.token());
      return value > 0n ? value - 1n : undefined;
    } catch (error) {
      this.options.warn(`epoch counter unreachable: ${(error as Error).message}`);
      return undefined;
    }
  }

  onApplied(commit: CommitObject, isCommitter: boolean): void {
    if (!isCommitter || this.closed) return;
    const track = this.ownTrack('commits', this.ownId);
    const largest = track.largest;
    if (largest && largest.group >= commit.epoch) return;
    void this.publishOn('commits', this.ownId, commit.epoch, 0n, commit.payload);
  }

  // ---- joining ----

  async openWelcomeInbox(ref: string): Promise<WelcomeInbox> {
    const { session } = this.options;
    const track = this.track('welcome', ref);
    const listeners: ((payload: Uint8Array) => void)[] = [];
    const poll = async () => {
      for (const object of await fetchFrom(session, track, 0n))
        for (const listener of listeners) listener(object.payload);
    };
    // The namespace appears when a committer publishes our Welcome: fetch it at once.
    const announcements = await session.subscribeNamespace(track.namespace);
    void (async () => {
      try {
        for await (const event of announcements) if (event.type === 'namespace') await poll();
      } catch {
        // Cancelled when the join is over; polling covers anything else.
      }
    })();
    return {
      onPayload: (listener) => listeners.push(listener),
      poll,
      close: () => announcements.cancel(),
    };
  }

  async requestJoin(keyPackage: KeyPackage): Promise<JoinGrant> {
    const { coordinator, groupId } = this.options;
    for (;;) {
      const lock = await coordinator.lock(groupId, 0n, this.options.token(), this.ownId);
      if (lock.kind === 'ok') {
        return {
          kind: 'create',
          confirm: async () => {
            const done = await coordinator.increment(groupId, lock.lockId, this.options.token());
            if (done.kind !== 'ok')
              throw new Error(`creating group ${groupId} was not confirmed (${done.reason})`);
          },
        };
      }
      if (lock.kind === 'counter-error') break;
      // Someone is creating the group right now; once they increment we get CounterError.
      await sleep(Math.min(lock.retryAfterMs, BUSY_POLL_MS));
    }
    await this.publishOn(
      'keypackages',
      this.ownId,
      0n,
      this.keyPackageObject++,
      encodeKeyPackageMessage(keyPackage),
    );
    return { kind: 'wait' };
  }

  joinFinished(): void {
    this.unpublish('keypackages', this.ownId);
  }

  async sendLeave(epoch: bigint, proposal: MlsFramedMessage): Promise<void> {
    const largest = this.ownTrack('leaves', this.ownId).largest;
    if (largest && largest.group >= epoch) return;
    await this.publishOn('leaves', this.ownId, epoch, 0n, encodeMlsMessage(proposal));
  }

  // ---- committing ----

  setRequestListener(listener: RequestListener | undefined): void {
    this.requestListener = listener;
    if (!listener || this.requestWatchers.length > 0 || this.closed) return;
    // Our commit track exists from now on, so members follow it before our first commit.
    void this.ensurePublished('commits', this.ownId);
    const warn = (message: string) => this.requestListener?.onWarning(message);
    const keyPackages = new PartyWatcher(
      this.options.session,
      counterPrefix(this.options.groupId, 'keypackages'),
      (id) => this.follow('keypackages', id, 'all', (object) => this.onKeyPackage(id, object)),
      warn,
    );
    const leaves = new PartyWatcher(
      this.options.session,
      counterPrefix(this.options.groupId, 'leaves'),
      (id) => this.follow('leaves', id, 'latest-group', (object) => this.onLeave(object)),
      warn,
    );
    this.requestWatchers = [keyPackages, leaves];
    for (const watcher of this.requestWatchers)
      watcher.start().catch((error: Error) => warn(`cannot watch requests: ${error.message}`));
  }

  async submitCommit(submission: CommitSubmission): Promise<CommitOutcome> {
    const { coordinator, groupId } = this.options;
    const creating = submission.epoch + 1n;
    for (let repairs = 0; ; repairs++) {
      const started = Date.now();
      let lock: Awaited<ReturnType<CoordinationClient['lock']>>;
      try {
        lock = await coordinator.lock(groupId, creating, this.options.token(), this.ownId);
      } catch (error) {
        // Nothing was published: simply not our turn yet.
        this.options.warn(`epoch counter: ${(error as Error).message}`);
        return { kind: 'busy', retryAfterMs: 1000 };
      }
      if (lock.kind === 'conflict') {
        this.stats.conflicts++;
        return { kind: 'busy', retryAfterMs: Math.min(lock.retryAfterMs, BUSY_POLL_MS) };
      }
      if (lock.kind === 'counter-error') {
        if (lock.current > creating) {
          this.stats.behind++;
          return { kind: 'conflict', currentEpoch: lock.current - 1n };
        }
        // The counter lags behind epochs we hold: count the one a vanished holder published.
        if (repairs >= 64) return { kind: 'unknown', reason: 'epoch counter does not catch up' };
        if (!(await this.countPublishedEpoch(lock.current))) return { kind: 'busy', retryAfterMs: 200 };
        continue;
      }
      if (Date.now() - started > LOCK_SAFETY_MS) {
        // Too slow to be sure the increment lands before the lock expires: let it lapse.
        return { kind: 'busy', retryAfterMs: BUSY_POLL_MS };
      }
      this.stats.locksWon++;
      return this.publishCommit(submission, lock.lockId);
    }
  }

  private async publishCommit(submission: CommitSubmission, lockId: string): Promise<CommitOutcome> {
    const { coordinator, groupId } = this.options;
    const { epoch, welcome, commitBytes } = submission;
    if (welcome) {
      const bytes = encodeWelcome(welcome);
      await Promise.all(submission.recipients.map((ref) => this.publishOn('welcome', ref, epoch, 0n, bytes)));
      const retire = setTimeout(() => {
        for (const ref of submission.recipients) this.unpublish('welcome', ref);
      }, WELCOME_LIFETIME_MS);
      retire.unref?.();
    }
    await this.publishOn('commits', this.ownId, epoch, 0n, commitBytes);
    // Our own commit reaches our group at once, not only after the round trip through the relay.
    this.commitListener?.({ epoch, payload: commitBytes });
    try {
      const done = await coordinator.increment(groupId, lockId, this.options.token());
      if (done.kind === 'ok') return { kind: 'accepted' };
      this.stats.lostLocks++;
      return { kind: 'unknown', reason: `increment refused after publishing (${done.reason})` };
    } catch (error) {
      return { kind: 'unknown', reason: (error as Error).message };
    }
  }

  /** Lock + increment without publishing, for an epoch whose commit is already out. */
  private async countPublishedEpoch(value: bigint): Promise<boolean> {
    const { coordinator, groupId } = this.options;
    const lock = await coordinator.lock(groupId, value, this.options.token(), this.ownId);
    if (lock.kind !== 'ok') return lock.kind === 'counter-error';
    const done = await coordinator.increment(groupId, lock.lockId, this.options.token());
    if (done.kind === 'ok') this.stats.repairs++;
    return done.kind === 'ok';
  }

  private onKeyPackage(id: string, object: MoqtObject): void {
    const listener = this.requestListener;
    if (!listener || id === this.ownId) return;
    try {
      const request = decodeKeyPackageMessage(object.payload);
      // The track name is the sender's id: a KeyPackage under someone else's id is refused.
      if (partyIdOf(request.identity.identityPublicKey) !== id)
        throw new Error(`its identity does not match the track's sender id ${id}`);
      listener.onJoin(request);
    } catch (error) {
      listener.onWarning(`ignored a KeyPackage from ${id}: ${(error as Error).message}`);
    }
  }

  private onLeave(object: MoqtObject): void {
    const listener = this.requestListener;
    if (!listener) return;
    try {
      listener.onLeave(decodeFramedMessage(object.payload, 'remove'));
    } catch (error) {
      listener.onWarning(`ignored a malformed leave request: ${(error as Error).message}`);
    }
  }

  close(): void {
    this.closed = true;
    this.commitWatcher?.close();
    for (const watcher of this.requestWatchers) watcher.close();
    for (const key of [...this.publications.keys()]) this.withdraw(key);
  }

  // ---- publishing and reading per-party tracks ----

  private track(kind: CounterTrackKind, id: string): FullTrackName {
    return counterTrack(this.options.groupId, kind, id);
  }

  private ownTrack(kind: CounterTrackKind, id: string): LocalTrack {
    return this.options.publisher.track(this.track(kind, id), kind === 'commits' ? 1024 : 16);
  }

  /** Stores the object first, then announces the namespace, so a FETCH on announcement finds it. */
  private async publishOn(
    kind: CounterTrackKind,
    id: string,
    group: bigint,
    object: bigint,
    payload: Uint8Array,
  ): Promise<void> {
    await this.ownTrack(kind, id).publish(group, object, payload);
    await this.ensurePublished(kind, id);
  }

  private ensurePublished(kind: CounterTrackKind, id: string): Promise<NamespacePublication | undefined> {
    const track = this.track(kind, id);
    this.ownTrack(kind, id);
    const key = trackKey(track);
    let publication = this.publications.get(key);
    if (!publication) {
      publication = this.options.session.publishNamespace(track.namespace).catch((error: Error) => {
        this.publications.delete(key);
        this.options.warn(`could not publish ${kind} for ${id}: ${error.message}`);
        return undefined;
      });
      this.publications.set(key, publication);
    }
    return publication;
  }

  private unpublish(kind: CounterTrackKind, id: string): void {
    this.withdraw(trackKey(this.track(kind, id)));
    this.options.publisher.remove(this.track(kind, id));
  }

  private withdraw(key: string): void {
    const publication = this.publications.get(key);
    this.publications.delete(key);
    void publication?.then((p) => {
      try {
        p?.withdraw();
      } catch {
        // The session is gone, and the namespace with it.
      }
    });
  }

  /** Follows one party's track, handing each distinct payload to `onObject` once. */
  private follow(
    kind: CounterTrackKind,
    id: string,
    backfill: 'all' | 'latest-group',
    onObject: (object: MoqtObject) => void,
  ): () => void {
    const seen = new Set<string>();
    return followTrack(
      this.options.session,
      this.track(kind, id),
      backfill,
      (object) => {
        const key = `${object.groupId}/${object.objectId}/${bytesToHex(sha256(object.payload))}`;
        if (seen.has(key)) return;
        seen.add(key);
        if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value!);
        onObject(object);
      },
      (message) => this.options.warn(`${kind} of ${id}: ${message}`),
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
