import { requireSpread, type NcContext } from '../context/context.js';

/**
 * Per-class NC1 (the form of Guo et al.'s label-smoothing code; Fang et al. and Sun & Shi on imbalance):
 *   NC1_c = Tr(Σ_c Σ_B⁺),  Σ_c = (1/n_c) Σ_{y_i=c} (h_i − μ_c)(h_i − μ_c)ᵀ  (class c's own covariance),
 * so NC1 = (1/K) Σ_c (n_c/N) NC1_c under nc1Normalization 'K'. Each sample's r_iᵀ Σ_B⁺ r_i is summed per class during
 * the spread phase (Σ_B depends only on the means), for the global-mean convention and pseudo-inverse rank the phase
 * was run with; undefined (with a note in `ctx.spread.nc1SumsNote`) when the report's Σ_B⁺ differs from that one or
 * the statistics do not hold the sums (single-pass statistics, version-1 files, perClassNc1: false).
 */
export async function nc1PerClass(ctx: NcContext): Promise<Float64Array | undefined> {
  const s = requireSpread(ctx, 'per-class NC1');
  if (!s.nc1Sums) return undefined;
  return Float64Array.from(s.nc1Sums, (v, k) => v / ctx.counts[k]);
}
