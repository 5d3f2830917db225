/**
 * @packageDocumentation
 * `@rdmaemu/sunrpc` - ONC RPC v2 (RFC 5531) with the Linux kernel's names and semantics: call
 * and reply headers, AUTH_NONE and AUTH_SYS on both sides, TCP record marking, and
 * RPC-over-RDMA v1 (RFC 8166).
 *
 * | Kernel | rdmaemu |
 * |---|---|
 * | `include/linux/sunrpc/msg_prot.h` enums `rpc_auth_flavors`, `rpc_msg_type`, `rpc_reply_stat`, `rpc_accept_stat`, `rpc_reject_stat`, `rpc_auth_stat`; `RPC_VERSION`, `RPC_MAX_AUTH_SIZE`, `RPC_LAST_STREAM_FRAGMENT` … | same names and values (`msg_prot.h.ts`) |
 * | `include/linux/sunrpc/auth.h` `struct rpc_auth`, `UNX_MAXNODENAME`, `UNX_NGROUPS`, `NUL_CALLSLACK`; `auth.c` `rpcauth_marshcred`, `rpcauth_checkverf`; `xdr.h` `xdr_stream_{en,de}code_opaque_auth` | same names (`auth.ts`); `rpc_auth` carries the credential ops as `marshal` / `validate` |
 * | `net/sunrpc/auth_null.c` `null_auth`, `nul_marshal`, `nul_validate`; `svcauth_unix.c` `svcauth_null_accept` | same names (`auth_null.ts`) |
 * | `net/sunrpc/auth_unix.c` `unx_create` + `unx_create_cred`, `unx_marshal`, `unx_validate`; `svcauth_unix.c` `svcauth_unix_accept` | `authunix_create()`, `unx_validate`, `svcauth_unix_accept` (`auth_unix.ts`) |
 * | `include/linux/sunrpc/svcauth.h` `enum svc_auth_status`, `struct svc_cred`, `init_svc_cred` | same names (`svcauth.h.ts`); `SvcAuthRqst` is the part of `svc_rqst` auth uses |
 * | `net/sunrpc/svcauth.c` `svc_authenticate` | same name (`svcauth.ts`) |
 * | `net/sunrpc/clnt.c` `rpc_encode_header`, `rpc_decode_header` | same names (`rpc_msg.ts`): fields + auth instead of an rpc_task, errno as return value |
 * | `net/sunrpc/svc.c` call-header decoding and reply headers of `svc_process_common` | `svcDecodeCallHeader`, `rpcEncodeReplyHeader` (`rpc_msg.ts`); `rpcDecodeCallHeader`, `rpcEncodeCallHeader`, `rpcDecodeReplyHeader` are the generic RFC 5531 codecs |
 * | `net/sunrpc/svc.c` `svc_create`, `svc_rqst_alloc`, `svc_process`, `svc_process_common`; `svc.h` `struct svc_program` / `svc_version` / `svc_procedure` / `svc_rqst` / `svc_serv`; `stats.h` `svc_stat` | same names (`svc.ts`); `svc_process` returns an `SvcProcessVerdict` (send or drop with a reason) |
 * | `fs/nfsd/nfscache.c` `nfsd_cache_lookup`, `nfsd_cache_update`, `nfsd_cache_csum`; `fs/nfsd/cache.h` `RC_*`, `RC_CSUMLEN` | `svcCacheLookup`, `svcCacheUpdate`, `svcCacheCsum`, `SvcReplyCache` (`cache.ts`): generalised to any program, keyed without the source port (RFC 8267) |
 * | `net/sunrpc/xprtsock.c` `xs_stream_record_marker`, `TCP_RCV_*` receive states; `svcsock.c` record limits | same names; `rpcEncodeRecord`, `RecordReassembler` (`xprtsock/record_marking.ts`) |
 * | `include/linux/sunrpc/rpc_rdma.h` `RPCRDMA_VERSION`, `rpcrdma_*_maxsz`, `RPCRDMA_HDRLEN_*`, `enum rpcrdma_errcode`/`rpcrdma_proc`, `rdma_msg` …, `struct rpcrdma_segment`, `xdr_{en,de}code_{rdma,read}_segment`, `struct rpcrdma_connect_private`, `rpcrdma_{en,de}code_buffer_size`; `xprtrdma.h` inline sizes; `xprt_rdma.h` `RPCRDMA_MAX_HDR_SEGS`, `enum rpcrdma_chunktype` | same names (`xprtrdma/rpc_rdma.h.ts`); a segment's 64-bit offset is two u32 halves plus a bigint getter |
 * | `net/sunrpc/xprtrdma/rpc_rdma.c` `encode_item_*`, `encode_{rdma,read}_segment`, `decode_*`, `rpcrdma_decode_{msg,nomsg,error}`, `rpcrdma_max_{call,reply}_header_size`; `svc_rdma_recvfrom.c` `svc_rdma_xdr_decode_req` | same names (`xprtrdma/rpc_rdma_xdr.ts`), returning verdict objects; `rpcrdmaEncode*` / `rpcrdmaDecodeHeader` / `rpcrdmaDecodeReply` are the list-level XDR (no MR registration) |
 *
 * Errors: header codecs return 0 or a negative errno (-EBADMSG, -EMSGSIZE, and the client's
 * statuses from `rpc_decode_header`) and never throw; server auth returns `svc_auth_status` with
 * `rq_auth_stat`; the record reassembler reports -EMSGSIZE / -EBADMSG as values.
 * `authunix_create` throws `KernelError` EINVAL for an invalid identity.
 */

// msg_prot.h.ts
export {
  RPC_VERSION, rpc_auth_flavors, RPC_MAX_MACHINENAME, RPC_MAX_AUTH_SIZE, rpc_msg_type, rpc_reply_stat,
  rpc_accept_stat, rpc_reject_stat, rpc_auth_stat, RPC_MAXNETNAMELEN, RPC_LAST_STREAM_FRAGMENT,
  RPC_FRAGMENT_SIZE_MASK, RPC_MAX_FRAGMENT_SIZE, RPC_CALLHDRSIZE, RPC_REPHDRSIZE, RPC_MAX_HEADER_WITH_AUTH,
  rpc_accept_stat_name, rpc_auth_stat_name,
} from './msg_prot.h.js';
export type { rpc_authflavor_t, rpc_fraghdr } from './msg_prot.h.js';

// auth.ts
export {
  NUL_CALLSLACK, NUL_REPLYSLACK, UNX_MAXNODENAME, UNX_NGROUPS, UNX_CALLSLACK, rpcauth_marshcred, rpcauth_checkverf,
  OpaqueAuth, xdr_stream_decode_opaque_auth, xdr_stream_encode_opaque_auth,
} from './auth.js';
export type { rpc_auth } from './auth.js';

// auth_null.ts
export { nul_marshal, nul_validate, null_auth, svcauth_null_accept } from './auth_null.js';

// auth_unix.ts
export { authunix_create, unx_validate, svcauth_unix_accept } from './auth_unix.js';
export type { AuthUnixInit, unx_auth } from './auth_unix.js';

// svcauth.h.ts
export { svc_auth_status, INVALID_UID, INVALID_GID, svc_cred, init_svc_cred } from './svcauth.h.js';
export type { SvcAuthRqst } from './svcauth.h.js';

// svcauth.ts
export { svc_authenticate } from './svcauth.js';

// rpc_msg.ts
export {
  RpcCallHeader, RpcReplyHeader, rpc_encode_header, rpcEncodeCallHeader, svcDecodeCallHeader, rpcDecodeCallHeader,
  rpcEncodeReplyHeader, rpcDecodeReplyHeader, rpc_decode_header,
} from './rpc_msg.js';
export type { RpcCallInit, RpcDecodeHeaderTask } from './rpc_msg.js';

// svc.ts
export {
  RPCSVC_MAXPAYLOAD_DEFAULT, svc_stat, svc_serv, svc_create, svc_rqst, svc_rqst_alloc, svc_process, svc_process_common,
} from './svc.js';
export type {
  svc_procedure, svc_version, svc_program, SvcCreateInit, SvcDropReason, SvcProcessVerdict,
} from './svc.js';

// cache.ts
export {
  RC_NOCACHE, RC_REPLSTAT, RC_REPLBUFF, RC_UNUSED, RC_INPROG, RC_DONE, RC_DROPIT, RC_REPLY, RC_DOIT, RC_CSUMLEN,
  SVC_DRC_DEFAULT_ENTRIES, SvcCacheRep, SvcReplyCache, svcCacheCsum, svcCacheLookup, svcCacheUpdate, svcCacheRcLine,
} from './cache.js';
export type {
  svc_cachetype, SvcCacheRqst, SvcCacheKey, SvcReplyCacheStats, SvcReplyCacheInit, SvcCacheLookupInit,
  SvcCacheUpdateInit,
} from './cache.js';

// xprtsock/record_marking.ts
export {
  TCP_RCV_LAST_FRAG, TCP_RCV_COPY_FRAGHDR, TCP_RCV_COPY_DATA, xs_stream_record_marker, rpcEncodeRecord,
  RecordReassembler, tcp_rcv_state_name,
} from './xprtsock/record_marking.js';
export type { RecordEncodeInit, RecordReassemblerInit } from './xprtsock/record_marking.js';

// xprtrdma/rpc_rdma.h.ts
export {
  RPCRDMA_VERSION, rpcrdma_version, RPCRDMA_V1_DEF_INLINE_SIZE, RPCRDMA_MIN_INLINE, RPCRDMA_DEF_INLINE,
  RPCRDMA_MAX_INLINE, rpcrdma_fixed_maxsz, rpcrdma_segment_maxsz, rpcrdma_readseg_maxsz, rpcrdma_readchunk_maxsz,
  RPCRDMA_HDRLEN_MIN, RPCRDMA_HDRLEN_ERR, RPCRDMA_MAX_HDR_SEGS, rpcrdma_errcode, err_vers, err_chunk, rpcrdma_proc,
  rdma_msg, rdma_nomsg, rdma_msgp, rdma_done, rdma_error, show_rpcrdma_proc, rpcrdma_chunktype,
  xprtrdma_show_chunktype, rpcrdma_segment, rpcrdmaSegment, xdr_encode_rdma_segment, xdr_encode_read_segment,
  xdr_decode_rdma_segment, xdr_decode_read_segment, rpcrdma_cmp_magic, RPCRDMA_CMP_VERSION,
  RPCRDMA_CMP_F_SND_W_INV_OK, RPCRDMA_CONNECT_PRIVATE_SIZE, rpcrdma_encode_buffer_size, rpcrdma_decode_buffer_size,
  encodeConnectPrivate, decodeConnectPrivate,
} from './xprtrdma/rpc_rdma.h.js';
export type { rpcrdma_connect_private } from './xprtrdma/rpc_rdma.h.js';

// xprtrdma/rpc_rdma_xdr.ts
export {
  RPCSVC_MAXPAGES, rpcrdmaHeader, rpcrdma_max_call_header_size, rpcrdma_max_reply_header_size, encode_item_present,
  encode_item_not_present, encode_rdma_segment, encode_read_segment, rpcrdmaEncodeFixedHeader, rpcrdmaEncodeReadList,
  rpcrdmaEncodeWriteList, rpcrdmaEncodeReplyChunk, rpcrdmaEncodeHeader, rpcrdmaDecodeHeader, svc_rdma_xdr_decode_req,
  svcRdmaErrorHeader, decode_rdma_segment, decode_write_chunk, decode_read_list, decode_write_list,
  decode_reply_chunk, rpcrdma_decode_msg, rpcrdma_decode_nomsg, rpcrdma_decode_error, rpcrdmaDecodeReply,
} from './xprtrdma/rpc_rdma_xdr.js';
export type {
  RpcrdmaReadChunk, RpcrdmaWriteChunk, RpcrdmaErrorBody, RpcrdmaHeader, SvcRdmaDecodeReason, SvcRdmaDecodeVerdict,
  SvcRdmaDecodeInit, RpcrdmaDecodedReply, RpcrdmaReplyVerdict,
} from './xprtrdma/rpc_rdma_xdr.js';
