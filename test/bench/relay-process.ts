// Child-process roles for the relay fan-out benchmark (relay.bench.ts), started with
// `node --import tsx relay-process.ts <role> ...` over an IPC channel so that each role has its own
// event loop and its CPU can be read with process.cpuUsage():
//   relay                      the MoQT relay server on 127.0.0.1:<free port>
//   echo                       a raw QUIC server echoing every bidi stream (the baseline)
//   subscribers <url> <count>  <count> MoQT sessions subscribed to the "video" and "data" tracks
// Every role exits when the parent disconnects, so a crashed benchmark leaves nothing behind.
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fullTrackName } from '../../common/codec/track-name.js';
import { connectMoqt } from '../../main/moqt/connect.js';
import type { MoqtSession } from '../../main/moqt/session/index.js';
import {
  certificateFingerprint,
  generateSelfSignedCertificate,
  listenQuic,
  type BidiStream,
} from '../../main/quic/index.js';
import { startRelayServer } from '../../main/relay/server.js';
import type { RelayStats } from '../../main/relay/relay.js';

export const BENCH_NAMESPACE = ['moq-studio', 'bench'];
export const TRACKS = ['video', 'data'] as const;
export const ECHO_ALPN = 'bench-echo';
/** Payload header: publish time (float64 wall-clock ms), sequence number (uint32), track index. */
export const HEADER_BYTES = 13;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across local processes. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

export interface ProcessSample {
  /** process.cpuUsage() user + system, microseconds. */
  readonly cpuMicros: number;
  readonly wallMs: number;
  /** Event-loop delay since the previous sample, ms. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly relay?: RelayStats;
}

/** What a subscriber process reports for one measurement window (times in the parent's clock). */
export interface SubscriberReport {
  /** Per subscriber: objects received while the window was open. */
  readonly deliveredInWindow: number[];
  /** Per subscriber: distinct objects published inside the window that arrived (by report time). */
  readonly receivedOfWindow: number[];
  /** Publish-to-receive latency (ms) of every object published inside the window. */
  readonly latencies: number[];
  readonly duplicates: number;
  readonly subscriptionErrors: string[];
}

export type ParentMessage =
  | { readonly type: 'ping'; readonly t1: number }
  | { readonly type: 'sample' }
  | { readonly type: 'report'; readonly t0: number; readonly t1: number; readonly offsetMs: number }
  | { readonly type: 'exit' };

export type ChildMessage =
  | { readonly type: 'ready'; readonly port?: number; readonly fingerprint?: string }
  | { readonly type: 'pong'; readonly t1: number; readonly t2: number }
  | { readonly type: 'sample'; readonly sample: ProcessSample }
  | { readonly type: 'report'; readonly report: SubscriberReport }
  | { readonly type: 'error'; readonly message: string };

function send(message: ChildMessage): void {
  process.send?.(message);
}

const loopDelay = monitorEventLoopDelay({ resolution: 5 });

function sample(relayStats?: () => RelayStats): ProcessSample {
  const cpu = process.cpuUsage();
  const result: ProcessSample = {
    cpuMicros: cpu.user + cpu.system,
    wallMs: wallNow(),
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
    ...(relayStats ? { relay: relayStats() } : {}),
  };
  loopDelay.reset();
  return result;
}

async function runRelay(): Promise<{ stats: () => RelayStats; close: () => Promise<void> }> {
  const certificate = generateSelfSignedCertificate();
  const server = await startRelayServer({ host: '127.0.0.1', port: 0, certificate });
  send({ type: 'ready', port: server.port, fingerprint: certificateFingerprint(certificate.certPem) });
  return { stats: () => server.relay.stats, close: () => server.close() };
}

async function echo(stream: BidiStream): Promise<void> {
  await stream.readable.pipeTo(stream.writable).catch(() => {});
}

async function runEcho(): Promise<{ close: () => Promise<void> }> {
  const certificate = generateSelfSignedCertificate();
  const listener = await listenQuic({ host: '127.0.0.1', port: 0, certificate, alpn: ECHO_ALPN });
  void (async () => {
    for await (const transport of listener.connections) {
      void (async () => {
        for await (const stream of transport.incomingBidirectionalStreams) void echo(stream);
      })();
    }
  })();
  send({ type: 'ready', port: listener.port, fingerprint: certificateFingerprint(certificate.certPem) });
  return { close: () => listener.close(0, 'bench done') };
}

interface Received {
  readonly publishedAt: number[];
  readonly receivedAt: number[];
  readonly keys: Set<number>;
  duplicates: number;
}

async function runSubscribers(
  url: string,
  count: number,
): Promise<{ report: (t0: number, t1: number, offsetMs: number) => SubscriberReport; close: () => void }> {
  const sessions: MoqtSession[] = [];
  const received: Received[] = [];
  const errors: string[] = [];
  // Connect a few at a time: 100 simultaneous handshakes would only measure handshake contention.
  for (let first = 0; first < count; first += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - first) }, () => connectMoqt(url)),
    );
    sessions.push(...batch);
  }
  for (const session of sessions) {
    const record: Received = { publishedAt: [], receivedAt: [], keys: new Set(), duplicates: 0 };
    received.push(record);
    for (const track of TRACKS) {
      const subscription = await session.subscribe(fullTrackName(BENCH_NAMESPACE, track));
      void (async () => {
        for await (const object of subscription) {
          if (object.status !== 'normal' || object.payload.length < HEADER_BYTES) continue;
          const now = wallNow();
          const view = new DataView(
            object.payload.buffer,
            object.payload.byteOffset,
            object.payload.byteLength,
          );
          const key = view.getUint32(8) * 2 + view.getUint8(12);
          if (record.keys.has(key)) {
            record.duplicates++;
            continue;
          }
          record.keys.add(key);
          record.publishedAt.push(view.getFloat64(0));
          record.receivedAt.push(now);
        }
      })().catch((error: unknown) => errors.push(`${track}: ${String(error)}`));
    }
  }
  send({ type: 'ready' });
  return {
    report(t0, t1, offsetMs) {
      const deliveredInWindow: number[] = [];
      const receivedOfWindow: number[] = [];
      const latencies: number[] = [];
      let duplicates = 0;
      for (const record of received) {
        let delivered = 0;
        let ofWindow = 0;
        for (let i = 0; i < record.receivedAt.length; i++) {
          // This process's clock minus the parent's offset = the parent's clock (publish times are in it).
          const at = record.receivedAt[i]! - offsetMs;
          const publishedAt = record.publishedAt[i]!;
          if (at >= t0 && at < t1) delivered++;
          if (publishedAt >= t0 && publishedAt < t1) {
            ofWindow++;
            latencies.push(Math.round((at - publishedAt) * 100) / 100);
          }
        }
        deliveredInWindow.push(delivered);
        receivedOfWindow.push(ofWindow);
        duplicates += record.duplicates;
      }
      return { deliveredInWindow, receivedOfWindow, latencies, duplicates, subscriptionErrors: errors };
    },
    close() {
      for (const session of sessions) session.close();
    },
  };
}

async function main(): Promise<void> {
  const [role, ...args] = process.argv.slice(2);
  loopDelay.enable();
  let stats: (() => RelayStats) | undefined;
  let close: () => unknown = () => {};
  let report: ((t0: number, t1: number, offsetMs: number) => SubscriberReport) | undefined;
  // Listen before starting the role so no request from the parent is lost.
  process.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'ping':
        send({ type: 'pong', t1: message.t1, t2: wallNow() });
        break;
      case 'sample':
        send({ type: 'sample', sample: sample(stats) });
        break;
      case 'report':
        if (report) send({ type: 'report', report: report(message.t0, message.t1, message.offsetMs) });
        break;
      case 'exit':
        void Promise.race([Promise.resolve(close()), new Promise((r) => setTimeout(r, 1000))]).finally(() =>
          process.exit(0),
        );
        break;
    }
  });
  process.on('disconnect', () => process.exit(0));
  if (role === 'relay') {
    const relay = await runRelay();
    stats = relay.stats;
    close = relay.close;
  } else if (role === 'echo') {
    close = (await runEcho()).close;
  } else if (role === 'subscribers') {
    const subscribers = await runSubscribers(args[0]!, Number(args[1]));
    report = subscribers.report;
    close = subscribers.close;
  } else {
    throw new Error(`unknown role ${role}`);
  }
}

// The benchmark imports the constants and types above; only a forked child runs a role.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
}
