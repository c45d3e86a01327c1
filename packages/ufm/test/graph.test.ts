import { describe, expect, it } from 'vitest';
import { collapseConditionGap, stochasticBlockModel } from '@ncscope/core';
import { simulateUfm } from '../src/index.js';
import { bilinearObjective } from '../src/model/bilinear.js';
import { graphOperator } from '../src/model/graph.js';
import { makeLayout } from '../src/model/layout.js';
import { resolveProblem } from '../src/problem.js';
import { expectClose, numericGradient, randomVector } from './helpers.js';

describe('graph UFM (Kothapalli, Tirer & Bruna 2023) on core\'s stochastic block model', () => {
  it('the operator averages each node\'s neighbours (S = D⁻¹A), nodes in class order', () => {
    const problem = resolveProblem({ K: 3, D: 2, n: 6, loss: 'ce', graph: { p: 0.6, q: 0.2, seed: 4 } });
    const { operator, edges } = graphOperator(problem);
    const graph = stochasticBlockModel({ communities: 3, nodesPerCommunity: 6, p: 0.6, q: 0.2, seed: 4, permute: false });
    expect(edges).toBe(graph.numEdges);
    expect(Array.from(graph.labels)).toEqual(Array.from(problem.labels));
    for (let i = 0; i < 18; i++) {
      const row = operator.values.subarray(operator.rowPtr[i], operator.rowPtr[i + 1]);
      expect(Array.from(operator.colIdx.subarray(operator.rowPtr[i], operator.rowPtr[i + 1]))).toEqual(Array.from(graph.colIdx.subarray(graph.rowPtr[i], graph.rowPtr[i + 1])));
      if (row.length) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    }
  });

  it('gradients on a real SBM operator match finite differences', () => {
    const problem = resolveProblem({ K: 3, D: 3, n: 4, loss: 'ls', bias: 'free', graph: { p: 0.7, q: 0.2 } });
    const layout = makeLayout({ K: 3, D: 3, N: 12, bias: true, graph: true });
    const objective = bilinearObjective(problem, layout, graphOperator(problem).operator);
    const theta = randomVector(layout.size, 3);
    const g = new Float64Array(layout.size);
    objective.evaluate(theta, g);
    expectClose(g, numericGradient((x) => objective.evaluate(x), theta), 1e-6, 1e-8, 'gradient');
  });

  for (const loss of ['ce', 'mse'] as const) {
    it(`${loss}: a regular SBM (the structural condition) collapses exactly; an ordinary SBM does not`, async () => {
      const regular = await simulateUfm({ K: 4, D: 8, n: 20, loss, bias: 'none', graph: { p: 0.5, q: 0.1, regular: true }, seed: 1 });
      const ordinary = await simulateUfm({ K: 4, D: 8, n: 20, loss, bias: 'none', graph: { p: 0.5, q: 0.1 }, seed: 1 });
      expect(regular.converged && ordinary.converged).toBe(true);
      expect(Object.keys(regular.reports).sort()).toEqual(['H', 'HÂ']);
      expect(regular.reports.H.metrics.nc1!).toBeLessThan(1e-14);
      expect(regular.reports['HÂ'].metrics.nc1!).toBeLessThan(1e-14);
      expect(regular.report.metrics.etfErrorMeans).toBeLessThan(1e-7);
      // Reduced within-class variability, but not collapse (measured: NC1 ≈ 1.5e-3 for CE, 4.7e-3 for MSE).
      expect(ordinary.reports.H.metrics.nc1!).toBeGreaterThan(1e-4);
      expect(ordinary.reports.H.metrics.nc1!).toBeLessThan(1e-1);
      expect(ordinary.report.metrics.classifierAccuracy).toBe(1);
      // The graphs: core's collapse-condition gap is 0 exactly for the regular one.
      const graph = (r: boolean) => stochasticBlockModel({ communities: 4, nodesPerCommunity: 20, p: 0.5, q: 0.1, seed: 1, permute: false, regular: r });
      expect(collapseConditionGap(graph(true))).toBe(0);
      expect(collapseConditionGap(graph(false))).toBeGreaterThan(0.1);
      expect(regular.graph!.edges).toBe(graph(true).numEdges);
    });
  }

  it('the Hessian removes rotations acting on W, W₂ and H together', async () => {
    const r = await simulateUfm({ K: 3, D: 3, n: 4, loss: 'ce', bias: 'none', graph: { p: 0.6, q: 0.2, regular: true }, seed: 2, tolerance: 1e-12, hessian: true });
    expect(r.hessian!.removed.rotations).toBe(3);
    expect(r.hessian!.minEigenvalue).toBeGreaterThan(0);
    expect(r.hessian!.dimension).toBe(9 + 36 + 9 - 3);
  });

  it('refuses a regular SBM with unequal classes', async () => {
    await expect(simulateUfm({ K: 2, D: 2, counts: [4, 6], loss: 'ce', graph: { p: 0.5, q: 0.2, regular: true } })).rejects.toThrow(/regular SBM .* needs balanced classes/);
  });
});
