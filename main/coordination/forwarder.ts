// The outbox pump: publishes accepted commits, welcomes and requests on their MoQT tracks as a
// publisher session to a relay, marking rows delivered only after the writes completed.
//
// Delivery is at-least-once across crashes: if the process dies after a write but before
// markDelivered commits, the next process publishes that row again. Subscribers dedupe by
// (MoQ group, object) — for commits that is the epoch, which MLS rejects twice anyway.
import { RequestErrorCode } from '../moqt/codec/error-codes.js';
import type {
  IncomingFetch,
  IncomingSubscribe,
  MoqtSessionApi,
  RequestHandler,
  TrackWriter,
} from '../moqt/session/api.js';
import type { CoordinationStore, OutboxEntry } from './store.js';
import { GROUPS_PREFIX, parseGroupTrack } from './tracks.js';

export interface ForwarderOptions {
  readonly store: CoordinationStore;
  readonly relayUrl: string;
  /** Opens a MoQT client session; default connectMoqt (loaded lazily so tests without QUIC stay light). */
  readonly connect?: (url: string, handler: RequestHandler) => Promise<MoqtSessionApi>;
  readonly caPem?: string;
  /** PUBLISH_NAMESPACE authorization for relays that require it. */
  readonly authorizationToken?: Uint8Array;
  readonly batchSize?: number;
  /** Poll interval when idle (wake() short-cuts it). Default 500 ms. */
  readonly pollIntervalMs?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Bound on connecting and on each write, so a vanished relay cannot wedge the pump. Default 5000 ms. */
  readonly operationTimeoutMs?: number;
  readonly onError?: (error: unknown) => void;
}

export class OutboxForwarder {
  private session: MoqtSessionApi | undefined;
  private readonly writers = new Map<string, Set<TrackWriter>>();
  /** Rows written but whose markDelivered failed: never written again by this process. */
  private readonly written = new Set<number>();
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stop!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.stop = resolve));
  delivered = 0;

  constructor(private readonly options: ForwarderOptions) {}

  /** Awaits `work` unless the forwarder closes or it takes longer than the operation timeout. */
  private bounded<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} timed out`)),
        this.options.operationTimeoutMs ?? 5000,
      );
      void this.stopped.then(() => reject(new Error('forwarder closed')));
    });
    return Promise.race([work, limit]).finally(() => clearTimeout(timer));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Called when the outbox grew. */
  wake(): void {
    this.wakeUp?.();
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  /** Live subscriptions on one (group, track); tests use it to wait for the relay's upstream SUBSCRIBE. */
  subscribers(groupId: string, track: string): number {
    return this.writers.get(`${groupId}/${track}`)?.size ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    this.wake();
    this.session?.close(0, 'coordinator shutting down');
    await this.loop;
  }

  private async run(): Promise<void> {
    const min = this.options.minBackoffMs ?? 100;
    const max = this.options.maxBackoffMs ?? 5000;
    let backoff = min;
    while (!this.closed) {
      try {
        const session = this.session ?? (await this.connect());
        const entries = await this.options.store.pendingOutbox(this.options.batchSize ?? 64);
        if (entries.length === 0) {
          await this.idle(this.options.pollIntervalMs ?? 500);
          continue;
        }
        for (const entry of entries) {
          if (this.closed || this.session !== session) break;
          await this.publish(entry);
        }
        backoff = min;
      } catch (error) {
        if (this.closed) break;
        this.options.onError?.(error);
        this.dropSession();
        await this.idle(backoff);
        backoff = Math.min(max, backoff * 2);
      }
    }
    this.dropSession();
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async connect(): Promise<MoqtSessionApi> {
    const handler: RequestHandler = {
      onSubscribe: (request) => this.onSubscribe(request),
      onFetch: (request) => void this.onFetch(request),
    };
    const connect =
      this.options.connect ??
      (async (url: string, h: RequestHandler) => {
        const { connectMoqt } = await import('../moqt/connect.js');
        return connectMoqt(url, {
          handler: h,
          implementation: 'moq-studio coordinator',
          ...(this.options.caPem ? { caPem: this.options.caPem } : {}),
        });
      });
    const attempt = connect(this.options.relayUrl, handler);
    // An abandoned attempt that connects later must not leak its session.
    attempt.catch(() => {});
    let session: MoqtSessionApi;
    try {
      session = await this.bounded(attempt, 'connecting to the relay');
    } catch (error) {
      void attempt.then(
        (late) => late.close(0, 'abandoned'),
        () => {},
      );
      throw error;
    }
    try {
      await this.bounded(
        session.publishNamespace(GROUPS_PREFIX, {
          ...(this.options.authorizationToken ? { authorizationToken: this.options.authorizationToken } : {}),
        }),
        'publishing the namespace',
      );
      if (this.closed) throw new Error('forwarder closed');
    } catch (error) {
      session.close(0, 'publish namespace failed');
      throw error;
    }
    this.session = session;
    session.closed.then(
      () => this.dropSession(session),
      () => this.dropSession(session),
    );
    return session;
  }

  private dropSession(session = this.session): void {
    if (!session || this.session !== session) return;
    this.session = undefined;
    this.writers.clear();
    session.close(0, 'forwarder reconnecting');
    this.wake();
  }

  private onSubscribe(request: IncomingSubscribe): void {
    const target = parseGroupTrack(request.track);
    if (!target) {
      request.reject(RequestErrorCode.DOES_NOT_EXIST, 'not a coordination track');
      return;
    }
    const key = `${target.groupId}/${target.track}`;
    const writer = request.accept();
    let set = this.writers.get(key);
    if (!set) this.writers.set(key, (set = new Set()));
    set.add(writer);
    const forget = () => set.delete(writer);
    writer.cancelled.then(forget, forget);
  }

  /** Late subscribers FETCH past epochs; the outbox keeps delivered rows for exactly this. */
  private async onFetch(request: IncomingFetch): Promise<void> {
    const target = parseGroupTrack(request.track);
    if (!target) {
      request.reject(RequestErrorCode.DOES_NOT_EXIST, 'not a coordination track');
      return;
    }
    try {
      const rows = (
        await this.options.store.outboxRange(
          target.groupId,
          target.track,
          request.start.group,
          request.end.group,
        )
      ).filter(
        (row) =>
          row.deliveredAt !== null &&
          (row.moqGroupId !== request.start.group || row.moqObjectId >= request.start.object) &&
          (row.moqGroupId !== request.end.group ||
            request.end.object === 0n ||
            row.moqObjectId < request.end.object),
      );
      const last = rows.at(-1);
      if (!last) {
        request.reject(RequestErrorCode.INVALID_RANGE, 'nothing published in that range');
        return;
      }
      const writer = await request.accept({
        endOfTrack: false,
        endLocation: { group: last.moqGroupId, object: last.moqObjectId + 1n },
      });
      for (const row of rows) {
        await writer.write({
          groupId: row.moqGroupId,
          subgroupId: 0n,
          objectId: row.moqObjectId,
          publisherPriority: 128,
          status: 'normal',
          properties: [],
          payload: row.payload,
        });
      }
      await writer.close();
    } catch (error) {
      this.options.onError?.(error);
      try {
        request.reject(RequestErrorCode.INTERNAL_ERROR, 'fetch failed');
      } catch {
        // Already accepted; the stream reset tells the subscriber.
      }
    }
  }

  private async publish(entry: OutboxEntry): Promise<void> {
    if (!this.written.has(entry.id)) {
      const writers = [...(this.writers.get(`${entry.groupId}/${entry.track}`) ?? [])];
      for (const writer of writers) {
        try {
          await this.bounded(
            (async () => {
              const subgroup = await writer.openSubgroup({ groupId: entry.moqGroupId });
              await subgroup.write(entry.moqObjectId, entry.payload);
              await subgroup.close({ endOfGroup: true });
            })(),
            'publishing an object',
          );
        } catch (error) {
          // One subscription going away must not block the others; a dead session is caught by
          // the caller through session.closed → dropSession.
          if (!this.session) throw error;
          this.options.onError?.(error);
        }
      }
      if (!this.session) throw new Error('session lost while publishing');
      this.written.add(entry.id);
    }
    await this.options.store.markDelivered([entry.id]);
    this.written.delete(entry.id);
    this.delivered++;
  }
}
