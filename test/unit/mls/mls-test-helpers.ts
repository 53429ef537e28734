// Test helpers for the MLS tests: RFC 9420 wire encodings and key-schedule steps rebuilt on top of the
// ciphersuite's KDF, so tests can check what an attacker (e.g. a removed member) could derive.
import { concatBytes as concat } from '../../../common/codec/bytes.js';
import { commitChanges, createKeyPackage, createMlsGroup, processWelcome } from '../../../main/mls/index.js';
import type { CiphersuiteImpl, ClientState, MemberKeyPackage, MlsEnv } from '../../../main/mls/index.js';

const te = new TextEncoder();

export { concat };

export function varint(n: number): Uint8Array {
  if (n < 64) return Uint8Array.of(n);
  if (n < 16384) return Uint8Array.of(0x40 | (n >> 8), n & 0xff);
  return Uint8Array.of(0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** opaque<V> */
export function vec(data: Uint8Array): Uint8Array {
  return concat(varint(data.length), data);
}

export function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

export function u32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

export function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** RFC 9420 §8 ExpandWithLabel. */
export function expandWithLabel(
  cs: CiphersuiteImpl,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const info = concat(u16(length), vec(te.encode(`MLS 1.0 ${label}`)), vec(context));
  return cs.kdf.expand(secret, info, length);
}

export function deriveSecret(cs: CiphersuiteImpl, secret: Uint8Array, label: string): Promise<Uint8Array> {
  return expandWithLabel(cs, secret, label, new Uint8Array(), cs.kdf.size);
}

/** GroupContext encoding (groups without GroupContext extensions only). */
export function encodeGroupContext(gc: ClientState['groupContext']): Uint8Array {
  if (gc.extensions.length !== 0) throw new Error('helper supports groups without extensions only');
  return concat(
    u16(gc.version),
    u16(gc.cipherSuite),
    vec(gc.groupId),
    u64(gc.epoch),
    vec(gc.treeHash),
    vec(gc.confirmedTranscriptHash),
    varint(0),
  );
}

/**
 * The exporter_secret of the epoch described by `gc`, computed from an init_secret with commit_secret = 0
 * and psk_secret = 0, i.e. what anybody holding the previous epoch's init_secret gets if a commit has no
 * UpdatePath (RFC 9420 §8).
 */
export async function exporterSecretWithoutPath(
  cs: CiphersuiteImpl,
  initSecret: Uint8Array,
  gc: ClientState['groupContext'],
): Promise<Uint8Array> {
  const zero = new Uint8Array(cs.kdf.size);
  const ctx = encodeGroupContext(gc);
  const joiner = await expandWithLabel(
    cs,
    await cs.kdf.extract(initSecret, zero),
    'joiner',
    ctx,
    cs.kdf.size,
  );
  const epoch = await expandWithLabel(cs, await cs.kdf.extract(joiner, zero), 'epoch', ctx, cs.kdf.size);
  return deriveSecret(cs, epoch, 'exporter');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Creator at leaf 0 adds the others in one commit; returns all members' states in leaf order. */
export async function makeGroup(env: MlsEnv, n: number): Promise<ClientState[]> {
  const kps: MemberKeyPackage[] = [];
  for (let i = 0; i < n; i++) kps.push(await createKeyPackage(env, te.encode(`member-${i}`)));
  const creator = await createMlsGroup(env, te.encode('group'), kps[0]!);
  const others = kps.slice(1);
  const out = await commitChanges(
    env,
    creator,
    others.map((k) => ({ kind: 'add' as const, keyPackage: k.publicPackage })),
  );
  const states = [out.newState];
  for (const k of others) states.push(await processWelcome(env, out.welcome!, k, out.newState.ratchetTree));
  return states;
}
