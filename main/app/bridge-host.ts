// The main side of the StudioBridge without Electron, shared by both hosts: `runCommand` validates a
// call against the contract and runs its handler (Electron IPC and browser mode's WebSocket both use
// it); `dispatchCommand` adds the Electron host's part, the check of which frame is calling.
import { isCommandName, validateCommandArgs } from '../../common/bridge/index.js';
import type { CommandHandlers, CommandName } from '../../common/bridge/index.js';
import { isTrustedSender } from './security-policy.js';
import type { SenderFrame, TrustedOrigins } from './security-policy.js';

export class BridgeRefusedError extends Error {
  override readonly name = 'BridgeRefusedError';
}

/** Validates `rawArgs` for the named command and runs its handler; the caller has vetted the sender. */
export async function runCommand(
  handlers: CommandHandlers,
  name: CommandName | string,
  rawArgs: readonly unknown[],
): Promise<unknown> {
  if (!isCommandName(name)) throw new BridgeRefusedError('unknown bridge command');
  const args = validateCommandArgs(name, rawArgs);
  const handler = handlers[name] as (...validated: readonly unknown[]) => unknown;
  // Called as a method, so a core that implements its handlers as a class keeps its `this`.
  return await Reflect.apply(handler, handlers, args);
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
  return await runCommand(handlers, name, rawArgs);
}
