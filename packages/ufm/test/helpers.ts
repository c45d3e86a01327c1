/**
 * Test helpers for @ncscope/ufm: seeded data, finite differences and a relative-error check with an absolute floor.
 * Nothing here imports the package's sources except types: references are written out plainly.
 */
import { expect } from 'vitest';
import { mulberry32 } from '@ncscope/core';

/** Standard normal draws from a seeded uniform generator (Box–Muller, cosine branch only). */
export function gaussian(seed: number): () => number {
  const u = mulberry32(seed);
  return () => {
    let x = 0;
    while (x === 0) x = u();
    return Math.sqrt(-2 * Math.log(x)) * Math.cos(2 * Math.PI * u());
  };
}

export function randomVector(n: number, seed: number, scale = 1): Float64Array {
  const g = gaussian(seed);
  return Float64Array.from({ length: n }, () => scale * g());
}

/** Central difference (f(x + h e_j) − f(x − h e_j)) / 2h for every j. */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  const y = Float64Array.from(x);
  for (let j = 0; j < x.length; j++) {
    y[j] = x[j] + h;
    const up = f(y);
    y[j] = x[j] - h;
    const down = f(y);
    y[j] = x[j];
    g[j] = (up - down) / (2 * h);
  }
  return g;
}

/** Central difference of a vector function along one direction v: (F(x + h v) − F(x − h v)) / 2h. */
export function numericDirectional(F: (x: Float64Array) => Float64Array, x: Float64Array, v: Float64Array, h = 1e-5): Float64Array {
  const up = F(x.map((xi, j) => xi + h * v[j]));
  const down = F(x.map((xi, j) => xi - h * v[j]));
  return up.map((u, j) => (u - down[j]) / (2 * h));
}

/** Every |got − want| ≤ rel·|want| + abs. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, abs: number, what = 'value'): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - (rel * Math.abs(want[i]) + abs);
    if (!(excess <= worst)) {
      worst = excess;
      at = i;
    }
  }
  expect(at, `${what}[${at}]: ${at >= 0 ? `${got[at]} vs ${want[at]}` : ''}`).toBe(-1);
}

/** |got − want| ≤ rel·|want| + abs for scalars. */
export function expectNear(got: number, want: number, rel: number, abs = 0, what = 'value'): void {
  expect(Math.abs(got - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(rel * Math.abs(want) + abs);
}
