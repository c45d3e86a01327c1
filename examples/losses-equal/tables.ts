/** The losses-equal README's tables and figure, from results/grid/*.json (npm run tables). */
import { fileURLToPath } from 'node:url';
import { defineOutputs } from '../lib/outputs.js';
import { markdownTable, sig } from '../lib/markdown.js';
import { curvesFigure } from '../lib/plot.js';
import { costOf, readResults, type ResultFile } from '../lib/results.js';
import { meanStd } from '../lib/stats.js';
import type { CurvePoint } from './train.js';

const here = fileURLToPath(new URL('.', import.meta.url));
type Result = { final: CurvePoint; curve: CurvePoint[] };
type Run = ResultFile<Result>;
const LOSSES = ['ce', 'ls', 'fl', 'mse'];
const grid = () => readResults<Result>(here, 'grid/');
const num = (r: Run, key: string) => r.protocol[key] as number;
const uniq = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

/** mean ± std (3 significant digits) of a final quantity over the runs' seeds. */
function cell(runs: Run[], pick: (c: CurvePoint) => number, digits = 3): string {
  const s = meanStd(runs.map((r) => pick(r.result.final)));
  return s.n > 1 ? `${sig(s.mean, digits)} ± ${sig(s.std, 2)}` : sig(s.mean, digits);
}

function cells(all: Run[]) {
  const out: { width: number; epochs: number; loss: string; runs: Run[] }[] = [];
  for (const width of uniq(all.map((r) => num(r, 'width'))))
    for (const epochs of uniq(all.map((r) => num(r, 'epochs'))))
      for (const loss of LOSSES) {
        const runs = all.filter((r) => num(r, 'width') === width && num(r, 'epochs') === epochs && r.protocol.loss === loss);
        if (runs.length) out.push({ width, epochs, loss, runs });
      }
  return out;
}

/** The first measured epoch from which training accuracy stays at 100 % (undefined if it never does). */
function perfectFrom(curve: CurvePoint[]): number | undefined {
  const i = curve.findIndex((_, j) => curve.slice(j).every((c) => c.trainAcc === 1));
  return i < 0 ? undefined : curve[i].epoch;
}

export default defineOutputs({
  tables: {
    grid: () =>
      markdownTable(
        ['width', 'epochs', 'loss', 'seeds', 'train acc', '100 % from epoch', 'test acc', 'train loss', 'NC1', 'ETF(M)', 'ETF(W)', 'NC3 (Zhu)'],
        cells(grid()).map(({ width, epochs, runs }) => [
          String(width), String(epochs), String(runs[0].protocol.lossName), runs.map((r) => r.seed).join(', '),
          cell(runs, (c) => c.trainAcc, 4), runs.map((r) => perfectFrom(r.result.curve) ?? '—').join(', '), cell(runs, (c) => c.testAcc, 4), cell(runs, (c) => c.loss), cell(runs, (c) => c.nc1),
          cell(runs, (c) => c.etfMeans), cell(runs, (c) => c.etfWeights), cell(runs, (c) => c.nc3),
        ]),
        ['r', 'r', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    gaps: () => {
      const all = grid();
      const rows: string[][] = [];
      for (const width of uniq(all.map((r) => num(r, 'width'))))
        for (const epochs of uniq(all.map((r) => num(r, 'epochs')))) {
          const here4 = cells(all).filter((c) => c.width === width && c.epochs === epochs);
          if (here4.length < LOSSES.length) continue;
          const mean = (c: (typeof here4)[number], pick: (p: CurvePoint) => number) => meanStd(c.runs.map((r) => pick(r.result.final))).mean;
          const acc = here4.map((c) => mean(c, (p) => p.testAcc));
          const nc1 = here4.map((c) => mean(c, (p) => p.nc1));
          const etf = here4.map((c) => mean(c, (p) => p.etfMeans));
          const seedStd = Math.max(...here4.map((c) => meanStd(c.runs.map((r) => r.result.final.testAcc)).std));
          const seeds = Math.min(...here4.map((c) => c.runs.length));
          rows.push([
            String(width), String(epochs), String(seeds),
            (Math.max(...acc) - Math.min(...acc)).toFixed(4), seeds > 1 ? seedStd.toFixed(4) : '—',
            `${sig(Math.min(...nc1))}–${sig(Math.max(...nc1))}`, `${(Math.max(...nc1) / Math.min(...nc1)).toFixed(1)}×`,
            (Math.max(...etf) - Math.min(...etf)).toFixed(3),
          ]);
        }
      return markdownTable(['width', 'epochs', 'seeds per loss', 'test acc range across losses', 'largest seed std of test acc', 'NC1 across losses', 'NC1 max / min', 'ETF(M) range'], rows, ['r', 'r', 'r', 'r', 'r', 'l', 'r', 'r']);
    },
    cost: () => {
      const c = costOf(grid());
      return `${c.runs} runs, ${c.cpuHours.toFixed(2)} CPU-hours in all (seeds ${c.seeds.join(', ')}; ${c.cpuModels.join('; ')}; tfjs wasm backend, one core per training, on a machine shared with other jobs).`;
    },
  },
  figures: {
    'nc1-vs-epochs.svg': () => {
      const all = grid();
      const series = [];
      for (const width of uniq(all.map((r) => num(r, 'width'))))
        for (const loss of LOSSES) {
          const runs = all.filter((r) => num(r, 'width') === width && r.protocol.loss === loss);
          if (!runs.length) continue;
          const points = uniq(runs.map((r) => num(r, 'epochs'))).map((epochs) => ({ x: epochs, y: meanStd(runs.filter((r) => num(r, 'epochs') === epochs).map((r) => r.result.final.nc1)).mean }));
          series.push({ name: `${runs[0].protocol.lossName} w${width}`, points });
        }
      return curvesFigure(series, { x: 'training length (epochs; lr ÷10 at 3/7 and 5/7)', y: 'final NC1 (training set)', title: 'Final NC1 per loss and width', logX: true });
    },
  },
});
