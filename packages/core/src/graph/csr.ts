import { NcInputError } from '../errors.js';
import type { FloatArray } from '../types.js';

/**
 * A sparse matrix in compressed sparse row (CSR) form: the entries of row i are `values[rowPtr[i] .. rowPtr[i+1])`
 * in the columns `colIdx[…]` (sorted within each row). Memory O(rows + nnz); no dense rows × cols array.
 */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** rows + 1 offsets into colIdx / values. */
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Float64Array;
}

/**
 * Y = M X for a CSR matrix M (rows × cols) and a dense row-major X (cols × D), in float64.
 * Cost O(nnz · D). Used to propagate node features over a graph (e.g. H Â in Kothapalli et al.'s notation,
 * with nodes as rows; see {@link normalizedAdjacency}).
 */
export function csrMultiply(m: CsrMatrix, x: FloatArray, D: number): Float64Array {
  if (!Number.isInteger(D) || D < 1) throw new NcInputError('BAD_OPTION', `D must be a positive integer, got ${D}`);
  if (x.length !== m.cols * D) {
    throw new NcInputError('SHAPE', `csrMultiply: X has ${x.length} values, expected cols × D = ${m.cols} × ${D}`);
  }
  const y = new Float64Array(m.rows * D);
  for (let i = 0; i < m.rows; i++) {
    const yo = i * D;
    for (let e = m.rowPtr[i]; e < m.rowPtr[i + 1]; e++) {
      const w = m.values[e];
      const xo = m.colIdx[e] * D;
      for (let t = 0; t < D; t++) y[yo + t] += w * x[xo + t];
    }
  }
  return y;
}

/** The dense row-major rows × cols copy of a CSR matrix (for small graphs, tests and tfjs's dense matMul). */
export function csrToDense(m: CsrMatrix): Float64Array {
  if (m.rows * m.cols > 2 ** 28) {
    throw new NcInputError('BAD_OPTION', `csrToDense: ${m.rows} × ${m.cols} is too large for a dense matrix; use csrMultiply`);
  }
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) {
    for (let e = m.rowPtr[i]; e < m.rowPtr[i + 1]; e++) out[i * m.cols + m.colIdx[e]] += m.values[e];
  }
  return out;
}
