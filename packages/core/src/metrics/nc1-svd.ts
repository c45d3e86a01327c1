import { requireSpread, type NcContext } from '../context/context.js';
import { multiply } from '../engine/algebra.js';
import { nc1Trace } from '../geometry/between-class.js';

/**
 * NC1 with Σ_B inverted on its top K − 1 eigenvalues, whatever their size (Han, Papyan & Donoho 2022's "svd" form;
 * rhubarbwu/neural-collapse's `covariance_ratio(…, metric="svd")`, which takes `svds(Σ_B, k=K−1)`):
 *   NC1_svd = Tr(Σ_W Σ_{j ≤ K−1} u_j u_jᵀ / λ_j) / K   (λ_j the K − 1 largest eigenvalues of Σ_B).
 * It equals NC1 whenever the pseudo-inverse keeps K − 1 directions (Σ_B safely of rank K − 1: the Cholesky route
 * computes both the same way). It differs on rank-deficient or ill-conditioned Σ_B: the pseudo-inverse drops
 * eigenvalues below its cutoff, this form inverts them (so it blows up when the means are affinely dependent, where
 * the (K−1)-th eigenvalue is rounding noise). With D < K − 1 it keeps min(K − 1, D) = D eigenvalues, all Σ_B has
 * (scipy's `svds` would refuse k ≥ D). With nc1Normalization 'none' the result is multiplied back by K.
 */
export async function nc1Svd(ctx: NcContext): Promise<number> {
  const { within } = requireSpread(ctx, 'nc1Svd');
  const bc = ctx.between;
  let total: number;
  if (bc.route === 'cholesky') {
    total = await nc1Trace(ctx.engine, bc, within);
  } else {
    const { values, vectors } = bc.eigen!;
    const { n } = bc;
    const r = Math.min(ctx.K - 1, ctx.D, n);
    // Eigenvalues are ascending: the top r are the last r columns. |λ| as a singular value (svds of a PSD matrix).
    const U = new Float64Array(n * r);
    for (let i = 0; i < n; i++) for (let c = 0; c < r; c++) U[i * r + c] = vectors[i * n + (n - r + c)];
    const CU = await multiply(ctx.engine, within, U, n, n, r);
    total = 0;
    for (let c = 0; c < r; c++) {
      let q = 0;
      for (let i = 0; i < n; i++) q += U[i * r + c] * CU[i * r + c];
      const lam = Math.abs(values[n - r + c]);
      total += bc.space === 'means' ? q / (lam * lam) : q / lam;
    }
  }
  return ctx.conventions.nc1Normalization === 'none' ? total * ctx.K : total;
}
