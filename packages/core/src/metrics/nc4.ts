import { requireSpread, type NcContext } from '../context/context.js';
import { NcInputError } from '../errors.js';

/**
 * NC4 (Papyan, Han & Donoho 2020): fraction of samples whose nearest-class-centre decision
 * argmin_k ‖h − μ_k‖ differs from the classifier's argmax_k (W h + b)_k (bias included by default;
 * conventions.nc4Bias = false drops it, as rhubarbwu/neural-collapse does). Zero under collapse.
 */
export async function nc4NccMismatch(ctx: NcContext): Promise<number> {
  const s = requireSpread(ctx, 'NC4');
  if (s.nccClassifierMismatch === undefined) throw new NcInputError('BAD_OPTION', 'NC4 needs the classifier (W, b) during the spread phase');
  return s.nccClassifierMismatch / s.decisionRows;
}

/**
 * Nearest-class-centre accuracy: fraction of samples with argmin_k ‖h − μ_k‖ = y. Like NC4 and the classifier
 * accuracy, a fraction of the sampled rows when the statistics counted decisions on a sample (decisionCounts).
 */
export async function nccAccuracy(ctx: NcContext): Promise<number> {
  const { nccCorrect } = requireSpread(ctx, 'NCC accuracy');
  let correct = 0;
  for (let k = 0; k < ctx.K; k++) correct += nccCorrect[k];
  return correct / requireSpread(ctx, 'NCC accuracy').decisionRows;
}

/** Classifier accuracy: fraction of samples with argmax_k (W h + b)_k = y. */
export async function classifierAccuracy(ctx: NcContext): Promise<number> {
  const s = requireSpread(ctx, 'classifier accuracy');
  if (s.classifierCorrect === undefined) throw new NcInputError('BAD_OPTION', 'classifier accuracy needs the classifier during the spread phase');
  return s.classifierCorrect / s.decisionRows;
}
