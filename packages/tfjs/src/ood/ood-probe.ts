import {
  NcInputError,
  OOD_SCORE_NAMES,
  checkOodParams,
  evaluateOod,
  jsEngine,
  type Batch,
  type Classifier,
  type Nc5GlobalMean,
  type OodBatch,
  type OodEvaluation,
  type OodParams,
  type OodScoreName,
  type ProductEngine,
} from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { denseWeights, type LayerRef } from '../model/layers.js';
import { resolvePlan } from '../model/plan.js';
import { labelsFromTensor } from '../probe/labels.js';
import { checkInputs, type ProbeTensors } from '../probe/probe.js';
import { toCoreClassifier } from '../statistics/device-stats.js';

/**
 * The data of an OOD probe: labelled in-distribution rows the scores are fitted on (normally a class-stratified sample
 * of the training set), held-out in-distribution inputs, and one or more OOD input sets by name.
 */
export interface OodProbeData {
  fit: ProbeTensors;
  id: tf.Tensor | tf.Tensor[];
  ood: Readonly<Record<string, tf.Tensor | tf.Tensor[]>>;
}

/** Options of {@link measureOod} (and of the OOD callback): the score parameters and what to read from the model. */
export interface OodProbeOptions extends OodParams {
  /** The layer whose output are the features; default the input of the classifier (the penultimate features). */
  featureLayer?: LayerRef;
  /** The Dense layer whose kernel and bias are W, b (default the last Dense layer); `false` for none (only mahalanobis and neco run). */
  classifier?: LayerRef | false;
  /** Rows per forward pass (default 1024). */
  batchSize?: number;
  /** Where the float64 statistics and scoring products run (default core's `jsEngine`). */
  engine?: ProductEngine;
  /** μ_G of NC5's centred form (default 'class'). */
  nc5GlobalMean?: Nc5GlobalMean;
}

const DEFAULT_BATCH = 1024;

/** Validates an OOD probe's options once (named errors). */
export function checkOodProbeOptions(options: OodProbeOptions): void {
  checkOodParams(options);
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
    throw new NcInputError('BAD_OPTION', `batchSize must be a positive integer, got ${options.batchSize}`);
  }
  if (options.engine !== undefined && !(typeof options.engine === 'object' && options.engine !== null && typeof options.engine.matmul === 'function')) {
    throw new NcInputError('BAD_OPTION', `engine must be a ProductEngine from @ncscope/core, got ${String(options.engine)}`);
  }
}

/** Validates the probe data against the model (input shapes, distinct non-empty OOD names, at least one OOD set). */
export function checkOodProbeData(model: LayersModel, data: OodProbeData): void {
  if (typeof data !== 'object' || data === null || !data.fit || !data.id || !data.ood) {
    throw new NcInputError('BAD_OPTION', 'the OOD probe needs { fit: { xs, ys }, id: xs, ood: { name: xs, … } }');
  }
  const list = (x: tf.Tensor | tf.Tensor[]) => (Array.isArray(x) ? x : [x]);
  const fitRows = checkInputs(model, list(data.fit.xs), 'OOD probe fit xs');
  if (!(data.fit.ys instanceof tf.Tensor) || data.fit.ys.shape[0] !== fitRows) {
    throw new NcInputError('SHAPE', `OOD probe fit ys must be a tensor with one label row per fit row (${fitRows})`, { source: 'OOD probe fit ys' });
  }
  checkInputs(model, list(data.id), 'OOD probe id');
  const names = Object.keys(data.ood);
  if (names.length === 0) throw new NcInputError('BAD_OPTION', 'the OOD probe needs at least one OOD set: ood: { name: xs }');
  for (const name of names) {
    if (name.length === 0) throw new NcInputError('BAD_OPTION', 'an OOD set needs a non-empty name');
    checkInputs(model, list(data.ood[name]), `OOD probe set "${name}"`);
  }
}

/**
 * Runs the probe through the model (forward passes on the model's backend, one batch at a time, every temporary
 * tensor freed) and evaluates the OOD scores with core's `evaluateOod`: fitted on `data.fit`'s features and the
 * classifier's W, b, scored on `data.id` and each OOD set. The features are downloaded (rows × D float32); the
 * statistics and scores are float64 in JS (or on `options.engine`).
 *
 * ```ts
 * const r = await measureOod(model, { fit: { xs, ys }, id: xTest, ood: { fashion: xFashion } });
 * r.scores.neco!.fashion.auroc;
 * ```
 */
export async function measureOod(model: LayersModel, data: OodProbeData, options: OodProbeOptions = {}): Promise<OodEvaluation> {
  return OodMeter.create(model, data, options).measure();
}

/** A model plus OOD probe data, ready to evaluate repeatedly (the OOD callback keeps one per `fit`). */
export class OodMeter {
  private constructor(
    private readonly plan: ReturnType<typeof resolvePlan>,
    private readonly data: OodProbeData,
    private readonly options: OodProbeOptions,
  ) {}

  /** Validates options and data against the model and resolves the feature layer and classifier (named errors). */
  static create(model: LayersModel, data: OodProbeData, options: OodProbeOptions = {}): OodMeter {
    checkOodProbeOptions(options);
    checkOodProbeData(model, data);
    const plan = resolvePlan(model, { featureLayer: options.featureLayer, classifier: options.classifier });
    return new OodMeter(plan, data, options);
  }

  /** The name of the measured layer. */
  get layer(): string {
    return this.plan.layers[0].name;
  }

  /** The OOD set names, in order. */
  get sets(): string[] {
    return Object.keys(this.data.ood);
  }

  /** The scores that will run (all by default; without a classifier only mahalanobis and neco). */
  get scores(): OodScoreName[] {
    const fed = this.plan.classifier !== undefined && this.plan.layers[0].feedsClassifier;
    const wanted = this.options.scores ?? OOD_SCORE_NAMES;
    return fed || this.options.scores ? [...wanted] : wanted.filter((s) => s === 'mahalanobis' || s === 'neco');
  }

  /** One evaluation with the model's current weights. */
  async measure(): Promise<OodEvaluation> {
    const { plan, data, options } = this;
    const layer = plan.layers[0];
    let classifier: Classifier | undefined;
    if (plan.classifier && layer.feedsClassifier) {
      const { kernel, bias } = denseWeights(plan.classifier);
      classifier = await toCoreClassifier(kernel, bias);
    }
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const fitFeatures = await features(plan.tap, data.fit.xs, batchSize);
    const { labels } = await labelsFromTensor(data.fit.ys, plan.K, 'OOD probe fit ys');
    const fit: Batch[] = fitFeatures.map((f) => ({ features: f.features, labels: labels.subarray(f.start, f.start + f.rows) }));
    const id: OodBatch[] = (await features(plan.tap, data.id, batchSize)).map((f) => ({ features: f.features }));
    const ood: [string, OodBatch[]][] = [];
    for (const [name, xs] of Object.entries(data.ood)) ood.push([name, (await features(plan.tap, xs, batchSize)).map((f) => ({ features: f.features }))]);
    const { featureLayer: _f, classifier: _c, batchSize: _b, ...rest } = options;
    return evaluateOod(fit, id, ood, { ...rest, classifier, K: plan.K, engine: options.engine ?? jsEngine });
  }
}

/** The tapped features of every row of `xs`, batch by batch (float32, downloaded; the device tensors are freed). */
async function features(tap: LayersModel, xs: tf.Tensor | tf.Tensor[], batchSize: number): Promise<{ features: Float32Array; start: number; rows: number }[]> {
  const inputs = Array.isArray(xs) ? xs : [xs];
  const n = inputs[0].shape[0] ?? 0;
  const out: { features: Float32Array; start: number; rows: number }[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const rows = Math.min(batchSize, n - start);
    const t = tf.tidy(() => {
      const part = inputs.map((x) => tf.slice(x, start, rows));
      const y = tap.predictOnBatch(part.length === 1 ? part[0] : part);
      const first = Array.isArray(y) ? y[0] : y;
      return tf.reshape(first, [rows, -1]);
    });
    try {
      out.push({ features: (await t.data()) as Float32Array, start, rows });
    } finally {
      t.dispose();
    }
  }
  return out;
}

/**
 * The history / log keys of an OOD evaluation: `ood_<score>_auroc`, `ood_<score>_fpr95`, `ood_nc5` (centred) and
 * `ood_nc5_raw` for a single OOD set; with several sets every key carries the set's name: `ood_<set>_<score>_auroc`,
 * `ood_<set>_nc5`, … Scores that did not run are absent.
 */
export function oodLogs(result: OodEvaluation): Record<string, number> {
  const logs: Record<string, number> = {};
  const sets = Object.keys(result.nc5);
  const prefix = (set: string) => (sets.length === 1 ? 'ood_' : `ood_${set}_`);
  for (const set of sets) {
    for (const s of OOD_SCORE_NAMES) {
      const m = result.scores[s]?.[set];
      if (!m) continue;
      logs[`${prefix(set)}${s}_auroc`] = m.auroc;
      logs[`${prefix(set)}${s}_fpr95`] = m.fpr95;
    }
    logs[`${prefix(set)}nc5`] = result.nc5[set].centred;
    logs[`${prefix(set)}nc5_raw`] = result.nc5[set].raw;
  }
  return logs;
}

/** The log keys {@link oodLogs} produces for these OOD set names and scores (fixed before the first measurement). */
export function oodLogKeys(sets: readonly string[], scores: readonly OodScoreName[]): string[] {
  const keys: string[] = [];
  for (const set of sets) {
    const p = sets.length === 1 ? 'ood_' : `ood_${set}_`;
    for (const s of scores) keys.push(`${p}${s}_auroc`, `${p}${s}_fpr95`);
    keys.push(`${p}nc5`, `${p}nc5_raw`);
  }
  return keys;
}
