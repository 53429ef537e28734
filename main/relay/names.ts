// Track-name helpers for the relay's tables: namespace tuples and full track names become string keys
// (Maps compare Uint8Arrays by identity), and prefix tests work field-by-field, never on joined bytes.
import type { FullTrackName, TrackNamespace } from '../../common/codec/track-name.js';
import type { Location } from '../moqt/codec/draft18/index.js';

function hex(field: Uint8Array): string {
  return Buffer.from(field.buffer, field.byteOffset, field.byteLength).toString('hex');
}

/** Fields hex-encoded and joined with '/', which hex never contains, so distinct tuples never collide. */
export function namespaceKey(namespace: TrackNamespace): string {
  return namespace.map(hex).join('/');
}

/** ':' separates the name, so ("a","b")/"c" and ("a")/"b" ... get different keys. */
export function trackKey(track: FullTrackName): string {
  return `${namespaceKey(track.namespace)}:${hex(track.name)}`;
}

function fieldsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when `prefix` is a field-wise prefix of (or equal to) `namespace`. */
export function isNamespacePrefix(prefix: TrackNamespace, namespace: TrackNamespace): boolean {
  if (prefix.length > namespace.length) return false;
  for (let i = 0; i < prefix.length; i++) if (!fieldsEqual(prefix[i]!, namespace[i]!)) return false;
  return true;
}

/** Two namespace-subscription prefixes overlap when one is a prefix of the other (§SUBSCRIBE_NAMESPACE). */
export function prefixesOverlap(a: TrackNamespace, b: TrackNamespace): boolean {
  return isNamespacePrefix(a, b) || isNamespacePrefix(b, a);
}

export function compareLocation(a: Location, b: Location): number {
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  if (a.object !== b.object) return a.object < b.object ? -1 : 1;
  return 0;
}
