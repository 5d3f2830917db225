/**
 * cq - completion queue verbs and the core's completion processing (poll contexts).
 *
 * Kernel: drivers/infiniband/core/cq.c (__ib_alloc_cq, ib_free_cq, __ib_process_cq,
 * ib_process_cq_direct, ib_poll_handler, ib_cq_poll_work), drivers/infiniband/core/verbs.c
 * (__ib_create_cq, ib_destroy_cq_user), include/rdma/ib_verbs.h (ib_poll_cq, ib_req_notify_cq)
 *
 * Operation
 * ---------
 * `ib_alloc_cq(dev, private, nr_cqe, comp_vector, poll_ctx)` creates a CQ whose completions the
 * core processes: it sets `cq.comp_handler` by poll context and arms the CQ (IB_CQ_NEXT_COMP).
 * When the provider gets a completion on an armed CQ it disarms it and calls `comp_handler`
 * synchronously (from its own task); the handler only **schedules** the poll task on the
 * device's SimClock, so `wc.wr_cqe.done()` never runs inside a provider engine:
 *
 *   IB_POLL_SOFTIRQ            irq_poll: a reusable clock event `cq.iop` (label ib_poll_handler)
 *                              at delay 0, budget IB_POLL_BUDGET_IRQ (256)
 *   IB_POLL_WORKQUEUE,         a work_struct `cq.work` queued on the clock's system workqueue
 *   IB_POLL_UNBOUND_WORKQUEUE  (label ib_cq_poll_work), budget IB_POLL_BUDGET_WORKQUEUE (65536)
 *   IB_POLL_DIRECT             nothing: the ULP polls (ib_poll_cq / ib_process_cq_direct); a
 *                              completion event on it WARNs (KernelBug in strict mode)
 *
 * The poll task polls in batches of IB_POLL_BATCH (16), calls `wc.wr_cqe.done(cq, wc)` for each
 * completion (a SUCCESS completion without wr_cqe WARNs), stops after the budget, then re-arms
 * with IB_CQ_NEXT_COMP | IB_CQ_REPORT_MISSED_EVENTS and reschedules itself if the provider
 * reports missed events (or if the budget ran out) — so no completion is left behind.
 *
 * `fromCq(cq)`: every completion the core polls from the CQ — by the poll task of a deferred
 * context or by the ULP's own `ib_poll_cq`/`ib_process_cq_direct` on a DIRECT CQ — is emitted,
 * in poll order, synchronously inside `ib_poll_cq` (so before its `done()` runs). The stream is
 * hot and completes when the CQ is freed/destroyed. It never polls by itself.
 *
 * Invariants: a CQ with `usecnt > 0` (QPs/SRQs attached) cannot be freed (EBUSY); after free no
 * poll task is pending.
 *
 * Tracepoints (system `rdma_core`, include/trace/events/rdma_core.h; ids are `cq.res.id`):
 * `cq_alloc` / `cq_alloc_error` (ib_alloc_cq), `cq_schedule` (a completion event queues the poll
 * task; stamps `cq.timestamp`, `cq.interrupt = true`), `cq_reschedule` (the softirq handler
 * re-polls because re-arming reported missed events; `cq.interrupt = false`), `cq_process`
 * (a poll pass starts: `wake-up took <now - cq.timestamp in µs> [us] from interrupt|reschedule`,
 * SimClock time), `cq_poll` (each batch: requested, returned), `cq_free` (ib_free_cq), and
 * `cq_drain_complete` (emitted by ib_drain_sq/rq in verbs.ts). `cq_modify` is defined for
 * completeness; nothing emits it (no DIM / modify_cq here). Every emission is guarded by
 * `tp.enabled`, so with nobody subscribed no field object is built.
 */
import { Subject, type Observable } from 'rxjs';
import {
  KernelError, WARN, work_struct, INIT_WORK, queue_work, cancel_work_sync, defineTracepoint, isKernelError,
} from '@rdmaemu/sim-core';
import { ib_poll_context, ib_cq_notify_flags, ib_wc_status } from './ib_verbs.h.js';
import type { ib_wc, ib_cq_init_attr, ib_event_handler_fn } from './ib_verbs.h.js';
import { rdma_restrack_add, rdma_restrack_del } from './device.js';
import type { ib_device, ib_cq, ib_comp_handler } from './device.js';

// ---------------------------------------------------------------------------------------------
// rdma_core tracepoints (CQ events)

/** Fields of the `cq.id=%u` events. */
export interface cq_id_entry {
  cq_id: number;
}
/** Fields of cq_process. */
export interface cq_process_entry {
  cq_id: number;
  interrupt: boolean;
  /** µs from cq_schedule/cq_reschedule to the poll pass (s64). */
  latency: number;
}
/** Fields of cq_poll. */
export interface cq_poll_entry {
  cq_id: number;
  requested: number;
  rc: number;
}
/** Fields of cq_modify. */
export interface cq_modify_entry {
  cq_id: number;
  comps: number;
  usec: number;
}
/** Fields of cq_alloc. */
export interface cq_alloc_entry {
  cq_id: number;
  nr_cqe: number;
  comp_vector: number;
  poll_ctx: number;
}
/** Fields of cq_alloc_error. */
export interface cq_alloc_error_entry {
  nr_cqe: number;
  comp_vector: number;
  poll_ctx: number;
  rc: number;
}

/**
 * rdma_show_ib_poll_ctx - the trace name of a poll context, by enum value (IB_POLL_DIRECT is 3,
 * after the pool types); `__print_symbolic` prints an unknown value as `0x<hex>`.
 * Kernel: include/trace/events/rdma_core.h rdma_show_ib_poll_ctx()
 */
export function rdma_show_ib_poll_ctx(poll_ctx: number): string {
  switch (poll_ctx) {
    case ib_poll_context.IB_POLL_DIRECT: return 'DIRECT';
    case ib_poll_context.IB_POLL_SOFTIRQ: return 'SOFTIRQ';
    case ib_poll_context.IB_POLL_WORKQUEUE: return 'WORKQUEUE';
    case ib_poll_context.IB_POLL_UNBOUND_WORKQUEUE: return 'UNBOUND_WORKQUEUE';
    default: return `0x${(poll_ctx >>> 0).toString(16)}`;
  }
}

/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(cq_schedule) */
export const trace_cq_schedule = defineTracepoint<cq_id_entry>('rdma_core', 'cq_schedule', (f) => `cq.id=${f.cq_id}`);
/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(cq_reschedule) */
export const trace_cq_reschedule = defineTracepoint<cq_id_entry>('rdma_core', 'cq_reschedule', (f) => `cq.id=${f.cq_id}`);
/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(cq_process) */
export const trace_cq_process = defineTracepoint<cq_process_entry>('rdma_core', 'cq_process', (f) =>
  `cq.id=${f.cq_id} wake-up took ${f.latency} [us] from ${f.interrupt ? 'interrupt' : 'reschedule'}`);
/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(cq_poll) */
export const trace_cq_poll = defineTracepoint<cq_poll_entry>('rdma_core', 'cq_poll', (f) =>
  `cq.id=${f.cq_id} requested ${f.requested}, returned ${f.rc}`);
/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(cq_drain_complete) (emitted by ib_drain_sq/rq) */
export const trace_cq_drain_complete = defineTracepoint<cq_id_entry>('rdma_core', 'cq_drain_complete', (f) => `cq.id=${f.cq_id}`);
/**
 * Kernel: include/trace/events/rdma_core.h TRACE_EVENT(cq_modify)
 * Divergence: never emitted — the kernel emits it from the DIM work (ib_cq_rdma_dim_work), and
 * there is no DIM / modify_cq here.
 */
export const trace_cq_modify = defineTracepoint<cq_modify_entry>('rdma_core', 'cq_modify', (f) =>
  `cq.id=${f.cq_id} comps=${f.comps} usec=${f.usec}`);
/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(cq_alloc) */
export const trace_cq_alloc = defineTracepoint<cq_alloc_entry>('rdma_core', 'cq_alloc', (f) =>
  `cq.id=${f.cq_id} nr_cqe=${f.nr_cqe} comp_vector=${f.comp_vector} poll_ctx=${rdma_show_ib_poll_ctx(f.poll_ctx)}`);
/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(cq_alloc_error) */
export const trace_cq_alloc_error = defineTracepoint<cq_alloc_error_entry>('rdma_core', 'cq_alloc_error', (f) =>
  `nr_cqe=${f.nr_cqe} comp_vector=${f.comp_vector} poll_ctx=${rdma_show_ib_poll_ctx(f.poll_ctx)} rc=${f.rc}`);
/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(cq_free) */
export const trace_cq_free = defineTracepoint<cq_id_entry>('rdma_core', 'cq_free', (f) => `cq.id=${f.cq_id}`);

/** cq_schedule's TP_fast_assign: stamp the wake-up start (only while the tracepoint is on, as in the kernel). */
function cq_schedule(cq: ib_cq): void {
  if (trace_cq_schedule.enabled) {
    cq.timestamp = cq.device.clock.ktime_get();
    cq.interrupt = true;
    trace_cq_schedule.emit({ cq_id: cq.res.id });
  }
}

function cq_reschedule(cq: ib_cq): void {
  if (trace_cq_reschedule.enabled) {
    cq.timestamp = cq.device.clock.ktime_get();
    cq.interrupt = false;
    trace_cq_reschedule.emit({ cq_id: cq.res.id });
  }
}

/** Kernel: cq.c IB_POLL_BATCH - WCs polled per ib_poll_cq call by the poll tasks. */
export const IB_POLL_BATCH = 16;
/** Kernel: cq.c IB_POLL_BATCH_DIRECT - WCs per poll in ib_process_cq_direct. */
export const IB_POLL_BATCH_DIRECT = 8;
/** Kernel: cq.c IB_POLL_BUDGET_IRQ - WCs a softirq poll processes before yielding. */
export const IB_POLL_BUDGET_IRQ = 256;
/** Kernel: cq.c IB_POLL_BUDGET_WORKQUEUE - WCs a workqueue poll processes before requeueing. */
export const IB_POLL_BUDGET_WORKQUEUE = 65536;
/** Kernel: cq.c IB_POLL_FLAGS - how the poll tasks re-arm. */
export const IB_POLL_FLAGS = ib_cq_notify_flags.IB_CQ_NEXT_COMP | ib_cq_notify_flags.IB_CQ_REPORT_MISSED_EVENTS;

const wcStreams = new WeakMap<ib_cq, Subject<ib_wc>>();

/**
 * ib_poll_cq - poll up to `num_entries` completions, oldest first.
 * Kernel: include/rdma/ib_verbs.h ib_poll_cq()
 * Divergence: returns the completions (the C version fills an array and returns the count).
 * @returns the completions (empty when the CQ is empty)
 * @throws KernelError from the provider (e.g. EINVAL on a destroyed CQ)
 * @example
 * ```ts
 * for (const wc of ib_poll_cq(cq, 16)) console.log(ib_wc_status_msg(wc.status));
 * ```
 */
export function ib_poll_cq(cq: ib_cq, num_entries: number): ib_wc[] {
  const wcs = cq.device.ops.poll_cq(cq, num_entries);
  const s = wcStreams.get(cq);
  if (s !== undefined && wcs.length > 0) for (const wc of wcs) s.next(wc);
  return wcs;
}

/**
 * ib_req_notify_cq - request a completion event (comp_handler call) for the next completion
 * (IB_CQ_NEXT_COMP) or the next solicited one (IB_CQ_SOLICITED).
 * Kernel: include/rdma/ib_verbs.h ib_req_notify_cq()
 * @returns with IB_CQ_REPORT_MISSED_EVENTS: > 0 if the CQ may hold completions not yet polled
 *   (the caller must poll again, no event will come for them), else 0; without it: 0
 * @example
 * ```ts
 * if (ib_req_notify_cq(cq, ib_cq_notify_flags.IB_CQ_NEXT_COMP | ib_cq_notify_flags.IB_CQ_REPORT_MISSED_EVENTS) > 0) repoll();
 * ```
 */
export function ib_req_notify_cq(cq: ib_cq, flags: ib_cq_notify_flags | number): number {
  return cq.device.ops.req_notify_cq(cq, flags);
}

/** Kernel: cq.c __poll_cq() - ib_poll_cq plus the cq_poll tracepoint. */
function __poll_cq(cq: ib_cq, num_entries: number): ib_wc[] {
  const wcs = ib_poll_cq(cq, num_entries);
  if (trace_cq_poll.enabled) trace_cq_poll.emit({ cq_id: cq.res.id, requested: num_entries, rc: wcs.length });
  return wcs;
}

function __ib_process_cq(cq: ib_cq, budget: number, batch: number): number {
  let completed = 0;
  if (trace_cq_process.enabled) {
    // ktime_to_us: truncating division of the ns delta
    const latency = Math.trunc((cq.device.clock.ktime_get() - cq.timestamp) / 1000);
    trace_cq_process.emit({ cq_id: cq.res.id, interrupt: cq.interrupt, latency });
  }
  for (;;) {
    // budget -1 means unbounded (the kernel's unsigned min_t)
    const want = budget === -1 ? batch : Math.min(batch, budget - completed);
    if (want <= 0) break;
    const wcs = __poll_cq(cq, want);
    const n = wcs.length;
    if (n === 0) break;
    for (let i = 0; i < n; i++) {
      const wc = wcs[i]!;
      if (wc.wr_cqe) wc.wr_cqe.done(cq, wc);
      else WARN(wc.status === ib_wc_status.IB_WC_SUCCESS, `cq: successful completion without wr_cqe (wr_id ${String(wc.wr_id)})`);
    }
    completed += n;
    if (n !== batch || (budget !== -1 && completed >= budget)) break;
  }
  return completed;
}

/**
 * ib_process_cq_direct - process a CQ in the caller's context: poll and call `done()` for up to
 * `budget` completions (-1: all).
 * Kernel: drivers/infiniband/core/cq.c ib_process_cq_direct()
 * @returns the number of completions processed
 * @example
 * ```ts
 * const cq = ib_alloc_cq(dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
 * ib_process_cq_direct(cq, -1);
 * ```
 */
export function ib_process_cq_direct(cq: ib_cq, budget: number): number {
  return __ib_process_cq(cq, budget, IB_POLL_BATCH_DIRECT);
}

function ib_cq_completion_direct(cq: ib_cq): void {
  WARN(true, `got unsolicited completion for CQ ${cq.device.name}`);
}

function irq_poll_sched(cq: ib_cq): void {
  const iop = cq.iop;
  if (iop !== null && !iop.pending && !cq.destroyed) iop.reschedule(0);
}

/** Kernel: cq.c ib_cq_completion_softirq() - the SOFTIRQ comp_handler. */
function ib_cq_completion_softirq(cq: ib_cq): void {
  cq_schedule(cq);
  irq_poll_sched(cq);
}

/** Kernel: cq.c ib_cq_completion_workqueue() - the (UNBOUND_)WORKQUEUE comp_handler. */
function ib_cq_completion_workqueue(cq: ib_cq): void {
  cq_schedule(cq);
  if (cq.work !== null && !cq.destroyed) queue_work(cq.device.clock, cq.work);
}

function ib_poll_handler(cq: ib_cq): void {
  const completed = __ib_process_cq(cq, IB_POLL_BUDGET_IRQ, IB_POLL_BATCH);
  if (completed < IB_POLL_BUDGET_IRQ) {
    if (ib_req_notify_cq(cq, IB_POLL_FLAGS) > 0) {
      cq_reschedule(cq);
      irq_poll_sched(cq);
    }
  } else {
    // irq_poll: a handler that used its whole weight is polled again
    irq_poll_sched(cq);
  }
}

function ib_cq_poll_work(cq: ib_cq): void {
  const completed = __ib_process_cq(cq, IB_POLL_BUDGET_WORKQUEUE, IB_POLL_BATCH);
  if (completed >= IB_POLL_BUDGET_WORKQUEUE || ib_req_notify_cq(cq, IB_POLL_FLAGS) > 0) {
    if (cq.work !== null && !cq.destroyed) queue_work(cq.device.clock, cq.work);
  }
}

/**
 * ib_alloc_cq - allocate a CQ whose completions the core processes in `poll_ctx`.
 *
 * ULPs must post WRs with `wr_cqe` (not wr_id) on such a CQ; `wr_cqe.done(cq, wc)` is called
 * for each completion, failed ones included.
 * Kernel: drivers/infiniband/core/cq.c __ib_alloc_cq() (ib_alloc_cq macro)
 * @param dev the device
 * @param private stored as cq.cq_context
 * @param nr_cqe minimum number of CQEs
 * @param comp_vector completion vector
 * @param poll_ctx IB_POLL_DIRECT / SOFTIRQ / WORKQUEUE / UNBOUND_WORKQUEUE
 * @returns the CQ (the provider's object)
 * @throws KernelError EINVAL for an unknown poll context (the CQ is destroyed again)
 * @throws KernelError from the provider's create_cq (e.g. EINVAL when nr_cqe > max_cqe)
 * @example
 * ```ts
 * const cq = ib_alloc_cq(dev, null, 128, 0, ib_poll_context.IB_POLL_SOFTIRQ);
 * ```
 */
export function ib_alloc_cq(dev: ib_device, private_: unknown, nr_cqe: number, comp_vector: number, poll_ctx: ib_poll_context): ib_cq {
  let cq: ib_cq;
  try {
    cq = __ib_alloc_cq(dev, private_, nr_cqe, comp_vector, poll_ctx);
  } catch (e) {
    if (trace_cq_alloc_error.enabled && isKernelError(e)) {
      trace_cq_alloc_error.emit({ nr_cqe, comp_vector, poll_ctx, rc: e.negative });
    }
    throw e;
  }
  if (trace_cq_alloc.enabled) trace_cq_alloc.emit({ cq_id: cq.res.id, nr_cqe, comp_vector, poll_ctx });
  return cq;
}

function __ib_alloc_cq(dev: ib_device, private_: unknown, nr_cqe: number, comp_vector: number, poll_ctx: ib_poll_context): ib_cq {
  const cq_attr: ib_cq_init_attr = { cqe: nr_cqe, comp_vector, flags: 0 };
  const cq = dev.ops.create_cq(dev, cq_attr);
  rdma_restrack_add(dev, cq.res);
  cq.cq_context = private_;
  cq.poll_ctx = poll_ctx;
  cq.usecnt = 0;
  cq.comp_vector = comp_vector;
  switch (poll_ctx) {
    case ib_poll_context.IB_POLL_DIRECT:
      cq.comp_handler = ib_cq_completion_direct;
      break;
    case ib_poll_context.IB_POLL_SOFTIRQ:
      cq.comp_handler = ib_cq_completion_softirq;
      cq.iop = dev.clock.createEvent(() => ib_poll_handler(cq), 'ib_poll_handler');
      ib_req_notify_cq(cq, ib_cq_notify_flags.IB_CQ_NEXT_COMP);
      break;
    case ib_poll_context.IB_POLL_WORKQUEUE:
    case ib_poll_context.IB_POLL_UNBOUND_WORKQUEUE: {
      const work = new work_struct();
      INIT_WORK(work, function ib_cq_poll_work_fn() {
        ib_cq_poll_work(cq);
      });
      cq.work = work;
      cq.comp_handler = ib_cq_completion_workqueue;
      ib_req_notify_cq(cq, ib_cq_notify_flags.IB_CQ_NEXT_COMP);
      break;
    }
    default:
      rdma_restrack_del(cq.res);
      dev.ops.destroy_cq(cq);
      throw new KernelError('EINVAL', `ib_alloc_cq: ${dev.name}: bad poll context ${String(poll_ctx)}`);
  }
  return cq;
}

/**
 * ib_alloc_cq_any - ib_alloc_cq with the completion vector chosen round-robin.
 * Kernel: drivers/infiniband/core/cq.c __ib_alloc_cq_any()
 */
export function ib_alloc_cq_any(dev: ib_device, private_: unknown, nr_cqe: number, poll_ctx: ib_poll_context): ib_cq {
  let comp_vector = 0;
  if (dev.num_comp_vectors > 1) comp_vector = ++anyCounter % dev.num_comp_vectors;
  return ib_alloc_cq(dev, private_, nr_cqe, comp_vector, poll_ctx);
}
let anyCounter = 0;

function cqTeardown(cq: ib_cq): void {
  cq.destroyed = true;
  if (cq.iop !== null) cq.iop.cancel();
  if (cq.work !== null) cancel_work_sync(cq.work);
  const s = wcStreams.get(cq);
  if (s !== undefined) {
    s.complete();
    wcStreams.delete(cq);
  }
}

/**
 * ib_free_cq - free a CQ from ib_alloc_cq: cancel its poll task, then destroy it.
 * Kernel: drivers/infiniband/core/cq.c ib_free_cq()
 * Divergence: the kernel WARNs and leaks the CQ when QPs still use it; here that throws EBUSY.
 * @throws KernelError EBUSY if QPs or SRQs still use the CQ (cq.usecnt > 0) or pool CQEs are out
 * @example
 * ```ts
 * ib_destroy_qp(qp);
 * ib_free_cq(cq);
 * ```
 */
export function ib_free_cq(cq: ib_cq): void {
  if (cq.usecnt !== 0) throw new KernelError('EBUSY', `ib_free_cq: ${cq.device.name}: cq still used by ${cq.usecnt} queue(s)`);
  if (cq.cqe_used !== 0) throw new KernelError('EBUSY', `ib_free_cq: ${cq.device.name}: ${cq.cqe_used} pool cqes in use`);
  cqTeardown(cq);
  if (trace_cq_free.enabled) trace_cq_free.emit({ cq_id: cq.res.id });
  rdma_restrack_del(cq.res);
  cq.device.ops.destroy_cq(cq);
}

/**
 * ib_create_cq - create a CQ with the caller's own completion and event handlers (legacy API:
 * the ULP polls and re-arms itself). `cq.poll_ctx` is IB_POLL_DIRECT.
 * Kernel: drivers/infiniband/core/verbs.c __ib_create_cq()
 * @throws KernelError from the provider's create_cq
 * @example
 * ```ts
 * const cq = ib_create_cq(dev, (cq) => drain(cq), null, null, { cqe: 64, comp_vector: 0, flags: 0 });
 * ```
 */
export function ib_create_cq(
  dev: ib_device,
  comp_handler: ib_comp_handler | null,
  event_handler: ib_event_handler_fn | null,
  cq_context: unknown,
  cq_attr: ib_cq_init_attr,
): ib_cq {
  const cq = dev.ops.create_cq(dev, cq_attr);
  rdma_restrack_add(dev, cq.res);
  cq.comp_handler = comp_handler;
  cq.event_handler = event_handler;
  cq.cq_context = cq_context;
  cq.poll_ctx = ib_poll_context.IB_POLL_DIRECT;
  cq.usecnt = 0;
  return cq;
}

/**
 * ib_destroy_cq - destroy a CQ made by ib_create_cq.
 * Kernel: drivers/infiniband/core/verbs.c ib_destroy_cq_user()
 * @throws KernelError EOPNOTSUPP for a shared (pool) CQ
 * @throws KernelError EBUSY if QPs or SRQs still use it
 */
export function ib_destroy_cq(cq: ib_cq): void {
  if (cq.shared) throw new KernelError('EOPNOTSUPP', `ib_destroy_cq: ${cq.device.name}: shared cq`);
  if (cq.usecnt !== 0) throw new KernelError('EBUSY', `ib_destroy_cq: ${cq.device.name}: cq still used by ${cq.usecnt} queue(s)`);
  cqTeardown(cq);
  rdma_restrack_del(cq.res);
  cq.device.ops.destroy_cq(cq);
}

/**
 * fromCq - the completions the core polls from `cq`, as a hot Observable (see the file header
 * for when they are emitted). Completes when the CQ is freed.
 * @example Count flushed receives
 * ```ts
 * fromCq(cq).pipe(filter((wc) => wc.status === ib_wc_status.IB_WC_WR_FLUSH_ERR)).subscribe(() => flushed++);
 * ```
 */
export function fromCq(cq: ib_cq): Observable<ib_wc> {
  let s = wcStreams.get(cq);
  if (s === undefined) {
    s = new Subject<ib_wc>();
    if (cq.destroyed) s.complete();
    else wcStreams.set(cq, s);
  }
  return s.asObservable();
}
