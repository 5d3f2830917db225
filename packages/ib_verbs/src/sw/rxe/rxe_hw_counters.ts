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
import { CounterSet } from '@rdmaemu/sim-core';

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

/** A new zeroed counter set. Kernel: rxe_ib_alloc_hw_port_stats(). */
export function rxe_alloc_hw_counters(): CounterSet<rxe_counters> {
  return new CounterSet<rxe_counters>(rxe_counter_name);
}

/** Kernel: drivers/infiniband/sw/rxe/rxe_verbs.h rxe_counter_inc(). */
export function rxe_counter_inc(rxe: { counters: CounterSet<rxe_counters> }, name: rxe_counters, n = 1): void {
  rxe.counters.inc(name, n);
}
