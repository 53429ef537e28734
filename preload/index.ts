// Preload for the sandboxed renderer (built to out/preload/index.cjs: sandboxed preloads cannot be ESM).
// Exposes exactly the StudioBridge as `window.studio`: one function per command in the contract table
// and `onEvent`. No raw ipcRenderer, no Node APIs, no IPC event objects ever reach the page.
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
