import { NcInputError, countLabels, type LabelCounts } from '@ncscope/core';
import type { Tensor } from '../arrays/tensor.js';

/**
 * Labels in files: the shape rule here, the label and K rules in core (`countLabels`, `decideClassCount`):
 * labels are (N,) or (N, 1), one per sample, of any numeric dtype (floats holding integers included).
 */

/** Refuses a labels array that is not (N,) or (N, 1) with one entry per sample (`samplesWhere` names the samples). */
export function checkLabelShape(labels: Tensor, N: number, samplesWhere: string, samplesNoun = 'feature rows'): void {
  if (!(labels.shape.length === 1 || (labels.shape.length === 2 && labels.shape[1] === 1))) {
    const hint = labels.shape.length === 2 ? ' (one-hot or scores? save the class indices, e.g. y.argmax(1))' : '';
    throw NcInputError.at('SHAPE', { source: labels.where }, `labels must be 1-D class indices, got shape ${labels.shapeText}${hint}`);
  }
  if (labels.rows !== N) throw NcInputError.at('SHAPE', { source: labels.where }, `has ${labels.rows} labels but ${samplesWhere} has ${N} ${samplesNoun}`);
}

/**
 * Reads a labels tensor in blocks of 2^20 rows (O(N) small reads, before any feature is read) and counts it with
 * core's label rule: a label that is not a class index is a BAD_LABEL naming the file and row.
 */
export async function countLabelTensor(labels: Tensor): Promise<LabelCounts> {
  const counts: LabelCounts = { source: labels.where, N: 0, counts: new Map(), maxLabel: -1, maxRow: -1 };
  for (let start = 0; start < labels.rows; start += 1 << 20) {
    countLabels(await labels.readRows(start, Math.min(1 << 20, labels.rows - start)), { rowOffset: start, into: counts });
  }
  return counts;
}
