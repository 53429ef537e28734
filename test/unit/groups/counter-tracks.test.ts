// The naming and object codecs of the epoch-counter variant (seeds 000/003) against hostile input:
// namespace announcements that are not exactly one well-formed party id, KeyPackage track objects
// that are not an identity-bound KeyPackage, Welcome track objects that are not a Welcome, and the
// local publisher's archive answering FETCH ranges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  counterPrefix,
  counterTrack,
  groupTrack,
  isPartyId,
  parsePartySuffix,
} from '../../../main/coordination/tracks.js';
import { partyIdOf } from '../../../main/groups/counter-transport.js';
import { LocalTrack } from '../../../main/groups/local-publisher.js';
import { generateIdentity } from '../../../main/mls/identity.js';
import { createIdentityKeyPackage, identityAuthService } from '../../../main/mls/identity-credential.js';
import { commitChanges, createKeyPackage, createMlsEnv, createMlsGroup } from '../../../main/mls/index.js';
import {
  GroupMessageError,
  decodeKeyPackageMessage,
  decodeWelcome,
  encodeKeyPackageMessage,
  encodeWelcome,
} from '../../../main/mls/messages.js';

const te = new TextEncoder();
const text = (ns: readonly Uint8Array[]) => ns.map((f) => new TextDecoder().decode(f));

describe('epoch-counter track naming', () => {
  it('names the seeds’ tracks with one namespace per party', () => {
    const id = 'a'.repeat(32);
    expect(text(counterPrefix('g', 'commits'))).toEqual(['moq-studio', 'mls', 'g', 'commits']);
    const commits = counterTrack('g', 'commits', id);
    expect(text(commits.namespace)).toEqual(['moq-studio', 'mls', 'g', 'commits', id]);
    expect(new TextDecoder().decode(commits.name)).toBe('commits');
    const welcome = counterTrack('g', 'welcome', id);
    expect(text(welcome.namespace)).toEqual(['moq-studio', 'mls', 'g', 'welcome', id]);
    expect(new TextDecoder().decode(welcome.name)).toBe(id);
    // Distinct from seed 002's namespace, so the coordinator's prefix never captures them.
    expect(text(groupTrack('g', 'commit').namespace)).toEqual(['moq-studio', 'group', 'g']);
  });

  it('refuses invalid group and party ids when naming', () => {
    expect(() => counterTrack('g', 'welcome', 'A'.repeat(32))).toThrow(RangeError);
    expect(() => counterTrack('g', 'welcome', 'ab')).toThrow(RangeError);
    expect(() => counterTrack('g/h', 'commits', 'a'.repeat(32))).toThrow(RangeError);
    expect(() => counterPrefix('', 'leaves')).toThrow(RangeError);
  });

  it('accepts only a suffix of exactly one lowercase hex id of 32..64 digits', () => {
    const id = partyIdOf(generateIdentity('A').publicKey);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(parsePartySuffix([te.encode(id)])).toBe(id);
    expect(parsePartySuffix([te.encode('f'.repeat(64))])).toBe('f'.repeat(64));
    const hostile = [
      [],
      [te.encode(id), te.encode(id)],
      [te.encode(id.toUpperCase())],
      [te.encode(`${id}/`)],
      [te.encode('f'.repeat(65))],
      [te.encode('f'.repeat(31))],
      [Uint8Array.of(0xff, 0xfe, ...te.encode('a'.repeat(32)))],
      [new Uint8Array(1 << 16)],
    ];
    for (const suffix of hostile) expect(parsePartySuffix(suffix)).toBeUndefined();
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 3 }), (suffix) => {
        const id = parsePartySuffix(suffix);
        return id === undefined || (suffix.length === 1 && isPartyId(id));
      }),
    );
  });
});

describe('KeyPackage and Welcome track objects', () => {
  it('round-trips a KeyPackage and reports the identity bound in its credential', async () => {
    const env = await createMlsEnv({ authService: identityAuthService });
    const identity = generateIdentity('Zoë');
    const kp = await createIdentityKeyPackage(env, identity);
    const decoded = decodeKeyPackageMessage(encodeKeyPackageMessage(kp.publicPackage));
    expect(decoded.identity.displayName).toBe('Zoë');
    expect(partyIdOf(decoded.identity.identityPublicKey)).toBe(partyIdOf(identity.publicKey));
  });

  it('rejects malformed KeyPackage objects with the field at fault', async () => {
    const env = await createMlsEnv({ authService: identityAuthService });
    const a = await createIdentityKeyPackage(env, generateIdentity('A'));
    const good = encodeKeyPackageMessage(a.publicPackage);
    const group = await createMlsGroup(env, te.encode('g'), a);
    const b = await createIdentityKeyPackage(env, generateIdentity('B'));
    const { welcome } = await commitChanges(env, group, [{ kind: 'add', keyPackage: b.publicPackage }], {
      ratchetTreeExtension: true,
    });
    const hostile: [Uint8Array, RegExp][] = [
      [new Uint8Array(), /key_package: malformed MLSMessage/],
      [good.subarray(0, good.length - 3), /key_package: malformed MLSMessage/],
      [Uint8Array.of(...good, 0), /key_package: trailing bytes/],
      [encodeWelcome(welcome!), /key_package: not a KeyPackage/],
      [Uint8Array.of(0, 1, 0, 5, ...new Uint8Array(40)), /key_package/],
    ];
    for (const [bytes, message] of hostile) {
      expect(() => decodeKeyPackageMessage(bytes)).toThrow(GroupMessageError);
      expect(() => decodeKeyPackageMessage(bytes)).toThrow(message);
    }
    // A KeyPackage whose credential is not identity-bound (a plain basic credential).
    const plain = await createKeyPackage(env, te.encode('x'));
    expect(() => decodeKeyPackageMessage(encodeKeyPackageMessage(plain.publicPackage))).toThrow(
      /key_package.credential/,
    );
    // Flipping any single byte never crashes the decoder: it either decodes or throws its error.
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const bytes = Uint8Array.from(good);
        bytes[at]! ^= mask;
        try {
          decodeKeyPackageMessage(bytes);
        } catch (error) {
          return error instanceof GroupMessageError;
        }
        return true;
      }),
      { numRuns: 200 },
    );
    expect(() => decodeWelcome(good)).toThrow(/welcome: not a Welcome/);
    expect(() => decodeWelcome(Uint8Array.of(1, 2, 3))).toThrow(/welcome: malformed MLSMessage/);
  });
});

describe('local track archive', () => {
  it('keeps objects in order, bounded, and refuses going backwards', async () => {
    const track = new LocalTrack(counterTrack('g', 'commits', 'a'.repeat(32)), 3);
    for (let g = 0n; g < 5n; g++) await track.publish(g, 0n, Uint8Array.of(Number(g)));
    expect(track.largest).toEqual({ group: 4n, object: 0n });
    expect(track.get(1n)).toBeUndefined();
    expect(track.get(2n)).toEqual(Uint8Array.of(2));
    await expect(track.publish(4n, 0n, new Uint8Array())).rejects.toThrow(RangeError);
    await expect(track.publish(3n, 1n, new Uint8Array())).rejects.toThrow(RangeError);
    await track.publish(4n, 1n, Uint8Array.of(41));
    expect(track.largest).toEqual({ group: 4n, object: 1n });
  });
});
