import { symmetricEigen } from '../linalg/symmetric-eigen.js';

/** Eigenpairs of a symmetric matrix in descending order of eigenvalue: values[j] belongs to column j of `vectors` (n × n row-major). */
export interface DescendingEigen {
  readonly n: number;
  readonly values: Float64Array;
  /** vectors[i * n + j] = component i of eigenvector j. */
  readonly vectors: Float64Array;
}

/** The eigendecomposition of a symmetric n × n float64 matrix, eigenvalues descending (ties keep the solver's order). */
export function descendingEigen(a: Float64Array, n: number): DescendingEigen {
  const { values, vectors } = symmetricEigen(a, n);
  const outValues = new Float64Array(n);
  const outVectors = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const src = n - 1 - j;
    outValues[j] = values[src];
    for (let i = 0; i < n; i++) outVectors[i * n + j] = vectors[i * n + src];
  }
  return { n, values: outValues, vectors: outVectors };
}

/** Column j of an eigenvector matrix as a new array (length n). */
export function column(e: DescendingEigen, j: number): Float64Array {
  const out = new Float64Array(e.n);
  for (let i = 0; i < e.n; i++) out[i] = e.vectors[i * e.n + j];
  return out;
}

/**
 * The pseudo-inverse cutoff of scipy.linalg.pinvh (which scikit-learn's EmpiricalCovariance uses for its precision):
 * eigenvalues with |λ| ≤ n·ε·max|λ| are dropped.
 */
export function pinvhCutoff(e: DescendingEigen): number {
  let max = 0;
  for (const v of e.values) max = Math.max(max, Math.abs(v));
  return e.n * Number.EPSILON * max;
}
