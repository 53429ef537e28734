// What each SessionPhase means to the person in front of the screen: a short badge label and, for
// the phases that need one, an explanation. Also the phase groups the views route on.
import type { SessionPhase } from '../../../common/bridge/index.js';

export const PHASE_LABELS: Readonly<Record<SessionPhase, string>> = {
  idle: 'Idle',
  connecting: 'Connecting',
  live: 'Live',
  'waiting-approval': 'Waiting for approval',
  watching: 'Watching',
  denied: 'Denied',
  removed: 'Removed',
  left: 'Left',
  ended: 'Ended',
  unreachable: 'Unreachable',
  reconnecting: 'Reconnecting',
  error: 'Error',
};

export const PHASE_EXPLANATIONS: Readonly<Partial<Record<SessionPhase, string>>> = {
  connecting: 'Reaching the relay and the coordination service…',
  'waiting-approval':
    'The producer sees your display name and fingerprint and decides whether to admit you. ' +
    'Nothing can be decrypted until you are in the group.',
  denied: 'The producer declined your request to join. You can ask for a new invite link.',
  removed: 'You were removed; nothing sent after your removal can be decrypted.',
  left: 'You left the broadcast. Keys of this session have been discarded.',
  ended: 'The producer ended this broadcast. Keys of this session have been discarded.',
  unreachable:
    'The relay or the coordination service could not be reached, so the session ended. Check the ' +
    'network or the service addresses in the settings, then try again.',
  reconnecting: 'The connection dropped; reconnecting. Media resumes once the relay is back.',
  error: 'The session stopped because of an error.',
};

/**
 * Phases in which no session is running: nothing to show but the outcome, keys are discarded. The core
 * ends a session that loses its relay or coordinator ('unreachable'); 'reconnecting' is still a session.
 */
const ENDED_PHASES: ReadonlySet<SessionPhase> = new Set([
  'idle',
  'denied',
  'removed',
  'left',
  'ended',
  'unreachable',
  'error',
]);

export function isEnded(phase: SessionPhase): boolean {
  return ENDED_PHASES.has(phase);
}
