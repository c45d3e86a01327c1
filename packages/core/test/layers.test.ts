/**
 * Issue 14, "Structure": arrows point down only (DESIGN.md "Parts"). Every import inside packages/core/src goes to a
 * module of the same or a lower layer, and no chain of imports leads back to where it started.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Lowest first. A module's layer is that of the first rule its path (relative to src) matches. */
const LAYERS: [string, RegExp][] = [
  ['basics', /^(types|errors|random)\.ts$|^formats\//],
  ['linalg and graphs', /^linalg\/|^graph\//],
  ['engine', /^engine\//],
  ['conventions and validation', /^conventions\.ts$|^validate\/|^catalogue\//],
  ['geometry', /^geometry\//],
  ['statistics', /^statistics\//],
  ['heads', /^heads\//],
  ['context', /^context\//],
  ['metrics', /^metrics\//],
  ['report', /^report\//],
  ['driver', /^driver\//],
  ['analyze', /^analyze\.ts$/],
  ['multilabel', /^multilabel\//],
  ['ood', /^ood\//],
  ['index', /^index\.ts$/],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function layerOf(file: string): number {
  const rel = relative(src, file).split('\\').join('/');
  const i = LAYERS.findIndex(([, re]) => re.test(rel));
  if (i < 0) throw new Error(`${rel} belongs to no layer: add it to LAYERS`);
  return i;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^'";]*?from\s+'(\.[^']+)'/g)) out.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  return out;
}

describe('core layering', () => {
  const all = files(src);
  const graph = new Map(all.map((f) => [f, importsOf(f)]));

  it('every import points to the same or a lower layer', () => {
    const upward: string[] = [];
    for (const [f, deps] of graph) {
      for (const d of deps) {
        if (layerOf(d) > layerOf(f)) upward.push(`${relative(src, f)} (${LAYERS[layerOf(f)][0]}) → ${relative(src, d)} (${LAYERS[layerOf(d)][0]})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('no import cycles', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(src, p)).join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of all) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('the adapters import only the package entry point, never core internals', () => {
    const pkgs = resolve(src, '../..');
    const deep: string[] = [];
    for (const p of ['onnx', 'tfjs', 'cli']) {
      for (const f of files(join(pkgs, p, 'src'))) {
        if (/from\s+'@ncscope\/core\/|from\s+'(\.\.\/)+core\//.test(readFileSync(f, 'utf8'))) deep.push(relative(pkgs, f));
      }
    }
    expect(deep).toEqual([]);
  });
});
