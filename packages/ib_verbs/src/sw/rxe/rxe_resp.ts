/**
 * rxe_resp - the responder: executes incoming requests against local memory and answers.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_resp.c (rxe_responder, get_req, check_psn, check_op_seq,
 *         check_op_valid, check_resource, rxe_resp_check_length, check_rkey, execute,
 *         send_data_in, write_data_in, read_reply, atomic_reply, do_complete, acknowledge,
 *         send_ack, send_atomic_ack, cleanup, duplicate_request, do_class_ac_error, find_resource,
 *         rxe_prepare_res)
 *
 * State diagram (enum resp_states; one packet per pass, a multi-packet READ reply one response
 * packet per pass):
 *
 *   GET_REQ ─► CHK_PSN ─┬─ ahead ─► ERR_PSN_OUT_OF_SEQ (NAK-PSN once, then drop until it arrives)
 *                       ├─ behind ─► DUPLICATE_REQUEST (re-ACK SEND/WRITE; re-read READ; replay atomic)
 *                       └─ CHK_OP_SEQ ─► CHK_OP_VALID ─► CHK_RESOURCE ─► CHK_LENGTH ─► CHK_RKEY ─► EXECUTE
 *   EXECUTE ─► READ_REPLY | ATOMIC_REPLY | COMPLETE | ACKNOWLEDGE | CLEANUP
 *   COMPLETE ─► ACKNOWLEDGE ─► CLEANUP ─► DONE (─► ERROR if goto_error)
 *   ERR_* : class A/C errors NAK (INVALID_REQ, REM_ACC_ERR, REM_OP_ERR) and move the QP to ERR;
 *           ERR_RNR sends an RNR NAK with min_rnr_timer; in ERR the RQ is flushed (WR_FLUSH_ERR).
 *
 * Data: SEND payload views are written into the receive WQE's SGEs, WRITE payload into the MR
 * named by the RETH, each with dmaDeviceWrite (the one copy); READ replies are views of the MR
 * (dmaDeviceRead, zero copy). Atomics operate on the u64 in target memory through the device
 * side and the original value is kept in the responder resource for duplicate replay.
 *
 * Divergence: a receive buffer too small completes the receive with IB_WC_LOC_LEN_ERR and a bad
 * receive lkey / DMA fault with IB_WC_LOC_PROT_ERR (the requester gets NAK INVALID_REQ →
 * REM_INV_REQ_ERR and NAK REM_OP_ERR → REM_OP_ERR), as IBA and rdma-unit-test expect; rxe reports
 * REM_INV_REQ_ERR / LOC_QP_OP_ERR locally. Atomic alignment is checked before the rkey
 * (rdma-unit-test FetchAddUnalignedInvalidRKey). SEND_WITH_INV checks the MR's PD.
 */
import { ib_access_flags, ib_qp_type, ib_wc_flags, ib_wc_opcode, ib_wc_status } from '../../core/ib_verbs.h.js';
import {
  AETH_ACK_UNLIMITED, AETH_NAK_INVALID_REQ, AETH_NAK_PSN_SEQ_ERROR, AETH_NAK_REM_ACC_ERR, AETH_NAK_REM_OP_ERR,
  AETH_RNR_NAK, AETH_TYPE_MASK, BTH_PSN_MASK, IB_DEFAULT_PKEY_FULL, aeth_set_msn, aeth_set_syn, atmack_set_orig,
  atmeth_comp_hi, atmeth_comp_lo, atmeth_rkey, atmeth_swap_add_hi, atmeth_swap_add_lo, atmeth_va_hi, atmeth_va_lo,
  bth_ack, bth_init, bth_se, deth_sqp, ieth_rkey, immdt_imm, psn_compare, reth_len, reth_rkey, reth_va_hi,
  reth_va_lo,
} from './rxe_hdr.js';
import {
  AETH_OFF, ATMACK_OFF, ATMETH_OFF, DETH_OFF, IETH_OFF, IMMDT_OFF, RETH_OFF, RXE_ATOMIC_MASK, RXE_COMP_MASK,
  RXE_DETH_MASK, RXE_END_MASK, RXE_IETH_MASK, RXE_IMMDT_MASK, RXE_READ_MASK, RXE_READ_OR_ATOMIC_MASK,
  RXE_READ_OR_WRITE_MASK, RXE_RETH_MASK, RXE_RWR_MASK, RXE_SEND_MASK, RXE_START_MASK, RXE_WRITE_MASK, ib_opcode,
} from './rxe_opcode.js';
import { copy_data, lookup_mr_cached, mr_check_range, rxe_copy_source, rxe_invalidate_mr, rxe_mr_copy,
  rxe_mr_do_atomic_op } from './rxe_mr.js';
import { rxe_init_packet, rxe_xmit_packet } from './rxe_net.js';
import { rxe_cq_post } from './rxe_cq.js';
import { rxe_qp_error } from './rxe_qp.js';
import { get_srq_wqe } from './rxe_srq.js';
import { rxe_make_wc } from './rxe_comp.js';
import { RXE_CNT, rxe_counter_add, rxe_counter_inc } from './rxe_hw_counters.js';
import {
  rdatm_res_state, rxe_mr_lookup_type, rxe_qp_state, to_rdev, type resp_res, type rxe_mr, type rxe_pkt_info,
  type rxe_qp,
} from './rxe_verbs.h.js';

/** Kernel: rxe_resp.c enum resp_states. */
export enum resp_states {
  RESPST_NONE = 0,
  RESPST_GET_REQ,
  RESPST_CHK_PSN,
  RESPST_CHK_OP_SEQ,
  RESPST_CHK_OP_VALID,
  RESPST_CHK_RESOURCE,
  RESPST_CHK_LENGTH,
  RESPST_CHK_RKEY,
  RESPST_EXECUTE,
  RESPST_READ_REPLY,
  RESPST_ATOMIC_REPLY,
  RESPST_COMPLETE,
  RESPST_ACKNOWLEDGE,
  RESPST_CLEANUP,
  RESPST_DUPLICATE_REQUEST,
  RESPST_ERR_MALFORMED_WQE,
  RESPST_ERR_UNSUPPORTED_OPCODE,
  RESPST_ERR_MISALIGNED_ATOMIC,
  RESPST_ERR_PSN_OUT_OF_SEQ,
  RESPST_ERR_MISSING_OPCODE_FIRST,
  RESPST_ERR_MISSING_OPCODE_LAST_C,
  RESPST_ERR_MISSING_OPCODE_LAST_D1E,
  RESPST_ERR_TOO_MANY_RDMA_ATM_REQ,
  RESPST_ERR_RNR,
  RESPST_ERR_RKEY_VIOLATION,
  RESPST_ERR_INVALIDATE_RKEY,
  RESPST_ERR_LENGTH,
  RESPST_ERR_CQ_OVERFLOW,
  RESPST_ERROR,
  RESPST_RESET,
  RESPST_DONE,
  RESPST_EXIT,
}

/** Kernel: rxe_resp.c resp_state_name[]. */
export const resp_state_name: readonly string[] = [
  'NONE', 'GET_REQ', 'CHK_PSN', 'CHK_OP_SEQ', 'CHK_OP_VALID', 'CHK_RESOURCE', 'CHK_LENGTH', 'CHK_RKEY', 'EXECUTE',
  'READ_REPLY', 'ATOMIC_REPLY', 'COMPLETE', 'ACKNOWLEDGE', 'CLEANUP', 'DUPLICATE_REQUEST', 'ERR_MALFORMED_WQE',
  'ERR_UNSUPPORTED_OPCODE', 'ERR_MISALIGNED_ATOMIC', 'ERR_PSN_OUT_OF_SEQ', 'ERR_MISSING_OPCODE_FIRST',
  'ERR_MISSING_OPCODE_LAST_C', 'ERR_MISSING_OPCODE_LAST_D1E', 'ERR_TOO_MANY_RDMA_ATM_REQ', 'ERR_RNR',
  'ERR_RKEY_VIOLATION', 'ERR_INVALIDATE_RKEY', 'ERR_LENGTH', 'ERR_CQ_OVERFLOW', 'ERROR', 'RESET', 'DONE', 'EXIT',
];

const R = resp_states;
const O = ib_opcode;
const TWO_32 = 0x1_0000_0000;

function is_ud(qp: rxe_qp): boolean {
  return qp.qp_type === ib_qp_type.IB_QPT_UD || qp.qp_type === ib_qp_type.IB_QPT_GSI;
}

/**
 * Kernel: rxe_resp.c get_req() - the next state; the packet it takes is the head of req_pkts,
 * returned through `getReqPkt` (the kernel's out-parameter, without a tuple per call).
 */
function get_req(qp: rxe_qp): resp_states {
  if (qp.resp.state === rxe_qp_state.QP_STATE_ERROR) {
    qp.req_pkts.clear();
    getReqPkt = null;
    return R.RESPST_CHK_RESOURCE;
  }
  const pkt = qp.req_pkts.peek();
  if (pkt === undefined) {
    getReqPkt = null;
    return R.RESPST_EXIT;
  }
  getReqPkt = pkt;
  return qp.resp.res !== null ? R.RESPST_READ_REPLY : R.RESPST_CHK_PSN;
}
let getReqPkt: rxe_pkt_info | null = null;

/** Kernel: rxe_resp.c check_psn(). */
function check_psn(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  if (qp.qp_type !== ib_qp_type.IB_QPT_RC) return R.RESPST_CHK_OP_SEQ;
  const diff = psn_compare(pkt.psn, qp.resp.psn);
  const rxe = to_rdev(qp.device);
  if (diff > 0) {
    if (qp.resp.sent_psn_nak) return R.RESPST_CLEANUP;
    qp.resp.sent_psn_nak = true;
    rxe_counter_inc(rxe, 'out_of_seq_request');
    return R.RESPST_ERR_PSN_OUT_OF_SEQ;
  } else if (diff < 0) {
    rxe_counter_inc(rxe, 'duplicate_request');
    return R.RESPST_DUPLICATE_REQUEST;
  }
  if (qp.resp.sent_psn_nak) qp.resp.sent_psn_nak = false;
  return R.RESPST_CHK_OP_SEQ;
}

/** Kernel: rxe_resp.c check_op_seq(). */
function check_op_seq(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  if (qp.qp_type !== ib_qp_type.IB_QPT_RC) return R.RESPST_CHK_OP_VALID;
  const op = pkt.opcode;
  switch (qp.resp.opcode) {
    case O.IB_OPCODE_RC_SEND_FIRST:
    case O.IB_OPCODE_RC_SEND_MIDDLE:
      if (op === O.IB_OPCODE_RC_SEND_MIDDLE || op === O.IB_OPCODE_RC_SEND_LAST ||
          op === O.IB_OPCODE_RC_SEND_LAST_WITH_IMMEDIATE || op === O.IB_OPCODE_RC_SEND_LAST_WITH_INVALIDATE) {
        return R.RESPST_CHK_OP_VALID;
      }
      return R.RESPST_ERR_MISSING_OPCODE_LAST_C;
    case O.IB_OPCODE_RC_RDMA_WRITE_FIRST:
    case O.IB_OPCODE_RC_RDMA_WRITE_MIDDLE:
      if (op === O.IB_OPCODE_RC_RDMA_WRITE_MIDDLE || op === O.IB_OPCODE_RC_RDMA_WRITE_LAST ||
          op === O.IB_OPCODE_RC_RDMA_WRITE_LAST_WITH_IMMEDIATE) {
        return R.RESPST_CHK_OP_VALID;
      }
      return R.RESPST_ERR_MISSING_OPCODE_LAST_C;
    default:
      switch (op) {
        case O.IB_OPCODE_RC_SEND_MIDDLE:
        case O.IB_OPCODE_RC_SEND_LAST:
        case O.IB_OPCODE_RC_SEND_LAST_WITH_IMMEDIATE:
        case O.IB_OPCODE_RC_SEND_LAST_WITH_INVALIDATE:
        case O.IB_OPCODE_RC_RDMA_WRITE_MIDDLE:
        case O.IB_OPCODE_RC_RDMA_WRITE_LAST:
        case O.IB_OPCODE_RC_RDMA_WRITE_LAST_WITH_IMMEDIATE:
          return R.RESPST_ERR_MISSING_OPCODE_FIRST;
      }
      return R.RESPST_CHK_OP_VALID;
  }
}

/** Kernel: rxe_resp.c check_op_valid() - the QP's remote access flags allow the operation. */
function check_op_valid(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  if (qp.qp_type === ib_qp_type.IB_QPT_RC) {
    const f = qp.attr.qp_access_flags;
    if (((pkt.mask & RXE_READ_MASK) && !(f & ib_access_flags.IB_ACCESS_REMOTE_READ)) ||
        ((pkt.mask & RXE_WRITE_MASK) && !(f & ib_access_flags.IB_ACCESS_REMOTE_WRITE)) ||
        ((pkt.mask & RXE_ATOMIC_MASK) && !(f & ib_access_flags.IB_ACCESS_REMOTE_ATOMIC))) {
      return R.RESPST_ERR_UNSUPPORTED_OPCODE;
    }
  }
  return R.RESPST_CHK_RESOURCE;
}

/** Kernel: rxe_resp.c check_resource() (and the RQ flush in ERR). */
function check_resource(qp: rxe_qp, pkt: rxe_pkt_info | null): resp_states {
  const srq = qp.rsrq;
  if (qp.resp.state === rxe_qp_state.QP_STATE_ERROR) {
    if (qp.resp.wqe !== null) {
      qp.resp.status = ib_wc_status.IB_WC_WR_FLUSH_ERR;
      return R.RESPST_COMPLETE;
    } else if (srq === null) {
      qp.resp.wqe = qp.rq.queue.head() ?? null;
      if (qp.resp.wqe !== null) {
        qp.resp.status = ib_wc_status.IB_WC_WR_FLUSH_ERR;
        return R.RESPST_COMPLETE;
      }
      return R.RESPST_EXIT;
    }
    return R.RESPST_EXIT;
  }
  pkt = pkt!;
  if (pkt.mask & RXE_READ_OR_ATOMIC_MASK) {
    if (qp.attr.max_dest_rd_atomic > 0) return R.RESPST_CHK_LENGTH;
    return R.RESPST_ERR_TOO_MANY_RDMA_ATM_REQ;
  }
  if (pkt.mask & RXE_RWR_MASK) {
    if (srq !== null) {
      qp.resp.wqe = get_srq_wqe(srq, qp.resp.srq_wqe);
    } else {
      qp.resp.wqe = qp.rq.queue.head() ?? null;
    }
    return qp.resp.wqe !== null ? R.RESPST_CHK_LENGTH : R.RESPST_ERR_RNR;
  }
  return R.RESPST_CHK_LENGTH;
}

/** Kernel: rxe_resp.c rxe_resp_check_length() - packet sizes vs path MTU. */
function check_length(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  if (is_ud(qp)) {
    if (pkt.payload_len > qp.mtu) return R.RESPST_ERR_LENGTH;
  } else if (pkt.mask & (RXE_SEND_MASK | RXE_WRITE_MASK)) {
    if (!(pkt.mask & RXE_END_MASK)) {
      if (pkt.payload_len !== qp.mtu) return R.RESPST_ERR_LENGTH;
    } else if (pkt.payload_len > qp.mtu) {
      return R.RESPST_ERR_LENGTH;
    }
  }
  if (pkt.mask & (RXE_READ_OR_WRITE_MASK | RXE_ATOMIC_MASK)) return R.RESPST_CHK_RKEY;
  return R.RESPST_EXECUTE;
}

/** Kernel: rxe_resp.c check_rkey() - RETH/AtomicETH state, MR lookup, range, length. */
function check_rkey(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  const b = pkt.hdr;
  const o = pkt.bth;
  const r = qp.resp;
  let access: number;
  if (pkt.mask & RXE_READ_OR_WRITE_MASK) {
    if (pkt.mask & RXE_RETH_MASK) {
      const ro = o + RETH_OFF[pkt.opcode]!;
      r.va_hi = reth_va_hi(b, ro);
      r.va_lo = reth_va_lo(b, ro);
      r.offset = 0;
      r.rkey = reth_rkey(b, ro);
      r.resid = reth_len(b, ro);
      r.length = r.resid;
      // C9-88: a zero-byte READ/WRITE needs no valid address or rkey
      if (r.length === 0) return R.RESPST_EXECUTE;
    }
    access = (pkt.mask & RXE_READ_MASK) ? ib_access_flags.IB_ACCESS_REMOTE_READ : ib_access_flags.IB_ACCESS_REMOTE_WRITE;
  } else {
    const ao = o + ATMETH_OFF[pkt.opcode]!;
    r.va_hi = atmeth_va_hi(b, ao);
    r.va_lo = atmeth_va_lo(b, ao);
    r.offset = 0;
    r.rkey = atmeth_rkey(b, ao);
    r.resid = 8;
    r.length = 8;
    access = ib_access_flags.IB_ACCESS_REMOTE_ATOMIC;
    if (r.va_lo & 7) return R.RESPST_ERR_MISALIGNED_ATOMIC;
  }
  const mr = lookup_mr_cached(qp.pd, access, r.rkey, rxe_mr_lookup_type.RXE_LOOKUP_REMOTE, r.last_mr);
  if (mr === null) return R.RESPST_ERR_RKEY_VIOLATION;
  r.last_mr = mr;
  let lo = r.va_lo + r.offset;
  let hi = r.va_hi;
  if (lo >= TWO_32) { lo -= TWO_32; hi = (hi + 1) >>> 0; }
  if (mr_check_range(mr, hi, lo, r.resid) !== 0) return R.RESPST_ERR_RKEY_VIOLATION;
  if (pkt.mask & RXE_WRITE_MASK) {
    if (r.resid > qp.mtu) {
      if (pkt.payload_len !== qp.mtu || pkt.pad) return R.RESPST_ERR_LENGTH;
    } else {
      if (pkt.payload_len !== r.resid) return R.RESPST_ERR_LENGTH;
      if (pkt.pad !== ((-r.resid) & 3)) return R.RESPST_ERR_LENGTH;
    }
  }
  r.mr = mr;
  return R.RESPST_EXECUTE;
}

/** Kernel: rxe_resp.c send_data_in() - payload views into the receive WQE's SGEs. */
function send_data_in(qp: rxe_qp, views: readonly Uint8Array[], len: number): resp_states {
  rxe_copy_source(views);
  const pd = qp.rsrq !== null ? qp.rsrq.pd : qp.pd;
  const err = copy_data(pd, ib_access_flags.IB_ACCESS_LOCAL_WRITE, qp.resp.wqe!.dma, len, true, null);
  if (err) {
    if (err === -28) {
      qp.resp.err_status = ib_wc_status.IB_WC_LOC_LEN_ERR;
      return R.RESPST_ERR_LENGTH;
    }
    qp.resp.err_status = ib_wc_status.IB_WC_LOC_PROT_ERR;
    return R.RESPST_ERR_MALFORMED_WQE;
  }
  return R.RESPST_NONE;
}

/** Kernel: rxe_resp.c write_data_in() - WRITE payload into the MR. */
function write_data_in(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  const r = qp.resp;
  const len = pkt.payload_len;
  if (len > r.resid) return R.RESPST_ERR_LENGTH;
  rxe_copy_source(pkt.payload);
  let lo = r.va_lo + r.offset;
  let hi = r.va_hi;
  if (lo >= TWO_32) { lo -= TWO_32; hi = (hi + 1) >>> 0; }
  if (rxe_mr_copy(r.mr!, hi, lo, len, true, null)) return R.RESPST_ERR_RKEY_VIOLATION;
  r.offset += len;
  r.resid -= len;
  return R.RESPST_NONE;
}

const grhBuf = new Uint8Array(40);

/** Kernel: rxe_resp.c execute(). */
function execute(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  const r = qp.resp;
  if (pkt.mask & RXE_SEND_MASK) {
    if (is_ud(qp)) {
      // the 40-byte GRH area of a UD receive: 20 zero bytes then the IPv4 header (rdma_network_hdr)
      grhBuf.fill(0);
      grhBuf.set(pkt.hdr.subarray(14, 34), 20);
      const e = send_data_in(qp, [grhBuf], 40);
      if (e !== R.RESPST_NONE) return e;
    }
    const e = send_data_in(qp, pkt.payload, pkt.payload_len);
    if (e !== R.RESPST_NONE) return e;
  } else if (pkt.mask & RXE_WRITE_MASK) {
    if (r.length !== 0 || pkt.payload_len !== 0) {
      const e = write_data_in(qp, pkt);
      if (e !== R.RESPST_NONE) return e;
    }
  } else if (pkt.mask & RXE_READ_MASK) {
    r.msn++;
    return R.RESPST_READ_REPLY;
  } else if (pkt.mask & RXE_ATOMIC_MASK) {
    return R.RESPST_ATOMIC_REPLY;
  }
  if (pkt.mask & RXE_IETH_MASK) {
    const rkey = ieth_rkey(pkt.hdr, pkt.bth + IETH_OFF[pkt.opcode]!);
    if (rxe_invalidate_mr(qp, rkey, qp.pd)) return R.RESPST_ERR_INVALIDATE_RKEY;
  }
  if (pkt.mask & RXE_END_MASK) r.msn++;
  r.psn = (pkt.psn + 1) & BTH_PSN_MASK;
  r.ack_psn = r.psn;
  r.opcode = pkt.opcode;
  r.status = ib_wc_status.IB_WC_SUCCESS;
  if (pkt.mask & RXE_COMP_MASK) return R.RESPST_COMPLETE;
  if (qp.qp_type === ib_qp_type.IB_QPT_RC) return R.RESPST_ACKNOWLEDGE;
  return R.RESPST_CLEANUP;
}

/** Kernel: rxe_resp.c rxe_prepare_res(). */
function rxe_prepare_res(qp: rxe_qp, pkt: rxe_pkt_info, type: number): resp_res {
  const r = qp.resp;
  const res = r.resources[r.res_head]!;
  r.res_head = (r.res_head + 1) % r.resources.length;
  res.type = type;
  res.replay = false;
  if (type === RXE_READ_MASK) {
    let lo = r.va_lo + r.offset;
    let hi = r.va_hi;
    if (lo >= TWO_32) { lo -= TWO_32; hi = (hi + 1) >>> 0; }
    res.read_va_hi = hi;
    res.read_va_lo = lo;
    res.read_va_org_hi = hi;
    res.read_va_org_lo = lo;
    res.read_resid = r.resid;
    res.read_length = r.resid;
    res.read_rkey = r.rkey;
    const pkts = Math.max(Math.floor((r.length + qp.mtu - 1) / qp.mtu), 1);
    res.first_psn = pkt.psn;
    res.cur_psn = pkt.psn;
    res.last_psn = (pkt.psn + pkts - 1) & BTH_PSN_MASK;
    res.state = rdatm_res_state.rdatm_res_state_new;
  } else {
    res.first_psn = pkt.psn;
    res.last_psn = pkt.psn;
    res.cur_psn = pkt.psn;
  }
  return res;
}

/**
 * Kernel: rxe_resp.c prepare_ack_packet() - a response packet (ACK, READ response, atomic ACK)
 * with BTH, AETH and AtomicAckETH written; its `payload` array is where the caller gathers the
 * payload views (one array per packet, handed to the frame).
 */
function prepare_ack_packet(qp: rxe_qp, opcode: number, payload_len: number, psn: number, syndrome: number,
  res: resp_res | null): rxe_pkt_info {
  const pkt = rxe_init_packet(opcode, payload_len);
  const b = pkt.hdr;
  const o = pkt.bth;
  bth_init(b, o, opcode, false, false, pkt.pad, IB_DEFAULT_PKEY_FULL, qp.attr.dest_qp_num, false, psn);
  const ao = AETH_OFF[opcode]!;
  if (ao !== 0 || opcode === O.IB_OPCODE_RC_ACKNOWLEDGE) {
    if (opcode !== O.IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE) {
      aeth_set_syn(b, o + ao, syndrome);
      aeth_set_msn(b, o + ao, qp.resp.msn);
    }
  }
  if (opcode === O.IB_OPCODE_RC_ATOMIC_ACKNOWLEDGE && res !== null) {
    atmack_set_orig(b, o + ATMACK_OFF[opcode]!, res.atomic_orig_hi, res.atomic_orig_lo);
  }
  return pkt;
}

/** Send a prepared response with the views in pkt.payload. Kernel: rxe_resp.c (rxe_xmit_packet callers). */
function send_response(qp: rxe_qp, pkt: rxe_pkt_info): void {
  if (qp.av !== null) rxe_xmit_packet(to_rdev(qp.device), qp.av, pkt, pkt.payload);
}

/** Kernel: rxe_resp.c send_ack(). */
function send_ack(qp: rxe_qp, syndrome: number, psn: number): void {
  send_response(qp, prepare_ack_packet(qp, O.IB_OPCODE_RC_ACKNOWLEDGE, 0, psn, syndrome, null));
}

/** Kernel: rxe_resp.c read_reply() - one READ response packet per call. */
function read_reply(qp: rxe_qp, req_pkt: rxe_pkt_info): resp_states {
  const r = qp.resp;
  let res = r.res;
  if (res === null) {
    res = rxe_prepare_res(qp, req_pkt, RXE_READ_MASK);
    r.res = res;
  }
  let mr: rxe_mr | null;
  let opcode: number;
  const mtu = qp.mtu;
  if (res.state === rdatm_res_state.rdatm_res_state_new) {
    if (!res.replay || res.read_length === 0) {
      mr = r.mr;
      r.mr = null;
    } else {
      mr = lookup_mr_cached(qp.pd, ib_access_flags.IB_ACCESS_REMOTE_READ, res.read_rkey, rxe_mr_lookup_type.RXE_LOOKUP_REMOTE,
        r.last_mr);
      if (mr === null) return R.RESPST_ERR_RKEY_VIOLATION;
      r.last_mr = mr;
    }
    opcode = res.read_resid <= mtu ? O.IB_OPCODE_RC_RDMA_READ_RESPONSE_ONLY : O.IB_OPCODE_RC_RDMA_READ_RESPONSE_FIRST;
  } else {
    mr = lookup_mr_cached(qp.pd, ib_access_flags.IB_ACCESS_REMOTE_READ, res.read_rkey, rxe_mr_lookup_type.RXE_LOOKUP_REMOTE,
      r.last_mr);
    if (mr === null) return R.RESPST_ERR_RKEY_VIOLATION;
    r.last_mr = mr;
    opcode = res.read_resid > mtu ? O.IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE : O.IB_OPCODE_RC_RDMA_READ_RESPONSE_LAST;
  }
  res.state = rdatm_res_state.rdatm_res_state_next;
  const payload = Math.min(res.read_resid, mtu);
  const rpkt = prepare_ack_packet(qp, opcode, payload, res.cur_psn, AETH_ACK_UNLIMITED, null);
  if (payload > 0) {
    if (mr === null || rxe_mr_copy(mr, res.read_va_hi, res.read_va_lo, payload, false, rpkt.payload)) {
      return R.RESPST_ERR_RKEY_VIOLATION;
    }
  }
  send_response(qp, rpkt);
  const lo = res.read_va_lo + payload;
  res.read_va_lo = lo % TWO_32;
  res.read_va_hi = (res.read_va_hi + Math.floor(lo / TWO_32)) >>> 0;
  res.read_resid -= payload;
  res.cur_psn = (res.cur_psn + 1) & BTH_PSN_MASK;
  if (res.read_resid > 0) return R.RESPST_DONE;
  r.res = null;
  if (!res.replay) r.opcode = -1;
  if (psn_compare(res.cur_psn, r.psn) >= 0) r.psn = res.cur_psn;
  return R.RESPST_CLEANUP;
}

const origScratch = { hi: 0, lo: 0 };

/** Kernel: rxe_resp.c atomic_reply() - execute once, keep the original value for replay. */
function atomic_reply(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  const r = qp.resp;
  let res = r.res;
  if (res === null) {
    res = rxe_prepare_res(qp, pkt, RXE_ATOMIC_MASK);
    r.res = res;
  }
  if (!res.replay) {
    const mr = r.mr!;
    const ao = pkt.bth + ATMETH_OFF[pkt.opcode]!;
    const b = pkt.hdr;
    const err = rxe_mr_do_atomic_op(mr, r.va_hi, r.va_lo, pkt.opcode === O.IB_OPCODE_RC_COMPARE_SWAP,
      atmeth_comp_hi(b, ao), atmeth_comp_lo(b, ao), atmeth_swap_add_hi(b, ao), atmeth_swap_add_lo(b, ao), origScratch);
    if (err === -22) { r.res = null; res.type = 0; return R.RESPST_ERR_MISALIGNED_ATOMIC; }
    if (err) { r.res = null; res.type = 0; return R.RESPST_ERR_RKEY_VIOLATION; }
    res.atomic_orig_hi = origScratch.hi;
    res.atomic_orig_lo = origScratch.lo;
    r.msn++;
    r.psn = (pkt.psn + 1) & BTH_PSN_MASK;
    r.ack_psn = r.psn;
    r.opcode = pkt.opcode;
    r.status = ib_wc_status.IB_WC_SUCCESS;
  }
  return R.RESPST_ACKNOWLEDGE;
}

/** Kernel: rxe_resp.c do_complete() - the receive completion. */
function do_complete(qp: rxe_qp, pkt: rxe_pkt_info | null): resp_states {
  const rxe = to_rdev(qp.device);
  const r = qp.resp;
  const wqe = r.wqe;
  if (wqe !== null) {
    let opcode = ib_wc_opcode.IB_WC_RECV;
    let byte_len = 0;
    let flags = 0;
    let imm = 0;
    let inv = 0;
    let src_qp = 0;
    if (r.status === ib_wc_status.IB_WC_SUCCESS && pkt !== null) {
      rxe_counter_add(rxe, RXE_CNT.rdma_recvs, 1);
      const wimm = (pkt.mask & RXE_IMMDT_MASK) !== 0 && (pkt.mask & RXE_WRITE_MASK) !== 0;
      opcode = wimm ? ib_wc_opcode.IB_WC_RECV_RDMA_WITH_IMM : ib_wc_opcode.IB_WC_RECV;
      byte_len = wimm ? r.length : wqe.dma.length - wqe.dma.resid;
      if (pkt.mask & RXE_IMMDT_MASK) {
        flags |= ib_wc_flags.IB_WC_WITH_IMM;
        imm = immdt_imm(pkt.hdr, pkt.bth + IMMDT_OFF[pkt.opcode]!);
      }
      if (pkt.mask & RXE_IETH_MASK) {
        flags |= ib_wc_flags.IB_WC_WITH_INVALIDATE;
        inv = ieth_rkey(pkt.hdr, pkt.bth + IETH_OFF[pkt.opcode]!);
      }
      if (pkt.mask & RXE_DETH_MASK) {
        src_qp = deth_sqp(pkt.hdr, pkt.bth + DETH_OFF[pkt.opcode]!);
        flags |= ib_wc_flags.IB_WC_GRH;
      }
    }
    const wc = rxe_make_wc(wqe.wr_id, wqe.wr_cqe, r.status, opcode, byte_len, qp, flags, imm, inv, src_qp);
    if (pkt !== null && (pkt.mask & RXE_DETH_MASK) && pkt.smac !== null) wc.smac = pkt.smac.slice();
    if (qp.rsrq === null) qp.rq.queue.advance_consumer();
    r.wqe = null;
    const se = pkt !== null ? bth_se(pkt.hdr, pkt.bth) : true;
    if (qp.rcq !== null && rxe_cq_post(qp.rcq, wc, se)) return R.RESPST_ERR_CQ_OVERFLOW;
  }
  if (r.state === rxe_qp_state.QP_STATE_ERROR) return R.RESPST_CHK_RESOURCE;
  if (pkt === null) return R.RESPST_DONE;
  if (qp.qp_type === ib_qp_type.IB_QPT_RC) return R.RESPST_ACKNOWLEDGE;
  return R.RESPST_CLEANUP;
}

/** Kernel: rxe_resp.c acknowledge(). */
function acknowledge(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  if (qp.qp_type !== ib_qp_type.IB_QPT_RC) return R.RESPST_CLEANUP;
  const r = qp.resp;
  if (r.aeth_syndrome !== AETH_ACK_UNLIMITED) {
    send_ack(qp, r.aeth_syndrome, pkt.psn);
  } else if (pkt.mask & RXE_ATOMIC_MASK) {
    const res = r.res;
    send_response(qp, prepare_ack_packet(qp, O.IB_OPCODE_RC_ATOMIC_ACKNOWLEDGE, 0, pkt.psn, AETH_ACK_UNLIMITED, res));
    r.res = null;
  } else if (bth_ack(pkt.hdr, pkt.bth)) {
    send_ack(qp, AETH_ACK_UNLIMITED, pkt.psn);
  }
  return R.RESPST_CLEANUP;
}

/** Kernel: rxe_resp.c cleanup() - consume the packet. */
function cleanup(qp: rxe_qp, pkt: rxe_pkt_info | null): resp_states {
  if (pkt !== null) qp.req_pkts.shift();
  qp.resp.mr = null;
  return R.RESPST_DONE;
}

/** Kernel: rxe_resp.c find_resource(). */
function find_resource(qp: rxe_qp, psn: number): resp_res | null {
  for (const res of qp.resp.resources) {
    if (res.type === 0) continue;
    if (psn_compare(psn, res.first_psn) >= 0 && psn_compare(psn, res.last_psn) <= 0) return res;
  }
  return null;
}

/** Kernel: rxe_resp.c duplicate_request(). */
function duplicate_request(qp: rxe_qp, pkt: rxe_pkt_info): resp_states {
  const prev_psn = (qp.resp.ack_psn - 1) & BTH_PSN_MASK;
  if (pkt.mask & (RXE_SEND_MASK | RXE_WRITE_MASK)) {
    send_ack(qp, AETH_ACK_UNLIMITED, prev_psn);
    return R.RESPST_CLEANUP;
  }
  const res = find_resource(qp, pkt.psn);
  if (res === null) return R.RESPST_CLEANUP;
  if (pkt.mask & RXE_READ_MASK) {
    const ro = pkt.bth + RETH_OFF[pkt.opcode]!;
    const hi = reth_va_hi(pkt.hdr, ro);
    const lo = reth_va_lo(pkt.hdr, ro);
    const resid = reth_len(pkt.hdr, ro);
    const start = (hi - res.read_va_org_hi) * TWO_32 + (lo - res.read_va_org_lo);
    if (start < 0 || resid > res.read_length || start + resid > res.read_length) return R.RESPST_CLEANUP;
    if (reth_rkey(pkt.hdr, ro) !== res.read_rkey) return R.RESPST_CLEANUP;
    res.cur_psn = pkt.psn;
    res.state = pkt.psn === res.first_psn ? rdatm_res_state.rdatm_res_state_new : rdatm_res_state.rdatm_res_state_replay;
    res.replay = true;
    res.read_va_org_hi = hi;
    res.read_va_org_lo = lo;
    res.read_va_hi = hi;
    res.read_va_lo = lo;
    res.read_resid = resid;
    qp.resp.res = res;
    return R.RESPST_READ_REPLY;
  }
  res.replay = true;
  res.cur_psn = pkt.psn;
  qp.resp.res = res;
  return R.RESPST_ATOMIC_REPLY;
}

/** Kernel: rxe_resp.c do_class_ac_error() - NAK with syndrome, complete with status, then ERR. */
function do_class_ac_error(qp: rxe_qp, syndrome: number, status: number): void {
  qp.resp.aeth_syndrome = syndrome;
  qp.resp.status = status;
  qp.resp.goto_error = true;
}

/**
 * rxe_responder - one pass of the responder engine.
 * Kernel: drivers/infiniband/sw/rxe/rxe_resp.c rxe_responder()
 * @returns 0 to be called again, nonzero to stop the task
 */
export function rxe_responder(qp: rxe_qp): number {
  const rxe = to_rdev(qp.device);
  if (!qp.valid) return -1;
  let state = qp.resp.state === rxe_qp_state.QP_STATE_RESET ? R.RESPST_RESET : R.RESPST_GET_REQ;
  let pkt: rxe_pkt_info | null = null;
  qp.resp.aeth_syndrome = AETH_ACK_UNLIMITED;
  for (;;) {
    switch (state) {
      case R.RESPST_GET_REQ:
        state = get_req(qp);
        pkt = getReqPkt;
        getReqPkt = null;
        break;
      case R.RESPST_CHK_PSN: state = check_psn(qp, pkt!); break;
      case R.RESPST_CHK_OP_SEQ: state = check_op_seq(qp, pkt!); break;
      case R.RESPST_CHK_OP_VALID: state = check_op_valid(qp, pkt!); break;
      case R.RESPST_CHK_RESOURCE: state = check_resource(qp, pkt); break;
      case R.RESPST_CHK_LENGTH: state = check_length(qp, pkt!); break;
      case R.RESPST_CHK_RKEY: state = check_rkey(qp, pkt!); break;
      case R.RESPST_EXECUTE: state = execute(qp, pkt!); break;
      case R.RESPST_COMPLETE: state = do_complete(qp, pkt); break;
      case R.RESPST_READ_REPLY: state = read_reply(qp, pkt!); break;
      case R.RESPST_ATOMIC_REPLY: state = atomic_reply(qp, pkt!); break;
      case R.RESPST_ACKNOWLEDGE: state = acknowledge(qp, pkt!); break;
      case R.RESPST_CLEANUP: state = cleanup(qp, pkt); break;
      case R.RESPST_DUPLICATE_REQUEST: state = duplicate_request(qp, pkt!); break;
      case R.RESPST_ERR_PSN_OUT_OF_SEQ:
        send_ack(qp, AETH_NAK_PSN_SEQ_ERROR, qp.resp.psn);
        state = R.RESPST_CLEANUP;
        break;
      case R.RESPST_ERR_TOO_MANY_RDMA_ATM_REQ:
      case R.RESPST_ERR_MISSING_OPCODE_FIRST:
      case R.RESPST_ERR_MISSING_OPCODE_LAST_C:
      case R.RESPST_ERR_UNSUPPORTED_OPCODE:
      case R.RESPST_ERR_MISALIGNED_ATOMIC:
        do_class_ac_error(qp, AETH_NAK_INVALID_REQ, ib_wc_status.IB_WC_REM_INV_REQ_ERR);
        state = R.RESPST_COMPLETE;
        break;
      case R.RESPST_ERR_MISSING_OPCODE_LAST_D1E:
        state = R.RESPST_CLEANUP;
        break;
      case R.RESPST_ERR_RNR:
        if (qp.qp_type === ib_qp_type.IB_QPT_RC) {
          rxe_counter_inc(rxe, 'send_rnr_err');
          send_ack(qp, AETH_RNR_NAK | (~AETH_TYPE_MASK & qp.attr.min_rnr_timer), pkt!.psn);
        } else {
          qp.resp.drop_msg = true;
        }
        state = R.RESPST_CLEANUP;
        break;
      case R.RESPST_ERR_RKEY_VIOLATION:
        if (qp.qp_type === ib_qp_type.IB_QPT_RC) {
          do_class_ac_error(qp, AETH_NAK_REM_ACC_ERR, ib_wc_status.IB_WC_LOC_ACCESS_ERR);
          state = R.RESPST_COMPLETE;
        } else {
          qp.resp.drop_msg = true;
          state = R.RESPST_CLEANUP;
        }
        break;
      case R.RESPST_ERR_INVALIDATE_RKEY:
        // class J: the receive completes in error, the QP goes to ERR, no NAK is sent
        qp.resp.goto_error = true;
        qp.resp.status = ib_wc_status.IB_WC_REM_INV_REQ_ERR;
        qp.resp.aeth_syndrome = AETH_ACK_UNLIMITED;
        state = do_complete(qp, pkt);
        if (state === R.RESPST_ACKNOWLEDGE) state = R.RESPST_CLEANUP;
        break;
      case R.RESPST_ERR_LENGTH:
        if (qp.qp_type === ib_qp_type.IB_QPT_RC) {
          do_class_ac_error(qp, AETH_NAK_INVALID_REQ, qp.resp.err_status || ib_wc_status.IB_WC_REM_INV_REQ_ERR);
          qp.resp.err_status = 0;
          state = R.RESPST_COMPLETE;
        } else {
          qp.resp.drop_msg = true;
          state = R.RESPST_CLEANUP;
        }
        break;
      case R.RESPST_ERR_MALFORMED_WQE:
        do_class_ac_error(qp, AETH_NAK_REM_OP_ERR, qp.resp.err_status || ib_wc_status.IB_WC_LOC_QP_OP_ERR);
        qp.resp.err_status = 0;
        state = R.RESPST_COMPLETE;
        break;
      case R.RESPST_ERR_CQ_OVERFLOW:
        state = R.RESPST_ERROR;
        break;
      case R.RESPST_DONE:
        if (qp.resp.goto_error) { state = R.RESPST_ERROR; break; }
        return 0;
      case R.RESPST_EXIT:
        if (qp.resp.goto_error) { state = R.RESPST_ERROR; break; }
        return -1;
      case R.RESPST_RESET:
        qp.req_pkts.clear();
        qp.resp.wqe = null;
        return -1;
      case R.RESPST_ERROR:
        qp.resp.goto_error = false;
        rxe_qp_error(qp);
        return -1;
      default:
        return -1;
    }
  }
}

void RXE_START_MASK;
