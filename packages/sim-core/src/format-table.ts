/**
 * format-table - aligned text tables for reports, benchmarks and the command line.
 *
 * Emulator-only. Columns are padded to their widest cell; a column whose cells are all numbers is
 * right-aligned with thousands separators, and fractional numbers keep three significant digits.
 */

/** A table cell. */
export type Cell = string | number;

/** formatCell - how a number prints in a table: `1,234,567`, `98.6`, `3.14`, `0.0123`. */
export function formatCell(v: Cell): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  if (abs >= 100) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  if (abs >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/**
 * formatTable - a header, a rule and one line per row.
 * @example
 * ```ts
 * formatTable(['design', 'segs'], [{ design: 'sg', segs: 3 }]);
 * // design  segs
 * // ------  ----
 * // sg         3
 * ```
 */
export function formatTable(columns: readonly string[], rows: readonly Record<string, Cell>[]): string {
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number'));
  const line = (vals: string[]) =>
    vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line([...columns]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
