import {
  MeansAccumulator,
  NcInputError,
  SpreadAccumulator,
  computeReport,
  releaseEngine,
  resolveNormalization,
  runPasses,
  selectEngine,
  spreadWork,
  type PassSink,
  type PhaseTiming,
  type SelectedEngine,
  type Classifier,
  type ConventionOptions,
  type MeansStatistics,
  type NcReport,
  type NormalizationOptions,
  type ProductEngine,
  type SpreadStatistics,
  withSampledDecisions,
} from '@ncscope/core';
import { createOnnxProductEngine } from '../engine/index.js';
import { DEFAULT_CACHE_LIMIT } from '../run/analyze-model.js';
import { openLanguageModel, type LanguageModel } from './language-model.js';
import { LmFeatureRunner, type LmRunnerOptions, type TokenBatch } from './runner.js';
import { planTokens, type TokenCorpus, type TokenLimits, type TokenPlan, type TokenSelection } from './tokens.js';

/** Progress of {@link analyzeLanguageModel}: tokens done in each pass (pass 2 replays a cache or runs the model again). */
export interface LmProgress {
  phase: 'means' | 'spread';
  tokens: number;
  /** Measured tokens of the run (the shard's). */
  total: number;
  sequences: number;
  cached: boolean;
}

/** Options of {@link analyzeLanguageModel}. */
export interface LmAnalyzeOptions extends LmRunnerOptions, TokenSelection, ConventionOptions, NormalizationOptions {
  /**
   * The classifier behind NC2 (W), NC3, NC4 and the accuracies: 'auto' (default) the graph's head when the feature
   * tensor is its input; 'none'; or W (K × D) and b given (e.g. read from files when the head is not found).
   */
  classifier?: 'auto' | 'none' | Classifier;
  /** Classes; default the head's rows (or the given classifier's). */
  K?: number;
  /**
   * Product engine: 'auto' (default) the onnxruntime engine of this package when the spread products are worth a
   * session, else core's JS engine; 'js' / 'onnxruntime'; or any ProductEngine (not disposed here).
   */
  engine?: ProductEngine | 'auto' | 'js' | 'onnxruntime';
  /** Cache the measured tokens' features for pass 2 up to this many bytes; above it, pass 2 runs the model again (default 1 GiB). */
  cacheLimitBytes?: number;
  /** Sequences [start, end) of the corpus only (a shard); the token plan is still made over the whole corpus. */
  range?: { start?: number; end?: number };
  /** A token plan made earlier for this corpus (else made here). */
  plan?: TokenPlan;
  /** Classes with fewer tokens are the minority of the report's imbalance section. */
  minorityBelow?: number;
  onProgress?: (p: LmProgress) => void;
}

/** The result of {@link analyzeLanguageModel}. */
export interface LmAnalysis {
  report: NcReport;
  means: MeansStatistics;
  spread: SpreadStatistics;
  plan: TokenPlan;
  /** The feature tensor measured. */
  tensor: string;
  /** Where the classifier came from, or undefined without one. */
  classifier?: { kind: string; K: number; D: number; weightsFrom: string; biasFrom?: string };
  /** Measured tokens of this run (the shard's), and its sequences. */
  tokens: number;
  sequences: { start: number; end: number };
  /** Whether pass 2 replayed cached features (else it ran the model again). */
  cached: boolean;
  engine: string;
  /** onnxruntime runs (both passes) and the seconds they took; wall seconds of the whole analysis. */
  runs: number;
  inferenceSeconds: number;
  seconds: number;
  /** The time of each phase (core's driver): `read` is inference (pass 2 too when not cached), then means, setup, spread, report. */
  timing: PhaseTiming;
}

/** The checks the token plan makes for this model: its head's K, vocabulary, position table and position rule. */
export function tokenLimits(lm: LanguageModel, K: number): TokenLimits {
  return {
    K,
    vocabSize: lm.vocabSize,
    vocabFrom: lm.vocabFrom,
    maxPositions: lm.maxPositions,
    maxPositionsFrom: lm.maxPositionsFrom,
    positions: lm.signature.positions ? 'mask' : 'column',
  };
}

/**
 * Token-level Neural Collapse of a causal language model (Wu & Papyan 2024, "Linguistic Collapse"): the features are
 * the head's input at every measured position, the class is the next token, K is the head's rows (the vocabulary).
 * The corpus is planned first ({@link planTokens}: checks, --min-count, --max-tokens, the decisions sample); then
 * pass 1 runs the model and sums the class means, pass 2 replays the cached features (when they fit
 * `cacheLimitBytes`) or runs the model again, and sums the spread. Memory stays O(batch · T · D + K · D) beyond the
 * cache whatever the corpus size: no pass holds every token's features.
 */
export async function analyzeLanguageModel(model: LanguageModel | string, corpus: TokenCorpus, options: LmAnalyzeOptions = {}): Promise<LmAnalysis> {
  const t0 = performance.now();
  const lm = typeof model === 'string' ? openLanguageModel(model) : model;
  resolveNormalization(options);
  const source = lm.model.source;
  const mode = options.classifier ?? 'auto';
  const tensor = options.tensor ?? lm.head?.featureTensor;
  let classifier: Classifier | undefined;
  let classifierInfo: LmAnalysis['classifier'];
  if (typeof mode === 'object') {
    classifier = mode;
    classifierInfo = { kind: 'given', K: 0, D: 0, weightsFrom: 'given', biasFrom: mode.bias ? 'given' : undefined };
  } else if (mode === 'auto' && lm.head && lm.head.featureTensor === tensor) {
    const h = lm.head;
    classifier = { weights: h.weights, bias: h.bias };
    classifierInfo = { kind: h.kind, K: h.K, D: h.D, weightsFrom: h.weightsFrom, biasFrom: h.biasFrom };
  }
  if (typeof mode === 'object' && options.K === undefined) throw new NcInputError('BAD_OPTION', `${source}: with classifier weights given, give K (their rows) as well`, { source });
  const K = options.K ?? lm.head?.K;
  if (K === undefined) {
    throw new NcInputError('NO_CLASSIFIER', `${source}: no head found at the end of the graph (${lm.noHeadReasons.join('; ') || 'no outputs'}); pass the feature tensor with --tensor NAME and the head's weights with --weights FILE`, { source });
  }
  const runner = await LmFeatureRunner.create(lm, { ...options, tensor });
  try {
    const Kplan = K;
    const plan = options.plan ?? await planTokens(corpus, tokenLimits(lm, Kplan), options);
    const start = options.range?.start ?? 0;
    const end = Math.min(options.range?.end ?? corpus.N, corpus.N);
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end)) throw new NcInputError('BAD_OPTION', `sequence range ${start}..${end} does not fit the corpus (${corpus.N} sequences)`);
    const total = plan.keptBefore[end] - plan.keptBefore[start];
    if (total === 0) throw new NcInputError('NO_DATA', `${corpus.source}: sequences ${start}..${end - 1} hold no measured token`, { source: corpus.source });
    const limit = options.cacheLimitBytes ?? DEFAULT_CACHE_LIMIT;
    let runs = 0;
    let inferenceMs = 0;
    let cache: TokenBatch[] | undefined = [];
    const timed = async function* (): AsyncGenerator<TokenBatch> {
      const it = runner.run(corpus, plan, { start, end });
      for (;;) {
        const s = performance.now();
        const r = await it.next();
        inferenceMs += performance.now() - s;
        if (r.done) return;
        runs++;
        yield r.value;
      }
    };
    // Core's two-pass driver: pass 1 runs inference and sums the class means (caching the features when they fit),
    // pass 2 replays the cache or runs the model again and sums the spread.
    let means: MeansAccumulator | undefined;
    let spread: SpreadAccumulator | undefined;
    let decider: SpreadAccumulator | undefined;
    let selected: SelectedEngine | undefined;
    let tokens = 0;
    const conventions: ConventionOptions = {
      preset: options.preset, globalMean: options.globalMean, nc1Normalization: options.nc1Normalization, pinvRtol: options.pinvRtol, centreWeights: options.centreWeights,
      nc4Bias: options.nc4Bias, emptyClasses: options.emptyClasses ?? 'exclude', cdnvExponent: options.cdnvExponent, kernelPrecision: options.kernelPrecision,
    };
    const sampled = plan.sample !== undefined;
    const sink: PassSink<TokenBatch, { report: NcReport; spread: SpreadStatistics }> = {
      rows: (b) => b.tokens,
      async means(b) {
        if (!means) {
          if (classifier) {
            if (classifier.weights.length % b.D !== 0) throw new NcInputError('SHAPE', `${source}: the classifier has ${classifier.weights.length} weights, not K × D with D = ${b.D} (tensor "${tensor}")`, { source });
            const Kw = classifier.weights.length / b.D;
            if (Kw !== K) throw new NcInputError('SHAPE', `${source}: the classifier has ${Kw} rows but K = ${K}`, { source });
            classifierInfo!.K = Kw;
            classifierInfo!.D = b.D;
          }
          if (total * b.D * 4 > limit) cache = undefined;
          // Core's engine rule; the work is the spread phase's: every token's D × D scatter, the decisions of the sampled ones.
          const decisions = plan.sample ? plan.sample.n : total;
          const work = total * b.D * b.D + spreadWork(decisions, b.D, Kplan, classifier !== undefined);
          selected = await selectEngine(options.engine ?? 'auto', work, {
            engines: { onnxruntime: (o) => createOnnxProductEngine({ executionProviders: o.executionProviders ? [...o.executionProviders] : undefined }) },
            executionProviders: options.executionProviders,
          });
          means = new MeansAccumulator({ K: Kplan, engine: selected.engine, normalize: options.normalize, temperature: options.temperature });
        }
        try {
          await means.addAsync(b);
        } catch (e) {
          throw locate(e, b, corpus.source);
        }
        cache?.push(b);
        tokens += b.tokens;
        options.onProgress?.({ phase: 'means', tokens, total, sequences: b.start + b.rows - start, cached: cache !== undefined });
      },
      async setup() {
        if (!means) throw new NcInputError('NO_DATA', `${corpus.source}: no measured token`, { source: corpus.source });
        // With a decisions sample: every token's residuals and scatter without decisions (O(D²) per token), and the
        // decisions (O(D·K) per token) of the sampled tokens only, from a second accumulator.
        spread = await SpreadAccumulator.create(means.statistics, { classifier, engine: selected!.engine, perClassNc1: conventions, decisions: !sampled });
        decider = sampled ? await SpreadAccumulator.create(means.statistics, { classifier, engine: selected!.engine, perClassNc1: false }) : undefined;
        tokens = 0;
      },
      async spread(b) {
        try {
          await spread!.add(b);
          if (decider && b.sampled && b.sampled.length > 0) await decider.add(sampleRows(b));
        } catch (e) {
          throw locate(e, b, corpus.source);
        }
        tokens += b.tokens;
        options.onProgress?.({ phase: 'spread', tokens, total, sequences: b.start + b.rows - start, cached: cache !== undefined });
      },
      async report() {
        const spreadStats = decider ? withSampledDecisions(spread!.statistics, decider.statistics) : spread!.statistics;
        const report = await computeReport(means!.statistics, spreadStats, { ...conventions, classifier, engine: selected!.engine, minorityBelow: options.minorityBelow });
        return { report, spread: spreadStats };
      },
    };
    try {
      const { result, timing } = await runPasses((pass) => (pass === 'spread' && cache ? cache : timed()), sink);
      return {
        report: result.report, means: means!.statistics, spread: result.spread, plan, tensor: runner.tensor, classifier: classifierInfo, tokens: total, sequences: { start, end },
        cached: cache !== undefined, engine: selected!.engine.name, runs, inferenceSeconds: inferenceMs / 1000, seconds: (performance.now() - t0) / 1000, timing,
      };
    } finally {
      await releaseEngine(selected);
    }
  } finally {
    await runner.release();
  }
}

/** The sampled tokens of a batch as a batch of their own (features and labels; origin kept for error messages). */
function sampleRows(b: TokenBatch): TokenBatch {
  const idx = b.sampled!;
  const D = b.D;
  const features = new Float32Array(idx.length * D);
  const labels = new Int32Array(idx.length);
  const origin = new Int32Array(idx.length * 2);
  idx.forEach((i, j) => {
    features.set(b.features.subarray(i * D, (i + 1) * D), j * D);
    labels[j] = b.labels[i];
    origin[2 * j] = b.origin[2 * i];
    origin[2 * j + 1] = b.origin[2 * i + 1];
  });
  return { ...b, tokens: idx.length, features, labels, origin, sampled: undefined };
}

/** A core error about batch rows, re-located at the corpus sequence and position of the token (its data re-rendered). */
function locate(e: unknown, b: TokenBatch, source: string): unknown {
  if (!(e instanceof NcInputError) || e.where.row === undefined) return e;
  const i = e.where.row;
  return e.relocate({ source, row: b.origin[2 * i], rowName: 'sequence', column: b.origin[2 * i + 1], columnName: 'position', label: e.where.label });
}
