// Reading tracks through the relay, as both protocol variants do: SUBSCRIBE with patience for a
// publisher that has not announced yet, FETCH of everything from a group on (an empty answer when
// nothing is there), and consuming a subscription while ignoring status objects.
import type { FullTrackName } from '../../common/codec/track-name.js';
import { RequestErrorCode } from '../moqt/codec/error-codes.js';
import { RequestRejectedError } from '../moqt/session/api.js';
import type { MoqtObject, MoqtSessionApi, Subscription } from '../moqt/session/api.js';

const FAR_FUTURE_GROUP = 1n << 62n;

/**
 * SUBSCRIBE to a track. Right after a relay or publisher (re)starts, the namespace may not be
 * announced yet: DOES_NOT_EXIST is retried for a while.
 */
export async function subscribePatiently(
  session: MoqtSessionApi,
  track: FullTrackName,
  patienceMs = 15_000,
): Promise<Subscription> {
  const deadline = Date.now() + patienceMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      return await session.subscribe(track);
    } catch (error) {
      const missing =
        error instanceof RequestRejectedError && error.errorCode === RequestErrorCode.DOES_NOT_EXIST;
      if (!missing || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Every normal object of `track` from MoQ group `from` on; [] when nobody has any. */
export async function fetchFrom(
  session: MoqtSessionApi,
  track: FullTrackName,
  from: bigint,
): Promise<MoqtObject[]> {
  try {
    const result = await session.fetch(track, {
      start: { group: from, object: 0n },
      end: { group: FAR_FUTURE_GROUP, object: 0n },
    });
    const objects: MoqtObject[] = [];
    for await (const object of result) if (object.status === 'normal') objects.push(object);
    return objects;
  } catch {
    // Nothing there (the relay and the publisher have nothing in range, or no publisher): not an error.
    return [];
  }
}

/** Feeds normal objects to `onObject` until the subscription ends; `onEnd` hears why, if it failed. */
export async function consumeObjects(
  objects: AsyncIterable<MoqtObject>,
  onObject: (object: MoqtObject) => void,
  onEnd?: (error: Error) => void,
): Promise<void> {
  try {
    for await (const object of objects) if (object.status === 'normal') onObject(object);
  } catch (error) {
    onEnd?.(error as Error);
  }
}

/**
 * Reads one track for as long as it is wanted: SUBSCRIBE for what comes next, then FETCH what was
 * there already — everything (`backfill: 'all'`) or the newest group only. Objects may arrive twice
 * (the two overlap); the reader dedupes. Returns how to stop.
 */
export function followTrack(
  session: MoqtSessionApi,
  track: FullTrackName,
  backfill: 'all' | 'latest-group',
  onObject: (object: MoqtObject) => void,
  onWarning: (message: string) => void,
): () => void {
  let stopped = false;
  let subscription: Subscription | undefined;
  void (async () => {
    try {
      subscription = await subscribePatiently(session, track, 5000);
    } catch (error) {
      if (!stopped) onWarning(`could not subscribe: ${(error as Error).message}`);
    }
    if (stopped) {
      subscription?.cancel();
      return;
    }
    if (subscription) void consumeObjects(subscription, onObject);
    const from = backfill === 'all' ? 0n : (subscription?.largest?.group ?? 0n);
    for (const object of await fetchFrom(session, track, from)) if (!stopped) onObject(object);
  })();
  return () => {
    stopped = true;
    subscription?.cancel();
  };
}
