// The draft-18 control messages as a discriminated union on `type`. vi64 wire fields that may
// legitimately use the full 64-bit range (IDs, aliases, codes, timeouts) are bigints; small
// enumerations are decoded to names.
import type { KeyValuePair } from './key-value.js';
import type { MessageParameters } from './parameters.js';
import type { FullTrackName, Location, TrackNamespace } from './primitives.js';
import type { SetupOptions } from './setup-options.js';

export interface SetupMessage {
  readonly type: 'setup';
  readonly options: SetupOptions;
}

export interface GoawayMessage {
  readonly type: 'goaway';
  /** Empty = keep the current URI. */
  readonly newSessionUri: string;
  /** Milliseconds before the sender closes; 0 = no specific timeout. */
  readonly timeout: bigint;
  /** Only on the control stream. */
  readonly requestId?: bigint;
}

export interface RequestOkMessage {
  readonly type: 'requestOk';
  readonly parameters: MessageParameters;
  readonly trackProperties: readonly KeyValuePair[];
}

/** Wire type 0x1E: REQUEST_OK's body under its PUBLISH_OK alias (Track Properties must be empty). */
export interface PublishOkMessage {
  readonly type: 'publishOk';
  readonly parameters: MessageParameters;
}

export interface Redirect {
  /** Empty = reuse the current session. */
  readonly connectUri: string;
  /** Empty namespace and name = the original request's track. */
  readonly namespace: TrackNamespace;
  readonly trackName: Uint8Array;
}

export interface RequestErrorMessage {
  readonly type: 'requestError';
  readonly errorCode: bigint;
  /** Minimum retry delay in ms plus one; 0 = do not retry. */
  readonly retryInterval: bigint;
  readonly reason: string;
  /** Present exactly when errorCode is REDIRECT (0x34). */
  readonly redirect?: Redirect;
}

export interface SubscribeMessage {
  readonly type: 'subscribe';
  readonly requestId: bigint;
  readonly track: FullTrackName;
  readonly parameters: MessageParameters;
}

export interface SubscribeOkMessage {
  readonly type: 'subscribeOk';
  readonly trackAlias: bigint;
  readonly parameters: MessageParameters;
  readonly trackProperties: readonly KeyValuePair[];
}

export interface RequestUpdateMessage {
  readonly type: 'requestUpdate';
  readonly requestId: bigint;
  readonly parameters: MessageParameters;
}

export interface PublishMessage {
  readonly type: 'publish';
  readonly requestId: bigint;
  readonly track: FullTrackName;
  readonly trackAlias: bigint;
  readonly parameters: MessageParameters;
  readonly trackProperties: readonly KeyValuePair[];
}

export interface PublishDoneMessage {
  readonly type: 'publishDone';
  readonly statusCode: bigint;
  /** 2^62-1 when the publisher cannot count exactly. */
  readonly streamCount: bigint;
  readonly reason: string;
}

export type FetchRange =
  | {
      readonly kind: 'standalone';
      readonly track: FullTrackName;
      readonly start: Location;
      readonly end: Location;
    }
  | { readonly kind: 'relative-joining'; readonly joiningRequestId: bigint; readonly joiningStart: bigint }
  | { readonly kind: 'absolute-joining'; readonly joiningRequestId: bigint; readonly joiningStart: bigint };

export interface FetchMessage {
  readonly type: 'fetch';
  readonly requestId: bigint;
  readonly fetch: FetchRange;
  readonly parameters: MessageParameters;
}

export interface FetchOkMessage {
  readonly type: 'fetchOk';
  readonly endOfTrack: boolean;
  readonly endLocation: Location;
  readonly parameters: MessageParameters;
  readonly trackProperties: readonly KeyValuePair[];
}

export interface TrackStatusMessage {
  readonly type: 'trackStatus';
  readonly requestId: bigint;
  readonly track: FullTrackName;
  readonly parameters: MessageParameters;
}

export interface PublishNamespaceMessage {
  readonly type: 'publishNamespace';
  readonly requestId: bigint;
  readonly namespace: TrackNamespace;
  readonly parameters: MessageParameters;
}

export interface NamespaceMessage {
  readonly type: 'namespace';
  readonly suffix: TrackNamespace;
}

export interface NamespaceDoneMessage {
  readonly type: 'namespaceDone';
  readonly suffix: TrackNamespace;
}

export interface SubscribeNamespaceMessage {
  readonly type: 'subscribeNamespace';
  readonly requestId: bigint;
  readonly prefix: TrackNamespace;
  readonly parameters: MessageParameters;
}

export interface SubscribeTracksMessage {
  readonly type: 'subscribeTracks';
  readonly requestId: bigint;
  readonly prefix: TrackNamespace;
  readonly parameters: MessageParameters;
}

export interface PublishBlockedMessage {
  readonly type: 'publishBlocked';
  readonly suffix: TrackNamespace;
  readonly trackName: Uint8Array;
}

export type ControlMessage =
  | SetupMessage
  | GoawayMessage
  | RequestOkMessage
  | PublishOkMessage
  | RequestErrorMessage
  | SubscribeMessage
  | SubscribeOkMessage
  | RequestUpdateMessage
  | PublishMessage
  | PublishDoneMessage
  | FetchMessage
  | FetchOkMessage
  | TrackStatusMessage
  | PublishNamespaceMessage
  | NamespaceMessage
  | NamespaceDoneMessage
  | SubscribeNamespaceMessage
  | SubscribeTracksMessage
  | PublishBlockedMessage;

export type ControlMessageType = ControlMessage['type'];
