// A tiny listener set for media frames, shared by both media channels (MessagePort and WebSocket): one
// listener's exception must not stop the others or the channel.
import type { MediaFrame } from '../../../common/bridge/index.js';

export class FrameListeners {
  readonly #listeners = new Set<(frame: MediaFrame) => void>();

  add(listener: (frame: MediaFrame) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onFrame expects a function');
    // Wrapped so the same function can subscribe twice and unsubscribe each registration separately.
    const entry = (frame: MediaFrame): void => listener(frame);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(frame: MediaFrame): void {
    for (const listener of this.#listeners) {
      try {
        listener(frame);
      } catch (error) {
        console.error('media frame listener failed:', error);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
