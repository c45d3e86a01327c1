/**
 * Per-thread CPU time of this process from /proc (Linux): how much of a phase's CPU the main (JavaScript) thread
 * spent and how much the other threads (onnxruntime's pool, libuv's file readers) did. On a busy machine the
 * wall-clock ratio CPU / wall says more about the neighbours than about the code; total CPU / main-thread CPU is
 * the parallelism the phase would reach on idle cores when the main thread is its critical path.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface ThreadTimes { main: number; others: number; wall: number }

const TICK = 100; // clock ticks per second (USER_HZ) on Linux

function sample(): { main: number; others: number } | undefined {
  const dir = '/proc/self/task';
  if (!existsSync(dir)) return undefined;
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(dir)) {
    let stat: string;
    try { stat = readFileSync(`${dir}/${tid}/stat`, 'utf8'); } catch { continue; }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / TICK; // utime + stime
    if (Number(tid) === process.pid) main += cpu; else others += cpu;
  }
  return { main, others };
}

/** Runs `f` and returns its wall time and the CPU seconds of the main thread and of all other threads. */
export async function threadTimes<T>(f: () => Promise<T>): Promise<{ result: T; times?: ThreadTimes }> {
  const a = sample();
  const t = performance.now();
  const result = await f();
  const wall = (performance.now() - t) / 1000;
  const b = sample();
  if (!a || !b) return { result };
  return { result, times: { main: b.main - a.main, others: b.others - a.others, wall } };
}

/** "cpu 3.10 s (main 1.60 + other threads 1.50); cpu/wall 1.80; cpu/main 1.94". */
export function describeTimes(t: ThreadTimes | undefined): string {
  if (!t) return 'per-thread CPU unavailable';
  const cpu = t.main + t.others;
  return `cpu ${cpu.toFixed(2)} s (main ${t.main.toFixed(2)} + other threads ${t.others.toFixed(2)}); cpu/wall ${(cpu / t.wall).toFixed(2)}; cpu/main ${(cpu / Math.max(t.main, 1e-9)).toFixed(2)}`;
}
