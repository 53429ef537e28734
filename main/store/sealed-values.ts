// Small secrets kept beside the group states, sealed one by one: the member's long-term identity
// key and the Coordination Service tokens it was given. The key is in the AAD, so a sealed value
// cannot be moved under another key.
import type { SqliteDatabase } from './database.js';
import { rowAad } from './secret-box.js';
import type { SecretBox } from './secret-box.js';

export class SealedValues {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly box: SecretBox,
  ) {}

  get(key: string): Uint8Array | undefined {
    const row = this.db.prepare('SELECT value FROM sealed_values WHERE key = ?').get(key) as
      { value: Uint8Array } | undefined;
    return row === undefined ? undefined : this.box.open(row.value, rowAad('sealed_values.value', key));
  }

  getText(key: string): string | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : new TextDecoder().decode(value);
  }

  set(key: string, value: Uint8Array | string): void {
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    this.db
      .prepare('INSERT OR REPLACE INTO sealed_values (key, value) VALUES (?, ?)')
      .run(key, this.box.seal(bytes, rowAad('sealed_values.value', key)));
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM sealed_values WHERE key = ?').run(key);
  }
}
