// Where MoQ Studio keeps its files (certificates, databases, settings) when run headless: the
// platform's per-user application-data folder, overridable with MOQ_STUDIO_HOME or --data-dir.
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.MOQ_STUDIO_HOME) return env.MOQ_STUDIO_HOME;
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'moq-studio');
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'moq-studio');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'moq-studio');
}
