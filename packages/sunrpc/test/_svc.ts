/**
 * _svc - rigs for the svc / cache specs: an echo program, call messages as xdr_bufs, and reply
 * words.
 */
import { xdr_buf, xdr_buf_init, xdr_stream_decode_opaque_inline, xdr_stream_decode_u32, xdr_stream_encode_opaque, xdr_stream_encode_u32 } from '@rdmaemu/xdr_buf';
import { rpc_accept_stat } from '../src/msg_prot.h.js';
import { RpcCallHeader, rpcEncodeCallHeader } from '../src/rpc_msg.js';
import { RC_NOCACHE, RC_REPLBUFF, RC_REPLSTAT } from '../src/cache.js';
import type { svc_procedure, svc_program, svc_rqst, svc_version } from '../src/svc.js';
import { concat, encodeWith } from './_support.js';

export const ECHO_PROG = 0x20000099;
export const ECHOPROC_NULL = 0;
export const ECHOPROC_ECHO = 1;
/** Non-idempotent: increments a counter by the argument and returns the new value (RC_REPLBUFF). */
export const ECHOPROC_ADD = 2;
/** Non-idempotent, RC_REPLSTAT: returns a status word. */
export const ECHOPROC_BUMP = 3;
export const ECHOPROC_SYSERR = 4;
export const ECHOPROC_BADENC = 5;
export const ECHOPROC_DROP = 6;
export const ECHOPROC_TOOWEAK = 7;

export interface EchoState {
  counter: number;
  calls: number[];
  /** Called inside pc_func of ECHOPROC_ADD, before it returns. */
  during?: (rqstp: svc_rqst) => void;
}

export function echoProgram(state: EchoState): svc_program {
  const proc = (name: string, p: Partial<svc_procedure>): svc_procedure => ({
    pc_func: () => rpc_accept_stat.RPC_SUCCESS,
    pc_decode: () => true,
    pc_encode: () => true,
    pc_cachetype: RC_NOCACHE,
    pc_xdrressize: 0,
    pc_name: name,
    ...p,
  });
  const count = (r: svc_rqst): void => { state.calls.push(r.rq_proc); };
  const procs: svc_procedure[] = [
    proc('NULL', { pc_func: (r) => { count(r); return rpc_accept_stat.RPC_SUCCESS; } }),
    proc('ECHO', {
      pc_decode: (r, xdr) => { const v = xdr_stream_decode_opaque_inline(xdr, 1 << 20); if (typeof v === 'number') return false; r.rq_argp = v.slice(); return true; },
      pc_func: (r) => { count(r); r.rq_resp = r.rq_argp; return rpc_accept_stat.RPC_SUCCESS; },
      pc_encode: (r, xdr) => xdr_stream_encode_opaque(xdr, r.rq_resp as Uint8Array) >= 0,
    }),
    proc('ADD', {
      pc_cachetype: RC_REPLBUFF,
      pc_decode: (r, xdr) => { const v = xdr_stream_decode_u32(xdr); if (v < 0) return false; r.rq_argp = v; return true; },
      pc_func: (r) => { count(r); state.during?.(r); state.counter += r.rq_argp as number; r.rq_resp = state.counter; return rpc_accept_stat.RPC_SUCCESS; },
      pc_encode: (r, xdr) => xdr_stream_encode_u32(xdr, r.rq_resp as number) >= 0 && xdr_stream_encode_u32(xdr, 0xabcd) >= 0,
    }),
    proc('BUMP', {
      pc_cachetype: RC_REPLSTAT,
      pc_func: (r) => { count(r); state.counter++; r.rq_resp = state.counter; return rpc_accept_stat.RPC_SUCCESS; },
      pc_encode: (r, xdr) => xdr_stream_encode_u32(xdr, r.rq_resp as number) >= 0,
    }),
    proc('SYSERR', { pc_cachetype: RC_REPLBUFF, pc_func: (r) => { count(r); return rpc_accept_stat.RPC_SYSTEM_ERR; } }),
    proc('BADENC', { pc_func: (r) => { count(r); return rpc_accept_stat.RPC_SUCCESS; }, pc_encode: () => false }),
    proc('DROP', { pc_func: (r) => { count(r); return rpc_accept_stat.RPC_DROP_REPLY; } }),
    proc('TOOWEAK', { pc_func: (r) => { count(r); r.rq_auth_stat = 5; return rpc_accept_stat.RPC_SUCCESS; } }),
  ];
  const v1: svc_version = { vs_vers: 1, vs_nproc: procs.length, vs_proc: procs };
  const v2: svc_version = { vs_vers: 2, vs_nproc: procs.length, vs_proc: procs };
  return { pg_prog: ECHO_PROG, pg_lovers: 1, pg_hivers: 2, pg_nvers: 3, pg_vers: [null, v1, v2], pg_name: 'echo' };
}

export interface CallInit {
  xid?: number;
  rpcvers?: number;
  prog?: number;
  vers?: number;
  proc?: number;
  credFlavor?: number;
  cred?: Uint8Array;
  verfFlavor?: number;
  verf?: Uint8Array;
}

/** The bytes of a call header followed by `args`. */
export function callBytes(init: CallInit, args: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new RpcCallHeader();
  h.xid = init.xid ?? 0x1234;
  h.rpcvers = init.rpcvers ?? 2;
  h.prog = init.prog ?? ECHO_PROG;
  h.vers = init.vers ?? 1;
  h.proc = init.proc ?? 0;
  h.credFlavor = init.credFlavor ?? 0;
  h.cred = init.cred ?? new Uint8Array(0);
  h.verfFlavor = init.verfFlavor ?? 0;
  h.verf = init.verf ?? new Uint8Array(0);
  const { rc, bytes } = encodeWith((xdr) => rpcEncodeCallHeader(xdr, h));
  if (rc !== 0) throw new Error(`encode ${rc}`);
  return concat(bytes, args);
}

/** An xdr_buf holding a copy of `bytes` in its head. */
export function bufOf(bytes: Uint8Array): xdr_buf {
  const buf = new xdr_buf();
  const copy = bytes.slice();
  xdr_buf_init(buf, copy, copy.length);
  buf.len = copy.length;
  return buf;
}

/** The big-endian words of an xdr_buf's head. */
export function replyWords(buf: xdr_buf): number[] {
  const v = new DataView(buf.head[0].iov_base.buffer, buf.head[0].iov_base.byteOffset, buf.len);
  const out: number[] = [];
  for (let i = 0; i + 4 <= buf.len; i += 4) out.push(v.getUint32(i));
  return out;
}
