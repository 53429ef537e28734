// Desktop mode's media channel, one per page load: a MessageChannelMain whose port1 stays here, wired to
// the core by media-relay.ts, and whose port2 goes to the window's preload, which hands it to the page
// (preload/index.ts, renderer/src/bridge/media-port.ts). SFrame ciphertext only; no JSON, no IPC hops.
import { MessageChannelMain } from 'electron';
import type { WebContents } from 'electron';
import type { StudioCore } from '../studio/api.js';
import { relayMedia } from './media-relay.js';
import type { MediaRelay } from './media-relay.js';
import { isTrustedUrl } from './security-policy.js';
import type { TrustedOrigins } from './security-policy.js';

/** The IPC message that carries the port to the preload; preload/index.ts listens for it. */
export const MEDIA_PORT_CHANNEL = 'studio:media-port';

/**
 * Gives every load of `contents` a fresh media port, as long as the page is ours; the previous load's
 * port is closed first (a reloaded page must not keep receiving frames through a stale one).
 */
export function provideMediaPorts(
  contents: WebContents,
  core: Pick<StudioCore, 'sendMedia' | 'onMedia'>,
  trusted: TrustedOrigins,
): () => void {
  let current: MediaRelay | null = null;
  const close = (): void => {
    current?.close();
    current = null;
  };
  const onLoad = (): void => {
    close();
    if (contents.isDestroyed() || !isTrustedUrl(contents.getURL(), trusted)) return;
    const { port1, port2 } = new MessageChannelMain();
    current = relayMedia(
      {
        post: (bytes) => port1.postMessage(bytes),
        onMessage: (handler) => port1.on('message', (event) => handler(event.data)),
        close: () => port1.close(),
      },
      core,
    );
    port1.start();
    contents.postMessage(MEDIA_PORT_CHANNEL, null, [port2]);
  };
  contents.on('did-finish-load', onLoad);
  contents.once('destroyed', close);
  return () => {
    contents.off('did-finish-load', onLoad);
    close();
  };
}
