// Migrations: fresh file, re-open without re-running steps, all-or-nothing on failure, and refusal of a
// file written by a newer schema (without touching it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, SchemaTooNewError, schemaVersion } from '../../../main/store/database.js';
import { STORE_MIGRATIONS } from '../../../main/store/group-state-repository.js';
import { cleanupTempDirs, tempDir } from './store-test-helpers.js';

afterEach(cleanupTempDirs);

describe('openDatabase', () => {
  it('applies migrations on a fresh file with WAL, foreign keys and FULL sync', () => {
    const path = join(tempDir(), 'state.db');
    const db = openDatabase(path, STORE_MIGRATIONS);
    expect(schemaVersion(db)).toBe(STORE_MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    expect(tables.map((t) => (t as { name: string }).name)).toEqual([
      'epoch_secrets',
      'pending_commits',
      'processed_messages',
      'schema_version',
      'sealed_values',
      'security_groups',
    ]);
    db.close();
  });

  it('re-opens without re-running steps and applies only new ones', () => {
    const path = join(tempDir(), 'm.db');
    const v1 = ['CREATE TABLE a (x INTEGER)'];
    openDatabase(path, v1).close();
    const db = openDatabase(path, v1); // would fail "table a already exists" if re-run
    expect(schemaVersion(db)).toBe(1);
    db.close();
    const v2 = [...v1, 'CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (7)'];
    const db2 = openDatabase(path, v2);
    expect(schemaVersion(db2)).toBe(2);
    expect(db2.prepare('SELECT y FROM b').get()).toEqual({ y: 7 });
    db2.close();
  });

  it('applies pending migrations in one transaction: a failing step leaves nothing behind', () => {
    const path = join(tempDir(), 'fail.db');
    openDatabase(path, ['CREATE TABLE a (x INTEGER)']).close();
    expect(() =>
      openDatabase(path, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)', 'NOT VALID SQL']),
    ).toThrow();
    const raw = new Database(path);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    expect(raw.prepare('SELECT version FROM schema_version').get()).toEqual({ version: 1 });
    raw.close();
  });

  it('refuses a database with a newer schema and leaves the file untouched', () => {
    const path = join(tempDir(), 'new.db');
    openDatabase(path, [...STORE_MIGRATIONS, 'CREATE TABLE future (z INTEGER)']).close();
    const before = readFileSync(path);
    let error: unknown;
    try {
      openDatabase(path, STORE_MIGRATIONS);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `schema version ${STORE_MIGRATIONS.length + 1}.*only knows up to ${STORE_MIGRATIONS.length}`,
      ),
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});
