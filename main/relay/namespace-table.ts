// Who publishes which namespace, and who is watching which prefix. Routing picks the longest published
// namespace that is a prefix of the requested track's namespace; watchers (SUBSCRIBE_NAMESPACE) are told
// when a namespace under their prefix appears (first publisher) or disappears (last publisher gone).
import type { TrackNamespace } from '../../common/codec/track-name.js';
import type { MoqtSessionApi, NamespaceAnnouncer } from '../moqt/session/api.js';
import { isNamespacePrefix, namespaceKey, prefixesOverlap } from './names.js';

export interface Publication {
  readonly session: MoqtSessionApi;
  readonly namespace: TrackNamespace;
}

export interface Watcher {
  readonly session: MoqtSessionApi;
  readonly prefix: TrackNamespace;
  readonly announcer: NamespaceAnnouncer;
}

interface Entry {
  readonly namespace: TrackNamespace;
  /** Oldest first; the oldest live publisher serves new upstream subscriptions. */
  readonly publishers: Publication[];
}

export class NamespaceTable {
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Set<Watcher>();

  get publishedCount(): number {
    return this.entries.size;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  add(publication: Publication): void {
    const key = namespaceKey(publication.namespace);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { namespace: publication.namespace, publishers: [] };
      this.entries.set(key, entry);
      this.notify(publication.namespace, 'announce');
    }
    entry.publishers.push(publication);
  }

  remove(publication: Publication): void {
    const key = namespaceKey(publication.namespace);
    const entry = this.entries.get(key);
    if (!entry) return;
    const index = entry.publishers.indexOf(publication);
    if (index < 0) return;
    entry.publishers.splice(index, 1);
    if (entry.publishers.length > 0) return;
    this.entries.delete(key);
    this.notify(entry.namespace, 'withdraw');
  }

  /** Drops everything a closed session published or watched. */
  removeSession(session: MoqtSessionApi): void {
    for (const entry of [...this.entries.values()]) {
      for (const publication of entry.publishers.filter((p) => p.session === session))
        this.remove(publication);
    }
    for (const watcher of [...this.watchers]) if (watcher.session === session) this.watchers.delete(watcher);
  }

  /** Longest-prefix match on namespace tuples. */
  route(namespace: TrackNamespace): Publication | undefined {
    for (let length = namespace.length; length >= 0; length--) {
      const entry = this.entries.get(namespaceKey(namespace.slice(0, length)));
      if (entry?.publishers[0]) return entry.publishers[0];
    }
    return undefined;
  }

  /** True when `session` already watches a prefix that overlaps `prefix` (→ PREFIX_OVERLAP). */
  overlaps(session: MoqtSessionApi, prefix: TrackNamespace): boolean {
    for (const watcher of this.watchers) {
      if (watcher.session === session && prefixesOverlap(watcher.prefix, prefix)) return true;
    }
    return false;
  }

  /** Registers a watcher and tells it about every namespace already published under its prefix. */
  watch(watcher: Watcher): void {
    this.watchers.add(watcher);
    for (const entry of this.entries.values()) {
      if (isNamespacePrefix(watcher.prefix, entry.namespace)) this.tell(watcher, entry.namespace, 'announce');
    }
  }

  unwatch(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }

  clear(): void {
    this.entries.clear();
    this.watchers.clear();
  }

  private notify(namespace: TrackNamespace, what: 'announce' | 'withdraw'): void {
    for (const watcher of [...this.watchers]) {
      if (isNamespacePrefix(watcher.prefix, namespace)) this.tell(watcher, namespace, what);
    }
  }

  private tell(watcher: Watcher, namespace: TrackNamespace, what: 'announce' | 'withdraw'): void {
    const suffix = namespace.slice(watcher.prefix.length);
    try {
      if (what === 'announce') watcher.announcer.announce(suffix);
      else watcher.announcer.withdraw(suffix);
    } catch {
      // Its stream is gone; `cancelled` will remove it.
      this.watchers.delete(watcher);
    }
  }
}
