// The media channel's unit: one SFrame-protected object (a LOC frame or a catalog update) moving
// between the renderer and the Node core, plus its compact binary form for MessagePort and WebSocket.
// The payload is ciphertext; the core only learns which track, group and object it belongs to —
// exactly what it must put on the wire anyway.
import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { DecodeError } from '../codec/errors.js';

/** Track names of a broadcast (each under the broadcast's media namespace). */
export const MEDIA_TRACKS = ['catalog', 'video', 'audio'] as const;
export type MediaTrack = (typeof MEDIA_TRACKS)[number];

export interface MediaFrame {
  readonly track: MediaTrack;
  /** MoQ group ID: a new group starts at each video keyframe (one GOP per group). */
  readonly group: number;
  /** MoQ object ID within the group: one encoded frame per object. */
  readonly object: number;
  /** SFrame ciphertext of the LOC payload (or the catalog JSON). */
  readonly payload: Uint8Array;
}

const FORMAT_VERSION = 1;
/** Generous for 4K keyframes, small enough that a hostile peer cannot make us buffer much. */
export const MAX_MEDIA_PAYLOAD = 4 * 1024 * 1024;

export function encodeMediaFrame(frame: MediaFrame): Uint8Array {
  const track = MEDIA_TRACKS.indexOf(frame.track);
  if (track < 0) throw new RangeError(`unknown media track ${String(frame.track)}`);
  if (!Number.isSafeInteger(frame.group) || frame.group < 0)
    throw new RangeError('group must be a safe integer ≥ 0');
  if (!Number.isSafeInteger(frame.object) || frame.object < 0)
    throw new RangeError('object must be a safe integer ≥ 0');
  if (frame.payload.length > MAX_MEDIA_PAYLOAD) throw new RangeError('media payload too large');
  return new ByteWriter(frame.payload.length + 24)
    .u8(FORMAT_VERSION)
    .u8(track)
    .varint(frame.group)
    .varint(frame.object)
    .bytes(frame.payload)
    .finish();
}

/** Strict decoder for bytes from the other side of the bridge; throws DecodeError on anything odd. */
export function decodeMediaFrame(bytes: Uint8Array): MediaFrame {
  const reader = new ByteReader(bytes);
  const version = reader.u8();
  if (version !== FORMAT_VERSION)
    throw new DecodeError('invalid', `media frame format ${version} is not supported`);
  const track = MEDIA_TRACKS[reader.u8()];
  if (!track) throw new DecodeError('invalid', 'unknown media track');
  const group = reader.varint();
  const object = reader.varint();
  const payload = reader.rest();
  if (payload.length > MAX_MEDIA_PAYLOAD) throw new DecodeError('overflow', 'media payload too large');
  return { track, group, object, payload };
}

/** One end of the media channel, as the renderer sees it (Electron: a MessagePort; browser mode: a WebSocket). */
export interface MediaChannel {
  /** Sends one protected frame to the core (producers). */
  send(frame: MediaFrame): void;
  /** Frames arriving from the broadcast (viewers); returns the unsubscribe function. */
  onFrame(listener: (frame: MediaFrame) => void): () => void;
  close(): void;
}
