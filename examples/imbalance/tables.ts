/** The imbalance README's generated table: the UFM's minority collapse at this example's ratios (npm run tables). */
import { fileURLToPath } from 'node:url';
import { defineOutputs } from '../lib/outputs.js';
import { markdownTable, sig } from '../lib/markdown.js';
import { readResults } from '../lib/results.js';

const here = fileURLToPath(new URL('.', import.meta.url));
interface Ufm { converged: boolean; gradientNorm: number; minorityCosine: number | null; majorityCosine: number | null; normRatio: number | null; minorityMeansCosine: number | null; nc1: number | null; meanWeightNorm: number }
const f = (x: number | null | undefined) => (x === null || x === undefined ? '—' : sig(x));

export default defineOutputs({
  tables: {
    ufm: () => {
      const runs = readResults<Ufm>(here, 'ufm/').sort((a, b) => (a.protocol.lambdaW as number) - (b.protocol.lambdaW as number) || (a.protocol.ratio as number) - (b.protocol.ratio as number));
      if (!runs.length) return '_No result files yet (results/ufm/)._';
      return markdownTable(
        ['λ_W = λ_H', 'ρ', 'counts (majority / minority)', 'converged (gradient norm)', 'mean ‖w_k‖', 'cos W minority', 'cos W majority', '‖w‖ min/maj', 'cos μ̃ minority'],
        runs.map((r) => {
          const c = r.protocol.counts as number[];
          const x = r.result;
          const trivial = x.meanWeightNorm < 1e-6;
          return [
            String(r.protocol.lambdaW), String(r.protocol.ratio), `${c[0]} / ${c[9]}`, `${x.converged ? 'yes' : 'no'} (${sig(x.gradientNorm, 2)})`,
            trivial ? '0 (W = H = 0)' : sig(x.meanWeightNorm), f(x.minorityCosine), f(x.majorityCosine), trivial ? '—' : f(x.normRatio), f(x.minorityMeansCosine),
          ];
        }),
        ['r', 'r', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
      );
    },
  },
});
