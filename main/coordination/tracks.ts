// MoQT naming of a security group's tracks, for both protocol variants.
//
// Seed 002 (the Coordination Service forwards everything): namespace ('moq-studio', 'group',
// <groupId>), tracks 'commit', 'request', 'welcome'.
//
// Seeds 000/003 (members publish themselves, an Epoch Counter serializes commits): the seed's
// `<group>|keypackages` / SenderId, `<group>|welcome` / RecipientId and `<group>` / `commits`, under
// ('moq-studio', 'mls', <groupId>). A draft-18 relay that routes a namespace to one publisher (ours
// does) cannot merge several publishers of one track, so every publisher gets its own namespace
// leaf: the sender / recipient / committer id is the last namespace field, and the track name
// repeats it (or is 'commits'). Leave requests, which the seeds do not define, follow the
// KeyPackage pattern under 'leaves'.
import type { FullTrackName, TrackNamespace } from '../../common/codec/track-name.js';
import type { OutboxTrack } from './store.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The forwarder publishes this prefix once; relays route every group's tracks by longest prefix. */
export const GROUPS_PREFIX: TrackNamespace = [encoder.encode('moq-studio'), encoder.encode('group')];
const TRACKS: readonly OutboxTrack[] = ['commit', 'request', 'welcome'];
const GROUP_ID = /^[A-Za-z0-9._~-]{1,128}$/;

export function groupTrack(groupId: string, track: OutboxTrack): FullTrackName {
  return { namespace: [...GROUPS_PREFIX, encoder.encode(groupId)], name: encoder.encode(track) };
}

/** The (group, track) a full track name refers to, or undefined when it is not one of ours. */
export function parseGroupTrack(track: FullTrackName): { groupId: string; track: OutboxTrack } | undefined {
  const [app, kind, group, ...rest] = track.namespace;
  if (!app || !kind || !group || rest.length > 0) return undefined;
  if (decoder.decode(app) !== 'moq-studio' || decoder.decode(kind) !== 'group') return undefined;
  const groupId = decoder.decode(group);
  const name = decoder.decode(track.name) as OutboxTrack;
  if (!GROUP_ID.test(groupId) || !TRACKS.includes(name)) return undefined;
  return { groupId, track: name };
}

// ---- seeds 000/003 (epoch counter) ----

/** What a per-publisher namespace under the group carries. */
export type CounterTrackKind = 'keypackages' | 'welcome' | 'commits' | 'leaves';

/**
 * Sender, recipient and committer ids: lowercase hex, 32 to 64 digits (a truncated SHA-256 of the
 * identity key, or a KeyPackageRef). Anything else announced under a group prefix is ignored.
 */
const PARTY_ID = /^[0-9a-f]{32,64}$/;

export function isPartyId(id: string): boolean {
  return PARTY_ID.test(id);
}

/** ('moq-studio', 'mls', <groupId>, <kind>): what committers and members SUBSCRIBE_NAMESPACE to. */
export function counterPrefix(groupId: string, kind: CounterTrackKind): TrackNamespace {
  if (!GROUP_ID.test(groupId)) throw new RangeError(`invalid group id ${JSON.stringify(groupId)}`);
  return [encoder.encode('moq-studio'), encoder.encode('mls'), encoder.encode(groupId), encoder.encode(kind)];
}

/**
 * The track one party publishes: namespace = prefix + id; name = 'commits' for commit tracks and the
 * id itself otherwise (the seeds' Trackname := SenderId / RecipientId).
 */
export function counterTrack(groupId: string, kind: CounterTrackKind, id: string): FullTrackName {
  if (!PARTY_ID.test(id)) throw new RangeError(`invalid ${kind} id ${JSON.stringify(id)}`);
  return {
    namespace: [...counterPrefix(groupId, kind), encoder.encode(id)],
    name: encoder.encode(kind === 'commits' ? 'commits' : id),
  };
}

/**
 * The party id of a NAMESPACE announcement under `counterPrefix(...)` (the suffix the relay sends),
 * or undefined when the suffix is not exactly one well-formed id. Announcements come from anyone who
 * may publish under the prefix, so this is the only way an id enters the protocol.
 */
export function parsePartySuffix(suffix: TrackNamespace): string | undefined {
  if (suffix.length !== 1) return undefined;
  const field = suffix[0]!;
  if (field.length < 32 || field.length > 64) return undefined;
  const id = decoder.decode(field);
  return PARTY_ID.test(id) ? id : undefined;
}
