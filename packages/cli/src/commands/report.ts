import { InvalidArgumentError, type Command } from 'commander';

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
    .argument('<logs...>', 'measurement logs (JSONL, one ncscope.measurement/1 object per line)')
    .requiredOption('-o, --output <file>', 'HTML file to write (written whole or not at all)')
    .option('--title <text>', 'page title', undefined)
    .option('--step <n>', 'show the per-class snapshot at this step (default: each run\'s last measurement)', parseStep)
    .action(async (logs: string[], flags: ReportFlags) => {
      // The page renderer pulls in vega and vega-lite: loaded when the command runs, not when the program starts.
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
