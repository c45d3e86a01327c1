import { NcInputError } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { labelsFromTensor, looksMultiHot, multiHotFromTensor, stratifiedSample } from './labels.js';
import { tokenLayout, type SequenceOptions, type TokenLayout } from './sequence.js';

/**
 * Probe data as tensors: inputs (one tensor per model input) and labels (integers [n] / [n, 1], or one-hot [n, K]).
 * Sequence probes (the `sequence` option) take per-position labels [n, T].
 */
export interface ProbeTensors {
  xs: tf.Tensor | tf.Tensor[];
  ys: tf.Tensor;
}

/** A sequence probe of token ids alone (`sequence` option, next-token labels): xs [n, T], no ys. */
export interface TokenIdsProbe {
  xs: tf.Tensor | tf.Tensor[];
  ys?: undefined;
}

/**
 * Anything shaped like a `tf.data.Dataset` of batches `{ xs, ys }` (or `[xs, ys]`): `iterator()` resolves to an
 * object whose `next()` resolves to `{ value, done }`. Iterated once per measurement; the tensors it yields are
 * disposed after use, as `model.fitDataset` does.
 */
export interface DatasetLike {
  iterator(): Promise<{ next(): Promise<IteratorResult<unknown>> }>;
}

/** What to measure on: tensors or a dataset (or token ids alone for a sequence probe). */
export type Probe = ProbeTensors | TokenIdsProbe | DatasetLike;

/**
 * A fixed sample of the training data. tfjs never shows callbacks the training batches, so pass the same tensors you
 * give `model.fit`: `n` rows are drawn once per `fit` call (when training begins), class-stratified (each class keeps
 * its share of the n rows) with a seeded shuffle, so every measurement and every run with the same seed uses the same
 * rows. The sampled inputs are copied (n rows) for the duration of the fit.
 */
export interface SampleTraining {
  xs: tf.Tensor | tf.Tensor[];
  ys: tf.Tensor;
  n: number;
  /** Default 0. */
  seed?: number;
}

/** One probe batch with the label tensors the device statistics need. */
export interface ProbeBatch {
  index: number;
  xs: tf.Tensor[];
  /** Class per row; for multi-label probes −1 on rows without exactly one label. */
  labels: Int32Array;
  /** Multi-label probes: the rows' multi-hot labels, rows × K. */
  multiHot?: Uint8Array;
  /** Labels as int32, [n]. */
  y: tf.Tensor1D;
  /** One-hot labels, float32, n × K. */
  oneHot: tf.Tensor2D;
  /** Its transpose, K × n (made explicitly: the wasm backend's fast product path needs untransposed operands). */
  oneHotT: tf.Tensor2D;
  /**
   * Sequence probes: the batch's counted positions as flat indices s·T + t into its [b·T] positions (the rows of
   * `labels` are tokens, not sequences).
   */
  tokenIndex?: tf.Tensor1D;
}

export function isDatasetLike(p: unknown): p is DatasetLike {
  return typeof p === 'object' && p !== null && typeof (p as DatasetLike).iterator === 'function';
}

function asList(xs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(xs) ? xs : [xs];
}

/** Checks probe inputs against the model's inputs: count, rank and every fixed dimension. */
export function checkInputs(model: LayersModel, xs: tf.Tensor[], where: string): number {
  const inputs = model.inputs;
  if (xs.length !== inputs.length) {
    throw new NcInputError('SHAPE', `${where}: the model has ${inputs.length} input(s) but ${xs.length} input tensor(s) were given`, { source: where });
  }
  if (xs.some((x) => !(x instanceof tf.Tensor))) throw new NcInputError('SHAPE', `${where}: xs must be a tf.Tensor (or one per model input)`, { source: where });
  const rows = xs[0].shape[0];
  xs.forEach((x, i) => {
    const expected = inputs[i].shape;
    const fits = x.rank === expected.length && expected.every((d, j) => j === 0 || d === null || d === x.shape[j]);
    if (!fits) {
      throw new NcInputError('SHAPE', `${where}: input ${i} has shape [${x.shape.join(', ')}]; the model's input "${inputs[i].name}" expects [${expected.map((d) => d ?? 'null').join(', ')}]`, { source: where });
    }
    if (x.shape[0] !== rows) throw new NcInputError('SHAPE', `${where}: input ${i} has ${x.shape[0]} rows, input 0 has ${rows}`, { source: where });
  });
  return rows ?? 0;
}

function makeBatch(index: number, xs: tf.Tensor[], labels: Int32Array, K: number, multiHot?: Uint8Array): ProbeBatch {
  const batch = tf.tidy(() => {
    const y = tf.tensor1d(labels, 'int32');
    const oneHot = tf.cast(tf.oneHot(y, K), 'float32') as tf.Tensor2D;
    const oneHotT = tf.transpose(oneHot) as tf.Tensor2D;
    return { index, xs, labels, y, oneHot, oneHotT };
  }) as ProbeBatch;
  if (multiHot) batch.multiHot = multiHot;
  return batch;
}

/** Whether probe labels are multi-hot: `true`/`false` as given, or detected ('auto') from 0/1 rows without exactly one 1. */
export type MultiLabelMode = boolean | 'auto';

/** Number of classes from whatever is known: the classifier's outputs, the option, one-hot labels, or the labels. */
function resolveK(K: number | undefined, oneHotWidth: number | undefined, labels: Int32Array, where: string): number {
  if (K !== undefined) return K;
  if (oneHotWidth !== undefined) return oneHotWidth;
  let max = -1;
  for (const y of labels) if (y > max) max = y;
  if (max < 0) throw new NcInputError('NO_DATA', `${where} holds no samples`, { source: where });
  return max + 1;
}

/**
 * Probe batches ready for measurement. Tensor probes (and training samples) are prepared once and reused by every
 * measurement; datasets are iterated afresh each time and their batches disposed after use.
 */
export class PreparedProbe {
  private prepared: ProbeBatch[] | undefined;
  private owned: tf.Tensor[] = [];
  private kResolved: number | undefined;
  private multi: boolean | undefined;

  private constructor(
    private readonly model: LayersModel,
    private readonly dataset: DatasetLike | undefined,
    private readonly batchSize: number,
    K: number | undefined,
    private readonly mode: MultiLabelMode,
    private readonly sequence?: SequenceOptions,
  ) {
    this.kResolved = K;
    // A dataset is read batch by batch: multi-hot labels there must be announced (multiLabel: true).
    this.multi = mode === 'auto' ? (dataset ? false : undefined) : mode;
  }

  /** Whether the probe's labels are multi-hot (known once the probe was prepared; datasets: from the option). */
  get multiLabel(): boolean {
    return this.multi === true;
  }

  /** Number of classes (known once the probe was prepared, or after the first dataset batch). */
  get K(): number | undefined {
    return this.kResolved;
  }

  /** Prepares tensors (or a training sample) now; a dataset is only remembered. */
  static async create(model: LayersModel, source: { probe?: Probe; sampleTraining?: SampleTraining }, options: { K?: number; batchSize: number; multiLabel?: MultiLabelMode; sequence?: SequenceOptions }): Promise<PreparedProbe> {
    const { probe, sampleTraining } = source;
    if ((probe === undefined) === (sampleTraining === undefined)) {
      throw new NcInputError('BAD_OPTION', 'pass exactly one of probe: { xs, ys } (or a tf.data.Dataset) and sampleTraining: { xs, ys, n }');
    }
    const mode = options.multiLabel ?? 'auto';
    if (options.sequence && (sampleTraining !== undefined || isDatasetLike(probe))) {
      throw new NcInputError('BAD_OPTION', 'sequence probes are given as tensors: probe: { xs: token ids [n, T], ys?: labels [n, T] } (not sampleTraining or a dataset)');
    }
    if (options.sequence && options.multiLabel === true) throw new NcInputError('BAD_OPTION', 'sequence probes have one label per position: multiLabel must be false or omitted');
    if (probe !== undefined && isDatasetLike(probe)) return new PreparedProbe(model, probe, options.batchSize, options.K, mode);
    const p = new PreparedProbe(model, undefined, options.batchSize, options.K, options.sequence ? false : mode, options.sequence);
    try {
      if (sampleTraining) await p.prepareSample(sampleTraining);
      else await p.prepareTensors(probe as ProbeTensors, 'probe');
    } catch (e) {
      p.dispose();
      throw e;
    }
    return p;
  }

  private async prepareTensors(probe: ProbeTensors, where: string): Promise<void> {
    if (this.sequence) return this.prepareSequence(probe, where);
    if (typeof probe !== 'object' || probe === null || probe.xs === undefined || !(probe.ys instanceof tf.Tensor)) {
      throw new NcInputError('BAD_OPTION', `${where} must be { xs, ys } with tf.Tensor values (or a tf.data.Dataset of { xs, ys } batches)`);
    }
    const xs = asList(probe.xs);
    const rows = checkInputs(this.model, xs, `${where} xs`);
    if (probe.ys.shape[0] !== rows) {
      throw new NcInputError('SHAPE', `${where}: xs has ${rows} rows but ys has ${probe.ys.shape[0]}`, { source: where });
    }
    if (rows === 0) throw new NcInputError('NO_DATA', `${where} holds no samples`, { source: where });
    if (await this.isMultiHot(probe.ys)) {
      const { multiHot, labels, width } = await multiHotFromTensor(probe.ys, this.kResolved, `${where} ys`);
      this.kResolved = width;
      this.build(xs, labels, multiHot);
      return;
    }
    const { labels, oneHotWidth } = await labelsFromTensor(probe.ys, this.kResolved, `${where} ys`);
    this.kResolved = resolveK(this.kResolved, oneHotWidth, labels, `${where} ys`);
    this.build(xs, labels);
  }

  /** Resolves the multi-label mode from the labels when it is 'auto' (tensor probes and training samples). */
  private async isMultiHot(ys: tf.Tensor): Promise<boolean> {
    if (this.multi === undefined) this.multi = await looksMultiHot(ys);
    return this.multi;
  }

  /** Splits inputs into batches of at most batchSize rows and makes their label tensors. */
  private build(xs: tf.Tensor[], labels: Int32Array, multiHot?: Uint8Array): void {
    const K = this.kResolved!;
    const rows = labels.length;
    const batches: ProbeBatch[] = [];
    this.prepared = batches;
    for (let start = 0, index = 0; start < rows; start += this.batchSize, index++) {
      const end = Math.min(rows, start + this.batchSize);
      let bx = xs;
      if (start > 0 || end < rows) {
        bx = xs.map((x) => tf.slice(x, start, end - start));
        this.owned.push(...bx);
      }
      const b = makeBatch(index, bx, labels.subarray(start, end), K, multiHot?.subarray(start * K, end * K));
      this.owned.push(b.y, b.oneHot, b.oneHotT);
      batches.push(b);
    }
  }

  /** A sequence probe: token ids [n, T] (and optional labels [n, T]) to token samples, batches of whole sequences. */
  private async prepareSequence(probe: ProbeTensors | TokenIdsProbe, where: string): Promise<void> {
    if (typeof probe !== 'object' || probe === null || probe.xs === undefined || (probe.ys !== undefined && !(probe.ys instanceof tf.Tensor))) {
      throw new NcInputError('BAD_OPTION', `${where} must be { xs: token ids [n, T], ys?: labels [n, T] } with tf.Tensor values`);
    }
    const xs = asList(probe.xs);
    const rows = checkInputs(this.model, xs, `${where} xs`);
    if (rows === 0) throw new NcInputError('NO_DATA', `${where} holds no sequences`, { source: where });
    const layout = await tokenLayout(xs, probe.ys, this.sequence!, this.kResolved);
    this.kResolved = resolveK(this.kResolved, undefined, layout.labels, `${where} labels`);
    this.buildTokens(xs, rows, layout);
  }

  /** Batches of at most batchSize sequences, each with its counted positions (batches without any are skipped). */
  private buildTokens(xs: tf.Tensor[], rows: number, layout: TokenLayout): void {
    const K = this.kResolved!;
    const { T, index, labels } = layout;
    const batches: ProbeBatch[] = [];
    this.prepared = batches;
    let p = 0;
    for (let start = 0; start < rows; start += this.batchSize) {
      const end = Math.min(rows, start + this.batchSize);
      const first = p;
      while (p < index.length && index[p] < end * T) p++;
      if (p === first) continue;
      const bx = start > 0 || end < rows ? xs.map((x) => tf.slice(x, start, end - start)) : xs;
      if (bx !== xs) this.owned.push(...bx);
      const local = Int32Array.from(index.subarray(first, p), (i) => i - start * T);
      const b = makeBatch(batches.length, bx, labels.subarray(first, p), K);
      b.tokenIndex = tf.tensor1d(local, 'int32');
      this.owned.push(b.y, b.oneHot, b.oneHotT, b.tokenIndex);
      batches.push(b);
    }
  }

  private async prepareSample(sample: SampleTraining): Promise<void> {
    if (typeof sample !== 'object' || sample === null || !(sample.ys instanceof tf.Tensor) || sample.xs === undefined) {
      throw new NcInputError('BAD_OPTION', 'sampleTraining must be { xs, ys, n, seed? } with the tensors you pass to model.fit (tfjs does not show callbacks the training batches)');
    }
    if (!(Number.isInteger(sample.n) && sample.n >= 1)) throw new NcInputError('BAD_OPTION', `sampleTraining.n must be a positive integer, got ${sample.n}`);
    const xs = asList(sample.xs);
    const rows = checkInputs(this.model, xs, 'sampleTraining xs');
    if (sample.ys.shape[0] !== rows) throw new NcInputError('SHAPE', `sampleTraining: xs has ${rows} rows but ys has ${sample.ys.shape[0]}`);
    if (rows === 0) throw new NcInputError('NO_DATA', 'sampleTraining holds no samples');
    let labels: Int32Array;
    let multiHot: Uint8Array | undefined;
    let strata: Int32Array;
    if (await this.isMultiHot(sample.ys)) {
      const m = await multiHotFromTensor(sample.ys, this.kResolved, 'sampleTraining ys');
      this.kResolved = m.width;
      ({ labels, multiHot } = m);
      strata = labelSetIds(m.multiHot, m.width);
    } else {
      const l = await labelsFromTensor(sample.ys, this.kResolved, 'sampleTraining ys');
      this.kResolved = resolveK(this.kResolved, l.oneHotWidth, l.labels, 'sampleTraining ys');
      labels = strata = l.labels;
    }
    const idx = stratifiedSample(strata, sample.n, sample.seed ?? 0);
    const picked = tf.tidy(() => {
      const indices = tf.tensor1d(idx, 'int32');
      return xs.map((x) => tf.gather(x, indices));
    });
    this.owned.push(...picked);
    const K = this.kResolved!;
    const pickedHot = multiHot ? new Uint8Array(idx.length * K) : undefined;
    if (pickedHot) idx.forEach((i, r) => pickedHot.set(multiHot!.subarray(i * K, (i + 1) * K), r * K));
    this.build(picked, Int32Array.from(idx, (i) => labels[i]), pickedHot);
  }

  /** The probe's batches, in order. Call {@link release} on each when done with it. */
  async *batches(): AsyncGenerator<ProbeBatch> {
    if (this.prepared) {
      yield* this.prepared;
      return;
    }
    const iterator = await this.dataset!.iterator();
    let rowOffset = 0;
    for (let index = 0; ; index++) {
      const { value, done } = await iterator.next();
      if (done) break;
      const { xs, ys } = datasetElement(value, index);
      const where = `probe dataset batch ${index}`;
      let batch: ProbeBatch | undefined;
      try {
        const list = asList(xs);
        const rows = checkInputs(this.model, list, `${where} xs`);
        if (ys.shape[0] !== rows) throw new NcInputError('SHAPE', `${where}: xs has ${rows} rows but ys has ${ys.shape[0]}`, { batch: index });
        if (this.multi) {
          const m = await multiHotFromTensor(ys, this.kResolved, `${where} ys`, 0);
          this.kResolved = m.width;
          batch = makeBatch(index, list, m.labels, m.width, m.multiHot);
        } else {
          if (this.mode === 'auto' && (await looksMultiHot(ys))) {
            throw new NcInputError('BAD_OPTION', `${where} ys holds multi-hot labels (rows with no label or several): pass multiLabel: true to measure a multi-label dataset probe`);
          }
          const { labels, oneHotWidth } = await labelsFromTensor(ys, this.kResolved, `${where} ys`, 0);
          if (this.kResolved === undefined) {
            if (oneHotWidth === undefined) {
              throw new NcInputError('BAD_OPTION', 'with integer labels in a dataset probe and no Dense classifier, pass numClasses (K)');
            }
            this.kResolved = oneHotWidth;
          }
          batch = makeBatch(index, list, labels, this.kResolved);
        }
      } finally {
        tf.dispose(ys);
        if (!batch) tf.dispose(xs);
      }
      rowOffset += batch.labels.length;
      yield batch;
    }
    if (rowOffset === 0) throw new NcInputError('NO_DATA', 'the probe dataset yielded no samples');
  }

  /** Disposes a batch's tensors if it came from a dataset (prepared batches are kept until {@link dispose}). */
  release(batch: ProbeBatch): void {
    if (this.prepared) return;
    tf.dispose([...batch.xs, batch.y, batch.oneHot, batch.oneHotT]);
  }

  /** Frees the prepared batches (never the caller's own tensors). */
  dispose(): void {
    tf.dispose(this.owned);
    this.owned = [];
    this.prepared = undefined;
  }
}

/** An integer per distinct label set (rows × K multi-hot), for stratified sampling of multi-label data. */
function labelSetIds(multiHot: Uint8Array, K: number): Int32Array {
  const ids = new Map<string, number>();
  const out = new Int32Array(multiHot.length / K);
  for (let i = 0; i < out.length; i++) {
    const key = multiHot.subarray(i * K, (i + 1) * K).join('');
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    out[i] = id;
  }
  return out;
}

function datasetElement(value: unknown, index: number): { xs: tf.Tensor | tf.Tensor[]; ys: tf.Tensor } {
  let xs: unknown;
  let ys: unknown;
  if (Array.isArray(value) && value.length === 2) [xs, ys] = value;
  else if (typeof value === 'object' && value !== null) ({ xs, ys } = value as { xs: unknown; ys: unknown });
  const okXs = xs instanceof tf.Tensor || (Array.isArray(xs) && xs.every((x) => x instanceof tf.Tensor));
  if (!okXs || !(ys instanceof tf.Tensor)) {
    tf.dispose(value as tf.TensorContainer);
    throw new NcInputError('SHAPE', `probe dataset batch ${index}: expected { xs, ys } (or [xs, ys]) with tensor values`, { batch: index });
  }
  return { xs: xs as tf.Tensor | tf.Tensor[], ys };
}
