// MoQT draft-18 Full Track Name (§2.4.1): a Track Namespace (0..32 non-empty fields)
// plus a Track Name. Serialized as varint field count, then each field length-prefixed, then the
// length-prefixed track name — the same bytes SecureObjects and our SFrame metadata authenticate.
import type { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { DecodeError } from './errors.js';

export const MAX_NAMESPACE_FIELDS = 32;
export const MAX_FULL_TRACK_NAME_LENGTH = 4096;

export type TrackNamespace = readonly Uint8Array[];

const EMPTY = new Uint8Array(0);

export interface FullTrackName {
  readonly namespace: TrackNamespace;
  readonly name: Uint8Array;
}

/** Throws a RangeError (encoding) or DecodeError (decoding) when the draft's limits are broken. */
export function validateFullTrackName(
  track: FullTrackName,
  fail = (msg: string): never => {
    throw new RangeError(msg);
  },
): void {
  if (track.namespace.length > MAX_NAMESPACE_FIELDS) {
    fail(`track namespace has ${track.namespace.length} fields; at most ${MAX_NAMESPACE_FIELDS} are allowed`);
  }
  let total = track.name.length;
  for (const field of track.namespace) {
    if (field.length === 0) fail('track namespace fields must not be empty');
    total += field.length;
  }
  if (total > MAX_FULL_TRACK_NAME_LENGTH) {
    fail(`full track name is ${total} bytes; at most ${MAX_FULL_TRACK_NAME_LENGTH} are allowed`);
  }
}

export function writeTrackNamespace(writer: ByteWriter, namespace: TrackNamespace): void {
  validateFullTrackName({ namespace, name: EMPTY });
  writer.varint(namespace.length);
  for (const field of namespace) writer.lengthPrefixed(field);
}

export function readTrackNamespace(reader: ByteReader): Uint8Array[] {
  const count = reader.varint();
  if (count > MAX_NAMESPACE_FIELDS) {
    throw new DecodeError('invalid', `track namespace has ${count} fields; at most ${MAX_NAMESPACE_FIELDS}`);
  }
  const fields: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const field = reader.lengthPrefixed(MAX_FULL_TRACK_NAME_LENGTH);
    if (field.length === 0) throw new DecodeError('invalid', 'track namespace fields must not be empty');
    total += field.length;
    if (total > MAX_FULL_TRACK_NAME_LENGTH) {
      throw new DecodeError('invalid', `track namespace exceeds ${MAX_FULL_TRACK_NAME_LENGTH} bytes`);
    }
    // Copies, so decoded names never alias (and pin) a parser's receive buffer.
    fields.push(field.slice());
  }
  return fields;
}

export function writeFullTrackName(writer: ByteWriter, track: FullTrackName): void {
  validateFullTrackName(track);
  writeTrackNamespace(writer, track.namespace);
  writer.lengthPrefixed(track.name);
}

export function readFullTrackName(reader: ByteReader): FullTrackName {
  const namespace = readTrackNamespace(reader);
  const name = reader.lengthPrefixed(MAX_FULL_TRACK_NAME_LENGTH).slice();
  const track = { namespace, name };
  validateFullTrackName(track, (msg) => {
    throw new DecodeError('invalid', msg);
  });
  return track;
}

/** The "Serialized Full Track Name" of draft-ietf-moq-secure-objects §3.3.1. */
export function serializeFullTrackName(track: FullTrackName): Uint8Array {
  const writer = new ByteWriter(64);
  writeFullTrackName(writer, track);
  return writer.finish();
}

const textEncoder = new TextEncoder();
/** Convenience for the common case of UTF-8 names: `fullTrackName(['studio', 'room1'], 'video')`. */
export function fullTrackName(namespace: readonly string[], name: string): FullTrackName {
  return { namespace: namespace.map((field) => textEncoder.encode(field)), name: textEncoder.encode(name) };
}
