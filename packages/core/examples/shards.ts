import { MeansAccumulator, NcInputError, describeCoverageGaps, mergeShardCoverage, shardCoverageGaps, shardRows, type InputCoverage } from '@ncscope/core';

// One input of N rows split into 4 tasks (as a job engine would run them): each sums its rows and records them.
const N = 1003, D = 4, K = 3;
const input = { name: 'features.npy', rows: N, fingerprint: 'e3b0c442' }; // the CLI hashes the file's contents
const row = (i: number) => Float64Array.from({ length: D }, (_, t) => (i % K) + 0.01 * t);
const tasks = [0, 1, 2, 3].map((index) => {
  const { start, end } = shardRows(index, 4, N); // numpy.array_split's rows: 251, 251, 251, 250
  const acc = new MeansAccumulator({ K, D });
  for (let i = start; i < end; i++) acc.add({ features: row(i), labels: Int32Array.of(i % K) });
  const coverage: InputCoverage[] = [{ input, parts: [{ index, count: 4, start, end }] }];
  return { source: `means-${index}.json`, coverage, means: acc.statistics };
});

// Merging checks the records: every row once, none missing.
const merged = mergeShardCoverage(tasks);
console.log(`complete: ${shardCoverageGaps(merged).length === 0}`);
const total = new MeansAccumulator();
for (const t of tasks) total.merge(t.means);
console.log(`samples: ${total.statistics.counts.reduce((a, b) => a + b, 0)} of ${N}`);

console.log(describeCoverageGaps(shardCoverageGaps(mergeShardCoverage([tasks[0], tasks[2]]))));
try {
  mergeShardCoverage([tasks[0], tasks[1], { ...tasks[1], source: 'means-1-retry.json' }]); // a task that ran twice
} catch (e) {
  console.log(`${(e as NcInputError).code}: ${(e as Error).message}`);
}
