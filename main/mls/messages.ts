// The MLS messages a security group exchanges over the Coordination Service and MoQ tracks: MLSMessage
// encoding, seed 002's Request (join with a KeyPackage, leave with a self-Remove proposal) and
// CommitRequest structures, the KeyPackage / Welcome / leave objects of the seeds 000/003 tracks,
// and the checks a committer runs on a request before acting on it.
import {
  createProposal,
  defaultProposalTypes,
  encode,
  makeKeyPackageRef,
  mlsMessageDecoder,
  mlsMessageEncoder,
  processMessage,
  protocolVersions,
  wireformats,
} from 'ts-mls';
import type { ClientState, KeyPackage, MlsFramedMessage, MlsMessage, Welcome } from 'ts-mls';
import { parseCommitRequest, parseRequest } from '../coordination/mls-wire.js';
import { concatBytes } from '../../common/codec/bytes.js';
import { verifyLeafCredential } from './identity-credential.js';
import type { VerifiedIdentity } from './identity.js';
import type { MlsEnv } from './index.js';

/** A message that is not what the protocol expects at that place; `field` names the culprit. */
export class GroupMessageError extends Error {
  override readonly name = 'GroupMessageError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const REQUEST_JOIN = 1;
const REQUEST_LEAVE = 2;

export function encodeMlsMessage(message: MlsMessage): Uint8Array {
  return encode(mlsMessageEncoder, message);
}

/** Strict: the whole buffer must be exactly one MLSMessage. */
export function decodeMlsMessage(bytes: Uint8Array, field = 'message'): MlsMessage {
  let decoded: [MlsMessage, number] | undefined;
  try {
    decoded = mlsMessageDecoder(bytes, 0);
  } catch (error) {
    throw new GroupMessageError(field, `malformed MLSMessage (${(error as Error).message})`);
  }
  if (decoded === undefined) throw new GroupMessageError(field, 'malformed MLSMessage');
  if (decoded[1] !== bytes.length) throw new GroupMessageError(field, 'trailing bytes after the MLSMessage');
  return decoded[0];
}

export function decodeFramedMessage(bytes: Uint8Array, field = 'message'): MlsFramedMessage {
  const message = decodeMlsMessage(bytes, field);
  if (message.wireformat !== wireformats.mls_private_message) {
    throw new GroupMessageError(field, `expected a PrivateMessage, got wire format ${message.wireformat}`);
  }
  return message;
}

const welcomeMessage = (welcome: Welcome): MlsMessage => ({
  version: protocolVersions.mls10,
  wireformat: wireformats.mls_welcome,
  welcome,
});

/** Request { join; KeyPackage as MLSMessage }. */
export function encodeJoinRequest(keyPackage: KeyPackage): Uint8Array {
  return concatBytes(Uint8Array.of(REQUEST_JOIN), encodeKeyPackageMessage(keyPackage));
}

/** Request { leave; PrivateMessage carrying a Remove proposal of the sender's own leaf }. */
export function encodeLeaveRequest(proposal: MlsFramedMessage): Uint8Array {
  return concatBytes(Uint8Array.of(REQUEST_LEAVE), encodeMlsMessage(proposal));
}

export type GroupRequest =
  | { readonly type: 'join'; readonly keyPackage: KeyPackage; readonly identity: VerifiedIdentity }
  | { readonly type: 'leave'; readonly message: MlsFramedMessage };

/**
 * Decodes a RequestTrack object. The framing is checked strictly first (the same parser the
 * Coordination Service uses), then the content; a join's credential must carry a valid identity.
 */
export function decodeRequest(bytes: Uint8Array): GroupRequest {
  let parsed: ReturnType<typeof parseRequest>;
  try {
    parsed = parseRequest(bytes);
  } catch (error) {
    throw new GroupMessageError('request', (error as Error).message);
  }
  if (parsed.type === 'join') return { type: 'join', ...decodeKeyPackageMessage(parsed.keyPackage) };
  return { type: 'leave', message: decodeFramedMessage(parsed.message, 'remove') };
}

/**
 * An MLSMessage carrying a KeyPackage whose credential binds a valid identity: the body of a seed
 * 002 join request and the object of a seeds 000/003 KeyPackage track.
 */
export function decodeKeyPackageMessage(
  bytes: Uint8Array,
  field = 'key_package',
): { readonly keyPackage: KeyPackage; readonly identity: VerifiedIdentity } {
  const message = decodeMlsMessage(bytes, field);
  if (message.wireformat !== wireformats.mls_key_package) {
    throw new GroupMessageError(field, 'not a KeyPackage');
  }
  const leaf = message.keyPackage.leafNode;
  let identity: VerifiedIdentity;
  try {
    identity = verifyLeafCredential(leaf.credential, leaf.signaturePublicKey);
  } catch (error) {
    throw new GroupMessageError(`${field}.credential`, (error as Error).message);
  }
  return { keyPackage: message.keyPackage, identity };
}

/** A KeyPackage as an MLSMessage (a seeds 000/003 KeyPackage track object). */
export function encodeKeyPackageMessage(keyPackage: KeyPackage): Uint8Array {
  return encodeMlsMessage({
    version: protocolVersions.mls10,
    wireformat: wireformats.mls_key_package,
    keyPackage,
  });
}

/** CommitRequest { PrivateMessage commit; optional<Welcome> welcome }. */
export function encodeCommitRequest(commit: MlsFramedMessage, welcome?: Welcome): Uint8Array {
  const encoded = encodeMlsMessage(commit);
  const body = welcome
    ? concatBytes(encoded, Uint8Array.of(1), encodeMlsMessage(welcomeMessage(welcome)))
    : concatBytes(encoded, Uint8Array.of(0));
  // The service parses it with this parser; failing here gives the committer the precise reason.
  parseCommitRequest(body);
  return body;
}

export function encodeWelcome(welcome: Welcome): Uint8Array {
  return encodeMlsMessage(welcomeMessage(welcome));
}

export function decodeWelcome(bytes: Uint8Array): Welcome {
  const message = decodeMlsMessage(bytes, 'welcome');
  if (message.wireformat !== wireformats.mls_welcome) throw new GroupMessageError('welcome', 'not a Welcome');
  return message.welcome;
}

/** KeyPackageRef (RFC 9420 §5.2): how a Welcome names the joiners it is for. */
export function keyPackageRef(env: MlsEnv, keyPackage: KeyPackage): Promise<Uint8Array> {
  return makeKeyPackageRef(keyPackage, env.cipherSuite.hash);
}

/** Whether `welcome` carries group secrets for the KeyPackage whose reference is `ref`. */
export function welcomeIsFor(welcome: Welcome, ref: Uint8Array): boolean {
  return welcome.secrets.some((s) => Buffer.compare(Buffer.from(s.newMember), Buffer.from(ref)) === 0);
}

/**
 * The leave request body: a Remove proposal for our own leaf, in a PrivateMessage so every member
 * can check who sent it (ts-mls has no SelfRemove proposal type; a self-Remove is equivalent).
 */
export async function createSelfRemoveProposal(env: MlsEnv, state: ClientState): Promise<MlsFramedMessage> {
  const result = await createProposal({
    context: { cipherSuite: env.cipherSuite, authService: env.authService, externalPsks: env.externalPsks },
    state,
    proposal: {
      proposalType: defaultProposalTypes.remove,
      remove: { removed: state.privatePath.leafIndex },
    },
  });
  return result.message;
}

/**
 * Authenticates a leave request against `state` and returns the leaf that asked to leave. Throws
 * GroupMessageError unless it is a Remove proposal, sent by a member of this epoch, for its own leaf.
 * `state` is not changed: the committer commits the removal by value, so members that never saw
 * the proposal can still process the commit.
 */
export async function verifyLeaveRequest(
  env: MlsEnv,
  state: ClientState,
  message: MlsFramedMessage,
): Promise<number> {
  if (message.wireformat !== wireformats.mls_private_message) {
    throw new GroupMessageError('remove', 'a leave request must be a PrivateMessage');
  }
  if (message.privateMessage.epoch !== state.groupContext.epoch) {
    throw new GroupMessageError(
      'remove.epoch',
      `sent in epoch ${message.privateMessage.epoch}, the group is at ${state.groupContext.epoch}`,
    );
  }
  let processed: Awaited<ReturnType<typeof processMessage>>;
  try {
    processed = await processMessage({
      context: { cipherSuite: env.cipherSuite, authService: env.authService, externalPsks: env.externalPsks },
      state,
      message,
    });
  } catch (error) {
    throw new GroupMessageError('remove', `not authentic: ${(error as Error).message}`);
  }
  const before = new Set(Object.keys(state.unappliedProposals));
  const added = Object.entries(processed.newState.unappliedProposals).filter(([ref]) => !before.has(ref));
  const [entry] = added;
  if (added.length !== 1 || entry === undefined) {
    throw new GroupMessageError('remove', 'expected exactly one proposal');
  }
  const { proposal, senderLeafIndex } = entry[1];
  if (!('remove' in proposal) || senderLeafIndex === undefined) {
    throw new GroupMessageError('remove', 'a leave request carries a Remove proposal from a member');
  }
  if (proposal.remove.removed !== senderLeafIndex) {
    throw new GroupMessageError(
      'remove',
      `leaf ${senderLeafIndex} asked to remove leaf ${proposal.remove.removed}; only self-removal is a leave`,
    );
  }
  return senderLeafIndex;
}
