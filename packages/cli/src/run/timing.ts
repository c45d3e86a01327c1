import { addTiming, zeroTiming, type PhaseTiming } from '@ncscope/core';

/**
 * The `timing` of every command's `--json`: the driver's phases in seconds (`read` — waiting for files and
 * inference, `means`, `setup`, `spread`, `report`), plus the run's whole wall time in `seconds`.
 * `readSeconds` and `computeSeconds` are the keys of earlier releases (read, and everything else), kept for one
 * release.
 */
export interface CommandTiming extends PhaseTiming {
  /** Wall time of the whole command, seconds. */
  seconds: number;
  /** @deprecated Same as `read` (kept for one release). */
  readSeconds: number;
  /** @deprecated `seconds − read` (kept for one release). */
  computeSeconds: number;
}

/** Collects a command's phases (several driver runs, reads outside them) and its wall time. */
export class CommandClock {
  readonly phases: PhaseTiming = zeroTiming();
  private readonly started = performance.now();

  /** Adds one driver run's timing. */
  add(timing: PhaseTiming): void {
    addTiming(this.phases, timing);
  }

  /** Runs `work` (a read outside the driver: headers, labels, a classifier) and adds its time to `read`. */
  async read<T>(work: Promise<T> | (() => Promise<T>)): Promise<T> {
    const t0 = performance.now();
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      this.phases.read += (performance.now() - t0) / 1000;
    }
  }

  /** The timing so far. */
  timing(): CommandTiming {
    const seconds = (performance.now() - this.started) / 1000;
    const p = this.phases;
    return { ...p, seconds, readSeconds: p.read, computeSeconds: Math.max(0, seconds - p.read) };
  }
}
