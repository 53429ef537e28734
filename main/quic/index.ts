// Public surface of the QUIC layer: the library-independent transport contract, the
// @matrixai/quic implementation, certificates, trust and relay URLs.
export * from './transport.js';
export { connectQuic, listenQuic } from './matrixai-adapter.js';
export type { ConnectOptions, ListenOptions, QuicListener, TransportTuning } from './matrixai-adapter.js';
export * from './certificates.js';
export * from './trust.js';
export * from './url.js';
