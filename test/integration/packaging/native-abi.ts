// ABI guard for packaged native modules. A `.node` addon built with the classic Node API
// (NODE_MODULE_VERSION) loads only in a runtime with the same module ABI, and Electron's ABI is not
// Node's. This machine's npm config sets `nodedir=/usr`, so an electron-rebuild that "succeeds" here
// silently builds against Node's headers; the result packages fine and crashes at startup. The guard
// reads each addon's ABI from the file itself and fails with a message that says what to do.
//
// How the ABI is read: node-gyp addons export `node_register_module_v<ABI>` (the ABI they were
// compiled against); N-API addons export `napi_register_module_v1` and load in any runtime. A `.node`
// file with neither and no Node/V8/N-API imports is a plain shared library (better-sqlite3 ships a
// SQLite extension under that name) and is not an addon.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import asar from '@electron/asar';

/**
 * NODE_MODULE_VERSION of Electron 39 (node-abi's registry, also `node_modules/electron/abi_version`).
 * Used only when node-abi cannot be resolved.
 */
export const ELECTRON_39_MODULE_VERSION = 140;

export type NativeAbi =
  { kind: 'node'; abi: number } | { kind: 'napi' } | { kind: 'not-an-addon' } | { kind: 'unknown' };

export interface NativeModule {
  /** Path relative to the app directory; `resources/app.asar/…` for files packed inside the asar. */
  path: string;
  abi: NativeAbi;
}

/** The NODE_MODULE_VERSION an addon needs to load in the given Electron version. */
export function electronModuleVersion(electronVersion: string): number {
  try {
    const require = createRequire(import.meta.url);
    const nodeAbi = require('node-abi') as { getAbi(target: string, runtime: string): string };
    return Number(nodeAbi.getAbi(electronVersion, 'electron'));
  } catch (error) {
    if (electronVersion.split('.')[0] === '39') return ELECTRON_39_MODULE_VERSION;
    throw new Error(`cannot determine the module ABI of Electron ${electronVersion}`, { cause: error });
  }
}

/** Reads the module ABI an addon was built for from its exported registration symbol. */
export function readNativeAbi(bytes: Buffer): NativeAbi {
  const text = bytes.toString('latin1');
  const classic = /node_register_module_v(\d+)/.exec(text);
  if (classic) return { kind: 'node', abi: Number(classic[1]) };
  if (text.includes('napi_register_module_v1')) return { kind: 'napi' };
  // No registration symbol: an addon would still import Node, V8 or N-API functions.
  if (/napi_|_ZN4node|_ZN2v8|node_module_register/.test(text)) return { kind: 'unknown' };
  return { kind: 'not-an-addon' };
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Every `.node` file of an unpacked app directory (e.g. `linux-unpacked/`): files on disk, including
 * `resources/app.asar.unpacked/`, and files packed inside `resources/app.asar` itself.
 */
export async function findNativeModules(appDir: string): Promise<NativeModule[]> {
  const found: NativeModule[] = [];
  let archive: string | undefined;
  for await (const path of walk(appDir)) {
    if (path.endsWith(`${sep}resources${sep}app.asar`)) archive = path;
    if (path.endsWith('.node')) {
      found.push({ path: relative(appDir, path), abi: readNativeAbi(await readFile(path)) });
    }
  }
  if (archive) {
    for (const entry of asar.listPackage(archive, { isPack: false })) {
      if (!entry.endsWith('.node')) continue;
      const inArchive = entry.replace(/^[\\/]/, '');
      const stat = asar.statFile(archive, inArchive, true);
      if ('unpacked' in stat && stat.unpacked) continue; // already found on disk in app.asar.unpacked/
      found.push({
        path: join(relative(appDir, archive), inArchive),
        abi: readNativeAbi(asar.extractFile(archive, inArchive)),
      });
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** Messages for the addons that will not load in the given Electron version; empty when all will. */
export function nativeAbiProblems(modules: NativeModule[], electronVersion: string): string[] {
  const needed = electronModuleVersion(electronVersion);
  const problems: string[] = [];
  for (const { path, abi } of modules) {
    if (abi.kind === 'node' && abi.abi !== needed) {
      problems.push(
        `${path} is built for Node ABI ${abi.abi}, Electron ${electronVersion} needs ${needed} — ` +
          `run electron-rebuild with the right headers ` +
          `(beware nodedir=/usr in this machine's npm config: it makes the rebuild target Node)`,
      );
    } else if (abi.kind === 'unknown') {
      problems.push(`${path} looks like a Node addon but exports no module registration symbol`);
    }
  }
  return problems;
}

/** Fails when any `.node` addon of the unpacked app will not load in the given Electron version. */
export async function assertNativeAbi(appDir: string, electronVersion: string): Promise<NativeModule[]> {
  const modules = await findNativeModules(appDir);
  const problems = nativeAbiProblems(modules, electronVersion);
  if (problems.length > 0) throw new Error(`native module ABI mismatch:\n${problems.join('\n')}`);
  return modules;
}
