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
  type Classifier,
  type PassSink,
  type PhaseTiming,
  type SelectedEngine,
  type ConventionOptions,
  type LabelArray,
  type MeansStatistics,
  type NcReport,
  type NormalizationOptions,
  type ProductEngine,
  type SpreadStatistics,
} from '@ncscope/core';
import { createOnnxProductEngine } from '../engine/index.js';
import { OnnxModel } from '../model/onnx-model.js';
import type { LinearClassifier } from '../model/classifier.js';
import { FeatureExtractor, type ExtractorOptions, type FeatureBatch } from './extractor.js';
import type { InputArray } from './input.js';

/** Default bound on cached features (bytes) before the second pass re-runs inference instead: 1 GiB. */
export const DEFAULT_CACHE_LIMIT = 1 << 30;

/** Progress of {@link analyzeModel}: pass 1 (inference + means) and pass 2 (spread; inference again if not cached). */
export interface ModelProgress {
  phase: 'means' | 'spread';
  batch: number;
  batches: number;
  rows: number;
  /** Whether pass 2 reads cached features (true) or re-runs the model (false); known after the first batch. */
  cached: boolean;
}

/**
 * Options of {@link analyzeModel}. Conventions (preset, globalMean, cdnvExponent, …) go to the core's report;
 * `normalize`/`temperature` normalize every feature row as it streams by (both passes).
 */
export interface AnalyzeModelOptions extends ExtractorOptions, ConventionOptions, NormalizationOptions {
  /** One label per input row, 0 … K−1. */
  labels: LabelArray;
  /** Number of classes; default the classifier's row count, else the largest label + 1. */
  K?: number;
  /**
   * The classifier (W, b) behind NC2 (weights), NC3, NC4 and accuracy: 'auto' (default) uses the model's final
   * linear classifier for its input tensor; 'none' uses none; or give W, b per tensor name.
   */
  classifier?: 'auto' | 'none' | Record<string, Classifier>;
  /**
   * Product engine for the statistics: 'auto' (default) uses the onnxruntime engine of this package when the
   * products are worth a session (core's `selectEngine` rule, ≥ `AUTO_ENGINE_MIN_WORK` multiply-adds), else core's JS engine;
   * 'js' / 'onnxruntime' force one; or pass any ProductEngine (not disposed here).
   */
  engine?: ProductEngine | 'auto' | 'js' | 'onnxruntime';
  /** Classes with fewer samples are the minority of the reports' imbalance section (default: half the largest class). */
  minorityBelow?: number;
  /**
   * Subspace alignment with the layer that reads each tensor (Rangamani et al. 2023): 'auto' (default) for every tensor
   * consumed by one Gemm/MatMul with a constant weight (`metrics.subspaceAlignment`, `report.consumer`); 'none' skips it.
   */
  alignment?: 'auto' | 'none';
  /** Cache features for the second pass up to this many bytes (all tensors together); above it, run the model again. */
  cacheLimitBytes?: number;
  onProgress?: (p: ModelProgress) => void;
}

/** The NC analysis of one tensor. */
export interface TensorAnalysis {
  tensor: string;
  N: number;
  D: number;
  K: number;
  /** The classifier used, with where it came from; undefined when none applies. */
  classifier?: { K: number; D: number; weightsFrom: string; biasFrom?: string; kind: string };
  /** The linear node reading this tensor whose weight `report.metrics.subspaceAlignment` compares with; undefined when none. */
  consumer?: { node: string; kind: string; outputs: number; weightsFrom: string };
  report: NcReport;
  means: MeansStatistics;
  spread: SpreadStatistics;
}

/** The result of {@link analyzeModel}. */
export interface ModelAnalysis {
  model: string;
  tensors: TensorAnalysis[];
  /** The default classifier found in the graph (if any). */
  foundClassifier?: LinearClassifier;
  /** Whether pass 2 used cached features (else it re-ran inference). */
  cached: boolean;
  /** Name of the product engine the statistics used ("js", "onnxruntime", …). */
  engine: string;
  /** Runs of onnxruntime, and seconds spent in inference and in total. */
  runs: number;
  inferenceSeconds: number;
  seconds: number;
  /** The time of each phase (core's driver): `read` is inference (pass 2 too when not cached), then means, setup, spread, report. */
  timing: PhaseTiming;
}

function labelsSlice(labels: LabelArray, start: number, rows: number): LabelArray {
  return Array.isArray(labels) ? labels.slice(start, start + rows) : (labels as Exclude<LabelArray, number[]>).subarray(start, start + rows);
}

/**
 * Neural Collapse of one model on one probe set: runs the model over the input batches, streams the chosen
 * tensors (default: the input of the final linear classifier, with that classifier's W and b) into the core's
 * two-phase statistics, and returns one report per tensor.
 *
 * Two passes are needed (class means first, then spread around them). Pass 2 replays the features cached in
 * pass 1 when they fit in `cacheLimitBytes` (N·ΣD·4 bytes for float32; 1 GiB by default, e.g. 50,000 samples ×
 * 2,048 dims = 410 MB), because inference usually costs far more than the statistics; above the limit it runs
 * the model again, so memory stays O(batch · D + K · D) whatever N is.
 */
export async function analyzeModel(model: OnnxModel | string | Uint8Array, input: InputArray, options: AnalyzeModelOptions): Promise<ModelAnalysis> {
  const t0 = performance.now();
  const m = model instanceof OnnxModel ? model : OnnxModel.open(model);
  const N = input.shape[0];
  const source = input.source ?? 'inputs';
  if (options.labels.length !== N) {
    throw new NcInputError('SHAPE', `${source} has ${N} samples but the labels have ${options.labels.length}; they must match row for row`, { source });
  }
  if (N === 0) throw new NcInputError('NO_DATA', `${source} has no samples`, { source });
  resolveNormalization(options); // named errors for bad normalize/temperature before the model runs
  const classifierMode = options.classifier ?? 'auto';
  const found = classifierMode === 'auto' ? m.findClassifier().classifier : undefined;
  const tensors = options.tensors && options.tensors.length > 0 ? [...options.tensors] : [m.classifier().featureTensor];
  m.checkTensors(tensors);
  const classifierOf = (tensor: string): { c: Classifier; info: TensorAnalysis['classifier'] } | undefined => {
    if (classifierMode === 'none') return undefined;
    if (classifierMode === 'auto') {
      if (!found || found.featureTensor !== tensor) return undefined;
      return { c: { weights: found.weights, bias: found.bias }, info: { K: found.K, D: found.D, weightsFrom: found.weightsFrom, biasFrom: found.biasFrom, kind: found.kind } };
    }
    const c = classifierMode[tensor];
    if (!c) return undefined;
    // K and D of a given classifier are set once D is known (after the first batch).
    return { c, info: { K: 0, D: 0, weightsFrom: 'given', biasFrom: c.bias ? 'given' : undefined, kind: 'given' } };
  };
  if (typeof classifierMode === 'object') {
    const stray = Object.keys(classifierMode).filter((k) => !tensors.includes(k));
    if (stray.length) throw new NcInputError('BAD_OPTION', `${m.source}: a classifier is given for ${stray.map((k) => `"${k}"`).join(', ')}, which is not among the analysed tensors [${tensors.join(', ')}]`);
  }
  const classifiers = tensors.map(classifierOf);
  const K = options.K ?? found?.K ?? classifiers.find((c) => c?.c.bias)?.c.bias?.length;

  const extractor = await FeatureExtractor.create(m, { ...options, tensors });
  let runs = 0;
  let inferenceMs = 0;
  let selected: SelectedEngine | undefined;
  try {
    const batches = extractor.batchCount(N);
    const limit = options.cacheLimitBytes ?? DEFAULT_CACHE_LIMIT;
    let cache: FeatureBatch[] | undefined = [];
    let cached = true;
    let means: MeansAccumulator[] = [];
    let spread: SpreadAccumulator[] = [];
    const timed = async function* (): AsyncGenerator<FeatureBatch> {
      const it = extractor.run(input);
      for (;;) {
        const s = performance.now();
        const r = await it.next();
        inferenceMs += performance.now() - s;
        if (r.done) return;
        runs++;
        yield r.value;
      }
    };
    const conventions: ConventionOptions = {
      preset: options.preset, globalMean: options.globalMean, nc1Normalization: options.nc1Normalization, pinvRtol: options.pinvRtol, centreWeights: options.centreWeights,
      nc4Bias: options.nc4Bias, emptyClasses: options.emptyClasses, cdnvExponent: options.cdnvExponent, kernelPrecision: options.kernelPrecision,
    };
    // Core's two-pass driver: pass 1 runs inference (and caches the features when they fit), pass 2 replays the cache
    // or runs inference again. Errors are located at the tensor and the input rows of their batch.
    const source = (pass: 'means' | 'spread') => (pass === 'spread' && cache ? cache : timed());
    const sink: PassSink<FeatureBatch, TensorAnalysis[]> = {
      rows: (b) => b.rows,
      async means(b) {
        if (b.index === 0) {
          // D is known now: decide whether pass 2 replays a cache, and which engine does the products.
          const bytes = b.features.reduce((s, f) => s + N * f.D * f.data.BYTES_PER_ELEMENT, 0);
          cached = bytes <= limit;
          if (!cached) cache = undefined;
          const Kest = K ?? maxLabel(options.labels) + 1;
          const work = b.features.reduce((s, f, t) => s + spreadWork(N, f.D, Kest, classifiers[t] !== undefined), 0);
          selected = await selectEngine(options.engine ?? 'auto', work, {
            engines: { onnxruntime: (o) => createOnnxProductEngine({ executionProviders: o.executionProviders ? [...o.executionProviders] : undefined }) },
            executionProviders: options.executionProviders,
          });
          means = tensors.map(() => new MeansAccumulator({ K, engine: selected!.engine, normalize: options.normalize, temperature: options.temperature }));
        }
        const labels = labelsSlice(options.labels, b.start, b.rows);
        for (let t = 0; t < tensors.length; t++) {
          try {
            await means[t].addAsync({ features: b.features[t].data, labels });
          } catch (e) {
            throw relocate(e, tensors[t], b);
          }
        }
        cache?.push(b);
      },
      async setup() {
        // Classifier shapes against the features.
        tensors.forEach((name, t) => {
          const c = classifiers[t];
          const D = means[t].statistics.D;
          if (c && c.c.weights.length % D !== 0) {
            throw new NcInputError('SHAPE', `${m.source}: tensor "${name}" has D = ${D} features but its classifier W has ${c.c.weights.length} values (not K × ${D})`, { source: m.source });
          }
          if (c) {
            means[t].withK(c.c.weights.length / D);
            c.info!.K = c.c.weights.length / D;
            c.info!.D = D;
          }
        });
        spread = await Promise.all(tensors.map((_, t) => SpreadAccumulator.create(means[t].statistics, { classifier: classifiers[t]?.c, engine: selected!.engine, perClassNc1: conventions })));
      },
      async spread(b) {
        const labels = labelsSlice(options.labels, b.start, b.rows);
        for (let t = 0; t < tensors.length; t++) {
          try {
            await spread[t].add({ features: b.features[t].data, labels });
          } catch (e) {
            throw relocate(e, tensors[t], b);
          }
        }
      },
      async report() {
        const results: TensorAnalysis[] = [];
        for (let t = 0; t < tensors.length; t++) {
          const D = means[t].statistics.D;
          const found = options.alignment === 'none' ? undefined : m.consumer(tensors[t]).consumer;
          // A pooled feature map no longer has the consumer's input dimension: no alignment then.
          const consumer = found && found.D === D ? found : undefined;
          const report = await computeReport(means[t].statistics, spread[t].statistics, {
            ...conventions, classifier: classifiers[t]?.c, engine: selected!.engine, minorityBelow: options.minorityBelow,
            consumer: consumer ? { weights: consumer.weights, outputs: consumer.outputs, name: consumer.node } : undefined,
          });
          if (found && !consumer) report.warnings.push(`${found.kind} "${found.node}" reads this tensor with D = ${found.D}, but the features have D = ${D} after pooling: no subspace alignment`);
          results.push({
            tensor: tensors[t], N: report.N, D: report.D, K: report.K, classifier: classifiers[t]?.info, report, means: means[t].statistics, spread: spread[t].statistics,
            ...(consumer ? { consumer: { node: consumer.node, kind: consumer.kind, outputs: consumer.outputs, weightsFrom: consumer.weightsFrom } } : {}),
          });
        }
        return results;
      },
    };
    const { result, timing } = await runPasses(source, sink, {
      onProgress: (phase, rows) => options.onProgress?.({ phase, batch: Math.ceil(rows / extractor.batchRows), batches, rows, cached }),
    });
    return {
      model: m.source, tensors: result, foundClassifier: found, cached, engine: selected!.engine.name, runs, inferenceSeconds: inferenceMs / 1000, seconds: (performance.now() - t0) / 1000, timing,
    };
  } finally {
    await extractor.release();
    await releaseEngine(selected);
  }
}

function maxLabel(labels: LabelArray): number {
  let m = 0;
  for (let i = 0; i < labels.length; i++) if ((labels[i] as number) > m) m = labels[i] as number;
  return m;
}

/** Re-labels a core error from "batch i" of the accumulator to the tensor and input rows it came from. */
function relocate(e: unknown, tensor: string, b: FeatureBatch): unknown {
  if (!(e instanceof NcInputError)) return e;
  const { row, column, label, field } = e.where;
  if (row !== undefined) return e.relocate({ source: `tensor "${tensor}"`, row: b.start + row, column, label, field });
  return e.relocate({ source: `tensor "${tensor}"`, rows: [b.start, b.start + b.rows - 1] });
}
