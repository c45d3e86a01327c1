import { requireSpread, withinCovariance, type NcContext } from '../context/context.js';
import { nc1Trace } from '../geometry/between-class.js';
import type { MultiLabelSpreadStatistics } from './spread.js';

/**
 * Label-set NC1 — the within-label-set collapse Li et al. (2023) predict under pick-all-label training:
 *
 *   labelSetNc1 = Tr(Σ_W^sets Σ_B⁺) / K,  Σ_W^sets = (1/N_lab) Σ_i (h_i − μ_{S_i})(h_i − μ_{S_i})ᵀ,
 *
 * over every labelled sample i with its own label set S_i (single-label samples around their class mean), N_lab the
 * number of labelled samples, and Σ_B the single-label between-class covariance of the context (treating each set
 * as a class would make Σ_B nearly rank-deficient — set means lie close to the span of the class means — and NC1
 * explode). Computed like NC1 from the sum of the single-label and label-set scatters of the spread phase, both in
 * the context's space, so it holds for any global-mean convention. 0 when every sample sits on its set's mean.
 * `nc1Normalization: 'none'` multiplies by K, as for NC1.
 */
export async function labelSetNc1(ctx: NcContext, spread: MultiLabelSpreadStatistics): Promise<number> {
  requireSpread(ctx, 'label-set NC1');
  const single = spread.single;
  const scatter = Float64Array.from(single.scatter, (v, i) => v + spread.sets.scatter[i]);
  let N = 0;
  for (let k = 0; k < single.counts.length; k++) N += single.counts[k];
  for (let j = 0; j < spread.sets.counts.length; j++) N += spread.sets.counts[j];
  const total = await nc1Trace(ctx.engine, ctx.between, withinCovariance(ctx, scatter, single.K, N));
  return ctx.conventions.nc1Normalization === 'none' ? total * ctx.K : total;
}
