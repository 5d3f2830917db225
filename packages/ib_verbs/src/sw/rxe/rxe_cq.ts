/**
 * rxe_cq - completion queues: a bounded ring of ib_wc, notification arming, overrun.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_cq.c (rxe_cq_chk_attr, rxe_cq_from_init, rxe_cq_post),
 *         drivers/infiniband/sw/rxe/rxe_verbs.c (rxe_poll_cq, rxe_req_notify_cq)
 *
 * Operation: the engines post completions with rxe_cq_post(). A full ring is an overrun: the
 * CQE is lost, IB_EVENT_CQ_ERR goes to the CQ's event_handler, and the poster sees -EBUSY (the
 * responder then moves its QP to ERR — rxe's RESPST_ERR_CQ_OVERFLOW, rdma-unit-test's
 * FullCqIdlesQp). When armed (req_notify_cq NEXT_COMP, or SOLICITED and the CQE is solicited),
 * posting disarms and calls `comp_handler(cq, cq_context)` — deferred to a clock event at +0 as
 * rxe defers it to a tasklet/work item, so handlers never run inside an engine.
 */
import { KernelError } from '@rdmaemu/sim-core';
import { ib_cq_notify_flags, ib_event_type, type ib_wc } from '../../core/ib_verbs.h.js';
import { ibRaiseEvent } from '../../core/events.js';
import type { rxe_cq, rxe_dev } from './rxe_verbs.h.js';

/**
 * rxe_cq_chk_attr - validate a requested CQ size.
 * Kernel: drivers/infiniband/sw/rxe/rxe_cq.c rxe_cq_chk_attr()
 * @throws KernelError EINVAL if cqe <= 0 or cqe > max_cqe, or (resize) below the entries held
 */
export function rxe_cq_chk_attr(rxe: rxe_dev, cq: rxe_cq | null, cqe: number): void {
  if (!Number.isInteger(cqe) || cqe <= 0) throw new KernelError('EINVAL', `${rxe.name}: cqe(${cqe}) <= 0`);
  if (cqe > rxe.profile.max_cqe) throw new KernelError('EINVAL', `${rxe.name}: cqe(${cqe}) > max_cqe(${rxe.profile.max_cqe})`);
  if (cq !== null && cqe < cq.queue.count()) {
    throw new KernelError('EINVAL', `${rxe.name}: cqe(${cqe}) < current # elements in queue (${cq.queue.count()})`);
  }
}

function run_comp_handler(cq: rxe_cq): void {
  if (cq.is_dying || cq.destroyed) return;
  const h = cq.comp_handler;
  if (h !== null) h(cq, cq.cq_context);
}

/**
 * rxe_cq_post - add a completion; fire the armed notification.
 * Kernel: drivers/infiniband/sw/rxe/rxe_cq.c rxe_cq_post()
 * @returns 0, or -EBUSY (-16) on overrun (the CQE is dropped, IB_EVENT_CQ_ERR raised)
 */
export function rxe_cq_post(cq: rxe_cq, wc: ib_wc, solicited: boolean): number {
  const q = cq.queue;
  if (q.full()) {
    cq.overflowed = true;
    ibRaiseEvent({ device: cq.device, element: { cq }, event: ib_event_type.IB_EVENT_CQ_ERR });
    return -16;
  }
  q.push(wc);
  if ((cq.notify & ib_cq_notify_flags.IB_CQ_NEXT_COMP) !== 0 ||
      ((cq.notify & ib_cq_notify_flags.IB_CQ_SOLICITED) !== 0 && solicited)) {
    cq.notify = 0;
    if (cq.comp_event === null) cq.comp_event = cq.device.clock.createEvent(() => run_comp_handler(cq), 'rxe_cq_comp');
    if (!cq.comp_event.pending) cq.comp_event.reschedule(0);
  }
  return 0;
}

/**
 * rxe_poll_cq - take up to num_entries completions, oldest first.
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c rxe_poll_cq()
 */
export function rxe_poll_cq(cq: rxe_cq, num_entries: number): ib_wc[] {
  const out: ib_wc[] = [];
  const q = cq.queue;
  while (out.length < num_entries) {
    const wc = q.shift();
    if (wc === undefined) break;
    out.push(wc);
  }
  return out;
}

/**
 * rxe_req_notify_cq - arm the CQ's notification.
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c rxe_req_notify_cq()
 * An earlier NEXT_COMP arming is not downgraded by a later SOLICITED one.
 * @returns 1 if IB_CQ_REPORT_MISSED_EVENTS was asked and the CQ is not empty, else 0
 */
export function rxe_req_notify_cq(cq: rxe_cq, flags: number): number {
  if (cq.notify !== ib_cq_notify_flags.IB_CQ_NEXT_COMP) cq.notify = flags & ib_cq_notify_flags.IB_CQ_SOLICITED_MASK;
  if ((flags & ib_cq_notify_flags.IB_CQ_REPORT_MISSED_EVENTS) !== 0 && !cq.queue.empty()) return 1;
  return 0;
}
