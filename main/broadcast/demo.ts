// `moq-studio demo` as a function: an embedded relay + Coordination Service, a producer streaming
// synthetic SFrame-encrypted media, a moderator who approves every join, N viewers joining at once,
// one viewer removed part-way, then a summary of what each member saw — with either security-group
// protocol (seed 002 or the epoch counter of seeds 000/003).
import { join } from 'node:path';
import { openMember } from '../groups/member.js';
import type { Member, MemberOptions } from '../groups/member.js';
import type { SecurityGroupEvent } from '../groups/security-group.js';
import { createMlsEnv } from '../mls/index.js';
import { startLocalStack } from '../local-stack.js';
import { MediaKeys } from './media-keys.js';
import { SyntheticPublisher, watchMedia } from './synthetic-media.js';
import type { ViewerStats } from './synthetic-media.js';
import { CoordinationClient } from '../groups/coordination-client.js';
import type { GroupProtocol } from '../groups/transport.js';

export interface DemoOptions {
  readonly dataDir: string;
  readonly viewers: number;
  readonly durationMs: number;
  readonly fps: number;
  readonly frameBytes: number;
  /** Security-group protocol of every member. Default seed-002. */
  readonly protocol?: GroupProtocol;
  /** Called about every 250 ms with the current numbers (the CLI draws its progress line). */
  readonly onProgress?: (progress: DemoProgress) => void;
}

export interface DemoProgress {
  readonly elapsedMs: number;
  readonly epoch: string;
  readonly joined: number;
  readonly framesSent: number;
  readonly framesDecrypted: number;
}

export interface ViewerSummary extends ViewerStats {
  readonly name: string;
  /** From starting to join (KeyPackage request) to the Welcome processed. */
  readonly joinLatencyMs: number | null;
  readonly removed: boolean;
  /** Frames decrypted after this viewer's removal: must be 0. */
  readonly framesDecryptedAfterRemoval: number;
  readonly finalEpoch: string | null;
}

export interface DemoSummary {
  readonly groupId: string;
  readonly members: readonly string[];
  readonly epochs: number;
  readonly framesSent: number;
  readonly viewers: readonly ViewerSummary[];
  readonly failures: readonly string[];
  readonly ok: boolean;
}

interface Viewer {
  readonly name: string;
  member?: Member;
  readonly keys: MediaKeys;
  readonly stats: ViewerStats;
  joinLatencyMs: number | null;
  removedAt: number | null;
  decryptedAtRemoval: number;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const failures: string[] = [];
  const stack = await startLocalStack({ dataDir: join(options.dataDir, 'stack') });
  const env = await createMlsEnv();
  const groupId = `demo-${started.toString(36)}`;
  const abort = new AbortController();
  const members: Member[] = [];
  const base = (name: string): Omit<MemberOptions, 'onEvent'> => ({
    dataDir: join(options.dataDir, name.toLowerCase().replace(/\s+/g, '-')),
    groupId,
    displayName: name,
    relayUrl: stack.relayUrl,
    coordinatorUrl: stack.coordinatorUrl,
    protocol: options.protocol ?? 'seed-002',
  });
  const warn = (who: string) => (event: SecurityGroupEvent) => {
    if (event.type === 'warning') failures.push(`${who}: ${event.message}`);
  };
  try {
    // Producer: creates the group (owner, commits too) and publishes the media track.
    const producerKeys = new MediaKeys(env);
    const publisher = new SyntheticPublisher(groupId, producerKeys, {
      frameBytes: options.frameBytes,
      framesPerGroup: options.fps,
    });
    // The producer admits the moderator — the first to ask, before any viewer starts — and leaves
    // every later request to the moderator.
    let moderatorAdmitted = false;
    const producer = await openMember({
      ...base('Producer'),
      handler: publisher.handler,
      onEvent: (event) => {
        if (event.type === 'epoch') void producerKeys.onEpoch(event.state);
        if (
          event.type === 'join-request' &&
          !moderatorAdmitted &&
          event.request.displayName === 'Moderator'
        ) {
          moderatorAdmitted = true;
          event.approve();
        }
        warn('Producer')(event);
      },
    });
    members.push(producer);
    await publisher.announce(producer.session);

    // Moderator: a committer approving every join request; seed 002's service wants a committer
    // token from the owner, the epoch counter needs none.
    let token: string | undefined;
    if ((options.protocol ?? 'seed-002') === 'seed-002') {
      const ownerToken = producer.group.ownerToken;
      if (!ownerToken) throw new Error('the producer did not create the group');
      token = await new CoordinationClient({ url: stack.coordinatorUrl }).mintToken(
        groupId,
        ownerToken,
        'committer',
      );
    }
    const moderator = await openMember({
      ...base('Moderator'),
      committer: true,
      ...(token ? { token } : {}),
      onEvent: (event) => {
        if (event.type === 'join-request') event.approve();
        warn('Moderator')(event);
      },
    });
    members.push(moderator);

    const frameTimer = setInterval(() => void publisher.sendFrame(), 1000 / options.fps);
    const viewers: Viewer[] = Array.from({ length: options.viewers }, (_, i) => ({
      name: `Viewer ${i + 1}`,
      keys: new MediaKeys(env),
      stats: { framesDecrypted: 0, framesUndecryptable: 0, framesCorrupt: 0 },
      joinLatencyMs: null,
      removedAt: null,
      decryptedAtRemoval: 0,
    }));
    await Promise.all(
      viewers.map(async (viewer) => {
        const t0 = Date.now();
        try {
          viewer.member = await openMember({
            ...base(viewer.name),
            joinTimeoutMs: options.durationMs,
            onEvent: (event) => {
              if (event.type === 'epoch') void viewer.keys.onEpoch(event.state);
              if (event.type === 'joined') viewer.joinLatencyMs = Date.now() - t0;
            },
          });
          members.push(viewer.member);
          void watchMedia(viewer.member.session, groupId, viewer.keys, viewer.stats, abort.signal);
        } catch (error) {
          failures.push(`${viewer.name} could not join: ${(error as Error).message}`);
        }
      }),
    );

    const progress = setInterval(() => {
      options.onProgress?.({
        elapsedMs: Date.now() - started,
        epoch: String(producer.group.epoch ?? '-'),
        joined: viewers.filter((v) => v.member?.group.epoch !== undefined).length,
        framesSent: publisher.stats.framesSent,
        framesDecrypted: viewers.reduce((n, v) => n + v.stats.framesDecrypted, 0),
      });
    }, 250);

    const removeAt = started + options.durationMs * 0.6;
    await sleep(removeAt - Date.now());
    const victim = viewers.find((v) => v.member?.group.epoch !== undefined);
    if (victim?.member) {
      const removed = victim.member.group.whenRemoved();
      moderator.group.removeMember(victim.member.identity.publicKey);
      await Promise.race([removed, sleep(10_000)]);
      victim.removedAt = Date.now();
      // The producer stops using the old key as soon as it applies the removal; frames it sent
      // before that may still be in flight for a moment. After this, nothing may decrypt.
      await sleep(1000);
      victim.decryptedAtRemoval = victim.stats.framesDecrypted;
    }
    await sleep(started + options.durationMs - Date.now());
    clearInterval(frameTimer);
    clearInterval(progress);
    await sleep(300);

    const summary: DemoSummary = {
      groupId,
      members: producer.group.members().map((m) => m.displayName),
      epochs: Number(producer.group.epoch ?? 0n) + 1,
      framesSent: publisher.stats.framesSent,
      viewers: viewers.map((v) => ({
        name: v.name,
        ...v.stats,
        joinLatencyMs: v.joinLatencyMs,
        removed: v.removedAt !== null,
        framesDecryptedAfterRemoval:
          v.removedAt === null ? 0 : v.stats.framesDecrypted - v.decryptedAtRemoval,
        finalEpoch: v.member?.group.epoch === undefined ? null : String(v.member.group.epoch),
      })),
      failures,
      ok: false,
    };
    const ok =
      summary.viewers.every((v) => v.joinLatencyMs !== null && v.framesCorrupt === 0) &&
      summary.viewers.every((v) => v.framesDecryptedAfterRemoval === 0) &&
      summary.viewers.filter((v) => !v.removed).every((v) => v.framesDecrypted > 0);
    return { ...summary, ok };
  } finally {
    abort.abort();
    for (const m of members) await m.close().catch(() => {});
    await stack.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
