/** The chart SVG builders (pure strings, tested here in Node; drawn in Chromium by test/browser/nc-browser.test.ts). */
import { describe, expect, it } from 'vitest';
import { cosineHeatmapSvg, cosineStripSvg, divergingColor, lineChartSvg, ncCharts, normBarsSvg } from '../src/charts/index.js';
import { formatValue, linearTicks, logTicks } from '../src/charts/svg.js';

const attr = (svg: string, cls: string, name: string) => [...svg.matchAll(new RegExp(`class="${cls}"[^>]*?${name}="([^"]*)"`, 'g'))].map((m) => m[1]);

describe('chart SVG', () => {
  it('a line chart maps epochs and values onto the plot, one dot per finite point, gaps at NaN', () => {
    const svg = lineChartSvg({ title: 'T', series: [{ key: 'nc1', label: 'NC1', points: [[1, 1], [2, NaN], [3, 0.01], [4, 0.001]] }], log: true, width: 400, height: 200 });
    expect(attr(svg, 'nc-point', 'data-x')).toEqual(['1', '3', '4']);
    const cy = attr(svg, 'nc-point', 'cy').map(Number);
    // Log axis: 1 → 0.01 is two decades, 0.01 → 0.001 one: the gaps in pixels are 2 : 1.
    expect((cy[1] - cy[0]) / (cy[2] - cy[1])).toBeCloseTo(2, 1);
    const cx = attr(svg, 'nc-point', 'cx').map(Number);
    expect((cx[1] - cx[0]) / (cx[2] - cx[1])).toBeCloseTo(2, 1);
    // The NaN breaks the line: the first segment has one point only, so the path starts at epoch 3.
    const d = attr(svg, 'nc-series', 'd')[0];
    expect(d.match(/M/g)).toHaveLength(1);
    expect(d.startsWith(`M${cx[1]},${cy[1]}`)).toBe(true);
    expect(svg).toContain('log scale');
  });

  it('falls back to a linear axis when a value is not positive; escapes text; waits when empty', () => {
    const svg = lineChartSvg({ title: 'a < b & "c"', series: [{ key: 'x', label: '<x>', points: [[0, -1], [1, 1]] }], log: true });
    expect(svg).not.toContain('log scale');
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(svg).toContain('&lt;x&gt;');
    expect(lineChartSvg({ title: 'e', series: [] })).toContain('waiting for the first measurement');
  });

  it('ticks: nice linear steps, powers of ten', () => {
    expect(linearTicks(0, 1, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(3, 47, 4)).toEqual([10, 20, 30, 40]);
    expect(logTicks(0.004, 2)).toEqual([0.001, 0.01, 0.1, 1, 10]);
    expect(formatValue(0.000123)).toBe('1.23e-4');
    expect(formatValue(0.5)).toBe('0.5');
  });

  it('the heatmap has K × K cells coloured by cosine, the ETF marked at −1/(K−1)', () => {
    const K = 5;
    const etf = Array.from({ length: K }, (_, k) => Array.from({ length: K }, (_, l) => (k === l ? 1 : -1 / (K - 1))));
    const svg = cosineHeatmapSvg(etf, [0, 1, 2, 3, 4]);
    expect(svg.match(/class="nc-cell"/g)).toHaveLength(K * K);
    expect(svg).toContain(`fill="${divergingColor(1)}"`);
    expect(divergingColor(1)).toBe('rgb(178,24,43)');
    expect(divergingColor(-1)).toBe('rgb(33,102,172)');
    expect(divergingColor(0)).toBe('rgb(255,255,255)');
    expect(svg).toContain('−1/(K−1) = -0.25 off the diagonal');
    const strip = cosineStripSvg(etf, [0, 1, 2, 3, 4]);
    const cx = new Set(attr(strip, 'nc-pair', 'cx'));
    expect(strip.match(/class="nc-pair"/g)).toHaveLength((K * (K - 1)) / 2);
    // At an exact ETF every pair sits on the ETF rule.
    expect([...cx]).toEqual([attr(strip, 'nc-etf', 'x1')[0]]);
  });

  it('norm bars are relative to their mean: equal norms all reach the rule at 1', () => {
    const svg = normBarsSvg([0, 1, 2], [2, 2, 2], [5, 5, 5]);
    const tops = new Set(attr(svg, 'nc-bar', ' y'));
    expect(svg.match(/class="nc-bar"/g)).toHaveLength(6);
    expect(tops.size).toBe(1);
    expect([...tops][0]).toBe(attr(svg, 'nc-equinorm', 'y1')[0]);
  });

  it('ncCharts outside a page is a named error', () => {
    expect(() => ncCharts('#nc')).toThrow(expect.objectContaining({ name: 'NcInputError', code: 'BAD_OPTION', message: expect.stringMatching(/no document/) }));
  });
});
