// Desktop mode's media channel on the core's side (main/app/media-relay.ts): strict decoding of what
// the renderer's port sends, garbage dropped and counted, the core's frames sent back encoded, and
// nothing flowing after close.
import { describe, expect, it } from 'vitest';
import { encodeMediaFrame } from '../../../common/bridge/index.js';
import type { MediaFrame } from '../../../common/bridge/index.js';
import { relayMedia } from '../../../main/app/media-relay.js';
import type { BytePort } from '../../../main/app/media-relay.js';

function fakePort() {
  let handler: (data: unknown) => void = () => {};
  const posted: Uint8Array[] = [];
  let closed = false;
  const port: BytePort = {
    post: (bytes) => posted.push(bytes),
    onMessage: (h) => (handler = h),
    close: () => (closed = true),
  };
  return { port, posted, deliver: (data: unknown) => handler(data), closed: () => closed };
}

function fakeCore() {
  const sent: MediaFrame[] = [];
  const listeners = new Set<(frame: MediaFrame) => void>();
  return {
    sent,
    listeners,
    sendMedia: (frame: MediaFrame) => sent.push(frame),
    onMedia: (listener: (frame: MediaFrame) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const frame: MediaFrame = { track: 'video', group: 3, object: 7, payload: new Uint8Array([1, 2, 3]) };

describe('relayMedia', () => {
  it('decodes frames from the port (Uint8Array or ArrayBuffer) into core.sendMedia', () => {
    const { port, deliver } = fakePort();
    const core = fakeCore();
    relayMedia(port, core);
    const bytes = encodeMediaFrame(frame);
    deliver(bytes);
    deliver(bytes.slice().buffer);
    expect(core.sent).toEqual([frame, frame]);
  });

  it('drops and counts garbage without throwing', () => {
    const { port, deliver } = fakePort();
    const core = fakeCore();
    const relay = relayMedia(port, core);
    for (const garbage of ['text', { track: 'video' }, null, new Uint8Array([9, 9, 9]), new Uint8Array()]) {
      expect(() => deliver(garbage)).not.toThrow();
    }
    expect(core.sent).toEqual([]);
    expect(relay.dropped()).toBe(5);
  });

  it("posts the core's frames encoded, and stops both ways on close", () => {
    const { port, posted, deliver, closed } = fakePort();
    const core = fakeCore();
    const relay = relayMedia(port, core);
    for (const listener of core.listeners) listener(frame);
    expect(posted).toEqual([encodeMediaFrame(frame)]);
    relay.close();
    expect(closed()).toBe(true);
    expect(core.listeners.size).toBe(0);
    deliver(encodeMediaFrame(frame));
    expect(core.sent).toEqual([]);
  });
});
