/**
 * rpc_rdma_xdr - the RPC-over-RDMA version 1 transport header codec shared by client and server:
 * encoders onto an `xdr_stream`, and the kernel's two validating decoders (the server's Call
 * header parse and the client's Reply header parse).
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c (encode_item_present/not_present, encode_rdma_segment,
 * encode_read_segment, rpcrdma_encode_{read_list,write_list,reply_chunk} minus MR registration,
 * rpcrdma_max_{call,reply}_header_size, decode_*, rpcrdma_decode_{msg,nomsg,error},
 * rpcrdma_reply_handler's prelude), net/sunrpc/xprtrdma/svc_rdma_recvfrom.c
 * (svc_rdma_xdr_decode_req, xdr_count_read_segments, xdr_check_{read_list,write_chunk,write_list,
 * reply_chunk}), net/sunrpc/xprtrdma/svc_rdma_pcl.c (grouping Read segments into chunks by
 * position), net/sunrpc/xprtrdma/svc_rdma_sendto.c (svc_rdma_send_error_msg's header).
 * The file name follows `nfs3xdr.c`: the XDR half of rpc_rdma.c and svc_rdma_recvfrom.c, which the
 * marshaling (rpc_rdma.ts) and svc_rdma_* engines call; those own MRs, DMA and xdr_buf fix-ups.
 *
 * Operation (RFC 8166 §4): a header is `xid, vers, credit, proc` and, for RDMA_MSG / RDMA_NOMSG,
 * three lists in the order read → write → reply:
 *   Read list:   1 P H L O O … 1 P H L O O 0   (segments with the same P form one chunk;
 *                                                P = 0 is the Position-Zero Read chunk)
 *   Write list:  1 N (H L O O)×N … 0            (one counted array per Write chunk)
 *   Reply chunk: 1 N (H L O O)×N  |  0          (an optional counted array)
 * RDMA_ERROR carries `err` and, for ERR_VERS, `low high`. RDMA_MSGP carries `align thresh` then
 * the three lists. RDMA_DONE has no body.
 *
 * Error model (STYLE §4): nothing here throws on peer input. Encoders return 0 or -EMSGSIZE (the
 * kernel's contract). The server decoder returns a `SvcRdmaDecodeVerdict` whose `status` is the
 * kernel's return value (header length, 0 = drop, -EPROTONOSUPPORT → ERR_VERS, -EINVAL →
 * ERR_CHUNK); the client decoders return the kernel's int (a length or -EIO / -EREMOTEIO) along
 * with the decoded lists. Every read is bounds-checked by `xdr_inline_decode`, so a huge count
 * fails on the first missing byte instead of allocating.
 *
 * Invariants: positions in a decoded Call are multiples of 4; a decoded Write or Reply chunk has
 * 1..maxpages segments; an accepted Call header never extends past the received bytes.
 */
import { PAGE_SHIFT } from '@rdmaemu/dma-core';
import { errno, type u32 } from '@rdmaemu/sim-core';
import {
  xdr_align_size, xdr_init_decode, xdr_inline_decode, xdr_stream, xdr_stream_decode_u32, xdr_stream_pos,
  xdr_stream_remaining, xdrReserveOffset, type xdr_buf,
} from '@rdmaemu/xdr_buf';
import {
  RPCRDMA_HDRLEN_MIN, RPCRDMA_VERSION, rpcrdma_errcode, rpcrdma_fixed_maxsz, rpcrdma_proc, rpcrdma_readchunk_maxsz,
  rpcrdma_readseg_maxsz, rpcrdma_segment, rpcrdma_segment_maxsz, xdr_decode_rdma_segment, xdr_decode_read_segment,
  xdr_encode_rdma_segment, xdr_encode_read_segment,
} from './rpc_rdma.h.js';

const EMSGSIZE = -errno.EMSGSIZE;
const EIO = -errno.EIO;
const EINVAL = -errno.EINVAL;
const EPROTONOSUPPORT = -errno.EPROTONOSUPPORT;
const EREMOTEIO = -errno.EREMOTEIO;

/**
 * RPCSVC_MAXPAGES - pages of the largest RPC message the server accepts: a 1 MiB payload
 * (RPCSVC_MAXPAYLOAD) plus 2 pages for head and tail plus 1 for alignment. The default
 * `rc_maxpages` bound for incoming chunk segment counts and Read segment lengths.
 *
 * Kernel: include/linux/sunrpc/svc.h RPCSVC_MAXPAGES
 */
export const RPCSVC_MAXPAGES = (1 << 20) / (1 << PAGE_SHIFT) + 2 + 1;

/**
 * RpcrdmaReadChunk - one Read chunk: the Read list segments that share a position (RFC 8166 §3.4.5).
 *
 * Emulator-only (the kernel's parsed form is svc_rdma_chunk: ch_position, ch_segments).
 */
export interface RpcrdmaReadChunk {
  /** XDR byte offset of the chunk in the RPC message; 0 = Position-Zero Read chunk. */
  position: u32;
  /** The chunk's segments, in wire order. */
  segments: rpcrdma_segment[];
}

/** RpcrdmaWriteChunk - a Write chunk or the Reply chunk: a counted array of segments. Emulator-only. */
export type RpcrdmaWriteChunk = rpcrdma_segment[];

/**
 * RpcrdmaErrorBody - the body of RDMA_ERROR (RFC 8166 §4.2.3 rpc_rdma_error).
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h struct rpcrdma_msg rm_body.rm_error
 */
export interface RpcrdmaErrorBody {
  /** rpcrdma_errcode (any u32 on receive). */
  rm_err: u32;
  /** Lowest version the sender supports (ERR_VERS only; 0 otherwise). */
  rm_vers_low: u32;
  /** Highest version the sender supports (ERR_VERS only; 0 otherwise). */
  rm_vers_high: u32;
}

/**
 * RpcrdmaHeader - a whole transport header.
 *
 * The fixed fields keep the kernel's `struct rpcrdma_msg` names. The lists are emulator-only
 * shapes: `readList` groups segments into chunks by position, ascending (as svc_rdma_pcl orders
 * them), `writeList` is one array per Write chunk, `replyChunk` is null when absent.
 * `padded` is set for RDMA_MSGP only, `error` for RDMA_ERROR only.
 *
 * Kernel: include/linux/sunrpc/rpc_rdma.h struct rpcrdma_msg
 */
export interface RpcrdmaHeader {
  rm_xid: u32;
  rm_vers: u32;
  rm_credit: u32;
  rm_type: u32;
  readList: RpcrdmaReadChunk[];
  writeList: RpcrdmaWriteChunk[];
  replyChunk: RpcrdmaWriteChunk | null;
  padded: { rm_align: u32; rm_thresh: u32 } | null;
  error: RpcrdmaErrorBody | null;
}

/**
 * rpcrdmaHeader - an RpcrdmaHeader with empty lists and the given fixed fields.
 *
 * Emulator-only.
 * @example
 * ```ts
 * const hdr = rpcrdmaHeader({ rm_xid: 0x1234, rm_credit: 128, rm_type: rdma_msg });
 * ```
 */
export function rpcrdmaHeader(init: Partial<RpcrdmaHeader> = {}): RpcrdmaHeader {
  return {
    rm_xid: init.rm_xid ?? 0,
    rm_vers: init.rm_vers ?? RPCRDMA_VERSION,
    rm_credit: init.rm_credit ?? 0,
    rm_type: init.rm_type ?? rpcrdma_proc.RDMA_MSG,
    readList: init.readList ?? [],
    writeList: init.writeList ?? [],
    replyChunk: init.replyChunk ?? null,
    padded: init.padded ?? null,
    error: init.error ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Header size budgets (rpc_rdma.c)

/**
 * rpcrdma_max_call_header_size - bytes of the largest Call header: a Read list of `maxsegs`
 * entries plus a minimal Reply chunk.
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c rpcrdma_max_call_header_size() (after the 2019 fix that
 * adds RPCRDMA_HDRLEN_MIN instead of overwriting it)
 * @example
 * ```ts
 * rpcrdma_max_call_header_size(RPCRDMA_MAX_HDR_SEGS); // 28 + 16*24 + 24 = 436
 * ```
 */
export function rpcrdma_max_call_header_size(maxsegs: number): number {
  let size = RPCRDMA_HDRLEN_MIN;
  size += maxsegs * rpcrdma_readchunk_maxsz * 4;
  size += 4; // segment count
  size += rpcrdma_segment_maxsz * 4;
  size += 4; // list discriminator
  return size;
}

/**
 * rpcrdma_max_reply_header_size - bytes of the largest Reply header: one Write chunk of `maxsegs`.
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c rpcrdma_max_reply_header_size()
 * @example
 * ```ts
 * rpcrdma_max_reply_header_size(16); // 28 + 4 + 256 + 4 = 292
 * ```
 */
export function rpcrdma_max_reply_header_size(maxsegs: number): number {
  let size = RPCRDMA_HDRLEN_MIN;
  size += 4; // segment count
  size += maxsegs * rpcrdma_segment_maxsz * 4;
  size += 4; // list discriminator
  return size;
}

// ---------------------------------------------------------------------------------------------
// Encoders

function putWord(xdr: xdr_stream, v: u32): number {
  const off = xdrReserveOffset(xdr, 4);
  if (off < 0) return EMSGSIZE;
  const p = xdr.view;
  p[off] = v >>> 24;
  p[off + 1] = v >>> 16;
  p[off + 2] = v >>> 8;
  p[off + 3] = v;
  return 0;
}

/**
 * encode_item_present - encode an XDR optional-data discriminator of 1.
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c encode_item_present()
 * @returns 0, or -EMSGSIZE when the stream is full
 * @example
 * ```ts
 * if (encode_item_present(xdr) < 0) return -EMSGSIZE;
 * ```
 */
export function encode_item_present(xdr: xdr_stream): number {
  return putWord(xdr, 1);
}

/**
 * encode_item_not_present - encode an XDR optional-data discriminator of 0 (list end / absent).
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c encode_item_not_present()
 * @returns 0, or -EMSGSIZE
 */
export function encode_item_not_present(xdr: xdr_stream): number {
  return putWord(xdr, 0);
}

/**
 * encode_rdma_segment - encode one HLOO segment (4 words).
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c encode_rdma_segment()
 * Divergence: takes the segment (handle, length, offset) instead of the `rpcrdma_mr` it came from
 * (on the wire: handle = mr_handle, length = mr_length, offset = mr_offset).
 * @returns 0, or -EMSGSIZE
 * @example
 * ```ts
 * encode_rdma_segment(xdr, rpcrdmaSegment(rkey, 4096, iova));
 * ```
 */
export function encode_rdma_segment(xdr: xdr_stream, seg: rpcrdma_segment): number {
  const off = xdrReserveOffset(xdr, rpcrdma_segment_maxsz * 4);
  if (off < 0) return EMSGSIZE;
  xdr_encode_rdma_segment(xdr.view, off, seg);
  return 0;
}

/**
 * encode_read_segment - encode one Read list entry: `1, position, HLOO` (6 words).
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c encode_read_segment()
 * Divergence: takes a segment instead of an `rpcrdma_mr`.
 * @returns 0, or -EMSGSIZE
 */
export function encode_read_segment(xdr: xdr_stream, seg: rpcrdma_segment, position: u32): number {
  const off = xdrReserveOffset(xdr, rpcrdma_readchunk_maxsz * 4);
  if (off < 0) return EMSGSIZE;
  const p = xdr.view;
  p[off] = 0; p[off + 1] = 0; p[off + 2] = 0; p[off + 3] = 1;
  xdr_encode_read_segment(p, off + 4, position, seg);
  return 0;
}

/**
 * rpcrdmaEncodeFixedHeader - encode `xid, vers, credit, proc` (rpcrdma_fixed_maxsz words), as
 * rpcrdma_marshal_req() and the server's reply path begin.
 *
 * Emulator-only (inline code in the kernel).
 * @returns 0, or -EMSGSIZE
 * @example
 * ```ts
 * rpcrdmaEncodeFixedHeader(xdr, { rm_xid: xid, rm_vers: RPCRDMA_VERSION, rm_credit: 128, rm_type: rdma_msg });
 * ```
 */
export function rpcrdmaEncodeFixedHeader(xdr: xdr_stream, hdr: Pick<RpcrdmaHeader, 'rm_xid' | 'rm_vers' | 'rm_credit' | 'rm_type'>): number {
  const off = xdrReserveOffset(xdr, rpcrdma_fixed_maxsz * 4);
  if (off < 0) return EMSGSIZE;
  const p = xdr.view;
  const w = [hdr.rm_xid, hdr.rm_vers, hdr.rm_credit, hdr.rm_type];
  for (let i = 0; i < 4; i++) {
    const v = w[i]! >>> 0;
    p[off + 4 * i] = v >>> 24;
    p[off + 4 * i + 1] = v >>> 16;
    p[off + 4 * i + 2] = v >>> 8;
    p[off + 4 * i + 3] = v;
  }
  return 0;
}

/**
 * rpcrdmaEncodeReadList - encode a whole Read list: `1 P HLOO` per segment of each chunk, then 0.
 *
 * The XDR part of rpcrdma_encode_read_list(); the caller has registered the MRs. An empty list is
 * the single word 0 (rpcrdma_noch_pullup / noch_mapped).
 *
 * Emulator-only.
 * @returns 0, or -EMSGSIZE (the stream then holds a partial list, as in the kernel)
 * @example
 * ```ts
 * rpcrdmaEncodeReadList(xdr, [{ position: 148, segments: [seg] }]);
 * ```
 */
export function rpcrdmaEncodeReadList(xdr: xdr_stream, chunks: readonly RpcrdmaReadChunk[]): number {
  for (const chunk of chunks) {
    for (const seg of chunk.segments) {
      if (encode_read_segment(xdr, seg, chunk.position) < 0) return EMSGSIZE;
    }
  }
  return encode_item_not_present(xdr);
}

function encodeCountedArray(xdr: xdr_stream, chunk: RpcrdmaWriteChunk): number {
  if (encode_item_present(xdr) < 0) return EMSGSIZE;
  if (putWord(xdr, chunk.length) < 0) return EMSGSIZE;
  for (const seg of chunk) if (encode_rdma_segment(xdr, seg) < 0) return EMSGSIZE;
  return 0;
}

/**
 * rpcrdmaEncodeWriteList - encode a whole Write list: `1 N HLOO×N` per chunk, then 0.
 *
 * The XDR part of rpcrdma_encode_write_list() (which emits one chunk, or just 0 unless wtype is
 * rpcrdma_writech), and of the server's svc_rdma_encode_write_list(), which echoes each chunk
 * with the lengths actually written (RFC 8166 §4.3.2).
 *
 * Emulator-only.
 * @returns 0, or -EMSGSIZE
 */
export function rpcrdmaEncodeWriteList(xdr: xdr_stream, chunks: readonly RpcrdmaWriteChunk[]): number {
  for (const chunk of chunks) if (encodeCountedArray(xdr, chunk) < 0) return EMSGSIZE;
  return encode_item_not_present(xdr);
}

/**
 * rpcrdmaEncodeReplyChunk - encode the Reply chunk: `1 N HLOO×N`, or 0 when `chunk` is null.
 *
 * The XDR part of rpcrdma_encode_reply_chunk() / svc_rdma_encode_reply_chunk().
 *
 * Emulator-only.
 * @returns 0, or -EMSGSIZE
 */
export function rpcrdmaEncodeReplyChunk(xdr: xdr_stream, chunk: RpcrdmaWriteChunk | null): number {
  if (chunk === null) return encode_item_not_present(xdr);
  return encodeCountedArray(xdr, chunk);
}

/**
 * rpcrdmaEncodeHeader - encode a whole transport header of any proc.
 *
 * RDMA_MSG / RDMA_NOMSG: the fixed words and the three lists. RDMA_MSGP: `rm_align, rm_thresh`
 * (from `hdr.padded`, default 0) then the lists. RDMA_DONE: the fixed words only. RDMA_ERROR:
 * `rm_err`, plus `low, high` when rm_err is ERR_VERS (svc_rdma_send_error_msg's layout). Any other
 * proc: the fixed words only. Nothing is validated: tests use this to build bad headers.
 *
 * Emulator-only.
 * @returns 0, or -EMSGSIZE
 * @example Build the RDMA_ERROR a Linux server sends for a bad version
 * ```ts
 * rpcrdmaEncodeHeader(xdr, rpcrdmaHeader({ rm_xid, rm_vers: 2, rm_credit: 64, rm_type: rdma_error,
 *   error: { rm_err: err_vers, rm_vers_low: 1, rm_vers_high: 1 } }));
 * ```
 */
export function rpcrdmaEncodeHeader(xdr: xdr_stream, hdr: RpcrdmaHeader): number {
  if (rpcrdmaEncodeFixedHeader(xdr, hdr) < 0) return EMSGSIZE;
  if (hdr.rm_type === rpcrdma_proc.RDMA_MSGP) {
    // the padded header: align and thresh, then the three lists
    if (putWord(xdr, hdr.padded?.rm_align ?? 0) < 0) return EMSGSIZE;
    if (putWord(xdr, hdr.padded?.rm_thresh ?? 0) < 0) return EMSGSIZE;
  }
  switch (hdr.rm_type) {
    case rpcrdma_proc.RDMA_MSGP:
    case rpcrdma_proc.RDMA_MSG:
    case rpcrdma_proc.RDMA_NOMSG:
      if (rpcrdmaEncodeReadList(xdr, hdr.readList) < 0) return EMSGSIZE;
      if (rpcrdmaEncodeWriteList(xdr, hdr.writeList) < 0) return EMSGSIZE;
      return rpcrdmaEncodeReplyChunk(xdr, hdr.replyChunk);
    case rpcrdma_proc.RDMA_ERROR: {
      const err = hdr.error ?? { rm_err: rpcrdma_errcode.ERR_CHUNK, rm_vers_low: 0, rm_vers_high: 0 };
      if (putWord(xdr, err.rm_err) < 0) return EMSGSIZE;
      if (err.rm_err === rpcrdma_errcode.ERR_VERS) {
        if (putWord(xdr, err.rm_vers_low) < 0) return EMSGSIZE;
        if (putWord(xdr, err.rm_vers_high) < 0) return EMSGSIZE;
      }
      return 0;
    }
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding helpers

function be32(p: Uint8Array, off: number): u32 {
  return p[off]! * 16777216 + p[off + 1]! * 65536 + p[off + 2]! * 256 + p[off + 3]!;
}

/** Next discriminator word: 0 absent, 1 present (any non-zero, xdr_item_is_present), -1 overrun. */
function decodeDiscrim(xdr: xdr_stream): number {
  const v = xdr_stream_decode_u32(xdr);
  if (v < 0) return -1;
  return v !== 0 ? 1 : 0;
}

/** Insert `seg` into the chunk at `position`, keeping chunks ascending (pcl_insert_position). */
function addReadSegment(list: RpcrdmaReadChunk[], position: u32, seg: rpcrdma_segment): void {
  let i = 0;
  for (; i < list.length; i++) {
    const c = list[i]!;
    if (c.position === position) {
      c.segments.push(seg);
      return;
    }
    if (c.position > position) break;
  }
  list.splice(i, 0, { position, segments: [seg] });
}

/** A counted array of `segcount` segments already bounds-checked as one `xdr_inline_decode`. */
function decodeSegments(p: Uint8Array, segcount: number): rpcrdma_segment[] {
  const out: rpcrdma_segment[] = new Array<rpcrdma_segment>(segcount);
  for (let i = 0; i < segcount; i++) out[i] = xdr_decode_rdma_segment(p, i * 16);
  return out;
}

/**
 * rpcrdmaDecodeHeader - parse any transport header structurally (RFC 8166 §4), without the
 * kernel's policy checks (version, proc, positions, one Write chunk): a dissector for traces,
 * captures and tests.
 *
 * `buf` is decoded from its start. Unknown procs decode as the fixed words only.
 *
 * Emulator-only.
 * @returns the header and its length in bytes, or -EBADMSG when the header runs past `buf.len`
 * @example
 * ```ts
 * const r = rpcrdmaDecodeHeader(buf);
 * if (typeof r !== 'number') console.log(r.hdr.rm_xid, r.hdr_len);
 * ```
 */
export function rpcrdmaDecodeHeader(buf: xdr_buf): { hdr: RpcrdmaHeader; hdr_len: number } | number {
  const EBADMSG = -errno.EBADMSG;
  const xdr = new xdr_stream();
  xdr_init_decode(xdr, buf, null);
  const p = xdr_inline_decode(xdr, rpcrdma_fixed_maxsz * 4);
  if (p === null) return EBADMSG;
  const hdr = rpcrdmaHeader({ rm_xid: be32(p, 0), rm_vers: be32(p, 4), rm_credit: be32(p, 8), rm_type: be32(p, 12) });
  if (hdr.rm_type === rpcrdma_proc.RDMA_MSGP) {
    const q = xdr_inline_decode(xdr, 8);
    if (q === null) return EBADMSG;
    hdr.padded = { rm_align: be32(q, 0), rm_thresh: be32(q, 4) };
  }
  switch (hdr.rm_type) {
    case rpcrdma_proc.RDMA_MSGP:
    case rpcrdma_proc.RDMA_MSG:
    case rpcrdma_proc.RDMA_NOMSG: {
      for (;;) {
        const d = decodeDiscrim(xdr);
        if (d < 0) return EBADMSG;
        if (d === 0) break;
        const q = xdr_inline_decode(xdr, rpcrdma_readseg_maxsz * 4);
        if (q === null) return EBADMSG;
        addReadSegment(hdr.readList, xdr_decode_read_segment(q, 0), xdr_decode_rdma_segment(q, 4));
      }
      for (;;) {
        const d = decodeDiscrim(xdr);
        if (d < 0) return EBADMSG;
        if (d === 0) break;
        const chunk = decodeCountedArray(xdr);
        if (chunk === null) return EBADMSG;
        hdr.writeList.push(chunk);
      }
      const d = decodeDiscrim(xdr);
      if (d < 0) return EBADMSG;
      if (d === 1) {
        const chunk = decodeCountedArray(xdr);
        if (chunk === null) return EBADMSG;
        hdr.replyChunk = chunk;
      }
      break;
    }
    case rpcrdma_proc.RDMA_ERROR: {
      const err = xdr_stream_decode_u32(xdr);
      if (err < 0) return EBADMSG;
      hdr.error = { rm_err: err, rm_vers_low: 0, rm_vers_high: 0 };
      if (err === rpcrdma_errcode.ERR_VERS) {
        const q = xdr_inline_decode(xdr, 8);
        if (q === null) return EBADMSG;
        hdr.error.rm_vers_low = be32(q, 0);
        hdr.error.rm_vers_high = be32(q, 4);
      }
      break;
    }
    default:
      break;
  }
  return { hdr, hdr_len: xdr_stream_pos(xdr) };
}

function decodeCountedArray(xdr: xdr_stream): rpcrdma_segment[] | null {
  const segcount = xdr_stream_decode_u32(xdr);
  if (segcount < 0) return null;
  if (segcount === 0) return [];
  const q = xdr_inline_decode(xdr, segcount * rpcrdma_segment_maxsz * 4);
  if (q === null) return null;
  return decodeSegments(q, segcount);
}

// ---------------------------------------------------------------------------------------------
// Server: svc_rdma_xdr_decode_req

/**
 * SvcRdmaDecodeReason - why svc_rdma_xdr_decode_req() rejected or dropped a Call header.
 *
 * `short` (svcrdma_decode_short_err), `badproc` (svcrdma_decode_badproc_err), the list checks
 * (svcrdma_decode_parse_err): `read_list` / `write_list` / `reply_chunk` ran past the received
 * bytes; `read_position` not a multiple of 4; `read_length` a Read segment longer than maxpages
 * pages; `write_segcount` / `reply_segcount` 0 or more than maxpages segments;
 * `too_many_segments` over the optional `maxSegments` cap. Drops (svcrdma_decode_drop_err):
 * `rdma_done`, `rdma_error`.
 *
 * Emulator-only.
 */
export type SvcRdmaDecodeReason =
  | 'short' | 'badproc' | 'read_list' | 'read_position' | 'read_length' | 'write_list' | 'write_segcount'
  | 'reply_chunk' | 'reply_segcount' | 'too_many_segments' | 'rdma_done' | 'rdma_error';

/**
 * SvcRdmaDecodeVerdict - the outcome of svc_rdma_xdr_decode_req().
 *
 * `status` is the kernel's return value: the header length for `ok`, 0 for `drop` (silently
 * discarded), -EPROTONOSUPPORT for `err_vers` (answer RDMA_ERROR ERR_VERS {1, 1}) and -EINVAL for
 * `err_chunk` (answer RDMA_ERROR ERR_CHUNK). `rm_xid` / `rm_vers` are the first two received words
 * (0 when fewer were received), which the error reply echoes.
 *
 * Emulator-only.
 */
export type SvcRdmaDecodeVerdict =
  | { kind: 'ok'; status: number; hdr: RpcrdmaHeader }
  | { kind: 'err_vers'; status: number; rm_xid: u32; rm_vers: u32 }
  | { kind: 'err_chunk'; status: number; reason: SvcRdmaDecodeReason; rm_xid: u32; rm_vers: u32 }
  | { kind: 'drop'; status: number; reason: 'rdma_done' | 'rdma_error'; rm_xid: u32; rm_vers: u32 };

/**
 * SvcRdmaDecodeInit - limits for svc_rdma_xdr_decode_req().
 *
 * Emulator-only.
 */
export interface SvcRdmaDecodeInit {
  /**
   * rc_maxpages: the most segments in one Write / Reply chunk, and (× PAGE_SIZE) the longest Read
   * segment.
   * @default RPCSVC_MAXPAGES
   */
  maxpages?: number;
  /**
   * Emulator-only cap on segments per list (Read list, Write list, Reply chunk); e.g.
   * RPCRDMA_MAX_HDR_SEGS to model a strict peer. The Linux server has no such cap.
   * @default Infinity
   */
  maxSegments?: number;
}

/**
 * svc_rdma_xdr_decode_req - parse and validate an incoming Call's transport header.
 *
 * The checks, in the kernel's order: fewer than 4 words → ERR_CHUNK; vers ≠ 1 → ERR_VERS;
 * RDMA_DONE / RDMA_ERROR → drop; any proc but RDMA_MSG / RDMA_NOMSG → ERR_CHUNK; then the Read list
 * (xdr_count_read_segments: each entry inside the buffer, length ≤ maxpages << PAGE_SHIFT,
 * non-zero position & 3 = 0), the Write list and the Reply chunk (xdr_check_write_chunk: segcount
 * 1..maxpages and all segments inside the buffer) → ERR_CHUNK on any failure. Read segments are
 * grouped into chunks by position, ascending (pcl_alloc_call / pcl_alloc_read); position 0 is the
 * PZRC. Several Write chunks are accepted, as in current kernels.
 *
 * On success, like the kernel, `rq_arg.head[0]` is advanced past the header (`iov_base` becomes a
 * subarray, `iov_len` and `len` shrink by the header length): for RDMA_MSG it starts at the RPC Call.
 *
 * Kernel: net/sunrpc/xprtrdma/svc_rdma_recvfrom.c svc_rdma_xdr_decode_req()
 * Divergence: returns a verdict object (the kernel returns the int in `status` and fills
 * rc_*_pcl); the header must be in `rq_arg.head[0]` (the kernel's stated assumption).
 * `maxSegments` is emulator-only.
 * @param rq_arg the received message, header first
 * @param init limits
 * @returns the verdict; never throws on peer input
 * @example
 * ```ts
 * const v = svc_rdma_xdr_decode_req(rq_arg);
 * if (v.kind === 'err_vers' || v.kind === 'err_chunk') send(svcRdmaErrorHeader(v, 64));
 * ```
 */
export function svc_rdma_xdr_decode_req(rq_arg: xdr_buf, init: SvcRdmaDecodeInit = {}): SvcRdmaDecodeVerdict {
  const maxpages = init.maxpages ?? RPCSVC_MAXPAGES;
  const maxSegments = init.maxSegments ?? Infinity;
  const maxReadLength = maxpages * (1 << PAGE_SHIFT);
  const head = rq_arg.head[0];
  const raw = head.iov_base;
  const rawLen = Math.min(head.iov_len, rq_arg.len, raw.length);
  const rm_xid = rawLen >= 4 ? be32(raw, 0) : 0;
  const rm_vers = rawLen >= 8 ? be32(raw, 4) : 0;
  const chunkErr = (reason: SvcRdmaDecodeReason): SvcRdmaDecodeVerdict => ({ kind: 'err_chunk', status: EINVAL, reason, rm_xid, rm_vers });

  const xdr = new xdr_stream();
  xdr_init_decode(xdr, rq_arg, null);
  const p = xdr_inline_decode(xdr, rpcrdma_fixed_maxsz * 4);
  if (p === null) return chunkErr('short');
  if (be32(p, 4) !== RPCRDMA_VERSION) return { kind: 'err_vers', status: EPROTONOSUPPORT, rm_xid, rm_vers };
  const hdr = rpcrdmaHeader({ rm_xid: be32(p, 0), rm_vers: RPCRDMA_VERSION, rm_credit: be32(p, 8), rm_type: be32(p, 12) });
  switch (hdr.rm_type) {
    case rpcrdma_proc.RDMA_MSG:
    case rpcrdma_proc.RDMA_NOMSG:
      break;
    case rpcrdma_proc.RDMA_DONE:
      return { kind: 'drop', status: 0, reason: 'rdma_done', rm_xid, rm_vers };
    case rpcrdma_proc.RDMA_ERROR:
      return { kind: 'drop', status: 0, reason: 'rdma_error', rm_xid, rm_vers };
    default:
      return chunkErr('badproc');
  }

  // xdr_check_read_list / xdr_count_read_segments
  let nsegs = 0;
  let d = decodeDiscrim(xdr);
  if (d < 0) return chunkErr('read_list');
  while (d === 1) {
    const q = xdr_inline_decode(xdr, rpcrdma_readseg_maxsz * 4);
    if (q === null) return chunkErr('read_list');
    const position = xdr_decode_read_segment(q, 0);
    const seg = xdr_decode_rdma_segment(q, 4);
    if (seg.rs_length > maxReadLength) return chunkErr('read_length');
    if (position & 3) return chunkErr('read_position');
    if (++nsegs > maxSegments) return chunkErr('too_many_segments');
    addReadSegment(hdr.readList, position, seg);
    d = decodeDiscrim(xdr);
    if (d < 0) return chunkErr('read_list');
  }

  // xdr_check_write_list / xdr_count_write_chunks
  nsegs = 0;
  d = decodeDiscrim(xdr);
  if (d < 0) return chunkErr('write_list');
  while (d === 1) {
    const segcount = xdr_stream_decode_u32(xdr);
    if (segcount < 0) return chunkErr('write_list');
    if (segcount === 0 || segcount > maxpages) return chunkErr('write_segcount');
    const q = xdr_inline_decode(xdr, segcount * rpcrdma_segment_maxsz * 4);
    if (q === null) return chunkErr('write_list');
    nsegs += segcount;
    if (nsegs > maxSegments) return chunkErr('too_many_segments');
    hdr.writeList.push(decodeSegments(q, segcount));
    d = decodeDiscrim(xdr);
    if (d < 0) return chunkErr('write_list');
  }

  // xdr_check_reply_chunk
  d = decodeDiscrim(xdr);
  if (d < 0) return chunkErr('reply_chunk');
  if (d === 1) {
    const segcount = xdr_stream_decode_u32(xdr);
    if (segcount < 0) return chunkErr('reply_chunk');
    if (segcount === 0 || segcount > maxpages) return chunkErr('reply_segcount');
    const q = xdr_inline_decode(xdr, segcount * rpcrdma_segment_maxsz * 4);
    if (q === null) return chunkErr('reply_chunk');
    if (segcount > maxSegments) return chunkErr('too_many_segments');
    hdr.replyChunk = decodeSegments(q, segcount);
  }

  const hdr_len = xdr_stream_pos(xdr);
  head.iov_base = head.iov_base.subarray(hdr_len);
  head.iov_len -= hdr_len;
  rq_arg.len -= hdr_len;
  return { kind: 'ok', status: hdr_len, hdr };
}

/**
 * svcRdmaErrorHeader - the RDMA_ERROR header svc_rdma_send_error_msg() sends for a rejected Call:
 * the received xid and vers echoed, `sc_fc_credits`, then ERR_VERS {1, 1} for -EPROTONOSUPPORT or
 * ERR_CHUNK otherwise.
 *
 * Kernel: net/sunrpc/xprtrdma/svc_rdma_sendto.c svc_rdma_send_error_msg() (the header part)
 * @returns the header to encode with rpcrdmaEncodeHeader(), or null for `ok` and `drop` verdicts
 * @example
 * ```ts
 * const err = svcRdmaErrorHeader(verdict, 64);
 * if (err) rpcrdmaEncodeHeader(xdr, err);
 * ```
 */
export function svcRdmaErrorHeader(verdict: SvcRdmaDecodeVerdict, sc_fc_credits: u32): RpcrdmaHeader | null {
  if (verdict.kind === 'ok' || verdict.kind === 'drop') return null;
  const error: RpcrdmaErrorBody = verdict.kind === 'err_vers'
    ? { rm_err: rpcrdma_errcode.ERR_VERS, rm_vers_low: RPCRDMA_VERSION, rm_vers_high: RPCRDMA_VERSION }
    : { rm_err: rpcrdma_errcode.ERR_CHUNK, rm_vers_low: 0, rm_vers_high: 0 };
  return rpcrdmaHeader({
    rm_xid: verdict.rm_xid, rm_vers: verdict.rm_vers, rm_credit: sc_fc_credits, rm_type: rpcrdma_proc.RDMA_ERROR, error,
  });
}

// ---------------------------------------------------------------------------------------------
// Client: reply decoding (rpc_rdma.c)

/**
 * decode_rdma_segment - decode one HLOO segment.
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c decode_rdma_segment()
 * Divergence: returns the segment (C: its length through an out-parameter).
 * @returns the segment, or -EIO when the stream ends
 */
export function decode_rdma_segment(xdr: xdr_stream): rpcrdma_segment | number {
  const p = xdr_inline_decode(xdr, rpcrdma_segment_maxsz * 4);
  if (p === null) return EIO;
  return xdr_decode_rdma_segment(p, 0);
}

/**
 * decode_write_chunk - decode a counted array of segments and sum their lengths (u32 arithmetic).
 *
 * The lengths are the responder's: for a Write chunk in a Reply they are the bytes it actually
 * wrote (RFC 8166 §4.3.2), which the requester must use (libevpl bug #1, ORACLES.md §5).
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c decode_write_chunk()
 * @returns `{ segments, length }`, or -EIO when the stream ends (a huge count fails at the first
 *   missing segment)
 */
export function decode_write_chunk(xdr: xdr_stream): { segments: RpcrdmaWriteChunk; length: u32 } | number {
  let segcount = xdr_stream_decode_u32(xdr);
  if (segcount < 0) return EIO;
  const segments: rpcrdma_segment[] = [];
  let length = 0;
  while (segcount--) {
    const seg = decode_rdma_segment(xdr);
    if (typeof seg === 'number') return EIO;
    segments.push(seg);
    length = (length + seg.rs_length) >>> 0;
  }
  return { segments, length };
}

/**
 * decode_read_list - a Reply never carries a Read list: only the word 0 is accepted.
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c decode_read_list()
 * @returns 0, or -EIO if a Read list is present or the stream ends
 */
export function decode_read_list(xdr: xdr_stream): number {
  const d = decodeDiscrim(xdr);
  if (d !== 0) return EIO;
  return 0;
}

/**
 * decode_write_list - decode a Reply's Write list; at most one Write chunk is supported.
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c decode_write_list()
 * @returns `{ chunks, length }` (length = the chunk's summed, responder-updated segment lengths),
 *   or -EIO for a second chunk or when the stream ends
 */
export function decode_write_list(xdr: xdr_stream): { chunks: RpcrdmaWriteChunk[]; length: u32 } | number {
  const chunks: RpcrdmaWriteChunk[] = [];
  let length = 0;
  for (;;) {
    const d = decodeDiscrim(xdr);
    if (d < 0) return EIO;
    if (d === 0) break;
    if (chunks.length !== 0) return EIO;
    const chunk = decode_write_chunk(xdr);
    if (typeof chunk === 'number') return EIO;
    chunks.push(chunk.segments);
    length = (length + chunk.length) >>> 0;
  }
  return { chunks, length };
}

/**
 * decode_reply_chunk - decode a Reply's Reply chunk.
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c decode_reply_chunk()
 * @returns `{ chunk, length }` (chunk null and length 0 when absent), or -EIO when the stream ends
 */
export function decode_reply_chunk(xdr: xdr_stream): { chunk: RpcrdmaWriteChunk | null; length: u32 } | number {
  const d = decodeDiscrim(xdr);
  if (d < 0) return EIO;
  if (d === 0) return { chunk: null, length: 0 };
  const chunk = decode_write_chunk(xdr);
  if (typeof chunk === 'number') return EIO;
  return { chunk: chunk.segments, length: chunk.length };
}

/**
 * RpcrdmaDecodedReply - what the client's reply decoders found.
 *
 * `status` is the kernel function's return value. The lists are returned so that the caller can
 * use the responder's Write-chunk lengths (RFC 8166 §4.3.2) and unregister the right MRs.
 *
 * Emulator-only.
 */
export interface RpcrdmaDecodedReply {
  /** Length of the reconstructed reply, or -EIO / -EREMOTEIO. */
  status: number;
  /** The Write list (≤ 1 chunk), segment lengths as the responder updated them. */
  writeList: RpcrdmaWriteChunk[];
  /** Sum of the Write chunk's segment lengths (the kernel's `writelist`). */
  writelist: u32;
  /** The Reply chunk, or null. */
  replyChunk: RpcrdmaWriteChunk | null;
  /** Sum of the Reply chunk's segment lengths (the kernel's `replychunk`). */
  replychunk: u32;
  /** Inline RPC bytes after the transport header (RDMA_MSG; 0 otherwise). */
  rpclen: number;
  /** Byte offset of the inline RPC message from the start of the buffer (RDMA_MSG; 0 otherwise). */
  rpcOffset: number;
  /** The RDMA_ERROR body (RDMA_ERROR only). */
  error: RpcrdmaErrorBody | null;
}

function emptyReply(status: number): RpcrdmaDecodedReply {
  return { status, writeList: [], writelist: 0, replyChunk: null, replychunk: 0, rpclen: 0, rpcOffset: 0, error: null };
}

function decodeReplyLists(xdr: xdr_stream): RpcrdmaDecodedReply {
  const out = emptyReply(0);
  if (decode_read_list(xdr) < 0) return emptyReply(EIO);
  const wl = decode_write_list(xdr);
  if (typeof wl === 'number') return emptyReply(EIO);
  out.writeList = wl.chunks;
  out.writelist = wl.length;
  const rc = decode_reply_chunk(xdr);
  if (typeof rc === 'number') {
    out.status = EIO;
    return out;
  }
  out.replyChunk = rc.chunk;
  out.replychunk = rc.length;
  return out;
}

/**
 * rpcrdma_decode_msg - decode the rest of an RDMA_MSG Reply header (the stream is past the fixed
 * words).
 *
 * A Read list, a second Write chunk or a Reply chunk → -EIO. Otherwise the Reply length is the
 * inline RPC bytes plus the Write chunk's payload rounded up to XDR alignment:
 * `rpclen + xdr_align_size(writelist)`; the pad the requester adds is `writelist & 3`.
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c rpcrdma_decode_msg()
 * Divergence: does not perform rpcrdma_inline_fixup() into rq_rcv_buf nor update rx_stats; the
 * caller does, with `rpcOffset`, `rpclen` and `writelist`. Like the kernel, the Reply-chunk test is
 * on its summed length: a present Reply chunk whose segments are all 0 bytes long passes.
 * @returns the decoded reply; `status` is the kernel's return
 * @example
 * ```ts
 * const r = rpcrdma_decode_msg(xdr);
 * if (r.status < 0) return r.status;
 * ```
 */
export function rpcrdma_decode_msg(xdr: xdr_stream): RpcrdmaDecodedReply {
  const r = decodeReplyLists(xdr);
  if (r.status < 0) return r;
  if (r.replychunk !== 0) {
    r.status = EIO;
    return r;
  }
  r.rpcOffset = xdr_stream_pos(xdr);
  r.rpclen = xdr_stream_remaining(xdr);
  r.status = r.rpclen + xdr_align_size(r.writelist);
  return r;
}

/**
 * rpcrdma_decode_nomsg - decode the rest of an RDMA_NOMSG Reply header.
 *
 * A Write list (non-zero `writelist`) or a missing Reply chunk (`replychunk` 0) → -EIO; otherwise
 * the Reply, already in the Reply chunk, is `replychunk` bytes long.
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c rpcrdma_decode_nomsg()
 * Divergence: the kernel tests the summed lengths (`writelist`, `replychunk`); so does this, so a
 * present Reply chunk whose segments are all 0 bytes long is -EIO, exactly as in the kernel.
 * @returns the decoded reply; `status` is the kernel's return
 */
export function rpcrdma_decode_nomsg(xdr: xdr_stream): RpcrdmaDecodedReply {
  const r = decodeReplyLists(xdr);
  if (r.status < 0) return r;
  if (r.writelist !== 0) r.status = EIO;
  else if (r.replychunk === 0) r.status = EIO;
  else r.status = r.replychunk;
  return r;
}

/**
 * rpcrdma_decode_error - decode an RDMA_ERROR Reply body (err, and low/high for ERR_VERS).
 *
 * Kernel: net/sunrpc/xprtrdma/rpc_rdma.c rpcrdma_decode_error()
 * Divergence: returns -EREMOTEIO as KERNEL.md §8.5 and issue 6 specify (kernels before the 2020
 * fix "xprtrdma: Fix handling of RDMA_ERROR replies"); current kernels return -EIO because the
 * RPC client state machine does not know -EREMOTEIO. A header too short for `err` is -EIO.
 * @returns `status` -EREMOTEIO with `error` filled in (rm_vers_low/high 0 unless ERR_VERS carried
 *   them), or -EIO
 */
export function rpcrdma_decode_error(xdr: xdr_stream): RpcrdmaDecodedReply {
  const err = xdr_stream_decode_u32(xdr);
  if (err < 0) return emptyReply(EIO);
  const r = emptyReply(EREMOTEIO);
  r.error = { rm_err: err, rm_vers_low: 0, rm_vers_high: 0 };
  if (err === rpcrdma_errcode.ERR_VERS) {
    const p = xdr_inline_decode(xdr, 8);
    if (p !== null) {
      r.error.rm_vers_low = be32(p, 0);
      r.error.rm_vers_high = be32(p, 4);
    }
  }
  return r;
}

/**
 * RpcrdmaReplyVerdict - outcome of rpcrdmaDecodeReply(): `drop` (the reply handler discards the
 * Receive: fewer than 4 words, or vers ≠ 1) or `reply` (the fixed words and the proc's decode).
 *
 * Emulator-only.
 */
export type RpcrdmaReplyVerdict =
  | { kind: 'drop'; reason: 'short' | 'badversion' }
  | ({ kind: 'reply'; rm_xid: u32; rm_credit: u32; rm_type: u32 } & RpcrdmaDecodedReply);

/**
 * rpcrdmaDecodeReply - decode a received Reply's transport header as the client does:
 * rpcrdma_reply_handler()'s prelude (short → drop, vers ≠ 1 → drop) and rpcrdma_complete_rqst()'s
 * dispatch (RDMA_MSG, RDMA_NOMSG, RDMA_ERROR; any other proc, RDMA_MSGP included → -EIO).
 *
 * XID lookup, credit clamping and the inline fix-up are the caller's.
 *
 * Emulator-only.
 * @param rep_buf the received bytes (`rr_hdrbuf`), header first
 * @returns the verdict; never throws on peer input
 * @example
 * ```ts
 * const v = rpcrdmaDecodeReply(rep_buf);
 * if (v.kind === 'reply' && v.status >= 0) usePayload(v.writeList);
 * ```
 */
export function rpcrdmaDecodeReply(rep_buf: xdr_buf): RpcrdmaReplyVerdict {
  const xdr = new xdr_stream();
  xdr_init_decode(xdr, rep_buf, null);
  const p = xdr_inline_decode(xdr, rpcrdma_fixed_maxsz * 4);
  if (p === null) return { kind: 'drop', reason: 'short' };
  if (be32(p, 4) !== RPCRDMA_VERSION) return { kind: 'drop', reason: 'badversion' };
  const rm_xid = be32(p, 0);
  const rm_credit = be32(p, 8);
  const rm_type = be32(p, 12);
  let r: RpcrdmaDecodedReply;
  switch (rm_type) {
    case rpcrdma_proc.RDMA_MSG: r = rpcrdma_decode_msg(xdr); break;
    case rpcrdma_proc.RDMA_NOMSG: r = rpcrdma_decode_nomsg(xdr); break;
    case rpcrdma_proc.RDMA_ERROR: r = rpcrdma_decode_error(xdr); break;
    default: r = emptyReply(EIO);
  }
  return { kind: 'reply', rm_xid, rm_credit, rm_type, ...r };
}
