// Sliding-window rates for the stats panel: events and bytes over the last two seconds.
const WINDOW_MS = 2000;

export class RateMeter {
  private readonly events: { at: number; bytes: number }[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  record(bytes: number): void {
    const at = this.now();
    this.events.push({ at, bytes });
    this.prune(at);
  }

  /** Events per second over the window. */
  rate(): number {
    this.prune(this.now());
    return (this.events.length * 1000) / WINDOW_MS;
  }

  /** Kilobits per second over the window. */
  kbps(): number {
    this.prune(this.now());
    let bytes = 0;
    for (const event of this.events) bytes += event.bytes;
    return (bytes * 8) / WINDOW_MS;
  }

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.events.length && now - this.events[drop]!.at > WINDOW_MS) drop++;
    if (drop > 0) this.events.splice(0, drop);
  }
}

/** Wall-clock microseconds since the Unix epoch, at sub-millisecond resolution. */
export function wallClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
