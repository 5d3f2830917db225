/**
 * rxe_recv - the receive path: ICRC, header checks, dispatch to responder or completer.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_recv.c (rxe_rcv, hdr_check, check_type_state,
 *         check_keys, rxe_rcv_pkt), rxe_icrc.c rxe_icrc_check
 *
 * Operation: a frame from the netdev (already checked for Ethernet/IPv4/UDP 4791 by the
 * fabric's netif_receive_skb) is parsed in place: BTH at offset 42, opcode looked up in the
 * opcode table (unknown → drop), lengths checked, the ICRC verified when the device's icrc
 * switch is on (a mismatch is counted in `icrc_err` and the packet dropped silently; a frame an
 * rxe device CRC'd at transmit and still the very object it sent - `rxe_icrc_sent` - carries the
 * value it computed, so the recomputation is skipped), then
 * hdr_check: transport version 0, P_Key 0xffff, destination QP exists, its type matches the
 * opcode's transport (RC opcodes to RC QPs, UD to UD/GSI), and its state accepts the packet
 * (requests need the responder READY: RTR/RTS/SQD; responses need the requester READY or
 * draining), and for UD the Q_Key. Requests go to the QP's responder (req_pkts), responses and
 * ACKs to its completer (resp_pkts). Payload views point into the frame (zero copy).
 */
import { ETH_HLEN } from '../../fabric/ether.js';
import { frameByte, frameBytes, frameSubarrays, type Frame } from '../../fabric/frame.js';
import { ip_saddr } from '../../fabric/ip.js';
import { ib_qp_type } from '../../core/ib_verbs.h.js';
import {
  BTH_TVER, GSI_QKEY, IB_DEFAULT_PKEY_FULL, bth_pad, bth_pkey, bth_psn, bth_qpn, bth_tver, deth_qkey,
} from './rxe_hdr.js';
import { rxe_icrc_compute, rxe_icrc_load, rxe_icrc_sent } from './rxe_icrc.js';
import { DETH_OFF, RXE_BTH_BYTES, RXE_DETH_MASK, RXE_ICRC_SIZE, RXE_REQ_MASK, ib_opcode, rxe_opcode_length,
  rxe_opcode_mask } from './rxe_opcode.js';
import { rxe_pkt_info, rxe_qp_state, type rxe_dev, type rxe_qp } from './rxe_verbs.h.js';
import { RXE_CNT, rxe_counter_add } from './rxe_hw_counters.js';
import { rxe_run_task, rxe_sched_task } from './rxe_task.js';

const BTH = 42;
const icrcScratch: Uint8Array[] = [];

/**
 * check_type_state - does the QP's type and state accept this packet?
 * Kernel: drivers/infiniband/sw/rxe/rxe_recv.c check_type_state()
 */
function check_type_state(qp: rxe_qp, pkt: rxe_pkt_info): boolean {
  const rc = pkt.opcode < 0x20;
  if (rc) {
    if (qp.qp_type !== ib_qp_type.IB_QPT_RC) return false;
  } else if (pkt.opcode >= 0x60 && pkt.opcode < 0x80) {
    if (qp.qp_type !== ib_qp_type.IB_QPT_UD && qp.qp_type !== ib_qp_type.IB_QPT_GSI) return false;
  } else {
    return false;
  }
  if (pkt.mask & RXE_REQ_MASK) return qp.resp.state === rxe_qp_state.QP_STATE_READY;
  return qp.req.state >= rxe_qp_state.QP_STATE_READY && qp.req.state <= rxe_qp_state.QP_STATE_DRAINED;
}

/**
 * hdr_check - BTH checks and destination QP lookup.
 * Kernel: drivers/infiniband/sw/rxe/rxe_recv.c hdr_check() / check_keys()
 * @returns the QP, or null to drop
 */
function hdr_check(rxe: rxe_dev, pkt: rxe_pkt_info): rxe_qp | null {
  const b = pkt.hdr;
  const o = pkt.bth;
  if (bth_tver(b, o) !== BTH_TVER) return null;
  if (bth_pkey(b, o) !== IB_DEFAULT_PKEY_FULL) return null;
  const qpn = bth_qpn(b, o);
  const qp = qpn === 1 ? rxe.gsi : rxe.qp_pool.get(qpn);
  if (!qp || !qp.valid) return null;
  if (!check_type_state(qp, pkt)) return null;
  if (pkt.mask & RXE_DETH_MASK) {
    const qkey = qpn === 1 ? GSI_QKEY : qp.attr.qkey;
    if (deth_qkey(b, o + DETH_OFF[pkt.opcode]!) !== qkey) return null;
  }
  return qp;
}

/**
 * rxe_rcv - receive one RoCEv2 frame.
 * Kernel: drivers/infiniband/sw/rxe/rxe_recv.c rxe_rcv()
 */
export function rxe_rcv(rxe: rxe_dev, frame: Frame): void {
  if (frame.len < BTH + RXE_BTH_BYTES + RXE_ICRC_SIZE) return;
  let hdr = frame.hdr;
  if (hdr.length < BTH + 1) { hdr = frameBytes(frame); frame = { hdr, payload: [], len: hdr.length }; }
  const opcode = hdr[BTH]!;
  const mask = rxe_opcode_mask[opcode]!;
  if (mask === 0) return;
  const hlen = rxe_opcode_length[opcode]!;
  if (hdr.length < BTH + hlen) { hdr = frameBytes(frame); frame = { hdr, payload: [], len: hdr.length }; }
  const pkt = new rxe_pkt_info(hdr, BTH);
  pkt.opcode = opcode;
  pkt.mask = mask;
  pkt.paylen = frame.len - BTH;
  pkt.pad = bth_pad(hdr, BTH);
  pkt.payload_len = pkt.paylen - hlen - pkt.pad - RXE_ICRC_SIZE;
  if (pkt.payload_len < 0) return;
  if (rxe.icrc && !rxe_icrc_sent.has(frame)) {
    const end = frame.len - RXE_ICRC_SIZE;
    frameSubarrays(frame, BTH + hlen, end, icrcScratch);
    const crc = rxe_icrc_compute(hdr, ETH_HLEN, hlen, icrcScratch);
    icrcScratch.length = 0;
    const icrc = rxe_icrc_load(frameByte(frame, end), frameByte(frame, end + 1), frameByte(frame, end + 2),
      frameByte(frame, end + 3));
    if (crc !== icrc) {
      rxe.icrc_err++;
      return;
    }
  }
  pkt.psn = bth_psn(hdr, BTH);
  const qp = hdr_check(rxe, pkt);
  if (qp === null) return;
  pkt.qp = qp;
  if (pkt.payload_len > 0) frameSubarrays(frame, BTH + hlen, BTH + hlen + pkt.payload_len, pkt.payload);
  if (mask & RXE_DETH_MASK) {
    pkt.saddr = ip_saddr(hdr, ETH_HLEN);
    pkt.smac = hdr.subarray(6, 12);
  }
  rxe_counter_add(rxe, RXE_CNT.rcvd_pkts, 1);
  rxe_counter_add(rxe, RXE_CNT.rcvd_bytes, frame.len);
  if (mask & RXE_REQ_MASK) rxe_resp_queue_pkt(qp, pkt);
  else rxe_comp_queue_pkt(qp, pkt);
}

/** Queue a request for the responder. Kernel: drivers/infiniband/sw/rxe/rxe_resp.c rxe_resp_queue_pkt(). */
export function rxe_resp_queue_pkt(qp: rxe_qp, pkt: rxe_pkt_info): void {
  qp.req_pkts.push(pkt);
  const must_sched = pkt.opcode === ib_opcode.IB_OPCODE_RC_RDMA_READ_REQUEST || qp.req_pkts.length > 1;
  if (must_sched) rxe_sched_task(qp.resp_task);
  else rxe_run_task(qp.resp_task);
}

/** Queue a response for the completer. Kernel: drivers/infiniband/sw/rxe/rxe_comp.c rxe_comp_queue_pkt(). */
export function rxe_comp_queue_pkt(qp: rxe_qp, pkt: rxe_pkt_info): void {
  qp.resp_pkts.push(pkt);
  if (qp.resp_pkts.length > 1) rxe_sched_task(qp.comp_task);
  else rxe_run_task(qp.comp_task);
}
