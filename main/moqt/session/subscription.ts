// The subscriber's side of one SUBSCRIBE: objects routed here by track alias from any number of
// subgroup streams and datagrams, buffered in a group-dropping queue, and the end of the
// subscription (PUBLISH_DONE plus its stream count, a reset, or the session closing).
import type { FullTrackName } from '../../../common/codec/track-name.js';
import { PublishDoneCode } from '../codec/error-codes.js';
import type { Location } from '../codec/draft18/index.js';
import type { MoqtObject, Subscription } from './api.js';
import { ObjectQueue } from './object-queue.js';
import { deferred } from './stream-io.js';

export interface SubscriptionEnd {
  readonly statusCode: bigint;
  readonly reason: string;
}

/** How long to wait for late data streams after PUBLISH_DONE when the stream count is not met. */
export const PUBLISH_DONE_GRACE_MS = 1000;

export class SubscriptionImpl implements Subscription {
  readonly done: Promise<SubscriptionEnd>;
  /** Resolves once no more objects will be delivered (the session then forgets the alias). */
  readonly ended: Promise<void>;
  private readonly resolveDone: (end: SubscriptionEnd) => void;
  private readonly resolveEnded: () => void;
  private readonly queue: ObjectQueue<MoqtObject>;
  private readonly streamCancels = new Set<() => void>();
  private finished = false;
  private expectedStreams: bigint | undefined;
  private streamsSeen = 0n;
  private openStreams = 0;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly requestId: bigint,
    readonly track: FullTrackName,
    readonly trackAlias: bigint,
    readonly largest: Location | undefined,
    /** Priority of objects whose subgroup header or datagram omits it (DEFAULT_PRIORITY). */
    readonly defaultPublisherPriority: number,
    capacity: number,
    private readonly onCancel: () => void,
  ) {
    const done = deferred<SubscriptionEnd>();
    this.done = done.promise;
    this.resolveDone = done.resolve;
    const ended = deferred<void>();
    this.ended = ended.promise;
    this.resolveEnded = ended.resolve;
    this.queue = new ObjectQueue<MoqtObject>(
      { kind: 'drop-oldest-group', capacity, groupOf: (object) => object.groupId },
      () => this.cancel(),
    );
  }

  /** Groups / objects dropped because the consumer fell behind. */
  get droppedGroups(): number {
    return this.queue.droppedGroups;
  }

  get droppedObjects(): number {
    return this.queue.droppedObjects;
  }

  /** True once no more objects will be delivered. */
  get isEnded(): boolean {
    return this.queue.isEnded;
  }

  [Symbol.asyncIterator](): AsyncIterator<MoqtObject> {
    return this.queue[Symbol.asyncIterator]();
  }

  cancel(): void {
    if (this.queue.isEnded && this.finished) return;
    this.settle({ statusCode: PublishDoneCode.SUBSCRIPTION_ENDED, reason: 'cancelled by the subscriber' });
    this.queue.abort();
    this.stopStreams();
    this.resolveEnded();
    this.onCancel();
  }

  deliver(object: MoqtObject): void {
    this.queue.push(object);
  }

  /**
   * A data stream for this subscription started; `cancel` sends it STOP_SENDING. Returns false
   * when the subscription already ended (the caller stops the stream itself).
   */
  streamOpened(cancel: () => void): boolean {
    if (this.queue.isEnded) return false;
    this.streamsSeen++;
    this.openStreams++;
    this.streamCancels.add(cancel);
    return true;
  }

  streamClosed(cancel: () => void): void {
    if (!this.streamCancels.delete(cancel)) return;
    this.openStreams--;
    this.checkComplete();
  }

  /** PUBLISH_DONE: iteration ends once `streamCount` streams have finished, or after a grace period. */
  publishDone(statusCode: bigint, streamCount: bigint, reason: string): void {
    this.settle({ statusCode, reason });
    this.expectedStreams = streamCount;
    if (!this.checkComplete() && !this.queue.isEnded) {
      this.graceTimer = setTimeout(() => this.end(), PUBLISH_DONE_GRACE_MS);
    }
  }

  /** The publisher reset the request stream or the session closed: deliver what we have, then end. */
  terminate(end: SubscriptionEnd): void {
    this.settle(end);
    this.end();
  }

  private checkComplete(): boolean {
    if (this.expectedStreams === undefined) return false;
    if (this.streamsSeen < this.expectedStreams || this.openStreams > 0) return false;
    this.end();
    return true;
  }

  private settle(end: SubscriptionEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveDone(end);
  }

  private end(): void {
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.queue.end();
    this.stopStreams();
    this.resolveEnded();
  }

  private stopStreams(): void {
    const cancels = [...this.streamCancels];
    this.streamCancels.clear();
    this.openStreams = 0;
    for (const cancel of cancels) cancel();
  }
}
