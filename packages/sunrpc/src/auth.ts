/**
 * auth - the client's authentication interface (`struct rpc_auth`) and the opaque_auth XDR
 * helpers both sides use.
 *
 * Kernel: include/linux/sunrpc/auth.h, net/sunrpc/auth.c (rpcauth_marshcred,
 *         rpcauth_checkverf), include/linux/sunrpc/xdr.h (xdr_stream_decode_opaque_auth,
 *         xdr_stream_encode_opaque_auth)
 *
 * Operation: a call header carries two `opaque_auth` items (RFC 5531 §8.2): the credential and
 * the verifier, each `{ flavor, opaque body<400> }`. On the client, `rpc_encode_header()` writes
 * the six fixed words and then asks the `rpc_auth` to marshal both items; on a reply,
 * `rpc_decode_header()` asks it to validate the reply verifier. One `rpc_auth` stands for one
 * flavor bound to one identity (the kernel's `rpc_auth` + `rpc_cred` pair).
 *
 * Invariants: `marshal()` writes whole XDR items or returns -EMSGSIZE; `validate()` consumes
 * the verifier or returns a negative errno; neither allocates on the hot path.
 */
import { errno } from '@rdmaemu/sim-core';
import {
  ZERO_LENGTH_VIEW, xdr_stream_decode_opaque_inline, xdr_stream_decode_u32, xdr_stream_encode_opaque,
  xdr_stream_encode_u32, type xdr_stream,
} from '@rdmaemu/xdr_buf';
import { RPC_MAX_AUTH_SIZE, type rpc_authflavor_t } from './msg_prot.h.js';

/**
 * NUL_CALLSLACK - words an AUTH_NONE credential + verifier take in a call (4).
 *
 * Kernel: include/linux/sunrpc/auth.h NUL_CALLSLACK
 */
export const NUL_CALLSLACK = 4;
/** NUL_REPLYSLACK - words an AUTH_NONE reply verifier takes (2). Kernel: auth.h NUL_REPLYSLACK */
export const NUL_REPLYSLACK = 2;

/**
 * UNX_MAXNODENAME - the longest machinename the kernel's client sends (`__NEW_UTS_LEN`, 64).
 *
 * Kernel: include/linux/sunrpc/auth.h UNX_MAXNODENAME (rationale: Linux hostnames are at most
 * 64 bytes; RFC 5531 itself allows 255, see RPC_MAX_MACHINENAME)
 */
export const UNX_MAXNODENAME = 64;

/**
 * UNX_NGROUPS - the most supplementary groups an AUTH_SYS credential carries.
 *
 * Kernel: include/linux/sunrpc/auth.h UNX_NGROUPS (rationale: RFC 5531 Appendix A
 * `unsigned int gids<16>`)
 */
export const UNX_NGROUPS = 16;

/**
 * UNX_CALLSLACK - words the largest AUTH_SYS credential + verifier the kernel sends take.
 *
 * Kernel: include/linux/sunrpc/auth.h UNX_CALLSLACK
 */
export const UNX_CALLSLACK = 21 + Math.ceil(UNX_MAXNODENAME / 4);

/**
 * rpc_auth - one authentication flavor bound to one identity, as the client uses it.
 *
 * Kernel: include/linux/sunrpc/auth.h struct rpc_auth (+ the `rpc_credops` of its credential)
 * Divergence: the kernel splits the flavor (`rpc_auth`, `rpc_authops`) from the per-user
 * credential (`rpc_cred`, `rpc_credops` with crmarshal / crvalidate); here one object carries
 * both, so `marshal` and `validate` are its methods.
 */
export interface rpc_auth {
  /** The flavor this auth puts in the credential. */
  readonly au_flavor: rpc_authflavor_t;
  /** Short name for traces (`"NULL"`, `"UNIX"`). */
  readonly au_name: string;
  /** Words the credential and verifier need in a call. */
  readonly au_cslack: number;
  /** Words the reply verifier is expected to take (updated by validate()). */
  au_rslack: number;
  /** Words of the last reply verifier seen (updated by validate()). */
  au_verfsize: number;
  /**
   * Marshal the credential and the call verifier.
   * @returns 0, or -EMSGSIZE if the stream has no room
   */
  marshal(xdr: xdr_stream): number;
  /**
   * Consume and check the reply verifier.
   * @returns 0, or -EIO if it is truncated, of a flavor this auth refuses, or too large
   */
  validate(xdr: xdr_stream): number;
}

/**
 * rpcauth_marshcred - marshal the task's credential and verifier into a call header.
 *
 * Kernel: net/sunrpc/auth.c rpcauth_marshcred()
 * @returns 0, or -EMSGSIZE
 * @example
 * ```ts
 * if (rpcauth_marshcred(null_auth, xdr) < 0) return -EMSGSIZE;
 * ```
 */
export function rpcauth_marshcred(auth: rpc_auth, xdr: xdr_stream): number {
  return auth.marshal(xdr);
}

/**
 * rpcauth_checkverf - check the verifier of an accepted reply.
 *
 * Kernel: net/sunrpc/auth.c rpcauth_checkverf()
 * @returns 0, or a negative errno (-EIO for the built-in flavors)
 */
export function rpcauth_checkverf(auth: rpc_auth, xdr: xdr_stream): number {
  return auth.validate(xdr);
}

/**
 * OpaqueAuth - an RFC 5531 `opaque_auth`: a flavor and a body of at most 400 bytes.
 *
 * Emulator-only (the kernel passes flavor / body / length as out-parameters). A decoded `body`
 * is a view of the message buffer (or the scratch buffer), valid until the next decode.
 */
export class OpaqueAuth {
  flavor: rpc_authflavor_t = 0;
  body: Uint8Array = ZERO_LENGTH_VIEW;
}

/**
 * xdr_stream_decode_opaque_auth - decode an opaque_auth into `auth` (zero-copy body).
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_decode_opaque_auth()
 * Divergence: the out-parameters are the fields of `auth`; the return value is the kernel's.
 * @returns the number of bytes consumed (≥ 8), -EBADMSG on truncation, or -EMSGSIZE if the body
 *   is longer than RPC_MAX_AUTH_SIZE
 * @example
 * ```ts
 * const verf = new OpaqueAuth();
 * if (xdr_stream_decode_opaque_auth(xdr, verf) < 0) return SVC_GARBAGE;
 * ```
 */
export function xdr_stream_decode_opaque_auth(xdr: xdr_stream, auth: OpaqueAuth): number {
  const flavor = xdr_stream_decode_u32(xdr);
  if (flavor < 0) return flavor;
  const body = xdr_stream_decode_opaque_inline(xdr, RPC_MAX_AUTH_SIZE);
  if (typeof body === 'number') return body;
  auth.flavor = flavor;
  auth.body = body.length === 0 ? ZERO_LENGTH_VIEW : body;
  return 8 + body.length + ((4 - (body.length & 3)) & 3);
}

/**
 * xdr_stream_encode_opaque_auth - encode an opaque_auth `{ flavor, body }`.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_opaque_auth()
 * @returns the number of bytes written, or -EMSGSIZE (no room, or a body over RPC_MAX_AUTH_SIZE)
 * @example
 * ```ts
 * xdr_stream_encode_opaque_auth(xdr, RPC_AUTH_NULL, null, 0); // the AUTH_NONE verifier
 * ```
 */
export function xdr_stream_encode_opaque_auth(xdr: xdr_stream, flavor: rpc_authflavor_t, body: Uint8Array | null, body_len: number = body?.length ?? 0): number {
  if (body_len > RPC_MAX_AUTH_SIZE) return -errno.EMSGSIZE;
  const len = xdr_stream_encode_u32(xdr, flavor);
  if (len < 0) return len;
  const ret = xdr_stream_encode_opaque(xdr, body, body_len);
  if (ret < 0) return ret;
  return len + ret;
}
