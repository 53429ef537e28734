// The secure-objects profile (seeds 000/003 key schedule + draft-ietf-moq-secure-objects framing).
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../common/codec/byte-reader.js';
import { bytesToHex } from '../../../common/codec/bytes.js';
import { encodeKeyValuePairs, readKeyValuePairs } from '../../../common/codec/key-value-pairs.js';
import { fullTrackName, serializeFullTrackName } from '../../../common/codec/track-name.js';
import {
  AES_128_GCM_SHA256_128,
  CIPHER_SUITES,
  KEY_ID_PROPERTY,
  ObjectReplayGuard,
  SecureObjectsContext,
  deriveEpochSecret,
  deriveTrackBaseKey,
  type AeadBackend,
} from '../../../common/sframe/index.js';
import { allBackends } from '../../support/backends.js';
import { testExporter } from '../../support/test-exporter.js';

const video = fullTrackName(['moq-studio', 'broadcast-1'], 'video');
const audio = fullTrackName(['moq-studio', 'broadcast-1'], 'audio');
const fields = (groupId: bigint, objectId: bigint, publisherPriority = 128) => ({
  groupId,
  objectId,
  publisherPriority,
});

async function contexts(backend: AeadBackend, epoch = 7n, suite = AES_128_GCM_SHA256_128, track = video) {
  const publisher = new SecureObjectsContext({ backend, track, suite });
  const subscriber = new SecureObjectsContext({ backend, track, suite });
  for (const context of [publisher, subscriber])
    await context.installEpoch(epoch, testExporter('group', epoch));
  publisher.useEpochForSending(epoch);
  return { publisher, subscriber };
}

describe('secure-objects key schedule', () => {
  it('depends on the epoch, the master key and the full track name', () => {
    const master = new Uint8Array(32).fill(1);
    const secret = deriveEpochSecret(AES_128_GCM_SHA256_128, 5n, master);
    expect(bytesToHex(secret)).not.toBe(bytesToHex(deriveEpochSecret(AES_128_GCM_SHA256_128, 6n, master)));
    expect(bytesToHex(secret)).not.toBe(
      bytesToHex(
        deriveEpochSecret(
          AES_128_GCM_SHA256_128,
          5n,
          master.map(() => 2),
        ),
      ),
    );
    const videoKey = deriveTrackBaseKey(AES_128_GCM_SHA256_128, secret, serializeFullTrackName(video));
    expect(videoKey.length).toBe(32);
    expect(bytesToHex(videoKey)).not.toBe(
      bytesToHex(deriveTrackBaseKey(AES_128_GCM_SHA256_128, secret, serializeFullTrackName(audio))),
    );
  });
});

describe.each(allBackends)('SecureObjectsContext — $name backend', (backend) => {
  it.each(CIPHER_SUITES)('round-trips objects with suite $name and carries KID = epoch', async (suite) => {
    const { publisher, subscriber } = await contexts(backend, 7n, suite);
    for (const [group, object] of [
      [0n, 0n],
      [0n, 1n],
      [1n, 0n],
      [(1n << 64n) - 1n, 0xffffffffn],
    ] as const) {
      const payload = new TextEncoder().encode(`frame ${group}/${object}`);
      const sent = await publisher.protect(fields(group, object), payload);
      expect(readKeyValuePairs(new ByteReader(sent.immutableProperties))).toEqual([
        { type: KEY_ID_PROPERTY, value: 7n },
      ]);
      const received = await subscriber.unprotect(
        fields(group, object),
        sent.immutableProperties,
        sent.payload,
      );
      expect(received).toEqual({ payload, keyId: 7n, encryptedProperties: [] });
    }
  });

  it('detects changes to group, object, priority, properties, payload or track', async () => {
    const { publisher, subscriber } = await contexts(backend);
    const sent = await publisher.protect(fields(3n, 4n), new Uint8Array(100).fill(9));
    const tampered = sent.payload.slice();
    tampered[50]! ^= 1;
    // Thunks, not promises: each attempt starts only when awaited, so none rejects unobserved.
    const attempts = [
      () => subscriber.unprotect(fields(3n, 5n), sent.immutableProperties, sent.payload),
      () => subscriber.unprotect(fields(4n, 4n), sent.immutableProperties, sent.payload),
      () => subscriber.unprotect(fields(3n, 4n, 1), sent.immutableProperties, sent.payload),
      () => subscriber.unprotect(fields(3n, 4n), sent.immutableProperties, tampered),
      () =>
        subscriber.unprotect(
          fields(3n, 4n),
          encodeKeyValuePairs([
            { type: KEY_ID_PROPERTY, value: 7n },
            { type: 0x3n, value: new Uint8Array([1]) },
          ]),
          sent.payload,
        ),
    ];
    for (const attempt of attempts) {
      await expect(attempt()).rejects.toMatchObject({ code: 'authentication-failed' });
    }
    const audioSubscriber = new SecureObjectsContext({ backend, track: audio });
    await audioSubscriber.installEpoch(7n, testExporter('group', 7n));
    await expect(
      audioSubscriber.unprotect(fields(3n, 4n), sent.immutableProperties, sent.payload),
    ).rejects.toMatchObject({
      code: 'authentication-failed',
    });
    expect(await subscriber.unprotect(fields(3n, 4n), sent.immutableProperties, sent.payload)).toMatchObject({
      keyId: 7n,
    });
  });

  it('rejects replays, unknown epochs, missing Key IDs and oversized object IDs', async () => {
    const { publisher, subscriber } = await contexts(backend);
    const sent = await publisher.protect(fields(1n, 1n), new Uint8Array([1]));
    await subscriber.unprotect(fields(1n, 1n), sent.immutableProperties, sent.payload);
    await expect(
      subscriber.unprotect(fields(1n, 1n), sent.immutableProperties, sent.payload),
    ).rejects.toMatchObject({
      code: 'replay',
    });
    const otherEpoch = encodeKeyValuePairs([{ type: KEY_ID_PROPERTY, value: 8n }]);
    await expect(subscriber.unprotect(fields(1n, 2n), otherEpoch, sent.payload)).rejects.toMatchObject({
      code: 'unknown-kid',
    });
    await expect(subscriber.unprotect(fields(1n, 2n), new Uint8Array(0), sent.payload)).rejects.toMatchObject(
      {
        code: 'malformed-header',
      },
    );
    await expect(
      subscriber.unprotect(fields(1n, 2n), new Uint8Array([0xff]), sent.payload),
    ).rejects.toMatchObject({
      code: 'malformed-header',
    });
    await expect(publisher.protect(fields(2n, 1n << 32n), new Uint8Array(1))).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });

  it('refuses to reuse a (group, object) nonce when sending', async () => {
    const { publisher } = await contexts(backend);
    await publisher.protect(fields(5n, 2n), new Uint8Array(1));
    await expect(publisher.protect(fields(5n, 2n), new Uint8Array(1))).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await expect(publisher.protect(fields(4n, 9n), new Uint8Array(1))).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await publisher.protect(fields(5n, 3n), new Uint8Array(1));
  });

  it('locks out a subscriber that does not have the new epoch', async () => {
    const { publisher, subscriber } = await contexts(backend, 1n);
    await publisher.installEpoch(2n, testExporter('group', 2n));
    publisher.useEpochForSending(2n);
    const sent = await publisher.protect(fields(9n, 0n), new Uint8Array([1]));
    await expect(
      subscriber.unprotect(fields(9n, 0n), sent.immutableProperties, sent.payload),
    ).rejects.toMatchObject({
      code: 'unknown-kid',
    });
  });
});

describe('ObjectReplayGuard', () => {
  it('tracks interleaved groups and refuses groups older than those it tracks', () => {
    const guard = new ObjectReplayGuard(2);
    for (const [g, o] of [
      [1n, 0n],
      [2n, 0n],
      [1n, 1n],
      [2n, 1n],
    ] as const) {
      expect(guard.check({ groupId: g, objectId: o })).toBe('fresh');
      guard.commit({ groupId: g, objectId: o });
    }
    expect(guard.check({ groupId: 1n, objectId: 1n })).toBe('duplicate');
    guard.commit({ groupId: 3n, objectId: 0n });
    expect(guard.check({ groupId: 1n, objectId: 5n })).toBe('too-old');
    expect(guard.check({ groupId: 2n, objectId: 5n })).toBe('fresh');
  });
});
