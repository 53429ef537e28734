// Draft-18 control message framing (`Type (vi64) | Length (16) | Payload`) and the payload
// layout of every message type. Decoding is all-or-error: a payload that is shorter or longer than
// its Length, or any malformed field, throws MoqtDecodeError instead of returning a partial message.
import { ByteReader } from '../../../../common/codec/byte-reader.js';
import { ByteWriter } from '../../../../common/codec/byte-writer.js';
import { DecodeError } from '../../../../common/codec/errors.js';
import { RequestErrorCode } from '../error-codes.js';
import { MoqtDecodeError, asProtocolError, protocolViolation } from '../errors.js';
import { MAX_CONTROL_MESSAGE_LENGTH, MAX_GOAWAY_URI_LENGTH, MessageType } from './constants.js';
import { readKeyValuePairs, writeKeyValuePairs } from './key-value.js';
import type { KeyValuePair } from './key-value.js';
import type { ControlMessage, FetchRange, Redirect } from './messages.js';
import { readParameters, writeParameters } from './parameters.js';
import {
  readBoundedBytes,
  readLocation,
  readNamespace,
  readReasonPhrase,
  readTrackName,
  utf8Decode,
  utf8Encode,
  writeBoundedBytes,
  writeLocation,
  writeNamespace,
  writeReasonPhrase,
  writeTrackName,
} from './primitives.js';
import type { TrackNamespace } from './primitives.js';
import { decodeSetupOptions, encodeSetupOptions } from './setup-options.js';

const FetchType = { STANDALONE: 1, RELATIVE_JOINING: 2, ABSOLUTE_JOINING: 3 } as const;

/** Wire type of a message (PUBLISH_OK uses its registered alias 0x1E). */
export function messageTypeCode(message: ControlMessage): number {
  switch (message.type) {
    case 'setup':
      return MessageType.SETUP;
    case 'goaway':
      return MessageType.GOAWAY;
    case 'requestOk':
      return MessageType.REQUEST_OK;
    case 'publishOk':
      return MessageType.PUBLISH_OK;
    case 'requestError':
      return MessageType.REQUEST_ERROR;
    case 'subscribe':
      return MessageType.SUBSCRIBE;
    case 'subscribeOk':
      return MessageType.SUBSCRIBE_OK;
    case 'requestUpdate':
      return MessageType.REQUEST_UPDATE;
    case 'publish':
      return MessageType.PUBLISH;
    case 'publishDone':
      return MessageType.PUBLISH_DONE;
    case 'fetch':
      return MessageType.FETCH;
    case 'fetchOk':
      return MessageType.FETCH_OK;
    case 'trackStatus':
      return MessageType.TRACK_STATUS;
    case 'publishNamespace':
      return MessageType.PUBLISH_NAMESPACE;
    case 'namespace':
      return MessageType.NAMESPACE;
    case 'namespaceDone':
      return MessageType.NAMESPACE_DONE;
    case 'subscribeNamespace':
      return MessageType.SUBSCRIBE_NAMESPACE;
    case 'subscribeTracks':
      return MessageType.SUBSCRIBE_TRACKS;
    case 'publishBlocked':
      return MessageType.PUBLISH_BLOCKED;
  }
}

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(MessageType));

export function isKnownMessageType(type: number): boolean {
  return KNOWN_TYPES.has(type);
}

function writeSuffixAndName(writer: ByteWriter, suffix: TrackNamespace, name: Uint8Array): void {
  writeTrackName(writer, { namespace: suffix, name });
}

function writeRedirect(writer: ByteWriter, redirect: Redirect): void {
  writer.lengthPrefixed(utf8Encode(redirect.connectUri));
  writeSuffixAndName(writer, redirect.namespace, redirect.trackName);
}

function writeFetchRange(writer: ByteWriter, fetch: FetchRange): void {
  switch (fetch.kind) {
    case 'standalone':
      writer.varint(FetchType.STANDALONE);
      writeTrackName(writer, fetch.track);
      writeLocation(writer, fetch.start);
      writeLocation(writer, fetch.end);
      break;
    case 'relative-joining':
    case 'absolute-joining':
      writer.varint(
        fetch.kind === 'relative-joining' ? FetchType.RELATIVE_JOINING : FetchType.ABSOLUTE_JOINING,
      );
      writer.varint(fetch.joiningRequestId).varint(fetch.joiningStart);
      break;
  }
}

/** Writes a message's payload (everything after Type and Length). */
export function writeControlPayload(writer: ByteWriter, message: ControlMessage): void {
  switch (message.type) {
    case 'setup':
      writeKeyValuePairs(writer, encodeSetupOptions(message.options));
      break;
    case 'goaway':
      writeBoundedBytes(writer, utf8Encode(message.newSessionUri), MAX_GOAWAY_URI_LENGTH, 'GOAWAY URI');
      writer.varint(message.timeout);
      if (message.requestId !== undefined) writer.varint(message.requestId);
      break;
    case 'requestOk':
      writeParameters(writer, 'requestOk', message.parameters);
      writeKeyValuePairs(writer, message.trackProperties);
      break;
    case 'publishOk':
      writeParameters(writer, 'publishOk', message.parameters);
      break;
    case 'requestError':
      writer.varint(message.errorCode).varint(message.retryInterval);
      writeReasonPhrase(writer, message.reason);
      if ((message.errorCode === RequestErrorCode.REDIRECT) !== (message.redirect !== undefined)) {
        throw new RangeError('a Redirect is present exactly when the error code is REDIRECT');
      }
      if (message.redirect !== undefined) writeRedirect(writer, message.redirect);
      break;
    case 'subscribe':
      writer.varint(message.requestId);
      writeTrackName(writer, message.track);
      writeParameters(writer, 'subscribe', message.parameters);
      break;
    case 'subscribeOk':
      writer.varint(message.trackAlias);
      writeParameters(writer, 'subscribeOk', message.parameters);
      writeKeyValuePairs(writer, message.trackProperties);
      break;
    case 'requestUpdate':
      writer.varint(message.requestId);
      writeParameters(writer, 'requestUpdate', message.parameters);
      break;
    case 'publish':
      writer.varint(message.requestId);
      writeTrackName(writer, message.track);
      writer.varint(message.trackAlias);
      writeParameters(writer, 'publish', message.parameters);
      writeKeyValuePairs(writer, message.trackProperties);
      break;
    case 'publishDone':
      writer.varint(message.statusCode).varint(message.streamCount);
      writeReasonPhrase(writer, message.reason);
      break;
    case 'fetch':
      writer.varint(message.requestId);
      writeFetchRange(writer, message.fetch);
      writeParameters(writer, 'fetch', message.parameters);
      break;
    case 'fetchOk':
      writer.u8(message.endOfTrack ? 1 : 0);
      writeLocation(writer, message.endLocation);
      writeParameters(writer, 'fetchOk', message.parameters);
      writeKeyValuePairs(writer, message.trackProperties);
      break;
    case 'trackStatus':
      writer.varint(message.requestId);
      writeTrackName(writer, message.track);
      writeParameters(writer, 'trackStatus', message.parameters);
      break;
    case 'publishNamespace':
      writer.varint(message.requestId);
      writeNamespace(writer, message.namespace);
      writeParameters(writer, 'publishNamespace', message.parameters);
      break;
    case 'namespace':
    case 'namespaceDone':
      writeNamespace(writer, message.suffix);
      break;
    case 'subscribeNamespace':
    case 'subscribeTracks':
      writer.varint(message.requestId);
      writeNamespace(writer, message.prefix);
      writeParameters(writer, message.type, message.parameters);
      break;
    case 'publishBlocked':
      writeSuffixAndName(writer, message.suffix, message.trackName);
      break;
  }
}

/** Encodes one framed control message. Throws RangeError for values the wire cannot carry. */
export function encodeControlMessage(message: ControlMessage): Uint8Array {
  const payload = new ByteWriter(128);
  writeControlPayload(payload, message);
  const body = payload.finish();
  if (body.length > MAX_CONTROL_MESSAGE_LENGTH) {
    throw new RangeError(`control message payload is ${body.length} bytes; at most 65535 fit`);
  }
  return new ByteWriter(body.length + 11)
    .varint(messageTypeCode(message))
    .u16(body.length)
    .bytes(body)
    .finish();
}

function rest(reader: ByteReader): KeyValuePair[] {
  return readKeyValuePairs(new ByteReader(reader.rest()));
}

function readRedirect(reader: ByteReader): Redirect {
  const connectUri = utf8Decode(reader.lengthPrefixed(MAX_CONTROL_MESSAGE_LENGTH));
  const track = readTrackName(reader);
  return { connectUri, namespace: track.namespace, trackName: track.name };
}

function readFetchRange(reader: ByteReader): FetchRange {
  const fetchType = reader.varintBig();
  switch (fetchType) {
    case 1n: {
      const track = readTrackName(reader);
      const start = readLocation(reader);
      const end = readLocation(reader);
      return { kind: 'standalone', track, start, end };
    }
    case 2n:
    case 3n: {
      const joiningRequestId = reader.varintBig();
      const joiningStart = reader.varintBig();
      const kind = fetchType === 2n ? 'relative-joining' : 'absolute-joining';
      return { kind, joiningRequestId, joiningStart };
    }
    default:
      return protocolViolation(`unknown fetch type ${fetchType}`, 'unknown-type');
  }
}

function readPayload(type: number, reader: ByteReader): ControlMessage {
  switch (type) {
    case MessageType.SETUP:
      return { type: 'setup', options: decodeSetupOptions(readKeyValuePairs(reader)) };
    case MessageType.GOAWAY: {
      const newSessionUri = utf8Decode(readBoundedBytes(reader, MAX_GOAWAY_URI_LENGTH, 'GOAWAY URI'));
      const timeout = reader.varintBig();
      // The optional Request ID is present iff bytes remain (it is only sent on the control stream).
      if (reader.remaining === 0) return { type: 'goaway', newSessionUri, timeout };
      return { type: 'goaway', newSessionUri, timeout, requestId: reader.varintBig() };
    }
    case MessageType.REQUEST_OK: {
      const parameters = readParameters(reader, 'requestOk');
      return { type: 'requestOk', parameters, trackProperties: rest(reader) };
    }
    case MessageType.PUBLISH_OK: {
      const parameters = readParameters(reader, 'publishOk');
      if (reader.remaining !== 0) protocolViolation('PUBLISH_OK must not carry Track Properties');
      return { type: 'publishOk', parameters };
    }
    case MessageType.REQUEST_ERROR: {
      const errorCode = reader.varintBig();
      const retryInterval = reader.varintBig();
      const reason = readReasonPhrase(reader);
      if (errorCode !== RequestErrorCode.REDIRECT)
        return { type: 'requestError', errorCode, retryInterval, reason };
      return { type: 'requestError', errorCode, retryInterval, reason, redirect: readRedirect(reader) };
    }
    case MessageType.SUBSCRIBE:
    case MessageType.TRACK_STATUS: {
      const requestId = reader.varintBig();
      const track = readTrackName(reader);
      if (type === MessageType.SUBSCRIBE) {
        return { type: 'subscribe', requestId, track, parameters: readParameters(reader, 'subscribe') };
      }
      return { type: 'trackStatus', requestId, track, parameters: readParameters(reader, 'trackStatus') };
    }
    case MessageType.SUBSCRIBE_OK: {
      const trackAlias = reader.varintBig();
      const parameters = readParameters(reader, 'subscribeOk');
      return { type: 'subscribeOk', trackAlias, parameters, trackProperties: rest(reader) };
    }
    case MessageType.REQUEST_UPDATE: {
      const requestId = reader.varintBig();
      return { type: 'requestUpdate', requestId, parameters: readParameters(reader, 'requestUpdate') };
    }
    case MessageType.PUBLISH: {
      const requestId = reader.varintBig();
      const track = readTrackName(reader);
      const trackAlias = reader.varintBig();
      const parameters = readParameters(reader, 'publish');
      return { type: 'publish', requestId, track, trackAlias, parameters, trackProperties: rest(reader) };
    }
    case MessageType.PUBLISH_DONE: {
      const statusCode = reader.varintBig();
      const streamCount = reader.varintBig();
      return { type: 'publishDone', statusCode, streamCount, reason: readReasonPhrase(reader) };
    }
    case MessageType.FETCH: {
      const requestId = reader.varintBig();
      const fetch = readFetchRange(reader);
      return { type: 'fetch', requestId, fetch, parameters: readParameters(reader, 'fetch') };
    }
    case MessageType.FETCH_OK: {
      const flag = reader.u8();
      if (flag > 1) protocolViolation(`End Of Track must be 0 or 1, got ${flag}`, 'invalid-value');
      const endLocation = readLocation(reader);
      const parameters = readParameters(reader, 'fetchOk');
      return {
        type: 'fetchOk',
        endOfTrack: flag === 1,
        endLocation,
        parameters,
        trackProperties: rest(reader),
      };
    }
    case MessageType.PUBLISH_NAMESPACE: {
      const requestId = reader.varintBig();
      const namespace = readNamespace(reader);
      return {
        type: 'publishNamespace',
        requestId,
        namespace,
        parameters: readParameters(reader, 'publishNamespace'),
      };
    }
    case MessageType.NAMESPACE:
      return { type: 'namespace', suffix: readNamespace(reader) };
    case MessageType.NAMESPACE_DONE:
      return { type: 'namespaceDone', suffix: readNamespace(reader) };
    case MessageType.SUBSCRIBE_NAMESPACE:
    case MessageType.SUBSCRIBE_TRACKS: {
      const requestId = reader.varintBig();
      const prefix = readNamespace(reader);
      if (type === MessageType.SUBSCRIBE_NAMESPACE) {
        return {
          type: 'subscribeNamespace',
          requestId,
          prefix,
          parameters: readParameters(reader, 'subscribeNamespace'),
        };
      }
      return {
        type: 'subscribeTracks',
        requestId,
        prefix,
        parameters: readParameters(reader, 'subscribeTracks'),
      };
    }
    case MessageType.PUBLISH_BLOCKED: {
      const track = readTrackName(reader);
      return { type: 'publishBlocked', suffix: track.namespace, trackName: track.name };
    }
    default:
      // §Control Messages: "An endpoint that receives an unknown message type MUST close the session."
      return protocolViolation(`unknown control message type 0x${type.toString(16)}`, 'unknown-type');
  }
}

/** Decodes the payload of a message whose Type and Length were already read. */
export function decodeControlPayload(type: number, payload: Uint8Array): ControlMessage {
  return asProtocolError(() => {
    const reader = new ByteReader(payload);
    let message: ControlMessage;
    try {
      message = readPayload(type, reader);
    } catch (error) {
      // Running out of payload means the Length field did not match the message (§Control Messages).
      if (error instanceof DecodeError && !(error instanceof MoqtDecodeError) && error.code === 'truncated') {
        protocolViolation(`control message 0x${type.toString(16)} is longer than its Length field`);
      }
      throw error;
    }
    if (reader.remaining !== 0) {
      protocolViolation(
        `control message 0x${type.toString(16)} has ${reader.remaining} bytes beyond its fields`,
      );
    }
    return message;
  });
}

export interface ControlFrameHeader {
  readonly type: number;
  readonly length: number;
  readonly headerLength: number;
}

/** Reads `Type | Length`; returns undefined when more bytes are needed. */
export function readControlFrameHeader(bytes: Uint8Array): ControlFrameHeader | undefined {
  return asProtocolError(() => {
    const reader = new ByteReader(bytes);
    try {
      const typeBig = reader.varintBig();
      const length = reader.u16();
      // Types above 2^53 cannot be known; keep them as an unknown (negative) sentinel.
      const type = typeBig <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(typeBig) : -1;
      return { type, length, headerLength: reader.position };
    } catch (error) {
      if (error instanceof DecodeError && error.code === 'truncated') return undefined;
      throw error;
    }
  });
}

/** Decodes exactly one framed control message occupying all of `bytes`. */
export function decodeControlMessage(bytes: Uint8Array): ControlMessage {
  const header = readControlFrameHeader(bytes);
  if (header === undefined) protocolViolation('control message header is truncated', 'truncated');
  const end = header.headerLength + header.length;
  if (bytes.length < end) protocolViolation('control message payload is truncated', 'truncated');
  if (bytes.length > end) protocolViolation(`${bytes.length - end} bytes follow the control message`);
  return decodeControlPayload(header.type, bytes.subarray(header.headerLength, end));
}
