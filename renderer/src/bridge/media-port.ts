// Desktop mode's media channel: the MessagePort that main/app/media-port.ts creates per window and the
// preload forwards into the page with window.postMessage. Frames are encodeMediaFrame bytes, their
// buffers transferred (not copied) toward the core; whatever arrives is decoded strictly.
import { decodeMediaFrame, encodeMediaFrame } from '../../../common/bridge/index.js';
import type { MediaChannel } from '../../../common/bridge/index.js';
import { FrameListeners } from './frame-listeners.js';

/** The window message the preload posts with the port; preload/index.ts sends the same string. */
export const MEDIA_PORT_MESSAGE = 'studio:media-port';

let latestPort: MessagePort | null = null;
const waiting = new Set<(port: MessagePort) => void>();

/**
 * Listens from module load on, because the port may arrive before anyone asks for it; a page reload
 * brings a new port (the main side closes the old one).
 */
export function listenForMediaPort(target: Window = window): void {
  target.addEventListener('message', (event: MessageEvent) => {
    // Only the preload's message: same window, same origin, our marker and exactly one port.
    if (event.source !== target || event.origin !== target.location.origin) return;
    if (event.data !== MEDIA_PORT_MESSAGE || event.ports.length !== 1) return;
    latestPort = event.ports[0]!;
    for (const resolve of waiting) resolve(latestPort);
    waiting.clear();
  });
}

/** The media port, as soon as the preload has delivered it. */
export function mediaPort(): Promise<MessagePort> {
  if (latestPort) return Promise.resolve(latestPort);
  return new Promise((resolve) => waiting.add(resolve));
}

function asBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return null;
}

export function portMediaChannel(port: MessagePort): MediaChannel {
  const listeners = new FrameListeners();
  port.onmessage = (event: MessageEvent) => {
    const bytes = asBytes(event.data);
    if (!bytes) return;
    try {
      listeners.emit(decodeMediaFrame(bytes));
    } catch {
      // A frame that does not decode is dropped; the core counts what it sends.
    }
  };
  return {
    send(frame) {
      const bytes = encodeMediaFrame(frame);
      port.postMessage(bytes, [bytes.buffer]);
    },
    onFrame: (listener) => listeners.add(listener),
    close() {
      listeners.clear();
      port.onmessage = null;
      port.close();
      if (latestPort === port) latestPort = null;
    },
  };
}
