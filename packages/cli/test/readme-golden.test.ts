/**
 * The CLI README's golden `analyze` output is the real, whole output of the command it shows (it had fallen behind:
 * 14 rows, no NC1_c column, no imbalance block, not marked abridged). `npm run readme:cli` regenerates it.
 */
import { describe, expect, it } from 'vitest';
import { goldenBlock, readmeBlock, withoutTimings } from '../scripts/readme-golden.js';

describe('packages/cli/README.md', () => {
  it('shows the current output of ncscope analyze on the golden set (timings aside): run npm run readme:cli when it changes', async () => {
    const now = readmeBlock();
    expect(now, 'the <!-- golden-analyze --> markers').toBeDefined();
    expect(withoutTimings(now!), 'packages/cli/README.md is out of date: run npm run readme:cli').toBe(withoutTimings(await goldenBlock()));
  });
});
