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
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

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
}

/** The presets, written down from DESIGN.md independently of core's table. */
export const REF_PRESETS: Record<'ncscope' | 'papyan' | 'rhubarbwu' | 'zhu' | 'zhou', RefConventions> = {
  ncscope: { globalMean: 'class', nc1DivideByK: true, pinvRule: 'max(D,K)*eps', centreWeights: false, nc4Bias: true },
  papyan: { globalMean: 'class', nc1DivideByK: false, pinvRule: 'max(D,K)*eps', centreWeights: false, nc4Bias: true },
  rhubarbwu: { globalMean: 'class', nc1DivideByK: true, pinvRule: 'D*eps', centreWeights: false, nc4Bias: false },
  zhu: { globalMean: 'sample', nc1DivideByK: true, pinvRule: 'max(D,K)*eps', centreWeights: false, nc4Bias: true },
  zhou: { globalMean: 'sample', nc1DivideByK: true, pinvRule: 'max(D,K)*eps', centreWeights: true, nc4Bias: true },
};

export interface RefInput {
  features: ArrayLike<number>;
  labels: ArrayLike<number>;
  D: number;
  /** Number of classes, including classes without samples (which are excluded from every metric). */
  K: number;
  W?: ArrayLike<number>;
  b?: ArrayLike<number>;
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
  }
  return { N, K, D, rank, pinvCutoff: cutoff, classes, metrics, perClass };
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
