// In-process stand-in for a peer's MoQT session, for the relay unit tests only: it implements
// MoqtSessionApi (the relay subscribes upstream through it) and builds the Incoming* request objects
// a real session would hand to the relay's RequestHandler, recording everything the relay does.
import type { FullTrackName, TrackNamespace } from '../../../common/codec/track-name.js';
import type { AuthToken, Location, SubscriptionFilter } from '../../../main/moqt/codec/draft18/index.js';
import { PublishDoneCode, RequestErrorCode } from '../../../main/moqt/codec/error-codes.js';
import { RequestRejectedError } from '../../../main/moqt/session/api.js';
import type {
  FetchOptions,
  FetchResult,
  FetchWriter,
  IncomingFetch,
  IncomingPublishNamespace,
  IncomingSubscribe,
  IncomingSubscribeNamespace,
  MoqtObject,
  MoqtSessionApi,
  NamespaceAnnouncer,
  NamespaceEvent,
  NamespacePublication,
  NamespaceSubscription,
  PeerSetup,
  RequestHandler,
  SessionCloseInfo,
  SubgroupWriter,
  SubscribeOptions,
  Subscription,
  TrackWriter,
} from '../../../main/moqt/session/api.js';
import type { KeyValuePair } from '../../../common/codec/key-value-pairs.js';

const decoder = new TextDecoder();
export const text = (bytes: Uint8Array): string => decoder.decode(bytes);
export const nsText = (namespace: TrackNamespace): string => namespace.map(text).join('/');
export const trackText = (track: FullTrackName): string => `${nsText(track.namespace)}:${text(track.name)}`;

/** Lets every pending promise chain and setImmediate hop run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter({ value: item, done: false });
    } else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
    };
  }
}

export function obj(
  groupId: number,
  objectId: number,
  payload: string | Uint8Array = `g${groupId}o${objectId}`,
  extra: Partial<MoqtObject> = {},
): MoqtObject {
  return {
    groupId: BigInt(groupId),
    subgroupId: 0n,
    objectId: BigInt(objectId),
    publisherPriority: 128,
    status: 'normal',
    properties: [],
    payload: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload,
    ...extra,
  };
}

// ---- the upstream side: the relay subscribes to a FakeSession acting as publisher ----

export class FakeSubscription implements Subscription {
  readonly trackAlias: bigint;
  cancelled = false;
  private readonly queue = new AsyncQueue<MoqtObject>();
  private readonly doneSignal = deferred<{ statusCode: bigint; reason: string }>();
  readonly done = this.doneSignal.promise;

  constructor(
    readonly requestId: bigint,
    readonly track: FullTrackName,
    readonly options: SubscribeOptions | undefined,
    readonly largest?: Location,
  ) {
    this.trackAlias = requestId;
  }

  push(object: MoqtObject): void {
    if (!this.cancelled) this.queue.push(object);
  }

  end(statusCode: bigint, reason = ''): void {
    this.queue.end();
    this.doneSignal.resolve({ statusCode, reason });
  }

  cancel(): void {
    this.cancelled = true;
    this.queue.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<MoqtObject> {
    return this.queue[Symbol.asyncIterator]();
  }
}

// ---- the downstream side: what the relay writes back to a subscriber ----

export interface WrittenObject {
  readonly groupId: bigint;
  readonly subgroupId: bigint;
  readonly objectId: bigint;
  readonly payload: string;
  readonly properties: readonly KeyValuePair[];
}

export class FakeSubgroupWriter implements SubgroupWriter {
  readonly objects: WrittenObject[] = [];
  closed: { endOfGroup: boolean } | undefined;
  abortedWith: number | undefined;

  constructor(
    private readonly owner: FakeTrackWriter,
    readonly groupId: bigint,
    readonly subgroupId: bigint,
    readonly publisherPriority: number | undefined,
  ) {}

  async write(
    objectId: bigint,
    payload: Uint8Array,
    properties: readonly KeyValuePair[] = [],
  ): Promise<void> {
    await this.owner.gate();
    if (this.abortedWith !== undefined) throw new Error('stream reset');
    if (this.owner.isCancelled) return;
    const written = {
      groupId: this.groupId,
      subgroupId: this.subgroupId,
      objectId,
      payload: text(payload),
      properties,
    };
    this.objects.push(written);
    this.owner.objects.push(written);
  }

  async close(options: { endOfGroup?: boolean } = {}): Promise<void> {
    this.closed = { endOfGroup: options.endOfGroup ?? false };
  }

  abort(code = 0): void {
    this.abortedWith ??= code;
  }
}

export class FakeTrackWriter implements TrackWriter {
  readonly subgroups: FakeSubgroupWriter[] = [];
  /** Every object in the order the relay wrote it. */
  readonly objects: WrittenObject[] = [];
  finished: { statusCode: bigint; reason: string } | undefined;
  isCancelled = false;
  private readonly cancelSignal = deferred<void>();
  readonly cancelled = this.cancelSignal.promise;
  private paused: { promise: Promise<void>; resolve: (value: void) => void } | undefined;

  constructor(readonly trackAlias: bigint) {}

  async openSubgroup(options: {
    groupId: bigint;
    subgroupId?: bigint;
    publisherPriority?: number;
  }): Promise<SubgroupWriter> {
    if (this.isCancelled) throw new Error('subscription cancelled');
    const writer = new FakeSubgroupWriter(
      this,
      options.groupId,
      options.subgroupId ?? 0n,
      options.publisherPriority,
    );
    this.subgroups.push(writer);
    return writer;
  }

  finish(statusCode: bigint, reason = ''): void {
    this.finished ??= { statusCode, reason };
  }

  /** The subscriber cancels (or its session goes away). */
  cancel(): void {
    this.isCancelled = true;
    this.cancelSignal.resolve();
    this.resume();
  }

  /** Makes writes hang, like a subscriber whose flow-control window is closed. */
  pause(): void {
    this.paused ??= deferred<void>();
  }

  resume(): void {
    const paused = this.paused;
    this.paused = undefined;
    paused?.resolve();
  }

  async gate(): Promise<void> {
    while (this.paused) await this.paused.promise;
  }

  get payloads(): string[] {
    return this.objects.map((o) => o.payload);
  }
}

export class FakeFetchWriter implements FetchWriter {
  readonly objects: MoqtObject[] = [];
  closed = false;
  async write(object: MoqtObject): Promise<void> {
    this.objects.push(object);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  get payloads(): string[] {
    return this.objects.map((o) => text(o.payload));
  }
}

export class FakeAnnouncer implements NamespaceAnnouncer {
  readonly events: string[] = [];
  private readonly cancelSignal = deferred<void>();
  readonly cancelled = this.cancelSignal.promise;
  announce(suffix: TrackNamespace): void {
    this.events.push(`+${nsText(suffix)}`);
  }
  withdraw(suffix: TrackNamespace): void {
    this.events.push(`-${nsText(suffix)}`);
  }
  cancel(): void {
    this.cancelSignal.resolve();
  }
}

type Outcome =
  | { readonly type: 'accepted' }
  | { readonly type: 'rejected'; readonly code: bigint; readonly reason: string };

abstract class FakeRequest {
  outcome: Outcome | undefined;
  private readonly settled = deferred<Outcome>();
  /** Resolves on accept or reject. */
  readonly result = this.settled.promise;

  constructor(
    readonly requestId: bigint,
    readonly session: FakeSession,
    readonly authorizationTokens: readonly AuthToken[],
  ) {}

  reject(errorCode: bigint, reason: string): void {
    this.settle({ type: 'rejected', code: errorCode, reason });
  }

  protected settle(outcome: Outcome): void {
    if (this.outcome) throw new Error(`request ${this.requestId} answered twice`);
    this.outcome = outcome;
    this.settled.resolve(outcome);
  }

  get rejectedWith(): bigint | undefined {
    return this.outcome?.type === 'rejected' ? this.outcome.code : undefined;
  }
}

export class FakeIncomingSubscribe extends FakeRequest implements IncomingSubscribe {
  writer: FakeTrackWriter | undefined;
  acceptedLargest: Location | undefined;
  constructor(
    requestId: bigint,
    session: FakeSession,
    tokens: readonly AuthToken[],
    readonly track: FullTrackName,
    readonly filter: SubscriptionFilter,
  ) {
    super(requestId, session, tokens);
  }
  readonly subscriberPriority = 128;
  accept(options: { largest?: Location } = {}): TrackWriter {
    this.settle({ type: 'accepted' });
    this.acceptedLargest = options.largest;
    this.writer = new FakeTrackWriter(this.requestId);
    this.session.writers.push(this.writer);
    return this.writer;
  }
}

export class FakeIncomingFetch extends FakeRequest implements IncomingFetch {
  writer: FakeFetchWriter | undefined;
  accepted: { endOfTrack: boolean; endLocation: Location } | undefined;
  constructor(
    requestId: bigint,
    session: FakeSession,
    tokens: readonly AuthToken[],
    readonly track: FullTrackName,
    readonly start: Location,
    readonly end: Location,
  ) {
    super(requestId, session, tokens);
  }
  async accept(options: { endOfTrack: boolean; endLocation: Location }): Promise<FetchWriter> {
    this.settle({ type: 'accepted' });
    this.accepted = options;
    this.writer = new FakeFetchWriter();
    return this.writer;
  }
}

export class FakeIncomingSubscribeNamespace extends FakeRequest implements IncomingSubscribeNamespace {
  announcer: FakeAnnouncer | undefined;
  constructor(
    requestId: bigint,
    session: FakeSession,
    tokens: readonly AuthToken[],
    readonly prefix: TrackNamespace,
  ) {
    super(requestId, session, tokens);
  }
  accept(): NamespaceAnnouncer {
    this.settle({ type: 'accepted' });
    this.announcer = new FakeAnnouncer();
    this.session.announcers.push(this.announcer);
    return this.announcer;
  }
}

export class FakeIncomingPublishNamespace extends FakeRequest implements IncomingPublishNamespace {
  private readonly withdrawSignal = deferred<void>();
  readonly withdrawn = this.withdrawSignal.promise;
  constructor(
    requestId: bigint,
    session: FakeSession,
    tokens: readonly AuthToken[],
    readonly namespace: TrackNamespace,
  ) {
    super(requestId, session, tokens);
    session.publications.push(this);
  }
  accept(): void {
    this.settle({ type: 'accepted' });
  }
  withdraw(): void {
    this.withdrawSignal.resolve();
  }
}

export interface FakeSessionOptions {
  readonly peer?: PeerSetup;
  /** Answers the relay's upstream SUBSCRIBE with REQUEST_ERROR instead of SUBSCRIBE_OK. */
  readonly rejectSubscribe?: { code: bigint; reason: string };
  readonly largest?: Location;
  /** What the relay's upstream FETCH gets; without it, FETCH is answered NOT_SUPPORTED. */
  readonly fetchAnswer?: { objects: MoqtObject[]; endOfTrack: boolean; endLocation: Location };
}

/** A peer session as the relay sees it; also the factory for the requests that peer sends. */
export class FakeSession implements MoqtSessionApi {
  readonly role = 'server' as const;
  readonly peer: PeerSetup;
  /** Upstream subscriptions the relay opened towards this (publisher) session. */
  readonly subscriptions: FakeSubscription[] = [];
  readonly writers: FakeTrackWriter[] = [];
  readonly announcers: FakeAnnouncer[] = [];
  readonly publications: FakeIncomingPublishNamespace[] = [];
  private readonly closeSignal = deferred<SessionCloseInfo>();
  readonly closed = this.closeSignal.promise;
  private nextRequestId = 0n;

  constructor(
    readonly handler: RequestHandler,
    private readonly options: FakeSessionOptions = {},
  ) {
    this.peer = options.peer ?? {};
  }

  close(code = 0, reason = ''): void {
    for (const writer of this.writers) writer.cancel();
    for (const announcer of this.announcers) announcer.cancel();
    for (const publication of this.publications) publication.withdraw();
    for (const subscription of this.subscriptions)
      subscription.end(PublishDoneCode.GOING_AWAY, 'session closed');
    this.closeSignal.resolve({ code, reason, local: true });
  }

  async goaway(): Promise<void> {}

  async subscribe(track: FullTrackName, options?: SubscribeOptions): Promise<Subscription> {
    await Promise.resolve();
    if (this.options.rejectSubscribe) {
      throw new RequestRejectedError(this.options.rejectSubscribe.code, this.options.rejectSubscribe.reason);
    }
    const subscription = new FakeSubscription(this.nextId(), track, options, this.options.largest);
    this.subscriptions.push(subscription);
    return subscription;
  }

  /** Upstream FETCHes the relay sent to this session. */
  readonly fetches: { track: FullTrackName; options: FetchOptions }[] = [];

  async fetch(track: FullTrackName, options: FetchOptions): Promise<FetchResult> {
    this.fetches.push({ track, options });
    const answer = this.options.fetchAnswer;
    if (!answer) throw new RequestRejectedError(RequestErrorCode.NOT_SUPPORTED, 'fake');
    const queue = new AsyncQueue<MoqtObject>();
    for (const object of answer.objects) queue.push(object);
    queue.end();
    return {
      requestId: this.nextId(),
      endOfTrack: answer.endOfTrack,
      endLocation: answer.endLocation,
      cancel: () => queue.end(),
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
    };
  }

  async subscribeNamespace(): Promise<NamespaceSubscription & AsyncIterable<NamespaceEvent>> {
    throw new RequestRejectedError(RequestErrorCode.NOT_SUPPORTED, 'fake');
  }

  async publishNamespace(): Promise<NamespacePublication> {
    throw new RequestRejectedError(RequestErrorCode.NOT_SUPPORTED, 'fake');
  }

  /** Live (not cancelled) upstream subscriptions for `track`. */
  live(track: FullTrackName): FakeSubscription[] {
    return this.subscriptions.filter((s) => !s.cancelled && trackText(s.track) === trackText(track));
  }

  /** Publishes one object on every live upstream subscription of `track`. */
  send(track: FullTrackName, object: MoqtObject): void {
    for (const subscription of this.live(track)) subscription.push(object);
  }

  // ---- requests this peer sends to the relay ----

  announce(namespace: TrackNamespace, tokens: readonly AuthToken[] = []): FakeIncomingPublishNamespace {
    const request = new FakeIncomingPublishNamespace(this.nextId(), this, tokens, namespace);
    this.handler.onPublishNamespace?.(request);
    return request;
  }

  requestSubscribe(
    track: FullTrackName,
    filter: SubscriptionFilter = { type: 'largest-object' },
    tokens: readonly AuthToken[] = [],
  ): FakeIncomingSubscribe {
    const request = new FakeIncomingSubscribe(this.nextId(), this, tokens, track, filter);
    this.handler.onSubscribe?.(request);
    return request;
  }

  requestFetch(
    track: FullTrackName,
    start: Location,
    end: Location,
    tokens: readonly AuthToken[] = [],
  ): FakeIncomingFetch {
    const request = new FakeIncomingFetch(this.nextId(), this, tokens, track, start, end);
    this.handler.onFetch?.(request);
    return request;
  }

  requestSubscribeNamespace(
    prefix: TrackNamespace,
    tokens: readonly AuthToken[] = [],
  ): FakeIncomingSubscribeNamespace {
    const request = new FakeIncomingSubscribeNamespace(this.nextId(), this, tokens, prefix);
    this.handler.onSubscribeNamespace?.(request);
    return request;
  }

  private nextId(): bigint {
    const id = this.nextRequestId;
    this.nextRequestId += 2n;
    return id;
  }
}

export const loc = (group: number, object: number): Location => ({
  group: BigInt(group),
  object: BigInt(object),
});
