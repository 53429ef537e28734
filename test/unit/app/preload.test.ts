// Runs preload/index.ts against a stand-in 'electron' module to check what the page receives: exactly
// the bridge's commands plus onEvent, invoking only allowlisted channels and never seeing IPC events.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { StudioBridge } from '../../../common/bridge/index.js';

const electron = vi.hoisted(() => {
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    exposed: new Map<string, unknown>(),
    listeners,
    invoke: vi.fn(async (..._args: unknown[]) => ({ app: '0.1.0', electron: '39.5.0', node: '22.20.0' })),
  };
});

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api),
  },
  ipcRenderer: {
    invoke: electron.invoke,
    on: (channel: string, listener: (...args: unknown[]) => void) => {
      const set = electron.listeners.get(channel) ?? new Set();
      set.add(listener);
      electron.listeners.set(channel, set);
    },
    removeListener: (channel: string, listener: (...args: unknown[]) => void) => {
      electron.listeners.get(channel)?.delete(listener);
    },
  },
}));

let studio: StudioBridge;

beforeAll(async () => {
  await import('../../../preload/index.js');
  studio = electron.exposed.get('studio') as StudioBridge;
});

function emit(channel: string, message: unknown): void {
  for (const listener of electron.listeners.get(channel) ?? [])
    listener({ sender: 'raw ipcRenderer' }, message);
}

describe('preload', () => {
  it('exposes only window.studio with the contract commands and onEvent', () => {
    expect([...electron.exposed.keys()]).toEqual(['studio']);
    expect(Object.keys(studio).sort()).toEqual(['getVersion', 'onEvent']);
  });

  it('invokes the namespaced channel and returns the result', async () => {
    await expect(studio.getVersion()).resolves.toEqual({ app: '0.1.0', electron: '39.5.0', node: '22.20.0' });
    expect(electron.invoke).toHaveBeenLastCalledWith('studio:command:getVersion');
  });

  it('rejects bad arguments before they reach IPC', async () => {
    electron.invoke.mockClear();
    const untyped = studio.getVersion as unknown as (...args: unknown[]) => Promise<unknown>;
    await expect(untyped('extra')).rejects.toThrow(/expected 0 argument/);
    expect(electron.invoke).not.toHaveBeenCalled();
  });

  it('forwards known events without the IPC event object, and unsubscribes', () => {
    const seen: unknown[] = [];
    const unsubscribe = studio.onEvent((event) => seen.push(event));
    emit('studio:event', { name: 'focusRequested', payload: { reason: 'second-instance' } });
    emit('studio:event', { name: 'notInTheContract', payload: {} });
    emit('studio:event', 'garbage');
    expect(seen).toEqual([{ name: 'focusRequested', payload: { reason: 'second-instance' } }]);
    unsubscribe();
    emit('studio:event', { name: 'focusRequested', payload: { reason: 'second-instance' } });
    expect(seen).toHaveLength(1);
  });
});
