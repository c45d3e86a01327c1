import { choleskyWithInverse, multiplyNT } from '../engine/algebra.js';
import { smallestEigenvalueEstimate } from '../geometry/between-class.js';
import { jsEngine } from '../engine/js-engine.js';
import type { ProductEngine } from '../engine/product-engine.js';
import { NcInputError } from '../errors.js';
import { fingerprint } from '../statistics/fingerprint.js';
import type { ScatterStatistics } from '../statistics/scatter.js';
import type { Classifier, FloatArray } from '../types.js';
import { assertFinite } from '../validate/batch.js';
import { fitMoments, fitScatterOf, standardScale, type FitMoments, type OodFitStatistics } from './fit-matrices.js';
import {
  DEFAULT_NCI_ALPHA,
  NECO_VARIANCE_SHARE,
  OOD_SCORE_NAMES,
  checkDimensions,
  checkOodParams,
  defaultVimDim,
  scoreNeeds,
  type OodParams,
  type OodScoreName,
} from './params.js';
import { descendingEigen, pinvhCutoff } from './spectral.js';

/** Options of {@link OodDetector.create}: the score parameters plus the classifier and where products run. */
export interface OodDetectorOptions extends OodParams {
  /** The linear classifier z = W h + b (W K × D row-major, b K). Needed by vim and nci, and by the logit scores unless logits come with the rows. */
  classifier?: Classifier;
  /** The rows to be scored carry their logits (batch.logits, rows × K): the logit scores run without a classifier. */
  logitsWithRows?: boolean;
  /** Where the per-chunk products run (float64); default core's portable `jsEngine`. */
  engine?: ProductEngine;
  /** Rows per product call (default: up to 4096, fewer when the product is wide). */
  chunkRows?: number;
  /** How Σ_W⁺ is formed for mahalanobis: 'auto' (Cholesky when safely full-rank, else eigen), or forced (tests). */
  mahalanobisRoute?: 'auto' | 'cholesky' | 'eigen';
}

/** The parameters a detector runs with, defaults filled in (reported beside the results). */
export interface ResolvedOodParams {
  scores: OodScoreName[];
  /** Present when vim runs. */
  vimDim?: number;
  /** Present when neco runs. */
  necoDim?: number;
  necoMaxLogit: boolean;
  nciAlpha: number;
  temperature: number;
  /** ViM's α = mean max logit / mean residual norm over the fit set; present once the ViM fit pass has run. */
  vimAlpha?: number;
  /** Rank of Σ_W kept by the pseudo-inverse (mahalanobis). */
  mahalanobisRank?: number;
  /** How Σ_W⁺ was formed: a Cholesky factor of the non-constant features' block, or an eigendecomposition. */
  mahalanobisRoute?: 'cholesky' | 'eigen';
  /** Share of the standardized fit set's variance NECO's components explain. */
  necoVarianceShare?: number;
  /** Features StandardScaler treats as constant (scale 1) in NECO. */
  necoConstantFeatures?: number;
}

/** The sums of ViM's fit pass (over the fit set's rows): mergeable by addition when `key` matches. */
export interface VimFitSums {
  /** Digest of the fit statistics, classifier and vimDim the residual space came from. */
  readonly key: string;
  readonly rows: number;
  /** Σ max_k z_k. */
  readonly sumMaxLogit: number;
  /** Σ ‖(h − u) in the residual space‖. */
  readonly sumResidual: number;
}

/** An unlabelled batch of rows to score: features rows × D, and (optionally) the model's logits rows × K. */
export interface OodBatch {
  features: FloatArray;
  logits?: FloatArray;
}

/** Per-row scores of one chunk (each array has one entry per row). */
export type ChunkScores = Partial<Record<OodScoreName, Float64Array>>;

interface Block {
  offset: number;
  width: number;
}

/** The columns of the one product X · Bᵀ per chunk (X = rows − μ_G). */
interface Projection {
  /** cols × D, row-major (each row one column of B). */
  bt: Float64Array;
  cols: number;
  logits?: Block;
  mahalanobisY?: Block;
  mahalanobisCross?: Block;
  vim?: Block;
  neco?: Block;
}

/**
 * Everything the OOD scores need from an in-distribution fit set, set up once from its scatter statistics (one
 * pass; mergeable across shards) and the classifier, then applied to any number of test sets chunk by chunk — one
 * float64 product of the centred rows against a D × (K + r + K' + (D − vimDim) + necoDim) matrix per chunk, plus
 * O(rows·D) loops. Memory O(D² + K·D); no copy of a test set is kept.
 *
 * Set-up, each exactly as its reference implementation (see the package README):
 * - mahalanobis: Σ_W = S_W/N and its pseudo-inverse with scipy's pinvh cutoff (eigenvalues ≤ D·ε·λ_max dropped) as
 *   OpenOOD's MDS (scikit-learn EmpiricalCovariance on class-centred rows); classes with no fit rows are left out;
 * - vim: u = −W⁺b; the residual space is spanned by the eigenvectors of Σ_T + (μ_G − u)(μ_G − u)ᵀ beyond the top
 *   vimDim; α = mean max logit / mean residual norm over the fit set (a second pass: {@link vimFitPass});
 * - neco: StandardScaler (sample mean, population std, scale 1 for constant features), PCA of the standardized
 *   fit set = eigenvectors of S⁻¹ Σ_T S⁻¹ (its PCA mean is 0 exactly, so none is subtracted);
 * - nci: the fit set's sample mean μ_G and the raw classifier rows.
 */
export class OodDetector {
  /** Parameters with defaults filled in. */
  readonly params: ResolvedOodParams;
  /** Notes about scores dropped for lack of a classifier, and similar. */
  readonly warnings: string[];
  /** Fit-set moments (class means, μ_G, Σ_W, Σ_T). */
  readonly moments: FitMoments;
  /** Classifier rows (0 without a classifier; the logits' width when they come with the rows). */
  readonly classifierRows: number;
  private readonly engine: ProductEngine;
  private readonly chunkRowsOption: number | undefined;
  private readonly logitsFromClassifier: boolean;
  /** c = W μ_G + b (K) with a classifier. */
  private readonly logitShift: Float64Array | undefined;
  private readonly weights: Float64Array | undefined;
  private readonly projection: Projection;
  private readonly vimProjection: Projection | undefined;
  private readonly mahalanobisNormsSq: Float64Array | undefined;
  /** (μ_G − u) · NS, the residual of the centre. */
  private readonly vimShift: Float64Array | undefined;
  private readonly vimKey: string | undefined;
  private vimSums: VimFitSums | undefined;
  private readonly necoInvScale: Float64Array | undefined;

  private constructor(init: {
    params: ResolvedOodParams;
    warnings: string[];
    moments: FitMoments;
    classifierRows: number;
    engine: ProductEngine;
    chunkRows: number | undefined;
    logitsFromClassifier: boolean;
    logitShift?: Float64Array;
    weights?: Float64Array;
    projection: Projection;
    vimProjection?: Projection;
    mahalanobisNormsSq?: Float64Array;
    vimShift?: Float64Array;
    vimKey?: string;
    necoInvScale?: Float64Array;
  }) {
    this.params = init.params;
    this.warnings = init.warnings;
    this.moments = init.moments;
    this.classifierRows = init.classifierRows;
    this.engine = init.engine;
    this.chunkRowsOption = init.chunkRows;
    this.logitsFromClassifier = init.logitsFromClassifier;
    this.logitShift = init.logitShift;
    this.weights = init.weights;
    this.projection = init.projection;
    this.vimProjection = init.vimProjection;
    this.mahalanobisNormsSq = init.mahalanobisNormsSq;
    this.vimShift = init.vimShift;
    this.vimKey = init.vimKey;
    this.necoInvScale = init.necoInvScale;
  }

  /**
   * Sets the scores up from the fit set's statistics: the two-phase NC statistics with a 'features'-space spread
   * phase ({@link fitStatistics}; shards merged), or single-pass scatter statistics.
   * Named errors: BAD_OPTION (parameters, dimensions), TOO_FEW_CLASSES (a one-class fit set), NO_DATA, SHAPE or
   * NON_FINITE (classifier), NO_CLASSIFIER (a score that needs the classifier, asked for by name without one).
   */
  static async create(fit: OodFitStatistics, options: OodDetectorOptions = {}): Promise<OodDetector> {
    checkOodParams(options);
    const stats: ScatterStatistics = fitScatterOf(fit);
    const engine = options.engine ?? jsEngine;
    if (options.chunkRows !== undefined && !(Number.isInteger(options.chunkRows) && options.chunkRows >= 1)) {
      throw new NcInputError('BAD_OPTION', `chunkRows must be a positive integer, got ${options.chunkRows}`);
    }
    const moments = fitMoments(stats);
    const { D } = moments;
    const warnings: string[] = [];
    const classifier = options.classifier;
    let Kw = 0;
    let weights: Float64Array | undefined;
    let bias: Float64Array | undefined;
    if (classifier) {
      if (classifier.weights.length % D !== 0 || classifier.weights.length === 0) {
        throw new NcInputError('SHAPE', `classifier weights have ${classifier.weights.length} values, not a multiple of the fit set's D = ${D}`);
      }
      Kw = classifier.weights.length / D;
      if (Kw < moments.K && moments.classes[moments.classes.length - 1] >= Kw) {
        throw new NcInputError('SHAPE', `the classifier has ${Kw} rows but the fit set has labels up to ${moments.classes[moments.classes.length - 1]}`);
      }
      assertFinite(classifier.weights, D, 'classifier weights');
      weights = Float64Array.from(classifier.weights);
      if (classifier.bias) {
        if (classifier.bias.length !== Kw) throw new NcInputError('SHAPE', `classifier bias has ${classifier.bias.length} entries, but W has ${Kw} rows`);
        assertFinite(classifier.bias, Kw, 'classifier bias');
        bias = Float64Array.from(classifier.bias);
      } else bias = new Float64Array(Kw);
    }
    const logits = classifier !== undefined || options.logitsWithRows === true;
    // Which scores run: asked for by name → refused when impossible; by default → dropped with a warning.
    const named = options.scores !== undefined;
    const wanted = [...(options.scores ?? OOD_SCORE_NAMES)];
    let necoMaxLogit = options.necoMaxLogit ?? true;
    const scores: OodScoreName[] = [];
    const dropped: OodScoreName[] = [];
    for (const s of wanted) {
      const needs = scoreNeeds(s, s === 'neco' ? necoMaxLogit : false);
      if (needs.classifier && !classifier) {
        if (named) throw new NcInputError('NO_CLASSIFIER', `the ${s} score needs the classifier (W, b)`);
        dropped.push(s);
        continue;
      }
      if (needs.logits && !logits) {
        if (s === 'neco' && options.necoMaxLogit === undefined) {
          necoMaxLogit = false;
          warnings.push('neco runs without the max-logit factor: no classifier or logits were given');
        } else if (named) {
          throw new NcInputError('NO_CLASSIFIER', `the ${s} score needs logits: give the classifier (W, b) or logits with the rows`);
        } else {
          dropped.push(s);
          continue;
        }
      }
      scores.push(s);
    }
    if (dropped.length) warnings.push(`without a classifier ${dropped.join(', ')} ${dropped.length === 1 ? 'does' : 'do'} not run (they need W, b${dropped.some((s) => s !== 'vim' && s !== 'nci') ? ' or logits' : ''})`);
    if (scores.length === 0) throw new NcInputError('NO_CLASSIFIER', 'no score can run: give the classifier (W, b)');
    checkDimensions({ scores, vimDim: options.vimDim, necoDim: options.necoDim }, D);
    const params: ResolvedOodParams = {
      scores,
      necoMaxLogit,
      nciAlpha: options.nciAlpha ?? DEFAULT_NCI_ALPHA,
      temperature: options.temperature ?? 1,
    };

    const mu = moments.sampleMean;
    let logitShift: Float64Array | undefined;
    if (weights && bias) {
      logitShift = new Float64Array(Kw);
      for (let k = 0; k < Kw; k++) {
        let v = bias[k];
        for (let t = 0; t < D; t++) v += weights[k * D + t] * mu[t];
        logitShift[k] = v;
      }
    }

    // Columns of the product, block by block (rows of Bᵀ).
    const rowsOfB: Float64Array[] = [];
    const projection: Projection = { bt: new Float64Array(0), cols: 0 };
    const addBlock = (vectors: Float64Array[]): Block => {
      const block = { offset: rowsOfB.length, width: vectors.length };
      rowsOfB.push(...vectors);
      return block;
    };
    const needLogitBlock = weights !== undefined && scores.some((s) => s === 'msp' || s === 'maxlogit' || s === 'energy' || s === 'vim' || s === 'nci' || (s === 'neco' && necoMaxLogit));
    let weightRows: Float64Array[] = [];
    if (weights) weightRows = Array.from({ length: Kw }, (_, k) => weights!.subarray(k * D, (k + 1) * D));
    if (needLogitBlock) projection.logits = addBlock(weightRows);

    let mahalanobisNormsSq: Float64Array | undefined;
    if (scores.includes('mahalanobis')) {
      const op = await precisionFactor(moments.within, D, engine, options.mahalanobisRoute ?? 'auto');
      const a = op.rows;
      params.mahalanobisRoute = op.route;
      params.mahalanobisRank = a.length;
      const cls = moments.classes;
      const cross: Float64Array[] = [];
      mahalanobisNormsSq = new Float64Array(cls.length);
      for (let c = 0; c < cls.length; c++) {
        const k = cls[c];
        const m = new Float64Array(a.length);
        for (let j = 0; j < a.length; j++) {
          let v = 0;
          for (let t = 0; t < D; t++) v += a[j][t] * (moments.means[k * D + t] - mu[t]);
          m[j] = v;
        }
        let nn = 0;
        for (let j = 0; j < a.length; j++) nn += m[j] * m[j];
        mahalanobisNormsSq[c] = nn;
        // Σ_W⁺ (μ_c − μ_G) = A m: the column whose product with (h − μ_G) is y·m_c.
        const col = new Float64Array(D);
        for (let j = 0; j < a.length; j++) {
          const f = m[j];
          if (f === 0) continue;
          for (let t = 0; t < D; t++) col[t] += f * a[j][t];
        }
        cross.push(col);
      }
      projection.mahalanobisY = addBlock(a);
      projection.mahalanobisCross = addBlock(cross);
    }

    let vimShift: Float64Array | undefined;
    let vimKey: string | undefined;
    let vimProjection: Projection | undefined;
    if (scores.includes('vim')) {
      const vimDim = options.vimDim ?? defaultVimDim(D);
      params.vimDim = vimDim;
      const u = vimOrigin(weights!, bias!, Kw, D);
      const m = Float64Array.from(moments.total);
      const d = Float64Array.from(mu, (v, t) => v - u[t]);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) m[i * D + j] += d[i] * d[j];
      const e = descendingEigen(m, D);
      const ns: Float64Array[] = [];
      for (let j = vimDim; j < D; j++) {
        const v = new Float64Array(D);
        for (let i = 0; i < D; i++) v[i] = e.vectors[i * D + j];
        ns.push(v);
      }
      vimShift = Float64Array.from(ns, (v) => {
        let s = 0;
        for (let t = 0; t < D; t++) s += v[t] * d[t];
        return s;
      });
      projection.vim = addBlock(ns);
      vimKey = fingerprint(stats.counts, stats.means, stats.withinScatter, weights!, bias!, [vimDim]);
      vimProjection = buildProjection(D, { logits: weightRows, vim: ns });
    }

    let necoInvScale: Float64Array | undefined;
    if (scores.includes('neco')) {
      const scale = standardScale(moments);
      necoInvScale = Float64Array.from(scale, (s) => 1 / s);
      let constants = 0;
      for (let j = 0; j < D; j++) if (isConstant(moments, j)) constants++;
      params.necoConstantFeatures = constants;
      const c = new Float64Array(D * D);
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) c[i * D + j] = moments.total[i * D + j] * necoInvScale[i] * necoInvScale[j];
      const e = descendingEigen(c, D);
      let totalVar = 0;
      for (const v of e.values) totalVar += Math.max(0, v);
      let necoDim = options.necoDim;
      if (necoDim === undefined) {
        let acc = 0;
        necoDim = D;
        for (let j = 0; j < D; j++) {
          acc += Math.max(0, e.values[j]);
          if (acc >= NECO_VARIANCE_SHARE * totalVar) {
            necoDim = j + 1;
            break;
          }
        }
      }
      params.necoDim = necoDim;
      let explained = 0;
      for (let j = 0; j < necoDim; j++) explained += Math.max(0, e.values[j]);
      params.necoVarianceShare = totalVar > 0 ? explained / totalVar : 0;
      // (h − μ_G)/s · v_j = (h − μ_G) · (v_j / s): the scaling folds into the columns.
      const cols: Float64Array[] = [];
      for (let j = 0; j < necoDim; j++) {
        const v = new Float64Array(D);
        for (let i = 0; i < D; i++) v[i] = e.vectors[i * D + j] * necoInvScale[i];
        cols.push(v);
      }
      projection.neco = addBlock(cols);
    }

    projection.cols = rowsOfB.length;
    projection.bt = new Float64Array(projection.cols * D);
    rowsOfB.forEach((r, i) => projection.bt.set(r, i * D));

    return new OodDetector({
      params,
      warnings,
      moments,
      classifierRows: Kw,
      engine,
      chunkRows: options.chunkRows,
      logitsFromClassifier: weights !== undefined,
      logitShift,
      weights,
      projection,
      vimProjection,
      mahalanobisNormsSq,
      vimShift,
      vimKey,
      necoInvScale,
    });
  }

  /** Feature dimension of the fit set. */
  get D(): number {
    return this.moments.D;
  }

  /** Whether ViM runs and still needs its fit pass ({@link vimFitPass} then {@link setVimSums}) before scoring. */
  get needsVimPass(): boolean {
    return this.params.scores.includes('vim') && this.vimSums === undefined;
  }

  /** The key ViM fit sums must carry to be used with this detector (fit statistics, classifier and vimDim). */
  get vimFitKey(): string | undefined {
    return this.vimKey;
  }

  /** Supplies ViM's fit-pass sums (from {@link vimFitPass}, possibly merged from shards); sets α. STATS_MISMATCH when they belong to other statistics. */
  setVimSums(sums: VimFitSums): void {
    if (!this.vimKey) throw new NcInputError('BAD_OPTION', 'ViM does not run in this detector');
    if (sums.key !== this.vimKey) throw new NcInputError('STATS_MISMATCH', 'the ViM fit sums were computed with other fit statistics, classifier or vimDim');
    if (!(sums.rows > 0)) throw new NcInputError('NO_DATA', 'the ViM fit pass saw no rows');
    if (!(sums.sumResidual > 0)) {
      throw new NcInputError('BAD_OPTION', `ViM: the fit set has no residual outside its top ${this.params.vimDim} principal directions (mean residual norm 0), so α is undefined; use a smaller vimDim`);
    }
    this.vimSums = sums;
    this.params.vimAlpha = sums.sumMaxLogit / sums.rows / (sums.sumResidual / sums.rows);
  }

  /** A fresh accumulator of ViM's fit-pass sums; feed it the fit set's rows (any batching, any shard). */
  vimFitPass(): VimFitAccumulator {
    if (!this.vimProjection || !this.vimKey) throw new NcInputError('BAD_OPTION', 'ViM does not run in this detector');
    return new VimFitAccumulator(this, this.vimKey);
  }

  /** Rows per product call for a projection of `cols` columns: ≤ 4096, scratch ≤ 2^24 values. */
  chunkRows(cols = this.projection.cols): number {
    return this.chunkRowsOption ?? Math.max(64, Math.min(4096, Math.floor(2 ** 24 / Math.max(this.D, cols))));
  }

  /** @internal Centred rows X = H − μ_G of rows [start, start + rows) plus per-row ‖h‖₁, ‖x‖², ‖x/s‖². */
  centre(features: FloatArray, start: number, rows: number): { x: Float64Array; l1: Float64Array; xx: Float64Array; zz: Float64Array } {
    const D = this.D;
    const mu = this.moments.sampleMean;
    const inv = this.necoInvScale;
    const x = new Float64Array(rows * D);
    const l1 = new Float64Array(rows);
    const xx = new Float64Array(rows);
    const zz = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const off = (start + i) * D;
      const o = i * D;
      let a = 0, b = 0, c = 0;
      for (let t = 0; t < D; t++) {
        const h = features[off + t];
        const v = h - mu[t];
        x[o + t] = v;
        a += Math.abs(h);
        b += v * v;
        if (inv) {
          const z = v * inv[t];
          c += z * z;
        }
      }
      l1[i] = a;
      xx[i] = b;
      zz[i] = c;
    }
    return { x, l1, xx, zz };
  }

  /** @internal Logits of a chunk (rows × K): from the product's logit block plus W μ_G + b, or the given logits. */
  private chunkLogits(p: Float64Array, cols: number, proj: Projection, rows: number, given: FloatArray | undefined, start: number, givenK = 0): { z: Float64Array | FloatArray; K: number; offset: number; stride: number } | undefined {
    if (this.logitsFromClassifier && proj.logits) {
      const K = this.classifierRows;
      const z = new Float64Array(rows * K);
      const shift = this.logitShift!;
      for (let i = 0; i < rows; i++) for (let k = 0; k < K; k++) z[i * K + k] = p[i * cols + proj.logits.offset + k] + shift[k];
      return { z, K, offset: 0, stride: K };
    }
    if (given && givenK > 0) return { z: given, K: givenK, offset: start * givenK, stride: givenK };
    return undefined;
  }

  /** @internal The product X · Bᵀ of a chunk on the engine (float64). */
  async product(x: Float64Array, rows: number, proj: Projection): Promise<Float64Array> {
    return multiplyNT(this.engine, x, proj.bt, rows, this.D, proj.cols);
  }

  /** @internal The projection of the ViM fit pass. */
  get vimFitProjection(): Projection {
    return this.vimProjection!;
  }

  /** @internal ViM residual norm of row i from its product row. */
  vimResidual(p: Float64Array, cols: number, proj: Projection, i: number): number {
    const shift = this.vimShift!;
    const { offset, width } = proj.vim!;
    let s = 0;
    for (let j = 0; j < width; j++) {
      const v = p[i * cols + offset + j] + shift[j];
      s += v * v;
    }
    return Math.sqrt(s);
  }

  /** @internal Fit-pass logits of a chunk from the ViM projection. */
  vimFitLogits(p: Float64Array, rows: number): Float64Array {
    const proj = this.vimProjection!;
    return this.chunkLogits(p, proj.cols, proj, rows, undefined, 0)!.z as Float64Array;
  }

  /**
   * Scores rows [start, start + rows) of an unlabelled batch (features validated by the caller: shape, finiteness).
   * Returns one array per score plus the chunk's column sums of h − μ_G (for the set's mean, NC5).
   */
  async scoreChunk(batch: OodBatch, start: number, rows: number): Promise<{ scores: ChunkScores; centredSum: Float64Array }> {
    if (this.needsVimPass) throw new NcInputError('BAD_OPTION', 'ViM needs its fit pass before scoring (vimFitPass, then setVimSums)');
    const D = this.D;
    const { x, l1, xx, zz } = this.centre(batch.features, start, rows);
    const proj = this.projection;
    const cols = proj.cols;
    const p = cols > 0 ? await this.product(x, rows, proj) : new Float64Array(0);
    const centredSum = new Float64Array(D);
    for (let i = 0; i < rows; i++) for (let t = 0; t < D; t++) centredSum[t] += x[i * D + t];
    const { scores: names, temperature: T, nciAlpha, necoMaxLogit } = this.params;
    const out: ChunkScores = {};
    for (const s of names) out[s] = new Float64Array(rows);
    const givenK = batch.logits ? batch.logits.length / (batch.features.length / D) : 0;
    const lg = this.chunkLogits(p, cols, proj, rows, batch.logits, start, givenK);
    const alpha = this.params.vimAlpha ?? 0;
    for (let i = 0; i < rows; i++) {
      let zmax = -Infinity, arg = 0, sumExp = 0, sumExpT = 0;
      if (lg) {
        const base = lg.offset + i * lg.stride;
        for (let k = 0; k < lg.K; k++) {
          const v = lg.z[base + k];
          if (v > zmax) {
            zmax = v;
            arg = k;
          }
        }
        for (let k = 0; k < lg.K; k++) {
          const v = lg.z[base + k] - zmax;
          sumExp += Math.exp(v);
          if (T !== 1) sumExpT += Math.exp(v / T);
        }
        if (T === 1) sumExpT = sumExp;
      }
      const logsumexp = zmax + Math.log(sumExp);
      if (out.msp) out.msp[i] = 1 / sumExp;
      if (out.maxlogit) out.maxlogit[i] = zmax;
      if (out.energy) out.energy[i] = T * (zmax / T + Math.log(sumExpT));
      if (out.mahalanobis) {
        const y = proj.mahalanobisY!;
        const c = proj.mahalanobisCross!;
        let yy = 0;
        for (let j = 0; j < y.width; j++) {
          const v = p[i * cols + y.offset + j];
          yy += v * v;
        }
        let best = Infinity;
        const nn = this.mahalanobisNormsSq!;
        for (let k = 0; k < c.width; k++) {
          const q = yy - 2 * p[i * cols + c.offset + k] + nn[k];
          if (q < best) best = q;
        }
        out.mahalanobis[i] = -best;
      }
      if (out.vim) out.vim[i] = logsumexp - alpha * this.vimResidual(p, cols, proj, i);
      if (out.neco) {
        const b = proj.neco!;
        let s = 0;
        for (let j = 0; j < b.width; j++) {
          const v = p[i * cols + b.offset + j];
          s += v * v;
        }
        const ratio = zz[i] > 0 ? Math.sqrt(s) / Math.sqrt(zz[i]) : 0;
        out.neco[i] = necoMaxLogit ? ratio * zmax : ratio;
      }
      if (out.nci) {
        // w_ŷ · (h − μ_G) is the logit block's entry ŷ (before W μ_G + b is added back).
        const proj1 = p[i * cols + proj.logits!.offset + arg];
        const cos = xx[i] > 0 ? proj1 / Math.sqrt(xx[i]) : 0;
        out.nci[i] = cos + nciAlpha * l1[i];
      }
    }
    return { scores: out, centredSum };
  }

  /** Column count of the scoring product (for chunk sizing and cost estimates). */
  get productColumns(): number {
    return this.projection.cols;
  }

  /** The classifier's weights as float64 (K × D), if any. */
  get classifierWeights(): Float64Array | undefined {
    return this.weights;
  }
}

/**
 * A factor A of Σ_W⁺ = A Aᵀ, as the rows of Aᵀ (y = Aᵀ(h − μ_G) are the whitened coordinates), with scipy's pinvh
 * cutoff (eigenvalues ≤ D·ε·λ_max dropped).
 * - 'cholesky' (the usual case): features whose variance is exactly 0 (dead units: their rows and columns of Σ_W are
 *   0, so the pseudo-inverse is 0 there) are left out, and the rest factored Σ_r = L Lᵀ on the engine; when the
 *   smallest eigenvalue, estimated by inverse iteration (an estimate that can only be too large), exceeds
 *   1e-8·Tr Σ_r — many orders above the cutoff — the pseudo-inverse keeps every direction and equals L⁻ᵀL⁻¹, so
 *   Aᵀ = L⁻¹ gives the same scores as the eigendecomposition without its O(D³) QL sweeps.
 * - 'eigen': a full eigendecomposition, eigenvalues above the cutoff kept, A = V₊Λ₊^{−1/2}.
 */
async function precisionFactor(within: Float64Array, D: number, engine: ProductEngine, route: 'auto' | 'cholesky' | 'eigen'): Promise<{ rows: Float64Array[]; route: 'cholesky' | 'eigen' }> {
  if (route !== 'eigen') {
    const live: number[] = [];
    for (let j = 0; j < D; j++) if (within[j * D + j] !== 0) live.push(j);
    const m = live.length;
    if (m > 0) {
      const r = new Float64Array(m * m);
      let trace = 0;
      for (let a = 0; a < m; a++) {
        for (let b = 0; b < m; b++) r[a * m + b] = within[live[a] * D + live[b]];
        trace += r[a * m + a];
      }
      const f = await choleskyWithInverse(engine, r, m);
      if ('L' in f && smallestEigenvalueEstimate(f.Linv, m) > 1e-8 * trace) {
        const rows: Float64Array[] = [];
        for (let a = 0; a < m; a++) {
          const v = new Float64Array(D);
          for (let b = 0; b <= a; b++) v[live[b]] = f.Linv[a * m + b];
          rows.push(v);
        }
        return { rows, route: 'cholesky' };
      }
    }
    if (route === 'cholesky') throw new NcInputError('BAD_OPTION', 'mahalanobisRoute: Σ_W is not safely full-rank on its non-constant features (use the eigen route)');
  }
  const e = descendingEigen(within, D);
  const cutoff = pinvhCutoff(e);
  const rows: Float64Array[] = [];
  for (let j = 0; j < D; j++) {
    const lambda = e.values[j];
    if (!(lambda > cutoff)) continue; // PSD: |λ| > cutoff only for positive λ (negatives are rounding)
    const s = 1 / Math.sqrt(lambda);
    const v = new Float64Array(D);
    for (let i = 0; i < D; i++) v[i] = e.vectors[i * D + j] * s;
    rows.push(v);
  }
  return { rows, route: 'eigen' };
}

/** Whether feature j is constant by StandardScaler's rule. */
function isConstant(m: FitMoments, j: number): boolean {
  const v = m.total[j * m.D + j];
  const mean = m.sampleMean[j];
  return v <= m.N * Number.EPSILON * v + (m.N * mean * Number.EPSILON) ** 2;
}

function buildProjection(D: number, blocks: { logits: Float64Array[]; vim: Float64Array[] }): Projection {
  const rows = [...blocks.logits, ...blocks.vim];
  const bt = new Float64Array(rows.length * D);
  rows.forEach((r, i) => bt.set(r, i * D));
  return {
    bt,
    cols: rows.length,
    logits: { offset: 0, width: blocks.logits.length },
    vim: { offset: blocks.logits.length, width: blocks.vim.length },
  };
}

/**
 * ViM's origin u = −W⁺b (NumPy's pinv), through the eigendecomposition of the smaller Gram matrix: W⁺b = Wᵀ(WWᵀ)⁺b
 * when K ≤ D, (WᵀW)⁺Wᵀb otherwise, eigenvalues ≤ n·ε·λ_max dropped (singular values below about √(nε)·σ_max are not
 * resolved, where NumPy's SVD keeps those above 1e-15·σ_max; only a nearly rank-deficient W differs).
 */
export function vimOrigin(W: Float64Array, b: Float64Array, K: number, D: number): Float64Array {
  const u = new Float64Array(D);
  let any = false;
  for (const v of b) if (v !== 0) any = true;
  if (!any) return u;
  const n = Math.min(K, D);
  const gram = new Float64Array(n * n);
  let rhs: Float64Array;
  if (K <= D) {
    for (let i = 0; i < K; i++)
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let t = 0; t < D; t++) s += W[i * D + t] * W[j * D + t];
        gram[i * K + j] = gram[j * K + i] = s;
      }
    rhs = b;
  } else {
    for (let k = 0; k < K; k++) {
      const row = k * D;
      for (let i = 0; i < D; i++) {
        const wi = W[row + i];
        if (wi === 0) continue;
        for (let j = 0; j <= i; j++) gram[i * D + j] += wi * W[row + j];
      }
    }
    for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) gram[j * D + i] = gram[i * D + j];
    rhs = new Float64Array(D);
    for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) rhs[t] += W[k * D + t] * b[k];
  }
  const e = descendingEigen(gram, n);
  const cutoff = pinvhCutoff(e);
  // G⁺ rhs = Σ_{λ_j > cutoff} v_j (v_jᵀ rhs) / λ_j.
  const sol = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const lambda = e.values[j];
    if (!(lambda > cutoff)) continue;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += e.vectors[i * n + j] * rhs[i];
    const f = dot / lambda;
    for (let i = 0; i < n; i++) sol[i] += f * e.vectors[i * n + j];
  }
  if (K <= D) {
    for (let k = 0; k < K; k++) for (let t = 0; t < D; t++) u[t] -= W[k * D + t] * sol[k];
  } else {
    for (let t = 0; t < D; t++) u[t] = -sol[t];
  }
  return u;
}

/** Accumulates ViM's fit-pass sums (Σ max logit, Σ residual norm) over fit-set rows; mergeable by addition. */
export class VimFitAccumulator {
  private rows = 0;
  private sumMax = 0;
  private sumRes = 0;
  private batches = 0;

  constructor(private readonly detector: OodDetector, private readonly key: string) {}

  /** Adds fit-set rows (rows × D; labels are not needed). Validates shape and finiteness first. */
  async add(features: FloatArray): Promise<this> {
    const index = this.batches++;
    const D = this.detector.D;
    if (features.length % D !== 0) throw new NcInputError('SHAPE', `batch ${index}: ${features.length} feature values do not split into rows of D = ${D}`, { batch: index });
    assertFinite(features, D, 'features', index);
    const rows = features.length / D;
    const proj = this.detector.vimFitProjection;
    const step = this.detector.chunkRows(proj.cols);
    for (let start = 0; start < rows; start += step) {
      const n = Math.min(step, rows - start);
      const { x } = this.detector.centre(features, start, n);
      const p = await this.detector.product(x, n, proj);
      const z = this.detector.vimFitLogits(p, n);
      const K = this.detector.classifierRows;
      for (let i = 0; i < n; i++) {
        let m = -Infinity;
        for (let k = 0; k < K; k++) if (z[i * K + k] > m) m = z[i * K + k];
        this.sumMax += m;
        this.sumRes += this.detector.vimResidual(p, proj.cols, proj, i);
      }
      this.rows += n;
    }
    return this;
  }

  /** Adds sums from another accumulator or shard (same key). */
  merge(other: VimFitSums): this {
    if (other.key !== this.key) throw new NcInputError('STATS_MISMATCH', 'cannot merge ViM fit sums computed with other fit statistics, classifier or vimDim');
    this.rows += other.rows;
    this.sumMax += other.sumMaxLogit;
    this.sumRes += other.sumResidual;
    return this;
  }

  /** The sums so far. */
  get sums(): VimFitSums {
    return { key: this.key, rows: this.rows, sumMaxLogit: this.sumMax, sumResidual: this.sumRes };
  }
}
