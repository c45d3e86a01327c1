import type { MultiLabelReport } from '@ncscope/core';

/** Largest number of label sets listed one per line in the table (more: use --json). */
export const TABLE_SETS = 20;

/**
 * The multi-label section of `ncscope analyze`'s table (Li et al. 2023): sample counts, the tag-wise metrics, label-set
 * NC1 and, when asked for, the NC_MLab script's angle ratio; then one line per measured label set.
 * `table` and `num` are the table's own aligner and number format, so both sections read alike.
 */
export function formatMultiLabelSection(ml: MultiLabelReport, table: (rows: string[][], indent: string) => string[], num: (x: number | undefined) => string): string[] {
  const lines: string[] = [
    `  multi-label (Li et al. 2023): ${ml.singleLabelN} single-label, ${ml.multiLabelN} multi-label, ${ml.unlabelledN} unlabelled samples; ` +
      `${ml.setsSeen} label set${ml.setsSeen === 1 ? '' : 's'} with two or more labels, ${ml.setsMeasured} measured (≥ ${ml.minSetCount} samples). The metrics above are the single-label samples'.`,
    '',
  ];
  const deg = (x: number | null) => (x === null ? '—' : `${num(x)}°`);
  const rows: string[][] = [['metric', 'value', 'definition', 'meaning']];
  rows.push(['tag-wise angle', deg(ml.tagWiseAngle), 'mean_S ∠(μ_S − μ_G, a_S), a_S = mean_{k∈S} μ̃_k', 'set means along the average of their labels\' means (0 = exactly)']);
  rows.push(['tag-wise angle max', deg(ml.tagWiseAngleMax), 'max_S ∠(μ_S − μ_G, a_S)', 'the worst set']);
  for (const [m, c] of Object.entries(ml.tagWiseScale)) {
    rows.push([`tag-wise scale |S|=${m}`, num(c), `mean ⟨μ_S − μ_G, a_S⟩/‖a_S‖² (${ml.setsBySize[m]} sets)`, 'scale c_m of the average (theory: one per set size)']);
  }
  if (ml.labelSetNc1 !== undefined) rows.push(['label-set NC1', num(ml.labelSetNc1), 'Tr(Σ_W^sets Σ_B⁺)/K', 'variability around each sample\'s own label-set mean (0 = collapsed)']);
  if (ml.ncMlab) {
    rows.push(['NC_MLab angle ratio', ml.ncMlab.angleRatio === null ? '—' : num(ml.ncMlab.angleRatio), 'mean ∠(μ_i+μ_j, μ_ij) / mean over all pairs', `the public script's metric, uncentred (${ml.ncMlab.pairSets} pair sets)`]);
    rows.push(['NC_MLab mean angle', deg(ml.ncMlab.meanAngle), 'mean ∠(μ_i+μ_j, μ_ij)', 'its numerator (the script\'s angle_diff)']);
  }
  lines.push(...table(rows, '  '));
  const sets = ml.sets;
  if (sets && sets.length > 0 && sets.length <= TABLE_SETS) {
    lines.push('');
    const head = ['label set', 'count', 'angle θ_S', 'scale c_S'];
    const withVariance = sets.some((s) => s.variance !== undefined);
    if (withVariance) head.push('variance v_S');
    lines.push(...table([head, ...sets.map((s) => {
      const r = [`{${s.labels.join(', ')}}`, String(s.count), `${num(s.angle)}°`, num(s.scale)];
      if (withVariance) r.push(num(s.variance));
      return r;
    })], '  '));
  } else if (ml.setsMeasured > 0) {
    lines.push('', `  (per-set values for ${ml.setsMeasured} label sets: use --json)`);
  }
  return lines;
}
