import { NcInputError } from '@ncscope/core';

/** Typed arrays accepted as model input. */
export type InputData = Float32Array | Float64Array | Int32Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Uint32Array | BigInt64Array;

/**
 * Rows of model input, N first: `shape` is [N, …per-sample dims], `read(start, count)` returns rows
 * start … start+count−1 in row-major order. The whole array may sit in memory ({@link arrayInput}) or be read
 * from a file as batches are needed (the CLI's streaming .npy reader).
 */
export interface InputArray {
  readonly shape: readonly number[];
  read(start: number, count: number): InputData | Promise<InputData>;
  /** Name for messages (file name). */
  readonly source?: string;
}

/** An in-memory array as {@link InputArray}; `read` returns views (no copies). */
export function arrayInput(data: InputData, shape: readonly number[], source = 'inputs'): InputArray {
  if (shape.length < 1) throw new NcInputError('SHAPE', `${source}: inputs need a leading sample dimension, got a 0-d array`, { source });
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new NcInputError('SHAPE', `${source}: shape [${shape.join(', ')}] needs ${count} values, got ${data.length}`, { source });
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  return { shape: [...shape], source, read: (start, n) => data.subarray(start * per, (start + n) * per) };
}

/** Per-sample element count of an input. */
export function rowSize(input: InputArray): number {
  return input.shape.slice(1).reduce((a, b) => a * b, 1);
}
