// How the renderer reaches the Node core. Desktop mode when the preload exposed `window.studio`: the
// bridge is that object and the media channel is the MessagePort the preload forwards into the page.
// Browser mode otherwise (`moq-studio serve`): one WebSocket to this page's origin carries both.
import type { StudioConnection } from './api.js';
import { listenForMediaPort, mediaPort, portMediaChannel } from './media-port.js';
import { bridgeUrlFor, connectBrowserStudio } from './websocket-bridge.js';

// At module load: the preload may deliver the media port before the app asks to connect.
if (typeof window !== 'undefined' && window.studio) listenForMediaPort(window);

export async function connectStudio(): Promise<StudioConnection> {
  const bridge = window.studio;
  if (bridge) {
    return { mode: 'desktop', bridge, media: portMediaChannel(await mediaPort()) };
  }
  return connectBrowserStudio(bridgeUrlFor(window.location));
}
