// Relay fan-out over real QUIC on 127.0.0.1: one publisher, 1/10/100 subscribers, a "video" track
// (30 objects/s of 10 KB, one group per second) and a "data" track (100 objects/s of 10 KB =
// 1 MB/s). The relay, the subscribers and the echo server run in child processes
// (relay-process.ts) so each has its own event loop and measurable CPU; the publisher runs here.
// Baseline from the same run: a raw QUIC stream echo (connectQuic/listenQuic, no MoQT).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fullTrackName } from '../../common/codec/track-name.js';
import { connectMoqt } from '../../main/moqt/connect.js';
import type { IncomingSubscribe, MoqtSession, TrackWriter } from '../../main/moqt/session/index.js';
import { connectQuic, type MoqtTransport } from '../../main/quic/index.js';
import { median, table } from './harness.js';
import {
  BENCH_NAMESPACE,
  ECHO_ALPN,
  TRACKS,
  wallNow,
  type ChildMessage,
  type ParentMessage,
  type ProcessSample,
  type SubscriberReport,
} from './relay-process.js';

const OBJECT_BYTES = 10_000;
const TRACK_RATES: Record<(typeof TRACKS)[number], { perSecond: number; perGroup: number }> = {
  video: { perSecond: 30, perGroup: 30 },
  data: { perSecond: 100, perGroup: 100 },
};
const EXPECTED_PER_SUBSCRIBER = TRACK_RATES.video.perSecond + TRACK_RATES.data.perSecond;
const WARMUP_MS = 1000;
const MEASURE_MS = 5000;
/** Publishing goes on this long after the window so objects published in it can still arrive. */
const DRAIN_MS = 1500;
/** Objects published in the window that have not arrived this long after publishing stopped count as missing. */
const REPORT_DELAY_MS = 1000;
const SUBSCRIBER_CASES: { subscribers: number; processes: number }[] = [
  { subscribers: 1, processes: 1 },
  { subscribers: 10, processes: 1 },
  { subscribers: 100, processes: 2 },
];
const ECHO_WARMUP_MS = 500;
const ECHO_MEASURE_MS = 3000;
const ECHO_MAX_IN_FLIGHT = 64;
const ECHO_RTT_SAMPLES = 300;
const CHILD_SCRIPT = fileURLToPath(new URL('./relay-process.ts', import.meta.url));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One forked role with request/response over IPC; always killed by `killAll`. */
class Child {
  private readonly waiters = new Map<string, ((message: ChildMessage) => void)[]>();
  private failure: Error | undefined;
  /** Where a server role listens (from its 'ready'). */
  port = 0;
  fingerprint = '';
  private readonly failed: Promise<never>;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    let fail!: (error: Error) => void;
    this.failed = new Promise<never>((_, reject) => (fail = reject));
    this.failed.catch(() => {});
    process.on('message', (message: ChildMessage) => {
      if (message.type === 'error') return fail((this.failure = new Error(`${name}: ${message.message}`)));
      this.waiters.get(message.type)?.shift()?.(message);
    });
    process.on('exit', (code, signal) =>
      fail((this.failure ??= new Error(`${name} exited (code ${code}, signal ${signal})`))),
    );
  }

  /** Sends `message` (if any) and waits for the next reply of type `type`. */
  async request<T extends ChildMessage['type']>(
    type: T,
    message?: ParentMessage,
    timeoutMs = 30_000,
  ): Promise<Extract<ChildMessage, { type: T }>> {
    if (this.failure) throw this.failure;
    const reply = new Promise<ChildMessage>((resolve) => {
      const list = this.waiters.get(type) ?? [];
      list.push(resolve);
      this.waiters.set(type, list);
    });
    if (message) this.process.send(message);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name}: no '${type}' within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return (await Promise.race([reply, this.failed, timeout])) as Extract<ChildMessage, { type: T }>;
    } finally {
      clearTimeout(timer);
    }
  }

  sample(): Promise<ProcessSample> {
    return this.request('sample', { type: 'sample' }).then((reply) => reply.sample);
  }

  /** NTP-style: the child's clock minus ours, from the ping with the shortest round trip. */
  async clockOffset(): Promise<{ offsetMs: number; rttMs: number }> {
    let best = { offsetMs: 0, rttMs: Infinity };
    for (let i = 0; i < 20; i++) {
      const t1 = wallNow();
      const { t2 } = await this.request('pong', { type: 'ping', t1 });
      const t3 = wallNow();
      if (t3 - t1 < best.rttMs) best = { offsetMs: t2 - (t1 + t3) / 2, rttMs: t3 - t1 };
    }
    return best;
  }
}

const children = new Set<Child>();

async function startChild(name: string, args: string[]): Promise<Child> {
  const child = new Child(
    name,
    fork(CHILD_SCRIPT, args, {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  children.add(child);
  const ready = await child.request('ready', undefined, 120_000);
  child.port = ready.port ?? 0;
  child.fingerprint = ready.fingerprint ?? '';
  return child;
}

async function stopChild(child: Child): Promise<void> {
  children.delete(child);
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  try {
    child.process.send({ type: 'exit' } satisfies ParentMessage);
  } catch {
    // IPC already closed.
  }
  await Promise.race([exited, sleep(2000)]);
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
}

function killAll(): void {
  for (const child of children) child.process.kill('SIGKILL');
  children.clear();
}

/** process.cpuUsage as % of one core between two samples. */
function cpuPercent(
  a: Pick<ProcessSample, 'cpuMicros' | 'wallMs'>,
  b: Pick<ProcessSample, 'cpuMicros' | 'wallMs'>,
): number {
  return ((b.cpuMicros - a.cpuMicros) / 1000 / (b.wallMs - a.wallMs)) * 100;
}

// ---- machine-wide evidence from /proc (Linux; empty elsewhere) ----

/** Busy and total jiffies over all cores, from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Machine CPU busy between two readings, in % of one core (so 2 cores fully busy = 200 %). */
function machinePercent(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * 100 * cpus().length : NaN;
}

/** Datagrams the kernel dropped (receive buffer full) on the UDP sockets each process holds. */
function udpDrops(pids: number[]): number[] {
  const dropsByInode = new Map<string, number>();
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    try {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        if (fields.length >= 13) dropsByInode.set(fields[9]!, Number(fields[12]));
      }
    } catch {
      // No such table.
    }
  }
  return pids.map((pid) => {
    let drops = 0;
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const match = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`));
        if (match) drops += dropsByInode.get(match[1]!) ?? 0;
      }
    } catch {
      return NaN;
    }
    return drops;
  });
}

/** Datagrams received machine-wide (/proc/net/snmp Udp InDatagrams). */
function machineUdpIn(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.trim().split(/\s+/);
    const values = lines[1]!.trim().split(/\s+/);
    return Number(values[names.indexOf('InDatagrams')]);
  } catch {
    return NaN;
  }
}

/** Nanoseconds a process's main thread spent runnable but waiting for a CPU (/proc/<pid>/schedstat). */
function runQueueWaitNs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/)[1]);
  } catch {
    return NaN;
  }
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

// ---- publisher (this process) ----

interface TrackLog {
  readonly publishedAt: number[];
  /** Per object: how long after its due time it was handed to the session (publisher backpressure). */
  readonly lateMs: number[];
}

async function paceTrack(
  writer: TrackWriter,
  trackIndex: number,
  rate: { perSecond: number; perGroup: number },
  start: number,
  stopAt: number,
  log: TrackLog,
): Promise<void> {
  let subgroup: Awaited<ReturnType<TrackWriter['openSubgroup']>> | undefined;
  for (let seq = 0; ; seq++) {
    const due = start + (seq * 1000) / rate.perSecond;
    // Hard stop: a backpressured publisher does not catch up after the run; what it could not
    // publish shows as "published" below the nominal rate.
    if (due >= stopAt || wallNow() >= stopAt) break;
    await sleep(due - wallNow());
    if (seq % rate.perGroup === 0) {
      if (subgroup) void subgroup.close({ endOfGroup: true }).catch(() => {});
      subgroup = await writer.openSubgroup({ groupId: BigInt(seq / rate.perGroup) });
    }
    const payload = new Uint8Array(OBJECT_BYTES).fill(trackIndex + 1);
    const view = new DataView(payload.buffer);
    const now = wallNow();
    log.lateMs.push(now - due);
    view.setFloat64(0, now);
    view.setUint32(8, seq);
    view.setUint8(12, trackIndex);
    log.publishedAt.push(now);
    await subgroup!.write(BigInt(seq % rate.perGroup), payload);
  }
  await subgroup?.close({ endOfGroup: true }).catch(() => {});
}

async function connectPublisher(url: string) {
  const writers = new Map<string, (writer: TrackWriter) => void>();
  const ready = TRACKS.map((track) => new Promise<TrackWriter>((resolve) => writers.set(track, resolve)));
  const session = await connectMoqt(url, {
    handler: {
      onSubscribe(request: IncomingSubscribe) {
        const resolve = writers.get(new TextDecoder().decode(request.track.name));
        if (resolve) resolve(request.accept());
        else request.reject(0x4n, 'unknown track');
      },
    },
  });
  await session.publishNamespace(fullTrackName(BENCH_NAMESPACE, '').namespace);
  return { session, writers: ready };
}

// ---- one fan-out case ----

interface CaseResult {
  readonly subscribers: number;
  readonly processes: number;
  readonly publishedPerSubscriber: number;
  readonly deliveredTotal: number;
  readonly deliveredPerSubscriberMean: number;
  readonly deliveredPerSubscriberMin: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly latencyMax: number;
  readonly missing: number;
  readonly expectedOfWindow: number;
  readonly duplicates: number;
  readonly relayCpu: number;
  readonly relayLoopP99: number;
  readonly subscriberLoopP99: number;
  readonly relayObjectsIn: number;
  readonly otherCpu: number;
  readonly udpDropsRelay: number;
  readonly udpDropsSubscribers: number;
  readonly udpDropsPublisher: number;
  readonly machineUdpIn: number;
  /** % of the window the relay's main thread was runnable but not running (CPU contention). */
  readonly relayRunQueueWait: number;
  readonly relayDrops: number;
  readonly relayTooFarBehind: number;
  readonly subscriberCpu: number;
  readonly publisherCpu: number;
  readonly publisherMaxLateMs: number;
  readonly clockOffsetMs: number;
  readonly errors: string[];
}

async function runCase(subscribers: number, processes: number): Promise<CaseResult> {
  const relay = await startChild('relay', ['relay']);
  let publisher: MoqtSession | undefined;
  const subscriberChildren: Child[] = [];
  try {
    const url = `moqt://127.0.0.1:${relay.port}/?fp=${relay.fingerprint}`;
    const pub = await connectPublisher(url);
    publisher = pub.session;
    const perProcess = Math.ceil(subscribers / processes);
    for (let p = 0; p < processes; p++) {
      const count = Math.min(perProcess, subscribers - p * perProcess);
      subscriberChildren.push(await startChild(`subscribers#${p}`, ['subscribers', url, String(count)]));
    }
    const offsets = [];
    for (const child of subscriberChildren) offsets.push(await child.clockOffset());
    const writers = await Promise.all(pub.writers);

    const start = wallNow() + 100;
    const t0 = start + WARMUP_MS;
    const t1 = t0 + MEASURE_MS;
    const stopAt = t1 + DRAIN_MS;
    const logs: TrackLog[] = TRACKS.map(() => ({ publishedAt: [], lateMs: [] }));
    const publishing = Promise.all(
      TRACKS.map((track, i) => paceTrack(writers[i]!, i, TRACK_RATES[track], start, stopAt, logs[i]!)),
    );
    const pids = [relay.process.pid!, ...subscriberChildren.map((child) => child.process.pid!), process.pid];
    const samples = async () => {
      const cpu = process.cpuUsage();
      return {
        relay: await relay.sample(),
        subscribers: await Promise.all(subscriberChildren.map((child) => child.sample())),
        publisher: { cpuMicros: cpu.user + cpu.system, wallMs: wallNow() },
        machine: machineCpu(),
        udp: udpDrops(pids),
        udpIn: machineUdpIn(),
        relayWaitNs: runQueueWaitNs(relay.process.pid!),
      };
    };
    await sleep(t0 - wallNow());
    const before = await samples();
    await sleep(t1 - wallNow());
    const after = await samples();
    const drops = after.udp.map((n, i) => n - before.udp[i]!);
    await Promise.race([publishing, sleep(stopAt + 2000 - wallNow())]);
    await sleep(stopAt + REPORT_DELAY_MS - wallNow());

    const reports: SubscriberReport[] = [];
    for (let i = 0; i < subscriberChildren.length; i++) {
      const child = subscriberChildren[i]!;
      reports.push(
        (await child.request('report', { type: 'report', t0, t1, offsetMs: offsets[i]!.offsetMs })).report,
      );
    }
    const published = logs.reduce(
      (sum, log) => sum + log.publishedAt.filter((t) => t >= t0 && t < t1).length,
      0,
    );
    const delivered = reports.flatMap((r) => r.deliveredInWindow);
    const receivedOfWindow = reports.flatMap((r) => r.receivedOfWindow);
    const latencies = reports.flatMap((r) => r.latencies);
    const seconds = MEASURE_MS / 1000;
    const relayBefore = before.relay.relay!;
    const relayAfter = after.relay.relay!;
    const subscriberCpu = subscriberChildren.reduce(
      (sum, _, i) => sum + cpuPercent(before.subscribers[i]!, after.subscribers[i]!),
      0,
    );
    const relayCpu = cpuPercent(before.relay, after.relay);
    const publisherCpu = cpuPercent(before.publisher, after.publisher);
    return {
      subscribers,
      processes,
      publishedPerSubscriber: published / seconds,
      deliveredTotal: delivered.reduce((a, b) => a + b, 0) / seconds,
      deliveredPerSubscriberMean: delivered.reduce((a, b) => a + b, 0) / delivered.length / seconds,
      deliveredPerSubscriberMin: Math.min(...delivered) / seconds,
      latencyP50: percentile(latencies, 50),
      latencyP99: percentile(latencies, 99),
      latencyMax: percentile(latencies, 100),
      missing: published * subscribers - receivedOfWindow.reduce((a, b) => a + b, 0),
      expectedOfWindow: published * subscribers,
      duplicates: reports.reduce((sum, r) => sum + r.duplicates, 0),
      relayCpu,
      relayLoopP99: after.relay.loopDelayP99Ms,
      subscriberLoopP99: Math.max(...after.subscribers.map((sample) => sample.loopDelayP99Ms)),
      relayDrops: relayAfter.drops - relayBefore.drops,
      relayTooFarBehind: relayAfter.tooFarBehind - relayBefore.tooFarBehind,
      relayObjectsIn: (relayAfter.objectsIn - relayBefore.objectsIn) / seconds,
      subscriberCpu,
      publisherCpu,
      otherCpu: machinePercent(before.machine, after.machine) - relayCpu - subscriberCpu - publisherCpu,
      udpDropsRelay: drops[0]!,
      udpDropsSubscribers: drops.slice(1, -1).reduce((a, b) => a + b, 0),
      udpDropsPublisher: drops[drops.length - 1]!,
      machineUdpIn: (after.udpIn - before.udpIn) / seconds,
      relayRunQueueWait:
        ((after.relayWaitNs - before.relayWaitNs) / 1e6 / (after.relay.wallMs - before.relay.wallMs)) * 100,
      publisherMaxLateMs: Math.max(
        ...logs.flatMap((log) =>
          log.lateMs.filter((_, i) => log.publishedAt[i]! >= t0 && log.publishedAt[i]! < t1),
        ),
      ),
      clockOffsetMs: Math.max(...offsets.map((o) => Math.abs(o.offsetMs))),
      errors: reports.flatMap((r) => r.subscriptionErrors),
    };
  } finally {
    publisher?.close();
    for (const child of subscriberChildren) await stopChild(child);
    await stopChild(relay);
  }
}

// ---- raw QUIC echo baseline ----

interface EchoResult {
  readonly mbps: number;
  readonly rttP50: number;
  readonly rttP99: number;
  readonly serverCpu: number;
  readonly clientCpu: number;
  readonly otherCpu: number;
  readonly udpDropsServer: number;
  readonly udpDropsClient: number;
}

async function readExactly(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pending: { bytes: number },
  count: number,
): Promise<void> {
  while (pending.bytes < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error('echo stream ended early');
    pending.bytes += value.length;
  }
  pending.bytes -= count;
}

async function echoThroughput(
  transport: MoqtTransport,
  server: Child,
): Promise<Omit<EchoResult, 'rttP50' | 'rttP99'>> {
  const stream = await transport.createBidirectionalStream();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const start = wallNow();
  const t0 = start + ECHO_WARMUP_MS;
  const t1 = t0 + ECHO_MEASURE_MS;
  let received = 0;
  let inWindow = 0;
  let sent = 0;
  let done = false;
  let wakeWriter: (() => void) | undefined;
  const reading = (async () => {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return;
      received += value.length;
      const now = wallNow();
      if (now >= t0 && now < t1) inWindow += value.length;
      wakeWriter?.();
      if (done && received >= sent) return;
    }
  })();
  const writing = (async () => {
    while (wallNow() < t1) {
      while (sent - received >= ECHO_MAX_IN_FLIGHT * OBJECT_BYTES) {
        await new Promise<void>((resolve) => (wakeWriter = resolve));
      }
      sent += OBJECT_BYTES;
      await writer.write(new Uint8Array(OBJECT_BYTES).fill(7));
    }
    done = true;
  })();
  await sleep(t0 - wallNow());
  const serverBefore = await server.sample();
  const machineBefore = machineCpu();
  const dropsBefore = udpDrops([server.process.pid!, process.pid]);
  const clientBefore = process.cpuUsage();
  const clientBeforeAt = wallNow();
  await sleep(t1 - wallNow());
  const serverAfter = await server.sample();
  const client = process.cpuUsage(clientBefore);
  const clientCpu = ((client.user + client.system) / 1000 / (wallNow() - clientBeforeAt)) * 100;
  const machine = machinePercent(machineBefore, machineCpu());
  const dropsAfter = udpDrops([server.process.pid!, process.pid]);
  await writing;
  await Promise.race([reading, sleep(3000)]);
  await writer.close().catch(() => {});
  reader.releaseLock();
  return {
    mbps: inWindow / (ECHO_MEASURE_MS / 1000) / 1e6,
    serverCpu: cpuPercent(serverBefore, serverAfter),
    clientCpu,
    otherCpu: machine - cpuPercent(serverBefore, serverAfter) - clientCpu,
    udpDropsServer: dropsAfter[0]! - dropsBefore[0]!,
    udpDropsClient: dropsAfter[1]! - dropsBefore[1]!,
  };
}

async function echoRoundTrips(transport: MoqtTransport): Promise<number[]> {
  const stream = await transport.createBidirectionalStream();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const pending = { bytes: 0 };
  const rtts: number[] = [];
  const deadline = wallNow() + 10_000;
  for (let i = 0; i < ECHO_RTT_SAMPLES && wallNow() < deadline; i++) {
    const payload = new Uint8Array(OBJECT_BYTES).fill(i & 0xff);
    const sentAt = wallNow();
    await writer.write(payload);
    await readExactly(reader, pending, OBJECT_BYTES);
    rtts.push(wallNow() - sentAt);
  }
  await writer.close().catch(() => {});
  reader.releaseLock();
  return rtts.slice(10); // the first round trips warm up the stream
}

async function runEcho(): Promise<EchoResult> {
  const server = await startChild('echo', ['echo']);
  let transport: MoqtTransport | undefined;
  try {
    transport = await connectQuic({
      host: '127.0.0.1',
      port: server.port,
      alpn: ECHO_ALPN,
      trust: { kind: 'fingerprint', sha256: server.fingerprint },
    });
    const rtts = await echoRoundTrips(transport);
    const throughput = await echoThroughput(transport, server);
    return { ...throughput, rttP50: median(rtts), rttP99: percentile(rtts, 99) };
  } finally {
    await transport?.close(0, 'bench done').catch(() => {});
    await stopChild(server);
  }
}

// ---- report ----

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export async function runRelayBench(): Promise<string> {
  const onExit = () => killAll();
  process.once('exit', onExit);
  const results: CaseResult[] = [];
  const loadAtStart = loadavg();
  let echo: EchoResult;
  try {
    echo = await runEcho();
    process.stderr.write('.');
    for (const { subscribers, processes } of SUBSCRIBER_CASES) {
      results.push(await runCase(subscribers, processes));
      process.stderr.write('.');
    }
  } finally {
    killAll();
    process.removeListener('exit', onExit);
    process.stderr.write('\n');
  }

  const rows = results.map((r) => [
    r.subscribers,
    r.processes,
    EXPECTED_PER_SUBSCRIBER * r.subscribers,
    fixed(r.publishedPerSubscriber, 1),
    fixed(r.deliveredTotal, 0),
    `${fixed(r.deliveredPerSubscriberMean)} (min ${fixed(r.deliveredPerSubscriberMin)})`,
    fixed((r.deliveredTotal * OBJECT_BYTES) / 1e6, 2),
    fixed(r.latencyP50),
    fixed(r.latencyP99),
    `${r.missing} (${fixed((r.missing / r.expectedOfWindow) * 100, 1)} %)`,
    fixed(r.relayCpu, 0),
    fixed(r.subscriberCpu, 0),
    fixed(r.publisherCpu, 0),
    fixed(r.otherCpu, 0),
  ]);
  const evidence = results.map((r) => [
    r.subscribers,
    fixed(r.relayObjectsIn, 1),
    `${r.relayDrops} / ${r.relayTooFarBehind}`,
    `${fixed(r.relayLoopP99)} / ${fixed(r.subscriberLoopP99)}`,
    `${r.udpDropsRelay} / ${r.udpDropsSubscribers} / ${r.udpDropsPublisher}`,
    fixed(r.machineUdpIn, 0),
    fixed(r.relayRunQueueWait, 0),
    fixed(r.publisherMaxLateMs, 0),
    fixed(r.latencyMax, 0),
    r.duplicates,
    fixed(r.clockOffsetMs, 2),
  ]);
  const one = results[0]!;
  const relayBytesPerSub = (one.deliveredPerSubscriberMean * OBJECT_BYTES) / 1e6;
  const halfRtt = echo.rttP50 / 2;
  const errors = results.flatMap((r) => r.errors.map((e) => `${r.subscribers} subs: ${e}`));
  return [
    `### Relay fan-out over QUIC on 127.0.0.1 (${MEASURE_MS / 1000} s window after ${WARMUP_MS / 1000} s ` +
      `warm-up; nominal ${EXPECTED_PER_SUBSCRIBER} objects/s of ${OBJECT_BYTES / 1000} KB per subscriber; ` +
      `load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')})`,
    '',
    table(
      [
        'subs',
        'sub procs',
        'nominal obj/s',
        'published obj/s',
        'delivered obj/s',
        'per sub obj/s',
        'delivered MB/s',
        'p50 ms',
        'p99 ms',
        'missing',
        'relay CPU %',
        'subs CPU %',
        'pub CPU %',
        'other CPU %',
      ],
      rows,
    ),
    '',
    table(
      [
        'subs',
        'relay in obj/s',
        'relay drops / too-far-behind',
        'loop delay p99 ms relay / subs',
        'UDP rcvbuf drops relay / subs / pub',
        'UDP datagrams in /s (machine)',
        'relay run-queue wait %',
        'pub max late ms',
        'max latency ms',
        'dups',
        'clock offset ms',
      ],
      evidence,
    ),
    ...(errors.length ? ['', `Subscription errors: ${errors.slice(0, 5).join('; ')}`] : []),
    '',
    '### Raw @matrixai/quic stream echo (same run) and ratios',
    '',
    table(
      ['measure', 'value'],
      [
        ['echo throughput, one way (MB/s)', fixed(echo.mbps, 2)],
        ['echo RTT p50 / p99, 10 KB (ms)', `${fixed(echo.rttP50, 2)} / ${fixed(echo.rttP99, 2)}`],
        [
          'echo server / client / other CPU %',
          `${fixed(echo.serverCpu, 0)} / ${fixed(echo.clientCpu, 0)} / ${fixed(echo.otherCpu, 0)}`,
        ],
        ['echo UDP rcvbuf drops server / client', `${echo.udpDropsServer} / ${echo.udpDropsClient}`],
        ['relay MB/s per subscriber (1 sub) ÷ echo MB/s', fixed(relayBytesPerSub / echo.mbps, 2)],
        ['relay p50 latency (1 sub) ÷ echo half-RTT p50', fixed(one.latencyP50 / halfRtt, 2)],
      ],
    ),
  ].join('\n');
}
