import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources through the "@ncscope/source" export condition,
// so `npm test` needs no build. Each package is its own project; cross-package tests live in test/.
const resolve = { conditions: ['@ncscope/source'] };
export default defineConfig({
  resolve,
  test: {
    projects: [
      { resolve, test: { name: 'core', root: 'packages/core', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
      { resolve, test: { name: 'cli', root: 'packages/cli', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 } },
      { resolve, test: { name: 'onnx', root: 'packages/onnx', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 } },
      { resolve, test: { name: 'tfjs', root: 'packages/tfjs', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 120_000 } },
      { resolve, test: { name: 'integration', root: 'test', include: ['**/*.test.ts'], testTimeout: 120_000 } },
    ],
  },
});
