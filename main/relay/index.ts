// The relay's public surface: the Relay core and its ready-made token authorizer.
export { Relay } from './relay.js';
export type { RelayOptions, RelayStats } from './relay.js';
export {
  createTokenAuthorizer,
  mintRelayToken,
  relayAuthToken,
  verifyRelayToken,
  RELAY_TOKEN_TYPE,
} from './auth.js';
export type { AuthDenial, RelayAction, RelayAuthorizer, RelayTokenClaims, VerifyResult } from './auth.js';
export type { CacheLimits } from './object-cache.js';
export type { LagPolicy } from './downstream.js';
