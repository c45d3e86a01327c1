import { Option, type Command } from 'commander';
import type { FeatureNormalization, NcReport } from '@ncscope/core';
import { CliError, StrictFailure } from '../errors.js';

/** Flags shared by `analyze`, `onnx` and `stats means`: feature normalization (Yaras et al. 2022). */
export interface NormalizeFlags {
  normalize?: FeatureNormalization;
  temperature?: number;
}

/** Flags shared by the commands that print reports. */
export interface ReportFlags {
  minorityBelow?: number;
  cdnvExponent?: number;
  strict?: boolean;
}

/** A commander parser for a positive finite number, naming the flag on error. */
export function positiveNumber(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CliError(`${flag}: expected a positive number, got '${value}'`);
    return n;
  };
}

/** Adds `--normalize` and `--temperature`. */
export function addNormalizeOptions(c: Command): Command {
  return c
    .addOption(
      new Option('--normalize <mode>', 'compute every metric on h/‖h‖ (features), and on w_k/‖w_k‖ too (features-and-classifier); Yaras et al. 2022 (default: none)')
        .choices(['none', 'features', 'features-and-classifier']),
    )
    .option('--temperature <tau>', 'with --normalize: scale the normalized features to norm τ (τ·h/‖h‖; default 1)', positiveNumber('--temperature'));
}

/** Adds `--minority-below`, `--cdnv-exponent` and `--strict`. */
export function addReportOptions(c: Command): Command {
  return c
    .option('--minority-below <n>', 'classes with fewer samples are the minority of the imbalance section (default: half the largest class)', positiveNumber('--minority-below'))
    .option('--cdnv-exponent <p>', 'CDNV with the squared distance to the power p (rhubarbwu dist_exp; default 1)', positiveNumber('--cdnv-exponent'))
    .option('--strict', 'exit with code 3 (after printing the report) when the geometry is degenerate');
}

/** `--temperature` without `--normalize` is refused before anything is read. */
export function checkNormalizeFlags(flags: NormalizeFlags): void {
  if (flags.temperature !== undefined && (flags.normalize === undefined || flags.normalize === 'none')) {
    throw new CliError('--temperature scales normalized features: give it with --normalize features (or features-and-classifier)');
  }
}

/** Under `--strict`, a StrictFailure naming every degenerate report (thrown after the output was written). */
export function checkStrict(strict: boolean | undefined, reports: { report: NcReport; where: string }[]): void {
  if (!strict) return;
  const bad = reports.filter((r) => r.report.degenerate);
  if (bad.length === 0) return;
  const what = (r: NcReport) => ((r.degenerateParts ?? ['means']).map((p) => (p === 'means' ? 'the class means coincide' : 'the classifier rows are zero or identical')).join('; '));
  throw new StrictFailure(`degenerate geometry (${[...new Set(bad.map((r) => what(r.report)))].join('; ')}; this is not collapse) in ${bad.map((r) => r.where).join(', ')}`);
}
