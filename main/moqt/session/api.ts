// The MoQT session contract: what the session layer (session.ts) offers to the relay, the
// coordination service, the MLS group manager and the media pipeline. Written first so that the
// session and the relay could be built in parallel; change it only together with both.
import type { KeyValuePair } from '../../../common/codec/key-value-pairs.js';
import type { FullTrackName, TrackNamespace } from '../../../common/codec/track-name.js';
import type { AuthToken, GroupOrder, Location, SubscriptionFilter } from '../codec/draft18/index.js';

/**
 * The W3C WebTransport shape (the subset MoQT needs). Our raw-QUIC adapter (main/quic/) and a
 * browser's WebTransport both satisfy it, and so does @moq/net's expectation of a transport, which
 * lets an independent implementation run over our QUIC stack in interop tests.
 */
export interface WebTransportBidiStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

export interface WebTransportCloseInfo {
  readonly closeCode?: number;
  readonly reason?: string;
}

export interface WebTransportLike {
  readonly ready: Promise<void>;
  readonly closed: Promise<WebTransportCloseInfo>;
  /** The negotiated ALPN, e.g. 'moqt-18'. */
  readonly protocol?: string;
  close(info?: WebTransportCloseInfo): void;
  createBidirectionalStream(): Promise<WebTransportBidiStream>;
  createUnidirectionalStream(): Promise<WritableStream<Uint8Array>>;
  readonly incomingBidirectionalStreams: ReadableStream<WebTransportBidiStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  readonly datagrams: {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
  };
}

// ---- objects ----

export type ObjectStatusName = 'normal' | 'end-of-group' | 'end-of-track';

export interface MoqtObject {
  readonly groupId: bigint;
  readonly subgroupId: bigint;
  readonly objectId: bigint;
  readonly publisherPriority: number;
  readonly status: ObjectStatusName;
  /** Object properties (extension headers), including Immutable Properties. */
  readonly properties: readonly KeyValuePair[];
  readonly payload: Uint8Array;
}

// ---- session ----

export interface SessionOptions {
  readonly role: 'client' | 'server';
  /** Client only: SETUP PATH and AUTHORITY options (raw QUIC). */
  readonly path?: string;
  readonly authority?: string;
  /** SETUP AUTHORIZATION TOKEN. */
  readonly authorizationToken?: Uint8Array;
  /** Sent as MOQT_IMPLEMENTATION. */
  readonly implementation?: string;
  /** Close with CONTROL_MESSAGE_TIMEOUT if the peer's SETUP has not arrived by then. Default 10 s. */
  readonly setupTimeoutMs?: number;
  /** Handles requests the peer opens towards us (we act as publisher / relay). */
  readonly handler?: RequestHandler;
}

export interface PeerSetup {
  readonly path?: string;
  readonly authority?: string;
  readonly implementation?: string;
  readonly authorizationToken?: Uint8Array;
}

export interface SessionCloseInfo {
  readonly code: number;
  readonly reason: string;
  /** True when we closed it. */
  readonly local: boolean;
}

export interface SubscribeOptions {
  readonly subscriberPriority?: number;
  readonly groupOrder?: GroupOrder;
  /** Default: largest-object (start with the next object), as most live players want. */
  readonly filter?: SubscriptionFilter;
  readonly authorizationToken?: Uint8Array;
  /** Bound on objects buffered while the consumer is slow; beyond it, whole groups are dropped. */
  readonly maxBufferedObjects?: number;
}

export interface FetchOptions {
  readonly start: Location;
  /** End of the range, as FETCH carries it (see draft-18 §FETCH for inclusivity). */
  readonly end: Location;
  readonly subscriberPriority?: number;
  readonly groupOrder?: GroupOrder;
  readonly authorizationToken?: Uint8Array;
}

/** An active subscription: objects arrive in order per subgroup, groups may interleave. */
export interface Subscription extends AsyncIterable<MoqtObject> {
  readonly requestId: bigint;
  readonly track: FullTrackName;
  readonly trackAlias: bigint;
  /** From SUBSCRIBE_OK's LARGEST_OBJECT parameter, when the publisher has published before. */
  readonly largest?: Location;
  /** Resolves when the publisher ends it (PUBLISH_DONE) or the session closes. */
  readonly done: Promise<{ readonly statusCode: bigint; readonly reason: string }>;
  /** Cancels (resets the request stream); iteration ends. */
  cancel(): void;
}

export interface FetchResult extends AsyncIterable<MoqtObject> {
  readonly requestId: bigint;
  readonly endOfTrack: boolean;
  readonly endLocation: Location;
  cancel(): void;
}

export type NamespaceEvent =
  | { readonly type: 'namespace'; readonly suffix: TrackNamespace }
  | { readonly type: 'namespace-done'; readonly suffix: TrackNamespace };

export interface NamespaceSubscription extends AsyncIterable<NamespaceEvent> {
  readonly requestId: bigint;
  readonly prefix: TrackNamespace;
  cancel(): void;
}

export interface NamespacePublication {
  readonly requestId: bigint;
  readonly namespace: TrackNamespace;
  /** Withdraws the namespace (closes the request stream). */
  withdraw(): void;
}

/** Thrown by subscribe/fetch/publishNamespace/subscribeNamespace when the peer answers REQUEST_ERROR. */
export class RequestRejectedError extends Error {
  override readonly name = 'RequestRejectedError';
  constructor(
    readonly errorCode: bigint,
    readonly reason: string,
  ) {
    super(`request rejected (code ${errorCode}): ${reason}`);
  }
}

/** A GOAWAY the peer sent on its control stream. */
export interface GoawayInfo {
  /** Where to reconnect; empty = the current URI. */
  readonly newSessionUri: string;
  /** How long the peer waits before closing; 0 = no specific timeout. */
  readonly timeoutMs: number;
  /** The smallest of our request IDs the peer did not (or might not) process. */
  readonly requestId?: bigint;
}

export interface MoqtSessionApi {
  readonly role: 'client' | 'server';
  readonly peer: PeerSetup;
  readonly closed: Promise<SessionCloseInfo>;
  /** Resolves when the peer sends GOAWAY (never, if it does not). New requests are then refused. */
  readonly goawayReceived?: Promise<GoawayInfo>;
  close(code?: number, reason?: string): void;
  /** Sends GOAWAY on the SETUP (control) stream. */
  goaway(newSessionUri?: string, timeoutMs?: number): Promise<void>;

  subscribe(track: FullTrackName, options?: SubscribeOptions): Promise<Subscription>;
  fetch(track: FullTrackName, options: FetchOptions): Promise<FetchResult>;
  subscribeNamespace(
    prefix: TrackNamespace,
    options?: { authorizationToken?: Uint8Array },
  ): Promise<NamespaceSubscription>;
  publishNamespace(
    namespace: TrackNamespace,
    options?: { authorizationToken?: Uint8Array },
  ): Promise<NamespacePublication>;
}

// ---- requests from the peer (we publish) ----

export interface IncomingRequestBase {
  readonly requestId: bigint;
  readonly session: MoqtSessionApi;
  /** Authorization tokens the request carried (already decoded). */
  readonly authorizationTokens: readonly AuthToken[];
  reject(errorCode: bigint, reason: string): void;
}

export interface IncomingSubscribe extends IncomingRequestBase {
  readonly track: FullTrackName;
  readonly filter: SubscriptionFilter;
  readonly subscriberPriority: number;
  readonly groupOrder?: GroupOrder;
  /** Accepts with SUBSCRIBE_OK; `largest` is the newest object published so far, if any. */
  accept(options?: { largest?: Location; trackProperties?: readonly KeyValuePair[] }): TrackWriter;
}

export interface IncomingFetch extends IncomingRequestBase {
  readonly track: FullTrackName;
  readonly start: Location;
  readonly end: Location;
  /** Accepts with FETCH_OK and opens the fetch data stream. */
  accept(options: { endOfTrack: boolean; endLocation: Location }): Promise<FetchWriter>;
}

export interface IncomingSubscribeNamespace extends IncomingRequestBase {
  readonly prefix: TrackNamespace;
  /** Accepts with REQUEST_OK; the writer sends NAMESPACE / NAMESPACE_DONE with suffixes. */
  accept(): NamespaceAnnouncer;
}

export interface IncomingPublishNamespace extends IncomingRequestBase {
  readonly namespace: TrackNamespace;
  accept(): void;
  /** Resolves when the publisher withdraws it or the session closes. */
  readonly withdrawn: Promise<void>;
}

export interface RequestHandler {
  onSubscribe?(request: IncomingSubscribe): void;
  onFetch?(request: IncomingFetch): void;
  onSubscribeNamespace?(request: IncomingSubscribeNamespace): void;
  onPublishNamespace?(request: IncomingPublishNamespace): void;
}
// A request with no handler method is answered REQUEST_ERROR NOT_SUPPORTED.

/** Publishes objects for one accepted subscription. */
export interface TrackWriter {
  readonly trackAlias: bigint;
  /**
   * Opens a subgroup stream (SUBGROUP_HEADER) for one group. `firstObject` (default true) sets
   * FIRST_OBJECT: the stream starts with the first object ever published in the subgroup, which
   * an Original Publisher opening a new subgroup MUST claim; a relay passes false unless it knows.
   */
  openSubgroup(options: {
    groupId: bigint;
    subgroupId?: bigint;
    publisherPriority?: number;
    firstObject?: boolean;
  }): Promise<SubgroupWriter>;
  /** Ends the subscription with PUBLISH_DONE. */
  finish(statusCode: bigint, reason?: string): void;
  /** Resolves when the subscriber cancels or the session closes; writes after that are dropped. */
  readonly cancelled: Promise<void>;
}

export interface SubgroupWriter {
  /** Writes one object; object IDs must increase within the subgroup. Waits on stream backpressure. */
  write(objectId: bigint, payload: Uint8Array, properties?: readonly KeyValuePair[]): Promise<void>;
  /** Ends the subgroup stream normally (FIN); `endOfGroup` marks the group complete. */
  close(options?: { endOfGroup?: boolean }): Promise<void>;
  /** Resets the stream (e.g. the group is too old to finish). */
  abort(code?: number): void;
}

export interface FetchWriter {
  write(object: MoqtObject): Promise<void>;
  close(): Promise<void>;
}

export interface NamespaceAnnouncer {
  announce(suffix: TrackNamespace): void;
  withdraw(suffix: TrackNamespace): void;
  /** Resolves when the subscriber cancels or the session closes. */
  readonly cancelled: Promise<void>;
}
