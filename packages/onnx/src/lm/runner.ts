import * as ort from 'onnxruntime-node';
import { halfToFloat, NcInputError } from '@ncscope/core';
import { dataTypeName } from '../proto/onnx.js';
import type { LanguageModel } from './language-model.js';
import { forEachLabel, positionIdsFromMask, type TokenCorpus, type TokenPlan, type TokenRows } from './tokens.js';

/** Rows of another graph input (`token_type_ids`, …): N × T like the ids, read in row ranges. */
export interface ExtraTokenInput {
  /** Values per sequence: T (per position) — the only layout fed. */
  readonly T: number;
  readonly source: string;
  read(start: number, count: number): ArrayLike<number> | Promise<ArrayLike<number>>;
}

/** Options of {@link LmFeatureRunner.create}. */
export interface LmRunnerOptions {
  /** The feature tensor, [batch, T, D]; default the head's input. */
  tensor?: string;
  /** Sequences per onnxruntime run (default 8). */
  batchSize?: number;
  /** Further graph inputs by name, for inputs ncscope does not fill itself. */
  inputs?: Record<string, ExtraTokenInput>;
  /** onnxruntime execution providers (default ['cpu']). */
  executionProviders?: readonly string[];
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

/**
 * One run's measured tokens: the features at positions t (rows × D), their labels (the token at t + 1), where each
 * came from, and which of them belong to the decisions sample.
 */
export interface TokenBatch {
  /** Run number within this pass (0, 1, …). */
  index: number;
  /** Sequences `start … start + rows − 1` of the corpus. */
  start: number;
  rows: number;
  /** Measured tokens in this batch. */
  tokens: number;
  /** Index of this batch's first token in the corpus' measured order (see TokenPlan.keptBefore). */
  firstToken: number;
  D: number;
  /** tokens × D, row-major. */
  features: Float32Array | Float64Array;
  labels: Int32Array;
  /** Per token: sequence, position (2 entries each). */
  origin: Int32Array;
  /** Indices (into this batch's tokens) of the tokens in the decisions sample; undefined when every token decides. */
  sampled?: Int32Array;
}

const ORT_INT: Record<string, 'int64' | 'int32'> = { int64: 'int64', int32: 'int32' };

/** A typed array of `type` from integer values (int64 → BigInt64Array). */
function intTensor(type: string, values: ArrayLike<number>, dims: number[], where: string): ort.Tensor {
  const n = values.length;
  switch (type) {
    case 'int64': {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(values[i]);
      return new ort.Tensor('int64', a, dims);
    }
    case 'int32': return new ort.Tensor('int32', Int32Array.from(values), dims);
    case 'float32': return new ort.Tensor('float32', Float32Array.from(values), dims);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(values), dims);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from(values, (v) => (v ? 1 : 0)), dims);
    case 'uint8': return new ort.Tensor('uint8', Uint8Array.from(values), dims);
    case 'int8': return new ort.Tensor('int8', Int8Array.from(values), dims);
    default: throw new NcInputError('BAD_MODEL', `${where}: input of type ${type} cannot be fed from integers`);
  }
}

/**
 * Runs a causal language model over a token corpus, batch of sequences by batch, and yields the features and
 * next-token labels of the measured positions (a {@link TokenPlan}). The graph is edited to output only the feature
 * tensor, so the head's B·T·V logits are never computed. Feeds: input_ids (padded positions' ids replaced by 0 when
 * they are out of range: padding is told by the mask alone), attention_mask, position_ids from the mask
 * (cumsum(mask) − 1, 1 at padding), an empty key/value cache, use_cache_branch = false, and named extra inputs.
 * Columns after the last real token of every sequence in a batch are cut before the run (a causal model's outputs
 * at earlier positions do not depend on them).
 */
export class LmFeatureRunner {
  private constructor(
    readonly lm: LanguageModel,
    readonly session: ort.InferenceSession,
    readonly tensor: string,
    readonly batchSize: number,
    private readonly extra: Record<string, ExtraTokenInput>,
  ) {}

  /** Checks the options against the model and creates the onnxruntime session. */
  static async create(lm: LanguageModel, options: LmRunnerOptions = {}): Promise<LmFeatureRunner> {
    const model = lm.model;
    const source = model.source;
    const tensor = options.tensor ?? lm.head?.featureTensor;
    if (tensor === undefined) {
      throw new NcInputError(
        'NO_CLASSIFIER',
        `${source}: no head found at the end of the graph (${lm.noHeadReasons.join('; ') || 'no outputs'}); pass the feature tensor with --tensor NAME and the head's weights with --weights FILE (\`ncscope onnx inspect ${source}\` lists the tensors)`,
        { source },
      );
    }
    model.checkTensors([tensor]);
    const batchSize = options.batchSize ?? 8;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new NcInputError('BAD_OPTION', `batch size must be a positive integer (sequences per run), got ${batchSize}`);
    const extra = options.inputs ?? {};
    const sig = lm.signature;
    const missing = sig.other.filter((n) => !(n in extra));
    if (missing.length) {
      throw new NcInputError('BAD_OPTION', `${source}: the model also takes ${missing.map((n) => `"${n}"`).join(', ')}, which ncscope does not fill; give ${missing.length > 1 ? 'them' : 'it'} with --input NAME=FILE (N × T arrays like the ids)`, { source });
    }
    const stray = Object.keys(extra).filter((n) => !sig.other.includes(n));
    if (stray.length) {
      const filled = [sig.ids, sig.mask, sig.positions, sig.cacheBranch, ...sig.past.map((p) => p.name)].filter(Boolean) as string[];
      const why = (n: string) => (filled.includes(n) ? 'ncscope fills it' : 'the model has no such input');
      throw new NcInputError('BAD_OPTION', `${source}: ${stray.map((n) => `--input ${n}: ${why(n)}`).join('; ')}`, { source });
    }
    const eps = options.executionProviders ?? ['cpu'];
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: eps as ort.InferenceSession.ExecutionProviderConfig[],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...options.sessionOptions,
    };
    if (model.externalData.length > 0) {
      sessionOptions.extra = { ...(sessionOptions.extra ?? {}), session: { model_external_initializers_file_folder_path: model.baseDir } };
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model.withOutputs([tensor]), sessionOptions);
    } catch (e) {
      throw new NcInputError('BAD_MODEL', `${source}: onnxruntime cannot load the model: ${(e as Error).message.split('\n')[0]}`, { source });
    }
    return new LmFeatureRunner(lm, session, tensor, batchSize, extra);
  }

  /** Runs needed for sequences [start, end). */
  batchCount(start: number, end: number): number {
    return Math.ceil(Math.max(0, end - start) / this.batchSize);
  }

  /**
   * Runs sequences [start, end) of the corpus (a shard; default all that hold measured tokens) and yields the
   * measured tokens of each batch, in corpus order.
   */
  async *run(corpus: TokenCorpus, plan: TokenPlan, range: { start?: number; end?: number } = {}): AsyncGenerator<TokenBatch> {
    const start = range.start ?? 0;
    const end = Math.min(range.end ?? corpus.N, plan.sequencesUsed);
    if (corpus.N !== plan.N || corpus.T !== plan.T) throw new NcInputError('STATS_MISMATCH', `${corpus.source}: the token plan was made for ${plan.N} × ${plan.T} sequences, the corpus has ${corpus.N} × ${corpus.T}`);
    const sample = plan.sample?.indices;
    let sampleAt = sample ? lowerBound(sample, plan.keptBefore[start]) : 0;
    for (let index = 0, s = start; s < end; index++, s += this.batchSize) {
      const rows = Math.min(this.batchSize, end - s);
      const data = await corpus.read(s, rows);
      const { T } = corpus;
      // Select the measured tokens first: a batch without any needs no run.
      const picks: number[] = [];
      const labels: number[] = [];
      let lastColumn = -1;
      for (let r = 0; r < rows; r++) {
        const n = s + r;
        const budget = plan.candidatesBefore[n + 1] - plan.candidatesBefore[n];
        let seen = 0;
        forEachLabel(data, r, T, (t, y) => {
          if (seen++ >= budget) return false;
          if (plan.allowed[y]) {
            picks.push(r, t);
            labels.push(y);
          }
          return true;
        });
        lastColumn = Math.max(lastColumn, lastReal(data, r, T));
      }
      const tokens = labels.length;
      const firstToken = plan.keptBefore[s];
      if (plan.keptBefore[s + rows] - firstToken !== tokens) {
        throw new NcInputError('STATS_MISMATCH', `${corpus.source}: sequences ${s}..${s + rows - 1} changed since they were scanned (${tokens} tokens to measure, the scan found ${plan.keptBefore[s + rows] - firstToken})`, { source: corpus.source, row: s });
      }
      if (tokens === 0) continue;
      // Features are read at positions t < the last real token of each row: later columns need not run.
      const width = Math.max(1, lastColumn);
      const out = await this.forward(data, rows, T, width, s, index, corpus.source);
      const D = out.D;
      const features = new Float32Array(tokens * D);
      const origin = new Int32Array(tokens * 2);
      for (let i = 0; i < tokens; i++) {
        const r = picks[2 * i];
        const t = picks[2 * i + 1];
        const from = (r * width + t) * D;
        if (out.data instanceof Uint16Array) for (let d = 0; d < D; d++) features[i * D + d] = halfToFloat(out.data[from + d]);
        else features.set(out.data.subarray(from, from + D), i * D);
        origin[2 * i] = s + r;
        origin[2 * i + 1] = t;
      }
      let sampled: Int32Array | undefined;
      if (sample) {
        const picked: number[] = [];
        while (sampleAt < sample.length && sample[sampleAt] < firstToken + tokens) picked.push(sample[sampleAt++] - firstToken);
        sampled = Int32Array.from(picked);
      }
      yield { index, start: s, rows, tokens, firstToken, D, features, labels: Int32Array.from(labels), origin, ...(sampled ? { sampled } : {}) };
    }
  }

  /** One onnxruntime run on `rows` sequences cut to `width` columns; returns the feature tensor [rows, width, D]. */
  private async forward(data: TokenRows, rows: number, T: number, width: number, start: number, index: number, source: string): Promise<{ data: Float32Array | Float64Array | Uint16Array; D: number }> {
    const sig = this.lm.signature;
    const model = this.lm.model;
    const g = model.graph;
    const cut = (a: ArrayLike<number>, per: number): number[] => {
      const out = new Array<number>(rows * width);
      for (let r = 0; r < rows; r++) for (let t = 0; t < width; t++) out[r * width + t] = Number(a[r * per + t]);
      return out;
    };
    const mask = data.mask ? cut(data.mask, T) : new Array<number>(rows * width).fill(1);
    const vocab = this.lm.vocabSize;
    const ids = cut(data.ids, T).map((v, i) => (mask[i] === 0 && (!(v >= 0) || (vocab !== undefined && v >= vocab) || !Number.isInteger(v)) ? 0 : v));
    const dims = [rows, width];
    const feeds: Record<string, ort.Tensor> = {};
    const typeOf = (name: string) => dataTypeName(g.elemType(name));
    const where = `${model.source}: input`;
    feeds[sig.ids] = intTensor(ORT_INT[typeOf(sig.ids)] ?? 'int64', ids, dims, `${where} ${sig.ids}`);
    if (sig.mask) feeds[sig.mask] = intTensor(typeOf(sig.mask), mask, dims, `${where} ${sig.mask}`);
    if (sig.positions) {
      const p = positionIdsFromMask(mask, rows, width);
      feeds[sig.positions] = typeOf(sig.positions) === 'int64' ? new ort.Tensor('int64', p, dims) : intTensor(typeOf(sig.positions), Array.from(p, Number), dims, `${where} ${sig.positions}`);
    }
    if (sig.cacheBranch) feeds[sig.cacheBranch] = new ort.Tensor('bool', new Uint8Array(1), [1]);
    for (const p of sig.past) {
      const pd = p.dims.map((d) => (d === -1 ? rows : d));
      feeds[p.name] = p.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), pd) : p.type === 'float64' ? new ort.Tensor('float64', new Float64Array(0), pd) : new ort.Tensor('float32', new Float32Array(0), pd);
    }
    for (const [name, input] of Object.entries(this.extra)) {
      const values = await input.read(start, rows);
      if (values.length !== rows * input.T || input.T !== T) {
        throw new NcInputError('SHAPE', `${input.source}: input "${name}" must have the ids' shape (N × ${T}); rows ${start}..${start + rows - 1} hold ${values.length} values`, { source: input.source, row: start });
      }
      feeds[name] = intTensor(typeOf(name), cut(values, T), dims, `${where} ${name}`);
    }
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await this.session.run(feeds, [this.tensor]);
    } catch (e) {
      throw new NcInputError('BAD_MODEL', `${source}: onnxruntime refused sequences ${start}..${start + rows - 1} (batch ${index}, ${rows} × ${width} tokens) for model ${model.source}: ${(e as Error).message.split('\n')[0]}`, { source, batch: index, row: start });
    } finally {
      for (const t of Object.values(feeds)) t.dispose?.();
    }
    const value = result[this.tensor];
    if (!(value instanceof ort.Tensor)) throw new NcInputError('BAD_MODEL', `${model.source}: onnxruntime returned no tensor "${this.tensor}"`, { source: model.source });
    const d = value.dims;
    if (d.length !== 3 || d[0] !== rows || d[1] !== width) {
      throw new NcInputError('SHAPE', `${model.source}: tensor "${this.tensor}" has shape [${d.join(', ')}] for ${rows} sequences of ${width} tokens; a per-token feature tensor is [batch, positions, D]`, { source: model.source });
    }
    if (value.type !== 'float32' && value.type !== 'float64' && value.type !== 'float16') {
      throw new NcInputError('BAD_OPTION', `${model.source}: tensor "${this.tensor}" holds ${value.type} values; features must be float`, { source: model.source });
    }
    return { data: value.data as Float32Array | Float64Array | Uint16Array, D: d[2] };
  }

  /** Releases the onnxruntime session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Last position with mask 1 in row r (T − 1 without a mask; −1 for an all-padding row). */
function lastReal(data: TokenRows, r: number, T: number): number {
  if (!data.mask) return T - 1;
  for (let t = T - 1; t >= 0; t--) if (Number(data.mask[r * T + t]) === 1) return t;
  return -1;
}

/** First index i with a[i] ≥ x in a sorted array. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
