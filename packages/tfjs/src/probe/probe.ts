import { NcInputError } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { labelsFromTensor, stratifiedSample } from './labels.js';

/** Probe data as tensors: inputs (one tensor per model input) and labels (integers [n] / [n, 1], or one-hot [n, K]). */
export interface ProbeTensors {
  xs: tf.Tensor | tf.Tensor[];
  ys: tf.Tensor;
}

/**
 * Anything shaped like a `tf.data.Dataset` of batches `{ xs, ys }` (or `[xs, ys]`): `iterator()` resolves to an
 * object whose `next()` resolves to `{ value, done }`. Iterated once per measurement; the tensors it yields are
 * disposed after use, as `model.fitDataset` does.
 */
export interface DatasetLike {
  iterator(): Promise<{ next(): Promise<IteratorResult<unknown>> }>;
}

/** What to measure on: tensors or a dataset. */
export type Probe = ProbeTensors | DatasetLike;

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
  labels: Int32Array;
  /** Labels as int32, [n]. */
  y: tf.Tensor1D;
  /** One-hot labels, float32, n × K. */
  oneHot: tf.Tensor2D;
  /** Its transpose, K × n (made explicitly: the wasm backend's fast product path needs untransposed operands). */
  oneHotT: tf.Tensor2D;
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

function makeBatch(index: number, xs: tf.Tensor[], labels: Int32Array, K: number): ProbeBatch {
  return tf.tidy(() => {
    const y = tf.tensor1d(labels, 'int32');
    const oneHot = tf.cast(tf.oneHot(y, K), 'float32') as tf.Tensor2D;
    const oneHotT = tf.transpose(oneHot) as tf.Tensor2D;
    return { index, xs, labels, y, oneHot, oneHotT };
  }) as ProbeBatch;
}

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

  private constructor(
    private readonly model: LayersModel,
    private readonly dataset: DatasetLike | undefined,
    private readonly batchSize: number,
    K: number | undefined,
  ) {
    this.kResolved = K;
  }

  /** Number of classes (known once the probe was prepared, or after the first dataset batch). */
  get K(): number | undefined {
    return this.kResolved;
  }

  /** Prepares tensors (or a training sample) now; a dataset is only remembered. */
  static async create(model: LayersModel, source: { probe?: Probe; sampleTraining?: SampleTraining }, options: { K?: number; batchSize: number }): Promise<PreparedProbe> {
    const { probe, sampleTraining } = source;
    if ((probe === undefined) === (sampleTraining === undefined)) {
      throw new NcInputError('BAD_OPTION', 'pass exactly one of probe: { xs, ys } (or a tf.data.Dataset) and sampleTraining: { xs, ys, n }');
    }
    if (probe !== undefined && isDatasetLike(probe)) return new PreparedProbe(model, probe, options.batchSize, options.K);
    const p = new PreparedProbe(model, undefined, options.batchSize, options.K);
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
    if (typeof probe !== 'object' || probe === null || probe.xs === undefined || !(probe.ys instanceof tf.Tensor)) {
      throw new NcInputError('BAD_OPTION', `${where} must be { xs, ys } with tf.Tensor values (or a tf.data.Dataset of { xs, ys } batches)`);
    }
    const xs = asList(probe.xs);
    const rows = checkInputs(this.model, xs, `${where} xs`);
    if (probe.ys.shape[0] !== rows) {
      throw new NcInputError('SHAPE', `${where}: xs has ${rows} rows but ys has ${probe.ys.shape[0]}`, { source: where });
    }
    if (rows === 0) throw new NcInputError('NO_DATA', `${where} holds no samples`, { source: where });
    const { labels, oneHotWidth } = await labelsFromTensor(probe.ys, this.kResolved, `${where} ys`);
    this.kResolved = resolveK(this.kResolved, oneHotWidth, labels, `${where} ys`);
    this.build(xs, labels);
  }

  /** Splits inputs into batches of at most batchSize rows and makes their label tensors. */
  private build(xs: tf.Tensor[], labels: Int32Array): void {
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
      const b = makeBatch(index, bx, labels.subarray(start, end), K);
      this.owned.push(b.y, b.oneHot, b.oneHotT);
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
    const { labels, oneHotWidth } = await labelsFromTensor(sample.ys, this.kResolved, 'sampleTraining ys');
    this.kResolved = resolveK(this.kResolved, oneHotWidth, labels, 'sampleTraining ys');
    const idx = stratifiedSample(labels, sample.n, sample.seed ?? 0);
    const picked = tf.tidy(() => {
      const indices = tf.tensor1d(idx, 'int32');
      return xs.map((x) => tf.gather(x, indices));
    });
    this.owned.push(...picked);
    this.build(picked, Int32Array.from(idx, (i) => labels[i]));
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
        const { labels, oneHotWidth } = await labelsFromTensor(ys, this.kResolved, `${where} ys`, 0);
        if (this.kResolved === undefined) {
          if (oneHotWidth === undefined) {
            throw new NcInputError('BAD_OPTION', 'with integer labels in a dataset probe and no Dense classifier, pass numClasses (K)');
          }
          this.kResolved = oneHotWidth;
        }
        batch = makeBatch(index, list, labels, this.kResolved);
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
