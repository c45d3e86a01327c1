/**
 * Conditioning of the UFM minimizer under cross-entropy and label smoothing, three ways (Guo et al. 2024 claim that
 * label smoothing's minimizer has "a lower condition number" and so converges faster):
 *
 * 1. the Hessian of the whole objective in (W, H), restricted to the non-symmetry directions (@ncscope/ufm's
 *    hessianSummary). Its smallest eigenvalue is λ for every loss: moving all classifier rows by a common vector,
 *    or features out of span(W), changes only the penalty. So its κ is (sharpness) / λ;
 * 2. the curvature along the collapse directions: the Hessian restricted to within-class feature moves (δh_i with
 *    zero sum inside each class, W fixed) — the directions NC1 measures; smallest, mean and largest eigenvalue, for
 *    all such moves and for those inside span(W)'s rows (the others only meet the penalty: curvature λ);
 * 3. the Hessian of the loss in logit space, ∇²_z ℓ = diag(p) − p pᵀ at the minimizer's logits (the same matrix for
 *    CE and LS, whose targets enter linearly), restricted to 1⊥ (softmax is shift-invariant): its κ. MSE is computed
 *    beside them for comparison (its logit-space Hessian is a multiple of I: κ = 1).
 *
 *   node --conditions=@ncscope/source --import tsx examples/label-smoothing/conditioning.ts [--lambda 5e-4]
 *
 * Writes results/conditioning/<loss>.json (seconds on one core; nothing random is left after the minimization).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { symmetricEigen } from '@ncscope/core';
import { bilinearObjective, makeLayout, simulateUfm, type LossSpec } from '@ncscope/ufm';
import { startTimer, writeResult } from '../lib/results.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({ options: { lambda: { type: 'string', default: '5e-4' }, K: { type: 'string', default: '10' }, D: { type: 'string', default: '10' }, n: { type: 'string', default: '3' } } });
const lambda = Number(args.lambda);
const [K, D, n] = [Number(args.K), Number(args.D), Number(args.n)];
// MSE (M = 1) is there for comparison with the cross-entropy family (its logit-space Hessian is a multiple of I: κ = 1).
const LOSSES: { id: string; spec: LossSpec }[] = [{ id: 'ce', spec: { kind: 'ce' } }, ...[0.05, 0.1, 0.2, 0.3].map((alpha) => ({ id: `ls${alpha}`, spec: { kind: 'ls', alpha } as LossSpec })), { id: 'mse', spec: { kind: 'mse' } }];

/** Eigenvalues (ascending) of Qᵀ ∇²f Q for orthonormal columns Q (given as rows q_j), from exact Hessian-vector products. */
function restrictedSpectrum(hv: (v: Float64Array) => Float64Array, basis: Float64Array[]): Float64Array {
  const r = basis.length;
  const m = new Float64Array(r * r);
  for (let j = 0; j < r; j++) {
    const hq = hv(basis[j]);
    for (let i = 0; i < r; i++) {
      let s = 0;
      for (let t = 0; t < hq.length; t++) s += basis[i][t] * hq[t];
      m[i * r + j] = s;
    }
  }
  return Float64Array.from(symmetricEigen(m, r).values).sort();
}

for (const { id, spec } of LOSSES) {
  const timer = startTimer();
  const r = await simulateUfm({ K, D, n, loss: spec, bias: 'none', lambdaW: lambda, lambdaH: lambda, seed: 1, tolerance: 1e-12, hessian: true });
  const N = K * n;
  const layout = makeLayout({ K, D, N, bias: false });
  const objective = bilinearObjective(r.problem, layout);
  const theta = new Float64Array(layout.size);
  theta.set(r.W, layout.W.offset);
  theta.set(r.H, layout.H.offset);
  const hv = (v: Float64Array) => {
    const out = new Float64Array(layout.size);
    objective.hessianTimes!(theta, v, out);
    return out;
  };
  // Within-class directions: per class and feature coordinate, the Helmert contrasts of the class's n samples
  // (orthonormal, summing to zero), placed in the H block.
  // Feature directions: every coordinate axis (all within-class moves), or an orthonormal basis of span(W)'s rows
  // (the moves the logits see; the rest of R^D only meets the penalty, curvature λ).
  const members = Array.from({ length: K }, (_, k) => Array.from(r.labels.keys()).filter((i) => r.labels[i] === k));
  const axes = Array.from({ length: D }, (_, d) => Float64Array.from({ length: D }, (_, t) => (t === d ? 1 : 0)));
  const wtw = new Float64Array(D * D);
  for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) wtw[a * D + b] += r.W[k * D + a] * r.W[k * D + b];
  const eig = symmetricEigen(wtw, D);
  const top = Math.max(...eig.values);
  const span = Array.from({ length: D }, (_, j) => j).filter((j) => eig.values[j] > 1e-9 * top).map((j) => Float64Array.from({ length: D }, (_, t) => eig.vectors[t * D + j]));
  const withinBasis = (directions: Float64Array[]) => {
    const basis: Float64Array[] = [];
    for (const rows of members)
      for (let m = 1; m < rows.length; m++)
        for (const u of directions) {
          const v = new Float64Array(layout.size);
          const scale = 1 / Math.sqrt(m * (m + 1));
          for (let t = 0; t < D; t++) {
            for (let a = 0; a < m; a++) v[layout.H.offset + rows[a] * D + t] = scale * u[t];
            v[layout.H.offset + rows[m] * D + t] = -m * scale * u[t];
          }
          basis.push(v);
        }
    return basis;
  };
  const within = restrictedSpectrum(hv, withinBasis(axes));
  const withinSpan = restrictedSpectrum(hv, withinBasis(span));
  // Logit space: diag(p) − ppᵀ per sample at the minimizer's logits, restricted to 1⊥ (drop the zero eigenvalue along 1).
  const Z = objective.logits(theta);
  const logitKappa: number[] = [];
  let pTrue = 0;
  for (let i = 0; i < N; i++) {
    const z = Z.subarray(i * K, (i + 1) * K);
    const mx = Math.max(...z);
    const e = Array.from(z, (x) => Math.exp(x - mx));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((x) => x / s);
    pTrue += p[r.labels[i]] / N;
    const h = new Float64Array(K * K);
    for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) h[a * K + b] = (a === b ? p[a] : 0) - p[a] * p[b];
    // Shift the 1 direction (eigenvalue 0) above the others so it is the largest, then drop it.
    for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) h[a * K + b] += 1 / K;
    const values = Float64Array.from(symmetricEigen(h, K).values).sort();
    const restricted = values.slice(0, K - 1);
    logitKappa.push(spec.kind === 'mse' ? 1 : restricted[K - 2] / restricted[0]);
  }
  const hs = r.hessian!;
  const time = timer.elapsed();
  const result = {
    full: { conditionNumber: hs.conditionNumber, min: hs.minEigenvalue, max: hs.maxEigenvalue, dimension: hs.dimension },
    within: { min: within[0], mean: within.reduce((a, b) => a + b, 0) / within.length, max: within[within.length - 1], dimension: within.length },
    withinSpanW: { min: withinSpan[0], mean: withinSpan.reduce((a, b) => a + b, 0) / withinSpan.length, max: withinSpan[withinSpan.length - 1], dimension: withinSpan.length, spanRank: span.length },
    logit: { conditionNumber: logitKappa.reduce((a, b) => a + b, 0) / N, trueClassProbability: pTrue },
    nc1: r.report.metrics.nc1!,
    trueLogit: r.closedForm?.logits.trueMean ?? null,
    converged: r.converged,
    gradientNorm: r.gradientNorm,
  };
  writeResult(here, {
    example: 'label-smoothing', run: `conditioning/${id}`, seed: 1, machine: timer.machine, ...time,
    protocol: { model: 'UFM, no bias', K, D, nPerClass: n, lambdaW: lambda, lambdaH: lambda, loss: spec, minimizer: 'L-BFGS, tolerance 1e-12, seed 1' },
    result,
  });
  console.log(`${id.padEnd(7)} full κ ${hs.conditionNumber.toPrecision(4)} [${hs.minEigenvalue.toExponential(2)}, ${hs.maxEigenvalue.toExponential(2)}]  within-class curvature min ${within[0].toExponential(3)} mean ${result.within.mean.toExponential(3)}; in span(W) (rank ${span.length}) min ${withinSpan[0].toExponential(3)} mean ${result.withinSpanW.mean.toExponential(3)}  logit κ ${result.logit.conditionNumber.toPrecision(4)}  p_y ${pTrue.toFixed(4)}  NC1 ${result.nc1.toExponential(2)}`);
}
