// Entry point of the MoQT session layer: the contract (api.ts), the session that implements it,
// and the errors callers may want to recognise.
export * from './api.js';
export { MoqtSession } from './session.js';
export { SessionClosedError, SessionProtocolError, StreamResetError } from './errors.js';
