// The embedded MoQT relay core. It never touches QUIC: sessions hand it their peers' requests through
// a RequestHandler (`relay.handler`), and it talks upstream through the same MoqtSessionApi every
// client uses. Payloads pass through untouched; the relay never needs (or sees) plaintext.
import type { TrackNamespace } from '../../common/codec/track-name.js';
import { PublishDoneCode, RequestErrorCode } from '../moqt/codec/error-codes.js';
import type {
  IncomingFetch,
  IncomingPublishNamespace,
  IncomingRequestBase,
  IncomingSubscribe,
  IncomingSubscribeNamespace,
  MoqtSessionApi,
  RequestHandler,
} from '../moqt/session/api.js';
import { checkAccess } from './access.js';
import type { RelayAction, RelayAuthorizer } from './auth.js';
import { newCounters } from './counters.js';
import type { LagPolicy } from './downstream.js';
import { forwardFetch, planFetch, serveFetch } from './fetch.js';
import { trackKey } from './names.js';
import { NamespaceTable } from './namespace-table.js';
import type { Publication, Watcher } from './namespace-table.js';
import { DEFAULT_CACHE_LIMITS, RelayCache } from './object-cache.js';
import type { CacheLimits } from './object-cache.js';
import { UpstreamTrack } from './upstream.js';

export interface RelayOptions {
  /** Admission control; without it everything is allowed (the local/LAN default). */
  readonly authorize?: RelayAuthorizer;
  readonly cache?: Partial<CacheLimits>;
  /** Per-subscriber queue bound (objects). Default 512. */
  readonly maxQueuedObjects?: number;
  /** What happens to a subscriber whose queue overflows. Default 'skip-group'. */
  readonly lagPolicy?: LagPolicy;
  /** Groups with open subgroup streams per subscriber. Default 4. */
  readonly maxOpenGroups?: number;
  /**
   * FETCHes the cache cannot answer go to the namespace's publisher instead of failing with
   * INVALID_RANGE / DOES_NOT_EXIST. Default false: the relay answers only what it saw.
   */
  readonly fetchFromPublisher?: boolean;
  /** Passed upstream as SubscribeOptions.maxBufferedObjects. */
  readonly upstreamMaxBufferedObjects?: number;
}

export interface RelayStats {
  readonly sessions: number;
  readonly publishedNamespaces: number;
  readonly namespaceSubscriptions: number;
  readonly upstreamSubscriptions: number;
  readonly downstreamSubscriptions: number;
  readonly objectsIn: number;
  readonly bytesIn: number;
  readonly objectsOut: number;
  readonly bytesOut: number;
  readonly cacheBytes: number;
  readonly cacheGroups: number;
  readonly cacheEvictedGroups: number;
  readonly drops: number;
  readonly tooFarBehind: number;
}

export class Relay {
  /** Pass as SessionOptions.handler for every server-role session the relay serves. */
  readonly handler: RequestHandler;
  private readonly sessions = new Set<MoqtSessionApi>();
  private readonly namespaces = new NamespaceTable();
  private readonly upstreams = new Map<string, UpstreamTrack>();
  private readonly cache: RelayCache;
  private readonly counters = newCounters();
  private closed = false;

  constructor(private readonly options: RelayOptions = {}) {
    this.cache = new RelayCache({ ...DEFAULT_CACHE_LIMITS, ...options.cache });
    this.handler = {
      onPublishNamespace: (request) => guard(request, () => this.onPublishNamespace(request)),
      onSubscribeNamespace: (request) => guard(request, () => this.onSubscribeNamespace(request)),
      onSubscribe: (request) => guard(request, () => this.onSubscribe(request)),
      onFetch: (request) => guard(request, () => this.onFetch(request)),
    };
  }

  /** Same object as `handler`; for callers that prefer a factory. */
  createHandler(): RequestHandler {
    return this.handler;
  }

  /**
   * Attaches an established session (counted in stats, cleaned up when it closes). Sessions whose
   * requests arrive before this call are attached by the first request.
   */
  accept(session: MoqtSessionApi): void {
    if (this.sessions.has(session)) return;
    if (this.closed) return;
    this.sessions.add(session);
    session.closed.then(
      () => this.forget(session),
      () => this.forget(session),
    );
  }

  /** Stops relaying: subscribers get PUBLISH_DONE GOING_AWAY, upstreams are cancelled. Sessions stay open. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const upstream of [...this.upstreams.values()])
      upstream.shutdown(PublishDoneCode.GOING_AWAY, 'relay closing');
    this.upstreams.clear();
    this.namespaces.clear();
    this.sessions.clear();
  }

  get stats(): RelayStats {
    let downstreams = 0;
    for (const upstream of this.upstreams.values()) downstreams += upstream.downstreams.size;
    const cache = this.cache.stats;
    return {
      sessions: this.sessions.size,
      publishedNamespaces: this.namespaces.publishedCount,
      namespaceSubscriptions: this.namespaces.watcherCount,
      upstreamSubscriptions: this.upstreams.size,
      downstreamSubscriptions: downstreams,
      ...this.counters,
      cacheBytes: cache.bytes,
      cacheGroups: cache.groups,
      cacheEvictedGroups: cache.evictedGroups,
    };
  }

  private forget(session: MoqtSessionApi): void {
    this.sessions.delete(session);
    this.namespaces.removeSession(session);
  }

  /** Common admission for every request: relay open, session attached, authorizer passed. */
  private admit(request: IncomingRequestBase, action: RelayAction, namespace: TrackNamespace): boolean {
    if (this.closed) {
      request.reject(RequestErrorCode.GOING_AWAY, 'relay closed');
      return false;
    }
    this.accept(request.session);
    const denial = checkAccess(this.options.authorize, request, action, namespace);
    if (denial) {
      request.reject(denial.errorCode, denial.reason);
      return false;
    }
    return true;
  }

  private onPublishNamespace(request: IncomingPublishNamespace): void {
    if (!this.admit(request, 'publish', request.namespace)) return;
    request.accept();
    const publication: Publication = { session: request.session, namespace: request.namespace };
    this.namespaces.add(publication);
    request.withdrawn.then(
      () => this.namespaces.remove(publication),
      () => this.namespaces.remove(publication),
    );
  }

  private onSubscribeNamespace(request: IncomingSubscribeNamespace): void {
    if (!this.admit(request, 'subscribe', request.prefix)) return;
    if (this.namespaces.overlaps(request.session, request.prefix)) {
      request.reject(RequestErrorCode.PREFIX_OVERLAP, 'overlaps an existing namespace subscription');
      return;
    }
    const announcer = request.accept();
    const watcher: Watcher = { session: request.session, prefix: request.prefix, announcer };
    this.namespaces.watch(watcher);
    announcer.cancelled.then(
      () => this.namespaces.unwatch(watcher),
      () => this.namespaces.unwatch(watcher),
    );
  }

  private onSubscribe(request: IncomingSubscribe): void {
    if (!this.admit(request, 'subscribe', request.track.namespace)) return;
    const key = trackKey(request.track);
    let upstream = this.upstreams.get(key);
    if (!upstream) {
      const route = this.namespaces.route(request.track.namespace);
      if (!route) {
        request.reject(RequestErrorCode.DOES_NOT_EXIST, 'no publisher for this namespace');
        return;
      }
      upstream = new UpstreamTrack(key, request.track, route.session, {
        cache: this.cache,
        counters: this.counters,
        downstreamOptions: {
          maxQueuedObjects: this.options.maxQueuedObjects ?? 512,
          lagPolicy: this.options.lagPolicy ?? 'skip-group',
          maxOpenGroups: this.options.maxOpenGroups ?? 4,
        },
        ...(this.options.upstreamMaxBufferedObjects !== undefined
          ? { upstreamMaxBufferedObjects: this.options.upstreamMaxBufferedObjects }
          : {}),
        onEnded: (ended) => {
          if (this.upstreams.get(ended.key) === ended) this.upstreams.delete(ended.key);
        },
      });
      this.upstreams.set(key, upstream);
      upstream.start();
    }
    upstream.add(request);
  }

  private onFetch(request: IncomingFetch): void {
    if (!this.admit(request, 'subscribe', request.track.namespace)) return;
    const plan = planFetch(this.cache.get(trackKey(request.track)), request.start, request.end);
    if (!plan.ok) {
      const route = this.options.fetchFromPublisher
        ? this.namespaces.route(request.track.namespace)
        : undefined;
      if (route) void forwardFetch(request, route.session, this.counters);
      else request.reject(plan.errorCode, plan.reason);
      return;
    }
    void serveFetch(request, plan, this.counters);
  }
}

/** A relay bug must cost one request, not the session that delivered it. */
function guard(request: IncomingRequestBase, handle: () => void): void {
  try {
    handle();
  } catch (error) {
    try {
      request.reject(RequestErrorCode.INTERNAL_ERROR, error instanceof Error ? error.message : 'relay error');
    } catch {
      // Already answered; nothing more to say on this request.
    }
  }
}
