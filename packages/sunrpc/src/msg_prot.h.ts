/**
 * msg_prot.h - ONC RPC v2 protocol constants: message types, reply / accept / reject / auth
 * status codes, authentication flavors, header sizes and the stream record-marking bits.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h
 *
 * Operation: every value here is a wire value (RFC 5531 §9, §8.2 and Appendix A) except the
 * ones marked kernel-internal (`RPC_DROP_REPLY`). Enum members keep the kernel's names and
 * numeric values; the `*_name` tables give the member name for traces.
 *
 * Spec: RFC 5531 (ONC RPC v2), §11 (record marking).
 */
import type { u32 } from '@rdmaemu/sim-core';

/**
 * RPC_VERSION - the only RPC protocol version (the `rpcvers` field of every call).
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_VERSION (RFC 5531 §9: "MUST be equal to 2")
 */
export const RPC_VERSION = 2;

/**
 * rpc_authflavor_t - an authentication flavor number (an unsigned 32-bit integer on the wire).
 *
 * Kernel: include/linux/sunrpc/msg_prot.h rpc_authflavor_t
 */
export type rpc_authflavor_t = u32;

/**
 * rpc_auth_flavors - authentication flavors (RFC 5531 §8.2, Appendix A) and the kernel's GSS
 * pseudoflavors.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h enum rpc_auth_flavors. `RPC_AUTH_TLS` (RFC 9289) is in
 * current kernels; older ones stop at `RPC_AUTH_GSS`.
 */
export enum rpc_auth_flavors {
  /** AUTH_NONE (RFC 5531 §A.1). */
  RPC_AUTH_NULL = 0,
  /** AUTH_SYS (RFC 5531 §A.2). */
  RPC_AUTH_UNIX = 1,
  RPC_AUTH_SHORT = 2,
  /** AUTH_DH. */
  RPC_AUTH_DES = 3,
  RPC_AUTH_KRB = 4,
  /** RPCSEC_GSS (RFC 2203). */
  RPC_AUTH_GSS = 6,
  /** AUTH_TLS (RFC 9289): probes for STARTTLS on the NULL procedure. */
  RPC_AUTH_TLS = 7,
  RPC_AUTH_MAXFLAVOR = 8,
  RPC_AUTH_GSS_KRB5 = 390003,
  RPC_AUTH_GSS_KRB5I = 390004,
  RPC_AUTH_GSS_KRB5P = 390005,
  RPC_AUTH_GSS_LKEY = 390006,
  RPC_AUTH_GSS_LKEYI = 390007,
  RPC_AUTH_GSS_LKEYP = 390008,
  RPC_AUTH_GSS_SPKM = 390009,
  RPC_AUTH_GSS_SPKMI = 390010,
  RPC_AUTH_GSS_SPKMP = 390011,
}

/**
 * RPC_MAX_MACHINENAME - the largest AUTH_SYS machinename in octets.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_MAX_MACHINENAME (rationale: RFC 5531 Appendix A
 * declares `string machinename<255>`; the server rejects longer names as garbage)
 */
export const RPC_MAX_MACHINENAME = 255;

/**
 * RPC_MAX_AUTH_SIZE - the largest credential or verifier body in bytes.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_MAX_AUTH_SIZE (rationale: RFC 5531 §8.2
 * `opaque body<400>`; it bounds the header a peer can make a decoder accept)
 */
export const RPC_MAX_AUTH_SIZE = 400;

/**
 * rpc_msg_type - the message direction (RFC 5531 §9 `msg_type`).
 *
 * Kernel: include/linux/sunrpc/msg_prot.h enum rpc_msg_type
 */
export enum rpc_msg_type {
  RPC_CALL = 0,
  RPC_REPLY = 1,
}

/**
 * rpc_reply_stat - whether the server accepted the call (RFC 5531 §9 `reply_stat`).
 *
 * Kernel: include/linux/sunrpc/msg_prot.h enum rpc_reply_stat
 */
export enum rpc_reply_stat {
  RPC_MSG_ACCEPTED = 0,
  RPC_MSG_DENIED = 1,
}

/**
 * rpc_accept_stat - the outcome of an accepted call (RFC 5531 §9 `accept_stat`).
 *
 * Kernel: include/linux/sunrpc/msg_prot.h enum rpc_accept_stat. `RPC_DROP_REPLY` is
 * kernel-internal (a dispatcher asking for no reply at all) and never appears on the wire.
 */
export enum rpc_accept_stat {
  RPC_SUCCESS = 0,
  RPC_PROG_UNAVAIL = 1,
  RPC_PROG_MISMATCH = 2,
  RPC_PROC_UNAVAIL = 3,
  RPC_GARBAGE_ARGS = 4,
  RPC_SYSTEM_ERR = 5,
  RPC_DROP_REPLY = 60000,
}

/**
 * rpc_reject_stat - why a call was denied (RFC 5531 §9 `reject_stat`).
 *
 * Kernel: include/linux/sunrpc/msg_prot.h enum rpc_reject_stat
 */
export enum rpc_reject_stat {
  RPC_MISMATCH = 0,
  RPC_AUTH_ERROR = 1,
}

/**
 * rpc_auth_stat - why authentication failed (RFC 5531 §9 `auth_stat`).
 *
 * Kernel: include/linux/sunrpc/msg_prot.h enum rpc_auth_stat. RFC 5531 also defines
 * AUTH_INVALIDRESP (6), AUTH_FAILED (7) and the Kerberos codes 8..12; the kernel neither sends
 * nor recognizes them (its client treats them as an unparsable reply).
 */
export enum rpc_auth_stat {
  RPC_AUTH_OK = 0,
  RPC_AUTH_BADCRED = 1,
  RPC_AUTH_REJECTEDCRED = 2,
  RPC_AUTH_BADVERF = 3,
  RPC_AUTH_REJECTEDVERF = 4,
  RPC_AUTH_TOOWEAK = 5,
  RPCSEC_GSS_CREDPROBLEM = 13,
  RPCSEC_GSS_CTXPROBLEM = 14,
}

/**
 * RPC_MAXNETNAMELEN - the largest netname (AUTH_DH / GSS principal) the kernel handles.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_MAXNETNAMELEN (rationale: MAXNETNAMELEN + 1 of
 * the historical Sun implementation)
 */
export const RPC_MAXNETNAMELEN = 256;

/**
 * rpc_fraghdr - a record-marking fragment header: a big-endian u32, last-fragment bit on top.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h rpc_fraghdr (RFC 5531 §11)
 */
export type rpc_fraghdr = u32;

/**
 * RPC_LAST_STREAM_FRAGMENT - the fragment-header bit that marks the last fragment of a record.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_LAST_STREAM_FRAGMENT (RFC 5531 §11)
 */
export const RPC_LAST_STREAM_FRAGMENT = 0x80000000;

/**
 * RPC_FRAGMENT_SIZE_MASK - the 31 low-order fragment-header bits: the fragment's length.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_FRAGMENT_SIZE_MASK
 */
export const RPC_FRAGMENT_SIZE_MASK = 0x7fffffff;

/**
 * RPC_MAX_FRAGMENT_SIZE - the largest fragment: 2^31 − 1 bytes.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_MAX_FRAGMENT_SIZE (rationale: 31 length bits)
 */
export const RPC_MAX_FRAGMENT_SIZE = 0x7fffffff;

/**
 * RPC_CALLHDRSIZE - words of a call header before the credential: xid, msg_type, rpcvers,
 * prog, vers, proc.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_CALLHDRSIZE
 */
export const RPC_CALLHDRSIZE = 6;

/**
 * RPC_REPHDRSIZE - words of an accepted reply header without the verifier body: xid,
 * msg_type, reply_stat, accept_stat.
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_REPHDRSIZE
 */
export const RPC_REPHDRSIZE = 4;

/**
 * RPC_MAX_HEADER_WITH_AUTH - the largest call header in words (210: 6 + two 400-byte opaque
 * auths with their flavor and length words).
 *
 * Kernel: include/linux/sunrpc/msg_prot.h RPC_MAX_HEADER_WITH_AUTH
 */
export const RPC_MAX_HEADER_WITH_AUTH = RPC_CALLHDRSIZE + 2 * (2 + RPC_MAX_AUTH_SIZE / 4);

/** rpc_accept_stat_name - the member name of an accept_stat, or `'UNKNOWN(n)'`. Emulator-only. */
export function rpc_accept_stat_name(stat: number): string {
  return rpc_accept_stat[stat] ?? `UNKNOWN(${stat})`;
}

/** rpc_auth_stat_name - the member name of an auth_stat, or `'UNKNOWN(n)'`. Emulator-only. */
export function rpc_auth_stat_name(stat: number): string {
  return rpc_auth_stat[stat] ?? `UNKNOWN(${stat})`;
}
