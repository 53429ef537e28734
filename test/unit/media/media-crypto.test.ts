// The renderer worker's SFrame state, run in Node with the same WebCrypto backend: keys from the
// bridge's MediaKeyMaterial, the object identity as metadata (identical to what the Node core
// uses, so the core's own sframe-mls context reads renderer frames), and every failure typed.
import { describe, expect, it } from 'vitest';
import { fullTrackName } from '../../../common/codec/track-name.js';
import { webCryptoBackend } from '../../../common/sframe/backends/webcrypto.js';
import { SFrameError } from '../../../common/sframe/errors.js';
import { SFRAME_EXPORTER_LABEL, SFrameMlsContext } from '../../../common/sframe/mls-profile.js';
import { ObjectMetadataEncoder } from '../../../common/sframe/object-metadata.js';
import { nodeCryptoBackend } from '../../../common/sframe/backends/node-crypto.node.js';
import { MediaCrypto } from '../../../renderer/src/media/media-crypto.js';

const namespace = ['moq-studio', 'media', 'group-1'];
const baseKey = new Uint8Array(16).map((_, i) => i + 1);
const keys = (epoch: number, ownLeafIndex: number, key = baseKey) => ({
  epoch,
  baseKey: key,
  leafCount: 2,
  ownLeafIndex,
});
const frame = new TextEncoder().encode('a LOC frame');

async function pair() {
  const producer = new MediaCrypto(namespace, webCryptoBackend());
  const viewer = new MediaCrypto(namespace, webCryptoBackend());
  await producer.installKeys(keys(1, 0));
  await viewer.installKeys(keys(1, 1));
  producer.useSendEpoch({ epoch: 1, ownLeafIndex: 0 });
  return { producer, viewer };
}

const code = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SFrameError);
  return (error as SFrameError).code;
};

describe('MediaCrypto', () => {
  it('encrypts for other members and reports the epoch', async () => {
    const { producer, viewer } = await pair();
    const sealed = await producer.protect('video', 7, 3, frame);
    expect(sealed.epoch).toBe(1);
    const opened = await viewer.unprotect('video', 7, 3, sealed.ciphertext);
    expect(opened).toEqual({ plaintext: frame, epoch: 1, senderIndex: 0 });
  });

  it('binds the object identity: another track, group or object does not decrypt', async () => {
    const { producer, viewer } = await pair();
    const sealed = await producer.protect('video', 7, 3, frame);
    expect(await code(viewer.unprotect('audio', 7, 3, sealed.ciphertext))).toBe('authentication-failed');
    expect(await code(viewer.unprotect('video', 8, 3, sealed.ciphertext))).toBe('authentication-failed');
    expect(await code(viewer.unprotect('video', 7, 4, sealed.ciphertext))).toBe('authentication-failed');
    const other = new MediaCrypto(['moq-studio', 'media', 'group-2'], webCryptoBackend());
    await other.installKeys(keys(1, 1));
    expect(await code(other.unprotect('video', 7, 3, sealed.ciphertext))).toBe('authentication-failed');
  });

  it('matches the Node core: same metadata, same sframe-mls keys', async () => {
    const { producer } = await pair();
    const sealed = await producer.protect('catalog', 1, 0, frame);
    const core = new SFrameMlsContext({ backend: nodeCryptoBackend, ownLeafIndex: 1 });
    await core.installEpoch({
      epoch: 1n,
      leafCount: 2,
      exporter: (label, context, length) => {
        expect([label, context.length, length]).toEqual([SFRAME_EXPORTER_LABEL, 0, 16]);
        return baseKey;
      },
    });
    const metadata = new ObjectMetadataEncoder(fullTrackName(namespace, 'catalog')).encode(1n, 0n);
    expect((await core.unprotect(sealed.ciphertext, metadata)).plaintext).toEqual(frame);
  });

  it('drops frames before a send epoch and refuses unknown keys', async () => {
    const producer = new MediaCrypto(namespace, webCryptoBackend());
    expect(await code(producer.protect('video', 0, 0, frame))).toBe('no-send-key');
    await producer.installKeys(keys(1, 0));
    expect(await code(producer.protect('video', 0, 0, frame))).toBe('no-send-key');
    expect(() => producer.useSendEpoch({ epoch: 2, ownLeafIndex: 0 })).toThrow(SFrameError);
    const { producer: sender } = await pair();
    const sealed = await sender.protect('video', 0, 0, frame);
    const fresh = new MediaCrypto(namespace, webCryptoBackend());
    expect(await code(fresh.unprotect('video', 0, 0, sealed.ciphertext))).toBe('unknown-kid');
    const wrong = new MediaCrypto(namespace, webCryptoBackend());
    await wrong.installKeys(keys(1, 1, new Uint8Array(16).fill(9)));
    expect(await code(wrong.unprotect('video', 0, 0, sealed.ciphertext))).toBe('authentication-failed');
    expect(await code(wrong.unprotect('video', 0, 0, new Uint8Array([1, 2, 3])))).not.toBe('internal');
  });

  it('switches keys on a new send epoch; viewers read both epochs meanwhile', async () => {
    const { producer, viewer } = await pair();
    const key2 = new Uint8Array(16).fill(0x42);
    await producer.installKeys(keys(2, 0, key2));
    await viewer.installKeys(keys(2, 1, key2));
    const old = await producer.protect('video', 1, 0, frame);
    producer.useSendEpoch({ epoch: 2, ownLeafIndex: 0 });
    const next = await producer.protect('video', 1, 1, frame);
    expect([old.epoch, next.epoch]).toEqual([1, 2]);
    expect((await viewer.unprotect('video', 1, 0, old.ciphertext)).epoch).toBe(1);
    expect((await viewer.unprotect('video', 1, 1, next.ciphertext)).epoch).toBe(2);
  });

  it('treats a replayed epoch as a no-op and a changed key for it as a restart', async () => {
    const { producer, viewer } = await pair();
    await producer.installKeys(keys(1, 0));
    expect(producer.sendEpoch).toBe(1);
    const sealed = await producer.protect('video', 0, 0, frame);
    await viewer.installKeys(keys(1, 1, new Uint8Array(16).fill(7)));
    expect(await code(viewer.unprotect('video', 0, 0, sealed.ciphertext))).toBe('authentication-failed');
  });

  it('rejects identities that do not fit the metadata', async () => {
    const { producer } = await pair();
    expect(await code(producer.protect('video', -1, 0, frame))).toBe('invalid-argument');
    expect(await code(producer.protect('video', 0, 2 ** 53, frame))).toBe('invalid-argument');
    expect(await code(producer.protect('bogus' as 'video', 0, 0, frame))).toBe('invalid-argument');
  });
});
