/**
 * `ncscope <args>` in a child process, run from the sources (`node --conditions=@ncscope/source --import tsx`):
 * for tests that need a process of their own — a time limit (a read that would block forever) or a memory
 * measurement. On exit it appends one line `ncscope-test: maxrss <KiB>` to stderr: the process's peak resident set.
 */
import { main } from '../../src/main.js';

const code = await main(process.argv);
process.stderr.write(`ncscope-test: maxrss ${process.resourceUsage().maxRSS}\n`);
process.exitCode = code;
