/**
 * @packageDocumentation
 * `@rdmaemu/xdr_buf` - the buffer every RPC travels in: `kvec`, a bvec-backed `struct xdr_buf`,
 * `xdr_stream` encoding and decoding with the kernel's semantics, buffer surgery, and an RFC 4506
 * typed codec layer on top. Synchronous data structures only (no RxJS).
 *
 * | Kernel | rdmaemu |
 * |---|---|
 * | `include/linux/uio.h` `struct kvec` | `kvec` (`iov_base` is a `Uint8Array` view) (`xdr.h.ts`) |
 * | `include/linux/sunrpc/xdr.h` `struct xdr_buf`, `struct xdr_stream`, `XDR_UNIT`, `XDR_QUADLEN`, `xdr_align_size`, `XDRBUF_*` | same names (`xdr.h.ts`); C pointers become (view, offset) pairs |
 * | `xdr_buf_init`, `xdr_set_scratch_buffer`, `xdr_stream_remaining` | same names (`xdr.h.ts`) |
 * | `net/sunrpc/xdr.c` `xdr_buf_pagecount`, `xdr_alloc_bvec`, `xdr_buf_to_bvec`, `xdr_inline_pages`, `xdr_buf_subsegment`, `xdr_buf_trim`, `read_bytes_from_xdr_buf`, `xdr_encode_word`, `xdr_process_buf` … | same names (`xdr_buf.ts`); `xdr_buf_to_bvec` has the 2026 bounds-check fix |
 * | `_copy_from_pages`, `xdr_shrink_bufhead`, `xdr_shrink_pagelen`, `xdr_shift_buf` | same names (`xdr_buf_shift.ts`) |
 * | `xdr_init_encode`, `xdr_reserve_space`, `xdr_commit_encode`, `xdr_write_pages`, `xdr_truncate_encode`, `xdr_stream_encode_*` | same names (`xdr_stream_encode.ts`); `xdrReserveOffset` is the allocation-free form |
 * | `xdr_init_decode`, `xdr_inline_decode`, `xdr_read_pages`, `xdr_enter_page`, `xdr_stream_subsegment`, `xdr_stream_decode_*` | same names (`xdr_stream_decode.ts`); out-parameters are return values (negative = -errno) |
 * | hand-written XDR in `nfs3xdr.c`, `rpc_rdma.c` (RFC 4506) | `xdrStruct`, `xdrUnion`, `xdrArray`, … typed combinators (`xdr_codec.ts`) |
 *
 * Errors: `xdr_reserve_space`/`xdr_inline_decode` return `null`; the `xdr_stream_*` helpers return
 * `-EMSGSIZE`/`-EBADMSG` as numbers; the codec throws `KernelError` (`EBADMSG`, `EMSGSIZE`, `EINVAL`);
 * misuse the kernel BUG()s on throws `KernelBug`.
 */

// xdr.h.ts
export {
  XDR_UNIT, XDR_MAX_NETOBJ, XDRBUF_READ, XDRBUF_WRITE, XDRBUF_SPARSE_PAGES, xdr_zero, xdr_one, xdr_two,
  XDR_QUADLEN, xdr_align_size, xdr_pad_size, ZERO_LENGTH_VIEW, kvec, xdr_buf, xdr_buf_init, xdr_stream,
  xdr_set_scratch_buffer, xdr_set_scratch_page, xdr_reset_scratch_buffer, xdr_stream_remaining,
} from './xdr.h.js';

// xdr_buf.ts
export {
  xdr_buf_pagecount, xdr_alloc_bvec, xdr_free_bvec, xdr_buf_to_bvec, xdr_inline_pages, xdr_buf_from_iov,
  xdr_buf_subsegment, xdr_buf_trim, read_bytes_from_xdr_buf, write_bytes_to_xdr_buf, xdr_decode_word,
  xdr_encode_word, xdr_terminate_string, xdr_process_buf,
} from './xdr_buf.js';
export type { XdrBufToBvecInit, XdrProcessBufInit } from './xdr_buf.js';

// xdr_buf_shift.ts
export {
  _copy_to_pages, _copy_from_pages, _shift_data_right_pages, xdr_buf_try_expand, xdr_buf_head_shift_right,
  xdr_shrink_bufhead, xdr_shrink_pagelen, xdr_shift_buf,
} from './xdr_buf_shift.js';

// xdr_stream_encode.ts
export {
  xdr_stream_pos, xdr_page_pos, xdr_init_encode, xdr_init_encode_pages, __xdr_commit_encode, xdr_commit_encode,
  xdrReserveOffset, xdr_reserve_space, xdr_reserve_space_vec, xdr_truncate_encode, xdr_restrict_buflen,
  xdr_write_pages, xdr_encode_opaque_fixed, xdr_encode_opaque, xdr_stream_encode_u32, xdr_stream_encode_be32,
  xdr_stream_encode_u64, xdr_stream_encode_bool, xdr_stream_encode_item_present, xdr_stream_encode_item_absent,
  xdr_stream_encode_opaque_inline, xdr_stream_encode_opaque_fixed, xdr_stream_encode_opaque,
  xdr_stream_encode_uint32_array,
} from './xdr_stream_encode.js';

// xdr_stream_decode.ts
export {
  xdr_init_decode, xdr_init_decode_pages, xdr_inline_decode, xdr_read_pages, xdr_enter_page, xdr_set_pagelen,
  xdr_truncate_decode, xdr_stream_subsegment, xdr_stream_decode_u32, xdr_stream_decode_u64,
  xdrStreamDecodeU64Number, xdr_stream_decode_bool, xdr_stream_decode_opaque_fixed,
  xdr_stream_decode_opaque_inline, xdr_stream_decode_uint32_array, xdr_stream_decode_opaque,
  xdr_stream_decode_opaque_dup, xdr_stream_decode_string, xdr_stream_decode_string_dup,
} from './xdr_stream_decode.js';

// xdr_codec.ts
export {
  XDR_CODEC_MAX_DEPTH, xdrVoid, xdrInt, xdrUnsignedInt, xdrHyper, xdrUnsignedHyper, xdrBool, xdrEnum, xdrFloat,
  xdrDouble, xdrOpaqueFixed, xdrOpaque, xdrString, xdrArrayFixed, xdrArray, xdrOptional, xdrLinkedList, xdrStruct,
  xdrUnion, xdrLazy, xdrEncode, xdrDecode,
} from './xdr_codec.js';
export type { XdrType, XdrValue, XdrStructValue, XdrUnionValue } from './xdr_codec.js';
