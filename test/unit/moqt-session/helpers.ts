// Shared fixtures for the session tests: a connected client/server pair over the memory
// transport, a "raw" peer that speaks bytes directly, and small async utilities.
import { fullTrackName } from '../../../common/codec/track-name.js';
import { Draft18 } from '../../../main/moqt/codec/draft18/index.js';
import type { ControlMessage } from '../../../main/moqt/codec/draft18/index.js';
import type { MoqtObject, SessionOptions } from '../../../main/moqt/session/api.js';
import { MoqtSession } from '../../../main/moqt/session/session.js';
import { createMemoryTransportPair } from './memory-transport.js';
import type { MemoryTransport, MemoryTransportOptions } from './memory-transport.js';

export const TRACK = fullTrackName(['studio', 'room1'], 'video');
export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

export interface Pair {
  readonly client: MoqtSession;
  readonly server: MoqtSession;
  readonly clientTransport: MemoryTransport;
  readonly serverTransport: MemoryTransport;
}

export async function connect(
  clientOptions: Partial<SessionOptions> = {},
  serverOptions: Partial<SessionOptions> = {},
  transport: MemoryTransportOptions = {},
): Promise<Pair> {
  const [clientTransport, serverTransport] = createMemoryTransportPair(transport);
  const [client, server] = await Promise.all([
    MoqtSession.establish(clientTransport, { role: 'client', ...clientOptions }),
    MoqtSession.establish(serverTransport, { role: 'server', ...serverOptions }),
  ]);
  return { client, server, clientTransport, serverTransport };
}

export function closeAll(pair: Pair): void {
  pair.client.close();
  pair.server.close();
}

/**
 * Writes bytes on a new unidirectional stream of a raw transport (and optionally FINs it). The
 * receiving session may close the whole transport in reaction, so write failures are expected.
 */
export async function sendUni(transport: MemoryTransport, data: Uint8Array, fin = true): Promise<void> {
  const writer = (await transport.createUnidirectionalStream()).getWriter();
  await writer.write(data).catch(() => undefined);
  if (fin) await writer.close().catch(() => undefined);
  else writer.releaseLock();
}

/** Sends our SETUP from a raw transport, as a peer that does the bytes itself. */
export async function rawSetup(transport: MemoryTransport): Promise<void> {
  const setup: ControlMessage = { type: 'setup', options: { implementation: 'raw' } };
  await sendUni(transport, Draft18.encodeControlMessage(setup), false);
}

export async function collect<T>(iterable: AsyncIterable<T>, count = Infinity): Promise<T[]> {
  const out: T[] = [];
  if (count === 0) return out;
  for await (const item of iterable) {
    out.push(item);
    if (out.length >= count) break;
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function summary(object: MoqtObject): string {
  return `${object.groupId}/${object.objectId}:${object.status}:${text(object.payload)}`;
}
