/**
 * Issue 11 benchmark: the unconstrained features model lab. Wall time, iterations and precision reached of L-BFGS
 * runs for every loss (K = 10, D = 32, n = 20: 7,000 parameters; and K = 10, D = 64, n = 100: 64,000), the agreement
 * with the closed forms, gradient-descent throughput, and the dense Hessian's assembly + eigendecomposition at
 * 400 and 1,000 parameters. Fixed seeds; the figures are the machine's, the iteration counts and errors are not.
 */
import { cpus } from 'node:os';
import { simulateUfm, type LossInput } from '@ncscope/ufm';

const rows: string[][] = [['run', 'params', 'iterations', 'seconds', 'NC1', 'ETF(M)', 'ETF(W)', 'rel. err. vs closed form (logit, ‖W‖²)']];
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
for (const [K, D, n] of [[10, 32, 20], [10, 64, 100]] as const) {
  for (const loss of ['ce', 'ls', 'fl', 'mse'] as LossInput[]) {
    const r = await simulateUfm({ K, D, n, loss, bias: 'free', seed: 1 });
    const m = r.report.metrics;
    const cf = r.closedForm!;
    rows.push([
      `L-BFGS ${String(loss).toUpperCase()} K=${K} D=${D} n=${n}`, String(K * D + K * n * D + K), `${r.iterations}${r.converged ? '' : ' (not converged)'}`, r.seconds.toFixed(2),
      m.nc1!.toExponential(1), m.etfErrorMeans.toExponential(1), m.etfErrorWeights!.toExponential(1),
      `${rel(r.logits.trueMean, cf.logits.trueMean).toExponential(1)}, ${rel(r.norms.W, cf.norms.W).toExponential(1)}`,
    ]);
  }
}
{
  const t = performance.now();
  const r = await simulateUfm({ K: 10, D: 32, n: 20, loss: 'ce', bias: 'none', optimizer: 'gd', step: 1, maxIterations: 5000, tolerance: 0, lambdaW: 5e-4, lambdaH: 5e-4 });
  const s = (performance.now() - t) / 1000;
  rows.push(['GD, fixed step, no measurements, K=10 D=32 n=20', '6720', String(r.iterations), s.toFixed(2), r.report.metrics.nc1!.toExponential(1), '', '', `${(r.iterations / s).toFixed(0)} iterations/s`]);
  const t2 = performance.now();
  const r2 = await simulateUfm({ K: 10, D: 32, n: 20, loss: 'ce', bias: 'none', optimizer: 'gd', step: 1, maxIterations: 5000, tolerance: 0, lambdaW: 5e-4, lambdaH: 5e-4, every: 10 });
  const s2 = (performance.now() - t2) / 1000;
  rows.push(['  the same, NC measured every 10 iterations', '6720', String(r2.iterations), s2.toFixed(2), '', '', '', `${((s2 - s) / (r2.trajectory.length) * 1000).toFixed(2)} ms per measurement`]);
}
for (const [K, D, n] of [[5, 5, 10], [10, 10, 9]] as const) {
  const base = await simulateUfm({ K, D, n, loss: 'ls', bias: 'none', seed: 1, tolerance: 1e-12 });
  const t = performance.now();
  const r = await simulateUfm({ K, D, n, loss: 'ls', bias: 'none', seed: 1, tolerance: 1e-12, hessian: true });
  const s = (performance.now() - t) / 1000 - base.seconds;
  rows.push([`Hessian (assembly + eigen), K=${K} D=${D} n=${n}`, String(r.hessian!.parameters), '', s.toFixed(2), '', '', '', `κ = ${r.hessian!.conditionNumber.toPrecision(4)}`]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`);
for (const r of rows) console.log(r.map((x, c) => x.padEnd(widths[c])).join('  ').trimEnd());
