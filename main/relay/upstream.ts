// One upstream subscription per full track name, shared by every downstream subscriber of that track.
// Objects from the publisher go into the cache and onto each downstream's queue; the upstream is
// cancelled when its last downstream leaves, and its end (PUBLISH_DONE) is passed on unchanged.
import type { FullTrackName } from '../../common/codec/track-name.js';
import type { Location } from '../moqt/codec/draft18/index.js';
import { PublishDoneCode, RequestErrorCode } from '../moqt/codec/error-codes.js';
import { RequestRejectedError } from '../moqt/session/api.js';
import type { IncomingSubscribe, MoqtObject, MoqtSessionApi, Subscription } from '../moqt/session/api.js';
import type { RelayCounters } from './counters.js';
import { Downstream } from './downstream.js';
import type { DownstreamOptions, DownstreamRange } from './downstream.js';
import type { RelayCache } from './object-cache.js';
import { compareLocation } from './names.js';

export interface UpstreamContext {
  readonly cache: RelayCache;
  readonly counters: RelayCounters;
  readonly downstreamOptions: DownstreamOptions;
  readonly upstreamMaxBufferedObjects?: number;
  /** Called once when this upstream is over (ended, failed or cancelled) so the relay forgets it. */
  readonly onEnded: (upstream: UpstreamTrack) => void;
}

type State = 'pending' | 'live' | 'ended';

export class UpstreamTrack {
  readonly downstreams = new Set<Downstream>();
  private readonly waiting: IncomingSubscribe[] = [];
  private state: State = 'pending';
  private subscription: Subscription | undefined;

  constructor(
    readonly key: string,
    readonly track: FullTrackName,
    readonly publisher: MoqtSessionApi,
    private readonly context: UpstreamContext,
  ) {}

  get isEnded(): boolean {
    return this.state === 'ended';
  }

  start(): void {
    // Coverage claims must not span the time no upstream was running.
    this.context.cache.drop(this.key);
    this.publisher
      .subscribe(this.track, {
        // The draft suggests LargestObject upstream so downstream filters never force a re-subscribe.
        filter: { type: 'largest-object' },
        ...(this.context.upstreamMaxBufferedObjects !== undefined
          ? { maxBufferedObjects: this.context.upstreamMaxBufferedObjects }
          : {}),
      })
      .then(
        (subscription) => this.established(subscription),
        (error: unknown) => this.failed(error),
      );
  }

  /** SUBSCRIBE_OK must wait for an established upstream (§Subscriber Interactions), so early ones queue. */
  add(request: IncomingSubscribe): void {
    if (this.state === 'live') this.attach(request);
    else if (this.state === 'pending') this.waiting.push(request);
    else request.reject(RequestErrorCode.DOES_NOT_EXIST, 'track ended');
  }

  /** Relay shutdown: cancel upstream, tell every downstream. */
  shutdown(code: bigint, reason: string): void {
    if (this.state === 'ended') return;
    this.end();
    this.subscription?.cancel();
    for (const request of this.waiting.splice(0)) rejectQuietly(request, RequestErrorCode.GOING_AWAY, reason);
    for (const downstream of [...this.downstreams]) downstream.finish(code, reason);
  }

  private established(subscription: Subscription): void {
    this.subscription = subscription;
    if (this.state === 'ended') {
      subscription.cancel();
      return;
    }
    this.state = 'live';
    for (const request of this.waiting.splice(0)) this.attach(request);
    if (this.downstreams.size === 0) {
      // Everyone who asked has gone (or their accept failed) before the upstream came up.
      this.cancelUpstream();
      return;
    }
    void this.run(subscription);
  }

  private failed(error: unknown): void {
    if (this.state === 'ended') return;
    this.end();
    const code = error instanceof RequestRejectedError ? error.errorCode : RequestErrorCode.INTERNAL_ERROR;
    const reason = error instanceof Error ? error.message : 'upstream subscribe failed';
    for (const request of this.waiting.splice(0)) rejectQuietly(request, code, reason);
  }

  private attach(request: IncomingSubscribe): void {
    const cache = this.context.cache.get(this.key);
    const largest = newest(cache?.largest, this.subscription?.largest);
    const { range, backlog } = this.plan(request, largest);
    let writer;
    try {
      writer = request.accept(largest ? { largest } : {});
    } catch {
      return; // The subscriber's request stream is already gone.
    }
    const downstream = new Downstream(
      writer,
      range,
      this.context.downstreamOptions,
      this.context.counters,
      (gone) => this.detach(gone),
    );
    if (!downstream.active) return;
    this.downstreams.add(downstream);
    for (const object of backlog) downstream.enqueue(object);
  }

  /**
   * Where a new downstream starts and what the cache can give it right away. LargestObject starts at
   * the current group's first cached object, so a video viewer gets a keyframe instead of waiting a GOP.
   */
  private plan(
    request: IncomingSubscribe,
    largest: Location | undefined,
  ): { range: DownstreamRange; backlog: readonly MoqtObject[] } {
    const cache = this.context.cache.get(this.key);
    const filter = request.filter;
    switch (filter.type) {
      case 'largest-object': {
        const current = largest ? (cache?.objectsOf(largest.group) ?? []) : [];
        const first = current[0];
        if (first)
          return { range: { start: { group: first.groupId, object: first.objectId } }, backlog: current };
        return {
          range: { start: largest ? { group: largest.group, object: largest.object + 1n } : ZERO },
          backlog: [],
        };
      }
      case 'next-group-start':
        return { range: { start: largest ? { group: largest.group + 1n, object: 0n } : ZERO }, backlog: [] };
      case 'absolute-start':
      case 'absolute-range': {
        const endGroup =
          filter.type === 'absolute-range' ? filter.start.group + filter.endGroupDelta : undefined;
        const end = { group: endGroup ?? largest?.group ?? filter.start.group, object: 0n };
        const backlog = cache && largest ? cache.objectsInRange(filter.start, end) : [];
        return { range: { start: filter.start, ...(endGroup !== undefined ? { endGroup } : {}) }, backlog };
      }
    }
  }

  private detach(downstream: Downstream): void {
    this.downstreams.delete(downstream);
    if (this.downstreams.size === 0 && this.waiting.length === 0 && this.state === 'live')
      this.cancelUpstream();
  }

  private cancelUpstream(): void {
    this.end();
    try {
      this.subscription?.cancel();
    } catch {
      // Its session may already be closed.
    }
  }

  private end(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.context.onEnded(this);
  }

  private async run(subscription: Subscription): Promise<void> {
    const { cache, counters } = this.context;
    try {
      for await (const object of subscription) {
        counters.objectsIn++;
        counters.bytesIn += object.payload.byteLength;
        if (this.isEnded) break;
        cache.add(this.key, object);
        for (const downstream of this.downstreams) downstream.enqueue(object);
      }
    } catch {
      // The upstream stream failed; `done` says how it ended.
    }
    if (this.isEnded) return; // We cancelled it ourselves.
    let status: { readonly statusCode: bigint; readonly reason: string };
    try {
      status = await subscription.done;
    } catch {
      status = { statusCode: PublishDoneCode.INTERNAL_ERROR, reason: 'upstream failed' };
    }
    if (this.isEnded) return;
    this.end();
    for (const downstream of [...this.downstreams]) downstream.finish(status.statusCode, status.reason);
  }
}

const ZERO: Location = { group: 0n, object: 0n };

function newest(a: Location | undefined, b: Location | undefined): Location | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareLocation(a, b) >= 0 ? a : b;
}

function rejectQuietly(request: IncomingSubscribe, code: bigint, reason: string): void {
  try {
    request.reject(code, reason);
  } catch {
    // Its stream is already gone.
  }
}
