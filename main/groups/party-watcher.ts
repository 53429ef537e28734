// Discovers the per-party tracks of the epoch-counter variant: SUBSCRIBE_NAMESPACE on a group prefix
// (keypackages, leaves, commits), and for each announced party id starts a reader, stopped again
// when the party withdraws its namespace. Announcements are hostile input: only suffixes that are
// exactly one well-formed id count, and the number of parties followed at once is bounded.
import type { TrackNamespace } from '../../common/codec/track-name.js';
import { parsePartySuffix } from '../coordination/tracks.js';
import type { MoqtSessionApi, NamespaceSubscription } from '../moqt/session/api.js';

/** Starts reading one party's track; returns how to stop. */
export type PartyReader = (id: string) => () => void;

const MAX_PARTIES = 4096;

export class PartyWatcher {
  private readonly parties = new Map<string, () => void>();
  private subscription: NamespaceSubscription | undefined;
  private closed = false;

  constructor(
    private readonly session: MoqtSessionApi,
    private readonly prefix: TrackNamespace,
    private readonly read: PartyReader,
    private readonly warn: (message: string) => void,
  ) {}

  /** Ids currently announced. */
  get ids(): string[] {
    return [...this.parties.keys()];
  }

  /** Resolves once the relay accepted the namespace subscription (announcements then follow). */
  async start(): Promise<void> {
    const subscription = await this.session.subscribeNamespace(this.prefix);
    if (this.closed) {
      subscription.cancel();
      return;
    }
    this.subscription = subscription;
    void this.run(subscription);
  }

  close(): void {
    this.closed = true;
    this.subscription?.cancel();
    for (const stop of this.parties.values()) stop();
    this.parties.clear();
  }

  private async run(subscription: NamespaceSubscription): Promise<void> {
    try {
      for await (const event of subscription) {
        if (this.closed) break;
        const id = parsePartySuffix(event.suffix);
        if (id === undefined) continue;
        if (event.type === 'namespace') {
          if (this.parties.has(id)) continue;
          if (this.parties.size >= MAX_PARTIES) {
            this.warn(`ignoring announcement of ${id}: already following ${MAX_PARTIES} parties`);
            continue;
          }
          this.parties.set(id, this.read(id));
        } else {
          this.parties.get(id)?.();
          this.parties.delete(id);
        }
      }
    } catch (error) {
      if (!this.closed) this.warn(`namespace subscription ended: ${(error as Error).message}`);
    }
  }
}
