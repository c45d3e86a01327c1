import {
  MeansAccumulator,
  NcInputError,
  SpreadAccumulator,
  analyzeMultiLabel,
  checkMultiLabelOptions,
  computeReport,
  jsEngine,
  resolveNormalization,
  runPasses,
  type Classifier,
  type ConventionOptions,
  type LinearConsumer,
  type MeansStatistics,
  type MultiLabelMeansStatistics,
  type MultiLabelNcReport,
  type MultiLabelOptions,
  type MultiLabelSpreadStatistics,
  type NcReport,
  type NormalizationOptions,
  type ProductEngine,
  type SpreadStatistics,
} from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { denseWeights, type Layer } from './model/layers.js';
import { resolvePlan, type LayerOptions, type MeasurementPlan } from './model/plan.js';
import { PreparedProbe, type MultiLabelMode, type Probe, type ProbeBatch, type SampleTraining } from './probe/probe.js';
import { tokenFeatures, type SequenceOptions } from './probe/sequence.js';
import { DeviceMeans, DeviceSpread, normalizeOnDevice, normalizedKernel, toCoreClassifier, type DeviceClassifier } from './statistics/device-stats.js';

/** Options of {@link measureNc} (and the measuring part of the callback). */
export interface MeasureOptions extends LayerOptions, NormalizationOptions {
  /** Number of classes when there is no classifier and the labels are integers (default: largest label + 1). */
  numClasses?: number;
  /** Probe rows per forward pass (default 2048). */
  batchSize?: number;
  /**
   * Where the statistics are computed. `'device'` (default): tfjs ops on the backend in use; features stay on the
   * device and only K × D and K × K sums come back. A core `ProductEngine` (e.g. `jsEngine`, or @ncscope/onnx's
   * `createOnnxProductEngine()`): features are downloaded batch by batch and the core accumulators run in JS with
   * that engine's products (float64 accumulation throughout; slower, a cross-check of the device path).
   */
  engine?: 'device' | ProductEngine;
  /** Conventions passed to the core report (preset, globalMean, nc1Normalization, pinvRtol, cdnvExponent, …). */
  conventions?: ConventionOptions;
  /**
   * Multi-hot probe labels [n, K] (Li et al. 2023): `true`, `false`, or `'auto'` (default: tensor probes whose labels
   * are all 0/1 with some row not holding exactly one 1; a dataset probe needs `true`). Multi-label probes are measured
   * with core's multi-label accumulators in JS (features are downloaded; `engine` as given, `jsEngine` for 'device'):
   * the report's metrics are those of the single-label rows, `report.multiLabel` holds the tag-wise metrics.
   */
  multiLabel?: MultiLabelMode;
  /** Multi-label: smallest label-set count of the tag-wise metrics (default 5), and the NC_MLab angle metric. */
  minSetCount?: MultiLabelOptions['minSetCount'];
  ncMlab?: MultiLabelOptions['ncMlab'];
  /** Classes with fewer probe samples are the minority of the reports' imbalance section (default: half the largest class). */
  minorityBelow?: number;
  /**
   * Sequence models: measure every labelled position of a `[batch, T, D]` feature layer as one sample (token-level NC,
   * Wu & Papyan 2024), with next-token labels from the probe's token ids or given per-position labels `ys` [n, T],
   * and a padding mask (see {@link SequenceOptions}). The probe is `{ xs: ids [n, T], ys? }`; `batchSize` counts
   * sequences.
   */
  sequence?: SequenceOptions;
}

/** One measured layer: the core report and the statistics behind it (serializable with core's `serializeStatistics`). */
export interface LayerMeasurement {
  layer: string;
  /** True for the layer whose metrics go under the bare log keys (the one feeding the classifier, else the first). */
  primary: boolean;
  /** True when the classifier's W, b were used (the layer feeds the classifier). */
  withClassifier: boolean;
  /** The Dense layer reading this layer's output, whose kernel `report.metrics.subspaceAlignment` compares with. */
  consumer?: string;
  /** The core report; a `MultiLabelNcReport` (with `multiLabel`) for multi-hot probes. */
  report: NcReport | MultiLabelNcReport;
  /** The statistics of the (single-label) samples. */
  means: MeansStatistics;
  spread: SpreadStatistics;
  /** Multi-hot probes: the whole multi-label statistics (core's serializeMultiLabelStatistics writes them). */
  multiLabel?: { means: MultiLabelMeansStatistics; spread: MultiLabelSpreadStatistics };
}

const DEFAULT_BATCH = 2048;

/** Validates the measuring options once; named errors for values outside their domain. */
export function checkMeasureOptions(options: MeasureOptions): void {
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
    throw new NcInputError('BAD_OPTION', `batchSize must be a positive integer, got ${options.batchSize}`);
  }
  if (options.numClasses !== undefined && !(Number.isInteger(options.numClasses) && options.numClasses >= 2)) {
    throw new NcInputError('BAD_OPTION', `numClasses must be an integer ≥ 2, got ${options.numClasses}`);
  }
  if (options.multiLabel !== undefined && options.multiLabel !== true && options.multiLabel !== false && options.multiLabel !== 'auto') {
    throw new NcInputError('BAD_OPTION', `multiLabel must be true, false or 'auto', got ${String(options.multiLabel)}`);
  }
  checkMultiLabelOptions(options);
  resolveNormalization(options);
  if (options.minorityBelow !== undefined && !(Number.isFinite(options.minorityBelow) && options.minorityBelow > 0)) {
    throw new NcInputError('BAD_OPTION', `minorityBelow must be a positive number of samples, got ${options.minorityBelow}`);
  }
  const q = options.sequence;
  if (q !== undefined && (typeof q !== 'object' || q === null)) {
    throw new NcInputError('BAD_OPTION', `sequence must be an object { labels?, mask?, ids? }, got ${String(q)}`);
  }
  const e = options.engine;
  if (e !== undefined && e !== 'device' && !(typeof e === 'object' && e !== null && typeof e.matmul === 'function')) {
    throw new NcInputError('BAD_OPTION', `engine must be 'device' or a ProductEngine from @ncscope/core, got ${String(e)}`);
  }
}

/**
 * A model plus probe data, ready to measure repeatedly (the callback keeps one per `fit`). Holds the prepared probe
 * tensors until {@link dispose}; each {@link measure} call allocates only temporaries and frees them.
 */
export class NcMeter {
  private constructor(
    readonly plan: MeasurementPlan,
    private readonly probe: PreparedProbe,
    private readonly options: MeasureOptions,
  ) {}

  static async create(model: LayersModel, source: { probe?: Probe; sampleTraining?: SampleTraining }, options: MeasureOptions = {}): Promise<NcMeter> {
    checkMeasureOptions(options);
    const plan = resolvePlan(model, options);
    if (plan.K !== undefined && options.numClasses !== undefined && options.numClasses !== plan.K) {
      throw new NcInputError('BAD_OPTION', `numClasses = ${options.numClasses} but the classifier "${plan.classifier!.name}" has ${plan.K} outputs`);
    }
    const probe = await PreparedProbe.create(model, source, { K: plan.K ?? options.numClasses, batchSize: options.batchSize ?? DEFAULT_BATCH, multiLabel: options.multiLabel, sequence: options.sequence });
    if (probe.multiLabel && ((options.normalize !== undefined && options.normalize !== 'none') || options.temperature !== undefined)) {
      probe.dispose();
      throw new NcInputError('BAD_OPTION', 'normalize/temperature are not supported for multi-label (multi-hot) probes: the multi-label statistics sum raw rows');
    }
    return new NcMeter(plan, probe, options);
  }

  /** Whether the probe's labels are multi-hot (reports then carry `multiLabel`). */
  get multiLabel(): boolean {
    return this.probe.multiLabel;
  }

  /** Runs the probe through the model once and measures every tapped layer. */
  async measure(): Promise<LayerMeasurement[]> {
    const { plan, options } = this;
    const batches: ProbeBatch[] = [];
    const features: tf.Tensor2D[][] = [];
    try {
      for await (const batch of this.probe.batches()) {
        batches.push(batch);
        features.push(tf.tidy(() => {
          const out = plan.tap.predictOnBatch(batch.xs.length === 1 ? batch.xs[0] : batch.xs);
          return (Array.isArray(out) ? out : [out]).map((t, li) => (batch.tokenIndex ? tokenFeatures(t, batch.tokenIndex, plan.layers[li].name) : tf.reshape(t, [t.shape[0], -1]) as tf.Tensor2D));
        }));
      }
      const K = this.probe.K!;
      let device: DeviceClassifier | undefined;
      if (plan.classifier && plan.layers.some((l) => l.feedsClassifier)) {
        const { kernel, bias } = denseWeights(plan.classifier);
        device = { kernel, bias, core: await toCoreClassifier(kernel, bias) };
      }
      const results: LayerMeasurement[] = [];
      for (let li = 0; li < plan.layers.length; li++) {
        const layer = plan.layers[li];
        const feats = features.map((f) => f[li]);
        const clf = layer.feedsClassifier ? device : undefined;
        if (this.probe.multiLabel) {
          results.push({ layer: layer.name, primary: li === plan.primary, withClassifier: clf !== undefined, ...(await this.multiLabelLayer(feats, batches, K, clf?.core)) });
          continue;
        }
        const { means, spread } = options.engine === undefined || options.engine === 'device'
          ? await this.onDevice(feats, batches, K, layer.name, clf)
          : await this.inJs(feats, batches, K, options.engine, clf?.core);
        const engine = options.engine === undefined || options.engine === 'device' ? undefined : options.engine;
        const consumer = layer.consumer ? await consumerMap(layer.consumer) : undefined;
        const report = await computeReport(means, spread, { ...options.conventions, classifier: clf?.core, engine, minorityBelow: options.minorityBelow, consumer });
        results.push({ layer: layer.name, primary: li === plan.primary, withClassifier: clf !== undefined, ...(consumer ? { consumer: consumer.name } : {}), report, means, spread });
      }
      return results;
    } finally {
      for (const f of features) tf.dispose(f);
      for (const b of batches) this.probe.release(b);
    }
  }

  /**
   * The device path through core's two-pass driver: the source is the probe's batches with this layer's features
   * (already computed on the device); the sink queues each batch's products on the device and downloads them once
   * per pass ({@link DeviceMeans}, {@link DeviceSpread}). Normalized features (and classifier columns) are made on the
   * device first; the core's reference normalizes its own copy of W.
   */
  private async onDevice(feats: tf.Tensor2D[], batches: ProbeBatch[], K: number, name: string, clf: DeviceClassifier | undefined) {
    const n = resolveNormalization(this.options);
    const normalized = n ? await normalizeOnDevice(feats, n) : undefined;
    const kernel = clf && n?.mode === 'features-and-classifier' ? normalizedKernel(clf.kernel) : undefined;
    const device = clf && kernel ? { ...clf, kernel } : clf;
    const macc = new DeviceMeans(K, name);
    let sacc: DeviceSpread | undefined;
    let means: MeansStatistics | undefined;
    try {
      const { result } = await runPasses(layerSource(normalized?.features ?? feats, batches), {
        rows: (b) => b.batch.labels.length,
        means: (b) => macc.add(b.features, b.batch),
        setup: async () => {
          const raw = await macc.statistics();
          means = normalized ? { ...raw, normalization: { mode: n!.mode, temperature: n!.temperature, zeroRows: normalized.zeroRows } } : raw;
          sacc = await DeviceSpread.create(means, device, this.options.conventions);
        },
        spread: (b) => sacc!.add(b.features, b.batch),
        report: async () => ({ means: means!, spread: await sacc!.statistics() }),
      });
      return result;
    } finally {
      macc.dispose();
      sacc?.dispose();
      if (normalized) tf.dispose(normalized.features);
      kernel?.dispose();
    }
  }

  /** A core `ProductEngine` instead of the device: features are downloaded batch by batch into core's accumulators. */
  private async inJs(feats: tf.Tensor2D[], batches: ProbeBatch[], K: number, engine: ProductEngine, classifier: Classifier | undefined) {
    const data = await Promise.all(feats.map((f) => f.data() as Promise<Float32Array>));
    const macc = new MeansAccumulator({ K, normalize: this.options.normalize, temperature: this.options.temperature });
    let sacc: SpreadAccumulator | undefined;
    const { result } = await runPasses(batches.map((b, i) => ({ features: data[i], labels: b.labels })), {
      means: (batch) => void macc.add(batch),
      setup: async () => {
        sacc = await SpreadAccumulator.create(macc.statistics, { classifier, engine, perClassNc1: this.options.conventions ?? {} });
      },
      spread: (batch) => sacc!.add(batch).then(() => undefined),
      report: () => ({ means: macc.statistics, spread: sacc!.statistics }),
    });
    return result;
  }

  /** A multi-label probe's layer, in JS with core's multi-label sink (the single-label tensors do not apply). */
  private async multiLabelLayer(feats: tf.Tensor2D[], batches: ProbeBatch[], K: number, classifier: Classifier | undefined) {
    const { conventions, minSetCount, ncMlab } = this.options;
    const engine = this.options.engine === undefined || this.options.engine === 'device' ? jsEngine : this.options.engine;
    const data = await Promise.all(feats.map((f) => f.data() as Promise<Float32Array>));
    const { report, means, spread } = await analyzeMultiLabel(batches.map((b, i) => ({ features: data[i], labels: b.multiHot! })), {
      ...conventions, K, classifier, engine, minSetCount, ncMlab,
    });
    return { report, means: means.single, spread: spread.single, multiLabel: { means, spread } };
  }

  /** Frees the prepared probe tensors (never the caller's own tensors or the model). */
  dispose(): void {
    this.probe.dispose();
  }
}

/**
 * Measures Neural Collapse of a tfjs-layers model on probe data, outside of training: one forward pass, the two
 * statistics phases on the backend in use, then the core report for every tapped layer.
 *
 * ```ts
 * const [m] = await measureNc(model, { xs, ys });
 * m.report.metrics.nc1;
 * ```
 */
export async function measureNc(model: LayersModel, probe: Probe, options: MeasureOptions = {}): Promise<LayerMeasurement[]> {
  const meter = await NcMeter.create(model, { probe }, options);
  try {
    return await meter.measure();
  } finally {
    meter.dispose();
  }
}

/** One probe batch and a layer's features for it: the batches core's driver passes over (twice). */
interface LayerBatch {
  features: tf.Tensor2D;
  batch: ProbeBatch;
}

/** The probe's batches with one layer's features, as a re-readable source of core's driver. */
function layerSource(features: tf.Tensor2D[], batches: ProbeBatch[]): LayerBatch[] {
  return batches.map((batch, i) => ({ features: features[i], batch }));
}

/** A consuming Dense layer's kernel (D × out in tfjs) as the core's linear map A = kernelᵀ (out × D). */
async function consumerMap(layer: Layer): Promise<LinearConsumer> {
  const { kernel } = denseWeights(layer);
  const [D, out] = kernel.shape as [number, number];
  const k = (await kernel.data()) as Float32Array;
  const weights = new Float32Array(out * D);
  for (let t = 0; t < D; t++) for (let o = 0; o < out; o++) weights[o * D + t] = k[t * out + o];
  return { weights, outputs: out, name: layer.name };
}
