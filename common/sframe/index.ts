// Public surface of the SFrame module (RFC 9605). Runs in Node and in the browser; the Node-only
// AEAD fast path lives in backends/node-crypto.node.ts and is imported by Node code directly.
export * from './suites.js';
export * from './errors.js';
export * from './header.js';
export * from './key-derivation.js';
export * from './replay-window.js';
export * from './key-ring.js';
export * from './usage-limits.js';
export * from './context.js';
export * from './object-metadata.js';
export * from './mls-profile.js';
export * from './secure-objects.js';
export type { AeadBackend, AeadKey, MaybePromise } from './backends/types.js';
export { nobleBackend } from './backends/noble.js';
export { webCryptoBackend } from './backends/webcrypto.js';
