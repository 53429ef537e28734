// Node fast path: OpenSSL through node:crypto (AES-NI, no JS in the per-byte loop). Node-only —
// the Node side wires it in; the renderer never imports this file.
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CipherSuite } from '../suites.js';
import {
  authDataPrefix,
  authenticationFailed,
  checkKeyLength,
  initialCounterBlock,
  splitCtrHmacKey,
  splitTag,
} from './ctr-hmac.js';
import type { AeadBackend, AeadKey } from './types.js';

function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

function gcmKey(suite: CipherSuite, key: Uint8Array): AeadKey {
  const keyObject = createSecretKey(key);
  const algorithm = suite.nk === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
  return {
    seal(nonce, aad, plaintext, prefix) {
      const cipher = createCipheriv(algorithm, keyObject, nonce, { authTagLength: suite.nt });
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      const final = cipher.final();
      return asUint8Array(Buffer.concat([prefix, body, final, cipher.getAuthTag()]));
    },
    open(nonce, aad, ciphertextAndTag) {
      const [ciphertext, tag] = splitTag(suite, ciphertextAndTag);
      const decipher = createDecipheriv(algorithm, keyObject, nonce, { authTagLength: suite.nt });
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const body = decipher.update(ciphertext);
      try {
        // final() verifies the tag; until it returns, `body` must not leave this function.
        const final = decipher.final();
        return asUint8Array(final.length === 0 ? body : Buffer.concat([body, final]));
      } catch {
        body.fill(0);
        throw authenticationFailed();
      }
    },
  };
}

function ctrHmacKey(suite: CipherSuite, key: Uint8Array): AeadKey {
  const { encKey, authKey } = splitCtrHmacKey(suite, key);
  const aesKey: KeyObject = createSecretKey(encKey);
  const macKey: KeyObject = createSecretKey(authKey);
  const hash = suite.hash === 'SHA-256' ? 'sha256' : 'sha512';
  const computeTag = (nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array) =>
    createHmac(hash, macKey)
      .update(authDataPrefix(aad.length, ciphertext.length, suite.nt))
      .update(nonce)
      .update(aad)
      .update(ciphertext)
      .digest()
      .subarray(0, suite.nt);
  const ctr = (nonce: Uint8Array, input: Uint8Array) => {
    const cipher = createCipheriv('aes-128-ctr', aesKey, initialCounterBlock(nonce));
    return Buffer.concat([cipher.update(input), cipher.final()]);
  };
  return {
    seal(nonce, aad, plaintext, prefix) {
      const ciphertext = ctr(nonce, plaintext);
      return asUint8Array(Buffer.concat([prefix, ciphertext, computeTag(nonce, aad, ciphertext)]));
    },
    open(nonce, aad, ciphertextAndTag) {
      const [ciphertext, tag] = splitTag(suite, ciphertextAndTag);
      if (!timingSafeEqual(computeTag(nonce, aad, ciphertext), tag)) throw authenticationFailed();
      return asUint8Array(ctr(nonce, ciphertext));
    },
  };
}

export const nodeCryptoBackend: AeadBackend = {
  name: 'node',
  synchronous: true,
  importKey(suite, key) {
    checkKeyLength(suite, key);
    return suite.mode === 'aes-gcm' ? gcmKey(suite, key) : ctrHmacKey(suite, key);
  },
};
