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
import type { CommandHandlers } from '../../../common/bridge/index.js';
import { BridgeRefusedError, dispatchCommand } from '../../../main/app/bridge-host.js';
import { createCommandHandlers } from '../../../main/app/commands.js';
import { APP_ENTRY_URL, trustedOriginsFor } from '../../../main/app/security-policy.js';

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
    expect(commandNames).toEqual(['getVersion']);
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
  const handlers = createCommandHandlers({
    appVersion: '1.2.3',
    versions: { node: '22.20.0', electron: '39.5.0' },
  });

  it('runs the handler for a trusted sender', async () => {
    await expect(dispatchCommand(handlers, 'getVersion', ours, [], trusted)).resolves.toEqual({
      app: '1.2.3',
      electron: '39.5.0',
      node: '22.20.0',
    });
  });

  it('reports electron as null outside Electron', async () => {
    const plain = createCommandHandlers({ appVersion: '1.2.3', versions: { node: '20.19.0' } });
    await expect(plain.getVersion()).resolves.toEqual({ app: '1.2.3', electron: null, node: '20.19.0' });
  });

  it('refuses untrusted senders without running or validating anything', async () => {
    const spy = vi.fn(async () => ({ app: 'x', electron: null, node: 'y' }));
    const spied: CommandHandlers = { getVersion: spy };
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
