import { NcInputError } from '../errors.js';

/**
 * The one two-pass driver. Exact Neural Collapse needs two passes over the data — class means first, then the spread
 * around them — so every analysis (core's `analyze` and `analyzeMultiLabel`, the ONNX adapter's multi-tensor runs, the
 * tfjs probe, the CLI's `analyze` and `stats` commands, OOD fit/score passes, token streams) is a *source* of batches
 * and a *sink* that accumulates them, run by {@link runPasses}. The driver iterates, counts rows, reports progress,
 * locates errors by batch and row, and times each phase.
 */

/** The phases of a run, timed in seconds: waiting for the source, pass 1, between the passes, pass 2, the report. */
export interface PhaseTiming {
  /** Waiting for the source's batches (file reads, decoding, inference: whatever produces a batch), both passes. */
  read: number;
  /** Pass 1 minus its reads: class counts and sums. */
  means: number;
  /** Between the passes: building the spread accumulators (the means' tables on the engine). */
  setup: number;
  /** Pass 2 minus its reads: within-class spread and decisions. */
  spread: number;
  /** From statistics to the report (every metric). */
  report: number;
}

/** A timing with every phase at 0 s. */
export function zeroTiming(): PhaseTiming {
  return { read: 0, means: 0, setup: 0, spread: 0, report: 0 };
}

/** Adds `b` into `a` phase by phase (several runs into one timing) and returns `a`. */
export function addTiming(a: PhaseTiming, b: PhaseTiming): PhaseTiming {
  a.read += b.read;
  a.means += b.means;
  a.setup += b.setup;
  a.spread += b.spread;
  a.report += b.report;
  return a;
}

/** Which pass a batch belongs to. */
export type PassName = 'means' | 'spread';

/**
 * A re-readable source of batches: an array (read twice), or a function returning a fresh iterable each time it is
 * called — with the pass it is called for, so a source may replay a cache in pass 2 instead of recomputing.
 */
export type PassSource<B> = readonly B[] | ((pass: PassName) => Iterable<B> | AsyncIterable<B>);

/** Where a batch sits in its pass: its index, the rows before it in the pass, and its own rows. */
export interface BatchPosition {
  pass: PassName;
  /** 0-based index of the batch in this pass. */
  batch: number;
  /** Rows of the source before this batch in this pass. */
  firstRow: number;
  /** Rows of this batch. */
  rows: number;
}

/**
 * What consumes the batches. Each step is optional: a means-only run (`ncscope stats means`) has no `spread`, a
 * spread-only one (`stats spread` against saved means) no `means`. The driver calls `means` for every batch of pass
 * 1, then `setup`, then `spread` for every batch of pass 2, then `report`.
 */
export interface PassSink<B, R = void> {
  /** Rows in a batch, for progress and error locations (default: `batch.labels.length`). */
  rows?(batch: B): number;
  means?(batch: B, at: BatchPosition): void | Promise<void>;
  /** After pass 1 (timed as `setup`): check what pass 1 saw, build the spread accumulators. */
  setup?(): void | Promise<void>;
  spread?(batch: B, at: BatchPosition): void | Promise<void>;
  /** After pass 2 (timed as `report`). */
  report?(): R | Promise<R>;
}

/** Options of {@link runPasses}. */
export interface RunPassesOptions {
  /** Called after each batch with the pass and the rows done in it. */
  onProgress?: (pass: PassName, rowsDone: number) => void;
  /**
   * Re-locates an NcInputError thrown for a batch: a caller that knows where the rows come from turns `batch 3,
   * row 5` into `{ source: 'labels.npy', row: 3077 }` with `error.relocate(...)`. Default: unchanged.
   */
  locate?: (error: NcInputError, at: BatchPosition) => NcInputError;
  /** Add this run's phases to an existing timing (several runs, e.g. one per checkpoint); default a fresh one. */
  timing?: PhaseTiming;
}

/** What {@link runPasses} returns: the sink's report, the timing, and the rows each pass saw. */
export interface PassesResult<R> {
  result: R;
  timing: PhaseTiming;
  rows: { means: number; spread: number };
}

/** The batches of a source for one pass (arrays are reread, functions called afresh); BAD_OPTION for anything else. */
export function passIterable<B>(source: PassSource<B>, pass: PassName): Iterable<B> | AsyncIterable<B> {
  if (typeof source === 'function') {
    const it = source(pass);
    if (!it || (typeof (it as AsyncIterable<B>)[Symbol.asyncIterator] !== 'function' && typeof (it as Iterable<B>)[Symbol.iterator] !== 'function')) {
      throw new NcInputError('BAD_OPTION', 'the batch source function must return an iterable of batches');
    }
    return it;
  }
  if (Array.isArray(source)) return source;
  throw new NcInputError('BAD_OPTION', 'a batch source must be an array of batches or a function returning a fresh iterable (two passes are needed)');
}

const now = () => performance.now() / 1000;

/**
 * Runs the passes of `sink` over `source`: pass 1 (if the sink has `means`), `setup`, pass 2 (if it has `spread`),
 * `report`. Times every phase (reads are the time spent waiting for the source; overlapped prefetching is not
 * counted), reports progress, and re-locates errors thrown for a batch with `options.locate`.
 */
export async function runPasses<B, R = void>(source: PassSource<B>, sink: PassSink<B, R>, options: RunPassesOptions = {}): Promise<PassesResult<R>> {
  const timing = options.timing ?? zeroTiming();
  const rowsOf = sink.rows ?? ((b: B) => (b as { labels: ArrayLike<unknown> }).labels.length);
  const rows = { means: 0, spread: 0 };
  const pass = async (name: PassName, step: (batch: B, at: BatchPosition) => void | Promise<void>) => {
    const started = now();
    let read = 0;
    const iterable = passIterable(source, name);
    const iterator = Symbol.asyncIterator in iterable ? (iterable as AsyncIterable<B>)[Symbol.asyncIterator]() : (iterable as Iterable<B>)[Symbol.iterator]();
    let index = 0;
    try {
      for (;;) {
        const t = now();
        const next = await iterator.next();
        read += now() - t;
        if (next.done) break;
        const batch = next.value;
        const at: BatchPosition = { pass: name, batch: index++, firstRow: rows[name], rows: 0 };
        try {
          at.rows = rowsOf(batch);
          await step(batch, at);
        } catch (e) {
          throw e instanceof NcInputError && options.locate ? options.locate(e, at) : e;
        }
        rows[name] += at.rows;
        options.onProgress?.(name, rows[name]);
      }
    } catch (e) {
      await iterator.return?.();
      throw e;
    } finally {
      timing.read += read;
      timing[name] += now() - started - read;
    }
  };
  if (sink.means) await pass('means', sink.means.bind(sink));
  if (sink.setup) await timed(timing, 'setup', () => sink.setup!());
  if (sink.spread) await pass('spread', sink.spread.bind(sink));
  const result = (sink.report ? await timed(timing, 'report', () => sink.report!()) : undefined) as R;
  return { result, timing, rows };
}

/** Runs `work` and adds its wall time to `timing[phase]`. */
export async function timed<T>(timing: PhaseTiming, phase: keyof PhaseTiming, work: () => T | Promise<T>): Promise<T> {
  const t = now();
  try {
    return await work();
  } finally {
    timing[phase] += now() - t;
  }
}
