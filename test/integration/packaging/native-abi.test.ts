// Unit tests of the packaged-addon ABI guard against the real addons in node_modules: better-sqlite3
// (node-gyp, built here for this Node), @matrixai/quic (N-API) and better-sqlite3's SQLite test
// extension (a `.node` file that is not an addon).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ELECTRON_39_MODULE_VERSION,
  assertNativeAbi,
  electronModuleVersion,
  findNativeModules,
  nativeAbiProblems,
  readNativeAbi,
} from './native-abi.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const release = join(root, 'node_modules/better-sqlite3/build/Release');
const betterSqlite = join(release, 'better_sqlite3.node');
const sqliteExtension = join(release, 'test_extension.node');
const quicNapi = join(root, 'node_modules/@matrixai/quic-linux-x64/node.napi.node');
const electronVersion = '39.5.0';

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('readNativeAbi', () => {
  it('reads the Node ABI better-sqlite3 was built for, and it is the ABI that actually loads', async () => {
    const abi = readNativeAbi(await readFile(betterSqlite));
    expect(abi).toEqual({ kind: 'node', abi: expect.any(Number) });
    // Cross-check against reality: load the addon in a child Node. Node refuses an addon built for
    // another ABI ("was compiled against a different Node.js version using NODE_MODULE_VERSION X").
    const load = `process.dlopen({ exports: {} }, ${JSON.stringify(betterSqlite)})`;
    const loaded = await promisify(execFile)(process.execPath, ['-e', load]).then(
      () => null,
      (error: Error & { stderr?: string }) => error.stderr ?? error.message,
    );
    if (loaded === null) {
      expect(abi).toEqual({ kind: 'node', abi: Number(process.versions.modules) });
    } else {
      expect(loaded).toMatch(`NODE_MODULE_VERSION ${abi.kind === 'node' ? abi.abi : '?'}`);
    }
  });

  it('recognizes an N-API addon and a .node file that is not an addon', async () => {
    expect(readNativeAbi(await readFile(quicNapi))).toEqual({ kind: 'napi' });
    expect(readNativeAbi(await readFile(sqliteExtension))).toEqual({ kind: 'not-an-addon' });
  });

  it('reads synthetic symbol tables', () => {
    const elf = (symbols: string) => Buffer.from(`\x7fELF\0\0${symbols}\0`, 'latin1');
    expect(readNativeAbi(elf('node_register_module_v140'))).toEqual({ kind: 'node', abi: 140 });
    expect(readNativeAbi(elf('napi_register_module_v1\0napi_create_object'))).toEqual({ kind: 'napi' });
    expect(readNativeAbi(elf('_ZN2v87Isolate10GetCurrentEv'))).toEqual({ kind: 'unknown' });
    expect(readNativeAbi(elf('sqlite3_extension_init'))).toEqual({ kind: 'not-an-addon' });
  });
});

describe('electronModuleVersion', () => {
  it('agrees with the documented constant and with the installed electron package', async () => {
    expect(electronModuleVersion(electronVersion)).toBe(ELECTRON_39_MODULE_VERSION);
    const installed = await readFile(join(root, 'node_modules/electron/abi_version'), 'utf8').catch(
      () => null,
    );
    if (installed !== null) expect(Number(installed.trim())).toBe(ELECTRON_39_MODULE_VERSION);
  });
});

describe('the ABI guard', () => {
  async function fakeApp(addons: Record<string, string>): Promise<string> {
    const app = await mkdtemp(join(tmpdir(), 'moq-abi-'));
    temps.push(app);
    for (const [path, source] of Object.entries(addons)) {
      await mkdir(join(app, path, '..'), { recursive: true });
      await copyFile(source, join(app, path));
    }
    return app;
  }

  it('fails on an addon built for plain Node, naming both ABIs and the fix', async () => {
    const nodeAbi = readNativeAbi(await readFile(betterSqlite));
    if (nodeAbi.kind !== 'node' || nodeAbi.abi === ELECTRON_39_MODULE_VERSION) {
      throw new Error('expected the node_modules better-sqlite3 to be built for plain Node');
    }
    const app = await fakeApp({
      'resources/app.asar.unpacked/node_modules/better-sqlite3/build/Release/better_sqlite3.node':
        betterSqlite,
      'resources/app.asar.unpacked/node_modules/@matrixai/quic-linux-x64/node.napi.node': quicNapi,
    });
    await expect(assertNativeAbi(app, electronVersion)).rejects.toThrow(
      `better_sqlite3.node is built for Node ABI ${nodeAbi.abi}, Electron 39.5.0 needs 140 — ` +
        `run electron-rebuild with the right headers (beware nodedir=/usr in this machine's npm config`,
    );
    const problems = nativeAbiProblems(await findNativeModules(app), electronVersion);
    expect(problems).toHaveLength(1); // the N-API addon is fine
  });

  it('passes N-API addons, non-addon .node files and addons built for the Electron ABI', async () => {
    const app = await fakeApp({
      'resources/app.asar.unpacked/node_modules/@matrixai/quic-linux-x64/node.napi.node': quicNapi,
      'resources/app.asar.unpacked/node_modules/better-sqlite3/build/Release/test_extension.node':
        sqliteExtension,
    });
    const modules = await assertNativeAbi(app, electronVersion);
    expect(modules.map((it) => it.abi.kind)).toEqual(['napi', 'not-an-addon']);
    const rebuilt = { path: 'better_sqlite3.node', abi: { kind: 'node', abi: 140 } } as const;
    expect(nativeAbiProblems([rebuilt], electronVersion)).toEqual([]);
  });
});
