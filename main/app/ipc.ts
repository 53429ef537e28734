// Wires the StudioBridge to Electron IPC: one ipcMain.handle per command in the contract table, each
// going through bridge-host's sender and argument checks; and a typed sender for main → renderer events.
import { ipcMain } from 'electron';
import type { WebContents } from 'electron';
import { commandChannel, commandNames, EVENT_CHANNEL } from '../../common/bridge/index.js';
import type { CommandHandlers, EventName, EventPayload } from '../../common/bridge/index.js';
import { dispatchCommand } from './bridge-host.js';
import { isTrustedUrl } from './security-policy.js';
import type { TrustedOrigins } from './security-policy.js';

export function registerBridge(handlers: CommandHandlers, trusted: TrustedOrigins): void {
  for (const name of commandNames) {
    ipcMain.handle(commandChannel(name), (event, ...args: unknown[]) =>
      dispatchCommand(handlers, name, event.senderFrame, args, trusted),
    );
  }
}

/**
 * Events carry key material (mediaKeys), so they go only to a page on our own origin: a window that
 * somehow shows anything else gets nothing.
 */
export function sendBridgeEvent<K extends EventName>(
  contents: WebContents,
  name: K,
  payload: EventPayload<K>,
  trusted: TrustedOrigins,
): void {
  if (contents.isDestroyed() || !isTrustedUrl(contents.getURL(), trusted)) return;
  contents.send(EVENT_CHANNEL, { name, payload });
}
