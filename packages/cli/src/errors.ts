/**
 * Thrown by commands for user errors that are not NcInputErrors (missing or corrupt files, bad flags).
 * `main` prints its message as one line, `ncscope: error: <message>`, and exits with code 2. Messages start with
 * the file they are about: `feats.npy: truncated: …`.
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
