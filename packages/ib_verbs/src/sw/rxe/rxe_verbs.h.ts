/**
 * rxe_verbs.h - the provider's objects: rxe_dev, rxe_pd, rxe_cq, rxe_srq, rxe_qp, rxe_mr, and
 * the hot-path records (send/recv WQE, packet info, responder resource).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_verbs.h (struct rxe_dev, rxe_qp, rxe_req_info,
 *         rxe_comp_info, rxe_resp_info, resp_res, rxe_mr, rxe_cq, rxe_srq, rxe_sq, rxe_rq),
 *         drivers/infiniband/sw/rxe/rxe_hdr.h (struct rxe_pkt_info),
 *         include/uapi/rdma/rdma_user_rxe.h (struct rxe_send_wqe, rxe_recv_wqe, rxe_dma_info, rxe_sge)
 *
 * Operation: the kernel's container_of(ibqp, struct rxe_qp, ibqp) is inheritance here
 * (`rxe_qp extends ib_qp`). Hot-path records are classes whose constructors set every field in
 * one order (one hidden class each). 64-bit values (remote VAs, atomic operands) are stored as
 * `_hi`/`_lo` u32 pairs, converted once at post time; the per-packet path has no bigint.
 */
import type { ClockEvent, CounterSet } from '@rdmaemu/sim-core';
import type { DmaHost } from '@rdmaemu/dma-core';
import {
  ib_cq, ib_device, ib_mr, ib_pd, ib_qp, ib_srq, ib_ah,
  type IbDeviceInit,
} from '../../core/device.js';
import type {
  ib_cq_init_attr, ib_cqe, ib_mr_type, ib_qp_attr, ib_qp_init_attr, ib_srq_init_attr, ib_wc, rdma_ah_attr,
  u64_api,
} from '../../core/ib_verbs.h.js';
import type { net_device } from '../../fabric/netdev.js';
import type { UdpTunnelInit } from '../../fabric/udp.js';
import type { rxe_counters } from './rxe_hw_counters.js';
import type { RxeProfile } from './rxe_param.h.js';
import type { rxe_pool } from './rxe_pool.js';
import { pkt_queue, rxe_queue } from './rxe_queue.js';
import type { rxe_task } from './rxe_task.js';

/** Requester/responder/completer view of the QP state. Kernel: rxe_verbs.h enum rxe_qp_state. */
export enum rxe_qp_state {
  QP_STATE_RESET = 0,
  QP_STATE_INIT = 1,
  QP_STATE_READY = 2,
  QP_STATE_DRAIN = 3,
  QP_STATE_DRAINED = 4,
  QP_STATE_ERROR = 5,
}

/** Kernel: include/uapi/rdma/rdma_user_rxe.h enum rxe_wqe_state (wqe_state_*). */
export enum wqe_state {
  wqe_state_posted = 0,
  wqe_state_processing = 1,
  wqe_state_pending = 2,
  wqe_state_done = 3,
  wqe_state_error = 4,
}

/** Kernel: rxe_verbs.h enum rdatm_res_state. */
export enum rdatm_res_state {
  rdatm_res_state_next = 0,
  rdatm_res_state_new = 1,
  rdatm_res_state_replay = 2,
}

/** Kernel: rxe_verbs.h enum rxe_mr_state. */
export enum rxe_mr_state {
  RXE_MR_STATE_ZOMBIE = 0,
  RXE_MR_STATE_INVALID = 1,
  RXE_MR_STATE_FREE = 2,
  RXE_MR_STATE_VALID = 3,
}

/** Kernel: rxe_loc.h enum rxe_mr_lookup_type. */
export enum rxe_mr_lookup_type {
  RXE_LOOKUP_LOCAL = 0,
  RXE_LOOKUP_REMOTE = 1,
}

/** Kernel: rxe_mr.c copy direction (enum rxe_mr_copy_dir). */
export enum rxe_mr_copy_dir {
  RXE_TO_MR_OBJ = 0,
  RXE_FROM_MR_OBJ = 1,
}

/** An SGE as the HCA stores it. Kernel: rdma_user_rxe.h struct rxe_sge (addr split hi/lo). */
export class rxe_sge {
  addr_hi = 0;
  addr_lo = 0;
  length = 0;
  lkey = 0;
}

/** DMA progress through a WQE's SGE list. Kernel: rdma_user_rxe.h struct rxe_dma_info. */
export class rxe_dma_info {
  length = 0;
  resid = 0;
  cur_sge = 0;
  num_sge = 0;
  sge_offset = 0;
  sge: rxe_sge[] = [];
  /** Inline data copied at post time (IB_SEND_INLINE), else null. */
  inline_data: Uint8Array | null = null;
  /** The MR the last copy_data through these SGEs used (lookup_mr_cached; revalidated on use). */
  last_mr: rxe_mr | null = null;
}

/** A send WQE (one SQ slot, reused). Kernel: rdma_user_rxe.h struct rxe_send_wqe + struct rxe_send_wr. */
export class rxe_send_wqe {
  wr_id: u64_api = 0;
  wr_cqe: ib_cqe | null = null;
  opcode = 0;
  send_flags = 0;
  imm_data = 0;
  invalidate_rkey = 0;
  remote_addr_hi = 0;
  remote_addr_lo = 0;
  rkey = 0;
  compare_add_hi = 0;
  compare_add_lo = 0;
  swap_hi = 0;
  swap_lo = 0;
  remote_qpn = 0;
  remote_qkey = 0;
  ah: ib_ah | null = null;
  reg_mr: rxe_mr | null = null;
  reg_key = 0;
  reg_access = 0;
  status = 0;
  state = wqe_state.wqe_state_posted;
  mask = 0;
  iova_hi = 0;
  iova_lo = 0;
  first_psn = 0;
  last_psn = 0;
  ssn = 0;
  has_rd_atomic = false;
  readonly dma = new rxe_dma_info();
}

/** A receive WQE. Kernel: rdma_user_rxe.h struct rxe_recv_wqe. */
export class rxe_recv_wqe {
  wr_id: u64_api = 0;
  wr_cqe: ib_cqe | null = null;
  readonly dma = new rxe_dma_info();
}

/**
 * rxe_pkt_info - one received or built packet. Kernel: rxe_hdr.h struct rxe_pkt_info.
 *
 * `hdr[bth]` is the BTH; extension headers follow at the rxe_opcode offsets. `payload` are views
 * of the payload bytes only (no pad, no ICRC), zero copy from the frame.
 */
export class rxe_pkt_info {
  qp: rxe_qp | null = null;
  hdr: Uint8Array;
  bth: number;
  mask = 0;
  opcode = 0;
  psn = 0;
  paylen = 0;
  pad = 0;
  payload_len = 0;
  payload: Uint8Array[] = [];
  /** IPv4 source address (u32) and source MAC of a received packet (UD: GRH, wc.smac). */
  saddr = 0;
  smac: Uint8Array | null = null;
  constructor(hdr: Uint8Array, bth: number) {
    this.hdr = hdr;
    this.bth = bth;
  }
}

/** A responder resource for READ / atomic replay. Kernel: rxe_verbs.h struct resp_res. */
export class resp_res {
  type = 0;
  replay = false;
  first_psn = 0;
  last_psn = 0;
  cur_psn = 0;
  state = rdatm_res_state.rdatm_res_state_next;
  read_va_hi = 0;
  read_va_lo = 0;
  read_va_org_hi = 0;
  read_va_org_lo = 0;
  read_resid = 0;
  read_length = 0;
  read_rkey = 0;
  atomic_orig_hi = 0;
  atomic_orig_lo = 0;
}

/** Kernel: rxe_verbs.h struct rxe_req_info. */
export class rxe_req_info {
  state = rxe_qp_state.QP_STATE_RESET;
  wqe_index = 0;
  psn = 0;
  opcode = -1;
  rd_atomic = 0;
  wait_fence = false;
  need_rd_atomic = false;
  wait_psn = false;
  need_retry = false;
  wait_for_rnr_timer = false;
  noack_pkts = 0;
}

/** Kernel: rxe_verbs.h struct rxe_comp_info. */
export class rxe_comp_info {
  psn = 0;
  opcode = -1;
  timeout = false;
  timeout_retry = false;
  started_retry = false;
  retry_cnt = 0;
  rnr_retry = 0;
}

/** Kernel: rxe_verbs.h struct rxe_resp_info. */
export class rxe_resp_info {
  state = rxe_qp_state.QP_STATE_RESET;
  msn = 0;
  psn = 0;
  ack_psn = 0;
  opcode = -1;
  drop_msg = false;
  goto_error = false;
  sent_psn_nak = false;
  status = 0;
  aeth_syndrome = 0x1f;
  /** The wc status an error completion at this responder carries (see rxe_resp.ts Divergence). */
  err_status = 0;
  wqe: rxe_recv_wqe | null = null;
  /** RETH / AtomicETH state of the current message. */
  va_hi = 0;
  va_lo = 0;
  offset = 0;
  rkey = 0;
  resid = 0;
  length = 0;
  mr: rxe_mr | null = null;
  /** The MR the last RETH/AtomicETH rkey named (lookup_mr_cached; revalidated on use). */
  last_mr: rxe_mr | null = null;
  res: resp_res | null = null;
  resources: resp_res[] = [];
  res_head = 0;
  res_tail = 0;
  /** SRQ WQE copy (rxe keeps srq_wqe in resp_info). */
  readonly srq_wqe = new rxe_recv_wqe();
}

/** The send queue. Kernel: rxe_verbs.h struct rxe_sq. */
export interface rxe_sq {
  max_wr: number;
  max_sge: number;
  max_inline: number;
  queue: rxe_queue<rxe_send_wqe>;
}

/** The receive queue. Kernel: rxe_verbs.h struct rxe_rq. */
export interface rxe_rq {
  max_wr: number;
  max_sge: number;
  queue: rxe_queue<rxe_recv_wqe>;
}

/** Resolved address vector: Ethernet/IPv4/UDP header fields. Kernel: rxe_verbs.h struct rxe_av (RoCEv2/IPv4 subset). */
export interface rxe_av {
  tunnel: UdpTunnelInit;
  attr: rdma_ah_attr;
}

/** RxeDevInit - what rxe_add builds a device from. Emulator-only. */
export interface RxeDevInit extends IbDeviceInit {
  ndev: net_device;
  dma_host: DmaHost;
  profile: RxeProfile;
  icrc: boolean;
  counters: CounterSet<rxe_counters>;
}

/** rxe_dev - one Soft-RoCE device. Kernel: rxe_verbs.h struct rxe_dev. */
export class rxe_dev extends ib_device {
  readonly ndev: net_device;
  readonly dma_host: DmaHost;
  readonly profile: RxeProfile;
  /** ICRC generated and checked (false = rxe's crc_disable). */
  icrc: boolean;
  readonly counters: CounterSet<rxe_counters>;
  qp_pool!: rxe_pool<rxe_qp>;
  mr_pool!: rxe_pool<rxe_mr>;
  srq_pool!: rxe_pool<rxe_srq>;
  num_pd = 0;
  num_cq = 0;
  /** Packets dropped for a bad ICRC (rxe logs these; not one of the hw_counters). */
  icrc_err = 0;
  gsi: rxe_qp | null = null;
  port_state_active = true;
  constructor(init: RxeDevInit) {
    super(init);
    this.ndev = init.ndev;
    this.dma_host = init.dma_host;
    this.profile = init.profile;
    this.icrc = init.icrc;
    this.counters = init.counters;
  }
}

/** Kernel: rxe_verbs.h struct rxe_pd. */
export class rxe_pd extends ib_pd {
  /** False once deallocated: a stale PD is refused (ENOENT), as uverbs refuses a stale handle. */
  valid = true;
}

/** Kernel: rxe_verbs.h struct rxe_ah. */
export class rxe_ah extends ib_ah {
  av: rxe_av | null = null;
}

/** Kernel: rxe_verbs.h struct rxe_cq. */
export class rxe_cq extends ib_cq {
  queue: rxe_queue<ib_wc>;
  notify = 0;
  is_dying = false;
  /** Deferred comp_handler call (rxe runs it from a tasklet / work item). */
  comp_event: ClockEvent | null = null;
  overflowed = false;
  constructor(dev: ib_device, attr: ib_cq_init_attr, capacity: number) {
    super(dev, attr);
    this.queue = new rxe_queue<ib_wc>(capacity);
    this.cqe = capacity;
  }
}

/** Kernel: rxe_verbs.h struct rxe_srq. */
export class rxe_srq extends ib_srq {
  rq: rxe_rq;
  limit = 0;
  srq_num = 0;
  error = false;
  constructor(pd: ib_pd, init: ib_srq_init_attr, rq: rxe_rq) {
    super(pd, init);
    this.rq = rq;
  }
}

/** Kernel: rxe_verbs.h struct rxe_mr. */
export class rxe_mr extends ib_mr {
  state = rxe_mr_state.RXE_MR_STATE_INVALID;
  access = 0;
  /**
   * The keys the HCA honours (Kernel: rxe_mr.lkey / rxe_mr.rkey): set when the MR is created and
   * afterwards only by a successful REG_MR (rxe_reg_fast_mr). lookup_mr, rxe_invalidate_mr and
   * SEND_WITH_INV compare against these. The inherited `lkey`/`rkey` are the consumer's view
   * (ibmr.lkey/rkey), which ib_update_fast_reg_key moves ahead of the REG_MR that will make the
   * new key live — so a LOCAL_INV naming the old key still finds the MR.
   * Divergence: renamed from the kernel's lkey/rkey, which would collide with ib_mr's fields here.
   */
  rxe_lkey = 0;
  rxe_rkey = 0;
  index = 0;
  /** IOVA split for the hot path (mirrors ibmr.iova). */
  iova_hi = 0;
  iova_lo = 0;
  page_shift = 12;
  page_mask = 0xfff;
  /** DMA addresses of the mapped pages (page_list), and how many are set. */
  page_list: number[] = [];
  nbuf = 0;
  max_num_sg = 0;
  /** Offset of iova within the first page. */
  page_offset = 0;
  /** A DMA MR: iova is the DMA address, no page list, no range limit. */
  is_dma = false;
  num_mw = 0;
  constructor(pd: ib_pd, type: ib_mr_type) {
    super(pd, type);
  }
}

/** Kernel: rxe_verbs.h struct rxe_qp. */
export class rxe_qp extends ib_qp {
  valid = true;
  /** The attributes in force (query_qp returns these). */
  readonly attr: Required<Pick<ib_qp_attr,
    'qp_state' | 'cur_qp_state' | 'path_mtu' | 'path_mig_state' | 'qkey' | 'rq_psn' | 'sq_psn' | 'dest_qp_num' |
    'qp_access_flags' | 'pkey_index' | 'alt_pkey_index' | 'en_sqd_async_notify' | 'sq_draining' |
    'max_rd_atomic' | 'max_dest_rd_atomic' | 'min_rnr_timer' | 'port_num' | 'timeout' | 'retry_cnt' |
    'rnr_retry' | 'alt_port_num' | 'alt_timeout' | 'rate_limit'>> & { ah_attr: rdma_ah_attr | null };
  readonly init_attr: ib_qp_init_attr;
  sq: rxe_sq;
  rq: rxe_rq;
  scq: rxe_cq | null;
  rcq: rxe_cq | null;
  rsrq: rxe_srq | null;
  sq_sig_type: number;
  mtu = 4096;
  ssn = 0;
  readonly req = new rxe_req_info();
  readonly comp = new rxe_comp_info();
  readonly resp = new rxe_resp_info();
  /** Incoming requests for the responder. Kernel: qp->req_pkts. */
  readonly req_pkts = new pkt_queue<rxe_pkt_info>();
  /** Incoming responses for the completer. Kernel: qp->resp_pkts. */
  readonly resp_pkts = new pkt_queue<rxe_pkt_info>();
  req_task!: rxe_task<rxe_qp>;
  comp_task!: rxe_task<rxe_qp>;
  resp_task!: rxe_task<rxe_qp>;
  retrans_timer!: ClockEvent;
  rnr_nak_timer!: ClockEvent;
  /** 4.096 µs × 2^timeout in ns; 0 = no retransmit timer. Kernel: qp->qp_timeout_jiffies. */
  qp_timeout_ns = 0;
  /** UDP source port. Kernel: qp->src_port. */
  src_port = 0;
  av: rxe_av | null = null;
  /** Sends posted below RTS under the 'drop' profile are counted here and dropped. */
  dropped_not_ready = 0;

  constructor(pd: ib_pd, init: ib_qp_init_attr, sq: rxe_sq, rq: rxe_rq) {
    super(pd, init);
    this.init_attr = init;
    this.sq = sq;
    this.rq = rq;
    this.scq = init.send_cq as rxe_cq | null;
    this.rcq = init.recv_cq as rxe_cq | null;
    this.rsrq = (init.srq ?? null) as rxe_srq | null;
    this.sq_sig_type = init.sq_sig_type;
    this.attr = {
      qp_state: 0, cur_qp_state: 0, path_mtu: 5, path_mig_state: 0, qkey: 0, rq_psn: 0, sq_psn: 0, dest_qp_num: 0,
      qp_access_flags: 0, pkey_index: 0, alt_pkey_index: 0, en_sqd_async_notify: 0, sq_draining: 0,
      max_rd_atomic: 0, max_dest_rd_atomic: 0, min_rnr_timer: 0, port_num: 1, timeout: 0, retry_cnt: 0,
      rnr_retry: 0, alt_port_num: 0, alt_timeout: 0, rate_limit: 0, ah_attr: null,
    };
  }
}

/** Downcast helpers (the kernel's to_rdev / to_rqp / … container_of wrappers). */
export function to_rdev(dev: ib_device): rxe_dev { return dev as rxe_dev; }
export function to_rqp(qp: ib_qp): rxe_qp { return qp as rxe_qp; }
export function to_rcq(cq: ib_cq): rxe_cq { return cq as rxe_cq; }
export function to_rsrq(srq: ib_srq): rxe_srq { return srq as rxe_srq; }
export function to_rmr(mr: ib_mr): rxe_mr { return mr as rxe_mr; }
export function to_rpd(pd: ib_pd): rxe_pd { return pd as rxe_pd; }
