// Coordination Service throughput over real HTTP on 127.0.0.1, on SQLite and on a throwaway
// PostgreSQL, with 1/10/50 keep-alive clients: accepted commits/s when all clients race on one
// group (each sends the commit for the epoch it last heard of; exactly one per epoch wins) and when
// each client has its own group (every commit wins: the store's compare-and-set capacity), and
// lock+increment ops/s on one shared counter and on one counter per client. Baseline from the same run and the same server: GET /health (one
// trivial database round trip) = what HTTP + the store's cheapest query allow. The service runs in
// its own process (test/support/coordinator-process.ts); the clients run here with keep-alive.
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ContentType, concat, encodePrivateMessage } from '../../main/coordination/mls-wire.js';
import { startCoordinatorChild, type CoordinatorChild } from '../support/coordinator-child.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { joinRequest, tempDir } from '../unit/coordination/fixtures.js';
import { table } from './harness.js';

const CLIENT_COUNTS = [1, 10, 50];
const CASE_MS = 2000;
const WARMUP_MS = 300;

interface Reply {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

class HttpClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(base: string, sockets: number) {
    this.url = new URL(base);
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  send(
    method: string,
    path: string,
    body?: Uint8Array,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            resolve({
              status: res.statusCode ?? 0,
              json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function commitBody(group: string, epoch: bigint): Uint8Array {
  const commit = encodePrivateMessage({
    groupId: new TextEncoder().encode(group),
    epoch,
    contentType: ContentType.commit,
    ciphertext: new Uint8Array(64),
  });
  return concat(commit, Uint8Array.of(0));
}

/** Runs `clients` loops of `step` for `durationMs` (after a warm-up); returns successes/s and requests/s. */
async function drive(
  clients: number,
  durationMs: number,
  step: (client: number) => Promise<{ ok: number; requests: number }>,
): Promise<{ okPerSecond: number; requestsPerSecond: number }> {
  let counting = false;
  let ok = 0;
  let requests = 0;
  let stop = false;
  const loop = async (_: unknown, client: number) => {
    while (!stop) {
      const result = await step(client);
      if (counting) {
        ok += result.ok;
        requests += result.requests;
      }
    }
  };
  const loops = Array.from({ length: clients }, loop);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  counting = true;
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  counting = false;
  const elapsed = (performance.now() - start) / 1000;
  stop = true;
  await Promise.all(loops);
  return { okPerSecond: ok / elapsed, requestsPerSecond: requests / elapsed };
}

async function health(http: HttpClient, clients: number): Promise<number> {
  const result = await drive(clients, CASE_MS, async () => {
    const reply = await http.send('GET', '/health');
    return { ok: reply.status === 200 ? 1 : 0, requests: 1 };
  });
  return result.okPerSecond;
}

/** `groups` = 1: every client races on the same group; = clients: one group per client, no races. */
async function commits(http: HttpClient, clients: number, groups: number, prefix: string) {
  const headers: Record<string, string>[] = [];
  for (let g = 0; g < groups; g++) {
    const created = await http.send('POST', `/groups/${prefix}-${g}/request`, joinRequest(), {
      'content-type': 'application/mls-request',
    });
    if (created.status !== 201) throw new Error(`group ${prefix}-${g}: ${created.status}`);
    headers.push({
      'content-type': 'application/mls-commit-request',
      authorization: `Bearer ${String(created.json.ownerToken)}`,
    });
  }
  const known = Array.from({ length: groups }, () => 0n);
  return drive(clients, CASE_MS, async (client) => {
    const g = client % groups;
    const group = `${prefix}-${g}`;
    const epoch = known[g]!;
    const reply = await http.send('POST', `/groups/${group}/commit`, commitBody(group, epoch), headers[g]);
    if (reply.status === 200) {
      if (epoch + 1n > known[g]!) known[g] = epoch + 1n;
      return { ok: 1, requests: 1 };
    }
    if (reply.status !== 409) throw new Error(`commit: ${reply.status} ${JSON.stringify(reply.json)}`);
    const current = BigInt(reply.json.currentEpoch as number);
    if (current > known[g]!) known[g] = current;
    return { ok: 0, requests: 1 };
  });
}

/** ok = successful /lock and /increment answers (2 per completed increment); counters as groups above. */
async function lockIncrement(http: HttpClient, clients: number, counters: number, prefix: string) {
  const known = Array.from({ length: counters }, () => 0n);
  return drive(clients, CASE_MS, async (client) => {
    const c = client % counters;
    const counter = `${prefix}-${c}`;
    const lock = await http.send('GET', `/lock/${counter}?val=${known[c]!}`);
    if (lock.status !== 200) {
      if (lock.json.result === 'counter-error') {
        const current = BigInt(lock.json.current as number);
        if (current > known[c]!) known[c] = current;
      }
      return { ok: 0, requests: 1 };
    }
    const increment = await http.send('POST', `/increment/${counter}`, undefined, {
      'lock-id': String(lock.json.lockId),
    });
    if (increment.status !== 200) return { ok: 1, requests: 2 };
    const next = BigInt(increment.json.value as number);
    if (next > known[c]!) known[c] = next;
    return { ok: 2, requests: 2 };
  });
}

const fmt = (value: number) => value.toFixed(0);
const ratio = (value: number, baseline: number) => (value / baseline).toFixed(2);

export async function runCoordinationBench(): Promise<string> {
  const rows: (string | number)[][] = [];
  const load = loadavg()[0]!.toFixed(1);
  const temp = tempDir();
  let postgres: PostgresServer | undefined;
  let service: CoordinatorChild | undefined;
  try {
    postgres = await startPostgres();
    const backends: [string, string][] = [
      ['SQLite', join(temp.path, 'bench.db')],
      ['PostgreSQL', postgres.url],
    ];
    for (const [name, location] of backends) {
      service = await startCoordinatorChild(location);
      for (const clients of CLIENT_COUNTS) {
        const http = new HttpClient(service.url, clients);
        try {
          const baseline = await health(http, clients);
          const racing = await commits(http, clients, 1, `race-${clients}`);
          const separate = await commits(http, clients, clients, `own-${clients}`);
          const sharedCounter = await lockIncrement(http, clients, 1, `shared-${clients}`);
          const ownCounters = await lockIncrement(http, clients, clients, `own-${clients}`);
          rows.push([
            name,
            clients,
            fmt(baseline),
            `${fmt(racing.okPerSecond)} (${fmt(racing.requestsPerSecond)} req/s)`,
            fmt(separate.okPerSecond),
            ratio(separate.okPerSecond, baseline),
            fmt(sharedCounter.okPerSecond),
            fmt(ownCounters.okPerSecond),
            ratio(ownCounters.okPerSecond, baseline),
          ]);
          process.stderr.write('.');
        } finally {
          http.close();
        }
      }
      await service.stop();
      service = undefined;
    }
  } finally {
    await service?.stop();
    await postgres?.stop();
    temp.remove();
  }
  process.stderr.write('\n');
  return [
    `### Coordination Service over HTTP on 127.0.0.1 (${CASE_MS / 1000} s per case, load average ${load} at start)`,
    '',
    table(
      [
        'store',
        'clients',
        'GET /health req/s (baseline)',
        'accepted commits/s, one group (all requests)',
        'accepted commits/s, group per client',
        'ratio',
        'lock+increment ops/s, one counter',
        'lock+increment ops/s, counter per client',
        'ratio',
      ],
      rows,
    ),
  ].join('\n');
}
