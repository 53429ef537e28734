// Tracks a member publishes itself (the epoch-counter variant of seeds 000/003: its KeyPackage, its
// leave requests, the commits and Welcomes it makes). A member's MoQT session takes one request
// handler when it connects, so this is that handler: it answers SUBSCRIBE and FETCH for the tracks
// registered here from a bounded in-memory archive, and passes every other request to the handler
// the application gave (e.g. the producer's media publisher).
import type { FullTrackName } from '../../common/codec/track-name.js';
import { PublishDoneCode, RequestErrorCode } from '../moqt/codec/error-codes.js';
import type { IncomingFetch, IncomingSubscribe, RequestHandler, TrackWriter } from '../moqt/session/api.js';
import { trackKey } from '../relay/names.js';

interface ArchivedObject {
  readonly groupId: bigint;
  readonly objectId: bigint;
  readonly payload: Uint8Array;
}

const PRIORITY = 128;

/** One track we publish: what was written (newest `maxObjects`) and who is subscribed live. */
export class LocalTrack {
  private readonly archive: ArchivedObject[] = [];
  private readonly writers = new Set<TrackWriter>();

  constructor(
    readonly name: FullTrackName,
    private readonly maxObjects: number,
  ) {}

  get largest(): { group: bigint; object: bigint } | undefined {
    const last = this.archive.at(-1);
    return last ? { group: last.groupId, object: last.objectId } : undefined;
  }

  /** The archived payload at (group, object), if still kept. */
  get(groupId: bigint, objectId = 0n): Uint8Array | undefined {
    return this.archive.find((o) => o.groupId === groupId && o.objectId === objectId)?.payload;
  }

  /**
   * Publishes one object (locations must increase) to the archive and every live subscriber. Each
   * object travels on its own subgroup stream, so objects added to a group later (a newer
   * KeyPackage) need no open stream.
   */
  async publish(groupId: bigint, objectId: bigint, payload: Uint8Array): Promise<void> {
    const last = this.largest;
    if (last && (groupId < last.group || (groupId === last.group && objectId <= last.object)))
      throw new RangeError(`object ${groupId}/${objectId} does not follow ${last.group}/${last.object}`);
    this.archive.push({ groupId, objectId, payload });
    if (this.archive.length > this.maxObjects) this.archive.shift();
    await Promise.all(
      [...this.writers].map(async (writer) => {
        try {
          const subgroup = await writer.openSubgroup({
            groupId,
            subgroupId: objectId,
            publisherPriority: PRIORITY,
          });
          await subgroup.write(objectId, payload);
          await subgroup.close();
        } catch {
          // That subscriber is gone; `cancelled` removes it. FETCH still has the object.
        }
      }),
    );
  }

  subscribe(request: IncomingSubscribe): void {
    const largest = this.largest;
    const writer = request.accept(largest ? { largest } : {});
    this.writers.add(writer);
    const forget = () => this.writers.delete(writer);
    writer.cancelled.then(forget, forget);
  }

  async fetch(request: IncomingFetch): Promise<void> {
    const { start, end } = request;
    const objects = this.archive.filter((o) => {
      if (o.groupId < start.group || (o.groupId === start.group && o.objectId < start.object)) return false;
      if (o.groupId > end.group) return false;
      return o.groupId !== end.group || end.object === 0n || o.objectId < end.object;
    });
    const last = objects.at(-1);
    if (!last) {
      request.reject(RequestErrorCode.INVALID_RANGE, 'nothing published in that range');
      return;
    }
    try {
      const writer = await request.accept({
        endOfTrack: false,
        endLocation: { group: last.groupId, object: last.objectId + 1n },
      });
      for (const object of objects) {
        await writer.write({
          groupId: object.groupId,
          subgroupId: object.objectId,
          objectId: object.objectId,
          publisherPriority: PRIORITY,
          status: 'normal',
          properties: [],
          payload: object.payload,
        });
      }
      await writer.close();
    } catch {
      // The fetcher went away mid-answer.
    }
  }

  /** Ends every live subscription (the namespace is being withdrawn). */
  close(): void {
    for (const writer of this.writers) {
      try {
        writer.finish(PublishDoneCode.TRACK_ENDED, 'track ended');
      } catch {
        // Already gone.
      }
    }
    this.writers.clear();
  }
}

export class LocalTrackPublisher implements RequestHandler {
  private readonly tracks = new Map<string, LocalTrack>();

  /** `fallback` gets every request that is not for one of our tracks. */
  constructor(private readonly fallback?: RequestHandler) {}

  /** The track with this name, created (empty) on first use. */
  track(name: FullTrackName, maxObjects = 1024): LocalTrack {
    const key = trackKey(name);
    let track = this.tracks.get(key);
    if (!track) this.tracks.set(key, (track = new LocalTrack(name, maxObjects)));
    return track;
  }

  /** Forgets a track: its subscribers are ended and later requests go to the fallback. */
  remove(name: FullTrackName): void {
    const key = trackKey(name);
    this.tracks.get(key)?.close();
    this.tracks.delete(key);
  }

  readonly onSubscribe = (request: IncomingSubscribe): void => {
    const track = this.tracks.get(trackKey(request.track));
    if (track) track.subscribe(request);
    else if (this.fallback?.onSubscribe) this.fallback.onSubscribe(request);
    else request.reject(RequestErrorCode.DOES_NOT_EXIST, 'unknown track');
  };

  readonly onFetch = (request: IncomingFetch): void => {
    const track = this.tracks.get(trackKey(request.track));
    if (track) void track.fetch(request);
    else if (this.fallback?.onFetch) this.fallback.onFetch(request);
    else request.reject(RequestErrorCode.DOES_NOT_EXIST, 'unknown track');
  };

  readonly onSubscribeNamespace: RequestHandler['onSubscribeNamespace'] = (request) => {
    if (this.fallback?.onSubscribeNamespace) this.fallback.onSubscribeNamespace(request);
    else request.reject(RequestErrorCode.NOT_SUPPORTED, 'not a relay');
  };

  readonly onPublishNamespace: RequestHandler['onPublishNamespace'] = (request) => {
    if (this.fallback?.onPublishNamespace) this.fallback.onPublishNamespace(request);
    else request.reject(RequestErrorCode.NOT_SUPPORTED, 'not a relay');
  };
}
