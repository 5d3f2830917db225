/**
 * rxe_hdr - big-endian accessors for the InfiniBand transport headers of a RoCEv2 packet.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_hdr.h (struct rxe_bth, rxe_reth, rxe_aeth, rxe_immdt,
 *         rxe_ieth, rxe_atmeth, rxe_atmack, rxe_deth; bth_*, reth_*, aeth_* … helpers)
 *
 * Operation: every accessor takes the buffer and the byte offset of *that* header (callers add
 * the per-opcode offset from rxe_opcode.ts to the BTH offset). Values are read and written byte
 * by byte — no DataView per packet, no bigint: 64-bit fields (RETH VA, AtomicETH operands,
 * AtomicAckETH) are split into `_hi`/`_lo` u32 halves. u32 results are unsigned (`>>> 0`).
 *
 * BTH (12 bytes): opcode | SE M PadCnt(2) TVer(4) | P_Key(16) | F B resv6 (the "resv8a" byte) |
 * DestQP(24) | A resv7 | PSN(24).
 */

/** Kernel: rxe_hdr.h BTH masks and the 24-bit PSN space. */
export const BTH_PSN_MASK = 0x00ffffff;
export const BTH_QPN_MASK = 0x00ffffff;
export const BTH_SE_MASK = 0x80;
export const BTH_MIG_MASK = 0x40;
export const BTH_PAD_MASK = 0x30;
export const BTH_TVER_MASK = 0x0f;
export const BTH_ACK_MASK = 0x80;
/** Kernel: rxe_hdr.h BTH_TVER (transport version 0). */
export const BTH_TVER = 0;
/** Kernel: include/rdma/ib_verbs.h IB_DEFAULT_PKEY_FULL. */
export const IB_DEFAULT_PKEY_FULL = 0xffff;
/** Kernel: rxe_hdr.h GSI_QKEY / IB_QP1_QKEY. */
export const GSI_QKEY = 0x80010000;

/** AETH syndromes. Kernel: rxe_hdr.h enum aeth_syndrome. */
export const AETH_TYPE_MASK = 0xe0;
export const AETH_ACK = 0x00;
export const AETH_RNR_NAK = 0x20;
export const AETH_RSVD = 0x40;
export const AETH_NAK = 0x60;
export const AETH_ACK_UNLIMITED = 0x1f;
export const AETH_NAK_PSN_SEQ_ERROR = 0x60;
export const AETH_NAK_INVALID_REQ = 0x61;
export const AETH_NAK_REM_ACC_ERR = 0x62;
export const AETH_NAK_REM_OP_ERR = 0x63;
export const AETH_NAK_INV_RD_REQ = 0x64;
export const AETH_MSN_MASK = 0x00ffffff;

// ---- raw big-endian helpers ---------------------------------------------------------------

/** Read a big-endian u32. Emulator-only. */
export function get_be32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
/** Write a big-endian u32. Emulator-only. */
export function put_be32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
function get_be24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}
function put_be24(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 16) & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = v & 0xff;
}

// ---- BTH ------------------------------------------------------------------------------------

/** Kernel: rxe_hdr.h __bth_opcode(). */
export function bth_opcode(b: Uint8Array, o: number): number { return b[o]!; }
export function bth_set_opcode(b: Uint8Array, o: number, opcode: number): void { b[o] = opcode; }
/** Kernel: rxe_hdr.h __bth_se() - solicited event. */
export function bth_se(b: Uint8Array, o: number): boolean { return (b[o + 1]! & BTH_SE_MASK) !== 0; }
export function bth_set_se(b: Uint8Array, o: number, se: boolean): void {
  b[o + 1] = se ? b[o + 1]! | BTH_SE_MASK : b[o + 1]! & ~BTH_SE_MASK;
}
/** Kernel: rxe_hdr.h __bth_mig(). */
export function bth_mig(b: Uint8Array, o: number): boolean { return (b[o + 1]! & BTH_MIG_MASK) !== 0; }
export function bth_set_mig(b: Uint8Array, o: number, mig: boolean): void {
  b[o + 1] = mig ? b[o + 1]! | BTH_MIG_MASK : b[o + 1]! & ~BTH_MIG_MASK;
}
/** Kernel: rxe_hdr.h __bth_pad() - pad count 0..3. */
export function bth_pad(b: Uint8Array, o: number): number { return (b[o + 1]! & BTH_PAD_MASK) >>> 4; }
export function bth_set_pad(b: Uint8Array, o: number, pad: number): void {
  b[o + 1] = (b[o + 1]! & ~BTH_PAD_MASK) | ((pad << 4) & BTH_PAD_MASK);
}
/** Kernel: rxe_hdr.h __bth_tver(). */
export function bth_tver(b: Uint8Array, o: number): number { return b[o + 1]! & BTH_TVER_MASK; }
export function bth_set_tver(b: Uint8Array, o: number, tver: number): void {
  b[o + 1] = (b[o + 1]! & ~BTH_TVER_MASK) | (tver & BTH_TVER_MASK);
}
/** Kernel: rxe_hdr.h __bth_pkey(). */
export function bth_pkey(b: Uint8Array, o: number): number { return (b[o + 2]! << 8) | b[o + 3]!; }
export function bth_set_pkey(b: Uint8Array, o: number, pkey: number): void {
  b[o + 2] = (pkey >>> 8) & 0xff;
  b[o + 3] = pkey & 0xff;
}
/** The reserved byte masked to 0xFF by the ICRC (F, B, resv6a). Kernel: rxe_hdr.h struct rxe_bth qpn's top byte. */
export function bth_resv8a(b: Uint8Array, o: number): number { return b[o + 4]!; }
export function bth_set_resv8a(b: Uint8Array, o: number, v: number): void { b[o + 4] = v & 0xff; }
/** Kernel: rxe_hdr.h __bth_qpn() - destination QP (24 bits). */
export function bth_qpn(b: Uint8Array, o: number): number { return get_be24(b, o + 5); }
export function bth_set_qpn(b: Uint8Array, o: number, qpn: number): void { put_be24(b, o + 5, qpn); }
/** Kernel: rxe_hdr.h __bth_ack() - acknowledge request bit. */
export function bth_ack(b: Uint8Array, o: number): boolean { return (b[o + 8]! & BTH_ACK_MASK) !== 0; }
export function bth_set_ack(b: Uint8Array, o: number, ack: boolean): void {
  b[o + 8] = ack ? b[o + 8]! | BTH_ACK_MASK : b[o + 8]! & ~BTH_ACK_MASK;
}
/** Kernel: rxe_hdr.h __bth_psn() - 24-bit PSN. */
export function bth_psn(b: Uint8Array, o: number): number { return get_be24(b, o + 9); }
export function bth_set_psn(b: Uint8Array, o: number, psn: number): void { put_be24(b, o + 9, psn); }

/**
 * bth_init - write a whole BTH.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_hdr.h bth_init()
 */
export function bth_init(b: Uint8Array, o: number, opcode: number, se: boolean, mig: boolean, pad: number,
  pkey: number, qpn: number, ack_req: boolean, psn: number): void {
  b[o] = opcode;
  b[o + 1] = (se ? BTH_SE_MASK : 0) | (mig ? BTH_MIG_MASK : 0) | ((pad << 4) & BTH_PAD_MASK) | BTH_TVER;
  b[o + 2] = (pkey >>> 8) & 0xff;
  b[o + 3] = pkey & 0xff;
  b[o + 4] = 0;
  put_be24(b, o + 5, qpn);
  b[o + 8] = ack_req ? BTH_ACK_MASK : 0;
  put_be24(b, o + 9, psn);
}

// ---- RETH -----------------------------------------------------------------------------------

/** Kernel: rxe_hdr.h __reth_va() (high and low 32 bits). */
export function reth_va_hi(b: Uint8Array, o: number): number { return get_be32(b, o); }
export function reth_va_lo(b: Uint8Array, o: number): number { return get_be32(b, o + 4); }
export function reth_set_va(b: Uint8Array, o: number, hi: number, lo: number): void { put_be32(b, o, hi); put_be32(b, o + 4, lo); }
/** Kernel: rxe_hdr.h __reth_rkey(). */
export function reth_rkey(b: Uint8Array, o: number): number { return get_be32(b, o + 8); }
export function reth_set_rkey(b: Uint8Array, o: number, rkey: number): void { put_be32(b, o + 8, rkey); }
/** Kernel: rxe_hdr.h __reth_len() - DMA length. */
export function reth_len(b: Uint8Array, o: number): number { return get_be32(b, o + 12); }
export function reth_set_len(b: Uint8Array, o: number, len: number): void { put_be32(b, o + 12, len); }

// ---- AETH -----------------------------------------------------------------------------------

/** Kernel: rxe_hdr.h __aeth_syn(). */
export function aeth_syn(b: Uint8Array, o: number): number { return b[o]!; }
export function aeth_set_syn(b: Uint8Array, o: number, syn: number): void { b[o] = syn & 0xff; }
/** Kernel: rxe_hdr.h __aeth_msn() (24 bits). */
export function aeth_msn(b: Uint8Array, o: number): number { return get_be24(b, o + 1); }
export function aeth_set_msn(b: Uint8Array, o: number, msn: number): void { put_be24(b, o + 1, msn & AETH_MSN_MASK); }

// ---- ImmDt, IETH ----------------------------------------------------------------------------

/** Kernel: rxe_hdr.h __immdt_imm() - __be32 kept as the raw big-endian u32 value. */
export function immdt_imm(b: Uint8Array, o: number): number { return get_be32(b, o); }
export function immdt_set_imm(b: Uint8Array, o: number, imm: number): void { put_be32(b, o, imm); }
/** Kernel: rxe_hdr.h __ieth_rkey(). */
export function ieth_rkey(b: Uint8Array, o: number): number { return get_be32(b, o); }
export function ieth_set_rkey(b: Uint8Array, o: number, rkey: number): void { put_be32(b, o, rkey); }

// ---- AtomicETH, AtomicAckETH ----------------------------------------------------------------

/** Kernel: rxe_hdr.h __atmeth_va(). */
export function atmeth_va_hi(b: Uint8Array, o: number): number { return get_be32(b, o); }
export function atmeth_va_lo(b: Uint8Array, o: number): number { return get_be32(b, o + 4); }
export function atmeth_set_va(b: Uint8Array, o: number, hi: number, lo: number): void { put_be32(b, o, hi); put_be32(b, o + 4, lo); }
/** Kernel: rxe_hdr.h __atmeth_rkey(). */
export function atmeth_rkey(b: Uint8Array, o: number): number { return get_be32(b, o + 8); }
export function atmeth_set_rkey(b: Uint8Array, o: number, rkey: number): void { put_be32(b, o + 8, rkey); }
/** Kernel: rxe_hdr.h __atmeth_swap_add(). */
export function atmeth_swap_add_hi(b: Uint8Array, o: number): number { return get_be32(b, o + 12); }
export function atmeth_swap_add_lo(b: Uint8Array, o: number): number { return get_be32(b, o + 16); }
export function atmeth_set_swap_add(b: Uint8Array, o: number, hi: number, lo: number): void { put_be32(b, o + 12, hi); put_be32(b, o + 16, lo); }
/** Kernel: rxe_hdr.h __atmeth_comp(). */
export function atmeth_comp_hi(b: Uint8Array, o: number): number { return get_be32(b, o + 20); }
export function atmeth_comp_lo(b: Uint8Array, o: number): number { return get_be32(b, o + 24); }
export function atmeth_set_comp(b: Uint8Array, o: number, hi: number, lo: number): void { put_be32(b, o + 20, hi); put_be32(b, o + 24, lo); }
/** Kernel: rxe_hdr.h __atmack_orig(). */
export function atmack_orig_hi(b: Uint8Array, o: number): number { return get_be32(b, o); }
export function atmack_orig_lo(b: Uint8Array, o: number): number { return get_be32(b, o + 4); }
export function atmack_set_orig(b: Uint8Array, o: number, hi: number, lo: number): void { put_be32(b, o, hi); put_be32(b, o + 4, lo); }

// ---- DETH -----------------------------------------------------------------------------------

/** Kernel: rxe_hdr.h __deth_qkey(). */
export function deth_qkey(b: Uint8Array, o: number): number { return get_be32(b, o); }
export function deth_set_qkey(b: Uint8Array, o: number, qkey: number): void { put_be32(b, o, qkey); }
/** Kernel: rxe_hdr.h __deth_sqp() - source QP (24 bits). */
export function deth_sqp(b: Uint8Array, o: number): number { return get_be24(b, o + 5); }
export function deth_set_sqp(b: Uint8Array, o: number, sqp: number): void { b[o + 4] = 0; put_be24(b, o + 5, sqp); }

// ---- PSN arithmetic -------------------------------------------------------------------------

/**
 * psn_compare - compare two 24-bit PSNs across the wrap: < 0, 0 or > 0.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_hdr.h psn_compare() — the sign of the difference
 * shifted into the top of a 32-bit word, i.e. a signed 24-bit difference.
 * @example
 * ```ts
 * psn_compare(0x000001, 0xffffff) > 0; // 1 is after 0xffffff
 * ```
 */
export function psn_compare(psn_a: number, psn_b: number): number {
  return ((psn_a - psn_b) << 8) >> 8;
}
