// SFrame protect+unprotect throughput per AEAD backend, next to raw node:crypto AES-128-GCM
// (seal+open of the same payload, same AAD length) measured in the same run.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { fullTrackName } from '../../common/codec/track-name.js';
import { nodeCryptoBackend } from '../../common/sframe/backends/node-crypto.node.js';
import {
  AES_128_CTR_HMAC_SHA256_80,
  AES_128_GCM_SHA256_128,
  ObjectMetadataEncoder,
  SFrameContext,
  nobleBackend,
  webCryptoBackend,
  type AeadBackend,
  type CipherSuite,
} from '../../common/sframe/index.js';
import { compare, table, type Operation } from './harness.js';

const FRAME_SIZES = [1024, 10 * 1024, 100 * 1024];
const metadata = new ObjectMetadataEncoder(fullTrackName(['moq-studio', 'bench'], 'video')).encode(42n, 7n);

function rawAesGcmRoundTrip(payload: Uint8Array, aadLength: number): Operation {
  const key = createSecretKey(randomBytes(16));
  const aad = randomBytes(aadLength);
  let counter = 0;
  return () => {
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(counter++, 8);
    const cipher = createCipheriv('aes-128-gcm', key, nonce);
    cipher.setAAD(aad);
    const sealed = Buffer.concat([cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
    const decipher = createDecipheriv('aes-128-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  };
}

function sframeRoundTrip(backend: AeadBackend, suite: CipherSuite, payload: Uint8Array): Operation {
  const baseKey = randomBytes(32);
  const sender = new SFrameContext({ backend, suite });
  const receiver = new SFrameContext({ backend, suite });
  sender.setSendKey(1n, baseKey);
  receiver.addReceiveKey(1n, baseKey);
  if (backend.synchronous) {
    return () => receiver.unprotectSync(sender.protectSync(1n, payload, metadata), metadata);
  }
  return async () => receiver.unprotect(await sender.protect(1n, payload, metadata), metadata);
}

export async function runSFrameBench(): Promise<string> {
  const cases: [AeadBackend, CipherSuite][] = [
    [nodeCryptoBackend, AES_128_GCM_SHA256_128],
    [nodeCryptoBackend, AES_128_CTR_HMAC_SHA256_80],
    [webCryptoBackend(), AES_128_GCM_SHA256_128],
    [nobleBackend, AES_128_GCM_SHA256_128],
  ];
  const rows: (string | number)[][] = [];
  for (const size of FRAME_SIZES) {
    const payload = randomBytes(size);
    // SFrame's AAD is its header (2-3 bytes here) plus the object metadata.
    const baseline = rawAesGcmRoundTrip(payload, metadata.length + 3);
    for (const [backend, suite] of cases) {
      const result = await compare(sframeRoundTrip(backend, suite, payload), baseline);
      const mbps = (rate: number) => ((rate * size) / 1e6).toFixed(1);
      rows.push([
        `${size / 1024} KB`,
        backend.name,
        suite.name,
        mbps(result.candidate),
        mbps(result.baseline),
        result.ratio.toFixed(2),
      ]);
      process.stderr.write('.');
    }
  }
  process.stderr.write('\n');
  return [
    '### SFrame protect+unprotect throughput (MB/s of plaintext, one core)',
    '',
    table(['frame', 'backend', 'suite', 'SFrame MB/s', 'raw AES-128-GCM MB/s', 'ratio'], rows),
  ].join('\n');
}
