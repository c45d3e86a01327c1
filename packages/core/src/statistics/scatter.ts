import { jsEngine } from '../engine/js-engine.js';
import type { ProductEngine } from '../engine/product-engine.js';
import { NcInputError } from '../errors.js';
import { readStatsJson } from './json-file.js';
import { addOuters } from '../linalg/outer.js';
import type { Batch } from '../types.js';
import { assertFinite, batchShape, checkLabels, numberLabels } from '../validate/batch.js';
import { checkClassCount } from '../validate/class-count.js';
import { fingerprint } from './fingerprint.js';
import type { MeansStatistics } from './means.js';
import type { SpreadStatistics } from './spread.js';
import { shiftedMeans } from './spread-reference.js';

/**
 * Single-pass second-moment statistics (opt-in; O(D² + K·D) memory): per-class counts n_k, means μ_k, within-class
 * sums of squares and the pooled within-class scatter
 *
 *   S_W = Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ   (D × D; Σ_W = S_W / N in DESIGN.md's notation).
 *
 * They are what the least-squares classifier and the MSE central path need (Σ_T = (S_W + Σ_k n_k μ̃_k μ̃_kᵀ)/N),
 * and they give the NC1-type metrics in ONE pass over data that cannot be revisited (DESIGN.md's single-pass
 * mode): C = M̃ Σ_W M̃ᵀ is formed afterwards from S_W. What one pass cannot give: NCC accuracy and NC4 (they
 * compare each sample with the final class means, which are unknown while the sample streams by) and the
 * classifier's confusion counts; use the two-phase accumulators for those.
 *
 * Numerics (all float64): each batch is centred on its own per-class means (so no E[hhᵀ] − μμᵀ cancellation),
 * its scatter is formed as a product of centred rows, and batches, shards and workers are combined with the
 * pairwise update of Chan, Golub & LeVeque (1979), class by class:
 *
 *   n = n_a + n_b,  δ_k = μ_k^b − μ_k^a,  μ_k = μ_k^a + δ_k n_b/n,
 *   S_W = S_W^a + S_W^b + Σ_k (n_k^a n_k^b / n_k) δ_k δ_kᵀ,   SS_k = SS_k^a + SS_k^b + (n_k^a n_k^b / n_k)‖δ_k‖².
 *
 * The update is exact in real arithmetic, so merging in any order gives the same statistics up to rounding.
 */
export interface ScatterStatistics {
  readonly K: number;
  readonly D: number;
  /** n_k, length K. */
  readonly counts: Float64Array;
  /** μ_k, K × D row-major (0 for classes with no samples). */
  readonly means: Float64Array;
  /** SS_k = Σ_{y_i=k} ‖h_i − μ_k‖², length K (for CDNV's per-class variances). */
  readonly withinSS: Float64Array;
  /** S_W = Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ, D × D row-major, symmetric (both triangles stored). */
  readonly withinScatter: Float64Array;
}

/** Options of {@link ScatterAccumulator}. */
export interface ScatterAccumulatorOptions {
  /** Number of classes; omit to grow with the largest label seen. */
  K?: number;
  /** Feature dimension; omit to take it from the first batch. */
  D?: number;
  /**
   * Product engine for each batch's D × D scatter (the O(rows·D²) cost). Default: a symmetric float64 loop in
   * plain TypeScript (exact reference). Engines that compute in float32 (onnxruntime's fast path) trade accuracy
   * for speed: the centring is still done in float64.
   */
  engine?: ProductEngine;
  /** Rows per product call; bounds scratch memory to 2 · chunkRows · D float64 values. Default 2048. */
  chunkRows?: number;
  /** Memory bound of the K × D tables in bytes (default 8 GiB): a larger K is refused (TOO_LARGE) before allocating. */
  maxBytes?: number;
}

/** Streams batches into {@link ScatterStatistics} in one pass; mergeable and serializable. */
export class ScatterAccumulator {
  private k: number;
  private d: number | undefined;
  private readonly fixedK: boolean;
  private readonly engine: ProductEngine | undefined;
  private readonly chunkRows: number;
  private countsArr: Float64Array;
  private meansArr: Float64Array;
  private ssArr: Float64Array;
  private scatterArr: Float64Array;
  private batches = 0;
  private readonly maxBytes: number | undefined;

  constructor(options: ScatterAccumulatorOptions = {}) {
    if (options.K !== undefined && !(Number.isInteger(options.K) && options.K >= 1)) {
      throw new NcInputError('BAD_OPTION', `K must be a positive integer, got ${options.K}`);
    }
    if (options.D !== undefined && !(Number.isInteger(options.D) && options.D >= 1)) {
      throw new NcInputError('BAD_OPTION', `D must be a positive integer, got ${options.D}`);
    }
    const chunk = options.chunkRows ?? 2048;
    if (!(Number.isInteger(chunk) && chunk >= 1)) throw new NcInputError('BAD_OPTION', `chunkRows must be a positive integer, got ${options.chunkRows}`);
    this.chunkRows = chunk;
    this.maxBytes = options.maxBytes;
    if (options.K !== undefined) checkClassCount({ K: options.K, D: options.D, scope: 'means', maxBytes: this.maxBytes, statedBy: 'the option K' });
    this.engine = options.engine && options.engine !== jsEngine ? options.engine : undefined;
    this.k = options.K ?? 0;
    this.fixedK = options.K !== undefined;
    this.d = options.D;
    this.countsArr = new Float64Array(this.k);
    this.ssArr = new Float64Array(this.k);
    this.meansArr = new Float64Array(this.k * (this.d ?? 0));
    this.scatterArr = new Float64Array((this.d ?? 0) ** 2);
  }

  /**
   * Adds one batch (features rows × D, labels). Validates shape, labels and finiteness first (named errors with
   * batch and row); the statistics are untouched when it throws. Async because a product engine may be.
   */
  async add(batch: Batch): Promise<this> {
    const index = this.batches;
    const labels = numberLabels(batch.labels, index);
    batch = { features: batch.features, labels };
    const { rows, D } = batchShape(batch, this.d, index);
    if (rows === 0) {
      this.batches++;
      return this;
    }
    checkLabels(labels, this.fixedK ? this.k : undefined, index);
    assertFinite(batch.features, D, 'features', index);
    this.ensureShape(D, labels);
    for (let start = 0; start < rows; start += this.chunkRows) {
      const end = Math.min(rows, start + this.chunkRows);
      const part = await chunkStatistics(batch, start, end, D, this.k, this.engine);
      this.combine(part);
    }
    this.batches++;
    return this;
  }

  /** Merges another accumulator's (or a parsed shard's) statistics by Chan's pairwise update. Order does not matter. */
  merge(other: ScatterAccumulator | ScatterStatistics): this {
    const s = other instanceof ScatterAccumulator ? other.statistics : other;
    if (s.K === 0 || s.D === 0) return this;
    if (this.d === undefined) this.setD(s.D);
    if (s.D !== this.d) throw new NcInputError('STATS_MISMATCH', `cannot merge scatter statistics with D = ${s.D} into D = ${this.d}`);
    if (s.K > this.k) {
      if (this.fixedK) throw new NcInputError('STATS_MISMATCH', `cannot merge scatter statistics with K = ${s.K} into K = ${this.k}`);
      this.grow(s.K);
    }
    this.combine(s);
    return this;
  }

  /** Raises K (e.g. to the classifier's row count) so classes with no samples are represented. */
  withK(K: number): this {
    if (K < this.k) throw new NcInputError('STATS_MISMATCH', `labels go up to ${this.k - 1} but K = ${K}`);
    if (K > this.k) this.grow(K);
    return this;
  }

  get statistics(): ScatterStatistics {
    return { K: this.k, D: this.d ?? 0, counts: this.countsArr, means: this.meansArr, withinSS: this.ssArr, withinScatter: this.scatterArr };
  }

  private combine(b: ScatterStatistics): void {
    const D = this.d as number;
    const S = this.scatterArr;
    for (let i = 0; i < b.withinScatter.length; i++) S[i] += b.withinScatter[i];
    // Chan's correction Σ_k (n_a n_b / n) δ_k δ_kᵀ, applied row by row for all classes at once.
    const deltas: Float64Array[] = [];
    const weights: number[] = [];
    for (let k = 0; k < b.K; k++) {
      const nb = b.counts[k];
      if (nb === 0) continue;
      const na = this.countsArr[k];
      const n = na + nb;
      const mu = this.meansArr.subarray(k * D, (k + 1) * D);
      const mb = b.means.subarray(k * D, (k + 1) * D);
      const delta = new Float64Array(D);
      let dd = 0;
      for (let t = 0; t < D; t++) {
        delta[t] = mb[t] - mu[t];
        dd += delta[t] * delta[t];
      }
      const w = (na * nb) / n;
      if (na > 0 && w > 0) {
        deltas.push(delta);
        weights.push(w);
      }
      for (let t = 0; t < D; t++) mu[t] += (delta[t] * nb) / n;
      this.ssArr[k] += b.withinSS[k] + (na > 0 ? w * dd : 0);
      this.countsArr[k] = n;
    }
    if (deltas.length) addOuters(S, deltas, weights, D);
  }

  private ensureShape(D: number, labels: ArrayLike<number>): void {
    if (this.d === undefined) this.setD(D);
    if (!this.fixedK) {
      let maxLabel = -1;
      for (let i = 0; i < labels.length; i++) if (labels[i] > maxLabel) maxLabel = labels[i];
      if (maxLabel >= this.k) {
        checkClassCount({ K: maxLabel + 1, D, scope: 'means', maxBytes: this.maxBytes, statedBy: `label ${maxLabel} (K = the largest label + 1)` });
        this.grow(maxLabel + 1);
      }
    }
  }

  private setD(D: number): void {
    if (this.k > 0) checkClassCount({ K: this.k, D, scope: 'means', maxBytes: this.maxBytes, statedBy: 'the option K' });
    this.d = D;
    this.meansArr = new Float64Array(this.k * D);
    this.scatterArr = new Float64Array(D * D);
  }

  private grow(K: number): void {
    const D = this.d ?? 0;
    const counts = new Float64Array(K);
    counts.set(this.countsArr);
    const ss = new Float64Array(K);
    ss.set(this.ssArr);
    const means = new Float64Array(K * D);
    means.set(this.meansArr);
    this.k = K;
    this.countsArr = counts;
    this.ssArr = ss;
    this.meansArr = means;
  }
}

/** Statistics of rows start..end of a batch, centred on the chunk's own class means. */
async function chunkStatistics(batch: Batch, start: number, end: number, D: number, K: number, engine: ProductEngine | undefined): Promise<ScatterStatistics> {
  const { features, labels } = batch;
  const rows = end - start;
  const counts = new Float64Array(K);
  const means = new Float64Array(K * D);
  for (let i = start; i < end; i++) {
    const y = labels[i] as number;
    counts[y]++;
    const off = i * D;
    const base = y * D;
    for (let t = 0; t < D; t++) means[base + t] += features[off + t];
  }
  for (let k = 0; k < K; k++) if (counts[k] > 0) for (let t = 0; t < D; t++) means[k * D + t] /= counts[k];
  // Centred rows, stored transposed (D × rows) so each scatter entry is a contiguous dot product.
  const xt = new Float64Array(D * rows);
  const withinSS = new Float64Array(K);
  for (let i = 0; i < rows; i++) {
    const y = labels[start + i] as number;
    const off = (start + i) * D;
    const base = y * D;
    let ss = 0;
    for (let t = 0; t < D; t++) {
      const v = features[off + t] - means[base + t];
      xt[t * rows + i] = v;
      ss += v * v;
    }
    withinSS[y] += ss;
  }
  let withinScatter: Float64Array;
  if (engine) {
    const x = new Float64Array(rows * D);
    for (let t = 0; t < D; t++) for (let i = 0; i < rows; i++) x[i * D + t] = xt[t * rows + i];
    const out = await engine.matmul(xt, x, D, rows, D);
    withinScatter = out instanceof Float64Array ? out : Float64Array.from(out);
    symmetrize(withinScatter, D);
  } else {
    withinScatter = gramOfRows(xt, D, rows);
  }
  return { K, D, counts, means, withinSS, withinScatter };
}

/** G = X Xᵀ for X (p × m row-major): p × p, lower triangle by four-wide register blocks, then mirrored. */
function gramOfRows(x: Float64Array, p: number, m: number): Float64Array {
  const g = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    const xa = a * m;
    let b = 0;
    for (; b + 3 <= a; b += 4) {
      const x0 = b * m, x1 = x0 + m, x2 = x1 + m, x3 = x2 + m;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let i = 0; i < m; i++) {
        const v = x[xa + i];
        s0 += v * x[x0 + i];
        s1 += v * x[x1 + i];
        s2 += v * x[x2 + i];
        s3 += v * x[x3 + i];
      }
      g[a * p + b] = s0;
      g[a * p + b + 1] = s1;
      g[a * p + b + 2] = s2;
      g[a * p + b + 3] = s3;
    }
    for (; b <= a; b++) {
      const xb = b * m;
      let s = 0;
      for (let i = 0; i < m; i++) s += x[xa + i] * x[xb + i];
      g[a * p + b] = s;
    }
  }
  for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) g[a * p + b] = g[b * p + a];
  return g;
}

function symmetrize(g: Float64Array, p: number): void {
  for (let a = 0; a < p; a++)
    for (let b = a + 1; b < p; b++) {
      const v = 0.5 * (g[a * p + b] + g[b * p + a]);
      g[a * p + b] = v;
      g[b * p + a] = v;
    }
}

/** Phase-1 view of scatter statistics: sums = n_k μ_k. */
export function scatterMeans(s: ScatterStatistics): MeansStatistics {
  const sums = new Float64Array(s.K * s.D);
  for (let k = 0; k < s.K; k++) for (let t = 0; t < s.D; t++) sums[k * s.D + t] = s.counts[k] * s.means[k * s.D + t];
  return { K: s.K, D: s.D, counts: s.counts, sums };
}

/**
 * The spread-phase quantities one pass can give, derived exactly from S_W in the smaller space: withinSS and the
 * scatter — S_W itself when D < K ('features' space), else Σ_i p_i p_iᵀ = M_s S_W M_sᵀ ('means' space, M_s the
 * shifted means of the spread reference). `nccCorrect` is all zeros and NOT meaningful (NCC decisions need the means
 * before the samples): use `singlePassReport`, which drops the NCC metrics, rather than feeding this to
 * `computeReport` yourself. No per-class NC1 (it needs each sample's quadratic form).
 */
export function scatterSpread(s: ScatterStatistics): SpreadStatistics {
  const { K, D } = s;
  const means = scatterMeans(s);
  const base = { K, D, meansFingerprint: fingerprint(means.counts, means.sums), counts: s.counts, withinSS: s.withinSS, nccCorrect: new Float64Array(K) };
  if (D < K) return { ...base, space: 'features', scatter: s.withinScatter };
  const Ms = shiftedMeans(means).shifted;
  // T = M_s S_W (K × D), then T M_sᵀ (K × K).
  const T = new Float64Array(K * D);
  for (let k = 0; k < K; k++) {
    const mk = k * D;
    for (let r = 0; r < D; r++) {
      const m = Ms[mk + r];
      if (m === 0) continue;
      const row = r * D;
      for (let c = 0; c < D; c++) T[mk + c] += m * s.withinScatter[row + c];
    }
  }
  const P = new Float64Array(K * K);
  for (let a = 0; a < K; a++)
    for (let b = 0; b < K; b++) {
      let v = 0;
      for (let t = 0; t < D; t++) v += T[a * D + t] * Ms[b * D + t];
      P[a * K + b] = v;
    }
  for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) P[a * K + b] = P[b * K + a] = 0.5 * (P[a * K + b] + P[b * K + a]);
  return { ...base, space: 'means', scatter: P };
}

/**
 * Serializes scatter statistics as JSON (`ncscope.scatter/1`), numbers in JavaScript's shortest round-trip form:
 * `{ "format": "ncscope.scatter", "version": 1, "K", "D", "counts": [K], "means": [K*D], "withinSS": [K],
 *    "withinScatter": [D*D] }` (row-major). Shards merge with {@link ScatterAccumulator.merge}.
 */
export function serializeScatter(s: ScatterStatistics): string {
  return JSON.stringify({
    format: 'ncscope.scatter',
    version: 1,
    K: s.K,
    D: s.D,
    counts: Array.from(s.counts),
    means: Array.from(s.means),
    withinSS: Array.from(s.withinSS),
    withinScatter: Array.from(s.withinScatter),
  });
}

/** Parses {@link serializeScatter}'s output; BAD_STATS_FILE names what is missing or malformed. */
export function parseScatter(text: string, source = 'scatter statistics'): ScatterStatistics {
  const { json: j, K, D, bad, array } = readStatsJson(text, source, 'ncscope.scatter', 1);
  const arr = (key: string, len: number) => array(j, key, len);
  const counts = arr('counts', K);
  if (!counts.every((n) => Number.isInteger(n) && n >= 0)) throw bad('"counts" must be non-negative integers');
  return { K, D, counts, means: arr('means', K * D), withinSS: arr('withinSS', K), withinScatter: arr('withinScatter', D * D) };
}
