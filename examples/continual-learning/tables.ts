/** The continual-learning README's tables, from results/<loss>-s<seed>.json (npm run tables). */
import { fileURLToPath } from 'node:url';
import { defineOutputs } from '../lib/outputs.js';
import { markdownTable } from '../lib/markdown.js';
import { costOf, readResults } from '../lib/results.js';
import { meanStd } from '../lib/stats.js';

const here = fileURLToPath(new URL('.', import.meta.url));
interface Task1 { trainLoss: number; testAcc: number; perpShare: number }
interface InitRun { init: string; step0Loss: number; firstBatchLoss: number; first10Loss: number; newLossEpoch1: number; newAccEpoch1: number; finalAccAll: number; finalAccOld: number; finalAccNew: number; growSeconds: number }
type Result = { task1: Task1; runs: InitRun[] };
const LOSSES = ['ce', 'mse'];
const stat = (values: number[]) => {
  const s = meanStd(values);
  return s.n > 1 ? `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}` : s.mean.toFixed(3);
};

export default defineOutputs({
  tables: {
    task2: () => {
      const all = readResults<Result>(here);
      const rows: string[][] = [];
      for (const loss of LOSSES) {
        const runs = all.filter((r) => r.protocol.loss === loss);
        const inits = [...new Set(runs.flatMap((r) => r.result.runs.map((x) => x.init)))];
        for (const init of inits) {
          const xs = runs.flatMap((r) => r.result.runs.filter((x) => x.init === init));
          const col = (k: keyof InitRun) => stat(xs.map((x) => x[k] as number));
          rows.push([loss, init, String(xs.length), col('step0Loss'), col('firstBatchLoss'), col('first10Loss'), col('newLossEpoch1'), col('newAccEpoch1'), col('finalAccAll'), col('finalAccOld'), col('finalAccNew')]);
        }
      }
      return markdownTable(['loss', 'init of new rows', 'seeds', 'loss at step 0 (task-2 train)', 'first-batch loss', 'mean loss, first 10 batches', 'new-digit test loss after epoch 1', 'new-digit test acc after epoch 1', 'final acc, all digits', 'final acc, old digits', 'final acc, new digits'], rows);
    },
    task1: () => {
      const all = readResults<Result>(here);
      const rows = LOSSES.filter((l) => all.some((r) => r.protocol.loss === l)).map((loss) => {
        const t = all.filter((r) => r.protocol.loss === loss).map((r) => r.result.task1);
        return [loss, String(t.length), stat(t.map((x) => x.trainLoss)), stat(t.map((x) => x.testAcc)), stat(t.map((x) => x.perpShare))];
      });
      return markdownTable(['loss', 'seeds', 'task-1 train loss', 'task-1 test acc (digits 0–4)', 'L⊥ / L of the trained task-1 head (central path, λ = 1e-3)'], rows);
    },
    grow: () => {
      const xs = readResults<Result>(here).flatMap((r) => r.result.runs.filter((x) => x.init !== 'random').map((x) => x.growSeconds));
      return `\`growHead\` with least-squares init (features of the 2,200-image task-2 set, one-pass scatter, Cholesky, D = 64): ${stat(xs)} s over ${xs.length} calls.`;
    },
    cost: () => {
      const all = readResults<Result>(here);
      const c = costOf(all);
      const p = all[0]?.protocol as { task1?: { optimizer: string; lr: number; weightDecay: number; epochs: number } } | undefined;
      const t1 = p?.task1 ? `task 1: ${p.task1.optimizer}, lr ${p.task1.lr}, weight decay ${p.task1.weightDecay}, ${p.task1.epochs} epochs` : '';
      return `${c.runs} runs (one per loss and seed; ${t1}), ${c.cpuHours.toFixed(2)} CPU-hours in all; seeds ${c.seeds.join(', ')}; ${c.cpuModels.join('; ')}; tfjs wasm backend.`;
    },
  },
});
