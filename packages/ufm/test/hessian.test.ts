import { describe, expect, it } from 'vitest';
import { NcInputError, symmetricEigen } from '@ncscope/core';
import { simulateUfm } from '../src/index.js';
import { bilinearObjective } from '../src/model/bilinear.js';
import { makeLayout } from '../src/model/layout.js';
import { resolveProblem } from '../src/problem.js';
import { expectClose, expectNear, numericDirectional } from './helpers.js';

/** The full Hessian, column by column from finite differences of the gradient (an independent assembly). */
function finiteDifferenceHessian(evaluate: (x: Float64Array, g: Float64Array) => number, theta: Float64Array): Float64Array {
  const P = theta.length;
  const H = new Float64Array(P * P);
  const grad = (x: Float64Array) => {
    const g = new Float64Array(P);
    evaluate(x, g);
    return g;
  };
  for (let j = 0; j < P; j++) {
    const e = new Float64Array(P);
    e[j] = 1;
    const col = numericDirectional(grad, theta, e, 1e-5);
    for (let i = 0; i < P; i++) H[i * P + j] = col[i];
  }
  return H;
}

describe('Hessian at the minimizer, restricted to non-symmetry directions', () => {
  for (const [loss, bias] of [['ce', 'none'], ['ls', 'regularized'], ['fl', 'free'], ['mse', 'free']] as const) {
    it(`${loss}, bias ${bias}: the restricted spectrum is the full Hessian's spectrum without its symmetry zeros`, async () => {
      const K = 3, D = 4, n = 3;
      const r = await simulateUfm({ K, D, n, loss, bias, seed: 4, tolerance: 1e-13, hessian: true });
      const h = r.hessian!;
      // Independent: assemble ∇²f by finite differences of the gradient at the same point and diagonalize it.
      const problem = resolveProblem({ K, D, n, loss, bias });
      const layout = makeLayout({ K, D, N: K * n, bias: bias !== 'none' });
      const objective = bilinearObjective(problem, layout);
      const theta = new Float64Array(layout.size);
      theta.set(r.W, layout.W.offset);
      theta.set(r.H, layout.H.offset);
      if (layout.b) theta.set(r.b, layout.b.offset);
      const full = finiteDifferenceHessian((x, g) => objective.evaluate(x, g), theta);
      const values = Array.from(symmetricEigen(full, layout.size).values);
      const removed = h.removed.rotations + h.removed.biasShift;
      // The ETF (rank K − 1 = 2 in D = 4) is fixed by the rotations of the 2-dimensional complement: D(D−1)/2 − 1 = 5 orbit directions.
      expect(h.removed.rotations).toBe(5);
      expect(h.removed.biasShift).toBe(bias === 'free' && loss !== 'mse' ? 1 : 0);
      expect(h.dimension).toBe(layout.size - removed);
      const scale = Math.max(...values.map(Math.abs));
      const zeros = values.filter((v) => Math.abs(v) < 1e-6 * scale);
      expect(zeros.length).toBe(removed);
      const nonzero = values.filter((v) => Math.abs(v) >= 1e-6 * scale);
      expectClose(h.eigenvalues, nonzero, 1e-5, 1e-8 * scale, 'restricted spectrum');
      expect(h.minEigenvalue).toBeGreaterThan(0);
      expectNear(h.conditionNumber, nonzero[nonzero.length - 1] / nonzero[0], 1e-5);
      expect(h.asymmetry).toBeLessThan(1e-12);
    });
  }

  it('the smallest eigenvalue is min(λ_W, λ_H) when D > K − 1 (features moving off the classifier span feel only λ_H)', async () => {
    const r = await simulateUfm({ K: 3, D: 4, n: 3, loss: 'ce', bias: 'none', lambdaW: 3e-3, lambdaH: 2e-3, seed: 1, tolerance: 1e-13, hessian: true });
    expectNear(r.hessian!.minEigenvalue, 2e-3, 1e-8);
  });

  it('on the spheres: the Riemannian Hessian without the rows\' normal directions', async () => {
    const r = await simulateUfm({ K: 3, D: 3, n: 2, loss: 'ce', bias: 'none', normalized: { tauH: 1, tauW: 1.5 }, seed: 2, tolerance: 1e-12, hessian: true });
    const h = r.hessian!;
    expect(h.removed.sphereNormals).toBe(3 + 6);
    // A rank-2 ETF in D = 3 is fixed by no rotation but the identity (the complement is a line): all 3 generators move it.
    expect(h.removed.rotations).toBe(3);
    expect(h.dimension).toBe(9 + 6 * 3 - 9 - 3);
    expect(h.minEigenvalue).toBeGreaterThan(0);
    expect(Number.isFinite(h.conditionNumber)).toBe(true);
  });

  it('a minimizer that is not strict up to rotations (MSE, no bias, D = K − 1) has condition number Infinity', async () => {
    const r = await simulateUfm({ K: 4, D: 3, n: 3, loss: 'mse', bias: 'none', seed: 1, tolerance: 1e-12, hessian: true });
    expect(r.hessian!.conditionNumber).toBe(Infinity);
  });

  it('is refused for the extended model and for large problems', async () => {
    await expect(simulateUfm({ K: 3, D: 3, n: 2, loss: 'ce', extended: true, maxIterations: 2, hessian: true })).rejects.toThrow(/not defined for the extended model/);
    await expect(simulateUfm({ K: 10, D: 40, n: 10, loss: 'ce', maxIterations: 1, hessian: true })).rejects.toThrow(NcInputError);
  });
});
