/** Compares a core report with the independent reference, metric by metric and class by class. */
import { expect } from 'vitest';
import type { NcReport } from '@ncscope/core';
import { absoluteFloors, expectRel, expectRelArray, floorOf, type AbsoluteFloors } from './helpers.js';
import type { RefResult } from './reference.js';

export interface CompareOptions {
  rtol: number;
  /** Also compare per-class NC1 (when the report's statistics hold it for these conventions). */
  perClassNc1?: boolean;
  /** Label for failure messages and the tolerance table. */
  where: string;
  /** Key prefix in the tolerance table (e.g. 'f64' or 'f32'). */
  tag: string;
  /** The data both computations read (features, row-major, and D): sets the absolute floors. */
  data: { features: ArrayLike<number>; D: number };
}

/**
 * Every comparison is |got − reference| ≤ rtol·|reference| + floor, the floor scaled to the data
 * ({@link absoluteFloors}): geometry metrics may be exactly 0 (equinorm of two balanced classes) while rounding
 * leaves ~1e-12 in either computation.
 */

export function compareWithReference(report: NcReport, ref: RefResult, { rtol, where, tag, perClassNc1, data }: CompareOptions): void {
  const floors: AbsoluteFloors = absoluteFloors(data.features, data.D, ref.perClass.meanNorms);
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
    expectRel(`${tag} ${key}`, report.metrics[key as keyof NcReport['metrics']], value, rtol, floorOf(key, floors), where);
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
      else expectRel(`${tag} imbalance.${key}`, got, value, rtol, key.startsWith('nc1') ? floors.ratio : floors.geometry, where);
    }
  } else {
    expect(imb, `${where}: no imbalance section for equal class counts`).toBeUndefined();
  }

  const scaleOf = (a: number[]) => Math.max(...a.map(Math.abs));
  expectRelArray(`${tag} perClass.meanNorms`, pc.meanNorms, ref.perClass.meanNorms, rtol, floors.norm, where);
  expectRelArray(`${tag} perClass.variances`, pc.variances, ref.perClass.variances, rtol, floors.variance, where);
  expectRelArray(`${tag} perClass.nccRecall`, pc.nccRecall, ref.perClass.nccRecall, rtol, floors.geometry, where);
  if (perClassNc1) {
    expect(pc.nc1PerClass, `${where}: nc1PerClass`).toBeDefined();
    expectRelArray(`${tag} perClass.nc1PerClass`, pc.nc1PerClass, ref.perClass.nc1PerClass, rtol, floors.ratio, where);
  }
  expectRelArray(`${tag} perClass.cosineMeans`, pc.cosineMeans!.flat(), ref.perClass.cosineMeans.flat(), rtol, floors.geometry, where);
  // Principal coordinates: signs of the two directions are arbitrary; compare magnitudes, relative to the largest.
  const projAbs = pc.meansProjection2d.map(([a, b]) => [Math.abs(a), Math.abs(b)]).flat();
  const refProj = ref.perClass.meansProjection2dAbs.flat();
  expectRelArray(`${tag} perClass.meansProjection2d`, projAbs, refProj, 0, 1e-6 * scaleOf(refProj) + floors.norm, where);
  if (ref.perClass.weightNorms) {
    expectRelArray(`${tag} perClass.weightNorms`, pc.weightNorms, ref.perClass.weightNorms, rtol, floors.geometry * Math.max(...ref.perClass.weightNorms), where);
    expectRelArray(`${tag} perClass.cosineWeights`, pc.cosineWeights!.flat(), ref.perClass.cosineWeights!.flat(), rtol, floors.geometry, where);
  } else {
    expect(pc.weightNorms, `${where}: weightNorms without a classifier`).toBeUndefined();
  }
}
