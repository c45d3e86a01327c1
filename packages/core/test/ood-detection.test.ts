/**
 * OOD detection metrics (ood/detection.ts) against (1) values scikit-learn computed once with OpenOOD's evaluator
 * code (test/fixtures/ood/detection.json at the repository root, made by its make-fixtures.py), (2) a plainly written float64
 * reference here (all pairs for AUROC, the full threshold list for the curves), and (3) properties: row order,
 * strictly increasing transforms, swapping the sets, ties.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NcInputError, detectionMetrics, rankScores, rocCurve, type DetectionMetrics } from '../src/index.js';
import { rng, shuffle } from './helpers.js';

interface Case {
  name: string;
  id: number[];
  ood: number[];
  expected: DetectionMetrics & { rocFpr: number[]; rocTpr: number[] };
}
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/ood/detection.json', import.meta.url), 'utf8')) as { cases: Case[] };

const close = (got: number, want: number, what: string) => expect(Math.abs(got - want), `${what}: got ${got}, want ${want}`).toBeLessThanOrEqual(1e-12 * Math.abs(want) + 1e-15);

/**
 * The naive reference: every threshold of the concatenated scores, written out with no shared code. OOD positive
 * on −score for ROC; AUROC by counting all pairs.
 */
function naive(id: number[], ood: number[]): DetectionMetrics {
  let wins = 0;
  for (const a of id) for (const b of ood) wins += b < a ? 1 : b === a ? 0.5 : 0;
  const auroc = wins / (id.length * ood.length);
  // ROC points at every distinct threshold t (score ≤ t flagged OOD), then scikit-learn's drop_intermediate.
  const thresholds = [...new Set([...id, ...ood])].sort((a, b) => a - b);
  const fps = thresholds.map((t) => id.filter((v) => v <= t).length);
  const tps = thresholds.map((t) => ood.filter((v) => v <= t).length);
  const kept = thresholds.map((_, i) => i).filter((i) => i === 0 || i === thresholds.length - 1 || thresholds.length <= 2 || fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0);
  const fpr = [0, ...kept.map((i) => fps[i] / id.length)];
  const tpr = [0, ...kept.map((i) => tps[i] / ood.length)];
  const fpr95 = fpr[tpr.findIndex((v) => v >= 0.95)];
  // ID positive: threshold = the ⌊0.95 N⌋-th largest ID score.
  const sorted = [...id].sort((a, b) => a - b);
  const r = Math.floor(0.95 * id.length);
  const thr = sorted[r === 0 ? 0 : id.length - r];
  const fpr95IdPositive = ood.filter((v) => v >= thr).length / ood.length;
  const pr = (pos: number[], neg: number[], flip: number) => {
    const ts = [...new Set([...pos, ...neg].map((v) => flip * v))].sort((a, b) => b - a);
    let area = 0, pr0 = 1, rc0 = 0;
    for (const t of ts) {
      const tp = pos.filter((v) => flip * v >= t).length;
      const fp = neg.filter((v) => flip * v >= t).length;
      const rc = tp / pos.length, p = tp / (tp + fp);
      area += ((rc - rc0) * (p + pr0)) / 2;
      rc0 = rc;
      pr0 = p;
    }
    return area;
  };
  return { auroc, fpr95, fpr95IdPositive, auprIn: pr(id, ood, 1), auprOut: pr(ood, id, -1) };
}

describe('detection metrics: scikit-learn values (OpenOOD evaluators/metrics.py)', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const got = detectionMetrics(c.id, c.ood);
      for (const key of ['auroc', 'fpr95', 'fpr95IdPositive', 'auprIn', 'auprOut'] as const) close(got[key], c.expected[key], `${c.name} ${key}`);
      const curve = rocCurve(rankScores(c.id), rankScores(c.ood));
      expect(Array.from(curve.fpr)).toEqual(c.expected.rocFpr);
      expect(Array.from(curve.tpr)).toEqual(c.expected.rocTpr);
      const ref = naive(c.id, c.ood);
      for (const key of ['auroc', 'fpr95', 'fpr95IdPositive', 'auprIn', 'auprOut'] as const) close(got[key], ref[key], `${c.name} ${key} (naive)`);
    });
  }
});

describe('detection metrics: properties', () => {
  const scores = fc.array(fc.integer({ min: -6, max: 6 }).map((v) => v / 2), { minLength: 1, maxLength: 40 });

  it('match the naive reference on small tied sets', () => {
    fc.assert(fc.property(scores, scores, (id, ood) => {
      const got = detectionMetrics(id, ood);
      const ref = naive(id, ood);
      for (const key of ['auroc', 'fpr95', 'fpr95IdPositive', 'auprIn', 'auprOut'] as const) {
        if (Math.abs(got[key] - ref[key]) > 1e-12) return false;
      }
      return true;
    }), { numRuns: 300 });
  });

  it('row order does not matter, and a strictly increasing transform changes nothing', () => {
    fc.assert(fc.property(scores, scores, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (id, ood, seed) => {
      const a = detectionMetrics(id, ood);
      const u = rng(seed);
      const b = detectionMetrics(shuffle([...id], u), shuffle([...ood], u));
      const c = detectionMetrics(id.map((v) => Math.exp(v) * 3 - 7), ood.map((v) => Math.exp(v) * 3 - 7));
      return JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(a) === JSON.stringify(c);
    }), { numRuns: 200 });
  });

  it('swapping the sets mirrors AUROC exactly, and ties give exactly 0.5', () => {
    fc.assert(fc.property(scores, scores, (id, ood) => {
      const a = detectionMetrics(id, ood).auroc;
      const b = detectionMetrics(ood, id).auroc;
      return Math.abs(a + b - 1) <= 1e-15;
    }), { numRuns: 200 });
    expect(detectionMetrics([2, 2, 2], [2, 2]).auroc).toBe(0.5);
    expect(detectionMetrics([1, 2, 2, 3, 7, 7], [7, 3, 2, 2, 1, 7]).auroc).toBe(0.5);
    const same = detectionMetrics([4, 4, 4, 4], [4]);
    expect(same).toEqual({ auroc: 0.5, fpr95: 1, fpr95IdPositive: 1, auprIn: (1 + 0.8) / 2, auprOut: (1 + 0.2) / 2 });
  });

  it('perfect separation: AUROC 1, FPR 0, both AUPRs 1; reversed: AUROC 0, FPR 1', () => {
    expect(detectionMetrics([5, 6, 7], [1, 2])).toEqual({ auroc: 1, fpr95: 0, fpr95IdPositive: 0, auprIn: 1, auprOut: 1 });
    const r = detectionMetrics([1, 2], [5, 6, 7]);
    expect(r.auroc).toBe(0);
    expect(r.fpr95).toBe(1);
    expect(r.fpr95IdPositive).toBe(1);
  });

  it('±Infinity scores rank like any other value', () => {
    const a = detectionMetrics([Infinity, 3, 2], [-Infinity, 2, Infinity]);
    expect(a).toEqual(naive([Infinity, 3, 2], [-Infinity, 2, Infinity]));
  });
});

describe('detection metrics: bad input', () => {
  it('an empty set is NO_DATA, a NaN score NON_FINITE naming its row', () => {
    expect(() => detectionMetrics([], [1])).toThrowError(expect.objectContaining({ code: 'NO_DATA' }) as unknown as Error);
    expect(() => detectionMetrics([1], [])).toThrowError(NcInputError);
    try {
      detectionMetrics([1, 2], [0, NaN]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NcInputError);
      expect((e as NcInputError).code).toBe('NON_FINITE');
      expect((e as NcInputError).where.row).toBe(1);
    }
  });
});
