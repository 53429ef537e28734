// How the renderer reaches the Node core: the typed StudioBridge (commands + events) and the media
// channel for SFrame ciphertext. In the desktop app both come from the preload (window.studio and a
// MessagePort); in browser mode (`moq-studio serve`) both travel over one WebSocket.
import type { MediaChannel, StudioBridge } from '../../../common/bridge/index.js';

export interface StudioConnection {
  readonly mode: 'desktop' | 'browser';
  readonly bridge: StudioBridge;
  readonly media: MediaChannel;
}
