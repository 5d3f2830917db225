/**
 * auth_unix - AUTH_SYS (AUTH_UNIX): uid, gid and supplementary groups, on the client and on
 * the server.
 *
 * Kernel: net/sunrpc/auth_unix.c (unx_create_cred, unx_marshal, unx_validate),
 *         net/sunrpc/svcauth_unix.c (svcauth_unix_accept)
 *
 * Operation: the client marshals the credential body of RFC 5531 §A.2
 * ```
 *   struct authsys_parms {
 *     unsigned int stamp;
 *     string machinename<255>;
 *     unsigned int uid;
 *     unsigned int gid;
 *     unsigned int gids<16>;
 *   };
 * ```
 * followed by an empty AUTH_NONE verifier, and accepts an AUTH_NONE, AUTH_SYS or AUTH_SHORT
 * reply verifier of at most 400 bytes. The server ignores the credential's length word, the
 * stamp and the machinename (as the kernel does), takes uid, gid and the groups, and requires an
 * empty AUTH_NONE call verifier.
 *
 * Server checks, in the kernel's order (svcauth_unix_accept):
 * 1. stamp / length / machinename length truncated, or machinename over 255 bytes → SVC_GARBAGE
 * 2. machinename, uid, gid or group count truncated → SVC_GARBAGE
 * 3. more than UNX_NGROUPS groups → SVC_DENIED, RPC_AUTH_BADCRED
 * 4. groups truncated → SVC_GARBAGE
 * 5. verifier truncated or its body over 400 bytes → SVC_GARBAGE
 * 6. verifier not `{ AUTH_NONE, <> }` → SVC_DENIED, RPC_AUTH_BADVERF
 */
import { KernelError, errno, type u32 } from '@rdmaemu/sim-core';
import {
  xdr_inline_decode, xdr_stream_decode_u32, xdrReserveOffset, type xdr_stream,
} from '@rdmaemu/xdr_buf';
import { RPC_MAX_AUTH_SIZE, RPC_MAX_MACHINENAME, rpc_auth_flavors, rpc_auth_stat } from './msg_prot.h.js';
import { OpaqueAuth, UNX_CALLSLACK, UNX_NGROUPS, NUL_REPLYSLACK, xdr_stream_decode_opaque_auth, type rpc_auth } from './auth.js';
import { svc_auth_status, type SvcAuthRqst } from './svcauth.h.js';

const EMSGSIZE = errno.EMSGSIZE;
const EIO = errno.EIO;

/**
 * AuthUnixInit - the identity an AUTH_SYS authenticator sends.
 *
 * Emulator-only.
 */
export interface AuthUnixInit {
  /** The client's node name (`cl_nodename`), at most RPC_MAX_MACHINENAME bytes of UTF-8. */
  machinename: string | Uint8Array;
  uid: u32;
  gid: u32;
  /** Supplementary groups; only the first UNX_NGROUPS are sent, as the kernel truncates. @default [] */
  gids?: readonly u32[];
  /**
   * The stamp word: a number, or a function called at every marshal (e.g. seconds of a SimClock).
   * @default 0 (the kernel sends xdr_zero)
   */
  stamp?: u32 | (() => u32);
}

/**
 * unx_auth - an AUTH_SYS authenticator bound to one identity.
 *
 * Kernel: net/sunrpc/auth_unix.c unix_auth + struct unx_cred
 */
export interface unx_auth extends rpc_auth {
  readonly uc_uid: u32;
  readonly uc_gid: u32;
  readonly uc_gids: readonly u32[];
  /** The machinename bytes marshaled into every credential. */
  readonly cl_nodename: Uint8Array;
}

/**
 * authunix_create - an AUTH_SYS authenticator for one uid / gid / group list.
 *
 * Kernel: net/sunrpc/auth_unix.c unx_create() + unx_create_cred()
 * Divergence: the kernel takes the node name from the rpc_clnt (truncated to UNX_MAXNODENAME,
 * 64) and the ids from the calling task's cred; here both come from `init`, and the node name
 * may use the full RFC 5531 limit of 255 bytes.
 * @throws KernelError EINVAL if the machinename is longer than RPC_MAX_MACHINENAME bytes, or an
 *   id is not a u32
 * @example
 * ```ts
 * const auth = authunix_create({ machinename: 'client1', uid: 1000, gid: 1000, gids: [10, 100] });
 * rpc_encode_header(xdr, { xid: 7, prog: 100003, vers: 3, proc: 1 }, auth);
 * ```
 */
export function authunix_create(init: AuthUnixInit): unx_auth {
  const name = typeof init.machinename === 'string' ? new TextEncoder().encode(init.machinename) : init.machinename.slice();
  if (name.length > RPC_MAX_MACHINENAME) {
    throw new KernelError('EINVAL', `auth_unix: machinename of ${name.length} bytes exceeds ${RPC_MAX_MACHINENAME}`);
  }
  const gids = (init.gids ?? []).slice(0, UNX_NGROUPS);
  for (const id of [init.uid, init.gid, ...gids]) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new KernelError('EINVAL', `auth_unix: id ${id} is not a u32`);
  }
  const stampInit = init.stamp ?? 0;
  const stampFn = typeof stampInit === 'function' ? stampInit : null;
  const stamp = typeof stampInit === 'number' ? stampInit : 0;
  const uid = init.uid;
  const gid = init.gid;
  const namePad = (4 - (name.length & 3)) & 3;
  // flavor, length, stamp, name length, name + pad, uid, gid, group count, groups, verifier (2)
  const total = 4 * (3 + 1 + 3 + gids.length + 2) + name.length + namePad;
  const credLen = total - 16;

  const auth: unx_auth = {
    au_flavor: rpc_auth_flavors.RPC_AUTH_UNIX,
    au_name: 'UNIX',
    au_cslack: UNX_CALLSLACK,
    au_rslack: NUL_REPLYSLACK,
    au_verfsize: NUL_REPLYSLACK,
    uc_uid: uid,
    uc_gid: gid,
    uc_gids: gids,
    cl_nodename: name,
    marshal(xdr: xdr_stream): number {
      const off = xdrReserveOffset(xdr, total);
      if (off < 0) return -EMSGSIZE;
      const v = xdr.view;
      let p = put32(v, off, rpc_auth_flavors.RPC_AUTH_UNIX);
      p = put32(v, p, credLen);
      p = put32(v, p, stampFn !== null ? stampFn() : stamp);
      p = put32(v, p, name.length);
      v.set(name, p);
      p += name.length;
      for (let i = 0; i < namePad; i++) v[p++] = 0;
      p = put32(v, p, uid);
      p = put32(v, p, gid);
      p = put32(v, p, gids.length);
      for (let i = 0; i < gids.length; i++) p = put32(v, p, gids[i]!);
      p = put32(v, p, rpc_auth_flavors.RPC_AUTH_NULL);
      put32(v, p, 0);
      return 0;
    },
    validate(xdr: xdr_stream): number {
      return unx_validate(auth, xdr);
    },
  };
  return auth;
}

function put32(v: Uint8Array, p: number, n: number): number {
  v[p] = n / 16777216;
  v[p + 1] = n / 65536;
  v[p + 2] = n / 256;
  v[p + 3] = n;
  return p + 4;
}

/**
 * unx_validate - consume an AUTH_SYS reply verifier: flavor AUTH_NONE, AUTH_SYS or AUTH_SHORT,
 * body at most 400 bytes; records its size in `au_verfsize` / `au_rslack`.
 *
 * Kernel: net/sunrpc/auth_unix.c unx_validate()
 * @returns 0, or -EIO if truncated, of another flavor, or larger than RPC_MAX_AUTH_SIZE
 */
export function unx_validate(auth: rpc_auth, xdr: xdr_stream): number {
  const flavor = xdr_stream_decode_u32(xdr);
  if (flavor < 0) return -EIO;
  const size = xdr_stream_decode_u32(xdr);
  if (size < 0) return -EIO;
  switch (flavor) {
    case rpc_auth_flavors.RPC_AUTH_NULL:
    case rpc_auth_flavors.RPC_AUTH_UNIX:
    case rpc_auth_flavors.RPC_AUTH_SHORT:
      break;
    default:
      return -EIO;
  }
  if (size > RPC_MAX_AUTH_SIZE) return -EIO;
  if (xdr_inline_decode(xdr, size) === null) return -EIO;
  const words = Math.ceil(size / 4) + 2;
  auth.au_verfsize = words;
  auth.au_rslack = words;
  return 0;
}

const verf = new OpaqueAuth();

/**
 * svcauth_unix_accept - decode and check an AUTH_SYS credential and its verifier.
 *
 * Called by `svc_authenticate()` with the stream just past the credential's flavor word. On
 * SVC_OK, `rq_cred` holds uid, gid and the groups (sorted, as groups_sort() leaves them).
 *
 * Kernel: net/sunrpc/svcauth_unix.c svcauth_unix_accept()
 * Divergence: the kernel also writes the reply verifier (AUTH_NONE) into `rq_res_stream`; here
 * the reply encoder writes it. ids are not mapped through a user namespace.
 * @returns SVC_OK; SVC_GARBAGE (see the file header); SVC_DENIED with rq_auth_stat
 *   RPC_AUTH_BADCRED (more than 16 groups) or RPC_AUTH_BADVERF (verifier not an empty AUTH_NONE)
 * @example
 * ```ts
 * const st = svcauth_unix_accept(xdr, rqstp);
 * if (st === svc_auth_status.SVC_OK) console.log(rqstp.rq_cred.cr_uid);
 * ```
 */
export function svcauth_unix_accept(xdr: xdr_stream, rqstp: SvcAuthRqst): svc_auth_status {
  // cred length (ignored), stamp (ignored), machinename length
  if (xdr_stream_decode_u32(xdr) < 0) return svc_auth_status.SVC_GARBAGE;
  if (xdr_stream_decode_u32(xdr) < 0) return svc_auth_status.SVC_GARBAGE;
  const namelen = xdr_stream_decode_u32(xdr);
  if (namelen < 0) return svc_auth_status.SVC_GARBAGE;
  if (namelen > RPC_MAX_MACHINENAME) return svc_auth_status.SVC_GARBAGE;
  if (xdr_inline_decode(xdr, namelen) === null) return svc_auth_status.SVC_GARBAGE;

  const uid = xdr_stream_decode_u32(xdr);
  if (uid < 0) return svc_auth_status.SVC_GARBAGE;
  const gid = xdr_stream_decode_u32(xdr);
  if (gid < 0) return svc_auth_status.SVC_GARBAGE;
  const cred = rqstp.rq_cred;
  cred.cr_uid = uid;
  cred.cr_gid = gid;

  const len = xdr_stream_decode_u32(xdr);
  if (len < 0) return svc_auth_status.SVC_GARBAGE;
  if (len > UNX_NGROUPS) {
    rqstp.rq_auth_stat = rpc_auth_stat.RPC_AUTH_BADCRED;
    return svc_auth_status.SVC_DENIED;
  }
  const p = xdr_inline_decode(xdr, 4 * len);
  if (p === null) return svc_auth_status.SVC_GARBAGE;
  const groups: u32[] = new Array<u32>(len);
  for (let i = 0; i < len; i++) {
    const o = 4 * i;
    groups[i] = p[o]! * 16777216 + p[o + 1]! * 65536 + p[o + 2]! * 256 + p[o + 3]!;
  }
  groups.sort((a, b) => a - b);
  cred.cr_group_info = groups;

  if (xdr_stream_decode_opaque_auth(xdr, verf) < 0) return svc_auth_status.SVC_GARBAGE;
  if (verf.flavor !== rpc_auth_flavors.RPC_AUTH_NULL || verf.body.length !== 0) {
    rqstp.rq_auth_stat = rpc_auth_stat.RPC_AUTH_BADVERF;
    return svc_auth_status.SVC_DENIED;
  }
  cred.cr_flavor = rpc_auth_flavors.RPC_AUTH_UNIX;
  return svc_auth_status.SVC_OK;
}
