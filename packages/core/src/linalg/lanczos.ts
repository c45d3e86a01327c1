import { mulberry32 } from '../random.js';
import { symmetricEigen } from './symmetric-eigen.js';

/** The largest eigenpairs of a symmetric operator: values descending, vectors[j] for values[j] (unit norm). */
export interface TopEigenpairs {
  values: Float64Array;
  vectors: Float64Array[];
}

/**
 * The `count` largest eigenpairs of a symmetric positive-semidefinite n × n operator A (given by `matvec`), by the
 * Lanczos method with full reorthogonalisation (two Gram–Schmidt passes per step). Cost: one matvec plus O(n·steps)
 * per step; it stops when the Ritz residuals ‖A y − θ y‖ of the top `count` pairs fall below `tol`·θ_max (Ritz
 * values are then accurate to ~residual²/gap), or after n steps (exact). When the Krylov space becomes invariant
 * (breakdown, e.g. all nonzero eigenvalues equal as for a simplex ETF), it continues from a fresh random vector
 * orthogonal to the basis, so repeated eigenvalues are found with their multiplicity. Deterministic (seeded start).
 */
export function topEigenpairs(
  matvec: (x: Float64Array) => Float64Array,
  n: number,
  count: number,
  options: { tol?: number; maxSteps?: number; seed?: number } = {},
): TopEigenpairs {
  const want = Math.min(count, n);
  if (n === 0 || want === 0) return { values: new Float64Array(0), vectors: [] };
  const tol = options.tol ?? 1e-11;
  const maxSteps = Math.min(n, options.maxSteps ?? Math.max(300, 4 * want));
  const rand = mulberry32(options.seed ?? 0x5eed);
  const Q: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = []; // beta[j] couples Q[j] and Q[j + 1]
  let scale = 0;
  const fresh = (): Float64Array | undefined => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const v = Float64Array.from({ length: n }, () => rand() - 0.5);
      orthogonalize(v, Q);
      orthogonalize(v, Q);
      const nv = norm(v);
      if (nv > 1e-8) return scaleBy(v, 1 / nv);
    }
    return undefined;
  };
  let q = fresh()!;
  let result: TopEigenpairs | undefined;
  for (let j = 0; j < maxSteps; j++) {
    Q.push(q);
    const w = matvec(q);
    const a = dot(q, w);
    alpha.push(a);
    orthogonalize(w, Q);
    orthogonalize(w, Q);
    const b = norm(w);
    scale = Math.max(scale, Math.abs(a) + b);
    const last = j + 1 === maxSteps;
    const breakdown = b <= 1e-13 * Math.max(scale, Number.MIN_VALUE);
    // Check convergence every few steps once there are enough Ritz pairs (not at a breakdown: the basis may still
    // miss copies of a repeated eigenvalue).
    if (last || (!breakdown && Q.length >= want && (Q.length % 4 === 0 || Q.length === want))) {
      const ritz = ritzPairs(alpha, beta, Q, want);
      const converged = ritz.bottom.every((s) => Math.abs(b * s) <= tol * Math.max(ritz.values[0], Number.MIN_VALUE));
      if (converged || last) {
        result = { values: ritz.values, vectors: ritz.vectors };
        break;
      }
    }
    if (breakdown) {
      const next = fresh();
      if (!next) {
        const ritz = ritzPairs(alpha, beta, Q, want);
        result = { values: ritz.values, vectors: ritz.vectors };
        break;
      }
      beta.push(0);
      q = next;
    } else {
      beta.push(b);
      q = scaleBy(w, 1 / b);
    }
  }
  return result!;
}

/** Ritz pairs of the Lanczos tridiagonal (top `want`, descending) and the last components of their vectors. */
function ritzPairs(alpha: number[], beta: number[], Q: Float64Array[], want: number) {
  const m = alpha.length;
  const T = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    T[i * m + i] = alpha[i];
    if (i + 1 < m) T[i * m + i + 1] = T[(i + 1) * m + i] = beta[i];
  }
  const { values, vectors } = symmetricEigen(T, m);
  const k = Math.min(want, m);
  const n = Q[0].length;
  const outValues = new Float64Array(k);
  const outVectors: Float64Array[] = [];
  const bottom: number[] = [];
  for (let r = 0; r < k; r++) {
    const j = m - 1 - r;
    outValues[r] = values[j];
    const y = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      const s = vectors[i * m + j];
      if (s === 0) continue;
      const qi = Q[i];
      for (let t = 0; t < n; t++) y[t] += s * qi[t];
    }
    scaleBy(y, 1 / norm(y));
    outVectors.push(y);
    bottom.push(vectors[(m - 1) * m + j]);
  }
  return { values: outValues, vectors: outVectors, bottom };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}
function scaleBy(a: Float64Array, f: number): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] *= f;
  return a;
}
function orthogonalize(w: Float64Array, Q: Float64Array[]): void {
  for (const q of Q) {
    const c = dot(q, w);
    if (c !== 0) for (let i = 0; i < w.length; i++) w[i] -= c * q[i];
  }
}

/** y = A x for a dense symmetric row-major n × n matrix (a closure for {@link topEigenpairs}). */
export function denseMatvec(A: Float64Array, n: number): (x: Float64Array) => Float64Array {
  return (x) => {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s0 = 0, s1 = 0;
      const r = i * n;
      let t = 0;
      for (; t + 1 < n; t += 2) {
        s0 += A[r + t] * x[t];
        s1 += A[r + t + 1] * x[t + 1];
      }
      if (t < n) s0 += A[r + t] * x[t];
      y[i] = s0 + s1;
    }
    return y;
  };
}
