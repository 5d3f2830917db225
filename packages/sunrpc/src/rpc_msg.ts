/**
 * rpc_msg - ONC RPC v2 call and reply headers (RFC 5531 §9) on an xdr_stream: the client's
 * encoder and reply decoder with the kernel's errno mapping, and the generic encoders and
 * decoders a server, a test or a fuzzer uses.
 *
 * Kernel: net/sunrpc/clnt.c (rpc_encode_header, rpc_decode_header),
 *         net/sunrpc/svc.c (svc_process / svc_process_common: call header decoding and the
 *         reply header for each outcome)
 *
 * Operation. Call header (RPC_CALLHDRSIZE words, then two opaque_auth):
 * ```
 *   xid | CALL(0) | rpcvers(2) | prog | vers | proc | cred{flavor, len, body} | verf{flavor, len, body}
 * ```
 * Reply header:
 * ```
 *   xid | REPLY(1) | MSG_ACCEPTED(0) | verf{flavor, len, body} | accept_stat [| low | high  if PROG_MISMATCH]
 *   xid | REPLY(1) | MSG_DENIED(1)   | RPC_MISMATCH(0) | low | high
 *   xid | REPLY(1) | MSG_DENIED(1)   | AUTH_ERROR(1)   | auth_stat
 * ```
 * What the kernel client makes of a reply (`rpc_decode_header()`):
 *
 * | reply | result |
 * |---|---|
 * | SUCCESS | 0 (results follow) |
 * | PROG_UNAVAIL | -EPFNOSUPPORT |
 * | PROG_MISMATCH | -EPROTONOSUPPORT |
 * | PROC_UNAVAIL | -EOPNOTSUPP |
 * | GARBAGE_ARGS, SYSTEM_ERR | -EAGAIN while tk_garb_retry lasts, then -EIO |
 * | bad verifier | -EAGAIN while tk_garb_retry lasts, then the validate() error (-EIO) |
 * | RPC_MISMATCH | -EPROTONOSUPPORT |
 * | AUTH_ERROR REJECTEDCRED, REJECTEDVERF, GSS_CREDPROBLEM, GSS_CTXPROBLEM | -EKEYREJECTED while tk_cred_retry lasts, then -EACCES |
 * | AUTH_ERROR BADCRED, BADVERF | -EAGAIN while tk_garb_retry lasts, then -EACCES |
 * | AUTH_ERROR TOOWEAK | -EACCES |
 * | unparsable (length not a multiple of 4, truncated, not a REPLY, unknown status) | -EAGAIN while tk_garb_retry lasts, then -EIO |
 *
 * Errors: the generic decoders return 0 or -EBADMSG (truncation, or a discriminant with no arm
 * in RFC 5531's unions) and never throw; encoders return 0 or -EMSGSIZE. Hot path: headers are
 * decoded into caller-owned objects; opaque bodies are views of the message (valid until the
 * next decode); AUTH_NONE bodies share one empty view.
 */
import { errno, type u32 } from '@rdmaemu/sim-core';
import {
  ZERO_LENGTH_VIEW, xdr_inline_decode, xdr_stream_decode_u32, xdr_stream_encode_u32, xdrReserveOffset,
  type xdr_stream,
} from '@rdmaemu/xdr_buf';
import {
  RPC_CALLHDRSIZE, RPC_VERSION, rpc_accept_stat, rpc_auth_flavors, rpc_auth_stat, rpc_msg_type, rpc_reject_stat,
  rpc_reply_stat, type rpc_authflavor_t,
} from './msg_prot.h.js';
import { OpaqueAuth, rpcauth_checkverf, rpcauth_marshcred, xdr_stream_decode_opaque_auth, xdr_stream_encode_opaque_auth, type rpc_auth } from './auth.js';

const EBADMSG = errno.EBADMSG;
const EMSGSIZE = errno.EMSGSIZE;
const EIO = errno.EIO;
const EAGAIN = errno.EAGAIN;
const EACCES = errno.EACCES;

/**
 * RpcCallInit - the fixed fields of a call the client encodes.
 *
 * Emulator-only (the kernel reads them from rq_xid, cl_prog, cl_vers, p_proc).
 */
export interface RpcCallInit {
  xid: u32;
  prog: u32;
  vers: u32;
  proc: u32;
}

/**
 * RpcCallHeader - every field of a call header (RFC 5531 §9 `rpc_msg` with `call_body`).
 *
 * Emulator-only. Decoders fill an instance the caller reuses; `cred` and `verf` bodies are views.
 */
export class RpcCallHeader {
  xid: u32 = 0;
  rpcvers: u32 = RPC_VERSION;
  prog: u32 = 0;
  vers: u32 = 0;
  proc: u32 = 0;
  credFlavor: rpc_authflavor_t = rpc_auth_flavors.RPC_AUTH_NULL;
  cred: Uint8Array = ZERO_LENGTH_VIEW;
  verfFlavor: rpc_authflavor_t = rpc_auth_flavors.RPC_AUTH_NULL;
  verf: Uint8Array = ZERO_LENGTH_VIEW;
}

/**
 * RpcReplyHeader - every field of a reply header (RFC 5531 §9 `reply_body`).
 *
 * Emulator-only. Which fields are meaningful follows the unions: `verfFlavor`/`verf`/`acceptStat`
 * for MSG_ACCEPTED (`mismatchLow`/`mismatchHigh` with PROG_MISMATCH); `rejectStat` for MSG_DENIED,
 * with `mismatchLow`/`mismatchHigh` (RPC_MISMATCH) or `authStat` (AUTH_ERROR). A decoder leaves
 * the other fields as they were.
 */
export class RpcReplyHeader {
  xid: u32 = 0;
  replyStat: rpc_reply_stat = rpc_reply_stat.RPC_MSG_ACCEPTED;
  verfFlavor: rpc_authflavor_t = rpc_auth_flavors.RPC_AUTH_NULL;
  verf: Uint8Array = ZERO_LENGTH_VIEW;
  acceptStat: rpc_accept_stat = rpc_accept_stat.RPC_SUCCESS;
  rejectStat: rpc_reject_stat = rpc_reject_stat.RPC_MISMATCH;
  mismatchLow: u32 = 0;
  mismatchHigh: u32 = 0;
  authStat: rpc_auth_stat = rpc_auth_stat.RPC_AUTH_OK;
}

/**
 * RpcDecodeHeaderTask - the retry budgets of an rpc_task that rpc_decode_header() consumes.
 *
 * Emulator-only: the future `rpc_task` satisfies it structurally (kernel field names).
 */
export interface RpcDecodeHeaderTask {
  /** Retransmissions left after a garbled exchange (kernel default 2). */
  tk_garb_retry: number;
  /** Credential refreshes left after a rejected credential (kernel default 2). */
  tk_cred_retry: number;
}

function put32(v: Uint8Array, p: number, n: number): number {
  v[p] = n / 16777216;
  v[p + 1] = n / 65536;
  v[p + 2] = n / 256;
  v[p + 3] = n;
  return p + 4;
}

/**
 * rpc_encode_header - encode a call header: the six fixed words, then the auth's credential and
 * verifier.
 *
 * Kernel: net/sunrpc/clnt.c rpc_encode_header()
 * Divergence: takes the fields and the auth instead of an rpc_task; does not record the error
 * in the task (the caller does).
 * @returns 0, or -EMSGSIZE if the stream has no room
 * @example
 * ```ts
 * if (rpc_encode_header(xdr, { xid, prog: 100003, vers: 3, proc: 0 }, null_auth) < 0) fail();
 * ```
 */
export function rpc_encode_header(xdr: xdr_stream, call: RpcCallInit, auth: rpc_auth): number {
  const off = xdrReserveOffset(xdr, RPC_CALLHDRSIZE << 2);
  if (off < 0) return -EMSGSIZE;
  const v = xdr.view;
  let p = put32(v, off, call.xid);
  p = put32(v, p, rpc_msg_type.RPC_CALL);
  p = put32(v, p, RPC_VERSION);
  p = put32(v, p, call.prog);
  p = put32(v, p, call.vers);
  put32(v, p, call.proc);
  const error = rpcauth_marshcred(auth, xdr);
  return error < 0 ? error : 0;
}

/**
 * rpcEncodeCallHeader - encode a call header from an RpcCallHeader, with opaque cred / verf.
 *
 * Emulator-only: any rpcvers and any auth bytes, for servers' tests and fuzzers.
 * @returns 0, or -EMSGSIZE (no room, or a body over RPC_MAX_AUTH_SIZE)
 */
export function rpcEncodeCallHeader(xdr: xdr_stream, hdr: RpcCallHeader): number {
  const off = xdrReserveOffset(xdr, RPC_CALLHDRSIZE << 2);
  if (off < 0) return -EMSGSIZE;
  const v = xdr.view;
  let p = put32(v, off, hdr.xid);
  p = put32(v, p, rpc_msg_type.RPC_CALL);
  p = put32(v, p, hdr.rpcvers);
  p = put32(v, p, hdr.prog);
  p = put32(v, p, hdr.vers);
  put32(v, p, hdr.proc);
  if (xdr_stream_encode_opaque_auth(xdr, hdr.credFlavor, hdr.cred) < 0) return -EMSGSIZE;
  if (xdr_stream_encode_opaque_auth(xdr, hdr.verfFlavor, hdr.verf) < 0) return -EMSGSIZE;
  return 0;
}

/**
 * svcDecodeCallHeader - decode the six fixed words of a call (xid … proc), leaving the stream
 * at the credential for svc_authenticate().
 *
 * Emulator-only (the first part of svc_process / svc_process_common). It checks nothing but
 * length: the caller drops a non-CALL (`hdr` carries no direction, so the check is here:
 * -EBADMSG), and answers `rpcvers !== 2` with MSG_DENIED / RPC_MISMATCH 2..2 as svc.c does.
 * @returns 0, or -EBADMSG if truncated or not a CALL
 * @example
 * ```ts
 * if (svcDecodeCallHeader(xdr, hdr) < 0) return drop();
 * if (hdr.rpcvers !== RPC_VERSION) return replyRpcMismatch();
 * ```
 */
export function svcDecodeCallHeader(xdr: xdr_stream, hdr: RpcCallHeader): number {
  const p = xdr_inline_decode(xdr, RPC_CALLHDRSIZE << 2);
  if (p === null) return -EBADMSG;
  if (get32(p, 4) !== rpc_msg_type.RPC_CALL) return -EBADMSG;
  hdr.xid = get32(p, 0);
  hdr.rpcvers = get32(p, 8);
  hdr.prog = get32(p, 12);
  hdr.vers = get32(p, 16);
  hdr.proc = get32(p, 20);
  return 0;
}

function get32(p: Uint8Array, o: number): number {
  return p[o]! * 16777216 + p[o + 1]! * 65536 + p[o + 2]! * 256 + p[o + 3]!;
}

const scratchAuth = new OpaqueAuth();

/**
 * rpcDecodeCallHeader - decode a whole call header, cred and verf as opaque bodies.
 *
 * Emulator-only. No semantic checks beyond RFC 5531's unions: rpcvers, prog, flavors are
 * returned as found.
 * @returns 0, or -EBADMSG if truncated, not a CALL, or an auth body is over RPC_MAX_AUTH_SIZE
 * @example
 * ```ts
 * const hdr = new RpcCallHeader();
 * if (rpcDecodeCallHeader(xdr, hdr) === 0) console.log(hdr.xid, hdr.proc);
 * ```
 */
export function rpcDecodeCallHeader(xdr: xdr_stream, hdr: RpcCallHeader): number {
  if (svcDecodeCallHeader(xdr, hdr) < 0) return -EBADMSG;
  const a = scratchAuth;
  if (xdr_stream_decode_opaque_auth(xdr, a) < 0) return -EBADMSG;
  hdr.credFlavor = a.flavor;
  hdr.cred = a.body;
  if (xdr_stream_decode_opaque_auth(xdr, a) < 0) return -EBADMSG;
  hdr.verfFlavor = a.flavor;
  hdr.verf = a.body;
  a.body = ZERO_LENGTH_VIEW;
  return 0;
}

/**
 * rpcEncodeReplyHeader - encode a reply header for any outcome (see the file header).
 *
 * Emulator-only (the reply-building half of svc_process_common). The caller picks the arm with
 * `replyStat`, then `acceptStat` or `rejectStat`. Encoding `RPC_DROP_REPLY` is a caller bug:
 * it means "send nothing".
 * @returns 0, or -EMSGSIZE (no room, a verifier over RPC_MAX_AUTH_SIZE, or a status with no
 *   wire encoding: RPC_DROP_REPLY, a reject_stat other than RPC_MISMATCH / AUTH_ERROR, or a
 *   reply_stat other than ACCEPTED / DENIED)
 * @example
 * ```ts
 * const r = new RpcReplyHeader();
 * r.xid = call.xid; r.replyStat = rpc_reply_stat.RPC_MSG_DENIED;
 * r.rejectStat = rpc_reject_stat.RPC_AUTH_ERROR; r.authStat = rqstp.rq_auth_stat;
 * rpcEncodeReplyHeader(xdr, r);
 * ```
 */
export function rpcEncodeReplyHeader(xdr: xdr_stream, hdr: RpcReplyHeader): number {
  if (xdr_stream_encode_u32(xdr, hdr.xid) < 0) return -EMSGSIZE;
  if (xdr_stream_encode_u32(xdr, rpc_msg_type.RPC_REPLY) < 0) return -EMSGSIZE;
  switch (hdr.replyStat) {
    case rpc_reply_stat.RPC_MSG_ACCEPTED: {
      if (hdr.acceptStat === rpc_accept_stat.RPC_DROP_REPLY) return -EMSGSIZE;
      if (xdr_stream_encode_u32(xdr, rpc_reply_stat.RPC_MSG_ACCEPTED) < 0) return -EMSGSIZE;
      if (xdr_stream_encode_opaque_auth(xdr, hdr.verfFlavor, hdr.verf) < 0) return -EMSGSIZE;
      if (xdr_stream_encode_u32(xdr, hdr.acceptStat) < 0) return -EMSGSIZE;
      if (hdr.acceptStat === rpc_accept_stat.RPC_PROG_MISMATCH) {
        if (xdr_stream_encode_u32(xdr, hdr.mismatchLow) < 0) return -EMSGSIZE;
        if (xdr_stream_encode_u32(xdr, hdr.mismatchHigh) < 0) return -EMSGSIZE;
      }
      return 0;
    }
    case rpc_reply_stat.RPC_MSG_DENIED: {
      if (xdr_stream_encode_u32(xdr, rpc_reply_stat.RPC_MSG_DENIED) < 0) return -EMSGSIZE;
      if (hdr.rejectStat === rpc_reject_stat.RPC_MISMATCH) {
        if (xdr_stream_encode_u32(xdr, rpc_reject_stat.RPC_MISMATCH) < 0) return -EMSGSIZE;
        if (xdr_stream_encode_u32(xdr, hdr.mismatchLow) < 0) return -EMSGSIZE;
        if (xdr_stream_encode_u32(xdr, hdr.mismatchHigh) < 0) return -EMSGSIZE;
        return 0;
      }
      if (hdr.rejectStat === rpc_reject_stat.RPC_AUTH_ERROR) {
        if (xdr_stream_encode_u32(xdr, rpc_reject_stat.RPC_AUTH_ERROR) < 0) return -EMSGSIZE;
        if (xdr_stream_encode_u32(xdr, hdr.authStat) < 0) return -EMSGSIZE;
        return 0;
      }
      return -EMSGSIZE;
    }
    default:
      return -EMSGSIZE;
  }
}

/**
 * rpcDecodeReplyHeader - decode a whole reply header into `hdr`.
 *
 * Emulator-only: the RFC 5531 decoder, without the kernel client's policy. An unknown
 * accept_stat takes the union's `default: void` arm and is returned as found; an unknown
 * auth_stat is returned as found.
 * @returns 0, or -EBADMSG if truncated, not a REPLY, the reply_stat or reject_stat is unknown,
 *   or the verifier body is over RPC_MAX_AUTH_SIZE
 * @example
 * ```ts
 * const r = new RpcReplyHeader();
 * if (rpcDecodeReplyHeader(xdr, r) === 0 && r.replyStat === rpc_reply_stat.RPC_MSG_ACCEPTED) ...
 * ```
 */
export function rpcDecodeReplyHeader(xdr: xdr_stream, hdr: RpcReplyHeader): number {
  const p = xdr_inline_decode(xdr, 12);
  if (p === null) return -EBADMSG;
  if (get32(p, 4) !== rpc_msg_type.RPC_REPLY) return -EBADMSG;
  const stat = get32(p, 8);
  hdr.xid = get32(p, 0);
  if (stat === rpc_reply_stat.RPC_MSG_ACCEPTED) {
    const a = scratchAuth;
    if (xdr_stream_decode_opaque_auth(xdr, a) < 0) return -EBADMSG;
    const accept = xdr_stream_decode_u32(xdr);
    if (accept < 0) return -EBADMSG;
    if (accept === rpc_accept_stat.RPC_PROG_MISMATCH && decodeMismatchInfo(xdr, hdr) < 0) return -EBADMSG;
    hdr.replyStat = rpc_reply_stat.RPC_MSG_ACCEPTED;
    hdr.verfFlavor = a.flavor;
    hdr.verf = a.body;
    a.body = ZERO_LENGTH_VIEW;
    hdr.acceptStat = accept;
    return 0;
  }
  if (stat !== rpc_reply_stat.RPC_MSG_DENIED) return -EBADMSG;
  const reject = xdr_stream_decode_u32(xdr);
  if (reject < 0) return -EBADMSG;
  if (reject === rpc_reject_stat.RPC_MISMATCH) {
    if (decodeMismatchInfo(xdr, hdr) < 0) return -EBADMSG;
  } else if (reject === rpc_reject_stat.RPC_AUTH_ERROR) {
    const auth = xdr_stream_decode_u32(xdr);
    if (auth < 0) return -EBADMSG;
    hdr.authStat = auth;
  } else {
    return -EBADMSG;
  }
  hdr.replyStat = rpc_reply_stat.RPC_MSG_DENIED;
  hdr.rejectStat = reject;
  return 0;
}

/**
 * rpc_decode_header - the kernel client's reply-header check: decode, validate the verifier
 * through `auth`, and turn the outcome into the errno the RPC finishes with (table in the file
 * header), consuming the task's retry budgets as the kernel does.
 *
 * On 0 the stream is at the procedure's results. -EAGAIN means "re-encode and retransmit"
 * (tk_action = call_encode); -EKEYREJECTED means "refresh the credential, new XID, retransmit".
 * Every other negative value is the RPC's final status. The xid is not checked (the transport
 * matched it to the request).
 *
 * Kernel: net/sunrpc/clnt.c rpc_decode_header()
 * Divergence: the rpc_task becomes its retry counters; the caller records the final error
 * (rpc_call_rpcerror), counts rpcgarbage, and warns on TOOWEAK.
 * @param buf_len the length of the received message (`rq_rcv_buf.len`); not a multiple of 4
 *   makes the reply unparsable
 * @returns 0, -EAGAIN, -EKEYREJECTED, -EIO, -EACCES, -EPFNOSUPPORT, -EPROTONOSUPPORT or
 *   -EOPNOTSUPP (never throws)
 * @example
 * ```ts
 * const task = { tk_garb_retry: 2, tk_cred_retry: 2 };
 * const status = rpc_decode_header(xdr, xdr.buf.len, task, null_auth);
 * if (status === 0) decodeResults(xdr);
 * ```
 */
export function rpc_decode_header(xdr: xdr_stream, buf_len: number, task: RpcDecodeHeaderTask, auth: rpc_auth): number {
  let error: number;
  unparsable: {
    if ((buf_len & 3) !== 0) break unparsable;
    const p = xdr_inline_decode(xdr, 12);
    if (p === null) break unparsable;
    if (get32(p, 4) !== rpc_msg_type.RPC_REPLY) break unparsable;
    if (get32(p, 8) !== rpc_reply_stat.RPC_MSG_ACCEPTED) {
      // out_msg_denied
      const reject = xdr_stream_decode_u32(xdr);
      if (reject < 0) break unparsable;
      if (reject === rpc_reject_stat.RPC_MISMATCH) return -errno.EPROTONOSUPPORT;
      if (reject !== rpc_reject_stat.RPC_AUTH_ERROR) break unparsable;
      const stat = xdr_stream_decode_u32(xdr);
      if (stat < 0) break unparsable;
      switch (stat) {
        case rpc_auth_stat.RPC_AUTH_REJECTEDCRED:
        case rpc_auth_stat.RPC_AUTH_REJECTEDVERF:
        case rpc_auth_stat.RPCSEC_GSS_CREDPROBLEM:
        case rpc_auth_stat.RPCSEC_GSS_CTXPROBLEM:
          if (task.tk_cred_retry === 0) return -EACCES;
          task.tk_cred_retry--;
          return -errno.EKEYREJECTED;
        case rpc_auth_stat.RPC_AUTH_BADCRED:
        case rpc_auth_stat.RPC_AUTH_BADVERF:
          if (task.tk_garb_retry === 0) return -EACCES;
          task.tk_garb_retry--;
          return -EAGAIN;
        case rpc_auth_stat.RPC_AUTH_TOOWEAK:
          return -EACCES;
        default:
          break unparsable;
      }
    }
    error = rpcauth_checkverf(auth, xdr);
    if (error !== 0) return outGarbage(task, error);
    const accept = xdr_stream_decode_u32(xdr);
    if (accept < 0) break unparsable;
    switch (accept) {
      case rpc_accept_stat.RPC_SUCCESS:
        return 0;
      case rpc_accept_stat.RPC_PROG_UNAVAIL:
        return -errno.EPFNOSUPPORT;
      case rpc_accept_stat.RPC_PROG_MISMATCH:
        return -errno.EPROTONOSUPPORT;
      case rpc_accept_stat.RPC_PROC_UNAVAIL:
        return -errno.EOPNOTSUPP;
      case rpc_accept_stat.RPC_GARBAGE_ARGS:
      case rpc_accept_stat.RPC_SYSTEM_ERR:
        return outGarbage(task, -EIO);
      default:
        break unparsable;
    }
  }
  return outGarbage(task, -EIO);
}

function outGarbage(task: RpcDecodeHeaderTask, error: number): number {
  if (task.tk_garb_retry !== 0) {
    task.tk_garb_retry--;
    return -EAGAIN;
  }
  return error;
}

/** RFC 5531 mismatch_info { low; high } (PROG_MISMATCH, RPC_MISMATCH) into hdr. @returns 0 or -EBADMSG */
function decodeMismatchInfo(xdr: xdr_stream, hdr: RpcReplyHeader): number {
  const low = xdr_stream_decode_u32(xdr);
  if (low < 0) return -EBADMSG;
  const high = xdr_stream_decode_u32(xdr);
  if (high < 0) return -EBADMSG;
  hdr.mismatchLow = low;
  hdr.mismatchHigh = high;
  return 0;
}
