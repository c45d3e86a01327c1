/**
 * Accumulates the wall time the analysis spends waiting for the readers (file reads plus decoding), reported as
 * `timing.readSeconds`. Reads are prefetched one batch ahead, so reading that overlaps computing is not counted.
 */
export class ReadClock {
  seconds = 0;

  async time<T>(work: Promise<T> | (() => Promise<T>)): Promise<T> {
    const t0 = performance.now();
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      this.seconds += (performance.now() - t0) / 1000;
    }
  }
}
