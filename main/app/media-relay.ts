// The core's end of desktop mode's media channel, without Electron: bytes from the renderer's port are
// decoded strictly into MediaFrames for core.sendMedia (anything else is dropped and counted), and the
// core's frames go back as encodeMediaFrame bytes. media-port.ts plugs a MessagePortMain into it.
import { decodeMediaFrame, encodeMediaFrame } from '../../common/bridge/index.js';
import type { StudioCore } from '../studio/api.js';

/** The few things done with a port, so tests can use any message channel. */
export interface BytePort {
  post(bytes: Uint8Array): void;
  /** Registers the one message handler; `data` is whatever the renderer posted. */
  onMessage(handler: (data: unknown) => void): void;
  close(): void;
}

export interface MediaRelay {
  /** Frames from the renderer that were not valid encodeMediaFrame bytes. */
  readonly dropped: () => number;
  close(): void;
}

function asBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return null;
}

export function relayMedia(port: BytePort, core: Pick<StudioCore, 'sendMedia' | 'onMedia'>): MediaRelay {
  let dropped = 0;
  let open = true;
  port.onMessage((data) => {
    const bytes = asBytes(data);
    if (!open || bytes === null) {
      dropped++;
      return;
    }
    try {
      core.sendMedia(decodeMediaFrame(bytes));
    } catch {
      dropped++;
    }
  });
  const unsubscribe = core.onMedia((frame) => {
    if (open) port.post(encodeMediaFrame(frame));
  });
  return {
    dropped: () => dropped,
    close() {
      if (!open) return;
      open = false;
      unsubscribe();
      port.close();
    },
  };
}
