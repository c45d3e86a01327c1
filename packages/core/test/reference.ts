/**
 * An independent, plainly written float64 reference for every Neural Collapse metric, straight from the
 * definitions in DESIGN.md ("Definitions"), with D × D matrices where the textbook uses them.
 *
 * It reads raw samples (features, labels) and the classifier (W, b) — never accumulated statistics — and
 * imports nothing from packages/core/src: the only shared dependency is ml-matrix, used for the symmetric
 * eigen-decomposition of the D × D between-class covariance Σ_B. The pseudo-inverse cutoff is applied here,
 * relative to Σ_B's largest eigenvalue, by this file's own code (not by any library default).
 *
 * Speed is not a goal: Σ_W is a sum of N outer products (O(N D²)), NC4 compares every sample with every class
 * centre explicitly. Keep test sizes small (N ≲ 1000, D ≲ 200).
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';

const EPS = 2 ** -52;

/** The conventions a report can use (DESIGN.md, "Definitions" and "Anchor conventions"). */
export interface RefConventions {
  /** μ_G = (1/K) Σ_k μ_k ('class') or (1/N) Σ_i h_i ('sample'). */
  globalMean: 'class' | 'sample';
  /** NC1 = Tr(Σ_W Σ_B⁺)/K (true) or Tr(Σ_W Σ_B⁺) (false, Papyan's notebook). */
  nc1DivideByK: boolean;
  /** Relative pseudo-inverse cutoff rule on Σ_B's eigenvalues: max(D, K)·ε·λ_max or D·ε·λ_max (rhubarbwu). */
  pinvRule: 'max(D,K)*eps' | 'D*eps';
  /** Subtract the mean classifier row before the classifier's NC2/NC3 metrics (Zhou et al.). */
  centreWeights: boolean;
  /** NC4 compares NCC with argmax (W h + b) (true) or argmax W h (false, rhubarbwu). */
  nc4Bias: boolean;
  /** GNC2 kernel values rounded to float32 before their mean and variance (rhubarbwu's float32 grid). */
  kernelF32: boolean;
}

/** The presets, written down from DESIGN.md independently of core's table. */
export const REF_PRESETS: Record<'ncscope' | 'papyan' | 'rhubarbwu' | 'zhu' | 'zhou', RefConventions> = {
  ncscope: { globalMean: 'class', nc1DivideByK: true, pinvRule: 'max(D,K)*eps', centreWeights: false, nc4Bias: true, kernelF32: false },
  papyan: { globalMean: 'class', nc1DivideByK: false, pinvRule: 'max(D,K)*eps', centreWeights: false, nc4Bias: true, kernelF32: false },
  rhubarbwu: { globalMean: 'class', nc1DivideByK: true, pinvRule: 'D*eps', centreWeights: false, nc4Bias: false, kernelF32: true },
  zhu: { globalMean: 'sample', nc1DivideByK: true, pinvRule: 'max(D,K)*eps', centreWeights: false, nc4Bias: true, kernelF32: false },
  zhou: { globalMean: 'sample', nc1DivideByK: true, pinvRule: 'max(D,K)*eps', centreWeights: true, nc4Bias: true, kernelF32: false },
};

export interface RefInput {
  features: ArrayLike<number>;
  labels: ArrayLike<number>;
  D: number;
  /** Number of classes, including classes without samples (which are excluded from every metric). */
  K: number;
  W?: ArrayLike<number>;
  b?: ArrayLike<number>;
  /** A consuming linear map A (out × D row-major) for `subspaceAlignment`. */
  consumer?: { weights: ArrayLike<number>; outputs: number };
  /** The imbalance section's threshold (default half the largest class count). */
  minorityBelow?: number;
}

/** The imbalance section from its definition (metrics/imbalance.ts), over the classes with samples. */
export interface RefImbalance {
  minorityBelow: number;
  minorityClasses: number[];
  majorityClasses: number[];
  imbalanceRatio: number;
  values: Record<string, number>;
}

export interface RefResult {
  N: number;
  /** Number of classes with samples. */
  K: number;
  D: number;
  rank: number;
  pinvCutoff: number;
  classes: number[];
  metrics: Record<string, number>;
  imbalance: RefImbalance;
  perClass: {
    counts: number[];
    meanNorms: number[];
    variances: number[];
    nccRecall: number[];
    weightNorms?: number[];
    /** NC1_c = Tr(Σ_c Σ_B⁺), Σ_c = (1/n_c) Σ_{y_i=c} (h_i − μ_c)(h_i − μ_c)ᵀ (D × D here). */
    nc1PerClass: number[];
    cosineMeans: number[][];
    cosineWeights?: number[][];
    /** |coordinates| of μ̃_k on the top two right-singular directions of M̃ (signs are arbitrary). */
    meansProjection2dAbs: number[][];
  };
}

type Vec = number[];
type Mat = number[][];

const zeros = (r: number, c: number): Mat => Array.from({ length: r }, () => new Array<number>(c).fill(0));
const dot = (a: Vec, b: Vec): number => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (a: Vec): number => Math.sqrt(dot(a, a));
const sub = (a: Vec, b: Vec): Vec => a.map((x, i) => x - b[i]);
const frob = (A: Mat): number => Math.sqrt(A.reduce((s, r) => s + dot(r, r), 0));
const mean = (a: Vec): number => a.reduce((s, x) => s + x, 0) / a.length;
/** Sample standard deviation (n − 1 in the denominator). */
const std = (a: Vec): number => {
  const m = mean(a);
  return Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / (a.length - 1));
};
/** X Zᵀ for row-lists X, Z. */
const gram = (X: Mat, Z: Mat): Mat => X.map((x) => Z.map((z) => dot(x, z)));

/** Mean of a list of vectors, refined by a second pass over the residuals (accurate far from the origin). */
function accurateMean(rows: Vec[], D: number): Vec {
  const m = new Array<number>(D).fill(0);
  for (const r of rows) for (let t = 0; t < D; t++) m[t] += r[t];
  for (let t = 0; t < D; t++) m[t] /= rows.length;
  const c = new Array<number>(D).fill(0);
  for (const r of rows) for (let t = 0; t < D; t++) c[t] += r[t] - m[t];
  for (let t = 0; t < D; t++) m[t] += c[t] / rows.length;
  return m;
}

/** cos(x_k, x_l) for all pairs (diagonal 1). */
export function cosines(X: Mat): Mat {
  return X.map((a, k) => X.map((b, l) => (k === l ? 1 : dot(a, b) / (norm(a) * norm(b)))));
}

/** std_k ‖x_k‖ / mean_k ‖x_k‖. */
export function refEquinorm(X: Mat): number {
  const n = X.map(norm);
  return std(n) / mean(n);
}

/** Sample std of cos(x_k, x_l) over the K(K − 1) ordered pairs k ≠ l. */
export function refEquiangularity(X: Mat): number {
  const c = cosines(X);
  const off: number[] = [];
  c.forEach((row, k) => row.forEach((v, l) => k !== l && off.push(v)));
  return std(off);
}

/** Mean over k ≠ l of |cos(x_k, x_l) + 1/(K − 1)|. */
export function refMaxAngle(X: Mat): number {
  const K = X.length;
  const c = cosines(X);
  let s = 0;
  c.forEach((row, k) => row.forEach((v, l) => { if (k !== l) s += Math.abs(v + 1 / (K - 1)); }));
  return s / (K * (K - 1));
}

/** ‖X Zᵀ/‖X Zᵀ‖_F − E‖_F with E = (I − 11ᵀ/K)/√(K − 1). */
export function refEtfError(X: Mat, Z: Mat): number {
  const K = X.length;
  const G = gram(X, Z);
  const g = frob(G);
  let s = 0;
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) s += (G[a][b] / g - ((a === b ? 1 : 0) - 1 / K) / Math.sqrt(K - 1)) ** 2;
  return Math.sqrt(s);
}

/** argmax with the first index winning ties. */
const argmax = (a: Vec): number => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

/** Every metric of DESIGN.md's "Definitions" from raw samples, in float64, under the given conventions. */
export function referenceMetrics(input: RefInput, conv: RefConventions): RefResult {
  const { D, K: Kall } = input;
  const N = input.labels.length;
  const h: Vec[] = Array.from({ length: N }, (_, i) => Array.from({ length: D }, (_, t) => Number(input.features[i * D + t])));
  const y: number[] = Array.from(input.labels, Number);

  // Classes with samples; every class-indexed quantity below is over these, in ascending order.
  const members: Vec[][] = Array.from({ length: Kall }, () => []);
  h.forEach((hi, i) => members[y[i]].push(hi));
  const classes = members.map((m, k) => (m.length > 0 ? k : -1)).filter((k) => k >= 0);
  const K = classes.length;
  const n = classes.map((k) => members[k].length);

  // Class means μ_k and the global mean μ_G.
  const mu: Mat = classes.map((k) => accurateMean(members[k], D));
  const muG: Vec = conv.globalMean === 'class'
    ? Array.from({ length: D }, (_, t) => mean(mu.map((m) => m[t])))
    : accurateMean(h, D);
  const Mt: Mat = mu.map((m) => sub(m, muG));
  const muOf = new Map(classes.map((k, i) => [k, mu[i]]));

  // Σ_W = (1/N) Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ  (D × D), and each class's own Σ_c.
  const SW = zeros(D, D);
  const Sc: Mat[] = classes.map(() => zeros(D, D));
  const withinSS = new Array<number>(K).fill(0);
  h.forEach((hi, i) => {
    const r = sub(hi, muOf.get(y[i])!);
    const c = classes.indexOf(y[i]);
    withinSS[c] += dot(r, r);
    for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) {
      SW[a][b] += (r[a] * r[b]) / N;
      Sc[c][a][b] += (r[a] * r[b]) / n[c];
    }
  });
  // Σ_B = (1/K) Σ_k μ̃_k μ̃_kᵀ  (D × D).
  const SB = zeros(D, D);
  for (const m of Mt) for (let a = 0; a < D; a++) for (let c = 0; c < D; c++) SB[a][c] += (m[a] * m[c]) / K;

  // Σ_B⁺ from the symmetric eigen-decomposition, dropping eigenvalues ≤ rtol · λ_max (relative cutoff).
  const evd = new EigenvalueDecomposition(new Matrix(SB), { assumeSymmetric: true });
  const lambda = evd.realEigenvalues;
  const V = evd.eigenvectorMatrix;
  const lambdaMax = Math.max(...lambda);
  const rtol = (conv.pinvRule === 'D*eps' ? D : Math.max(D, K)) * EPS;
  const cutoff = rtol * lambdaMax;
  const SBp = zeros(D, D);
  let rank = 0;
  lambda.forEach((l, j) => {
    if (!(l > cutoff)) return;
    rank++;
    for (let a = 0; a < D; a++) for (let c = 0; c < D; c++) SBp[a][c] += (V.get(a, j) * V.get(c, j)) / l;
  });
  // Tr(Σ_W Σ_B⁺), and Tr(Σ_c Σ_B⁺) per class.
  const traceProduct = (A: Mat, B: Mat) => {
    let t = 0;
    for (let a = 0; a < D; a++) for (let c = 0; c < D; c++) t += A[a][c] * B[c][a];
    return t;
  };
  const tr = traceProduct(SW, SBp);
  const trace = (A: Mat) => A.reduce((s, r, i) => s + r[i], 0);

  const v = withinSS.map((s, i) => s / n[i]);
  let cd = 0;
  let pairs = 0;
  for (let k = 0; k < K; k++)
    for (let l = k + 1; l < K; l++) {
      const d = sub(mu[k], mu[l]);
      cd += (v[k] + v[l]) / (2 * dot(d, d));
      pairs++;
    }

  // Nearest class centre (over classes with samples) and the classifier's decisions, sample by sample.
  const ncc = h.map((hi) => {
    let best = -1;
    let bestD = Infinity;
    classes.forEach((k, i) => {
      const d = sub(hi, mu[i]);
      const dd = dot(d, d);
      if (dd < bestD) { bestD = dd; best = k; }
    });
    return best;
  });
  const nccCorrect = ncc.filter((k, i) => k === y[i]).length;

  const metrics: Record<string, number> = {
    nc1: conv.nc1DivideByK ? tr / K : tr,
    nc1Quotient: trace(SW) / trace(SB),
    cdnv: cd / pairs,
    equinormMeans: refEquinorm(Mt),
    equiangularityMeans: refEquiangularity(Mt),
    maxAngleMeans: refMaxAngle(Mt),
    etfErrorMeans: refEtfError(Mt, Mt),
    nccAccuracy: nccCorrect / N,
  };
  const perClass: RefResult['perClass'] = {
    counts: n,
    meanNorms: Mt.map(norm),
    variances: v,
    nccRecall: classes.map((k, i) => ncc.filter((c, s) => y[s] === k && c === k).length / n[i]),
    nc1PerClass: Sc.map((S) => traceProduct(S, SBp)),
    cosineMeans: cosines(Mt),
    meansProjection2dAbs: projection2dAbs(Mt),
  };

  // NC1 with Σ_B inverted on its top min(K − 1, D) eigenvalues whatever their size (Han et al.'s "svd" form).
  const top = lambda.map((l, j) => [l, j]).sort((a, b) => b[0] - a[0]).slice(0, Math.min(K - 1, D));
  const SBsvd = zeros(D, D);
  for (const [l, j] of top) for (let a = 0; a < D; a++) for (let c = 0; c < D; c++) SBsvd[a][c] += (V.get(a, j) * V.get(c, j)) / Math.abs(l);
  const trSvd = traceProduct(SW, SBsvd);
  Object.assign(metrics, {
    nc1Svd: conv.nc1DivideByK ? trSvd / K : trSvd,
    ...refGnc2(Mt, D, conv.kernelF32),
    coherence: refMaxAngle(Mt),
    orthoFrameMeans: refOrthoFrame(mu),
  });
  const subspaceR = Math.min(K - 1, rank);

  if (input.W) {
    const Wall: Mat = Array.from({ length: Kall }, (_, k) => Array.from({ length: D }, (_, t) => Number(input.W![k * D + t])));
    const ball: Vec = Array.from({ length: Kall }, (_, k) => (input.b ? Number(input.b[k]) : 0));
    // Decisions use every classifier row (a classifier may pick a class that has no samples here).
    const logits = (hi: Vec, bias: boolean) => Wall.map((w, k) => dot(w, hi) + (bias ? ball[k] : 0));
    const clf = h.map((hi) => argmax(logits(hi, true)));
    const clfNc4 = conv.nc4Bias ? clf : h.map((hi) => argmax(logits(hi, false)));
    // Geometry uses the rows of the classes with samples; the NC2 metrics centre them if the conventions say so
    // (Zhou et al.), NC3 always uses W as given.
    const W: Mat = classes.map((k) => Wall[k].slice());
    let Wnc2: Mat = W;
    if (conv.centreWeights) {
      const wBar = Array.from({ length: D }, (_, t) => mean(W.map((w) => w[t])));
      Wnc2 = W.map((w) => sub(w, wBar));
    }
    const fw = frob(W);
    const fm = frob(Mt);
    let sd = 0;
    W.forEach((w, k) => w.forEach((x, t) => { sd += (x / fw - Mt[k][t] / fm) ** 2; }));
    Object.assign(metrics, {
      equinormWeights: refEquinorm(Wnc2),
      equiangularityWeights: refEquiangularity(Wnc2),
      maxAngleWeights: refMaxAngle(Wnc2),
      etfErrorWeights: refEtfError(Wnc2, Wnc2),
      nc3SelfDuality: sd,
      nc3Zhu: refEtfError(W, Mt),
      nc4NccMismatch: clfNc4.filter((c, i) => c !== ncc[i]).length / N,
      classifierAccuracy: clf.filter((c, i) => c === y[i]).length / N,
    });
    perClass.weightNorms = Wnc2.map(norm);
    perClass.cosineWeights = cosines(Wnc2);
    const sims = W.map((w, k) => dot(w, Mt[k]));
    const cosSims = W.map((w, k) => dot(w, Mt[k]) / (norm(w) * norm(Mt[k])));
    const sumW = Array.from({ length: D }, (_, t) => W.reduce((acc, w) => acc + w[t], 0));
    Object.assign(metrics, {
      unc3: std(sims) ** 2,
      unc3Cos: std(cosSims) ** 2,
      nc0: norm(sumW),
      orthoFrameWeights: refOrthoFrame(W),
      subspaceAlignmentWeights: refSubspaceAlignment(Mt, W, subspaceR),
    });
  }
  if (input.consumer) {
    const { weights, outputs } = input.consumer;
    const A: Mat = Array.from({ length: outputs }, (_, o) => Array.from({ length: D }, (_, t) => Number(weights[o * D + t])));
    metrics.subspaceAlignment = refSubspaceAlignment(Mt, A, subspaceR);
  }

  // Imbalance: minority = classes with n_k < threshold.
  const threshold = input.minorityBelow ?? Math.max(...n) / 2;
  const minority = n.map((c) => c < threshold);
  const groupCosines = (X: Mat, group: boolean) => {
    const vals: number[] = [];
    for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) {
      if (k !== l && minority[k] === group && minority[l] === group) vals.push(dot(X[k], X[l]) / (norm(X[k]) * norm(X[l])));
    }
    return vals.length ? [mean(vals), vals.length > 1 ? std(vals) : NaN] : [NaN, NaN];
  };
  const groupMean = (values: number[], group: boolean) => mean(values.filter((_, k) => minority[k] === group));
  const values: Record<string, number> = {};
  [values.minorityCosineMeans, values.minorityCosineMeansStd] = groupCosines(Mt, true);
  [values.majorityCosineMeans, values.majorityCosineMeansStd] = groupCosines(Mt, false);
  values.normRatioMeans = groupMean(Mt.map(norm), true) / groupMean(Mt.map(norm), false);
  values.nc1Minority = groupMean(perClass.nc1PerClass, true);
  values.nc1Majority = groupMean(perClass.nc1PerClass, false);
  if (input.W) {
    const Wnc2 = perClassWeightsRows(input, classes, D, conv);
    [values.minorityCosineWeights, values.minorityCosineWeightsStd] = groupCosines(Wnc2, true);
    [values.majorityCosineWeights, values.majorityCosineWeightsStd] = groupCosines(Wnc2, false);
    values.normRatioWeights = groupMean(Wnc2.map(norm), true) / groupMean(Wnc2.map(norm), false);
  }
  const imbalance: RefImbalance = {
    minorityBelow: threshold,
    minorityClasses: classes.filter((_, k) => minority[k]),
    majorityClasses: classes.filter((_, k) => !minority[k]),
    imbalanceRatio: Math.max(...n) / Math.min(...n),
    values,
  };
  return { N, K, D, rank, pinvCutoff: cutoff, classes, metrics, imbalance, perClass };
}

/** The NC2 classifier rows of the classes with samples (centred under centreWeights). */
function perClassWeightsRows(input: RefInput, classes: number[], D: number, conv: RefConventions): Mat {
  const W: Mat = classes.map((k) => Array.from({ length: D }, (_, t) => Number(input.W![k * D + t])));
  if (!conv.centreWeights) return W;
  const wBar = Array.from({ length: D }, (_, t) => mean(W.map((w) => w[t])));
  return W.map((w) => sub(w, wBar));
}

/**
 * GNC2 kernels as rhubarbwu's `kernel_stats`: μ̂ = μ̃/(‖μ̃‖ + 2⁻⁵²), d = ‖μ̂_k − μ̂_l‖ over pairs k < l, kernels d,
 * log(1/d), sign(D − 2)·d^−(D−2); mean, and variance = mean of squared deviations. With `f32`, every kernel value
 * and the mean are rounded to float32 first, and the variance is taken around the float32 mean.
 */
export function refGnc2(Mt: Mat, D: number, f32: boolean): Record<string, number> {
  const K = Mt.length;
  const unit = Mt.map((m) => m.map((x) => x / (norm(m) + EPS)));
  const S = D - 2;
  const round = (x: number) => (f32 ? Math.fround(x) : x);
  const kernels: Record<string, number[]> = { Log: [], Riesz: [], Dist: [] };
  let closest = Infinity;
  for (let k = 0; k < K; k++) for (let l = k + 1; l < K; l++) {
    const d = norm(sub(unit[k], unit[l]));
    closest = Math.min(closest, d);
    kernels.Dist.push(round(d));
    kernels.Log.push(round(Math.log(1 / d)));
    kernels.Riesz.push(round((S >= 0 ? 1 : -1) * Math.pow(d, -S)));
  }
  const out: Record<string, number> = {};
  for (const [name, vals] of Object.entries(kernels)) {
    const m = round(mean(vals));
    out[`gnc2${name}Mean`] = m;
    out[`gnc2${name}Var`] = round(vals.reduce((acc, x) => acc + (x - m) ** 2, 0) / vals.length);
  }
  // Two normalized means that coincide (e.g. same-sign means in D = 1) leave d at rounding noise: undefined kernels.
  if (closest < 1e-6) for (const key of Object.keys(out)) out[key] = NaN;
  return out;
}

/** ‖G/‖G‖_F − I/√K‖_F for the Gram G = X Xᵀ of the rows (uncentred). */
export function refOrthoFrame(X: Mat): number {
  const K = X.length;
  const G = gram(X, X);
  const g = frob(G);
  let s = 0;
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) s += (G[a][b] / g - (a === b ? 1 / Math.sqrt(K) : 0)) ** 2;
  return Math.sqrt(s);
}

/**
 * Rangamani et al.'s alignment from SVDs: U = top r left singular vectors of M̃ᵀ (D × K), V = top r right singular
 * vectors of A (out × D), (1/r) Σ σ_i(Vᵀ U). Directions beyond A's rank contribute 0 (as core documents).
 */
export function refSubspaceAlignment(Mt: Mat, A: Mat, r: number): number {
  if (r <= 0) return NaN;
  const svdM = new SingularValueDecomposition(new Matrix(Mt).transpose(), { autoTranspose: true });
  const U = svdM.leftSingularVectors;
  const orderM = svdM.diagonal.map((s, j) => [s, j]).sort((a, b) => b[0] - a[0]).slice(0, r);
  const svdA = new SingularValueDecomposition(new Matrix(A), { autoTranspose: true });
  const Va = svdA.rightSingularVectors;
  const sA = svdA.diagonal;
  const rankCut = Math.max(A.length, A[0].length) * EPS * Math.max(...sA) ** 2;
  const orderA = sA.map((s, j) => [s, j]).sort((a, b) => b[0] - a[0]).slice(0, r).filter(([s]) => s * s > rankCut);
  const D = Mt[0].length;
  const C = new Matrix(orderA.length, orderM.length);
  orderA.forEach(([, ja], i) => orderM.forEach(([, jm], j) => {
    let s = 0;
    for (let t = 0; t < D; t++) s += Va.get(t, ja) * U.get(t, jm);
    C.set(i, j, s);
  }));
  if (orderA.length === 0) return 0;
  const sv = new SingularValueDecomposition(C, { autoTranspose: true }).diagonal;
  return sv.reduce((acc, x) => acc + Math.min(1, x), 0) / r;
}

/** |U S| for the top two singular triplets of M̃ (K × D), via the eigen-decomposition of M̃M̃ᵀ. */
function projection2dAbs(Mt: Mat): number[][] {
  const K = Mt.length;
  const evd = new EigenvalueDecomposition(new Matrix(gram(Mt, Mt)), { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((l, j) => [l, j]).sort((a, b) => b[0] - a[0]);
  const U = evd.eigenvectorMatrix;
  const col = (r: number) => (r < order.length ? order[r] : [0, 0]);
  return Array.from({ length: K }, (_, k) => [0, 1].map((r) => {
    const [l, j] = col(r);
    return Math.abs(U.get(k, j) * Math.sqrt(Math.max(0, l)));
  }));
}
