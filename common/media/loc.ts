// LOC packaging (draft-ietf-moq-loc) of one encoded frame per MoQ object. The relay must learn
// nothing beyond the object identity, so every LOC property we use travels as a LOC *Private*
// Property inside the SFrame-protected payload (the draft's §"Private Properties for Sensitive
// Metadata"); the public MoQ object carries none. The protected plaintext — a "LOC frame" — is
//
//   LOC frame  = Properties Length (vi64) ‖ LOC Private Properties ‖ LOC Payload
//   Properties = MoQT Key-Value-Pairs (types ascending, delta-encoded; even type → vi64 value,
//                odd type → vi64 length + bytes), each type at most once:
//     0x10 TIMESTAMP            required   capture time, µs since the Unix epoch (no TIMESCALE)
//     0x09 VIDEO_FRAME_MARKING  video only, required; 1–4 bytes, first byte per RFC 9626:
//                               S=0x80 start, E=0x40 end, I=0x20 independent (keyframe), D=0x10
//     0x0D VIDEO_CONFIG         video keyframes only; the WebCodecs decoder `description`
//     0x0F AUDIO_CONFIG         audio only; the WebCodecs decoder `description`
//   LOC Payload = the "internal data" of the EncodedVideoChunk / EncodedAudioChunk (≥ 1 byte)
//
// TIMESCALE (0x08) is refused: our timestamps are wall-clock capture times, which is what the
// viewer's latency figure needs. Other property types (defined by other specifications) are
// skipped, within a small count bound. Anything else odd — truncation, duplicates, a config on a
// delta frame, sizes past the bounds — is a DecodeError, never a partially decoded frame.
import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { DecodeError } from '../codec/errors.js';
import { readKeyValuePairs, type KeyValuePair } from '../codec/key-value-pairs.js';

export const LOC_TIMESCALE = 0x08n;
export const LOC_VIDEO_FRAME_MARKING = 0x09n;
export const LOC_VIDEO_CONFIG = 0x0dn;
export const LOC_AUDIO_CONFIG = 0x0fn;
export const LOC_TIMESTAMP = 0x10n;

/** RFC 9626 frame-marking bits (first byte). */
const MARK_START = 0x80;
const MARK_END = 0x40;
const MARK_INDEPENDENT = 0x20;

/** avcC / AV1 / Opus decoder descriptions are tens to hundreds of bytes; this leaves ample room. */
export const MAX_CODEC_CONFIG = 16 * 1024;
const MAX_PROPERTIES_LENGTH = MAX_CODEC_CONFIG + 256;
const MAX_PROPERTIES = 16;
/** The SFrame plaintext must fit a media frame payload (4 MiB) with the SFrame header and tag. */
export const MAX_LOC_FRAME = 4 * 1024 * 1024 - 64;

export type LocTrackKind = 'video' | 'audio';

export interface LocFrame {
  readonly kind: LocTrackKind;
  /** Capture time in microseconds since the Unix epoch. */
  readonly timestampUs: number;
  /** Video: RFC 9626 I bit. Audio frames are always independently decodable (true). */
  readonly keyframe: boolean;
  /** The decoder `description` (VIDEO_CONFIG on keyframes / AUDIO_CONFIG), when the codec needs one. */
  readonly config?: Uint8Array | undefined;
  /** The encoded chunk's bytes. */
  readonly payload: Uint8Array;
}

export function encodeLocFrame(frame: LocFrame): Uint8Array {
  if (frame.kind !== 'video' && frame.kind !== 'audio')
    throw new RangeError('LOC frame kind must be video or audio');
  if (!Number.isSafeInteger(frame.timestampUs) || frame.timestampUs < 0)
    throw new RangeError('LOC timestamp must be a safe integer ≥ 0');
  if (frame.kind === 'audio' && !frame.keyframe)
    throw new RangeError('audio LOC frames are always independent');
  if (frame.config && frame.config.length > MAX_CODEC_CONFIG) throw new RangeError('codec config too large');
  if (frame.config && !frame.keyframe) throw new RangeError('a codec config belongs on a keyframe');
  if (frame.payload.length === 0) throw new RangeError('LOC payload must not be empty');

  // Types ascending, as the delta encoding requires: 0x09, 0x0D / 0x0F, 0x10.
  const props = new ByteWriter(32 + (frame.config?.length ?? 0));
  let previous = 0n;
  const type = (t: bigint) => {
    props.varint(t - previous);
    previous = t;
  };
  if (frame.kind === 'video') {
    type(LOC_VIDEO_FRAME_MARKING);
    props.lengthPrefixed(new Uint8Array([MARK_START | MARK_END | (frame.keyframe ? MARK_INDEPENDENT : 0)]));
  }
  if (frame.config) {
    type(frame.kind === 'video' ? LOC_VIDEO_CONFIG : LOC_AUDIO_CONFIG);
    props.lengthPrefixed(frame.config);
  }
  type(LOC_TIMESTAMP);
  props.varint(frame.timestampUs);
  const properties = props.finish();

  const out = new ByteWriter(properties.length + frame.payload.length + 4)
    .lengthPrefixed(properties)
    .bytes(frame.payload)
    .finish();
  if (out.length > MAX_LOC_FRAME) throw new RangeError('LOC frame too large');
  return out;
}

/** Strict decoder for the plaintext of a protected object on a `kind` track. */
export function decodeLocFrame(bytes: Uint8Array, kind: LocTrackKind): LocFrame {
  if (bytes.length > MAX_LOC_FRAME) throw new DecodeError('overflow', 'LOC frame too large');
  const reader = new ByteReader(bytes);
  const properties = readProperties(reader.lengthPrefixed(MAX_PROPERTIES_LENGTH));
  const payload = reader.rest();
  if (payload.length === 0) throw new DecodeError('invalid', 'LOC payload is empty');

  const timestamp = properties.get(LOC_TIMESTAMP);
  if (typeof timestamp !== 'bigint') throw new DecodeError('invalid', 'LOC frame has no timestamp');
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER))
    throw new DecodeError('overflow', 'LOC timestamp exceeds the largest safe integer');
  if (properties.has(LOC_TIMESCALE)) throw new DecodeError('invalid', 'LOC timescale is not supported');

  const marking = properties.get(LOC_VIDEO_FRAME_MARKING);
  const videoConfig = properties.get(LOC_VIDEO_CONFIG);
  const audioConfig = properties.get(LOC_AUDIO_CONFIG);
  if (kind === 'audio') {
    if (marking !== undefined || videoConfig !== undefined)
      throw new DecodeError('invalid', 'video properties on an audio LOC frame');
    const config = bytesProperty(audioConfig);
    return { kind, timestampUs: Number(timestamp), keyframe: true, config, payload };
  }
  if (audioConfig !== undefined) throw new DecodeError('invalid', 'audio config on a video LOC frame');
  if (!(marking instanceof Uint8Array) || marking.length < 1 || marking.length > 4)
    throw new DecodeError('invalid', 'video LOC frame needs a 1-4 byte frame marking');
  const first = marking[0]!;
  if ((first & (MARK_START | MARK_END)) !== (MARK_START | MARK_END))
    throw new DecodeError('invalid', 'a LOC object must hold one whole frame (S and E set)');
  const keyframe = (first & MARK_INDEPENDENT) !== 0;
  const config = bytesProperty(videoConfig);
  if (config && !keyframe) throw new DecodeError('invalid', 'video config on a delta frame');
  return { kind, timestampUs: Number(timestamp), keyframe, config, payload };
}

function readProperties(bytes: Uint8Array): Map<bigint, KeyValuePair['value']> {
  let pairs: KeyValuePair[];
  try {
    pairs = readKeyValuePairs(new ByteReader(bytes));
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError('invalid', 'malformed LOC properties');
  }
  if (pairs.length > MAX_PROPERTIES) throw new DecodeError('invalid', 'too many LOC properties');
  const map = new Map<bigint, KeyValuePair['value']>();
  for (const pair of pairs) {
    if (map.has(pair.type))
      throw new DecodeError('invalid', `LOC property 0x${pair.type.toString(16)} repeated`);
    map.set(pair.type, pair.value);
  }
  return map;
}

function bytesProperty(value: KeyValuePair['value'] | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array)) throw new DecodeError('invalid', 'LOC config must be bytes');
  if (value.length === 0 || value.length > MAX_CODEC_CONFIG)
    throw new DecodeError('invalid', 'LOC config has an invalid length');
  return value;
}

/**
 * Assigns MoQ (group, object) IDs: a new group where `startsGroup` says (each video keyframe; a
 * fixed run of audio frames), object IDs 0, 1, 2… within it. Groups start at `firstGroup`, which
 * callers take from the wall clock so a restarted publisher never reuses a group ID (MSF §7.1).
 */
export class GroupSequencer {
  private group: number;
  private object = -1;
  private started = false;

  constructor(firstGroup: number) {
    if (!Number.isSafeInteger(firstGroup) || firstGroup < 0) throw new RangeError('invalid first group');
    this.group = firstGroup;
  }

  next(startsGroup: boolean): { group: number; object: number } {
    if (!this.started) {
      this.started = true;
      this.object = 0;
    } else if (startsGroup) {
      this.group++;
      this.object = 0;
    } else {
      this.object++;
    }
    return { group: this.group, object: this.object };
  }

  /** Objects in the current group so far. */
  get objectsInGroup(): number {
    return this.object + 1;
  }
}
