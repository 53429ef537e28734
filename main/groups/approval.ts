// Who may join a security group: the committer asks its approval policy about every join request,
// with the requester's verified identity (display name and fingerprint of the long-term key).
import { fingerprint } from '../mls/identity.js';
import type { VerifiedIdentity } from '../mls/identity.js';

export type ApprovalPolicy =
  /** A moderator decides each request (the 'join-request' event carries approve/deny). */
  | { readonly kind: 'manual' }
  /** Only these identity fingerprints (as `fingerprint()` prints them) are admitted; others are denied. */
  | { readonly kind: 'allowlist'; readonly fingerprints: readonly string[] }
  /** Everyone who asks is admitted (public broadcasts; the token, if any, is the gate). */
  | { readonly kind: 'open' };

export interface JoinRequest {
  readonly displayName: string;
  readonly fingerprint: string;
  readonly identityPublicKey: Uint8Array;
}

export function describeRequester(identity: VerifiedIdentity): JoinRequest {
  return {
    displayName: identity.displayName,
    fingerprint: fingerprint(identity.identityPublicKey),
    identityPublicKey: identity.identityPublicKey,
  };
}

const canonical = (fp: string) => fp.replace(/[^0-9A-Za-z]/g, '').toUpperCase();

/** 'approve' / 'deny' when the policy decides alone, 'ask' when a moderator must. */
export function decideByPolicy(policy: ApprovalPolicy, request: JoinRequest): 'approve' | 'deny' | 'ask' {
  switch (policy.kind) {
    case 'open':
      return 'approve';
    case 'allowlist':
      return policy.fingerprints.some((fp) => canonical(fp) === canonical(request.fingerprint))
        ? 'approve'
        : 'deny';
    case 'manual':
      return 'ask';
  }
}
