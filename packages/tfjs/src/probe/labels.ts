import { NcInputError, badLabel, isClassIndex, mulberry32 } from '@ncscope/core';
import type { Tensor } from '@tensorflow/tfjs-core';

/**
 * Class labels from a label tensor, as integers in JS: integer labels (shape [n] or [n, 1]) are checked to be
 * integers in 0..K−1; one-hot rows (shape [n, K], K > 1) give the column of their largest entry, and must have
 * K columns and a positive, finite largest entry. Returns the labels and the width of one-hot labels (if any).
 * `where` names the tensor in error messages ("probe ys", "dataset batch 3 ys").
 */
export async function labelsFromTensor(ys: Tensor, K: number | undefined, where: string, rowOffset = 0): Promise<{ labels: Int32Array; oneHotWidth?: number }> {
  const rows = ys.shape[0] ?? 0;
  if (ys.rank === 0 || ys.rank > 2) {
    throw new NcInputError('SHAPE', `${where} has shape [${ys.shape.join(', ')}]; labels must be integers of shape [n] or [n, 1], or one-hot of shape [n, K]`, { source: where });
  }
  const width = ys.rank === 2 ? (ys.shape[1] as number) : 1;
  const values = await ys.data();
  const labels = new Int32Array(rows);
  if (width === 1) {
    for (let i = 0; i < rows; i++) {
      const y = Number(values[i]);
      if (!isClassIndex(y, K)) throw badLabel(y, K, { source: where, row: i + rowOffset }, `the classifier's ${K} outputs`);
      labels[i] = y;
    }
    return { labels };
  }
  if (K !== undefined && width !== K) {
    throw new NcInputError('SHAPE', `${where} is one-hot with ${width} columns but the classifier has K = ${K} outputs`, { source: where });
  }
  for (let i = 0; i < rows; i++) {
    let best = -1;
    let bestV = -Infinity;
    for (let k = 0; k < width; k++) {
      const v = Number(values[i * width + k]);
      if (!Number.isFinite(v)) {
        throw new NcInputError('BAD_LABEL', `${where}, row ${i + rowOffset}, column ${k}: value ${v} is not finite`, { row: i + rowOffset, column: k, source: where });
      }
      if (v > bestV) { bestV = v; best = k; }
    }
    if (!(bestV > 0)) {
      throw new NcInputError('BAD_LABEL', `${where}, row ${i + rowOffset}: no positive entry, so it is not a one-hot label`, { row: i + rowOffset, source: where });
    }
    labels[i] = best;
  }
  return { labels, oneHotWidth: width };
}

/**
 * Multi-hot labels from a label tensor [n, K]: every entry must be 0 or 1 (BAD_LABEL naming row and column), K must
 * match the classifier's outputs when known. Returns the rows as uint8 and, per row, its single label (−1 for rows
 * with no label or several, which the single-label tensors of a probe batch leave as zero rows).
 */
export async function multiHotFromTensor(ys: Tensor, K: number | undefined, where: string, rowOffset = 0): Promise<{ multiHot: Uint8Array; labels: Int32Array; width: number }> {
  if (ys.rank !== 2 || (ys.shape[1] as number) < 2) {
    throw new NcInputError('SHAPE', `${where} has shape [${ys.shape.join(', ')}]; multi-label probes need multi-hot labels of shape [n, K] (K ≥ 2)`, { source: where });
  }
  const rows = ys.shape[0] as number;
  const width = ys.shape[1] as number;
  if (K !== undefined && width !== K) {
    throw new NcInputError('SHAPE', `${where} has ${width} label columns but the classifier has K = ${K} outputs`, { source: where });
  }
  const values = await ys.data();
  const multiHot = new Uint8Array(rows * width);
  const labels = new Int32Array(rows).fill(-1);
  for (let i = 0; i < rows; i++) {
    let count = 0;
    for (let k = 0; k < width; k++) {
      const v = Number(values[i * width + k]);
      if (v === 1) {
        multiHot[i * width + k] = 1;
        count++;
        labels[i] = count === 1 ? k : -1;
      } else if (v !== 0) {
        throw new NcInputError('BAD_LABEL', `${where}, row ${i + rowOffset}, column ${k}: multi-hot label value ${v} is not 0 or 1`, { row: i + rowOffset, column: k, source: where });
      }
    }
  }
  return { multiHot, labels, width };
}

/** Whether label values [n, width] look multi-hot: all 0/1 and some row without exactly one 1 (one-hot rows say no). */
export async function looksMultiHot(ys: Tensor): Promise<boolean> {
  if (ys.rank !== 2 || (ys.shape[1] as number) < 2) return false;
  const width = ys.shape[1] as number;
  const values = await ys.data();
  let multi = false;
  for (let i = 0; i < values.length; i += width) {
    let ones = 0;
    for (let k = 0; k < width; k++) {
      const v = Number(values[i + k]);
      if (v === 1) ones++;
      else if (v !== 0) return false;
    }
    if (ones !== 1) multi = true;
  }
  return multi;
}

/**
 * Indices of a class-stratified sample of n rows out of labels.length (sorted ascending): each class keeps
 * ⌊n·n_k/N⌋ rows, the remainder going to the classes with the largest fractional parts, chosen within each class
 * by a seeded Fisher–Yates shuffle (mulberry32), so the same seed always picks the same rows.
 */
export function stratifiedSample(labels: Int32Array, n: number, seed: number): Int32Array {
  const N = labels.length;
  if (n >= N) return Int32Array.from({ length: N }, (_, i) => i);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < N; i++) {
    const list = byClass.get(labels[i]);
    if (list) list.push(i);
    else byClass.set(labels[i], [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const quota = new Map<number, number>();
  let given = 0;
  const fractions: { k: number; f: number }[] = [];
  for (const k of classes) {
    const exact = (n * byClass.get(k)!.length) / N;
    const q = Math.floor(exact);
    quota.set(k, q);
    given += q;
    fractions.push({ k, f: exact - q });
  }
  fractions.sort((a, b) => b.f - a.f || a.k - b.k);
  for (let i = 0; given < n; i++, given++) quota.set(fractions[i].k, quota.get(fractions[i].k)! + 1);
  const random = mulberry32(seed);
  const picked: number[] = [];
  for (const k of classes) {
    const list = byClass.get(k)!.slice();
    const q = quota.get(k)!;
    for (let i = 0; i < q; i++) {
      const j = i + Math.floor(random() * (list.length - i));
      [list[i], list[j]] = [list[j], list[i]];
      picked.push(list[i]);
    }
  }
  return Int32Array.from(picked.sort((a, b) => a - b));
}
