import * as tf from '@tensorflow/tfjs-core';

/** All permutations of 0..C−1 (C! of them; the examples use C ≤ 5). */
export function permutations(C: number): number[][] {
  if (C === 1) return [[0]];
  return permutations(C - 1).flatMap((p) => Array.from({ length: C }, (_, i) => [...p.slice(0, i), C - 1, ...p.slice(i)]));
}

/**
 * The paper's loss for community detection: community labels are arbitrary names, so the MSE is taken against the
 * one-hot labels under every permutation of the C names and the smallest is kept (Chen, Li & Bruna 2019; the
 * `compute_mse_loss_multiclass` of Kothapalli et al.'s code). Returns a scalar per graph (the whole batch).
 */
export function permutationMse(C: number): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  // All C! relabelled targets at once: Y Π for the block matrix Π = [Π_1 | … | Π_C!] (C × C·C!).
  const perms = permutations(C);
  const blocks = new Float32Array(C * C * perms.length);
  perms.forEach((p, k) => p.forEach((to, from) => (blocks[from * C * perms.length + k * C + to] = 1)));
  return (yTrue, yPred) => tf.tidy(() => {
    const n = yPred.shape[0];
    const targets = tf.matMul(yTrue as tf.Tensor2D, tf.tensor2d(blocks, [C, C * perms.length]));
    const sq = tf.square(tf.sub(tf.tile(yPred, [1, perms.length]), targets));
    return tf.min(tf.mean(tf.reshape(sq, [n, perms.length, C]), [0, 2]));
  });
}

/**
 * The paper's accuracy ("overlap"): the best agreement of argmax predictions with the labels over all permutations of
 * the community names, rescaled so that chance is 0 and perfect recovery 1: (acc − 1/C) / (1 − 1/C).
 */
export function overlap(scores: Float32Array, labels: Int32Array, C: number): number {
  const pred = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (scores[i * C + c] > scores[i * C + best]) best = c;
    pred[i] = best;
  }
  let acc = 0;
  for (const p of permutations(C)) {
    let hit = 0;
    for (let i = 0; i < labels.length; i++) if (pred[i] === p[labels[i]]) hit++;
    acc = Math.max(acc, hit / labels.length);
  }
  return (acc - 1 / C) / (1 - 1 / C);
}
