// One browser-mode bridge connection: the WebSocket equivalent of Electron's IPC + MessagePort for one
// StudioCore. Every byte from the socket is hostile; nothing it sends can crash the process.
//
// Wire protocol (path /bridge, after the checks in access.ts):
//   text frames (UTF-8 JSON, values encoded with common/bridge/json-wire.ts: Uint8Array and undefined
//   travel as {"$t": ...} tags), at most MAX_TEXT_FRAME bytes:
//     page → core  {"id": <int ≥ 0>, "name": <command>, "args": [...]}   nothing else, no other keys
//     core → page  {"id": <id>, "result": <value>}                          (result absent for void)
//                  {"id": <id>, "error": {"name": <string>, "message": <string>}}
//                  {"event": <event name>, "payload": <value>}              (the contract's events)
//                  {"error": {"name", "message"}}  a frame that could not be tied to a request id
//   binary frames: encodeMediaFrame bytes (common/bridge/media-frame.ts), both directions. Frames that
//     do not decode are dropped and counted; the first few are reported with an id-less error.
//   Error names: WireFormatError (bad JSON, envelope or frame size), BridgeRefusedError (unknown
//     command), BridgeArgumentError (arguments do not fit the contract), BridgeBusyError (more than
//     the allowed commands in flight), DecodeError (a binary frame), or whatever the core threw.
//   Close codes: 1009 frame over the size limit (ws), 4409 profile already open elsewhere, 1011 the core
//   could not start, 1001 server shutting down. Closing the socket closes the core.
import type { RawData, WebSocket } from 'ws';
import { decodeMediaFrame, encodeMediaFrame } from '../../common/bridge/index.js';
import type { BridgeEvent, MediaFrame } from '../../common/bridge/index.js';
import { decodeWire, encodeWire, isWireId, WireFormatError } from '../../common/bridge/json-wire.js';
import { runCommand } from '../app/bridge-host.js';
import type { StudioCore } from '../studio/api.js';

export interface BridgeSocketLimits {
  /** Largest text frame accepted (bytes); larger ones get a WireFormatError reply. */
  readonly maxTextFrame: number;
  /** Commands of one connection running at once; more are refused with BridgeBusyError. */
  readonly maxConcurrentCommands: number;
  /** Media is dropped (and counted) while this much is queued toward a slow page. */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_SOCKET_LIMITS: BridgeSocketLimits = {
  maxTextFrame: 64 * 1024,
  maxConcurrentCommands: 8,
  maxBufferedBytes: 16 * 1024 * 1024,
};

/** At most this many id-less error reports per connection; after that, garbage is only counted. */
const MAX_NOTICES = 16;
const MAX_MESSAGE_LENGTH = 1000;

export interface BridgeSocketStats {
  commands: number;
  commandErrors: number;
  mediaIn: number;
  mediaOut: number;
  /** Binary frames from the page that did not decode. */
  garbageFrames: number;
  /** Frames toward the page dropped because it was not keeping up. */
  mediaOutDropped: number;
  /** WebSocket protocol violations (oversized frame, invalid UTF-8); each closes its connection. */
  protocolErrors: number;
}

class BridgeBusyError extends Error {
  override readonly name = 'BridgeBusyError';
}

function errorBody(error: unknown): { name: string; message: string } {
  const name = error instanceof Error && typeof error.name === 'string' ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { name: name.slice(0, 64), message: message.slice(0, MAX_MESSAGE_LENGTH) };
}

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason, 'utf8') > 123) reason = reason.slice(0, -1);
  return reason;
}

/** A plain Uint8Array view (not a Buffer), so the core sees the same type as from Electron's port. */
function toBytes(data: RawData): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const buffer = Array.isArray(data) ? Buffer.concat(data) : data;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The request envelope, exactly: {id, name, args} and no other key. */
function parseRequest(value: unknown): { id: number; name: string; args: unknown[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WireFormatError('expected an object {id, name, args}');
  }
  const { id, name, args } = value as Record<string, unknown>;
  const keys = Object.keys(value);
  if (keys.length !== 3 || !isWireId(id) || typeof name !== 'string' || !Array.isArray(args)) {
    throw new WireFormatError('expected exactly {id: integer ≥ 0, name: string, args: array}');
  }
  return { id, name, args };
}

/**
 * Serves one connection until it closes. `core` resolves once the profile's StudioCore is open;
 * frames arriving earlier wait for it. Resolves when the socket is closed and the core too.
 */
export function serveBridgeSocket(
  socket: WebSocket,
  core: Promise<StudioCore>,
  limits: BridgeSocketLimits = DEFAULT_SOCKET_LIMITS,
  stats: BridgeSocketStats = newSocketStats(),
): Promise<void> {
  let inFlight = 0;
  let notices = 0;
  let open = true;
  const unsubscribers: (() => void)[] = [];

  const sendText = (message: unknown): void => {
    if (!open) return;
    let text: string;
    try {
      text = encodeWire(message);
    } catch (error) {
      // Only a core bug gets here (a value the wire cannot carry); tell the page which request failed.
      const id = (message as { id?: unknown }).id;
      text = encodeWire({ ...(isWireId(id) ? { id } : {}), error: errorBody(error) });
    }
    socket.send(text);
  };

  const notice = (error: unknown): void => {
    if (notices++ < MAX_NOTICES) sendText({ error: errorBody(error) });
  };

  const onEvent = (event: BridgeEvent): void => sendText({ event: event.name, payload: event.payload });
  const onMedia = (frame: MediaFrame): void => {
    if (!open) return;
    if (socket.bufferedAmount > limits.maxBufferedBytes) {
      stats.mediaOutDropped++;
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeMediaFrame(frame);
    } catch {
      stats.mediaOutDropped++;
      return;
    }
    stats.mediaOut++;
    socket.send(bytes, { binary: true });
  };

  const handleText = async (bytes: Uint8Array): Promise<void> => {
    if (bytes.length > limits.maxTextFrame) {
      notice(new WireFormatError(`text frame larger than ${limits.maxTextFrame} bytes`));
      return;
    }
    let request: { id: number; name: string; args: unknown[] };
    try {
      request = parseRequest(
        decodeWire(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')),
      );
    } catch (error) {
      notice(error);
      return;
    }
    stats.commands++;
    if (inFlight >= limits.maxConcurrentCommands) {
      stats.commandErrors++;
      sendText({
        id: request.id,
        error: errorBody(new BridgeBusyError(`more than ${limits.maxConcurrentCommands} commands in flight`)),
      });
      return;
    }
    inFlight++;
    try {
      const result = await runCommand((await core).handlers, request.name, request.args);
      sendText(result === undefined ? { id: request.id } : { id: request.id, result });
    } catch (error) {
      stats.commandErrors++;
      sendText({ id: request.id, error: errorBody(error) });
    } finally {
      inFlight--;
    }
  };

  const handleBinary = async (bytes: Uint8Array): Promise<void> => {
    let frame: MediaFrame;
    try {
      frame = decodeMediaFrame(bytes);
    } catch (error) {
      stats.garbageFrames++;
      notice(error);
      return;
    }
    stats.mediaIn++;
    (await core).sendMedia(frame);
  };

  // ws reports protocol violations (oversized frame, bad UTF-8) as 'error' and then closes the socket
  // with the matching code; an unhandled 'error' event would take the whole process down.
  socket.on('error', () => {
    stats.protocolErrors++;
  });
  socket.on('message', (data, isBinary) => {
    const bytes = toBytes(data);
    const handled = isBinary ? handleBinary(bytes) : handleText(bytes);
    // Handlers catch their own errors; a core that failed to start is reported by the close below.
    handled.catch(() => {});
  });

  core.then(
    (opened) => {
      if (!open) return;
      unsubscribers.push(opened.onEvent(onEvent), opened.onMedia(onMedia));
    },
    (error: unknown) => {
      if (open) socket.close(1011, closeReason(`studio core failed to start: ${errorBody(error).message}`));
    },
  );

  return new Promise<void>((resolve) => {
    socket.once('close', () => {
      open = false;
      for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
      core
        .then((opened) => opened.close())
        .then(
          () => resolve(),
          () => resolve(),
        );
    });
  });
}

export function newSocketStats(): BridgeSocketStats {
  return {
    commands: 0,
    commandErrors: 0,
    mediaIn: 0,
    mediaOut: 0,
    garbageFrames: 0,
    mediaOutDropped: 0,
    protocolErrors: 0,
  };
}
