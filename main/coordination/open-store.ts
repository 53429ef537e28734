// Picks the CoordinationStore by the location's scheme: a postgres:// or postgresql:// URL opens
// PostgreSQL (several instances may share it), anything else is a SQLite file path.
import { PostgresCoordinationStore, isPostgresUrl, type PostgresStoreOptions } from './postgres-store.js';
import { SqliteCoordinationStore, type SqliteStoreOptions } from './sqlite-store.js';
import type { CoordinationStore } from './store.js';

export interface OpenStoreOptions {
  readonly sqlite?: SqliteStoreOptions;
  readonly postgres?: PostgresStoreOptions;
}

export async function openCoordinationStore(
  location: string,
  options: OpenStoreOptions = {},
): Promise<CoordinationStore> {
  if (isPostgresUrl(location)) return PostgresCoordinationStore.open(location, options.postgres);
  return new SqliteCoordinationStore(location, options.sqlite);
}

/** The location with any password replaced, for logs. */
export function describeStoreLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://…';
  }
}
