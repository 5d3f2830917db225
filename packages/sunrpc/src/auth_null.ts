/**
 * auth_null - AUTH_NONE: the empty credential, on the client and on the server.
 *
 * Kernel: net/sunrpc/auth_null.c (null_auth, nul_marshal, nul_validate),
 *         net/sunrpc/svcauth_unix.c (svcauth_null_accept)
 *
 * Operation: the client sends `{ RPC_AUTH_NULL, <> }` as both credential and verifier (four
 * words, NUL_CALLSLACK) and accepts only an empty AUTH_NONE reply verifier. The server accepts
 * a call whose credential body is empty and whose verifier is an empty AUTH_NONE; it then acts
 * as nobody (INVALID_UID / INVALID_GID, no groups).
 *
 * Wire (RFC 5531 §A.1), credential then verifier:
 * ```
 *   00000000 00000000   flavor AUTH_NONE, body length 0
 *   00000000 00000000   flavor AUTH_NONE, body length 0
 * ```
 */
import { errno } from '@rdmaemu/sim-core';
import { xdr_stream_decode_u32, xdrReserveOffset, type xdr_stream } from '@rdmaemu/xdr_buf';
import { rpc_auth_flavors, rpc_auth_stat } from './msg_prot.h.js';
import { NUL_CALLSLACK, NUL_REPLYSLACK, OpaqueAuth, xdr_stream_decode_opaque_auth, type rpc_auth } from './auth.js';
import { INVALID_GID, INVALID_UID, svc_auth_status, type SvcAuthRqst } from './svcauth.h.js';

const EMSGSIZE = errno.EMSGSIZE;
const EIO = errno.EIO;

/**
 * nul_marshal - write the AUTH_NONE credential and verifier (16 zero bytes).
 *
 * Kernel: net/sunrpc/auth_null.c nul_marshal()
 * @returns 0, or -EMSGSIZE if the stream has no room
 * @example
 * ```ts
 * if (nul_marshal(xdr) < 0) return -EMSGSIZE;
 * ```
 */
export function nul_marshal(xdr: xdr_stream): number {
  const off = xdrReserveOffset(xdr, 16);
  if (off < 0) return -EMSGSIZE;
  xdr.view.fill(0, off, off + 16);
  return 0;
}

/**
 * nul_validate - accept only an empty AUTH_NONE reply verifier.
 *
 * Kernel: net/sunrpc/auth_null.c nul_validate()
 * @returns 0, or -EIO if the verifier is truncated, not AUTH_NONE, or has a body
 * @example
 * ```ts
 * if (nul_validate(xdr) < 0) return -EIO;
 * ```
 */
export function nul_validate(xdr: xdr_stream): number {
  const flavor = xdr_stream_decode_u32(xdr);
  if (flavor < 0) return -EIO;
  const len = xdr_stream_decode_u32(xdr);
  if (len < 0) return -EIO;
  if (flavor !== rpc_auth_flavors.RPC_AUTH_NULL) return -EIO;
  if (len !== 0) return -EIO;
  return 0;
}

/**
 * null_auth - the AUTH_NONE authenticator (one shared instance, as in the kernel).
 *
 * Kernel: net/sunrpc/auth_null.c null_auth, null_cred
 * @example
 * ```ts
 * rpc_encode_header(xdr, { xid: 1, prog: 100003, vers: 3, proc: 0 }, null_auth);
 * ```
 */
export const null_auth: rpc_auth = {
  au_flavor: rpc_auth_flavors.RPC_AUTH_NULL,
  au_name: 'NULL',
  au_cslack: NUL_CALLSLACK,
  au_rslack: NUL_REPLYSLACK,
  au_verfsize: NUL_REPLYSLACK,
  marshal: nul_marshal,
  validate: nul_validate,
};

const verf = new OpaqueAuth();

/**
 * svcauth_null_accept - check an AUTH_NONE credential and its verifier.
 *
 * Called by `svc_authenticate()` with the stream just past the credential's flavor word.
 *
 * Kernel: net/sunrpc/svcauth_unix.c svcauth_null_accept()
 * Divergence: the kernel also writes the reply verifier (AUTH_NONE) into `rq_res_stream`;
 * here the reply encoder writes it (`RpcReplyHeader.verfFlavor`).
 * @returns SVC_OK (rq_cred is nobody); SVC_GARBAGE if the credential or verifier is truncated or
 *   the verifier body is over 400 bytes; SVC_DENIED with rq_auth_stat RPC_AUTH_BADCRED if the
 *   credential body is not empty, or RPC_AUTH_BADVERF if the verifier is not an empty AUTH_NONE
 * @example
 * ```ts
 * const st = svcauth_null_accept(xdr, rqstp);
 * if (st === svc_auth_status.SVC_DENIED) reply_auth_error(rqstp.rq_auth_stat);
 * ```
 */
export function svcauth_null_accept(xdr: xdr_stream, rqstp: SvcAuthRqst): svc_auth_status {
  const len = xdr_stream_decode_u32(xdr);
  if (len < 0) return svc_auth_status.SVC_GARBAGE;
  if (len !== 0) {
    rqstp.rq_auth_stat = rpc_auth_stat.RPC_AUTH_BADCRED;
    return svc_auth_status.SVC_DENIED;
  }
  if (xdr_stream_decode_opaque_auth(xdr, verf) < 0) return svc_auth_status.SVC_GARBAGE;
  if (verf.flavor !== rpc_auth_flavors.RPC_AUTH_NULL || verf.body.length !== 0) {
    rqstp.rq_auth_stat = rpc_auth_stat.RPC_AUTH_BADVERF;
    return svc_auth_status.SVC_DENIED;
  }
  const cred = rqstp.rq_cred;
  cred.cr_uid = INVALID_UID;
  cred.cr_gid = INVALID_GID;
  cred.cr_group_info = [];
  cred.cr_flavor = rpc_auth_flavors.RPC_AUTH_NULL;
  return svc_auth_status.SVC_OK;
}
