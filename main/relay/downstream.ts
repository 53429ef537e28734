// One downstream subscription: a bounded queue drained by its own pump into its own TrackWriter, one
// subgroup stream per (group, subgroup). The upstream only enqueues, never awaits, so a slow or dead
// subscriber cannot stall the others; one that falls behind skips to the newest group or is finished.
import type { Location } from '../moqt/codec/draft18/index.js';
import { PublishDoneCode, StreamResetCode } from '../moqt/codec/error-codes.js';
import type { MoqtObject, SubgroupWriter, TrackWriter } from '../moqt/session/api.js';
import type { RelayCounters } from './counters.js';
import { compareLocation } from './names.js';

export type LagPolicy = 'skip-group' | 'finish';

export interface DownstreamOptions {
  /** Objects queued for this subscriber before the lag policy applies. */
  readonly maxQueuedObjects: number;
  readonly lagPolicy: LagPolicy;
  /**
   * Groups with open subgroup streams. The session API does not tell us when an upstream subgroup
   * stream ends, so a group's streams are closed once this many newer groups have started.
   */
  readonly maxOpenGroups: number;
}

export interface DownstreamRange {
  readonly start: Location;
  /** Last group included (AbsoluteRange); open-ended when undefined. */
  readonly endGroup?: bigint;
}

interface Slot {
  readonly groupId: bigint;
  readonly writer: SubgroupWriter;
}

const MAX_REMEMBERED_CLOSED = 1024;

export class Downstream {
  private queue: MoqtObject[] = [];
  private readonly slots = new Map<string, Slot>();
  /** Subgroups already closed or failed: late objects for them are dropped, not reopened. */
  private readonly closedSubgroups = new Set<string>();
  /** Groups below this are skipped (filter start, or the group a lagging subscriber jumped to). */
  private floor: Location;
  private pumping = false;
  private finishing: { code: bigint; reason: string; abort: boolean } | undefined;
  private gone = false;

  constructor(
    private readonly writer: TrackWriter,
    private readonly range: DownstreamRange,
    private readonly options: DownstreamOptions,
    private readonly counters: RelayCounters,
    private readonly onGone: (downstream: Downstream) => void,
  ) {
    this.floor = range.start;
    writer.cancelled.then(
      () => this.disconnect(),
      () => this.disconnect(),
    );
  }

  get active(): boolean {
    return !this.gone;
  }

  get queued(): number {
    return this.queue.length;
  }

  enqueue(object: MoqtObject): void {
    if (this.gone || this.finishing) return;
    if (compareLocation({ group: object.groupId, object: object.objectId }, this.floor) < 0) return;
    if (this.range.endGroup !== undefined && object.groupId > this.range.endGroup) {
      this.finish(PublishDoneCode.SUBSCRIPTION_ENDED, 'end group reached');
      return;
    }
    if (this.queue.length >= this.options.maxQueuedObjects && !this.relieve(object)) return;
    this.queue.push(object);
    this.kick();
  }

  /** Drains what is queued, closes the subgroup streams, then sends PUBLISH_DONE. */
  finish(code: bigint, reason = ''): void {
    if (this.gone || this.finishing) return;
    this.finishing = { code, reason, abort: false };
    this.kick();
  }

  /** The subscriber went away (cancelled or its session closed): forget it without writing more. */
  disconnect(): void {
    if (this.gone) return;
    this.gone = true;
    this.counters.drops += this.queue.length;
    this.queue = [];
    this.slots.clear();
    this.onGone(this);
  }

  /** Returns false when `incoming` must not be queued (it was dropped, or the subscriber finished). */
  private relieve(incoming: MoqtObject): boolean {
    if (this.options.lagPolicy === 'finish') {
      this.counters.drops += this.queue.length + 1;
      this.counters.tooFarBehind++;
      this.queue = [];
      this.finishing = {
        code: PublishDoneCode.TOO_FAR_BEHIND,
        reason: 'subscriber too far behind',
        abort: true,
      };
      this.kick();
      return false;
    }
    let newest = incoming.groupId;
    for (const object of this.queue) if (object.groupId > newest) newest = object.groupId;
    this.skipBelow(newest);
    if (incoming.groupId < newest) {
      this.counters.drops++;
      return false;
    }
    if (this.queue.length < this.options.maxQueuedObjects) return true;
    // The newest group alone overflows the queue: give it up as well and resume at the next group.
    this.skipBelow(newest + 1n);
    this.counters.drops++;
    return false;
  }

  /** Drops queued objects and aborts open streams of groups before `group`, and ignores them from now on. */
  private skipBelow(group: bigint): void {
    const kept = this.queue.filter((object) => object.groupId >= group);
    this.counters.drops += this.queue.length - kept.length;
    this.queue = kept;
    if (group > this.floor.group) this.floor = { group, object: 0n };
    for (const [key, slot] of this.slots) {
      if (slot.groupId >= group) continue;
      this.slots.delete(key);
      this.rememberClosed(key);
      abortQuietly(slot.writer, StreamResetCode.TOO_FAR_BEHIND);
    }
  }

  private kick(): void {
    if (this.pumping || this.gone) return;
    this.pumping = true;
    void this.pump()
      .catch(() => this.disconnect()) // Unexpected failure: treat the subscriber as lost rather than stall.
      .finally(() => {
        this.pumping = false;
        if (!this.gone && (this.queue.length > 0 || this.finishing)) this.kick();
      });
  }

  private async pump(): Promise<void> {
    for (let object = this.queue.shift(); object && !this.gone; object = this.queue.shift()) {
      await this.deliver(object);
    }
    if (this.gone || !this.finishing || this.queue.length > 0) return;
    const { code, reason, abort } = this.finishing;
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const slot of slots) {
      if (abort) abortQuietly(slot.writer, StreamResetCode.TOO_FAR_BEHIND);
      else await closeQuietly(slot.writer);
    }
    if (this.gone) return;
    this.gone = true;
    try {
      this.writer.finish(code, reason);
    } catch {
      // The request stream is already gone; nothing left to tell the subscriber.
    }
    this.onGone(this);
  }

  private async deliver(object: MoqtObject): Promise<void> {
    if (compareLocation({ group: object.groupId, object: object.objectId }, this.floor) < 0) {
      this.counters.drops++;
      return;
    }
    const key = `${object.groupId}:${object.subgroupId}`;
    if (object.status === 'end-of-track') {
      await this.closeAll();
      return;
    }
    if (this.closedSubgroups.has(key)) {
      if (object.status === 'normal') this.counters.drops++;
      return;
    }
    let slot = this.slots.get(key);
    if (!slot) {
      // A status-only object for a subgroup we never opened has nothing to close.
      if (object.status !== 'normal') return;
      slot = await this.open(object, key);
      if (!slot) return;
    }
    try {
      if (object.status === 'end-of-group') {
        this.slots.delete(key);
        this.rememberClosed(key);
        await slot.writer.close({ endOfGroup: true });
        return;
      }
      await slot.writer.write(object.objectId, object.payload, object.properties);
      this.counters.objectsOut++;
      this.counters.bytesOut += object.payload.byteLength;
    } catch {
      // This subgroup stream failed (e.g. STOP_SENDING); the rest of the subscription goes on.
      this.counters.drops++;
      if (this.slots.get(key) === slot) {
        this.slots.delete(key);
        this.rememberClosed(key);
        abortQuietly(slot.writer, StreamResetCode.INTERNAL_ERROR);
      }
    }
  }

  private async open(object: MoqtObject, key: string): Promise<Slot | undefined> {
    await this.retireOldGroups(object.groupId);
    let writer: SubgroupWriter;
    try {
      writer = await this.writer.openSubgroup({
        groupId: object.groupId,
        subgroupId: object.subgroupId,
        publisherPriority: object.publisherPriority,
        // Object IDs increase within a subgroup, so a stream starting at object 0 starts with the
        // first object ever published in it (FIRST_OBJECT); otherwise we cannot tell.
        firstObject: object.objectId === 0n,
      });
    } catch {
      this.counters.drops++;
      this.rememberClosed(key);
      return undefined;
    }
    // The subscriber may have left, or skipped past this group, while the stream was opening.
    if (this.gone || object.groupId < this.floor.group) {
      abortQuietly(writer, StreamResetCode.CANCELLED);
      this.counters.drops++;
      return undefined;
    }
    const slot = { groupId: object.groupId, writer };
    this.slots.set(key, slot);
    return slot;
  }

  /** Keeps streams open for at most `maxOpenGroups` groups, counting the one about to open. */
  private async retireOldGroups(opening: bigint): Promise<void> {
    const groups = new Set<bigint>([opening]);
    for (const slot of this.slots.values()) groups.add(slot.groupId);
    if (groups.size <= this.options.maxOpenGroups) return;
    const sorted = [...groups].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const retire = new Set(sorted.slice(0, sorted.length - this.options.maxOpenGroups));
    for (const [key, slot] of this.slots) {
      if (!retire.has(slot.groupId)) continue;
      this.slots.delete(key);
      this.rememberClosed(key);
      await closeQuietly(slot.writer);
    }
  }

  private async closeAll(): Promise<void> {
    const slots = [...this.slots.entries()];
    this.slots.clear();
    for (const [key, slot] of slots) {
      this.rememberClosed(key);
      await closeQuietly(slot.writer);
    }
  }

  private rememberClosed(key: string): void {
    this.closedSubgroups.add(key);
    if (this.closedSubgroups.size > MAX_REMEMBERED_CLOSED) {
      const oldest = this.closedSubgroups.values().next();
      if (!oldest.done) this.closedSubgroups.delete(oldest.value);
    }
  }
}

function abortQuietly(writer: SubgroupWriter, code: number): void {
  try {
    writer.abort(code);
  } catch {
    // Already reset or closed.
  }
}

async function closeQuietly(writer: SubgroupWriter): Promise<void> {
  try {
    await writer.close();
  } catch {
    // Already reset by the peer; closing is best effort.
  }
}
