/** The CE-stall README's tables and figure, from results/*.json (npm run tables). */
import { fileURLToPath } from 'node:url';
import { defineOutputs } from '../lib/outputs.js';
import { markdownTable, sig } from '../lib/markdown.js';
import { curvesFigure } from '../lib/plot.js';
import { costOf, readResults, type ResultFile } from '../lib/results.js';
import { meanStd } from '../lib/stats.js';
import type { CurvePoint } from '../losses-equal/train.js';
import { CE_STALL_RUNS } from './runs.js';

const here = fileURLToPath(new URL('.', import.meta.url));
type Result = { final: CurvePoint; curve: CurvePoint[] };
const all = () => readResults<Result>(here);
const byName = (results: ResultFile<Result>[], name: string) => results.filter((r) => r.protocol.name === name);

/** mean ± std over seeds of a final quantity, with 3 significant digits. */
function cell(runs: ResultFile<Result>[], pick: (c: CurvePoint) => number, digits = 3): string {
  const s = meanStd(runs.map((r) => pick(r.result.final)));
  return s.n > 1 ? `${sig(s.mean, digits)} ± ${sig(s.std, 2)}` : sig(s.mean, digits);
}

export default defineOutputs({
  tables: {
    runs: () => {
      const results = all();
      const rows = CE_STALL_RUNS.filter((r) => byName(results, r.name).length > 0).map((r) => {
        const runs = byName(results, r.name);
        const head = [`\`${r.name}\``, r.what, runs.map((x) => x.seed).join(', '), String(runs[0].protocol.steps)];
        // A run whose loss blew up (NaN weights give a singular, even negative, NC1) is marked, not averaged.
        const diverged = runs.filter((x) => x.result.curve.some((c) => !(c.nc1 >= 0) || !Number.isFinite(c.loss)));
        if (diverged.length) return [...head, cell(runs, (c) => c.trainAcc, 4), cell(runs, (c) => c.testAcc, 4), `diverged (${diverged.length}/${runs.length} seeds)`, '—', '—', '—', '—'];
        const minNc1 = meanStd(runs.map((x) => Math.min(...x.result.curve.map((c) => c.nc1))));
        return [
          ...head,
          cell(runs, (c) => c.trainAcc, 4), cell(runs, (c) => c.testAcc, 4), cell(runs, (c) => c.loss),
          cell(runs, (c) => c.nc1), minNc1.n > 1 ? `${sig(minNc1.mean)} ± ${sig(minNc1.std, 2)}` : sig(minNc1.mean), cell(runs, (c) => c.etfMeans), cell(runs, (c) => c.nc3),
        ];
      });
      return markdownTable(
        ['run', 'changed from `base`', 'seeds', 'SGD steps', 'train acc', 'test acc', 'train loss (with the L2 term)', 'NC1 (final)', 'NC1 (lowest measured)', 'ETF(M)', 'NC3 (Zhu)'],
        rows,
        ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      );
    },
    cost: () => {
      const c = costOf(all());
      return `${c.runs} runs, ${c.cpuHours.toFixed(2)} CPU-hours in all (seeds ${c.seeds.join(', ')}; ${c.cpuModels.join('; ')}; tfjs wasm backend, one core per training, on a machine shared with other jobs).`;
    },
  },
  figures: {
    'nc1-curves.svg': () => {
      const results = all().filter((r) => r.seed === 1 && r.result.curve.every((c) => c.nc1 >= 0));
      return curvesFigure(
        results.map((r) => ({ name: String(r.protocol.name), points: r.result.curve.map((c) => ({ x: c.epoch, y: c.nc1 })) })),
        { x: 'epoch', y: 'NC1 (training set)', title: 'Cross-entropy NC1 under one change at a time (seed 1)' },
      );
    },
  },
});
