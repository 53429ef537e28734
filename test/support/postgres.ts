// A real, throwaway PostgreSQL server for tests and benchmarks: initdb into a temp folder, start
// `postgres` on 127.0.0.1:<free port> (fsync off: test speed only), create databases on demand,
// and stop + delete everything afterwards. As root the server binaries run as the `postgres` OS
// user (PostgreSQL refuses to run as root). No PostgreSQL binaries means a clear failure, not a
// skip: CI installs the Debian `postgresql` package.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** A database created at start, for tests that need just one. */
  readonly url: string;
  readonly port: number;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown, then SIGKILL) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

const USER = 'moq';
let databaseCounter = 0;

function versionOf(dir: string): number {
  return Number(/(\d+)/.exec(dir)?.[1] ?? 0);
}

/** $PG_BIN, then the newest /usr/lib/postgresql/<v>/bin, then `pg_config --bindir`, then $PATH. */
export function findPostgresBinaries(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).sort((a, b) => versionOf(b) - versionOf(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  const found = candidates.find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')),
  );
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, postgres) not found: install them (Debian/Ubuntu: ' +
        '`apt-get install -y postgresql`) or set PG_BIN to the folder that holds them.',
    );
  }
  return found;
}

function runAsUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('running as root, but there is no `postgres` OS user to run the PostgreSQL server as');
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts a throwaway server; at most `timeoutMs` for initdb + startup. */
export async function startPostgres(options: { timeoutMs?: number } = {}): Promise<PostgresServer> {
  const bin = findPostgresBinaries();
  const owner = runAsUser();
  const root = mkdtempSync(join(tmpdir(), 'moq-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  mkdirSync(socketDir);
  let child: ChildProcess | undefined;
  let stopped = false;
  // A test process that dies without afterAll must not leave a server behind.
  const onExit = () => {
    child?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    const running = child;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => running.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(root, { recursive: true, force: true });
  };

  try {
    if (owner) {
      chownSync(root, owner.uid, owner.gid);
      chownSync(socketDir, owner.uid, owner.gid);
    }
    const spawnOptions = { ...(owner ?? {}), cwd: root, env: { ...process.env, LC_ALL: 'C' } };
    const initdb = spawnSync(
      join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-A',
        'trust',
        '-U',
        USER,
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      { ...spawnOptions, encoding: 'utf8', timeout: options.timeoutMs ?? 30_000 },
    );
    if (initdb.status !== 0) {
      throw new Error(`initdb failed (${initdb.status ?? initdb.signal}): ${initdb.stderr || initdb.error}`);
    }

    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    const port = await freeTcpPort();
    let output = '';
    const server = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-k',
        socketDir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
        '-c',
        'shared_buffers=32MB',
      ],
      { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = server;
    server.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    server.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));

    const adminUrl = `postgres://${USER}@127.0.0.1:${port}/postgres`;
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) {
        throw new Error(
          `postgres exited during startup (${server.exitCode ?? server.signalCode}):\n${output}`,
        );
      }
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        break;
      } catch {
        await client.end().catch(() => {});
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections in time:\n${output}`);
        await sleep(50);
      }
    }

    const createDatabase = async (name = `t${process.pid}_${++databaseCounter}`): Promise<string> => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${USER}@127.0.0.1:${port}/${name}`;
    };

    return { url: await createDatabase(), port, createDatabase, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
