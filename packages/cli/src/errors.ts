import { NcInputError, librarySpelling, type OptionSpelling } from '@ncscope/core';

/**
 * Thrown by commands for user errors about flags that are not NcInputErrors (a missing flag, flags that exclude each
 * other). `main` prints its message as one line, `ncscope: error: <message>`, and exits with code 2. Messages start
 * with the file or flag they are about: `feats.npy: --bias needs --weights`.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * Thrown after the output was written when `--strict` finds a degenerate geometry (all-zero features, one distinct
 * feature vector, coinciding class means): `main` prints the message on stderr and exits with code 3.
 */
export class StrictFailure extends Error {
  override readonly name = 'StrictFailure';
}

/** The command line's spelling of the library options that errors name as remedies. */
const FLAGS: Readonly<Record<string, (value: string | undefined) => string>> = {
  K: (v) => `--classes ${v ?? 'K'}`,
  emptyClasses: (v) => `--empty-classes ${v ?? 'exclude'}`,
  featuresKey: () => '--features-key NAME',
  labelsKey: () => '--labels-key NAME',
  weightsKey: () => '--weights-key NAME',
  biasKey: () => '--bias-key NAME',
  weights: () => '--weights FILE',
  tensors: () => '--tensor NAME',
};

/** Spells a remedy's option as a flag (`emptyClasses: 'exclude'` → `--empty-classes exclude`). */
export const cliSpelling: OptionSpelling = (option, value) => FLAGS[option]?.(value) ?? librarySpelling(option, value);

/** The one-line text of an error for stderr: NcInputErrors rendered from their data with the CLI's flags. */
export function formatError(e: Error): string {
  return e instanceof NcInputError ? e.format(cliSpelling) : e.message;
}
