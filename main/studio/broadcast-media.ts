// A broadcast's media on MoQ, as the Node core handles it: the producer side publishes the protected
// frames the renderer hands over (catalog, video, audio tracks under the broadcast's namespace), the
// viewer side follows those tracks and hands the protected frames to the renderer. Payloads stay
// SFrame ciphertext throughout; this code only routes by track, group and object.
import { MEDIA_TRACKS } from '../../common/bridge/index.js';
import type { MediaFrame, MediaTrack } from '../../common/bridge/index.js';
import type { FullTrackName } from '../../common/codec/track-name.js';
import type { MoqtSessionApi, RequestHandler } from '../moqt/session/api.js';
import { followMediaTrack } from '../broadcast/track-follower.js';
import { TrackPublisher } from '../broadcast/track-publisher.js';

const te = new TextEncoder();

/** The namespace of a broadcast's media tracks (UTF-8 fields), as SessionStatus.mediaNamespace shows it. */
export function mediaNamespace(groupId: string): string[] {
  return ['moq-studio', 'media', groupId];
}

export function mediaTrackName(groupId: string, track: MediaTrack): FullTrackName {
  return { namespace: mediaNamespace(groupId).map((field) => te.encode(field)), name: te.encode(track) };
}

export interface MediaCounters {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  framesDropped: number;
  framesWithoutKey: number;
}

export function emptyCounters(): MediaCounters {
  return {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    framesDropped: 0,
    framesWithoutKey: 0,
  };
}

export class ProducerMedia {
  private readonly byName = new Map<MediaTrack, TrackPublisher>();
  /** Per track, publishes run one after another: object order on the wire is the renderer's order. */
  private readonly queues = new Map<MediaTrack, Promise<void>>();
  /** Answers SUBSCRIBE and FETCH for the broadcast's tracks. */
  readonly handler: RequestHandler;

  constructor(
    private readonly groupId: string,
    private readonly counters: MediaCounters,
  ) {
    let handler: RequestHandler = {};
    for (const name of MEDIA_TRACKS) {
      const publisher = new TrackPublisher(mediaTrackName(groupId, name));
      this.byName.set(name, publisher);
      handler = publisher.handler(handler);
    }
    this.handler = handler;
  }

  async announce(session: MoqtSessionApi): Promise<void> {
    await session.publishNamespace(mediaTrackName(this.groupId, 'video').namespace);
  }

  publish(frame: MediaFrame): void {
    const track = this.byName.get(frame.track)!;
    const previous = this.queues.get(frame.track) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        await track.publish(BigInt(frame.group), BigInt(frame.object), frame.payload);
        this.counters.framesSent++;
        this.counters.bytesSent += frame.payload.length;
      } catch {
        // Out of order or after the end: the renderer's bug or a stale frame, never the wire's.
        this.counters.framesDropped++;
      }
    });
    this.queues.set(frame.track, next);
  }

  close(): void {
    for (const track of this.byName.values()) track.close();
  }
}

export class ViewerMedia {
  private readonly abort = new AbortController();

  constructor(
    private readonly session: MoqtSessionApi,
    private readonly groupId: string,
    private readonly counters: MediaCounters,
    private readonly deliver: (frame: MediaFrame) => void,
    /** The producer ended the broadcast (its video track ended, not just its connection). */
    private readonly onBroadcastEnded: () => void,
  ) {}

  start(): void {
    for (const name of MEDIA_TRACKS) {
      // Catalog and video start at their group's first object (the catalog / the keyframe); audio
      // frames are independent, so the live edge is enough.
      void followMediaTrack(
        this.session,
        mediaTrackName(this.groupId, name),
        (object) => {
          if (
            object.groupId > BigInt(Number.MAX_SAFE_INTEGER) ||
            object.objectId > BigInt(Number.MAX_SAFE_INTEGER)
          ) {
            this.counters.framesDropped++;
            return;
          }
          this.counters.framesReceived++;
          this.counters.bytesReceived += object.payload.length;
          this.deliver({
            track: name,
            group: Number(object.groupId),
            object: Number(object.objectId),
            payload: object.payload,
          });
        },
        this.abort.signal,
        {
          fromGroupStart: name !== 'audio',
          ...(name === 'video' ? { onEnded: this.onBroadcastEnded } : {}),
        },
      );
    }
  }

  stop(): void {
    this.abort.abort();
  }
}
