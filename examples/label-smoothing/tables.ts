/** The label-smoothing README's tables, from results/{network,ufm,conditioning}/ and losses-equal's grid (npm run tables). */
import { fileURLToPath } from 'node:url';
import { defineOutputs } from '../lib/outputs.js';
import { markdownTable, sig } from '../lib/markdown.js';
import { costOf, readResults, type ResultFile } from '../lib/results.js';
import { atLevel, firstBelow, formatCell, meanStd } from '../lib/stats.js';
import type { CurvePoint } from '../losses-equal/train.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const lossesEqual = fileURLToPath(new URL('../losses-equal/', import.meta.url));
interface UfmPoint { step: number; nc1: number; etf: number; etfW: number }
interface Conditioning {
  full: { conditionNumber: number; min: number; max: number };
  within: { min: number; mean: number; max: number };
  withinSpanW: { min: number; mean: number; max: number; spanRank: number };
  logit: { conditionNumber: number; trueClassProbability: number };
  trueLogit: number | null;
}
const ORDER = ['ce', 'ls0.05', 'ls0.1', 'ls0.2', 'ls0.3', 'mse'];
const idOf = (r: ResultFile) => r.run.split('/').pop()!.replace(/-s\d+$/, '');
const byLoss = <R>(results: ResultFile<R>[]) => ORDER.map((id) => results.filter((r) => idOf(r) === id)).filter((g) => g.length > 0);

/** "mean ± std" of the values that exist, "never" / "—" when none, with "(hits/runs)" when some runs never got there. */
function summary(xs: (number | undefined)[], digits: number, never = '—'): string {
  const hit = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  if (hit.length === 0) return never;
  const s = formatCell(meanStd(hit), digits);
  return hit.length < xs.length ? `${s} (${hit.length}/${xs.length})` : s;
}

/** Epochs to NC1 levels, ETF errors at equal NC1, final values — one row per loss over seeds. */
function networkTable(groups: ResultFile<{ curve: CurvePoint[] }>[][], levels: number[], nc2At: number[]): string {
  const rows = groups.map((runs) => {
    const curves = runs.map((r) => r.result.curve);
    const nc1 = (p: CurvePoint) => p.nc1;
    const last = (c: CurvePoint[]) => c[c.length - 1];
    return [
      String(runs[0].protocol.lossName), runs.map((r) => r.seed).join(', '),
      ...levels.map((level) => summary(curves.map((c) => firstBelow(c, nc1, (p) => p.epoch, level)), 1, 'never')),
      ...nc2At.flatMap((level) => [summary(curves.map((c) => atLevel(c, nc1, (p) => p.etfMeans, level)), 3), summary(curves.map((c) => atLevel(c, nc1, (p) => p.etfWeights, level)), 3)]),
      summary(curves.map((c) => last(c).nc1), 3), summary(curves.map((c) => last(c).etfMeans), 3), summary(curves.map((c) => last(c).etfWeights), 3), summary(curves.map((c) => last(c).testAcc), 4),
    ];
  });
  return markdownTable(['loss', 'seeds', ...levels.map((l) => `epochs to NC1 ≤ ${l}`), ...nc2At.flatMap((l) => [`ETF(M) at NC1 = ${l}`, `ETF(W) at NC1 = ${l}`]), 'final NC1', 'final ETF(M)', 'final ETF(W)', 'test acc'], rows);
}

export default defineOutputs({
  tables: {
    network: () => {
      const groups = byLoss(readResults<{ curve: CurvePoint[] }>(here, 'network/'));
      return groups.length ? networkTable(groups, [0.5, 0.3, 0.2, 0.1], [0.3, 0.2]) : '_No result files yet (results/network/)._';
    },
    'network-zhou': () => {
      const grid = readResults<{ curve: CurvePoint[] }>(lossesEqual, 'grid/');
      const points = [...new Set(grid.map((r) => `${r.protocol.width}/${r.protocol.epochs}`))].sort((a, b) => parseInt(a) - parseInt(b) || parseInt(a.split('/')[1]) - parseInt(b.split('/')[1]));
      const parts: string[] = [];
      for (const point of points) {
        const [w, e] = point.split('/').map(Number);
        const runs = grid.filter((r) => r.protocol.width === w && r.protocol.epochs === e && (r.protocol.loss === 'ce' || r.protocol.loss === 'ls'));
        if (runs.filter((r) => r.protocol.loss === 'ce').length === 0 || runs.filter((r) => r.protocol.loss === 'ls').length === 0) continue;
        parts.push(`Width ${w}, ${e} epochs (NC measured every ${runs[0].protocol.every} epochs):\n\n${networkTable([runs.filter((r) => r.protocol.loss === 'ce'), runs.filter((r) => r.protocol.loss === 'ls')], [0.5, 0.3, 0.2, 0.1], [0.3, 0.2])}`);
      }
      return parts.length ? parts.join('\n\n') : '_No CE and LS pair in losses-equal/results/grid/ yet._';
    },
    ufm: () => {
      const groups = byLoss(readResults<{ curve: UfmPoint[] }>(here, 'ufm/'));
      if (!groups.length) return '_No result files yet (results/ufm/)._';
      const levels = [1e-1, 1e-2, 1e-3];
      const rows = groups.map((runs) => {
        const curves = runs.map((r) => r.result.curve);
        const nc1 = (p: UfmPoint) => p.nc1;
        return [
          String(runs[0].protocol.lossName), runs.map((r) => r.seed).join(', '),
          ...levels.map((level) => summary(curves.map((c) => firstBelow(c, nc1, (p) => p.step, level)), 1, 'never')),
          ...[1e-2, 1e-3].flatMap((level) => [summary(curves.map((c) => atLevel(c, nc1, (p) => p.etf, level)), 3), summary(curves.map((c) => atLevel(c, nc1, (p) => p.etfW, level)), 3)]),
        ];
      });
      const p = groups[0][0].protocol;
      return `UFM K = ${p.K}, D = ${p.D}, n = ${p.nPerClass} per class, λ_W = λ_H = ${p.lambdaW}, no bias; gradient descent with step ${p.step}, NC every 10 iterations, up to ${p.iterations}:\n\n` +
        markdownTable(['loss', 'seeds', ...levels.map((l) => `iterations to NC1 ≤ ${l}`), 'ETF(M) at NC1 = 0.01', 'ETF(W) at NC1 = 0.01', 'ETF(M) at NC1 = 0.001', 'ETF(W) at NC1 = 0.001'], rows);
    },
    conditioning: () => {
      const groups = byLoss(readResults<Conditioning>(here, 'conditioning/'));
      if (!groups.length) return '_No result files yet (results/conditioning/)._';
      const rows = groups.map(([r]) => {
        const c = r.result;
        const loss = r.protocol.loss as { kind: string; alpha?: number };
        return [
          loss.kind === 'ce' ? 'CE' : loss.kind === 'mse' ? 'MSE (for comparison)' : `LS α=${loss.alpha}`,
          sig(c.full.conditionNumber, 4), `[${sig(c.full.min)}, ${sig(c.full.max)}]`,
          sig(c.within.min), sig(c.within.mean),
          sig(c.withinSpanW.min), sig(c.withinSpanW.mean),
          sig(c.logit.conditionNumber, 4), sig(c.logit.trueClassProbability, 4),
        ];
      });
      const p = groups[0][0].protocol;
      return `UFM K = ${p.K}, D = ${p.D}, n = ${p.nPerClass} per class, λ_W = λ_H = ${p.lambdaW}, no bias, at the L-BFGS minimizer (gradient norm ≤ 1e-12):\n\n` +
        markdownTable(['loss', 'κ, whole (W, H) Hessian', 'its eigenvalue range', 'within-class curvature: min', 'mean', 'within-class, inside span(W): min', 'mean', 'κ, logit-space Hessian on 1⊥', 'p_y at the minimizer'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']);
    },
    cost: () => {
      const c = costOf(readResults(here));
      return `${c.runs} result files, ${c.cpuHours.toFixed(2)} CPU-hours in all; seeds ${c.seeds.join(', ')}; ${c.cpuModels.join('; ')}.`;
    },
  },
});
