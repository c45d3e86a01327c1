import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/output/progress.js';

/** A fake terminal stream collecting what the bar draws. */
function fakeTty() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 }) as unknown as NodeJS.WriteStream & PassThrough;
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('progress bar', () => {
  it('draws one bar per phase with rows done and total when enabled', async () => {
    const tty = fakeTty();
    const p = createProgress(true, 600, tty.stream);
    p.update('means', 300);
    p.update('means', 600);
    p.update('spread', 200);
    p.stop();
    await new Promise((r) => setImmediate(r));
    expect(tty.text()).toMatch(/pass 1\/2 class means .*\/600 rows/);
    expect(tty.text()).toMatch(/pass 2\/2 spread .*\/600 rows/);
  });

  it('writes nothing when disabled (not a TTY, or --json)', async () => {
    const tty = fakeTty();
    const p = createProgress(false, 600, tty.stream);
    p.update('means', 600);
    p.stop();
    await new Promise((r) => setImmediate(r));
    expect(tty.text()).toBe('');
  });
});
