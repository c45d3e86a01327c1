/**
 * @ncscope/tfjs/charts — live Neural Collapse charts for pages: `ncCharts(container)` draws NC1–NC4 and accuracy over
 * epochs and the per-class snapshot of the latest measurement, fed by `ncCallback`'s `onReport`. Plain SVG, no
 * dependency; the SVG builders are exported for pages that lay out their own charts.
 */
export { DEFAULT_PANELS, NcCharts, ncCharts, type ChartContainer, type ChartElement, type NcChartPanel, type NcChartRow, type NcChartsOptions } from './nc-charts.js';
export { PALETTE, cosineHeatmapSvg, cosineStripSvg, divergingColor, lineChartSvg, normBarsSvg, type ChartSeries, type LineChartSpec } from './svg.js';
