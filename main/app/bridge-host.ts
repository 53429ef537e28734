// The main side of the StudioBridge without Electron: checks who is calling, validates the arguments
// against the contract, then runs the handler. ipc.ts feeds it Electron's invoke events; a WebSocket
// host for browser mode can feed it the same way later.
import { isCommandName, validateCommandArgs } from '../../common/bridge/index.js';
import type { CommandHandlers, CommandName } from '../../common/bridge/index.js';
import { isTrustedSender } from './security-policy.js';
import type { SenderFrame, TrustedOrigins } from './security-policy.js';

export class BridgeRefusedError extends Error {
  override readonly name = 'BridgeRefusedError';
}

export async function dispatchCommand(
  handlers: CommandHandlers,
  name: CommandName | string,
  sender: SenderFrame | null | undefined,
  rawArgs: readonly unknown[],
  trusted: TrustedOrigins,
): Promise<unknown> {
  // Refuse before looking at the arguments: an untrusted frame learns nothing about the contract.
  if (!isTrustedSender(sender, trusted)) throw new BridgeRefusedError('bridge call from an untrusted frame');
  if (!isCommandName(name)) throw new BridgeRefusedError('unknown bridge command');
  const args = validateCommandArgs(name, rawArgs);
  const handler = handlers[name] as (...validated: readonly unknown[]) => unknown;
  return await handler(...args);
}
