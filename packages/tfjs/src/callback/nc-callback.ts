import { NcInputError, metricCatalogue, metricEntry, metricKeys, toMeasurement, type NcMetrics, type NcReport } from '@ncscope/core';
import { CustomCallback, type LayersModel, type Logs } from '@tensorflow/tfjs-layers';
import { NcMeter, checkMeasureOptions, type LayerMeasurement, type MeasureOptions } from '../measure.js';
import type { Probe, SampleTraining } from '../probe/probe.js';
import { JsonlLog } from '#jsonl-log';

/** What `onReport` and `stopWhen` predicates receive besides the report. */
export interface NcReportInfo {
  /** Name of the measured layer. */
  layer: string;
  /** True for the layer whose metrics use the bare log keys. */
  primary: boolean;
  /** Epochs completed (epoch + 1); the JSONL `step`. */
  step: number;
  /** Seconds since training began. */
  seconds: number;
  /** The epoch's other logs (loss, acc, val_*, …). */
  logs: Record<string, number>;
  /** Every layer measured at this epoch. */
  all: LayerMeasurement[];
}

/** Options of {@link ncCallback}. Give exactly one of `probe` and `sampleTraining`. */
export interface NcCallbackOptions extends MeasureOptions {
  /** Probe data: `{ xs, ys }` tensors (labels integer [n] / [n, 1] or one-hot [n, K]) or a `tf.data.Dataset` of such batches. */
  probe?: Probe;
  /** Measure a fixed, class-stratified sample of n training rows instead (see {@link SampleTraining}). */
  sampleTraining?: SampleTraining;
  /**
   * Measure after the first epoch, after every `every`-th epoch (those with (epoch + 1) % every === 0), and after the
   * last epoch of the fit. Default 1 (every epoch).
   */
  every?: number;
  /**
   * Append one JSON line per measured layer per measurement (schema `ncscope.measurement/1`), read by `ncscope report`.
   * Node only (in a browser it is a `BAD_OPTION` error; use `onReport`). Checked when the callback is created and when
   * training begins: a folder, a path below a file or an unwritable one is a `BAD_OPTION` error naming it.
   */
  logFile?: string;
  /** Names the run in the JSONL lines (to overlay several runs). */
  run?: string;
  /** Receives the full core report of each measured layer (awaited if it returns a promise). */
  onReport?: (report: NcReport, epoch: number, info: NcReportInfo) => void | Promise<void>;
  /**
   * Stop training (sets `model.stopTraining`) once the primary layer's NC1 falls below a value, or when a predicate
   * on the primary layer's report returns true. Checked only on measured epochs.
   */
  stopWhen?: { nc1Below: number } | ((report: NcReport, epoch: number, info: NcReportInfo) => boolean);
  /**
   * What unmeasured epochs put in `logs`: `'omit'` (default) adds no NC keys, so `history.history.nc1` has one entry
   * per measured epoch (the callback's `measuredEpochs` lists which); `'nan'` adds NaN under every key, so the NC
   * arrays line up with `history.epoch` (NaN is also what a measured epoch logs for a metric the report lacks).
   */
  unmeasured?: 'omit' | 'nan';
  /** Which metrics go into the epoch logs (default: every metric of the report). */
  logMetrics?: readonly (keyof NcMetrics)[];
}

/** Every metric key a report can carry, in the order of core's metric catalogue (`metricKeys()`). */
export const METRIC_KEYS: readonly (keyof NcMetrics)[] = metricKeys('metrics') as (keyof NcMetrics)[];

/**
 * The metrics a measured layer's reports can carry, from the catalogue's `needs`: everything for the layer feeding
 * the classifier; for the others the metrics that need no classifier, plus the alignment with the Dense layer that
 * reads them when there is one. Never the MSE central path (it needs single-pass scatter statistics and λ, which the
 * callback does not take).
 */
export function layerMetricKeys(layer: { feedsClassifier: boolean; consumer?: unknown }): (keyof NcMetrics)[] {
  return metricCatalogue({ section: 'metrics' })
    .filter((e) => !e.needs.includes('centralPath'))
    .filter((e) => layer.feedsClassifier || (!e.needs.includes('classifier') && (!e.needs.includes('consumer') || layer.consumer !== undefined)))
    .map((e) => e.key as keyof NcMetrics);
}

/** The metrics a report has without a classifier (a layer read by another Dense layer adds `subspaceAlignment`). */
export const MEANS_ONLY_KEYS: readonly (keyof NcMetrics)[] = layerMetricKeys({ feedsClassifier: false });

/**
 * Multi-hot probes (Li et al. 2023): the report's `multiLabel` values logged beside the metrics — the tag-wise angle
 * (degrees), its maximum, and label-set NC1 (NaN when a measurement lacks one).
 */
export const MULTI_LABEL_KEYS = ['tagWiseAngle', 'tagWiseAngleMax', 'labelSetNc1'] as const;

/**
 * The log key of a metric: bare for the primary layer (`nc1`), `layer/metric` for the others (`dense_1/nc1`).
 */
export function logKey(metric: string, layer: string, primary: boolean): string {
  return primary ? metric : `${layer}/${metric}`;
}

type Hooks = { target?: NcCallback };

/**
 * A `model.fit` / `model.fitDataset` callback that measures Neural Collapse on probe data every few epochs.
 * It extends tfjs-layers' `CustomCallback` so epoch logs arrive as numbers and `setModel` hands it the model.
 * Pass it alone or first in the `callbacks` array (tfjs 4.22 treats an array as callback objects only when its first
 * entry is one). Tensors it prepares live from the start of a `fit` to its end; if a `fit` throws, call `dispose()`.
 */
export class NcCallback extends CustomCallback {
  /** The model given by `fit` (via setModel). */
  model: LayersModel | undefined;
  /** Epochs (0-based, as tfjs counts) at which a measurement was taken, in order: index i of `history.history.nc1` belongs to `measuredEpochs[i]`. */
  readonly measuredEpochs: number[] = [];
  /** The measurements of the latest measured epoch. */
  last: LayerMeasurement[] | undefined;
  /** Seconds the latest measurement took (forward pass, statistics, report). */
  lastSeconds = 0;

  private readonly options: NcCallbackOptions;
  private meter: NcMeter | undefined;
  private log: JsonlLog | undefined;
  private startedAt = 0;
  private keys = new Set<string>();
  private layerMetrics = new Map<string, readonly (keyof NcMetrics)[]>();
  private warned = false;
  private warnedDegenerate = false;

  constructor(options: NcCallbackOptions) {
    const hooks: Hooks = {};
    super(
      {
        onTrainBegin: () => hooks.target!.disposeOnError(() => hooks.target!.beginFit()),
        onEpochEnd: (epoch, logs) => hooks.target!.disposeOnError(() => hooks.target!.endEpoch(epoch, logs ?? {})),
        onTrainEnd: () => hooks.target!.endFit(),
      },
      'never',
    );
    hooks.target = this;
    checkCallbackOptions(options);
    this.options = options;
    if (options.logFile) {
      this.log = new JsonlLog(options.logFile);
      this.log.check();
    }
  }

  override setModel(model: Parameters<CustomCallback['setModel']>[0]): void {
    this.model = model as LayersModel;
  }

  private async beginFit(): Promise<void> {
    this.dispose();
    if (!this.model) throw new NcInputError('BAD_OPTION', 'ncCallback: no model was set; pass the callback to model.fit or model.fitDataset');
    // A logFile that cannot take lines (a folder, below a file, not writable) fails here too, before any tensor exists.
    this.log?.check();
    this.startedAt = performance.now();
    this.measuredEpochs.length = 0;
    this.keys.clear();
    this.warned = false;
    this.warnedDegenerate = false;
    this.layerMetrics.clear();
    this.meter = await NcMeter.create(this.model, { probe: this.options.probe, sampleTraining: this.options.sampleTraining }, this.options);
    // The log keys are fixed from the start (so unmeasured: 'nan' pads from epoch 0): every metric for the layer
    // feeding the classifier, the metrics that need no classifier for the others, or logMetrics.
    const plan = this.meter.plan;
    plan.layers.forEach((layer, i) => {
      const metrics = this.options.logMetrics ?? layerMetricKeys(layer);
      this.layerMetrics.set(layer.name, metrics);
      for (const m of metrics) this.keys.add(logKey(m, layer.name, i === plan.primary));
      if (this.meter!.multiLabel) for (const m of MULTI_LABEL_KEYS) this.keys.add(logKey(m, layer.name, i === plan.primary));
    });
  }

  /**
   * Runs a hook; if it throws, frees the prepared probe before passing the error on — tfjs does not call
   * onTrainEnd when a callback throws, so nothing else would.
   */
  private async disposeOnError(hook: () => Promise<void>): Promise<void> {
    try {
      await hook();
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  private async endFit(): Promise<void> {
    this.dispose();
  }

  /** Frees the probe tensors the callback prepared (done automatically at the end of each fit). */
  dispose(): void {
    this.meter?.dispose();
    this.meter = undefined;
  }

  /** Whether the epoch (0-based) is measured: the first of the fit, every `every`-th, and the last. */
  isMeasured(epoch: number): boolean {
    const every = this.options.every ?? 1;
    const first = typeof this.params?.initialEpoch === 'number' ? (this.params.initialEpoch as number) : 0;
    const last = typeof this.params?.epochs === 'number' ? (this.params.epochs as number) - 1 : undefined;
    return epoch === first || (epoch + 1) % every === 0 || epoch === last;
  }

  private async endEpoch(epoch: number, logs: Logs): Promise<void> {
    if (!this.meter || !this.model) return;
    if (!this.isMeasured(epoch)) {
      if (this.options.unmeasured === 'nan') for (const k of this.keys) logs[k] = NaN;
      return;
    }
    const trainLogs: Record<string, number> = {};
    for (const [k, v] of Object.entries(logs)) if (typeof v === 'number' && !this.keys.has(k)) trainLogs[k] = v;
    const t0 = performance.now();
    let results: LayerMeasurement[];
    try {
      results = await this.meter.measure();
    } catch (e) {
      // Diverged training (NaN/Inf features) is reported, not fatal: NaN under every key for this epoch, one warning.
      if (!(e instanceof NcInputError && e.code === 'NON_FINITE')) throw e;
      if (!this.warned) console.warn(`ncscope: epoch ${epoch}: ${e.message}; logging NaN for the NC metrics`);
      this.warned = true;
      for (const k of this.keys) logs[k] = NaN;
      this.measuredEpochs.push(epoch);
      return;
    }
    this.lastSeconds = (performance.now() - t0) / 1000;
    this.last = results;
    this.measuredEpochs.push(epoch);
    const seconds = (performance.now() - this.startedAt) / 1000;
    for (const r of results) {
      for (const m of this.layerMetrics.get(r.layer) ?? []) {
        const key = logKey(m, r.layer, r.primary);
        const v = r.report.metrics[m];
        logs[key] = typeof v === 'number' ? v : NaN;
      }
      const ml = 'multiLabel' in r.report ? r.report.multiLabel : undefined;
      if (ml) for (const m of MULTI_LABEL_KEYS) logs[logKey(m, r.layer, r.primary)] = ml[m] ?? NaN;
    }
    const degenerate = results.filter((r) => r.report.degenerate);
    if (degenerate.length > 0 && !this.warnedDegenerate) {
      // Dead or constant features (e.g. every ReLU off) are not collapse: say so once per fit; the reports carry it.
      console.warn(`ncscope: epoch ${epoch}: degenerate geometry in ${degenerate.map((r) => `"${r.layer}"`).join(', ')} (the class means coincide); its NC ratios are NaN, not collapse`);
      this.warnedDegenerate = true;
    }
    let stop = false;
    for (const r of results) {
      const info: NcReportInfo = { layer: r.layer, primary: r.primary, step: epoch + 1, seconds, logs: trainLogs, all: results };
      if (this.log) {
        await this.log.append(toMeasurement(r.report, { step: epoch + 1, epoch, layer: r.layer, run: this.options.run, seconds, logs: trainLogs }));
      }
      if (this.options.onReport) await this.options.onReport(r.report, epoch, info);
      if (r.primary && this.options.stopWhen) stop = shouldStop(this.options.stopWhen, r.report, epoch, info);
    }
    if (stop) this.model.stopTraining = true;
  }
}

function shouldStop(rule: NonNullable<NcCallbackOptions['stopWhen']>, report: NcReport, epoch: number, info: NcReportInfo): boolean {
  if (typeof rule === 'function') return rule(report, epoch, info) === true;
  const nc1 = report.metrics.nc1;
  return typeof nc1 === 'number' && nc1 < rule.nc1Below;
}

function checkCallbackOptions(options: NcCallbackOptions): void {
  if (typeof options !== 'object' || options === null) throw new NcInputError('BAD_OPTION', 'ncCallback needs an options object with probe or sampleTraining');
  if ((options.probe === undefined) === (options.sampleTraining === undefined)) {
    throw new NcInputError('BAD_OPTION', 'ncCallback: pass exactly one of probe: { xs, ys } (or a tf.data.Dataset) and sampleTraining: { xs, ys, n }');
  }
  if (options.every !== undefined && !(Number.isInteger(options.every) && options.every >= 1)) {
    throw new NcInputError('BAD_OPTION', `every must be a positive integer (measure after every n-th epoch), got ${options.every}`);
  }
  if (options.unmeasured !== undefined && options.unmeasured !== 'omit' && options.unmeasured !== 'nan') {
    throw new NcInputError('BAD_OPTION', `unmeasured must be 'omit' or 'nan', got ${String(options.unmeasured)}`);
  }
  const s = options.stopWhen;
  if (s !== undefined && typeof s !== 'function' && !(typeof s === 'object' && s !== null && typeof s.nc1Below === 'number' && s.nc1Below > 0)) {
    throw new NcInputError('BAD_OPTION', 'stopWhen must be { nc1Below: <positive number> } or a function (report, epoch, info) => boolean');
  }
  if (options.logMetrics !== undefined) {
    for (const m of options.logMetrics) if (metricEntry(String(m)) === undefined) throw new NcInputError('BAD_OPTION', `logMetrics: unknown metric "${String(m)}"; choose from ${METRIC_KEYS.join(', ')}`);
  }
  if (options.logFile !== undefined && (typeof options.logFile !== 'string' || options.logFile.length === 0)) {
    throw new NcInputError('BAD_OPTION', 'logFile must be a file path');
  }
  checkMeasureOptions(options);
}

/**
 * Creates the Neural Collapse callback for `model.fit`:
 *
 * ```ts
 * const history = await model.fit(xs, ys, {
 *   epochs: 200,
 *   callbacks: [ncCallback({ probe: { xs: xProbe, ys: yProbe }, every: 5, logFile: 'runs/nc.jsonl' })],
 * });
 * history.history.nc1; // one value per measured epoch, next to loss and acc
 * ```
 */
export function ncCallback(options: NcCallbackOptions): NcCallback {
  return new NcCallback(options);
}
