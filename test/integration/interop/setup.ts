// Test setup for the @moq/net interop tests. Import it before anything else in those tests.
//
// @moq/net uses Promise.withResolvers and Set.prototype.difference, which Node only has from 22 on
// (the project supports 20), and logs every request at console.debug. Both are polyfilled here, only
// when missing, and the debug noise is silenced; none of it touches our code.

if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

if (typeof (Set.prototype as { difference?: unknown }).difference !== 'function') {
  Object.defineProperty(Set.prototype, 'difference', {
    configurable: true,
    writable: true,
    // ES2025 semantics for the Set-with-Set case @moq/net uses: a new Set, in this Set's order.
    value: function difference<T>(this: Set<T>, other: { has(value: unknown): boolean }): Set<T> {
      const result = new Set<T>();
      for (const value of this) if (!other.has(value)) result.add(value);
      return result;
    },
  });
}

// Silence @moq/net's per-request debug logging; warnings and errors stay visible.
console.debug = () => {};
