/**
 * rxe_qp - queue pair creation, attribute changes, state effects, teardown, WQE building.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_qp.c (rxe_qp_chk_init, rxe_qp_from_init,
 *         rxe_qp_chk_attr, rxe_qp_from_attr, rxe_qp_to_attr, rxe_qp_error, rxe_qp_reset,
 *         rxe_qp_destroy, retransmit_timer, rnr_nak_timer), rxe_verbs.c (init_send_wqe,
 *         init_recv_wqe, validate_send_wr)
 *
 * Operation: a QP owns an SQ and an RQ ring (or uses an SRQ), three engine tasks (requester,
 * completer, responder), a retransmit timer and an RNR timer on the SimClock. modify_qp applies
 * attributes as rxe_qp_from_attr does (PSNs, MTU, timeout → ns, retry counters, rd_atomic
 * credits, responder resources, AV resolved to Ethernet/IPv4/UDP header fields via
 * `neigh_lookup`); the state change drives the engines' internal states:
 *
 *   RESET ─► INIT (req/resp INIT) ─► RTR (resp READY) ─► RTS (req READY) ─► SQD (req DRAIN)
 *     ▲                                                          │
 *     └──── any ─► ERR (flush: completer and responder complete everything with WR_FLUSH_ERR)
 *     └──── any ─► RESET (queues emptied without completions, engines reset)
 *
 * QPNs come from the device's index pool (16 … 0x20000, cyclic, never a live one); the GSI
 * QP is QPN 1.
 */
import { KernelError } from '@rdmaemu/sim-core';
import { ipv6_addr_v4mapped, ib_mtu_enum_to_int, ib_qp_attr_mask, ib_qp_state, ib_qp_type, ib_send_flags,
  ib_wr_opcode, type ib_qp_attr, type ib_qp_init_attr, type ib_recv_wr, type ib_send_wr, type rdma_ah_attr,
  type ib_rdma_wr, type ib_atomic_wr, type ib_reg_wr, type ib_ud_wr, ib_mtu } from '../../core/ib_verbs.h.js';
import type { ib_pd } from '../../core/device.js';
import { ib_modify_qp_is_ok } from '../../core/qp_state_table.js';
import { neigh_lookup } from '../../fabric/neighbour.js';
import { ip_saddr } from '../../fabric/ip.js';
import { GSI_QKEY } from './rxe_hdr.js';
import { RXE_ROCE_V2_SPORT, roundup_pow_of_two } from './rxe_param.h.js';
import { rxe_queue, rxe_queue_capacity } from './rxe_queue.js';
import { rxe_sched_task, rxe_task } from './rxe_task.js';
import {
  resp_res, rxe_qp, rxe_qp_state, rxe_recv_wqe, rxe_send_wqe, rxe_sge, wqe_state, type rxe_av, type rxe_dev,
  type rxe_dma_info, type rxe_srq, to_rdev, rxe_ah, type rxe_mr,
} from './rxe_verbs.h.js';
import { WR_ATOMIC_MASK, WR_INLINE_MASK, WR_READ_OR_WRITE_MASK, rxe_wr_opcode_info } from './rxe_opcode.js';
import { dmaDeviceCopyOut, isDmaFault } from '@rdmaemu/dma-core';

const TWO_32 = 0x1_0000_0000;
void ip_saddr;

/** Split a u64 API value into hi/lo u32 halves. Emulator-only (once per WR). */
export function split64(v: number | bigint | undefined, out: { hi: number; lo: number }): void {
  if (v === undefined) { out.hi = 0; out.lo = 0; return; }
  if (typeof v === 'bigint') {
    const u = BigInt.asUintN(64, v);
    out.hi = Number(u >> 32n);
    out.lo = Number(u & 0xffffffffn);
  } else {
    out.hi = Math.floor(v / TWO_32) >>> 0;
    out.lo = v >>> 0;
  }
}
const tmp64 = { hi: 0, lo: 0 };

/** num_sge of a WR (default: sg_list length). */
export function recv_wr_num_sge(wr: ib_recv_wr | ib_send_wr): number {
  return wr.num_sge ?? wr.sg_list?.length ?? 0;
}

/** Copy a WR's SGEs into a dma_info (SGEs are copied at post time: rdma-unit-test SgePointerChase). */
function copy_sges(dma: rxe_dma_info, wr: ib_recv_wr | ib_send_wr, num_sge: number): number {
  let length = 0;
  const list = wr.sg_list ?? [];
  for (let i = 0; i < num_sge; i++) {
    const s = list[i]!;
    let d = dma.sge[i];
    if (d === undefined) { d = new rxe_sge(); dma.sge[i] = d; }
    split64(s.addr, tmp64);
    d.addr_hi = tmp64.hi;
    d.addr_lo = tmp64.lo;
    d.length = s.length >>> 0;
    d.lkey = s.lkey >>> 0;
    length += d.length;
  }
  dma.num_sge = num_sge;
  dma.length = length;
  dma.resid = length;
  dma.cur_sge = 0;
  dma.sge_offset = 0;
  dma.inline_data = null;
  return length;
}

/** Fill a receive WQE. Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c post_one_recv(). */
export function init_recv_wqe(wqe: rxe_recv_wqe, wr: ib_recv_wr, num_sge: number): void {
  wqe.wr_id = wr.wr_id ?? 0;
  wqe.wr_cqe = wr.wr_cqe ?? null;
  copy_sges(wqe.dma, wr, num_sge);
}

/**
 * validate_send_wr - rxe's post-time checks; returns the WR_*_MASK and total length.
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c validate_send_wr()
 * @throws KernelError EINVAL: opcode invalid for the QP type, too many SGEs, length > 2^31,
 *         atomic not 8 bytes / not 8-aligned (rxe profile), INLINE on a non-inline opcode or
 *         longer than max_inline
 */
export function validate_send_wr(qp: rxe_qp, wr: ib_send_wr, num_sge: number): number {
  const info = rxe_wr_opcode_info[wr.opcode];
  const ud = qp.qp_type === ib_qp_type.IB_QPT_UD || qp.qp_type === ib_qp_type.IB_QPT_GSI;
  const mask = info === undefined ? 0 : ud ? info.mask.ud : info.mask.rc;
  const fail = (why: string): never => {
    throw new KernelError('EINVAL', `qp ${qp.qp_num}: ${why}`, { bad_wr: wr });
  };
  if (!mask) fail(`bad wr opcode ${wr.opcode} for qp type ${qp.qp_type}`);
  if (num_sge > qp.sq.max_sge) fail(`num_sge(${num_sge}) > max_sge(${qp.sq.max_sge})`);
  let length = 0;
  const list = wr.sg_list ?? [];
  for (let i = 0; i < num_sge; i++) length += list[i]!.length >>> 0;
  if (length > 2 ** 31) fail(`length(${length}) > 2^31`);
  if ((mask & WR_ATOMIC_MASK) && qp.device && to_rdev(qp.device).profile.atomic_post_check) {
    if (length !== 8) fail(`atomic length(${length}) != 8`);
    split64((wr as ib_atomic_wr).remote_addr, tmp64);
    if (tmp64.lo & 7) fail('atomic remote_addr not 8-byte aligned');
  }
  if ((wr.send_flags ?? 0) & ib_send_flags.IB_SEND_INLINE) {
    if (!(mask & WR_INLINE_MASK)) fail('inline data for a non-inline opcode');
    if (length > qp.sq.max_inline) fail(`inline length(${length}) > max_inline(${qp.sq.max_inline})`);
  }
  return mask;
}

/**
 * init_send_wqe - fill an SQ slot from a WR: opcode fields, SGE copy, inline data.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.c init_send_wr() / init_send_wqe()
 * Divergence: rxe copies inline data with the CPU from kernel virtual addresses; here an inline
 * SGE's addr is a DMA address of a mapped buffer (ib_uses_virt_dma() is false) and the bytes are
 * read through the device side at post time. A refused read leaves the WQE in the error state,
 * completing with IB_WC_LOC_PROT_ERR.
 */
export function init_send_wqe(qp: rxe_qp, wqe: rxe_send_wqe, wr: ib_send_wr, mask: number, num_sge: number): void {
  wqe.wr_id = wr.wr_id ?? 0;
  wqe.wr_cqe = wr.wr_cqe ?? null;
  wqe.opcode = wr.opcode;
  wqe.send_flags = wr.send_flags ?? 0;
  wqe.imm_data = (wr.ex?.imm_data ?? 0) >>> 0;
  wqe.invalidate_rkey = (wr.ex?.invalidate_rkey ?? 0) >>> 0;
  wqe.mask = mask;
  wqe.status = 0;
  wqe.state = wqe_state.wqe_state_posted;
  wqe.has_rd_atomic = false;
  wqe.first_psn = 0;
  wqe.last_psn = 0;
  wqe.ah = null;
  wqe.reg_mr = null;
  wqe.iova_hi = 0;
  wqe.iova_lo = 0;
  if (mask & (WR_READ_OR_WRITE_MASK | WR_ATOMIC_MASK)) {
    const r = wr as ib_rdma_wr;
    split64(r.remote_addr, tmp64);
    wqe.remote_addr_hi = tmp64.hi;
    wqe.remote_addr_lo = tmp64.lo;
    wqe.iova_hi = tmp64.hi;
    wqe.iova_lo = tmp64.lo;
    wqe.rkey = r.rkey >>> 0;
  }
  if (mask & WR_ATOMIC_MASK) {
    const a = wr as ib_atomic_wr;
    split64(a.compare_add, tmp64);
    wqe.compare_add_hi = tmp64.hi;
    wqe.compare_add_lo = tmp64.lo;
    split64(a.swap, tmp64);
    wqe.swap_hi = tmp64.hi;
    wqe.swap_lo = tmp64.lo;
  }
  if (qp.qp_type === ib_qp_type.IB_QPT_UD || qp.qp_type === ib_qp_type.IB_QPT_GSI) {
    const u = wr as ib_ud_wr;
    wqe.remote_qpn = u.remote_qpn >>> 0;
    wqe.remote_qkey = u.remote_qkey >>> 0;
    wqe.ah = u.ah ?? null;
  }
  if (wr.opcode === ib_wr_opcode.IB_WR_REG_MR) {
    const g = wr as ib_reg_wr;
    wqe.reg_mr = g.mr as rxe_mr;
    wqe.reg_key = g.key >>> 0;
    wqe.reg_access = g.access;
  }
  const length = copy_sges(wqe.dma, wr, num_sge);
  if ((wqe.send_flags & ib_send_flags.IB_SEND_INLINE) && length > 0) {
    const buf = new Uint8Array(length);
    let off = 0;
    const dev = to_rdev(qp.device).dma_device;
    for (let i = 0; i < num_sge; i++) {
      const s = wqe.dma.sge[i]!;
      if (s.length === 0) continue;
      const r = dmaDeviceCopyOut(dev, s.addr_hi * TWO_32 + s.addr_lo, buf.subarray(off, off + s.length));
      if (isDmaFault(r)) {
        wqe.state = wqe_state.wqe_state_error;
        wqe.status = 4; // IB_WC_LOC_PROT_ERR
        break;
      }
      off += s.length;
    }
    wqe.dma.inline_data = buf;
    wqe.dma.num_sge = 0;
  }
  wqe.ssn = ++qp.ssn;
}

/**
 * rxe_qp_chk_init - validate create_qp attributes against the device limits.
 * Kernel: drivers/infiniband/sw/rxe/rxe_qp.c rxe_qp_chk_init() / rxe_qp_chk_cap()
 * @throws KernelError EINVAL for an unsupported type, a missing CQ, caps above the limits, or a second GSI QP
 */
export function rxe_qp_chk_init(rxe: rxe_dev, init: ib_qp_init_attr): void {
  const p = rxe.profile;
  const t = init.qp_type;
  if (t !== ib_qp_type.IB_QPT_RC && t !== ib_qp_type.IB_QPT_UD && t !== ib_qp_type.IB_QPT_GSI) {
    throw new KernelError('EOPNOTSUPP', `${rxe.name}: qp type ${t} not supported`);
  }
  if (!init.send_cq || !init.recv_cq) throw new KernelError('EINVAL', `${rxe.name}: missing cq`);
  if (t === ib_qp_type.IB_QPT_GSI && rxe.gsi !== null) throw new KernelError('EINVAL', `${rxe.name}: GSI QP exists`);
  const c = init.cap;
  if (c.max_send_wr > p.max_qp_wr) throw new KernelError('EINVAL', `${rxe.name}: max_send_wr(${c.max_send_wr}) > max_qp_wr(${p.max_qp_wr})`);
  if (c.max_send_sge > p.max_send_sge) throw new KernelError('EINVAL', `${rxe.name}: max_send_sge(${c.max_send_sge}) > ${p.max_send_sge}`);
  if (c.max_inline_data > p.max_inline_data) throw new KernelError('EINVAL', `${rxe.name}: max_inline_data(${c.max_inline_data}) > ${p.max_inline_data}`);
  if (!init.srq) {
    if (c.max_recv_wr > p.max_qp_wr) throw new KernelError('EINVAL', `${rxe.name}: max_recv_wr(${c.max_recv_wr}) > ${p.max_qp_wr}`);
    if (c.max_recv_sge > p.max_recv_sge) throw new KernelError('EINVAL', `${rxe.name}: max_recv_sge(${c.max_recv_sge}) > ${p.max_recv_sge}`);
  }
}

function retransmit_timer(qp: rxe_qp): void {
  if (qp.valid) {
    qp.comp.timeout = true;
    rxe_sched_task(qp.comp_task);
  }
}

function rnr_nak_timer(qp: rxe_qp): void {
  qp.req.need_retry = true;
  qp.req.wait_for_rnr_timer = false;
  rxe_sched_task(qp.req_task);
}

/**
 * rxe_qp_from_init - build an rxe_qp: queues (capacities written back into init.cap), QPN, tasks, timers.
 * Kernel: drivers/infiniband/sw/rxe/rxe_qp.c rxe_qp_from_init() / rxe_qp_init_req() / rxe_qp_init_resp()
 * @throws KernelError ENOMEM when the QP pool is full
 */
export function rxe_qp_from_init(rxe: rxe_dev, pd: ib_pd, init: ib_qp_init_attr,
  engines: { requester: (qp: rxe_qp) => number; completer: (qp: rxe_qp) => number; responder: (qp: rxe_qp) => number }): rxe_qp {
  const p = rxe.profile;
  const c = init.cap;
  let max_sge = Math.max(c.max_send_sge, 0);
  let max_inline = c.max_inline_data;
  if (p.name === 'rxe') {
    // rxe: the WQE holds max(max_sge × sizeof(ib_sge), max_inline) bytes; both report that.
    const wqe_size = Math.max(c.max_send_sge * 16, c.max_inline_data);
    max_sge = Math.min(Math.floor(wqe_size / 16), p.max_send_sge);
    max_inline = Math.min(wqe_size, p.max_inline_data);
  }
  const sq_cap = rxe_queue_capacity(Math.max(c.max_send_wr, 1), p.round_queues);
  const sq = { max_wr: sq_cap, max_sge, max_inline, queue: new rxe_queue<rxe_send_wqe>(sq_cap) };
  let rq_cap = 0;
  if (!init.srq) rq_cap = rxe_queue_capacity(Math.max(c.max_recv_wr, 1), p.round_queues);
  const rq = { max_wr: rq_cap, max_sge: init.srq ? 0 : c.max_recv_sge, queue: new rxe_queue<rxe_recv_wqe>(rq_cap) };
  const qp = new rxe_qp(pd, init, sq, rq);
  if (init.qp_type === ib_qp_type.IB_QPT_GSI) {
    rxe.qp_pool.insert(1, qp);
    qp.qp_num = 1;
    rxe.gsi = qp;
    qp.attr.qkey = GSI_QKEY;
  } else {
    qp.qp_num = rxe.qp_pool.alloc(qp);
  }
  c.max_send_wr = sq_cap;
  c.max_send_sge = max_sge;
  c.max_inline_data = max_inline;
  if (!init.srq) c.max_recv_wr = rq_cap;
  // Kernel: rxe_qp.c: src_port = RXE_ROCE_V2_SPORT + (hash_32(qpn, 14) & 0x3fff)
  const hash = Math.imul(qp.qp_num, 0x61c88647) >>> 18;
  qp.src_port = RXE_ROCE_V2_SPORT + (hash & 0x3fff);
  qp.max_write_sge = max_sge;
  qp.max_read_sge = Math.min(max_sge, p.max_sge_rd);
  const clock = rxe.clock;
  qp.req_task = new rxe_task(clock, qp, engines.requester, `rxe_requester qp#${qp.qp_num}`);
  qp.comp_task = new rxe_task(clock, qp, engines.completer, `rxe_completer qp#${qp.qp_num}`);
  qp.resp_task = new rxe_task(clock, qp, engines.responder, `rxe_responder qp#${qp.qp_num}`);
  qp.retrans_timer = clock.createEvent(() => retransmit_timer(qp), `rxe retrans_timer qp#${qp.qp_num}`);
  qp.rnr_nak_timer = clock.createEvent(() => rnr_nak_timer(qp), `rxe rnr_nak_timer qp#${qp.qp_num}`);
  qp.attr.qp_state = ib_qp_state.IB_QPS_RESET;
  qp.attr.path_mtu = ib_mtu.IB_MTU_4096;
  qp.mtu = 4096;
  if (init.qp_type !== ib_qp_type.IB_QPT_RC) qp.mtu = mtu_of_netdev(rxe);
  return qp;
}

/** IB MTU that fits the netdev (Ethernet MTU − RoCE headers). Kernel: rxe_param.h eth_mtu_int_to_enum(). */
export function mtu_of_netdev(rxe: rxe_dev): number {
  // RXE_MAX_HDR_LENGTH (80) = IPv6 40 + UDP 8 + BTH/ext 28 + ICRC 4, rounded by rxe.
  const m = rxe.ndev.mtu - 80;
  for (const v of [4096, 2048, 1024, 512, 256]) if (m >= v) return v;
  return 256;
}

/**
 * rxe_init_av - resolve an AH attribute to the Ethernet/IPv4/UDP fields the QP sends with.
 * Kernel: drivers/infiniband/sw/rxe/rxe_av.c rxe_init_av() / rxe_av_chk_attr(); the MAC from
 *         roce.dmac, else the fabric's neighbour table (neigh_lookup)
 * @throws KernelError EINVAL if the destination GID is not IPv4-mapped or no MAC is known
 */
export function rxe_init_av(rxe: rxe_dev, attr: rdma_ah_attr, sport: number): rxe_av {
  const gid = attr.grh?.dgid;
  if (!gid || !ipv6_addr_v4mapped(gid)) throw new KernelError('EINVAL', `${rxe.name}: AV dgid is not an IPv4-mapped GID`);
  const r = gid.raw;
  const daddr = ((r[12]! << 24) | (r[13]! << 16) | (r[14]! << 8) | r[15]!) >>> 0;
  let dmac = attr.roce?.dmac ?? null;
  if (dmac === null || dmac.every((b) => b === 0)) {
    dmac = daddr === rxe.ndev.ifa_address ? rxe.ndev.dev_addr : neigh_lookup(rxe.ndev, daddr);
  }
  if (dmac === null) throw new KernelError('EINVAL', `${rxe.name}: no neighbour for ${daddr >>> 24}.${(daddr >>> 16) & 255}.${(daddr >>> 8) & 255}.${daddr & 255}`);
  return {
    attr,
    tunnel: {
      h_dest: dmac, h_source: rxe.ndev.dev_addr, saddr: rxe.ndev.ifa_address, daddr, sport,
      tos: attr.grh?.traffic_class ?? 0, ttl: attr.grh?.hop_limit || 64,
    },
  };
}

/** Resolve a UD WQE's AH (cached on the rxe_ah). */
export function rxe_ah_av(rxe: rxe_dev, ah: rxe_ah, sport: number): rxe_av {
  if (ah.av === null || ah.av.tunnel.sport !== sport) ah.av = rxe_init_av(rxe, ah.attr, sport);
  return ah.av;
}

/**
 * rxe_qp_chk_attr - validate modify_qp attributes: first the transition and attribute mask
 * (ib_modify_qp_is_ok, as rxe does: the core's ib_modify_qp does not check it), then the values.
 * Kernel: drivers/infiniband/sw/rxe/rxe_qp.c rxe_qp_chk_attr()
 * @throws KernelError EINVAL for an illegal transition or a missing/extra attribute mask bit
 *         (rdma-unit-test QpTest.ModifyInvalid*, ModifyBad*), path_mtu above the port MTU, max_rd_atomic / max_dest_rd_atomic
 *         above the device limits, timeout > 31, an unresolvable AV
 */
export function rxe_qp_chk_attr(rxe: rxe_dev, qp: rxe_qp, attr: ib_qp_attr, mask: number): void {
  const p = rxe.profile;
  const cur_state = (mask & ib_qp_attr_mask.IB_QP_CUR_STATE) ? attr.cur_qp_state! : qp.attr.qp_state;
  const new_state = (mask & ib_qp_attr_mask.IB_QP_STATE) ? attr.qp_state! : cur_state;
  if (!ib_modify_qp_is_ok(cur_state, new_state, qp.qp_type, mask)) {
    throw new KernelError('EINVAL', `qp ${qp.qp_num}: invalid mask 0x${mask.toString(16)} or state ${cur_state} -> ${new_state}`);
  }
  if ((mask & ib_qp_attr_mask.IB_QP_PATH_MTU) && attr.path_mtu !== undefined) {
    const m = ib_mtu_enum_to_int(attr.path_mtu);
    if (!(m > 0) || m > mtu_of_netdev(rxe)) throw new KernelError('EINVAL', `qp ${qp.qp_num}: path_mtu ${m} > port mtu ${mtu_of_netdev(rxe)}`);
  }
  if ((mask & ib_qp_attr_mask.IB_QP_MAX_QP_RD_ATOMIC) && (attr.max_rd_atomic ?? 0) > p.max_qp_init_rd_atom) {
    throw new KernelError('EINVAL', `qp ${qp.qp_num}: max_rd_atomic(${attr.max_rd_atomic}) > ${p.max_qp_init_rd_atom}`);
  }
  if ((mask & ib_qp_attr_mask.IB_QP_MAX_DEST_RD_ATOMIC) && (attr.max_dest_rd_atomic ?? 0) > p.max_qp_rd_atom) {
    throw new KernelError('EINVAL', `qp ${qp.qp_num}: max_dest_rd_atomic(${attr.max_dest_rd_atomic}) > ${p.max_qp_rd_atom}`);
  }
  if ((mask & ib_qp_attr_mask.IB_QP_TIMEOUT) && (attr.timeout ?? 0) > 31) {
    throw new KernelError('EINVAL', `qp ${qp.qp_num}: timeout(${attr.timeout}) > 31`);
  }
  if ((mask & ib_qp_attr_mask.IB_QP_PORT) && attr.port_num !== undefined && attr.port_num !== 1) {
    throw new KernelError('EINVAL', `qp ${qp.qp_num}: invalid port ${attr.port_num}`);
  }
  if ((mask & ib_qp_attr_mask.IB_QP_AV) && attr.ah_attr) rxe_init_av(rxe, attr.ah_attr, qp.src_port);
}

/** Empty every queue and reset the engines. Kernel: drivers/infiniband/sw/rxe/rxe_qp.c rxe_qp_reset(). */
export function rxe_qp_reset(qp: rxe_qp): void {
  qp.retrans_timer.cancel();
  qp.rnr_nak_timer.cancel();
  qp.req_pkts.clear();
  qp.resp_pkts.clear();
  qp.sq.queue.reset();
  if (!qp.rsrq) qp.rq.queue.reset();
  qp.req.state = rxe_qp_state.QP_STATE_RESET;
  qp.resp.state = rxe_qp_state.QP_STATE_RESET;
  qp.req.opcode = -1;
  qp.req.wqe_index = 0;
  qp.req.need_retry = false;
  qp.req.wait_for_rnr_timer = false;
  qp.req.need_rd_atomic = false;
  qp.req.wait_psn = false;
  qp.req.wait_fence = false;
  qp.req.noack_pkts = 0;
  qp.comp.opcode = -1;
  qp.comp.timeout = false;
  qp.comp.timeout_retry = false;
  qp.comp.started_retry = false;
  qp.resp.opcode = -1;
  qp.resp.msn = 0;
  qp.resp.drop_msg = false;
  qp.resp.goto_error = false;
  qp.resp.sent_psn_nak = false;
  qp.resp.aeth_syndrome = 0x1f;
  qp.resp.wqe = null;
  qp.resp.mr = null;
  qp.resp.res = null;
  for (const r of qp.resp.resources) r.type = 0;
  qp.resp.res_head = 0;
  qp.resp.res_tail = 0;
  qp.ssn = 0;
}

/**
 * rxe_qp_error - move the QP to ERR and let the engines flush.
 * Kernel: drivers/infiniband/sw/rxe/rxe_qp.c rxe_qp_error()
 */
export function rxe_qp_error(qp: rxe_qp): void {
  qp.attr.qp_state = ib_qp_state.IB_QPS_ERR;
  qp.req.state = rxe_qp_state.QP_STATE_ERROR;
  qp.resp.state = rxe_qp_state.QP_STATE_ERROR;
  qp.retrans_timer.cancel();
  qp.rnr_nak_timer.cancel();
  rxe_sched_task(qp.resp_task);
  rxe_sched_task(qp.comp_task);
  rxe_sched_task(qp.req_task);
}

/**
 * rxe_qp_from_attr - apply modify_qp attributes and the state change.
 * Kernel: drivers/infiniband/sw/rxe/rxe_qp.c rxe_qp_from_attr()
 */
export function rxe_qp_from_attr(rxe: rxe_dev, qp: rxe_qp, attr: ib_qp_attr, mask: number): void {
  const M = ib_qp_attr_mask;
  const a = qp.attr;
  if (mask & M.IB_QP_MAX_QP_RD_ATOMIC) {
    const v = attr.max_rd_atomic ? roundup_pow_of_two(attr.max_rd_atomic) : 0;
    a.max_rd_atomic = v;
    qp.req.rd_atomic = v;
  }
  if (mask & M.IB_QP_MAX_DEST_RD_ATOMIC) {
    const v = attr.max_dest_rd_atomic ? roundup_pow_of_two(attr.max_dest_rd_atomic) : 0;
    a.max_dest_rd_atomic = v;
    qp.resp.resources = Array.from({ length: v }, () => new resp_res());
    qp.resp.res_head = 0;
    qp.resp.res_tail = 0;
    qp.resp.res = null;
  }
  if (mask & M.IB_QP_ACCESS_FLAGS) a.qp_access_flags = attr.qp_access_flags ?? 0;
  if (mask & M.IB_QP_PKEY_INDEX) a.pkey_index = attr.pkey_index ?? 0;
  if (mask & M.IB_QP_PORT) a.port_num = attr.port_num ?? 1;
  if (mask & M.IB_QP_QKEY) a.qkey = (attr.qkey ?? 0) >>> 0;
  if ((mask & M.IB_QP_AV) && attr.ah_attr) {
    a.ah_attr = attr.ah_attr;
    qp.av = rxe_init_av(rxe, attr.ah_attr, qp.src_port);
  }
  if (mask & M.IB_QP_PATH_MTU) {
    a.path_mtu = attr.path_mtu ?? ib_mtu.IB_MTU_4096;
    qp.mtu = ib_mtu_enum_to_int(a.path_mtu);
  }
  if (mask & M.IB_QP_TIMEOUT) {
    a.timeout = attr.timeout ?? 0;
    qp.qp_timeout_ns = a.timeout === 0 ? 0 : 4096 * 2 ** a.timeout;
  }
  if (mask & M.IB_QP_RETRY_CNT) {
    a.retry_cnt = attr.retry_cnt ?? 0;
    qp.comp.retry_cnt = a.retry_cnt;
  }
  if (mask & M.IB_QP_RNR_RETRY) {
    a.rnr_retry = attr.rnr_retry ?? 0;
    qp.comp.rnr_retry = a.rnr_retry;
  }
  if (mask & M.IB_QP_RQ_PSN) {
    a.rq_psn = (attr.rq_psn ?? 0) & 0xffffff;
    qp.resp.psn = a.rq_psn;
  }
  if (mask & M.IB_QP_MIN_RNR_TIMER) a.min_rnr_timer = attr.min_rnr_timer ?? 0;
  if (mask & M.IB_QP_SQ_PSN) {
    a.sq_psn = (attr.sq_psn ?? 0) & 0xffffff;
    qp.req.psn = a.sq_psn;
    qp.comp.psn = a.sq_psn;
  }
  if (mask & M.IB_QP_PATH_MIG_STATE) a.path_mig_state = attr.path_mig_state ?? 0;
  if (mask & M.IB_QP_DEST_QPN) a.dest_qp_num = (attr.dest_qp_num ?? 0) & 0xffffff;
  if (mask & M.IB_QP_EN_SQD_ASYNC_NOTIFY) a.en_sqd_async_notify = attr.en_sqd_async_notify ?? 0;
  if (mask & M.IB_QP_STATE) {
    const s = attr.qp_state!;
    a.cur_qp_state = a.qp_state;
    switch (s) {
      case ib_qp_state.IB_QPS_RESET:
        rxe_qp_reset(qp);
        break;
      case ib_qp_state.IB_QPS_INIT:
        qp.req.state = rxe_qp_state.QP_STATE_INIT;
        qp.resp.state = rxe_qp_state.QP_STATE_INIT;
        break;
      case ib_qp_state.IB_QPS_RTR:
        qp.resp.state = rxe_qp_state.QP_STATE_READY;
        break;
      case ib_qp_state.IB_QPS_RTS:
        qp.req.state = rxe_qp_state.QP_STATE_READY;
        break;
      case ib_qp_state.IB_QPS_SQD:
        qp.req.state = rxe_qp_state.QP_STATE_DRAIN;
        break;
      case ib_qp_state.IB_QPS_SQE:
        break;
      case ib_qp_state.IB_QPS_ERR:
        rxe_qp_error(qp);
        break;
    }
    a.qp_state = s;
    if (s === ib_qp_state.IB_QPS_RTS) rxe_sched_task(qp.req_task);
  }
}

/**
 * rxe_qp_to_attr - the attributes in force (queue capacities are the enforced ones).
 * Kernel: drivers/infiniband/sw/rxe/rxe_qp.c rxe_qp_to_attr()
 */
export function rxe_qp_to_attr(qp: rxe_qp): ib_qp_attr {
  const a = qp.attr;
  return {
    qp_state: a.qp_state, cur_qp_state: a.qp_state, path_mtu: a.path_mtu, path_mig_state: a.path_mig_state,
    qkey: a.qkey, rq_psn: qp.resp.psn, sq_psn: qp.req.psn, dest_qp_num: a.dest_qp_num,
    qp_access_flags: a.qp_access_flags,
    cap: {
      max_send_wr: qp.sq.max_wr, max_recv_wr: qp.rq.max_wr, max_send_sge: qp.sq.max_sge,
      max_recv_sge: qp.rq.max_sge, max_inline_data: qp.sq.max_inline,
    },
    ...(a.ah_attr ? { ah_attr: a.ah_attr } : {}),
    pkey_index: a.pkey_index, alt_pkey_index: a.alt_pkey_index, en_sqd_async_notify: a.en_sqd_async_notify,
    sq_draining: qp.req.state === rxe_qp_state.QP_STATE_DRAIN ? 1 : 0,
    max_rd_atomic: a.max_rd_atomic, max_dest_rd_atomic: a.max_dest_rd_atomic, min_rnr_timer: a.min_rnr_timer,
    port_num: a.port_num, timeout: a.timeout, retry_cnt: a.retry_cnt, rnr_retry: a.rnr_retry,
    alt_port_num: a.alt_port_num, alt_timeout: a.alt_timeout, rate_limit: a.rate_limit,
  };
}

/**
 * rxe_qp_destroy - stop the engines and timers, release the QPN.
 * Kernel: drivers/infiniband/sw/rxe/rxe_qp.c rxe_qp_destroy() / rxe_qp_do_cleanup()
 */
export function rxe_qp_destroy(rxe: rxe_dev, qp: rxe_qp): void {
  qp.valid = false;
  qp.retrans_timer.cancel();
  qp.rnr_nak_timer.cancel();
  qp.req_task.cleanup();
  qp.comp_task.cleanup();
  qp.resp_task.cleanup();
  qp.req_pkts.clear();
  qp.resp_pkts.clear();
  rxe.qp_pool.remove(qp.qp_num);
  if (rxe.gsi === qp) rxe.gsi = null;
}

/** The SRQ a QP receives from, if any. */
export function qp_srq(qp: rxe_qp): rxe_srq | null { return qp.rsrq; }
