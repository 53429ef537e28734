// Routes the bridge's media key events to whichever pipeline is running. Keys can arrive before a
// pipeline exists (a viewer's first epoch lands while its canvas is still mounting, a producer's while
// the encoder starts), so the latest few are kept and replayed to a pipeline when it attaches.
import type { MediaKeyMaterial, MediaSendEpoch } from '../../../common/bridge/index.js';
import type { KeySink } from '../media/api.js';

/** Older epochs stay useful for frames still in flight; the core retains four epochs as well. */
const RETAINED_EPOCHS = 4;

export class KeyRelay {
  #keys: MediaKeyMaterial[] = [];
  #sendEpoch: MediaSendEpoch | null = null;
  #sink: KeySink | null = null;

  installKeys(material: MediaKeyMaterial): void {
    this.#keys = [...this.#keys.filter((key) => key.epoch !== material.epoch), material]
      .sort((a, b) => a.epoch - b.epoch)
      .slice(-RETAINED_EPOCHS);
    this.#sink?.installKeys(material);
  }

  useSendEpoch(epoch: MediaSendEpoch): void {
    this.#sendEpoch = epoch;
    this.#sink?.useSendEpoch(epoch);
  }

  /** Makes `sink` the key target, replays what is known, and returns the detach function. */
  attach(sink: KeySink): () => void {
    this.#sink = sink;
    for (const key of this.#keys) sink.installKeys(key);
    if (this.#sendEpoch) sink.useSendEpoch(this.#sendEpoch);
    return () => {
      if (this.#sink === sink) this.#sink = null;
    };
  }

  /** Forgets every key: a session ended, and nothing of it may reach the next pipeline. */
  clear(): void {
    this.#keys = [];
    this.#sendEpoch = null;
  }
}
