// MoqtSession: one draft-18 MoQT session over a WebTransport-shaped transport, in either role.
// It owns the SETUP (control) streams, request IDs, track aliases and teardown; the request,
// subscription, writer and data-stream modules do the per-request work.
import type { FullTrackName, TrackNamespace } from '../../../common/codec/track-name.js';
import {
  PublishDoneCode,
  RequestErrorCode,
  SessionErrorCode,
  StreamResetCode,
} from '../codec/error-codes.js';
import { MoqtDecodeError } from '../codec/errors.js';
import { DRAFT18_ALPN, Draft18, readTrackProperties } from '../codec/draft18/index.js';
import type { ControlMessage, GoawayMessage } from '../codec/draft18/index.js';
import { RequestRejectedError } from './api.js';
import type {
  FetchOptions,
  FetchResult,
  GoawayInfo,
  MoqtSessionApi,
  NamespacePublication,
  NamespaceSubscription,
  PeerSetup,
  RequestHandler,
  SessionCloseInfo,
  SessionOptions,
  SubscribeOptions,
  Subscription,
  WebTransportBidiStream,
  WebTransportLike,
} from './api.js';
import { datagramObject, handleUniStream } from './data-streams.js';
import type { DataPlaneHost } from './data-streams.js';
import { SessionClosedError, SessionProtocolError, violation } from './errors.js';
import { FetchResultImpl } from './fetch.js';
import { handleIncomingRequest } from './incoming.js';
import type { IncomingHost } from './incoming.js';
import { NamespacePublicationImpl, NamespaceSubscriptionImpl } from './namespace.js';
import { RequestStream } from './request-stream.js';
import type { RequestEvent } from './request-stream.js';
import { ourSetupOptions, peerSetupFrom, tokensParameter } from './setup.js';
import { deferred, ignore } from './stream-io.js';
import { SubscriptionImpl } from './subscription.js';

const DEFAULT_SETUP_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BUFFERED_OBJECTS = 1024;
/** How long a data stream or datagram for an unknown track alias waits for SUBSCRIBE_OK. */
const ALIAS_WAIT_MS = 1000;
const MAX_STREAMS_AWAITING_ALIAS = 64;
const MAX_DATAGRAMS_AWAITING_ALIAS = 64;
/** Finished aliases remembered so their late streams are dropped without waiting. */
const MAX_RETIRED_ALIASES = 4096;

interface AliasWaiter {
  readonly resolve: (subscription: SubscriptionImpl | undefined) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class MoqtSession implements MoqtSessionApi, DataPlaneHost, IncomingHost {
  readonly role: 'client' | 'server';
  readonly closed: Promise<SessionCloseInfo>;
  readonly goawayReceived: Promise<GoawayInfo>;
  readonly closedSignal: Promise<void>;
  readonly setupSignal: Promise<void>;
  readonly handler: RequestHandler | undefined;
  peer: PeerSetup = {};

  private closeInfo: SessionCloseInfo | undefined;
  private readonly resolveClosed: (info: SessionCloseInfo) => void;
  private readonly resolveGoaway: (info: GoawayInfo) => void;
  private readonly resolveSetup: () => void;
  private setupDone = false;
  private setupTimer: ReturnType<typeof setTimeout> | undefined;
  private controlWriter: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private readonly controlWriterReady: Promise<WritableStreamDefaultWriter<Uint8Array> | undefined>;
  private controlStreamSeen = false;
  private nextRequestId: bigint;
  private readonly peerRequestIds = new Set<bigint>();
  private goawaySent = false;
  private goawayFromPeer: GoawayInfo | undefined;
  private nextTrackAlias = 0n;
  private readonly subscriptions = new Map<bigint, SubscriptionImpl>();
  private readonly retiredAliases = new Set<bigint>();
  private readonly aliasWaiters = new Map<bigint, AliasWaiter[]>();
  private waitingStreams = 0;
  private datagramBacklog: { alias: bigint; at: number; bytes: Uint8Array }[] = [];
  private readonly fetches = new Map<bigint, FetchResultImpl>();
  private readonly cancelledFetches = new Set<bigint>();
  private readonly pendingRequests = new Set<(error: Error) => void>();

  private constructor(
    readonly transport: WebTransportLike,
    private readonly options: SessionOptions,
  ) {
    this.role = options.role;
    this.handler = options.handler;
    this.nextRequestId = options.role === 'client' ? 0n : 1n;
    const closed = deferred<SessionCloseInfo>();
    this.closed = closed.promise;
    this.resolveClosed = closed.resolve;
    this.closedSignal = closed.promise.then(() => undefined);
    const goaway = deferred<GoawayInfo>();
    this.goawayReceived = goaway.promise;
    this.resolveGoaway = goaway.resolve;
    const setup = deferred<void>();
    this.resolveSetup = setup.resolve;
    this.setupSignal = Promise.race([setup.promise, this.closedSignal]);
    this.controlWriterReady = this.openControlStream(ourSetupOptions(options));
  }

  /** Connects the SETUP exchange; resolves once the peer's SETUP arrived. */
  static async establish(transport: WebTransportLike, options: SessionOptions): Promise<MoqtSession> {
    if (transport.protocol !== undefined && transport.protocol !== DRAFT18_ALPN) {
      const reason = `negotiated ALPN ${transport.protocol} is not ${DRAFT18_ALPN}`;
      transport.close({ closeCode: SessionErrorCode.VERSION_NEGOTIATION_FAILED, reason });
      throw new SessionClosedError(SessionErrorCode.VERSION_NEGOTIATION_FAILED, reason);
    }
    ourSetupOptions(options); // validate before touching the transport further
    await transport.ready;
    const session = new MoqtSession(transport, options);
    session.start();
    await session.setupSignal;
    if (session.closeInfo) throw new SessionClosedError(session.closeInfo.code, session.closeInfo.reason);
    return session;
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined;
  }

  /** True once we sent GOAWAY: new requests from the peer are refused with GOING_AWAY. */
  get goingAway(): boolean {
    return this.goawaySent;
  }

  get session(): MoqtSessionApi {
    return this;
  }

  private start(): void {
    const timeout = this.options.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
    this.setupTimer = setTimeout(() => {
      this.close(SessionErrorCode.CONTROL_MESSAGE_TIMEOUT, `no SETUP from the peer within ${timeout} ms`);
    }, timeout);
    this.transport.closed.then(
      (info) => this.teardown({ code: info.closeCode ?? 0, reason: info.reason ?? '', local: false }),
      (error: unknown) =>
        this.teardown({ code: SessionErrorCode.INTERNAL_ERROR, reason: describe(error), local: false }),
    );
    ignore(this.acceptUniStreams().catch((error: unknown) => this.fail(error)));
    ignore(this.acceptBidiStreams().catch((error: unknown) => this.fail(error)));
    ignore(this.readDatagrams().catch((error: unknown) => this.fail(error)));
  }

  // ---- teardown ----

  close(code: number = SessionErrorCode.NO_ERROR, reason = ''): void {
    if (this.closeInfo) return;
    this.teardown({ code, reason, local: true });
    try {
      this.transport.close({ closeCode: code, reason });
    } catch {
      // the transport is already gone
    }
  }

  fail(error: unknown): void {
    if (this.closeInfo) return;
    if (error instanceof MoqtDecodeError) this.close(error.sessionError, error.message);
    else if (error instanceof SessionProtocolError) this.close(error.code, error.message);
    else this.close(SessionErrorCode.INTERNAL_ERROR, describe(error));
  }

  private teardown(info: SessionCloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    if (this.setupTimer !== undefined) clearTimeout(this.setupTimer);
    const error = new SessionClosedError(info.code, info.reason);
    for (const reject of this.pendingRequests) reject(error);
    this.pendingRequests.clear();
    for (const waiters of this.aliasWaiters.values()) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve(undefined);
      }
    }
    this.aliasWaiters.clear();
    this.datagramBacklog = [];
    const end = { statusCode: PublishDoneCode.INTERNAL_ERROR, reason: `session closed: ${error.message}` };
    for (const subscription of this.subscriptions.values()) subscription.terminate(end);
    for (const fetch of this.fetches.values()) fetch.queue.end();
    this.resolveClosed(info);
  }

  // ---- control stream ----

  private async openControlStream(
    options: ReturnType<typeof ourSetupOptions>,
  ): Promise<WritableStreamDefaultWriter<Uint8Array> | undefined> {
    try {
      await this.transport.ready;
      const writable = await this.transport.createUnidirectionalStream();
      const writer = writable.getWriter();
      this.controlWriter = writer;
      await writer.write(Draft18.encodeControlMessage({ type: 'setup', options }));
      return writer;
    } catch (error) {
      if (!this.isClosed) this.fail(error);
      return undefined;
    }
  }

  handleControlStream(reader: ReadableStreamDefaultReader<Uint8Array>, prefix: Uint8Array): void {
    if (this.controlStreamSeen) violation('the peer opened a second control (SETUP) stream');
    this.controlStreamSeen = true;
    const parser = new Draft18.ControlStreamParser();
    const run = async (): Promise<void> => {
      let chunk: Uint8Array | undefined = prefix;
      while (chunk !== undefined) {
        for (const message of parser.push(chunk)) this.onControlMessage(message);
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch {
          if (!this.isClosed) violation('the peer reset its control stream');
          return;
        }
        if (this.isClosed) return;
        chunk = result.done ? undefined : result.value;
      }
      violation('the peer closed its control stream');
    };
    ignore(run().catch((error: unknown) => this.fail(error)));
  }

  private onControlMessage(message: ControlMessage): void {
    if (this.isClosed) return;
    if (!this.setupDone) {
      if (message.type !== 'setup')
        violation(`the control stream must begin with SETUP, not ${message.type}`);
      this.peer = peerSetupFrom(this.role, message.options);
      this.setupDone = true;
      if (this.setupTimer !== undefined) clearTimeout(this.setupTimer);
      this.resolveSetup();
      return;
    }
    if (message.type === 'setup') violation('duplicate SETUP');
    if (message.type === 'goaway') return this.onGoaway(message);
    violation(`${message.type} is not allowed on the control stream`);
  }

  private onGoaway(message: GoawayMessage): void {
    if (this.goawayFromPeer) violation('a second GOAWAY on the control stream');
    if (this.role === 'server' && message.newSessionUri !== '') {
      violation('a client GOAWAY must not carry a New Session URI');
    }
    const ourParity = this.role === 'client' ? 0n : 1n;
    if (message.requestId !== undefined && (message.requestId & 1n) !== ourParity) {
      violation('GOAWAY Request ID has the wrong parity', SessionErrorCode.INVALID_REQUEST_ID);
    }
    this.goawayFromPeer = {
      newSessionUri: message.newSessionUri,
      timeoutMs: Number(message.timeout),
      ...(message.requestId !== undefined && { requestId: message.requestId }),
    };
    this.resolveGoaway(this.goawayFromPeer);
  }

  async goaway(newSessionUri = '', timeoutMs = 0): Promise<void> {
    this.assertOpen();
    if (this.role === 'client' && newSessionUri !== '') {
      throw new RangeError('a client GOAWAY must not carry a New Session URI');
    }
    if (this.goawaySent) throw new Error('GOAWAY was already sent');
    this.goawaySent = true;
    const writer = await this.controlWriterReady;
    if (writer === undefined || this.isClosed) throw this.closedError();
    const message: GoawayMessage = {
      type: 'goaway',
      newSessionUri,
      timeout: BigInt(timeoutMs),
      requestId: this.firstUnprocessedPeerRequestId(),
    };
    await writer.write(Draft18.encodeControlMessage(message));
  }

  /** GOAWAY's Request ID: the smallest peer request ID we have not seen. */
  private firstUnprocessedPeerRequestId(): bigint {
    let id = this.role === 'server' ? 0n : 1n;
    while (this.peerRequestIds.has(id)) id += 2n;
    return id;
  }

  // ---- request IDs and aliases ----

  checkPeerRequestId(requestId: bigint): void {
    const peerParity = this.role === 'server' ? 0n : 1n;
    if ((requestId & 1n) !== peerParity) {
      violation(`request ID ${requestId} has the wrong parity`, SessionErrorCode.INVALID_REQUEST_ID);
    }
    if (this.peerRequestIds.has(requestId)) {
      violation(`request ID ${requestId} was used twice`, SessionErrorCode.INVALID_REQUEST_ID);
    }
    this.peerRequestIds.add(requestId);
  }

  private allocateRequestId(): bigint {
    const id = this.nextRequestId;
    this.nextRequestId += 2n;
    return id;
  }

  allocateTrackAlias(): bigint {
    return this.nextTrackAlias++;
  }

  resolveAlias(alias: bigint): Promise<SubscriptionImpl | undefined> {
    const known = this.subscriptions.get(alias);
    if (known !== undefined) return Promise.resolve(known);
    if (
      this.isClosed ||
      this.retiredAliases.has(alias) ||
      this.waitingStreams >= MAX_STREAMS_AWAITING_ALIAS
    ) {
      return Promise.resolve(undefined);
    }
    this.waitingStreams++;
    return new Promise((resolve) => {
      const done = (subscription: SubscriptionImpl | undefined): void => {
        this.waitingStreams--;
        resolve(subscription);
      };
      const waiter: AliasWaiter = {
        resolve: done,
        timer: setTimeout(() => {
          const list = this.aliasWaiters.get(alias) ?? [];
          const index = list.indexOf(waiter);
          if (index >= 0) list.splice(index, 1);
          if (list.length === 0) this.aliasWaiters.delete(alias);
          done(undefined);
        }, ALIAS_WAIT_MS),
      };
      const list = this.aliasWaiters.get(alias) ?? [];
      list.push(waiter);
      this.aliasWaiters.set(alias, list);
    });
  }

  private registerAlias(subscription: SubscriptionImpl): void {
    const alias = subscription.trackAlias;
    // Aliases may be reused once a subscription ended, never while one is established. (Two
    // subscriptions to the same track sharing one alias are legal but not supported here.)
    if (this.subscriptions.has(alias)) {
      violation(`track alias ${alias} is already in use`, SessionErrorCode.DUPLICATE_TRACK_ALIAS);
    }
    this.retiredAliases.delete(alias);
    this.subscriptions.set(alias, subscription);
    for (const waiter of this.aliasWaiters.get(alias) ?? []) {
      clearTimeout(waiter.timer);
      waiter.resolve(subscription);
    }
    this.aliasWaiters.delete(alias);
    const backlog = this.datagramBacklog.filter((entry) => entry.alias === alias);
    this.datagramBacklog = this.datagramBacklog.filter((entry) => entry.alias !== alias);
    for (const entry of backlog) this.onDatagram(entry.bytes);
  }

  /** Forgets a finished subscription; late streams for its alias are then stopped at once. */
  private retireAlias(alias: bigint): void {
    if (!this.subscriptions.delete(alias)) return;
    this.retiredAliases.add(alias);
    if (this.retiredAliases.size > MAX_RETIRED_ALIASES) {
      const oldest = this.retiredAliases.values().next().value;
      if (oldest !== undefined) this.retiredAliases.delete(oldest);
    }
  }

  fetchFinished(requestId: bigint): void {
    this.fetches.delete(requestId);
  }

  fetchFor(requestId: bigint): FetchResultImpl | 'drop' | undefined {
    if (this.cancelledFetches.has(requestId)) return 'drop';
    return this.fetches.get(requestId);
  }

  // ---- incoming streams and datagrams ----

  private async acceptUniStreams(): Promise<void> {
    const reader = this.transport.incomingUnidirectionalStreams.getReader();
    for (;;) {
      let result: ReadableStreamReadResult<ReadableStream<Uint8Array>>;
      try {
        result = await reader.read();
      } catch {
        return; // the transport closed
      }
      if (result.done || this.isClosed) return;
      ignore(handleUniStream(result.value, this).catch((error: unknown) => this.fail(error)));
    }
  }

  private async acceptBidiStreams(): Promise<void> {
    const reader = this.transport.incomingBidirectionalStreams.getReader();
    for (;;) {
      let result: ReadableStreamReadResult<WebTransportBidiStream>;
      try {
        result = await reader.read();
      } catch {
        return;
      }
      if (result.done || this.isClosed) return;
      ignore(this.onIncomingBidi(result.value).catch((error: unknown) => this.fail(error)));
    }
  }

  private async onIncomingBidi(bidi: WebTransportBidiStream): Promise<void> {
    const stream = new RequestStream(bidi, this);
    // Requests may overtake the peer's SETUP; they wait for it (§Session initialization).
    await this.setupSignal;
    const first = await stream.next();
    if (this.isClosed || first.type !== 'message') return;
    handleIncomingRequest(stream, first.message, this);
  }

  private async readDatagrams(): Promise<void> {
    const reader = this.transport.datagrams.readable.getReader();
    await this.setupSignal;
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch {
        return;
      }
      if (result.done || this.isClosed) return;
      this.onDatagram(result.value);
    }
  }

  private onDatagram(bytes: Uint8Array): void {
    const decoded = datagramObject(
      bytes,
      (alias) => this.subscriptions.get(alias)?.defaultPublisherPriority ?? 128,
    );
    if (decoded === undefined) return;
    const subscription = this.subscriptions.get(decoded.alias);
    if (subscription !== undefined) {
      subscription.deliver(decoded.object);
      return;
    }
    if (this.retiredAliases.has(decoded.alias)) return;
    // SUBSCRIBE_OK may still be in flight: keep a few recent datagrams for a short while.
    const now = Date.now();
    this.datagramBacklog = this.datagramBacklog.filter((entry) => now - entry.at < ALIAS_WAIT_MS);
    if (this.datagramBacklog.length >= MAX_DATAGRAMS_AWAITING_ALIAS) this.datagramBacklog.shift();
    this.datagramBacklog.push({ alias: decoded.alias, at: now, bytes });
  }

  // ---- outgoing requests ----

  private assertOpen(): void {
    if (this.closeInfo) throw this.closedError();
  }

  private closedError(): SessionClosedError {
    const info = this.closeInfo ?? { code: SessionErrorCode.INTERNAL_ERROR, reason: 'closing' };
    return new SessionClosedError(info.code, info.reason);
  }

  /** Opens a request stream, sends `message` and waits for the first response event. */
  private async request(message: ControlMessage): Promise<{ stream: RequestStream; response: RequestEvent }> {
    this.assertOpen();
    if (this.goawayFromPeer) {
      throw new RequestRejectedError(RequestErrorCode.GOING_AWAY, 'the peer sent GOAWAY');
    }
    const rejected = deferred<never>();
    rejected.promise.catch(() => undefined);
    this.pendingRequests.add(rejected.reject);
    try {
      const bidi = await Promise.race([this.transport.createBidirectionalStream(), rejected.promise]);
      const stream = new RequestStream(bidi, this);
      stream.send(message);
      const response = await Promise.race([stream.next(), rejected.promise]);
      if (response.type === 'end' && response.end.kind === 'session-closed') throw this.closedError();
      if (response.type === 'message' && response.message.type === 'requestError') {
        stream.finish();
        throw new RequestRejectedError(response.message.errorCode, response.message.reason);
      }
      if (response.type !== 'message') {
        stream.reset(StreamResetCode.CANCELLED);
        throw new Error(`the peer ended the ${message.type} request stream without answering`);
      }
      return { stream, response };
    } catch (error) {
      if (this.isClosed && !(error instanceof RequestRejectedError)) throw this.closedError();
      throw error;
    } finally {
      this.pendingRequests.delete(rejected.reject);
    }
  }

  /** A response of the wrong type closes the session; the caller gets a clear error. */
  private unexpected(message: ControlMessage, request: string): never {
    const error = new SessionProtocolError(
      SessionErrorCode.PROTOCOL_VIOLATION,
      `unexpected ${message.type} in answer to ${request}`,
    );
    this.fail(error);
    throw error;
  }

  async subscribe(track: FullTrackName, options: SubscribeOptions = {}): Promise<Subscription> {
    const requestId = this.allocateRequestId();
    const { stream, response } = await this.request({
      type: 'subscribe',
      requestId,
      track,
      parameters: {
        subscriberPriority: options.subscriberPriority ?? 128,
        subscriptionFilter: options.filter ?? { type: 'largest-object' },
        forward: true,
        ...(options.groupOrder !== undefined && { groupOrder: options.groupOrder }),
        ...tokensParameter(options.authorizationToken),
      },
    });
    const ok = (response as { message: ControlMessage }).message;
    if (ok.type !== 'subscribeOk') this.unexpected(ok, 'SUBSCRIBE');
    let defaultPriority = 128;
    try {
      defaultPriority = readTrackProperties(ok.trackProperties).defaultPublisherPriority ?? 128;
    } catch (error) {
      this.fail(error);
      throw this.closedError();
    }
    const subscription = new SubscriptionImpl(
      requestId,
      track,
      ok.trackAlias,
      ok.parameters.largestObject,
      defaultPriority,
      options.maxBufferedObjects ?? DEFAULT_MAX_BUFFERED_OBJECTS,
      () => {
        this.retireAlias(ok.trackAlias);
        stream.reset(StreamResetCode.CANCELLED);
      },
    );
    try {
      this.registerAlias(subscription);
    } catch (error) {
      this.fail(error);
      throw this.closedError();
    }
    ignore(subscription.ended.then(() => this.retireAlias(ok.trackAlias)));
    let publishDoneSeen = false;
    stream.setHandler((event) => {
      if (event.type === 'stop-sending') return; // we have nothing more to send anyway
      if (event.type === 'end') {
        if (event.end.kind === 'reset') {
          subscription.terminate({
            statusCode: PublishDoneCode.INTERNAL_ERROR,
            reason: `the publisher reset the subscription (code ${event.end.code ?? 'unknown'})`,
          });
          this.retireAlias(ok.trackAlias);
        } else if (event.end.kind === 'fin') {
          stream.finish();
          // FIN right after PUBLISH_DONE is normal; without it the publisher vanished.
          if (!publishDoneSeen) {
            subscription.terminate({
              statusCode: PublishDoneCode.INTERNAL_ERROR,
              reason: 'the publisher closed the subscription without PUBLISH_DONE',
            });
          }
        }
        return;
      }
      const message = event.message;
      if (message.type === 'publishDone') {
        if (publishDoneSeen) violation('a second PUBLISH_DONE');
        publishDoneSeen = true;
        subscription.publishDone(message.statusCode, message.streamCount, message.reason);
        return;
      }
      if (message.type === 'goaway') return;
      violation(`unexpected ${message.type} on a subscription stream`);
    });
    return subscription;
  }

  async fetch(track: FullTrackName, options: FetchOptions): Promise<FetchResult> {
    const requestId = this.allocateRequestId();
    const groupOrder = options.groupOrder ?? 'ascending';
    let stream: RequestStream | undefined;
    const result = new FetchResultImpl(requestId, groupOrder, () => {
      this.fetches.delete(requestId);
      this.cancelledFetches.add(requestId);
      stream?.reset(StreamResetCode.CANCELLED);
    });
    // Registered before sending: the data stream may overtake FETCH_OK.
    this.fetches.set(requestId, result);
    let response: RequestEvent;
    try {
      ({ stream, response } = await this.request({
        type: 'fetch',
        requestId,
        fetch: { kind: 'standalone', track, start: options.start, end: options.end },
        parameters: {
          ...(options.subscriberPriority !== undefined && { subscriberPriority: options.subscriberPriority }),
          ...(options.groupOrder !== undefined && { groupOrder: options.groupOrder }),
          ...tokensParameter(options.authorizationToken),
        },
      }));
    } catch (error) {
      this.fetches.delete(requestId);
      result.queue.abort();
      throw error;
    }
    const ok = (response as { message: ControlMessage }).message;
    if (ok.type !== 'fetchOk') this.unexpected(ok, 'FETCH');
    result.endOfTrack = ok.endOfTrack;
    result.endLocation = ok.endLocation;
    const requestStream = stream;
    requestStream.setHandler((event) => {
      if (event.type === 'end') {
        if (event.end.kind === 'reset') result.queue.end(new Error('the publisher cancelled the fetch'));
        else if (event.end.kind === 'fin') requestStream.finish();
        return;
      }
      if (event.type === 'message' && event.message.type !== 'goaway') {
        violation(`unexpected ${event.message.type} on a fetch stream`);
      }
    });
    return result;
  }

  async subscribeNamespace(
    prefix: TrackNamespace,
    options: { authorizationToken?: Uint8Array } = {},
  ): Promise<NamespaceSubscription> {
    const requestId = this.allocateRequestId();
    const { stream, response } = await this.request({
      type: 'subscribeNamespace',
      requestId,
      prefix,
      parameters: tokensParameter(options.authorizationToken),
    });
    const ok = (response as { message: ControlMessage }).message;
    if (ok.type !== 'requestOk') this.unexpected(ok, 'SUBSCRIBE_NAMESPACE');
    const subscription = new NamespaceSubscriptionImpl(requestId, prefix, stream);
    stream.setHandler((event) => {
      if (event.type === 'stop-sending') return;
      if (event.type === 'end') {
        subscription.queue.end();
        if (event.end.kind === 'fin') stream.finish();
        return;
      }
      const message = event.message;
      if (message.type === 'namespace')
        subscription.queue.push({ type: 'namespace', suffix: message.suffix });
      else if (message.type === 'namespaceDone') {
        subscription.queue.push({ type: 'namespace-done', suffix: message.suffix });
      } else if (message.type !== 'goaway') {
        violation(`unexpected ${message.type} on a namespace subscription`);
      }
    });
    return subscription;
  }

  async publishNamespace(
    namespace: TrackNamespace,
    options: { authorizationToken?: Uint8Array } = {},
  ): Promise<NamespacePublication> {
    const requestId = this.allocateRequestId();
    const { stream, response } = await this.request({
      type: 'publishNamespace',
      requestId,
      namespace,
      parameters: tokensParameter(options.authorizationToken),
    });
    const ok = (response as { message: ControlMessage }).message;
    if (ok.type !== 'requestOk') this.unexpected(ok, 'PUBLISH_NAMESPACE');
    stream.setHandler((event) => {
      if (event.type === 'message' && event.message.type !== 'goaway') {
        violation(`unexpected ${event.message.type} on a namespace publication`);
      }
    });
    return new NamespacePublicationImpl(requestId, namespace, stream);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
