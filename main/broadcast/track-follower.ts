// Follows one media track as a viewer: subscribes (retrying while the producer is not there yet or
// has gone away), and when the track is already running, FETCHes the current group from its first
// object so decoding can start at once (the group opens with a keyframe) instead of at the next
// group. Fetched and live objects are handed over in order, each exactly once.
import type { FullTrackName } from '../../common/codec/track-name.js';
import { PublishDoneCode } from '../moqt/codec/error-codes.js';
import type { MoqtObject, MoqtSessionApi, Subscription } from '../moqt/session/api.js';
import { fetchFrom } from '../groups/moq-tracks.js';

export interface FollowTrackOptions {
  /** FETCH the current group's earlier objects on (re)subscribing. */
  readonly fromGroupStart: boolean;
  readonly retryMs?: number;
  /** The publisher ended the track (PUBLISH_DONE TRACK_ENDED): following stops. */
  readonly onEnded?: () => void;
}

export async function followMediaTrack(
  session: MoqtSessionApi,
  track: FullTrackName,
  onObject: (object: MoqtObject) => void,
  signal: AbortSignal,
  options: FollowTrackOptions,
): Promise<void> {
  const retryMs = options.retryMs ?? 300;
  let sessionClosed = false;
  void session.closed.then(
    () => (sessionClosed = true),
    () => (sessionClosed = true),
  );
  while (!signal.aborted && !sessionClosed) {
    let subscription: Subscription;
    try {
      subscription = await session.subscribe(track);
    } catch {
      await sleep(retryMs, signal);
      continue;
    }
    const cancel = () => subscription.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const fetched = new Set<string>();
      if (options.fromGroupStart && subscription.largest) {
        for (const object of await fetchFrom(session, track, subscription.largest.group)) {
          fetched.add(`${object.groupId}/${object.objectId}`);
          onObject(object);
        }
      }
      for await (const object of subscription) {
        if (object.status !== 'normal') continue;
        if (fetched.size > 0 && fetched.has(`${object.groupId}/${object.objectId}`)) continue;
        onObject(object);
      }
    } finally {
      signal.removeEventListener('abort', cancel);
    }
    // A publisher that ended its track is gone for good; any other end (its connection or the
    // relay's dropped, a relay restart) may come back, so keep trying.
    const ended = await Promise.race([
      subscription.done.catch(() => undefined),
      sleep(retryMs, signal).then(() => undefined),
    ]);
    if (ended?.statusCode === PublishDoneCode.TRACK_ENDED && !signal.aborted) {
      options.onEnded?.();
      return;
    }
    if (ended) await sleep(retryMs, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
