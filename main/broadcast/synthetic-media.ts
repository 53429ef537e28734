// Synthetic encrypted media for the headless commands: a producer publishes one video-like track
// of SFrame-protected frames (a MoQ group per "keyframe interval", one object per frame) and viewers
// subscribe and decrypt. Each frame starts with a recognisable plaintext marker, so tests can check
// that nothing on the wire (relay, spy subscriber) ever carries it in clear.
import type { FullTrackName } from '../../common/codec/track-name.js';
import { ObjectMetadataEncoder } from '../../common/sframe/index.js';
import type { MoqtObject, MoqtSessionApi, RequestHandler } from '../moqt/session/api.js';
import type { MediaKeys } from './media-keys.js';
import { followMediaTrack } from './track-follower.js';
import { TrackPublisher } from './track-publisher.js';

const te = new TextEncoder();
export const PLAINTEXT_MARKER = te.encode('MOQ-STUDIO-PLAINTEXT-FRAME');

export function mediaTrack(groupId: string): FullTrackName {
  return {
    namespace: [te.encode('moq-studio'), te.encode('media'), te.encode(groupId)],
    name: te.encode('video'),
  };
}

export interface PublisherStats {
  framesSent: number;
  /** Frames not sent because no media key was available yet (before joining). */
  framesWithoutKey: number;
}

export class SyntheticPublisher {
  readonly stats: PublisherStats = { framesSent: 0, framesWithoutKey: 0 };
  private readonly track: TrackPublisher;
  private readonly metadata: ObjectMetadataEncoder;
  private group = 0n;
  private object = 0n;

  constructor(
    groupId: string,
    private readonly keys: MediaKeys,
    private readonly options: { readonly frameBytes: number; readonly framesPerGroup: number },
  ) {
    this.track = new TrackPublisher(mediaTrack(groupId));
    this.metadata = new ObjectMetadataEncoder(this.track.track);
  }

  /** The producer's session handler: answers SUBSCRIBE and FETCH for the media track. */
  get handler(): RequestHandler {
    return this.track.handler();
  }

  async announce(session: MoqtSessionApi): Promise<void> {
    await session.publishNamespace(this.track.track.namespace);
  }

  /** Encrypts and sends the next frame to every subscriber. */
  async sendFrame(): Promise<void> {
    if (this.object >= BigInt(this.options.framesPerGroup)) {
      this.group++;
      this.object = 0n;
    }
    const groupId = this.group;
    const objectId = this.object++;
    const frame = syntheticFrame(groupId, objectId, this.options.frameBytes);
    let payload: Uint8Array;
    try {
      payload = await this.keys.protect(frame, this.metadata.encode(groupId, objectId));
    } catch {
      this.stats.framesWithoutKey++;
      return;
    }
    await this.track.publish(groupId, objectId, payload);
    this.stats.framesSent++;
  }

  close(): void {
    this.track.close();
  }
}

export interface ViewerStats {
  framesDecrypted: number;
  /** Frames whose key this viewer does not have (e.g. after being removed). */
  framesUndecryptable: number;
  /** Decrypted but not a frame the producer made: would mean a key or metadata bug. */
  framesCorrupt: number;
}

/** Subscribes to the group's media track (retrying until the producer is there) and decrypts it. */
export async function watchMedia(
  session: MoqtSessionApi,
  groupId: string,
  keys: MediaKeys,
  stats: ViewerStats,
  signal: AbortSignal,
): Promise<void> {
  const track = mediaTrack(groupId);
  const metadata = new ObjectMetadataEncoder(track);
  // Decrypted one at a time, in arrival order: counting must not race ahead of the checks.
  let chain = Promise.resolve();
  const onObject = (object: MoqtObject) => {
    chain = chain.then(async () => {
      try {
        const frame = await keys.unprotect(object.payload, metadata.encode(object.groupId, object.objectId));
        if (isSyntheticFrame(frame, object.groupId, object.objectId)) stats.framesDecrypted++;
        else stats.framesCorrupt++;
      } catch {
        stats.framesUndecryptable++;
      }
    });
  };
  await followMediaTrack(session, track, onObject, signal, { fromGroupStart: false });
  await chain;
}

function syntheticFrame(group: bigint, object: bigint, size: number): Uint8Array {
  const frame = new Uint8Array(Math.max(size, PLAINTEXT_MARKER.length + 16));
  frame.set(PLAINTEXT_MARKER);
  const view = new DataView(frame.buffer);
  view.setBigUint64(PLAINTEXT_MARKER.length, group);
  view.setBigUint64(PLAINTEXT_MARKER.length + 8, object);
  return frame;
}

function isSyntheticFrame(frame: Uint8Array, group: bigint, object: bigint): boolean {
  if (frame.length < PLAINTEXT_MARKER.length + 16) return false;
  if (!PLAINTEXT_MARKER.every((b, i) => frame[i] === b)) return false;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return (
    view.getBigUint64(PLAINTEXT_MARKER.length) === group &&
    view.getBigUint64(PLAINTEXT_MARKER.length + 8) === object
  );
}
