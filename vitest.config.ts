import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources through the "@ncscope/source" export condition,
// so `npm test` needs no build. Each package is its own project; cross-package tests live in test/.
// The condition must reach both the resolver and the SSR (Node) environment the tests run in; with only
// `resolve.conditions`, workspace packages were loaded from their built dist/.
const resolve = { conditions: ['@ncscope/source'] };
const ssr = { resolve: { conditions: ['@ncscope/source'], externalConditions: ['@ncscope/source'] } };
export default defineConfig({
  resolve,
  ssr,
  test: {
    projects: [
      { resolve, ssr, test: { name: 'core', root: 'packages/core', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
      { resolve, ssr, test: { name: 'cli', root: 'packages/cli', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 } },
      { resolve, ssr, test: { name: 'onnx', root: 'packages/onnx', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 } },
      { resolve, ssr, test: { name: 'tfjs', root: 'packages/tfjs', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 120_000 } },
      { resolve, ssr, test: { name: 'ufm', root: 'packages/ufm', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 } },
      { resolve, ssr, test: { name: 'integration', root: 'test', include: ['**/*.test.ts'], testTimeout: 120_000 } },
    ],
  },
});
