// Preload for the sandboxed renderer (built to out/preload/index.cjs: sandboxed preloads cannot be ESM).
// Exposes exactly the StudioBridge as `window.studio`: one function per command in the contract table
// and `onEvent`. No raw ipcRenderer, no Node APIs, no IPC event objects ever reach the page. The one
// other thing it does: the media channel's MessagePort that main sends (main/app/media-port.ts) is
// handed to the page with window.postMessage, the documented way to give a context-isolated main
// world a port (renderer/src/bridge/media-port.ts receives it).
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import {
  commandChannel,
  commandNames,
  EVENT_CHANNEL,
  isEventName,
  validateCommandArgs,
} from '../common/bridge/index.js';
import type { BridgeEvent, CommandName, StudioBridge } from '../common/bridge/index.js';

function invoker(name: CommandName) {
  const channel = commandChannel(name);
  // Validate here too so a caller's mistake fails fast with a clear message; main validates again
  // because it cannot trust this process.
  return async (...args: unknown[]): Promise<unknown> => {
    validateCommandArgs(name, args);
    return ipcRenderer.invoke(channel, ...args);
  };
}

function toBridgeEvent(message: unknown): BridgeEvent | null {
  if (typeof message !== 'object' || message === null) return null;
  const { name, payload } = message as { name?: unknown; payload?: unknown };
  return isEventName(name) ? ({ name, payload } as BridgeEvent) : null;
}

const commands = Object.fromEntries(commandNames.map((name) => [name, invoker(name)]));

const bridge = {
  ...commands,
  onEvent(listener: (event: BridgeEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onEvent expects a function');
    const forward = (_event: IpcRendererEvent, message: unknown): void => {
      const event = toBridgeEvent(message);
      if (event) listener(event);
    };
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
} as StudioBridge;

contextBridge.exposeInMainWorld('studio', bridge);

/** The IPC message main/app/media-port.ts sends, and the window message the page waits for. */
export const MEDIA_PORT_CHANNEL = 'studio:media-port';
export const MEDIA_PORT_MESSAGE = 'studio:media-port';

ipcRenderer.on(MEDIA_PORT_CHANNEL, (event: IpcRendererEvent) => {
  if (event.ports.length !== 1) return;
  const forward = (): void => {
    // Addressed to our own origin only: if the page navigated elsewhere, the port is not delivered.
    window.postMessage(MEDIA_PORT_MESSAGE, window.location.origin, [...event.ports]);
  };
  // The page's module scripts listen from load on; before that there may be nobody to receive it.
  if (document.readyState === 'complete') forward();
  else window.addEventListener('load', forward, { once: true });
});
