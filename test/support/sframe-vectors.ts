// Loads the official RFC 9605 test vectors from ../shared/vectors. KID/CTR values go up to
// 2^64-1, beyond JSON numbers' exact range, so integers are turned into strings before parsing.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hexToBytes } from '../../common/codec/bytes.js';

const vectorsPath = fileURLToPath(
  new URL('../../../shared/vectors/sframe/rfc9605-test-vectors.json', import.meta.url),
);

interface RawVectors {
  header: { kid: string; ctr: string; encoded: string }[];
  aes_ctr_hmac: Record<string, string>[];
  sframe: Record<string, string>[];
}

function load(): RawVectors {
  const text = readFileSync(vectorsPath, 'utf8').replace(/:\s*(\d+)/g, ': "$1"');
  return JSON.parse(text) as RawVectors;
}

const raw = load();

export const headerVectors = raw.header.map((v) => ({
  kid: BigInt(v.kid),
  ctr: BigInt(v.ctr),
  encoded: hexToBytes(v.encoded),
}));

export const aeadVectors = raw.aes_ctr_hmac.map((v) => ({
  cipherSuite: Number(v.cipher_suite),
  key: hexToBytes(v.key!),
  encKey: hexToBytes(v.enc_key!),
  authKey: hexToBytes(v.auth_key!),
  nonce: hexToBytes(v.nonce!),
  aad: hexToBytes(v.aad!),
  pt: hexToBytes(v.pt!),
  ct: hexToBytes(v.ct!),
}));

export const sframeVectors = raw.sframe.map((v) => ({
  cipherSuite: Number(v.cipher_suite),
  kid: BigInt(v.kid!),
  ctr: BigInt(v.ctr!),
  baseKey: hexToBytes(v.base_key!),
  keyLabel: hexToBytes(v.sframe_key_label!),
  saltLabel: hexToBytes(v.sframe_salt_label!),
  secret: hexToBytes(v.sframe_secret!),
  key: hexToBytes(v.sframe_key!),
  salt: hexToBytes(v.sframe_salt!),
  metadata: hexToBytes(v.metadata!),
  nonce: hexToBytes(v.nonce!),
  aad: hexToBytes(v.aad!),
  pt: hexToBytes(v.pt!),
  ct: hexToBytes(v.ct!),
}));
