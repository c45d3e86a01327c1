/**
 * The output rule every command shares (@ncscope/io's checkOutputPaths and writeFilesAtomic + src/output/file-options.ts): an output that is an input
 * (same path, a symlink, a hard link) or another output is refused before anything is read — exit 2, one line,
 * every input byte-identical afterwards, nothing new on disk — and missing parent folders of outputs are created.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../src/main.js';
import { fileRole } from '../src/output/file-options.js';
import { GOLDEN, runCli, tempDir } from './helpers/run.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const FX = fileURLToPath(new URL('../../onnx/test/fixtures/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/runs/', import.meta.url));

/** A private copy of every file a command may read, so an overwrite would be visible and harmless. */
const dir = tmp.dir;
for (const name of ['features', 'labels', 'weights', 'bias']) copyFileSync(join(GOLDEN, 'balanced', `${name}.npy`), join(dir, `${name}.npy`));
for (const name of ['mlp-epoch01.onnx', 'mlp-inputs.npy', 'mlp-labels.npy']) copyFileSync(join(FX, name), join(dir, name));
copyFileSync(join(FIXTURES, 'cross-entropy.jsonl'), join(dir, 'run.jsonl'));
const p = (name: string) => join(dir, name);
const data = ['--features', p('features.npy'), '--labels', p('labels.npy')];

/** Every file in the scratch folder with its bytes. */
function snapshot(): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).map((n) => [n, readFileSync(join(dir, n))]));
}

/** Runs a command that must be refused: exit 2, one line matching `pattern`, no stdout, every file unchanged. */
async function refused(args: string[], pattern: RegExp): Promise<void> {
  const before = snapshot();
  const r = await runCli(args);
  expect(r.stdout, args.join(' ')).toBe('');
  expect(r.stderr, args.join(' ')).toMatch(pattern);
  expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
  expect(r.code, args.join(' ')).toBe(2);
  const after = snapshot();
  expect([...after.keys()].sort(), args.join(' ')).toEqual([...before.keys()].sort());
  for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes), `${name} changed by ${args.join(' ')}`).toBe(true);
}

// A means file and a spread file for the stats commands (written once, then used as inputs).
const means = p('means.json');
const spread = p('spread.json');
async function prepareStats(): Promise<void> {
  if (existsSync(spread)) return;
  expect((await runCli(['stats', 'means', ...data, '-o', means])).code).toBe(0);
  expect((await runCli(['stats', 'spread', ...data, '--means', means, '--engine', 'js', '-o', spread])).code).toBe(0);
}

describe('an output never replaces an input', () => {
  it('analyze --html / --save-stats naming an input (features, labels, weights, --stats)', async () => {
    await prepareStats();
    const full = [...data, '--weights', p('weights.npy'), '--bias', p('bias.npy'), '--engine', 'js'];
    await refused(['analyze', ...full, '--html', p('features.npy')], /features\.npy: --html would overwrite the input --features /);
    await refused(['analyze', ...full, '--save-stats', p('labels.npy')], /labels\.npy: --save-stats would overwrite the input --labels /);
    await refused(['analyze', ...full, '--html', p('bias.npy')], /--html would overwrite the input --bias /);
    await refused(['analyze', '--stats', spread, '--html', spread], /spread\.json: --html would overwrite the input --stats /);
  });

  it('analyze --html and --save-stats naming the same file (the stats would be lost)', async () => {
    await refused(['analyze', ...data, '--engine', 'js', '--html', p('out.html'), '--save-stats', p('out.html')], /out\.html: --html and --save-stats name the same file/);
    expect(existsSync(p('out.html'))).toBe(false);
  });

  it('relative paths, "..", symlinks and hard links to an input are the same file', async () => {
    mkdirSync(p('sub'), { recursive: true });
    symlinkSync(p('labels.npy'), p('labels-link.npy'));
    linkSync(p('features.npy'), p('features-hardlink.npy'));
    await refused(['analyze', ...data, '--engine', 'js', '--html', join(dir, 'sub', '..', 'labels.npy')], /would overwrite the input --labels/);
    await refused(['analyze', ...data, '--engine', 'js', '--html', p('labels-link.npy')], /would overwrite the input --labels .*labels\.npy \(the same file through a symlink\)/);
    await refused(['analyze', ...data, '--engine', 'js', '--save-stats', p('features-hardlink.npy')], /--save-stats would overwrite the input --features .*features\.npy \(a hard link to it\)/);
    // Through a symlinked folder.
    symlinkSync(dir, p('sub/up'));
    await refused(['analyze', ...data, '--engine', 'js', '--html', join(dir, 'sub', 'up', 'features.npy')], /would overwrite the input --features/);
  });

  it('stats means / spread / merge -o naming an input', async () => {
    await prepareStats();
    await refused(['stats', 'means', ...data, '-o', p('labels.npy')], /labels\.npy: --output would overwrite the input --labels /);
    await refused(['stats', 'spread', ...data, '--means', means, '--engine', 'js', '-o', means], /means\.json: --output would overwrite the input --means /);
    await refused(['stats', 'merge', means, spread, '-o', spread], /spread\.json: --output would overwrite the input <files\.\.\.> /);
  });

  it('report -o naming a log', async () => {
    await refused(['report', p('run.jsonl'), '-o', p('run.jsonl')], /run\.jsonl: --output would overwrite the input <logs\.\.\.> /);
  });

  it('onnx --jsonl / --html naming a model, the inputs or each other', async () => {
    const args = ['onnx', p('mlp-epoch01.onnx'), '--inputs', p('mlp-inputs.npy'), '--labels', p('mlp-labels.npy'), '--engine', 'js'];
    await refused([...args, '--jsonl', p('mlp-epoch01.onnx')], /--jsonl would overwrite the input <models\.\.\.> /);
    await refused([...args, '--jsonl', p('mlp-inputs.npy')], /--jsonl would overwrite the input --inputs /);
    await refused([...args, '--html', p('mlp-labels.npy')], /--html would overwrite the input --labels /);
    await refused([...args, '--jsonl', p('x.out'), '--html', p('x.out')], /--html and --jsonl name the same file/);
  });

  it('head --out-weights / --out-bias naming an input or each other', async () => {
    await refused(['head', ...data, '--out-weights', p('labels.npy')], /--out-weights would overwrite the input --labels /);
    await refused(['head', ...data, '--out-weights', p('W.npy'), '--out-bias', p('W.npy')], /--out-bias and --out-weights name the same file/);
  });

  it('an output naming a folder is refused before any work', async () => {
    await refused(['analyze', ...data, '--engine', 'js', '--html', dir], /--html names a folder/);
  });
});

describe('outputs in folders that do not exist yet', () => {
  it('every command creates the parent folders of its outputs', async () => {
    const out = (name: string) => join(dir, 'made', name, 'deeper', 'file');
    const runs: string[][] = [
      ['analyze', ...data, '--engine', 'js', '--save-stats', out('save-stats'), '--html', out('html')],
      ['stats', 'means', ...data, '-o', out('means')],
      ['head', ...data, '--out-weights', out('weights'), '--out-bias', out('bias')],
      ['onnx', p('mlp-epoch01.onnx'), '--inputs', p('mlp-inputs.npy'), '--labels', p('mlp-labels.npy'), '--engine', 'js', '--jsonl', out('jsonl'), '--html', out('onnx-html')],
      ['report', p('run.jsonl'), '-o', out('report')],
    ];
    for (const args of runs) {
      const r = await runCli(args);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
    await prepareStats();
    expect((await runCli(['stats', 'merge', means, '-o', out('merge')])).code).toBe(0);
    expect((await runCli(['stats', 'spread', ...data, '--means', means, '--engine', 'js', '-o', out('spread')])).code).toBe(0);
    for (const name of ['save-stats', 'html', 'means', 'weights', 'bias', 'jsonl', 'onnx-html', 'report', 'merge', 'spread']) {
      expect(statSync(out(name)).size, name).toBeGreaterThan(0);
    }
    // The onnx page plots the checkpoint trend.
    expect(readFileSync(out('onnx-html'), 'utf8')).toContain('Neural Collapse across 1 checkpoint');
  });
});

describe('every file option and argument declares its role', () => {
  /** All commands of the program, depth first. */
  const commands = (c: Command): Command[] => [c, ...c.commands.flatMap(commands)];
  it('options taking <file> and file arguments are inputFile(…) or outputFile(…), so the rule above applies', () => {
    const undeclared: string[] = [];
    for (const c of commands(buildProgram())) {
      for (const o of c.options) if (/<file>/.test(o.flags) && !fileRole(o)) undeclared.push(`${c.name()} ${o.flags}`);
      for (const a of c.registeredArguments) if (/model|file|log/.test(a.name()) && !fileRole(a)) undeclared.push(`${c.name()} <${a.name()}>`);
    }
    expect(undeclared).toEqual([]);
  });
});
