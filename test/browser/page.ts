/**
 * The browser test's page script (bundled by esbuild from the packages' built entries, see nc-browser.test.ts):
 * trains the scenario on one backend with ncCallback and hands back every measurement with the weights it was taken
 * on, the tensor counts around the fit, and what the error paths threw.
 */
import * as core from '@ncscope/core';
import { ncCallback, useBackend } from '@ncscope/tfjs';
import { ncCharts } from '@ncscope/tfjs/charts';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { SCENARIO, getWeights, scenarioModel, scenarioTensors, type ScenarioData, type WeightArray } from './scenario.js';

setWasmPaths('/wasm/');

export interface PageMeasurement {
  epoch: number;
  metrics: Record<string, number | undefined>;
  weights: WeightArray[];
  seconds: number;
}

export interface PageResult {
  backend: string;
  /** WebGL only: whether textures hold float32 (WEBGL_RENDER_FLOAT32_ENABLED) and the renderer string. */
  float32?: boolean;
  renderer?: string;
  measurements: PageMeasurement[];
  history: Record<string, number[]>;
  tensorsBefore: number;
  tensorsAfter: number;
  errors: { name: string; code?: string; message: string; tensorsBefore: number; tensorsAfter: number }[];
  coreExports: number;
  /** What the live charts drew: points per series key, per panel; heatmap cells, pair dots and norm bars. */
  charts: { panels: string[]; points: Record<string, number>; cells: number; pairs: number; bars: number; heading: string };
}

function caught(e: unknown) {
  const err = e as Error & { code?: string };
  return { name: err.name, code: err.code, message: err.message };
}

async function run(backend: string, data: ScenarioData, weights: WeightArray[]): Promise<PageResult> {
  await useBackend(backend);
  if (tf.getBackend() !== backend) throw new Error(`asked for ${backend}, running on ${tf.getBackend()}`);
  const result: Partial<PageResult> = { backend, coreExports: Object.keys(core).length, errors: [] };
  if (backend === 'webgl') {
    result.float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    result.renderer = gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'unknown';
  }
  const model = scenarioModel(weights);
  const { xs, ys } = scenarioTensors(data);
  const measurements: PageMeasurement[] = [];
  const container = document.createElement('div');
  container.id = 'nc';
  document.body.appendChild(container);
  const charts = ncCharts('#nc');
  const nc = ncCallback({
    probe: { xs, ys },
    every: SCENARIO.EVERY,
    onReport: (report, epoch, info) => {
      if (info.primary) measurements.push({ epoch, metrics: { ...report.metrics }, weights: getWeights(model), seconds: nc.lastSeconds });
      return charts.onReport(report, epoch, info);
    },
  });
  result.tensorsBefore = tf.memory().numTensors;
  const history = await model.fit(xs, ys, { epochs: SCENARIO.EPOCHS, batchSize: SCENARIO.BATCH, shuffle: false, verbose: 0, callbacks: [nc] });
  result.tensorsAfter = tf.memory().numTensors;
  result.history = history.history as Record<string, number[]>;
  result.measurements = measurements;
  const points: Record<string, number> = {};
  for (const c of container.querySelectorAll('circle.nc-point')) {
    const key = `${c.closest('[data-panel]')?.getAttribute('data-panel')}/${c.getAttribute('data-key')}`;
    points[key] = (points[key] ?? 0) + 1;
  }
  result.charts = {
    panels: [...container.querySelectorAll('.nc-trends [data-panel]')].map((e) => e.getAttribute('data-panel') ?? ''),
    points,
    cells: container.querySelectorAll('rect.nc-cell').length,
    pairs: container.querySelectorAll('circle.nc-pair').length,
    bars: container.querySelectorAll('rect.nc-bar').length,
    heading: container.querySelector('.nc-snapshot .nc-heading')?.textContent ?? '',
  };

  // Error paths: a named error each, and no tensor left behind.
  const attempt = async (f: () => unknown) => {
    const before = tf.memory().numTensors;
    try {
      await f();
      result.errors!.push({ name: 'none', message: 'no error', tensorsBefore: before, tensorsAfter: tf.memory().numTensors });
    } catch (e) {
      result.errors!.push({ ...caught(e), tensorsBefore: before, tensorsAfter: tf.memory().numTensors });
    }
  };
  // logFile needs a file system.
  await attempt(() => model.fit(xs, ys, { epochs: 1, verbose: 0, callbacks: [ncCallback({ probe: { xs, ys }, logFile: 'runs/nc.jsonl' })] }));
  // A callback that throws mid-fit (here onReport) must not strand the prepared probe.
  await attempt(() => model.fit(xs, ys, { epochs: 1, verbose: 0, callbacks: [ncCallback({ probe: { xs, ys }, onReport: () => { throw new Error('user code failed'); } })] }));
  // A container that is not in the page, and a backend that was never registered.
  await attempt(() => ncCharts('#no-such-element'));
  await attempt(() => useBackend('webgpu'));
  tf.dispose([xs, ys]);
  model.dispose();
  return result as PageResult;
}

declare global {
  interface Window {
    ncRun: typeof run;
    ncReady: boolean;
  }
}
window.ncRun = run;
window.ncReady = true;
