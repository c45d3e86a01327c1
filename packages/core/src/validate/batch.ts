import { NcInputError } from '../errors.js';
import type { Batch, FloatArray } from '../types.js';

export { checkLabels } from './labels.js';

/** Rows and feature dimension of a batch; throws a named SHAPE error when they do not fit. */
export function batchShape(batch: Batch, expectedD: number | undefined, batchIndex: number): { rows: number; D: number } {
  const { features, labels } = batch;
  const at = { batch: batchIndex };
  if (!(features instanceof Float32Array || features instanceof Float64Array)) {
    throw NcInputError.at('SHAPE', at, 'features must be a Float32Array or Float64Array (rows × D, row-major)');
  }
  const rows = labels.length;
  if (rows === 0) {
    if (features.length > 0) throw NcInputError.at('SHAPE', at, `${features.length} feature values but no labels (one label per row is needed)`);
    return { rows: 0, D: expectedD ?? 0 };
  }
  if (features.length % rows !== 0) throw NcInputError.at('SHAPE', at, `${features.length} feature values do not split into ${rows} rows (one per label)`);
  const D = features.length / rows;
  if (D === 0) throw NcInputError.at('SHAPE', at, 'features are empty (D = 0)');
  if (expectedD !== undefined && D !== expectedD) throw NcInputError.at('SHAPE', at, `rows have D = ${D} features, earlier batches had D = ${expectedD}`);
  return { rows, D };
}

/**
 * Throws NON_FINITE naming the first NaN/±Inf entry of a rows × D array: `batch 2, features row 3, column 1: value NaN
 * is not finite`. `field` names the array (`features`, `classifier weights`); `rowOffset` is added to the row.
 */
export function assertFinite(values: FloatArray, D: number, field: string, batchIndex?: number, rowOffset = 0): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw NcInputError.at('NON_FINITE', { batch: batchIndex, field, row: rowOffset + Math.floor(i / D), column: i % D }, `value ${values[i]} is not finite`);
    }
  }
}
