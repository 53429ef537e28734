// The ts-mls side of member identity: key packages whose credential binds the leaf signature key to the
// long-term identity key, an AuthenticationService enforcing that binding, and reading members and the
// epoch authenticator from a ClientState (things main/mls/index.ts does not expose).
import { defaultCredentialTypes, generateKeyPackageWithKey, nodeTypes } from 'ts-mls';
import type { AuthenticationService, ClientState, Credential } from 'ts-mls';
import type { MemberKeyPackage, MlsEnv } from './index.js';
import {
  IdentityError,
  claimedIdentity,
  verifyIdentityCredential,
  encodeIdentityCredential,
} from './identity.js';
import type { Identity, VerifiedIdentity } from './identity.js';

/**
 * A key package for `identity`. The leaf signature key pair is generated first because the credential must
 * carry the identity key's signature over it.
 */
export async function createIdentityKeyPackage(env: MlsEnv, identity: Identity): Promise<MemberKeyPackage> {
  const signatureKeyPair = await env.cipherSuite.signature.keygen();
  return generateKeyPackageWithKey({
    credential: {
      credentialType: defaultCredentialTypes.basic,
      identity: encodeIdentityCredential(identity, signatureKeyPair.publicKey),
    },
    signatureKeyPair,
    cipherSuite: env.cipherSuite,
  });
}

/** Verifies a leaf's credential against its signature key; throws IdentityError if it is not ours or invalid. */
export function verifyLeafCredential(
  credential: Credential,
  signaturePublicKey: Uint8Array,
): VerifiedIdentity {
  if (credential.credentialType !== defaultCredentialTypes.basic || !('identity' in credential)) {
    throw new IdentityError(`unsupported credential type ${credential.credentialType}`);
  }
  return verifyIdentityCredential(credential.identity, signaturePublicKey);
}

/** Accepts only credentials produced by createIdentityKeyPackage, bound to the presented signature key. */
export const identityAuthService: AuthenticationService = {
  validateCredential(credential, signaturePublicKey) {
    try {
      verifyLeafCredential(credential, signaturePublicKey);
      return Promise.resolve(true);
    } catch {
      return Promise.resolve(false);
    }
  },
};

export interface GroupMemberIdentity extends VerifiedIdentity {
  readonly leafIndex: number;
}

/** The verified identities of all current members, in leaf order. Throws if any leaf has an invalid credential. */
export function groupMemberIdentities(state: ClientState): GroupMemberIdentity[] {
  const out: GroupMemberIdentity[] = [];
  state.ratchetTree.forEach((node, nodeIndex) => {
    if (node?.nodeType !== nodeTypes.leaf) return;
    // Leaves sit at the even node indices of the array-form tree (RFC 9420 Appendix C).
    const identity = verifyLeafCredential(node.leaf.credential, node.leaf.signaturePublicKey);
    out.push({ ...identity, leafIndex: nodeIndex / 2 });
  });
  return out;
}

/** The epoch authenticator of the state's epoch (RFC 9420 §8.7), kept by ts-mls in its key schedule. */
export function epochAuthenticatorOf(state: ClientState): Uint8Array {
  return state.keySchedule.epochAuthenticator;
}

export interface MemberLeaf extends VerifiedIdentity {
  readonly leafIndex: number;
  readonly signaturePublicKey: Uint8Array;
}

/**
 * Current members as their leaves claim them, without re-verifying credentials (ts-mls ran the
 * authentication service on each when it entered the tree). Cheap enough to call on every epoch.
 */
export function memberLeaves(state: ClientState): MemberLeaf[] {
  const out: MemberLeaf[] = [];
  state.ratchetTree.forEach((node, nodeIndex) => {
    if (node?.nodeType !== nodeTypes.leaf) return;
    const credential = node.leaf.credential;
    if (credential.credentialType !== defaultCredentialTypes.basic || !('identity' in credential)) return;
    out.push({
      ...claimedIdentity(credential.identity),
      leafIndex: nodeIndex / 2,
      signaturePublicKey: node.leaf.signaturePublicKey,
    });
  });
  return out;
}
