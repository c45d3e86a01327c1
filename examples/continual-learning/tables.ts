/** The continual-learning README's tables, from results/<loss>-s<seed>.json (npm run tables). */
import { fileURLToPath } from 'node:url';
import { defineOutputs } from '../lib/outputs.js';
import { markdownTable } from '../lib/markdown.js';
import { costOf, readResults, type ResultFile } from '../lib/results.js';
import { meanStd } from '../lib/stats.js';

const here = fileURLToPath(new URL('.', import.meta.url));
interface Task1 { trainLoss: number; testAcc: number; perpShare: number }
interface InitRun { init: string; step0Loss: number; firstBatchLoss: number; first10Loss: number; newLossEpoch1: number; newAccEpoch1: number; finalAccAll: number; finalAccOld: number; finalAccNew: number; growSeconds: number }
type Result = { task1: Task1; runs: InitRun[] };
const LOSSES = ['ce', 'mse'];
/** Runs grouped by task 1's protocol (the folder of the run id: "sgd-e100", "sgd-e300", "adam-e6"). */
const protocols = (all: ResultFile<Result>[]) => [...new Set(all.map((r) => r.run.split('/')[0]))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
const task1Label = (p: string) => {
  const [opt, e] = p.split('-e');
  return `${opt === 'sgd' ? 'SGD + wd' : 'Adam'}, ${e} epochs`;
};
const stat = (values: number[]) => {
  const s = meanStd(values);
  return s.n > 1 ? `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}` : s.mean.toFixed(3);
};

export default defineOutputs({
  tables: {
    task2: () => {
      const all = readResults<Result>(here);
      const rows: string[][] = [];
      for (const p of protocols(all))
      for (const loss of LOSSES) {
        const runs = all.filter((r) => r.protocol.loss === loss && r.run.startsWith(`${p}/`));
        const inits = [...new Set(runs.flatMap((r) => r.result.runs.map((x) => x.init)))];
        for (const init of inits) {
          const xs = runs.flatMap((r) => r.result.runs.filter((x) => x.init === init));
          const col = (k: keyof InitRun) => stat(xs.map((x) => x[k] as number));
          rows.push([task1Label(p), loss, init, String(xs.length), col('step0Loss'), col('firstBatchLoss'), col('first10Loss'), col('newLossEpoch1'), col('newAccEpoch1'), col('finalAccAll'), col('finalAccOld'), col('finalAccNew')]);
        }
      }
      return markdownTable(['task 1', 'loss', 'init of new rows', 'seeds', 'loss at step 0 (task-2 train)', 'first-batch loss', 'mean loss, first 10 batches', 'new-digit test loss after epoch 1', 'new-digit test acc after epoch 1', 'final acc, all digits', 'final acc, old digits', 'final acc, new digits'], rows);
    },
    task1: () => {
      const all = readResults<Result>(here);
      const rows = protocols(all).flatMap((p) => LOSSES.filter((l) => all.some((r) => r.protocol.loss === l && r.run.startsWith(`${p}/`))).map((loss) => {
        const t = all.filter((r) => r.protocol.loss === loss && r.run.startsWith(`${p}/`)).map((r) => r.result.task1);
        return [task1Label(p), loss, String(t.length), stat(t.map((x) => x.trainLoss)), stat(t.map((x) => x.testAcc)), stat(t.map((x) => x.perpShare))];
      }));
      return markdownTable(['task 1', 'loss', 'seeds', 'task-1 train loss', 'task-1 test acc (digits 0–4)', 'L⊥ / L of the trained task-1 head (central path, λ = 1e-3)'], rows);
    },
    grow: () => {
      const xs = readResults<Result>(here).flatMap((r) => r.result.runs.filter((x) => x.init !== 'random').map((x) => x.growSeconds));
      return `\`growHead\` with least-squares init (features of the 2,200-image task-2 set, one-pass scatter, Cholesky, D = 64): ${stat(xs)} s over ${xs.length} calls.`;
    },
    cost: () => {
      const all = readResults<Result>(here);
      const c = costOf(all);
      const p = all[0]?.protocol as { task1?: { optimizer: string; lr: number; weightDecay: number } } | undefined;
      const t1 = p?.task1 ? `task 1 by ${p.task1.optimizer}, lr ${p.task1.lr}, weight decay ${p.task1.weightDecay}` : '';
      return `${c.runs} runs (one per task-1 protocol, loss and seed; ${t1}), ${c.cpuHours.toFixed(2)} CPU-hours in all; seeds ${c.seeds.join(', ')}; ${c.cpuModels.join('; ')}; tfjs wasm backend.`;
    },
  },
});
