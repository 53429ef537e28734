// One published media track as an original publisher: answers SUBSCRIBE (every subscriber gets each
// object), answers FETCH for the groups it still holds (so a viewer that joins mid-group can start at
// the group's first object — the keyframe — instead of waiting for the next one), and writes each
// group on its own subgroup stream. Payloads are opaque here: the studio passes SFrame ciphertext.
import type { FullTrackName } from '../../common/codec/track-name.js';
import { PublishDoneCode, RequestErrorCode } from '../moqt/codec/error-codes.js';
import type {
  IncomingFetch,
  IncomingSubscribe,
  RequestHandler,
  SubgroupWriter,
  TrackWriter,
} from '../moqt/session/api.js';
import { trackKey } from '../relay/names.js';

export interface TrackPublisherOptions {
  /** Groups kept for FETCH (the current one and this many before it). */
  readonly keptGroups?: number;
  /** Bytes kept for FETCH at most; older groups go first. */
  readonly keptBytes?: number;
}

interface KeptGroup {
  readonly group: bigint;
  readonly objects: { readonly object: bigint; readonly payload: Uint8Array }[];
  bytes: number;
}

const DEFAULT_KEPT_GROUPS = 1;
const DEFAULT_KEPT_BYTES = 16 * 1024 * 1024;

export class TrackPublisher {
  private readonly writers = new Set<TrackWriter>();
  private readonly subgroups = new Map<TrackWriter, { group: bigint; writer: SubgroupWriter }>();
  private readonly kept: KeptGroup[] = [];
  private largest: { group: bigint; object: bigint } | undefined;
  private closed = false;

  constructor(
    readonly track: FullTrackName,
    private readonly options: TrackPublisherOptions = {},
  ) {}

  get subscriberCount(): number {
    return this.writers.size;
  }

  /**
   * A session handler that answers SUBSCRIBE/FETCH for this track and passes every other request
   * to `next` (a session takes one handler, so a member's tracks are chained this way).
   */
  handler(next: RequestHandler = {}): RequestHandler {
    const ours = (request: { track: FullTrackName }) => trackKey(request.track) === trackKey(this.track);
    return {
      ...next,
      onSubscribe: (request: IncomingSubscribe) => {
        if (ours(request)) this.onSubscribe(request);
        else if (next.onSubscribe) next.onSubscribe(request);
        else request.reject(RequestErrorCode.DOES_NOT_EXIST, 'unknown track');
      },
      onFetch: (request: IncomingFetch) => {
        if (ours(request)) void this.onFetch(request);
        else if (next.onFetch) next.onFetch(request);
        else request.reject(RequestErrorCode.DOES_NOT_EXIST, 'unknown track');
      },
    };
  }

  onSubscribe(request: IncomingSubscribe): void {
    if (this.closed) {
      request.reject(RequestErrorCode.DOES_NOT_EXIST, 'broadcast ended');
      return;
    }
    const writer = request.accept(this.largest ? { largest: this.largest } : {});
    this.writers.add(writer);
    void writer.cancelled.then(() => {
      this.writers.delete(writer);
      this.subgroups.delete(writer);
    });
  }

  async onFetch(request: IncomingFetch): Promise<void> {
    const objects = this.kept.flatMap((kept) =>
      kept.objects
        .filter((o) => inRange({ group: kept.group, object: o.object }, request.start, request.end))
        .map((o) => ({ group: kept.group, ...o })),
    );
    if (objects.length === 0) {
      request.reject(RequestErrorCode.DOES_NOT_EXIST, 'no objects in that range any more');
      return;
    }
    const last = objects[objects.length - 1]!;
    try {
      const writer = await request.accept({
        endOfTrack: false,
        endLocation: { group: last.group, object: last.object + 1n },
      });
      for (const o of objects) {
        await writer.write({
          groupId: o.group,
          subgroupId: 0n,
          objectId: o.object,
          publisherPriority: 128,
          status: 'normal',
          properties: [],
          payload: o.payload,
        });
      }
      await writer.close();
    } catch {
      // The fetcher went away mid-answer; nothing to clean up beyond its stream.
    }
  }

  /** Sends one object to every subscriber; a new group ID closes the previous group's streams. */
  async publish(group: bigint, object: bigint, payload: Uint8Array): Promise<void> {
    if (this.closed) return;
    if (
      this.largest &&
      (group < this.largest.group || (group === this.largest.group && object <= this.largest.object))
    ) {
      throw new RangeError(
        `object ${group}/${object} is not after ${this.largest.group}/${this.largest.object}`,
      );
    }
    this.largest = { group, object };
    this.keep(group, object, payload);
    await Promise.all([...this.writers].map((writer) => this.writeTo(writer, group, object, payload)));
  }

  private async writeTo(
    writer: TrackWriter,
    group: bigint,
    object: bigint,
    payload: Uint8Array,
  ): Promise<void> {
    try {
      let current = this.subgroups.get(writer);
      if (current && current.group !== group) {
        void current.writer.close({ endOfGroup: true }).catch(() => {});
        this.subgroups.delete(writer);
        current = undefined;
      }
      if (!current) {
        // A subscriber that arrived mid-group gets the rest of it on a stream that does not claim
        // to start with the group's first object.
        current = {
          group,
          writer: await writer.openSubgroup({ groupId: group, firstObject: object === 0n }),
        };
        this.subgroups.set(writer, current);
      }
      await current.writer.write(object, payload);
    } catch {
      // That subscriber went away; its writer is dropped when `cancelled` resolves.
    }
  }

  private keep(group: bigint, object: bigint, payload: Uint8Array): void {
    let current = this.kept[this.kept.length - 1];
    if (current?.group !== group) {
      current = { group, objects: [], bytes: 0 };
      this.kept.push(current);
    }
    current.objects.push({ object, payload });
    current.bytes += payload.length;
    const maxGroups = 1 + (this.options.keptGroups ?? DEFAULT_KEPT_GROUPS);
    const maxBytes = this.options.keptBytes ?? DEFAULT_KEPT_BYTES;
    while (this.kept.length > 1 && (this.kept.length > maxGroups || this.keptBytes() > maxBytes))
      this.kept.shift();
  }

  private keptBytes(): number {
    return this.kept.reduce((n, g) => n + g.bytes, 0);
  }

  /** Ends every subscription with PUBLISH_DONE TRACK_ENDED: the track is over, not failing. */
  close(reason = 'broadcast ended'): void {
    this.closed = true;
    for (const writer of this.writers) writer.finish(PublishDoneCode.TRACK_ENDED, reason);
    this.writers.clear();
    this.subgroups.clear();
  }
}

/** FETCH ranges: start inclusive; End Location is "end plus 1", object 0 meaning the whole group. */
function inRange(
  at: { group: bigint; object: bigint },
  start: { group: bigint; object: bigint },
  end: { group: bigint; object: bigint },
): boolean {
  const afterStart = at.group > start.group || (at.group === start.group && at.object >= start.object);
  const beforeEnd =
    at.group < end.group || (at.group === end.group && (end.object === 0n || at.object < end.object));
  return afterStart && beforeEnd;
}
