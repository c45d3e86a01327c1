import { NcInputError } from '@ncscope/core';
import type { Problem } from '../problem.js';
import type { SparseMatrix } from './sparse.js';

/** PLACEHOLDER until core's SBM generator is on main (replaced before the branch is finished). */
export function graphOperator(_problem: Problem): { operator: SparseMatrix; edges: number } {
  throw new NcInputError('BAD_OPTION', 'graph variant: not available yet');
}
