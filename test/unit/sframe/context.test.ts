// SFrameContext behaviour for every backend and cipher suite: round trips, tamper detection,
// replay protection, counter uniqueness, usage limits and bounded key retention.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CIPHER_SUITES,
  SFrameContext,
  SFrameError,
  decodeHeader,
  type AeadBackend,
  type CipherSuite,
} from '../../../common/sframe/index.js';
import { allBackends, syncBackends } from '../../support/backends.js';

const baseKey = new Uint8Array(32).map((_, i) => i);
const metadata = new TextEncoder().encode('track=video group=7 object=3');

function pair(backend: AeadBackend, suite: CipherSuite, kid = 42n) {
  const sender = new SFrameContext({ backend, suite });
  sender.setSendKey(kid, baseKey);
  const receiver = new SFrameContext({ backend, suite });
  receiver.addReceiveKey(kid, baseKey);
  return { sender, receiver, kid };
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SFrameError);
    return (error as SFrameError).code;
  }
  throw new Error('expected a rejection, but the frame was accepted');
}

const cases = allBackends.flatMap((backend) =>
  CIPHER_SUITES.map((suite) => ({ backend, suite, label: `${backend.name} / ${suite.name}` })),
);

describe.each(cases)('SFrameContext — $label', ({ backend, suite }) => {
  it('round-trips frames of many sizes, including empty', async () => {
    const { sender, receiver, kid } = pair(backend, suite);
    for (const size of [0, 1, 15, 16, 17, 1000, 65_537]) {
      const plaintext = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
      const ciphertext = await sender.protect(kid, plaintext, metadata);
      expect(ciphertext.length).toBe(decodeHeader(ciphertext).length + size + suite.nt);
      const opened = await receiver.unprotect(ciphertext, metadata);
      expect(opened.plaintext).toEqual(plaintext);
    }
  });

  it('fails authentication when any bit of ciphertext, tag or metadata flips', async () => {
    const { sender, receiver, kid } = pair(backend, suite);
    const plaintext = new Uint8Array(24).fill(0xab);
    const ciphertext = await sender.protect(kid, plaintext, metadata);
    const headerLength = decodeHeader(ciphertext).length;
    for (let bit = headerLength * 8; bit < ciphertext.length * 8; bit++) {
      const tampered = ciphertext.slice();
      tampered[bit >> 3]! ^= 1 << (bit & 7);
      expect(await rejection(receiver.unprotect(tampered, metadata))).toBe('authentication-failed');
    }
    for (let bit = 0; bit < metadata.length * 8; bit += 7) {
      const tamperedMetadata = metadata.slice();
      tamperedMetadata[bit >> 3]! ^= 1 << (bit & 7);
      expect(await rejection(receiver.unprotect(ciphertext, tamperedMetadata))).toBe('authentication-failed');
    }
    // The untouched frame still decrypts: failed attempts did not poison the replay window.
    expect((await receiver.unprotect(ciphertext, metadata)).plaintext).toEqual(plaintext);
  });

  it('rejects every header bit flip without yielding plaintext', async () => {
    const { sender, receiver, kid } = pair(backend, suite, 300n);
    for (let i = 0; i < 20; i++) await sender.protect(kid, new Uint8Array(4), metadata); // CTR becomes multi-byte
    const ciphertext = await sender.protect(kid, new Uint8Array(10), metadata);
    const headerLength = decodeHeader(ciphertext).length;
    for (let bit = 0; bit < headerLength * 8; bit++) {
      const tampered = ciphertext.slice();
      tampered[bit >> 3]! ^= 1 << (bit & 7);
      expect(['authentication-failed', 'unknown-kid', 'malformed-header']).toContain(
        await rejection(receiver.unprotect(tampered, metadata)),
      );
    }
  });

  it('rejects replays, unknown KIDs and truncated frames', async () => {
    const { sender, receiver, kid } = pair(backend, suite);
    const ciphertext = await sender.protect(kid, new Uint8Array([1, 2, 3]), metadata);
    await receiver.unprotect(ciphertext, metadata);
    expect(await rejection(receiver.unprotect(ciphertext, metadata))).toBe('replay');

    const stranger = new SFrameContext({ backend, suite });
    stranger.setSendKey(kid + 1n, baseKey);
    expect(
      await rejection(receiver.unprotect(await stranger.protect(kid + 1n, new Uint8Array(3)), metadata)),
    ).toBe('unknown-kid');
    expect(await rejection(receiver.unprotect(ciphertext.subarray(0, 3), metadata))).toMatch(
      /authentication-failed|replay/,
    );
    expect(await rejection(receiver.unprotect(new Uint8Array(0), metadata))).toBe('malformed-header');
    expect(receiver.stats.rejected.replay).toBeGreaterThanOrEqual(1);
    expect(receiver.stats.rejected['unknown-kid']).toBe(1);
  });
});

describe.each(syncBackends)('SFrameContext properties — $name backend', (backend) => {
  it('round-trips random keys, KIDs, counters, suites and payloads', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CIPHER_SUITES),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 2n }),
        fc.uint8Array({ maxLength: 2048 }),
        fc.uint8Array({ maxLength: 64 }),
        (suite, key, kid, ctr, plaintext, meta) => {
          const sender = new SFrameContext({ backend, suite });
          sender.setSendKey(kid, key, ctr);
          const receiver = new SFrameContext({ backend, suite });
          receiver.addReceiveKey(kid, key);
          const ciphertext = sender.protectSync(kid, plaintext, meta);
          expect(decodeHeader(ciphertext)).toMatchObject({ kid, ctr });
          expect(receiver.unprotectSync(ciphertext, meta).plaintext).toEqual(plaintext);
          expect(() => receiver.unprotectSync(ciphertext, meta)).toThrowError(
            expect.objectContaining({ code: 'replay' }),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never reuses a counter, even when the same key is set again', () => {
    const context = new SFrameContext({ backend });
    context.setSendKey(9n, baseKey);
    const counters = new Set<bigint>();
    for (let i = 0; i < 50; i++) {
      counters.add(decodeHeader(context.protectSync(9n, new Uint8Array(1))).ctr);
      if (i % 10 === 0) context.setSendKey(9n, baseKey);
    }
    expect(counters.size).toBe(50);
  });

  it('reports counter reservations before using them, so a restart can resume past them', () => {
    const reservations: bigint[] = [];
    const context = new SFrameContext({
      backend,
      onCounterReserved: (_kid, upTo) => reservations.push(upTo),
    });
    context.setSendKey(1n, baseKey);
    for (let i = 0; i < 1500; i++) context.protectSync(1n, new Uint8Array(1));
    expect(reservations).toEqual([1024n, 2048n]);
    const restarted = new SFrameContext({ backend });
    restarted.setSendKey(1n, baseKey, reservations.at(-1)!);
    expect(decodeHeader(restarted.protectSync(1n, new Uint8Array(1))).ctr).toBe(2048n);
  });

  it('refuses to encrypt past the usage limit and past the last counter', () => {
    const limited = new SFrameContext({ backend, usageLimitBlocks: 10 });
    limited.setSendKey(1n, baseKey);
    limited.protectSync(1n, new Uint8Array(64)); // 5 blocks
    limited.protectSync(1n, new Uint8Array(64)); // 10 blocks
    expect(() => limited.protectSync(1n, new Uint8Array(1))).toThrowError(
      expect.objectContaining({ code: 'key-exhausted' }),
    );

    const nearEnd = new SFrameContext({ backend });
    nearEnd.setSendKey(1n, baseKey, (1n << 64n) - 1n);
    nearEnd.protectSync(1n, new Uint8Array(1));
    expect(() => nearEnd.protectSync(1n, new Uint8Array(1))).toThrowError(
      expect.objectContaining({ code: 'key-exhausted' }),
    );
  });

  it('says so when no send key is set', () => {
    const context = new SFrameContext({ backend });
    expect(() => context.protectSync(5n, new Uint8Array(1))).toThrowError(
      expect.objectContaining({ code: 'no-send-key' }),
    );
  });

  it('keeps retired keys for the retention window only, and never more than maxKeys', () => {
    let now = 1_000;
    const receiver = new SFrameContext({
      backend,
      retention: { retiredKeyTtlMs: 500, maxKeys: 3, now: () => now },
    });
    const sender = new SFrameContext({ backend });
    for (const kid of [1n, 2n]) {
      receiver.addReceiveKey(kid, baseKey, kid);
      sender.setSendKey(kid, baseKey);
    }
    receiver.retireReceiveKeys((tag) => tag === 1n);
    now += 499;
    expect(receiver.unprotectSync(sender.protectSync(1n, new Uint8Array(1))).kid).toBe(1n);
    now += 1;
    expect(() => receiver.unprotectSync(sender.protectSync(1n, new Uint8Array(1)))).toThrowError(
      expect.objectContaining({ code: 'unknown-kid' }),
    );
    for (const kid of [3n, 4n, 5n]) receiver.addReceiveKey(kid, baseKey);
    expect(receiver.receiveKeyCount).toBe(3);
    expect(() => receiver.unprotectSync(sender.protectSync(2n, new Uint8Array(1)))).toThrowError(
      expect.objectContaining({ code: 'unknown-kid' }),
    );
  });
});

describe('asynchronous backends', () => {
  it('refuse the synchronous API with a clear error', () => {
    const webcrypto = allBackends.find((backend) => !backend.synchronous)!;
    const context = new SFrameContext({ backend: webcrypto });
    context.setSendKey(1n, baseKey);
    expect(() => context.protectSync(1n, new Uint8Array(1))).toThrowError(/asynchronous/);
  });

  it('produce the same bytes as the synchronous ones', async () => {
    const outputs = await Promise.all(
      allBackends.map(async (backend) => {
        const context = new SFrameContext({ backend });
        context.setSendKey(77n, baseKey, 1000n);
        return context.protect(77n, new Uint8Array(300).fill(7), metadata);
      }),
    );
    for (const output of outputs) expect(output).toEqual(outputs[0]);
  });
});
