/**
 * rxe_srq - shared receive queues: create checks, posting, the limit event, resize.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_srq.c (rxe_srq_chk_init, rxe_srq_from_init,
 *         rxe_srq_chk_attr, rxe_srq_from_attr), rxe_verbs.c rxe_post_srq_recv,
 *         rxe_resp.c get_srq_wqe (the limit event)
 *
 * Operation: an SRQ is a receive ring shared by the QPs attached to it; the responder copies the
 * head WQE out (rxe's resp.srq_wqe) and advances the ring. After a take, if the SRQ is armed
 * (srq_limit > 0) and fewer than srq_limit WQEs remain, the limit disarms and
 * IB_EVENT_SRQ_LIMIT_REACHED goes to the SRQ's event_handler. SRQ WQEs are never flushed by a
 * QP error (rdma-unit-test SrqTest.QpFlush). SRQ WQE lkeys are checked against the SRQ's PD.
 */
import { KernelError } from '@rdmaemu/sim-core';
import { ib_event_type, ib_srq_attr_mask, type ib_recv_wr, type ib_srq_attr } from '../../core/ib_verbs.h.js';
import { ibRaiseEvent } from '../../core/events.js';
import { rxe_queue_capacity } from './rxe_queue.js';
import { rxe_recv_wqe, type rxe_dev, type rxe_srq } from './rxe_verbs.h.js';
import { init_recv_wqe, recv_wr_num_sge } from './rxe_qp.js';

/**
 * rxe_srq_chk_init - validate create_srq attributes.
 * Kernel: drivers/infiniband/sw/rxe/rxe_srq.c rxe_srq_chk_init()
 * @throws KernelError EINVAL for max_wr / max_sge out of [1, device max]
 */
export function rxe_srq_chk_init(rxe: rxe_dev, attr: ib_srq_attr): void {
  const p = rxe.profile;
  if (!(attr.max_wr >= 1) || attr.max_wr > p.max_srq_wr) {
    throw new KernelError('EINVAL', `${rxe.name}: srq max_wr(${attr.max_wr}) out of [1, ${p.max_srq_wr}]`);
  }
  if (!(attr.max_sge >= 1) || attr.max_sge > p.max_srq_sge) {
    throw new KernelError('EINVAL', `${rxe.name}: srq max_sge(${attr.max_sge}) out of [1, ${p.max_srq_sge}]`);
  }
  if (attr.srq_limit > attr.max_wr) throw new KernelError('EINVAL', `${rxe.name}: srq_limit(${attr.srq_limit}) > max_wr`);
}

/**
 * rxe_srq_chk_attr - validate modify_srq.
 * Kernel: drivers/infiniband/sw/rxe/rxe_srq.c rxe_srq_chk_attr()
 * @throws KernelError EINVAL for a bad size or limit
 */
export function rxe_srq_chk_attr(rxe: rxe_dev, srq: rxe_srq, attr: ib_srq_attr, mask: number): void {
  if (srq.error) throw new KernelError('EINVAL', `${rxe.name}: srq in error state`);
  if (mask & ib_srq_attr_mask.IB_SRQ_MAX_WR) {
    if (!(attr.max_wr >= 1) || attr.max_wr > rxe.profile.max_srq_wr) {
      throw new KernelError('EINVAL', `${rxe.name}: srq max_wr(${attr.max_wr}) out of range`);
    }
    if (!(mask & ib_srq_attr_mask.IB_SRQ_LIMIT) && srq.limit && attr.max_wr < srq.limit) {
      throw new KernelError('EINVAL', `${rxe.name}: srq max_wr(${attr.max_wr}) < limit(${srq.limit})`);
    }
    if (attr.max_wr < srq.rq.queue.count()) throw new KernelError('EINVAL', `${rxe.name}: srq max_wr below posted count`);
  }
  if (mask & ib_srq_attr_mask.IB_SRQ_LIMIT) {
    const max = (mask & ib_srq_attr_mask.IB_SRQ_MAX_WR) ? attr.max_wr : srq.rq.max_wr;
    if (attr.srq_limit > max) throw new KernelError('EINVAL', `${rxe.name}: srq_limit(${attr.srq_limit}) > max_wr(${max})`);
  }
}

/**
 * rxe_srq_from_attr - apply modify_srq: resize and/or arm the limit.
 * Kernel: drivers/infiniband/sw/rxe/rxe_srq.c rxe_srq_from_attr()
 */
export function rxe_srq_from_attr(rxe: rxe_dev, srq: rxe_srq, attr: ib_srq_attr, mask: number): void {
  if (mask & ib_srq_attr_mask.IB_SRQ_MAX_WR) {
    const cap = rxe_queue_capacity(attr.max_wr, rxe.profile.round_queues);
    srq.rq.queue.resize(cap);
    srq.rq.max_wr = cap;
    attr.max_wr = cap;
  }
  if (mask & ib_srq_attr_mask.IB_SRQ_LIMIT) srq.limit = attr.srq_limit;
}

/**
 * rxe_post_srq_recv - post receive WRs to an SRQ.
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c rxe_post_srq_recv() / post_one_recv()
 * @throws KernelError EINVAL for num_sge > max_sge; ENOMEM when the SRQ is full; err.bad_wr is
 *         the first WR not posted
 */
export function rxe_post_srq_recv(srq: rxe_srq, wr: ib_recv_wr): void {
  const rxe = srq.device as rxe_dev;
  let w: ib_recv_wr | null | undefined = wr;
  while (w) {
    const n = recv_wr_num_sge(w);
    if (n > srq.rq.max_sge) {
      throw new KernelError('EINVAL', `srq: num_sge(${n}) > max_sge(${srq.rq.max_sge})`, { bad_wr: w });
    }
    const q = srq.rq.queue;
    if (q.full()) throw new KernelError('ENOMEM', `srq: full (max_wr=${srq.rq.max_wr})`, { bad_wr: w });
    let slot = q.at(q.prod);
    if (slot === undefined) { slot = new rxe_recv_wqe(); q.setAt(q.prod, slot); }
    init_recv_wqe(slot, w, n);
    q.advance_producer();
    w = w.next;
  }
  void rxe;
}

/**
 * get_srq_wqe - take the SRQ's head WQE into the QP's responder; raise the limit event.
 * Kernel: drivers/infiniband/sw/rxe/rxe_resp.c get_srq_wqe()
 * @returns the copied WQE, or null when the SRQ is empty (→ RNR)
 */
export function get_srq_wqe(srq: rxe_srq, into: rxe_recv_wqe): rxe_recv_wqe | null {
  const q = srq.rq.queue;
  const head = q.head();
  if (head === undefined) return null;
  into.wr_id = head.wr_id;
  into.wr_cqe = head.wr_cqe;
  const d = into.dma;
  const s = head.dma;
  d.length = s.length;
  d.resid = s.resid;
  d.cur_sge = 0;
  d.sge_offset = 0;
  d.num_sge = s.num_sge;
  // swap SGE arrays: the slot gets the old copy's array for its next use
  const tmp = d.sge;
  d.sge = s.sge;
  s.sge = tmp;
  q.advance_consumer();
  const count = q.count();
  if (srq.limit && count < srq.limit) {
    srq.limit = 0;
    const ev = { device: srq.device, element: { srq }, event: ib_event_type.IB_EVENT_SRQ_LIMIT_REACHED };
    srq.device.clock.schedule(() => ibRaiseEvent(ev), 0, 'rxe_srq_limit');
  }
  return into;
}
