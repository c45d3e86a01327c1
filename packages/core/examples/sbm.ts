import { analyze, collapseConditionGap, csrMultiply, normalizedAdjacency, stochasticBlockModel } from '@ncscope/core';

// Two communities of 500 nodes; edge probability 0.025 inside a community and 0.0017 across (the paper's setting).
const graph = stochasticBlockModel({ communities: 2, nodesPerCommunity: 500, p: 0.025, q: 0.0017, seed: 1 });
const regular = stochasticBlockModel({ communities: 2, nodesPerCommunity: 500, p: 0.025, q: 0.0017, seed: 1, regular: true });
console.log(`ordinary: ${graph.numEdges} edges, condition gap ${collapseConditionGap(graph).toFixed(3)}`);
console.log(`regular:  ${regular.numEdges} edges, ${regular.regular!.within} + ${regular.regular!.between} neighbours per node, gap ${collapseConditionGap(regular)}`);

// Features that already sit on their class means (NC1 = 0), propagated once by Â (mean over neighbours).
for (const [name, g] of [['ordinary', graph], ['regular', regular]] as const) {
  const D = 2;
  const H = new Float64Array(g.numNodes * D);
  for (let i = 0; i < g.numNodes; i++) H[i * D + g.labels[i]] = 1; // node i at e_{y_i}
  const HA = csrMultiply(normalizedAdjacency(g), H, D); // D⁻¹A H: the paper's H Â with Â = A D⁻¹, nodes as rows
  const { report } = await analyze([{ features: HA, labels: g.labels }]);
  console.log(`${name}: NC1 of H Â = ${report.metrics.nc1!.toExponential(2)}`);
}
