/**
 * printk - a host's kernel log (dmesg): leveled messages in a bounded ring.
 *
 * Kernel: kernel/printk/printk.c, include/linux/printk.h, include/linux/dev_printk.h
 *
 * Operation: each emulated host owns one `Dmesg`. Messages keep their level and the SimClock
 * timestamp when one is given, and print as `[    1.234567] text`, the way `dmesg` shows them.
 * The ring holds `capacity` lines (older lines are dropped, `dropped` counts them). `*_ratelimited`
 * and `*_once` helpers are the caller's business: they decide whether to call `printk` at all.
 */

/** Kernel: include/linux/kern_levels.h */
export const KERN_EMERG = 0;
export const KERN_ALERT = 1;
export const KERN_CRIT = 2;
export const KERN_ERR = 3;
export const KERN_WARNING = 4;
export const KERN_NOTICE = 5;
export const KERN_INFO = 6;
export const KERN_DEBUG = 7;

/** One dmesg line. */
export interface DmesgLine {
  level: number;
  ts_ns: number;
  text: string;
}

/**
 * Dmesg - one host's kernel log ring.
 * @example
 * ```ts
 * const log = new Dmesg();
 * printk(log, KERN_WARNING, 'swiotlb buffer is full');
 * log.grep(/swiotlb/).length // 1
 * ```
 */
export class Dmesg {
  readonly lines: DmesgLine[] = [];
  dropped = 0;
  /** Echo each line to stderr at or below this level (−1: never). @default -1 */
  console_loglevel = -1;
  constructor(readonly capacity = 4096, private readonly now: () => number = () => 0) {}

  /** Lines whose text matches `re`. */
  grep(re: RegExp | string): DmesgLine[] {
    return this.lines.filter((l) => (typeof re === 'string' ? l.text.includes(re) : re.test(l.text)));
  }

  /** The log as `dmesg` prints it. */
  toString(): string {
    return this.lines.map(formatDmesgLine).join('\n');
  }

  clear(): void {
    this.lines.length = 0;
    this.dropped = 0;
  }

  /** @internal */
  push(level: number, text: string): void {
    if (this.lines.length >= this.capacity) {
      this.lines.shift();
      this.dropped++;
    }
    const line = { level, ts_ns: this.now(), text };
    this.lines.push(line);
    if (level <= this.console_loglevel) process.stderr.write(formatDmesgLine(line) + '\n');
  }
}

/** `[    1.234567] text` */
export function formatDmesgLine(l: DmesgLine): string {
  const us = Math.floor(l.ts_ns / 1000);
  const secs = Math.floor(us / 1e6).toString().padStart(5, ' ');
  return `[${secs}.${(us % 1e6).toString().padStart(6, '0')}] ${l.text}`;
}

/**
 * printk - append a line to a host's log.
 *
 * Kernel: include/linux/printk.h printk()
 */
export function printk(log: Dmesg, level: number, text: string): void {
  log.push(level, text);
}
