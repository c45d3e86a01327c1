import { NcInputError } from './errors.js';

/** Which global mean μ_G centres the class means: the class-uniform mean of the means, or the mean of all samples. */
export type GlobalMeanConvention = 'class' | 'sample';

/** Named bundles of conventions that reproduce published codebases (see DESIGN.md "Anchor conventions"). */
export type PresetName = 'ncscope' | 'papyan' | 'rhubarbwu' | 'zhu' | 'zhou';

/** User-settable conventions; anything left out comes from the preset (default `ncscope`). */
export interface ConventionOptions {
  preset?: PresetName;
  globalMean?: GlobalMeanConvention;
  /** NC1 = Tr(Σ_W Σ_B⁺)/K ('K', Papyan et al. 2020 paper) or Tr(Σ_W Σ_B⁺) ('none', Papyan notebook). */
  nc1Normalization?: 'K' | 'none';
  /** Relative pseudo-inverse cutoff: eigenvalues of Σ_B below pinvRtol · λ_max are dropped. Default max(D, K)·ε. */
  pinvRtol?: number;
  /** Subtract the mean classifier row before the classifier's NC2 metrics (Zhou et al.); NC3 uses W as given. Default false. */
  centreWeights?: boolean;
  /** Include the bias in the classifier's decisions for NC4 (default true; rhubarbwu: false). */
  nc4Bias?: boolean;
  /** Classes with no samples: excluded from every class-indexed quantity (default), or refused. */
  emptyClasses?: 'exclude' | 'error';
  /**
   * Exponent p of the squared distance in CDNV, mean (v_k + v_l)/(2 (‖μ_k − μ_l‖²)^p) (rhubarbwu's `dist_exp`);
   * default 1, Galanti et al.'s CDNV.
   */
  cdnvExponent?: number;
  /**
   * Precision of the GNC2 kernel values (gnc2*): 'float64' (default), or 'float32' — each kernel value rounded to
   * float32 before the mean and variance, as rhubarbwu's `kernel_stats` stores its grid (the `rhubarbwu` preset).
   */
  kernelPrecision?: 'float64' | 'float32';
}

/** The conventions a report actually used: every field resolved, plus the cutoff it applied. */
export interface ResolvedConventions {
  preset: PresetName;
  globalMean: GlobalMeanConvention;
  nc1Normalization: 'K' | 'none';
  /** Rule behind pinvRtol, e.g. "max(D,K)*eps" or "D*eps" or "user". */
  pinvRtolRule: string;
  pinvRtol: number;
  centreWeights: boolean;
  nc4Bias: boolean;
  emptyClasses: 'exclude' | 'error';
  cdnvExponent: number;
  kernelPrecision: 'float64' | 'float32';
  /** Σ_W and Σ_B normalisation, fixed: Σ_W = (1/N)Σ_i …, Σ_B = (1/K)Σ_k …, standard deviations with n − 1. */
  covariance: 'Sigma_W/N, Sigma_B/K';
}

const EPS = 2 ** -52;

interface PresetDefaults {
  globalMean: GlobalMeanConvention;
  nc1Normalization: 'K' | 'none';
  pinvRtolRule: 'max(D,K)*eps' | 'D*eps';
  centreWeights: boolean;
  nc4Bias: boolean;
  kernelPrecision: 'float64' | 'float32';
}

/** What each preset fixes. The numbers of the metrics that a preset does not mention follow DESIGN.md's defaults. */
export const PRESETS: Readonly<Record<PresetName, Readonly<PresetDefaults>>> = {
  /** DESIGN.md defaults: class-uniform μ_G, NC1 with /K, bias in NC4. */
  ncscope: { globalMean: 'class', nc1Normalization: 'K', pinvRtolRule: 'max(D,K)*eps', centreWeights: false, nc4Bias: true, kernelPrecision: 'float64' },
  /** Papyan, Han & Donoho 2020 notebook: uniform μ_G, NC1 without /K, W not centred. */
  papyan: { globalMean: 'class', nc1Normalization: 'none', pinvRtolRule: 'max(D,K)*eps', centreWeights: false, nc4Bias: true, kernelPrecision: 'float64' },
  /**
   * rhubarbwu/neural-collapse: uniform μ_G, pinv rtol D·ε·σ_max, NCC/classifier agreement without the bias, GNC2
   * kernels in a float32 grid (its `kernel_stats`).
   */
  rhubarbwu: { globalMean: 'class', nc1Normalization: 'K', pinvRtolRule: 'D*eps', centreWeights: false, nc4Bias: false, kernelPrecision: 'float32' },
  /** Zhu et al. 2021: sample-weighted μ_G, raw W. */
  zhu: { globalMean: 'sample', nc1Normalization: 'K', pinvRtolRule: 'max(D,K)*eps', centreWeights: false, nc4Bias: true, kernelPrecision: 'float64' },
  /** Zhou et al. 2022: sample-weighted μ_G, W centred for the NC2 classifier metrics (not for NC3). */
  zhou: { globalMean: 'sample', nc1Normalization: 'K', pinvRtolRule: 'max(D,K)*eps', centreWeights: true, nc4Bias: true, kernelPrecision: 'float64' },
};

/** Resolves options against a preset for data of dimension D with K classes. */
export function resolveConventions(options: ConventionOptions, D: number, K: number): ResolvedConventions {
  const preset = options.preset ?? 'ncscope';
  const base = PRESETS[preset];
  if (!base) throw new NcInputError('BAD_OPTION', `unknown preset "${preset}"; choose one of ${Object.keys(PRESETS).join(', ')}`);
  if (options.globalMean !== undefined && options.globalMean !== 'class' && options.globalMean !== 'sample') {
    throw new NcInputError('BAD_OPTION', `globalMean must be "class" or "sample", got "${options.globalMean}"`);
  }
  if (options.pinvRtol !== undefined && !(options.pinvRtol >= 0 && options.pinvRtol < 1)) {
    throw new NcInputError('BAD_OPTION', `pinvRtol must be in [0, 1), got ${options.pinvRtol}`);
  }
  if (options.cdnvExponent !== undefined && !(typeof options.cdnvExponent === 'number' && Number.isFinite(options.cdnvExponent) && options.cdnvExponent > 0)) {
    throw new NcInputError('BAD_OPTION', `cdnvExponent must be a positive finite number, got ${options.cdnvExponent}`);
  }
  if (options.kernelPrecision !== undefined && options.kernelPrecision !== 'float64' && options.kernelPrecision !== 'float32') {
    throw new NcInputError('BAD_OPTION', `kernelPrecision must be "float64" or "float32", got "${options.kernelPrecision}"`);
  }
  const rule = options.pinvRtol !== undefined ? 'user' : base.pinvRtolRule;
  const rtol = options.pinvRtol ?? (base.pinvRtolRule === 'D*eps' ? D * EPS : Math.max(D, K) * EPS);
  return {
    preset,
    globalMean: options.globalMean ?? base.globalMean,
    nc1Normalization: options.nc1Normalization ?? base.nc1Normalization,
    pinvRtolRule: rule,
    pinvRtol: rtol,
    centreWeights: options.centreWeights ?? base.centreWeights,
    nc4Bias: options.nc4Bias ?? base.nc4Bias,
    emptyClasses: options.emptyClasses ?? 'exclude',
    cdnvExponent: options.cdnvExponent ?? 1,
    kernelPrecision: options.kernelPrecision ?? base.kernelPrecision,
    covariance: 'Sigma_W/N, Sigma_B/K',
  };
}
