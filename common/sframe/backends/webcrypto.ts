// WebCrypto AEAD backend (asynchronous): what the renderer's SFrame worker uses. Hardware AES
// in every browser; HMAC tags are computed in full and truncated here because SubtleCrypto
// cannot verify truncated tags.
import { constantTimeEqual } from '../../codec/bytes.js';
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

// WebCrypto's typings want ArrayBuffer-backed views; ours always are.
type Bytes = Uint8Array<ArrayBuffer>;
const asBuffer = (bytes: Uint8Array) => bytes as Bytes;

function withPrefix(prefix: Uint8Array, body: ArrayBuffer): Uint8Array {
  const out = new Uint8Array(prefix.length + body.byteLength);
  out.set(prefix);
  out.set(new Uint8Array(body), prefix.length);
  return out;
}

async function gcmKey(subtle: SubtleCrypto, key: Uint8Array): Promise<AeadKey> {
  const cryptoKey = await subtle.importKey('raw', asBuffer(key), { name: 'AES-GCM' }, false, [
    'encrypt',
    'decrypt',
  ]);
  const params = (nonce: Uint8Array, aad: Uint8Array): AesGcmParams => ({
    name: 'AES-GCM',
    iv: asBuffer(nonce),
    additionalData: asBuffer(aad),
    tagLength: 128,
  });
  return {
    async seal(nonce, aad, plaintext, prefix) {
      return withPrefix(prefix, await subtle.encrypt(params(nonce, aad), cryptoKey, asBuffer(plaintext)));
    },
    async open(nonce, aad, ciphertextAndTag) {
      try {
        return new Uint8Array(
          await subtle.decrypt(params(nonce, aad), cryptoKey, asBuffer(ciphertextAndTag)),
        );
      } catch {
        throw authenticationFailed();
      }
    },
  };
}

async function ctrHmacKey(subtle: SubtleCrypto, suite: CipherSuite, key: Uint8Array): Promise<AeadKey> {
  const { encKey, authKey } = splitCtrHmacKey(suite, key);
  const aesKey = await subtle.importKey('raw', asBuffer(encKey.slice()), { name: 'AES-CTR' }, false, [
    'encrypt',
    'decrypt',
  ]);
  const macKey = await subtle.importKey(
    'raw',
    asBuffer(authKey.slice()),
    { name: 'HMAC', hash: suite.hash },
    false,
    ['sign'],
  );
  const ctrParams = (nonce: Uint8Array): AesCtrParams => ({
    name: 'AES-CTR',
    counter: asBuffer(initialCounterBlock(nonce)),
    length: 64,
  });
  const computeTag = async (nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array) => {
    const prefix = authDataPrefix(aad.length, ciphertext.length, suite.nt);
    const data = new Uint8Array(prefix.length + nonce.length + aad.length + ciphertext.length);
    data.set(prefix);
    data.set(nonce, prefix.length);
    data.set(aad, prefix.length + nonce.length);
    data.set(ciphertext, prefix.length + nonce.length + aad.length);
    return new Uint8Array(await subtle.sign('HMAC', macKey, data)).subarray(0, suite.nt);
  };
  return {
    async seal(nonce, aad, plaintext, prefix) {
      const ciphertext = new Uint8Array(await subtle.encrypt(ctrParams(nonce), aesKey, asBuffer(plaintext)));
      const out = new Uint8Array(prefix.length + ciphertext.length + suite.nt);
      out.set(prefix);
      out.set(ciphertext, prefix.length);
      out.set(await computeTag(nonce, aad, ciphertext), prefix.length + ciphertext.length);
      return out;
    },
    async open(nonce, aad, ciphertextAndTag) {
      const [ciphertext, tag] = splitTag(suite, ciphertextAndTag);
      if (!constantTimeEqual(await computeTag(nonce, aad, ciphertext), tag)) throw authenticationFailed();
      return new Uint8Array(await subtle.decrypt(ctrParams(nonce), aesKey, asBuffer(ciphertext.slice())));
    },
  };
}

/** A WebCrypto backend over the given SubtleCrypto (the global one by default). */
export function webCryptoBackend(subtle: SubtleCrypto = globalThis.crypto.subtle): AeadBackend {
  return {
    name: 'webcrypto',
    synchronous: false,
    importKey(suite, key) {
      checkKeyLength(suite, key);
      return suite.mode === 'aes-gcm' ? gcmKey(subtle, key) : ctrHmacKey(subtle, suite, key);
    },
  };
}
