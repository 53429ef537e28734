// The studio's Node core (one per studio user): implements the StudioBridge commands on top of the
// security-group protocol — a producer creates a broadcast (a security group it commits for) and
// publishes the renderer's protected frames; a viewer asks to join by invite link, waits for a
// moderator, then receives protected frames — and reports status, epochs, members, pending joiners,
// media keys and counters as bridge events. Hosts: main/app (Electron IPC) and main/serve (WebSocket).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type {
  BridgeEvent,
  CommandHandlers,
  CoreStats,
  EpochView,
  EventName,
  EventPayload,
  MediaFrame,
  MemberView,
  PendingJoinView,
  SessionStatus,
  StudioSnapshot,
  VersionInfo,
} from '../../common/bridge/index.js';
import { decideByPolicy } from '../groups/approval.js';
import type { ApprovalPolicy, JoinRequest } from '../groups/approval.js';
import { openMember } from '../groups/member.js';
import type { Member, MemberOptions } from '../groups/member.js';
import type { SecurityGroupEvent } from '../groups/security-group.js';
import { identityAuthService } from '../mls/identity-credential.js';
import { fingerprint } from '../mls/identity.js';
import { createMlsEnv } from '../mls/index.js';
import type { MlsEnv } from '../mls/index.js';
import type { StudioCore, StudioCoreOptions } from './api.js';
import { EpochAckListener, EpochAckPublisher } from '../broadcast/epoch-acks.js';
import { ProducerMedia, ViewerMedia, emptyCounters, mediaNamespace } from './broadcast-media.js';
import type { MediaCounters } from './broadcast-media.js';
import { formatInviteLink, parseInviteLink } from './invite-link.js';
import type { Invite } from './invite-link.js';
import { DenialNotices, watchForDenial } from './join-notices.js';
import { RendererKeys } from './renderer-keys.js';
import { SettingsFile } from './settings.js';

export type { StudioCore, StudioCoreOptions, EmbeddedServices } from './api.js';

export class StudioCommandError extends Error {
  override readonly name = 'StudioCommandError';
}

/** A viewer waits this long for a moderator before the studio reports it was not admitted. */
const JOIN_TIMEOUT_MS = 10 * 60_000;
const STATS_INTERVAL_MS = 1000;
const LEAVE_TIMEOUT_MS = 5000;
const PUBLISH_DONE_GRACE_MS = 300;
const SELF_UPDATE_INTERVAL_MS = 10 * 60_000;
/** How long a dropped session keeps trying to reconnect before it reports the relay unreachable. */
const RECONNECT_WINDOW_MS = 2 * 60_000;

interface PendingJoin {
  readonly view: PendingJoinView;
  readonly request: JoinRequest;
  approve(): void;
  deny(): void;
}

/** One broadcast this core takes part in, from the first command to its end. */
interface ActiveSession {
  readonly role: 'producer' | 'viewer';
  readonly invite: Invite;
  /** Options of this session's member beyond the common ones (kept for reconnecting). */
  memberOptions: Partial<MemberOptions>;
  /** Starts media once the member is in the group (again, after a reconnect). */
  afterConnect: (member: Member) => Promise<void>;
  member: Member | undefined;
  reconnecting: boolean;
  /** This member's epoch acks, and (producer) the other members' acks it switches keys on. */
  readonly acks: EpochAckPublisher;
  ackListener?: EpochAckListener;
  /** Producer: where denials are announced to the joiners waiting for them. */
  notices?: DenialNotices;
  /** Viewer: stops waiting for a Welcome once a denial notice for us arrives. */
  readonly joinAbort: AbortController;
  /** Viewer: stops watching for denial notices (admitted, or the session ended). */
  noticeWatch?: AbortController;
  denied: boolean;
  producer?: ProducerMedia;
  viewer?: ViewerMedia;
  keys: RendererKeys;
  ended: boolean;
}

export async function createStudioCore(options: StudioCoreOptions): Promise<StudioCore> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const env = await createMlsEnv({ authService: identityAuthService });
  return new Core(options, env);
}

class Core implements StudioCore {
  private readonly settings: SettingsFile;
  private readonly eventListeners = new Set<(event: BridgeEvent) => void>();
  private readonly mediaListeners = new Set<(frame: MediaFrame) => void>();
  private readonly pending = new Map<string, PendingJoin>();
  private counters: MediaCounters = emptyCounters();
  private epochTransitions = 0;
  private status: SessionStatus = idleStatus();
  private epoch: EpochView | null = null;
  private active: ActiveSession | undefined;
  private ownFingerprint: string | null = null;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lastStats = '';

  constructor(
    private readonly options: StudioCoreOptions,
    private readonly env: MlsEnv,
  ) {
    this.settings = new SettingsFile(options.dataDir);
    // Say so rather than silently starting from the defaults.
    if (this.settings.problem) this.status = { ...this.status, message: this.settings.problem };
  }

  readonly handlers: CommandHandlers = {
    getVersion: (): VersionInfo => ({
      app: this.options.appVersion,
      electron: this.options.versions['electron'] ?? null,
      node: this.options.versions['node'] ?? 'unknown',
    }),
    getSnapshot: () => {
      // A renderer asking for a snapshot has just (re)started: it holds no media keys yet.
      queueMicrotask(() => this.active?.keys.replay());
      return this.snapshot();
    },
    updateSettings: async (patch) => {
      const settings = this.settings.update(patch);
      if ('approval' in patch || 'allowlist' in patch) this.applyApprovalPolicy();
      return settings;
    },
    createBroadcast: (title) => this.createBroadcast(title),
    joinBroadcast: (link) => this.joinBroadcast(link),
    approveJoin: (requestId) => this.decide(requestId, 'approve'),
    denyJoin: (requestId) => this.decide(requestId, 'deny'),
    removeMember: (memberFingerprint) => this.removeMember(memberFingerprint),
    leaveBroadcast: () => this.leave(),
  };

  onEvent(listener: (event: BridgeEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onMedia(listener: (frame: MediaFrame) => void): () => void {
    this.mediaListeners.add(listener);
    return () => this.mediaListeners.delete(listener);
  }

  sendMedia(frame: MediaFrame): void {
    if (this.active?.producer && !this.active.ended) this.active.producer.publish(frame);
    else this.counters.framesDropped++;
  }

  async close(): Promise<void> {
    await this.end('left', null, { leaveGroup: false });
    this.eventListeners.clear();
    this.mediaListeners.clear();
  }

  // ---- commands ----

  private async createBroadcast(title: string): Promise<SessionStatus> {
    this.requireIdle();
    const services = this.services();
    const groupId = `${slug(title)}-${randomBytes(5).toString('hex')}`;
    const invite: Invite = { groupId, ...services };
    const counters = (this.counters = emptyCounters());
    const producer = new ProducerMedia(groupId, counters);
    const session = this.begin('producer', invite);
    session.producer = producer;
    const notices = (session.notices = new DenialNotices(groupId));
    session.memberOptions = {
      handler: session.acks.handler(notices.handler(producer.handler)),
      approval: this.approvalPolicy(),
      selfUpdateIntervalMs: this.options.selfUpdateIntervalMs ?? SELF_UPDATE_INTERVAL_MS,
    };
    session.afterConnect = async (member) => {
      if (!member.group.ownerToken) {
        throw new StudioCommandError(
          'a broadcast with this name already exists elsewhere; try another title',
        );
      }
      await session.acks.announce(member.session);
      await notices.announce(member.session);
      session.ackListener?.close();
      session.ackListener = new EpochAckListener(
        member.session,
        groupId,
        this.env,
        () => member.group.mlsState,
        (epoch, leaf) => session.keys.acknowledge(epoch, leaf),
        (message) => console.warn(`epoch acks: ${message}`),
      );
      await session.ackListener.start();
      await producer.announce(member.session);
      this.setStatus({ phase: 'live', message: null });
    };
    try {
      await this.connect(session);
    } catch (error) {
      await this.fail(session, error);
    }
    return this.status;
  }

  private async joinBroadcast(link: string): Promise<SessionStatus> {
    this.requireIdle();
    let invite: Invite;
    try {
      invite = parseInviteLink(link);
    } catch (error) {
      throw new StudioCommandError((error as Error).message);
    }
    this.counters = emptyCounters();
    const session = this.begin('viewer', invite);
    this.setStatus({ phase: 'waiting-approval', message: 'Waiting for a moderator to admit you' });
    session.memberOptions = {
      handler: session.acks.handler(),
      joinTimeoutMs: JOIN_TIMEOUT_MS,
      joinSignal: session.joinAbort.signal,
      onConnected: ({ session: moq, identity }) => {
        // Known before admission, so the person waiting can tell the moderator who they are.
        this.ownFingerprint = fingerprint(identity.publicKey);
        session.noticeWatch?.abort();
        session.noticeWatch = new AbortController();
        watchForDenial(moq, invite.groupId, identity.publicKey, session.noticeWatch.signal, () => {
          session.denied = true;
          session.joinAbort.abort();
        });
      },
    };
    session.afterConnect = async (member) => {
      session.noticeWatch?.abort();
      await session.acks.announce(member.session);
      const state = member.group.mlsState;
      if (state) void session.acks.publish(state).catch(() => {});
      session.viewer?.stop();
      session.viewer = new ViewerMedia(
        member.session,
        invite.groupId,
        this.counters,
        (frame) => {
          if (!session.keys.hasKeyFor(frame.payload)) {
            this.counters.framesWithoutKey++;
            return;
          }
          for (const listener of this.mediaListeners) listener(frame);
        },
        () => void this.end('ended', 'The producer ended the broadcast.', { leaveGroup: false }),
      );
      session.viewer.start();
      this.setStatus({ phase: 'watching', message: null });
    };
    // Admission can take minutes (a person decides): the command answers now, events follow.
    this.connect(session).catch((error: unknown) => this.fail(session, error));
    return this.status;
  }

  private async decide(requestId: string, decision: 'approve' | 'deny'): Promise<void> {
    const request = this.pending.get(requestId);
    if (!request) throw new StudioCommandError('no such pending join request (already decided or withdrawn)');
    this.pending.delete(requestId);
    if (decision === 'approve') request.approve();
    else this.deny(request);
    this.emitPending();
  }

  private deny(request: PendingJoin): void {
    request.deny();
    this.active?.notices?.deny(request.request.identityPublicKey);
  }

  private async removeMember(memberFingerprint: string): Promise<void> {
    const group = this.active?.member?.group;
    if (!group?.isCommitter)
      throw new StudioCommandError('only a moderator of a live broadcast can remove members');
    const target = group.members().find((m) => m.fingerprint === memberFingerprint);
    if (!target) throw new StudioCommandError('no member with that fingerprint');
    if (target.leafIndex === group.leafIndex)
      throw new StudioCommandError('you cannot remove yourself; leave instead');
    group.removeMember(target.identityPublicKey);
  }

  private async leave(): Promise<void> {
    if (!this.active) throw new StudioCommandError('not in a broadcast');
    await this.end('left', null, { leaveGroup: this.active.role === 'viewer' });
  }

  // ---- session lifecycle ----

  private requireIdle(): void {
    if (this.active && !this.active.ended)
      throw new StudioCommandError('already in a broadcast; leave it first');
  }

  private services(): { relayUrl: string; coordinatorUrl: string } {
    const settings = this.settings.value;
    if (settings.embeddedServices) {
      if (!this.options.embedded) {
        throw new StudioCommandError(
          'this studio runs no embedded relay; set a relay and a coordinator in the settings',
        );
      }
      return {
        relayUrl: this.options.embedded.relayUrl,
        coordinatorUrl: this.options.embedded.coordinatorUrl,
      };
    }
    if (!settings.relayUrl || !settings.coordinatorUrl) {
      throw new StudioCommandError('set the relay and coordinator addresses in the settings first');
    }
    return { relayUrl: settings.relayUrl, coordinatorUrl: settings.coordinatorUrl };
  }

  /**
   * A moderator changed the policy while live: it applies to the running group at once, and the
   * requests already waiting are decided by it where it decides alone (e.g. switching to 'open'
   * admits everyone waiting).
   */
  private applyApprovalPolicy(): void {
    const session = this.active;
    if (session?.role !== 'producer' || session.ended) return;
    const policy = this.approvalPolicy();
    session.memberOptions = { ...session.memberOptions, approval: policy };
    session.member?.group.setApprovalPolicy(policy);
    let changed = false;
    for (const [id, request] of this.pending) {
      const decision = decideByPolicy(policy, request.request);
      if (decision === 'ask') continue;
      this.pending.delete(id);
      if (decision === 'approve') request.approve();
      else this.deny(request);
      changed = true;
    }
    if (changed) this.emitPending();
  }

  private approvalPolicy(): ApprovalPolicy {
    const { approval, allowlist } = this.settings.value;
    return approval === 'allowlist' ? { kind: 'allowlist', fingerprints: allowlist } : { kind: approval };
  }

  private begin(role: 'producer' | 'viewer', invite: Invite): ActiveSession {
    this.pending.clear();
    this.epoch = null;
    this.epochTransitions = 0;
    const session: ActiveSession = {
      role,
      invite,
      memberOptions: {},
      afterConnect: async () => {},
      member: undefined,
      reconnecting: false,
      ended: false,
      joinAbort: new AbortController(),
      denied: false,
      acks: new EpochAckPublisher(invite.groupId, this.env),
      keys: new RendererKeys(
        this.env,
        {
          install: (material) => this.emit('mediaKeys', material),
          useForSending: (epoch) => this.emit('mediaSendEpoch', epoch),
        },
        (error) => console.warn('media key switch failed:', error),
        () => {
          const state = session.member?.group.mlsState;
          if (state) void session.acks.publish(state).catch(() => {});
        },
      ),
    };
    this.active = session;
    this.status = {
      phase: 'connecting',
      role,
      groupId: invite.groupId,
      inviteLink: role === 'producer' ? formatInviteLink(invite) : null,
      mediaNamespace: mediaNamespace(invite.groupId),
      message: null,
    };
    this.emit('status', this.status);
    this.emitPending();
    this.statsTimer ??= setInterval(() => this.emitStats(), STATS_INTERVAL_MS);
    return session;
  }

  private async connect(session: ActiveSession): Promise<void> {
    const member = await this.openSessionMember(session);
    await session.afterConnect(member);
  }

  /**
   * The relay connection dropped: reopen the member (it resumes from SQLite and catches up on the
   * commits it missed) with backoff, for a while, before calling the services unreachable.
   */
  private async reconnect(session: ActiveSession): Promise<void> {
    if (session.ended || session.reconnecting) return;
    session.reconnecting = true;
    session.viewer?.stop();
    const lost = session.member;
    session.member = undefined;
    await lost?.close().catch(() => {});
    const deadline = Date.now() + RECONNECT_WINDOW_MS;
    for (let delay = 250; !session.ended; delay = Math.min(delay * 2, 5000)) {
      this.setStatus({
        phase: 'reconnecting',
        message: 'The connection to the relay was lost; reconnecting…',
      });
      await sleep(delay);
      if (session.ended) return;
      try {
        await this.connect(session);
        session.reconnecting = false;
        return;
      } catch (error) {
        if (Date.now() + delay > deadline) {
          await this.end('unreachable', `Could not reconnect: ${(error as Error).message}`, {
            leaveGroup: false,
          });
          return;
        }
      }
    }
  }

  private async openSessionMember(session: ActiveSession): Promise<Member> {
    const member = await openMember({
      dataDir: this.options.dataDir,
      groupId: session.invite.groupId,
      displayName: this.settings.value.displayName,
      relayUrl: session.invite.relayUrl,
      coordinatorUrl: session.invite.coordinatorUrl,
      ...(session.invite.token ? { token: session.invite.token } : {}),
      ...(this.options.embedded?.caPem ? { caPem: this.options.embedded.caPem } : {}),
      ...(this.options.secretBox ? { secretBox: this.options.secretBox } : {}),
      ...session.memberOptions,
      onEvent: (event) => this.onGroupEvent(session, event),
    });
    if (session.ended) {
      await member.close();
      throw new StudioCommandError('the broadcast was left while connecting');
    }
    session.member = member;
    this.ownFingerprint = fingerprint(member.identity.publicKey);
    void member.session.closed.then(() => {
      if (session.member === member) void this.reconnect(session);
    });
    this.emitGroupState(session);
    return member;
  }

  private onGroupEvent(session: ActiveSession, event: SecurityGroupEvent): void {
    if (session.ended) return;
    switch (event.type) {
      case 'epoch':
        this.epochTransitions++;
        session.ackListener?.onEpoch();
        void session.keys.onEpoch(event.state).catch((error: unknown) => console.warn('media keys:', error));
        this.emitGroupState(session);
        break;
      case 'join-request': {
        // The same person asking again (a joiner re-sends its request) keeps its place and its
        // request ID, so a moderator's click on the row it sees still lands.
        const previous = [...this.pending.values()].find(
          (p) => p.view.fingerprint === event.request.fingerprint,
        );
        const requestId = previous?.view.requestId ?? randomBytes(9).toString('base64url');
        this.pending.set(requestId, {
          view: previous?.view ?? {
            requestId,
            displayName: event.request.displayName,
            fingerprint: event.request.fingerprint,
            receivedAt: Date.now(),
          },
          request: event.request,
          approve: event.approve,
          deny: event.deny,
        });
        this.emitPending();
        break;
      }
      case 'join-denied':
        session.notices?.deny(event.request.identityPublicKey);
        break;
      case 'removed':
        void this.end(
          'removed',
          'You were removed from the broadcast; nothing sent after that can be decrypted.',
          {
            leaveGroup: false,
          },
        );
        break;
      case 'rejoining':
        this.setStatus({ phase: 'reconnecting', message: `Rejoining the group: ${event.reason}` });
        break;
      case 'joined':
      case 'warning':
        break;
    }
  }

  private async fail(session: ActiveSession, error: unknown): Promise<void> {
    if (session.denied) {
      await this.end('denied', 'The moderator declined your request to join.', { leaveGroup: false });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    const phase =
      session.role === 'viewer' && /timed out|welcome/i.test(message)
        ? 'denied'
        : /connect|ECONNREFUSED|handshake|timed out|unreachable/i.test(message)
          ? 'unreachable'
          : 'error';
    const explained = phase === 'denied' ? 'No moderator admitted you to this broadcast.' : message;
    await this.end(phase, explained, { leaveGroup: false });
  }

  private async end(
    phase: SessionStatus['phase'],
    message: string | null,
    how: { leaveGroup: boolean },
  ): Promise<void> {
    const session = this.active;
    if (!session || session.ended) return;
    session.ended = true;
    session.viewer?.stop();
    if (session.producer) {
      session.producer.close();
      // PUBLISH_DONE (track ended) must reach the relay before the connection closes, or viewers
      // would take the end for a dropped producer and keep waiting.
      await sleep(PUBLISH_DONE_GRACE_MS);
    }
    session.ackListener?.close();
    session.acks.close();
    session.notices?.close();
    session.noticeWatch?.abort();
    session.joinAbort.abort();
    session.keys.dispose();
    const member = session.member;
    if (member) {
      if (how.leaveGroup) {
        await Promise.race([member.group.leave(), sleep(LEAVE_TIMEOUT_MS)]).catch(() => {});
      }
      await member.close().catch(() => {});
    }
    this.pending.clear();
    this.emitPending();
    clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.emitStats();
    this.setStatus({ phase, message });
  }

  // ---- events ----

  private emit<K extends EventName>(name: K, payload: EventPayload<K>): void {
    const event = { name, payload } as BridgeEvent;
    for (const listener of this.eventListeners) {
      try {
        listener(event);
      } catch (error) {
        console.warn('a bridge event listener failed:', error);
      }
    }
  }

  private setStatus(change: Pick<SessionStatus, 'phase' | 'message'>): void {
    this.status = { ...this.status, ...change };
    this.emit('status', this.status);
  }

  private emitGroupState(session: ActiveSession): void {
    const group = session.member?.group;
    if (!group || group.epoch === undefined) return;
    const code = group.verificationCode();
    const members = group.members();
    this.epoch = { epoch: Number(group.epoch), memberCount: members.length, verificationCode: code ?? '' };
    this.emit('epoch', this.epoch);
    this.emit('members', this.memberViews());
  }

  private memberViews(): MemberView[] {
    const group = this.active?.member?.group;
    if (!group || this.active?.ended) return [];
    return group.members().map((m) => ({
      leafIndex: m.leafIndex,
      displayName: m.displayName,
      fingerprint: m.fingerprint,
      self: m.leafIndex === group.leafIndex,
    }));
  }

  private emitPending(): void {
    this.emit(
      'pendingJoins',
      [...this.pending.values()].map((p) => p.view),
    );
  }

  private stats(): CoreStats {
    const switches = this.active?.keys.switches ?? { acked: 0, timedOut: 0 };
    return {
      ...this.counters,
      epochTransitions: this.epochTransitions,
      keySwitchesAcked: switches.acked,
      keySwitchesTimedOut: switches.timedOut,
    };
  }

  private emitStats(): void {
    const stats = this.stats();
    const key = JSON.stringify(stats);
    if (key === this.lastStats) return;
    this.lastStats = key;
    this.emit('stats', stats);
  }

  private snapshot(): StudioSnapshot {
    return {
      status: this.status,
      settings: this.settings.value,
      epoch: this.active?.ended ? null : this.epoch,
      members: this.memberViews(),
      pendingJoins: [...this.pending.values()].map((p) => p.view),
      stats: this.stats(),
      ownFingerprint: this.ownFingerprint,
    };
  }
}

function idleStatus(): SessionStatus {
  return { phase: 'idle', role: null, groupId: null, inviteLink: null, mediaNamespace: null, message: null };
}

/** A readable, safe group-ID prefix from the broadcast title. */
function slug(title: string): string {
  const base = title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return base || 'broadcast';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
