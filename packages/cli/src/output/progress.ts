import { createRequire } from 'node:module';
import type cliProgressTypes from 'cli-progress';

/** cli-progress, loaded when a bar is first drawn (never for --json or a non-TTY stderr): it costs a CLI start ~20 ms. */
let cliProgressModule: typeof cliProgressTypes | undefined;
export const loadCliProgress = (): typeof cliProgressTypes => (cliProgressModule ??= createRequire(import.meta.url)('cli-progress') as typeof cliProgressTypes);

/** Progress over the rows of each phase; a no-op unless enabled (stderr is a TTY and the output is not JSON). */
export interface Progress {
  update(phase: 'means' | 'spread', rowsDone: number): void;
  stop(): void;
}

const PHASE_TITLES = { means: 'pass 1/2 class means ', spread: 'pass 2/2 spread      ' } as const;

/** A cli-progress bar on stderr, restarted for each phase, cleared when done. */
export function createProgress(enabled: boolean, totalRows: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled) return { update() {}, stop() {} };
  let bar: cliProgressTypes.SingleBar | undefined;
  let current: 'means' | 'spread' | undefined;
  return {
    update(phase, rowsDone) {
      if (phase !== current) {
        bar?.stop();
        const cliProgress = loadCliProgress();
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${PHASE_TITLES[phase]} {bar} {percentage}% | {value}/{total} rows | eta {eta_formatted}`,
            clearOnComplete: true,
            hideCursor: true,
            fps: 10,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(totalRows, 0);
        current = phase;
      }
      bar!.update(rowsDone);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
