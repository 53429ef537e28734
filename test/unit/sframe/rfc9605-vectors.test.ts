// Every case of the official RFC 9605 test vectors, for every AEAD backend.
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../../common/codec/bytes.js';
import {
  SFrameContext,
  cipherSuiteById,
  decodeHeader,
  deriveSFrameKeyAndSalt,
  encodeHeader,
  formNonce,
  sframeLabels,
} from '../../../common/sframe/index.js';
import { allBackends } from '../../support/backends.js';
import { aeadVectors, headerVectors, sframeVectors } from '../../support/sframe-vectors.js';

describe('RFC 9605 header vectors', () => {
  it(`encodes and decodes all ${headerVectors.length} header cases`, () => {
    expect(headerVectors.length).toBeGreaterThan(250);
    for (const vector of headerVectors) {
      expect(bytesToHex(encodeHeader(vector.kid, vector.ctr))).toBe(bytesToHex(vector.encoded));
      expect(decodeHeader(vector.encoded)).toEqual({
        kid: vector.kid,
        ctr: vector.ctr,
        length: vector.encoded.length,
      });
    }
  });
});

describe.each(allBackends)('RFC 9605 AEAD vectors — $name backend', (backend) => {
  it.each(aeadVectors)('AES-CTR+HMAC suite $cipherSuite seals and opens', async (vector) => {
    const suite = cipherSuiteById(vector.cipherSuite);
    expect(bytesToHex(vector.key)).toBe(bytesToHex(new Uint8Array([...vector.encKey, ...vector.authKey])));
    const key = await backend.importKey(suite, vector.key);
    const sealed = await key.seal(vector.nonce, vector.aad, vector.pt, new Uint8Array(0));
    expect(bytesToHex(sealed)).toBe(bytesToHex(vector.ct));
    expect(bytesToHex(await key.open(vector.nonce, vector.aad, vector.ct))).toBe(bytesToHex(vector.pt));
  });

  it.each(sframeVectors)('SFrame suite $cipherSuite protects and unprotects', async (vector) => {
    const suite = cipherSuiteById(vector.cipherSuite);
    const labels = sframeLabels(suite, vector.kid);
    expect(bytesToHex(labels.keyLabel)).toBe(bytesToHex(vector.keyLabel));
    expect(bytesToHex(labels.saltLabel)).toBe(bytesToHex(vector.saltLabel));
    const derived = deriveSFrameKeyAndSalt(suite, vector.kid, vector.baseKey);
    expect(bytesToHex(derived.key)).toBe(bytesToHex(vector.key));
    expect(bytesToHex(derived.salt)).toBe(bytesToHex(vector.salt));
    expect(bytesToHex(formNonce(derived.salt, vector.ctr))).toBe(bytesToHex(vector.nonce));

    const sender = new SFrameContext({ backend, suite });
    sender.setSendKey(vector.kid, vector.baseKey, vector.ctr);
    const ciphertext = await sender.protect(vector.kid, vector.pt, vector.metadata);
    expect(bytesToHex(ciphertext)).toBe(bytesToHex(vector.ct));
    expect(bytesToHex(ciphertext.subarray(0, vector.aad.length - vector.metadata.length))).toBe(
      bytesToHex(vector.aad.subarray(0, vector.aad.length - vector.metadata.length)),
    );

    const receiver = new SFrameContext({ backend, suite });
    receiver.addReceiveKey(vector.kid, vector.baseKey);
    const opened = await receiver.unprotect(vector.ct, vector.metadata);
    expect(bytesToHex(opened.plaintext)).toBe(bytesToHex(vector.pt));
    expect(opened.kid).toBe(vector.kid);
    expect(opened.ctr).toBe(vector.ctr);
  });
});
