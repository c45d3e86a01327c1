/** Compares a core report with the independent reference, metric by metric and class by class. */
import { expect } from 'vitest';
import type { NcReport } from '@ncscope/core';
import { expectRel, expectRelArray } from './helpers.js';
import type { RefResult } from './reference.js';

/**
 * Scale-free geometry metrics (cosines, equinorm, normalised Frobenius distances, fractions) are O(1) quantities
 * computed from centred means; their true value may be exactly 0 (e.g. equinorm of two balanced classes) while
 * the centring leaves rounding noise of order ε·‖offset‖/‖μ̃‖ in either computation. Below this scale their error
 * is therefore measured absolutely (rtol · 1e-6, i.e. 1e-12 at rtol 1e-6). Scale-dependent quantities (NC1,
 * NC1 quotient, CDNV, variances) are always compared relatively, however small.
 */
const BOUNDED_FLOOR = 1e-6;
const SCALE_FREE = new Set(['nc1', 'nc1Quotient', 'nc1Svd', 'cdnv', 'unc3', 'nc0']);

export interface CompareOptions {
  rtol: number;
  /** Also compare per-class NC1 (when the report's statistics hold it for these conventions). */
  perClassNc1?: boolean;
  /** Label for failure messages and the tolerance table. */
  where: string;
  /** Key prefix in the tolerance table (e.g. 'f64' or 'f32'). */
  tag: string;
}

export function compareWithReference(report: NcReport, ref: RefResult, { rtol, where, tag, perClassNc1 }: CompareOptions): void {
  expect(report.N, `${where}: N`).toBe(ref.N);
  expect(report.D, `${where}: D`).toBe(ref.D);
  expect(report.K, `${where}: K`).toBe(ref.K);
  expect(report.rank, `${where}: rank of Σ_B`).toBe(ref.rank);
  expect(report.perClass, `${where}: perClass`).toBeDefined();
  const pc = report.perClass!;
  expect(pc.classes, `${where}: classes`).toEqual(ref.classes);
  expect(pc.counts, `${where}: counts`).toEqual(ref.perClass.counts);
  expectRel(`${tag} pinvCutoff`, report.conventions.pinvCutoff, ref.pinvCutoff, rtol, 0, where);

  const got = Object.keys(report.metrics).sort();
  expect(got, `${where}: metric keys`).toEqual(Object.keys(ref.metrics).sort());
  for (const [key, value] of Object.entries(ref.metrics)) {
    // GNC2 kernels of coinciding normalized means are rounding noise in both computations (the reference marks them NaN).
    if (key.startsWith('gnc2') && Number.isNaN(value)) continue;
    expectRel(`${tag} ${key}`, report.metrics[key as keyof NcReport['metrics']], value, rtol, SCALE_FREE.has(key) ? 0 : BOUNDED_FLOOR, where);
  }

  expect(report.degenerate, `${where}: degenerate`).toBe(false);
  const imb = report.imbalance;
  const counts = ref.perClass.counts;
  if (counts.some((c) => c !== counts[0])) {
    expect(imb, `${where}: imbalance section`).toBeDefined();
    expect(imb!.minorityBelow, `${where}: minorityBelow`).toBe(ref.imbalance.minorityBelow);
    expect(imb!.minorityClasses, `${where}: minority classes`).toEqual(ref.imbalance.minorityClasses);
    expect(imb!.majorityClasses, `${where}: majority classes`).toEqual(ref.imbalance.majorityClasses);
    expectRel(`${tag} imbalanceRatio`, imb!.imbalanceRatio, ref.imbalance.imbalanceRatio, rtol, 0, where);
    for (const [key, value] of Object.entries(ref.imbalance.values)) {
      const got = (imb as unknown as Record<string, number | undefined>)[key];
      if ((key === 'nc1Minority' || key === 'nc1Majority') && !perClassNc1) continue;
      if (key.endsWith('Weights') || key.endsWith('WeightsStd')) {
        if (ref.perClass.weightNorms === undefined) continue;
      }
      if (Number.isNaN(value)) expect(got, `${where}: imbalance.${key}`).toBeNaN();
      else expectRel(`${tag} imbalance.${key}`, got, value, rtol, key.startsWith('nc1') ? 0 : BOUNDED_FLOOR, where);
    }
  } else {
    expect(imb, `${where}: no imbalance section for equal class counts`).toBeUndefined();
  }

  const scaleOf = (a: number[]) => Math.max(...a.map(Math.abs));
  expectRelArray(`${tag} perClass.meanNorms`, pc.meanNorms, ref.perClass.meanNorms, rtol, 0, where);
  expectRelArray(`${tag} perClass.variances`, pc.variances, ref.perClass.variances, rtol, 0, where);
  expectRelArray(`${tag} perClass.nccRecall`, pc.nccRecall, ref.perClass.nccRecall, rtol, BOUNDED_FLOOR, where);
  if (perClassNc1) {
    expect(pc.nc1PerClass, `${where}: nc1PerClass`).toBeDefined();
    expectRelArray(`${tag} perClass.nc1PerClass`, pc.nc1PerClass, ref.perClass.nc1PerClass, rtol, 0, where);
  }
  expectRelArray(`${tag} perClass.cosineMeans`, pc.cosineMeans!.flat(), ref.perClass.cosineMeans.flat(), rtol, BOUNDED_FLOOR, where);
  // Principal coordinates: signs of the two directions are arbitrary; compare magnitudes, relative to the largest.
  const projAbs = pc.meansProjection2d.map(([a, b]) => [Math.abs(a), Math.abs(b)]).flat();
  const refProj = ref.perClass.meansProjection2dAbs.flat();
  expectRelArray(`${tag} perClass.meansProjection2d`, projAbs, refProj, 1e-6, scaleOf(refProj), where);
  if (ref.perClass.weightNorms) {
    expectRelArray(`${tag} perClass.weightNorms`, pc.weightNorms, ref.perClass.weightNorms, rtol, 0, where);
    expectRelArray(`${tag} perClass.cosineWeights`, pc.cosineWeights!.flat(), ref.perClass.cosineWeights!.flat(), rtol, BOUNDED_FLOOR, where);
  } else {
    expect(pc.weightNorms, `${where}: weightNorms without a classifier`).toBeUndefined();
  }
}
