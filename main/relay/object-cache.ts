// Bounded cache of the most recent groups of each relayed track (count per track, bytes in total,
// least-recently-used track evicted first). Serves FETCH and lets a late joiner start at the current
// group's first object. Objects are stored exactly as received: payloads stay opaque ciphertext.
import type { Location } from '../moqt/codec/draft18/index.js';
import type { MoqtObject } from '../moqt/session/api.js';
import { compareLocation } from './names.js';

export interface CacheLimits {
  /** Most recent groups kept per track. */
  readonly maxGroupsPerTrack: number;
  /** Payload bytes kept across all tracks. */
  readonly maxBytes: number;
}

const MAX_TRACK_ENTRIES = 4096;

export const DEFAULT_CACHE_LIMITS: CacheLimits = { maxGroupsPerTrack: 8, maxBytes: 64 * 1024 * 1024 };

interface CachedGroup {
  /** Sorted by object ID (objects of different subgroups may arrive interleaved). */
  readonly objects: MoqtObject[];
  bytes: number;
}

function objectBytes(object: MoqtObject): number {
  return object.payload.byteLength;
}

export class TrackCache {
  readonly groups = new Map<bigint, CachedGroup>();
  /** Group IDs ascending, so eviction and range reads need no sort. */
  readonly order: bigint[] = [];
  bytes = 0;
  largest: Location | undefined;
  endOfTrack = false;
  /**
   * Every object at or after this location that exists has been seen (the upstream delivers
   * contiguously from where it started); before it the relay knows nothing.
   */
  coverageStart: Location | undefined;

  /** Objects of `group`, ascending (empty when not cached). */
  objectsOf(group: bigint): readonly MoqtObject[] {
    return this.groups.get(group)?.objects ?? [];
  }

  /** Objects in FETCH range [start, end) where end.object 0 means "all of end.group". */
  objectsInRange(start: Location, end: Location): MoqtObject[] {
    const out: MoqtObject[] = [];
    for (const groupId of this.order) {
      if (groupId < start.group || groupId > end.group) continue;
      for (const object of this.groups.get(groupId)!.objects) {
        if (groupId === start.group && object.objectId < start.object) continue;
        if (groupId === end.group && end.object !== 0n && object.objectId >= end.object) continue;
        out.push(object);
      }
    }
    return out;
  }
}

export class RelayCache {
  /** Map order is the LRU order: a touched track is moved to the end. */
  private readonly tracks = new Map<string, TrackCache>();
  private totalBytes = 0;
  private evictedGroups = 0;

  constructor(readonly limits: CacheLimits = DEFAULT_CACHE_LIMITS) {}

  get stats(): { bytes: number; tracks: number; groups: number; evictedGroups: number } {
    let groups = 0;
    for (const track of this.tracks.values()) groups += track.order.length;
    return { bytes: this.totalBytes, tracks: this.tracks.size, groups, evictedGroups: this.evictedGroups };
  }

  /** Looks a track up and marks it recently used. */
  get(key: string): TrackCache | undefined {
    const track = this.tracks.get(key);
    if (track) {
      this.tracks.delete(key);
      this.tracks.set(key, track);
    }
    return track;
  }

  /**
   * Forgets a track. Called when a new upstream subscription starts: objects seen before it stay
   * valid, but nothing says the gap in between was empty, so coverage cannot be claimed.
   */
  drop(key: string): void {
    const track = this.tracks.get(key);
    if (!track) return;
    this.totalBytes -= track.bytes;
    this.tracks.delete(key);
  }

  add(key: string, object: MoqtObject): void {
    const track = this.get(key) ?? this.create(key);
    const location = { group: object.groupId, object: object.objectId };
    if (!track.largest || compareLocation(location, track.largest) > 0) track.largest = location;
    if (object.status === 'end-of-track') track.endOfTrack = true;
    track.coverageStart ??= location;
    // Groups before the coverage start (or evicted ones) stay out: FETCH could not vouch for them. Within
    // the first group, lower objects of other subgroups may still arrive and are kept for late joiners.
    if (object.groupId < track.coverageStart.group) return;

    let group = track.groups.get(object.groupId);
    if (!group) {
      group = { objects: [], bytes: 0 };
      track.groups.set(object.groupId, group);
      insertSorted(track.order, object.groupId);
    }
    const index = findInsertIndex(group.objects, object.objectId);
    // A duplicate keeps the first copy (§Caching Relays lets relays ignore later ones).
    if (group.objects[index]?.objectId === object.objectId) return;
    group.objects.splice(index, 0, object);
    const size = objectBytes(object);
    group.bytes += size;
    track.bytes += size;
    this.totalBytes += size;

    while (track.order.length > this.limits.maxGroupsPerTrack) this.evictOldest(track);
    this.enforceBytes();
  }

  private create(key: string): TrackCache {
    this.pruneEmpty();
    const track = new TrackCache();
    this.tracks.set(key, track);
    return track;
  }

  private enforceBytes(): void {
    if (this.totalBytes <= this.limits.maxBytes) return;
    // Least recently used first; emptied tracks stay (their largest/coverage still answer FETCH).
    for (const track of this.tracks.values()) {
      while (track.order.length > 0 && this.totalBytes > this.limits.maxBytes) this.evictOldest(track);
      if (this.totalBytes <= this.limits.maxBytes) return;
    }
  }

  /** Emptied tracks are tiny but must not accumulate forever on a long-running relay. */
  private pruneEmpty(): void {
    if (this.tracks.size <= MAX_TRACK_ENTRIES) return;
    for (const [key, track] of this.tracks) {
      if (this.tracks.size <= MAX_TRACK_ENTRIES) return;
      if (track.order.length === 0) this.tracks.delete(key);
    }
  }

  private evictOldest(track: TrackCache): void {
    const groupId = track.order.shift();
    if (groupId === undefined) return;
    const group = track.groups.get(groupId)!;
    track.groups.delete(groupId);
    track.bytes -= group.bytes;
    this.totalBytes -= group.bytes;
    this.evictedGroups++;
    // Coverage now begins at the next cached group: it lies after the old coverage start, so all of it was seen.
    const next = track.order[0];
    track.coverageStart = { group: next ?? groupId + 1n, object: 0n };
  }
}

function insertSorted(order: bigint[], groupId: bigint): void {
  let i = order.length;
  while (i > 0 && order[i - 1]! > groupId) i--;
  order.splice(i, 0, groupId);
}

function findInsertIndex(objects: readonly MoqtObject[], objectId: bigint): number {
  let i = objects.length;
  while (i > 0 && objects[i - 1]!.objectId > objectId) i--;
  if (i > 0 && objects[i - 1]!.objectId === objectId) return i - 1;
  return i;
}
