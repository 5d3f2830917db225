/**
 * rxe_opcode - the one typed table of RoCEv2 BTH opcodes and work-request opcodes.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_opcode.c, drivers/infiniband/sw/rxe/rxe_opcode.h,
 *         include/rdma/ib_pack.h (IB_OPCODE_*)
 *
 * Operation: every BTH opcode the emulated HCA sends or accepts has one entry: its kernel
 * name, its `RXE_*_MASK` bits (which extension headers follow the BTH, whether it carries a
 * payload, whether it is a request or an ack, where it sits in a message), the total length of
 * its headers (BTH included) and the byte offset of each header from the BTH. The encoder
 * (rxe_req, rxe_resp), the decoder (rxe_recv) and the segmentation checks all read this table;
 * nothing else knows a header layout. For the per-packet path the same facts are also flattened
 * into typed arrays indexed by opcode (`rxe_opcode_mask`, `rxe_opcode_length`, `rxe_hdr_offset`).
 *
 * `rxe_wr_opcode_info` maps an `ib_wr_opcode` to its `WR_*_MASK` class per QP type; a zero mask
 * means the opcode is not valid on that QP type (post_send → EINVAL).
 *
 * Invariants: `length` = sum of the lengths of the headers in `mask`; offsets increase in the
 * order BTH, RDETH, DETH, RETH, AETH, ATMETH, ATMACK, IETH, IMMDT (rxe's order of `offset[]`
 * assignment), and `offset[RXE_PAYLOAD] = length`.
 */
import { ib_wr_opcode } from '../../core/ib_verbs.h.js';

// ---- IB opcodes (include/rdma/ib_pack.h) ------------------------------------------------------

/** Kernel: include/rdma/ib_pack.h IB_OPCODE_* (RC = transport 0x00, UD = 0x60). */
export enum ib_opcode {
  IB_OPCODE_RC_SEND_FIRST = 0x00,
  IB_OPCODE_RC_SEND_MIDDLE = 0x01,
  IB_OPCODE_RC_SEND_LAST = 0x02,
  IB_OPCODE_RC_SEND_LAST_WITH_IMMEDIATE = 0x03,
  IB_OPCODE_RC_SEND_ONLY = 0x04,
  IB_OPCODE_RC_SEND_ONLY_WITH_IMMEDIATE = 0x05,
  IB_OPCODE_RC_RDMA_WRITE_FIRST = 0x06,
  IB_OPCODE_RC_RDMA_WRITE_MIDDLE = 0x07,
  IB_OPCODE_RC_RDMA_WRITE_LAST = 0x08,
  IB_OPCODE_RC_RDMA_WRITE_LAST_WITH_IMMEDIATE = 0x09,
  IB_OPCODE_RC_RDMA_WRITE_ONLY = 0x0a,
  IB_OPCODE_RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE = 0x0b,
  IB_OPCODE_RC_RDMA_READ_REQUEST = 0x0c,
  IB_OPCODE_RC_RDMA_READ_RESPONSE_FIRST = 0x0d,
  IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE = 0x0e,
  IB_OPCODE_RC_RDMA_READ_RESPONSE_LAST = 0x0f,
  IB_OPCODE_RC_RDMA_READ_RESPONSE_ONLY = 0x10,
  IB_OPCODE_RC_ACKNOWLEDGE = 0x11,
  IB_OPCODE_RC_ATOMIC_ACKNOWLEDGE = 0x12,
  IB_OPCODE_RC_COMPARE_SWAP = 0x13,
  IB_OPCODE_RC_FETCH_ADD = 0x14,
  IB_OPCODE_RC_SEND_LAST_WITH_INVALIDATE = 0x16,
  IB_OPCODE_RC_SEND_ONLY_WITH_INVALIDATE = 0x17,
  IB_OPCODE_UD_SEND_ONLY = 0x64,
  IB_OPCODE_UD_SEND_ONLY_WITH_IMMEDIATE = 0x65,
}

// ---- header indices and sizes (rxe_opcode.h enum rxe_hdr_type, rxe_hdr.h sizes) -------------

/** Kernel: rxe_opcode.h enum rxe_hdr_type — index into `offset[]` and bit number of the mask. */
export enum rxe_hdr_type {
  RXE_LRH = 0,
  RXE_GRH = 1,
  RXE_BTH = 2,
  RXE_RETH = 3,
  RXE_AETH = 4,
  RXE_ATMETH = 5,
  RXE_ATMACK = 6,
  RXE_IETH = 7,
  RXE_RDETH = 8,
  RXE_DETH = 9,
  RXE_IMMDT = 10,
  RXE_FETH = 11,
  RXE_PAYLOAD = 12,
  NUM_HDR_TYPES = 13,
}

/** Header sizes in bytes. Kernel: rxe_hdr.h RXE_BTH_BYTES … (sizeof(struct rxe_*)). */
export const RXE_BTH_BYTES = 12;
export const RXE_RETH_BYTES = 16;
export const RXE_AETH_BYTES = 4;
export const RXE_ATMETH_BYTES = 28;
export const RXE_ATMACK_BYTES = 8;
export const RXE_IETH_BYTES = 4;
export const RXE_RDETH_BYTES = 4;
export const RXE_DETH_BYTES = 8;
export const RXE_IMMDT_BYTES = 4;
/** Kernel: rxe_hdr.h RXE_ICRC_SIZE. */
export const RXE_ICRC_SIZE = 4;

// ---- masks (rxe_opcode.h enum rxe_hdr_mask) ---------------------------------------------------

export const RXE_LRH_MASK = 1 << rxe_hdr_type.RXE_LRH;
export const RXE_GRH_MASK = 1 << rxe_hdr_type.RXE_GRH;
export const RXE_BTH_MASK = 1 << rxe_hdr_type.RXE_BTH;
export const RXE_IMMDT_MASK = 1 << rxe_hdr_type.RXE_IMMDT;
export const RXE_RETH_MASK = 1 << rxe_hdr_type.RXE_RETH;
export const RXE_AETH_MASK = 1 << rxe_hdr_type.RXE_AETH;
export const RXE_ATMETH_MASK = 1 << rxe_hdr_type.RXE_ATMETH;
export const RXE_ATMACK_MASK = 1 << rxe_hdr_type.RXE_ATMACK;
export const RXE_IETH_MASK = 1 << rxe_hdr_type.RXE_IETH;
export const RXE_RDETH_MASK = 1 << rxe_hdr_type.RXE_RDETH;
export const RXE_DETH_MASK = 1 << rxe_hdr_type.RXE_DETH;
export const RXE_FETH_MASK = 1 << rxe_hdr_type.RXE_FETH;
export const RXE_PAYLOAD_MASK = 1 << rxe_hdr_type.RXE_PAYLOAD;
export const RXE_REQ_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 0);
export const RXE_ACK_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 1);
export const RXE_SEND_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 2);
export const RXE_WRITE_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 3);
export const RXE_READ_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 4);
export const RXE_ATOMIC_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 5);
export const RXE_RWR_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 6);
export const RXE_COMP_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 7);
export const RXE_START_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 8);
export const RXE_MIDDLE_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 9);
export const RXE_END_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 10);
export const RXE_LOOPBACK_MASK = 1 << (rxe_hdr_type.NUM_HDR_TYPES + 12);
export const RXE_READ_OR_ATOMIC_MASK = RXE_READ_MASK | RXE_ATOMIC_MASK;
export const RXE_WRITE_OR_SEND_MASK = RXE_WRITE_MASK | RXE_SEND_MASK;
export const RXE_READ_OR_WRITE_MASK = RXE_READ_MASK | RXE_WRITE_MASK;

// ---- work-request classes (rxe_opcode.h enum rxe_wr_mask) -------------------------------------

export const WR_INLINE_MASK = 1 << 0;
export const WR_ATOMIC_MASK = 1 << 1;
export const WR_SEND_MASK = 1 << 2;
export const WR_READ_MASK = 1 << 3;
export const WR_WRITE_MASK = 1 << 4;
export const WR_LOCAL_OP_MASK = 1 << 5;
export const WR_READ_OR_WRITE_MASK = WR_READ_MASK | WR_WRITE_MASK;
export const WR_WRITE_OR_SEND_MASK = WR_WRITE_MASK | WR_SEND_MASK;
export const WR_ATOMIC_OR_READ_MASK = WR_ATOMIC_MASK | WR_READ_MASK;

/** Kernel: rxe_opcode.h enum rxe_wr_mask's per-type index (RXE_QPT_*): rc, uc, ud (GSI uses ud). */
export interface rxe_wr_opcode_info_entry {
  readonly name: string;
  readonly mask: { readonly rc: number; readonly uc: number; readonly ud: number };
}

const WR_SEND_INLINE = WR_INLINE_MASK | WR_SEND_MASK;
const WR_WRITE_INLINE = WR_INLINE_MASK | WR_WRITE_MASK;

/**
 * rxe_wr_opcode_info - per ib_wr_opcode: name and WR_*_MASK per QP type (0 = not valid).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_opcode.c rxe_wr_opcode_info[]
 * Divergence: BIND_MW, FLUSH and ATOMIC_WRITE are absent (no memory windows, no flush, no
 * atomic write in this model): posting them fails with EINVAL as an unknown opcode would.
 */
export const rxe_wr_opcode_info: Readonly<Record<number, rxe_wr_opcode_info_entry>> = {
  [ib_wr_opcode.IB_WR_RDMA_WRITE]: { name: 'IB_WR_RDMA_WRITE', mask: { rc: WR_WRITE_INLINE, uc: WR_WRITE_INLINE, ud: 0 } },
  [ib_wr_opcode.IB_WR_RDMA_WRITE_WITH_IMM]: { name: 'IB_WR_RDMA_WRITE_WITH_IMM', mask: { rc: WR_WRITE_INLINE, uc: WR_WRITE_INLINE, ud: 0 } },
  [ib_wr_opcode.IB_WR_SEND]: { name: 'IB_WR_SEND', mask: { rc: WR_SEND_INLINE, uc: WR_SEND_INLINE, ud: WR_SEND_INLINE } },
  [ib_wr_opcode.IB_WR_SEND_WITH_IMM]: { name: 'IB_WR_SEND_WITH_IMM', mask: { rc: WR_SEND_INLINE, uc: WR_SEND_INLINE, ud: WR_SEND_INLINE } },
  [ib_wr_opcode.IB_WR_RDMA_READ]: { name: 'IB_WR_RDMA_READ', mask: { rc: WR_READ_MASK, uc: 0, ud: 0 } },
  [ib_wr_opcode.IB_WR_ATOMIC_CMP_AND_SWP]: { name: 'IB_WR_ATOMIC_CMP_AND_SWP', mask: { rc: WR_ATOMIC_MASK, uc: 0, ud: 0 } },
  [ib_wr_opcode.IB_WR_ATOMIC_FETCH_AND_ADD]: { name: 'IB_WR_ATOMIC_FETCH_AND_ADD', mask: { rc: WR_ATOMIC_MASK, uc: 0, ud: 0 } },
  [ib_wr_opcode.IB_WR_SEND_WITH_INV]: { name: 'IB_WR_SEND_WITH_INV', mask: { rc: WR_SEND_INLINE, uc: WR_SEND_INLINE, ud: 0 } },
  [ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV]: { name: 'IB_WR_RDMA_READ_WITH_INV', mask: { rc: WR_READ_MASK, uc: 0, ud: 0 } },
  [ib_wr_opcode.IB_WR_LOCAL_INV]: { name: 'IB_WR_LOCAL_INV', mask: { rc: WR_LOCAL_OP_MASK, uc: WR_LOCAL_OP_MASK, ud: 0 } },
  [ib_wr_opcode.IB_WR_REG_MR]: { name: 'IB_WR_REG_MR', mask: { rc: WR_LOCAL_OP_MASK, uc: WR_LOCAL_OP_MASK, ud: 0 } },
};

// ---- the BTH opcode table ---------------------------------------------------------------------

/** One BTH opcode. Kernel: rxe_opcode.h struct rxe_opcode_info. */
export interface rxe_opcode_info {
  readonly name: string;
  readonly mask: number;
  /** Total header length, BTH included. */
  readonly length: number;
  /** Byte offset of each present header from the BTH, indexed by rxe_hdr_type. */
  readonly offset: readonly number[];
}

const HDR_BYTES: readonly [number, number][] = [
  [RXE_BTH_MASK, RXE_BTH_BYTES],
  [RXE_RDETH_MASK, RXE_RDETH_BYTES],
  [RXE_DETH_MASK, RXE_DETH_BYTES],
  [RXE_RETH_MASK, RXE_RETH_BYTES],
  [RXE_AETH_MASK, RXE_AETH_BYTES],
  [RXE_ATMETH_MASK, RXE_ATMETH_BYTES],
  [RXE_ATMACK_MASK, RXE_ATMACK_BYTES],
  [RXE_IETH_MASK, RXE_IETH_BYTES],
  [RXE_IMMDT_MASK, RXE_IMMDT_BYTES],
];

function entry(name: string, mask: number): rxe_opcode_info {
  mask |= RXE_BTH_MASK;
  const offset = new Array<number>(rxe_hdr_type.NUM_HDR_TYPES).fill(0);
  let off = 0;
  for (const [m, n] of HDR_BYTES) {
    if (mask & m) {
      offset[Math.log2(m)] = off;
      off += n;
    }
  }
  offset[rxe_hdr_type.RXE_PAYLOAD] = off;
  return Object.freeze({ name, mask, length: off, offset: Object.freeze(offset) });
}

const P = RXE_PAYLOAD_MASK;
const Q = RXE_REQ_MASK;

/**
 * rxe_opcode - the BTH opcode table (sparse: undefined for opcodes this HCA does not speak).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_opcode.c rxe_opcode[RXE_NUM_OPCODE]
 * Divergence: UC opcodes, RD opcodes, FLUSH (0x1c) and ATOMIC_WRITE (0x1d) are not modelled;
 * a packet with one of them is dropped by rxe_recv as an unknown opcode.
 */
export const rxe_opcode: readonly (rxe_opcode_info | undefined)[] = (() => {
  const t = new Array<rxe_opcode_info | undefined>(256).fill(undefined);
  const O = ib_opcode;
  t[O.IB_OPCODE_RC_SEND_FIRST] = entry('IB_OPCODE_RC_SEND_FIRST', P | Q | RXE_RWR_MASK | RXE_SEND_MASK | RXE_START_MASK);
  t[O.IB_OPCODE_RC_SEND_MIDDLE] = entry('IB_OPCODE_RC_SEND_MIDDLE', P | Q | RXE_SEND_MASK | RXE_MIDDLE_MASK);
  t[O.IB_OPCODE_RC_SEND_LAST] = entry('IB_OPCODE_RC_SEND_LAST', P | Q | RXE_COMP_MASK | RXE_SEND_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_SEND_LAST_WITH_IMMEDIATE] = entry('IB_OPCODE_RC_SEND_LAST_WITH_IMMEDIATE',
    RXE_IMMDT_MASK | P | Q | RXE_COMP_MASK | RXE_SEND_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_SEND_ONLY] = entry('IB_OPCODE_RC_SEND_ONLY',
    P | Q | RXE_COMP_MASK | RXE_RWR_MASK | RXE_SEND_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_SEND_ONLY_WITH_IMMEDIATE] = entry('IB_OPCODE_RC_SEND_ONLY_WITH_IMMEDIATE',
    RXE_IMMDT_MASK | P | Q | RXE_COMP_MASK | RXE_RWR_MASK | RXE_SEND_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_RDMA_WRITE_FIRST] = entry('IB_OPCODE_RC_RDMA_WRITE_FIRST', RXE_RETH_MASK | P | Q | RXE_WRITE_MASK | RXE_START_MASK);
  t[O.IB_OPCODE_RC_RDMA_WRITE_MIDDLE] = entry('IB_OPCODE_RC_RDMA_WRITE_MIDDLE', P | Q | RXE_WRITE_MASK | RXE_MIDDLE_MASK);
  t[O.IB_OPCODE_RC_RDMA_WRITE_LAST] = entry('IB_OPCODE_RC_RDMA_WRITE_LAST', P | Q | RXE_WRITE_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_RDMA_WRITE_LAST_WITH_IMMEDIATE] = entry('IB_OPCODE_RC_RDMA_WRITE_LAST_WITH_IMMEDIATE',
    RXE_IMMDT_MASK | P | Q | RXE_WRITE_MASK | RXE_COMP_MASK | RXE_RWR_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_RDMA_WRITE_ONLY] = entry('IB_OPCODE_RC_RDMA_WRITE_ONLY',
    RXE_RETH_MASK | P | Q | RXE_WRITE_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE] = entry('IB_OPCODE_RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE',
    RXE_RETH_MASK | RXE_IMMDT_MASK | P | Q | RXE_WRITE_MASK | RXE_COMP_MASK | RXE_RWR_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_RDMA_READ_REQUEST] = entry('IB_OPCODE_RC_RDMA_READ_REQUEST',
    RXE_RETH_MASK | Q | RXE_READ_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_RDMA_READ_RESPONSE_FIRST] = entry('IB_OPCODE_RC_RDMA_READ_RESPONSE_FIRST', RXE_AETH_MASK | P | RXE_ACK_MASK | RXE_START_MASK);
  t[O.IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE] = entry('IB_OPCODE_RC_RDMA_READ_RESPONSE_MIDDLE', P | RXE_ACK_MASK | RXE_MIDDLE_MASK);
  t[O.IB_OPCODE_RC_RDMA_READ_RESPONSE_LAST] = entry('IB_OPCODE_RC_RDMA_READ_RESPONSE_LAST', RXE_AETH_MASK | P | RXE_ACK_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_RDMA_READ_RESPONSE_ONLY] = entry('IB_OPCODE_RC_RDMA_READ_RESPONSE_ONLY',
    RXE_AETH_MASK | P | RXE_ACK_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_ACKNOWLEDGE] = entry('IB_OPCODE_RC_ACKNOWLEDGE', RXE_AETH_MASK | RXE_ACK_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_ATOMIC_ACKNOWLEDGE] = entry('IB_OPCODE_RC_ATOMIC_ACKNOWLEDGE',
    RXE_AETH_MASK | RXE_ATMACK_MASK | RXE_ACK_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_COMPARE_SWAP] = entry('IB_OPCODE_RC_COMPARE_SWAP', RXE_ATMETH_MASK | Q | RXE_ATOMIC_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_FETCH_ADD] = entry('IB_OPCODE_RC_FETCH_ADD', RXE_ATMETH_MASK | Q | RXE_ATOMIC_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_SEND_LAST_WITH_INVALIDATE] = entry('IB_OPCODE_RC_SEND_LAST_WITH_INVALIDATE',
    RXE_IETH_MASK | P | Q | RXE_COMP_MASK | RXE_SEND_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_RC_SEND_ONLY_WITH_INVALIDATE] = entry('IB_OPCODE_RC_SEND_ONLY_WITH_INVALIDATE',
    RXE_IETH_MASK | P | Q | RXE_COMP_MASK | RXE_RWR_MASK | RXE_SEND_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_UD_SEND_ONLY] = entry('IB_OPCODE_UD_SEND_ONLY',
    RXE_DETH_MASK | P | Q | RXE_COMP_MASK | RXE_RWR_MASK | RXE_SEND_MASK | RXE_START_MASK | RXE_END_MASK);
  t[O.IB_OPCODE_UD_SEND_ONLY_WITH_IMMEDIATE] = entry('IB_OPCODE_UD_SEND_ONLY_WITH_IMMEDIATE',
    RXE_DETH_MASK | RXE_IMMDT_MASK | P | Q | RXE_COMP_MASK | RXE_RWR_MASK | RXE_SEND_MASK | RXE_START_MASK | RXE_END_MASK);
  return Object.freeze(t);
})();

/** Per-opcode mask, 0 for an unknown opcode (hot path). Emulator-only flattening of rxe_opcode[]. */
export const rxe_opcode_mask: Int32Array = Int32Array.from(rxe_opcode, (e) => e?.mask ?? 0);
/** Per-opcode total header length (BTH included), 0 for an unknown opcode. */
export const rxe_opcode_length: Uint8Array = Uint8Array.from(rxe_opcode, (e) => e?.length ?? 0);
/** rxe_hdr_offset[hdr_type][opcode] = offset of that header from the BTH. */
export const rxe_hdr_offset: readonly Uint8Array[] = Array.from({ length: rxe_hdr_type.NUM_HDR_TYPES }, (_, h) =>
  Uint8Array.from(rxe_opcode, (e) => e?.offset[h] ?? 0));
/** Named shortcuts into rxe_hdr_offset. */
export const RETH_OFF = rxe_hdr_offset[rxe_hdr_type.RXE_RETH]!;
export const AETH_OFF = rxe_hdr_offset[rxe_hdr_type.RXE_AETH]!;
export const ATMETH_OFF = rxe_hdr_offset[rxe_hdr_type.RXE_ATMETH]!;
export const ATMACK_OFF = rxe_hdr_offset[rxe_hdr_type.RXE_ATMACK]!;
export const IETH_OFF = rxe_hdr_offset[rxe_hdr_type.RXE_IETH]!;
export const DETH_OFF = rxe_hdr_offset[rxe_hdr_type.RXE_DETH]!;
export const IMMDT_OFF = rxe_hdr_offset[rxe_hdr_type.RXE_IMMDT]!;

/** ib_opcode name for traces and messages ('0x1c' style for unknown ones). Emulator-only. */
export function rxe_opcode_name(opcode: number): string {
  return rxe_opcode[opcode]?.name ?? `0x${opcode.toString(16).padStart(2, '0')}`;
}
