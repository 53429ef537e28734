// MLS security groups of 100 and 1000 members with real crypto, all members in this one process: join latency
// (KeyPackage → Add commit + Welcome → Welcome processed), the time for the other members to apply one Remove
// commit, commit/Welcome sizes on the wire, and the per-member state size serialized and sealed in SQLite
// (main/store). Baselines from the same run: the N=100 group for N=1000 (scaling), Welcome processing with an
// accept-all AuthenticationService (what our identity-credential checks add), and the unit cost of the crypto
// operations each step cannot avoid (the "floor").
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encode, mlsMessageEncoder, protocolVersions, wireformats } from 'ts-mls';
import type { MlsMessage } from 'ts-mls';
import { concatBytes } from '../../common/codec/bytes.js';
import {
  GROUP_STATE_FORMAT_VERSION,
  commitChanges,
  createMlsEnv,
  createMlsGroup,
  epochOf,
  exportSecret,
  processCommit,
  processWelcome,
  serializeGroupState,
} from '../../main/mls/index.js';
import type {
  ClientState,
  MemberKeyPackage,
  MlsEnv,
  MlsFramedMessage,
  Welcome,
} from '../../main/mls/index.js';
import { generateIdentity } from '../../main/mls/identity.js';
import { createIdentityKeyPackage, identityAuthService } from '../../main/mls/identity-credential.js';
import { openDatabase } from '../../main/store/database.js';
import { GroupStateRepository, STORE_MIGRATIONS } from '../../main/store/group-state-repository.js';
import { aeadSecretBox } from '../../main/store/secret-box.js';
import { tempDir } from '../unit/coordination/fixtures.js';
import { measure, median, table } from './harness.js';

const GROUP_SIZES = [100, 1000];
// Up to this size every member joins and applies the commit. Above it a Welcome costs seconds per member (it
// validates every leaf of the tree), so only SAMPLED_MEMBERS spread over the tree hold a state; the others
// are real leaves (real KeyPackages) whose owners stay offline, and the all-members time is extrapolated.
const ALL_MEMBERS_UP_TO = 100;
const SAMPLED_MEMBERS = 16;
const JOIN_RUNS = 3;
// ts-mls (defaultKeyRetentionConfig) keeps the receiver data, ratchet tree included, of this many past epochs
// in the state; after this many further commits the state has reached its steady-state size.
const RETAINED_EPOCHS = 4;
const UNIT_COST_MS = 500;
// 'noble' and 'default' differ only in hashing: both sign/verify Ed25519 with WebCrypto and use the same HPKE.
const PROVIDER = 'noble';
const EXPORTER_LABEL = 'moq-studio bench';

const te = new TextEncoder();

/** Unit costs in ms per operation, measured in this run. */
interface UnitCosts {
  readonly ed25519Verify: number;
  readonly credentialCheck: number;
  readonly hpkeSeal: number;
  readonly hpkeOpen: number;
}

interface Group {
  readonly size: number;
  readonly groupId: Uint8Array;
  readonly buildMs: number;
  /** Leaf 0: creates the group, adds everybody, commits the joins and the Remove. */
  creator: ClientState;
  /** Leaf index → state of every member that processed the Welcome (all, or the sample). */
  readonly holders: Map<number, ClientState>;
}

interface JoinResult {
  readonly commitMs: number;
  readonly welcomeMs: number;
  readonly welcomeAcceptAllMs: number;
  readonly commitBytes: number;
  readonly welcomeBytes: number;
}

interface ApplyResult {
  readonly commitMs: number;
  readonly commitBytes: number;
  readonly perMemberMs: number[];
  readonly totalMs: number;
}

interface StateSizes {
  /** Right after the Welcome: no past epochs retained yet. */
  readonly joinedBytes: number[];
  /** Steady state, RETAINED_EPOCHS past epochs retained; these are the states sealed into SQLite. */
  readonly serializedBytes: number[];
  readonly fileBytes: number;
  readonly writeMs: number[];
}

interface GroupResult {
  readonly group: Group;
  readonly join: JoinResult;
  readonly apply: ApplyResult;
  readonly state: StateSizes;
}

function wireSize(message: MlsMessage): number {
  return encode(mlsMessageEncoder, message).length;
}

function welcomeSize(welcome: Welcome): number {
  return wireSize({ wireformat: wireformats.mls_welcome, version: protocolVersions.mls10, welcome });
}

function commitSize(commit: MlsFramedMessage): number {
  return wireSize(commit);
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

function memberKeyPackage(env: MlsEnv, name: string): Promise<MemberKeyPackage> {
  return createIdentityKeyPackage(env, generateIdentity(name));
}

/** Leaves that get a state: all of them in small groups, else the creator plus an even spread (not the last). */
function holderLeaves(size: number): number[] {
  if (size <= ALL_MEMBERS_UP_TO) return Array.from({ length: size }, (_, leaf) => leaf);
  const step = (size - 2) / SAMPLED_MEMBERS;
  return [0, ...Array.from({ length: SAMPLED_MEMBERS }, (_, i) => 1 + Math.floor(i * step))];
}

/** Throws unless `states` are all in the epoch of `reference` and export the same secret (i.e. really joined). */
async function assertSameEpoch(env: MlsEnv, reference: ClientState, states: ClientState[]): Promise<void> {
  const expected = Buffer.from(await exportSecret(env, reference, EXPORTER_LABEL, new Uint8Array(), 16));
  for (const state of states) {
    const actual = Buffer.from(await exportSecret(env, state, EXPORTER_LABEL, new Uint8Array(), 16));
    if (epochOf(state) !== epochOf(reference) || !actual.equals(expected))
      throw new Error('member state diverged from the committer');
  }
}

/** Creator + ONE commit adding everybody else (the cheapest way to a group of N); holders process the Welcome. */
async function buildGroup(env: MlsEnv, size: number): Promise<Group> {
  const start = performance.now();
  const groupId = te.encode(`bench-group-${size}`);
  const keyPackages: MemberKeyPackage[] = [];
  for (let leaf = 0; leaf < size; leaf++) keyPackages.push(await memberKeyPackage(env, `member ${leaf}`));
  const initial = await createMlsGroup(env, groupId, keyPackages[0]!);
  const adds = keyPackages.slice(1).map((kp) => ({ kind: 'add' as const, keyPackage: kp.publicPackage }));
  const { newState: creator, welcome } = await commitChanges(env, initial, adds, {
    ratchetTreeExtension: true,
  });
  const holders = new Map<number, ClientState>([[0, creator]]);
  for (const leaf of holderLeaves(size).slice(1)) {
    holders.set(leaf, await processWelcome(env, welcome!, keyPackages[leaf]!));
    process.stderr.write('.');
  }
  await assertSameEpoch(env, creator, [...holders.values()]);
  return { size, groupId, creator, holders, buildMs: performance.now() - start };
}

/**
 * One join: a fresh member's KeyPackage → the creator's Add commit (+ Welcome carrying the ratchet tree) →
 * the joiner processes the Welcome, once with identityAuthService and once accepting every credential (same
 * Welcome, alternating in the same run), so the difference is what our credential checks cost. The commit is
 * discarded so every run joins the same N-member group; a real committer would send it and move on.
 */
async function joinOnce(env: MlsEnv, acceptAll: MlsEnv, group: Group, run: number): Promise<JoinResult> {
  const joiner = await memberKeyPackage(env, `joiner ${run}`);
  const [{ newState, commit, welcome }, commitMs] = await timed(() =>
    commitChanges(env, group.creator, [{ kind: 'add', keyPackage: joiner.publicPackage }], {
      ratchetTreeExtension: true,
    }),
  );
  const [joined, welcomeMs] = await timed(() => processWelcome(env, welcome!, joiner));
  const [, welcomeAcceptAllMs] = await timed(() => processWelcome(acceptAll, welcome!, joiner));
  await assertSameEpoch(env, newState, [joined]);
  return {
    commitMs,
    welcomeMs,
    welcomeAcceptAllMs,
    commitBytes: commitSize(commit),
    welcomeBytes: welcomeSize(welcome!),
  };
}

async function measureJoin(env: MlsEnv, acceptAll: MlsEnv, group: Group): Promise<JoinResult> {
  const runs: JoinResult[] = [];
  for (let run = 0; run < JOIN_RUNS; run++) {
    runs.push(await joinOnce(env, acceptAll, group, run));
    process.stderr.write('.');
  }
  const mid = (pick: (r: JoinResult) => number) => median(runs.map(pick));
  return {
    commitMs: mid((r) => r.commitMs),
    welcomeMs: mid((r) => r.welcomeMs),
    welcomeAcceptAllMs: mid((r) => r.welcomeAcceptAllMs),
    commitBytes: mid((r) => r.commitBytes),
    welcomeBytes: mid((r) => r.welcomeBytes),
  };
}

/**
 * The creator removes the last leaf (eviction: everyone left must rekey); every other holder applies the
 * commit one after another in this process. Holders move to the new epoch, so state sizes are measured after.
 */
async function measureApply(env: MlsEnv, group: Group): Promise<ApplyResult> {
  const removed = group.size - 1;
  const [{ newState, commit }, commitMs] = await timed(() =>
    commitChanges(env, group.creator, [{ kind: 'remove', leafIndex: removed }]),
  );
  const perMemberMs: number[] = [];
  const start = performance.now();
  for (const [leaf, state] of group.holders) {
    if (leaf === 0 || leaf === removed) continue;
    const [result, ms] = await timed(() => processCommit(env, state, commit));
    perMemberMs.push(ms);
    group.holders.set(leaf, result.state);
  }
  const totalMs = performance.now() - start;
  group.holders.delete(removed);
  group.creator = newState;
  group.holders.set(0, newState);
  await assertSameEpoch(env, newState, [...group.holders.values()]);
  return { commitMs, commitBytes: commitSize(commit), perMemberMs, totalMs };
}

/** Update commits by the creator, applied by every holder, until each state retains RETAINED_EPOCHS epochs. */
async function advanceToSteadyState(env: MlsEnv, group: Group): Promise<void> {
  // The Remove commit of measureApply already put one past epoch into every state.
  for (let epoch = 1; epoch < RETAINED_EPOCHS; epoch++) {
    const { newState, commit } = await commitChanges(env, group.creator, []);
    for (const [leaf, state] of group.holders) {
      if (leaf !== 0) group.holders.set(leaf, (await processCommit(env, state, commit)).state);
    }
    group.creator = newState;
    group.holders.set(0, newState);
    process.stderr.write('.');
  }
  await assertSameEpoch(env, group.creator, [...group.holders.values()]);
}

/**
 * Every holder's state sealed into one temporary SQLite file through main/store, one row each (a real client
 * has its own file; sharing one here only saves opening hundreds of databases).
 */
function measureStateSizes(group: Group, joinedBytes: number[]): StateSizes {
  const temp = tempDir();
  try {
    const path = join(temp.path, 'states.db');
    const db = openDatabase(path, STORE_MIGRATIONS);
    const repository = new GroupStateRepository(db, aeadSecretBox(randomBytes(32)));
    const serializedBytes: number[] = [];
    const writeMs: number[] = [];
    for (const [leaf, state] of group.holders) {
      const start = performance.now();
      const bytes = serializeGroupState(state);
      const rowId = concatBytes(group.groupId, Uint8Array.of(leaf >> 8, leaf & 0xff));
      repository.create(rowId, epochOf(state), bytes, GROUP_STATE_FORMAT_VERSION);
      writeMs.push(performance.now() - start);
      serializedBytes.push(bytes.length);
    }
    // Move the WAL into the main file so its size is what stays on disk.
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return { joinedBytes, serializedBytes, fileBytes: statSync(path).size, writeMs };
  } finally {
    temp.remove();
  }
}

async function measureUnitCosts(env: MlsEnv): Promise<UnitCosts> {
  const msPerOp = async (operation: () => unknown) => 1000 / (await measure(operation, UNIT_COST_MS));
  const signature = env.cipherSuite.signature;
  const keys = await signature.keygen();
  const message = randomBytes(200);
  const signed = await signature.sign(keys.signKey, message);
  const leaf = (await memberKeyPackage(env, 'unit cost')).publicPackage.leafNode;
  const hpke = env.cipherSuite.hpke;
  const recipient = await hpke.generateKeyPair();
  const pathSecret = randomBytes(32);
  const info = te.encode('MLS 1.0 UpdatePathNode');
  const sealed = await hpke.seal(recipient.publicKey, pathSecret, info);
  return {
    ed25519Verify: await msPerOp(() => signature.verify(keys.publicKey, message, signed)),
    credentialCheck: await msPerOp(() =>
      identityAuthService.validateCredential(leaf.credential, leaf.signaturePublicKey),
    ),
    hpkeSeal: await msPerOp(() => hpke.seal(recipient.publicKey, pathSecret, info)),
    hpkeOpen: await msPerOp(() => hpke.open(recipient.privateKey, sealed.enc, sealed.ct, info)),
  };
}

async function measureGroup(env: MlsEnv, acceptAll: MlsEnv, size: number): Promise<GroupResult> {
  const group = await buildGroup(env, size);
  const joinedBytes = [...group.holders.values()].map((state) => serializeGroupState(state).length);
  const join = await measureJoin(env, acceptAll, group);
  const apply = await measureApply(env, group);
  await advanceToSteadyState(env, group);
  const state = measureStateSizes(group, joinedBytes);
  return { group, join, apply, state };
}

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ratio = (value: number, baseline: number) => `${(value / baseline).toFixed(2)}×`;

function joinTable(results: GroupResult[], unit: UnitCosts): string {
  return table(
    [
      'members N',
      'Add commit + Welcome created (ms)',
      'Welcome processed (ms)',
      'join total (ms)',
      'Welcome, accept-all credentials (ms)',
      'floor: N × (Ed25519 verify + credential check) (ms)',
      'Welcome ÷ floor',
    ],
    results.map(({ group, join }) => {
      const floor = group.size * (unit.ed25519Verify + unit.credentialCheck);
      return [
        group.size,
        ms(join.commitMs),
        ms(join.welcomeMs),
        ms(join.commitMs + join.welcomeMs),
        ms(join.welcomeAcceptAllMs),
        ms(floor),
        ratio(join.welcomeMs, floor),
      ];
    }),
  );
}

function applyTable(results: GroupResult[], unit: UnitCosts): string {
  const floor = unit.ed25519Verify + unit.hpkeOpen;
  return table(
    [
      'members N',
      'Remove commit created (ms)',
      'members applying (measured)',
      'per member median / max (ms)',
      'floor: Ed25519 verify + HPKE open (ms)',
      'median ÷ floor',
      'all N − 2 others, sequential (ms)',
    ],
    results.map(({ group, apply }) => {
      const perMember = median(apply.perMemberMs);
      const others = group.size - 2;
      const measuredAll = apply.perMemberMs.length === others;
      return [
        group.size,
        ms(apply.commitMs),
        apply.perMemberMs.length,
        `${ms(perMember)} / ${ms(Math.max(...apply.perMemberMs))}`,
        floor.toFixed(2),
        ratio(perMember, floor),
        measuredAll
          ? `${ms(apply.totalMs)} (measured)`
          : `${ms(perMember * others)} (extrapolated: ${others} × median)`,
      ];
    }),
  );
}

function sizeTable(results: GroupResult[]): string {
  return table(
    [
      'members N',
      'Add commit (PrivateMessage)',
      'Welcome (with ratchet tree)',
      'Welcome per member',
      'Remove commit (PrivateMessage)',
      'state serialized, just joined',
      `state serialized, ${RETAINED_EPOCHS} past epochs kept`,
      'SQLite file ÷ states stored',
      'serialize + seal + write per state, median (ms)',
    ],
    results.map(({ group, join, apply, state }) => [
      group.size,
      `${join.commitBytes} B`,
      kb(join.welcomeBytes),
      `${(join.welcomeBytes / group.size).toFixed(0)} B`,
      kb(apply.commitBytes),
      kb(median(state.joinedBytes)),
      kb(median(state.serializedBytes)),
      `${kb(state.fileBytes / state.serializedBytes.length)} (${state.serializedBytes.length} states)`,
      ms(median(state.writeMs)),
    ]),
  );
}

/** N=1000 ÷ N=100 for each measure, next to what O(log N) and O(N) scaling would give. */
function scalingTable(small: GroupResult, large: GroupResult): string {
  const measures: [string, (r: GroupResult) => number][] = [
    ['Add commit + Welcome created', (r) => r.join.commitMs],
    ['Welcome processed', (r) => r.join.welcomeMs],
    ['Remove commit created', (r) => r.apply.commitMs],
    ['commit applied, per member', (r) => median(r.apply.perMemberMs)],
    ['Welcome bytes', (r) => r.join.welcomeBytes],
    ['Remove commit bytes', (r) => r.apply.commitBytes],
    ['state bytes, steady state', (r) => median(r.state.serializedBytes)],
  ];
  const n = large.group.size / small.group.size;
  const log = Math.log2(large.group.size) / Math.log2(small.group.size);
  return table(
    ['measure', `N=${large.group.size} ÷ N=${small.group.size}`, `O(log N) would be`, `O(N) would be`],
    measures.map(([name, pick]) => [
      name,
      ratio(pick(large), pick(small)),
      `${log.toFixed(2)}×`,
      `${n.toFixed(0)}×`,
    ]),
  );
}

function unitTable(unit: UnitCosts): string {
  return table(
    ['operation (this run)', 'ms per op'],
    [
      ['Ed25519 verify, WebCrypto (ts-mls leaf and message signatures)', unit.ed25519Verify.toFixed(3)],
      [
        'identity credential check, @noble/curves Ed25519 (identityAuthService)',
        unit.credentialCheck.toFixed(3),
      ],
      ['HPKE seal, X25519 + AES-128-GCM (one path secret)', unit.hpkeSeal.toFixed(3)],
      ['HPKE open', unit.hpkeOpen.toFixed(3)],
    ],
  );
}

export async function runMlsGroupsBench(): Promise<string> {
  const suiteStart = performance.now();
  const load = loadavg()[0]!.toFixed(2);
  const env = await createMlsEnv({ provider: PROVIDER, authService: identityAuthService });
  // Without authService the facade accepts every credential: the baseline for what our checks cost.
  const acceptAll = await createMlsEnv({ provider: PROVIDER });
  const results: GroupResult[] = [];
  for (const size of GROUP_SIZES) results.push(await measureGroup(env, acceptAll, size));
  // Last, so the unit costs are measured with the same warmed-up JIT as the groups.
  const unit = await measureUnitCosts(env);
  process.stderr.write('\n');
  const builds = results.map((r) => `N=${r.group.size} ${(r.group.buildMs / 1000).toFixed(1)} s`).join(', ');
  return [
    `### MLS security groups (${PROVIDER} provider, identity credentials, all members in one process; ` +
      `join = median of ${JOIN_RUNS} runs, load average ${load} at start)`,
    '',
    joinTable(results, unit),
    '',
    applyTable(results, unit),
    '',
    sizeTable(results),
    '',
    scalingTable(results[0]!, results[1]!),
    '',
    unitTable(unit),
    '',
    `Group build (KeyPackages + one Add commit + Welcomes for the members holding a state): ${builds}; ` +
      `whole suite ${((performance.now() - suiteStart) / 1000).toFixed(0)} s.`,
  ].join('\n');
}
