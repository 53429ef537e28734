// Namespace requests: the subscriber's NamespaceSubscription (NAMESPACE / NAMESPACE_DONE events
// after REQUEST_OK), the publisher's NamespaceAnnouncer, and a published namespace's handle.
import type { TrackNamespace } from '../../../common/codec/track-name.js';
import { StreamResetCode } from '../codec/error-codes.js';
import type {
  NamespaceAnnouncer,
  NamespaceEvent,
  NamespacePublication,
  NamespaceSubscription,
} from './api.js';
import { ObjectQueue } from './object-queue.js';
import type { RequestStream } from './request-stream.js';

export class NamespaceSubscriptionImpl implements NamespaceSubscription {
  readonly queue = new ObjectQueue<NamespaceEvent>({ kind: 'unbounded' }, () => this.cancel());
  private cancelled = false;

  constructor(
    readonly requestId: bigint,
    readonly prefix: TrackNamespace,
    private readonly request: RequestStream,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<NamespaceEvent> {
    return this.queue[Symbol.asyncIterator]();
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.queue.abort();
    this.request.reset(StreamResetCode.CANCELLED);
  }
}

export class NamespaceAnnouncerImpl implements NamespaceAnnouncer {
  private isCancelled = false;

  constructor(
    private readonly request: RequestStream,
    readonly cancelled: Promise<void>,
  ) {
    void cancelled.then(() => {
      this.isCancelled = true;
    });
  }

  announce(suffix: TrackNamespace): void {
    if (!this.isCancelled) this.request.send({ type: 'namespace', suffix });
  }

  withdraw(suffix: TrackNamespace): void {
    if (!this.isCancelled) this.request.send({ type: 'namespaceDone', suffix });
  }
}

export class NamespacePublicationImpl implements NamespacePublication {
  constructor(
    readonly requestId: bigint,
    readonly namespace: TrackNamespace,
    private readonly request: RequestStream,
  ) {}

  withdraw(): void {
    this.request.finish();
  }
}
