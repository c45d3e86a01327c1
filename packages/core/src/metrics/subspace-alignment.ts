import { requireWeights, type NcContext } from '../context/context.js';
import { columnGram, multiply, multiplyNT, rowGram } from '../engine/algebra.js';
import { NcInputError } from '../errors.js';
import { transpose } from '../linalg/gemm.js';
import { denseMatvec, topEigenpairs } from '../linalg/lanczos.js';
import { symmetricEigen } from '../linalg/symmetric-eigen.js';
import type { FloatArray } from '../types.js';

/**
 * Subspace alignment (Rangamani et al. 2023, ICML, "Feature learning in deep classifiers through
 * Intermediate Neural Collapse"): how much of the class-mean subspace of the features entering a linear map
 * A (out × D, e.g. the classifier W or the next layer's weight) lies in A's dominant input subspace. With U (D × r) an
 * orthonormal basis of the top r = min(K − 1, rank Σ_B) left singular vectors of M̃ᵀ (the span of the centred means)
 * and V (D × r) the top r right singular vectors of A,
 *
 *   alignment = (1/r) Σ_i σ_i(Vᵀ U) ∈ [0, 1]   (the mean cosine of the principal angles; 1 = the means lie in A's top-r
 *   input subspace), as their code's mean singular value of V_Wᵀ U_M.
 *
 * No D × D matrix when D is large: V comes from the eigenpairs of the smaller Gram (A Aᵀ, out × out, or AᵀA, D × D),
 * U never appears — σ_i(VᵀU)² are the eigenvalues of Vᵀ Π_M V with Π_M = M̃ᵀ G⁺ M̃ the projector on the mean span, so
 * Q = Yᵀ G⁺ Y with Y = M̃V = (M̃Aᵀ) P Σ⁻¹ (K × r) in the K-dimensional 'means' space (Σ_B's pseudo-inverse cutoff
 * decides the rank); in the 'features' space (D < K) Π_M = B B⁺ is D × D anyway. Cost: the Gram (out·D·min(out, D)),
 * M̃Aᵀ (K·D·out), the top-r eigenpairs of the Gram (Lanczos when r ≤ n/3, else a full eigendecomposition, O(n³)) and the
 * eigenvalues of the r × r matrix Q (O(r³) in plain TypeScript: seconds past r ≈ 500 — the report skips it above its
 * `alignmentLimit`). When A has fewer than r non-zero singular values, the missing directions count as unaligned (0).
 */
export async function subspaceAlignment(ctx: NcContext, A: FloatArray, out: number): Promise<number> {
  const { K, D, engine } = ctx;
  if (!(Number.isInteger(out) && out >= 1) || A.length !== out * D) {
    throw new NcInputError('SHAPE', `subspace alignment: the linear map has ${A.length} values; expected out × D with D = ${D} (rows are output units, out = ${out})`);
  }
  for (let i = 0; i < A.length; i++) {
    if (!Number.isFinite(A[i])) throw new NcInputError('NON_FINITE', `subspace alignment: the linear map's row ${Math.floor(i / D)}, column ${i % D} is ${A[i]}`);
  }
  const bc = ctx.between;
  const r = Math.min(K - 1, bc.rank);
  if (r <= 0) return NaN;
  const a = A instanceof Float64Array ? A : Float64Array.from(A);
  const M = ctx.centredMeans;

  // V (D × rA) as the top right singular vectors of A, through the smaller Gram; Y = M̃V (K × rA).
  let V: Float64Array | undefined;
  let Y: Float64Array;
  let rA: number;
  if (out <= D) {
    const top = topPairs(await rowGram(engine, a, out, D), out, r, Math.max(out, D));
    rA = top.count;
    // V = Aᵀ P Σ⁻¹ with σ_j = √λ_j.
    const P = new Float64Array(out * rA);
    for (let i = 0; i < out; i++) for (let j = 0; j < rA; j++) P[i * rA + j] = top.vectors[i * top.cols + j] / Math.sqrt(top.values[j]);
    Y = await multiply(engine, await multiplyNT(engine, M, a, K, D, out), P, K, out, rA);
    if (bc.space === 'features') V = await multiply(engine, transpose(a, out, D), P, D, out, rA);
  } else {
    const top = topPairs(await columnGram(engine, a, out, D), D, r, Math.max(out, D));
    rA = top.count;
    V = new Float64Array(D * rA);
    for (let i = 0; i < D; i++) for (let j = 0; j < rA; j++) V[i * rA + j] = top.vectors[i * top.cols + j];
    Y = await multiply(engine, M, V, K, D, rA);
  }
  if (rA === 0) return 0;

  // Q = Vᵀ Π_M V (rA × rA).
  let Q: Float64Array;
  if (bc.space === 'means') {
    const GY = await pinvTimes(ctx, Y, rA);
    Q = await multiply(engine, transpose(Y, K, rA), GY, rA, K, rA);
  } else if (bc.route === 'cholesky') {
    // B has full rank D: Π_M = I.
    Q = await multiply(engine, transpose(V!, D, rA), V!, rA, D, rA);
  } else {
    const { values, vectors } = bc.eigen!;
    const kept: number[] = [];
    for (let j = 0; j < D; j++) if (values[j] / K > bc.cutoff) kept.push(j);
    const Vb = new Float64Array(D * kept.length);
    for (let i = 0; i < D; i++) kept.forEach((j, c) => (Vb[i * kept.length + c] = vectors[i * D + j]));
    const C = await multiply(engine, transpose(Vb, D, kept.length), V!, kept.length, D, rA);
    Q = await multiply(engine, transpose(C, kept.length, rA), C, rA, kept.length, rA);
  }
  const eig = symmetricEigen(Q, rA).values;
  let sum = 0;
  for (let i = 0; i < rA; i++) sum += Math.sqrt(Math.min(1, Math.max(0, eig[i])));
  return sum / r;
}

/** Subspace alignment of the centred means with the classifier W (as given; normalized under 'features-and-classifier'). */
export async function subspaceAlignmentWeights(ctx: NcContext): Promise<number> {
  const W = requireWeights(ctx, 'subspaceAlignmentWeights');
  return subspaceAlignment(ctx, W, ctx.K);
}

/**
 * The top `want` eigenpairs of a symmetric positive-semidefinite n × n Gram AᵀA or AAᵀ, descending, as columns of an
 * n × cols matrix; `count` of them above the numerical-rank cutoff max(out, D)·ε·λ_max (σ² of A). Lanczos when few
 * are wanted.
 */
function topPairs(S: Float64Array, n: number, want: number, dims: number): { values: Float64Array; vectors: Float64Array; cols: number; count: number } {
  const r = Math.min(want, n);
  let values: Float64Array;
  const vectors = new Float64Array(n * r);
  if (r <= n / 3) {
    const top = topEigenpairs(denseMatvec(S, n), n, r);
    values = top.values;
    top.vectors.forEach((v, j) => { for (let i = 0; i < n; i++) vectors[i * r + j] = v[i]; });
  } else {
    const e = symmetricEigen(S, n);
    values = Float64Array.from({ length: r }, (_, j) => e.values[n - 1 - j]);
    for (let i = 0; i < n; i++) for (let j = 0; j < r; j++) vectors[i * r + j] = e.vectors[i * n + (n - 1 - j)];
  }
  const cutoff = dims * Number.EPSILON * Math.max(0, values[0] ?? 0);
  let count = 0;
  while (count < values.length && values[count] > cutoff) count++;
  return { values, vectors, cols: r, count };
}

/** G⁺ Y for the means-space Gram G = M̃M̃ᵀ (K × K) and Y (K × c), by the route Σ_B⁺ took. */
async function pinvTimes(ctx: NcContext, Y: Float64Array, c: number): Promise<Float64Array> {
  const bc = ctx.between;
  const { K, engine } = ctx;
  if (bc.route === 'cholesky') {
    // G⁺ = (G + λννᵀ)⁻¹ − ννᵀ/λ, ν = w/‖w‖ the null vector of M̃ᵀ, λ = λ_max(G) (geometry/between-class.ts).
    const out = await multiply(engine, bc.inverse!, Y, K, K, c);
    const w = bc.weights;
    let ww = 0;
    for (let i = 0; i < K; i++) ww += w[i] * w[i];
    const lambda = bc.lambdaMax * K;
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let i = 0; i < K; i++) s += w[i] * Y[i * c + j];
      const f = s / (ww * lambda);
      for (let i = 0; i < K; i++) out[i * c + j] -= f * w[i];
    }
    return out;
  }
  const { values, vectors } = bc.eigen!;
  const kept: number[] = [];
  for (let j = 0; j < K; j++) if (values[j] / K > bc.cutoff) kept.push(j);
  const Uk = new Float64Array(K * kept.length);
  for (let i = 0; i < K; i++) kept.forEach((j, col) => (Uk[i * kept.length + col] = vectors[i * K + j]));
  const UtY = await multiply(engine, transpose(Uk, K, kept.length), Y, kept.length, K, c);
  kept.forEach((j, row) => { for (let col = 0; col < c; col++) UtY[row * c + col] /= values[j]; });
  return multiply(engine, Uk, UtY, K, kept.length, c);
}
