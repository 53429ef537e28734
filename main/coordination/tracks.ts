// MoQT naming of a security group's tracks (seed 002): namespace ('moq-studio', 'group', <groupId>),
// tracks 'commit', 'request', 'welcome'. Seed 000's alternative — <group>/'commits' and one
// welcome track per recipient under <group>|'welcome' — can be added here later as a second scheme.
import type { FullTrackName, TrackNamespace } from '../../common/codec/track-name.js';
import type { OutboxTrack } from './store.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The forwarder publishes this prefix once; relays route every group's tracks by longest prefix. */
export const GROUPS_PREFIX: TrackNamespace = [encoder.encode('moq-studio'), encoder.encode('group')];
const TRACKS: readonly OutboxTrack[] = ['commit', 'request', 'welcome'];

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
  if (!/^[A-Za-z0-9._~-]{1,128}$/.test(groupId) || !TRACKS.includes(name)) return undefined;
  return { groupId, track: name };
}
