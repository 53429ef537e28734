// Applies the configured authorizer to one incoming request. A request may carry several tokens and
// the session's SETUP may carry one more (the draft lets authorization come from either); any token
// that passes admits the request, otherwise the first token's refusal is reported.
import type { TrackNamespace } from '../../common/codec/track-name.js';
import { decodeAuthToken } from '../moqt/codec/draft18/index.js';
import type { AuthToken } from '../moqt/codec/draft18/index.js';
import { RequestErrorCode } from '../moqt/codec/error-codes.js';
import type { IncomingRequestBase } from '../moqt/session/api.js';
import type { AuthDenial, RelayAction, RelayAuthorizer } from './auth.js';

function setupToken(request: IncomingRequestBase): AuthToken | undefined {
  const bytes = request.session.peer.authorizationToken;
  if (!bytes) return undefined;
  try {
    return decodeAuthToken(bytes);
  } catch {
    // The session layer already validated SETUP; an undecodable token here simply does not count.
    return undefined;
  }
}

function asDenial(result: boolean | AuthDenial): AuthDenial | undefined {
  if (result === true) return undefined;
  if (result === false) return { errorCode: RequestErrorCode.UNAUTHORIZED, reason: 'unauthorized' };
  return result;
}

/** Returns undefined when allowed (always, with no authorizer: the local/LAN default). */
export function checkAccess(
  authorize: RelayAuthorizer | undefined,
  request: IncomingRequestBase,
  action: RelayAction,
  namespace: TrackNamespace,
): AuthDenial | undefined {
  if (!authorize) return undefined;
  const candidates = [...request.authorizationTokens];
  const fromSetup = setupToken(request);
  if (fromSetup) candidates.push(fromSetup);
  if (candidates.length === 0) return asDenial(authorize(undefined, action, namespace));
  let first: AuthDenial | undefined;
  for (const token of candidates) {
    let denial: AuthDenial | undefined;
    try {
      denial = asDenial(authorize(token, action, namespace));
    } catch {
      denial = { errorCode: RequestErrorCode.INTERNAL_ERROR, reason: 'authorizer failed' };
    }
    if (!denial) return undefined;
    first ??= denial;
  }
  return first;
}
