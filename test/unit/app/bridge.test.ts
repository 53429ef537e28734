// Unit tests for the StudioBridge contract (common/bridge) and its main-side host: argument validators,
// channel allowlist, and dispatch refusing untrusted senders before touching the arguments.
import { describe, expect, it, vi } from 'vitest';
import {
  BridgeArgumentError,
  boolean,
  commandChannel,
  commandNames,
  integer,
  isCommandName,
  isEventName,
  noArgs,
  string,
  tuple,
  validateCommandArgs,
} from '../../../common/bridge/index.js';
import type { CommandHandlers, VersionInfo } from '../../../common/bridge/index.js';
import { BridgeRefusedError, dispatchCommand, runCommand } from '../../../main/app/bridge-host.js';
import { APP_ENTRY_URL, trustedOriginsFor } from '../../../main/app/security-policy.js';

/** Handlers fixture: getVersion answers, every other command records its validated arguments. */
function fixtureHandlers(version: VersionInfo): CommandHandlers & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const record =
    (name: string) =>
    async (...args: unknown[]): Promise<never> => {
      calls.push([name, ...args]);
      return undefined as never;
    };
  return {
    calls,
    getVersion: async () => version,
    getSnapshot: record('getSnapshot'),
    updateSettings: record('updateSettings'),
    createBroadcast: record('createBroadcast'),
    joinBroadcast: record('joinBroadcast'),
    approveJoin: record('approveJoin'),
    denyJoin: record('denyJoin'),
    removeMember: record('removeMember'),
    leaveBroadcast: record('leaveBroadcast'),
  };
}

describe('argument validators', () => {
  it('noArgs accepts exactly nothing', () => {
    expect(noArgs([])).toEqual([]);
    expect(() => noArgs([undefined])).toThrow(BridgeArgumentError);
    expect(() => noArgs([{}])).toThrow(/expected 0 argument/);
  });

  it('tuple checks arity and each position', () => {
    const validate = tuple(string({ maxLength: 8 }), integer({ min: 0, max: 10 }), boolean);
    expect(validate(['abc', 3, true])).toEqual(['abc', 3, true]);
    expect(() => validate(['abc', 3])).toThrow(/expected 3 argument/);
    expect(() => validate(['abc', 3, true, 'extra'])).toThrow(BridgeArgumentError);
    expect(() => validate([1, 3, true])).toThrow(/argument 0: expected a string/);
    expect(() => validate(['abc', 3.5, true])).toThrow(/argument 1: expected an integer/);
    expect(() => validate(['abc', 11, true])).toThrow(/argument 1: outside/);
    expect(() => validate(['abc', 3, 'yes'])).toThrow(/argument 2: expected a boolean/);
  });

  it('string enforces length and pattern', () => {
    const id = string({ maxLength: 4, pattern: /^[a-z]+$/ });
    expect(id('abcd', 'id')).toBe('abcd');
    expect(() => id('abcde', 'id')).toThrow(/longer than 4/);
    expect(() => id('AB', 'id')).toThrow(/does not match/);
  });

  it('integer rejects non-numbers and unsafe integers', () => {
    const any = integer({ min: -Infinity, max: Infinity });
    expect(() => any('1', 'n')).toThrow(BridgeArgumentError);
    expect(() => any(NaN, 'n')).toThrow(BridgeArgumentError);
    expect(() => any(2 ** 60, 'n')).toThrow(BridgeArgumentError);
  });
});

describe('contract tables', () => {
  it('derives namespaced channels from the command table', () => {
    expect(commandNames).toContain('getVersion');
    expect(commandNames).toContain('removeMember');
    expect(commandChannel('getVersion')).toBe('studio:command:getVersion');
  });

  it('recognises only own table keys', () => {
    expect(isCommandName('getVersion')).toBe(true);
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '', 42]) {
      expect(isCommandName(name)).toBe(false);
      expect(isEventName(name)).toBe(false);
    }
    expect(isEventName('focusRequested')).toBe(true);
  });

  it('validates getVersion arguments', () => {
    expect(validateCommandArgs('getVersion', [])).toEqual([]);
    expect(() => validateCommandArgs('getVersion', ['x'])).toThrow(BridgeArgumentError);
  });
});

describe('dispatchCommand', () => {
  const trusted = trustedOriginsFor({ kind: 'app', url: APP_ENTRY_URL });
  const ours = { url: 'app://studio/index.html', parent: null };
  const handlers = fixtureHandlers({ app: '1.2.3', electron: '39.5.0', node: '22.20.0' });

  it('runs the handler for a trusted sender', async () => {
    await expect(dispatchCommand(handlers, 'getVersion', ours, [], trusted)).resolves.toEqual({
      app: '1.2.3',
      electron: '39.5.0',
      node: '22.20.0',
    });
  });

  it('passes validated arguments to the handler, called as a method', async () => {
    await dispatchCommand(handlers, 'removeMember', ours, ['ABCD 2345'], trusted);
    await dispatchCommand(handlers, 'updateSettings', ours, [{ approval: 'open' }], trusted);
    expect(handlers.calls).toEqual([
      ['removeMember', 'ABCD 2345'],
      ['updateSettings', { approval: 'open' }],
    ]);
  });

  it('refuses untrusted senders without running or validating anything', async () => {
    const spy = vi.fn(async () => ({ app: 'x', electron: null, node: 'y' }));
    const spied: CommandHandlers = {
      ...fixtureHandlers({ app: 'x', electron: null, node: 'y' }),
      getVersion: spy,
    };
    for (const sender of [
      null,
      { url: 'https://evil.example/', parent: null },
      { url: 'app://studio/index.html', parent: { url: 'app://studio/' } },
    ]) {
      await expect(dispatchCommand(spied, 'getVersion', sender, ['bad'], trusted)).rejects.toBeInstanceOf(
        BridgeRefusedError,
      );
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses unknown commands and bad arguments', async () => {
    await expect(dispatchCommand(handlers, 'constructor', ours, [], trusted)).rejects.toBeInstanceOf(
      BridgeRefusedError,
    );
    await expect(dispatchCommand(handlers, 'getVersion', ours, [1], trusted)).rejects.toBeInstanceOf(
      BridgeArgumentError,
    );
  });
});

describe('runCommand (shared with browser mode)', () => {
  const handlers = fixtureHandlers({ app: '1.2.3', electron: null, node: '20.19.0' });

  it('validates and runs without any sender check', async () => {
    await expect(runCommand(handlers, 'getVersion', [])).resolves.toEqual({
      app: '1.2.3',
      electron: null,
      node: '20.19.0',
    });
  });

  it('refuses prototype keys and bad arguments before any handler runs', async () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      await expect(runCommand(handlers, name, [])).rejects.toBeInstanceOf(BridgeRefusedError);
    }
    await expect(runCommand(handlers, 'approveJoin', ['../../x'])).rejects.toBeInstanceOf(
      BridgeArgumentError,
    );
    await expect(runCommand(handlers, 'updateSettings', [{ __proto__: 1 }])).resolves.toBeUndefined();
    await expect(runCommand(handlers, 'updateSettings', [{ evil: 1 }])).rejects.toThrow(/unknown field evil/);
    expect(handlers.calls).toEqual([['updateSettings', {}]]);
  });
});
