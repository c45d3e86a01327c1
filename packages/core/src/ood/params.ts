import { NcInputError } from '../errors.js';

/**
 * The per-sample OOD scores, larger = more in-distribution:
 * - `msp` (Hendrycks & Gimpel 2017): max_k softmax(z)_k;
 * - `maxlogit` (Hendrycks et al. 2022): max_k z_k;
 * - `energy` (Liu et al. 2020): T·logsumexp(z/T);
 * - `mahalanobis` (Lee et al. 2018, OpenOOD's MDS): max_c −(h − μ_c)ᵀ Σ_W⁺ (h − μ_c);
 * - `vim` (Wang et al. 2022): logsumexp(z) − α·‖(h − u) in the residual space‖;
 * - `neco` (Ammar et al. 2024): ‖top-d principal coordinates of the standardized h‖ / ‖standardized h‖ (× max logit);
 * - `nci` (Liu & Qin 2025): w_ŷ·(h − μ_G)/‖h − μ_G‖ + α‖h‖₁.
 * z = W h + b (or logits given with the rows).
 */
export type OodScoreName = 'msp' | 'maxlogit' | 'energy' | 'mahalanobis' | 'vim' | 'neco' | 'nci';

/** Every score, in report order. */
export const OOD_SCORE_NAMES: readonly OodScoreName[] = ['msp', 'maxlogit', 'energy', 'mahalanobis', 'vim', 'neco', 'nci'];

/** The score parameters (see {@link resolveOodParams} for defaults and their sources). */
export interface OodParams {
  /** Scores to compute; default all seven (those that cannot run without a classifier are dropped with a warning). */
  scores?: readonly OodScoreName[];
  /** ViM's principal-subspace dimension (1 ≤ vimDim < D). Default {@link defaultVimDim}. */
  vimDim?: number;
  /**
   * NECO's number of principal components (1 ≤ necoDim ≤ D). Default: the smallest d whose components explain
   * ≥ 90 % of the standardized fit set's variance (the NECO paper's choice).
   */
  necoDim?: number;
  /** Multiply NECO's ratio by the max logit (default true; the authors' code turns it off for ResNets). */
  necoMaxLogit?: boolean;
  /** NCI's weight α of ‖h‖₁ (default 1e-4, OpenOOD's nci.yml). */
  nciAlpha?: number;
  /** Energy temperature T (default 1). */
  temperature?: number;
}

/** NECO's default variance share: the paper picks the dimension explaining about 90 % of the ID variance. */
export const NECO_VARIANCE_SHARE = 0.9;

/** NCI's default α (OpenOOD configs/postprocessors/nci.yml). */
export const DEFAULT_NCI_ALPHA = 1e-4;

/**
 * ViM's default dimension for D features: 1000 when D ≥ 2048 and 512 when 768 ≤ D < 2048 (the rule in Wang et al.'s
 * code), else ⌊D/2⌋ (OpenOOD's 256 for ResNet-18's 512 features; pytorch-ood's fallback).
 */
export function defaultVimDim(D: number): number {
  if (D >= 2048) return 1000;
  if (D >= 768) return 512;
  return Math.floor(D / 2);
}

/** Which inputs a score needs beyond the fit set's labelled features. */
export function scoreNeeds(score: OodScoreName, necoMaxLogit: boolean): { logits: boolean; classifier: boolean } {
  switch (score) {
    case 'msp':
    case 'maxlogit':
    case 'energy':
      return { logits: true, classifier: false };
    case 'neco':
      return { logits: necoMaxLogit, classifier: false };
    case 'vim':
    case 'nci':
      return { logits: true, classifier: true };
    case 'mahalanobis':
      return { logits: false, classifier: false };
  }
}

/**
 * Validates score names and parameters (BAD_OPTION naming the option). D-dependent bounds (vimDim < D,
 * necoDim ≤ D) are checked when the fit set's D is known ({@link checkDimensions}).
 */
export function checkOodParams(p: OodParams): void {
  if (p.scores !== undefined) {
    if (p.scores.length === 0) throw new NcInputError('BAD_OPTION', 'scores: name at least one score');
    const seen = new Set<string>();
    for (const s of p.scores) {
      if (!OOD_SCORE_NAMES.includes(s)) throw new NcInputError('BAD_OPTION', `scores: unknown score "${s}" (known: ${OOD_SCORE_NAMES.join(', ')})`);
      if (seen.has(s)) throw new NcInputError('BAD_OPTION', `scores: "${s}" is named twice`);
      seen.add(s);
    }
  }
  for (const [key, value] of [['vimDim', p.vimDim], ['necoDim', p.necoDim]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new NcInputError('BAD_OPTION', `${key} must be an integer ≥ 1, got ${value}`);
  }
  if (p.nciAlpha !== undefined && !Number.isFinite(p.nciAlpha)) throw new NcInputError('BAD_OPTION', `nciAlpha must be a finite number, got ${p.nciAlpha}`);
  if (p.temperature !== undefined && !(Number.isFinite(p.temperature) && p.temperature > 0)) {
    throw new NcInputError('BAD_OPTION', `temperature must be a positive finite number, got ${p.temperature}`);
  }
}

/** BAD_OPTION when vimDim or necoDim do not fit D (vimDim < D leaves a residual space; necoDim ≤ D components). */
export function checkDimensions(p: { vimDim?: number; necoDim?: number; scores: readonly OodScoreName[] }, D: number): void {
  if (p.scores.includes('vim') && p.vimDim !== undefined && p.vimDim >= D) {
    throw new NcInputError('BAD_OPTION', `vimDim = ${p.vimDim} must be below the feature dimension D = ${D} (ViM needs a residual space)`);
  }
  if (p.scores.includes('vim') && p.vimDim === undefined && defaultVimDim(D) < 1) {
    throw new NcInputError('BAD_OPTION', `ViM needs D ≥ 2 features (a principal subspace and a residual space); the fit set has D = ${D}`);
  }
  if (p.scores.includes('neco') && p.necoDim !== undefined && p.necoDim > D) {
    throw new NcInputError('BAD_OPTION', `necoDim = ${p.necoDim} must be at most the feature dimension D = ${D}`);
  }
}
