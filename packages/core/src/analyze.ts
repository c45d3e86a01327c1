import type { ContextOptions } from './context/context.js';
import type { ProductEngine } from './engine/product-engine.js';
import type { ScatterSpace } from './engine/spread-plan.js';
import { NcInputError } from './errors.js';
import { computeReport, type NcReport, type PerClassOptions } from './report/report.js';
import { MeansAccumulator, type MeansStatistics } from './statistics/means.js';
import { resolveNormalization, type NormalizationOptions } from './statistics/normalization.js';
import { checkClassCount } from './validate/class-count.js';
import { SpreadAccumulator, type SpreadAccumulatorOptions, type SpreadStatistics } from './statistics/spread.js';
import type { Batch, Classifier } from './types.js';

/**
 * Where batches come from. Exact NC needs two passes (means, then spread), so a source must be re-readable:
 * an array of batches, or a function returning a fresh (async) iterable each time it is called.
 */
export type BatchSource = readonly Batch[] | (() => Iterable<Batch> | AsyncIterable<Batch>);

/** Options of {@link analyze}. */
export interface AnalyzeOptions extends Omit<ContextOptions, 'classifier' | 'engine'>, PerClassOptions, NormalizationOptions {
  /** Number of classes; default: the classifier's row count, else the largest label + 1. */
  K?: number;
  classifier?: Classifier;
  /** Where the products run (both phases and the K-sized algebra); default core's portable `jsEngine`. */
  engine?: ProductEngine;
  /** Rows per product call in the spread phase (default: up to 4096, fewer when K is large). */
  chunkRows?: number;
  /** Space of the spread phase's scatter; default 'auto' = the smaller of 'means' (K) and 'features' (D). */
  space?: 'auto' | ScatterSpace;
  /** Accumulate per-class NC1 in the spread phase (default true; one rows × m × rank product per chunk). */
  perClassNc1?: boolean;
  /** Called after each batch with the phase and the rows done in that phase. */
  onProgress?: (phase: 'means' | 'spread', rowsDone: number) => void;
  /**
   * Memory bound of the analysis's K- and D-sized tables in bytes (default 8 GiB; validate/class-count.ts): a K —
   * stated, or from the labels — whose tables exceed it is refused with TOO_LARGE before they are allocated.
   */
  maxBytes?: number;
}

/** The result of {@link analyze}: the report plus the statistics behind it (serializable, mergeable). */
export interface AnalyzeResult {
  report: NcReport;
  means: MeansStatistics;
  spread: SpreadStatistics;
}

/** The batches of a source, for one pass (arrays are reread, functions called afresh); BAD_OPTION for anything else. */
export async function* iterate<B = Batch>(source: readonly B[] | (() => Iterable<B> | AsyncIterable<B>)): AsyncGenerator<B> {
  if (typeof source === 'function') {
    const it = source();
    if (!it || (typeof (it as AsyncIterable<B>)[Symbol.asyncIterator] !== 'function' && typeof (it as Iterable<B>)[Symbol.iterator] !== 'function')) {
      throw new NcInputError('BAD_OPTION', 'the batch source function must return an iterable of batches');
    }
    yield* it as AsyncIterable<B>;
  } else if (Array.isArray(source)) {
    yield* source;
  } else {
    throw new NcInputError('BAD_OPTION', 'a batch source must be an array of batches or a function returning a fresh iterable (two passes are needed)');
  }
}

/** K from the options or the classifier (rows = weights / D, with D from the first batch); undefined: grow with labels. */
function classCount(options: AnalyzeOptions, first: Batch): number | undefined {
  if (!options.classifier) return options.K;
  const D = first.features.length / first.labels.length;
  if (!Number.isInteger(D) || D === 0) return options.K; // the accumulator names the malformed batch
  const Kw = options.classifier.weights.length / D;
  if (!Number.isInteger(Kw)) {
    throw new NcInputError('SHAPE', `classifier weights have ${options.classifier.weights.length} values, not a multiple of D = ${D} (the feature dimension)`);
  }
  if (options.K !== undefined && Kw !== options.K) throw new NcInputError('SHAPE', `the classifier has ${Kw} rows but K = ${options.K}`);
  return Kw;
}

/**
 * Full two-phase analysis: pass 1 accumulates class counts and sums, pass 2 the spread statistics against
 * those means (and the classifier's decisions), then every metric is computed from the statistics. With `normalize`
 * (and `temperature`) every row is normalized to τ·h/‖h‖ as it streams by, in both passes (Yaras et al. 2022).
 */
export async function analyze(source: BatchSource, options: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  resolveNormalization(options); // named errors for bad normalize/temperature before any pass
  let means: MeansAccumulator | undefined;
  let rows = 0;
  for await (const batch of iterate(source)) {
    // K is fixed before the first row is counted, so a label outside the classifier's rows is a BAD_LABEL
    // naming its batch and row. D is known only from the first non-empty batch.
    if (!means && batch.labels.length > 0) {
      const K = classCount(options, batch);
      // A stated K is checked against the whole analysis's tables before the first row is read.
      if (K !== undefined) {
        const D = batch.features.length / batch.labels.length;
        checkClassCount({ K, D: Number.isInteger(D) ? D : undefined, classifier: options.classifier !== undefined, maxBytes: options.maxBytes, statedBy: options.classifier ? 'the classifier' : 'the option K' });
      }
      means = new MeansAccumulator({ K, engine: options.engine, chunkRows: options.chunkRows, normalize: options.normalize, temperature: options.temperature, maxBytes: options.maxBytes });
    }
    if (!means) continue;
    await means.addAsync(batch);
    rows += batch.labels.length;
    options.onProgress?.('means', rows);
  }
  if (!means || rows === 0) throw new NcInputError('NO_DATA', 'the batch source produced no samples');
  const { K: _K, classifier, engine, chunkRows, space, perClassNc1, onProgress: _p, normalize: _n, temperature: _t, maxBytes, ...reportOptions } = options;
  const spread = await spreadPass(source, means.statistics, options, {
    classifier, engine, chunkRows, space, route: reportOptions.spectralRoute, perClassNc1: perClassNc1 === false ? false : reportOptions, maxBytes,
  });
  const report = await computeReport(means.statistics, spread, { ...reportOptions, classifier, engine });
  return { report, means: means.statistics, spread };
}

/**
 * Phase 2. Its accumulator — with the spread reference's K × D tables and the engine's copies of them — is
 * unreachable once this returns, so the report does not hold them (about 1 GB at K = 32,768, D = 1,024).
 */
async function spreadPass(source: BatchSource, means: MeansStatistics, options: AnalyzeOptions, accOptions: SpreadAccumulatorOptions): Promise<SpreadStatistics> {
  const spread = await SpreadAccumulator.create(means, accOptions);
  let rows = 0;
  for await (const batch of iterate(source)) {
    await spread.add(batch);
    rows += batch.labels.length;
    options.onProgress?.('spread', rows);
  }
  return spread.statistics;
}
