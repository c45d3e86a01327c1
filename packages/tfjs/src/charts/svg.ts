/**
 * SVG for the live charts, as strings: pure functions of their data (no DOM), so they are tested in Node and drawn
 * by `ncCharts` in a page. Every data mark carries a class and `data-*` attributes (`nc-series`, `nc-point`,
 * `nc-cell`, `nc-bar`) so tests and users can find them, and a `<title>` with its value for hover tooltips.
 */

/** One line of a trend chart: points (x = epoch, y = value); non-finite values leave a gap. */
export interface ChartSeries {
  key: string;
  label: string;
  points: readonly (readonly [number, number])[];
}

/** A trend chart: one panel of {@link lineChartSvg}. */
export interface LineChartSpec {
  title: string;
  /** Shown under the title (the formula, or what the value tends to at collapse). */
  subtitle?: string;
  series: readonly ChartSeries[];
  /** Log y axis (used only when every value is positive). */
  log?: boolean;
  /** A fixed y range (e.g. [0, 1] for accuracies); otherwise from the data. */
  yDomain?: readonly [number, number];
  xLabel?: string;
  width?: number;
  height?: number;
}

/** Colours of series in order (colour-blind-safe Tableau 10). */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Escapes text for SVG/HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A number for labels: 4 significant digits, exponent form outside [1e-3, 1e5). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** Nice linear ticks covering [lo, hi] (about `count` of them, steps of 1, 2 or 5 × 10ⁿ). */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The 1, 2, 5 × 10ⁿ step whose tick count is closest to `count`.
  const step = [1, 2, 5, 10].map((m) => m * mag).reduce((best, s) => (Math.abs((hi - lo) / s - count) < Math.abs((hi - lo) / best - count) ? s : best));
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** Powers of ten covering [lo, hi] (lo > 0), thinned to at most ~6. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const every = Math.max(1, Math.ceil((b - a) / 6));
  const out: number[] = [];
  for (let e = a; e <= b; e += every) out.push(10 ** e);
  return out;
}

function frame(width: number, height: number, title: string, subtitle: string | undefined, body: string, attrs: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="nc-chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${attrs} role="img" aria-label="${esc(title)}">`
    + `<text class="nc-title" x="8" y="16" font-size="13" font-weight="600">${esc(title)}</text>`
    + (subtitle ? `<text class="nc-subtitle" x="8" y="30" font-size="10.5" fill="#555">${esc(subtitle)}</text>` : '')
    + body + '</svg>';
}

/**
 * A trend chart: each series as a line with a dot per point, x = epochs, y linear or log (log falls back to linear
 * when a value is ≤ 0), ticks, axis labels and a legend. An empty chart says "waiting for the first measurement".
 */
export function lineChartSvg(spec: LineChartSpec): string {
  const width = spec.width ?? 380;
  const height = spec.height ?? 230;
  const m = { left: 52, right: 12, top: spec.subtitle ? 40 : 28, bottom: 34 + 14 * Math.ceil(spec.series.length / 2) };
  const finite = spec.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const attrs = `data-chart="${esc(spec.title)}"`;
  if (finite.length === 0) {
    return frame(width, height, spec.title, spec.subtitle, `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="12" fill="#888">waiting for the first measurement</text>`, attrs);
  }
  const xs = finite.map(([x]) => x);
  const ys = finite.map(([, y]) => y);
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  const log = spec.log === true && ys.every((y) => y > 0);
  let y0: number;
  let y1: number;
  let ticks: number[];
  if (spec.yDomain) {
    [y0, y1] = spec.yDomain;
    ticks = linearTicks(y0, y1, 4);
  } else if (log) {
    ticks = logTicks(Math.min(...ys), Math.max(...ys));
    y0 = ticks[0];
    y1 = Math.max(ticks[ticks.length - 1], Math.max(...ys));
    if (y1 === y0) y1 = y0 * 10;
  } else {
    y0 = Math.min(...ys);
    y1 = Math.max(...ys);
    if (y0 === y1) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
    ticks = linearTicks(y0, y1, 4);
    y0 = Math.min(y0, ticks[0]);
    y1 = Math.max(y1, ticks[ticks.length - 1]);
  }
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = log
    ? (y: number) => m.top + ph - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ph
    : (y: number) => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  // Axes and grid.
  for (const t of ticks) {
    if (t < y0 - 1e-12 || t > y1 * (1 + 1e-12) + 1e-12) continue;
    const y = r2(sy(t));
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`, `<text class="nc-tick" x="${m.left - 5}" y="${y + 3.5}" text-anchor="end" font-size="10" fill="#444">${esc(formatValue(t))}</text>`);
  }
  for (const t of linearTicks(x0, x1, Math.min(6, Math.max(1, Math.round(x1 - x0))))) {
    if (!Number.isInteger(t)) continue;
    const x = r2(sx(t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#444"/>`, `<text class="nc-tick" x="${x}" y="${m.top + ph + 15}" text-anchor="middle" font-size="10" fill="#444">${t}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#444"/>`, `<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#444"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 27}" text-anchor="middle" font-size="10.5" fill="#444">${esc(spec.xLabel ?? 'epoch')}${log ? ' · log scale' : ''}</text>`);
  // Series.
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const segments: string[][] = [[]];
    const dots: string[] = [];
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y) || (log && y <= 0)) {
        if (segments[segments.length - 1].length > 0) segments.push([]);
        continue;
      }
      const px = r2(sx(x));
      const py = r2(sy(y));
      segments[segments.length - 1].push(`${px},${py}`);
      dots.push(`<circle class="nc-point" data-key="${esc(s.key)}" data-x="${x}" data-y="${y}" cx="${px}" cy="${py}" r="2.6" fill="${color}"><title>${esc(`${s.label} at epoch ${x}: ${formatValue(y)}`)}</title></circle>`);
    }
    const d = segments.filter((g) => g.length > 1).map((g) => `M${g.join('L')}`).join('');
    parts.push(`<path class="nc-series" data-key="${esc(s.key)}" d="${d}" fill="none" stroke="${color}" stroke-width="1.8"/>`, ...dots);
    // Legend: two entries per row under the x-axis label.
    const lx = m.left + (i % 2) * (pw / 2);
    const ly = m.top + ph + 40 + 14 * Math.floor(i / 2);
    parts.push(`<g class="nc-legend"><line x1="${r2(lx)}" x2="${r2(lx + 14)}" y1="${ly - 3.5}" y2="${ly - 3.5}" stroke="${color}" stroke-width="2.5"/><text x="${r2(lx + 18)}" y="${ly}" font-size="10.5">${esc(s.label)}</text></g>`);
  });
  return frame(width, height, spec.title, spec.subtitle, parts.join(''), attrs);
}

/** Blue (−1) – white (0) – red (+1), for cosines. */
export function divergingColor(v: number): string {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const [r0, g0, b0] = t < 0 ? [33, 102, 172] : [178, 24, 43];
  const a = Math.abs(t);
  const mix = (c: number) => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(r0)},${mix(g0)},${mix(b0)})`;
}

/** The K × K cosines of the centred class means as a heatmap, with the simplex ETF's −1/(K−1) marked on the colour bar. */
export function cosineHeatmapSvg(cos: readonly (readonly number[])[], classes: readonly number[], options: { title?: string; size?: number } = {}): string {
  const K = cos.length;
  const size = options.size ?? 300;
  const etf = -1 / (K - 1);
  const title = options.title ?? 'cos(μ̃ₖ, μ̃ₗ) of the class means';
  const m = { left: 34, top: 48, right: 66 };
  const cell = (size - m.left - m.right) / K;
  const parts: string[] = [];
  for (let k = 0; k < K; k++) {
    for (let l = 0; l < K; l++) {
      const v = cos[k][l];
      parts.push(`<rect class="nc-cell" data-k="${classes[k]}" data-l="${classes[l]}" x="${r2(m.left + l * cell)}" y="${r2(m.top + k * cell)}" width="${r2(cell + 0.3)}" height="${r2(cell + 0.3)}" fill="${divergingColor(v)}"><title>${esc(`classes ${classes[k]}, ${classes[l]}: ${formatValue(v)}`)}</title></rect>`);
    }
  }
  if (K <= 20) {
    for (let k = 0; k < K; k++) {
      parts.push(`<text x="${m.left - 4}" y="${r2(m.top + (k + 0.5) * cell + 3.5)}" text-anchor="end" font-size="9.5">${classes[k]}</text>`);
      parts.push(`<text x="${r2(m.left + (k + 0.5) * cell)}" y="${m.top - 4}" text-anchor="middle" font-size="9.5">${classes[k]}</text>`);
    }
  }
  // Colour bar from −1 (bottom) to 1 (top), the ETF value marked.
  const bx = size - m.right + 14;
  const bh = K * cell;
  const steps = 40;
  for (let i = 0; i < steps; i++) {
    const v = 1 - (2 * (i + 0.5)) / steps;
    parts.push(`<rect x="${bx}" y="${r2(m.top + (i * bh) / steps)}" width="10" height="${r2(bh / steps + 0.3)}" fill="${divergingColor(v)}"/>`);
  }
  const at = (v: number) => r2(m.top + ((1 - v) / 2) * bh);
  for (const v of [1, 0, -1]) parts.push(`<text x="${bx + 13}" y="${at(v) + 3.5}" font-size="9.5">${v}</text>`);
  parts.push(`<line class="nc-etf" x1="${bx - 3}" x2="${bx + 13}" y1="${at(etf)}" y2="${at(etf)}" stroke="#000" stroke-width="1.5"/><text x="${bx + 22}" y="${at(etf) + 3}" font-size="9" fill="#000">ETF</text>`);
  const height = m.top + K * cell + 12;
  return frame(size, Math.ceil(height), title, `simplex ETF: −1/(K−1) = ${formatValue(etf)} off the diagonal`, parts.join(''), 'data-chart="cosines"');
}

/**
 * Every off-diagonal cosine cos(μ̃ₖ, μ̃ₗ) (k < l) as a dot on [−1, 1], the simplex ETF's −1/(K−1) as a rule: at
 * collapse (NC2) the dots gather on it.
 */
export function cosineStripSvg(cos: readonly (readonly number[])[], classes: readonly number[], options: { title?: string; width?: number } = {}): string {
  const K = cos.length;
  const width = options.width ?? 380;
  const height = 130;
  const m = { left: 20, right: 20, top: 44 };
  const pw = width - m.left - m.right;
  const sx = (v: number) => r2(m.left + ((v + 1) / 2) * pw);
  const etf = -1 / (K - 1);
  const parts: string[] = [];
  const base = m.top + 48;
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${base}" y2="${base}" stroke="#444"/>`);
  for (const t of [-1, -0.5, 0, 0.5, 1]) parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${base}" y2="${base + 4}" stroke="#444"/><text class="nc-tick" x="${sx(t)}" y="${base + 15}" text-anchor="middle" font-size="10">${t}</text>`);
  parts.push(`<line class="nc-etf" x1="${sx(etf)}" x2="${sx(etf)}" y1="${m.top}" y2="${base}" stroke="#000" stroke-dasharray="3,2"/><text x="${sx(etf) + 3}" y="${m.top + 8}" font-size="9.5">−1/(K−1)</text>`);
  let n = 0;
  for (let k = 0; k < K; k++) {
    for (let l = k + 1; l < K; l++, n++) {
      const v = cos[k][l];
      if (!Number.isFinite(v)) continue;
      // A fixed, spread-out vertical jitter per pair (golden-ratio sequence), so the picture is the same each time.
      const y = r2(base - 6 - ((n * 0.618034) % 1) * 34);
      parts.push(`<circle class="nc-pair" data-k="${classes[k]}" data-l="${classes[l]}" cx="${sx(v)}" cy="${y}" r="2.4" fill="${PALETTE[0]}" fill-opacity="0.65"><title>${esc(`classes ${classes[k]}, ${classes[l]}: ${formatValue(v)}`)}</title></circle>`);
    }
  }
  return frame(width, height, options.title ?? 'Pairwise cosines of the class means', 'each pair k < l; at NC2 they gather on the simplex ETF value', parts.join(''), 'data-chart="pair-cosines"');
}

/**
 * Per-class norms divided by their mean — ‖μ̃ₖ‖ (class means) and ‖wₖ‖ (classifier rows) side by side — with a
 * rule at 1: equinorm (NC2) puts every bar on it.
 */
export function normBarsSvg(classes: readonly number[], meanNorms: readonly number[], weightNorms?: readonly number[], options: { title?: string; width?: number } = {}): string {
  const width = options.width ?? 380;
  const height = 210;
  const m = { left: 40, right: 12, top: 40, bottom: 44 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const groups: { key: string; label: string; values: number[] }[] = [];
  const rel = (v: readonly number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return v.map((x) => (mean > 0 ? x / mean : NaN));
  };
  groups.push({ key: 'meanNorms', label: '‖μ̃ₖ‖ / mean', values: rel(meanNorms) });
  if (weightNorms) groups.push({ key: 'weightNorms', label: '‖wₖ‖ / mean', values: rel(weightNorms) });
  const all = groups.flatMap((g) => g.values).filter(Number.isFinite);
  const top = Math.max(1.5, ...all) * 1.05;
  const sy = (v: number) => r2(m.top + ph - (v / top) * ph);
  const K = classes.length;
  const slot = pw / K;
  const bw = Math.max(1, (slot * 0.8) / groups.length);
  const parts: string[] = [];
  for (const t of linearTicks(0, top, 4)) {
    if (t > top) continue;
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/><text class="nc-tick" x="${m.left - 5}" y="${sy(t) + 3.5}" text-anchor="end" font-size="10">${formatValue(t)}</text>`);
  }
  groups.forEach((g, gi) => {
    g.values.forEach((v, k) => {
      if (!Number.isFinite(v)) return;
      const x = r2(m.left + k * slot + slot * 0.1 + gi * bw);
      parts.push(`<rect class="nc-bar" data-key="${g.key}" data-class="${classes[k]}" x="${x}" y="${sy(v)}" width="${r2(bw)}" height="${r2(m.top + ph - sy(v))}" fill="${PALETTE[gi]}"><title>${esc(`class ${classes[k]}: ${g.label} = ${formatValue(v)}`)}</title></rect>`);
    });
  });
  parts.push(`<line class="nc-equinorm" x1="${m.left}" x2="${m.left + pw}" y1="${sy(1)}" y2="${sy(1)}" stroke="#000" stroke-dasharray="4,3"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#444"/>`);
  if (K <= 30) classes.forEach((c, k) => parts.push(`<text x="${r2(m.left + (k + 0.5) * slot)}" y="${m.top + ph + 13}" text-anchor="middle" font-size="9.5">${c}</text>`));
  parts.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 26}" text-anchor="middle" font-size="10.5" fill="#444">class</text>`);
  groups.forEach((g, gi) => {
    const lx = m.left + gi * 130;
    parts.push(`<g class="nc-legend"><rect x="${lx}" y="${height - 11}" width="10" height="8" fill="${PALETTE[gi]}"/><text x="${lx + 14}" y="${height - 3.5}" font-size="10.5">${esc(g.label)}</text></g>`);
  });
  return frame(width, height, options.title ?? 'Norms per class, relative to their mean', 'equinorm (NC2): every bar at 1', parts.join(''), 'data-chart="norms"');
}
