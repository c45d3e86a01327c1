/** Small formatters for generated README content (tables from result files). */

/** A GitHub markdown table; `align` per column ('l' default, 'r' for numbers). Cells are escaped for "|". */
export function markdownTable(columns: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const rule = columns.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [columns, rule, ...rows].map((r) => `| ${r.map((c, i) => (r === rule ? c : esc(c))).join(' | ')} |`).join('\n');
}

/** A fixed-width text table (columns padded to the widest cell), as the examples print on the console. */
export function textTable(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), ...rows.map(line)].join('\n');
}

/** A fenced code block (for text tables in a README). */
export function fenced(text: string, lang = ''): string {
  return `\`\`\`${lang}\n${text.replace(/\n+$/, '')}\n\`\`\``;
}

/** A number with `digits` significant digits, exponent form below 0.01 (e.g. 0.142, 1.38e-2). */
export function sig(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) < 0.01 || Math.abs(x) >= 1e5 ? x.toExponential(digits - 1) : x.toPrecision(digits);
}
