// The studio's settings file (settings.json in the data directory). Read with the same validator the
// bridge applies to updateSettings, so a hand-edited or damaged file can never smuggle in a value the
// UI could not set; a file that does not validate is kept aside (settings.json.invalid) — never
// silently overwritten — and the defaults are used. Writes are atomic (temp file + rename).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateCommandArgs } from '../../common/bridge/index.js';
import type { StudioSettings } from '../../common/bridge/index.js';

const DEFAULT_SETTINGS: StudioSettings = {
  displayName: 'MoQ Studio user',
  embeddedServices: true,
  relayUrl: '',
  coordinatorUrl: '',
  approval: 'manual',
  allowlist: [],
};

export class SettingsFile {
  private readonly path: string;
  private current: StudioSettings;
  /** Why the stored file was not used, when it was not. */
  readonly problem: string | null = null;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'settings.json');
    this.current = DEFAULT_SETTINGS;
    if (!existsSync(this.path)) return;
    try {
      this.current = { ...DEFAULT_SETTINGS, ...parseSettings(readFileSync(this.path, 'utf8')) };
    } catch (error) {
      this.problem = `settings.json was not valid (${(error as Error).message}); it was kept as settings.json.invalid`;
      renameSync(this.path, `${this.path}.invalid`);
    }
  }

  get value(): StudioSettings {
    return this.current;
  }

  update(patch: Partial<StudioSettings>): StudioSettings {
    const next = { ...this.current, ...patch };
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path);
    this.current = next;
    return next;
  }
}

function parseSettings(text: string): Partial<StudioSettings> {
  const [patch] = validateCommandArgs('updateSettings', [JSON.parse(text) as unknown]);
  return patch;
}
