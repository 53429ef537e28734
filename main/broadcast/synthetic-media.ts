// Synthetic encrypted media for the headless commands: a producer publishes one video-like track
// of SFrame-protected frames (a MoQ group per "keyframe interval", one object per frame) and viewers
// subscribe and decrypt. Each frame starts with a recognisable plaintext marker, so tests can check
// that nothing on the wire (relay, spy subscriber) ever carries it in clear.
import type { FullTrackName } from '../../common/codec/track-name.js';
import { ObjectMetadataEncoder } from '../../common/sframe/index.js';
import { RequestErrorCode } from '../moqt/codec/error-codes.js';
import { trackKey } from '../relay/names.js';
import type {
  IncomingSubscribe,
  MoqtSessionApi,
  RequestHandler,
  SubgroupWriter,
  TrackWriter,
} from '../moqt/session/api.js';
import type { MediaKeys } from './media-keys.js';

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
  private readonly writers = new Set<TrackWriter>();
  private readonly subgroups = new Map<TrackWriter, SubgroupWriter>();
  private readonly track: FullTrackName;
  private readonly metadata: ObjectMetadataEncoder;
  private group = 0n;
  private object = 0n;

  constructor(
    groupId: string,
    private readonly keys: MediaKeys,
    private readonly options: { readonly frameBytes: number; readonly framesPerGroup: number },
  ) {
    this.track = mediaTrack(groupId);
    this.metadata = new ObjectMetadataEncoder(this.track);
  }

  /** The producer's session handler: answers SUBSCRIBEs for the media track. */
  readonly handler: RequestHandler = {
    onSubscribe: (request: IncomingSubscribe) => {
      if (trackKey(request.track) !== trackKey(this.track)) {
        request.reject(RequestErrorCode.DOES_NOT_EXIST, 'unknown track');
        return;
      }
      const writer = request.accept(
        this.group > 0n || this.object > 0n ? { largest: { group: this.group, object: this.object } } : {},
      );
      this.writers.add(writer);
      void writer.cancelled.then(() => {
        this.writers.delete(writer);
        this.subgroups.delete(writer);
      });
    },
  };

  async announce(session: MoqtSessionApi): Promise<void> {
    await session.publishNamespace(this.track.namespace);
  }

  /** Encrypts and sends the next frame to every subscriber. */
  async sendFrame(): Promise<void> {
    if (this.object >= BigInt(this.options.framesPerGroup)) {
      this.group++;
      this.object = 0n;
      for (const [writer, subgroup] of this.subgroups) {
        void subgroup.close({ endOfGroup: true }).catch(() => {});
        this.subgroups.delete(writer);
      }
    }
    const frame = syntheticFrame(this.group, this.object, this.options.frameBytes);
    let payload: Uint8Array;
    try {
      payload = await this.keys.protect(frame, this.metadata.encode(this.group, this.object));
    } catch {
      this.stats.framesWithoutKey++;
      this.object++;
      return;
    }
    const objectId = this.object++;
    const groupId = this.group;
    await Promise.all(
      [...this.writers].map(async (writer) => {
        try {
          let subgroup = this.subgroups.get(writer);
          if (!subgroup) {
            subgroup = await writer.openSubgroup({ groupId, firstObject: objectId === 0n });
            this.subgroups.set(writer, subgroup);
          }
          await subgroup.write(objectId, payload);
        } catch {
          // That subscriber went away; its writer is dropped when `cancelled` resolves.
        }
      }),
    );
    this.stats.framesSent++;
  }

  close(): void {
    for (const writer of this.writers) writer.finish(0n, 'broadcast ended');
    this.writers.clear();
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
  while (!signal.aborted) {
    let subscription: Awaited<ReturnType<MoqtSessionApi['subscribe']>>;
    try {
      subscription = await session.subscribe(track);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 300));
      continue;
    }
    signal.addEventListener('abort', () => subscription.cancel(), { once: true });
    for await (const object of subscription) {
      if (object.status !== 'normal') continue;
      try {
        const frame = await keys.unprotect(object.payload, metadata.encode(object.groupId, object.objectId));
        if (isSyntheticFrame(frame, object.groupId, object.objectId)) stats.framesDecrypted++;
        else stats.framesCorrupt++;
      } catch {
        stats.framesUndecryptable++;
      }
    }
  }
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
