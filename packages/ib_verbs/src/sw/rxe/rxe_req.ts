/**
 * rxe_req - the requester: turns send WQEs into request packets.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_req.c (rxe_requester, req_next_wqe, rxe_wqe_is_fenced,
 *         next_opcode_rc, check_init_depth, init_req_packet, finish_packet, update_wqe_state,
 *         update_wqe_psn, update_state, req_retry, retry_first_write_send, rxe_do_local_ops)
 *
 * Operation: one call sends at most one packet (or executes one local operation) and returns
 * 0 while there is more to do; the task loop (rxe_task.ts) calls it again. Per call:
 *
 *   need_retry? ──> req_retry (rewind to the oldest unacked WQE, PSN = comp.psn)
 *   req_next_wqe ──none──> exit
 *        │ fenced (LOCAL_INV waits for all prior; FENCE waits for outstanding READ/atomic) ──> exit (wait_fence)
 *        │ local op (REG_MR, LOCAL_INV) ──> do it in SQ order, wqe done, completer scheduled
 *        │ PSN window full (RXE_MAX_UNACKED_PSNS) ──> exit (wait_psn)
 *   next_opcode (FIRST/MIDDLE/LAST/ONLY by remaining length vs path MTU)
 *        │ READ/atomic without an rd_atomic credit (max_rd_atomic) ──> exit (need_rd_atomic)
 *   build headers (BTH with PSN, ackreq on END or every RXE_MAX_PKT_PER_ACK, SE, PadCnt;
 *   RETH/ImmDt/IETH/AtomicETH/DETH), gather payload views through the MRs (zero copy)
 *        │ local access error ──> wqe error (LOC_PROT_ERR / LOC_QP_OP_ERR), completer scheduled
 *   update wqe state/PSNs ──> xmit ──> arm the retransmit timer
 *
 * A READ request consumes as many PSNs as response packets it asks for; all other packets one.
 *
 * iWARP profile: before a READ request goes out, its sink must be an MR the peer could write
 * (iwarp_read_sink_ok); otherwise the WQE completes with IB_WC_LOC_PROT_ERR, the QP goes to ERR
 * and IB_EVENT_QP_ACCESS_ERR is raised (as siw does for a bad Read Response sink).
 */
import { ib_access_flags, ib_qp_type, ib_send_flags, ib_wc_status, ib_wr_opcode, ib_event_type } from '../../core/ib_verbs.h.js';
import { ibRaiseEvent } from '../../core/events.js';
import {
  BTH_PSN_MASK, GSI_QKEY, IB_DEFAULT_PKEY_FULL, atmeth_set_comp, atmeth_set_rkey, atmeth_set_swap_add, atmeth_set_va,
  bth_init, deth_set_qkey, deth_set_sqp, ieth_set_rkey, immdt_set_imm, psn_compare, reth_set_len, reth_set_rkey,
  reth_set_va,
} from './rxe_hdr.js';
import {
  ATMETH_OFF, DETH_OFF, IETH_OFF, IMMDT_OFF, RETH_OFF, RXE_ATMETH_MASK, RXE_DETH_MASK, RXE_END_MASK, RXE_IETH_MASK,
  RXE_IMMDT_MASK, RXE_READ_MASK, RXE_READ_OR_ATOMIC_MASK, RXE_RETH_MASK, RXE_SEND_MASK, RXE_START_MASK,
  RXE_WRITE_MASK, RXE_WRITE_OR_SEND_MASK, WR_ATOMIC_MASK, WR_LOCAL_OP_MASK, WR_READ_MASK, WR_WRITE_MASK,
  WR_WRITE_OR_SEND_MASK, ib_opcode, rxe_opcode_mask,
} from './rxe_opcode.js';
import { RXE_MAX_PKT_PER_ACK, RXE_MAX_UNACKED_PSNS } from './rxe_param.h.js';
import { advance_dma_data, copy_data, lookup_mr, rxe_invalidate_mr, rxe_reg_fast_mr } from './rxe_mr.js';
import { rxe_init_packet, rxe_xmit_packet } from './rxe_net.js';
import { rxe_ah_av } from './rxe_qp.js';
import { RXE_CNT, rxe_counter_add, rxe_counter_inc } from './rxe_hw_counters.js';
import { rxe_sched_task } from './rxe_task.js';
import {
  rxe_mr_lookup_type, rxe_qp_state, to_rdev, wqe_state, type rxe_ah, type rxe_pkt_info, type rxe_qp, type rxe_send_wqe,
} from './rxe_verbs.h.js';

const O = ib_opcode;
const TWO_32 = 0x1_0000_0000;

/**
 * next_opcode - the BTH opcode for the WQE's next packet.
 * Kernel: drivers/infiniband/sw/rxe/rxe_req.c next_opcode() / next_opcode_rc()
 * @returns the opcode, or -1 for an opcode the QP type cannot send
 */
export function next_opcode(qp: rxe_qp, wqe: rxe_send_wqe): number {
  const fits = wqe.dma.resid <= qp.mtu;
  const prev = qp.req.opcode;
  if (qp.qp_type === ib_qp_type.IB_QPT_UD || qp.qp_type === ib_qp_type.IB_QPT_GSI) {
    if (wqe.opcode === ib_wr_opcode.IB_WR_SEND) return O.IB_OPCODE_UD_SEND_ONLY;
    if (wqe.opcode === ib_wr_opcode.IB_WR_SEND_WITH_IMM) return O.IB_OPCODE_UD_SEND_ONLY_WITH_IMMEDIATE;
    return -1;
  }
  switch (wqe.opcode) {
    case ib_wr_opcode.IB_WR_RDMA_WRITE:
      if (prev === O.IB_OPCODE_RC_RDMA_WRITE_FIRST || prev === O.IB_OPCODE_RC_RDMA_WRITE_MIDDLE) {
        return fits ? O.IB_OPCODE_RC_RDMA_WRITE_LAST : O.IB_OPCODE_RC_RDMA_WRITE_MIDDLE;
      }
      return fits ? O.IB_OPCODE_RC_RDMA_WRITE_ONLY : O.IB_OPCODE_RC_RDMA_WRITE_FIRST;
    case ib_wr_opcode.IB_WR_RDMA_WRITE_WITH_IMM:
      if (prev === O.IB_OPCODE_RC_RDMA_WRITE_FIRST || prev === O.IB_OPCODE_RC_RDMA_WRITE_MIDDLE) {
        return fits ? O.IB_OPCODE_RC_RDMA_WRITE_LAST_WITH_IMMEDIATE : O.IB_OPCODE_RC_RDMA_WRITE_MIDDLE;
      }
      return fits ? O.IB_OPCODE_RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE : O.IB_OPCODE_RC_RDMA_WRITE_FIRST;
    case ib_wr_opcode.IB_WR_SEND:
      if (prev === O.IB_OPCODE_RC_SEND_FIRST || prev === O.IB_OPCODE_RC_SEND_MIDDLE) {
        return fits ? O.IB_OPCODE_RC_SEND_LAST : O.IB_OPCODE_RC_SEND_MIDDLE;
      }
      return fits ? O.IB_OPCODE_RC_SEND_ONLY : O.IB_OPCODE_RC_SEND_FIRST;
    case ib_wr_opcode.IB_WR_SEND_WITH_IMM:
      if (prev === O.IB_OPCODE_RC_SEND_FIRST || prev === O.IB_OPCODE_RC_SEND_MIDDLE) {
        return fits ? O.IB_OPCODE_RC_SEND_LAST_WITH_IMMEDIATE : O.IB_OPCODE_RC_SEND_MIDDLE;
      }
      return fits ? O.IB_OPCODE_RC_SEND_ONLY_WITH_IMMEDIATE : O.IB_OPCODE_RC_SEND_FIRST;
    case ib_wr_opcode.IB_WR_SEND_WITH_INV:
      if (prev === O.IB_OPCODE_RC_SEND_FIRST || prev === O.IB_OPCODE_RC_SEND_MIDDLE) {
        return fits ? O.IB_OPCODE_RC_SEND_LAST_WITH_INVALIDATE : O.IB_OPCODE_RC_SEND_MIDDLE;
      }
      return fits ? O.IB_OPCODE_RC_SEND_ONLY_WITH_INVALIDATE : O.IB_OPCODE_RC_SEND_FIRST;
    case ib_wr_opcode.IB_WR_RDMA_READ:
    case ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV:
      return O.IB_OPCODE_RC_RDMA_READ_REQUEST;
    case ib_wr_opcode.IB_WR_ATOMIC_CMP_AND_SWP:
      return O.IB_OPCODE_RC_COMPARE_SWAP;
    case ib_wr_opcode.IB_WR_ATOMIC_FETCH_AND_ADD:
      return O.IB_OPCODE_RC_FETCH_ADD;
  }
  return -1;
}

/** Kernel: rxe_req.c retry_first_write_send() - skip the packets of the first WQE already acked. */
function retry_first_write_send(qp: rxe_qp, wqe: rxe_send_wqe, npsn: number): void {
  for (let i = 0; i < npsn; i++) {
    const to_send = wqe.dma.resid > qp.mtu ? qp.mtu : wqe.dma.resid;
    qp.req.opcode = next_opcode(qp, wqe);
    if (wqe.opcode === ib_wr_opcode.IB_WR_SEND_WITH_INV || (wqe.mask & WR_WRITE_OR_SEND_MASK)) {
      if (wqe.dma.inline_data !== null) wqe.dma.resid -= to_send;
      else advance_dma_data(wqe.dma, to_send);
    }
  }
}

/**
 * req_retry - rewind the requester to the oldest incomplete WQE and PSN comp.psn.
 * Kernel: drivers/infiniband/sw/rxe/rxe_req.c req_retry()
 */
export function req_retry(qp: rxe_qp): void {
  const q = qp.sq.queue;
  qp.req.wqe_index = q.cons;
  qp.req.psn = qp.comp.psn;
  qp.req.opcode = -1;
  let first = true;
  for (let i = q.cons; i !== q.prod; i++) {
    const wqe = q.at(i)!;
    if (wqe.state === wqe_state.wqe_state_posted) break;
    if (wqe.state === wqe_state.wqe_state_done) continue;
    wqe.iova_hi = wqe.remote_addr_hi;
    wqe.iova_lo = wqe.remote_addr_lo;
    if (!first || (wqe.mask & WR_READ_MASK) === 0) {
      wqe.dma.resid = wqe.dma.length;
      wqe.dma.cur_sge = 0;
      wqe.dma.sge_offset = 0;
    }
    if (first) {
      first = false;
      if (wqe.mask & WR_WRITE_OR_SEND_MASK) {
        const npsn = (qp.comp.psn - wqe.first_psn) & BTH_PSN_MASK;
        retry_first_write_send(qp, wqe, npsn);
      }
      if (wqe.mask & WR_READ_MASK) {
        const done = wqe.dma.length - wqe.dma.resid;
        const npsn = Math.floor(done / qp.mtu);
        const adv = npsn * qp.mtu;
        const lo = wqe.iova_lo + adv;
        wqe.iova_lo = lo % TWO_32;
        wqe.iova_hi = (wqe.iova_hi + Math.floor(lo / TWO_32)) >>> 0;
      }
    }
    wqe.state = wqe_state.wqe_state_posted;
  }
}

/** Kernel: rxe_req.c req_next_wqe() (with the SQD drain step). */
function req_next_wqe(qp: rxe_qp): rxe_send_wqe | null {
  const q = qp.sq.queue;
  if (qp.req.wqe_index === q.prod) {
    if (qp.req.state === rxe_qp_state.QP_STATE_DRAIN && qp.comp.psn === qp.req.psn) drained(qp);
    return null;
  }
  const wqe = q.at(qp.req.wqe_index)!;
  if (qp.req.state === rxe_qp_state.QP_STATE_DRAIN && wqe.state !== wqe_state.wqe_state_processing) {
    if (qp.comp.psn === qp.req.psn) drained(qp);
    return null;
  }
  return wqe;
}

function drained(qp: rxe_qp): void {
  qp.req.state = rxe_qp_state.QP_STATE_DRAINED;
  if (qp.attr.en_sqd_async_notify || qp.event_handler) {
    const ev = { device: qp.device, element: { qp }, event: ib_event_type.IB_EVENT_SQ_DRAINED };
    qp.device.clock.schedule(() => ibRaiseEvent(ev), 0, 'rxe_sq_drained');
  }
}

/** Kernel: rxe_req.c rxe_wqe_is_fenced() - LOCAL_INV waits for everything before it; FENCE for READ/atomics. */
function rxe_wqe_is_fenced(qp: rxe_qp, wqe: rxe_send_wqe): boolean {
  if (wqe.opcode === ib_wr_opcode.IB_WR_LOCAL_INV) return qp.req.wqe_index !== qp.sq.queue.cons;
  return (wqe.send_flags & ib_send_flags.IB_SEND_FENCE) !== 0 && qp.req.rd_atomic !== qp.attr.max_rd_atomic;
}

/** Kernel: rxe_req.c check_init_depth() - take an outstanding READ/atomic credit. */
function check_init_depth(qp: rxe_qp, wqe: rxe_send_wqe): boolean {
  if (wqe.has_rd_atomic) return true;
  qp.req.need_rd_atomic = true;
  if (qp.req.rd_atomic > 0) {
    qp.req.rd_atomic--;
    qp.req.need_rd_atomic = false;
    wqe.has_rd_atomic = true;
    return true;
  }
  return false;
}

/** Kernel: rxe_req.c rxe_do_local_ops() - REG_MR / LOCAL_INV executed in SQ order. */
function rxe_do_local_ops(qp: rxe_qp, wqe: rxe_send_wqe): number {
  let ret = 0;
  if (wqe.opcode === ib_wr_opcode.IB_WR_LOCAL_INV) ret = rxe_invalidate_mr(qp, wqe.invalidate_rkey);
  else if (wqe.opcode === ib_wr_opcode.IB_WR_REG_MR) ret = rxe_reg_fast_mr(qp, wqe);
  else ret = -22;
  if (ret) {
    wqe.status = ib_wc_status.IB_WC_LOC_QP_OP_ERR;
    return ret;
  }
  wqe.state = wqe_state.wqe_state_done;
  wqe.status = ib_wc_status.IB_WC_SUCCESS;
  qp.req.wqe_index++;
  rxe_sched_task(qp.comp_task);
  return 0;
}

/**
 * init_req_packet - write BTH and the extension headers for this packet.
 * Kernel: drivers/infiniband/sw/rxe/rxe_req.c init_req_packet()
 */
function init_req_packet(qp: rxe_qp, wqe: rxe_send_wqe, pkt: rxe_pkt_info): void {
  const b = pkt.hdr;
  const o = pkt.bth;
  const mask = pkt.mask;
  const op = pkt.opcode;
  const solicited = (wqe.send_flags & ib_send_flags.IB_SEND_SOLICITED) !== 0 && (mask & RXE_END_MASK) !== 0 &&
    ((mask & RXE_SEND_MASK) !== 0 || (mask & (RXE_WRITE_MASK | RXE_IMMDT_MASK)) === (RXE_WRITE_MASK | RXE_IMMDT_MASK));
  const qpn = (mask & RXE_DETH_MASK) ? wqe.remote_qpn : qp.attr.dest_qp_num;
  let ack_req = (mask & RXE_END_MASK) !== 0;
  if (!ack_req && qp.req.noack_pkts++ > RXE_MAX_PKT_PER_ACK) ack_req = true;
  if (ack_req) qp.req.noack_pkts = 0;
  bth_init(b, o, op, solicited, false, pkt.pad, IB_DEFAULT_PKEY_FULL, qpn, ack_req, pkt.psn);
  if (mask & RXE_RETH_MASK) {
    const r = o + RETH_OFF[op]!;
    reth_set_rkey(b, r, wqe.rkey);
    reth_set_va(b, r, wqe.iova_hi, wqe.iova_lo);
    reth_set_len(b, r, wqe.dma.resid);
  }
  if (mask & RXE_IMMDT_MASK) immdt_set_imm(b, o + IMMDT_OFF[op]!, wqe.imm_data);
  if (mask & RXE_IETH_MASK) ieth_set_rkey(b, o + IETH_OFF[op]!, wqe.invalidate_rkey);
  if (mask & RXE_ATMETH_MASK) {
    const a = o + ATMETH_OFF[op]!;
    atmeth_set_va(b, a, wqe.iova_hi, wqe.iova_lo);
    if (op === O.IB_OPCODE_RC_COMPARE_SWAP) {
      atmeth_set_swap_add(b, a, wqe.swap_hi, wqe.swap_lo);
      atmeth_set_comp(b, a, wqe.compare_add_hi, wqe.compare_add_lo);
    } else {
      atmeth_set_swap_add(b, a, wqe.compare_add_hi, wqe.compare_add_lo);
    }
    atmeth_set_rkey(b, a, wqe.rkey);
  }
  if (mask & RXE_DETH_MASK) {
    const d = o + DETH_OFF[op]!;
    deth_set_qkey(b, d, qp.qp_num === 1 ? GSI_QKEY : wqe.remote_qkey);
    deth_set_sqp(b, d, qp.qp_num);
  }
}

/** Kernel: rxe_req.c update_wqe_state(). */
function update_wqe_state(qp: rxe_qp, wqe: rxe_send_wqe, pkt: rxe_pkt_info): void {
  if (pkt.mask & RXE_END_MASK) {
    if (qp.qp_type === ib_qp_type.IB_QPT_RC) wqe.state = wqe_state.wqe_state_pending;
  } else {
    wqe.state = wqe_state.wqe_state_processing;
  }
}

/** Kernel: rxe_req.c update_wqe_psn(). */
function update_wqe_psn(qp: rxe_qp, wqe: rxe_send_wqe, pkt: rxe_pkt_info, payload: number): void {
  let num_pkt = Math.floor((wqe.dma.resid + payload + qp.mtu - 1) / qp.mtu);
  if (num_pkt === 0) num_pkt = 1;
  if (pkt.mask & RXE_START_MASK) {
    wqe.first_psn = qp.req.psn;
    wqe.last_psn = (qp.req.psn + num_pkt - 1) & BTH_PSN_MASK;
  }
  if (pkt.mask & RXE_READ_MASK) qp.req.psn = (wqe.first_psn + num_pkt) & BTH_PSN_MASK;
  else qp.req.psn = (qp.req.psn + 1) & BTH_PSN_MASK;
}

/**
 * iwarp_read_sink_ok - may the peer place this RDMA READ's response into its sink SGEs?
 *
 * On iWARP the Read Response is a tagged DDP placement into the Data Sink STag carried by the
 * RDMA Read Request (RFC 5040 §4.4), so the sink must be a registered MR of the QP's PD with
 * IB_ACCESS_REMOTE_WRITE — which is why rdma_rw registers an MR with REMOTE_WRITE for every READ
 * on iWARP (rdma_rw_io_needs_mr). The PD's local_dma_lkey never qualifies: on iWARP RNICs the
 * local DMA STag is privileged and local-only. A zero-length READ places nothing and passes.
 *
 * Kernel: drivers/infiniband/sw/siw/siw_qp_rx.c siw_proc_rresp() (siw_check_sge on the sink at the
 * first Read Response segment; failure → IB_WC_LOC_PROT_ERR, TERMINATE, IB_EVENT_QP_ACCESS_ERR)
 * Divergence: siw checks when the first response segment arrives and asks only LOCAL_WRITE (its
 * sink is not validated as a remote STag); here the check runs before the READ request is sent
 * (no request, no TERMINATE on the wire, the error completion comes without a round trip) and
 * requires REMOTE_WRITE, as a hardware RNIC validating the Data Sink STag does. The completion
 * status, the QP moving to ERR and the QP_ACCESS_ERR event are siw's.
 * Emulator-only helper.
 */
function iwarp_read_sink_ok(qp: rxe_qp, wqe: rxe_send_wqe): boolean {
  const dma = wqe.dma;
  if (dma.length === 0) return true;
  const local_dma_lkey = qp.pd.local_dma_lkey;
  for (let i = 0; i < dma.num_sge; i++) {
    const sge = dma.sge[i]!;
    if (sge.length === 0) continue;
    if (sge.lkey === local_dma_lkey) return false;
    const mr = lookup_mr(qp.pd, ib_access_flags.IB_ACCESS_LOCAL_WRITE | ib_access_flags.IB_ACCESS_REMOTE_WRITE, sge.lkey,
      rxe_mr_lookup_type.RXE_LOOKUP_LOCAL);
    if (mr === null) return false;
  }
  return true;
}

/** Error exit: the WQE carries its status; the completer reports it and moves the QP to ERR. */
function req_err(qp: rxe_qp, wqe: rxe_send_wqe): number {
  qp.req.wqe_index++;
  wqe.state = wqe_state.wqe_state_error;
  qp.req.state = rxe_qp_state.QP_STATE_ERROR;
  rxe_sched_task(qp.comp_task);
  return -1;
}

/**
 * rxe_requester - one step of the requester engine.
 * Kernel: drivers/infiniband/sw/rxe/rxe_req.c rxe_requester()
 * @returns 0 when it did something and may have more, nonzero to stop the task
 */
export function rxe_requester(qp: rxe_qp): number {
  if (!qp.valid) return -1;
  const rxe = to_rdev(qp.device);
  const q = qp.sq.queue;
  if (qp.req.state === rxe_qp_state.QP_STATE_ERROR) {
    rxe_sched_task(qp.comp_task);
    return -1;
  }
  if (qp.req.state === rxe_qp_state.QP_STATE_RESET) {
    qp.req.wqe_index = q.cons;
    qp.req.opcode = -1;
    qp.req.need_rd_atomic = false;
    qp.req.wait_psn = false;
    qp.req.need_retry = false;
    qp.req.wait_for_rnr_timer = false;
    return -1;
  }
  if (qp.req.state < rxe_qp_state.QP_STATE_READY) return -1;
  if (qp.req.need_retry && !qp.req.wait_for_rnr_timer) {
    req_retry(qp);
    qp.req.need_retry = false;
  }
  const wqe = req_next_wqe(qp);
  if (wqe === null) return -1;
  if (wqe.state === wqe_state.wqe_state_error) return req_err(qp, wqe);
  if (rxe_wqe_is_fenced(qp, wqe)) {
    qp.req.wait_fence = true;
    return -1;
  }
  if (wqe.mask & WR_LOCAL_OP_MASK) {
    if (rxe_do_local_ops(qp, wqe)) return req_err(qp, wqe);
    return 0;
  }
  const rc = qp.qp_type === ib_qp_type.IB_QPT_RC;
  if (rc && psn_compare(qp.req.psn, (qp.comp.psn + RXE_MAX_UNACKED_PSNS) & BTH_PSN_MASK) > 0) {
    qp.req.wait_psn = true;
    return -1;
  }
  const opcode = next_opcode(qp, wqe);
  if (opcode < 0) {
    wqe.status = ib_wc_status.IB_WC_LOC_QP_OP_ERR;
    return req_err(qp, wqe);
  }
  const mask = rxe_opcode_mask[opcode]!;
  if ((mask & RXE_READ_MASK) && rxe.profile.iwarp && !iwarp_read_sink_ok(qp, wqe)) {
    wqe.status = ib_wc_status.IB_WC_LOC_PROT_ERR;
    const ev = { device: qp.device, element: { qp }, event: ib_event_type.IB_EVENT_QP_ACCESS_ERR };
    qp.device.clock.schedule(() => ibRaiseEvent(ev), 0, 'iwarp_qp_access_err');
    return req_err(qp, wqe);
  }
  if (mask & RXE_READ_OR_ATOMIC_MASK) {
    if (!check_init_depth(qp, wqe)) return -1;
  }
  if ((wqe.mask & WR_ATOMIC_MASK) && wqe.dma.length !== 8) {
    wqe.status = ib_wc_status.IB_WC_LOC_LEN_ERR;
    return req_err(qp, wqe);
  }
  const mtu = qp.mtu;
  let payload = (mask & RXE_WRITE_OR_SEND_MASK) ? wqe.dma.resid : 0;
  if (payload > mtu) {
    if (!rc) {
      // C10-93.1.1: a UD message longer than the MTU emits nothing and completes without error.
      wqe.first_psn = qp.req.psn;
      wqe.last_psn = qp.req.psn;
      qp.req.psn = (qp.req.psn + 1) & BTH_PSN_MASK;
      qp.req.opcode = O.IB_OPCODE_UD_SEND_ONLY;
      qp.req.wqe_index++;
      wqe.state = wqe_state.wqe_state_done;
      wqe.status = ib_wc_status.IB_WC_SUCCESS;
      rxe_sched_task(qp.comp_task);
      return 0;
    }
    payload = mtu;
  }
  const av = rc ? qp.av : (wqe.ah !== null ? rxe_ah_av(rxe, wqe.ah as rxe_ah, qp.src_port) : null);
  if (av === null) {
    wqe.status = ib_wc_status.IB_WC_LOC_QP_OP_ERR;
    return req_err(qp, wqe);
  }
  const pkt = rxe_init_packet(opcode, payload);
  pkt.qp = qp;
  pkt.psn = qp.req.psn;
  init_req_packet(qp, wqe, pkt);
  // finish_packet: gather the payload (zero-copy views through the MRs, or the inline copy)
  const views = pkt.payload; // the packet's own (empty) array becomes the frame's payload list
  if (payload > 0) {
    const inl = wqe.dma.inline_data;
    if (inl !== null) {
      const start = wqe.dma.length - wqe.dma.resid;
      views.push(inl.subarray(start, start + payload));
      wqe.dma.resid -= payload;
    } else {
      const err = copy_data(qp.pd, 0, wqe.dma, payload, false, views);
      if (err) {
        wqe.status = err === -14 ? ib_wc_status.IB_WC_LOC_PROT_ERR : ib_wc_status.IB_WC_LOC_LEN_ERR;
        return req_err(qp, wqe);
      }
    }
  }
  update_wqe_state(qp, wqe, pkt);
  update_wqe_psn(qp, wqe, pkt, payload);
  rxe_xmit_packet(rxe, av, pkt, views);
  if (!rc && (pkt.mask & RXE_END_MASK)) {
    wqe.state = wqe_state.wqe_state_done;
    wqe.status = ib_wc_status.IB_WC_SUCCESS;
    rxe_sched_task(qp.comp_task);
  }
  // update_state
  qp.req.opcode = opcode;
  if (pkt.mask & RXE_END_MASK) {
    qp.req.wqe_index++;
    rxe_counter_add(rxe, RXE_CNT.rdma_sends, 1);
  }
  if (qp.qp_timeout_ns && !qp.retrans_timer.pending) qp.retrans_timer.reschedule(qp.qp_timeout_ns);
  void WR_WRITE_MASK;
  return 0;
}
