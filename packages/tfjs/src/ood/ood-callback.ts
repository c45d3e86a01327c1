import { NcInputError, toMeasurement, type OodEvaluation } from '@ncscope/core';
import { CustomCallback, type LayersModel, type Logs } from '@tensorflow/tfjs-layers';
import { JsonlLog } from '#jsonl-log';
import { OodMeter, oodLogKeys, oodLogs, type OodProbeData, type OodProbeOptions } from './ood-probe.js';

/** Options of {@link oodCallback}. */
export interface OodCallbackOptions extends OodProbeOptions {
  /** The probe: labelled fit rows (e.g. a class-stratified sample of the training set), held-out ID inputs, OOD sets. */
  data: OodProbeData;
  /** Measure after the first epoch, every `every`-th epoch ((epoch + 1) % every === 0) and the last. Default 1. */
  every?: number;
  /**
   * Append one JSON line per measurement (schema `ncscope.measurement/1`, read by `ncscope report`): the fit rows' NC
   * report as `metrics`, the OOD keys beside the training logs in `logs`.
   */
  logFile?: string;
  /** Names the run in the JSONL lines. */
  run?: string;
  /** `'omit'` (default): unmeasured epochs add no OOD keys; `'nan'`: NaN under every key, so arrays line up with epochs. */
  unmeasured?: 'omit' | 'nan';
  /** Receives each evaluation (awaited if it returns a promise). */
  onResult?: (result: OodEvaluation, epoch: number) => void | Promise<void>;
}

type Hooks = { target?: OodCallback };

/**
 * A `model.fit` callback measuring OOD separability as collapse grows: every few epochs it fits the OOD scores on the
 * probe's fit rows, scores the held-out ID inputs and each OOD set, and adds `ood_<score>_auroc`, `ood_<score>_fpr95`,
 * `ood_nc5` and `ood_nc5_raw` to the epoch logs (so to `history.history`) and, with `logFile`, to the JSONL log. With
 * several OOD sets the keys carry the set name (`ood_<set>_<score>_auroc`). Extends tfjs-layers' `CustomCallback`;
 * combine it with `ncCallback` in one `callbacks` array. Forward passes run on the model's backend one batch at a time
 * and free every tensor they make.
 */
export class OodCallback extends CustomCallback {
  /** The model given by `fit`. */
  model: LayersModel | undefined;
  /** Epochs (0-based) at which a measurement was taken. */
  readonly measuredEpochs: number[] = [];
  /** The latest evaluation. */
  last: OodEvaluation | undefined;
  /** Seconds the latest measurement took. */
  lastSeconds = 0;

  private readonly options: OodCallbackOptions;
  private meter: OodMeter | undefined;
  private readonly log: JsonlLog | undefined;
  private keys: string[] = [];
  private startedAt = 0;

  constructor(options: OodCallbackOptions) {
    const hooks: Hooks = {};
    super(
      {
        onTrainBegin: () => hooks.target!.beginFit(),
        onEpochEnd: (epoch, logs) => hooks.target!.endEpoch(epoch, logs ?? {}),
        onTrainEnd: () => hooks.target!.endFit(),
      },
      'never',
    );
    hooks.target = this;
    checkOodCallbackOptions(options);
    this.options = options;
    if (options.logFile) this.log = new JsonlLog(options.logFile);
  }

  override setModel(model: Parameters<CustomCallback['setModel']>[0]): void {
    this.model = model as LayersModel;
  }

  private beginFit(): void {
    if (!this.model) throw new NcInputError('BAD_OPTION', 'oodCallback: no model was set; pass the callback to model.fit or model.fitDataset');
    this.startedAt = performance.now();
    this.measuredEpochs.length = 0;
    const { data, every: _e, logFile: _l, run: _r, unmeasured: _u, onResult: _o, ...probe } = this.options;
    this.meter = OodMeter.create(this.model, data, probe);
    this.keys = oodLogKeys(this.meter.sets, this.meter.scores);
  }

  private endFit(): void {
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
    for (const [k, v] of Object.entries(logs)) if (typeof v === 'number' && !this.keys.includes(k)) trainLogs[k] = v;
    const t0 = performance.now();
    let result: OodEvaluation;
    try {
      result = await this.meter.measure();
    } catch (e) {
      // Diverged training (NaN/Inf features or weights): NaN under every key for this epoch, as the NC callback does.
      if (!(e instanceof NcInputError && e.code === 'NON_FINITE')) throw e;
      console.warn(`ncscope: epoch ${epoch}: ${e.message}; logging NaN for the OOD metrics`);
      for (const k of this.keys) logs[k] = NaN;
      this.measuredEpochs.push(epoch);
      return;
    }
    this.lastSeconds = (performance.now() - t0) / 1000;
    this.last = result;
    this.measuredEpochs.push(epoch);
    const values = oodLogs(result);
    for (const k of this.keys) logs[k] = values[k] ?? NaN;
    if (this.log && result.fit.report) {
      const seconds = (performance.now() - this.startedAt) / 1000;
      await this.log.append(toMeasurement(result.fit.report, { step: epoch + 1, epoch, layer: this.meter.layer, run: this.options.run, seconds, logs: { ...trainLogs, ...values } }));
    }
    if (this.options.onResult) await this.options.onResult(result, epoch);
  }
}

function checkOodCallbackOptions(options: OodCallbackOptions): void {
  if (typeof options !== 'object' || options === null || options.data === undefined) {
    throw new NcInputError('BAD_OPTION', 'oodCallback needs { data: { fit: { xs, ys }, id: xs, ood: { name: xs } } }');
  }
  if (options.every !== undefined && !(Number.isInteger(options.every) && options.every >= 1)) {
    throw new NcInputError('BAD_OPTION', `every must be a positive integer (measure after every n-th epoch), got ${options.every}`);
  }
  if (options.unmeasured !== undefined && options.unmeasured !== 'omit' && options.unmeasured !== 'nan') {
    throw new NcInputError('BAD_OPTION', `unmeasured must be 'omit' or 'nan', got ${String(options.unmeasured)}`);
  }
  if (options.logFile !== undefined && (typeof options.logFile !== 'string' || options.logFile.length === 0)) {
    throw new NcInputError('BAD_OPTION', 'logFile must be a file path');
  }
}

/**
 * Creates the OOD callback for `model.fit`:
 *
 * ```ts
 * await model.fit(xs, ys, {
 *   epochs: 100,
 *   callbacks: [oodCallback({ data: { fit: { xs: xSample, ys: ySample }, id: xTest, ood: { fashion: xFashion } }, every: 5 })],
 * });
 * history.history.ood_neco_auroc; // one value per measured epoch
 * ```
 */
export function oodCallback(options: OodCallbackOptions): OodCallback {
  return new OodCallback(options);
}
