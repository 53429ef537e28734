// Long-term member identity: an Ed25519 key pair plus a display name, carried in the MLS credential together
// with a signature binding the (per-device, per-key-package) MLS leaf signature key to the identity key, so a
// member cannot present someone else's identity key. Also the per-member fingerprint shown for manual checks.
import { concatBytes as concat } from '../../common/codec/bytes.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

export const IDENTITY_CREDENTIAL_VERSION = 1;
export const IDENTITY_KEY_LENGTH = 32;
export const BINDING_SIGNATURE_LENGTH = 64;
export const MAX_DISPLAY_NAME_BYTES = 64;
export const BINDING_LABEL = 'moq-studio identity binding v1';
export const FINGERPRINT_LABEL = 'moq-studio fingerprint v1';

const te = new TextEncoder();
// fatal: a credential whose name is not valid UTF-8 must be rejected, not repaired with U+FFFD.
const td = new TextDecoder('utf-8', { fatal: true });

export interface Identity {
  readonly displayName: string;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** What a verified credential tells about its member. */
export interface VerifiedIdentity {
  readonly displayName: string;
  readonly identityPublicKey: Uint8Array;
}

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

/**
 * NFC-normalises and validates a display name; returns its normalised form. NFC first, so the same name typed
 * on different platforms encodes to the same bytes (and so the same credential/verification inputs).
 */
export function normalizeDisplayName(name: string): string {
  const nfc = name.normalize('NFC');
  const length = te.encode(nfc).length;
  if (length === 0) throw new IdentityError('display name is empty');
  if (length > MAX_DISPLAY_NAME_BYTES) {
    throw new IdentityError(
      `display name is ${length} bytes of UTF-8, at most ${MAX_DISPLAY_NAME_BYTES} allowed`,
    );
  }
  // Control characters, line separators and bidi controls can make one name render like another. Other format
  // characters (e.g. the ZWJ inside emoji sequences) stay allowed.
  const bad = /[\p{Cc}\p{Zl}\p{Zp}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u.exec(nfc);
  if (bad) {
    const cp = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new IdentityError(`display name contains control character U+${cp}`);
  }
  return nfc;
}

export function generateIdentity(displayName: string): Identity {
  const privateKey = ed25519.utils.randomSecretKey();
  return {
    displayName: normalizeDisplayName(displayName),
    privateKey,
    publicKey: ed25519.getPublicKey(privateKey),
  };
}

/** Serialised identity for storage: { version u8 = 1, privateKey (32), nameLength u8, name }. Not encrypted. */
export function exportIdentity(identity: Identity): Uint8Array {
  const name = te.encode(normalizeDisplayName(identity.displayName));
  const out = new Uint8Array(1 + IDENTITY_KEY_LENGTH + 1 + name.length);
  out[0] = IDENTITY_CREDENTIAL_VERSION;
  out.set(identity.privateKey, 1);
  out[1 + IDENTITY_KEY_LENGTH] = name.length;
  out.set(name, 2 + IDENTITY_KEY_LENGTH);
  return out;
}

export function importIdentity(bytes: Uint8Array): Identity {
  const r = new Reader(bytes, 'stored identity');
  const version = r.u8();
  if (version !== IDENTITY_CREDENTIAL_VERSION)
    throw new IdentityError(`stored identity has unknown version ${version}`);
  const privateKey = r.bytes(IDENTITY_KEY_LENGTH).slice();
  const displayName = decodeName(r.bytes(r.u8()));
  r.end();
  return { displayName, privateKey, publicKey: ed25519.getPublicKey(privateKey) };
}

/**
 * The message the identity key signs: every credential field plus the leaf signature key, each length-prefixed
 * after a length-prefixed domain-separation label, so no other signed message of ours can collide with it.
 */
function bindingMessage(name: Uint8Array, identityPublicKey: Uint8Array, leafSignaturePublicKey: Uint8Array) {
  const label = te.encode(BINDING_LABEL);
  return concat(
    Uint8Array.of(label.length),
    label,
    Uint8Array.of(IDENTITY_CREDENTIAL_VERSION, name.length),
    name,
    identityPublicKey,
    u16(leafSignaturePublicKey.length),
    leafSignaturePublicKey,
  );
}

/**
 * Credential identity bytes: { version u8 = 1, nameLength u8 (1..64), name (UTF-8, NFC), identityPublicKey (32),
 * bindingSignature (64) }. The keys are fixed-size, so only the name needs a length prefix.
 */
export function encodeIdentityCredential(identity: Identity, leafSignaturePublicKey: Uint8Array): Uint8Array {
  const name = te.encode(normalizeDisplayName(identity.displayName));
  const signature = ed25519.sign(
    bindingMessage(name, identity.publicKey, leafSignaturePublicKey),
    identity.privateKey,
  );
  return concat(Uint8Array.of(IDENTITY_CREDENTIAL_VERSION, name.length), name, identity.publicKey, signature);
}

interface DecodedCredential extends VerifiedIdentity {
  readonly name: Uint8Array;
  readonly signature: Uint8Array;
}

function decodeIdentityCredential(bytes: Uint8Array): DecodedCredential {
  const r = new Reader(bytes, 'identity credential');
  const version = r.u8();
  if (version !== IDENTITY_CREDENTIAL_VERSION) {
    throw new IdentityError(`identity credential has unknown version ${version}`);
  }
  const name = r.bytes(r.u8());
  const displayName = decodeName(name);
  const identityPublicKey = r.bytes(IDENTITY_KEY_LENGTH).slice();
  const signature = r.bytes(BINDING_SIGNATURE_LENGTH);
  r.end();
  return { displayName, identityPublicKey, name, signature };
}

/**
 * The identity a credential claims, without checking its binding signature: for leaves of a tree the
 * authentication service already verified when they joined (re-verifying every leaf on every epoch
 * would cost one Ed25519 verification per member).
 */
export function claimedIdentity(bytes: Uint8Array): VerifiedIdentity {
  const c = decodeIdentityCredential(bytes);
  return { displayName: c.displayName, identityPublicKey: c.identityPublicKey };
}

/** Decodes the credential and checks the binding to `leafSignaturePublicKey`; throws IdentityError on any defect. */
export function verifyIdentityCredential(
  bytes: Uint8Array,
  leafSignaturePublicKey: Uint8Array,
): VerifiedIdentity {
  const c = decodeIdentityCredential(bytes);
  let ok: boolean;
  try {
    // zip215: false = RFC 8032 strict verification, so exactly one encoding of a signature is accepted.
    ok = ed25519.verify(
      c.signature,
      bindingMessage(c.name, c.identityPublicKey, leafSignaturePublicKey),
      c.identityPublicKey,
      {
        zip215: false,
      },
    );
  } catch {
    ok = false;
  }
  if (!ok)
    throw new IdentityError('identity credential binding signature is invalid for this leaf signature key');
  return { displayName: c.displayName, identityPublicKey: c.identityPublicKey };
}

/**
 * Per-member fingerprint: SHA-256(label ‖ identityPublicKey), first 160 bits as 8 groups of 4 RFC 4648 base32
 * characters (A–Z, 2–7: no 0/1 to confuse with O/I). Depends only on the long-term key, so stable across epochs.
 */
export function fingerprint(identityPublicKey: Uint8Array): string {
  if (identityPublicKey.length !== IDENTITY_KEY_LENGTH) {
    throw new IdentityError(`identity public key must be ${IDENTITY_KEY_LENGTH} bytes`);
  }
  const digest = sha256(concat(te.encode(FINGERPRINT_LABEL), identityPublicKey));
  const chars = base32(digest.subarray(0, 20));
  return chars.match(/.{4}/g)!.join(' ');
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(data: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of data) {
    acc = ((acc << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
  }
  return out; // callers pass a multiple of 5 bytes, so no bits are left over
}

function decodeName(name: Uint8Array): string {
  let s: string;
  try {
    s = td.decode(name);
  } catch {
    throw new IdentityError('display name is not valid UTF-8');
  }
  const nfc = normalizeDisplayName(s);
  // Non-NFC bytes would give one visible name two encodings (and two fingerprints of trust); reject them.
  if (nfc !== s) throw new IdentityError('display name is not NFC-normalised');
  return s;
}

class Reader {
  private offset = 0;
  constructor(
    private readonly data: Uint8Array,
    private readonly what: string,
  ) {}

  u8(): number {
    return this.bytes(1)[0]!;
  }

  bytes(n: number): Uint8Array {
    if (this.offset + n > this.data.length) throw new IdentityError(`${this.what} is truncated`);
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  end(): void {
    if (this.offset !== this.data.length) {
      throw new IdentityError(`${this.what} has ${this.data.length - this.offset} trailing bytes`);
    }
  }
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}
