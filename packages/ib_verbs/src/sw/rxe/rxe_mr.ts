/**
 * rxe_mr - memory regions: states, keys, lookup, range checks, and every HCA access to host
 * memory through an MR (the DMA device side).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c (rxe_mr_init_dma, rxe_mr_init_fast, rxe_map_mr_sg,
 *         rxe_mr_copy, copy_data, lookup_mr, mr_check_range, rxe_invalidate_mr, rxe_reg_fast_mr,
 *         rxe_mr_do_atomic_op, rxe_dereg_mr)
 *
 * Operation: an MR maps an IOVA range onto DMA addresses. A DMA MR (get_dma_mr, which is what
 * `pd.local_dma_lkey` names) is the identity: the IOVA *is* the DMA address. A fast-reg MR
 * (alloc_mr) holds a page list of DMA addresses filled by map_mr_sg (ib_sg_to_pages), and an
 * IOVA/length made valid by a REG_MR work request. Every byte goes through
 * `dmaDeviceRead` (views, zero copy) or `dmaDeviceWrite` (the one copy) on the device's
 * `dma_device`, so IOMMU faults, swiotlb bounce slots, non-coherent caches and dma-debug all
 * apply; a refused access is a `DmaFault` value that callers turn into -EFAULT.
 *
 * States (rxe_mr_state):
 *
 *   alloc_mr ──> FREE ──REG_MR──> VALID ──LOCAL_INV / SEND_WITH_INV / READ_WITH_INV (sink)──> FREE
 *                 ^  └─LOCAL_INV (current key)─┘      (REG_MR on a VALID MR: -EINVAL)
 *   get_dma_mr / reg ─────────> VALID
 *   dereg_mr (any) ──> ZOMBIE (removed from the key pool; later lookups fail)
 *
 * Keys: index << 8 | key byte; the pool index is the MR's identity. There are two copies, as in
 * rxe: the HCA's (`rxe_lkey`/`rxe_rkey`, kernel rxe_mr.lkey/rkey), changed only by a successful
 * REG_MR, which takes the key byte of the WR; and the consumer's (`ibmr.lkey/rkey`), whose key
 * byte ib_update_fast_reg_key changes at will. Every HCA check uses the HCA's copy, so the
 * kernel's FRWR cycle works: rotate the ib_mr key, post LOCAL_INV(old key) + REG_MR(new key).
 */
import { dmaDeviceReadAppend, dmaDeviceWrite, isDmaFault, type DmaFault } from '@rdmaemu/dma-core';
import { KernelError, get_random_u32 } from '@rdmaemu/sim-core';
import { ib_access_flags, ib_mr_type } from '../../core/ib_verbs.h.js';
import type { ib_pd } from '../../core/device.js';
import {
  rxe_mr, rxe_mr_lookup_type, rxe_mr_state, type rxe_dev, type rxe_dma_info, type rxe_qp, type rxe_send_wqe,
  to_rdev,
} from './rxe_verbs.h.js';

const TWO_32 = 0x1_0000_0000;

/** Kernel: rxe_verbs.h RXE_ACCESS_REMOTE. */
const RXE_ACCESS_REMOTE = ib_access_flags.IB_ACCESS_REMOTE_READ | ib_access_flags.IB_ACCESS_REMOTE_WRITE |
  ib_access_flags.IB_ACCESS_REMOTE_ATOMIC;

/** Allocate a key for mr from the device's MR pool. Kernel: rxe_mr.c rxe_mr_init() (key = index << 8 | random byte). */
function rxe_mr_init(rxe: rxe_dev, mr: rxe_mr, access: number): void {
  mr.index = rxe.mr_pool.alloc(mr);
  const key = ((mr.index << 8) | (get_random_u32(rxe.clock.random) & 0xff)) >>> 0;
  // the ib_mr's keys and the HCA's start equal; only REG_MR / ib_update_fast_reg_key part them
  mr.lkey = mr.rxe_lkey = key;
  mr.rkey = mr.rxe_rkey = key;
  mr.access = access;
}

/**
 * rxe_mr_init_dma - a DMA MR: VALID at once, IOVA = DMA address, unlimited length.
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c rxe_mr_init_dma()
 * @throws KernelError ENOMEM when the MR pool is full
 */
export function rxe_mr_init_dma(pd: ib_pd, access: number): rxe_mr {
  const rxe = to_rdev(pd.device);
  const mr = new rxe_mr(pd, ib_mr_type.IB_MR_TYPE_DMA);
  rxe_mr_init(rxe, mr, access);
  mr.is_dma = true;
  mr.state = rxe_mr_state.RXE_MR_STATE_VALID;
  return mr;
}

/**
 * rxe_mr_init_fast - a fast-registration MR (alloc_mr): FREE, with room for max_num_sg pages.
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c rxe_mr_init_fast()
 * @throws KernelError ENOMEM when the MR pool is full
 */
export function rxe_mr_init_fast(pd: ib_pd, type: ib_mr_type, max_num_sg: number): rxe_mr {
  const rxe = to_rdev(pd.device);
  const mr = new rxe_mr(pd, type);
  rxe_mr_init(rxe, mr, 0);
  mr.max_num_sg = max_num_sg;
  mr.page_list = new Array<number>(max_num_sg).fill(0);
  mr.state = rxe_mr_state.RXE_MR_STATE_FREE;
  return mr;
}

/**
 * rxe_set_page - the set_page callback of ib_sg_to_pages: append one page's DMA address.
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c rxe_set_page()
 * @returns 0, or -ENOMEM when the page list is full
 */
export function rxe_set_page(mr: rxe_mr, dma_addr: number | bigint): number {
  if (mr.nbuf >= mr.max_num_sg) return -12;
  mr.page_list[mr.nbuf++] = Number(dma_addr);
  return 0;
}

/** Prepare mr for a new mapping (called by map_mr_sg before ib_sg_to_pages). Kernel: rxe_map_mr_sg() prologue. */
export function rxe_mr_map_begin(mr: rxe_mr, page_size: number): void {
  mr.nbuf = 0;
  mr.page_size = page_size;
  mr.page_shift = Math.round(Math.log2(page_size));
  mr.page_mask = page_size - 1;
}

/** Recompute the hot-path IOVA fields from ibmr.iova (bigint). Emulator-only; once per map / REG_MR. */
export function rxe_mr_sync_iova(mr: rxe_mr): void {
  const iova = BigInt.asUintN(64, mr.iova);
  mr.iova_hi = Number(iova >> 32n);
  mr.iova_lo = Number(iova & 0xffffffffn);
  mr.page_offset = mr.page_size ? mr.iova_lo % mr.page_size : 0;
}

/**
 * lookup_mr - find the MR a key names, with the access, PD and state the use needs.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c lookup_mr()
 * The key is compared with the HCA's key (rxe_lkey / rxe_rkey), not ibmr.lkey/rkey.
 * @returns the MR, or null when the key is unknown, stale (low byte differs from the key the last
 *          REG_MR installed), of another PD, lacks `access`, or the MR is not VALID
 */
export function lookup_mr(pd: ib_pd, access: number, key: number, type: rxe_mr_lookup_type): rxe_mr | null {
  const rxe = to_rdev(pd.device);
  const mr = rxe.mr_pool.get(key >>> 8);
  if (mr === undefined) return null;
  if ((type === rxe_mr_lookup_type.RXE_LOOKUP_LOCAL && mr.rxe_lkey !== key) ||
      (type === rxe_mr_lookup_type.RXE_LOOKUP_REMOTE && mr.rxe_rkey !== key) ||
      mr.pd !== pd || (access & mr.access) !== access || mr.state !== rxe_mr_state.RXE_MR_STATE_VALID) {
    return null;
  }
  return mr;
}

/**
 * lookup_mr_cached - lookup_mr with a one-entry cache: `cached` (the MR found for this user last
 * time) is returned when it passes every check lookup_mr makes, else the pool is searched.
 *
 * Emulator-only (the per-packet Map lookup saved). Equivalent to lookup_mr: a VALID MR whose HCA
 * key equals `key` is the pool entry at key >>> 8 (REG_MR changes only the low byte; dereg makes
 * it ZOMBIE before removing it), so every outcome is the same.
 */
export function lookup_mr_cached(pd: ib_pd, access: number, key: number, type: rxe_mr_lookup_type,
  cached: rxe_mr | null): rxe_mr | null {
  if (cached !== null && cached.state === rxe_mr_state.RXE_MR_STATE_VALID &&
      (type === rxe_mr_lookup_type.RXE_LOOKUP_LOCAL ? cached.rxe_lkey : cached.rxe_rkey) === key &&
      cached.pd === pd && (access & cached.access) === access) {
    return cached;
  }
  return lookup_mr(pd, access, key, type);
}

/** Byte offset of va from the MR's IOVA (may be negative or huge). Emulator-only, no bigint. */
export function mr_offset(mr: rxe_mr, va_hi: number, va_lo: number): number {
  return (va_hi - mr.iova_hi) * TWO_32 + (va_lo - mr.iova_lo);
}

/**
 * mr_check_range - is [va, va+length) inside the MR?
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c mr_check_range()
 * @returns 0 or -EINVAL (-22)
 */
export function mr_check_range(mr: rxe_mr, va_hi: number, va_lo: number, length: number): number {
  if (mr.is_dma) return 0;
  const off = mr_offset(mr, va_hi, va_lo);
  if (off < 0 || off + length > mr.length) return -22;
  return 0;
}

// Cursor over source views for TO_MR copies (module scratch: copies are synchronous).
let srcViews: readonly Uint8Array[] = [];
let srcIdx = 0;
let srcOff = 0;

/** Write `len` bytes from the source cursor at DMA address dma. */
function writeRun(dev: rxe_dev, dma: number, len: number): DmaFault | null {
  while (len > 0) {
    const v = srcViews[srcIdx]!;
    const n = Math.min(len, v.length - srcOff);
    const r = dmaDeviceWrite(dev.dma_device, dma, srcOff === 0 && n === v.length ? v : v.subarray(srcOff, srcOff + n));
    if (isDmaFault(r)) return r;
    dma += n;
    len -= n;
    srcOff += n;
    if (srcOff === v.length) { srcIdx++; srcOff = 0; }
  }
  return null;
}

/** Read `len` bytes at dma, pushing views to out. */
function readRun(dev: rxe_dev, dma: number, len: number, out: Uint8Array[]): DmaFault | null {
  const r = dmaDeviceReadAppend(dev.dma_device, dma, len, out);
  return isDmaFault(r) ? r : null;
}

/**
 * rxe_mr_copy - move `length` bytes between the MR at va and the packet, by DMA.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c rxe_mr_copy()
 * TO_MR: the source is the current view cursor (set by rxe_copy_source); FROM_MR: views of the
 * memory are pushed to `out` (zero copy). Contiguous pages are one device access.
 * @returns 0, or -EFAULT (-14) on a DMA fault
 */
export function rxe_mr_copy(mr: rxe_mr, va_hi: number, va_lo: number, length: number, to_mr: boolean, out: Uint8Array[] | null): number {
  if (length === 0) return 0;
  const rxe = to_rdev(mr.device);
  if (mr.is_dma) {
    const dma = va_hi * TWO_32 + va_lo;
    const f = to_mr ? writeRun(rxe, dma, length) : readRun(rxe, dma, length, out!);
    return f === null ? 0 : -14;
  }
  let pos = mr.page_offset + mr_offset(mr, va_hi, va_lo);
  const psize = mr.page_size;
  while (length > 0) {
    const idx = Math.floor(pos / psize);
    const within = pos - idx * psize;
    if (idx >= mr.nbuf) return -14;
    const dma = mr.page_list[idx]! + within;
    let run = Math.min(length, psize - within);
    let j = idx;
    while (run < length && j + 1 < mr.nbuf && mr.page_list[j + 1] === mr.page_list[j]! + psize) {
      j++;
      run = Math.min(length, run + psize);
    }
    const f = to_mr ? writeRun(rxe, dma, run) : readRun(rxe, dma, run, out!);
    if (f !== null) return -14;
    length -= run;
    pos += run;
  }
  return 0;
}

/** Set the source cursor for TO_MR copies. Emulator-only. */
export function rxe_copy_source(views: readonly Uint8Array[], index = 0, offset = 0): void {
  srcViews = views;
  srcIdx = index;
  srcOff = offset;
}

/**
 * copy_data - move `length` bytes between a WQE's SGE list (advancing its dma state) and the packet.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c copy_data()
 * Divergence: an unknown / stale / wrong-PD lkey returns -EFAULT (so the WR completes with
 * IB_WC_LOC_PROT_ERR, as rdma-unit-test expects of hardware) where rxe returns -EINVAL.
 * @param to_mr true: write the source cursor's bytes into the SGEs; false: push views to out
 * @returns 0, -ENOSPC (-28) if the SGEs hold fewer than length bytes, -EFAULT (-14) for a bad
 *          lkey, a range outside the MR, or a DMA fault
 */
export function copy_data(pd: ib_pd, access: number, dma: rxe_dma_info, length: number, to_mr: boolean, out: Uint8Array[] | null): number {
  if (length === 0) return 0;
  if (length > dma.resid) return -28;
  let cur = dma.cur_sge;
  let off = dma.sge_offset;
  let mr: rxe_mr | null = null;
  let mrKey = -1;
  while (length > 0) {
    const sge = dma.sge[cur];
    if (sge === undefined) return -28;
    if (off >= sge.length) {
      cur++;
      off = 0;
      continue;
    }
    if (sge.lkey !== mrKey || mr === null) {
      mr = lookup_mr_cached(pd, access, sge.lkey, rxe_mr_lookup_type.RXE_LOOKUP_LOCAL, dma.last_mr);
      mrKey = sge.lkey;
      if (mr === null) return -14;
      dma.last_mr = mr;
    }
    const n = Math.min(length, sge.length - off);
    let lo = sge.addr_lo + off;
    let hi = sge.addr_hi;
    if (lo >= TWO_32) { lo -= TWO_32; hi = (hi + 1) >>> 0; }
    if (mr_check_range(mr, hi, lo, n) !== 0) return -14;
    const err = rxe_mr_copy(mr, hi, lo, n, to_mr, out);
    if (err) return err;
    off += n;
    length -= n;
    dma.resid -= n;
    if (off === sge.length) { cur++; off = 0; }
  }
  dma.cur_sge = cur;
  dma.sge_offset = off;
  return 0;
}

/** Skip length bytes of a dma_info without copying. Kernel: rxe_mr.c advance_dma_data(). */
export function advance_dma_data(dma: rxe_dma_info, length: number): void {
  let cur = dma.cur_sge;
  let off = dma.sge_offset;
  let resid = dma.resid;
  while (length > 0) {
    const sge = dma.sge[cur];
    if (sge === undefined) break;
    const n = Math.min(length, sge.length - off);
    off += n;
    resid -= n;
    length -= n;
    if (off === sge.length) { cur++; off = 0; }
  }
  dma.cur_sge = cur;
  dma.sge_offset = off;
  dma.resid = resid;
}

/**
 * rxe_invalidate_mr - LOCAL_INV / SEND_WITH_INV / READ_WITH_INV: VALID (or FREE) → FREE if the
 * key matches the one the HCA currently honours.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c rxe_invalidate_mr()
 * The key is compared with the HCA's rkey when the MR allows remote access, else its lkey (never
 * with ibmr.lkey/rkey, which ib_update_fast_reg_key may already have moved on).
 * Divergence: SG_GAPS MRs may be invalidated too (rxe supports MEM_REG only); `pd` adds the PD
 * check the responder makes for SEND_WITH_INV and the completer for READ_WITH_INV (as
 * siw_invalidate_stag does).
 * @param pd when given (SEND_WITH_INV at the responder, READ_WITH_INV), the MR must belong to it
 * @returns 0 or -EINVAL (-22): unknown index, key mismatch, bound windows, not a MEM_REG MR
 */
export function rxe_invalidate_mr(qp: rxe_qp, key: number, pd: ib_pd | null = null): number {
  const rxe = to_rdev(qp.device);
  const mr = rxe.mr_pool.get(key >>> 8);
  if (mr === undefined) return -22;
  const remote = (mr.access & RXE_ACCESS_REMOTE) !== 0;
  if (key !== (remote ? mr.rxe_rkey : mr.rxe_lkey)) return -22;
  if (mr.num_mw > 0) return -22;
  if (mr.type !== ib_mr_type.IB_MR_TYPE_MEM_REG && mr.type !== ib_mr_type.IB_MR_TYPE_SG_GAPS) return -22;
  if (pd !== null && mr.pd !== pd) return -22;
  mr.state = rxe_mr_state.RXE_MR_STATE_FREE;
  return 0;
}

/**
 * rxe_reg_fast_mr - execute a REG_MR WQE: the MR becomes VALID with the WR's key byte and access.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c rxe_reg_fast_mr()
 * Only the low byte of the WR's key is used: it replaces the key byte of the HCA's lkey and rkey
 * (the index stays). This is the only place the HCA's keys change; ibmr.lkey/rkey are untouched
 * (the consumer set them with ib_update_fast_reg_key before posting).
 * @returns 0 or -EINVAL: MR not FREE (a valid MR must be invalidated first), or another PD
 */
export function rxe_reg_fast_mr(qp: rxe_qp, wqe: rxe_send_wqe): number {
  const mr = wqe.reg_mr;
  if (mr === null) return -22;
  const key = wqe.reg_key & 0xff;
  if (mr.state !== rxe_mr_state.RXE_MR_STATE_FREE) return -22;
  if (qp.pd !== mr.pd) return -22;
  mr.access = wqe.reg_access;
  mr.rxe_lkey = ((mr.rxe_lkey & 0xffffff00) | key) >>> 0;
  mr.rxe_rkey = ((mr.rxe_rkey & 0xffffff00) | key) >>> 0;
  rxe_mr_sync_iova(mr);
  mr.state = rxe_mr_state.RXE_MR_STATE_VALID;
  return 0;
}

const atomicBuf = new Uint8Array(8);

/**
 * rxe_mr_do_atomic_op - COMPARE_SWAP / FETCH_ADD on a little-endian u64 in target memory.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c rxe_mr_do_atomic_op()
 * The 8 bytes are read with dmaDeviceRead and written back with dmaDeviceWrite (the atomicity
 * the HCA guarantees holds trivially: the simulation is single-threaded). The original value is
 * returned in `orig` (hi, lo).
 * @returns 0, -EINVAL (misaligned) or -EFAULT (DMA fault / outside the MR's pages)
 */
export function rxe_mr_do_atomic_op(mr: rxe_mr, va_hi: number, va_lo: number, is_cmp_swap: boolean,
  comp_hi: number, comp_lo: number, swap_add_hi: number, swap_add_lo: number, orig: { hi: number; lo: number }): number {
  if ((va_lo & 7) !== 0) return -22;
  const views: Uint8Array[] = [];
  const err = rxe_mr_copy(mr, va_hi, va_lo, 8, false, views);
  if (err) return err;
  let k = 0;
  for (const v of views) { atomicBuf.set(v, k); k += v.length; }
  const lo = (atomicBuf[0]! | (atomicBuf[1]! << 8) | (atomicBuf[2]! << 16) | (atomicBuf[3]! << 24)) >>> 0;
  const hi = (atomicBuf[4]! | (atomicBuf[5]! << 8) | (atomicBuf[6]! << 16) | (atomicBuf[7]! << 24)) >>> 0;
  orig.hi = hi;
  orig.lo = lo;
  let nhi: number;
  let nlo: number;
  if (is_cmp_swap) {
    if (hi === comp_hi && lo === comp_lo) { nhi = swap_add_hi; nlo = swap_add_lo; } else { return 0; }
  } else {
    const s = lo + swap_add_lo;
    nlo = s >>> 0;
    nhi = (hi + swap_add_hi + (s >= TWO_32 ? 1 : 0)) >>> 0;
  }
  atomicBuf[0] = nlo & 0xff; atomicBuf[1] = (nlo >>> 8) & 0xff; atomicBuf[2] = (nlo >>> 16) & 0xff; atomicBuf[3] = nlo >>> 24;
  atomicBuf[4] = nhi & 0xff; atomicBuf[5] = (nhi >>> 8) & 0xff; atomicBuf[6] = (nhi >>> 16) & 0xff; atomicBuf[7] = nhi >>> 24;
  rxe_copy_source([atomicBuf]);
  return rxe_mr_copy(mr, va_hi, va_lo, 8, true, null);
}

/**
 * rxe_dereg_mr - remove the MR from the key space; later lookups of its keys fail.
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c rxe_dereg_mr()
 * @throws KernelError EINVAL if memory windows are still bound
 */
export function rxe_dereg_mr(mr: rxe_mr): void {
  if (mr.num_mw > 0) throw new KernelError('EINVAL', `rxe mr ${mr.lkey.toString(16)}: memory windows bound`);
  const rxe = to_rdev(mr.device);
  mr.state = rxe_mr_state.RXE_MR_STATE_ZOMBIE;
  rxe.mr_pool.remove(mr.index);
}
