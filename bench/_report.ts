/**
 * _report - how every benchmark prints: an aligned table for people, one JSON document with --json.
 *
 * Emulator-only. A benchmark builds rows of named columns and hands them here with a title, the
 * environment (node version, CPU) and its baseline; nothing here measures.
 */
import { cpus } from 'node:os';
import { formatCell, formatTable, type Cell } from '@rdmaemu/sim-core';

export interface BenchReport {
  suite: string;
  title: string;
  columns: string[];
  rows: Record<string, Cell>[];
  baseline?: Record<string, Cell>;
  notes?: string[];
}

/** environment - where the numbers came from. */
export function environment(): Record<string, string | number> {
  const c = cpus();
  return { node: process.version, cpu: c[0]?.model ?? 'unknown', cores: c.length, platform: `${process.platform}-${process.arch}` };
}

/** printReport - the table (default) or the JSON document (`--json`). */
export function printReport(report: BenchReport, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ ...report, environment: environment() }, null, 2) + '\n');
    return;
  }
  const env = environment();
  console.log(`${report.title}\n(${env.node}, ${env.cpu}, ${env.cores} cores)\n`);
  console.log(formatTable(report.columns, report.rows));
  if (report.baseline) console.log(`\nbaseline: ${Object.entries(report.baseline).map(([k, v]) => `${k}=${formatCell(v)}`).join('  ')}`);
  for (const n of report.notes ?? []) console.log(n);
}

/**
 * timeIt - run `fn` repeatedly for about `ms` milliseconds of wall-clock time (after a warm-up)
 * and return operations per second; `calls` counts the warm-up calls too (for per-call counters). Wall-clock time is read only here, in benchmarks.
 */
export function timeIt(fn: () => void, ms = 300, warmup = 50): { ops: number; calls: number; opsPerSec: number; seconds: number } {
  const start = performance.now();
  let warm = 0;
  while (performance.now() - start < warmup) {
    fn();
    warm++;
  }
  let ops = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 16; i++) fn();
    ops += 16;
    t = performance.now();
  }
  const seconds = (t - t0) / 1000;
  return { ops, calls: ops + warm, opsPerSec: ops / seconds, seconds };
}
