/**
 * svcauth.h - server-side authentication results and the credential a request carries.
 *
 * Kernel: include/linux/sunrpc/svcauth.h (enum svc_auth_status, struct svc_cred)
 *
 * Operation: a flavor's `accept` method decodes the call's credential and verifier from the
 * argument stream, fills `rq_cred`, and returns an `svc_auth_status`. On `SVC_DENIED` it also
 * sets `rq_auth_stat`, the `rpc_auth_stat` the server puts in its MSG_DENIED / AUTH_ERROR reply
 * (RFC 5531 §9). What svc.c makes of each status:
 *
 * | status | reply (svc_process_common) |
 * |---|---|
 * | `SVC_OK` | continue: look up the program, version and procedure |
 * | `SVC_GARBAGE` | MSG_ACCEPTED, GARBAGE_ARGS |
 * | `SVC_SYSERR` | MSG_ACCEPTED, SYSTEM_ERR |
 * | `SVC_DENIED` | MSG_DENIED, AUTH_ERROR, `rq_auth_stat` |
 * | `SVC_CLOSE` | no reply; close a temporary transport |
 * | `SVC_DROP` | no reply |
 * | `SVC_COMPLETE` | send the reply the flavor already built |
 */
import type { u32 } from '@rdmaemu/sim-core';
import { rpc_auth_flavors, rpc_auth_stat, type rpc_authflavor_t } from './msg_prot.h.js';

/**
 * svc_auth_status - what an `accept` method decided about a call's credential and verifier.
 *
 * Kernel: include/linux/sunrpc/svcauth.h enum svc_auth_status
 */
export enum svc_auth_status {
  SVC_GARBAGE = 1,
  SVC_SYSERR,
  SVC_VALID,
  SVC_NEGATIVE,
  SVC_OK,
  SVC_DROP,
  SVC_CLOSE,
  SVC_DENIED,
  SVC_PENDING,
  SVC_COMPLETE,
}

/**
 * INVALID_UID - the kuid meaning "no identity" (map to the export's anonymous uid).
 *
 * Kernel: include/linux/uidgid.h INVALID_UID ((uid_t)-1, which is also what a client's -1
 * uid decodes to)
 */
export const INVALID_UID = 0xffffffff;
/** INVALID_GID - the kgid meaning "no identity". Kernel: include/linux/uidgid.h INVALID_GID */
export const INVALID_GID = 0xffffffff;

/**
 * svc_cred - the identity the server acts as for one request.
 *
 * Kernel: include/linux/sunrpc/svcauth.h struct svc_cred
 * Divergence: `cr_group_info` is a plain sorted array (the kernel's `struct group_info`);
 * principal and GSS fields are left out until RPCSEC_GSS exists.
 */
export class svc_cred {
  cr_uid: u32 = INVALID_UID;
  cr_gid: u32 = INVALID_GID;
  cr_group_info: u32[] = [];
  cr_flavor: rpc_authflavor_t = rpc_auth_flavors.RPC_AUTH_NULL;
}

/**
 * init_svc_cred - reset a credential before a flavor fills it.
 *
 * Kernel: include/linux/sunrpc/svcauth.h init_svc_cred()
 */
export function init_svc_cred(cred: svc_cred): void {
  cred.cr_uid = INVALID_UID;
  cred.cr_gid = INVALID_GID;
  cred.cr_group_info = [];
  cred.cr_flavor = rpc_auth_flavors.RPC_AUTH_NULL;
}

/**
 * SvcAuthRqst - the part of `struct svc_rqst` the `accept` methods read and write.
 *
 * Emulator-only: the future `svc_rqst` satisfies it structurally (same kernel field names).
 */
export interface SvcAuthRqst {
  /** The procedure number from the call header (AUTH_TLS only allows NULL). */
  rq_proc: u32;
  /** Filled by the flavor's accept method. */
  rq_cred: svc_cred;
  /** The auth_stat for a MSG_DENIED reply; RPC_AUTH_OK unless the result is SVC_DENIED. */
  rq_auth_stat: rpc_auth_stat;
}
