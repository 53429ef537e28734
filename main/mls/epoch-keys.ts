// Epoch keys → media-key contexts (both profiles): a new MLS epoch is installed for decryption at once
// and used for sending only after the other members acknowledged it or a short timeout (DAVE-style
// ready-acks), so no frame is undecryptable across a transition. Retention of old keys is the contexts' job.
import type { MlsExporter, SFrameMlsContext } from '../../common/sframe/mls-profile.js';
import type { SecureObjectsContext } from '../../common/sframe/secure-objects.js';
import { nodeTypes } from 'ts-mls';
import { bytesToHex } from '../../common/codec/bytes.js';
import { epochOf, exportSecret, leafIndexOf, type ClientState, type MlsEnv } from './index.js';

/** Something that holds media keys derived from MLS epochs. */
export interface EpochKeyTarget {
  installEpoch(epoch: bigint, exporter: MlsExporter, leafCount: number): Promise<void>;
  useEpochForSending(epoch: bigint, ownLeafIndex: number): void;
}

/** sframe-mls profile: one context for all of this member's media. */
export class SFrameMlsTarget implements EpochKeyTarget {
  constructor(readonly context: SFrameMlsContext) {}

  installEpoch(epoch: bigint, exporter: MlsExporter, leafCount: number): Promise<void> {
    return this.context.installEpoch({ epoch, exporter, leafCount });
  }

  useEpochForSending(epoch: bigint, ownLeafIndex: number): void {
    this.context.useEpochForSending(epoch, ownLeafIndex);
  }
}

/** secure-objects profile: one context per published track (keys are per track name). */
export class SecureObjectsTarget implements EpochKeyTarget {
  private readonly tracks = new Set<SecureObjectsContext>();
  /** Remembered so a track published mid-epoch gets the same keys as the others. */
  private latest: { epoch: bigint; exporter: MlsExporter } | undefined;
  private sending: { epoch: bigint; exporter: MlsExporter } | undefined;

  /** Adds a track; it is brought up to the epochs already installed (sending one first, newest last). */
  async addTrack(track: SecureObjectsContext): Promise<void> {
    this.tracks.add(track);
    if (this.sending) {
      await track.installEpoch(this.sending.epoch, this.sending.exporter);
      track.useEpochForSending(this.sending.epoch);
    }
    if (this.latest && this.latest.epoch !== this.sending?.epoch) {
      await track.installEpoch(this.latest.epoch, this.latest.exporter);
    }
  }

  removeTrack(track: SecureObjectsContext): void {
    this.tracks.delete(track);
  }

  async installEpoch(epoch: bigint, exporter: MlsExporter): Promise<void> {
    this.latest = { epoch, exporter };
    await Promise.all([...this.tracks].map((track) => track.installEpoch(epoch, exporter)));
  }

  useEpochForSending(epoch: bigint): void {
    for (const track of this.tracks) track.useEpochForSending(epoch);
    if (this.latest?.epoch === epoch) this.sending = this.latest;
  }
}

export interface NewEpoch {
  readonly epoch: bigint;
  readonly exporter: MlsExporter;
  readonly leafCount: number;
  readonly ownLeafIndex: number;
  /** Leaves occupied in the new epoch: removed members are not waited for. */
  readonly memberLeafIndices: readonly number[];
  /** Each member's leaf signature key (hex): tells a removal apart from a leaf reused by a joiner. */
  readonly memberSignatureKeys: readonly string[];
}

/** Describes a group state's current epoch for `EpochKeyScheduler.onNewEpoch`. */
export function newEpochFromState(env: MlsEnv, state: ClientState): NewEpoch {
  const tree = state.ratchetTree;
  const leafCount = Math.ceil((tree.length + 1) / 2);
  const memberLeafIndices: number[] = [];
  const memberSignatureKeys: string[] = [];
  for (let leaf = 0; leaf < leafCount; leaf++) {
    const node = tree[2 * leaf];
    if (node === undefined) continue;
    memberLeafIndices.push(leaf);
    if (node.nodeType === nodeTypes.leaf) {
      memberSignatureKeys.push(bytesToHex(node.leaf.signaturePublicKey));
    }
  }
  return {
    epoch: epochOf(state),
    exporter: (label, context, length) => exportSecret(env, state, label, context, length),
    leafCount,
    ownLeafIndex: leafIndexOf(state),
    memberLeafIndices,
    memberSignatureKeys,
  };
}

/**
 * 'initial' = the first epoch: there is no older key to keep sending on, so it is used at once.
 * 'removal' = the epoch removed a member: the old key is known to someone who must not read what
 * we send next, so it is dropped at once, without waiting for acks (members that have not
 * processed the commit yet miss frames until they do; that is the price of the guarantee).
 */
export type SwitchReason = 'all-acked' | 'timeout' | 'initial' | 'removal';

export interface SchedulerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface EpochKeySchedulerOptions {
  readonly targets: readonly EpochKeyTarget[];
  readonly switchTimeoutMs?: number;
  readonly timers?: SchedulerTimers;
  /** The epoch is installed here: the app sends its own ack to the other members now. */
  readonly onReadyToAck?: (epoch: bigint) => void;
  readonly onSwitched?: (epoch: bigint, reason: SwitchReason) => void;
  /** A switch fired by the timer failed (e.g. a target no longer holds the epoch). */
  readonly onError?: (error: unknown) => void;
}

export const DEFAULT_SWITCH_TIMEOUT_MS = 2000;
const MAX_EARLY_EPOCHS = 8;

interface Pending {
  readonly epoch: bigint;
  readonly ownLeafIndex: number;
  readonly waitingFor: Set<number>;
  readonly timer: unknown;
  /** When sending switches at the latest; a superseding epoch inherits it (see onNewEpoch). */
  readonly deadline: number;
}

const defaultTimers: SchedulerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export class EpochKeyScheduler {
  readonly stats = {
    installed: 0,
    superseded: 0,
    ignoredAcks: 0,
    switched: { 'all-acked': 0, timeout: 0, initial: 0, removal: 0 },
  };
  private readonly timeoutMs: number;
  private readonly timers: SchedulerTimers;
  private latestEpoch: bigint | undefined;
  private latestMembers: ReadonlySet<string> | undefined;
  private sendingEpoch: bigint | undefined;
  private pending: Pending | undefined;
  /** Acks for epochs we have not installed yet (a fast peer may ack before our commit arrives). */
  private readonly earlyAcks = new Map<bigint, Set<number>>();
  /** Installs run one at a time so the contexts always see epochs in increasing order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: EpochKeySchedulerOptions) {
    this.timeoutMs = options.switchTimeoutMs ?? DEFAULT_SWITCH_TIMEOUT_MS;
    this.timers = options.timers ?? defaultTimers;
  }

  get currentSendEpoch(): bigint | undefined {
    return this.sendingEpoch;
  }

  /** The epoch waiting for acks, if any. */
  get pendingEpoch(): bigint | undefined {
    return this.pending?.epoch;
  }

  onNewEpoch(input: NewEpoch): Promise<void> {
    const run = this.queue.then(() => this.install(input));
    this.queue = run.catch(() => {});
    return run;
  }

  acknowledge(epoch: bigint, fromLeafIndex: number): void {
    if (this.latestEpoch === undefined || epoch > this.latestEpoch) {
      // Bounded: acks for far-future epochs (or a flood of them) cannot grow memory without limit.
      if (!this.earlyAcks.has(epoch) && this.earlyAcks.size >= MAX_EARLY_EPOCHS) {
        this.stats.ignoredAcks++;
        return;
      }
      let acks = this.earlyAcks.get(epoch);
      if (!acks) this.earlyAcks.set(epoch, (acks = new Set()));
      acks.add(fromLeafIndex);
      return;
    }
    const pending = this.pending;
    // Acks for a superseded or already-used epoch, or from a non-member, change nothing.
    if (!pending || pending.epoch !== epoch || !pending.waitingFor.delete(fromLeafIndex)) {
      this.stats.ignoredAcks++;
      return;
    }
    if (pending.waitingFor.size === 0) this.switchTo(pending, 'all-acked');
  }

  dispose(): void {
    if (this.pending) this.timers.clearTimeout(this.pending.timer);
    this.pending = undefined;
    this.earlyAcks.clear();
  }

  private async install(input: NewEpoch): Promise<void> {
    if (this.latestEpoch !== undefined && input.epoch <= this.latestEpoch) {
      throw new RangeError(`epoch ${input.epoch} is not newer than ${this.latestEpoch}`);
    }
    await Promise.all(
      this.options.targets.map((target) => target.installEpoch(input.epoch, input.exporter, input.leafCount)),
    );
    this.latestEpoch = input.epoch;
    const previousMembers = this.latestMembers;
    this.latestMembers = new Set(input.memberSignatureKeys);
    const removedSomeone =
      previousMembers !== undefined && [...previousMembers].some((key) => !this.latestMembers!.has(key));
    this.stats.installed++;
    const acked = this.earlyAcks.get(input.epoch);
    for (const epoch of this.earlyAcks.keys()) if (epoch <= input.epoch) this.earlyAcks.delete(epoch);
    // A superseding epoch keeps the pending one's deadline instead of starting a new timeout: with
    // commits arriving faster than the timeout and a member that never acks, a restarted timer
    // would keep us sending on a retired key until receivers' retention drops it.
    const deadline = this.pending?.deadline ?? this.timers.now() + this.timeoutMs;
    if (this.pending) {
      // Superseded: members will ack the newest epoch, and sending skips straight to it.
      this.timers.clearTimeout(this.pending.timer);
      this.pending = undefined;
      this.stats.superseded++;
    }
    this.options.onReadyToAck?.(input.epoch);
    const waitingFor = new Set(
      input.memberLeafIndices.filter((leaf) => leaf !== input.ownLeafIndex && !acked?.has(leaf)),
    );
    const base = { epoch: input.epoch, ownLeafIndex: input.ownLeafIndex, waitingFor, deadline };
    if (this.sendingEpoch === undefined) return this.switchTo({ ...base, timer: undefined }, 'initial');
    if (removedSomeone) return this.switchTo({ ...base, timer: undefined }, 'removal');
    if (waitingFor.size === 0) return this.switchTo({ ...base, timer: undefined }, 'all-acked');
    const pending: Pending = {
      ...base,
      timer: this.timers.setTimeout(
        () => {
          if (this.pending !== pending) return;
          try {
            this.switchTo(pending, 'timeout');
          } catch (error) {
            this.options.onError?.(error);
          }
        },
        Math.max(0, deadline - this.timers.now()),
      ),
    };
    this.pending = pending;
  }

  private switchTo(pending: Pending, reason: SwitchReason): void {
    if (pending.timer !== undefined) this.timers.clearTimeout(pending.timer);
    if (this.pending === pending) this.pending = undefined;
    for (const target of this.options.targets) target.useEpochForSending(pending.epoch, pending.ownLeafIndex);
    this.sendingEpoch = pending.epoch;
    this.stats.switched[reason]++;
    this.options.onSwitched?.(pending.epoch, reason);
  }
}
