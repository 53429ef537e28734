// Every use of @matrixai/quic 1.2.12 internals lives here: the quiche connection handle (for
// DATAGRAM frames, stream credit and priorities, which the public API does not expose) and two
// protected QUICStream methods. Re-check this file first when upgrading the library.
import quic from '@matrixai/quic';
import type { QUICConnection, QUICStream, native } from '@matrixai/quic';

/** What the library keeps on a QUICConnection but strips from its .d.ts (`@internal`). */
interface ConnectionInternals {
  /** The napi quiche `Connection`. */
  readonly conn: native.Connection;
  /** Called by the UDP socket for every received packet batch; serialised by a lock. */
  recv(data: Uint8Array, remoteInfo: unknown): Promise<void>;
  /** Flushes quiche's pending packets to the socket. Rejects once the connection stopped. */
  send(): Promise<void>;
  /** Creates QUICStreams for quiche's readable/writable streams and feeds them. */
  processStreams(): void;
  /** Serialises `recv` calls; only `withF(f)` is used. */
  recvLock: { withF<T>(f: () => Promise<T>): Promise<T> };
  /** The QUICStream objects alive on this connection, by stream id. */
  readonly streamMap: Map<number, QUICStream>;
  readonly type: 'client' | 'server';
}

/** Protected QUICStream members used to reset / stop a stream while its web stream is locked. */
interface StreamInternals {
  readonly connection: QUICConnection;
  readonly streamId: number;
  readonly writeClosed: boolean;
  writableAbort(reason?: unknown): void;
  readableCancel(reason?: unknown): void;
  /** The WritableStream sink's close: sends the FIN (`streamSend(id, empty, fin=true)`). */
  writableClose(): void | Promise<void>;
}

const connectionInternals = (c: QUICConnection) => c as unknown as ConnectionInternals;
const streamInternals = (s: QUICStream) => s as unknown as StreamInternals;

/**
 * Library fix, applied once for the process: a peer's first streams are often in the very packet
 * that completes the server's handshake, when the connection is still 'starting'. 1.2.12's
 * `processStreams` then shuts those streams down as if the connection were stopping (the peer
 * sees a STOP_SENDING, the stream hangs half-open here). Deferring instead leaves them buffered
 * in quiche; {@link resumeStreams} processes them once the connection has started.
 * The lifecycle state sits behind @matrixai/async-init's `status` symbol, found by description.
 */
function deferStreamsWhileStarting(): void {
  const proto = quic.QUICConnection.prototype as unknown as ConnectionInternals & Record<symbol, unknown>;
  const statusKey = Object.getOwnPropertySymbols(proto).find((s) => s.description === 'status');
  if (!statusKey || typeof proto.processStreams !== 'function') {
    throw new Error('@matrixai/quic internals changed: QUICConnection status/processStreams not found');
  }
  const original = proto.processStreams;
  proto.processStreams = function (this: ConnectionInternals & Record<symbol, unknown>) {
    if (this[statusKey] === 'starting') return;
    original.call(this);
  };
}
deferStreamsWhileStarting();

/**
 * Library fix for quiche 0.18 (cloudflare/quiche#2525): a FIN written on its own, after the
 * stream's data went out, is dropped whenever the ACK for that data is processed before a
 * packet carrying the FIN is built: quiche then thinks the send side is complete, collects the
 * stream and discards the queued FIN. The receiver gets every byte but never the end of the
 * stream, and its stream credit leaks. Under congestion (many streams, a full window) this is
 * routine, e.g. closing a subgroup stream while the next keyframe is being sent.
 *
 * So a close does not write its FIN at once. It waits until the data sent before it has most
 * likely been acknowledged (2 RTT, and at least RTT + the peer's 25 ms max ACK delay), which
 * makes a lone FIN safe, and then goes out right after the ACKs of a received packet batch were
 * processed (our hook in `processStreams`, which runs before that batch's `send`), when the
 * congestion window has just opened; the stream is raised to urgency 0 so the FIN is in the next
 * packet. A timer covers quiet connections. Cost: the end of a stream reaches the peer about two
 * RTTs later. Residual risk: data still unacknowledged at that point (lost and being
 * retransmitted) and the FIN's own packet lost too. The real fix is quiche with #2525 fixed.
 */
interface PendingFin {
  readonly due: number;
  readonly write: () => void;
}
const pendingFins = new WeakMap<QUICConnection, PendingFin[]>();
/** quiche's default max_ack_delay, which our peers (quiche too) advertise. */
const PEER_MAX_ACK_DELAY_MS = 25;
const FIN_TIMER_SLACK_MS = 30;

function rttMs(connection: QUICConnection): number {
  try {
    const rtt = quicheOf(connection).pathStats()[0]?.rtt;
    return typeof rtt === 'number' && rtt > 0 ? rtt : 1;
  } catch {
    return 1;
  }
}

/** Writes the FINs that are due (all of them with `all`), each on a top-urgency stream. */
function writeDueFins(connection: QUICConnection, all: boolean): void {
  const queue = pendingFins.get(connection);
  if (!queue || queue.length === 0) return;
  const now = performance.now();
  const due = all ? queue.splice(0) : queue.filter((f) => f.due <= now);
  if (!all)
    pendingFins.set(
      connection,
      queue.filter((f) => f.due > now),
    );
  for (const fin of due) fin.write();
}

function guardLoneFins(): void {
  const proto = quic.QUICStream.prototype as unknown as StreamInternals;
  const originalClose = proto.writableClose;
  proto.writableClose = function (this: StreamInternals): Promise<void> {
    const connection = this.connection;
    const rtt = rttMs(connection);
    const wait = Math.max(2 * rtt, rtt + PEER_MAX_ACK_DELAY_MS);
    return new Promise<void>((resolve, reject) => {
      const write = (): void => {
        if (this.writeClosed) return resolve(); // aborted or connection stopped meanwhile
        try {
          setStreamPriority(connection, this.streamId, 0, false);
          void originalClose.call(this);
          resolve();
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const queue = pendingFins.get(connection) ?? [];
      queue.push({ due: performance.now() + wait, write });
      pendingFins.set(connection, queue);
      const timer = setTimeout(() => writeDueFins(connection, true), wait + rtt + FIN_TIMER_SLACK_MS);
      timer.unref?.();
    });
  };
  const proc = quic.QUICConnection.prototype as unknown as ConnectionInternals;
  const originalProcess = proc.processStreams;
  proc.processStreams = function (this: ConnectionInternals) {
    writeDueFins(this as unknown as QUICConnection, false);
    hideOrphanedLocalStreams(this);
    originalProcess.call(this);
  };
}
guardLoneFins();

/**
 * Library fix: shutting down the direction a unidirectional stream does not have (reading our own
 * uni stream, resetting the peer's) makes quiche throw InvalidStreamState, and 1.2.12 turns that
 * into an ErrorQUICStreamInternal thrown from an event listener: an uncaught exception that takes
 * the whole process down while a connection closes. There is nothing to shut down, so it is
 * treated like quiche's answer for a stream it already forgot (`null`, i.e. Done).
 */
function tolerateMissingStreamDirections(): void {
  const constructor = quic.native.quiche.Connection as unknown as { prototype: native.Connection };
  const proto = constructor.prototype;
  const original = proto.streamShutdown;
  if (typeof original !== 'function') {
    throw new Error('@matrixai/quic internals changed: quiche Connection.streamShutdown not found');
  }
  proto.streamShutdown = function (this: native.Connection, streamId, direction, code) {
    try {
      return original.call(this, streamId, direction, code);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('InvalidStreamState')) return null;
      throw error;
    }
  };
}
tolerateMissingStreamDirections();

/** Whether this endpoint opened the stream (RFC 9000 §2.1: bit 0 is the initiator, 1 = server). */
const isLocallyInitiated = (connection: ConnectionInternals, streamId: number): boolean =>
  (streamId & 1) === (connection.type === 'server' ? 1 : 0);

/**
 * Library fix: when a peer's STOP_SENDING hits a write or a close (`writableWrite`,
 * `writableClose`), 1.2.12 closes and drops its QUICStream but never shuts the quiche stream
 * down, so quiche keeps listing it as writable. The next `processStreams` finds a writable stream
 * with no QUICStream and re-creates it as if the peer had just opened it: the application gets a
 * phantom incoming stream carrying one of its own stream ids, whose reads and teardown then throw
 * from event listeners. A stream we opened can never be new: the connection's readable/writable
 * sets are filtered for the library, and each leftover is shut down in quiche (RESET_STREAM /
 * STOP_SENDING with code 0) so quiche can collect it.
 */
const filteredConnections = new WeakSet<native.Connection>();
function hideOrphanedLocalStreams(connection: ConnectionInternals): void {
  const conn = connection.conn;
  if (filteredConnections.has(conn)) return;
  filteredConnections.add(conn);
  const filter = (ids: Iterable<number>, direction: native.Shutdown): number[] =>
    [...ids].filter((id) => {
      if (!isLocallyInitiated(connection, id) || connection.streamMap.has(id)) return true;
      conn.streamShutdown(id, direction, 0);
      return false;
    });
  const readable = conn.readable.bind(conn);
  const writable = conn.writable.bind(conn);
  Object.assign(conn, {
    readable: () => filter(readable(), quic.native.Shutdown.Read),
    writable: () => filter(writable(), quic.native.Shutdown.Write),
  });
}

/** Picks up streams deferred during the handshake; call once the connection has started. */
export function resumeStreams(connection: QUICConnection): void {
  try {
    connectionInternals(connection).processStreams();
  } catch {
    // The connection closed right after starting; its streams are moot.
  }
  flushConnection(connection);
}

export const quicheOf = (connection: QUICConnection): native.Connection =>
  connectionInternals(connection).conn;

export const connectionOfStream = (stream: QUICStream): QUICConnection => streamInternals(stream).connection;

/**
 * RESET_STREAM through the same code path `writable.abort(reason)` takes, but usable while the
 * session holds the writer (abort on a locked WritableStream throws). The library maps `reason`
 * to the wire code with our `reasonToCode`.
 */
export function abortStreamWrite(stream: QUICStream, reason: unknown): void {
  streamInternals(stream).writableAbort(reason);
}

/** STOP_SENDING counterpart of {@link abortStreamWrite} (`readable.cancel(reason)`'s path). */
export function cancelStreamRead(stream: QUICStream, reason: unknown): void {
  streamInternals(stream).readableCancel(reason);
}

/** Asks quiche to flush packets now; failures mean the connection is going away and are moot. */
export function flushConnection(connection: QUICConnection): void {
  try {
    connectionInternals(connection)
      .send()
      .catch(() => {});
  } catch {
    // A stopped connection may refuse synchronously; nothing is left to flush then.
  }
}

export interface DatagramPath {
  /** Current largest sendable payload, 0 if the peer did not enable DATAGRAM frames. */
  maxSize(): number;
  /** Queues one datagram in quiche; false when it cannot be sent (never throws). */
  send(data: Uint8Array): boolean;
}

/**
 * QUIC DATAGRAM (RFC 9221) over @matrixai/quic's internal quiche handle.
 *
 * The library negotiates datagrams (`enableDgram` in its config sets quiche's transport
 * parameter) but has no API to send or receive them. So:
 *  - receiving: quiche queues incoming DATAGRAM frames during `conn.recv`, and nothing else
 *    drains that queue. We wrap this connection's `recv` (the method the UDP socket calls) and,
 *    after each batch, pop every queued datagram with `dgramRecvVec()`. The same hook reports
 *    "packets processed", which is when MAX_STREAMS credit may have arrived (`onPackets`).
 *  - sending: `dgramSend()` queues the frame inside quiche, then `send()` (coalesced per
 *    microtask) makes the library flush packets to the socket as it does for stream data.
 * Anything already queued before this call (datagrams racing the handshake) is drained at once.
 */
/**
 * Per-packet cost fix: the library serialises `recv` with an @matrixai/async-locks Lock whose
 * every acquisition builds an AbortController, a Timer and a timeout error with a stack trace;
 * profiling showed that to be about half of the CPU spent per received packet, which capped a
 * connection near 0.4 MB/s on a 2-core machine. A promise chain gives the same mutual
 * exclusion (run `f` after the previous `f` settled, in call order) for a fraction of the cost.
 */
export function lightenRecvLock(connection: QUICConnection): void {
  const internals = connectionInternals(connection);
  // Start behind whatever holds or waits for the old lock (we may be inside a `recv` right now).
  let tail: Promise<unknown> = internals.recvLock.withF(async () => {}).catch(() => {});
  internals.recvLock = {
    withF<T>(f: () => Promise<T>): Promise<T> {
      const run = tail.then(f);
      tail = run.catch(() => {});
      return run;
    },
  };
}

export function openDatagramPath(
  connection: QUICConnection,
  onDatagram: (data: Uint8Array) => void,
  onPackets: () => void,
): DatagramPath {
  const internals = connectionInternals(connection);
  const conn = internals.conn;
  const drain = (): void => {
    for (;;) {
      let data: Uint8Array | null;
      try {
        data = conn.dgramRecvVec();
      } catch {
        return; // quiche signals "queue empty" (Done) as an error on some paths
      }
      if (data === null) return;
      onDatagram(data);
    }
  };
  const originalRecv = internals.recv.bind(connection);
  internals.recv = async (data, remoteInfo) => {
    try {
      await originalRecv(data, remoteInfo);
    } finally {
      drain();
      onPackets();
    }
  };
  drain();

  let flushScheduled = false;
  const maxSize = (): number => {
    try {
      return conn.dgramMaxWritableLen() ?? 0;
    } catch {
      return 0;
    }
  };
  return {
    maxSize,
    send(data) {
      try {
        if (conn.isClosed() || conn.isDraining()) return false;
        if (data.byteLength > maxSize() || conn.isDgramSendQueueFull()) return false;
        conn.dgramSend(data);
      } catch {
        return false;
      }
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(() => {
          flushScheduled = false;
          flushConnection(connection);
        });
      }
      return true;
    },
  };
}

/** Streams we may still open before the peer's MAX_STREAMS limit (0 once closed). */
export function streamCredit(connection: QUICConnection, type: 'bidi' | 'uni'): number {
  try {
    const conn = quicheOf(connection);
    return type === 'bidi' ? conn.peerStreamsLeftBidi() : conn.peerStreamsLeftUni();
  } catch {
    return 0;
  }
}

/** RFC 9218 urgency/incremental for one stream; ignored once the stream is gone. */
export function setStreamPriority(
  connection: QUICConnection,
  streamId: number,
  urgency: number,
  incremental: boolean,
): void {
  try {
    quicheOf(connection).streamPriority(streamId, urgency, incremental);
  } catch {
    // The stream already finished in quiche; a priority no longer matters.
  }
}

/** The ALPN quiche negotiated, as text. */
export function negotiatedAlpn(connection: QUICConnection): string {
  return new TextDecoder().decode(quicheOf(connection).applicationProto());
}

/**
 * The CONNECTION_CLOSE that ended a connection and who sent it: quiche keeps the local and the
 * peer's error apart, the public `getConnectionError()` merges them. Undefined after a timeout.
 */
export function closeState(
  connection: QUICConnection,
): { error: native.ConnectionError; remote: boolean } | undefined {
  try {
    const conn = quicheOf(connection);
    const local = conn.localError();
    if (local) return { error: local, remote: false };
    const peer = conn.peerError();
    return peer ? { error: peer, remote: true } : undefined;
  } catch {
    return undefined;
  }
}
