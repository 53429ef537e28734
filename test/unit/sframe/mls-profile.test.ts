// The sframe-mls profile: RFC 9605 §5.2 KID layout, per-sender keys, epoch transitions with a
// retention window, 2^E epoch rollover, and a removed member locked out of later epochs.
import { describe, expect, it } from 'vitest';
import { fullTrackName } from '../../../common/codec/track-name.js';
import {
  ObjectMetadataEncoder,
  SFrameError,
  SFrameMlsContext,
  composeKid,
  parseKid,
  senderBitsFor,
  type AeadBackend,
} from '../../../common/sframe/index.js';
import { allBackends } from '../../support/backends.js';
import { testExporter } from '../../support/test-exporter.js';

describe('MLS KID layout (RFC 9605 §5.2)', () => {
  const layout = { epochBits: 4, senderBits: 6 };
  it('matches the RFC example (E=4, S=6)', () => {
    expect(composeKid(layout, { contextId: 0n, senderIndex: 3, epoch: 14n })).toBe(0x3en);
    expect(composeKid(layout, { contextId: 0n, senderIndex: 7, epoch: 14n })).toBe(0x7en);
    expect(composeKid(layout, { contextId: 0n, senderIndex: 20, epoch: 14n })).toBe(0x14en);
    expect(composeKid(layout, { contextId: 0n, senderIndex: 5, epoch: 15n })).toBe(0x5fn);
    expect(composeKid(layout, { contextId: 2n, senderIndex: 2, epoch: 16n })).toBe(0x820n);
    expect(composeKid(layout, { contextId: 3n, senderIndex: 2, epoch: 16n })).toBe(0xc20n);
    expect(composeKid(layout, { contextId: 0n, senderIndex: 33, epoch: 17n })).toBe(0x211n);
    expect(parseKid(layout, 0xc20n)).toEqual({ contextId: 3n, senderIndex: 2, epochLowBits: 0n });
  });

  it('sizes S to the group and refuses indices and contexts that do not fit', () => {
    expect([1, 2, 3, 64, 65].map(senderBitsFor)).toEqual([0, 1, 2, 6, 7]);
    expect(() => composeKid(layout, { contextId: 0n, senderIndex: 64, epoch: 0n })).toThrow(SFrameError);
    expect(() => composeKid(layout, { contextId: 1n << 54n, senderIndex: 0, epoch: 0n })).toThrow(
      SFrameError,
    );
  });
});

async function member(backend: AeadBackend, leaf: number, now: () => number) {
  return new SFrameMlsContext({ backend, ownLeafIndex: leaf, retention: { retiredKeyTtlMs: 1000, now } });
}

async function install(members: SFrameMlsContext[], epoch: bigint, leafCount: number) {
  for (const m of members)
    await m.installEpoch({ epoch, leafCount, exporter: testExporter('group-1', epoch) });
}

describe.each(allBackends)('SFrameMlsContext — $name backend', (backend) => {
  const track = fullTrackName(['moq-studio', 'broadcast-1'], 'video');
  const metadataFor = new ObjectMetadataEncoder(track);

  it('lets every member decrypt every other member, and tells who sent it', async () => {
    const now = () => 0;
    const members = await Promise.all([0, 1, 2].map((leaf) => member(backend, leaf, now)));
    await install(members, 0n, 3);
    members.forEach((m) => m.useEpochForSending(0n));
    for (const sender of members) {
      const frame = await sender.protect(new Uint8Array([1, 2, 3]), metadataFor.encode(5n, 1n));
      for (const receiver of members.filter((m) => m !== sender)) {
        const opened = await receiver.unprotect(frame, metadataFor.encode(5n, 1n));
        expect(opened.plaintext).toEqual(new Uint8Array([1, 2, 3]));
        expect(opened.senderIndex).toBe(members.indexOf(sender));
        expect(opened.epoch).toBe(0n);
      }
    }
  });

  it('binds the MoQ object identity: a frame moved to another object fails', async () => {
    const members = await Promise.all([0, 1].map((leaf) => member(backend, leaf, () => 0)));
    await install(members, 3n, 2);
    members[0]!.useEpochForSending(3n);
    const frame = await members[0]!.protect(new Uint8Array(8), metadataFor.encode(10n, 0n));
    for (const moved of [
      metadataFor.encode(10n, 1n),
      metadataFor.encode(11n, 0n),
      new ObjectMetadataEncoder(fullTrackName(['moq-studio', 'broadcast-1'], 'audio')).encode(10n, 0n),
    ]) {
      await expect(members[1]!.unprotect(frame, moved)).rejects.toMatchObject({
        code: 'authentication-failed',
      });
    }
  });

  it('decrypts the old epoch during the retention window, then forgets it', async () => {
    let time = 0;
    const [alice, bob] = await Promise.all([0, 1].map((leaf) => member(backend, leaf, () => time)));
    await install([alice!, bob!], 1n, 2);
    alice!.useEpochForSending(1n);
    const oldFrame = await alice!.protect(new Uint8Array([1]));
    const lateOldFrame = await alice!.protect(new Uint8Array([2]));
    await install([alice!, bob!], 2n, 2);
    // New keys decrypt at once, but Alice keeps sending on epoch 1 until she switches.
    expect(alice!.currentSendEpoch).toBe(1n);
    expect((await bob!.unprotect(oldFrame)).epoch).toBe(1n);
    alice!.useEpochForSending(2n);
    expect((await bob!.unprotect(await alice!.protect(new Uint8Array([3])))).epoch).toBe(2n);
    time += 1000;
    await expect(bob!.unprotect(lateOldFrame)).rejects.toMatchObject({ code: 'unknown-kid' });
    expect(bob!.installedEpochs()).toEqual([2n]);
  });

  it('keeps at most 2^E epochs: a colliding newer epoch replaces the old one at once', async () => {
    const members = await Promise.all(
      [0, 1].map((leaf) => new SFrameMlsContext({ backend, ownLeafIndex: leaf, epochBits: 1 })),
    );
    await install(members, 0n, 2);
    members[0]!.useEpochForSending(0n);
    const epoch0Frame = await members[0]!.protect(new Uint8Array([0]));
    await install(members, 1n, 2);
    await install(members, 2n, 2); // same low bit as epoch 0
    expect(members[1]!.installedEpochs()).toEqual([1n, 2n]);
    await expect(members[1]!.unprotect(epoch0Frame)).rejects.toMatchObject({ code: 'authentication-failed' });
    // Announced again with the same key: a no-op. With another key, or an older epoch: refused.
    await members[1]!.installEpoch({ epoch: 2n, leafCount: 2, exporter: testExporter('group-1', 2n) });
    expect(members[1]!.installedEpochs()).toEqual([1n, 2n]);
    await expect(
      members[1]!.installEpoch({ epoch: 2n, leafCount: 2, exporter: testExporter('group-2', 2n) }),
    ).rejects.toThrow(/not newer/);
    await expect(
      members[1]!.installEpoch({ epoch: 0n, leafCount: 2, exporter: testExporter('group-1', 0n) }),
    ).rejects.toThrow(/not newer/);
  });

  it('locks a removed member out of everything sent after its removal', async () => {
    const [producer, viewer, removed] = await Promise.all(
      [0, 1, 2].map((leaf) => member(backend, leaf, () => 0)),
    );
    await install([producer!, viewer!, removed!], 4n, 3);
    producer!.useEpochForSending(4n);
    expect((await removed!.unprotect(await producer!.protect(new Uint8Array([4])))).epoch).toBe(4n);
    // The removal commit creates epoch 5; the removed member never learns its secrets.
    await install([producer!, viewer!], 5n, 3);
    producer!.useEpochForSending(5n);
    for (let i = 0; i < 5; i++) {
      const frame = await producer!.protect(new Uint8Array([5, i]));
      expect((await viewer!.unprotect(frame)).plaintext).toEqual(new Uint8Array([5, i]));
      await expect(removed!.unprotect(frame)).rejects.toMatchObject({ code: 'unknown-kid' });
    }
  });

  it('refuses to send before an epoch is selected', async () => {
    const alone = await member(backend, 0, () => 0);
    await expect(alone.protect(new Uint8Array(1))).rejects.toMatchObject({ code: 'no-send-key' });
    await alone.installEpoch({ epoch: 0n, leafCount: 1, exporter: testExporter('g', 0n) });
    expect(() => alone.useEpochForSending(1n)).toThrow(/not installed/);
  });
});
