import { describe, expect, it } from 'vitest';
import { NcInputError } from '@ncscope/core';
import { meanLoss, resolveLoss, rowLoss, type LossSpec } from '../src/losses.js';
import { expectClose, expectNear, numericDirectional, numericGradient, randomVector } from './helpers.js';

/** Plain float64 references, one row at a time. */
const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const reference: Record<string, (spec: any, z: number[], y: number) => number> = {
  ce: (_s, z, y) => -Math.log(softmax(z)[y]),
  ls: (s, z, y) => {
    const p = softmax(z);
    const K = z.length;
    return -p.reduce((acc, pk, k) => acc + ((k === y ? 1 - s.alpha : 0) + s.alpha / K) * Math.log(pk), 0);
  },
  fl: (s, z, y) => {
    const p = softmax(z)[y];
    return -((1 - p) ** s.gamma) * Math.log(p);
  },
  mse: (s, z, y) => z.reduce((acc, zj, j) => acc + (j === y ? (s.scale ?? 1) * (zj - (s.M ?? 1)) ** 2 : zj * zj), 0) / z.length,
};

const SPECS: LossSpec[] = [
  { kind: 'ce' },
  { kind: 'ls', alpha: 0.1 },
  { kind: 'ls', alpha: 0.35 },
  { kind: 'ls', alpha: 0 },
  { kind: 'fl', gamma: 0 },
  { kind: 'fl', gamma: 0.5 },
  { kind: 'fl', gamma: 1 },
  { kind: 'fl', gamma: 2 },
  { kind: 'fl', gamma: 3.5 },
  { kind: 'mse' },
  { kind: 'mse', scale: 15, M: 30 },
  { kind: 'mse', scale: 2, M: 0.5 },
];

describe('losses: values, gradients and Hessians against float64 references', () => {
  for (const spec of SPECS) {
    const name = JSON.stringify(spec);
    for (const K of [2, 5, 10]) {
      it(`${name}, K = ${K}`, () => {
        const row = rowLoss(spec, K);
        for (let trial = 0; trial < 6; trial++) {
          const z = randomVector(K, 100 * K + trial, 2.5);
          const y = trial % K;
          const grad = new Float64Array(K);
          const value = row.value(z, 0, y, grad);
          expectNear(value, reference[spec.kind](spec, Array.from(z), y), 1e-13, 1e-15, `${name} value`);
          const f = (x: Float64Array) => row.value(x, 0, y);
          // Central differences with h = 1e-6 carry rounding ~ε|ℓ|/h: the absolute floor scales with the value.
          expectClose(grad, numericGradient(f, z), 1e-7, 1e-8 + 1e-9 * Math.abs(value), `${name} gradient`);
          // Hessian-vector products against differences of the analytic gradient.
          const u = randomVector(K, 7 + trial);
          const hu = new Float64Array(K);
          row.hessianTimes(z, 0, y, u, hu, 1);
          const g = (x: Float64Array) => {
            const out = new Float64Array(K);
            row.value(x, 0, y, out);
            return out;
          };
          expectClose(hu, numericDirectional(g, z, u), 1e-6, 1e-8 + 1e-9 * Math.abs(value), `${name} Hessian`);
        }
      });
    }
  }

  it('rows are read and written at an offset, scaled', () => {
    const row = rowLoss({ kind: 'fl', gamma: 2 }, 3);
    const z = Float64Array.from([9, 9, 0.3, -1, 2, 9]);
    const g = new Float64Array(6);
    row.value(z, 2, 1, g, 0.5);
    const alone = new Float64Array(3);
    row.value(z.subarray(2, 5), 0, 1, alone);
    expectClose(g, [0, 0, alone[0] / 2, alone[1] / 2, alone[2] / 2, 0], 1e-15, 0);
  });

  it('the mean over rows, and G = ∇/N', () => {
    const row = rowLoss('ce', 4);
    const Z = randomVector(12, 3);
    const labels = Int32Array.from([0, 3, 1]);
    const G = new Float64Array(12);
    const mean = meanLoss(row, Z, labels, G);
    const want = [0, 1, 2].reduce((s, i) => s + reference.ce({}, Array.from(Z.subarray(4 * i, 4 * i + 4)), labels[i]), 0) / 3;
    expectNear(mean, want, 1e-14);
    expectClose(G, numericGradient((x) => meanLoss(row, x, labels), Z), 1e-7, 1e-9, 'G');
  });

  it('focal loss stays finite where softmax saturates (p_y = 1 in float64)', () => {
    for (const gamma of [0.5, 1, 2]) {
      const row = rowLoss({ kind: 'fl', gamma }, 3);
      const z = Float64Array.from([60, -5, 0]);
      const g = new Float64Array(3);
      const v = row.value(z, 0, 0, g);
      expect(Number.isFinite(v) && g.every(Number.isFinite), `γ = ${gamma}`).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
    }
  });

  it('names and defaults; bad parameters are refused by name', () => {
    expect(resolveLoss('ls')).toEqual({ kind: 'ls', alpha: 0.1 });
    expect(resolveLoss('fl')).toEqual({ kind: 'fl', gamma: 2 });
    expect(resolveLoss('mse')).toEqual({ kind: 'mse', scale: 1, M: 1 });
    const bad = (s: unknown, pattern: RegExp) => {
      expect(() => resolveLoss(s as LossSpec)).toThrow(NcInputError);
      expect(() => resolveLoss(s as LossSpec)).toThrow(pattern);
    };
    bad({ kind: 'ls', alpha: 1 }, /alpha must be in \[0, 1\)/);
    bad({ kind: 'ls', alpha: -0.1 }, /alpha/);
    bad({ kind: 'fl', gamma: -1 }, /gamma/);
    bad({ kind: 'fl', gamma: Infinity }, /gamma/);
    bad({ kind: 'mse', scale: 0 }, /scale/);
    bad({ kind: 'mse', M: NaN }, /M must/);
    bad('hinge', /unknown loss "hinge"/);
  });
});
