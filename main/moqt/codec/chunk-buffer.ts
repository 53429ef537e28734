// Accumulates QUIC stream chunks for the incremental parsers. Chunks are kept as a list and only
// joined when a parser needs a contiguous view, so a large object arriving in many small chunks
// is copied once rather than once per chunk.

export class ChunkBuffer {
  private chunks: Uint8Array[] = [];
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** A contiguous view of the first `min(n, length)` bytes (merges front chunks if needed). */
  peek(n: number): Uint8Array {
    const want = Math.min(n, this.total);
    const first = this.chunks[0];
    if (first === undefined) return new Uint8Array(0);
    if (first.length >= want) return first.subarray(0, want);
    const merged = new Uint8Array(want);
    let offset = 0;
    let used = 0;
    while (offset < want) {
      const chunk = this.chunks[used]!;
      const take = Math.min(chunk.length, want - offset);
      merged.set(chunk.subarray(0, take), offset);
      offset += take;
      if (take === chunk.length) used++;
      else {
        // Keep the merged prefix as the new front chunk so repeated peeks do not re-copy it.
        this.chunks.splice(0, used + 1, merged, chunk.subarray(take));
        return merged;
      }
    }
    this.chunks.splice(0, used, merged);
    return merged;
  }

  /** Removes and returns the first `n` bytes (caller guarantees `n <= length`). */
  take(n: number): Uint8Array {
    const first = this.chunks[0];
    const view = this.peek(n);
    // A view into a caller's chunk is copied; a freshly merged array is already private.
    const out = first !== undefined && first.length >= n ? view.slice() : view;
    this.skip(n);
    return out;
  }

  skip(n: number): void {
    let left = Math.min(n, this.total);
    this.total -= left;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      if (chunk.length <= left) {
        left -= chunk.length;
        this.chunks.shift();
      } else {
        this.chunks[0] = chunk.subarray(left);
        left = 0;
      }
    }
  }
}
