/**
 * Help and docs do not drift from the program: `--version`, mandatory options marked, defaults shown once and
 * readably, the top-level help naming every command (`onnx inspect` too), and every `ncscope …` command line in
 * the READMEs using only flags that command has.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Command, Option } from 'commander';
import { buildProgram, VERSION } from '../src/main.js';
import { readmeFiles } from '../../../test/helpers/readme.js';
import { runCli } from './helpers/run.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** All commands of the program, depth first, with their full names ("stats means"). */
function commands(c: Command, prefix = ''): { name: string; command: Command }[] {
  const name = !c.parent ? '' : prefix ? `${prefix} ${c.name()}` : c.name();
  return [...(name ? [{ name, command: c }] : []), ...c.commands.flatMap((s) => commands(s, name))];
}
const program = buildProgram();
const all = commands(program);

/** The help line(s) of one option, as printed (wrapped lines joined). */
function helpOf(command: Command, option: Option): string {
  const help = command.createHelp();
  return help.optionDescription(option);
}

describe('help', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
    }
  });

  it('the top-level help names every command, onnx inspect included', () => {
    const top = program.helpInformation();
    for (const c of ['analyze', 'head', 'stats', 'report', 'onnx', 'ufm', 'ncscope onnx inspect']) expect(top).toContain(c);
  });

  it('every value option is marked required or shows its default, once, in words (never "(default: [])")', () => {
    const problems: string[] = [];
    for (const { name, command } of all) {
      for (const option of command.options) {
        const text = helpOf(command, option);
        const where = `ncscope ${name} ${option.flags}: "${text}"`;
        if (/default: \[\]/.test(text)) problems.push(`${where} prints an empty list as its default`);
        if ((text.match(/default/g) ?? []).length > 1) problems.push(`${where} states its default twice`);
        if (option.mandatory && !text.endsWith('(required)')) problems.push(`${where} is mandatory but not marked`);
        // A value option needs a default or "required", unless its absence simply turns something off: an optional
        // file (input or output) or an array key of one.
        const optionalFile = /<file>/.test(option.flags) || /-key <name>/.test(option.flags);
        const takesValue = option.required || option.optional;
        if (takesValue && !optionalFile && !/default|required/.test(text)) problems.push(`${where} shows no default`);
      }
    }
    expect(problems).toEqual([]);
  });
});

const readmes = readmeFiles(ROOT);

/** `ncscope <command> …` lines in fenced code blocks (continuations joined), with the README and line. */
function commandLines(file: string): { text: string; where: string }[] {
  const out: { text: string; where: string }[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  let inBlock = false;
  let current: { text: string; where: string } | undefined;
  lines.forEach((line, i) => {
    if (/^\s*```/.test(line)) {
      inBlock = !inBlock;
      current = undefined;
      return;
    }
    if (!inBlock) return;
    const code = line.replace(/\s#\s.*$/, '');
    const start = /(?:^|[\s$(])(?:npx )?ncscope ([a-z]+(?: [a-z]+)?)(?=\s|$)(.*)$/.exec(code);
    if (start && !/^\s*(ncscope: error|\/\/)/.test(code)) {
      current = { text: `${start[1]}${start[2]}`, where: `${file.slice(ROOT.length)}:${i + 1}` };
      out.push(current);
    } else if (current && /^\s+(-|\[)/.test(code)) {
      current.text += ` ${code.trim()}`;
    } else {
      current = undefined;
    }
  });
  return out;
}

describe('README command lines use flags their command has', () => {
  const byName = new Map(all.map((c) => [c.name, c.command]));
  const found = readmes.flatMap(commandLines);
  it('finds command lines in the READMEs', () => {
    expect(found.length).toBeGreaterThan(10);
  });
  it('every --flag of every `ncscope …` line exists on that command', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const { text, where } of found) {
      const words = text.split(/\s+/);
      const name = byName.has(`${words[0]} ${words[1]}`) ? `${words[0]} ${words[1]}` : words[0];
      const command = byName.get(name);
      if (!command) {
        problems.push(`${where}: no command "ncscope ${name}"`);
        continue;
      }
      const known = new Set(['--help', ...command.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[])]);
      for (const flag of text.match(/(?<![\w-])--[a-z][a-z0-9-]*/g) ?? []) {
        checked++;
        if (!known.has(flag)) problems.push(`${where}: ncscope ${name} has no ${flag}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });
});
