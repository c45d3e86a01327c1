import { createRequire } from 'node:module';
import { Command, CommanderError, Help, type Option } from 'commander';
import { NcInputError } from '@ncscope/core';
import { registerAnalyze } from './commands/analyze.js';
import { registerHead } from './commands/head.js';
import { registerStats } from './commands/stats.js';
import { registerReport } from './commands/report.js';
import { registerOnnx } from './commands/onnx.js';
import { registerOod } from './commands/ood.js';
import { registerUfm } from './commands/ufm.js';
import { CliError, StrictFailure, formatError } from './errors.js';
import { checkDeclaredFiles } from './output/file-options.js';

export { CliError, StrictFailure };

/**
 * The version of this package: package.json sits one level above both src/ and dist/. A bundle of the CLI placed
 * elsewhere (the process tests bundle it) has none there: 'unknown' then.
 */
export const VERSION: string = readVersion();

function readVersion(): string {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Builds the `ncscope` program. Each command lives in ./commands/<name>.ts and registers itself here.
 * Commander's own messages (unknown option, missing argument) print as `ncscope: error: …` on one line.
 */
export function buildProgram(): Command {
  const program = new Command('ncscope')
    .description('Measure Neural Collapse (NC1–NC4) of classifier features, ONNX checkpoints and training runs.')
    .version(VERSION, '-V, --version', 'print the version of ncscope')
    // Every command's help marks its mandatory options (subcommands inherit this setting).
    .configureHelp({
      optionDescription(this: Help, option: Option): string {
        const text = Help.prototype.optionDescription.call(this, option);
        return option.mandatory ? `${text} (required)` : text;
      },
    })
    .configureOutput({ outputError: (text, write) => write(`ncscope: ${text.trimEnd().replace(/\n+/g, ' ')}\n`) })
    .exitOverride()
    // Outputs never replace inputs (or each other): checked for every command before its action reads anything.
    .hook('preAction', checkDeclaredFiles);
  registerAnalyze(program);
  registerHead(program);
  registerStats(program);
  registerReport(program);
  registerOnnx(program);
  registerOod(program);
  registerUfm(program);
  return program;
}

/**
 * Runs the CLI; resolves to the process exit code: 0 success (and --help), 2 bad input or usage (one line
 * `ncscope: error: <file>: <problem>` on stderr, nothing on stdout), 3 a degenerate geometry under `--strict` (the
 * report was printed; one line on stderr says why), 1 an unexpected failure (with its stack).
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof StrictFailure) {
      process.stderr.write(`ncscope: --strict: ${e.message}\n`);
      return 3;
    }
    if (e instanceof NcInputError || e instanceof CliError) {
      // Core's errors are rendered from their data: location, problem, and remedies spelled as this CLI's flags.
      process.stderr.write(`ncscope: error: ${formatError(e)}\n`);
      return 2;
    }
    process.stderr.write(`ncscope: unexpected error: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}
