// MoqtTransport over @matrixai/quic 1.2.12 (quiche): `connectQuic` for clients, `listenQuic` for
// the relay. Tuned for live video (10k streams, multi-MB windows, datagrams on) and written so a
// closing or vanished peer ends in a resolved `closed`, never an unhandled rejection.
import { createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import quic from '@matrixai/quic';
import type { QUICClient, QUICConfig, QUICConnection, QUICServer, QUICStream } from '@matrixai/quic';
import { AsyncQueue } from './async-queue.js';
import { parseIP } from './ip.js';
import {
  closeState,
  connectionOfStream as connectionOf,
  lightenRecvLock,
  negotiatedAlpn,
  openDatagramPath,
  resumeStreams,
  streamCredit,
} from './matrixai-internals.js';
import type { DatagramPath } from './matrixai-internals.js';
import { codeToReason, reasonToCode, wrapBidi, wrapReceive, wrapSend } from './matrixai-stream.js';
import { MOQT_ALPN, TransportError } from './transport.js';
import type {
  BidiStream,
  CloseInfo,
  DatagramChannel,
  MoqtTransport,
  ReceiveStream,
  SendStream,
  TransportAddress,
} from './transport.js';
import { checkPinnedCertificate, normalizeFingerprint } from './trust.js';
import type { TrustOptions } from './trust.js';

const { events, errors, native } = quic;

/** Knobs shared by both ends; defaults suit live video on the open Internet. */
export interface TransportTuning {
  /** Close after this long without packets from the peer. Default 30 s. */
  readonly idleTimeoutMs?: number;
  /** PING interval keeping NAT bindings and the idle timer alive; must be < idleTimeoutMs.
   *  Default a third of the idle timeout. */
  readonly keepAliveMs?: number;
  /** Give up on a handshake after this long. Default 10 s. */
  readonly handshakeTimeoutMs?: number;
  /** Library log lines (very chatty; for debugging only). */
  readonly debugLog?: (message: string) => void;
}

const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Far above quiche's default 100: MoQT opens a stream per subgroup, several per second per track. */
const MAX_STREAMS = 10_000;
/** Flow-control credit: a few seconds of high-bitrate video in flight per stream / connection. */
const STREAM_WINDOW = 4 * 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** quiche-side DATAGRAM queues (frames), sized for a burst of audio/video datagrams. */
const DATAGRAM_QUEUE = 1024;
/** Received datagrams held for a slow reader before new ones are dropped. */
const DATAGRAM_READ_BUFFER = 256;
/** Per-stream JS read buffer; the library allocates one per open receiving stream. */
const READ_CHUNK = 16 * 1024;
/** TLS alert 120 as a QUIC crypto error (0x100 + 120). */
const NO_APPLICATION_PROTOCOL = 0x178 as quic.native.ConnectionErrorCode;

type QuicLogger = NonNullable<ConstructorParameters<typeof quic.QUICServer>[0]['logger']>;

/** The library logs every state change at INFO; route it to `sink` or drop it. */
function makeLogger(sink: ((message: string) => void) | undefined): QuicLogger {
  const log = (message: unknown) => sink?.(String(message));
  const logger = { debug: log, info: log, warn: log, error: log, getChild: () => logger };
  return logger as unknown as QuicLogger;
}

function tunedConfig(alpns: readonly string[], tuning: TransportTuning): Partial<QUICConfig> {
  const idle = tuning.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const keepAlive = tuning.keepAliveMs ?? Math.max(1, Math.floor(idle / 3));
  if (!(idle > 0) || !(keepAlive > 0 && keepAlive < idle)) {
    throw new TransportError(
      `keepAliveMs (${keepAlive}) must be positive and below idleTimeoutMs (${idle})`,
      'invalid-argument',
    );
  }
  return {
    applicationProtos: [...alpns],
    maxIdleTimeout: idle,
    keepAliveIntervalTime: keepAlive,
    initialMaxStreamsBidi: MAX_STREAMS,
    initialMaxStreamsUni: MAX_STREAMS,
    initialMaxData: CONNECTION_WINDOW,
    initialMaxStreamDataBidiLocal: STREAM_WINDOW,
    initialMaxStreamDataBidiRemote: STREAM_WINDOW,
    initialMaxStreamDataUni: STREAM_WINDOW,
    enableDgram: [true, DATAGRAM_QUEUE, DATAGRAM_QUEUE],
    readableChunkSize: READ_CHUNK,
  };
}

function normalizeAlpns(alpn: string | readonly string[] | undefined): string[] {
  const list = alpn === undefined ? [MOQT_ALPN] : typeof alpn === 'string' ? [alpn] : [...alpn];
  if (list.length === 0 || list.some((p) => p.length === 0 || p.length > 255)) {
    throw new TransportError('ALPN list must hold 1-255 byte protocol names', 'invalid-argument');
  }
  return list;
}

function checkPort(port: number, allowZero: boolean): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new TransportError(`invalid UDP port ${port}`, 'invalid-argument');
  }
}

function checkCloseCode(code: number): void {
  if (!Number.isSafeInteger(code) || code < 0) {
    throw new RangeError(`connection close code must be a non-negative integer, got ${code}`);
  }
}

/** Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; show them as plain IPv4. */
function plainHost(host: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(host) ? host.slice(7) : host;
}

type ConnectionError = quic.native.ConnectionError;

/** Turns the library's close "error" (every close is one) into the transport's CloseInfo. */
function closeInfoFrom(error: unknown): CloseInfo {
  if (error instanceof errors.ErrorQUICConnectionIdleTimeout) {
    return { code: 0, reason: '', kind: 'idle-timeout', remote: false };
  }
  // PeerTLS derives from ErrorQUICConnectionLocal in this library, so test for the peer first.
  const remote =
    error instanceof errors.ErrorQUICConnectionPeer || error instanceof errors.ErrorQUICConnectionPeerTLS;
  const data = (error as { data?: Partial<ConnectionError> } | undefined)?.data;
  if (data && typeof data.errorCode === 'number') return fromConnectionError(data as ConnectionError, remote);
  return { code: native.ConnectionErrorCode.InternalError, reason: String(error), kind: 'transport', remote };
}

function fromConnectionError(e: ConnectionError, remote: boolean): CloseInfo {
  return {
    code: e.errorCode,
    reason: new TextDecoder().decode(e.reason),
    kind: e.isApp ? 'application' : 'transport',
    remote,
  };
}

class MatrixaiTransport implements MoqtTransport {
  readonly protocol: string;
  readonly remoteAddress: TransportAddress;
  readonly closed: Promise<CloseInfo>;
  readonly datagrams: DatagramChannel;
  readonly incomingBidirectionalStreams = new AsyncQueue<BidiStream>((s) => {
    s.stopSending(0);
    s.reset(0);
  });
  readonly incomingUnidirectionalStreams = new AsyncQueue<ReceiveStream>((s) => s.stopSending(0));

  private closeInfo: CloseInfo | undefined;
  private resolveClosed!: (info: CloseInfo) => void;
  private readonly packetWaiters = new Set<() => void>();
  private datagramController!: ReadableStreamDefaultController<Uint8Array>;
  private readonly datagramPath: DatagramPath;

  constructor(
    private readonly connection: QUICConnection,
    private readonly stop: (code: number, reason: Uint8Array) => Promise<void>,
  ) {
    this.protocol = negotiatedAlpn(connection);
    this.remoteAddress = { host: plainHost(connection.remoteHost), port: connection.remotePort };
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));

    const readable = new ReadableStream<Uint8Array>(
      { start: (controller) => void (this.datagramController = controller) },
      { highWaterMark: DATAGRAM_READ_BUFFER },
    );
    lightenRecvLock(connection);
    this.datagramPath = openDatagramPath(
      connection,
      (data) => this.deliverDatagram(data),
      () => this.wakePacketWaiters(),
    );
    const path = this.datagramPath;
    this.datagrams = {
      get maxDatagramSize() {
        return path.maxSize();
      },
      send: (data) => this.closeInfo === undefined && path.send(data),
      readable,
      writable: new WritableStream<Uint8Array>({ write: (chunk) => void this.datagrams.send(chunk) }),
    };

    connection.addEventListener(events.EventQUICConnectionError.name, (evt) =>
      this.finish(closeInfoFrom((evt as InstanceType<typeof events.EventQUICConnectionError>).detail)),
    );
    // Safety net if the error event was dispatched before we listened (or not at all).
    void connection.closedP.then(() => this.finish(finalCloseInfo(connection)));
  }

  /** Called for each peer-opened stream (from the connection's or the server's events). */
  acceptStream(stream: QUICStream): void {
    if (stream.type === 'bidi') this.incomingBidirectionalStreams.push(wrapBidi(stream));
    else this.incomingUnidirectionalStreams.push(wrapReceive(stream));
  }

  async createBidirectionalStream(): Promise<BidiStream> {
    return wrapBidi(await this.openStream('bidi'));
  }

  async createUnidirectionalStream(): Promise<SendStream> {
    return wrapSend(await this.openStream('uni'));
  }

  async close(code = 0, reason = ''): Promise<void> {
    checkCloseCode(code);
    try {
      await this.stop(code, new TextEncoder().encode(reason));
    } catch {
      // Already closed or closing: `closed` reports how it ended.
    }
    // Stop may return before our close event when the connection was already draining.
    this.finish({ code, reason, kind: 'application', remote: false });
  }

  /** Like WebTransport: wait for MAX_STREAMS credit instead of failing at the peer's limit. */
  private async openStream(type: 'bidi' | 'uni'): Promise<QUICStream> {
    for (;;) {
      if (this.closeInfo)
        throw new TransportError(`cannot open a ${type} stream: connection closed`, 'closed');
      // Check and open in the same tick so concurrent callers cannot overdraw the credit.
      if (streamCredit(this.connection, type) > 0) {
        try {
          return this.connection.newStream(type);
        } catch (error) {
          throw new TransportError(
            `cannot open a ${type} stream: ${error instanceof Error ? error.message : String(error)}`,
            this.closeInfo ? 'closed' : 'stream-limit',
            { cause: error },
          );
        }
      }
      await new Promise<void>((resolve) => this.packetWaiters.add(resolve));
    }
  }

  private deliverDatagram(data: Uint8Array): void {
    if (this.closeInfo) return;
    try {
      // Unreliable by design: a reader that falls behind loses new datagrams, memory stays bounded.
      if ((this.datagramController.desiredSize ?? 0) > 0) this.datagramController.enqueue(data);
    } catch {
      // The reader cancelled the readable; nobody wants datagrams any more.
    }
  }

  private wakePacketWaiters(): void {
    const waiters = [...this.packetWaiters];
    this.packetWaiters.clear();
    for (const wake of waiters) wake();
  }

  private finish(info: CloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    this.incomingBidirectionalStreams.end();
    this.incomingUnidirectionalStreams.end();
    try {
      this.datagramController.close();
    } catch {
      // Already cancelled by the reader.
    }
    this.wakePacketWaiters();
    this.resolveClosed(info);
  }
}

/** How a connection ended, read from quiche once it is closed. */
function finalCloseInfo(connection: QUICConnection): CloseInfo {
  const state = closeState(connection);
  if (!state) return { code: 0, reason: '', kind: 'idle-timeout', remote: false };
  return fromConnectionError(state.error, state.remote);
}

export interface ConnectOptions extends TransportTuning {
  /** IP literal (IPv6 without brackets) or DNS name of the relay. */
  readonly host: string;
  readonly port: number;
  /** Offered ALPN(s); the connection fails unless the server picks one. Default 'moqt-18'. */
  readonly alpn?: string | readonly string[];
  /** TLS server name (SNI and, for CA/system trust, the name verified). Default: `host`. */
  readonly serverName?: string;
  readonly trust: TrustOptions;
  /** Local UDP address; default the loopback of the target's family for loopback targets,
   *  otherwise the family's wildcard. */
  readonly localHost?: string;
}

const clientCrypto = {
  ops: {
    randomBytes: async (data: ArrayBuffer): Promise<void> => void randomFillSync(new Uint8Array(data)),
  },
};

async function resolveTarget(host: string): Promise<string> {
  if (parseIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (error) {
    throw new TransportError(`cannot resolve ${host}: ${(error as Error).message}`, 'refused', {
      cause: error,
    });
  }
}

function defaultLocalHost(target: string): string {
  const v6 = target.includes(':');
  const loopback = v6 ? target === '::1' : target.startsWith('127.');
  if (loopback) return v6 ? '::1' : '127.0.0.1';
  return v6 ? '::' : '0.0.0.0';
}

/** Opens a QUIC connection to a MoQT relay and checks the server certificate and ALPN. */
export async function connectQuic(options: ConnectOptions): Promise<MoqtTransport> {
  checkPort(options.port, false);
  const alpns = normalizeAlpns(options.alpn);
  const serverName = options.serverName ?? options.host;
  const trust = options.trust;
  let pins: string[] = [];
  if (trust.kind === 'fingerprint') {
    const list = typeof trust.sha256 === 'string' ? [trust.sha256] : [...trust.sha256];
    if (list.length === 0) throw new TransportError('no certificate fingerprint to pin', 'invalid-argument');
    try {
      pins = list.map(normalizeFingerprint);
    } catch (error) {
      throw new TransportError((error as Error).message, 'invalid-argument');
    }
  } else if (parseIP(serverName)) {
    // quiche hands the server name to BoringSSL as a DNS host name, so an IP-address
    // subjectAltName never matches: fail now with advice instead of later with "bad certificate".
    throw new TransportError(
      `certificate verification against a CA needs a DNS server name, not the IP ${serverName}: ` +
        `pass serverName (e.g. 'localhost') or pin the certificate fingerprint`,
      'invalid-argument',
    );
  }
  const target = await resolveTarget(options.host);

  let pinFailure: string | undefined;
  const config: Partial<QUICConfig> = {
    ...tunedConfig(alpns, options),
    verifyPeer: true,
    ...(trust.kind === 'ca' ? { ca: typeof trust.ca === 'string' ? trust.ca : [...trust.ca] } : {}),
    ...(trust.kind === 'fingerprint'
      ? {
          // With a callback, BoringSSL's own verdict is ignored (allow-fail) and ours decides.
          verifyCallback: async (certs: Uint8Array[]) => {
            try {
              pinFailure = checkPinnedCertificate(certs[0], pins);
            } catch (error) {
              pinFailure = `certificate check failed: ${(error as Error).message}`;
            }
            return pinFailure === undefined ? undefined : native.CryptoError.BadCertificate;
          },
        }
      : {}),
  };

  let client: QUICClient;
  try {
    client = await quic.QUICClient.createQUICClient(
      {
        // The library uses `host` as the TLS server name; the address comes from resolveHostname.
        host: serverName,
        port: options.port,
        resolveHostname: () => target,
        localHost: options.localHost ?? defaultLocalHost(target),
        crypto: clientCrypto,
        config,
        reasonToCode,
        codeToReason,
        logger: makeLogger(options.debugLog),
      },
      { timer: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS },
    );
  } catch (error) {
    throw connectError(error, pinFailure, alpns, `${options.host}:${options.port}`);
  }

  const connection = client.connection;
  const stop = (code: number, reason: Uint8Array) =>
    client.destroy({ isApp: true, errorCode: code, reason, force: true });
  const protocol = negotiatedAlpn(connection);
  if (!alpns.includes(protocol)) {
    // quiche enforces this already; kept so a library change cannot silently drop the check.
    await client.destroy({ isApp: false, errorCode: NO_APPLICATION_PROTOCOL, force: true }).catch(() => {});
    throw new TransportError(`server negotiated ALPN '${protocol}', expected ${alpns.join(' or ')}`, 'alpn');
  }
  const transport = new MatrixaiTransport(connection, stop);
  connection.addEventListener(events.EventQUICConnectionStream.name, (evt) =>
    transport.acceptStream((evt as InstanceType<typeof events.EventQUICConnectionStream>).detail),
  );
  resumeStreams(connection);
  return transport;
}

/** Maps the library's connect failures to TransportErrors a user can act on. */
function connectError(
  error: unknown,
  pinFailure: string | undefined,
  alpns: readonly string[],
  address: string,
): TransportError {
  if (error instanceof TransportError) return error;
  if (pinFailure !== undefined) return new TransportError(pinFailure, 'certificate', { cause: error });
  const data = (error as { data?: Partial<ConnectionError> } | undefined)?.data;
  const code = typeof data?.errorCode === 'number' ? data.errorCode : undefined;
  const alert = code === undefined ? undefined : (native.CryptoError[code] as string | undefined);
  if (error instanceof errors.ErrorQUICConnectionPeerTLS) {
    if (code === NO_APPLICATION_PROTOCOL) {
      return new TransportError(
        `${address} refused ALPN ${alpns.join(', ')} (no_application_protocol): it does not speak this MoQT version`,
        'alpn',
        { cause: error },
      );
    }
    return new TransportError(`${address} aborted the TLS handshake (${alert ?? code})`, 'refused', {
      cause: error,
    });
  }
  if (error instanceof errors.ErrorQUICConnectionLocalTLS) {
    return new TransportError(
      `server certificate of ${address} rejected by TLS verification (${alert ?? code})`,
      'certificate',
      { cause: error },
    );
  }
  if (
    error instanceof errors.ErrorQUICClientCreateTimeout ||
    error instanceof errors.ErrorQUICConnectionStartTimeout
  ) {
    return new TransportError(`no QUIC handshake with ${address} before the timeout`, 'timeout', {
      cause: error,
    });
  }
  if (error instanceof errors.ErrorQUICConnectionPeer) {
    return new TransportError(
      `${address} closed the connection during the handshake (code ${code})`,
      'refused',
      {
        cause: error,
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TransportError(`QUIC connection to ${address} failed: ${message}`, 'internal', { cause: error });
}

export interface ListenOptions extends TransportTuning {
  /** Local address to bind: '127.0.0.1' / '::1' for loopback only, '::' for all interfaces. */
  readonly host: string;
  /** 0 picks a free port (see `QuicListener.port`). */
  readonly port: number;
  /** Accepted ALPN(s); clients offering none of them are refused. Default 'moqt-18'. */
  readonly alpn?: string | readonly string[];
  readonly certificate: { readonly certPem: string; readonly keyPem: string };
}

export interface QuicListener {
  readonly host: string;
  readonly port: number;
  /** Accepted connections, handshake complete; ends when the listener closes. */
  readonly connections: AsyncIterable<MoqtTransport>;
  /** Stops accepting and closes every connection with this application code. Idempotent. */
  close(code?: number, reason?: string): Promise<void>;
}

/** Retry tokens and connection ids are HMACs under a per-process key (QUIC stateless retry). */
function serverCrypto() {
  const hmac = (key: ArrayBuffer, data: ArrayBuffer) =>
    createHmac('sha256', Buffer.from(key)).update(Buffer.from(data)).digest();
  const key = randomBytes(32);
  return {
    key: key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength),
    ops: {
      sign: async (k: ArrayBuffer, data: ArrayBuffer): Promise<ArrayBuffer> => {
        const mac = hmac(k, data);
        return mac.buffer.slice(mac.byteOffset, mac.byteOffset + mac.byteLength);
      },
      verify: async (k: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer): Promise<boolean> => {
        const mac = hmac(k, data);
        return mac.byteLength === sig.byteLength && timingSafeEqual(mac, Buffer.from(sig));
      },
    },
  };
}

/** Starts a QUIC server for MoQT relays/publishers; yields each connection once established. */
export async function listenQuic(options: ListenOptions): Promise<QuicListener> {
  checkPort(options.port, true);
  const alpns = normalizeAlpns(options.alpn);
  const server: QUICServer = new quic.QUICServer({
    crypto: serverCrypto(),
    config: {
      ...tunedConfig(alpns, options),
      key: options.certificate.keyPem,
      cert: options.certificate.certPem,
      verifyPeer: false,
    },
    reasonToCode,
    codeToReason,
    minIdleTimeout: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    logger: makeLogger(options.debugLog),
  });
  const connections = new AsyncQueue<MoqtTransport>((t) => void t.close(0, 'not accepted'));
  const transports = new WeakMap<QUICConnection, MatrixaiTransport>();
  const transportFor = (connection: QUICConnection): MatrixaiTransport => {
    let transport = transports.get(connection);
    if (!transport) {
      transport = new MatrixaiTransport(connection, (code, reason) =>
        connection.stop({ isApp: true, errorCode: code, reason, force: true }),
      );
      transports.set(connection, transport);
    }
    return transport;
  };
  // The server re-dispatches every connection event, including streams that arrive in the same
  // packet that completes the handshake, before the connection itself is announced. Listening
  // here (not per connection) is what keeps those first streams.
  server.addEventListener(events.EventQUICConnectionStream.name, (evt) => {
    const stream = (evt as InstanceType<typeof events.EventQUICConnectionStream>).detail;
    transportFor(connectionOf(stream)).acceptStream(stream);
  });
  server.addEventListener(events.EventQUICServerConnection.name, (evt) => {
    const connection = (evt as InstanceType<typeof events.EventQUICServerConnection>).detail;
    connections.push(transportFor(connection));
    resumeStreams(connection);
  });
  try {
    await server.start({ host: options.host, port: options.port });
  } catch (error) {
    throw new TransportError(
      `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
      'invalid-argument',
      { cause: error },
    );
  }
  const host = server.host as string;
  const port = server.port as number;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    connections,
    close(code = 0, reason = '') {
      checkCloseCode(code);
      closing ??= (async () => {
        connections.end(true);
        try {
          await server.stop({
            isApp: true,
            errorCode: code,
            reason: new TextEncoder().encode(reason),
            force: true,
          });
        } catch {
          // Stopping a server whose socket already failed: nothing left to close.
        }
      })();
      return closing;
    },
  };
}
