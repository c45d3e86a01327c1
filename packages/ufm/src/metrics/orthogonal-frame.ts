/**
 * Orthogonal-frame error of K vectors (rows of X, K × d, not centred): ‖XXᵀ/‖XXᵀ‖_F − I/√K‖_F.
 * 0 when the rows are mutually orthogonal with equal norms — the geometry Tirer & Bruna 2022 find for the MSE
 * minimizers without bias (and for the post-ReLU features of the extended UFM) — where the simplex ETF, centred,
 * gives ‖E − I/√K‖_F > 0. It is the ETF error of DESIGN.md with E replaced by I/√K and no centring.
 */
export function orthogonalFrameError(X: ArrayLike<number>, K: number, d: number): number {
  const G = new Float64Array(K * K);
  for (let a = 0; a < K; a++) {
    for (let c = a; c < K; c++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += X[a * d + t] * X[c * d + t];
      G[a * K + c] = G[c * K + a] = s;
    }
  }
  let norm = 0;
  for (let j = 0; j < K * K; j++) norm += G[j] * G[j];
  norm = Math.sqrt(norm);
  if (norm === 0) return NaN;
  const target = 1 / Math.sqrt(K);
  let err = 0;
  for (let a = 0; a < K; a++) {
    for (let c = 0; c < K; c++) {
      const r = G[a * K + c] / norm - (a === c ? target : 0);
      err += r * r;
    }
  }
  return Math.sqrt(err);
}

/** Class means (K × d, not centred) of rows of X (N × d) with labels in 0..K−1. */
export function uncentredClassMeans(X: ArrayLike<number>, labels: ArrayLike<number>, K: number, d: number): Float64Array {
  const means = new Float64Array(K * d);
  const counts = new Float64Array(K);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    counts[y]++;
    for (let t = 0; t < d; t++) means[y * d + t] += X[i * d + t];
  }
  for (let k = 0; k < K; k++) for (let t = 0; t < d; t++) means[k * d + t] /= counts[k] || 1;
  return means;
}
