// The data the StudioBridge carries: settings, the session's status, members and pending joiners,
// epochs, per-epoch media key material and statistics. Plain JSON-friendly values (numbers, strings,
// Uint8Array for key bytes) so the same types cross Electron IPC and browser mode's WebSocket.

export type ApprovalPolicyName = 'manual' | 'allowlist' | 'open';

export interface StudioSettings {
  /** Shown to moderators and other members; stored in this member's credential. */
  readonly displayName: string;
  /** True: `npm start` runs its own relay and Coordination Service on loopback. */
  readonly embeddedServices: boolean;
  /** `moqt://host:port/path?fp=<sha256>`; used when embeddedServices is false. */
  readonly relayUrl: string;
  /** `https://host:port/?fp=<sha256>`; used when embeddedServices is false. */
  readonly coordinatorUrl: string;
  /** Approval policy for the broadcasts this studio creates. */
  readonly approval: ApprovalPolicyName;
  /** Identity fingerprints admitted without asking when approval is 'allowlist'. */
  readonly allowlist: readonly string[];
}

export type SessionRole = 'producer' | 'viewer';

/**
 * Where the studio stands. Producers go idle → connecting → live; viewers go idle → connecting →
 * waiting-approval → watching, and may end denied / removed / left / ended. `unreachable` and
 * `reconnecting` describe the relay or coordinator connection.
 */
export type SessionPhase =
  | 'idle'
  | 'connecting'
  | 'live'
  | 'waiting-approval'
  | 'watching'
  | 'denied'
  | 'removed'
  | 'left'
  /** A viewer's broadcast is over: the producer ended it. */
  | 'ended'
  | 'unreachable'
  | 'reconnecting'
  | 'error';

export interface SessionStatus {
  readonly phase: SessionPhase;
  readonly role: SessionRole | null;
  readonly groupId: string | null;
  /** The link a producer shares; a viewer's join command takes it. */
  readonly inviteLink: string | null;
  /**
   * The MoQ track namespace of this broadcast's media (UTF-8 fields). The renderer builds each
   * frame's SFrame metadata (the MoQ object identity) from it and the track name.
   */
  readonly mediaNamespace: readonly string[] | null;
  /** A human-readable reason for denied / removed / unreachable / error. */
  readonly message: string | null;
}

export interface MemberView {
  readonly leafIndex: number;
  readonly displayName: string;
  /** Identity key fingerprint (base32 in groups of four, e.g. 'ABCD EFGH …'), for out-of-band checks. */
  readonly fingerprint: string;
  readonly self: boolean;
}

export interface PendingJoinView {
  readonly requestId: string;
  readonly displayName: string;
  readonly fingerprint: string;
  /** Milliseconds since the Unix epoch. */
  readonly receivedAt: number;
}

export interface EpochView {
  readonly epoch: number;
  readonly memberCount: number;
  /** This epoch's verification code: equal on every member's screen means the same group. */
  readonly verificationCode: string;
}

/**
 * sframe-mls key material for one epoch: `baseKey` is
 * MLS-Exporter("SFrame 1.0 Base Key", "", Nk) of that epoch. The renderer's SFrame worker installs
 * it for decryption at once and encrypts with it only after a `mediaSendEpoch` event names it.
 */
export interface MediaKeyMaterial {
  readonly epoch: number;
  readonly baseKey: Uint8Array;
  readonly leafCount: number;
  readonly ownLeafIndex: number;
}

export interface MediaSendEpoch {
  readonly epoch: number;
  readonly ownLeafIndex: number;
}

/** What the Node core counts (ciphertext only; the renderer measures fps, bitrate, latency). */
export interface CoreStats {
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly framesReceived: number;
  readonly bytesReceived: number;
  readonly epochTransitions: number;
  /** Send-key switches to a new epoch once every member acked it (the fast, seamless path). */
  readonly keySwitchesAcked: number;
  /** Send-key switches after the ack timeout (some member had not acked; it may miss a few frames). */
  readonly keySwitchesTimedOut: number;
  /** Frames held back because they are under an epoch this member has no key for (sent before it joined). */
  readonly framesWithoutKey: number;
  /** Objects the core could not forward (no subscriber yet, queue overflow). */
  readonly framesDropped: number;
}

/** Everything the UI shows, in one value (the answer to getSnapshot). */
export interface StudioSnapshot {
  readonly status: SessionStatus;
  readonly settings: StudioSettings;
  readonly epoch: EpochView | null;
  readonly members: readonly MemberView[];
  readonly pendingJoins: readonly PendingJoinView[];
  readonly stats: CoreStats;
  /** This studio's own identity fingerprint. */
  readonly ownFingerprint: string | null;
}
