import * as ort from 'onnxruntime-node';
import { halfToFloat, NcInputError } from '@ncscope/core';
import type { OnnxModel } from '../model/onnx-model.js';
import { dataTypeName, DataType } from '../proto/onnx.js';
import type { Dim } from '../model/graph-index.js';
import { rowSize, type InputArray, type InputData } from './input.js';

/** How feature maps of rank ≥ 3 (N × C × H × W, N × C × L, …) become vectors: flattened (C·H·W) or averaged over the trailing axes (C). */
export type PoolMode = 'flatten' | 'avg';

/** Options of {@link FeatureExtractor.create}. */
export interface ExtractorOptions {
  /** Values to extract (several at once for layer-wise NC); default: the input of the final linear classifier. */
  tensors?: readonly string[];
  /** The graph input fed from the data; required when the model has several. */
  inputName?: string;
  /** Rows per onnxruntime run when the batch dimension is dynamic (default 256). A fixed batch dimension wins. */
  batchSize?: number;
  /** Rank ≥ 3 feature maps: 'flatten' (default) or 'avg' (global average over the axes after the channel axis). */
  pool?: PoolMode;
  /** onnxruntime execution providers, e.g. ['cuda', 'cpu']; default ['cpu']. */
  executionProviders?: readonly string[];
  /** Further onnxruntime session options (threads, optimization level, …). */
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** One extracted tensor of one batch: rows × D row-major (padded rows already dropped). */
export interface FeatureBlock {
  data: Float32Array | Float64Array;
  D: number;
  /** The tensor's dims as onnxruntime returned them (batch first, before pooling and dropping padding). */
  dims: readonly number[];
}

/** One batch of extracted features: rows `start … start+rows−1` of the input. */
export interface FeatureBatch {
  index: number;
  start: number;
  rows: number;
  /** In the order of {@link FeatureExtractor.tensors}. */
  features: FeatureBlock[];
}

const ORT_TYPES: Partial<Record<number, ort.Tensor.Type>> = {
  [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.INT32]: 'int32', [DataType.INT64]: 'int64',
  [DataType.UINT8]: 'uint8', [DataType.INT8]: 'int8', [DataType.INT16]: 'int16', [DataType.UINT16]: 'uint16',
  [DataType.UINT32]: 'uint32', [DataType.BOOL]: 'bool', [DataType.FLOAT16]: 'float16',
};

/** Converts one batch of input to the element type the model wants; returns the same array when it already fits. */
function toModelType(data: InputData, type: ort.Tensor.Type, source: string): ort.Tensor.DataType {
  switch (type) {
    case 'float32': return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>, Number);
    case 'float64': return data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>, Number);
    case 'int32': return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>, Number);
    case 'int64': return data instanceof BigInt64Array ? data : BigInt64Array.from(data as ArrayLike<number>, (v) => BigInt(Math.trunc(Number(v))));
    case 'uint8': return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>, Number);
    case 'int8': return data instanceof Int8Array ? data : Int8Array.from(data as ArrayLike<number>, Number);
    case 'bool': return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>, (v) => (Number(v) ? 1 : 0));
    default:
      throw new NcInputError('BAD_MODEL', `${source}: model inputs of type ${type} are not supported`, { source });
  }
}

/**
 * Runs a model edited to output the chosen tensors, batch by batch, and yields per-sample feature vectors.
 *
 * Batching: a dynamic (symbolic or unstated) batch dimension takes `batchSize` rows per run; a fixed one of size B
 * takes exactly B rows, the last batch padded with zeros and its padded rows dropped from the features.
 * Feature maps are flattened (a zero-copy view) or averaged over the trailing axes.
 */
export class FeatureExtractor {
  private constructor(
    readonly model: OnnxModel,
    readonly session: ort.InferenceSession,
    readonly tensors: readonly string[],
    readonly inputName: string,
    /** Declared input shape (batch first). */
    readonly inputShape: Dim[] | undefined,
    readonly inputType: ort.Tensor.Type,
    /** Rows per run, and whether the model fixes it (then the last batch is padded). */
    readonly batchRows: number,
    readonly fixedBatch: boolean,
    readonly pool: PoolMode,
  ) {}

  /** Edits the model to output `tensors` and creates the onnxruntime session from the edited bytes. */
  static async create(model: OnnxModel, options: ExtractorOptions = {}): Promise<FeatureExtractor> {
    const tensors = options.tensors && options.tensors.length > 0 ? [...options.tensors] : [model.classifier().featureTensor];
    if (new Set(tensors).size !== tensors.length) throw new NcInputError('BAD_OPTION', `${model.source}: a tensor is named twice in [${tensors.join(', ')}]`);
    const pool = options.pool ?? 'flatten';
    if (pool !== 'flatten' && pool !== 'avg') throw new NcInputError('BAD_OPTION', `pool must be "flatten" or "avg", got "${pool}"`);
    const feeds = model.graph.feedInputs;
    let inputName = options.inputName;
    if (inputName === undefined) {
      if (feeds.length !== 1) {
        throw new NcInputError('BAD_OPTION', `${model.source}: the model has ${feeds.length} inputs (${feeds.map((f) => f.name).join(', ')}); choose one with --input-name`, { source: model.source });
      }
      inputName = feeds[0].name;
    } else if (!model.graph.graph.input.some((v) => v.name === inputName)) {
      throw new NcInputError('UNKNOWN_TENSOR', `${model.source}: no graph input named "${inputName}" (inputs: ${feeds.map((f) => f.name).join(', ')})`, { source: model.source });
    }
    const others = feeds.filter((f) => f.name !== inputName);
    if (others.length > 0) {
      throw new NcInputError('BAD_OPTION', `${model.source}: inputs ${others.map((f) => `"${f.name}"`).join(', ')} would be left without values; ncscope feeds one input`, { source: model.source });
    }
    const elem = model.graph.elemType(inputName);
    const inputType = ORT_TYPES[elem];
    if (!inputType) throw new NcInputError('BAD_MODEL', `${model.source}: input "${inputName}" has element type ${dataTypeName(elem)}, which ncscope cannot feed`, { source: model.source });
    const inputShape = model.graph.shape(inputName);
    const batchDim = inputShape?.[0];
    const fixedBatch = typeof batchDim === 'number' && batchDim > 0;
    const batchSize = options.batchSize ?? 256;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new NcInputError('BAD_OPTION', `batch size must be a positive integer, got ${batchSize}`);
    const bytes = model.withOutputs(tensors);
    const eps = options.executionProviders ?? ['cpu'];
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: eps as ort.InferenceSession.ExecutionProviderConfig[],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...options.sessionOptions,
    };
    if (model.externalData.length > 0) {
      if (model.baseDir === undefined) {
        throw new NcInputError('BAD_MODEL', `${model.source}: the model keeps weights in external data files (${model.externalData.slice(0, 3).join(', ')}…); open it from its path or pass baseDir`, { source: model.source });
      }
      sessionOptions.extra = { ...(sessionOptions.extra ?? {}), session: { model_external_initializers_file_folder_path: model.baseDir } };
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      const epHint = eps.some((p) => p !== 'cpu') ? ` (execution providers ${eps.join(', ')}: non-CPU providers need the matching onnxruntime-node binaries; see the @ncscope/onnx README)` : '';
      throw new NcInputError('BAD_MODEL', `${model.source}: onnxruntime cannot load the model: ${msg}${epHint}`, { source: model.source });
    }
    return new FeatureExtractor(model, session, tensors, inputName, inputShape, inputType, fixedBatch ? (batchDim as number) : batchSize, fixedBatch, pool);
  }

  /**
   * Checks an input array against the model's declared input shape and returns the per-run dims (batch first).
   * Same rank: every fixed dimension must match. Different rank: accepted when the model's per-sample dims are
   * all fixed and hold as many values as one input row (e.g. flat 784-vectors for a 1 × 28 × 28 model) — a
   * row-major reshape, as NumPy's `reshape` would do.
   */
  sampleDims(input: InputArray): number[] {
    const source = input.source ?? 'inputs';
    const xs = input.shape.slice(1);
    const declared = this.inputShape;
    const fail = (why: string) =>
      new NcInputError('SHAPE', `${source}: input shape [${input.shape.join(', ')}] does not fit model input "${this.inputName}" [${declared!.map((d) => d ?? '?').join(', ')}] (${why})`, { source });
    if (!declared) return xs;
    const ms = declared.slice(1);
    if (ms.length === xs.length) {
      ms.forEach((d, i) => {
        if (typeof d === 'number' && d > 0 && d !== xs[i]) throw fail(`dimension ${i + 1}: ${xs[i]} ≠ ${d}`);
      });
      return xs;
    }
    if (ms.every((d) => typeof d === 'number' && d > 0)) {
      const per = (ms as number[]).reduce((a, b) => a * b, 1);
      if (per === rowSize(input)) return ms as number[];
      throw fail(`${rowSize(input)} values per sample, the model takes ${per}`);
    }
    throw fail(`rank ${input.shape.length} ≠ ${declared.length}`);
  }

  /**
   * A note when {@link sampleDims} reshapes the input to another rank (flat 784-vectors for a 1 × 28 × 28 model; an
   * N × 5 × 2 array for a [batch, 10] model): the values are taken in row-major order, so an array saved channels-last
   * (NHWC) for a channels-first (NCHW) model is silently scrambled — worth a look. Undefined when the ranks agree.
   */
  reshapeNote(input: InputArray): string | undefined {
    const dims = this.sampleDims(input);
    const xs = input.shape.slice(1);
    if (dims.length === xs.length) return undefined;
    return `inputs ${input.source ?? ''} of shape [${input.shape.join(', ')}] were reshaped to [N, ${dims.join(', ')}] for model input "${this.inputName}" `.replace('inputs  of', 'inputs of')
      + `(row-major, as NumPy's reshape); if they are laid out otherwise (channels last for a channels-first model), transpose them first`;
  }

  /** Number of onnxruntime runs for N rows. */
  batchCount(N: number): number {
    return Math.ceil(N / this.batchRows);
  }

  /** Runs every batch of `input` and yields the features of each (in input order). */
  async *run(input: InputArray): AsyncGenerator<FeatureBatch> {
    const N = input.shape[0];
    const dims = this.sampleDims(input);
    const per = rowSize(input);
    const source = input.source ?? 'inputs';
    for (let index = 0, start = 0; start < N; index++, start += this.batchRows) {
      const rows = Math.min(this.batchRows, N - start);
      let data: InputData = await input.read(start, rows);
      if (data.length !== rows * per) {
        throw new NcInputError('SHAPE', `${source}: batch ${index} (rows ${start}..${start + rows - 1}) has ${data.length} values, expected ${rows * per}`, { source, batch: index });
      }
      const runRows = this.fixedBatch ? this.batchRows : rows;
      if (runRows > rows) {
        // Fixed batch dimension: pad the last batch with zeros; the padded rows' features are dropped below.
        const padded = new (data.constructor as new (n: number) => InputData)(runRows * per);
        padded.set(data as never);
        data = padded;
      }
      const tensor = new ort.Tensor(this.inputType, toModelType(data, this.inputType, source) as never, [runRows, ...dims]);
      let out: ort.InferenceSession.ReturnType;
      try {
        out = await this.session.run({ [this.inputName]: tensor }, this.tensors as string[]);
      } catch (e) {
        const msg = (e as Error).message.split('\n')[0];
        throw new NcInputError('SHAPE', `${source}: onnxruntime refused batch ${index} (rows ${start}..${start + rows - 1}, shape [${[runRows, ...dims].join(', ')}]) for model ${this.model.source}: ${msg}`, { source, batch: index });
      } finally {
        tensor.dispose?.();
      }
      yield { index, start, rows, features: this.tensors.map((name) => this.block(name, out[name], rows, runRows, index)) };
    }
  }

  private block(name: string, value: ort.OnnxValue | undefined, rows: number, runRows: number, batch: number): FeatureBlock {
    const where = `${this.model.source}: tensor "${name}"`;
    if (!value || !(value instanceof ort.Tensor)) throw new NcInputError('BAD_MODEL', `${where}: onnxruntime returned no tensor`, { source: this.model.source, batch });
    const t = value;
    const dims = t.dims;
    if (dims.length < 1 || dims[0] !== runRows) {
      throw new NcInputError('SHAPE', `${where} has shape [${dims.join(', ')}] for a batch of ${runRows} rows; it is not a per-sample tensor (batch first)`, { source: this.model.source, batch });
    }
    let data: Float32Array | Float64Array;
    if (t.type === 'float32' || t.type === 'float64') data = t.data as Float32Array | Float64Array;
    else if (t.type === 'float16') {
      const raw = t.data as unknown as ArrayLike<number>;
      data = new Float32Array(raw.length);
      if (raw instanceof Uint16Array) for (let i = 0; i < raw.length; i++) data[i] = halfToFloat(raw[i]);
      else for (let i = 0; i < raw.length; i++) data[i] = raw[i];
    } else throw new NcInputError('BAD_OPTION', `${where} holds ${t.type} values; features must be float`, { source: this.model.source });
    const size = runRows === 0 ? 0 : data.length / runRows;
    if (dims.length >= 3 && this.pool === 'avg') {
      const C = dims[1];
      const S = size / C;
      const pooled = new (data.constructor as new (n: number) => Float32Array | Float64Array)(rows * C);
      for (let i = 0; i < rows; i++) {
        for (let c = 0; c < C; c++) {
          let s = 0;
          const base = i * size + c * S;
          for (let j = 0; j < S; j++) s += data[base + j];
          pooled[i * C + c] = s / S;
        }
      }
      return { data: pooled, D: C, dims };
    }
    return { data: rows === runRows ? data : data.subarray(0, rows * size), D: size, dims };
  }

  /** Releases the onnxruntime session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
