/**
 * rxe_verbs - the provider interface: implements `ib_device_ops` for the emulated HCA.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c (rxe_query_device, rxe_query_port, rxe_alloc_pd,
 *         rxe_create_cq, rxe_poll_cq, rxe_req_notify_cq, rxe_create_qp, rxe_modify_qp,
 *         rxe_query_qp, rxe_destroy_qp, rxe_post_send, rxe_post_recv, rxe_create_srq,
 *         rxe_modify_srq, rxe_query_srq, rxe_post_srq_recv, rxe_get_dma_mr, rxe_alloc_mr,
 *         rxe_map_mr_sg, rxe_dereg_mr)
 *
 * Operation: glue between the verbs core (core/verbs.ts calls `dev.ops.*`) and the rxe objects
 * and engines. Posting is synchronous: WRs are validated and copied into ring slots; then the
 * requester task runs (inline, bounded) and the frames go to the fabric. Sync failures throw
 * KernelError with `bad_wr` (the first WR not posted; the ones before it were posted).
 */
import { KernelError } from '@rdmaemu/sim-core';
import type { scatterlist } from '@rdmaemu/dma-core';
import {
  ib_atomic_cap, ib_device_cap_flags, ib_kernel_cap_flags, ib_mr_type, ib_mtu, ib_port_state, ib_qp_state,
  ib_qp_type, ib_wr_opcode, ib_port_attr_init, ib_device_attr_init, ib_mtu_int_to_enum,
  type ib_cq_init_attr, type ib_device_attr, type ib_port_attr, type ib_qp_attr, type ib_qp_init_attr,
  type ib_recv_wr, type ib_send_wr, type ib_srq_attr, type ib_srq_init_attr, type ib_wc, type rdma_ah_attr,
} from '../../core/ib_verbs.h.js';
import type { ib_cq, ib_device, ib_device_ops, ib_mr, ib_pd, ib_qp, ib_srq, ib_uint_ptr } from '../../core/device.js';
import { ib_sg_to_pages } from '../../core/verbs.js';
import { RXE_PORT_GID_TBL_LEN, RXE_PORT_PKEY_TBL_LEN, RXE_MAX_PKEYS, RXE_LOCAL_CA_ACK_DELAY, RXE_PAGE_SIZE_CAP } from './rxe_param.h.js';
import { rxe_queue, rxe_queue_capacity } from './rxe_queue.js';
import { rxe_cq_chk_attr, rxe_poll_cq, rxe_req_notify_cq } from './rxe_cq.js';
import {
  init_recv_wqe, init_send_wqe, mtu_of_netdev, recv_wr_num_sge, rxe_qp_chk_attr, rxe_qp_chk_init, rxe_qp_destroy,
  rxe_qp_from_attr, rxe_qp_from_init, rxe_qp_to_attr, validate_send_wr,
} from './rxe_qp.js';
import { rxe_post_srq_recv, rxe_srq_chk_attr, rxe_srq_chk_init, rxe_srq_from_attr } from './rxe_srq.js';
import { rxe_dereg_mr, rxe_mr_init_dma, rxe_mr_init_fast, rxe_mr_map_begin, rxe_mr_sync_iova, rxe_set_page } from './rxe_mr.js';
import { rxe_requester } from './rxe_req.js';
import { rxe_completer } from './rxe_comp.js';
import { rxe_responder } from './rxe_resp.js';
import { rxe_run_task, rxe_sched_task } from './rxe_task.js';
import {
  rxe_ah, rxe_cq, rxe_pd, rxe_qp_state, rxe_recv_wqe, rxe_send_wqe, rxe_srq, to_rcq, to_rdev, to_rmr, to_rqp,
  to_rsrq, type rxe_qp,
} from './rxe_verbs.h.js';

const ENGINES = { requester: rxe_requester, completer: rxe_completer, responder: rxe_responder };

/** Kernel: rxe_verbs.c rxe_query_device() (rxe->attr from rxe_init_device_param()). */
export function rxe_query_device(dev: ib_device): ib_device_attr {
  const p = to_rdev(dev).profile;
  return ib_device_attr_init({
    max_mr_size: Number.MAX_SAFE_INTEGER,
    page_size_cap: RXE_PAGE_SIZE_CAP,
    max_qp: p.max_qp,
    max_qp_wr: p.max_qp_wr,
    device_cap_flags: ib_device_cap_flags.IB_DEVICE_BAD_PKEY_CNTR | ib_device_cap_flags.IB_DEVICE_BAD_QKEY_CNTR |
      ib_device_cap_flags.IB_DEVICE_AUTO_PATH_MIG | ib_device_cap_flags.IB_DEVICE_CHANGE_PHY_PORT |
      ib_device_cap_flags.IB_DEVICE_UD_AV_PORT_ENFORCE | ib_device_cap_flags.IB_DEVICE_PORT_ACTIVE_EVENT |
      ib_device_cap_flags.IB_DEVICE_SYS_IMAGE_GUID | ib_device_cap_flags.IB_DEVICE_RC_RNR_NAK_GEN |
      ib_device_cap_flags.IB_DEVICE_SRQ_RESIZE | ib_device_cap_flags.IB_DEVICE_MEM_MGT_EXTENSIONS,
    kernel_cap_flags: 0,
    max_send_sge: p.max_send_sge,
    max_recv_sge: p.max_recv_sge,
    max_sge_rd: p.max_sge_rd,
    max_cq: p.max_cq,
    max_cqe: p.max_cqe,
    max_mr: p.max_mr,
    max_pd: p.max_pd,
    max_qp_rd_atom: p.max_qp_rd_atom,
    max_res_rd_atom: p.max_qp_rd_atom * p.max_qp,
    max_qp_init_rd_atom: p.max_qp_init_rd_atom,
    atomic_cap: ib_atomic_cap.IB_ATOMIC_HCA,
    max_srq: p.max_srq,
    max_srq_wr: p.max_srq_wr,
    max_srq_sge: p.max_srq_sge,
    max_fast_reg_page_list_len: p.max_fast_reg_page_list_len,
    max_pkeys: RXE_MAX_PKEYS,
    local_ca_ack_delay: RXE_LOCAL_CA_ACK_DELAY,
    max_ah: 100,
  });
}

/** Kernel: rxe_verbs.c rxe_query_port(). */
export function rxe_query_port(dev: ib_device, _port: number): ib_port_attr {
  const rxe = to_rdev(dev);
  const active = rxe.ndev.carrier && rxe.port_state_active;
  return ib_port_attr_init({
    state: active ? ib_port_state.IB_PORT_ACTIVE : ib_port_state.IB_PORT_DOWN,
    max_mtu: ib_mtu.IB_MTU_4096,
    active_mtu: ib_mtu_int_to_enum(mtu_of_netdev(rxe)),
    phys_mtu: rxe.ndev.mtu,
    gid_tbl_len: RXE_PORT_GID_TBL_LEN,
    pkey_tbl_len: RXE_PORT_PKEY_TBL_LEN,
    max_msg_sz: rxe.profile.max_msg_sz,
    max_vl_num: 1,
    phys_state: active ? 5 : 3,
    active_width: 1,
    active_speed: 1,
    ip_gids: true,
  });
}

/**
 * rxe_post_send - validate and queue send WRs, then kick the requester.
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c rxe_post_send() / rxe_post_send_kernel() / post_one_send()
 * On the 'iwarp' profile an RDMA READ (or READ_WITH_INV) must carry exactly one SGE
 * (max_sge_rd = 1), as siw_post_send() demands of an iWARP RREAD sink; the sink's MR is checked
 * when the request is sent (rxe_req.ts iwarp_read_sink_ok). When a WR fails, the ones before it
 * stay posted and the requester is still kicked for them (rxe_post_send_kernel's `if (good)`).
 * @throws KernelError EINVAL below RTS ('rxe' profile), bad opcode / too many SGEs / inline too
 *         long / misaligned atomic, an 'iwarp' READ with num_sge != 1; ENOMEM when the SQ is
 *         full — err.bad_wr is the first WR not posted
 */
export function rxe_post_send(ibqp: ib_qp, wr: ib_send_wr): void {
  const qp = to_rqp(ibqp);
  const rxe = to_rdev(qp.device);
  if (!qp.valid) throw new KernelError('EINVAL', `qp ${qp.qp_num}: destroyed`, { bad_wr: wr });
  if (qp.attr.qp_state < ib_qp_state.IB_QPS_RTS) {
    if (rxe.profile.post_send_not_rts === 'einval') {
      throw new KernelError('EINVAL', `qp ${qp.qp_num}: not ready to send (state ${qp.attr.qp_state})`, { bad_wr: wr });
    }
    for (let w: ib_send_wr | null | undefined = wr; w; w = w.next) qp.dropped_not_ready++;
    return;
  }
  const q = qp.sq.queue;
  let w: ib_send_wr | null | undefined = wr;
  let good = 0;
  try {
    while (w) {
      const n = recv_wr_num_sge(w);
      const mask = validate_send_wr(qp, w, n);
      if (rxe.profile.iwarp && n !== 1 &&
          (w.opcode === ib_wr_opcode.IB_WR_RDMA_READ || w.opcode === ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV)) {
        // Kernel: siw_verbs.c siw_post_send() - an iWARP RREAD sink is one SGE
        throw new KernelError('EINVAL', `qp ${qp.qp_num}: RDMA READ with num_sge(${n}) != 1 (max_sge_rd ${rxe.profile.max_sge_rd})`, { bad_wr: w });
      }
      if (q.full()) throw new KernelError('ENOMEM', `qp ${qp.qp_num}: sq full (max_send_wr=${qp.sq.max_wr})`, { bad_wr: w });
      let slot = q.at(q.prod);
      if (slot === undefined) { slot = new rxe_send_wqe(); q.setAt(q.prod, slot); }
      init_send_wqe(qp, slot, w, mask, n);
      q.advance_producer();
      good++;
      w = w.next;
    }
  } finally {
    // rxe_post_send_kernel: "kickoff processing of any posted wqes" (if (good)), error or not
    if (good > 0) {
      if (qp.attr.qp_state === ib_qp_state.IB_QPS_ERR) rxe_sched_task(qp.comp_task);
      else rxe_run_task(qp.req_task);
    }
  }
}

/**
 * rxe_post_recv - queue receive WRs.
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c rxe_post_recv() / post_one_recv()
 * @throws KernelError EINVAL in RESET, on a QP with an SRQ, or num_sge > max_recv_sge; ENOMEM
 *         when the RQ is full — err.bad_wr is the first WR not posted
 */
export function rxe_post_recv(ibqp: ib_qp, wr: ib_recv_wr): void {
  const qp = to_rqp(ibqp);
  if (qp.rsrq !== null) throw new KernelError('EINVAL', `qp ${qp.qp_num}: qp has an srq, use post_srq_recv`, { bad_wr: wr });
  if (!qp.valid || qp.attr.qp_state < ib_qp_state.IB_QPS_INIT) {
    throw new KernelError('EINVAL', `qp ${qp.qp_num}: post_recv in state ${qp.attr.qp_state}`, { bad_wr: wr });
  }
  const q = qp.rq.queue;
  let w: ib_recv_wr | null | undefined = wr;
  while (w) {
    const n = recv_wr_num_sge(w);
    if (n > qp.rq.max_sge) throw new KernelError('EINVAL', `qp ${qp.qp_num}: num_sge(${n}) > max_recv_sge(${qp.rq.max_sge})`, { bad_wr: w });
    if (q.full()) throw new KernelError('ENOMEM', `qp ${qp.qp_num}: rq full (max_recv_wr=${qp.rq.max_wr})`, { bad_wr: w });
    let slot = q.at(q.prod);
    if (slot === undefined) { slot = new rxe_recv_wqe(); q.setAt(q.prod, slot); }
    init_recv_wqe(slot, w, n);
    q.advance_producer();
    w = w.next;
  }
  if (qp.resp.state === rxe_qp_state.QP_STATE_ERROR) rxe_sched_task(qp.resp_task);
}

/** A deallocated PD is refused with ENOENT (uverbs: stale handle). Emulator-only helper. */
function chk_pd(pd: ib_pd): void {
  if (!(pd as rxe_pd).valid) throw new KernelError('ENOENT', `${pd.device.name}: pd deallocated`);
}

/** The rxe ib_device_ops table. Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c rxe_dev_ops. */
export const rxe_dev_ops: ib_device_ops = {
  driver_name: 'rxe',
  query_device: rxe_query_device,
  query_port: rxe_query_port,
  get_link_layer: () => 2 as never,
  get_netdev: (dev: ib_device) => to_rdev(dev).ndev,
  alloc_pd(dev: ib_device): ib_pd {
    const rxe = to_rdev(dev);
    if (rxe.num_pd >= rxe.profile.max_pd) throw new KernelError('ENOMEM', `${rxe.name}: too many PDs`);
    rxe.num_pd++;
    return new rxe_pd(dev);
  },
  dealloc_pd(pd: ib_pd): void {
    chk_pd(pd); // rdma-unit-test PdTest.DeleteInvalidPd
    (pd as rxe_pd).valid = false;
    to_rdev(pd.device).num_pd--;
  },
  create_ah(pd: ib_pd, attr: rdma_ah_attr) {
    chk_pd(pd);
    const ah = new rxe_ah(pd, attr);
    return ah;
  },
  destroy_ah() {},
  create_cq(dev: ib_device, attr: ib_cq_init_attr): ib_cq {
    const rxe = to_rdev(dev);
    rxe_cq_chk_attr(rxe, null, attr.cqe);
    if (attr.comp_vector < 0 || attr.comp_vector >= dev.num_comp_vectors) {
      throw new KernelError('EINVAL', `${rxe.name}: comp_vector ${attr.comp_vector} out of range`);
    }
    if (rxe.num_cq >= rxe.profile.max_cq) throw new KernelError('ENOMEM', `${rxe.name}: too many CQs`);
    rxe.num_cq++;
    return new rxe_cq(dev, attr, rxe_queue_capacity(attr.cqe, rxe.profile.round_queues));
  },
  destroy_cq(cq: ib_cq): void {
    const c = to_rcq(cq);
    if (c.is_dying) throw new KernelError('EINVAL', `${cq.device.name}: cq destroyed`); // CqTest.DestroyInvalidCq
    c.is_dying = true;
    c.comp_event?.cancel();
    to_rdev(cq.device).num_cq--;
  },
  poll_cq(cq: ib_cq, n: number): ib_wc[] { return rxe_poll_cq(to_rcq(cq), n); },
  req_notify_cq(cq: ib_cq, flags: number): number { return rxe_req_notify_cq(to_rcq(cq), flags); },
  create_qp(pd: ib_pd, init: ib_qp_init_attr): ib_qp {
    chk_pd(pd); // PdTest.AllocQpWithInvalidPd
    const rxe = to_rdev(pd.device);
    rxe_qp_chk_init(rxe, init);
    return rxe_qp_from_init(rxe, pd, init, ENGINES);
  },
  modify_qp(ibqp: ib_qp, attr: ib_qp_attr, mask: number): void {
    const qp = to_rqp(ibqp);
    if (!qp.valid) throw new KernelError('EINVAL', `qp ${qp.qp_num}: destroyed`); // QpTest.ModifyInvalidQp
    const rxe = to_rdev(qp.device);
    rxe_qp_chk_attr(rxe, qp, attr, mask);
    rxe_qp_from_attr(rxe, qp, attr, mask);
  },
  query_qp(ibqp: ib_qp, _mask: number) {
    const qp = to_rqp(ibqp);
    if (!qp.valid) throw new KernelError('EINVAL', `qp ${qp.qp_num}: destroyed`); // QpTest.QueryInvalidQp
    return { attr: rxe_qp_to_attr(qp), init_attr: qp.init_attr };
  },
  destroy_qp(ibqp: ib_qp): void {
    const qp = to_rqp(ibqp);
    if (!qp.valid) throw new KernelError('EINVAL', `qp ${qp.qp_num}: destroyed`); // QpTest.DestroyInvalidQp
    rxe_qp_destroy(to_rdev(qp.device), qp);
  },
  post_send: rxe_post_send,
  post_recv: rxe_post_recv,
  create_srq(pd: ib_pd, init: ib_srq_init_attr): ib_srq {
    chk_pd(pd); // SrqTest.CreateWithInvalidPd
    const rxe = to_rdev(pd.device);
    rxe_srq_chk_init(rxe, init.attr);
    const cap = rxe_queue_capacity(init.attr.max_wr, rxe.profile.round_queues);
    const srq = new rxe_srq(pd, init, { max_wr: cap, max_sge: init.attr.max_sge, queue: new rxe_queue<rxe_recv_wqe>(cap) });
    srq.limit = init.attr.srq_limit;
    srq.srq_num = rxe.srq_pool.alloc(srq);
    init.attr.max_wr = cap;
    return srq;
  },
  modify_srq(ibsrq: ib_srq, attr: ib_srq_attr, mask: number): void {
    const srq = to_rsrq(ibsrq);
    const rxe = to_rdev(srq.device);
    rxe_srq_chk_attr(rxe, srq, attr, mask);
    rxe_srq_from_attr(rxe, srq, attr, mask);
  },
  query_srq(ibsrq: ib_srq): ib_srq_attr {
    const srq = to_rsrq(ibsrq);
    return { max_wr: srq.rq.max_wr, max_sge: srq.rq.max_sge, srq_limit: srq.limit };
  },
  destroy_srq(ibsrq: ib_srq): void {
    const srq = to_rsrq(ibsrq);
    // SrqTest.DestroyInvalidSrq: a destroyed SRQ is no longer in the pool (uverbs: stale handle)
    if (to_rdev(srq.device).srq_pool.get(srq.srq_num) !== srq) throw new KernelError('EINVAL', `srq ${srq.srq_num}: destroyed`);
    to_rdev(srq.device).srq_pool.remove(srq.srq_num);
  },
  post_srq_recv(ibsrq: ib_srq, wr: ib_recv_wr): void { rxe_post_srq_recv(to_rsrq(ibsrq), wr); },
  get_dma_mr(pd: ib_pd, access: number): ib_mr {
    chk_pd(pd);
    return rxe_mr_init_dma(pd, access);
  },
  alloc_mr(pd: ib_pd, type: ib_mr_type, max_num_sg: number): ib_mr {
    chk_pd(pd); // PdTest.AllocMrWithInvalidPd
    const rxe = to_rdev(pd.device);
    if (type !== ib_mr_type.IB_MR_TYPE_MEM_REG && type !== ib_mr_type.IB_MR_TYPE_SG_GAPS) {
      throw new KernelError('EINVAL', `${rxe.name}: mr type ${type} not supported`);
    }
    if (max_num_sg > rxe.profile.max_fast_reg_page_list_len) {
      throw new KernelError('EINVAL', `${rxe.name}: max_num_sg(${max_num_sg}) > ${rxe.profile.max_fast_reg_page_list_len}`);
    }
    return rxe_mr_init_fast(pd, type, max_num_sg);
  },
  map_mr_sg(ibmr: ib_mr, sg: scatterlist | readonly scatterlist[], sg_nents: number, sg_offset: ib_uint_ptr | null): number {
    const mr = to_rmr(ibmr);
    rxe_mr_map_begin(mr, mr.page_size || 4096);
    const n = ib_sg_to_pages(mr, sg, sg_nents, sg_offset, (m, addr) => rxe_set_page(to_rmr(m), addr));
    rxe_mr_sync_iova(mr);
    return n;
  },
  dereg_mr(mr: ib_mr): void { rxe_dereg_mr(to_rmr(mr)); },
};

/** Unused-import guard for the type-only names. */
export type { rxe_qp };
void ib_kernel_cap_flags; void ib_qp_type;
