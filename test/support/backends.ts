// The three AEAD backends, so every SFrame test runs against each of them.
import { nodeCryptoBackend } from '../../common/sframe/backends/node-crypto.node.js';
import { nobleBackend, webCryptoBackend, type AeadBackend } from '../../common/sframe/index.js';

export const allBackends: readonly AeadBackend[] = [nobleBackend, nodeCryptoBackend, webCryptoBackend()];
export const syncBackends: readonly AeadBackend[] = allBackends.filter((backend) => backend.synchronous);
