import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { inputFile, outputFile } from '../output/file-options.js';

interface ReportFlags {
  output: string;
  title?: string;
  step?: number;
}

function parseStep(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number (an epoch or checkpoint index)');
  return n;
}

/**
 * `ncscope report a.jsonl [b.jsonl …] -o report.html [--title T] [--step N]` — one self-contained HTML page
 * (inline SVG, no network) with the NC1–NC4 trends of every run overlaid and a per-class snapshot of each run's
 * last (or step-N) measurement. Inputs are measurement logs (`ncscope.measurement/1` JSONL).
 */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('HTML report with plots of NC runs (JSONL logs from the tfjs callback or `ncscope onnx --jsonl`)')
    .addArgument(inputFile(new Argument('<logs...>', 'measurement logs (JSONL, one ncscope.measurement/1 object per line)')))
    .addOption(outputFile(new Option('-o, --output <file>', 'HTML file to write (written whole or not at all)').makeOptionMandatory()))
    .option('--title <text>', 'page title (default: "Neural Collapse report")')
    .option('--step <n>', 'show the per-class snapshot at this step (default: each run\'s last measurement)', parseStep)
    .action(async (logs: string[], flags: ReportFlags) => {
      // vega and vega-lite load only when a page is drawn (they are large, and vega-canvas awaits at top level,
      // which would stop require('ncscope') on Node's require(esm)).
      const { readRuns, writeHtmlReport } = await import('../html/index.js');
      const runs = await readRuns(logs);
      const written = await writeHtmlReport(runs, flags.output, {
        title: flags.title,
        step: flags.step,
        command: ['ncscope report', ...logs, '-o', flags.output, ...(flags.title ? ['--title', JSON.stringify(flags.title)] : []), ...(flags.step !== undefined ? ['--step', String(flags.step)] : [])].join(' '),
      });
      const n = runs.reduce((s, r) => s + r.measurements.length, 0);
      process.stdout.write(`wrote ${written.path}: ${runs.length} run${runs.length > 1 ? 's' : ''}, ${n} measurement${n > 1 ? 's' : ''}, ${written.plots} plots, ${(written.bytes / 1024).toFixed(0)} KiB\n`);
    });
}
