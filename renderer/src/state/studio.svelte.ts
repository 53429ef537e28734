// The renderer's one view of the studio core: connects once, loads the snapshot, keeps status, epoch,
// members, pending joiners and core statistics current from bridge events, routes media keys to the
// running pipeline and samples statistics once a second. Views read its fields and call its methods;
// nothing else talks to the bridge.
import type {
  BridgeEvent,
  CoreStats,
  EpochView,
  EventName,
  MediaChannel,
  MemberView,
  PendingJoinView,
  SessionStatus,
  StudioSettings,
} from '../../../common/bridge/index.js';
import type { StudioConnection } from '../bridge/api.js';
import { connectStudio } from '../bridge/connect.js';
import type { KeySink, MediaStats } from '../media/api.js';
import { errorMessage } from './errors.js';
import { KeyRelay } from './key-relay.js';
import { isEnded } from './phases.js';
import { StatsHistory } from './stats.svelte.js';
import { displayNameProblem } from './validation.js';

export type CoreLink =
  | { readonly state: 'connecting' }
  | { readonly state: 'ready'; readonly mode: StudioConnection['mode'] }
  | { readonly state: 'unreachable'; readonly message: string };

/** A pipeline as the studio state sees it: a key target with statistics. */
export interface RunningPipeline extends KeySink {
  stats(): MediaStats;
}

const CONNECT_TIMEOUT_MS = 10_000;
const STATS_INTERVAL_MS = 1_000;

const IDLE_STATUS: SessionStatus = {
  phase: 'idle',
  role: null,
  groupId: null,
  inviteLink: null,
  mediaNamespace: null,
  message: null,
};

const NO_STATS: CoreStats = {
  framesSent: 0,
  bytesSent: 0,
  framesReceived: 0,
  bytesReceived: 0,
  epochTransitions: 0,
  keySwitchesAcked: 0,
  keySwitchesTimedOut: 0,
  framesWithoutKey: 0,
  framesDropped: 0,
};

function sameNamespace(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((field, index) => field === b[index]);
}

export class StudioState {
  link = $state.raw<CoreLink>({ state: 'connecting' });
  status = $state.raw<SessionStatus>(IDLE_STATUS);
  /**
   * status.mediaNamespace, replaced only when its fields change: each status event brings a new
   * array, and a viewer must not restart its pipeline for an unrelated status update.
   */
  namespace = $state.raw<readonly string[] | null>(null);
  settings = $state.raw<StudioSettings | null>(null);
  epoch = $state.raw<EpochView | null>(null);
  members = $state.raw<readonly MemberView[]>([]);
  pendingJoins = $state.raw<readonly PendingJoinView[]>([]);
  coreStats = $state.raw<CoreStats>(NO_STATS);
  ownFingerprint = $state.raw<string | null>(null);
  /** The display name as typed; saved on change and before a broadcast is created or joined. */
  nameDraft = $state('');
  readonly stats = new StatsHistory();

  #connection: StudioConnection | null = null;
  #connecting: Promise<void> | null = null;
  readonly #keys = new KeyRelay();
  #pipeline: RunningPipeline | null = null;
  #statusListeners: readonly ((status: SessionStatus) => void)[] = [];
  /** Counts status updates, so a command's (older) answer never overwrites a newer event. */
  #statusVersion = 0;

  /** The media channel of the connection; only valid once `link.state` is 'ready'. */
  get media(): MediaChannel {
    if (!this.#connection) throw new Error('not connected to the studio core');
    return this.#connection.media;
  }

  /** Connects to the core once; after a failure, a new call tries again. */
  connect(): Promise<void> {
    if (this.#connection) return Promise.resolve();
    this.#connecting ??= this.#open().finally(() => (this.#connecting = null));
    return this.#connecting;
  }

  async #open(): Promise<void> {
    this.link = { state: 'connecting' };
    let connection: StudioConnection;
    try {
      connection = await connectWithin(CONNECT_TIMEOUT_MS);
    } catch (reason) {
      this.link = { state: 'unreachable', message: errorMessage(reason) };
      return;
    }
    // Subscribe before asking for the snapshot so nothing falls between the two; a field an event
    // already updated is newer than the snapshot's copy of it.
    const updated: Partial<Record<EventName, true>> = {};
    const unsubscribe = connection.bridge.onEvent((event) => {
      updated[event.name] = true;
      this.#apply(event);
    });
    try {
      const snapshot = await connection.bridge.getSnapshot();
      if (!updated.status) this.#setStatus(snapshot.status);
      if (!updated.epoch) this.epoch = snapshot.epoch;
      if (!updated.members) this.members = snapshot.members;
      if (!updated.pendingJoins) this.pendingJoins = snapshot.pendingJoins;
      if (!updated.stats) this.coreStats = snapshot.stats;
      this.settings = snapshot.settings;
      this.nameDraft = snapshot.settings.displayName;
      this.ownFingerprint = snapshot.ownFingerprint;
    } catch (reason) {
      unsubscribe();
      connection.media.close();
      this.link = { state: 'unreachable', message: errorMessage(reason) };
      return;
    }
    this.#connection = connection;
    this.link = { state: 'ready', mode: connection.mode };
    setInterval(() => this.#sample(), STATS_INTERVAL_MS);
  }

  #apply(event: BridgeEvent): void {
    switch (event.name) {
      case 'status':
        this.#setStatus(event.payload);
        break;
      case 'epoch':
        this.epoch = event.payload;
        break;
      case 'members':
        this.members = event.payload;
        // The identity is created with the first session; our own row is the first to show it.
        this.ownFingerprint = event.payload.find((member) => member.self)?.fingerprint ?? this.ownFingerprint;
        break;
      case 'pendingJoins':
        this.pendingJoins = event.payload;
        break;
      case 'stats':
        this.coreStats = event.payload;
        this.stats.noteCore(event.payload, performance.now());
        break;
      case 'mediaKeys':
        this.#keys.installKeys(event.payload);
        break;
      case 'mediaSendEpoch':
        this.#keys.useSendEpoch(event.payload);
        break;
      case 'focusRequested':
        // The main side already raised the window; the page has nothing to change.
        break;
    }
  }

  #setStatus(next: SessionStatus): void {
    const previous = this.status;
    this.#statusVersion += 1;
    this.status = next;
    if (!sameNamespace(this.namespace, next.mediaNamespace)) this.namespace = next.mediaNamespace;
    if (isEnded(next.phase) && !isEnded(previous.phase)) this.#keys.clear();
    if (isEnded(previous.phase) && !isEnded(next.phase)) this.stats.reset();
    if (this.ownFingerprint === null && next.phase !== previous.phase && !isEnded(next.phase)) {
      void this.#refreshFingerprint();
    }
    for (const listener of this.#statusListeners) listener(next);
  }

  /** A first session creates the identity; a joiner waiting for approval should see its fingerprint. */
  async #refreshFingerprint(): Promise<void> {
    try {
      const snapshot = await this.#connection?.bridge.getSnapshot();
      this.ownFingerprint ??= snapshot?.ownFingerprint ?? null;
    } catch {
      // Only a convenience: the members event brings the fingerprint as well.
    }
  }

  #sample(): void {
    let media: MediaStats | null = null;
    try {
      media = this.#pipeline?.stats() ?? null;
    } catch {
      // A pipeline that is shutting down may refuse; the next sample will not ask it any more.
    }
    this.stats.record(media, this.coreStats, performance.now());
  }

  /** Resolves with the first status (current or later) that `done` accepts; rejects on `failed`. */
  waitForStatus(
    done: (status: SessionStatus) => boolean,
    failed: (status: SessionStatus) => boolean,
  ): Promise<SessionStatus> {
    return new Promise((resolve, reject) => {
      const check = (status: SessionStatus): void => {
        if (done(status)) resolve(status);
        else if (failed(status)) reject(new Error(status.message ?? `the session ended (${status.phase})`));
        else return;
        unsubscribe();
      };
      const unsubscribe = this.onStatus(check);
      check(this.status);
    });
  }

  /** Registers a status listener; returns the unsubscribe function. */
  onStatus(listener: (status: SessionStatus) => void): () => void {
    this.#statusListeners = [...this.#statusListeners, listener];
    return () => {
      this.#statusListeners = this.#statusListeners.filter((entry) => entry !== listener);
    };
  }

  /** Makes `pipeline` the target of media keys (replaying those already known) and of sampling. */
  attachPipeline(pipeline: RunningPipeline): () => void {
    this.#pipeline = pipeline;
    const detachKeys = this.#keys.attach(pipeline);
    return () => {
      detachKeys();
      if (this.#pipeline === pipeline) this.#pipeline = null;
    };
  }

  // ---- commands ----

  #bridge(): StudioConnection['bridge'] {
    if (!this.#connection) throw new Error('not connected to the studio core');
    return this.#connection.bridge;
  }

  /** Applies a command's status answer unless an event has brought a newer one meanwhile. */
  async #statusCommand(run: () => Promise<SessionStatus>): Promise<SessionStatus> {
    const version = this.#statusVersion;
    const status = await run();
    if (this.#statusVersion === version) this.#setStatus(status);
    return this.status;
  }

  async updateSettings(patch: Partial<StudioSettings>): Promise<StudioSettings> {
    const settings = await this.#bridge().updateSettings(patch);
    this.settings = settings;
    return settings;
  }

  /** Saves the typed display name if it changed; throws with the validation message if it is invalid. */
  async saveDisplayName(): Promise<void> {
    const problem = displayNameProblem(this.nameDraft);
    if (problem) throw new Error(problem);
    const name = this.nameDraft.trim();
    if (name !== this.settings?.displayName) await this.updateSettings({ displayName: name });
  }

  async createBroadcast(title: string): Promise<SessionStatus> {
    await this.saveDisplayName();
    return this.#statusCommand(() => this.#bridge().createBroadcast(title));
  }

  async joinBroadcast(inviteLink: string): Promise<SessionStatus> {
    await this.saveDisplayName();
    return this.#statusCommand(() => this.#bridge().joinBroadcast(inviteLink));
  }

  approveJoin(requestId: string): Promise<void> {
    return this.#bridge().approveJoin(requestId);
  }

  denyJoin(requestId: string): Promise<void> {
    return this.#bridge().denyJoin(requestId);
  }

  removeMember(fingerprint: string): Promise<void> {
    return this.#bridge().removeMember(fingerprint);
  }

  leaveBroadcast(): Promise<void> {
    return this.#bridge().leaveBroadcast();
  }
}

/** connectStudio() with a deadline; a connection that arrives after it is closed, not leaked. */
function connectWithin(timeoutMs: number): Promise<StudioConnection> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    connectStudio().then(
      (connection) => {
        clearTimeout(timer);
        if (timedOut) connection.media.close();
        else resolve(connection);
      },
      (reason: unknown) => {
        clearTimeout(timer);
        reject(reason instanceof Error ? reason : new Error(String(reason)));
      },
    );
  });
}

export const studio = new StudioState();
