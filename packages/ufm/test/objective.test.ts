import { describe, expect, it } from 'vitest';
import { bilinearObjective } from '../src/model/bilinear.js';
import { extendedObjective } from '../src/model/extended.js';
import { makeLayout } from '../src/model/layout.js';
import type { SparseMatrix } from '../src/model/sparse.js';
import { sphereManifold } from '../src/model/sphere.js';
import { resolveProblem, type ProblemOptions } from '../src/problem.js';
import { expectClose, numericDirectional, numericGradient, randomVector } from './helpers.js';

const LOSSES: ProblemOptions['loss'][] = ['ce', { kind: 'ls', alpha: 0.2 }, { kind: 'fl', gamma: 2 }, { kind: 'fl', gamma: 0.5 }, 'mse', { kind: 'mse', scale: 3, M: 2 }];
const BIASES = ['none', 'regularized', 'free'] as const;

/** A small random sparse operator (n × n, about 3 entries per row), as a graph's normalized adjacency would be. */
function randomOperator(n: number, seed: number): SparseMatrix {
  const r = randomVector(4 * n, seed);
  const rowPtr = new Int32Array(n + 1);
  const cols: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let e = 0; e < 3; e++) {
      const j = Math.abs(Math.floor(r[4 * i + e] * 1000)) % n;
      if (!cols.slice(rowPtr[i]).includes(j)) {
        cols.push(j);
        values.push(r[4 * i + 3] + e);
      }
    }
    rowPtr[i + 1] = cols.length;
  }
  return { rows: n, cols: n, rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(values) };
}

function check(name: string, options: ProblemOptions, kind: 'plain' | 'graph' | 'extended' | 'normalized') {
  it(name, () => {
    const problem = resolveProblem(options);
    const { K, D, N } = problem;
    const bias = problem.bias !== 'none';
    const operator = kind === 'graph' ? randomOperator(N, 5) : undefined;
    const layout = makeLayout({ K, D, N, bias, hidden: kind === 'extended' ? D + 1 : undefined, graph: kind === 'graph' });
    if (kind === 'extended') problem.extended = { hidden: D + 1, lambdaW1: 0.02 };
    const objective = kind === 'extended' ? extendedObjective(problem, layout) : bilinearObjective(problem, layout, operator, kind !== 'normalized');
    const theta = randomVector(layout.size, 11, 0.7);
    if (kind === 'normalized') sphereManifold([{ block: layout.W, radius: 1.5 }, { block: layout.H, radius: 2 }]).retract(theta);
    const grad = new Float64Array(layout.size);
    const f = objective.evaluate(theta, grad);
    expect(objective.evaluate(theta)).toBe(f);
    // Central differences (float64, h = 1e-6): truncation ~h²·f''' and rounding ~ε·f/h, both far below 1e-7.
    expectClose(grad, numericGradient((x) => objective.evaluate(x), theta), 1e-6, 1e-8, 'gradient');
    if (objective.hessianTimes) {
      for (const seed of [1, 2]) {
        const v = randomVector(layout.size, 40 + seed);
        const hv = new Float64Array(layout.size);
        objective.hessianTimes(theta, v, hv);
        const g = (x: Float64Array) => {
          const out = new Float64Array(layout.size);
          objective.evaluate(x, out);
          return out;
        };
        expectClose(hv, numericDirectional(g, theta, v), 1e-6, 1e-7, 'Hessian-vector product');
      }
    }
  });
}

describe('UFM objectives: gradients (and Hessian-vector products) against float64 finite differences', () => {
  for (const loss of LOSSES) {
    for (const bias of BIASES) {
      const base = { K: 3, D: 4, n: 3, loss, bias, lambdaW: 0.03, lambdaH: 0.02, ...(bias === 'regularized' ? { lambdaB: 0.05 } : {}) };
      const tag = `${JSON.stringify(loss)}, bias ${bias}`;
      check(`plain, ${tag}`, base, 'plain');
      check(`imbalanced, ${tag}`, { ...base, n: undefined, counts: [5, 1, 2] }, 'plain');
      check(`graph, ${tag}`, base, 'graph');
      check(`extended, ${tag}`, base, 'extended');
      check(`normalized (Euclidean gradient of the spheres' objective), ${tag}`, base, 'normalized');
    }
  }
});

describe('the sphere manifold', () => {
  it('retracts rows to their radii and projects on tangent spaces', () => {
    const layout = makeLayout({ K: 3, D: 4, N: 5, bias: true });
    const m = sphereManifold([{ block: layout.W, radius: 1.5 }, { block: layout.H, radius: 2 }]);
    const theta = randomVector(layout.size, 3);
    const bias = theta.slice(layout.b!.offset);
    m.retract(theta);
    for (let r = 0; r < 3; r++) expect(Math.hypot(...theta.subarray(4 * r, 4 * r + 4))).toBeCloseTo(1.5, 14);
    for (let r = 0; r < 5; r++) expect(Math.hypot(...theta.subarray(12 + 4 * r, 16 + 4 * r))).toBeCloseTo(2, 14);
    expect(theta.slice(layout.b!.offset)).toEqual(bias);
    const v = randomVector(layout.size, 4);
    m.project(theta, v);
    for (let r = 0; r < 8; r++) {
      let s = 0;
      for (let t = 0; t < 4; t++) s += v[4 * r + t] * theta[4 * r + t];
      expect(Math.abs(s)).toBeLessThan(1e-14);
    }
  });
});
