// Browser mode's StudioConnection: the StudioBridge and the media channel over one WebSocket to the
// page's own origin (`moq-studio serve`, protocol in main/serve/bridge-socket.ts). Commands are
// JSON text frames with ids, events arrive as text frames, media as binary encodeMediaFrame frames.
// There is no reconnect: a closed socket fails pending and later calls and shows up as an 'error'
// status event carrying the reason.
import {
  commandNames,
  decodeMediaFrame,
  encodeMediaFrame,
  isEventName,
  validateCommandArgs,
} from '../../../common/bridge/index.js';
import type { BridgeEvent, CommandName, SessionStatus, StudioBridge } from '../../../common/bridge/index.js';
import { BRIDGE_PATH, decodeWire, encodeWire, isWireId } from '../../../common/bridge/json-wire.js';
import type { StudioConnection } from './api.js';
import { FrameListeners } from './frame-listeners.js';

/** Close codes main/serve uses, as sentences for the user. */
const CLOSE_REASONS: Readonly<Record<number, string>> = {
  1001: 'the studio server shut down',
  1009: 'a message was larger than the studio server accepts',
  1011: 'the studio core failed',
  4409: 'this profile is already open in another page',
};

export class BridgeConnectionClosedError extends Error {
  override readonly name = 'BridgeConnectionClosedError';
}

/** The /bridge URL for a page location: same host, ws(s), carrying the page's profile and token. */
export function bridgeUrlFor(location: Pick<Location, 'protocol' | 'host' | 'search'>): string {
  const page = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  const profile = page.get('profile');
  if (profile) query.set('profile', profile);
  query.set('token', page.get('token') ?? '');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${BRIDGE_PATH}?${query.toString()}`;
}

function describeClose(event: CloseEvent): string {
  const known = CLOSE_REASONS[event.code];
  const detail = event.reason && event.reason !== known ? `: ${event.reason}` : '';
  return `connection to the studio core closed (${known ?? `code ${event.code}`})${detail}`;
}

function remoteError(body: unknown): Error {
  const { name, message } = (typeof body === 'object' && body !== null ? body : {}) as Record<
    string,
    unknown
  >;
  const error = new Error(typeof message === 'string' ? message : 'the studio core refused the command');
  error.name = typeof name === 'string' ? name : 'Error';
  return error;
}

/** Opens the WebSocket; resolves once it is open, rejects if it closes first (wrong token, no server). */
export function connectBrowserStudio(url: string): Promise<StudioConnection> {
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const eventListeners = new Set<(event: BridgeEvent) => void>();
  const frames = new FrameListeners();
  let nextId = 0;
  let closedError: Error | null = null;
  let lastStatus: SessionStatus | null = null;

  const emit = (event: BridgeEvent): void => {
    if (event.name === 'status') lastStatus = event.payload;
    for (const listener of eventListeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('bridge event listener failed:', error);
      }
    }
  };

  const onText = (text: string): void => {
    let message: unknown;
    try {
      message = decodeWire(text);
    } catch {
      return; // the server only sends well-formed frames; anything else is dropped
    }
    if (typeof message !== 'object' || message === null) return;
    const record = message as Record<string, unknown>;
    if (isEventName(record['event'])) {
      emit({ name: record['event'], payload: record['payload'] } as BridgeEvent);
    } else if (isWireId(record['id'])) {
      const call = pending.get(record['id']);
      if (!call) return;
      pending.delete(record['id']);
      if ('error' in record) call.reject(remoteError(record['error']));
      else call.resolve(record['result']);
    } else if ('error' in record) {
      console.warn('studio core reported:', remoteError(record['error']).message);
    }
  };

  socket.onmessage = (event: MessageEvent) => {
    if (typeof event.data === 'string') return onText(event.data);
    if (!(event.data instanceof ArrayBuffer)) return;
    try {
      frames.emit(decodeMediaFrame(new Uint8Array(event.data)));
    } catch {
      // Not a media frame: dropped.
    }
  };

  const call = async (name: CommandName, args: unknown[]): Promise<unknown> => {
    validateCommandArgs(name, args); // fail fast with the contract's message; the server checks again
    if (closedError) throw closedError;
    const id = nextId++;
    const text = encodeWire({ id, name, args });
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.send(text);
    });
  };

  const commands = Object.fromEntries(
    commandNames.map((name) => [name, (...args: unknown[]) => call(name, args)]),
  );
  const bridge = {
    ...commands,
    onEvent(listener: (event: BridgeEvent) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('onEvent expects a function');
      const entry = (event: BridgeEvent): void => listener(event);
      eventListeners.add(entry);
      return () => {
        eventListeners.delete(entry);
      };
    },
  } as StudioBridge;

  const connection: StudioConnection = {
    mode: 'browser',
    bridge,
    media: {
      send(frame) {
        if (socket.readyState === WebSocket.OPEN) socket.send(encodeMediaFrame(frame));
      },
      onFrame: (listener) => frames.add(listener),
      close() {
        frames.clear();
        socket.close(1000, 'closed by the page');
      },
    },
  };

  return new Promise((resolve, reject) => {
    let opened = false;
    socket.onopen = () => {
      opened = true;
      resolve(connection);
    };
    // Every failure also arrives as a close event, which carries the code; nothing to do here.
    socket.onerror = () => {};
    socket.onclose = (event: CloseEvent) => {
      closedError = new BridgeConnectionClosedError(describeClose(event));
      for (const { reject: fail } of pending.values()) fail(closedError);
      pending.clear();
      if (!opened) {
        // Browsers hide the HTTP answer of a refused handshake; name the likely causes instead.
        reject(
          new BridgeConnectionClosedError(
            'could not reach the studio core: is `moq-studio serve` running, and does the page URL carry its token?',
          ),
        );
        return;
      }
      if (event.code === 1000 && event.reason === 'closed by the page') return;
      emit({
        name: 'status',
        payload: {
          phase: 'error',
          role: lastStatus?.role ?? null,
          groupId: lastStatus?.groupId ?? null,
          inviteLink: null,
          mediaNamespace: null,
          message: closedError.message,
        },
      });
    };
  });
}
