import { NcInputError } from '../errors.js';
import type { Batch, FloatArray, LabelArray } from '../types.js';

/** Rows and feature dimension of a batch; throws a named SHAPE error when they do not fit. */
export function batchShape(batch: Batch, expectedD: number | undefined, batchIndex: number): { rows: number; D: number } {
  const { features, labels } = batch;
  if (!(features instanceof Float32Array || features instanceof Float64Array)) {
    throw new NcInputError('SHAPE', `batch ${batchIndex}: features must be a Float32Array or Float64Array (rows × D, row-major)`, { batch: batchIndex });
  }
  const rows = labels.length;
  if (rows === 0) {
    if (features.length > 0) {
      throw new NcInputError('SHAPE', `batch ${batchIndex}: ${features.length} feature values but no labels (one label per row is needed)`, { batch: batchIndex });
    }
    return { rows: 0, D: expectedD ?? 0 };
  }
  if (features.length % rows !== 0) {
    throw new NcInputError('SHAPE', `batch ${batchIndex}: ${features.length} feature values do not split into ${rows} rows (one per label)`, { batch: batchIndex });
  }
  const D = features.length / rows;
  if (D === 0) throw new NcInputError('SHAPE', `batch ${batchIndex}: features are empty (D = 0)`, { batch: batchIndex });
  if (expectedD !== undefined && D !== expectedD) {
    throw new NcInputError('SHAPE', `batch ${batchIndex}: rows have D = ${D} features, earlier batches had D = ${expectedD}`, { batch: batchIndex });
  }
  return { rows, D };
}

/**
 * The labels as numbers: a BigInt64Array/BigUint64Array (int64 labels from PyTorch or NumPy) becomes a Float64Array
 * of the same values, checked to be exact (|y| ≤ 2^53; a larger one is a BAD_LABEL naming its row); every other
 * label array is returned as it is. The accumulators call it on every batch, so the rest of core reads numbers.
 */
export function numberLabels(labels: LabelArray, batchIndex?: number, rowOffset = 0): Exclude<LabelArray, BigInt64Array | BigUint64Array> {
  if (!(labels instanceof BigInt64Array || labels instanceof BigUint64Array)) return labels;
  const out = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (y > 9007199254740992n || y < -9007199254740992n) {
      const at = batchIndex === undefined ? '' : `batch ${batchIndex}, `;
      throw new NcInputError('BAD_LABEL', `${at}row ${i + rowOffset}: label ${y} is not a class index (an integer below 2^53)`, { batch: batchIndex, row: i + rowOffset });
    }
    out[i] = Number(y);
  }
  return out;
}

/** Labels as validated integers; throws BAD_LABEL naming the row. `K` undefined: any non-negative integer. */
export function checkLabels(labels: LabelArray, K: number | undefined, batchIndex: number, rowOffset = 0): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || (K !== undefined && y >= K)) {
      const range = K === undefined ? 'a non-negative integer' : `an integer in 0..${K - 1}`;
      throw new NcInputError('BAD_LABEL', `batch ${batchIndex}, row ${i + rowOffset}: label ${y} is not ${range}`, {
        batch: batchIndex,
        row: i + rowOffset,
        label: Number(y),
      });
    }
  }
}

/** Throws NON_FINITE naming the first NaN/±Inf entry of a rows × D array. */
export function assertFinite(values: FloatArray, D: number, what: string, batchIndex?: number): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const row = Math.floor(i / D);
      const col = i % D;
      const at = batchIndex === undefined ? '' : `batch ${batchIndex}, `;
      throw new NcInputError('NON_FINITE', `${at}${what} row ${row}, column ${col}: value ${values[i]} is not finite`, {
        batch: batchIndex,
        row,
        column: col,
      });
    }
  }
}
