/** Guards the test setup: workspace packages must resolve to their TypeScript sources, not a stale dist/. */
import { describe, expect, it } from 'vitest';

describe('test setup', () => {
  it('loads @ncscope/core, @ncscope/onnx and @ncscope/ufm from src/', async () => {
    for (const pkg of ['@ncscope/core', '@ncscope/onnx', '@ncscope/ufm']) {
      const resolved = import.meta.resolve(pkg);
      expect(resolved, pkg).toMatch(/\/src\/index\.ts$/);
    }
  });
});
