// Denial notices: seed 002 has no message for "your join request was declined" — a denied joiner
// would wait for a Welcome until its patience runs out. So the producer publishes one object per
// denial on the track (moq-studio, notices, <group>)/denied, and a joiner that is waiting follows that
// track and gives up when it sees its own tag. The tag is SHA-256("moq-studio denial" ‖ group ‖
// identity key) rather than the fingerprint, so the track does not list who was turned away in clear
// (whoever already knows an identity key can still test it). A forged notice can only make a joiner
// stop waiting — the same a relay can do by dropping its Welcome.
import { sha256 } from '@noble/hashes/sha2.js';
import type { FullTrackName } from '../../common/codec/track-name.js';
import { concatBytes } from '../../common/codec/bytes.js';
import type { MoqtSessionApi, RequestHandler } from '../moqt/session/api.js';
import { followMediaTrack } from '../broadcast/track-follower.js';
import { TrackPublisher } from '../broadcast/track-publisher.js';

const te = new TextEncoder();

function noticeTrack(groupId: string): FullTrackName {
  return {
    namespace: ['moq-studio', 'notices', groupId].map((field) => te.encode(field)),
    name: te.encode('denied'),
  };
}

export function denialTag(groupId: string, identityPublicKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(te.encode('moq-studio denial'), te.encode(groupId), identityPublicKey));
}

/** The producer's side: publishes a notice per denied request. */
export class DenialNotices {
  private readonly track: TrackPublisher;
  private group = 0n;

  constructor(private readonly groupId: string) {
    this.track = new TrackPublisher(noticeTrack(groupId), { keptGroups: 16 });
  }

  /** Answers SUBSCRIBE/FETCH for the notices track; every other request goes to `next`. */
  handler(next: RequestHandler): RequestHandler {
    return this.track.handler(next);
  }

  async announce(session: MoqtSessionApi): Promise<void> {
    await session.publishNamespace(this.track.track.namespace);
  }

  deny(identityPublicKey: Uint8Array): void {
    void this.track.publish(this.group++, 0n, denialTag(this.groupId, identityPublicKey)).catch(() => {});
  }

  close(): void {
    this.track.close();
  }
}

/** The joiner's side: calls `onDenied` when a notice carries its tag; stops with `signal`. */
export function watchForDenial(
  session: MoqtSessionApi,
  groupId: string,
  identityPublicKey: Uint8Array,
  signal: AbortSignal,
  onDenied: () => void,
): void {
  const own = denialTag(groupId, identityPublicKey);
  void followMediaTrack(
    session,
    noticeTrack(groupId),
    (object) => {
      if (object.payload.length === own.length && object.payload.every((byte, i) => byte === own[i]))
        onDenied();
    },
    signal,
    { fromGroupStart: false },
  );
}
