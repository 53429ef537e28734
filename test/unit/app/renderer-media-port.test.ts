// Desktop mode's media channel on the page's side (renderer/src/bridge/media-port.ts), over Node's
// web-compatible MessageChannel: the port is taken only from the preload's own message, frames go out
// encoded with their buffer transferred, and whatever comes in is decoded strictly.
import { describe, expect, it } from 'vitest';
import { decodeMediaFrame, encodeMediaFrame } from '../../../common/bridge/index.js';
import type { MediaFrame } from '../../../common/bridge/index.js';
import {
  listenForMediaPort,
  MEDIA_PORT_MESSAGE,
  mediaPort,
  portMediaChannel,
} from '../../../renderer/src/bridge/media-port.js';

const frame: MediaFrame = { track: 'video', group: 1, object: 2, payload: new Uint8Array([5, 6, 7]) };

function nextMessage(port: MessagePort): Promise<unknown> {
  return new Promise((resolve) => {
    port.onmessage = (event) => resolve(event.data);
  });
}

describe('renderer media port', () => {
  it("takes the port only from the preload's message to this window and origin", async () => {
    const target = new EventTarget() as unknown as Window;
    Object.assign(target, { location: { origin: 'app://studio' } });
    listenForMediaPort(target);
    const { port1 } = new MessageChannel();
    // Node's MessageEvent accepts only MessagePort sources; a plain Event carries the same fields.
    const post = (init: Record<string, unknown>) =>
      target.dispatchEvent(
        Object.assign(new Event('message'), {
          source: target,
          origin: 'app://studio',
          data: MEDIA_PORT_MESSAGE,
          ports: [port1],
          ...init,
        }),
      );
    const received = mediaPort();
    post({ origin: 'https://evil.example' });
    post({ source: null });
    post({ data: 'something else' });
    post({ ports: [] });
    let settled = false;
    void received.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    post({});
    expect(await received).toBe(port1);
    port1.close();
  });

  it('sends encoded frames and delivers decoded ones, dropping garbage', async () => {
    const { port1, port2 } = new MessageChannel();
    const channel = portMediaChannel(port1);
    const toCore = nextMessage(port2);
    channel.send(frame);
    expect(decodeMediaFrame(new Uint8Array((await toCore) as Uint8Array))).toEqual(frame);

    const seen: MediaFrame[] = [];
    channel.onFrame((received) => seen.push(received));
    port2.postMessage('not bytes');
    port2.postMessage(new Uint8Array([1, 200]));
    port2.postMessage(encodeMediaFrame(frame));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([frame]);
    channel.close();
    port2.close();
  });
});
