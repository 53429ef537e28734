// What the session's helper modules need from the session itself, kept as an interface so the
// modules do not import session.ts (and so tests can reason about each piece alone).
import type { WebTransportLike } from './api.js';

export interface SessionContext {
  readonly transport: WebTransportLike;
  readonly isClosed: boolean;
  /** Resolves (never rejects) once the session has closed for any reason. */
  readonly closedSignal: Promise<void>;
  /** Closes the session with the code a protocol error carries (or INTERNAL_ERROR). */
  fail(error: unknown): void;
}
