/**
 * Result files of the research examples: one small JSON file per finished run, committed in the example's folder
 * (`examples/<name>/results/<run>.json`), from which `npm run tables` regenerates the README tables and figures.
 *
 * A run writes its file only when it has finished (to a temporary name, then renamed), so a file that exists is a
 * whole run: a training script skips runs whose file exists (`hasResult`), and a grid split over processes or
 * sessions (`--widths 256`, `--seeds 3`, …) resumes where it stopped. Every file records its seed, the protocol
 * (every setting that defines the run) and the machine it ran on.
 */
import { cpus, loadavg, platform } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** The `schema` field of every result file. */
export const RESULT_SCHEMA = 'ncscope-example-result/1';

/** Where a run ran: enough to read its timings (cores, processor, Node, tfjs backend, load when it started). */
export interface Machine {
  cpus: number;
  cpuModel: string;
  platform: string;
  node: string;
  /** tfjs backend the run trained on, if any. */
  backend?: string;
  /** One-minute load average when the run started (the machine is shared: timings are only comparable at equal load). */
  load1: number;
}

/** One finished run. `result` holds the run's measurements (final values, curves), in the example's own shape. */
export interface ResultFile<R = unknown> {
  schema: typeof RESULT_SCHEMA;
  /** The example's folder name, e.g. "losses-equal". */
  example: string;
  /** The run's id, also its path under results/ without ".json" (may contain "/" for parts of a grid). */
  run: string;
  /** The seed of the run (initialisation, data, batch order where the run controls it); null when nothing is random. */
  seed: number | null;
  /** Every setting that defines the run (loss and its parameters, optimiser, schedule, width, data size, …). */
  protocol: Record<string, unknown>;
  machine: Machine;
  /** ISO time the run finished. */
  finished: string;
  /** Wall-clock seconds of the run. */
  seconds: number;
  /** CPU seconds (user + system) the process spent on the run. */
  cpuSeconds: number;
  result: R;
}

/** The machine this process runs on, with the tfjs backend if given. */
export function machine(backend?: string): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    platform: platform(),
    node: process.version,
    ...(backend === undefined ? {} : { backend }),
    load1: Math.round(loadavg()[0] * 100) / 100,
  };
}

/** Wall-clock and CPU time of a run: `const t = startTimer(); …; t.elapsed()`; also the machine at the start. */
export function startTimer(backend?: string): { machine: Machine; elapsed: () => { seconds: number; cpuSeconds: number } } {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const m = machine(backend);
  return {
    machine: m,
    elapsed: () => {
      const used = process.cpuUsage(cpu);
      return { seconds: round((performance.now() - start) / 1000, 1), cpuSeconds: round((used.user + used.system) / 1e6, 1) };
    },
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The results folder of an example, given the example's folder (e.g. `new URL('.', import.meta.url)` as a path). */
export function resultsDir(exampleDir: string): string {
  return join(exampleDir, 'results');
}

/** The path of a run's result file. */
export function resultPath(exampleDir: string, run: string): string {
  if (!/^[A-Za-z0-9._=+-]+(\/[A-Za-z0-9._=+-]+)*$/.test(run) || run.split('/').some((p) => p === '.' || p === '..')) {
    throw new Error(`result run id "${run}": use letters, digits and . _ = + -, with "/" between parts`);
  }
  return join(resultsDir(exampleDir), `${run}.json`);
}

/** True when the run has a result file (a training script skips such runs). */
export function hasResult(exampleDir: string, run: string): boolean {
  return existsSync(resultPath(exampleDir, run));
}

/**
 * Writes a run's result file whole (temporary name, then rename) and returns its path. `seconds`, `cpuSeconds` and
 * `machine` usually come from {@link startTimer}.
 */
export function writeResult<R>(exampleDir: string, record: Omit<ResultFile<R>, 'schema' | 'finished'> & { finished?: string }): string {
  const path = resultPath(exampleDir, record.run);
  const file: ResultFile<R> = {
    schema: RESULT_SCHEMA,
    example: record.example,
    run: record.run,
    seed: record.seed,
    protocol: record.protocol,
    machine: record.machine,
    finished: record.finished ?? new Date().toISOString(),
    seconds: record.seconds,
    cpuSeconds: record.cpuSeconds,
    result: record.result,
  };
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, compactNumbers)}\n`);
  renameSync(temporary, path);
  return path;
}

/** Numbers keep 6 significant digits in result files (float32 training does not carry more; files stay small). */
function compactNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value) ? Number(value.toPrecision(6)) : value;
}

/**
 * Every result file of an example (optionally only runs whose id starts with `prefix`), sorted by run id. A file
 * that is not a result file of this example is an error naming it.
 */
export function readResults<R = unknown>(exampleDir: string, prefix = ''): ResultFile<R>[] {
  const root = resultsDir(exampleDir);
  if (!existsSync(root)) return [];
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json')) files.push(path);
    }
  };
  walk(root);
  const out: ResultFile<R>[] = [];
  for (const path of files) {
    const run = relative(root, path).split(sep).join('/').replace(/\.json$/, '');
    if (!run.startsWith(prefix)) continue;
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as ResultFile<R>;
    if (parsed.schema !== RESULT_SCHEMA || parsed.run !== run) {
      throw new Error(`${path}: not a result file of run "${run}" (schema ${String(parsed.schema)}, run ${String(parsed.run)})`);
    }
    out.push(parsed);
  }
  return out.sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : 0));
}

/** Sum of the CPU seconds and the seeds of a set of runs, for a README's "what this cost" line. */
export function costOf(results: readonly ResultFile[]): { runs: number; cpuHours: number; seeds: number[]; cpuModels: string[] } {
  const cpu = results.reduce((a, r) => a + r.cpuSeconds, 0);
  return {
    runs: results.length,
    cpuHours: cpu / 3600,
    seeds: [...new Set(results.map((r) => r.seed).filter((s): s is number => s !== null))].sort((a, b) => a - b),
    cpuModels: [...new Set(results.map((r) => `${r.machine.cpus} × ${r.machine.cpuModel}`))],
  };
}
