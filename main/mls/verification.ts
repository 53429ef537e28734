// Out-of-band verification codes: a per-epoch group code (everyone in the same epoch with the same members
// reads the same 30 digits) and a pairwise code two people compare to check each other's identity keys.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ClientState } from './index.js';
import { concatBytes as concat } from '../../common/codec/bytes.js';
import { IDENTITY_KEY_LENGTH, IdentityError } from './identity.js';
import { epochAuthenticatorOf, groupMemberIdentities } from './identity-credential.js';

export const VERIFICATION_CODE_LABEL = 'moq-studio verification code v1';
export const PAIRWISE_CODE_LABEL = 'moq-studio pairwise code v1';

const te = new TextEncoder();

/**
 * DAVE's displayable code (a variant of Signal's): each group of `groupSize` digits is the next `groupSize`
 * input bytes as a big-endian integer mod 10^groupSize.
 */
export function displayableCode(data: Uint8Array, digits: number, groupSize: number): string {
  if (groupSize < 1 || groupSize >= 8) throw new RangeError('group size must be 1..7');
  if (digits % groupSize !== 0) throw new RangeError('code length must be a multiple of the group size');
  if (data.length < digits) throw new RangeError(`need ${digits} input bytes, got ${data.length}`);
  const groups: string[] = [];
  for (let g = 0; g < digits / groupSize; g++) {
    let n = 0n;
    for (let i = 0; i < groupSize; i++) n = (n << 8n) | BigInt(data[g * groupSize + i]!);
    groups.push((n % 10n ** BigInt(groupSize)).toString().padStart(groupSize, '0'));
  }
  return groups.join(' ');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Sorted (so independent of leaf order), count-prefixed concatenation of fixed-size identity keys. */
function sortedKeys(keys: readonly Uint8Array[]): Uint8Array {
  for (const k of keys) {
    if (k.length !== IDENTITY_KEY_LENGTH)
      throw new IdentityError(`identity public key must be ${IDENTITY_KEY_LENGTH} bytes`);
  }
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, keys.length);
  return concat(count, ...[...keys].sort(compareBytes));
}

/**
 * Per-epoch code: HKDF-SHA256(IKM = epoch_authenticator, info = label ‖ sorted identity keys) → 30 bytes →
 * 6 groups of 5 digits. The epoch authenticator already commits to the whole group state (tree, credentials,
 * epoch secrets); the identity keys are mixed in again so the code visibly depends on who is in the call.
 * Duplicates are kept: one identity on two devices is a different member set than on one.
 */
export function epochVerificationCode(
  epochAuthenticator: Uint8Array,
  identityKeys: readonly Uint8Array[],
): string {
  const info = concat(te.encode(VERIFICATION_CODE_LABEL), sortedKeys(identityKeys));
  return displayableCode(hkdf(sha256, epochAuthenticator, undefined, info, 30), 30, 5);
}

/** The per-epoch code of `state`'s current epoch and members. */
export function verificationCodeOf(state: ClientState): string {
  const keys = groupMemberIdentities(state).map((m) => m.identityPublicKey);
  return epochVerificationCode(epochAuthenticatorOf(state), keys);
}

/**
 * Pairwise code for two members: HKDF-SHA256(IKM = both identity keys sorted, info = label) → 45 bytes →
 * 9 groups of 5 digits (DAVE's pairwise length). Symmetric and, like Signal safety numbers, bound to the
 * long-term keys only, so a verified pair stays verified across epochs and calls.
 */
export function pairwiseCode(identityKeyA: Uint8Array, identityKeyB: Uint8Array): string {
  const ikm = sortedKeys([identityKeyA, identityKeyB]);
  return displayableCode(hkdf(sha256, ikm, undefined, te.encode(PAIRWISE_CODE_LABEL), 45), 45, 5);
}
