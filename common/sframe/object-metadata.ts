// The SFrame metadata for a MoQ object (seed 002 §"SFrame": the object's track namespace, track
// name, group ID and object ID). Seed 002 leaves the serialization open; ours is
//
//   metadata = Serialized Full Track Name || Group ID (u64, big-endian) || Object ID (u64, big-endian)
//
// where Serialized Full Track Name is the MoQT encoding (varint field count, each field
// varint-length-prefixed, varint-length-prefixed track name) that draft-ietf-moq-secure-objects
// also uses. Every variable part is length-prefixed and the tail is fixed-width, so two different
// identities can never serialize to the same bytes.
import { serializeFullTrackName, type FullTrackName } from '../codec/track-name.js';

export interface ObjectIdentity {
  readonly track: FullTrackName;
  readonly groupId: bigint;
  readonly objectId: bigint;
}

/** Serializes identities of one track, reusing the track prefix (the per-frame cost is 16 bytes). */
export class ObjectMetadataEncoder {
  private readonly trackPrefix: Uint8Array;

  constructor(readonly track: FullTrackName) {
    this.trackPrefix = serializeFullTrackName(track);
  }

  encode(groupId: bigint, objectId: bigint): Uint8Array {
    const out = new Uint8Array(this.trackPrefix.length + 16);
    out.set(this.trackPrefix);
    const view = new DataView(out.buffer, this.trackPrefix.length, 16);
    view.setBigUint64(0, groupId);
    view.setBigUint64(8, objectId);
    return out;
  }
}

export function objectMetadata(identity: ObjectIdentity): Uint8Array {
  return new ObjectMetadataEncoder(identity.track).encode(identity.groupId, identity.objectId);
}
