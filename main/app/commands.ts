// Implementations of the StudioBridge commands declared in common/bridge/contract.ts. Kept free of
// 'electron' (values are passed in) so they run under plain Node in tests and in browser mode.
import type { CommandHandlers, VersionInfo } from '../../common/bridge/index.js';

export interface CommandContext {
  appVersion: string;
  /** `process.versions`; `electron` is absent outside Electron. */
  versions: Readonly<Partial<Record<string, string>>>;
}

export function createCommandHandlers(context: CommandContext): CommandHandlers {
  return {
    getVersion: async (): Promise<VersionInfo> => ({
      app: context.appVersion,
      electron: context.versions['electron'] ?? null,
      node: context.versions['node'] ?? 'unknown',
    }),
  };
}
