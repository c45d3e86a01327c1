/**
 * The README's generated regions for examples/ood, read from results/seed-*.json (written by main.ts):
 * - `epochs`: NC1, NC5 and the AUROC of NECO and the baselines over training (mean ± std over seeds);
 * - `final`: every score's AUROC and FPR95 per OOD set at the terminal-phase onset and at the end;
 * - `verdict`: NECO's claim read off each seed (NC1 ↓, NC5 ↓, NECO AUROC ↑ from the onset to the end).
 */
import { OOD_SCORE_NAMES, type OodScoreName } from '@ncscope/core';
import { defineOutputs } from '../lib/outputs.js';
import { readResults, type ResultFile } from '../lib/results.js';
import { markdownTable } from '../lib/markdown.js';
import { formatCell, meanStd } from '../lib/stats.js';

interface Point {
  epoch: number;
  trainAcc: number;
  testAcc: number;
  nc1: number;
  nc5: Record<string, { centred: number; raw: number }>;
  auroc: Partial<Record<OodScoreName, Record<string, number>>>;
  fpr95: Partial<Record<OodScoreName, Record<string, number>>>;
}
interface Result {
  farOod: string;
  terminalEpoch: number | null;
  curve: Point[];
}

const here = new URL('.', import.meta.url).pathname;
const runs = (): ResultFile<Result>[] => readResults<Result>(here).filter((r) => r.run.startsWith('seed-')).sort((a, b) => (a.seed ?? 0) - (b.seed ?? 0));
const sets = (r: ResultFile<Result>) => ['digits', r.result.farOod];
const setLabel = (s: string) => (s === 'digits' ? 'digits 6–9' : s === 'fashion' ? 'Fashion-MNIST' : s);
const cell = (values: number[], digits = 3) => formatCell(meanStd(values), digits);
const sci = (values: number[]) => {
  const s = meanStd(values);
  return s.n > 1 ? `${s.mean.toExponential(2)} ± ${s.std.toExponential(1)}` : s.mean.toExponential(2);
};
const at = (r: ResultFile<Result>, epoch: number) => r.result.curve.find((p) => p.epoch === epoch)!;
/** The onset of the terminal phase: the latest seed's first epoch of 100 % training accuracy from which it stays. */
const onset = (rs: ResultFile<Result>[]) => Math.max(...rs.map((r) => r.result.terminalEpoch ?? Infinity));

function epochsTable(): string {
  const rs = runs();
  const [a, b] = sets(rs[0]);
  const epochs = rs[0].result.curve.map((p) => p.epoch).filter((e) => rs.every((r) => r.result.curve.some((p) => p.epoch === e)));
  const t = onset(rs);
  const shown = epochs.filter((e, i) => i === 0 || e === t || e % 50 === 0 || i === epochs.length - 1);
  const rows = shown.map((e) => {
    const ps = rs.map((r) => at(r, e));
    return [
      `${e}${e === t ? ' (TPT)' : ''}`,
      cell(ps.map((p) => p.trainAcc), 4),
      cell(ps.map((p) => p.testAcc), 3),
      sci(ps.map((p) => p.nc1)),
      cell(ps.map((p) => p.nc5[a].centred)),
      cell(ps.map((p) => p.nc5[b].centred)),
      ...(['neco', 'energy', 'msp', 'mahalanobis'] as const).flatMap((s) => [cell(ps.map((p) => p.auroc[s]![a])), cell(ps.map((p) => p.auroc[s]![b]))]),
    ];
  });
  const header = ['epoch', 'train acc', 'ID test acc', 'NC1 (train)', `NC5 ${setLabel(a)}`, `NC5 ${setLabel(b)}`,
    ...['NECO', 'energy', 'MSP', 'Mahalanobis'].flatMap((s) => [`${s} AUROC ${a}`, `${s} AUROC ${b}`])];
  return markdownTable(header, rows, header.map((_, i) => (i === 0 ? 'l' : 'r')));
}

function finalTable(): string {
  const rs = runs();
  const t = onset(rs);
  const last = Math.min(...rs.map((r) => r.result.curve[r.result.curve.length - 1].epoch));
  const rows: string[][] = [];
  for (const set of sets(rs[0])) {
    for (const s of OOD_SCORE_NAMES) {
      rows.push([
        setLabel(set), s,
        cell(rs.map((r) => at(r, t).auroc[s]![set])),
        cell(rs.map((r) => at(r, last).auroc[s]![set])),
        cell(rs.map((r) => at(r, t).fpr95[s]![set])),
        cell(rs.map((r) => at(r, last).fpr95[s]![set])),
      ]);
    }
  }
  const header = ['OOD set', 'score', `AUROC epoch ${t} (TPT)`, `AUROC epoch ${last}`, `FPR95 epoch ${t}`, `FPR95 epoch ${last}`];
  return markdownTable(header, rows, ['l', 'l', 'r', 'r', 'r', 'r']);
}

function verdict(): string {
  const rs = runs();
  const t = onset(rs);
  const last = Math.min(...rs.map((r) => r.result.curve[r.result.curve.length - 1].epoch));
  const lines: string[] = [];
  let holds = 0, total = 0;
  const rows: string[][] = [];
  for (const r of rs) {
    const p0 = at(r, t);
    const p1 = at(r, last);
    for (const set of sets(r)) {
      const nc1 = p1.nc1 < p0.nc1;
      const nc5 = p1.nc5[set].centred < p0.nc5[set].centred;
      const neco = p1.auroc.neco![set] > p0.auroc.neco![set];
      total++;
      if (nc1 && nc5 && neco) holds++;
      rows.push([String(r.seed), setLabel(set), `${p0.nc1.toExponential(2)} → ${p1.nc1.toExponential(2)}`, `${p0.nc5[set].centred.toFixed(3)} → ${p1.nc5[set].centred.toFixed(3)}`, `${p0.auroc.neco![set].toFixed(3)} → ${p1.auroc.neco![set].toFixed(3)}`, nc1 && nc5 && neco ? 'yes' : 'no']);
    }
  }
  const word = holds === total ? 'shows' : holds >= total / 2 ? 'partly' : 'not under this protocol';
  lines.push(markdownTable(['seed', 'OOD set', `NC1 epoch ${t} → ${last}`, 'NC5 (centred)', 'NECO AUROC', 'all three move as NECO claims'], rows, ['r', 'l', 'r', 'r', 'r', 'l']));
  lines.push('');
  lines.push(`**Verdict: ${word}** — NC1 falls, NC5 falls and NECO's AUROC rises together in ${holds} of ${total} (seed, OOD set) pairs between the onset of the terminal phase (epoch ${t}) and epoch ${last} (seeds ${rs.map((r) => r.seed).join(', ')}).`);
  return lines.join('\n');
}

export default defineOutputs({ tables: { epochs: epochsTable, final: finalTable, verdict } });
