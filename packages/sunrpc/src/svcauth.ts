/**
 * svcauth - the server's flavor switch: decode the credential flavor and hand the call to that
 * flavor's `accept` method.
 *
 * Kernel: net/sunrpc/svcauth.c (svc_authenticate, authtab)
 *
 * Operation: `svc_authenticate()` runs after the call header's six fixed words
 * (`svcDecodeCallHeader()`) with the stream at the credential's flavor word. Registered
 * flavors: RPC_AUTH_NULL (svcauth_null_accept) and RPC_AUTH_UNIX (svcauth_unix_accept).
 * Any other flavor (AUTH_SHORT, AUTH_DH, RPCSEC_GSS, AUTH_TLS until they exist) is denied with
 * RPC_AUTH_BADCRED, as the kernel does for a flavor with no registered `auth_ops`.
 */
import type { xdr_stream } from '@rdmaemu/xdr_buf';
import { xdr_stream_decode_u32 } from '@rdmaemu/xdr_buf';
import { rpc_auth_flavors, rpc_auth_stat } from './msg_prot.h.js';
import { svcauth_null_accept } from './auth_null.js';
import { svcauth_unix_accept } from './auth_unix.js';
import { init_svc_cred, svc_auth_status, type SvcAuthRqst } from './svcauth.h.js';

/**
 * svc_authenticate - decode the credential flavor and run that flavor's accept method.
 *
 * Kernel: net/sunrpc/svcauth.c svc_authenticate()
 * Divergence: the flavor table is fixed (no svc_auth_register() yet).
 * @returns the flavor's svc_auth_status; SVC_GARBAGE if the flavor word is missing; SVC_DENIED
 *   with rq_auth_stat RPC_AUTH_BADCRED for an unsupported flavor. rq_auth_stat is RPC_AUTH_OK
 *   unless the result is SVC_DENIED.
 * @example
 * ```ts
 * if (svcDecodeCallHeader(xdr, hdr) < 0) return; // drop, as the kernel's err_short_len
 * switch (svc_authenticate(xdr, rqstp)) { ... }
 * ```
 */
export function svc_authenticate(xdr: xdr_stream, rqstp: SvcAuthRqst): svc_auth_status {
  rqstp.rq_auth_stat = rpc_auth_stat.RPC_AUTH_OK;
  const flavor = xdr_stream_decode_u32(xdr);
  if (flavor < 0) return svc_auth_status.SVC_GARBAGE;
  init_svc_cred(rqstp.rq_cred);
  switch (flavor) {
    case rpc_auth_flavors.RPC_AUTH_NULL:
      return svcauth_null_accept(xdr, rqstp);
    case rpc_auth_flavors.RPC_AUTH_UNIX:
      return svcauth_unix_accept(xdr, rqstp);
    default:
      rqstp.rq_auth_stat = rpc_auth_stat.RPC_AUTH_BADCRED;
      return svc_auth_status.SVC_DENIED;
  }
}
