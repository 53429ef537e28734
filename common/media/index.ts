// Public surface of the media formats both sides can read: LOC frames (the SFrame plaintext of each
// media object) and the MSF catalog. Pure TypeScript; no DOM or Node APIs.
export * from './loc.js';
export * from './catalog.js';
