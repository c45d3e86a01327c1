import type { BatchPosition, NcInputError } from '@ncscope/core';
import type { ArrayInputs, RowRange } from '@ncscope/io';

/**
 * Locates core's errors in the files a command reads. The driver (core's `runPasses`) knows each batch's first row
 * in the pass; the command knows which rows of the file the pass reads (all, or a shard's), so an error at `batch b,
 * row r` becomes `labels.npy: row R` (label problems name the labels file, everything else the features file).
 * Nothing is parsed: the error's data are re-rendered (`NcInputError.relocate`).
 */
export function fileLocator(inputs: ArrayInputs, rows: RowRange = { start: 0, end: inputs.N }): (e: NcInputError, at: BatchPosition) => NcInputError {
  return (e, at) => {
    const labelsProblem = e.code === 'BAD_LABEL' || e.code === 'STATS_MISMATCH';
    const source = labelsProblem ? inputs.labels.tensor.where : inputs.features.tensor.where;
    const first = rows.start + at.firstRow;
    if (e.where.row !== undefined) return e.relocate({ source, row: first + e.where.row, column: e.where.column, label: e.where.label });
    return e.relocate({ source, rows: [first, Math.min(first + at.rows, rows.end) - 1] });
  };
}

/** Whole-data problems (a class with no samples, a single class, no data) are about the labels: name that file. */
export function locateInLabels(e: unknown, inputs: ArrayInputs): unknown {
  const code = (e as NcInputError)?.code;
  if (typeof (e as NcInputError)?.relocate !== 'function' || (e as NcInputError).where.batch !== undefined) return e;
  if (code === 'EMPTY_CLASS' || code === 'TOO_FEW_CLASSES' || code === 'NO_DATA') return (e as NcInputError).relocate({ ...(e as NcInputError).where, source: inputs.labels.tensor.where });
  return e;
}
