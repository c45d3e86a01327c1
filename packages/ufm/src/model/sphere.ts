import type { Block } from './layout.js';

/**
 * The product of spheres of the normalized UFM (Yaras et al. 2022): every row of the listed blocks has a fixed
 * norm (‖h_i‖ = τ_h, ‖w_k‖ = τ_w); other blocks (the bias) are Euclidean. Riemannian optimization uses
 *   - the tangent projection of a vector v at a row x: v ← v − (⟨v, x⟩ / τ²) x,
 *   - the retraction of a moved row: x ← τ x / ‖x‖.
 */
export interface SphereManifold {
  /** The rows on spheres and their radii. */
  readonly blocks: readonly { block: Block; radius: number }[];
  /** In place: v ← P_θ v (rows of the sphere blocks projected on their tangent spaces). */
  project(theta: Float64Array, v: Float64Array): void;
  /** In place: θ ← R(θ) (each sphere row rescaled to its radius). */
  retract(theta: Float64Array): void;
  /** ⟨x, g⟩ / τ² per sphere row, in row order (the Weingarten term of the Riemannian Hessian). */
  normalComponents(theta: Float64Array, g: Float64Array): Float64Array;
}

export function sphereManifold(blocks: readonly { block: Block; radius: number }[]): SphereManifold {
  const eachRow = (fn: (offset: number, cols: number, radius: number, index: number) => void) => {
    let index = 0;
    for (const { block, radius } of blocks) {
      for (let r = 0; r < block.rows; r++) fn(block.offset + r * block.cols, block.cols, radius, index++);
    }
  };
  const rowCount = blocks.reduce((s, b) => s + b.block.rows, 0);
  return {
    blocks,
    project(theta, v) {
      eachRow((o, d, radius) => {
        let s = 0;
        for (let t = 0; t < d; t++) s += theta[o + t] * v[o + t];
        s /= radius * radius;
        for (let t = 0; t < d; t++) v[o + t] -= s * theta[o + t];
      });
    },
    retract(theta) {
      eachRow((o, d, radius) => {
        let s = 0;
        for (let t = 0; t < d; t++) s += theta[o + t] * theta[o + t];
        const f = radius / Math.sqrt(s);
        for (let t = 0; t < d; t++) theta[o + t] *= f;
      });
    },
    normalComponents(theta, g) {
      const out = new Float64Array(rowCount);
      eachRow((o, d, radius, index) => {
        let s = 0;
        for (let t = 0; t < d; t++) s += theta[o + t] * g[o + t];
        out[index] = s / (radius * radius);
      });
      return out;
    },
  };
}
