// A single-consumer async queue: events pushed by library callbacks become an AsyncIterable the
// session can `for await` over. Ending it finishes the iteration instead of rejecting, so a
// closed connection never surfaces as an unhandled rejection in a forgotten loop.

export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: ((result: IteratorResult<T, undefined>) => void) | undefined;
  private ended = false;

  /** `dispose` receives every item that will never be consumed (pushed late or left behind). */
  constructor(private readonly dispose: (item: T) => void = () => {}) {}

  /** False when the queue has ended; the item was then handed to `dispose`. */
  push(item: T): boolean {
    if (this.ended) {
      this.dispose(item);
      return false;
    }
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter({ value: item, done: false });
    } else {
      this.items.push(item);
    }
    return true;
  }

  /** Ends the iteration after the already queued items, or at once (disposing them) if `discard`. */
  end(discard = false): void {
    this.ended = true;
    if (discard) for (const item of this.items.splice(0)) this.dispose(item);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        if (this.waiter) return Promise.reject(new Error('AsyncQueue supports a single consumer'));
        return new Promise((resolve) => (this.waiter = resolve));
      },
      // `break` out of a for-await: the consumer is gone, so stop accepting and dispose of leftovers.
      return: () => {
        this.end(true);
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
