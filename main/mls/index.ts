// The one module that imports ts-mls (RFC 9420 MLS). Everything else in MoQ Studio talks to MLS through this
// small typed facade, so the library (pinned and patched via patches/ts-mls+*.patch) can be upgraded or replaced.
import {
  bytesToBase64,
  createCommit,
  createGroup,
  defaultCredentialTypes,
  defaultProposalTypes,
  generateKeyPackage,
  getCiphersuiteImpl,
  joinGroup,
  mlsExporter,
  nobleCryptoProvider,
  processMessage,
  pskTypes,
  unsafeTestingAuthenticationService,
} from 'ts-mls';
import type {
  AuthenticationService,
  CiphersuiteImpl,
  CiphersuiteName,
  ClientState,
  KeyPackage,
  MlsFramedMessage,
  MlsMessage,
  PrivateKeyPackage,
  Proposal,
  Welcome,
} from 'ts-mls';

import { clientStateDecoder, clientStateEncoder, encode as tlsEncode } from 'ts-mls';

export type { CiphersuiteImpl, ClientState, KeyPackage, MlsFramedMessage, MlsMessage, Welcome };

export const DEFAULT_CIPHERSUITE: CiphersuiteName = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';

/** Crypto + policy shared by all groups of one client. */
export interface MlsEnv {
  readonly cipherSuite: CiphersuiteImpl;
  readonly authService: AuthenticationService;
  /** External PSKs by base64(psk_id); used when processing PSK proposals. */
  readonly externalPsks: Record<string, Uint8Array>;
}

export interface MlsEnvOptions {
  ciphersuite?: CiphersuiteName;
  /** 'noble' = pure-JS synchronous crypto (fast for many small ops), 'default' = WebCrypto. */
  provider?: 'noble' | 'default';
  /** Credential validation; defaults to accepting every credential (tests only). */
  authService?: AuthenticationService;
}

export async function createMlsEnv(options: MlsEnvOptions = {}): Promise<MlsEnv> {
  const name = options.ciphersuite ?? DEFAULT_CIPHERSUITE;
  const cipherSuite =
    options.provider === 'default'
      ? await getCiphersuiteImpl(name)
      : await getCiphersuiteImpl(name, nobleCryptoProvider);
  return {
    cipherSuite,
    authService: options.authService ?? unsafeTestingAuthenticationService,
    externalPsks: {},
  };
}

function context(env: MlsEnv) {
  return { cipherSuite: env.cipherSuite, authService: env.authService, externalPsks: env.externalPsks };
}

export interface MemberKeyPackage {
  readonly publicPackage: KeyPackage;
  readonly privatePackage: PrivateKeyPackage;
}

/** A KeyPackage with a basic credential carrying `identity`. */
export function createKeyPackage(env: MlsEnv, identity: Uint8Array): Promise<MemberKeyPackage> {
  return generateKeyPackage({
    credential: { credentialType: defaultCredentialTypes.basic, identity },
    cipherSuite: env.cipherSuite,
  });
}

export function createMlsGroup(
  env: MlsEnv,
  groupId: Uint8Array,
  own: MemberKeyPackage,
): Promise<ClientState> {
  return createGroup({
    context: context(env),
    groupId,
    keyPackage: own.publicPackage,
    privateKeyPackage: own.privatePackage,
  });
}

/** One change inside a commit. */
export type Change =
  | { kind: 'add'; keyPackage: KeyPackage }
  | { kind: 'remove'; leafIndex: number }
  | { kind: 'externalPsk'; pskId: Uint8Array };

function toProposal(env: MlsEnv, change: Change): Proposal {
  switch (change.kind) {
    case 'add':
      return { proposalType: defaultProposalTypes.add, add: { keyPackage: change.keyPackage } };
    case 'remove':
      return { proposalType: defaultProposalTypes.remove, remove: { removed: change.leafIndex } };
    case 'externalPsk':
      return {
        proposalType: defaultProposalTypes.psk,
        psk: {
          preSharedKeyId: {
            psktype: pskTypes.external,
            pskId: change.pskId,
            pskNonce: env.cipherSuite.rng.randomBytes(env.cipherSuite.kdf.size),
          },
        },
      };
  }
}

export interface CommitOutput {
  /** The committer's state for the next epoch (apply only once the commit is accepted). */
  readonly newState: ClientState;
  readonly commit: MlsFramedMessage;
  readonly welcome: Welcome | undefined;
}

/**
 * A commit by the member owning `state`. No changes = an update commit (fresh UpdatePath).
 * Encrypted (PrivateMessage) unless `publicMessage` is set.
 */
export async function commitChanges(
  env: MlsEnv,
  state: ClientState,
  changes: readonly Change[],
  options: { publicMessage?: boolean; ratchetTreeExtension?: boolean } = {},
): Promise<CommitOutput> {
  const result = await createCommit({
    context: context(env),
    state,
    extraProposals: changes.map((c) => toProposal(env, c)),
    wireAsPublicMessage: options.publicMessage ?? false,
    ratchetTreeExtension: options.ratchetTreeExtension ?? false,
  });
  return { newState: result.newState, commit: result.commit, welcome: result.welcome?.welcome };
}

export interface ProcessedCommit {
  readonly state: ClientState;
  /** True when the commit removed this member; its state then stays in the old epoch and is inert. */
  readonly removed: boolean;
}

/** Applies a commit received from another member. Throws if the commit is invalid. */
export async function processCommit(
  env: MlsEnv,
  state: ClientState,
  message: MlsFramedMessage,
): Promise<ProcessedCommit> {
  const result = await processMessage({ context: context(env), state, message });
  if (result.kind !== 'newState') throw new Error('expected a handshake message, got an application message');
  return { state: result.newState, removed: result.newState.groupActiveState.kind === 'removedFromGroup' };
}

/** Joins from a Welcome; `ratchetTree` is the public tree of the new epoch (if not in the Welcome). */
export function processWelcome(
  env: MlsEnv,
  welcome: Welcome,
  own: MemberKeyPackage,
  ratchetTree?: ClientState['ratchetTree'],
): Promise<ClientState> {
  return joinGroup({
    context: context(env),
    welcome,
    keyPackage: own.publicPackage,
    privateKeys: own.privatePackage,
    ...(ratchetTree !== undefined ? { ratchetTree } : {}),
  });
}

export function epochOf(state: ClientState): bigint {
  return state.groupContext.epoch;
}

export function leafIndexOf(state: ClientState): number {
  return state.privatePath.leafIndex;
}

export function isRemoved(state: ClientState): boolean {
  return state.groupActiveState.kind === 'removedFromGroup';
}

/** MLS-Exporter(label, context, length) of the state's current epoch (RFC 9420 §8.5). */
export function exportSecret(
  env: MlsEnv,
  state: ClientState,
  label: string,
  exporterContext: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return mlsExporter(state.keySchedule.exporterSecret, label, exporterContext, length, env.cipherSuite);
}

/** Registers an external PSK (RFC 9420 §8.4) under its psk_id. */
export function addExternalPsk(env: MlsEnv, pskId: Uint8Array, psk: Uint8Array): void {
  env.externalPsks[bytesToBase64(pskId)] = psk;
}

/**
 * Serialization format version of serializeGroupState(); stored next to the BLOB (main/store) so a
 * future ts-mls whose encoding changes can be detected instead of mis-decoded.
 */
export const GROUP_STATE_FORMAT_VERSION = 1;

/** ts-mls's own TLS encoding of the full ClientState (includes private keys: seal it before storing). */
export function serializeGroupState(state: ClientState): Uint8Array {
  return tlsEncode(clientStateEncoder, state);
}

/** Inverse of serializeGroupState; throws on malformed or trailing bytes. */
export function deserializeGroupState(bytes: Uint8Array): ClientState {
  const decoded = clientStateDecoder(bytes, 0);
  if (decoded === undefined) throw new Error('malformed MLS group state');
  if (decoded[1] !== bytes.length) throw new Error('trailing bytes after MLS group state');
  return decoded[0];
}
