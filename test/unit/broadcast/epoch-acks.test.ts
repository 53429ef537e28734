// Epoch acks verify only for the epoch and leaf they were made for: a relay or a non-member cannot
// make a sender switch keys early.
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeAck, verifyAck } from '../../../main/broadcast/epoch-acks.js';
import { createMlsEnv } from '../../../main/mls/index.js';
import type { ClientState, MlsEnv } from '../../../main/mls/index.js';
import { makeGroup } from '../mls/mls-test-helpers.js';

describe('epoch acks', () => {
  let env: MlsEnv;
  let group: ClientState[];
  let otherGroup: ClientState[];

  beforeAll(async () => {
    env = await createMlsEnv();
    group = await makeGroup(env, 3);
    otherGroup = await makeGroup(env, 3);
  });

  it('verify for the member that made them', async () => {
    for (const [leaf, state] of group.entries()) {
      const ack = await encodeAck(env, state);
      await expect(verifyAck(env, group[0]!, ack)).resolves.toBe(leaf);
    }
  });

  it('refuse forged, altered, truncated and foreign acks', async () => {
    const ack = await encodeAck(env, group[1]!);
    const flipped = ack.slice();
    flipped[10]! ^= 1;
    const otherLeaf = ack.slice();
    otherLeaf[3] = 2; // claims leaf 2 with leaf 1's MAC
    const outOfRange = ack.slice();
    outOfRange[0] = 0xff;
    for (const bad of [
      flipped,
      otherLeaf,
      outOfRange,
      ack.subarray(0, 19),
      new Uint8Array(20),
      new Uint8Array(0),
    ]) {
      await expect(verifyAck(env, group[0]!, bad)).resolves.toBeUndefined();
    }
    // Made in another group (or another epoch): the exporter differs, so the MAC does.
    await expect(verifyAck(env, group[0]!, await encodeAck(env, otherGroup[1]!))).resolves.toBeUndefined();
  });
});
