// Traffic counters shared by the relay's parts; the Relay reads them into its `stats` snapshot.

export interface RelayCounters {
  objectsIn: number;
  bytesIn: number;
  objectsOut: number;
  bytesOut: number;
  /** Objects a subscriber did not get because it fell behind or its stream failed. */
  drops: number;
  /** Subscribers finished with TOO_FAR_BEHIND. */
  tooFarBehind: number;
}

export function newCounters(): RelayCounters {
  return { objectsIn: 0, bytesIn: 0, objectsOut: 0, bytesOut: 0, drops: 0, tooFarBehind: 0 };
}
