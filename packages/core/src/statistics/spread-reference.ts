import { resolveConventions, type ConventionOptions, type GlobalMeanConvention } from '../conventions.js';
import { multiplyNT, rowGram } from '../engine/algebra.js';
import { jsEngine } from '../engine/js-engine.js';
import type { ProductEngine } from '../engine/product-engine.js';
import type { ScatterSpace, SpreadDecisions, SpreadPlan } from '../engine/spread-plan.js';
import { NcInputError } from '../errors.js';
import { betweenClass, betweenClassCached, betweenClassKey, quadraticMap, type SpectralRoute } from '../geometry/between-class.js';
import { centreMeans } from '../geometry/centring.js';
import type { Classifier } from '../types.js';
import { assertFinite } from '../validate/batch.js';
import { fingerprint } from './fingerprint.js';
import { classMeans, type MeansStatistics } from './means.js';
import { normalizedClassifier, type Normalization } from './normalization.js';

/** What the per-class quadratic forms of a spread phase measure: Σ_B⁺ of these conventions, keeping `rank` directions. */
export interface PerClassNc1Conventions {
  globalMean: GlobalMeanConvention;
  pinvRtol: number;
  rank: number;
}

/** The spread phase's plan plus what identifies it: the K-sized quantities derived once from the phase-1 means. */
export interface SpreadReference extends SpreadPlan {
  /** μ_k, K × D (rows of empty classes are 0); also the plan's `centres`. */
  readonly means: Float64Array;
  /** Which classes had samples in phase 1. */
  readonly present: boolean[];
  readonly meansFingerprint: string;
  readonly classifierFingerprint?: string;
  /** Set when the plan computes per-row r_iᵀ Σ_B⁺ r_i (summed per class into per-class NC1). */
  readonly perClassNc1?: PerClassNc1Conventions;
  /**
   * The phase-1 normalization (statistics/normalization.ts): rows are normalized the same way before every spread
   * chunk, and with 'features-and-classifier' the plan's classifier rows are the normalized w_k/‖w_k‖.
   */
  readonly normalization?: Normalization;
}

/** Options of {@link spreadReference} (and of the spread accumulator). */
export interface SpreadReferenceOptions {
  classifier?: Classifier;
  /** Engine for the K-sized set-up (Gram, Cholesky); default the portable {@link jsEngine}. */
  engine?: ProductEngine;
  /** Scatter space; default 'auto': 'means' when K ≤ D, else 'features' (the smaller). */
  space?: 'auto' | ScatterSpace;
  /**
   * Conventions whose Σ_B⁺ the per-class NC1 sums use (only `globalMean` and `pinvRtol`/`preset` matter); default the
   * ncscope preset's (class-uniform μ_G). `false` skips them (one rows × m × rank product less per chunk).
   */
  perClassNc1?: ConventionOptions | false;
  /** Force the spectral route (tests); default 'auto'. */
  route?: 'auto' | SpectralRoute;
  /**
   * Count the NCC and classifier decisions (default true). `false` leaves them out of the plan: the spread phase then
   * costs O(rows · D · m) instead of O(rows · D · K) — for decisions counted on a sample of the rows by a second
   * accumulator (`withSampledDecisions`), as `ncscope lm --decisions-sample` does at vocabulary scale.
   */
  decisions?: boolean;
}

/** s (class-uniform mean of the present classes' means) and M_s = μ_k − s (zero rows for empty classes). */
export function shiftedMeans(means: MeansStatistics): { mu: Float64Array; present: boolean[]; shift: Float64Array; shifted: Float64Array } {
  const { K, D } = means;
  const mu = classMeans(means);
  const present = Array.from(means.counts, (n) => n > 0);
  const nPresent = present.filter(Boolean).length;
  if (nPresent === 0) throw new NcInputError('NO_DATA', 'no samples were seen in the means phase');
  // Σ_k (1/K) μ_k summed exactly as centreMeans sums the class-uniform μ_G, so M_s is bit-for-bit M̃ when every
  // class is present (the Σ_B⁺ computed here can then serve the report: betweenClassCached).
  const shift = new Float64Array(D);
  const w = 1 / nPresent;
  for (let k = 0; k < K; k++) if (present[k]) for (let t = 0; t < D; t++) shift[t] += w * mu[k * D + t];
  const shifted = new Float64Array(K * D);
  for (let k = 0; k < K; k++) if (present[k]) for (let t = 0; t < D; t++) shifted[k * D + t] = mu[k * D + t] - shift[t];
  return { mu, present, shift, shifted };
}

/**
 * Derives the {@link SpreadReference} from phase-1 statistics and an optional classifier. Nothing K × K is built in
 * 'features' space; in 'means' space (K ≤ D) the K × K decision tables are no larger than the means themselves.
 * The Grams and the products with W run on `options.engine` in float64.
 */
export async function spreadReference(means: MeansStatistics, options: SpreadReferenceOptions = {}): Promise<SpreadReference> {
  const { K, D } = means;
  const engine = options.engine ?? jsEngine;
  const { mu, present, shift, shifted } = shiftedMeans(means);
  const space: ScatterSpace = options.space && options.space !== 'auto' ? options.space : K <= D ? 'means' : 'features';
  const m = space === 'means' ? K : D;
  const presentMask = Uint8Array.from(present, (p) => (p ? 1 : 0));
  let pairDistSq: Float64Array | undefined;
  let meanSqNorms: Float64Array | undefined;
  let shiftedGram: Float64Array | undefined;
  if (space === 'means') {
    shiftedGram = await rowGram(engine, shifted, K, D);
    pairDistSq = pairDistances(shiftedGram, shifted, K, D);
  } else {
    meanSqNorms = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let t = 0; t < D; t++) s += shifted[k * D + t] ** 2;
      meanSqNorms[k] = s;
    }
  }
  let classifier: SpreadDecisions['classifier'];
  let classifierFingerprint: string | undefined;
  const normalization: Normalization | undefined = means.normalization ? { mode: means.normalization.mode, temperature: means.normalization.temperature } : undefined;
  const withDecisions = options.decisions !== false;
  if (options.classifier) checkClassifier(options.classifier, K, D);
  if (options.classifier && withDecisions) {
    const { weights, bias } = normalizedClassifier(options.classifier, normalization, D);
    let offsetNoBias: Float64Array;
    if (space === 'means') {
      // offsetNoBias[y, k] = w_k · μ_y, i.e. (M Wᵀ)[y, k].
      offsetNoBias = await multiplyNT(engine, mu, weights instanceof Float64Array ? weights : Float64Array.from(weights), K, D, K);
    } else {
      // Logits of h = x + s: W x + W s (+ b).
      offsetNoBias = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let t = 0; t < D; t++) s += weights[k * D + t] * shift[t];
        offsetNoBias[k] = s;
      }
    }
    const offset = offsetNoBias.slice();
    if (bias) for (let i = 0; i < offset.length; i++) offset[i] += bias[i % K];
    classifier = { weights, offset, offsetNoBias, bias: bias ? Float64Array.from(bias) : new Float64Array(K) };
    classifierFingerprint = fingerprint(weights, bias ?? []);
  }
  const decisions: SpreadDecisions | undefined = withDecisions ? { present: presentMask, pairDistSq, meanSqNorms, classifier } : undefined;
  const plan: SpreadReference = {
    K, D, space, m, centres: mu, J: K, shift, shiftedMeans: shifted, decisions,
    means: mu, present, meansFingerprint: fingerprint(means.counts, means.sums), classifierFingerprint,
    ...(normalization ? { normalization } : {}),
  };
  if (options.perClassNc1 === false) return plan;
  const nPresent = presentMask.reduce((a, b) => a + b, 0);
  if (nPresent < 2) return plan; // no between-class covariance: the report refuses K < 2 anyway
  const conv = resolveConventions(options.perClassNc1 ?? {}, D, nPresent);
  const cm = centreMeans(mu, means.counts, D, conv.globalMean);
  // With every class present and the class-uniform convention, M̃ is M_s: its Gram is already known.
  const gram = shiftedGram && cm.K === K && conv.globalMean === 'class' ? shiftedGram : undefined;
  const bcOptions = { space, rtol: conv.pinvRtol, route: options.route };
  const bc = await betweenClassCached(betweenClassKey(plan.meansFingerprint, conv.globalMean, bcOptions, engine), () => betweenClass(engine, cm.centred, cm.weights, cm.K, D, { ...bcOptions, gram }));
  if (bc.rank === 0) return plan;
  const { map, rows } = quadraticMap(bc);
  let full = map;
  if (space === 'means' && cm.K !== K) {
    // Coordinates p have one entry per class (0 for empty ones): spread the map's columns back to all K.
    full = new Float64Array(rows * K);
    for (let r = 0; r < rows; r++) cm.classes.forEach((k, i) => (full[r * K + k] = map[r * cm.K + i]));
  }
  return { ...plan, quadratic: { map: full, rows }, perClassNc1: { globalMean: conv.globalMean, pinvRtol: conv.pinvRtol, rank: bc.rank } };
}

/**
 * ‖μ_a − μ_b‖² for all pairs, K × K, from the Gram G of the shifted means; pairs whose distance is small against
 * their norms (where a + b − 2g cancels) are recomputed directly, so every entry keeps float64 accuracy.
 */
function pairDistances(G: Float64Array, shifted: Float64Array, K: number, D: number): Float64Array {
  const out = new Float64Array(K * K);
  for (let a = 0; a < K; a++) {
    for (let b = a + 1; b < K; b++) {
      const na = G[a * K + a];
      const nb = G[b * K + b];
      let d = na + nb - 2 * G[a * K + b];
      if (!(d > 1e-3 * (na + nb))) d = directDistance(shifted, a, b, D);
      out[a * K + b] = out[b * K + a] = d;
    }
  }
  return out;
}

/** ‖x_a − x_b‖² straight from the rows (no cancellation). */
export function directDistance(x: Float64Array, a: number, b: number, D: number): number {
  let s = 0;
  const ra = a * D;
  const rb = b * D;
  for (let t = 0; t < D; t++) {
    const diff = x[ra + t] - x[rb + t];
    s += diff * diff;
  }
  return s;
}

/** Checks a classifier's shapes and values against K and D; named errors otherwise. */
export function checkClassifier(classifier: Classifier, K: number, D: number): void {
  const { weights, bias } = classifier;
  if (weights.length !== K * D) {
    throw new NcInputError('SHAPE', `classifier weights have ${weights.length} values; expected K × D = ${K} × ${D} = ${K * D} (rows are classes)`);
  }
  assertFinite(weights, D, 'classifier weights');
  if (bias) {
    if (bias.length !== K) throw new NcInputError('SHAPE', `classifier bias has ${bias.length} values; expected K = ${K}`);
    assertFinite(bias, 1, 'classifier bias');
  }
}

/**
 * A plan that measures residuals around other centres (J × D, e.g. label-set means for multi-label NC) in the same
 * space and with the same Σ_B⁺ map as `reference`, without decisions: rows' labels are then indices into `centres`.
 * The kernel's per-row ‖r‖² and q, and its scatter, are what such an accumulator sums.
 */
export function residualPlan(reference: SpreadReference, centres: Float64Array, J: number): SpreadPlan {
  if (centres.length !== J * reference.D) throw new NcInputError('SHAPE', `residual centres have ${centres.length} values; expected J × D = ${J} × ${reference.D}`);
  const { K, D, space, m, shift, shiftedMeans: sm, quadratic } = reference;
  return { K, D, space, m, centres, J, shift, shiftedMeans: sm, quadratic };
}
