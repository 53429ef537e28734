// `moq-studio broadcast` and `moq-studio watch`: one member of a security group against any relay
// and Coordination Service. The producer creates (or joins as committer) the group and streams
// synthetic encrypted media; a viewer joins, decrypts and reports. `--json` prints one JSON event
// per line; otherwise a progress line and plain messages. State lives in --data-dir, so a restarted
// member resumes where it was.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { MediaKeys } from '../broadcast/media-keys.js';
import { SyntheticPublisher, watchMedia } from '../broadcast/synthetic-media.js';
import type { ViewerStats } from '../broadcast/synthetic-media.js';
import { defaultDataDir } from '../data-dir.js';
import type { ApprovalPolicy } from '../groups/approval.js';
import { openMember } from '../groups/member.js';
import type { Member } from '../groups/member.js';
import type { SecurityGroupEvent } from '../groups/security-group.js';
import { GROUP_PROTOCOLS } from '../groups/transport.js';
import type { GroupProtocol } from '../groups/transport.js';
import { createMlsEnv } from '../mls/index.js';
import { positiveInteger, progressLine } from './output.js';

const common = `  --relay        moqt://HOST:PORT/PATH?fp=SHA256 of the relay (required)
  --coordinator  https://HOST:PORT/?fp=SHA256 of the Coordination Service (required)
  --group        security group id, letters, digits and . _ ~ - (required)
  --name         display name shown to the other members (default: your user name)
  --token        Coordination Service token (invitation, or committer token from the owner)
  --protocol     seed-002 (default: requests and commits through the Coordination Service) or
                 epoch-counter (seeds 000/003: members publish on MoQ, the service's lock /
                 increment API orders commits); every member of a group must use the same
  --data-dir     where this member's identity and group state live (default: per-user folder)
  --seconds      stop after this long (default: run until Ctrl-C)
  --json         one JSON event per line instead of the progress display`;

export const broadcastUsage = `Usage: moq-studio broadcast --relay URL --coordinator URL --group ID [options]

  Creates the security group (or joins it as a committer with --token) and streams synthetic
  SFrame-encrypted media to its members.

${common}
  --approve      who may join: manual (ask here), open, or allowlist:FINGERPRINT,… (default manual)
  --fps          frames per second (default 30)
  --frame-bytes  size of each synthetic frame (default 4000)`;

export const watchUsage = `Usage: moq-studio watch --relay URL --coordinator URL --group ID [options]

  Joins the security group (a committer must approve) and decrypts its media.

${common}
  --leave        leave the group (self-removal) when stopping`;

const sharedOptions = {
  relay: { type: 'string' },
  coordinator: { type: 'string' },
  group: { type: 'string' },
  name: { type: 'string' },
  token: { type: 'string' },
  protocol: { type: 'string', default: 'seed-002' },
  'data-dir': { type: 'string' },
  seconds: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Shared {
  relay: string;
  coordinator: string;
  group: string;
  name: string;
  token: string | undefined;
  protocol: GroupProtocol;
  dataDir: string;
  seconds: number | undefined;
  json: boolean;
}

function shared(values: Record<string, string | boolean | undefined>, role: string): Shared {
  const need = (flag: string) => {
    const value = values[flag];
    if (typeof value !== 'string' || value === '') throw new Error(`--${flag} is required (see --help)`);
    return value;
  };
  const group = need('group');
  return {
    relay: need('relay'),
    coordinator: need('coordinator'),
    group,
    name: typeof values.name === 'string' ? values.name : (process.env.USER ?? role),
    token: typeof values.token === 'string' ? values.token : undefined,
    protocol: parseProtocol(values.protocol),
    dataDir:
      typeof values['data-dir'] === 'string'
        ? values['data-dir']
        : `${defaultDataDir()}/members/${role}-${group}`,
    seconds:
      typeof values.seconds === 'string' ? positiveInteger('--seconds', values.seconds, 86_400) : undefined,
    json: values.json === true,
  };
}

export function parseProtocol(value: string | boolean | undefined): GroupProtocol {
  const text = typeof value === 'string' ? value : 'seed-002';
  const protocol = GROUP_PROTOCOLS.find((p) => p === text);
  if (!protocol)
    throw new Error(`--protocol: expected seed-002 or epoch-counter, got ${JSON.stringify(text)}`);
  return protocol;
}

function parseApproval(text: string): ApprovalPolicy {
  if (text === 'manual') return { kind: 'manual' };
  if (text === 'open') return { kind: 'open' };
  if (text.startsWith('allowlist:')) {
    const fingerprints = text.slice('allowlist:'.length).split(',').filter(Boolean);
    if (fingerprints.length === 0) throw new Error('--approve allowlist: needs at least one fingerprint');
    return { kind: 'allowlist', fingerprints };
  }
  throw new Error(`--approve: expected manual, open or allowlist:FP,…, got ${JSON.stringify(text)}`);
}

/** Prints events as JSON lines or as text, and keeps a one-line status fresh. */
class Reporter {
  private readonly line = progressLine(process.stderr);
  status = '';

  constructor(private readonly json: boolean) {}

  event(name: string, fields: Record<string, unknown>, text: string): void {
    if (this.json) {
      console.log(
        JSON.stringify({ event: name, ...fields }, (_, v: unknown) =>
          typeof v === 'bigint' ? String(v) : v,
        ),
      );
    } else {
      this.line.done();
      console.log(text);
    }
  }

  progress(fields: Record<string, unknown>, text: string): void {
    if (this.json) this.event('stats', fields, text);
    else this.line.update(text);
  }

  done(): void {
    this.line.done();
  }
}

function groupEvents(reporter: Reporter, keys: MediaKeys, memberRef: { current?: Member }) {
  return (event: SecurityGroupEvent): void => {
    switch (event.type) {
      case 'joined':
        reporter.event(
          'joined',
          { epoch: event.epoch, created: event.created, resumed: event.resumed },
          event.created
            ? 'created the group (you are its owner)'
            : event.resumed
              ? `resumed the group at epoch ${event.epoch}`
              : `joined at epoch ${event.epoch}`,
        );
        break;
      case 'epoch': {
        void keys.onEpoch(event.state);
        const code = memberRef.current?.group.verificationCode() ?? '';
        reporter.event(
          'epoch',
          { epoch: event.epoch, members: event.memberCount, verificationCode: code },
          `epoch ${event.epoch}: ${event.memberCount} members · verification code ${code}`,
        );
        break;
      }
      case 'removed':
        reporter.event('removed', {}, 'you were removed from the group');
        break;
      case 'rejoining':
        reporter.event('rejoining', { reason: event.reason }, `rejoining: ${event.reason}`);
        break;
      case 'warning':
        reporter.event('warning', { message: event.message }, `warning: ${event.message}`);
        break;
      case 'join-request':
        // Handled by the command that owns the approval policy.
        break;
    }
  };
}

function stopSignal(seconds: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (seconds !== undefined) setTimeout(resolve, seconds * 1000);
  });
}

export async function broadcastCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...sharedOptions,
      approve: { type: 'string', default: 'manual' },
      fps: { type: 'string', default: '30' },
      'frame-bytes': { type: 'string', default: '4000' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(broadcastUsage);
    return 0;
  }
  const options = shared(values, 'broadcast');
  const approval = parseApproval(values.approve);
  if (approval.kind === 'manual' && (!process.stdin.isTTY || options.json)) {
    throw new Error(
      '--approve manual asks on the terminal; use --approve open or allowlist:… when unattended',
    );
  }
  const fps = positiveInteger('--fps', values.fps, 120);
  const frameBytes = positiveInteger('--frame-bytes', values['frame-bytes'], 1_000_000);
  const reporter = new Reporter(options.json);
  const keys = new MediaKeys(await createMlsEnv());
  const publisher = new SyntheticPublisher(options.group, keys, { frameBytes, framesPerGroup: fps });
  const memberRef: { current?: Member } = {};
  const onGroupEvent = groupEvents(reporter, keys, memberRef);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  let asking: Promise<unknown> = Promise.resolve();
  const member = await openMember({
    dataDir: options.dataDir,
    groupId: options.group,
    displayName: options.name,
    relayUrl: options.relay,
    coordinatorUrl: options.coordinator,
    protocol: options.protocol,
    committer: true,
    approval,
    handler: publisher.handler,
    ...(options.token ? { token: options.token } : {}),
    onEvent: (event) => {
      if (event.type === 'join-request') {
        // One question at a time on the terminal, in arrival order.
        asking = asking.then(async () => {
          const answer = await prompt.question(
            `\n${event.request.displayName} (${event.request.fingerprint}) asks to join. Admit? [y/N] `,
          );
          if (/^y(es)?$/i.test(answer.trim())) event.approve();
          else event.deny();
        });
      }
      onGroupEvent(event);
    },
  });
  memberRef.current = member;
  try {
    await publisher.announce(member.session);
    reporter.event(
      'ready',
      {
        group: options.group,
        fingerprint: member.group.members().find((m) => m.leafIndex === member.group.leafIndex)?.fingerprint,
      },
      `broadcasting to group ${options.group}; viewers run:\n  moq-studio watch --relay '${options.relay}' --coordinator '${options.coordinator}' --group ${options.group}` +
        (options.protocol === 'seed-002' ? '' : ` --protocol ${options.protocol}`),
    );
    const timer = setInterval(() => void publisher.sendFrame(), 1000 / fps);
    const stats = setInterval(() => {
      const members = member.group.members().length;
      const { epoch } = member.group;
      const framesSent = publisher.stats.framesSent;
      reporter.progress(
        { epoch, members, framesSent },
        `epoch ${epoch ?? '-'} · ${members} members · ${framesSent} frames sent`,
      );
    }, 1000);
    await stopSignal(options.seconds);
    clearInterval(timer);
    clearInterval(stats);
    publisher.close();
    return 0;
  } finally {
    reporter.done();
    prompt.close();
    keys.dispose();
    await member.close();
  }
}

export async function watchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...sharedOptions, leave: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) {
    console.log(watchUsage);
    return 0;
  }
  const options = shared(values, 'watch');
  const reporter = new Reporter(options.json);
  const keys = new MediaKeys(await createMlsEnv());
  const memberRef: { current?: Member } = {};
  const member = await openMember({
    dataDir: options.dataDir,
    groupId: options.group,
    displayName: options.name,
    relayUrl: options.relay,
    coordinatorUrl: options.coordinator,
    protocol: options.protocol,
    ...(options.token ? { token: options.token } : {}),
    onEvent: groupEvents(reporter, keys, memberRef),
  });
  memberRef.current = member;
  const stats: ViewerStats = { framesDecrypted: 0, framesUndecryptable: 0, framesCorrupt: 0 };
  const abort = new AbortController();
  try {
    void watchMedia(member.session, options.group, keys, stats, abort.signal);
    const ticker = setInterval(
      () =>
        reporter.progress(
          { epoch: member.group.epoch, ...stats },
          `epoch ${member.group.epoch ?? '-'} · ${stats.framesDecrypted} frames decrypted · ${stats.framesUndecryptable} undecryptable`,
        ),
      1000,
    );
    await Promise.race([stopSignal(options.seconds), member.group.whenRemoved()]);
    clearInterval(ticker);
    if (values.leave && member.group.epoch !== undefined) {
      reporter.event('leaving', {}, 'leaving the group…');
      await Promise.race([member.group.leave(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
    reporter.event(
      'summary',
      { ...stats },
      `decrypted ${stats.framesDecrypted} frames, ${stats.framesUndecryptable} undecryptable`,
    );
    return stats.framesCorrupt === 0 ? 0 : 1;
  } finally {
    abort.abort();
    reporter.done();
    keys.dispose();
    await member.close();
  }
}
