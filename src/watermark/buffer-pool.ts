/**
 * Spare ArrayBuffers for batches and their results. A run moves every registry byte through a
 * batch and every copy's bytes through a result: fresh buffers each time would be gigabytes of
 * short-lived external memory, which the collector answers with full collections. Buffers go back
 * to the pool once read (results: once every copy has written its part) and across threads with
 * the jobs.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly keep = 16) {}

  /** A buffer of at least `bytes` bytes (contents undefined). */
  take(bytes: number): ArrayBuffer {
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
    return new ArrayBuffer(Math.ceil((bytes * 1.25) / unit) * unit);
  }

  /** Returns a buffer (a detached one, transferred elsewhere, is dropped). */
  give(b: ArrayBuffer | null | undefined): void {
    if (b && b.byteLength > 0 && this.free.length < this.keep) this.free.push(b);
  }
}
