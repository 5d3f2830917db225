/**
 * rpc_rdma.h - RPC-over-RDMA version 1 constants, wire segments and CM private data.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h, include/linux/sunrpc/xprtrdma.h (inline sizes),
 * net/sunrpc/xprtrdma/xprt_rdma.h (RPCRDMA_MAX_HDR_SEGS, enum rpcrdma_chunktype),
 * include/trace/events/rpcrdma.h (chunk type and proc names).
 *
 * Operation: RFC 8166 §4 defines the transport header as XDR. Every `__be32` in the kernel is a
 * number here read and written big-endian by the `xdr_*_segment` helpers below, so the kernel's
 * pre-swapped constants (`rdma_msg`, `err_vers`, `rpcrdma_version`, `rpcrdma_cmp_magic`) have the
 * same numeric values as their host-order twins.
 *
 * A segment's offset (RFC 8166 §4.1.1 "uint64 offset") is the remote address of an MR. The Linux
 * client puts the RPC XID in its high 32 bits (frwr_map), so it really uses all 64 bits: it is
 * kept exact as two u32 halves (`rs_offset_hi`, `rs_offset_lo`), which the per-segment decode path
 * fills without allocating a bigint; `rs_offset` is a bigint getter for the API.
 *
 * Invariants: every header item is 4-byte aligned; a segment is 4 XDR words (HLOO), a read
 * segment 5 (PHLOO) and a Read list entry 6 (1 + PHLOO).
 */
import type { u8, u32 } from '@rdmaemu/sim-core';

/**
 * RPCRDMA_VERSION - the RPC-over-RDMA protocol version this stack speaks (RFC 8166 §4.2.1).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h RPCRDMA_VERSION
 * @example
 * ```ts
 * if (vers !== RPCRDMA_VERSION) return -EPROTONOSUPPORT;
 * ```
 */
export const RPCRDMA_VERSION = 1;

/**
 * rpcrdma_version - RPCRDMA_VERSION as a wire word (`cpu_to_be32(RPCRDMA_VERSION)`).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h rpcrdma_version
 */
export const rpcrdma_version = RPCRDMA_VERSION;

/**
 * RPCRDMA_V1_DEF_INLINE_SIZE - the inline threshold both peers assume when none was negotiated
 * (RFC 8166 §3.3.2: 1024 bytes).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h RPCRDMA_V1_DEF_INLINE_SIZE
 */
export const RPCRDMA_V1_DEF_INLINE_SIZE = 1024;

/**
 * RPCRDMA_MIN_INLINE - smallest inline threshold the Linux client accepts (= the RFC 8166 default).
 *
 * Kernel: include/linux/sunrpc/xprtrdma.h RPCRDMA_MIN_INLINE
 */
export const RPCRDMA_MIN_INLINE = 1024;

/**
 * RPCRDMA_DEF_INLINE - the Linux client's default inline threshold, offered in the CM private
 * data (KERNEL.md §8.1): 4 KiB lets most NFS metadata operations travel in a single Send.
 *
 * Kernel: include/linux/sunrpc/xprtrdma.h RPCRDMA_DEF_INLINE
 */
export const RPCRDMA_DEF_INLINE = 4096;

/**
 * RPCRDMA_MAX_INLINE - largest inline threshold: 64 KiB, the most `cp_send_size`/`cp_recv_size`
 * can express in a byte ((63 + 1) << 10) and the Send buffer size the client will allocate.
 *
 * Kernel: include/linux/sunrpc/xprtrdma.h RPCRDMA_MAX_INLINE
 */
export const RPCRDMA_MAX_INLINE = 65536;

/**
 * rpcrdma_fixed_maxsz - XDR words of the fixed header: xid, vers, credit, proc.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h rpcrdma_fixed_maxsz
 */
export const rpcrdma_fixed_maxsz = 4;
/**
 * rpcrdma_segment_maxsz - XDR words of one RDMA segment (handle, length, offset: HLOO).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h rpcrdma_segment_maxsz
 */
export const rpcrdma_segment_maxsz = 4;
/**
 * rpcrdma_readseg_maxsz - XDR words of one read segment (position + HLOO).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h rpcrdma_readseg_maxsz
 */
export const rpcrdma_readseg_maxsz = 1 + rpcrdma_segment_maxsz;
/**
 * rpcrdma_readchunk_maxsz - XDR words of one Read list entry (discriminator + read segment).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h rpcrdma_readchunk_maxsz
 */
export const rpcrdma_readchunk_maxsz = 1 + rpcrdma_readseg_maxsz;

/**
 * RPCRDMA_HDRLEN_MIN - smallest RDMA_MSG / RDMA_NOMSG header: the fixed words and three empty
 * list discriminators (7 words = 28 bytes).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h RPCRDMA_HDRLEN_MIN
 */
export const RPCRDMA_HDRLEN_MIN = 4 * 7;

/**
 * RPCRDMA_HDRLEN_ERR - an RDMA_ERROR header with ERR_VERS: the fixed words plus `err` (5 words =
 * 20 bytes; the low/high version words follow).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h RPCRDMA_HDRLEN_ERR (sizeof(__be32) * 5)
 */
export const RPCRDMA_HDRLEN_ERR = 4 * 5;

/**
 * RPCRDMA_MAX_HDR_SEGS - the most RDMA segments the Linux client puts in one header's chunk lists.
 *
 * Rationale (xprt_rdma.h): so a transport can always make forward progress, chunk lists are capped
 * at 16 segments. Read list entries are the largest (6 words), so the lists never take more than
 * ((16 + 2) × read segment size) + 1 words, about 400 bytes; with the 24-byte fixed part at least
 * 600 bytes of a 1024-byte inline threshold remain for the RPC message. It also keeps less capable
 * devices from overrunning the Send buffer while chunk lists are built. (Older kernels: 8.) The
 * Linux server does not apply it to what it receives; see `svc_rdma_xdr_decode_req`.
 *
 * Kernel: net/sunrpc/xprtrdma/xprt_rdma.h RPCRDMA_MAX_HDR_SEGS
 */
export const RPCRDMA_MAX_HDR_SEGS = 16;

/**
 * rpcrdma_errcode - RDMA_ERROR error codes (RFC 8166 §4.2.3 rpc_rdma_errcode).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h enum rpcrdma_errcode
 * @example
 * ```ts
 * if (err === rpcrdma_errcode.ERR_VERS) console.log('peer speaks another version');
 * ```
 */
export enum rpcrdma_errcode {
  ERR_VERS = 1,
  ERR_CHUNK = 2,
}
/** err_vers - `cpu_to_be32(ERR_VERS)`. Kernel: include/linux/sunrpc/rpc_rdma.h err_vers */
export const err_vers = rpcrdma_errcode.ERR_VERS;
/** err_chunk - `cpu_to_be32(ERR_CHUNK)`. Kernel: include/linux/sunrpc/rpc_rdma.h err_chunk */
export const err_chunk = rpcrdma_errcode.ERR_CHUNK;

/**
 * rpcrdma_proc - transport header message types (RFC 8166 §4.2.4 rdma_proc).
 *
 * RDMA_MSGP and RDMA_DONE are obsolete (RFC 8166 §4.5): a receiver treats them as errors or drops
 * them.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h enum rpcrdma_proc
 */
export enum rpcrdma_proc {
  /** An RPC Call or Reply, inline after the header. */
  RDMA_MSG = 0,
  /** An RPC Call or Reply conveyed entirely in a chunk (PZRC or Reply chunk). */
  RDMA_NOMSG = 1,
  /** Padded RDMA_MSG (not used). */
  RDMA_MSGP = 2,
  /** Client signals Reply completion (not used). */
  RDMA_DONE = 3,
  /** A transport-level error report. */
  RDMA_ERROR = 4,
}
/** rdma_msg - `cpu_to_be32(RDMA_MSG)`. Kernel: include/linux/sunrpc/rpc_rdma.h rdma_msg */
export const rdma_msg = rpcrdma_proc.RDMA_MSG;
/** rdma_nomsg - `cpu_to_be32(RDMA_NOMSG)`. Kernel: include/linux/sunrpc/rpc_rdma.h rdma_nomsg */
export const rdma_nomsg = rpcrdma_proc.RDMA_NOMSG;
/** rdma_msgp - `cpu_to_be32(RDMA_MSGP)`. Kernel: include/linux/sunrpc/rpc_rdma.h rdma_msgp */
export const rdma_msgp = rpcrdma_proc.RDMA_MSGP;
/** rdma_done - `cpu_to_be32(RDMA_DONE)`. Kernel: include/linux/sunrpc/rpc_rdma.h rdma_done */
export const rdma_done = rpcrdma_proc.RDMA_DONE;
/** rdma_error - `cpu_to_be32(RDMA_ERROR)`. Kernel: include/linux/sunrpc/rpc_rdma.h rdma_error */
export const rdma_error = rpcrdma_proc.RDMA_ERROR;

/**
 * show_rpcrdma_proc - the trace name of a proc value (`RDMA_MSG` … `RDMA_ERROR`), or `UNKNOWN`.
 *
 * Kernel: include/trace/events/rpcrdma.h show_rpcrdma_proc()
 * @example
 * ```ts
 * show_rpcrdma_proc(1); // 'RDMA_NOMSG'
 * ```
 */
export function show_rpcrdma_proc(proc: u32): string {
  switch (proc) {
    case 0: return 'RDMA_MSG';
    case 1: return 'RDMA_NOMSG';
    case 2: return 'RDMA_MSGP';
    case 3: return 'RDMA_DONE';
    case 4: return 'RDMA_ERROR';
    default: return 'UNKNOWN';
  }
}

/**
 * rpcrdma_chunktype - how the client conveys an RPC Call (rtype) or expects its Reply (wtype).
 *
 * Kernel: net/sunrpc/xprtrdma/xprt_rdma.h enum rpcrdma_chunktype
 */
export enum rpcrdma_chunktype {
  /** Reply inline (wtype). */
  rpcrdma_noch = 0,
  /** Call inline, pulled up into the Send buffer. */
  rpcrdma_noch_pullup = 1,
  /** Call inline, head/pages/tail DMA-mapped as separate Send SGEs. */
  rpcrdma_noch_mapped = 2,
  /** Call payload in a Read chunk at position head.iov_len. */
  rpcrdma_readch = 3,
  /** Whole Call in a Position-Zero Read chunk (RDMA_NOMSG). */
  rpcrdma_areadch = 4,
  /** Reply payload in a Write chunk. */
  rpcrdma_writech = 5,
  /** Whole Reply in a Reply chunk. */
  rpcrdma_replych = 6,
}

/**
 * xprtrdma_show_chunktype - the trace name of a chunk type (OBSERVABILITY.md §0), or `UNKNOWN`.
 *
 * Kernel: include/trace/events/rpcrdma.h xprtrdma_show_chunktype()
 * @example
 * ```ts
 * xprtrdma_show_chunktype(rpcrdma_chunktype.rpcrdma_areadch); // '*read list'
 * ```
 */
export function xprtrdma_show_chunktype(type: rpcrdma_chunktype | number): string {
  return CHUNKTYPE_NAMES[type] ?? 'UNKNOWN';
}
const CHUNKTYPE_NAMES: readonly string[] = ['inline', 'pullup', 'mapped', 'read list', '*read list', 'write list', 'reply chunk'];

/**
 * rpcrdma_segment - one RDMA segment (RFC 8166 §4.1.1 xdr_rdma_segment): an MR's R_key, the byte
 * count, and the 64-bit remote address.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h struct rpcrdma_segment (as decoded into host order, cf.
 * struct svc_rdma_segment)
 * Divergence: `rs_offset` is stored as two u32 halves, `rs_offset_hi` (the XID for Linux-client
 * MRs) and `rs_offset_lo`, so decoding never allocates a bigint; the `rs_offset` getter returns the
 * exact bigint.
 * @example
 * ```ts
 * const seg = rpcrdmaSegment(0x1234, 8192, (0xdeadbeefn << 32n) | 0x1000n);
 * seg.rs_offset_hi; // 0xdeadbeef
 * ```
 */
export class rpcrdma_segment {
  /** R_key of the registered memory. */
  rs_handle: u32;
  /** Length of the segment in bytes. */
  rs_length: u32;
  /** High 32 bits of the offset. */
  rs_offset_hi: u32;
  /** Low 32 bits of the offset. */
  rs_offset_lo: u32;
  constructor(rs_handle: u32, rs_length: u32, rs_offset_hi: u32, rs_offset_lo: u32) {
    this.rs_handle = rs_handle;
    this.rs_length = rs_length;
    this.rs_offset_hi = rs_offset_hi;
    this.rs_offset_lo = rs_offset_lo;
  }
  /** The 64-bit offset, exact. */
  get rs_offset(): bigint {
    return (BigInt(this.rs_offset_hi) << 32n) | BigInt(this.rs_offset_lo);
  }
}

/**
 * rpcrdmaSegment - build a segment from a 64-bit offset (a bigint taken modulo 2^64, or a safe
 * integer number).
 *
 * Emulator-only.
 * @example
 * ```ts
 * rpcrdmaSegment(7, 4096, 0x1_0000_2000n);
 * ```
 */
export function rpcrdmaSegment(handle: u32, length: u32, offset: bigint | number): rpcrdma_segment {
  let hi: number;
  let lo: number;
  if (typeof offset === 'bigint') {
    const u = BigInt.asUintN(64, offset);
    hi = Number(u >> 32n);
    lo = Number(u & 0xffffffffn);
  } else {
    hi = Math.floor(offset / 4294967296);
    lo = offset - hi * 4294967296;
  }
  return new rpcrdma_segment(handle >>> 0, length >>> 0, hi >>> 0, lo >>> 0);
}

function get_be32(p: Uint8Array, off: number): u32 {
  return p[off]! * 16777216 + p[off + 1]! * 65536 + p[off + 2]! * 256 + p[off + 3]!;
}
function put_be32(p: Uint8Array, off: number, v: u32): void {
  p[off] = v >>> 24;
  p[off + 1] = v >>> 16;
  p[off + 2] = v >>> 8;
  p[off + 3] = v;
}

/**
 * xdr_encode_rdma_segment - write HLOO (16 bytes) at `p[off]`.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h xdr_encode_rdma_segment()
 * Divergence: (view, byte offset) instead of `__be32 *`; the segment is one object.
 * @returns the byte offset just past the segment
 * @example
 * ```ts
 * const p = new Uint8Array(16);
 * xdr_encode_rdma_segment(p, 0, rpcrdmaSegment(1, 2, 3));
 * ```
 */
export function xdr_encode_rdma_segment(p: Uint8Array, off: number, seg: rpcrdma_segment): number {
  put_be32(p, off, seg.rs_handle);
  put_be32(p, off + 4, seg.rs_length);
  put_be32(p, off + 8, seg.rs_offset_hi);
  put_be32(p, off + 12, seg.rs_offset_lo);
  return off + 16;
}

/**
 * xdr_encode_read_segment - write PHLOO (20 bytes) at `p[off]`.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h xdr_encode_read_segment()
 * @returns the byte offset just past the read segment
 */
export function xdr_encode_read_segment(p: Uint8Array, off: number, position: u32, seg: rpcrdma_segment): number {
  put_be32(p, off, position);
  return xdr_encode_rdma_segment(p, off + 4, seg);
}

/**
 * xdr_decode_rdma_segment - read HLOO (16 bytes) at `p[off]` (no bigint).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h xdr_decode_rdma_segment()
 * Divergence: returns the segment (C: out-parameters); the caller has bounds-checked `p`.
 * @example
 * ```ts
 * const seg = xdr_decode_rdma_segment(view, 0);
 * ```
 */
export function xdr_decode_rdma_segment(p: Uint8Array, off: number): rpcrdma_segment {
  return new rpcrdma_segment(get_be32(p, off), get_be32(p, off + 4), get_be32(p, off + 8), get_be32(p, off + 12));
}

/**
 * xdr_decode_read_segment - read the position word of PHLOO at `p[off]`; the segment follows at
 * `off + 4` (read it with xdr_decode_rdma_segment).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h xdr_decode_read_segment()
 * Divergence: split in two so that the position can be checked before a segment is allocated.
 * @returns the position
 */
export function xdr_decode_read_segment(p: Uint8Array, off: number): u32 {
  return get_be32(p, off);
}

/**
 * rpcrdma_cmp_magic - the first word of rpcrdma_connect_private (0xf6ab0e18).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h rpcrdma_cmp_magic
 */
export const rpcrdma_cmp_magic = 0xf6ab0e18;
/**
 * RPCRDMA_CMP_VERSION - the private-data format version (1).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h RPCRDMA_CMP_VERSION
 */
export const RPCRDMA_CMP_VERSION = 1;
/**
 * RPCRDMA_CMP_F_SND_W_INV_OK - `cp_flags` bit: the sender accepts Send With Invalidate.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h RPCRDMA_CMP_F_SND_W_INV_OK (BIT(0))
 */
export const RPCRDMA_CMP_F_SND_W_INV_OK = 1 << 0;

/** Bytes of rpcrdma_connect_private on the wire (`__packed`). Emulator-only. */
export const RPCRDMA_CONNECT_PRIVATE_SIZE = 8;

/**
 * rpcrdma_connect_private - the RPC-over-RDMA v1 private extension carried in the RDMA-CM
 * CONNECT REQUEST / REPLY private data (KERNEL.md §8.4).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h struct rpcrdma_connect_private
 */
export interface rpcrdma_connect_private {
  /** rpcrdma_cmp_magic. */
  cp_magic: u32;
  /** RPCRDMA_CMP_VERSION. */
  cp_version: u8;
  /** RPCRDMA_CMP_F_*. */
  cp_flags: u8;
  /** The sender's inline send size, rpcrdma_encode_buffer_size()-encoded. */
  cp_send_size: u8;
  /** The sender's inline receive size, rpcrdma_encode_buffer_size()-encoded. */
  cp_recv_size: u8;
}

/**
 * rpcrdma_encode_buffer_size - encode an inline size as `(size >> 10) − 1` in one byte.
 *
 * Sizes below 1024 wrap to 255, as the C u8 does.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h rpcrdma_encode_buffer_size()
 * @example
 * ```ts
 * rpcrdma_encode_buffer_size(4096); // 3
 * ```
 */
export function rpcrdma_encode_buffer_size(size: number): u8 {
  return ((size >>> 10) - 1) & 0xff;
}

/**
 * rpcrdma_decode_buffer_size - decode a one-byte inline size: `(val + 1) << 10`.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h rpcrdma_decode_buffer_size()
 * @example
 * ```ts
 * rpcrdma_decode_buffer_size(0); // 1024
 * ```
 */
export function rpcrdma_decode_buffer_size(val: u8): number {
  return ((val & 0xff) + 1) << 10;
}

/**
 * encodeConnectPrivate - the 8 wire bytes of a rpcrdma_connect_private.
 *
 * Emulator-only (the kernel casts the struct over the CM private data buffer).
 * @example
 * ```ts
 * const pd = encodeConnectPrivate({ cp_magic: rpcrdma_cmp_magic, cp_version: RPCRDMA_CMP_VERSION,
 *   cp_flags: RPCRDMA_CMP_F_SND_W_INV_OK, cp_send_size: 3, cp_recv_size: 3 });
 * ```
 */
export function encodeConnectPrivate(cp: rpcrdma_connect_private): Uint8Array {
  const out = new Uint8Array(RPCRDMA_CONNECT_PRIVATE_SIZE);
  put_be32(out, 0, cp.cp_magic >>> 0);
  out[4] = cp.cp_version;
  out[5] = cp.cp_flags;
  out[6] = cp.cp_send_size;
  out[7] = cp.cp_recv_size;
  return out;
}

/**
 * decodeConnectPrivate - parse CM private data as a rpcrdma_connect_private the way
 * rpcrdma_update_cm_private() (client) and svc_rdma_parse_connect_private() (server) accept it.
 *
 * Emulator-only.
 * @returns the fields, or null when the data is absent, shorter than 8 bytes, the magic differs or
 *   the version is not RPCRDMA_CMP_VERSION (the peer then gets the RFC 8166 defaults: 1024-byte
 *   inline sizes, no Send With Invalidate)
 * @example
 * ```ts
 * const cp = decodeConnectPrivate(event.param.private_data);
 * const inline_recv = cp ? rpcrdma_decode_buffer_size(cp.cp_send_size) : RPCRDMA_V1_DEF_INLINE_SIZE;
 * ```
 */
export function decodeConnectPrivate(data: Uint8Array | null | undefined): rpcrdma_connect_private | null {
  if (!data || data.length < RPCRDMA_CONNECT_PRIVATE_SIZE) return null;
  const cp_magic = get_be32(data, 0);
  if (cp_magic !== rpcrdma_cmp_magic || data[4] !== RPCRDMA_CMP_VERSION) return null;
  return { cp_magic, cp_version: data[4]!, cp_flags: data[5]!, cp_send_size: data[6]!, cp_recv_size: data[7]! };
}
