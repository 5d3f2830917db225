/**
 * rxe_param.h - the emulated HCA's limits: rxe's defaults and two other named profiles.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_param.h (enum rxe_device_param, rxe_port_param)
 *
 * Operation: `rxe_profile(name)` returns the table a device is created with. 'rxe' is Linux
 * Soft-RoCE's values; 'connectx' is a ConnectX-like set of limits (exact queue capacities, no
 * post-time atomic check, a send posted below RTS accepted and dropped as rdma-unit-test expects
 * of hardware); 'iwarp' is iWARP-like (max_sge_rd = 1, READ sinks need an MR, node type RNIC).
 * Every number the device reports through query_device / query_qp comes from here, and the
 * same number is what post_send / post_recv / create_* enforce.
 */

/** Kernel: rxe_param.h enum rxe_device_param (the values of Linux v6.x). */
export const RXE_MAX_QP = 0x10000;
/** Max WRs per send/recv queue. */
export const RXE_MAX_QP_WR = 0x4000;
/** Max inline bytes per send WQE. */
export const RXE_MAX_INLINE_DATA = 400;
export const RXE_MAX_SGE = 32;
export const RXE_MAX_SGE_RD = 32;
export const RXE_MAX_CQ = 16384;
export const RXE_MAX_LOG_CQE = 15;
export const RXE_MAX_MR = 256 * 1024;
export const RXE_MAX_PD = 0x7ffc;
export const RXE_MAX_QP_RD_ATOM = 128;
export const RXE_MAX_RES_RD_ATOM = 0x3f000;
export const RXE_MAX_QP_INIT_RD_ATOM = 128;
export const RXE_MAX_AH = 100;
export const RXE_MAX_SRQ = 960;
export const RXE_MAX_SRQ_WR = 0x4000;
export const RXE_MIN_SRQ_WR = 1;
export const RXE_MAX_SRQ_SGE = 27;
export const RXE_MIN_SRQ_SGE = 1;
export const RXE_MAX_FMR_PAGE_LIST_LEN = 512;
export const RXE_MAX_PKEYS = 64;
export const RXE_LOCAL_CA_ACK_DELAY = 15;
export const RXE_PAGE_SIZE_CAP = 0xfffff000;
/** QP index pool: QPNs 16 … 0x20000 (0 and 1 are the special QPs). */
export const RXE_MIN_QP_INDEX = 16;
export const RXE_MAX_QP_INDEX = 0x00020000;
export const RXE_MIN_SRQ_INDEX = 0x00020001;
export const RXE_MAX_SRQ_INDEX = 0x00040000;
/** MR index pool: key = index << 8 | variable byte. */
export const RXE_MIN_MR_INDEX = 0x00000001;
export const RXE_MAX_MR_INDEX = 0x00040000;
/** Requester asks for an ACK at least every this many packets. */
export const RXE_MAX_PKT_PER_ACK = 64;
/** Requester stops when this many PSNs are unacknowledged (ORACLES §1). */
export const RXE_MAX_UNACKED_PSNS = 128;
export const RXE_INFLIGHT_SKBS_PER_QP_HIGH = 64;
export const RXE_INFLIGHT_SKBS_PER_QP_LOW = 16;
/** Kernel: rxe_task.c RXE_MAX_ITERATIONS - iterations of a task before it yields. */
export const RXE_MAX_ITERATIONS = 1024;
/** Kernel: rxe_param.h RXE_PORT_MAX_MSG_SZ. */
export const RXE_PORT_MAX_MSG_SZ = 0x800000;
export const RXE_PORT_GID_TBL_LEN = 1024;
export const RXE_PORT_PKEY_TBL_LEN = 64;
/** Kernel: rxe_net.h RXE_ROCE_V2_SPORT - base of the per-QP UDP source port. */
export const RXE_ROCE_V2_SPORT = 0xc000;

/** Profile names. Emulator-only. */
export type RxeProfileName = 'rxe' | 'connectx' | 'iwarp';

/** RxeProfile - the limits and behaviour knobs of one HCA model. Emulator-only. */
export interface RxeProfile {
  readonly name: RxeProfileName;
  readonly max_qp: number;
  readonly max_qp_wr: number;
  readonly max_send_sge: number;
  readonly max_recv_sge: number;
  readonly max_sge_rd: number;
  readonly max_inline_data: number;
  readonly max_cq: number;
  readonly max_cqe: number;
  readonly max_mr: number;
  readonly max_pd: number;
  readonly max_qp_rd_atom: number;
  readonly max_qp_init_rd_atom: number;
  readonly max_srq: number;
  readonly max_srq_wr: number;
  readonly max_srq_sge: number;
  readonly max_fast_reg_page_list_len: number;
  readonly max_msg_sz: number;
  /** Queues hold roundup_pow_of_two(n+1)-1 entries (rxe_queue_init) and report that; false: exactly n. */
  readonly round_queues: boolean;
  /** rxe's post-time atomic checks (length 8, 8-aligned remote_addr → EINVAL); false: checked on the wire. */
  readonly atomic_post_check: boolean;
  /** post_send below RTS: 'einval' (rxe) or 'drop' (accepted and silently dropped, ConnectX-like). */
  readonly post_send_not_rts: 'einval' | 'drop';
  /** iWARP-like: RDMA READ sinks must be MRs with REMOTE_WRITE (rdma_rw asks rdma_protocol_iwarp()). */
  readonly iwarp: boolean;
}

const RXE: RxeProfile = Object.freeze({
  name: 'rxe',
  max_qp: RXE_MAX_QP,
  max_qp_wr: RXE_MAX_QP_WR,
  max_send_sge: RXE_MAX_SGE,
  max_recv_sge: RXE_MAX_SGE,
  max_sge_rd: RXE_MAX_SGE_RD,
  max_inline_data: RXE_MAX_INLINE_DATA,
  max_cq: RXE_MAX_CQ,
  max_cqe: (1 << RXE_MAX_LOG_CQE) - 1,
  max_mr: RXE_MAX_MR,
  max_pd: RXE_MAX_PD,
  max_qp_rd_atom: RXE_MAX_QP_RD_ATOM,
  max_qp_init_rd_atom: RXE_MAX_QP_INIT_RD_ATOM,
  max_srq: RXE_MAX_SRQ,
  max_srq_wr: RXE_MAX_SRQ_WR,
  max_srq_sge: RXE_MAX_SRQ_SGE,
  max_fast_reg_page_list_len: RXE_MAX_FMR_PAGE_LIST_LEN,
  max_msg_sz: RXE_PORT_MAX_MSG_SZ,
  round_queues: true,
  atomic_post_check: true,
  post_send_not_rts: 'einval',
  iwarp: false,
});

/** ConnectX-5-like limits (ibv_devinfo -v of a CX-5: max_qp_wr 32768, max_sge 30, max_cqe 4194303, 16 rd atomics). */
const CONNECTX: RxeProfile = Object.freeze({
  ...RXE,
  name: 'connectx',
  max_qp: 262144,
  max_qp_wr: 32768,
  max_send_sge: 30,
  max_recv_sge: 30,
  max_sge_rd: 30,
  max_inline_data: 220,
  max_cq: 16777216,
  max_cqe: 4194303,
  max_mr: 16777216,
  max_pd: 16777216,
  max_qp_rd_atom: 16,
  max_qp_init_rd_atom: 16,
  max_srq: 8388608,
  max_srq_wr: 32767,
  max_srq_sge: 31,
  max_fast_reg_page_list_len: 65536,
  max_msg_sz: 0x40000000,
  round_queues: false,
  atomic_post_check: false,
  post_send_not_rts: 'drop',
  iwarp: false,
});

/** iWARP-like limits (siw/irdma-ish: one READ sink SGE, MR-backed READ sinks). */
const IWARP: RxeProfile = Object.freeze({
  ...RXE,
  name: 'iwarp',
  max_sge_rd: 1,
  max_send_sge: 6,
  max_recv_sge: 6,
  max_qp_rd_atom: 32,
  max_qp_init_rd_atom: 32,
  round_queues: false,
  iwarp: true,
});

/**
 * rxe_profile - the limits table for a profile name.
 * Emulator-only.
 * @default 'rxe'
 */
export function rxe_profile(name: RxeProfileName = 'rxe'): RxeProfile {
  switch (name) {
    case 'rxe': return RXE;
    case 'connectx': return CONNECTX;
    case 'iwarp': return IWARP;
  }
}

/**
 * rnrnak_usec - RNR NAK timer values in µs, indexed by the 5-bit timer field (IBA Table 45).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_comp.c rnrnak_usec[]
 * Divergence: entry 25 is 61440 µs (61.44 ms, as IBA and ib_verbs.h IB_RNR_TIMER_061_44 say);
 * rxe's table has a typo (61410).
 */
export const rnrnak_usec: readonly number[] = Object.freeze([
  655360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960, 1280, 1920,
  2560, 3840, 5120, 7680, 10240, 15360, 20480, 30720, 40960, 61440, 81920, 122880, 163840, 245760, 327680, 491520,
]);

/** roundup_pow_of_two. Kernel: include/linux/log2.h. */
export function roundup_pow_of_two(n: number): number {
  if (n <= 1) return 1;
  return 2 ** Math.ceil(Math.log2(n));
}
