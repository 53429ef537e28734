// Requests the peer opens towards us: validates the first message, builds the Incoming* objects
// of api.ts around the request stream, and answers NOT_SUPPORTED when no handler method exists.
import type { FullTrackName } from '../../../common/codec/track-name.js';
import { RequestErrorCode, StreamResetCode } from '../codec/error-codes.js';
import type { AuthToken, ControlMessage, GroupOrder, MessageParameters } from '../codec/draft18/index.js';
import type {
  IncomingFetch,
  IncomingPublishNamespace,
  IncomingRequestBase,
  IncomingSubscribe,
  IncomingSubscribeNamespace,
  MoqtSessionApi,
  RequestHandler,
  TrackWriter,
} from './api.js';
import type { SessionContext } from './context.js';
import { violation } from './errors.js';
import { FetchWriterImpl } from './fetch.js';
import { NamespaceAnnouncerImpl } from './namespace.js';
import type { RequestEvent, RequestStream } from './request-stream.js';
import { deferred, ignore } from './stream-io.js';
import { TrackWriterImpl } from './track-writer.js';

export interface IncomingHost extends SessionContext {
  readonly session: MoqtSessionApi;
  readonly handler: RequestHandler | undefined;
  /** Throws INVALID_REQUEST_ID for a wrong parity or a reused ID. */
  checkPeerRequestId(requestId: bigint): void;
  /** True when we sent GOAWAY, after which every new request is refused. */
  readonly goingAway: boolean;
  allocateTrackAlias(): bigint;
}

type RequestMessage = Extract<ControlMessage, { requestId: bigint }>;

const FIRST_TYPES: ReadonlySet<ControlMessage['type']> = new Set([
  'subscribe',
  'publish',
  'fetch',
  'trackStatus',
  'publishNamespace',
  'subscribeNamespace',
  'subscribeTracks',
]);

/** Dispatches the first message of a peer-opened request stream. */
export function handleIncomingRequest(
  stream: RequestStream,
  message: ControlMessage,
  host: IncomingHost,
): void {
  if (!FIRST_TYPES.has(message.type) || !('requestId' in message) || message.type === 'requestUpdate') {
    violation(`a request stream cannot begin with ${message.type}`);
  }
  const request = message as RequestMessage;
  host.checkPeerRequestId(request.requestId);
  const refuse = (code: bigint, reason: string): void => {
    stream.send({ type: 'requestError', errorCode: code, retryInterval: 0n, reason });
    stream.finish();
  };
  if (host.goingAway) return refuse(RequestErrorCode.GOING_AWAY, 'the session is going away');
  const handler = host.handler;
  switch (request.type) {
    case 'subscribe':
      if (!handler?.onSubscribe) break;
      return invoke(() => handler.onSubscribe!(incomingSubscribe(stream, request, host)), refuse);
    case 'fetch':
      if (!handler?.onFetch || request.fetch.kind !== 'standalone') break;
      return invoke(() => handler.onFetch!(incomingFetch(stream, request, host)), refuse);
    case 'subscribeNamespace':
      if (!handler?.onSubscribeNamespace) break;
      return invoke(
        () => handler.onSubscribeNamespace!(incomingSubscribeNamespace(stream, request, host)),
        refuse,
      );
    case 'publishNamespace':
      if (!handler?.onPublishNamespace) break;
      return invoke(
        () => handler.onPublishNamespace!(incomingPublishNamespace(stream, request, host)),
        refuse,
      );
    default:
      break;
  }
  refuse(RequestErrorCode.NOT_SUPPORTED, `${request.type} is not supported here`);
}

function invoke(call: () => void, refuse: (code: bigint, reason: string) => void): void {
  try {
    call();
  } catch (error) {
    refuse(RequestErrorCode.INTERNAL_ERROR, error instanceof Error ? error.message : 'handler failed');
  }
}

interface RequestState {
  readonly base: IncomingRequestBase;
  /** Marks the request answered; throws if it already was. */
  answer(): void;
  /** Resolves when the requester cancels (RESET_STREAM / STOP_SENDING) or the session closes. */
  readonly cancelled: Promise<void>;
  readonly isCancelled: () => boolean;
  /** The requester's half ended by FIN or cancellation (used for PUBLISH_NAMESPACE withdrawal). */
  readonly readEnded: Promise<void>;
}

/**
 * Common state for every incoming request: answering once, and watching the request stream for
 * cancellation and follow-up messages (REQUEST_UPDATE is refused; GOAWAY is noted).
 */
function requestState(
  stream: RequestStream,
  message: { requestId: bigint; parameters: MessageParameters },
  host: IncomingHost,
  onCancel: () => void = () => undefined,
): RequestState {
  let answered = false;
  let cancelledFlag = false;
  let goawaySeen = false;
  const cancelled = deferred<void>();
  const readEnded = deferred<void>();
  const cancel = (): void => {
    if (cancelledFlag) return;
    cancelledFlag = true;
    cancelled.resolve();
    onCancel();
  };
  stream.setHandler((event: RequestEvent) => {
    switch (event.type) {
      case 'stop-sending':
        stream.reset(StreamResetCode.CANCELLED);
        cancel();
        return;
      case 'end':
        readEnded.resolve();
        if (event.end.kind !== 'fin') cancel();
        return;
      case 'message': {
        const follow = event.message;
        if (follow.type === 'requestUpdate') {
          host.checkPeerRequestId(follow.requestId);
          stream.send({
            type: 'requestError',
            errorCode: RequestErrorCode.NOT_SUPPORTED,
            retryInterval: 0n,
            reason: 'REQUEST_UPDATE is not supported',
          });
          return;
        }
        if (follow.type === 'goaway' && !goawaySeen) {
          goawaySeen = true;
          return;
        }
        violation(`unexpected ${follow.type} on an incoming request stream`);
      }
    }
  });
  const base: IncomingRequestBase = {
    requestId: message.requestId,
    session: host.session,
    authorizationTokens: (message.parameters.authorizationTokens ?? []) as readonly AuthToken[],
    reject(errorCode: bigint, reason: string): void {
      if (answered) return;
      answered = true;
      if (cancelledFlag) return;
      stream.send({ type: 'requestError', errorCode, retryInterval: 0n, reason });
      stream.finish();
    },
  };
  return {
    base,
    answer(): void {
      if (answered) throw new Error(`request ${message.requestId} was already answered`);
      answered = true;
    },
    cancelled: cancelled.promise,
    isCancelled: () => cancelledFlag,
    readEnded: readEnded.promise,
  };
}

function incomingSubscribe(
  stream: RequestStream,
  message: Extract<ControlMessage, { type: 'subscribe' }>,
  host: IncomingHost,
): IncomingSubscribe {
  let writer: TrackWriterImpl | undefined;
  const state = requestState(stream, message, host, () => writer?.cancel());
  const params = message.parameters;
  return {
    ...state.base,
    track: message.track as FullTrackName,
    filter: params.subscriptionFilter ?? { type: 'largest-object' },
    subscriberPriority: params.subscriberPriority ?? 128,
    ...(params.groupOrder !== undefined && { groupOrder: params.groupOrder }),
    accept(options = {}): TrackWriter {
      state.answer();
      const trackAlias = host.allocateTrackAlias();
      writer = new TrackWriterImpl(trackAlias, stream, host);
      if (state.isCancelled()) {
        writer.cancel();
        return writer;
      }
      stream.send({
        type: 'subscribeOk',
        trackAlias,
        parameters: options.largest !== undefined ? { largestObject: options.largest } : {},
        trackProperties: options.trackProperties ?? [],
      });
      return writer;
    },
  };
}

function incomingFetch(
  stream: RequestStream,
  message: Extract<ControlMessage, { type: 'fetch' }>,
  host: IncomingHost,
): IncomingFetch {
  const state = requestState(stream, message, host);
  const range = message.fetch as Extract<typeof message.fetch, { kind: 'standalone' }>;
  const groupOrder: GroupOrder = message.parameters.groupOrder ?? 'ascending';
  return {
    ...state.base,
    track: range.track,
    start: range.start,
    end: range.end,
    async accept(options): Promise<FetchWriterImpl> {
      state.answer();
      const dropAll = (): FetchWriterImpl =>
        new FetchWriterImpl(undefined, stream, message.requestId, groupOrder);
      if (state.isCancelled() || host.isClosed) return dropAll();
      stream.send({
        type: 'fetchOk',
        endOfTrack: options.endOfTrack,
        endLocation: options.endLocation,
        parameters: {},
        trackProperties: [],
      });
      let writable: WritableStream<Uint8Array>;
      try {
        writable = await host.transport.createUnidirectionalStream();
      } catch {
        return dropAll();
      }
      const fetchWriter = new FetchWriterImpl(writable.getWriter(), stream, message.requestId, groupOrder);
      // Cancelling the fetch request also stops its data stream.
      ignore(state.cancelled.then(() => fetchWriter.cancel()));
      return fetchWriter;
    },
  };
}

function incomingSubscribeNamespace(
  stream: RequestStream,
  message: Extract<ControlMessage, { type: 'subscribeNamespace' }>,
  host: IncomingHost,
): IncomingSubscribeNamespace {
  const state = requestState(stream, message, host);
  return {
    ...state.base,
    prefix: message.prefix,
    accept(): NamespaceAnnouncerImpl {
      state.answer();
      if (!state.isCancelled()) stream.send({ type: 'requestOk', parameters: {}, trackProperties: [] });
      return new NamespaceAnnouncerImpl(stream, state.cancelled);
    },
  };
}

function incomingPublishNamespace(
  stream: RequestStream,
  message: Extract<ControlMessage, { type: 'publishNamespace' }>,
  host: IncomingHost,
): IncomingPublishNamespace {
  const state = requestState(stream, message, host);
  // Withdrawal is the publisher closing its half; we close ours in answer.
  const withdrawn = state.readEnded.then(() => stream.finish());
  return {
    ...state.base,
    namespace: message.namespace,
    withdrawn,
    accept(): void {
      state.answer();
      if (!state.isCancelled()) stream.send({ type: 'requestOk', parameters: {}, trackProperties: [] });
    },
  };
}
