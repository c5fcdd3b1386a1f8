/**
 * Spare buffers for batches and their results. A run moves every registry byte through a batch
 * and every copy's bytes through a result: fresh buffers each time would be gigabytes of
 * short-lived external memory, which the collector answers with full collections; buffers moved
 * between threads count as new ones each time they arrive. So the pool's buffers are shared
 * (SharedArrayBuffer): posted to a worker they are the same memory on both sides, and nothing is
 * moved or counted again. A buffer goes back to the pool once read (a result: once every copy has
 * written its part); at any time only one thread uses it.
 */
export class BufferPool {
  private readonly free: SharedArrayBuffer[] = [];

  constructor(private readonly keep = 16) {}

  /** A buffer of at least `bytes` bytes (contents undefined). */
  take(bytes: number): SharedArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const n = this.free[i].byteLength;
      if (n >= bytes && (best < 0 || n < this.free[best].byteLength)) best = i;
    }
    if (best >= 0) {
      const b = this.free[best];
      this.free[best] = this.free[this.free.length - 1];
      this.free.pop();
      return b;
    }
    // Room to grow, rounded, so that the next batches fit the same buffers.
    const unit = 1 << 16;
    return new SharedArrayBuffer(Math.ceil((bytes * 1.25) / unit) * unit);
  }

  /** Returns a buffer (one that is not the pool's kind, or was moved elsewhere, is dropped). */
  give(b: ArrayBufferLike | null | undefined): void {
    if (b instanceof SharedArrayBuffer && this.free.length < this.keep) this.free.push(b);
  }
}
