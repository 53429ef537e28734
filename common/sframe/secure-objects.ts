// The secure-objects profile (seeds 000/003 + draft-ietf-moq-secure-objects). Key schedule:
//   MLS Master Key   = MLS-Exporter("MoQ SecureObjects Master Key", "", Nh)   (never a raw MLS secret)
//   Epoch Secret     = HKDF-Extract(salt = "SecureObject Epoch Master Key " || epoch (u64 BE), ikm = master key)
//   track_base_key   = HKDF-Expand(Epoch Secret, "SecureObject Track Base Key " || Serialized Full Track Name, Nh)
//   moq_key / salt   = HKDF-Expand(HKDF-Extract("", track_base_key),
//                        "MOQ 1.0 Secure Objects Secret key " / "MOQ 1.0 Secret salt "
//                        || Serialized Full Track Name || suite (u16) || Key ID (u64), Nk / Nn)
// KID = epoch, carried in the object's immutable Key ID property (type 0x2). The nonce is the salt
// XOR (Group ID (u64) || Object ID (u32)); the AAD is Group ID (u64) || Object ID (u32) || Publisher
// Priority (u8) || the serialized immutable properties. There is no SFrame header on the wire.
import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { concatBytes, utf8 } from '../codec/bytes.js';
import { DecodeError } from '../codec/errors.js';
import { encodeKeyValuePairs, readKeyValuePairs, type KeyValuePair } from '../codec/key-value-pairs.js';
import { serializeFullTrackName, type FullTrackName } from '../codec/track-name.js';
import { isPromise, type AeadBackend, type AeadKey, type MaybePromise } from './backends/types.js';
import { SFrameError } from './errors.js';
import { bigEndian, hkdfExpand, hkdfExtract } from './hkdf.js';
import { KeyRing, type RetentionPolicy } from './key-ring.js';
import type { MlsExporter } from './mls-profile.js';
import { ReplayWindow } from './replay-window.js';
import { DEFAULT_CIPHER_SUITE, type CipherSuite } from './suites.js';
import { DEFAULT_USAGE_LIMIT_BLOCKS, UsageMeter } from './usage-limits.js';

export const SECURE_OBJECTS_EXPORTER_LABEL = 'MoQ SecureObjects Master Key';
export const KEY_ID_PROPERTY = 0x2n;
export const ENCRYPTED_PROPERTIES_TYPE = 0xan;
const MAX_OBJECT_ID = 0xffffffffn;
const MAX_GROUP_ID = (1n << 64n) - 1n;
const EPOCH_LABEL = utf8('SecureObject Epoch Master Key ');
const TRACK_LABEL = utf8('SecureObject Track Base Key ');
const KEY_LABEL = utf8('MOQ 1.0 Secure Objects Secret key ');
const SALT_LABEL = utf8('MOQ 1.0 Secret salt ');

export function deriveEpochSecret(suite: CipherSuite, epoch: bigint, masterKey: Uint8Array): Uint8Array {
  return hkdfExtract(suite.hash, concatBytes(EPOCH_LABEL, bigEndian(epoch, 8)), masterKey);
}

export function deriveTrackBaseKey(
  suite: CipherSuite,
  epochSecret: Uint8Array,
  serializedTrack: Uint8Array,
): Uint8Array {
  return hkdfExpand(suite.hash, epochSecret, concatBytes(TRACK_LABEL, serializedTrack), suite.nh);
}

export function deriveObjectKeyAndSalt(
  suite: CipherSuite,
  keyId: bigint,
  trackBaseKey: Uint8Array,
  serializedTrack: Uint8Array,
): { key: Uint8Array; salt: Uint8Array } {
  const secret = hkdfExtract(suite.hash, new Uint8Array(0), trackBaseKey);
  const suffix = concatBytes(serializedTrack, bigEndian(suite.id, 2), bigEndian(keyId, 8));
  return {
    key: hkdfExpand(suite.hash, secret, concatBytes(KEY_LABEL, suffix), suite.nk),
    salt: hkdfExpand(suite.hash, secret, concatBytes(SALT_LABEL, suffix), suite.nn),
  };
}

export interface SecureObjectFields {
  readonly groupId: bigint;
  readonly objectId: bigint;
  readonly publisherPriority: number;
}

export interface ProtectedObject {
  /** The new object payload. */
  readonly payload: Uint8Array;
  /** The immutable properties to send with the object (they include the Key ID). */
  readonly immutableProperties: Uint8Array;
}

export interface UnprotectedObject {
  readonly payload: Uint8Array;
  readonly keyId: bigint;
  /** The Encrypted Properties List's key-value pairs, if the publisher sent any. */
  readonly encryptedProperties: KeyValuePair[];
}

export interface SecureObjectsOptions {
  readonly backend: AeadBackend;
  readonly track: FullTrackName;
  readonly suite?: CipherSuite;
  readonly retention?: Partial<RetentionPolicy>;
  readonly replayWindow?: number;
  /** How many groups per key keep replay state; older groups are refused. */
  readonly trackedGroups?: number;
  readonly usageLimitBlocks?: number;
}

interface TrackKey {
  readonly keyId: bigint;
  readonly key: MaybePromise<AeadKey>;
  readonly salt: Uint8Array;
  readonly replay: ObjectReplayGuard;
  readonly usage: UsageMeter;
  /** Highest (group, object) this member sent under the key: nonces must only move forward. */
  lastSent: { groupId: bigint; objectId: bigint } | undefined;
}

/** Encrypts and decrypts the objects of one track under epoch keys from MLS. */
export class SecureObjectsContext {
  readonly suite: CipherSuite;
  private readonly serializedTrack: Uint8Array;
  private readonly keys: KeyRing<TrackKey>;
  private sendKeyId: bigint | undefined;

  constructor(private readonly options: SecureObjectsOptions) {
    this.suite = options.suite ?? DEFAULT_CIPHER_SUITE;
    this.serializedTrack = serializeFullTrackName(options.track);
    this.keys = new KeyRing<TrackKey>(options.retention);
  }

  /** Installs the epoch's key (KID = epoch) for decryption; older epochs start their retention clock. */
  async installEpoch(epoch: bigint, exporter: MlsExporter): Promise<void> {
    const masterKey = await exporter(SECURE_OBJECTS_EXPORTER_LABEL, new Uint8Array(0), this.suite.nh);
    const trackBaseKey = deriveTrackBaseKey(
      this.suite,
      deriveEpochSecret(this.suite, epoch, masterKey),
      this.serializedTrack,
    );
    const { key, salt } = deriveObjectKeyAndSalt(this.suite, epoch, trackBaseKey, this.serializedTrack);
    this.keys.retire((keyId) => keyId !== epoch);
    this.keys.set(epoch, {
      keyId: epoch,
      key: this.options.backend.importKey(this.suite, key),
      salt,
      replay: new ObjectReplayGuard(this.options.trackedGroups, this.options.replayWindow),
      usage: new UsageMeter(this.options.usageLimitBlocks ?? DEFAULT_USAGE_LIMIT_BLOCKS),
      lastSent: undefined,
    });
  }

  useEpochForSending(epoch: bigint): void {
    if (!this.keys.has(epoch)) throw new SFrameError('unknown-kid', `epoch ${epoch} is not installed`);
    this.sendKeyId = epoch;
  }

  async protect(fields: SecureObjectFields, payload: Uint8Array): Promise<ProtectedObject> {
    if (this.sendKeyId === undefined)
      throw new SFrameError('no-send-key', 'no epoch has been selected for sending');
    const state = this.keys.get(this.sendKeyId);
    if (!state) throw new SFrameError('no-send-key', `the key of epoch ${this.sendKeyId} is no longer held`);
    checkFields(fields);
    const last = state.lastSent;
    if (
      last &&
      (fields.groupId < last.groupId || (fields.groupId === last.groupId && fields.objectId <= last.objectId))
    ) {
      throw new SFrameError(
        'invalid-argument',
        'objects must be protected in increasing (group, object) order',
      );
    }
    const plaintext = new ByteWriter(payload.length + 8).lengthPrefixed(payload).finish();
    state.usage.charge(plaintext.length);
    state.lastSent = { groupId: fields.groupId, objectId: fields.objectId };
    const immutableProperties = encodeKeyValuePairs([{ type: KEY_ID_PROPERTY, value: state.keyId }]);
    const key = isPromise(state.key) ? await state.key : state.key;
    const sealed = await key.seal(
      nonceFor(state.salt, fields),
      aadFor(fields, immutableProperties),
      plaintext,
      EMPTY,
    );
    return { payload: sealed, immutableProperties };
  }

  async unprotect(
    fields: SecureObjectFields,
    immutableProperties: Uint8Array,
    payload: Uint8Array,
  ): Promise<UnprotectedObject> {
    checkFields(fields);
    const keyId = readKeyId(immutableProperties);
    const state = this.keys.get(keyId);
    if (!state) throw new SFrameError('unknown-kid', `no key for Key ID ${keyId}`);
    if (state.replay.check(fields) !== 'fresh')
      throw new SFrameError('replay', 'object was already accepted or is too old');
    const key = isPromise(state.key) ? await state.key : state.key;
    const plaintext = await key.open(
      nonceFor(state.salt, fields),
      aadFor(fields, immutableProperties),
      payload,
    );
    if (state.replay.check(fields) !== 'fresh')
      throw new SFrameError('replay', 'object was already accepted');
    const parsed = parsePlaintext(plaintext);
    state.replay.commit(fields);
    return { ...parsed, keyId };
  }
}

const EMPTY = new Uint8Array(0);

function checkFields(fields: SecureObjectFields): void {
  if (fields.groupId < 0n || fields.groupId > MAX_GROUP_ID)
    throw new SFrameError('invalid-argument', 'group ID out of range');
  if (fields.objectId < 0n || fields.objectId > MAX_OBJECT_ID) {
    // The profile's 96-bit nonce holds a 32-bit object ID; larger objects MUST NOT be processed.
    throw new SFrameError('invalid-argument', `object ID ${fields.objectId} exceeds 2^32-1`);
  }
  if (
    !Number.isInteger(fields.publisherPriority) ||
    fields.publisherPriority < 0 ||
    fields.publisherPriority > 255
  ) {
    throw new SFrameError('invalid-argument', 'publisher priority must be 0..255');
  }
}

function nonceFor(salt: Uint8Array, fields: SecureObjectFields): Uint8Array {
  const counter = new Uint8Array(12);
  const view = new DataView(counter.buffer);
  view.setBigUint64(0, fields.groupId);
  view.setUint32(8, Number(fields.objectId));
  for (let i = 0; i < 12; i++) counter[i] = counter[i]! ^ salt[i]!;
  return counter;
}

function aadFor(fields: SecureObjectFields, immutableProperties: Uint8Array): Uint8Array {
  const aad = new Uint8Array(13 + immutableProperties.length);
  const view = new DataView(aad.buffer);
  view.setBigUint64(0, fields.groupId);
  view.setUint32(8, Number(fields.objectId));
  view.setUint8(12, fields.publisherPriority);
  aad.set(immutableProperties, 13);
  return aad;
}

function readKeyId(immutableProperties: Uint8Array): bigint {
  let pairs: KeyValuePair[];
  try {
    pairs = readKeyValuePairs(new ByteReader(immutableProperties));
  } catch (error) {
    throw new SFrameError('malformed-header', `immutable properties: ${(error as Error).message}`);
  }
  const keyIds = pairs.filter((pair) => pair.type === KEY_ID_PROPERTY);
  if (keyIds.length !== 1 || typeof keyIds[0]!.value !== 'bigint') {
    throw new SFrameError(
      'malformed-header',
      'the object must carry exactly one Secure Object Key ID property',
    );
  }
  return keyIds[0]!.value;
}

function parsePlaintext(plaintext: Uint8Array): { payload: Uint8Array; encryptedProperties: KeyValuePair[] } {
  try {
    const reader = new ByteReader(plaintext);
    const payload = reader.lengthPrefixed(plaintext.length);
    if (reader.remaining === 0) return { payload, encryptedProperties: [] };
    if (reader.varintBig() !== ENCRYPTED_PROPERTIES_TYPE) {
      throw new DecodeError('invalid', 'trailing data is not an Encrypted Properties List');
    }
    const list = reader.lengthPrefixed(reader.remaining);
    if (reader.remaining !== 0) throw new DecodeError('invalid', 'bytes after the Encrypted Properties List');
    return { payload, encryptedProperties: readKeyValuePairs(new ByteReader(list)) };
  } catch (error) {
    throw new SFrameError('malformed-plaintext', (error as Error).message);
  }
}

/**
 * Anti-replay for objects: a sliding window over object IDs for each of the most recent groups.
 * Groups arrive on separate streams and may interleave, so one window over a combined counter
 * would wrongly refuse the tail of a group once the next one starts.
 */
export class ObjectReplayGuard {
  private readonly groups = new Map<bigint, ReplayWindow>();
  /** Groups at or below this were evicted and are refused. */
  private floor = -1n;

  constructor(
    private readonly trackedGroups = 8,
    private readonly windowSize?: number,
  ) {}

  check(fields: { groupId: bigint; objectId: bigint }): 'fresh' | 'duplicate' | 'too-old' {
    if (fields.groupId <= this.floor) return 'too-old';
    return this.groups.get(fields.groupId)?.check(fields.objectId) ?? 'fresh';
  }

  commit(fields: { groupId: bigint; objectId: bigint }): void {
    let window = this.groups.get(fields.groupId);
    if (!window) {
      window = new ReplayWindow(this.windowSize);
      this.groups.set(fields.groupId, window);
      while (this.groups.size > this.trackedGroups) {
        const oldest = [...this.groups.keys()].reduce((a, b) => (a < b ? a : b));
        this.groups.delete(oldest);
        if (oldest > this.floor) this.floor = oldest;
      }
    }
    window.commit(fields.objectId);
  }
}
