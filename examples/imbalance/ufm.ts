/**
 * The unconstrained features model's prediction for this example's imbalance ratios: the UFM minimizer (cross-entropy,
 * K = 10, D = 64 as the network's features, the same step-imbalanced counts: 300 for digits 0–4, 300/ρ for 5–9) at
 * the weight decay that matches the network's classifier (λ_W = λ_H = 1e-3, the gradient of the example's L2 5e-4)
 * and at 10× that — the minority collapse Fang et al.'s layer-peeled model describes, at a true minimizer.
 *
 *   node --conditions=@ncscope/source --import tsx examples/imbalance/ufm.ts
 *
 * Writes results/ufm/r<ρ>-l<λ>.json (seconds on one core; the minimizer is L-BFGS from seed 1).
 */
import { fileURLToPath } from 'node:url';
import { simulateUfm } from '@ncscope/ufm';
import { hasResult, startTimer, writeResult } from '../lib/results.js';

const here = fileURLToPath(new URL('.', import.meta.url));
for (const lambda of [1e-3, 1e-2]) {
  for (const ratio of [1, 10, 100, 300]) {
    const run = `ufm/r${ratio}-l${lambda}`;
    if (hasResult(here, run)) continue;
    const minority = Math.max(1, Math.round(300 / ratio));
    const counts = [300, 300, 300, 300, 300, minority, minority, minority, minority, minority];
    const timer = startTimer();
    const r = await simulateUfm({ K: 10, D: 64, counts, loss: { kind: 'ce' }, bias: 'none', lambdaW: lambda, lambdaH: lambda, seed: 1, tolerance: 1e-10, maxIterations: 20000 });
    const m = r.minority ?? null;
    // Mean classifier-row norm: 0 when the minimizer is the trivial W = H = 0 (λ past the loss's threshold).
    const rowNorms = Array.from({ length: 10 }, (_, k) => Math.hypot(...r.W.subarray(k * 64, (k + 1) * 64)));
    const meanWeightNorm = rowNorms.reduce((a, b) => a + b, 0) / 10;
    writeResult(here, {
      example: 'imbalance', run, seed: 1, machine: timer.machine, ...timer.elapsed(),
      protocol: { model: 'UFM, cross-entropy, no bias', K: 10, D: 64, counts, ratio, lambdaW: lambda, lambdaH: lambda, minimizer: 'L-BFGS, tolerance 1e-10, seed 1' },
      result: { converged: r.converged, gradientNorm: r.gradientNorm, iterations: r.iterations, minorityCosine: m?.minorityCosine ?? null, majorityCosine: m?.majorityCosine ?? null, normRatio: m?.normRatio ?? null, minorityMeansCosine: m?.minorityMeansCosine ?? null, nc1: r.report.metrics.nc1 ?? null, meanWeightNorm },
    });
    console.log(`${run}: ${r.converged ? 'converged' : 'NOT converged'} (${r.iterations} it.), minority cos W ${m?.minorityCosine?.toFixed(3)}, majority ${m?.majorityCosine?.toFixed(3)}, ‖w‖ min/maj ${m?.normRatio?.toFixed(3)}`);
  }
}
