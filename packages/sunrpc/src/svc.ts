/**
 * svc - the transport-independent RPC server: program / version / procedure tables, the
 * per-request `svc_rqst`, and `svc_process()`, which turns one received call into the reply to
 * send (or a decision to drop it).
 *
 * Kernel: net/sunrpc/svc.c (svc_create, svc_process, svc_process_common,
 *         svc_generic_init_request, svc_generic_dispatch), include/linux/sunrpc/svc.h
 *         (struct svc_program, svc_version, svc_procedure, svc_rqst, svc_serv, svc_stat),
 *         fs/nfsd/nfssvc.c nfsd_dispatch (where the reply cache is consulted)
 *
 * Operation. A transport puts a received RPC message in `rq_arg`, sets `rq_addr`, and calls
 * `svc_process()`. The reply is built in `rq_res`:
 *
 * | outcome | reply (words after xid, REPLY) | stats |
 * |---|---|---|
 * | fewer than 2 words, or 6 | none (drop `short-header`) | |
 * | msg_type is not CALL | none (drop `bad-direction`) | rpcbadfmt |
 * | rpcvers ≠ 2 | MSG_DENIED, RPC_MISMATCH, 2, 2 | rpcbadfmt |
 * | svc_authenticate SVC_DENIED | MSG_DENIED, AUTH_ERROR, rq_auth_stat | rpcbadauth |
 * | svc_authenticate SVC_GARBAGE | MSG_ACCEPTED, verf, GARBAGE_ARGS | rpcbadfmt |
 * | svc_authenticate SVC_SYSERR | MSG_ACCEPTED, verf, SYSTEM_ERR | rpcbadfmt |
 * | svc_authenticate SVC_DROP / SVC_CLOSE | none (drop `auth-drop` / `auth-close`) | |
 * | program not registered | MSG_ACCEPTED, verf, PROG_UNAVAIL | rpcbadfmt |
 * | version not registered | MSG_ACCEPTED, verf, PROG_MISMATCH, pg_lovers, pg_hivers | rpcbadfmt |
 * | procedure ≥ vs_nproc | MSG_ACCEPTED, verf, PROC_UNAVAIL | rpcbadfmt |
 * | pc_decode fails | MSG_ACCEPTED, verf, GARBAGE_ARGS | rpccnt |
 * | reply cache: copy in progress | none (drop `cache-inprog`) | rpccnt |
 * | reply cache: done | MSG_ACCEPTED, verf, SUCCESS, cached results | rpccnt |
 * | pc_func → RPC_DROP_REPLY | none (drop `drop-reply`) | rpccnt |
 * | pc_func → another accept_stat | MSG_ACCEPTED, verf, that stat (results discarded) | rpccnt |
 * | pc_func sets rq_auth_stat | MSG_DENIED, AUTH_ERROR, rq_auth_stat | rpccnt, rpcbadauth |
 * | pc_encode fails | MSG_ACCEPTED, verf, SYSTEM_ERR | rpccnt |
 * | otherwise | MSG_ACCEPTED, verf, SUCCESS, pc_encode's results | rpccnt |
 *
 * `verf` is AUTH_NONE (flavor 0, length 0): AUTH_NONE and AUTH_SYS are the only flavors.
 * Invariants: `svc_process()` never throws on any input; the reply is `rq_res`, valid until the
 * next `svc_process()` on the same `svc_rqst`; a call the reply cache answers never reaches
 * `pc_func`.
 */
import type { u16, u32 } from '@rdmaemu/sim-core';
import {
  xdr_buf, xdr_buf_init, xdr_encode_word, xdr_init_decode, xdr_init_encode, xdr_stream, xdr_stream_decode_u32,
  xdr_stream_encode_u32, xdr_stream_pos, xdr_stream_remaining, xdr_truncate_encode,
} from '@rdmaemu/xdr_buf';
import {
  RPC_VERSION, rpc_accept_stat, rpc_auth_flavors, rpc_auth_stat, rpc_msg_type, rpc_reject_stat, rpc_reply_stat,
} from './msg_prot.h.js';
import { xdr_stream_encode_opaque_auth } from './auth.js';
import { svc_authenticate } from './svcauth.js';
import { svc_auth_status, svc_cred } from './svcauth.h.js';
import {
  RC_DROPIT, RC_NOCACHE, RC_REPLY, SvcReplyCache, svcCacheLookup, svcCacheUpdate, type SvcCacheRep,
  type svc_cachetype,
} from './cache.js';

/**
 * RPCSVC_MAXPAYLOAD_DEFAULT - default size of a request's reply buffer.
 *
 * Emulator-only (rationale: the kernel's sv_max_mesg is the payload plus a page; 1 MiB is
 * RPCSVC_MAXPAYLOAD, the largest NFS READ/WRITE the kernel serves).
 */
export const RPCSVC_MAXPAYLOAD_DEFAULT = 1024 * 1024 + 4096;

/**
 * svc_procedure - one procedure of one version.
 *
 * Kernel: include/linux/sunrpc/svc.h struct svc_procedure
 * Divergence: no `pc_argsize` / `pc_argzero` / `pc_ressize` (there is no preallocated argument
 * memory: `pc_decode` stores what it decoded in `rq_argp`, `pc_func` its result in `rq_resp`);
 * `pc_func` returns an `rpc_accept_stat`, as the kernel's `__be32`.
 */
export interface svc_procedure {
  /** Execute the call; RPC_SUCCESS, another accept_stat, or RPC_DROP_REPLY (send nothing). */
  pc_func: (rqstp: svc_rqst) => rpc_accept_stat;
  /** Decode the arguments from `xdr` (rq_arg_stream); false → GARBAGE_ARGS. */
  pc_decode: (rqstp: svc_rqst, xdr: xdr_stream) => boolean;
  /** Encode the results into `xdr` (rq_res_stream); false → SYSTEM_ERR. */
  pc_encode: (rqstp: svc_rqst, xdr: xdr_stream) => boolean;
  /** RC_NOCACHE, RC_REPLSTAT or RC_REPLBUFF: how the reply cache treats this procedure. */
  pc_cachetype: svc_cachetype;
  /** Largest reply in XDR words (informational; 0 if unknown). */
  pc_xdrressize: number;
  /** Name for traces. */
  pc_name: string;
}

/**
 * svc_version - one version of a program: its procedure table.
 *
 * Kernel: include/linux/sunrpc/svc.h struct svc_version
 * Divergence: no `vs_dispatch` (every version uses the generic dispatch, with the reply cache);
 * `vs_count` is created by svc_create().
 */
export interface svc_version {
  vs_vers: u32;
  vs_nproc: u32;
  vs_proc: readonly svc_procedure[];
  /** Calls per procedure (what /proc/net/rpc/nfsd `proc3` lines show); filled by svc_create(). */
  vs_count?: number[];
}

/**
 * svc_program - a registered RPC program.
 *
 * Kernel: include/linux/sunrpc/svc.h struct svc_program
 * Divergence: `pg_vers` is indexed by version number as in the kernel (holes are undefined or
 * null); programs are an array of the svc_serv, not a `pg_next` chain; `pg_authenticate` is
 * optional (absent: accept what svc_authenticate() accepted).
 */
export interface svc_program {
  pg_prog: u32;
  pg_lovers: u32;
  pg_hivers: u32;
  pg_nvers: u32;
  pg_vers: readonly (svc_version | null | undefined)[];
  pg_name: string;
  /** The program's own check after the flavor accepted the call (the kernel's svc_set_client). */
  pg_authenticate?: (rqstp: svc_rqst) => svc_auth_status;
}

/**
 * svc_stat - server-wide RPC counters (the `rpc` line of /proc/net/rpc/nfsd).
 *
 * Kernel: include/linux/sunrpc/stats.h struct svc_stat (the RPC fields)
 */
export class svc_stat {
  rpccnt = 0;
  rpcbadfmt = 0;
  rpcbadauth = 0;
  rpcbadclnt = 0;
}

/**
 * svc_serv - an RPC service: its programs, counters and reply cache.
 *
 * Kernel: include/linux/sunrpc/svc.h struct svc_serv
 * Divergence: no thread pools; `sv_drc` is the duplicate reply cache (fs/nfsd keeps it per net
 * namespace; here it serves every program of the service).
 */
export class svc_serv {
  readonly sv_stats = new svc_stat();
  constructor(
    readonly sv_programs: readonly svc_program[],
    readonly sv_name: string,
    readonly sv_max_mesg: number,
    readonly sv_drc: SvcReplyCache | null,
  ) {}
}

/**
 * SvcCreateInit - options of svc_create(). Emulator-only.
 */
export interface SvcCreateInit {
  /** Service name. @default the first program's pg_name */
  sv_name?: string;
  /** Reply buffer size per request. @default RPCSVC_MAXPAYLOAD_DEFAULT */
  bufsize?: number;
  /** The reply cache, or null for none. @default a new SvcReplyCache() */
  drc?: SvcReplyCache | null;
}

/**
 * svc_create - create a service serving `programs`.
 *
 * Kernel: net/sunrpc/svc.c svc_create() / svc_create_pooled()
 * Divergence: takes one program or an array (svc_create_pooled's array form), no thread
 * function; creates each version's `vs_count`.
 * A pg_prog registered twice: the first one wins (svc_process_common walks the list in order).
 * @example
 * ```ts
 * const serv = svc_create(echoProgram, { drc: new SvcReplyCache({ maxEntries: 64 }) });
 * ```
 */
export function svc_create(programs: svc_program | readonly svc_program[], init: SvcCreateInit = {}): svc_serv {
  const progs = Array.isArray(programs) ? [...(programs as readonly svc_program[])] : [programs as svc_program];
  for (const p of progs) {
    for (const v of p.pg_vers) if (v) v.vs_count = new Array<number>(v.vs_nproc).fill(0);
  }
  return new svc_serv(
    progs,
    init.sv_name ?? progs[0]?.pg_name ?? 'svc',
    init.bufsize ?? RPCSVC_MAXPAYLOAD_DEFAULT,
    init.drc === undefined ? new SvcReplyCache() : init.drc,
  );
}

/**
 * svc_rqst - one request being served: the call, its identity, and the reply being built.
 *
 * Kernel: include/linux/sunrpc/svc.h struct svc_rqst
 * Divergence: `rq_addr` is the client's address without the port (a string such as
 * `'192.0.2.1'`); `rq_port` holds the port separately (the reply cache ignores it, RFC 8267);
 * `rq_accept_stat` is the value the kernel writes through `rq_accept_statp`.
 */
export class svc_rqst {
  rq_xid: u32 = 0;
  rq_prog: u32 = 0;
  rq_vers: u32 = 0;
  rq_proc: u32 = 0;
  rq_procinfo: svc_procedure | null = null;
  readonly rq_cred = new svc_cred();
  rq_auth_stat: rpc_auth_stat = rpc_auth_stat.RPC_AUTH_OK;
  rq_accept_stat: rpc_accept_stat = rpc_accept_stat.RPC_SUCCESS;
  /** The received call (set by the transport). */
  rq_arg: xdr_buf = new xdr_buf();
  /** The reply (built by svc_process). */
  readonly rq_res = new xdr_buf();
  readonly rq_arg_stream = new xdr_stream();
  readonly rq_res_stream = new xdr_stream();
  /** Client address, without the port. */
  rq_addr = '';
  /** Client source port (0 when the transport has none). */
  rq_port: u16 = 0;
  /** What pc_decode produced. */
  rq_argp: unknown = null;
  /** What pc_func produced for pc_encode. */
  rq_resp: unknown = null;
  rq_cachetype: svc_cachetype = RC_NOCACHE;
  rq_cacherep: SvcCacheRep | null = null;
  private readonly resStorage: Uint8Array;

  constructor(readonly rq_server: svc_serv) {
    this.resStorage = new Uint8Array(rq_server.sv_max_mesg);
  }

  /** @internal svcxdr_init_encode: empty rq_res and point rq_res_stream at it. */
  initEncode(): void {
    xdr_buf_init(this.rq_res, this.resStorage, this.resStorage.length);
    this.rq_res.head[0].iov_len = 0;
    xdr_init_encode(this.rq_res_stream, this.rq_res, null);
  }
}

/**
 * svc_rqst_alloc - allocate a request for `serv` (with a reply buffer of `sv_max_mesg` bytes).
 *
 * Kernel: net/sunrpc/svc.c svc_rqst_alloc()
 * Divergence: no pool or NUMA node.
 * @example
 * ```ts
 * const rqstp = svc_rqst_alloc(serv);
 * rqstp.rq_arg = received; rqstp.rq_addr = '192.0.2.1';
 * const v = svc_process(rqstp);
 * ```
 */
export function svc_rqst_alloc(serv: svc_serv): svc_rqst {
  return new svc_rqst(serv);
}

/**
 * SvcDropReason - why svc_process() sends nothing. Emulator-only.
 */
export type SvcDropReason =
  | 'short-header'
  | 'bad-direction'
  | 'auth-drop'
  | 'auth-close'
  | 'cache-inprog'
  | 'drop-reply';

/**
 * SvcProcessVerdict - the result of svc_process(): the reply to send, or a drop.
 *
 * Emulator-only (the kernel's svc_process calls svc_send or svc_drop). `reply` is `rq_res`.
 */
export type SvcProcessVerdict = { send: true; reply: xdr_buf } | { send: false; reason: SvcDropReason };

type Outcome = true | SvcDropReason;

/**
 * svc_process - process one received call in `rqstp.rq_arg` and build the reply in `rq_res`.
 *
 * Kernel: net/sunrpc/svc.c svc_process()
 * Divergence: returns the verdict instead of calling svc_send() / svc_drop(); a short header
 * is dropped without closing the transport (the caller may close it on `short-header`).
 * @returns `{ send: true, reply }` or `{ send: false, reason }` (table in the file header);
 *   never throws on any input
 * @example
 * ```ts
 * rqstp.rq_arg = buf; rqstp.rq_addr = '192.0.2.1';
 * const v = svc_process(rqstp);
 * if (v.send) transmit(v.reply);
 * ```
 */
export function svc_process(rqstp: svc_rqst): SvcProcessVerdict {
  xdr_init_decode(rqstp.rq_arg_stream, rqstp.rq_arg, null);
  rqstp.initEncode();
  const xdr = rqstp.rq_arg_stream;
  const xid = xdr_stream_decode_u32(xdr);
  if (xid < 0) return { send: false, reason: 'short-header' };
  const dir = xdr_stream_decode_u32(xdr);
  if (dir < 0) return { send: false, reason: 'short-header' };
  rqstp.rq_xid = xid;
  if (dir !== rpc_msg_type.RPC_CALL) {
    rqstp.rq_server.sv_stats.rpcbadfmt++;
    return { send: false, reason: 'bad-direction' };
  }
  const r = svc_process_common(rqstp);
  return r === true ? { send: true, reply: rqstp.rq_res } : { send: false, reason: r };
}

/** Encode the AUTH_NONE verifier and the accept_stat placeholder; returns the accept_stat offset. */
function setAcceptStat(rqstp: svc_rqst): number {
  const res = rqstp.rq_res_stream;
  xdr_stream_encode_opaque_auth(res, rpc_auth_flavors.RPC_AUTH_NULL, null, 0);
  const off = xdr_stream_pos(res);
  xdr_stream_encode_u32(res, rpc_accept_stat.RPC_SUCCESS);
  return off;
}

/**
 * svc_process_common - everything after the xid and direction: rpcvers, authentication,
 * program / version / procedure lookup, the reply cache, and dispatch.
 *
 * Kernel: net/sunrpc/svc.c svc_process_common() with svc_generic_init_request(),
 * svc_generic_dispatch() and the reply-cache steps of fs/nfsd/nfssvc.c nfsd_dispatch()
 * Divergence: the AUTH_NONE reply verifier and the accept_stat slot are written here rather
 * than in the flavor's accept method (so GARBAGE_ARGS / SYSTEM_ERR from authentication also
 * carry one); returns `true` (send rq_res) or the drop reason instead of 1 / 0.
 * @returns true, or the SvcDropReason
 * @example
 * ```ts
 * // called by svc_process() once rq_xid and the CALL direction are decoded
 * ```
 */
export function svc_process_common(rqstp: svc_rqst): true | SvcDropReason {
  const serv = rqstp.rq_server;
  const stats = serv.sv_stats;
  const res = rqstp.rq_res_stream;
  const arg = rqstp.rq_arg_stream;
  rqstp.rq_procinfo = null;
  rqstp.rq_argp = null;
  rqstp.rq_resp = null;
  rqstp.rq_cacherep = null;
  rqstp.rq_cachetype = RC_NOCACHE;
  rqstp.rq_accept_stat = rpc_accept_stat.RPC_SUCCESS;

  xdr_stream_encode_u32(res, rqstp.rq_xid);
  xdr_stream_encode_u32(res, rpc_msg_type.RPC_REPLY);

  const rpcvers = xdr_stream_decode_u32(arg);
  const prog = xdr_stream_decode_u32(arg);
  const vers = xdr_stream_decode_u32(arg);
  const proc = xdr_stream_decode_u32(arg);
  if (rpcvers < 0 || prog < 0 || vers < 0 || proc < 0) return 'short-header';
  if (rpcvers !== RPC_VERSION) {
    // err_bad_rpc
    stats.rpcbadfmt++;
    xdr_stream_encode_u32(res, rpc_reply_stat.RPC_MSG_DENIED);
    xdr_stream_encode_u32(res, rpc_reject_stat.RPC_MISMATCH);
    xdr_stream_encode_u32(res, RPC_VERSION);
    xdr_stream_encode_u32(res, RPC_VERSION);
    return true;
  }
  xdr_stream_encode_u32(res, rpc_reply_stat.RPC_MSG_ACCEPTED);
  rqstp.rq_prog = prog;
  rqstp.rq_vers = vers;
  rqstp.rq_proc = proc;

  const progp = serv.sv_programs.find((p) => p.pg_prog === prog) ?? null;

  let auth_res = svc_authenticate(arg, rqstp);
  if (auth_res === svc_auth_status.SVC_OK && progp?.pg_authenticate) auth_res = progp.pg_authenticate(rqstp);

  const badAuth = (): Outcome => {
    stats.rpcbadauth++;
    xdr_truncate_encode(res, 8);
    xdr_stream_encode_u32(res, rpc_reply_stat.RPC_MSG_DENIED);
    xdr_stream_encode_u32(res, rpc_reject_stat.RPC_AUTH_ERROR);
    xdr_stream_encode_u32(res, rqstp.rq_auth_stat);
    return true;
  };
  const accepted = (stat: rpc_accept_stat, aoff: number): Outcome => {
    rqstp.rq_accept_stat = stat;
    xdr_encode_word(rqstp.rq_res, aoff, stat);
    return true;
  };

  switch (auth_res) {
    case svc_auth_status.SVC_OK:
      break;
    case svc_auth_status.SVC_DENIED:
      return badAuth();
    case svc_auth_status.SVC_DROP:
      return 'auth-drop';
    case svc_auth_status.SVC_CLOSE:
      return 'auth-close';
    case svc_auth_status.SVC_COMPLETE:
      return true;
    case svc_auth_status.SVC_GARBAGE:
      stats.rpcbadfmt++;
      return accepted(rpc_accept_stat.RPC_GARBAGE_ARGS, setAcceptStat(rqstp));
    default:
      // SVC_SYSERR, and anything unexpected (pr_warn_once in the kernel)
      stats.rpcbadfmt++;
      return accepted(rpc_accept_stat.RPC_SYSTEM_ERR, setAcceptStat(rqstp));
  }
  const aoff = setAcceptStat(rqstp);

  if (progp === null) {
    // err_bad_prog
    stats.rpcbadfmt++;
    return accepted(rpc_accept_stat.RPC_PROG_UNAVAIL, aoff);
  }
  // svc_generic_init_request
  const versp = vers < progp.pg_nvers ? progp.pg_vers[vers] : null;
  if (!versp) {
    // err_bad_vers
    stats.rpcbadfmt++;
    accepted(rpc_accept_stat.RPC_PROG_MISMATCH, aoff);
    xdr_stream_encode_u32(res, progp.pg_lovers);
    xdr_stream_encode_u32(res, progp.pg_hivers);
    return true;
  }
  const procp = proc < versp.vs_nproc ? versp.vs_proc[proc] : undefined;
  if (procp === undefined) {
    // err_bad_proc
    stats.rpcbadfmt++;
    return accepted(rpc_accept_stat.RPC_PROC_UNAVAIL, aoff);
  }
  rqstp.rq_procinfo = procp;
  rqstp.rq_cachetype = procp.pc_cachetype;
  if (versp.vs_count) versp.vs_count[proc] = (versp.vs_count[proc] ?? 0) + 1;
  stats.rpccnt++;

  // svc_generic_dispatch, with nfsd_dispatch's reply cache steps
  const start = xdr_stream_pos(arg);
  const len = xdr_stream_remaining(arg);
  if (!procp.pc_decode(rqstp, arg)) return accepted(rpc_accept_stat.RPC_GARBAGE_ARGS, aoff);

  const drc = serv.sv_drc;
  if (drc !== null) {
    const rc = svcCacheLookup(drc, rqstp, { cachetype: rqstp.rq_cachetype, start, len });
    if (rc === RC_DROPIT) return 'cache-inprog';
    if (rc === RC_REPLY) return true;
  }
  const forget = (): void => {
    if (drc !== null) svcCacheUpdate(drc, rqstp, { cachetype: RC_NOCACHE, resOffset: 0 });
  };
  const resOffset = xdr_stream_pos(res);
  const stat = procp.pc_func(rqstp);
  if (stat === rpc_accept_stat.RPC_DROP_REPLY) {
    forget();
    return 'drop-reply';
  }
  if (rqstp.rq_auth_stat !== rpc_auth_stat.RPC_AUTH_OK) {
    forget();
    return badAuth();
  }
  if (stat !== rpc_accept_stat.RPC_SUCCESS) {
    forget();
    xdr_truncate_encode(res, aoff + 4);
    return accepted(stat, aoff);
  }
  if (!procp.pc_encode(rqstp, res)) {
    forget();
    xdr_truncate_encode(res, aoff + 4);
    return accepted(rpc_accept_stat.RPC_SYSTEM_ERR, aoff);
  }
  if (drc !== null) svcCacheUpdate(drc, rqstp, { cachetype: rqstp.rq_cachetype, resOffset });
  return true;
}
