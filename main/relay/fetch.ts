// Answers a FETCH from the cache. The relay only claims ranges it saw contiguously (from the cache's
// coverage start to its largest object); anything else is INVALID_RANGE, or, when the relay is told to,
// forwarded to the publisher.
import type { Location } from '../moqt/codec/draft18/index.js';
import { RequestErrorCode } from '../moqt/codec/error-codes.js';
import { RequestRejectedError } from '../moqt/session/api.js';
import type { FetchResult, IncomingFetch, MoqtObject, MoqtSessionApi } from '../moqt/session/api.js';
import type { RelayCounters } from './counters.js';
import type { TrackCache } from './object-cache.js';
import { compareLocation } from './names.js';

export type FetchPlan =
  | {
      readonly ok: true;
      readonly endOfTrack: boolean;
      readonly endLocation: Location;
      readonly objects: MoqtObject[];
    }
  | { readonly ok: false; readonly errorCode: bigint; readonly reason: string };

/** FETCH's End Location is "end plus 1", object 0 meaning the whole group (§Standalone Fetch). */
function endCovers(end: Location, location: Location): boolean {
  if (end.group !== location.group) return end.group > location.group;
  return end.object === 0n || end.object > location.object;
}

export function planFetch(cache: TrackCache | undefined, start: Location, end: Location): FetchPlan {
  if (!cache?.largest || !cache.coverageStart) {
    return {
      ok: false,
      errorCode: RequestErrorCode.DOES_NOT_EXIST,
      reason: 'track not cached at this relay',
    };
  }
  if (
    end.group < start.group ||
    (end.group === start.group && end.object !== 0n && end.object <= start.object)
  ) {
    return { ok: false, errorCode: RequestErrorCode.INVALID_RANGE, reason: 'end precedes start' };
  }
  if (compareLocation(start, cache.largest) > 0) {
    return {
      ok: false,
      errorCode: RequestErrorCode.INVALID_RANGE,
      reason: 'start is beyond the largest object',
    };
  }
  if (compareLocation(start, cache.coverageStart) < 0) {
    return {
      ok: false,
      errorCode: RequestErrorCode.INVALID_RANGE,
      reason: 'range is no longer (or never was) cached',
    };
  }
  const beyondLargest = endCovers(end, cache.largest);
  const endLocation = beyondLargest ? { group: cache.largest.group, object: cache.largest.object + 1n } : end;
  return {
    ok: true,
    endOfTrack: beyondLargest && cache.endOfTrack,
    endLocation,
    objects: cache.objectsInRange(start, end),
  };
}

/**
 * Accepts a FETCH and streams `objects` as its answer. Returns false when the subscriber went
 * away mid-answer (counted as a drop), so the caller can cancel its source.
 */
async function streamFetchAnswer(
  request: IncomingFetch,
  answer: { endOfTrack: boolean; endLocation: Location },
  objects: Iterable<MoqtObject> | AsyncIterable<MoqtObject>,
  counters: RelayCounters,
  countIn: boolean,
): Promise<boolean> {
  try {
    const writer = await request.accept(answer);
    for await (const object of objects) {
      if (countIn) {
        counters.objectsIn++;
        counters.bytesIn += object.payload.byteLength;
      }
      await writer.write(object);
      counters.objectsOut++;
      counters.bytesOut += object.payload.byteLength;
    }
    await writer.close();
    return true;
  } catch {
    counters.drops++;
    return false;
  }
}

/** Sends a planned FETCH response from the cache. */
export async function serveFetch(
  request: IncomingFetch,
  plan: Extract<FetchPlan, { ok: true }>,
  counters: RelayCounters,
): Promise<void> {
  const answer = { endOfTrack: plan.endOfTrack, endLocation: plan.endLocation };
  await streamFetchAnswer(request, answer, plan.objects, counters, false);
}

/**
 * Forwards a FETCH the cache cannot answer to the namespace's publisher and streams its answer back.
 * The publisher's REQUEST_ERROR code is passed on unchanged.
 */
export async function forwardFetch(
  request: IncomingFetch,
  publisher: MoqtSessionApi,
  counters: RelayCounters,
): Promise<void> {
  let result: FetchResult;
  try {
    result = await publisher.fetch(request.track, { start: request.start, end: request.end });
  } catch (error) {
    const code = error instanceof RequestRejectedError ? error.errorCode : RequestErrorCode.INTERNAL_ERROR;
    try {
      request.reject(code, error instanceof Error ? error.message : 'upstream fetch failed');
    } catch {
      // The subscriber's request stream is already gone.
    }
    return;
  }
  const answer = { endOfTrack: result.endOfTrack, endLocation: result.endLocation };
  const completed = await streamFetchAnswer(request, answer, result, counters, true);
  if (!completed) result.cancel();
}
