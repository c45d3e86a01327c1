/**
 * Shared by the issue-14 benchmarks: the full analysis of synthetic data in memory, phase by phase (means, the
 * K-sized set-up, the spread pass, the report), with wall and per-thread CPU time, the product rate of the spread
 * pass and the peak RSS.
 */
import { cpus, loadavg } from 'node:os';
import { MeansAccumulator, SpreadAccumulator, computeReport, type Classifier, type NcReport, type ProductEngine } from '@ncscope/core';
import { describeTimes, threadTimes, type ThreadTimes } from './threads.js';

export interface PhaseResult { name: string; wall: number; times?: ThreadTimes }

export interface ScaleRun {
  phases: PhaseResult[];
  total: number;
  report: NcReport;
  /** Multiply-adds × 2 of the spread pass's products (R·[M_s;W]ᵀ, the scatter, the per-class quadratic forms). */
  spreadFlops: number;
  space: string;
}

export async function runPhases(features: Float32Array, labels: Int32Array, K: number, D: number, engine: ProductEngine, classifier: Classifier | undefined, perClassNc1: boolean): Promise<ScaleRun> {
  const phases: PhaseResult[] = [];
  const phase = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const { result, times } = await threadTimes(f);
    phases.push({ name, wall: times?.wall ?? NaN, times });
    return result;
  };
  const t0 = performance.now();
  const batch = { features, labels };
  const means = await phase('means', async () => (await new MeansAccumulator({ K, engine }).addAsync(batch)).statistics);
  let acc: SpreadAccumulator | undefined = await phase('set-up', () => SpreadAccumulator.create(means, { classifier, engine, perClassNc1: perClassNc1 ? {} : false }));
  await phase('spread', () => acc!.add(batch));
  const { space, m } = acc.reference;
  const quadRows = acc.reference.quadratic?.rows ?? 0;
  const spread = acc.statistics;
  acc = undefined; // as in analyze(): the reference and the engine's copies of it are not held during the report
  const report = await phase('report', () => computeReport(means, spread, { classifier, engine }));
  const total = (performance.now() - t0) / 1000;
  const N = labels.length;
  const cols = classifier ? 2 * K : K;
  const zFlops = 2 * N * D * (space === 'means' || classifier ? cols : 0);
  const scatterFlops = 2 * N * m * m;
  const quadFlops = 2 * N * m * quadRows;
  return { phases, total, report, spreadFlops: zFlops + scatterFlops + quadFlops, space };
}

export function printRun(label: string, run: ScaleRun): void {
  console.log(`\n${label}: ${run.total.toFixed(2)} s in all (scatter space '${run.space}')`);
  for (const p of run.phases) console.log(`  ${p.name.padEnd(8)} ${p.wall.toFixed(3).padStart(8)} s   ${describeTimes(p.times)}`);
  const spread = run.phases.find((p) => p.name === 'spread')!;
  console.log(`  spread-pass products: ${(run.spreadFlops / 1e9).toFixed(0)} GFLOP at ${(run.spreadFlops / spread.wall / 1e9).toFixed(1)} GFLOP/s wall`);
}

export function machine(): string {
  return `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (1/5/15 min)`;
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
