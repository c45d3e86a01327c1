/** The language-model README's tables, from results/grid/*.json (npm run tables -- language-model). */
import { fileURLToPath } from 'node:url';
import { defineOutputs } from '../lib/outputs.js';
import { markdownTable, sig } from '../lib/markdown.js';
import { costOf, readResults, type ResultFile } from '../lib/results.js';
import { meanStd } from '../lib/stats.js';
import type { EpochPoint, RunResult } from './main.js';

const here = fileURLToPath(new URL('.', import.meta.url));
type Run = ResultFile<RunResult>;
const grid = () => readResults<RunResult>(here, 'grid/');
const widths = (runs: Run[]) => [...new Set(runs.map((r) => r.protocol.width as number))].sort((a, b) => a - b);
const ofWidth = (runs: Run[], w: number) => runs.filter((r) => r.protocol.width === w);

/** mean ± std over seeds. */
function cell(values: number[], digits = 3): string {
  const s = meanStd(values);
  return s.n > 1 ? `${sig(s.mean, digits)} ± ${sig(s.std, 2)}` : sig(s.mean, digits);
}

const pick = (runs: Run[], at: (r: Run) => EpochPoint, key: keyof EpochPoint) => runs.map((r) => at(r)[key] as number);
const first = (r: Run) => r.result.curve[0];
const last = (r: Run) => r.result.final;

/** Spearman's rank correlation of two equally long lists (average ranks for ties). */
function spearman(x: number[], y: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((value, i) => ({ value, i })).sort((a, b) => a.value - b.value);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1].value === order[i].value) j++;
      for (let k = i; k <= j; k++) r[order[k].i] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(x);
  const ry = rank(y);
  const mx = rx.reduce((a, b) => a + b, 0) / rx.length;
  const my = ry.reduce((a, b) => a + b, 0) / ry.length;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < rx.length; i++) { sxy += (rx[i] - mx) * (ry[i] - my); sxx += (rx[i] - mx) ** 2; syy += (ry[i] - my) ** 2; }
  return sxy / Math.sqrt(sxx * syy);
}

export default defineOutputs({
  tables: {
    final: () => {
      const runs = grid();
      return markdownTable(
        ['width d', 'parameters', 'seeds', 'held-out loss', 'held-out acc', 'CDNV', 'NCC agreement', 'NC1', 'ETF error (means)', 'tokens N', 'classes K'],
        widths(runs).map((w) => {
          const rs = ofWidth(runs, w);
          return [
            String(w), String(rs[0].result.params), rs.map((r) => r.seed).join(', '),
            cell(pick(rs, last, 'valLoss')), cell(pick(rs, last, 'valAcc')), cell(pick(rs, last, 'cdnv')), cell(pick(rs, last, 'nccAgreement')),
            cell(pick(rs, last, 'nc1')), cell(pick(rs, last, 'etfErrorMeans')), String(last(rs[0]).N), String(last(rs[0]).K),
          ];
        }),
        ['r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      );
    },
    curve: () => {
      const runs = grid();
      const epochs = runs.length ? runs[0].result.curve.map((c) => c.epoch) : [];
      const rows: string[][] = [];
      for (const w of widths(runs)) {
        const rs = ofWidth(runs, w);
        for (const e of epochs) {
          const at = (r: Run) => r.result.curve.find((c) => c.epoch === e)!;
          rows.push([String(w), String(e), cell(pick(rs, at, 'loss')), cell(pick(rs, at, 'valLoss')), cell(pick(rs, at, 'cdnv')), cell(pick(rs, at, 'nccAgreement')), cell(pick(rs, at, 'nc1'))]);
        }
      }
      return markdownTable(['width d', 'epoch', 'training loss', 'held-out loss', 'CDNV', 'NCC agreement', 'NC1'], rows, ['r', 'r', 'r', 'r', 'r', 'r', 'r']);
    },
    trends: () => {
      const runs = grid();
      if (!runs.length) return '(no runs yet)';
      const n = runs.length;
      const count = (f: (r: Run) => boolean) => `${runs.filter(f).length} of ${n}`;
      const ws = runs.map((r) => r.protocol.width as number);
      const rho = (key: keyof EpochPoint) => sig(spearman(ws, runs.map((r) => last(r)[key] as number)), 2);
      const cost = costOf(runs);
      return markdownTable(['Wu & Papyan\'s trend', 'at this scale'], [
        ['CDNV falls with training (last epoch below the first)', count((r) => last(r).cdnv < first(r).cdnv)],
        ['NCC agreement rises with training (last epoch above the first)', count((r) => last(r).nccAgreement > first(r).nccAgreement)],
        ['CDNV falls with width (Spearman ρ of width and final CDNV, all runs)', rho('cdnv')],
        ['NCC agreement rises with width (Spearman ρ of width and final agreement)', rho('nccAgreement')],
        ['held-out loss falls with width (Spearman ρ of width and final held-out loss)', rho('valLoss')],
        ['runs, seeds, CPU time', `${cost.runs} runs, seeds ${cost.seeds.join(', ')}, ${cost.cpuHours.toFixed(2)} CPU-hours (${cost.cpuModels.join(', ')})`],
      ], ['l', 'r']);
    },
  },
});
