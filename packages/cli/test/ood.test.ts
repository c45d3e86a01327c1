/**
 * `ncscope ood`: the --json shape and its values (scikit-learn's, from test/fixtures/ood/scores.json, end to end
 * through .npy files), the table with the best of each column marked, --scores-out and --html, and the named errors
 * before any output.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '@ncscope/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers/run.js';
import { npyBytes } from '../../io/test/helpers/writers.js';

interface ScoresFixture {
  D: number;
  K: number;
  vimDim: number;
  necoDim: number;
  fit: { features: number[]; labels: number[] };
  W: number[];
  b: number[];
  sets: Record<'id' | 'oodA' | 'oodOne', number[]>;
  expected: Record<'id' | 'oodA' | 'oodOne', Record<string, number[]>>;
  nc5: Record<'oodA' | 'oodOne', { centred: number; raw: number }>;
  metrics: Record<string, Record<'oodA' | 'oodOne', Record<string, number>>>;
}
const fx = JSON.parse(readFileSync(new URL('../../../test/fixtures/ood/scores.json', import.meta.url), 'utf8')) as ScoresFixture;
const SCORES = ['msp', 'maxlogit', 'energy', 'mahalanobis', 'vim', 'neco', 'nci'];

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const f8 = (name: string, values: number[], shape: number[]) => tmp.write(name, npyBytes(values, { descr: '<f8', shape }));
const D = fx.D;
const files = {
  fit: f8('fit.npy', fx.fit.features, [fx.fit.labels.length, D]),
  fitY: tmp.write('fit_y.npy', npyBytes(fx.fit.labels, { descr: '<i8', shape: [fx.fit.labels.length] })),
  W: f8('W.npy', fx.W, [fx.K, D]),
  b: f8('b.npy', fx.b, [fx.K]),
  id: f8('id.npy', fx.sets.id, [fx.sets.id.length / D, D]),
  oodA: f8('ood_a.npy', fx.sets.oodA, [fx.sets.oodA.length / D, D]),
  oodOne: f8('ood_one.npy', fx.sets.oodOne, [1, D]),
};
const base = ['ood', '--fit-features', files.fit, '--fit-labels', files.fitY, '--weights', files.W, '--bias', files.b, '--id-features', files.id, '--ood', `oodA=${files.oodA}`, '--ood', `oodOne=${files.oodOne}`, '--vim-dim', String(fx.vimDim), '--neco-dim', String(fx.necoDim), '--engine', 'js'];
const close = (got: number, want: number, what: string, rtol = 1e-9) => expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(rtol * Math.abs(want) + 1e-12);

describe('ncscope ood', () => {
  it('--json: the documented shape, with scikit-learn\'s values', async () => {
    const r = await runCli([...base, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['scores', 'nc5', 'params', 'fit']));
    expect(Object.keys(j.scores)).toEqual(SCORES);
    for (const s of SCORES) {
      expect(Object.keys(j.scores[s])).toEqual(['oodA', 'oodOne']);
      for (const set of ['oodA', 'oodOne'] as const) {
        expect(Object.keys(j.scores[s][set])).toEqual(['auroc', 'fpr95', 'fpr95IdPositive', 'auprIn', 'auprOut']);
        for (const m of ['auroc', 'fpr95', 'fpr95IdPositive', 'auprIn', 'auprOut']) close(j.scores[s][set][m], fx.metrics[s][set][m], `${s} ${set} ${m}`, 1e-12);
      }
    }
    for (const set of ['oodA', 'oodOne'] as const) {
      expect(Object.keys(j.nc5[set])).toEqual(['centred', 'raw']);
      close(j.nc5[set].centred, fx.nc5[set].centred, `nc5 ${set}`);
      close(j.nc5[set].raw, fx.nc5[set].raw, `nc5 raw ${set}`);
    }
    expect(j.fit).toMatchObject({ N: 60, D, K: 3 });
    expect(j.fit.metrics.nc1).toBeGreaterThan(0);
    expect(j.params).toMatchObject({ vimDim: fx.vimDim, necoDim: fx.necoDim, necoMaxLogit: true, nciAlpha: 1e-4, temperature: 1, scores: SCORES });
    expect(j.ood).toEqual({ oodA: { features: files.oodA, rows: 11 }, oodOne: { features: files.oodOne, rows: 1 } });
  });

  it('the table marks the best of each column; --scores-out writes every per-sample score; --html one page', async () => {
    const out = join(tmp.dir, 'out');
    const r = await runCli([...base, '--scores-out', join(out, 'scores'), '--html', join(out, 'ood.html')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.find((l) => l.startsWith('score'))!;
    expect(header).toMatch(/oodA AUROC\s+oodA FPR95\s+oodOne AUROC\s+oodOne FPR95/);
    // The best AUROC on oodA per scikit-learn's values carries the mark.
    const bestA = SCORES.reduce((a, s) => (fx.metrics[s].oodA.auroc > fx.metrics[a].oodA.auroc ? s : a), SCORES[0]);
    expect(lines.find((l) => l.startsWith(`${bestA} `))).toMatch(/^\S+\s+\d\.\d{4}\*/);
    expect(r.stdout).toMatch(/NC5 \(ID\/OOD orthogonality, → 0\): oodA /);
    const written = readdirSync(join(out, 'scores')).sort();
    expect(written).toEqual(['in-distribution', 'oodA', 'oodOne'].flatMap((set) => SCORES.map((s) => `${set}.${s}.npy`)).sort());
    for (const [set, key] of [['in-distribution', 'id'], ['oodA', 'oodA'], ['oodOne', 'oodOne']] as const) {
      for (const s of SCORES) {
        const a = parseNpy(new Uint8Array(readFileSync(join(out, 'scores', `${set}.${s}.npy`))), s);
        expect(a.header.shape).toEqual([fx.expected[key][s].length]);
        Array.from(a.data as Float64Array).forEach((v, i) => close(v, fx.expected[key][s][i], `${set} ${s} row ${i}`));
      }
    }
    const html = readFileSync(join(out, 'ood.html'), 'utf8');
    expect(html).toMatch(/<h2>OOD detection: scores × OOD sets<\/h2>/);
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(14);
    expect(html).toMatch(/Snapshot/);
  });

  it('without a classifier: only mahalanobis and neco (no max logit) run, with a warning; naming a logit score is refused', async () => {
    const plain = ['ood', '--fit-features', files.fit, '--fit-labels', files.fitY, '--id-features', files.id, '--ood', `a=${files.oodA}`, '--engine', 'js'];
    const r = await runCli([...plain, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j.scores)).toEqual(['mahalanobis', 'neco']);
    expect(j.params.necoMaxLogit).toBe(false);
    expect(j.warnings.join(' ')).toMatch(/do not run/);
    const e = await runCli([...plain, '--scores', 'energy']);
    expect(e.code).toBe(2);
    expect(e.stdout).toBe('');
    expect(e.stderr).toMatch(/energy score needs logits/);
  });

  it('named errors before any output, nothing written', async () => {
    const out = join(tmp.dir, 'never');
    const bad = f8('bad_d.npy', Array.from({ length: 3 * (D + 1) }, (_, i) => i), [3, D + 1]);
    const empty = f8('empty.npy', [], [0, D]);
    const nan = fx.sets.oodA.slice();
    nan[D + 2] = NaN;
    const withNan = f8('nan.npy', nan, [nan.length / D, D]);
    const oneClass = tmp.write('one_y.npy', npyBytes(new Array(fx.fit.labels.length).fill(0), { descr: '<i8', shape: [fx.fit.labels.length] }));
    const cases: [string[], RegExp][] = [
      [['--ood', `x=${bad}`], new RegExp(`bad_d\\.npy: OOD "x" rows have D = ${D + 1} features but the fit set has D = ${D}`)],
      [['--ood', `x=${empty}`], /empty\.npy: the OOD "x" set has no rows/],
      [['--ood', `x=${withNan}`], /nan\.npy.*row 1, column 2.*NaN/],
      [['--ood', `oodA=${files.oodA}`], /the OOD set name "oodA" is given twice/],
      [['--ood', files.oodA], /expected NAME=FILE/],
      [['--ood', `../x=${files.oodA}`], /must start with a letter or digit/],
      [['--vim-dim', String(D)], new RegExp(`--vim-dim = ${D} must be below the feature dimension D = ${D}`)],
      [['--neco-dim', String(D + 1)], new RegExp(`--neco-dim = ${D + 1} must be at most the feature dimension D = ${D}`)],
      [['--neco-dim', '0'], /--neco-dim: expected a positive integer/],
      [['--scores', 'msp,odin'], /unknown score "odin"/],
      [['--temperature', '0'], /--temperature: expected a positive finite number/],
    ];
    for (const [extra, message] of cases) {
      const args = [...base.filter((_, i) => !(extra[0] === '--vim-dim' && (base[i] === '--vim-dim' || base[i - 1] === '--vim-dim')) && !(extra[0] === '--neco-dim' && (base[i] === '--neco-dim' || base[i - 1] === '--neco-dim'))), ...extra, '--html', join(out, 'x.html'), '--scores-out', join(out, 's')];
      const r = await runCli(args);
      expect(r.code, `${extra.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(existsSync(out), `${extra.join(' ')} wrote output`).toBe(false);
    }
    const one = await runCli(['ood', '--fit-features', files.fit, '--fit-labels', oneClass, '--id-features', files.id, '--ood', `a=${files.oodA}`]);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/one_y\.npy.*at least 2 classes/);
    // An output may not replace an input, an OOD file included.
    const clash = await runCli([...base, '--html', files.oodA]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/ood_a\.npy/);
    expect(readFileSync(files.oodA).length).toBeGreaterThan(100);
  });
});
