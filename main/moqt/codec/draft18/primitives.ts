// Draft-18 building blocks shared by control messages and data streams: Location, Reason Phrase,
// length-prefixed strings and Track Namespace / Full Track Name with the draft's limits applied.
import type { ByteReader } from '../../../../common/codec/byte-reader.js';
import type { ByteWriter } from '../../../../common/codec/byte-writer.js';
import {
  MAX_FULL_TRACK_NAME_LENGTH,
  MAX_NAMESPACE_FIELDS,
  readFullTrackName,
  readTrackNamespace,
  validateFullTrackName,
  writeFullTrackName,
  writeTrackNamespace,
} from '../../../../common/codec/track-name.js';
import type { FullTrackName, TrackNamespace } from '../../../../common/codec/track-name.js';
import { protocolViolation } from '../errors.js';
import { MAX_REASON_PHRASE_LENGTH } from './constants.js';

export interface Location {
  readonly group: bigint;
  readonly object: bigint;
}

export function readLocation(reader: ByteReader): Location {
  const group = reader.varintBig();
  const object = reader.varintBig();
  return { group, object };
}

export function writeLocation(writer: ByteWriter, location: Location): void {
  writer.varint(location.group).varint(location.object);
}

export function compareLocations(a: Location, b: Location): number {
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  if (a.object !== b.object) return a.object < b.object ? -1 : 1;
  return 0;
}

const encoder = new TextEncoder();
// Lenient: a peer's diagnostic text with bad UTF-8 is not worth closing a session over.
const lenientDecoder = new TextDecoder('utf-8');

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  return lenientDecoder.decode(bytes);
}

/** A varint length plus bytes, refusing anything longer than `max` with PROTOCOL_VIOLATION. */
export function readBoundedBytes(reader: ByteReader, max: number, what: string): Uint8Array {
  const length = reader.varint();
  if (length > max) protocolViolation(`${what} is ${length} bytes; at most ${max} allowed`, 'limit');
  return reader.bytes(length);
}

export function writeBoundedBytes(writer: ByteWriter, bytes: Uint8Array, max: number, what: string): void {
  if (bytes.length > max) throw new RangeError(`${what} is ${bytes.length} bytes; at most ${max} allowed`);
  writer.lengthPrefixed(bytes);
}

export function readReasonPhrase(reader: ByteReader): string {
  return utf8Decode(readBoundedBytes(reader, MAX_REASON_PHRASE_LENGTH, 'reason phrase'));
}

export function writeReasonPhrase(writer: ByteWriter, reason: string): void {
  writeBoundedBytes(writer, utf8Encode(reason), MAX_REASON_PHRASE_LENGTH, 'reason phrase');
}

// The draft's namespace and track-name limits (≤32 non-empty fields, ≤4096 bytes) and copying of
// decoded fields live in common/codec/track-name.ts; these names keep the codec's vocabulary.
export {
  readFullTrackName as readTrackName,
  readTrackNamespace as readNamespace,
  validateFullTrackName,
  writeFullTrackName as writeTrackName,
  writeTrackNamespace as writeNamespace,
};

export function validateNamespace(namespace: TrackNamespace): void {
  validateFullTrackName({ namespace, name: new Uint8Array(0) });
}

export { MAX_NAMESPACE_FIELDS, MAX_FULL_TRACK_NAME_LENGTH };
export type { FullTrackName, TrackNamespace };
