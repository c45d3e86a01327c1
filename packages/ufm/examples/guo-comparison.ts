/**
 * Cross-entropy vs label smoothing in the UFM (Guo et al. 2024): gradient-descent iterations until NC1 thresholds at
 * equal λ and step, and the condition number of the Hessian at the minimizer (rotations removed). Prints the two
 * tables of the README (about 2 minutes on 2 cores).
 *
 *   node --conditions=@ncscope/source --import tsx packages/ufm/examples/guo-comparison.ts
 */
import { simulateUfm, type LossSpec } from '@ncscope/ufm';

const losses: [string, LossSpec][] = [['CE', { kind: 'ce' }], ['LS α = 0.05', { kind: 'ls', alpha: 0.05 }], ['LS α = 0.1', { kind: 'ls', alpha: 0.1 }], ['LS α = 0.2', { kind: 'ls', alpha: 0.2 }]];
const levels = [1e-1, 1e-2, 1e-3];
const seeds = [1, 2, 3];
const range = (xs: (number | undefined)[]) => (xs.some((x) => x === undefined) ? 'not reached' : Math.min(...(xs as number[])) === Math.max(...(xs as number[])) ? String(xs[0]) : `${Math.min(...(xs as number[]))}–${Math.max(...(xs as number[]))}`);

console.log(`gradient descent (no bias), iterations until NC1 ≤ ${levels.join(' / ')} over seeds ${seeds.join(', ')} (measured every 10 iterations)`);
console.log(['K, D, n, λ, η', ...losses.map(([name]) => name)].join(' | '));
for (const [K, D, n, lambda, step] of [[4, 8, 5, 1e-3, 0.5], [10, 16, 5, 5e-4, 1], [10, 32, 10, 5e-4, 1]] as const) {
  const cells: string[] = [];
  for (const [, loss] of losses) {
    const hits = levels.map(() => [] as (number | undefined)[]);
    for (const seed of seeds) {
      const first: (number | undefined)[] = levels.map(() => undefined);
      await simulateUfm({
        K, D, n, loss, seed, bias: 'none', lambdaW: lambda, lambdaH: lambda, optimizer: 'gd', step, every: 10, maxIterations: 6000, tolerance: 0,
        onMeasure: (m) => levels.forEach((level, j) => void (first[j] ??= m.metrics.nc1! <= level ? m.step : undefined)),
      });
      first.forEach((x, j) => hits[j].push(x));
    }
    cells.push(hits.map(range).join(' / '));
  }
  console.log([`${K}, ${D}, ${n}, ${lambda}, ${step}`, ...cells].join(' | '));
}

console.log('\ncondition number of the Hessian at the L-BFGS minimizer (no bias, rotations removed): κ [λ_min, λ_max]');
console.log(['K, D, n, λ', ...losses.map(([name]) => name), 'MSE'].join(' | '));
for (const [K, D, n] of [[4, 3, 5], [4, 8, 5], [10, 9, 3]] as const) {
  for (const lambda of [1e-2, 1e-3, 1e-4]) {
    const cells: string[] = [];
    for (const loss of [...losses.map(([, l]) => l), { kind: 'mse' } as LossSpec]) {
      const r = await simulateUfm({ K, D, n, loss, bias: 'none', lambdaW: lambda, lambdaH: lambda, seed: 3, tolerance: 1e-12, hessian: true });
      const h = r.hessian!;
      cells.push(`${h.conditionNumber.toPrecision(4)} [${h.minEigenvalue.toExponential(2)}, ${h.maxEigenvalue.toExponential(2)}]`);
    }
    console.log([`${K}, ${D}, ${n}, ${lambda}`, ...cells].join(' | '));
  }
}
