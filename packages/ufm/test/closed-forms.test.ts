import { describe, expect, it } from 'vitest';
import { closedForms, simulateUfm, type UfmOptions, type UfmResult } from '../src/index.js';
import { expectNear } from './helpers.js';

/** Z = H Wᵀ + b (N × K), written out plainly. */
function logits(r: UfmResult): Float64Array {
  const { K, D, N } = r.problem;
  const Z = new Float64Array(N * K);
  for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) {
    let s = r.b[k];
    for (let t = 0; t < D; t++) s += r.H[i * D + t] * r.W[k * D + t];
    Z[i * K + k] = s;
  }
  return Z;
}

const squared = (x: Float64Array) => x.reduce((s, v) => s + v * v, 0);
const run = (o: UfmOptions) => simulateUfm({ tolerance: 1e-12, ...o });

describe('MSE closed forms (Tirer & Bruna 2022; Zhou et al. 2022), reproduced to ≤ 1e-6 relative', () => {
  it('no bias: Z = WH = cY, c = 1 − (K²/2)√(nλ_Wλ_H) for the loss (1/K)‖z − e_y‖²; orthogonal frame; λ_W‖W‖² = λ_H‖H‖²', async () => {
    const K = 4, D = 6, n = 5, lambdaW = 2e-3, lambdaH = 3e-3;
    const r = await run({ K, D, n, loss: 'mse', bias: 'none', lambdaW, lambdaH, seed: 2 });
    expect(r.converged).toBe(true);
    const c = 1 - ((K * K) / 2) * Math.sqrt(n * lambdaW * lambdaH);
    const Z = logits(r);
    for (let i = 0; i < r.problem.N; i++) for (let k = 0; k < K; k++) expectNear(Z[i * K + k], k === r.labels[i] ? c : 0, 1e-6, 1e-7, `Z[${i},${k}]`);
    expectNear(lambdaW * squared(r.W), lambdaH * squared(r.H), 1e-6, 0, 'λ_W‖W‖² vs λ_H‖H‖²');
    expectNear(squared(r.W), Math.sqrt(lambdaH / lambdaW) * K * c * Math.sqrt(n), 1e-6, 0, '‖W‖²');
    expect(r.orthogonalFrame.means).toBeLessThan(1e-6);
    expect(r.orthogonalFrame.weights).toBeLessThan(1e-6);
    // Centred, an orthogonal frame is a simplex ETF; the raw classifier is not one: ‖I/√K − E‖_F.
    expect(r.report.metrics.etfErrorMeans).toBeLessThan(1e-6);
    const E = (a: number, b: number) => ((a === b ? 1 : 0) - 1 / K) / Math.sqrt(K - 1);
    let want = 0;
    for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) want += ((a === b ? 1 / Math.sqrt(K) : 0) - E(a, b)) ** 2;
    expectNear(r.report.metrics.etfErrorWeights!, Math.sqrt(want), 1e-6, 0, 'ETF error of W');
    expectNear(r.closedForm!.logits.trueMean, c, 1e-12, 0, 'closedForm c');
    expect(r.closedForm!.structure).toBe('orthogonal frame');
  });

  it("no bias, the papers' ½‖z − e_y‖²: c = 1 − K√(nλ_Wλ_H) (simulated as ncscope's loss with λ·2/K)", async () => {
    const K = 5, D = 5, n = 4, lambdaW = 4e-3, lambdaH = 1e-3;
    const r = await run({ K, D, n, loss: 'mse', bias: 'none', lambdaW: (2 / K) * lambdaW, lambdaH: (2 / K) * lambdaH, seed: 3 });
    const c = 1 - K * Math.sqrt(n * lambdaW * lambdaH);
    expectNear(r.logits.trueMean, c, 1e-6, 0, 'true logit');
    expectNear(r.logits.otherMean, 0, 0, 1e-7, 'other logits');
    expectNear(squared(r.W), Math.sqrt(lambdaH / lambdaW) * K * c * Math.sqrt(n), 1e-6, 0, '‖W‖²');
  });

  it('free bias: a simplex ETF, z_i = c e_y + (1 − c)/K, b = 1/K', async () => {
    const K = 4, D = 3, n = 6, lambdaW = 1e-3, lambdaH = 2e-3;
    const r = await run({ K, D, n, loss: 'mse', bias: 'free', lambdaW, lambdaH, seed: 4 });
    const c = 1 - ((K * K) / 2) * Math.sqrt(n * lambdaW * lambdaH);
    const Z = logits(r);
    for (let i = 0; i < r.problem.N; i++) for (let k = 0; k < K; k++) expectNear(Z[i * K + k], (k === r.labels[i] ? c : 0) + (1 - c) / K, 1e-6, 1e-8, `Z[${i},${k}]`);
    for (const b of r.b) expectNear(b, 1 / K, 1e-6);
    expect(r.report.metrics.etfErrorMeans).toBeLessThan(1e-6);
    expect(r.report.metrics.etfErrorWeights).toBeLessThan(1e-6);
    // ‖Z‖_* = c(K − 1)√n.
    expectNear(squared(r.W), Math.sqrt(lambdaH / lambdaW) * c * (K - 1) * Math.sqrt(n), 1e-6, 0, '‖W‖²');
    expect(r.closedForm!.structure).toBe('simplex ETF');
  });

  for (const lambdaB of [1e-3, 5]) {
    it(`regularized bias λ_b = ${lambdaB}: ${lambdaB < 1 ? 'an exact ETF (the 1-direction is thresholded away)' : 'an ETF plus a common offset'}`, async () => {
      const K = 4, D = 5, n = 5;
      const r = await run({ K, D, n, loss: 'mse', bias: 'regularized', lambdaB, seed: 5 });
      const cf = r.closedForm!;
      expect(cf.structure).toBe(lambdaB < 1 ? 'simplex ETF' : 'ETF + common offset');
      expectNear(r.logits.trueMean, cf.logits.trueMean, 1e-6, 0, 'true logit');
      expectNear(r.logits.otherMean, cf.logits.otherMean, 1e-6, 1e-9, 'other logits');
      expectNear(r.norms.W, cf.norms.W, 1e-6, 0, '‖W‖²');
      expectNear(r.norms.H, cf.norms.H, 1e-6, 0, '‖H‖²');
      for (const b of r.b) expectNear(b, cf.parameters.beta, 1e-6, 1e-9, 'b');
      if (lambdaB < 1) expect(r.report.metrics.etfErrorWeights).toBeLessThan(1e-6);
      else expect(r.report.metrics.etfErrorWeights).toBeGreaterThan(1e-2);
    });
  }

  it('imbalanced, no bias: row-wise soft-thresholding; a class below the threshold collapses to zero', async () => {
    const counts = [20, 20, 2, 1];
    const K = 4, lambda = 0.013, N = 43, a = 2 / K;
    const r = await run({ K, D: 5, counts, loss: 'mse', bias: 'none', lambdaW: lambda, lambdaH: lambda, seed: 6 });
    const Z = logits(r);
    const c = counts.map((nk) => Math.max(0, 1 - (N * lambda) / (a * Math.sqrt(nk))));
    expect(c[3]).toBe(0);
    expect(c[2]).toBeGreaterThan(0.1);
    for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) expectNear(Z[i * K + k], k === r.labels[i] ? c[k] : 0, 1e-6, 1e-7, `Z[${i},${k}]`);
    expectNear(r.logits.trueMean, r.closedForm!.logits.trueMean, 1e-6);
    expectNear(r.norms.W, r.closedForm!.norms.W, 1e-6);
  });
});

describe('CE, LS and FL closed forms (Zhu et al. 2021; Zhou et al. 2022): the ETF scale from the scalar problem', () => {
  for (const loss of ['ce', { kind: 'ls', alpha: 0.1 }, { kind: 'ls', alpha: 0.4 }, { kind: 'fl', gamma: 2 }, { kind: 'fl', gamma: 0.5 }] as const) {
    for (const bias of ['none', 'regularized', 'free'] as const) {
      it(`${JSON.stringify(loss)}, bias ${bias}`, async () => {
        const r = await run({ K: 5, D: 5, n: 4, loss, bias, lambdaW: 2e-3, lambdaH: 1e-3, seed: 7 });
        expect(r.converged).toBe(true);
        const cf = r.closedForm!;
        expect(cf.structure).toBe('simplex ETF');
        expectNear(r.logits.trueMean, cf.logits.trueMean, 1e-6, 0, 'true logit');
        expectNear(r.logits.otherMean, cf.logits.otherMean, 1e-6, 0, 'other logits');
        expectNear(r.norms.W, cf.norms.W, 1e-6, 0, '‖W‖²');
        expectNear(r.norms.H, cf.norms.H, 1e-6, 0, '‖H‖²');
        for (const b of r.b) expect(Math.abs(b)).toBeLessThan(1e-7);
      });
    }
  }

  it('the scalar solution p satisfies ℓ′(p) = −√(λ_Wλ_H K N) (CE, written out)', async () => {
    const K = 3, n = 10, N = 30, l = 1e-3;
    const r = await run({ K, D: 4, n, loss: 'ce', lambdaW: l, lambdaH: l, maxIterations: 0 });
    const p = r.closedForm!.parameters.p;
    // ℓ(p) = log(1 + (K−1) e^{−pK/(K−1)}), ℓ′(p) = −K e^{−pK/(K−1)} / (1 + (K−1) e^{−pK/(K−1)}).
    const e = Math.exp((-p * K) / (K - 1));
    expectNear((-K * e) / (1 + (K - 1) * e), -Math.sqrt(l * l * K * N), 1e-12);
  });
});

describe('normalized UFM (Yaras et al. 2022): the ETF on the spheres', () => {
  for (const loss of ['ce', { kind: 'fl', gamma: 1 }, { kind: 'ls', alpha: 0.2 }] as const) {
    it(`${JSON.stringify(loss)}: logits τ_hτ_w and −τ_hτ_w/(K−1)`, async () => {
      const tau = { tauH: 1.2, tauW: 1 };
      const r = await run({ K: 4, D: 4, n: 5, loss, normalized: tau, seed: 8, tolerance: 1e-11 });
      expect(r.converged).toBe(true);
      const cf = r.closedForm!;
      expectNear(r.logits.trueMean, 1.2, 1e-6);
      expectNear(r.logits.trueMean, cf.logits.trueMean, 1e-6);
      expectNear(r.logits.otherMean, -1.2 / 3, 1e-6);
      expectNear(r.norms.W, 4, 1e-12);
      expectNear(r.norms.H, 20 * 1.44, 1e-12);
      expect(r.report.metrics.nc1!).toBeLessThan(1e-10);
      expect(r.report.metrics.etfErrorMeans).toBeLessThan(1e-5);
    });
  }

  it("label smoothing on spheres whose ETF margin exceeds LS's target margin: no unique minimizer, no closed form", async () => {
    const r = await run({ K: 4, D: 4, n: 5, loss: 'ls', normalized: { tauH: 2, tauW: 2 }, seed: 8, tolerance: 1e-9 });
    expect(r.closedForm).toBeNull();
    // The loss reaches the unconstrained optimum: every margin z_y − z_j is log((1 − α + α/K)/(α/K)).
    expectNear(r.logits.trueMean - r.logits.otherMean, Math.log((1 - 0.1 + 0.1 / 4) / (0.1 / 4)), 1e-6);
  });
});

describe('closedForms(options)', () => {
  it('gives the closed form without a run, equal to the run\'s', async () => {
    const options = { K: 5, D: 6, n: 4, loss: 'mse' as const, bias: 'none' as const, lambdaW: 2e-3, lambdaH: 1e-3 };
    const cf = closedForms(options)!;
    expectNear(cf.parameters.c, 1 - (25 / 2) * Math.sqrt(4 * 2e-3 * 1e-3), 1e-14);
    expect((await simulateUfm({ ...options, maxIterations: 0 })).closedForm).toEqual(cf);
    expect(closedForms({ ...options, extended: true })).toBeNull();
    expect(closedForms({ ...options, loss: 'ce', counts: [3, 5, 4, 4, 4], n: undefined })).toBeNull();
  });
});
