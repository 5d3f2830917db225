/**
 * bvec - struct bio_vec and struct bvec_iter: contiguous physical ranges and the iterator over them.
 *
 * Kernel: include/linux/bvec.h; the Oct 2023 RFC "[PATCH RFC 2/9] bvec: Add bio_vec fields to
 *         manage DMA mapping" (Chuck Lever, `<169772852492.5232.17148564580779995849.stgit@klimt...>`)
 *
 * Operation: a `bio_vec` names `bv_len` bytes of physical memory starting `bv_offset` bytes after
 * the start of `bv_page`. `bv_offset` may be PAGE_SIZE or more, and the range may cross page
 * boundaries: a *multi-page bvec* covers several physically contiguous pages, which is legal
 * because `nth_page(bv_page, n)` is `bv_page + n` (memory is one flat section here, as on x86-64).
 *
 * A `bvec_iter` walks an array of bio_vecs without modifying it: `bi_idx` is the current entry,
 * `bi_bvec_done` the bytes already consumed in it and `bi_size` the residual byte count.
 * Two views of the current position exist:
 * - `mp_bvec_iter_bvec()` — the rest of the current (multi-page) entry, limited by bi_size;
 * - `bvec_iter_bvec()` — the same, clamped so it never crosses a page boundary.
 * `bvec_iter_advance()` moves forward any number of bytes across entries;
 * `bvec_iter_advance_single()` moves within the current entry only. `for_each_bvec()` yields
 * single-page segments, `for_each_mp_bvec()` multi-page ones.
 *
 * The RFC fields: patch 2/9 of the 2023 series gave bio_vec three more fields, `bv_dma_address`,
 * `bv_dma_length` and `bv_dma_flags`, copying the scatterlist design so that one array is both the
 * input (pages) and the output (DMA addresses) of `dma_map_bvecs_attrs()`. Robin Murphy ("Eww,
 * please no") and Matthew Wilcox (a scatterlist-as-input-and-output is a non-starter; he proposed
 * `struct phyr` in and a slim DMA list out) objected, and what mainline eventually merged keeps
 * inputs (`phys_addr_t` ranges, see phyr.ts and `dma_map_phys`) separate from outputs
 * (`dma_iova_state` / returned `dma_addr_t`). rdmaemu reproduces the RFC fields so that the
 * "bvec" design (`dma_map_bvecs_attrs`) can be run and compared; the mainline helpers ignore them.
 *
 * Invariants: for an iterator over `bvecs`, `bi_bvec_done < bvecs[bi_idx].bv_len` whenever
 * `bi_size > 0` and the entry is non-empty; the iterator never writes to the bio_vecs.
 */
import { BUG_ON, WARN } from '@rdmaemu/sim-core';
import type { dma_addr_t, phys_addr_t } from '@rdmaemu/sim-core';
import {
  PAGE_SIZE, type PhysicalMemory, type folio, nth_page, offset_in_page, type page, page_to_phys,
  virt_to_page, virt_to_phys,
} from './memory.js';

/** Kernel: include/linux/limits.h UINT_MAX - `bi_size` of BVEC_ITER_ALL_INIT. */
export const UINT_MAX = 0xffff_ffff;

/** Kernel: RFC 2/9 BV_DMA_BUS_ADDRESS BIT(0) - the DMA address is a PCI P2PDMA bus address; never unmap it. */
export const BV_DMA_BUS_ADDRESS = 1 << 0;
/** Kernel: RFC 2/9 BV_DMA_SWIOTLB BIT(1) - the array was mapped through swiotlb bounce buffers. */
export const BV_DMA_SWIOTLB = 1 << 1;

/**
 * bio_vec - a contiguous range of physical memory: `bv_len` bytes at `bv_offset` from `bv_page`.
 *
 * `bv_offset` may be ≥ PAGE_SIZE and the range may span several physically contiguous pages
 * (a multi-page bvec). The last three fields are the Oct 2023 RFC's (patch 2/9): they hold the
 * *result* of mapping the array with `dma_map_bvecs_attrs()`, exactly as `sg_dma_address()` /
 * `sg_dma_len()` do in a scatterlist — input and output in one structure, the point Robin Murphy
 * and Matthew Wilcox objected to (KERNEL.md §0.2). Only the RFC-style "bvec" mapping path writes
 * them; the phys/iova design keeps its outputs separate and never touches them. They start at 0.
 *
 * Kernel: include/linux/bvec.h struct bio_vec (+ RFC 2/9 bv_dma_address, bv_dma_length, bv_dma_flags)
 * @example
 * ```ts
 * const pg = alloc_pages(mem, 1)!;
 * const bv = new bio_vec(pg, 6000, 100); // crosses into the second page
 * bvec_phys(bv) === page_to_phys(pg) + 100;
 * ```
 */
export class bio_vec {
  /** First page of the range. */
  bv_page: page;
  /** Bytes in the range. */
  bv_len: number;
  /** Start of the range relative to the start of bv_page (may be ≥ PAGE_SIZE). */
  bv_offset: number;
  /** RFC 2/9: the DMA address of this entry after dma_map_bvecs_attrs(). */
  bv_dma_address: dma_addr_t = 0;
  /** RFC 2/9 (CONFIG_NEED_SG_DMA_LENGTH): the DMA length of this entry after mapping. */
  bv_dma_length = 0;
  /** RFC 2/9 (CONFIG_NEED_SG_DMA_FLAGS): BV_DMA_BUS_ADDRESS | BV_DMA_SWIOTLB. */
  bv_dma_flags = 0;

  constructor(bv_page: page, bv_len: number, bv_offset = 0) {
    this.bv_page = bv_page;
    this.bv_len = bv_len;
    this.bv_offset = bv_offset;
  }

  toString(): string {
    return `bio_vec(${this.bv_page}, len ${this.bv_len}, off ${this.bv_offset})`;
  }
}

/**
 * bvec_set_page - initialize a bvec from a page, length and offset.
 *
 * Kernel: include/linux/bvec.h bvec_set_page()
 */
export function bvec_set_page(bv: bio_vec, pg: page, len: number, offset: number): void {
  bv.bv_page = pg;
  bv.bv_len = len;
  bv.bv_offset = offset;
}

/**
 * bvec_set_folio - initialize a bvec from a folio (its head page), length and offset.
 *
 * Kernel: include/linux/bvec.h bvec_set_folio()
 */
export function bvec_set_folio(bv: bio_vec, f: folio, len: number, offset: number): void {
  bvec_set_page(bv, f.page, len, offset);
}

/**
 * bvec_set_virt - initialize a bvec from a kernel virtual address (a direct-map view).
 *
 * Kernel: include/linux/bvec.h bvec_set_virt(bv, vaddr, len)
 * Divergence: takes the host's memory, since a view does not name its PhysicalMemory; the length
 * defaults to the view's length. The page is `virt_to_page(vaddr)`, the offset `offset_in_page`.
 * @throws KernelError EFAULT if `vaddr` is not a view of `mem`'s direct map
 */
export function bvec_set_virt(bv: bio_vec, mem: PhysicalMemory, vaddr: Uint8Array, len: number = vaddr.length): void {
  bvec_set_page(bv, virt_to_page(mem, vaddr), len, offset_in_page(virt_to_phys(mem, vaddr)));
}

/**
 * bvec_phys - the physical address of the first byte of a bvec.
 *
 * Kernel: include/linux/bvec.h bvec_phys() (`page_to_phys(bv_page) + bv_offset`)
 */
export function bvec_phys(bv: bio_vec): phys_addr_t {
  return page_to_phys(bv.bv_page) + bv.bv_offset;
}

/** bv_phys - the RFC 2/9 name of bvec_phys(). Kernel: RFC 2/9 bv_phys() */
export function bv_phys(bv: bio_vec): phys_addr_t {
  return bvec_phys(bv);
}

/**
 * bvec_virt - the direct-map view of a bvec's bytes.
 *
 * Kernel: include/linux/bvec.h bvec_virt()
 * Divergence: the kernel returns a pointer to the first byte; here a view of all `bv_len` bytes.
 * A multi-page bvec is physically contiguous, so one view covers it.
 * @throws KernelError EFAULT if the range is not RAM
 */
export function bvec_virt(bv: bio_vec): Uint8Array {
  return bv.bv_page.mem.view(bvec_phys(bv), bv.bv_len);
}

/** bv_virt - the RFC 2/9 name of bvec_virt(). Kernel: RFC 2/9 bv_virt() */
export function bv_virt(bv: bio_vec): Uint8Array {
  return bvec_virt(bv);
}

/** Kernel: RFC 2/9 bv_dma_address() - the mapped DMA address of an entry. */
export function bv_dma_address(bv: bio_vec): dma_addr_t {
  return bv.bv_dma_address;
}

/** Kernel: RFC 2/9 bv_dma_len() - the mapped DMA length of an entry (bv_dma_length). */
export function bv_dma_len(bv: bio_vec): number {
  return bv.bv_dma_length;
}

/** Kernel: RFC 2/9 bv_dma_is_bus_address() */
export function bv_dma_is_bus_address(bv: bio_vec): boolean {
  return (bv.bv_dma_flags & BV_DMA_BUS_ADDRESS) !== 0;
}

/** Kernel: RFC 2/9 bv_dma_mark_bus_address() */
export function bv_dma_mark_bus_address(bv: bio_vec): void {
  bv.bv_dma_flags |= BV_DMA_BUS_ADDRESS;
}

/** Kernel: RFC 2/9 bv_dma_unmark_bus_address() */
export function bv_dma_unmark_bus_address(bv: bio_vec): void {
  bv.bv_dma_flags &= ~BV_DMA_BUS_ADDRESS;
}

/** Kernel: RFC 2/9 bv_dma_is_swiotlb() */
export function bv_dma_is_swiotlb(bv: bio_vec): boolean {
  return (bv.bv_dma_flags & BV_DMA_SWIOTLB) !== 0;
}

/** Kernel: RFC 2/9 bv_dma_mark_swiotlb() */
export function bv_dma_mark_swiotlb(bv: bio_vec): void {
  bv.bv_dma_flags |= BV_DMA_SWIOTLB;
}

/** Fields of a bvec_iter, for its constructor. */
export interface BvecIterInit {
  bi_sector?: number;
  bi_size?: number;
  bi_idx?: number;
  bi_bvec_done?: number;
}

/**
 * bvec_iter - a position in an array of bio_vecs.
 *
 * Kernel: include/linux/bvec.h struct bvec_iter
 * Divergence: a class with a copying constructor; C copies the struct by assignment.
 */
export class bvec_iter {
  /** Device address in 512-byte sectors (carried, not used by dma-core). */
  bi_sector: number;
  /** Residual I/O count in bytes. */
  bi_size: number;
  /** Current index into the bio_vec array. */
  bi_idx: number;
  /** Bytes completed in the current bio_vec. */
  bi_bvec_done: number;

  constructor(init: BvecIterInit = {}) {
    this.bi_sector = init.bi_sector ?? 0;
    this.bi_size = init.bi_size ?? 0;
    this.bi_idx = init.bi_idx ?? 0;
    this.bi_bvec_done = init.bi_bvec_done ?? 0;
  }

  /** A copy (C struct assignment). */
  clone(): bvec_iter {
    return new bvec_iter(this);
  }
}

/**
 * BVEC_ITER_ALL_INIT - an iterator over a whole array: bi_size = UINT_MAX, everything else 0.
 *
 * Kernel: include/linux/bvec.h BVEC_ITER_ALL_INIT
 * Divergence: a function returning a fresh iterator (C uses a compound literal).
 */
export function BVEC_ITER_ALL_INIT(): bvec_iter {
  return new bvec_iter({ bi_size: UINT_MAX });
}

/**
 * bvecIter - an iterator at the start of an array covering `size` bytes (or, without `size`,
 * the sum of the `bvecs`' lengths).
 *
 * Emulator-only: what callers write as `struct bvec_iter iter = { .bi_size = size }`.
 */
export function bvecIter(sizeOrBvecs: number | readonly bio_vec[]): bvec_iter {
  if (typeof sizeOrBvecs === 'number') return new bvec_iter({ bi_size: sizeOrBvecs });
  let size = 0;
  for (const bv of sizeOrBvecs) size += bv.bv_len;
  return new bvec_iter({ bi_size: size });
}

function cur(bvecs: readonly bio_vec[], iter: bvec_iter, fn: string): bio_vec {
  const bv = bvecs[iter.bi_idx];
  if (bv === undefined) BUG_ON(true, `${fn}: bi_idx ${iter.bi_idx} is past the end of the bio_vec array (${bvecs.length})`);
  return bv!;
}

/** Kernel: include/linux/bvec.h mp_bvec_iter_page() - the first page of the current entry. */
export function mp_bvec_iter_page(bvecs: readonly bio_vec[], iter: bvec_iter): page {
  return cur(bvecs, iter, 'mp_bvec_iter_page').bv_page;
}

/** Kernel: mp_bvec_iter_len() - min(bi_size, bv_len − bi_bvec_done). */
export function mp_bvec_iter_len(bvecs: readonly bio_vec[], iter: bvec_iter): number {
  return Math.min(iter.bi_size, cur(bvecs, iter, 'mp_bvec_iter_len').bv_len - iter.bi_bvec_done);
}

/** Kernel: mp_bvec_iter_offset() - bv_offset + bi_bvec_done (relative to the entry's bv_page). */
export function mp_bvec_iter_offset(bvecs: readonly bio_vec[], iter: bvec_iter): number {
  return cur(bvecs, iter, 'mp_bvec_iter_offset').bv_offset + iter.bi_bvec_done;
}

/** Kernel: mp_bvec_iter_page_idx() - which page of the entry the position is in. */
export function mp_bvec_iter_page_idx(bvecs: readonly bio_vec[], iter: bvec_iter): number {
  return Math.floor(mp_bvec_iter_offset(bvecs, iter) / PAGE_SIZE);
}

/**
 * mp_bvec_iter_bvec - the current multi-page segment as a new bio_vec.
 *
 * `bv_page` is the entry's page, `bv_len = min(bi_size, bv_len − bi_bvec_done)`,
 * `bv_offset = bv_offset + bi_bvec_done` (may be ≥ PAGE_SIZE). RFC DMA fields are 0.
 *
 * Kernel: include/linux/bvec.h mp_bvec_iter_bvec()
 * @throws KernelBug if bi_idx is past the end of `bvecs`
 */
export function mp_bvec_iter_bvec(bvecs: readonly bio_vec[], iter: bvec_iter): bio_vec {
  const bv = cur(bvecs, iter, 'mp_bvec_iter_bvec');
  return new bio_vec(bv.bv_page, Math.min(iter.bi_size, bv.bv_len - iter.bi_bvec_done), bv.bv_offset + iter.bi_bvec_done);
}

/** Kernel: bvec_iter_offset() - the offset within the current page (mp offset % PAGE_SIZE). */
export function bvec_iter_offset(bvecs: readonly bio_vec[], iter: bvec_iter): number {
  return mp_bvec_iter_offset(bvecs, iter) % PAGE_SIZE;
}

/** Kernel: bvec_iter_len() - the mp length clamped to the end of the current page. */
export function bvec_iter_len(bvecs: readonly bio_vec[], iter: bvec_iter): number {
  return Math.min(mp_bvec_iter_len(bvecs, iter), PAGE_SIZE - bvec_iter_offset(bvecs, iter));
}

/** Kernel: bvec_iter_page() - the page the current position is in. */
export function bvec_iter_page(bvecs: readonly bio_vec[], iter: bvec_iter): page {
  return nth_page(mp_bvec_iter_page(bvecs, iter), mp_bvec_iter_page_idx(bvecs, iter));
}

/**
 * bvec_iter_bvec - the current single-page segment as a new bio_vec.
 *
 * Like mp_bvec_iter_bvec() but never crossing a page boundary: `bv_page` is the page holding the
 * position, `bv_offset < PAGE_SIZE`, and `bv_len` stops at the end of that page.
 *
 * Kernel: include/linux/bvec.h bvec_iter_bvec()
 * @throws KernelBug if bi_idx is past the end of `bvecs`
 * @example
 * ```ts
 * const bvecs = [new bio_vec(pg, 3 * PAGE_SIZE, 512)];
 * const seg = bvec_iter_bvec(bvecs, bvecIter(bvecs)); // len PAGE_SIZE - 512, offset 512
 * ```
 */
export function bvec_iter_bvec(bvecs: readonly bio_vec[], iter: bvec_iter): bio_vec {
  const bv = cur(bvecs, iter, 'bvec_iter_bvec');
  const mpOffset = bv.bv_offset + iter.bi_bvec_done;
  const mpLen = Math.min(iter.bi_size, bv.bv_len - iter.bi_bvec_done);
  const offset = mpOffset % PAGE_SIZE;
  const pageIdx = Math.floor(mpOffset / PAGE_SIZE);
  const pg = pageIdx === 0 ? bv.bv_page : nth_page(bv.bv_page, pageIdx);
  return new bio_vec(pg, Math.min(mpLen, PAGE_SIZE - offset), offset);
}

/**
 * bvec_iter_advance - move an iterator forward `bytes`, across entries as needed.
 *
 * Whole entries are skipped while the remaining byte count covers them; the remainder is left in
 * `bi_bvec_done`. Landing exactly on the end of an entry moves to the next one (bi_bvec_done 0).
 *
 * Kernel: include/linux/bvec.h bvec_iter_advance()
 * Divergence: WARN_ONCE is a WARN (every time), which throws under strict mode.
 * @returns true, or false after the overrun warning (bi_size is then 0)
 * @throws KernelBug "WARNING: Attempted to advance past end of bvec iter" if bytes > bi_size (strict mode)
 * @throws KernelBug if the walk runs off the end of `bvecs` (bi_size larger than the array)
 * @example
 * ```ts
 * const it = bvecIter(bvecs);
 * bvec_iter_advance(bvecs, it, 5000);
 * ```
 */
export function bvec_iter_advance(bvecs: readonly bio_vec[], iter: bvec_iter, bytes: number): boolean {
  if (WARN(bytes > iter.bi_size, 'Attempted to advance past end of bvec iter')) {
    iter.bi_size = 0;
    return false;
  }
  let idx = iter.bi_idx;
  iter.bi_size -= bytes;
  bytes += iter.bi_bvec_done;
  while (bytes !== 0) {
    const bv = bvecs[idx];
    if (bv === undefined) BUG_ON(true, `bvec_iter_advance: ran past the end of the bio_vec array (${bvecs.length})`);
    if (bytes < bv!.bv_len) break;
    bytes -= bv!.bv_len;
    idx++;
  }
  iter.bi_idx = idx;
  iter.bi_bvec_done = bytes;
  return true;
}

/**
 * bvec_iter_advance_single - move forward `bytes` within the current entry (bytes ≤ what is left
 * of it); reaching its end steps to the next entry. A zero-length entry is stepped over by
 * advancing 0.
 *
 * Kernel: include/linux/bvec.h bvec_iter_advance_single()
 * @throws KernelBug if bi_idx is past the end of `bvecs`
 */
export function bvec_iter_advance_single(bvecs: readonly bio_vec[], iter: bvec_iter, bytes: number): void {
  let done = iter.bi_bvec_done + bytes;
  if (done === cur(bvecs, iter, 'bvec_iter_advance_single').bv_len) {
    done = 0;
    iter.bi_idx++;
  }
  iter.bi_bvec_done = done;
  iter.bi_size -= bytes;
}

/**
 * for_each_bvec - iterate single-page segments from `start` while bytes remain.
 *
 * `start` is copied, as the kernel's `iter = (start)` assignment copies it; pass `iter` to watch
 * the position (it is the live iterator the loop advances). A zero-length entry is yielded as a
 * zero-length segment and then stepped over (bvec_iter_advance_single with 0 moves to the next
 * entry), exactly as the kernel loop body sees it — so the walk never sticks on an empty entry.
 *
 * Kernel: include/linux/bvec.h for_each_bvec(bvl, bio_vec, iter, start)
 * Divergence: an iterable; each segment is a new bio_vec (the kernel's `bvl` is a local copy too).
 * @example
 * ```ts
 * for (const seg of for_each_bvec(bvecs, bvecIter(bvecs))) copy(bvec_virt(seg));
 * ```
 */
export function* for_each_bvec(bvecs: readonly bio_vec[], start: bvec_iter, iter: bvec_iter = new bvec_iter()): Generator<bio_vec, void, undefined> {
  iter.bi_sector = start.bi_sector;
  iter.bi_size = start.bi_size;
  iter.bi_idx = start.bi_idx;
  iter.bi_bvec_done = start.bi_bvec_done;
  while (iter.bi_size !== 0) {
    const bvl = bvec_iter_bvec(bvecs, iter);
    yield bvl;
    bvec_iter_advance_single(bvecs, iter, bvl.bv_len);
  }
}

/**
 * for_each_mp_bvec - iterate multi-page segments from `start` while bytes remain.
 *
 * Kernel: include/linux/bvec.h for_each_mp_bvec(bvl, bio_vec, iter, start)
 * @example
 * ```ts
 * for (const seg of for_each_mp_bvec(bvecs, bvecIter(bvecs))) ranges.push(bvec_phys(seg));
 * ```
 */
export function* for_each_mp_bvec(bvecs: readonly bio_vec[], start: bvec_iter, iter: bvec_iter = new bvec_iter()): Generator<bio_vec, void, undefined> {
  iter.bi_sector = start.bi_sector;
  iter.bi_size = start.bi_size;
  iter.bi_idx = start.bi_idx;
  iter.bi_bvec_done = start.bi_bvec_done;
  while (iter.bi_size !== 0) {
    const bvl = mp_bvec_iter_bvec(bvecs, iter);
    yield bvl;
    bvec_iter_advance_single(bvecs, iter, bvl.bv_len);
  }
}
