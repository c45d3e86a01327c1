import { gemm, gemmNT } from '../linalg/gemm.js';
import type { ProductEngine } from './product-engine.js';

/**
 * Portable engine in plain TypeScript: cache- and register-blocked float64 products (linalg/gemm.ts), about
 * 1–3 GFLOP/s on one core. Exact enough for float64 input: the reference the native engines are tested against.
 */
export const jsEngine: ProductEngine & { matmulNT: NonNullable<ProductEngine['matmulNT']> } = {
  name: 'js',
  matmul: (a, b, m, k, n) => gemm(a, b, m, k, n),
  matmulNT: (a, b, m, k, n) => gemmNT(a, b, m, k, n),
};
