import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources through the "@ncscope/source" export condition,
// so `npm test` needs no build. Each package is its own project; cross-package tests live in test/.
// The condition must reach both the resolver and the SSR (Node) environment the tests run in; with only
// `resolve.conditions`, workspace packages were loaded from their built dist/.
const resolve = { conditions: ['@ncscope/source'] };
const ssr = { resolve: { conditions: ['@ncscope/source'], externalConditions: ['@ncscope/source'] } };
// Property tests (fast-check) are reproducible: one seed per run, fixed unless NCSCOPE_FC_SEED=random (see test/setup).
const setupFiles = [fileURLToPath(new URL('./test/setup/fast-check.ts', import.meta.url))];
export default defineConfig({
  resolve,
  ssr,
  test: {
    globalSetup: ['./test/setup/fast-check-seed.ts'],
    projects: [
      { resolve, ssr, test: { setupFiles, name: 'core', root: 'packages/core', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
      { resolve, ssr, test: { setupFiles, name: 'io', root: 'packages/io', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 } },
      { resolve, ssr, test: { setupFiles, name: 'cli', root: 'packages/cli', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 } },
      { resolve, ssr, test: { setupFiles, name: 'onnx', root: 'packages/onnx', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 } },
      { resolve, ssr, test: { setupFiles, name: 'tfjs', root: 'packages/tfjs', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 120_000 } },
      { resolve, ssr, test: { setupFiles, name: 'ufm', root: 'packages/ufm', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 } },
      { resolve, ssr, test: { setupFiles, name: 'integration', root: 'test', include: ['**/*.test.ts'], exclude: ['packaging/**', 'slurm/**', '**/node_modules/**'], testTimeout: 120_000 } },
      // `npm run test:packaging` (CI): packs every package and installs the tarballs in a fresh project (needs the
      // npm registry or its cache, and ~2 minutes), so `npm test` leaves it out.
      // `npm run test:slurm` (CI, as root with slurm-wlm and munge): docs/sharded-statistics.md's Slurm workflows on a
      // one-node cluster that test/slurm/cluster.sh starts and stops.
      ...(process.env.NCSCOPE_SLURM === '1' ? [{ resolve, ssr, test: { name: 'slurm', root: 'test/slurm', include: ['**/*.test.ts'], testTimeout: 600_000, hookTimeout: 120_000 } }] : []),
      ...(process.env.NCSCOPE_PACKAGING === '1' ? [{ test: { name: 'packaging', root: 'test/packaging', include: ['**/*.test.ts'], testTimeout: 300_000, hookTimeout: 600_000 } }] : []),
    ],
  },
});
