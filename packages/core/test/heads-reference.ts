import { mulberry32 as rng } from '../src/random.js';
export { rng };
/**
 * Plain, independent float64 references for the heads tests: data generation, a direct normal-equations ridge
 * least-squares solve on RAW features (Gaussian elimination with partial pivoting — not Cholesky, not statistics),
 * and the regularised MSE loss evaluated sample by sample. Imports nothing from packages/core/src.
 */


export function normal(u: () => number): () => number {
  return () => {
    let x = 0;
    while (x === 0) x = u();
    return Math.sqrt(-2 * Math.log(x)) * Math.cos(2 * Math.PI * u());
  };
}

export interface Data {
  N: number;
  D: number;
  K: number;
  X: Float64Array;
  y: Int32Array;
}

/**
 * Gaussian classes: means of scale `meanScale` around `offset`, within-class std `spread` (0 = collapsed).
 * sizes: 'balanced' (N/K each) or 'imbalanced' (geometric, ratio ≈ 6).
 */
export function makeData(o: { N: number; D: number; K: number; seed: number; sizes?: 'balanced' | 'imbalanced'; spread?: number; meanScale?: number; offset?: number }): Data {
  const u = rng(o.seed);
  const g = normal(u);
  const { N, D, K } = o;
  const spread = o.spread ?? 0.7;
  const means = Array.from({ length: K }, () => Array.from({ length: D }, () => (o.meanScale ?? 1) * g() + (o.offset ?? 0)));
  const y = new Int32Array(N);
  if ((o.sizes ?? 'balanced') === 'balanced') {
    for (let i = 0; i < N; i++) y[i] = i % K;
  } else {
    const w = Array.from({ length: K }, (_, k) => Math.pow(6, -k / (K - 1)));
    const total = w.reduce((a, b) => a + b, 0);
    const counts = w.map((v) => Math.max(2, Math.floor((v / total) * N)));
    let i = 0;
    for (let k = 0; k < K; k++) for (let c = 0; c < counts[k] && i < N; c++) y[i++] = k;
    while (i < N) y[i++] = 0;
  }
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [y[i], y[j]] = [y[j], y[i]];
  }
  const X = new Float64Array(N * D);
  for (let i = 0; i < N; i++) for (let t = 0; t < D; t++) X[i * D + t] = means[y[i]][t] + spread * g();
  return { N, D, K, X, y };
}

/** Solves A x = b (n × n, row-major) by Gaussian elimination with partial pivoting, for m right-hand sides (columns of B, n × m). */
export function gaussSolve(A: ArrayLike<number>, B: ArrayLike<number>, n: number, m: number): Float64Array {
  const a = Array.from({ length: n }, (_, i) => [...Array.from({ length: n }, (_, j) => A[i * n + j]), ...Array.from({ length: m }, (_, j) => B[i * m + j])]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let j = c; j < n + m; j++) a[r][j] -= f * a[c][j];
    }
  }
  const x = new Float64Array(n * m);
  for (let j = 0; j < m; j++)
    for (let r = n - 1; r >= 0; r--) {
      let s = a[r][n + j];
      for (let c = r + 1; c < n; c++) s -= a[r][c] * x[c * m + j];
      x[r * m + j] = s / a[r][r];
    }
  return x;
}

/**
 * Ridge LS by the textbook normal equations on the raw augmented features h̄ = [h; 1]:
 * ((1/N) Σ h̄ h̄ᵀ + λ I) Θᵀ = (1/N) Σ h̄ t_yᵀ, Θ = [W b] (K_out × (D+1)).
 */
export function directLeastSquares(d: Data, lambda: number, targets?: Float64Array): { W: Float64Array; b: Float64Array } {
  const { N, D, K, X, y } = d;
  const Ko = targets ? targets.length / K : K;
  const t = (k: number, j: number) => (targets ? targets[k * Ko + j] : k === j ? 1 : 0);
  const n = D + 1;
  const A = new Float64Array(n * n);
  const B = new Float64Array(n * Ko);
  const hb = new Float64Array(n);
  for (let i = 0; i < N; i++) {
    for (let p = 0; p < D; p++) hb[p] = X[i * D + p];
    hb[D] = 1;
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) A[p * n + q] += hb[p] * hb[q] / N;
      for (let j = 0; j < Ko; j++) B[p * Ko + j] += hb[p] * t(y[i], j) / N;
    }
  }
  for (let p = 0; p < n; p++) A[p * n + p] += lambda;
  const theta = gaussSolve(A, B, n, Ko); // n × Ko: column j is [w_j; b_j]
  const W = new Float64Array(Ko * D);
  const b = new Float64Array(Ko);
  for (let j = 0; j < Ko; j++) {
    for (let p = 0; p < D; p++) W[j * D + p] = theta[p * Ko + j];
    b[j] = theta[D * Ko + j];
  }
  return { W, b };
}

/** (1/2N) Σ_i ‖W h_i + b − t_{y_i}‖² + (λ/2)(‖W‖² + ‖b‖²), sample by sample. */
export function directLoss(d: Data, W: ArrayLike<number>, b: ArrayLike<number>, lambda: number, targets?: Float64Array): number {
  const { N, D, K, X, y } = d;
  const Ko = targets ? targets.length / K : K;
  let s = 0;
  for (let i = 0; i < N; i++)
    for (let j = 0; j < Ko; j++) {
      let z = b[j] - (targets ? targets[y[i] * Ko + j] : y[i] === j ? 1 : 0);
      for (let p = 0; p < D; p++) z += W[j * D + p] * X[i * D + p];
      s += z * z;
    }
  let r = 0;
  for (let i = 0; i < W.length; i++) r += W[i] * W[i];
  for (let i = 0; i < b.length; i++) r += b[i] * b[i];
  return s / (2 * N) + (lambda / 2) * r;
}

/** max |a − b| / max |b| over two arrays. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

/** Splits rows into consecutive batches of random sizes. */
export function batches(d: Data, seed: number, maxRows = 50, asFloat32 = false): { features: Float64Array | Float32Array; labels: Int32Array }[] {
  const u = rng(seed);
  const out = [];
  for (let start = 0; start < d.N; ) {
    const rows = Math.min(d.N - start, 1 + Math.floor(u() * maxRows));
    const f = d.X.subarray(start * d.D, (start + rows) * d.D);
    out.push({ features: asFloat32 ? Float32Array.from(f) : Float64Array.from(f), labels: d.y.slice(start, start + rows) });
    start += rows;
  }
  return out;
}
