// The renderer's browser-mode connection (renderer/src/bridge/websocket-bridge.ts) against the real
// server (main/serve) over loopback, with `ws` standing in for the browser's WebSocket: commands,
// events, media both ways, errors by name, and a closed connection turning into an 'error' status.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { BridgeEvent, CommandHandlers, MediaFrame } from '../../../common/bridge/index.js';
import { startStudioServer } from '../../../main/serve/index.js';
import type { StudioServer } from '../../../main/serve/index.js';
import type { StudioCore } from '../../../main/studio/api.js';
import { bridgeUrlFor, connectBrowserStudio } from '../../../renderer/src/bridge/websocket-bridge.js';

/** StudioCore fixture: getVersion, one failing command, and hooks to push events and media. */
function fixtureCore() {
  const events = new Set<(event: BridgeEvent) => void>();
  const media = new Set<(frame: MediaFrame) => void>();
  const received: MediaFrame[] = [];
  const fail = async (): Promise<never> => {
    throw Object.assign(new Error('no broadcast to leave'), { name: 'StudioCommandError' });
  };
  const handlers = {
    getVersion: async () => ({ app: '1.0.0', electron: null, node: 'test' }),
    leaveBroadcast: fail,
  } as unknown as CommandHandlers;
  const core: StudioCore = {
    handlers,
    onEvent: (listener) => (events.add(listener), () => events.delete(listener)),
    sendMedia: (frame) => received.push(frame),
    onMedia: (listener) => (media.add(listener), () => media.delete(listener)),
    close: async () => {},
  };
  return { core, events, media, received };
}

let dataDir: string;
let server: StudioServer;
const cores: ReturnType<typeof fixtureCore>[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'moq-serve-client-'));
  server = await startStudioServer({
    rendererDir: dataDir,
    dataDir,
    appVersion: '1.0.0',
    createCore: async () => {
      const fixture = fixtureCore();
      cores.push(fixture);
      return fixture.core;
    },
  });
  // A browser sends its page's Origin; ws sends none unless told.
  class BrowserLikeWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { origin: server.origin });
    }
  }
  vi.stubGlobal('WebSocket', BrowserLikeWebSocket);
});

afterAll(async () => {
  vi.unstubAllGlobals();
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const pageLocation = (search: string) => ({ protocol: 'http:', host: new URL(server.origin).host, search });

describe('connectBrowserStudio', () => {
  it('derives the bridge URL from the page URL', () => {
    expect(bridgeUrlFor({ protocol: 'https:', host: 'h:1', search: '?profile=viewer&token=a%2Bb' })).toBe(
      'wss://h:1/bridge?profile=viewer&token=a%2Bb',
    );
    expect(bridgeUrlFor({ protocol: 'http:', host: 'h:1', search: '' })).toBe('ws://h:1/bridge?token=');
  });

  it('runs commands, reports core errors by name, and validates arguments locally', async () => {
    const connection = await connectBrowserStudio(
      bridgeUrlFor(pageLocation(`?profile=a&token=${server.token}`)),
    );
    expect(connection.mode).toBe('browser');
    await expect(connection.bridge.getVersion()).resolves.toEqual({
      app: '1.0.0',
      electron: null,
      node: 'test',
    });
    await expect(connection.bridge.leaveBroadcast()).rejects.toMatchObject({
      name: 'StudioCommandError',
      message: 'no broadcast to leave',
    });
    const untyped = connection.bridge.getVersion as unknown as (...args: unknown[]) => Promise<unknown>;
    await expect(untyped('extra')).rejects.toThrow(/expected 0 argument/);
    connection.media.close();
  });

  it('delivers events and media both ways', async () => {
    const connection = await connectBrowserStudio(
      bridgeUrlFor(pageLocation(`?profile=b&token=${server.token}`)),
    );
    await connection.bridge.getVersion();
    const fixture = cores.at(-1)!;
    const seen: BridgeEvent[] = [];
    connection.bridge.onEvent((event) => seen.push(event));
    const frames: MediaFrame[] = [];
    connection.media.onFrame((frame) => frames.push(frame));

    const key = new Uint8Array([1, 2, 3]);
    for (const listener of fixture.events)
      listener({ name: 'mediaKeys', payload: { epoch: 1, baseKey: key, leafCount: 2, ownLeafIndex: 0 } });
    const frame: MediaFrame = { track: 'video', group: 1, object: 0, payload: new Uint8Array([9, 8]) };
    for (const listener of fixture.media) listener(frame);
    connection.media.send({ ...frame, track: 'audio' });
    await connection.bridge.getVersion(); // a round trip after both

    await vi.waitFor(() => expect(frames).toEqual([frame]));
    expect(seen).toEqual([
      { name: 'mediaKeys', payload: { epoch: 1, baseKey: key, leafCount: 2, ownLeafIndex: 0 } },
    ]);
    expect(fixture.received).toEqual([{ ...frame, track: 'audio' }]);
    connection.media.close();
  });

  it('rejects when the server refuses the token', async () => {
    await expect(connectBrowserStudio(bridgeUrlFor(pageLocation('?token=wrong')))).rejects.toThrow(
      /does the page URL carry its token/,
    );
  });

  it('turns a closed connection into an error status and fails later calls', async () => {
    const first = await connectBrowserStudio(bridgeUrlFor(pageLocation(`?profile=c&token=${server.token}`)));
    await first.bridge.getVersion();
    const second = await connectBrowserStudio(bridgeUrlFor(pageLocation(`?profile=c&token=${server.token}`)));
    const seen: BridgeEvent[] = [];
    second.bridge.onEvent((event) => seen.push(event));
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0]).toMatchObject({
      name: 'status',
      payload: { phase: 'error', message: expect.stringContaining('already open in another page') },
    });
    await expect(second.bridge.getVersion()).rejects.toMatchObject({ name: 'BridgeConnectionClosedError' });
    first.media.close();
  });
});
