// Packaging end to end (issue #6): `electron-vite build`, then `electron-builder --linux dir` with
// the repository's electron-builder.yml against a stub Electron distribution (`electronDist`; the real
// binary cannot be downloaded on the build machines). Checks what ends up in app.asar, that the
// fuses of electron-builder.yml are flipped in the shipped executable, that nothing was downloaded,
// and that the ABI guard catches packaged addons that were built for plain Node.
//
// Here better-sqlite3 is built for this machine's Node (no Electron headers offline, `nodedir=/usr`)
// and `npmRebuild: false` ships it as is, so the guard must FAIL on the packaged app. The release
// pipeline has to run electron-rebuild against Electron's headers on a machine with network access
// and then run the same guard (assertNativeAbi) on its own output, where it must pass.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import asar from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNativeAbi, electronModuleVersion, findNativeModules, readNativeAbi } from './native-abi.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = (name: string) => join(root, 'node_modules/.bin', name);
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'; // @electron/fuses looks for it in the executable

let temp: string;
let electronVersion: string;
let appDir: string; // release/linux-unpacked
let archive: string; // its resources/app.asar
let entries: string[];

/**
 * What electron-builder needs from an unpacked linux-x64 Electron: the `electron` executable (renamed
 * to `executableName`; it must hold a fuse wire because electron-builder.yml sets `electronFuses`),
 * `resources/` and `locales/` (electronLanguages cleanup), `LICENSE` (renamed to LICENSE.electron.txt)
 * and `version`. Nothing else is read; the real distribution's .so/.pak/.bin files are just copied.
 */
async function stubElectron(dir: string, version: string): Promise<void> {
  await mkdir(join(dir, 'resources'), { recursive: true });
  await mkdir(join(dir, 'locales'), { recursive: true });
  // Fuse wire v1, 8 fuses, Electron's defaults ('1' enabled, '0' disabled).
  const wire = `${SENTINEL}\x01\x0810110001`;
  await writeFile(
    join(dir, 'electron'),
    `#!/bin/sh\necho "stub Electron" >&2\nexit 1\n# ${wire}\n`,
    'latin1',
  );
  await chmod(join(dir, 'electron'), 0o755);
  await writeFile(join(dir, 'version'), version);
  await writeFile(join(dir, 'LICENSE'), 'MIT (stub)\n');
  await writeFile(join(dir, 'LICENSES.chromium.html'), '<!-- stub -->\n');
  await writeFile(join(dir, 'locales', 'en-US.pak'), '');
}

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'moq-package-'));
  const packageJson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  electronVersion = packageJson.devDependencies.electron ?? '';
  expect(electronVersion).toMatch(/^\d+\.\d+\.\d+$/); // pinned exactly, so the stub can claim it
  await stubElectron(join(temp, 'electron'), electronVersion);

  const env = {
    ...process.env,
    ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
    // Any download attempt fails fast and would land in this cache, which must stay empty.
    ELECTRON_BUILDER_CACHE: join(temp, 'cache'),
    ELECTRON_MIRROR: 'http://127.0.0.1:9/',
    CSC_IDENTITY_AUTO_DISCOVERY: 'false',
  };
  await run(bin('electron-vite'), ['build'], { cwd: root, env, timeout: 60_000 });
  await run(
    bin('electron-builder'),
    [
      '--linux',
      'dir',
      '--x64',
      '--publish',
      'never',
      '--config',
      'electron-builder.yml',
      `-c.electronDist=${join(temp, 'electron')}`,
      `-c.directories.output=${join(temp, 'release')}`,
    ],
    { cwd: root, env, timeout: 60_000 },
  );
  appDir = join(temp, 'release', 'linux-unpacked');
  archive = join(appDir, 'resources', 'app.asar');
  entries = asar.listPackage(archive, { isPack: false }).map((it) => it.replaceAll('\\', '/'));
}, 120_000);

afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe('electron-builder --linux dir', () => {
  it('produces the unpacked app with the configured executable name and an app.asar', async () => {
    expect((await stat(join(appDir, 'moq-studio'))).isFile()).toBe(true);
    expect((await stat(archive)).size).toBeGreaterThan(0);
    expect(await readFile(join(appDir, 'version'), 'utf8')).toBe(electronVersion);
  });

  it('ships the electron-vite output and package.json, whose main points into it', () => {
    for (const file of [
      '/out/main/index.js',
      '/out/preload/index.cjs',
      '/out/renderer/index.html',
      '/package.json',
    ]) {
      expect(entries).toContain(file);
    }
    const packaged = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as {
      main: string;
    };
    expect(packaged.main).toBe('out/main/index.js');
  });

  it('ships no sources, tests or the tsx toolchain', () => {
    const own = entries.filter((it) => !it.startsWith('/node_modules/'));
    expect(new Set(own.map((it) => it.split('/')[1]))).toEqual(
      new Set(['out', 'node_modules', 'package.json']),
    );
    expect(own.filter((it) => /\.(ts|svelte)$/.test(it))).toEqual([]);
    const excluded = /^\/node_modules\/(tsx|esbuild|@esbuild|get-tsconfig|resolve-pkg-maps)(\/|$)/;
    expect(entries.filter((it) => excluded.test(it))).toEqual([]);
    // ...while the production dependencies the main process needs are there.
    for (const dependency of ['better-sqlite3', 'pg', 'ts-mls', '@matrixai/quic']) {
      expect(entries).toContain(`/node_modules/${dependency}/package.json`);
    }
  });

  it('flips the fuses of electron-builder.yml in the shipped executable', async () => {
    const wire = await getCurrentFuseWire(join(appDir, 'moq-studio'));
    const fuse = (option: FuseV1Options) => String.fromCharCode(wire[option] ?? 0);
    expect(fuse(FuseV1Options.RunAsNode)).toBe('0');
    expect(fuse(FuseV1Options.EnableCookieEncryption)).toBe('1');
    expect(fuse(FuseV1Options.EnableNodeOptionsEnvironmentVariable)).toBe('0');
    expect(fuse(FuseV1Options.EnableNodeCliInspectArguments)).toBe('0');
    expect(fuse(FuseV1Options.EnableEmbeddedAsarIntegrityValidation)).toBe('1');
    expect(fuse(FuseV1Options.OnlyLoadAppFromAsar)).toBe('1');
    expect(fuse(FuseV1Options.GrantFileProtocolExtraPrivileges)).toBe('0');
  });

  it('downloaded nothing', async () => {
    expect(await readdir(join(temp, 'cache')).catch(() => [])).toEqual([]);
  });

  it('ships native addons unpacked, and the ABI guard rejects the ones built for plain Node', async () => {
    const modules = await findNativeModules(appDir);
    const sqlite = modules.find((it) => it.path.endsWith('better_sqlite3.node'));
    expect(sqlite?.path).toBe(
      join(
        'resources',
        'app.asar.unpacked',
        'node_modules',
        'better-sqlite3',
        'build',
        'Release',
        'better_sqlite3.node',
      ),
    );
    // npmRebuild: false ships node_modules' build unchanged.
    const source = readNativeAbi(
      await readFile(join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')),
    );
    expect(sqlite?.abi).toEqual(source);
    expect(modules.find((it) => it.path.endsWith('node.napi.node'))?.abi).toEqual({ kind: 'napi' });

    const needed = electronModuleVersion(electronVersion);
    if (source.kind === 'node' && source.abi !== needed) {
      // The expected case on this machine: the guard must catch it.
      await expect(assertNativeAbi(appDir, electronVersion)).rejects.toThrow(
        `better_sqlite3.node is built for Node ABI ${source.abi}, Electron ${electronVersion} needs ${needed}`,
      );
    } else {
      // node_modules was rebuilt for Electron: then the packaged app must pass.
      await expect(assertNativeAbi(appDir, electronVersion)).resolves.toBeDefined();
    }
  });
});
