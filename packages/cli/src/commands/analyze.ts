import type { Command } from 'commander';

/** `ncscope analyze` — placeholder registration; replaced by the full command (issue 2). */
export function registerAnalyze(program: Command): void {
  program.command('analyze').description('Neural Collapse report for feature files (.npy, .npz, .safetensors)');
}
