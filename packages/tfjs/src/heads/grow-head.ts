import { NcInputError, ScatterAccumulator, badLabel, isClassIndex, leastSquaresClassifier, type LeastSquaresClassifier } from '@ncscope/core';
import * as tf from '@tensorflow/tfjs-core';
import { layers as tfLayers, model as functionalModel, type LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';

/**
 * Classifier heads from the features (Han, Papyan & Donoho 2022; Harun & Kanan 2025): re-fit a model's final Dense
 * layer as the ridge least-squares classifier of its penultimate features, or grow it by new classes whose rows are
 * initialized that way instead of at random. Features are streamed batch by batch into core's single-pass
 * {@link ScatterAccumulator} (float64, O(D²) memory), so `data` may be large; only `batchSize` rows of features
 * live on the device at a time.
 */

/** Labelled data for a head fit: `xs` the model's input, `ys` integer labels [n] / [n, 1] or one-hot [n, K]. */
export interface HeadData {
  xs: tf.Tensor;
  ys: tf.Tensor;
}

/** Options of {@link leastSquaresHead}. */
export interface LeastSquaresHeadOptions {
  /** Ridge λ of the fit (default 1e-3); see core's `leastSquaresClassifier`. */
  lambda?: number;
  /** Rows per forward pass when extracting features (default 256). */
  batchSize?: number;
}

/** Options of {@link growHead}. */
export interface GrowHeadOptions extends LeastSquaresHeadOptions {
  /** Number of classes to add (≥ 1); they get labels K_old .. K_old + newClasses − 1. */
  newClasses: number;
  /** Labelled data the new rows are fitted on (required for init 'least-squares' and refit 'all'). */
  data?: HeadData;
  /** How new rows start: the LS classifier of the current features (default), or the old layer's initializers. */
  init?: 'least-squares' | 'random';
  /** Keep the old rows as trained (default 'new'), or replace every row by the LS fit on `data` ('all'). */
  refit?: 'new' | 'all';
  /**
   * Multiplier for the new LS rows and their biases (default 1: the plain LS classifier, whose logits live on the
   * scale of the one-hot targets — right for MSE-trained heads). 'match-norms' rescales them so their mean row norm
   * equals the mean norm of the old rows, for heads trained with cross-entropy whose logits are larger.
   */
  newRowScale?: number | 'match-norms';
}

/** The model's final layer, checked to be a Dense layer with one input and output. */
function finalDense(model: LayersModel, what: string) {
  if (model.outputs.length !== 1) throw new NcInputError('NO_CLASSIFIER', `${what}: the model has ${model.outputs.length} outputs; heads need a single-output classifier`);
  const layer = model.outputs[0].sourceLayer;
  if (!layer || layer.getClassName() !== 'Dense') {
    throw new NcInputError('NO_CLASSIFIER', `${what}: the model's output comes from a ${layer?.getClassName() ?? 'missing'} layer "${layer?.name}"; the final layer must be a Dense layer (the classifier)`);
  }
  const input = layer.inboundNodes.length > 1 ? layer.getInputAt(layer.inboundNodes.length - 1) : layer.input;
  if (Array.isArray(input)) throw new NcInputError('NO_CLASSIFIER', `${what}: the final Dense layer "${layer.name}" takes several inputs`);
  const weights = layer.getWeights();
  const kernel = weights[0];
  const config = layer.getConfig() as { units: number; useBias?: boolean };
  return { layer, penultimate: input as SymbolicTensor, kernel, bias: config.useBias === false ? undefined : weights[1], units: config.units, inputDim: kernel.shape[0] };
}

/** Integer labels from `ys` (shape [n], [n, 1] or one-hot [n, K]), checked against K. */
async function readLabels(ys: tf.Tensor, n: number, K: number): Promise<Int32Array> {
  if (ys.shape[0] !== n) throw new NcInputError('SHAPE', `data.ys has ${ys.shape[0]} rows but data.xs has ${n}`);
  const values = await ys.data();
  const width = ys.rank === 2 ? ys.shape[1]! : 1;
  if (ys.rank > 2 || ys.rank === 0) throw new NcInputError('SHAPE', `data.ys has shape [${ys.shape.join(', ')}]; expected integer labels [n] or [n, 1], or one-hot [n, ${K}]`);
  const labels = new Int32Array(n);
  if (width === 1) {
    for (let i = 0; i < n; i++) {
      const y = values[i];
      if (!isClassIndex(y, K)) throw badLabel(y, K, { source: 'data.ys', row: i });
      labels[i] = y;
    }
    return labels;
  }
  if (width !== K) throw new NcInputError('SHAPE', `data.ys is one-hot with ${width} columns; expected ${K} (the grown head's classes)`);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (values[i * K + k] > values[i * K + best]) best = k;
    if (!(values[i * K + best] > 0)) throw new NcInputError('BAD_LABEL', `data.ys row ${i}: no positive entry, not a one-hot label`, { row: i, source: 'data.ys' });
    labels[i] = best;
  }
  return labels;
}

/**
 * Streams the penultimate features of `data` through a feature model that shares the model's layers (no weights are
 * copied) into single-pass scatter statistics with K classes.
 */
async function penultimateStatistics(model: LayersModel, penultimate: SymbolicTensor, data: HeadData, K: number, batchSize: number): Promise<ScatterAccumulator> {
  if (!data || !(data.xs instanceof tf.Tensor) || !(data.ys instanceof tf.Tensor)) {
    throw new NcInputError('BAD_OPTION', 'data must be { xs: Tensor, ys: Tensor }');
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new NcInputError('BAD_OPTION', `batchSize must be a positive integer, got ${batchSize}`);
  const n = data.xs.shape[0] ?? 0;
  if (n === 0) throw new NcInputError('NO_DATA', 'data.xs has no rows');
  const labels = await readLabels(data.ys, n, K);
  const features = functionalModel({ inputs: model.inputs, outputs: penultimate });
  const acc = new ScatterAccumulator({ K });
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const h = tf.tidy(() => {
      const x = tf.slice(data.xs, start, size);
      return tf.reshape(features.predict(x) as tf.Tensor, [size, -1]);
    });
    let values: Float32Array;
    try {
      values = (await h.data()) as Float32Array;
    } finally {
      h.dispose();
    }
    try {
      await acc.add({ features: values, labels: labels.subarray(start, start + size) });
    } catch (e) {
      if (e instanceof NcInputError && e.code === 'NON_FINITE') {
        throw new NcInputError('NON_FINITE', `penultimate features of rows ${start}..${start + size - 1} contain NaN or ±Inf (${e.message})`, { row: start });
      }
      throw e;
    }
  }
  return acc;
}

/** Writes a core classifier (K × D rows) into tfjs layout (kernel D × K). */
function kernelFromRows(rows: ArrayLike<number>, K: number, D: number): Float32Array {
  const k = new Float32Array(D * K);
  for (let c = 0; c < K; c++) for (let t = 0; t < D; t++) k[t * K + c] = rows[c * D + t];
  return k;
}

/**
 * Re-fits the final Dense layer of `model` IN PLACE as the ridge least-squares classifier of its penultimate
 * features on `data` (one-hot targets over the layer's units). The layer's activation is left as it is: the LS
 * classifier defines the pre-activation logits. Returns the classifier (K × D, core layout).
 */
export async function leastSquaresHead(model: LayersModel, data: HeadData, options: LeastSquaresHeadOptions = {}): Promise<LeastSquaresClassifier> {
  const head = finalDense(model, 'leastSquaresHead');
  const K = head.units;
  const D = head.inputDim;
  const acc = await penultimateStatistics(model, head.penultimate, data, K, options.batchSize ?? 256);
  const ls = leastSquaresClassifier(acc.statistics, { lambda: options.lambda ?? 1e-3 });
  const kernel = tf.tensor2d(kernelFromRows(ls.weights, K, D), [D, K]);
  const bias = head.bias ? tf.tensor1d(Float32Array.from(ls.bias)) : undefined;
  try {
    head.layer.setWeights(bias ? [kernel, bias] : [kernel]);
  } finally {
    kernel.dispose();
    bias?.dispose();
  }
  return ls;
}

/**
 * Grows the final Dense layer by `newClasses` units and returns a NEW model sharing every other layer (same layer
 * objects, same weight variables: nothing but the head is allocated). The returned head has K_old + K_new units, the
 * old layer's configuration (activation, initializers, regularizers) and:
 * - refit 'new' (default): old rows and biases copied unchanged, so the old units' logits are exactly the old model's;
 *   new rows from the LS classifier of the current penultimate features on `data`, fitted with one-hot targets over
 *   ALL K_old + K_new classes (so samples of old classes present in `data` push the new rows' outputs to 0), of which
 *   only the new rows are kept. Their scale is the targets' (logit ≈ 1 on their class, ≈ 0 elsewhere); see
 *   `newRowScale` for heads trained with cross-entropy.
 * - refit 'all': every row and bias from the LS fit on `data` — `data` should then cover old classes as well
 *   (e.g. a replay buffer), or the old rows are fitted to output 0 for everything they see.
 * - init 'random' (with refit 'new'): new rows from the old layer's kernel initializer, new biases from its bias
 *   initializer — the usual baseline.
 * The old model keeps working and keeps its own head (dispose it with `oldModel.layers.at(-1).dispose()` when done).
 */
export async function growHead(model: LayersModel, options: GrowHeadOptions): Promise<LayersModel> {
  const head = finalDense(model, 'growHead');
  const { newClasses } = options;
  if (!(Number.isInteger(newClasses) && newClasses >= 1)) throw new NcInputError('BAD_OPTION', `newClasses must be a positive integer, got ${newClasses}`);
  const init = options.init ?? 'least-squares';
  const refit = options.refit ?? 'new';
  if (init !== 'least-squares' && init !== 'random') throw new NcInputError('BAD_OPTION', `init must be 'least-squares' or 'random', got ${String(init)}`);
  if (refit !== 'new' && refit !== 'all') throw new NcInputError('BAD_OPTION', `refit must be 'new' or 'all', got ${String(refit)}`);
  if (refit === 'all' && init === 'random') throw new NcInputError('BAD_OPTION', "refit 'all' re-fits every row by least squares; it cannot be combined with init 'random'");
  const scaleOption = options.newRowScale ?? 1;
  if (!(scaleOption === 'match-norms' || (typeof scaleOption === 'number' && Number.isFinite(scaleOption) && scaleOption > 0))) {
    throw new NcInputError('BAD_OPTION', `newRowScale must be a positive number or 'match-norms', got ${String(scaleOption)}`);
  }
  const Kold = head.units;
  const K = Kold + newClasses;
  const D = head.inputDim;
  let ls: LeastSquaresClassifier | undefined;
  if (init === 'least-squares') {
    if (!options.data) throw new NcInputError('BAD_OPTION', "growHead with init 'least-squares' needs data: { xs, ys } with labels of the new classes");
    const acc = await penultimateStatistics(model, head.penultimate, options.data, K, options.batchSize ?? 256);
    ls = leastSquaresClassifier(acc.statistics, { lambda: options.lambda ?? 1e-3 });
  }

  const config = head.layer.getConfig() as Record<string, unknown>;
  const taken = new Set(model.layers.map((l) => l.name));
  let name = `${head.layer.name}_grown`;
  for (let i = 2; taken.has(name); i++) name = `${head.layer.name}_grown_${i}`;
  const grown = tfLayers.dense({ ...(config as object), units: K, name } as Parameters<typeof tfLayers.dense>[0]);
  const output = grown.apply(head.penultimate) as SymbolicTensor;
  const newModel = functionalModel({ inputs: model.inputs, outputs: output, name: `${model.name}_grown` });

  // Assemble the kernel (D × K) and bias in JS; the freshly initialized weights supply the 'random' rows.
  const [initKernel, initBias] = grown.getWeights();
  const kernel = (await initKernel.data()) as Float32Array;
  const bias = initBias ? ((await initBias.data()) as Float32Array) : undefined;
  const oldKernel = (await head.kernel.data()) as Float32Array;
  const oldBias = head.bias ? ((await head.bias.data()) as Float32Array) : undefined;
  if (refit === 'all' && ls) {
    kernel.set(kernelFromRows(ls.weights, K, D));
    if (bias) bias.set(ls.bias);
  } else {
    for (let t = 0; t < D; t++) for (let c = 0; c < Kold; c++) kernel[t * K + c] = oldKernel[t * Kold + c];
    if (bias && oldBias) bias.set(oldBias.subarray(0, Kold));
    if (ls) {
      let scale = typeof scaleOption === 'number' ? scaleOption : 1;
      if (scaleOption === 'match-norms') scale = meanRowNorm(oldKernel, Kold, D, 0, Kold) / Math.max(meanRowNorm(kernelFromRows(ls.weights, K, D), K, D, Kold, K), Number.MIN_VALUE);
      for (let c = Kold; c < K; c++) {
        for (let t = 0; t < D; t++) kernel[t * K + c] = scale * ls.weights[c * D + t];
        if (bias) bias[c] = scale * ls.bias[c];
      }
    }
  }
  const kT = tf.tensor2d(kernel, [D, K]);
  const bT = bias ? tf.tensor1d(bias) : undefined;
  try {
    grown.setWeights(bT ? [kT, bT] : [kT]);
  } finally {
    kT.dispose();
    bT?.dispose();
  }
  return newModel;
}

/** Mean Euclidean norm of the columns c0..c1−1 of a D × K kernel (the class rows of W). */
function meanRowNorm(kernel: ArrayLike<number>, K: number, D: number, c0: number, c1: number): number {
  let total = 0;
  for (let c = c0; c < c1; c++) {
    let s = 0;
    for (let t = 0; t < D; t++) s += kernel[t * K + c] ** 2;
    total += Math.sqrt(s);
  }
  return total / (c1 - c0);
}
