// Ambient types for the renderer: `window.studio` (present only when the Electron preload ran) and
// the `*.svelte` module shim for plain tsc.
/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { StudioBridge } from '../../common/bridge/index.js';

declare global {
  interface Window {
    /** The StudioBridge from preload/index.ts; undefined in browser mode. */
    readonly studio?: StudioBridge;
  }
}

export {};
