/**
 * cache - the server's duplicate reply cache (DRC): a retransmitted non-idempotent call is
 * answered from the reply saved the first time instead of being executed again.
 *
 * Kernel: fs/nfsd/nfscache.c (nfsd_cache_lookup, nfsd_cache_update, nfsd_cache_csum,
 *         nfsd_cache_key_cmp, nfsd_prune_bucket_locked), fs/nfsd/cache.h (RC_* values,
 *         RC_CSUMLEN), fs/nfsd/stats.c (the `rc` line of /proc/net/rpc/nfsd)
 *
 * Operation: `svc_process()` calls `svcCacheLookup()` after `pc_decode` succeeded, for every
 * procedure whose `pc_cachetype` is not RC_NOCACHE, with the offset and length of the procedure
 * arguments in `rq_arg`. The key is XID, client address (no port), program, version,
 * procedure, argument length and a checksum of the first RC_CSUMLEN argument bytes.
 *
 * ```
 *   lookup: no entry ──insert RC_INPROG, miss──▶ RC_DOIT ──pc_func/pc_encode──▶ update
 *                                                                  │
 *              update(RC_NOCACHE): entry freed ◀── failure ────────┤
 *              update(RC_REPLSTAT | RC_REPLBUFF): RC_DONE ◀────────┘
 *   lookup: entry RC_INPROG ──hit──▶ RC_DROPIT (the first copy is still running)
 *   lookup: entry RC_DONE   ──hit──▶ RC_REPLY (status word or result bytes appended)
 * ```
 * Invariants: at most `maxEntries` entries; eviction takes the least recently used RC_DONE
 * entry and never an RC_INPROG one (nfsd_prune_bucket_locked skips them), so the cache may
 * briefly exceed its bound while that many calls are in progress. A hit moves the entry to the
 * most recently used end (lru_put_end).
 *
 * Spec: RFC 8267 (the DRC must not key on the source port: ports mean nothing on RDMA and a
 * reconnecting client gets a new one).
 */
import type { u32 } from '@rdmaemu/sim-core';
import {
  read_bytes_from_xdr_buf, xdr_stream_encode_u32, xdr_stream_encode_opaque_fixed, type xdr_buf, type xdr_stream,
} from '@rdmaemu/xdr_buf';

/** RC_NOCACHE - cachetype: never cache the reply. Kernel: fs/nfsd/cache.h */
export const RC_NOCACHE = 0;
/** RC_REPLSTAT - cachetype: cache the first result word (a status). Kernel: fs/nfsd/cache.h */
export const RC_REPLSTAT = 1;
/** RC_REPLBUFF - cachetype: cache all result bytes. Kernel: fs/nfsd/cache.h */
export const RC_REPLBUFF = 2;
/** svc_cachetype - one of RC_NOCACHE, RC_REPLSTAT, RC_REPLBUFF. Emulator-only (the kernel's enum is anonymous). */
export type svc_cachetype = typeof RC_NOCACHE | typeof RC_REPLSTAT | typeof RC_REPLBUFF;

/** RC_UNUSED - entry state: not in use. Kernel: fs/nfsd/cache.h */
export const RC_UNUSED = 0;
/** RC_INPROG - entry state: the call is being executed. Kernel: fs/nfsd/cache.h */
export const RC_INPROG = 1;
/** RC_DONE - entry state: the reply is saved. Kernel: fs/nfsd/cache.h */
export const RC_DONE = 2;

/** RC_DROPIT - lookup result: drop the call (a copy is in progress). Kernel: fs/nfsd/cache.h */
export const RC_DROPIT = 0;
/** RC_REPLY - lookup result: the cached reply was appended; send it. Kernel: fs/nfsd/cache.h */
export const RC_REPLY = 1;
/** RC_DOIT - lookup result: execute the call. Kernel: fs/nfsd/cache.h */
export const RC_DOIT = 2;

/**
 * RC_CSUMLEN - argument bytes covered by the checksum.
 *
 * Kernel: fs/nfsd/cache.h RC_CSUMLEN (rationale: enough to tell apart two calls that reuse an
 * XID, cheap enough to compute for every cached call)
 */
export const RC_CSUMLEN = 256;

/**
 * SVC_DRC_DEFAULT_ENTRIES - default bound on cache entries.
 *
 * Emulator-only (the kernel sizes the cache from memory, nfsd_cache_size_limit(); rationale:
 * well above the 128 credits an RPC-over-RDMA client may have outstanding).
 */
export const SVC_DRC_DEFAULT_ENTRIES = 1024;

/**
 * SvcCacheRqst - the part of `svc_rqst` the reply cache reads and writes.
 *
 * Emulator-only: `svc_rqst` satisfies it structurally (kernel field names).
 */
export interface SvcCacheRqst {
  rq_xid: u32;
  /** Client address without the port. */
  rq_addr: string;
  rq_prog: u32;
  rq_vers: u32;
  rq_proc: u32;
  rq_arg: xdr_buf;
  rq_res_stream: xdr_stream;
  /** The entry svcCacheLookup() inserted for this call (RC_DOIT), else null. */
  rq_cacherep: SvcCacheRep | null;
}

/**
 * SvcCacheKey - what identifies a call. Kernel: fs/nfsd/cache.h struct nfsd_cacherep c_key
 * Divergence: `k_addr` has no port (RFC 8267); `k_prog` replaces `k_prot` (one cache serves
 * every program, and the transport does not matter).
 */
export interface SvcCacheKey {
  k_addr: string;
  k_xid: u32;
  k_csum: u32;
  k_prog: u32;
  k_vers: u32;
  k_proc: u32;
  k_len: number;
}

/**
 * SvcCacheRep - one cache entry.
 *
 * Kernel: fs/nfsd/cache.h struct nfsd_cacherep
 * Divergence: no `c_secure` or `c_timestamp` (no RQ_SECURE, no RC_EXPIRE ageing: entries leave
 * by LRU eviction only).
 */
export class SvcCacheRep {
  c_state: typeof RC_UNUSED | typeof RC_INPROG | typeof RC_DONE = RC_UNUSED;
  c_type: svc_cachetype = RC_NOCACHE;
  /** RC_REPLSTAT: the saved status word. */
  c_replstat: u32 = 0;
  /** RC_REPLBUFF: the saved result bytes. */
  c_replvec: Uint8Array | null = null;
  constructor(readonly c_key: SvcCacheKey, readonly hashKey: string) {}
}

/**
 * SvcReplyCacheStats - the DRC counters.
 *
 * Kernel: fs/nfsd/stats.h NFSD_STATS_RC_HITS / _RC_MISSES / _RC_NOCACHE / _PAYLOAD_MISSES;
 * the first three are the `rc` line of /proc/net/rpc/nfsd.
 */
export interface SvcReplyCacheStats {
  rc_hits: number;
  rc_misses: number;
  rc_nocache: number;
  /** An entry with the same XID but another checksum was seen (fs/nfsd/nfscache.c nfsd_cache_key_cmp). */
  payload_misses: number;
  /** Entries evicted to stay within the bound (emulator-only). */
  evictions: number;
}

/**
 * SvcReplyCacheInit - options of a reply cache. Emulator-only.
 */
export interface SvcReplyCacheInit {
  /** Bound on entries. @default SVC_DRC_DEFAULT_ENTRIES */
  maxEntries?: number;
  /** Argument bytes checksummed. @default RC_CSUMLEN */
  csumLen?: number;
}

/**
 * SvcReplyCache - a duplicate reply cache shared by every program of an `svc_serv`.
 *
 * Emulator-only: the state fs/nfsd keeps in `struct nfsd_net` (drc_hashtbl, max_drc_entries,
 * the LRU), generalised to sunrpc as issue 6 asks. A Map keeps insertion order, which is the LRU
 * order (a hit re-inserts).
 * Bad options are clamped (maxEntries ≥ 1, csumLen ≥ 0); nothing throws.
 * @example
 * ```ts
 * const drc = new SvcReplyCache({ maxEntries: 64 });
 * const serv = svc_create(prog, { drc });
 * ```
 */
export class SvcReplyCache {
  readonly maxEntries: number;
  readonly csumLen: number;
  readonly stats: SvcReplyCacheStats = { rc_hits: 0, rc_misses: 0, rc_nocache: 0, payload_misses: 0, evictions: 0 };
  /** Entries in LRU order (oldest first). */
  readonly entries = new Map<string, SvcCacheRep>();
  /** Entries per XID, for payload-miss accounting. */
  private readonly byXid = new Map<string, number>();

  constructor(init: SvcReplyCacheInit = {}) {
    this.maxEntries = Math.max(1, init.maxEntries ?? SVC_DRC_DEFAULT_ENTRIES);
    this.csumLen = Math.max(0, init.csumLen ?? RC_CSUMLEN);
  }

  /** Number of entries. */
  get size(): number {
    return this.entries.size;
  }

  /** @internal */
  insert(rp: SvcCacheRep): void {
    this.entries.set(rp.hashKey, rp);
    const xk = xidKey(rp.c_key);
    this.byXid.set(xk, (this.byXid.get(xk) ?? 0) + 1);
  }

  /** @internal */
  remove(rp: SvcCacheRep): void {
    if (this.entries.get(rp.hashKey) !== rp) return;
    this.entries.delete(rp.hashKey);
    const xk = xidKey(rp.c_key);
    const n = (this.byXid.get(xk) ?? 1) - 1;
    if (n === 0) this.byXid.delete(xk);
    else this.byXid.set(xk, n);
  }

  /** @internal */
  hasXid(key: SvcCacheKey): boolean {
    return this.byXid.has(xidKey(key));
  }
}

function xidKey(k: SvcCacheKey): string {
  return `${k.k_addr}\u0000${k.k_xid}`;
}

function hashKeyOf(k: SvcCacheKey): string {
  return `${k.k_addr}\u0000${k.k_xid}\u0000${k.k_csum}\u0000${k.k_prog}\u0000${k.k_vers}\u0000${k.k_proc}\u0000${k.k_len}`;
}

const crcTable = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

let csumScratch = new Uint8Array(RC_CSUMLEN);

/**
 * svcCacheCsum - the checksum of the first `min(len, csumLen)` bytes of `buf` from `start`.
 *
 * Kernel: fs/nfsd/nfscache.c nfsd_cache_csum()
 * Divergence: CRC-32 (IEEE 802.3, as crc32_le with the usual pre/post inversion) over the
 * bytes, wherever they sit in head, pages or tail.
 * @returns the checksum as a u32; 0 if the range is outside the message
 * @example
 * ```ts
 * const csum = svcCacheCsum(rqstp.rq_arg, 40, rqstp.rq_arg.len - 40);
 * ```
 */
export function svcCacheCsum(buf: xdr_buf, start: number, len: number, csumLen: number = RC_CSUMLEN): u32 {
  const n = Math.max(0, Math.min(len, csumLen));
  if (csumScratch.length < n) csumScratch = new Uint8Array(n);
  if (read_bytes_from_xdr_buf(buf, start, csumScratch, n) !== 0) return 0;
  let c = 0xffffffff;
  for (let i = 0; i < n; i++) c = crcTable[(c ^ csumScratch[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** SvcCacheLookupInit - what svcCacheLookup() needs besides the request. Emulator-only. */
export interface SvcCacheLookupInit {
  /** The procedure's pc_cachetype. */
  cachetype: svc_cachetype;
  /** Offset of the procedure arguments in rq_arg. */
  start: number;
  /** Length of the procedure arguments. */
  len: number;
}

/** SvcCacheUpdateInit - what svcCacheUpdate() saves. Emulator-only. */
export interface SvcCacheUpdateInit {
  /** RC_NOCACHE (forget the call), RC_REPLSTAT or RC_REPLBUFF. */
  cachetype: svc_cachetype;
  /** Offset in rq_res of the first result byte (right after the accept_stat). */
  resOffset: number;
}

/**
 * svcCacheLookup - find a call in the cache, or insert it as RC_INPROG.
 *
 * On RC_REPLY the cached status word (RC_REPLSTAT) or result bytes (RC_REPLBUFF) have been
 * appended to `rq_res_stream`, right after the accept_stat the caller already encoded. On
 * RC_DOIT `rq_cacherep` is the new entry (or null for `cachetype` RC_NOCACHE) and the caller
 * must finish with `svcCacheUpdate()`.
 *
 * Kernel: fs/nfsd/nfscache.c nfsd_cache_lookup()
 * Divergence: `cachetype` is a parameter (the kernel reads rq_cachetype); the key ignores the
 * source port (RFC 8267); an RC_DONE entry whose type is RC_NOCACHE cannot exist here (update
 * with RC_NOCACHE frees it), so the kernel's "found but nothing to replay → RC_DOIT" case is not
 * reachable.
 * @param where the cachetype and the position of the procedure arguments in `rq_arg`
 * @returns RC_DOIT, RC_REPLY or RC_DROPIT
 * @example
 * ```ts
 * switch (svcCacheLookup(drc, rqstp, { cachetype: RC_REPLBUFF, start, len })) {
 *   case RC_DROPIT: return drop();
 *   case RC_REPLY: return send();
 * }
 * ```
 */
export function svcCacheLookup(
  cache: SvcReplyCache,
  rqstp: SvcCacheRqst,
  where: SvcCacheLookupInit,
): typeof RC_DOIT | typeof RC_REPLY | typeof RC_DROPIT {
  rqstp.rq_cacherep = null;
  if (where.cachetype === RC_NOCACHE) {
    cache.stats.rc_nocache++;
    return RC_DOIT;
  }
  const key: SvcCacheKey = {
    k_addr: rqstp.rq_addr,
    k_xid: rqstp.rq_xid,
    k_csum: svcCacheCsum(rqstp.rq_arg, where.start, where.len, cache.csumLen),
    k_prog: rqstp.rq_prog,
    k_vers: rqstp.rq_vers,
    k_proc: rqstp.rq_proc,
    k_len: where.len,
  };
  const hk = hashKeyOf(key);
  const found = cache.entries.get(hk);
  if (found === undefined) {
    if (cache.hasXid(key)) cache.stats.payload_misses++;
    const rp = new SvcCacheRep(key, hk);
    rp.c_state = RC_INPROG;
    rp.c_type = where.cachetype;
    cache.insert(rp);
    prune(cache);
    cache.stats.rc_misses++;
    rqstp.rq_cacherep = rp;
    return RC_DOIT;
  }
  cache.stats.rc_hits++;
  if (found.c_state === RC_INPROG) return RC_DROPIT;
  // lru_put_end
  cache.entries.delete(hk);
  cache.entries.set(hk, found);
  const xdr = rqstp.rq_res_stream;
  if (found.c_type === RC_REPLSTAT) {
    if (xdr_stream_encode_u32(xdr, found.c_replstat) < 0) return RC_DROPIT;
  } else {
    const v = found.c_replvec!;
    if (v.length > 0 && xdr_stream_encode_opaque_fixed(xdr, v, v.length) < 0) return RC_DROPIT;
  }
  return RC_REPLY;
}

function prune(cache: SvcReplyCache): void {
  if (cache.entries.size <= cache.maxEntries) return;
  for (const rp of cache.entries.values()) {
    if (cache.entries.size <= cache.maxEntries) break;
    if (rp.c_state === RC_INPROG) continue;
    cache.remove(rp);
    cache.stats.evictions++;
  }
}

/**
 * svcCacheUpdate - save the reply of a call svcCacheLookup() let through, or forget the call.
 *
 * `cachetype` RC_NOCACHE frees the entry (the call failed or was dropped: a retransmit runs it
 * again). RC_REPLSTAT saves the word at `resOffset` in `rq_res`; RC_REPLBUFF saves the bytes
 * from `resOffset` to the end of `rq_res`. Does nothing when `rq_cacherep` is null.
 *
 * Kernel: fs/nfsd/nfscache.c nfsd_cache_update()
 * Divergence: the results are located by offset in `rq_res` instead of a pointer; the kernel's
 * size cap on a saved buffer (nfsd_cache_append's one-page limit) is not applied.
 * @example
 * ```ts
 * svcCacheUpdate(drc, rqstp, { cachetype: RC_REPLBUFF, resOffset });
 * ```
 */
export function svcCacheUpdate(cache: SvcReplyCache, rqstp: SvcCacheRqst, what: SvcCacheUpdateInit): void {
  const rp = rqstp.rq_cacherep;
  rqstp.rq_cacherep = null;
  if (rp === null) return;
  const res = rqstp.rq_res_stream.buf;
  const len = Math.max(0, res.len - what.resOffset);
  switch (what.cachetype) {
    case RC_REPLSTAT: {
      if (len < 4) break;
      const w = new Uint8Array(4);
      read_bytes_from_xdr_buf(res, what.resOffset, w, 4);
      rp.c_replstat = (w[0]! * 16777216 + w[1]! * 65536 + w[2]! * 256 + w[3]!) >>> 0;
      rp.c_type = RC_REPLSTAT;
      rp.c_state = RC_DONE;
      return;
    }
    case RC_REPLBUFF: {
      const v = new Uint8Array(len);
      if (read_bytes_from_xdr_buf(res, what.resOffset, v, len) !== 0) break;
      rp.c_replvec = v;
      rp.c_type = RC_REPLBUFF;
      rp.c_state = RC_DONE;
      return;
    }
    default:
      break;
  }
  cache.remove(rp);
}

/**
 * svcCacheRcLine - the `rc` line of /proc/net/rpc/nfsd: hits, misses, nocache.
 *
 * Kernel: fs/nfsd/stats.c nfsd_show()
 * @example
 * ```ts
 * svcCacheRcLine(drc); // 'rc 1 3 12'
 * ```
 */
export function svcCacheRcLine(cache: SvcReplyCache): string {
  const s = cache.stats;
  return `rc ${s.rc_hits} ${s.rc_misses} ${s.rc_nocache}`;
}
