// Runs preload/index.ts against a stand-in 'electron' module to check what the page receives: exactly
// the bridge's commands plus onEvent, invoking only allowlisted channels and never seeing IPC events;
// and the media port handed on to the page with window.postMessage, to our origin only.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commandNames } from '../../../common/bridge/index.js';
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
let preload: { MEDIA_PORT_CHANNEL: string; MEDIA_PORT_MESSAGE: string };

/** The page the preload runs in: only what the preload touches (postMessage, readyState, load). */
const page = {
  posted: [] as { message: unknown; targetOrigin: string; transfer: unknown[] }[],
  loadListeners: [] as (() => void)[],
  readyState: 'loading',
};

beforeAll(async () => {
  vi.stubGlobal('window', {
    location: { origin: 'app://studio' },
    postMessage: (message: unknown, targetOrigin: string, transfer: unknown[]) =>
      page.posted.push({ message, targetOrigin, transfer }),
    addEventListener: (type: string, listener: () => void) => {
      if (type === 'load') page.loadListeners.push(listener);
    },
  });
  vi.stubGlobal('document', {
    get readyState() {
      return page.readyState;
    },
  });
  preload = await import('../../../preload/index.js');
  studio = electron.exposed.get('studio') as StudioBridge;
});

afterAll(() => {
  vi.unstubAllGlobals();
});

function emit(channel: string, message: unknown, ports: unknown[] = []): void {
  for (const listener of electron.listeners.get(channel) ?? [])
    listener({ sender: 'raw ipcRenderer', ports }, message);
}

describe('preload', () => {
  it('exposes only window.studio with the contract commands and onEvent', () => {
    expect([...electron.exposed.keys()]).toEqual(['studio']);
    expect(Object.keys(studio).sort()).toEqual([...commandNames, 'onEvent'].sort());
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

describe('media port hand-off', () => {
  const fakePort = { name: 'port2' };

  it('waits for the page to load, then posts the one port to our own origin', () => {
    emit('studio:media-port', undefined, [fakePort]);
    expect(page.posted).toEqual([]);
    page.readyState = 'complete';
    for (const listener of page.loadListeners.splice(0)) listener();
    expect(page.posted).toEqual([
      { message: 'studio:media-port', targetOrigin: 'app://studio', transfer: [fakePort] },
    ]);
  });

  it('posts at once after load, and ignores messages without exactly one port', () => {
    page.posted.length = 0;
    emit('studio:media-port', undefined, []);
    emit('studio:media-port', undefined, [fakePort, fakePort]);
    expect(page.posted).toEqual([]);
    emit('studio:media-port', undefined, [fakePort]);
    expect(page.posted).toHaveLength(1);
  });

  it('uses the channel main sends on and the message the renderer waits for', () => {
    const root = new URL('../../../', import.meta.url);
    const mainSide = readFileSync(new URL('main/app/media-port.ts', root), 'utf8');
    const pageSide = readFileSync(new URL('renderer/src/bridge/media-port.ts', root), 'utf8');
    expect(mainSide).toContain(`MEDIA_PORT_CHANNEL = '${preload.MEDIA_PORT_CHANNEL}'`);
    expect(pageSide).toContain(`MEDIA_PORT_MESSAGE = '${preload.MEDIA_PORT_MESSAGE}'`);
  });
});
