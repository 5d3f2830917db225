/**
 * rxe_comp - the completer: matches ACKs and responses to send WQEs, completes them in order,
 * drives retransmission (timeout, PSN-sequence NAK) and RNR retry.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_comp.c (rxe_completer, get_wqe, check_psn, check_ack,
 *         do_read, do_atomic, complete_ack, complete_wqe, do_complete, retransmit_timer)
 *
 * State diagram (one response packet, or a timer kick, per rxe_completer call):
 *
 *   GET_ACK ─► GET_WQE ─┬─ no wqe / not started ─► DONE | EXIT
 *                       ├─ wqe done (local op, UD) ─► COMP_WQE ─► GET_WQE
 *                       ├─ wqe error ─► ERROR ─► (CQE, QP→ERR) exit
 *                       └─ pkt ─► CHECK_PSN ─┬─ past the wqe ─► COMP_WQE | ERROR_RETRY | DONE
 *                                            ├─ old dup ─► COMP_ACK | DONE
 *                                            └─ CHECK_ACK ─┬─ READ resp ─► READ ─► COMP_ACK | UPDATE_COMP | ERROR
 *                                                          ├─ atomic ack ─► ATOMIC ─► COMP_ACK
 *                                                          ├─ ACK ─► WRITE_SEND ─► COMP_ACK | UPDATE_COMP
 *                                                          ├─ RNR NAK ─► RNR_RETRY ─► (timer) exit | ERROR
 *                                                          ├─ NAK PSN seq ─► ERROR_RETRY
 *                                                          └─ NAK inv/acc/op ─► ERROR
 *   COMP_ACK ─► UPDATE_COMP | DONE        EXIT ─► ERROR_RETRY (timer fired) | re-arm timer, exit
 *   ERROR_RETRY: retry_cnt > 0 ─► requester need_retry; else RETRY_EXC_ERR ─► ERROR
 *
 * READ_WITH_INV: when the last response byte has landed, the sink MR (the first SGE's lkey) is
 * invalidated before the WQE completes; a failed invalidation completes it with
 * IB_WC_GENERAL_ERR (and the QP goes to ERR), as siw does.
 *
 * Completion rules: WQEs complete in SQ order; an unsignaled success makes no CQE unless the
 * QP signals all WRs; an error always makes one; after an error the QP is in ERR and everything
 * else flushes with IB_WC_WR_FLUSH_ERR.
 */
import { ib_qp_state, ib_qp_type, ib_send_flags, ib_sig_type, ib_wc_flags, ib_wc_opcode, ib_wc_status, ib_wr_opcode,
  ib_access_flags, type ib_wc } from '../../core/ib_verbs.h.js';
import {
  AETH_ACK, AETH_NAK, AETH_NAK_INVALID_REQ, AETH_NAK_PSN_SEQ_ERROR, AETH_NAK_REM_ACC_ERR, AETH_NAK_REM_OP_ERR,
  AETH_RNR_NAK, AETH_TYPE_MASK, BTH_PSN_MASK, aeth_syn, atmack_orig_hi, atmack_orig_lo, psn_compare,
} from './rxe_hdr.js';
import { AETH_OFF, ATMACK_OFF, RXE_END_MASK, RXE_START_MASK, WR_ATOMIC_OR_READ_MASK, ib_opcode } from './rxe_opcode.js';
import { rnrnak_usec } from './rxe_param.h.js';
import { copy_data, rxe_copy_source, rxe_invalidate_mr } from './rxe_mr.js';
import { rxe_cq_post } from './rxe_cq.js';
import { rxe_qp_error } from './rxe_qp.js';
import { rxe_counter_inc } from './rxe_hw_counters.js';
import { rxe_run_task } from './rxe_task.js';
import { rxe_qp_state, to_rdev, wqe_state, type rxe_pkt_info, type rxe_qp, type rxe_send_wqe } from './rxe_verbs.h.js';

/** Kernel: rxe_comp.c enum comp_state. */
export enum comp_state {
  COMPST_GET_ACK = 0,
  COMPST_GET_WQE = 1,
  COMPST_COMP_WQE = 2,
  COMPST_COMP_ACK = 3,
  COMPST_CHECK_PSN = 4,
  COMPST_CHECK_ACK = 5,
  COMPST_READ = 6,
  COMPST_ATOMIC = 7,
  COMPST_WRITE_SEND = 8,
  COMPST_UPDATE_COMP = 9,
  COMPST_ERROR_RETRY = 10,
  COMPST_RNR_RETRY = 11,
  COMPST_ERROR = 12,
  COMPST_EXIT = 13,
  COMPST_DONE = 14,
}

/** Kernel: rxe_comp.c comp_state_name[]. */
export const comp_state_name: readonly string[] = [
  'GET ACK', 'GET WQE', 'COMP WQE', 'COMP ACK', 'CHECK PSN', 'CHECK ACK', 'READ', 'ATOMIC', 'WRITE/SEND',
  'UPDATE COMP', 'ERROR RETRY', 'RNR RETRY', 'ERROR', 'EXIT', 'DONE',
];

const O = ib_opcode;
const S = comp_state;

/** Kernel: rxe_comp.c wr_to_wc_opcode(). */
export function wr_to_wc_opcode(opcode: number): ib_wc_opcode {
  switch (opcode) {
    case ib_wr_opcode.IB_WR_RDMA_WRITE:
    case ib_wr_opcode.IB_WR_RDMA_WRITE_WITH_IMM: return ib_wc_opcode.IB_WC_RDMA_WRITE;
    case ib_wr_opcode.IB_WR_SEND:
    case ib_wr_opcode.IB_WR_SEND_WITH_IMM:
    case ib_wr_opcode.IB_WR_SEND_WITH_INV: return ib_wc_opcode.IB_WC_SEND;
    case ib_wr_opcode.IB_WR_RDMA_READ:
    case ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV: return ib_wc_opcode.IB_WC_RDMA_READ;
    case ib_wr_opcode.IB_WR_ATOMIC_CMP_AND_SWP: return ib_wc_opcode.IB_WC_COMP_SWAP;
    case ib_wr_opcode.IB_WR_ATOMIC_FETCH_AND_ADD: return ib_wc_opcode.IB_WC_FETCH_ADD;
    case ib_wr_opcode.IB_WR_LOCAL_INV: return ib_wc_opcode.IB_WC_LOCAL_INV;
    case ib_wr_opcode.IB_WR_REG_MR: return ib_wc_opcode.IB_WC_REG_MR;
  }
  return 0xff as ib_wc_opcode;
}

/** Make an ib_wc (the one factory for CQEs: every field, one order). Emulator-only. */
export function rxe_make_wc(wr_id: number | bigint, wr_cqe: ib_wc['wr_cqe'], status: number, opcode: number,
  byte_len: number, qp: rxe_qp, wc_flags: number, imm_data: number, invalidate_rkey: number, src_qp: number): ib_wc {
  return {
    wr_id, wr_cqe, status, opcode, vendor_err: 0, byte_len, qp, ex: { imm_data, invalidate_rkey }, src_qp, wc_flags,
    pkey_index: 0, slid: 0, sl: 0, dlid_path_bits: 0, port_num: qp.attr.port_num, smac: null, vlan_id: 0,
    network_hdr_type: 0,
  };
}

/** Kernel: rxe_comp.c make_send_cqe(). */
function make_send_cqe(qp: rxe_qp, wqe: rxe_send_wqe): ib_wc {
  const imm = wqe.opcode === ib_wr_opcode.IB_WR_RDMA_WRITE_WITH_IMM || wqe.opcode === ib_wr_opcode.IB_WR_SEND_WITH_IMM;
  return rxe_make_wc(wqe.wr_id, wqe.wr_cqe, wqe.status, wr_to_wc_opcode(wqe.opcode), wqe.dma.length, qp,
    imm ? ib_wc_flags.IB_WC_WITH_IMM : 0, 0, 0, 0);
}

/**
 * do_complete - retire the SQ head: a CQE if signaled, signal-all, or failed (IBA 10.7.3.1).
 * Kernel: drivers/infiniband/sw/rxe/rxe_comp.c do_complete()
 */
function do_complete(qp: rxe_qp, wqe: rxe_send_wqe): void {
  const post = qp.sq_sig_type === ib_sig_type.IB_SIGNAL_ALL_WR ||
    (wqe.send_flags & ib_send_flags.IB_SEND_SIGNALED) !== 0 || wqe.status !== ib_wc_status.IB_WC_SUCCESS;
  qp.sq.queue.advance_consumer();
  if (post && qp.scq !== null) rxe_cq_post(qp.scq, make_send_cqe(qp, wqe), false);
  if (qp.req.wait_fence) {
    qp.req.wait_fence = false;
    rxe_run_task(qp.req_task);
  }
}

/**
 * Kernel: rxe_comp.c get_wqe() - the next state for the SQ head `wqe` (the caller fetched it with
 * queue_head(): the kernel's out-parameter, without a tuple per call).
 */
function get_wqe(pkt: rxe_pkt_info | null, wqe: rxe_send_wqe | null): comp_state {
  if (wqe === null || wqe.state === wqe_state.wqe_state_posted) return pkt ? S.COMPST_DONE : S.COMPST_EXIT;
  if (wqe.state === wqe_state.wqe_state_done) return S.COMPST_COMP_WQE;
  if (wqe.state === wqe_state.wqe_state_error) return S.COMPST_ERROR;
  return pkt ? S.COMPST_CHECK_PSN : S.COMPST_EXIT;
}

/** Kernel: rxe_comp.c reset_retry_counters(). */
function reset_retry_counters(qp: rxe_qp): void {
  qp.comp.retry_cnt = qp.attr.retry_cnt;
  qp.comp.rnr_retry = qp.attr.rnr_retry;
  qp.comp.started_retry = false;
}

/** Kernel: rxe_comp.c check_psn(). */
function check_psn(qp: rxe_qp, pkt: rxe_pkt_info, wqe: rxe_send_wqe): comp_state {
  let diff = psn_compare(pkt.psn, wqe.last_psn);
  if (diff > 0) {
    if (wqe.state === wqe_state.wqe_state_pending) {
      if (wqe.mask & WR_ATOMIC_OR_READ_MASK) return S.COMPST_ERROR_RETRY;
      reset_retry_counters(qp);
      return S.COMPST_COMP_WQE;
    }
    return S.COMPST_DONE;
  }
  diff = psn_compare(pkt.psn, qp.comp.psn);
  if (diff < 0) {
    if (pkt.psn === wqe.last_psn) return S.COMPST_COMP_ACK;
    return S.COMPST_DONE;
  } else if (diff > 0 && (wqe.mask & WR_ATOMIC_OR_READ_MASK)) {
    return S.COMPST_DONE;
  }
  return S.COMPST_CHECK_ACK;
}

/** Kernel: rxe_comp.c check_ack(). */
function check_ack(qp: rxe_qp, pkt: rxe_pkt_info, wqe: rxe_send_wqe): comp_state {
  const mask = pkt.mask;
  const rxe = to_rdev(qp.device);
  switch (qp.comp.opcode) {
    case -1:
      if (!(mask & RXE_START_MASK)) return S.COMPST_ERROR;
      break;
    case O.IB_OPCODE_RC_RDMA_READ_RESPONSE_FIRST:
    case O.IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE:
      if (pkt.opcode !== O.IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE && pkt.opcode !== O.IB_OPCODE_RC_RDMA_READ_RESPONSE_LAST) {
        if ((pkt.psn === wqe.first_psn && pkt.opcode === O.IB_OPCODE_RC_RDMA_READ_RESPONSE_FIRST) ||
            (wqe.first_psn === wqe.last_psn && pkt.opcode === O.IB_OPCODE_RC_RDMA_READ_RESPONSE_ONLY)) break;
        return S.COMPST_ERROR;
      }
      break;
    default:
      break;
  }
  let syn: number;
  switch (pkt.opcode) {
    case O.IB_OPCODE_RC_RDMA_READ_RESPONSE_FIRST:
    case O.IB_OPCODE_RC_RDMA_READ_RESPONSE_LAST:
    case O.IB_OPCODE_RC_RDMA_READ_RESPONSE_ONLY:
    case O.IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE:
      if (pkt.opcode !== O.IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE) {
        syn = aeth_syn(pkt.hdr, pkt.bth + AETH_OFF[pkt.opcode]!);
        if ((syn & AETH_TYPE_MASK) !== AETH_ACK) return S.COMPST_ERROR;
      }
      if (wqe.opcode !== ib_wr_opcode.IB_WR_RDMA_READ && wqe.opcode !== ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV) {
        wqe.status = ib_wc_status.IB_WC_FATAL_ERR;
        return S.COMPST_ERROR;
      }
      reset_retry_counters(qp);
      return S.COMPST_READ;
    case O.IB_OPCODE_RC_ATOMIC_ACKNOWLEDGE:
      syn = aeth_syn(pkt.hdr, pkt.bth + AETH_OFF[pkt.opcode]!);
      if ((syn & AETH_TYPE_MASK) !== AETH_ACK) return S.COMPST_ERROR;
      if (wqe.opcode !== ib_wr_opcode.IB_WR_ATOMIC_CMP_AND_SWP && wqe.opcode !== ib_wr_opcode.IB_WR_ATOMIC_FETCH_AND_ADD) {
        return S.COMPST_ERROR;
      }
      reset_retry_counters(qp);
      return S.COMPST_ATOMIC;
    case O.IB_OPCODE_RC_ACKNOWLEDGE:
      syn = aeth_syn(pkt.hdr, pkt.bth + AETH_OFF[pkt.opcode]!);
      switch (syn & AETH_TYPE_MASK) {
        case AETH_ACK:
          // A plain ACK never completes a READ or an atomic: only its response carries the data /
          // original value. The responder's re-ACK of a duplicate SEND/WRITE carries its latest PSN
          // (resp.ack_psn - 1), which may be an atomic's; completing the atomic on it would lose the
          // fetched value (found by the conformance loss property: SEND + FETCH_ADD with ACK loss).
          // Drop it; the atomic's (replayed) ATOMIC_ACKNOWLEDGE or the retransmit timer follows.
          if (wqe.mask & WR_ATOMIC_OR_READ_MASK) return S.COMPST_DONE;
          reset_retry_counters(qp);
          return S.COMPST_WRITE_SEND;
        case AETH_RNR_NAK:
          rxe_counter_inc(rxe, 'rcvd_rnr_err');
          return S.COMPST_RNR_RETRY;
        case AETH_NAK:
          switch (syn) {
            case AETH_NAK_PSN_SEQ_ERROR:
              if (psn_compare(pkt.psn, qp.comp.psn) > 0) {
                rxe_counter_inc(rxe, 'rcvd_seq_err');
                qp.comp.psn = pkt.psn;
                if (qp.req.wait_psn) {
                  qp.req.wait_psn = false;
                  rxe_run_task(qp.req_task);
                }
              }
              return S.COMPST_ERROR_RETRY;
            case AETH_NAK_INVALID_REQ:
              wqe.status = ib_wc_status.IB_WC_REM_INV_REQ_ERR;
              return S.COMPST_ERROR;
            case AETH_NAK_REM_ACC_ERR:
              wqe.status = ib_wc_status.IB_WC_REM_ACCESS_ERR;
              return S.COMPST_ERROR;
            case AETH_NAK_REM_OP_ERR:
              wqe.status = ib_wc_status.IB_WC_REM_OP_ERR;
              return S.COMPST_ERROR;
            default:
              wqe.status = ib_wc_status.IB_WC_REM_OP_ERR;
              return S.COMPST_ERROR;
          }
        default:
          return S.COMPST_ERROR;
      }
  }
  return S.COMPST_ERROR;
}

/** Kernel: rxe_comp.c do_read() - write the READ response payload into the local SGEs. */
function do_read(qp: rxe_qp, pkt: rxe_pkt_info, wqe: rxe_send_wqe): comp_state {
  rxe_copy_source(pkt.payload);
  const ret = copy_data(qp.pd, ib_access_flags.IB_ACCESS_LOCAL_WRITE, wqe.dma, pkt.payload_len, true, null);
  if (ret) {
    wqe.status = ret === -28 ? ib_wc_status.IB_WC_LOC_LEN_ERR : ib_wc_status.IB_WC_LOC_PROT_ERR;
    return S.COMPST_ERROR;
  }
  if (wqe.dma.resid === 0 && (pkt.mask & RXE_END_MASK)) {
    if (wqe.opcode === ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV && do_read_inv(qp, wqe) !== 0) return S.COMPST_ERROR;
    return S.COMPST_COMP_ACK;
  }
  return S.COMPST_UPDATE_COMP;
}

/**
 * do_read_inv - a READ_WITH_INV has placed all its data: invalidate the sink MR.
 *
 * Kernel: none in rxe, which completes IB_WR_RDMA_READ_WITH_INV as a plain READ (on RoCE
 * rdma_cap_read_inv() is false, so no ULP posts it). Modelled on the iWARP providers that do:
 * drivers/infiniband/sw/siw/siw_qp_rx.c siw_rdmap_complete() (SIW_OP_READ_LOCAL_INV →
 * siw_invalidate_stag(pd, sge[0].lkey) when the READ response completes; failure →
 * IB_WC_GENERAL_ERR) and drivers/infiniband/hw/cxgb4/qp.c (c4iw_invalidate_mr(sg_list[0].lkey)).
 * Divergence (from a literal reading of the verb, not from those providers): the MR named by the
 * sink SGE's lkey is invalidated, not `ex.invalidate_rkey`. rdma_rw_init_reg_wr captures
 * invalidate_rkey before rdma_rw_ctx_wrs rotates the key (ib_update_fast_reg_key), so it names the
 * key the MR had *before* the REG_MR that precedes the READ; the sink lkey is the live one.
 * @returns 0, or -EINVAL with wqe.status = IB_WC_GENERAL_ERR
 */
function do_read_inv(qp: rxe_qp, wqe: rxe_send_wqe): number {
  if (wqe.dma.num_sge === 0) return 0;
  const ret = rxe_invalidate_mr(qp, wqe.dma.sge[0]!.lkey, qp.pd);
  if (ret) wqe.status = ib_wc_status.IB_WC_GENERAL_ERR;
  return ret;
}

const origBuf = new Uint8Array(8);

/** Kernel: rxe_comp.c do_atomic() - write the original value (8 bytes, host order) to the local SGE. */
function do_atomic(qp: rxe_qp, pkt: rxe_pkt_info, wqe: rxe_send_wqe): comp_state {
  const o = pkt.bth + ATMACK_OFF[pkt.opcode]!;
  const hi = atmack_orig_hi(pkt.hdr, o);
  const lo = atmack_orig_lo(pkt.hdr, o);
  origBuf[0] = lo & 0xff; origBuf[1] = (lo >>> 8) & 0xff; origBuf[2] = (lo >>> 16) & 0xff; origBuf[3] = lo >>> 24;
  origBuf[4] = hi & 0xff; origBuf[5] = (hi >>> 8) & 0xff; origBuf[6] = (hi >>> 16) & 0xff; origBuf[7] = hi >>> 24;
  rxe_copy_source([origBuf]);
  const ret = copy_data(qp.pd, ib_access_flags.IB_ACCESS_LOCAL_WRITE, wqe.dma, 8, true, null);
  if (ret) {
    wqe.status = ret === -28 ? ib_wc_status.IB_WC_LOC_LEN_ERR : ib_wc_status.IB_WC_LOC_PROT_ERR;
    return S.COMPST_ERROR;
  }
  return S.COMPST_COMP_ACK;
}

/** Kernel: rxe_comp.c complete_ack(). */
function complete_ack(qp: rxe_qp, pkt: rxe_pkt_info, wqe: rxe_send_wqe): comp_state {
  if (wqe.has_rd_atomic) {
    wqe.has_rd_atomic = false;
    qp.req.rd_atomic++;
    if (qp.req.need_rd_atomic) {
      qp.comp.timeout_retry = false;
      qp.req.need_rd_atomic = false;
      rxe_run_task(qp.req_task);
    }
  }
  do_complete(qp, wqe);
  if (psn_compare(pkt.psn, qp.comp.psn) >= 0) return S.COMPST_UPDATE_COMP;
  return S.COMPST_DONE;
}

/** Kernel: rxe_comp.c complete_wqe(). */
function complete_wqe(qp: rxe_qp, pkt: rxe_pkt_info | null, wqe: rxe_send_wqe): comp_state {
  if (pkt !== null && wqe.state === wqe_state.wqe_state_pending) {
    if (psn_compare(wqe.last_psn, qp.comp.psn) >= 0) {
      qp.comp.psn = (wqe.last_psn + 1) & BTH_PSN_MASK;
      qp.comp.opcode = -1;
    }
    if (qp.req.wait_psn) {
      qp.req.wait_psn = false;
      rxe_run_task(qp.req_task);
    }
  }
  do_complete(qp, wqe);
  return S.COMPST_GET_WQE;
}

/**
 * rxe_flush_send_queue - complete every SQ WQE with WR_FLUSH_ERR (QP in ERR), or drop them (RESET).
 * Kernel: drivers/infiniband/sw/rxe/rxe_comp.c flush_send_queue() / drain_resp_pkts()
 */
function flush_send_queue(qp: rxe_qp, notify: boolean): void {
  qp.resp_pkts.clear();
  const q = qp.sq.queue;
  let wqe: rxe_send_wqe | undefined;
  while ((wqe = q.head()) !== undefined) {
    if (notify) {
      if (wqe.state !== wqe_state.wqe_state_error || wqe.status === ib_wc_status.IB_WC_SUCCESS) {
        wqe.status = ib_wc_status.IB_WC_WR_FLUSH_ERR;
      }
      do_complete(qp, wqe);
    } else {
      q.advance_consumer();
    }
  }
  qp.req.wqe_index = q.cons;
}

/**
 * rxe_completer - one step of the completer engine (one response packet or a timer kick).
 * Kernel: drivers/infiniband/sw/rxe/rxe_comp.c rxe_completer()
 * @returns 0 to be called again, nonzero to stop the task
 */
export function rxe_completer(qp: rxe_qp): number {
  const rxe = to_rdev(qp.device);
  const st = qp.attr.qp_state;
  if (!qp.valid || st === ib_qp_state.IB_QPS_ERR || st === ib_qp_state.IB_QPS_RESET) {
    // an errored head WQE keeps its own status; everything else flushes
    flush_send_queue(qp, qp.valid && st === ib_qp_state.IB_QPS_ERR);
    return -1;
  }
  if (qp.comp.timeout) {
    qp.comp.timeout_retry = true;
    qp.comp.timeout = false;
  } else {
    qp.comp.timeout_retry = false;
  }
  if (qp.req.need_retry) return -1;

  let pkt: rxe_pkt_info | null = null;
  let wqe: rxe_send_wqe | null = null;
  let state = S.COMPST_GET_ACK;
  for (;;) {
    switch (state) {
      case S.COMPST_GET_ACK:
        pkt = qp.resp_pkts.shift() ?? null;
        if (pkt !== null) qp.comp.timeout_retry = false;
        state = S.COMPST_GET_WQE;
        break;
      case S.COMPST_GET_WQE:
        wqe = qp.sq.queue.head() ?? null;
        state = get_wqe(pkt, wqe);
        break;
      case S.COMPST_CHECK_PSN:
        state = check_psn(qp, pkt!, wqe!);
        break;
      case S.COMPST_CHECK_ACK:
        state = check_ack(qp, pkt!, wqe!);
        break;
      case S.COMPST_READ:
        state = do_read(qp, pkt!, wqe!);
        break;
      case S.COMPST_ATOMIC:
        state = do_atomic(qp, pkt!, wqe!);
        break;
      case S.COMPST_WRITE_SEND:
        state = wqe!.state === wqe_state.wqe_state_pending && wqe!.last_psn === pkt!.psn ? S.COMPST_COMP_ACK : S.COMPST_UPDATE_COMP;
        break;
      case S.COMPST_COMP_ACK:
        state = complete_ack(qp, pkt!, wqe!);
        break;
      case S.COMPST_COMP_WQE:
        state = complete_wqe(qp, pkt, wqe!);
        break;
      case S.COMPST_UPDATE_COMP:
        qp.comp.opcode = (pkt!.mask & RXE_END_MASK) ? -1 : pkt!.opcode;
        if (psn_compare(pkt!.psn, qp.comp.psn) >= 0) qp.comp.psn = (pkt!.psn + 1) & BTH_PSN_MASK;
        if (qp.req.wait_psn) {
          qp.req.wait_psn = false;
          rxe_run_task(qp.req_task);
        }
        return 0;
      case S.COMPST_DONE:
        return 0;
      case S.COMPST_EXIT:
        if (qp.comp.timeout_retry && wqe !== null) {
          state = S.COMPST_ERROR_RETRY;
          break;
        }
        if (qp.qp_type === ib_qp_type.IB_QPT_RC && qp.req.state === rxe_qp_state.QP_STATE_READY &&
            psn_compare(qp.req.psn, qp.comp.psn) > 0 && qp.qp_timeout_ns) {
          qp.retrans_timer.reschedule(qp.qp_timeout_ns);
        } else if (psn_compare(qp.req.psn, qp.comp.psn) <= 0) {
          qp.retrans_timer.cancel();
        }
        return -1;
      case S.COMPST_ERROR_RETRY:
        if (wqe === null || wqe.state === wqe_state.wqe_state_posted) return -1;
        if (qp.comp.started_retry && !qp.comp.timeout_retry) return 0;
        if (qp.comp.retry_cnt > 0) {
          if (qp.comp.retry_cnt !== 7) qp.comp.retry_cnt--;
          if (psn_compare(qp.req.psn, qp.comp.psn) > 0) {
            rxe_counter_inc(rxe, 'completer_retry_err');
            qp.req.need_retry = true;
            qp.comp.started_retry = true;
            rxe_run_task(qp.req_task);
          }
          return 0;
        }
        rxe_counter_inc(rxe, 'retry_exceeded_err');
        wqe.status = ib_wc_status.IB_WC_RETRY_EXC_ERR;
        state = S.COMPST_ERROR;
        break;
      case S.COMPST_RNR_RETRY:
        if (qp.comp.rnr_retry > 0) {
          if (qp.comp.rnr_retry !== 7) qp.comp.rnr_retry--;
          qp.req.wait_for_rnr_timer = true;
          const t = aeth_syn(pkt!.hdr, pkt!.bth + AETH_OFF[pkt!.opcode]!) & ~AETH_TYPE_MASK;
          qp.rnr_nak_timer.reschedule(rnrnak_usec[t]! * 1000);
          return -1;
        }
        rxe_counter_inc(rxe, 'retry_rnr_exceeded_err');
        wqe!.status = ib_wc_status.IB_WC_RNR_RETRY_EXC_ERR;
        state = S.COMPST_ERROR;
        break;
      case S.COMPST_ERROR:
        if (wqe!.status === ib_wc_status.IB_WC_SUCCESS) wqe!.status = ib_wc_status.IB_WC_BAD_RESP_ERR;
        do_complete(qp, wqe!);
        rxe_qp_error(qp);
        return -1;
    }
  }
}
