// The two CoordinationStore backends the service tests run against: SQLite on a temp file and a
// real throwaway PostgreSQL (one server per test file, one fresh database per location()).
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PostgresServer } from '../../support/postgres.js';
import { tempDir } from './fixtures.js';

export interface StoreBackend {
  readonly name: 'sqlite' | 'postgres';
  /** A new, empty database: a SQLite file path or a postgres:// URL. */
  location(): Promise<string>;
}

/** Call at the top level of a test file: registers the server's beforeAll/afterAll. */
export function storeBackends(): readonly StoreBackend[] {
  let server: PostgresServer | undefined;
  const temps: { remove(): void }[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    for (const temp of temps.splice(0)) temp.remove();
  });
  return [
    {
      name: 'sqlite',
      location: async () => {
        const temp = tempDir();
        temps.push(temp);
        return join(temp.path, 'cs.db');
      },
    },
    {
      name: 'postgres',
      location: () => {
        if (!server) throw new Error('the PostgreSQL test server did not start');
        return server.createDatabase();
      },
    },
  ];
}
