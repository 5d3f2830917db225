/**
 * rxe_hw_counters - the per-device hardware counters, with rxe's names and order.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_hw_counters.c (rxe_counter_name[]),
 *         drivers/infiniband/sw/rxe/rxe_hw_counters.h (enum rxe_counters)
 *
 * Operation: a `CounterSet` with the 15 names of `enum rxe_counters` plus the 2025 byte
 * counters; `rxe_counter_inc(rxe, name)` as in the kernel. `formatCounters(dev.counters,
 * { style: 'sysfs', dir: '/sys/class/infiniband/rxe0/ports/1/hw_counters' })` prints what
 * `grep . …/hw_counters/*` prints.
 *
 * Semantics: sent_pkts / rcvd_pkts count transport packets (rcvd after the ICRC and header
 * checks); duplicate_request and out_of_seq_request are the responder's check_psn outcomes;
 * rcvd_rnr_err = RNR NAKs received (completer), send_rnr_err = RNR NAKs sent (responder);
 * rcvd_seq_err = PSN-sequence NAKs acted on; retry_exceeded_err / retry_rnr_exceeded_err =
 * WQEs failed for retries; completer_retry_err = retransmit sequences started by the completer;
 * send_err = transmit failures; link_downed = port down events; rdma_sends / rdma_recvs =
 * messages sent / receive completions. ack_deferred is kept for name compatibility and stays 0
 * (the responder acknowledges each ackreq packet at once, as rxe does).
 */
import { CounterSet, KernelBug } from '@rdmaemu/sim-core';

/** Kernel: rxe_hw_counters.c rxe_counter_name[] (order of enum rxe_counters), + sent_bytes/rcvd_bytes. */
export const rxe_counter_name = [
  'sent_pkts',
  'rcvd_pkts',
  'duplicate_request',
  'out_of_seq_request',
  'rcvd_rnr_err',
  'send_rnr_err',
  'rcvd_seq_err',
  'ack_deferred',
  'retry_exceeded_err',
  'retry_rnr_exceeded_err',
  'completer_retry_err',
  'send_err',
  'link_downed',
  'rdma_sends',
  'rdma_recvs',
  'sent_bytes',
  'rcvd_bytes',
] as const;

/** One rxe counter name. */
export type rxe_counters = (typeof rxe_counter_name)[number];

/** Slot of each counter in `rxe_hw_stats.value` (constant indices for the per-packet path). */
export const RXE_CNT: { readonly [K in rxe_counters]: number } = Object.freeze(
  Object.fromEntries(rxe_counter_name.map((k, i) => [k, i])) as { [K in rxe_counters]: number },
);

/**
 * rxe_hw_stats - rxe's counter set: a `CounterSet` whose values live in a public Float64Array
 * indexed by `RXE_CNT`, so the per-packet path adds to a constant slot instead of looking a
 * name up. Every `CounterSet` method (names, order, snapshot, formatCounters) behaves as before.
 *
 * Kernel: include/rdma/ib_verbs.h struct rdma_hw_stats (value[] indexed by enum rxe_counters)
 */
export class rxe_hw_stats extends CounterSet<rxe_counters> {
  /** The counters, in `rxe_counter_name` order. */
  readonly value = new Float64Array(rxe_counter_name.length);

  constructor() {
    super(rxe_counter_name);
  }

  #slot(key: rxe_counters): number {
    const i = (RXE_CNT as Record<string, unknown>)[key];
    if (typeof i !== 'number') throw new KernelBug(`counters: unknown key '${key}'`);
    return i;
  }

  override inc(key: rxe_counters, n = 1): void {
    this.value[this.#slot(key)]! += n;
  }

  override get(key: rxe_counters): number {
    return this.value[this.#slot(key)]!;
  }

  override set(key: rxe_counters, v: number): void {
    this.value[this.#slot(key)] = v;
  }

  override snapshot(): Record<rxe_counters, number> {
    const out = {} as Record<rxe_counters, number>;
    for (let i = 0; i < rxe_counter_name.length; i++) out[rxe_counter_name[i]!] = this.value[i]!;
    return out;
  }

  override reset(): void {
    this.value.fill(0);
  }

  override diff(before: Partial<Record<rxe_counters, number>>): Record<rxe_counters, number> {
    const out = {} as Record<rxe_counters, number>;
    for (let i = 0; i < rxe_counter_name.length; i++) {
      const k = rxe_counter_name[i]!;
      out[k] = this.value[i]! - (before[k] ?? 0);
    }
    return out;
  }
}

/** A new zeroed counter set. Kernel: rxe_ib_alloc_hw_port_stats(). */
export function rxe_alloc_hw_counters(): CounterSet<rxe_counters> {
  return new rxe_hw_stats();
}

/** Kernel: drivers/infiniband/sw/rxe/rxe_verbs.h rxe_counter_inc(). */
export function rxe_counter_inc(rxe: { counters: CounterSet<rxe_counters> }, name: rxe_counters, n = 1): void {
  const c = rxe.counters;
  if (c instanceof rxe_hw_stats) {
    const i = RXE_CNT[name];
    if (typeof i === 'number') {
      c.value[i]! += n;
      return;
    }
  }
  c.inc(name, n);
}

/**
 * rxe_counter_add - add n to the counter in slot `idx` (an `RXE_CNT` constant): the per-packet form.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.h rxe_counter_inc()
 */
export function rxe_counter_add(rxe: { counters: CounterSet<rxe_counters> }, idx: number, n: number): void {
  const c = rxe.counters;
  if (c instanceof rxe_hw_stats) c.value[idx]! += n;
  else c.inc(rxe_counter_name[idx]!, n);
}
