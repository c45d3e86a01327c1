/** The CE-stall README's tables and figure, from results/*.json (npm run tables). */
import { fileURLToPath } from 'node:url';
import { defineOutputs } from '../lib/outputs.js';
import { markdownTable, sig } from '../lib/markdown.js';
import { curvesFigure } from '../lib/plot.js';
import { costOf, readResults, type ResultFile } from '../lib/results.js';
import { formatCell, meanStd } from '../lib/stats.js';
import type { CurvePoint } from '../losses-equal/train.js';
import { CE_STALL_RUNS } from './runs.js';

const here = fileURLToPath(new URL('.', import.meta.url));
type Result = { final: CurvePoint; curve: CurvePoint[] };
const all = () => readResults<Result>(here);
const byName = (results: ResultFile<Result>[], name: string) => results.filter((r) => r.protocol.name === name);

/** mean ± std over seeds of a final quantity, with 3 significant digits. */
function cell(runs: ResultFile<Result>[], pick: (c: CurvePoint) => number): string {
  const s = meanStd(runs.map((r) => pick(r.result.final)));
  return s.n > 1 ? `${sig(s.mean)} ± ${sig(s.std, 2)}` : sig(s.mean);
}

export default defineOutputs({
  tables: {
    runs: () => {
      const results = all();
      const rows = CE_STALL_RUNS.filter((r) => byName(results, r.name).length > 0).map((r) => {
        const runs = byName(results, r.name);
        const minNc1 = meanStd(runs.map((x) => Math.min(...x.result.curve.map((c) => c.nc1))));
        return [
          `\`${r.name}\``, r.what, runs.map((x) => x.seed).join(', '), String(runs[0].protocol.steps),
          cell(runs, (c) => c.trainAcc), cell(runs, (c) => c.testAcc), cell(runs, (c) => c.loss),
          cell(runs, (c) => c.nc1), formatCell(minNc1, 3), cell(runs, (c) => c.etfMeans), cell(runs, (c) => c.nc3),
        ];
      });
      return markdownTable(
        ['run', 'changed from `base`', 'seeds', 'SGD steps', 'train acc', 'test acc', 'train loss', 'NC1 (final)', 'NC1 (lowest measured)', 'ETF(M)', 'NC3 (Zhu)'],
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
      const results = all().filter((r) => r.seed === 1);
      return curvesFigure(
        results.map((r) => ({ name: String(r.protocol.name), points: r.result.curve.map((c) => ({ x: c.epoch, y: c.nc1 })) })),
        { x: 'epoch', y: 'NC1 (training set)', title: 'Cross-entropy NC1 under one change at a time (seed 1)' },
      );
    },
  },
});
