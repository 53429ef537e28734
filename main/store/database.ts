// Opens the client's durable-state SQLite file and brings its schema up to date. All pending numbered
// migrations run in ONE transaction so a crash never leaves a half-migrated schema behind.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export class SchemaTooNewError extends Error {
  constructor(
    readonly path: string,
    readonly fileVersion: number,
    readonly codeVersion: number,
  ) {
    super(
      `database ${path} has schema version ${fileVersion}, but this build only knows up to ${codeVersion}; ` +
        'it was written by a newer MoQ Studio — upgrade the app (the file was left untouched)',
    );
    this.name = 'SchemaTooNewError';
  }
}

export interface OpenDatabaseOptions {
  /** ms to wait for another connection's write lock before SQLITE_BUSY (default 5000). */
  busyTimeoutMs?: number;
}

function readSchemaVersion(db: SqliteDatabase): number {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  return row?.version ?? 0;
}

/**
 * Opens (creating if needed) `path` and applies `migrations[i]` as schema version i + 1.
 * Migrations are append-only: never edit a released step, add a new one.
 */
export function openDatabase(
  path: string,
  migrations: readonly string[],
  options: OpenDatabaseOptions = {},
): SqliteDatabase {
  const existed = path !== ':memory:' && existsSync(path);
  const db = new Database(path);
  try {
    // Check the version BEFORE any pragma that writes (journal_mode=WAL rewrites the header), so a file
    // from a newer build is refused without a single byte changed.
    if (existed) {
      const fileVersion = readSchemaVersion(db);
      if (fileVersion > migrations.length) throw new SchemaTooNewError(path, fileVersion, migrations.length);
    }
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('journal_mode = WAL');
    // FULL, not NORMAL: in WAL mode NORMAL can lose the last commits on power loss. We acknowledge a
    // message to the network right after COMMIT, so a lost commit would roll the MLS state back behind
    // an epoch the group already moved past. MLS commits are rare; one fsync each is cheap.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, path, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: SqliteDatabase, path: string, migrations: readonly string[]): void {
  // IMMEDIATE takes the write lock first, so two processes opening the same file cannot both migrate.
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const current = readSchemaVersion(db);
    if (current > migrations.length) throw new SchemaTooNewError(path, current, migrations.length);
    if (current === migrations.length && current > 0) return;
    for (let v = current; v < migrations.length; v++) db.exec(migrations[v]!);
    db.exec('DELETE FROM schema_version');
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(migrations.length);
  }).immediate();
}

export function schemaVersion(db: SqliteDatabase): number {
  return readSchemaVersion(db);
}
