import { Command, CommanderError } from 'commander';
import { NcInputError } from '@ncscope/core';
import { registerAnalyze } from './commands/analyze.js';

/** Thrown by commands for user errors that are not NcInputErrors (missing files, bad flags). Printed as one line. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Builds the `ncscope` program. Each command lives in ./commands/<name>.ts and registers itself here. */
export function buildProgram(): Command {
  const program = new Command('ncscope')
    .description('Measure Neural Collapse (NC1–NC4) of classifier features, ONNX checkpoints and training runs.')
    .showHelpAfterError()
    .exitOverride();
  registerAnalyze(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. Errors print one clear line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof NcInputError || e instanceof CliError) {
      process.stderr.write(`ncscope: error: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`ncscope: unexpected error: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}
