/**
 * counters - fixed sets of named statistics counters and their kernel-style printouts.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_hw_counters.{c,h} (a fixed enum of counters, printed one
 *         per sysfs file), include/rdma/ib_verbs.h struct rdma_hw_stats
 *
 * Operation: a `CounterSet` is built once with its key list (the enum, in order) and stores the
 * values in a Float64Array, so `inc` is an index lookup and an add (exact to 2^53). `snapshot()`
 * copies the values out in key order; `diff(before)` subtracts an earlier snapshot, which is how
 * benchmarks report the cost of one phase. `formatCounters()` prints a set or a snapshot as
 * `name: value` lines, an aligned two-column table, or the `grep . <dir>/*` view of a sysfs
 * hw_counters directory (`/sys/class/infiniband/rxe0/ports/1/hw_counters/sent_pkts:42`).
 *
 * Invariants: the key set never changes after construction; keys keep their construction order
 * in every snapshot and printout.
 */
import { KernelBug } from './kernel-error.js';

/**
 * CounterSet - a fixed set of named counters.
 *
 * Emulator-only; the kernel's nearest equivalent is `struct rdma_hw_stats` with its descriptor
 * table.
 * @example rxe-style hardware counters
 * ```ts
 * import { CounterSet, formatCounters } from '@rdmaemu/sim-core';
 * const hw = new CounterSet(['sent_pkts', 'rcvd_pkts', 'rdma_sends'] as const);
 * hw.inc('sent_pkts');
 * hw.inc('rdma_sends', 2);
 * console.log(formatCounters(hw, { style: 'sysfs', dir: '/sys/class/infiniband/rxe0/ports/1/hw_counters' }));
 * ```
 */
export class CounterSet<K extends string> {
  /** The counter names, in construction (enum) order. */
  readonly keys: readonly K[];
  readonly #values: Float64Array;
  readonly #index: Record<string, number>;

  /**
   * @throws KernelBug if a key is repeated
   */
  constructor(keys: readonly K[]) {
    this.keys = Object.freeze([...keys]);
    this.#values = new Float64Array(keys.length);
    this.#index = Object.create(null) as Record<string, number>;
    keys.forEach((k, i) => {
      if (this.#index[k] !== undefined) throw new KernelBug(`counters: duplicate key '${k}'`);
      this.#index[k] = i;
    });
  }

  #slot(key: K): number {
    const i = this.#index[key];
    if (i === undefined) throw new KernelBug(`counters: unknown key '${key}'`);
    return i;
  }

  /**
   * inc - add `n` to a counter.
   * @default n 1
   * @throws KernelBug if the key is not in the set
   */
  inc(key: K, n = 1): void {
    this.#values[this.#slot(key)]! += n;
  }

  /**
   * get - a counter's value.
   * @throws KernelBug if the key is not in the set
   */
  get(key: K): number {
    return this.#values[this.#slot(key)]!;
  }

  /**
   * set - overwrite a counter (for gauges such as a queue depth).
   * @throws KernelBug if the key is not in the set
   */
  set(key: K, value: number): void {
    this.#values[this.#slot(key)] = value;
  }

  /** snapshot - every counter's current value, in key order. */
  snapshot(): Record<K, number> {
    const out = {} as Record<K, number>;
    this.keys.forEach((k, i) => {
      out[k] = this.#values[i]!;
    });
    return out;
  }

  /** reset - set every counter to 0. */
  reset(): void {
    this.#values.fill(0);
  }

  /**
   * diff - current values minus an earlier snapshot (keys missing from `before` count as 0).
   * @example Cost of one phase
   * ```ts
   * import { CounterSet } from '@rdmaemu/sim-core';
   * const c = new CounterSet(['map_calls'] as const);
   * const before = c.snapshot();
   * c.inc('map_calls', 3);
   * console.assert(c.diff(before).map_calls === 3);
   * ```
   */
  diff(before: Partial<Record<K, number>>): Record<K, number> {
    const out = {} as Record<K, number>;
    this.keys.forEach((k, i) => {
      out[k] = this.#values[i]! - (before[k] ?? 0);
    });
    return out;
  }
}

/** CounterFormatStyle - `lines`: `name: value`; `table`: aligned columns; `sysfs`: `dir/name:value`. */
export type CounterFormatStyle = 'lines' | 'table' | 'sysfs';

/** CounterFormatInit - options for `formatCounters()`. */
export interface CounterFormatInit {
  /** @default 'lines' */
  style?: CounterFormatStyle;
  /** Directory prefix for the `sysfs` style. @default '.' */
  dir?: string;
  /** Leave out counters that are 0. @default false */
  skipZero?: boolean;
}

/**
 * formatCounters - print counters as `name: value` lines, an aligned table, or sysfs paths.
 *
 * The `sysfs` style is what `grep . /sys/class/infiniband/rxe0/ports/1/hw_counters/*` prints.
 * Lines are joined with `\n`, without a trailing newline.
 * @example Usage
 * ```ts
 * import { formatCounters } from '@rdmaemu/sim-core';
 * formatCounters({ sent_pkts: 10, rcvd_pkts: 9 }, { style: 'table' });
 * // 'sent_pkts  10\nrcvd_pkts   9'
 * ```
 */
export function formatCounters(
  counters: CounterSet<string> | Readonly<Record<string, number>>,
  init: CounterFormatInit = {},
): string {
  const snap: Readonly<Record<string, number>> = counters instanceof CounterSet ? counters.snapshot() : counters;
  const entries = Object.entries(snap).filter(([, v]) => !(init.skipZero && v === 0));
  switch (init.style ?? 'lines') {
    case 'lines':
      return entries.map(([k, v]) => `${k}: ${v}`).join('\n');
    case 'sysfs': {
      const dir = (init.dir ?? '.').replace(/\/+$/, '');
      return entries.map(([k, v]) => `${dir}/${k}:${v}`).join('\n');
    }
    case 'table': {
      const nameWidth = Math.max(0, ...entries.map(([k]) => k.length));
      const valueWidth = Math.max(0, ...entries.map(([, v]) => String(v).length));
      return entries.map(([k, v]) => `${k.padEnd(nameWidth)}  ${String(v).padStart(valueWidth)}`).join('\n');
    }
  }
}
