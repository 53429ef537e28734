// The typed StudioBridge contract between the renderer (via preload) and the main side. Commands and
// events are declared once, in the two tables below; channel names, the preload allowlist, the main
// side's handler map and the renderer's `window.studio` type are all derived from them.
import { arrayOf, boolean, noArgs, oneOf, partialObject, string, tuple } from './validators.js';
import type { ArgsValidator } from './validators.js';
import type {
  ApprovalPolicyName,
  CoreStats,
  EpochView,
  MediaKeyMaterial,
  MediaSendEpoch,
  MemberView,
  PendingJoinView,
  SessionStatus,
  StudioSettings,
  StudioSnapshot,
} from './studio-types.js';

/** A command: its argument validator at runtime, its result type at compile time only. */
export interface CommandSpec<Args extends readonly unknown[], Result> {
  readonly validateArgs: ArgsValidator<Args>;
  /** Never set; carries the result type so the table stays the single source of truth. */
  readonly resultType?: (result: Result) => Result;
}

/** An event pushed from main to the renderer; payloads come from trusted code, so no validator. */
export interface EventSpec<Payload> {
  readonly payloadType?: (payload: Payload) => Payload;
}

function command<Args extends readonly unknown[], Result>(
  validateArgs: ArgsValidator<Args>,
): CommandSpec<Args, Result> {
  return { validateArgs };
}

function event<Payload>(): EventSpec<Payload> {
  return {};
}

export interface VersionInfo {
  app: string;
  /** null when the bridge is served without Electron (browser mode). */
  electron: string | null;
  node: string;
}

// ---- the tables: add a command or an event here, then implement it in main/studio/index.ts ----

const APPROVAL_POLICIES: readonly ApprovalPolicyName[] = ['manual', 'allowlist', 'open'];
/** Identity fingerprints as MemberView / PendingJoinView show them (base32, in groups of four). */
const fingerprint = string({ maxLength: 128, pattern: /^[A-Z2-7][A-Z2-7 ]*$/ });
const requestId = string({ maxLength: 64, pattern: /^[A-Za-z0-9_-]+$/ });
const url = string({ maxLength: 2048, pattern: /^[a-z][a-z0-9+.-]*:\S*$/i });

const settingsPatch = partialObject<StudioSettings>({
  displayName: string({ maxLength: 64, pattern: /^[^\p{Cc}]+$/u }),
  embeddedServices: boolean,
  relayUrl: url,
  coordinatorUrl: url,
  approval: oneOf(APPROVAL_POLICIES),
  allowlist: arrayOf(fingerprint, { maxItems: 1000 }),
});

export const bridgeCommands = {
  getVersion: command<[], VersionInfo>(noArgs),
  /** Everything the UI shows, at once (events keep it current afterwards). */
  getSnapshot: command<[], StudioSnapshot>(noArgs),
  /** Changes some settings; returns all of them. Service URLs apply to the next broadcast. */
  updateSettings: command<[patch: Partial<StudioSettings>], StudioSettings>(tuple(settingsPatch)),
  /** Producer: creates a security group and goes live (phase 'live'); returns the invite link in the status. */
  createBroadcast: command<[title: string], SessionStatus>(
    tuple(string({ maxLength: 100, pattern: /^[^\p{Cc}]*$/u })),
  ),
  /** Viewer: asks to join the broadcast an invite link names (phase 'waiting-approval'). */
  joinBroadcast: command<[inviteLink: string], SessionStatus>(tuple(url)),
  /** Moderator: admits a pending joiner (batched with others into one commit). */
  approveJoin: command<[requestId: string], void>(tuple(requestId)),
  denyJoin: command<[requestId: string], void>(tuple(requestId)),
  /** Moderator: removes a member; it cannot decrypt anything sent after the removal commit. */
  removeMember: command<[fingerprint: string], void>(tuple(fingerprint)),
  /** Leaves the broadcast (a producer ends it); phase becomes 'left'. */
  leaveBroadcast: command<[], void>(noArgs),
} as const;

export const bridgeEvents = {
  /** The user started the app again; the existing window was brought to the front instead. */
  focusRequested: event<{ reason: 'second-instance' }>(),
  status: event<SessionStatus>(),
  epoch: event<EpochView>(),
  members: event<readonly MemberView[]>(),
  pendingJoins: event<readonly PendingJoinView[]>(),
  stats: event<CoreStats>(),
  /** A new epoch's media key: install for decryption now. */
  mediaKeys: event<MediaKeyMaterial>(),
  /** Start encrypting with this epoch's key (members acknowledged it or the timeout passed). */
  mediaSendEpoch: event<MediaSendEpoch>(),
} as const;

// ---- derived types ----

export type BridgeCommands = typeof bridgeCommands;
export type CommandName = keyof BridgeCommands;
export type CommandArgs<K extends CommandName> = ReturnType<BridgeCommands[K]['validateArgs']>;
export type CommandResult<K extends CommandName> =
  BridgeCommands[K] extends CommandSpec<readonly unknown[], infer R> ? R : never;

export type EventName = keyof typeof bridgeEvents;
export type EventPayload<K extends EventName> =
  (typeof bridgeEvents)[K] extends EventSpec<infer P> ? P : never;
/** What `onEvent` listeners receive: a discriminated union over the event table. */
export type BridgeEvent = { [K in EventName]: { name: K; payload: EventPayload<K> } }[EventName];

/** The object the preload exposes as `window.studio`. */
export type StudioBridge = {
  readonly [K in CommandName]: (...args: CommandArgs<K>) => Promise<CommandResult<K>>;
} & {
  /** Subscribes to main-side events; returns the unsubscribe function. */
  readonly onEvent: (listener: (event: BridgeEvent) => void) => () => void;
};

/** What the main side implements: one function per command, arguments already validated. */
export type CommandHandlers = {
  readonly [K in CommandName]: (...args: CommandArgs<K>) => Promise<CommandResult<K>> | CommandResult<K>;
};

// ---- channels: a fixed prefix so the main side can refuse anything outside the contract ----

const COMMAND_CHANNEL_PREFIX = 'studio:command:';
export const EVENT_CHANNEL = 'studio:event';

export const commandNames = Object.freeze(Object.keys(bridgeCommands) as CommandName[]);

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(bridgeCommands, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(bridgeEvents, name);
}

export function commandChannel(name: CommandName): string {
  return COMMAND_CHANNEL_PREFIX + name;
}

/** Validates raw arguments for `name`; throws BridgeArgumentError when they do not fit. */
export function validateCommandArgs<K extends CommandName>(
  name: K,
  args: readonly unknown[],
): CommandArgs<K> {
  return bridgeCommands[name].validateArgs(args) as CommandArgs<K>;
}
