/**
 * scatterlist - struct scatterlist, chained sg arrays and struct sg_table.
 *
 * Kernel: include/linux/scatterlist.h, lib/scatterlist.c
 *
 * Operation: a scatterlist entry names `length` bytes at `offset` from a page (the CPU side) and,
 * once an sg list is DMA-mapped, holds the mapping's result in `dma_address` / `dma_length` /
 * `dma_flags` (the device side) — input and output in one structure. A list is one or more
 * *arrays* of entries (`scatterlist[]`). The kernel packs the page pointer and two flag bits into
 * `page_link`: `SG_CHAIN` (this entry carries no data; it points at the next array) and `SG_END`
 * (this is the last entry). Here `page_link` holds only the page (or null), the two bits live in
 * the emulator-only field `sgFlags` with the kernel's values, and a chain entry's target array is
 * in `sgChain`. Every entry knows the array it belongs to and its index (`sgArray`, `sgIndex`),
 * so `sg_next(sg)` can do what pointer arithmetic does in C: return null after an SG_END entry,
 * else step to the following entry, jumping through it when it is a chain entry.
 *
 * `sg_table` describes a list: `orig_nents` CPU entries and `nents` entries valid after mapping
 * (mapping can merge entries, so nents ≤ orig_nents). `sg_alloc_table()` builds a list in
 * arrays of at most SG_MAX_SINGLE_ALLOC entries chained together, as `__sg_alloc_table` does;
 * `sg_alloc_table_from_pages()` squashes physically contiguous pages into one entry.
 *
 * Invariants: a data entry never has SG_CHAIN; exactly one reachable entry has SG_END; a chain
 * entry has offset = length = 0 and `sgChain` set; `sgArray[sgIndex] === sg`.
 */
import { BUG_ON, KernelError, WARN } from '@rdmaemu/sim-core';
import type { dma_addr_t, gfp_t, phys_addr_t } from '@rdmaemu/sim-core';
import { ALIGN_DOWN } from './_bits.js';
import { type bio_vec } from './bvec.js';
import {
  PAGE_SIZE, type PhysicalMemory, nth_page, offset_in_page, type page, page_to_phys,
  virt_to_page, virt_to_phys,
} from './memory.js';
import { GFP_KERNEL } from './page_alloc.js';

/** Kernel: include/linux/scatterlist.h SG_CHAIN - low bit of page_link: a chain entry. */
export const SG_CHAIN = 0x01;
/** Kernel: include/linux/scatterlist.h SG_END - low bit of page_link: the last entry. */
export const SG_END = 0x02;

/** Kernel: SG_DMA_BUS_ADDRESS (1 << 0) - dma_address is a P2PDMA bus address; must not be unmapped. */
export const SG_DMA_BUS_ADDRESS = 1 << 0;
/** Kernel: SG_DMA_SWIOTLB (1 << 1) - the list was mapped through swiotlb (dma-iommu). */
export const SG_DMA_SWIOTLB = 1 << 1;

/**
 * Kernel: SG_CHUNK_SIZE - entries per preallocated chunk in the SCSI/NVMe sg pools (sg_pool.c);
 * 128 so a chunk fits the common case without chaining.
 */
export const SG_CHUNK_SIZE = 128;
/** Kernel: SG_MAX_SEGMENTS - the most entries sg_alloc_table_chained() supports (CONFIG_ARCH_NO_SG_CHAIN off). */
export const SG_MAX_SEGMENTS = 2048;
/**
 * Kernel: SG_MAX_SINGLE_ALLOC = PAGE_SIZE / sizeof(struct scatterlist). On x86-64 without
 * CONFIG_DEBUG_SG the struct is 32 bytes (page_link 8, offset 4, length 4, dma_address 8,
 * dma_length 4, dma_flags 4), so one page holds 128 entries: the largest array sg_alloc_table()
 * allocates before chaining.
 */
export const SG_MAX_SINGLE_ALLOC = PAGE_SIZE / 32;

/** Kernel: include/linux/limits.h UINT_MAX - sg_alloc_table_from_pages()' max_segment. */
const UINT_MAX = 0xffff_ffff;

/**
 * scatterlist - one entry of an sg list: a page range for the CPU, a DMA range once mapped.
 *
 * Kernel: include/linux/scatterlist.h struct scatterlist
 * Divergence: `page_link` holds only the page; the SG_CHAIN / SG_END bits are in `sgFlags` and a
 * chain entry's target in `sgChain`. `sgArray` / `sgIndex` replace pointer arithmetic. Create
 * entries with `sg_init_table(n)` (or bind your own array with `sg_init_table(sgl, n)`).
 */
export class scatterlist {
  /** The page (the kernel's page_link without its flag bits), or null (unset, or a chain entry). */
  page_link: page | null = null;
  /** Byte offset of the data from the start of the page. */
  offset = 0;
  /** Bytes of data. */
  length = 0;
  /** The DMA address after mapping (read with sg_dma_address()). */
  dma_address: dma_addr_t = 0;
  /** The DMA length after mapping (CONFIG_NEED_SG_DMA_LENGTH; read with sg_dma_len()). */
  dma_length = 0;
  /** SG_DMA_BUS_ADDRESS | SG_DMA_SWIOTLB (CONFIG_NEED_SG_DMA_FLAGS). */
  dma_flags = 0;
  /** Emulator-only: the page_link flag bits, SG_CHAIN | SG_END. */
  sgFlags = 0;
  /** Emulator-only: the array a chain entry points to (the kernel's sg_chain_ptr()). */
  sgChain: scatterlist[] | null = null;
  /** Emulator-only: the array this entry belongs to. */
  sgArray: scatterlist[] | null = null;
  /** Emulator-only: this entry's index in sgArray. */
  sgIndex = 0;

  toString(): string {
    if (this.sgFlags & SG_CHAIN) return `scatterlist(chain -> [${this.sgChain?.length ?? 0}])`;
    return `scatterlist(${this.page_link ?? 'no page'}, off ${this.offset}, len ${this.length}${this.sgFlags & SG_END ? ', end' : ''})`;
  }
}

/** SglRef - emulator-only: an sg list argument, its first entry (the kernel's `struct scatterlist *sgl`) or its first array. */
export type SglRef = scatterlist | readonly scatterlist[];
/** sgl_ref - the first name of SglRef, kept because other modules import it. */
export type sgl_ref = SglRef;

function first(sgl: SglRef | null, fn: string): scatterlist | null {
  if (sgl === null) return null;
  if (sgl instanceof scatterlist) return sgl;
  const sg = sgl[0];
  BUG_ON(sg === undefined, `${fn}: empty scatterlist array`);
  return sg!;
}

function resetEntry(sg: scatterlist): void {
  sg.page_link = null;
  sg.offset = 0;
  sg.length = 0;
  sg.dma_address = 0;
  sg.dma_length = 0;
  sg.dma_flags = 0;
  sg.sgFlags = 0;
  sg.sgChain = null;
}

/**
 * sg_init_table - zero the first `nents` entries of an sg array and mark the last one the end.
 *
 * Two forms:
 * - `sg_init_table(sgl, nents)` — the kernel's: initializes (and binds) entries of an existing
 *   array; missing entries up to `nents` are created.
 * - `sg_init_table(nents)` — allocates and initializes a new array of `nents` entries (what C
 *   writes as `kmalloc_array` + `sg_init_table`).
 *
 * If the array is one part of a chained list, only the last part should keep its end mark.
 *
 * Kernel: lib/scatterlist.c sg_init_table()
 * @returns the array
 * @throws KernelBug if nents is not a positive integer
 * @example
 * ```ts
 * const sgl = sg_init_table(4);
 * sg_set_page(sgl[0]!, pg, PAGE_SIZE, 0);
 * ```
 */
export function sg_init_table(nents: number): scatterlist[];
export function sg_init_table(sgl: scatterlist[], nents: number): scatterlist[];
export function sg_init_table(sglOrNents: scatterlist[] | number, nents?: number): scatterlist[] {
  let sgl: scatterlist[];
  if (typeof sglOrNents === 'number') {
    nents = sglOrNents;
    sgl = [];
  } else {
    sgl = sglOrNents;
    nents ??= sgl.length;
  }
  BUG_ON(!(Number.isInteger(nents) && nents > 0), `sg_init_table: bad nents ${nents}`);
  for (let i = 0; i < nents; i++) {
    let sg = sgl[i];
    if (sg === undefined) {
      sg = new scatterlist();
      sgl[i] = sg;
    } else {
      resetEntry(sg);
    }
    sg.sgArray = sgl;
    sg.sgIndex = i;
  }
  sg_mark_end(sgl[nents - 1]!);
  return sgl;
}

/**
 * sg_init_one - initialize a one-entry sg list over a direct-map buffer.
 *
 * Kernel: lib/scatterlist.c sg_init_one()
 * Divergence: creates the entry and returns it; takes the host memory (see sg_set_buf).
 * @throws KernelError EFAULT if `buf` is not a view of `mem`'s direct map
 */
export function sg_init_one(mem: PhysicalMemory, buf: Uint8Array, buflen: number = buf.length): scatterlist {
  const sg = sg_init_table(1)[0]!;
  sg_set_buf(sg, mem, buf, buflen);
  return sg;
}

/** Kernel: include/linux/scatterlist.h sg_is_chain() */
export function sg_is_chain(sg: scatterlist): boolean {
  return (sg.sgFlags & SG_CHAIN) !== 0;
}

/** Kernel: include/linux/scatterlist.h sg_is_last() */
export function sg_is_last(sg: scatterlist): boolean {
  return (sg.sgFlags & SG_END) !== 0;
}

/**
 * sg_chain_ptr - the first entry of the array a chain entry points to.
 *
 * Kernel: include/linux/scatterlist.h sg_chain_ptr()
 * @throws KernelBug if `sg` is not a chain entry
 */
export function sg_chain_ptr(sg: scatterlist): scatterlist {
  BUG_ON(!sg_is_chain(sg) || sg.sgChain === null || sg.sgChain[0] === undefined, 'sg_chain_ptr: not a chain entry');
  return sg.sgChain![0]!;
}

/**
 * sg_mark_end - mark `sg` as the last entry (clears a chain mark, as the kernel does).
 *
 * Kernel: include/linux/scatterlist.h sg_mark_end()
 */
export function sg_mark_end(sg: scatterlist): void {
  sg.sgFlags = (sg.sgFlags | SG_END) & ~SG_CHAIN;
  sg.sgChain = null;
}

/** Kernel: include/linux/scatterlist.h sg_unmark_end() */
export function sg_unmark_end(sg: scatterlist): void {
  sg.sgFlags &= ~SG_END;
}

/**
 * sg_chain - chain `prv` to `sgl`: the entry `prv[prv_nents − 1]` becomes a chain entry pointing
 * at `sgl`'s first entry, so `prv` then holds `prv_nents − 1` data entries.
 *
 * Kernel: include/linux/scatterlist.h sg_chain() / __sg_chain()
 * @throws KernelBug if prv has fewer than prv_nents entries or sgl is empty
 * @example
 * ```ts
 * const a = sg_init_table(4), b = sg_init_table(3);
 * sg_chain(a, 4, b); // a[3] is the chain entry: 3 + 3 data entries
 * ```
 */
export function sg_chain(prv: scatterlist[], prv_nents: number, sgl: scatterlist[]): void {
  const chain = prv[prv_nents - 1];
  BUG_ON(chain === undefined, `sg_chain: prv has no entry ${prv_nents - 1}`);
  BUG_ON(sgl.length === 0, 'sg_chain: empty target array');
  const c = chain!;
  if (c.sgArray !== prv) {
    c.sgArray = prv;
    c.sgIndex = prv_nents - 1;
  }
  c.offset = 0;
  c.length = 0;
  c.page_link = null;
  c.sgFlags = (c.sgFlags | SG_CHAIN) & ~SG_END;
  c.sgChain = sgl;
}

/**
 * sg_next - the next entry of an sg list, following chain entries.
 *
 * Kernel: lib/scatterlist.c sg_next()
 * @returns the next data entry, or null when `sg` is the last (SG_END)
 * @throws KernelBug if `sg` is not in an initialized array, or the array ends without SG_END
 */
export function sg_next(sg: scatterlist): scatterlist | null {
  if (sg_is_last(sg)) return null;
  const arr = sg.sgArray;
  BUG_ON(arr === null, 'sg_next: entry is not in an sg_init_table()ed array');
  const next = arr![sg.sgIndex + 1];
  BUG_ON(next === undefined, `sg_next: ran off the end of an sg array of ${arr!.length} without SG_END`);
  return sg_is_chain(next!) ? sg_chain_ptr(next!) : next!;
}

/**
 * for_each_sg - iterate `nents` entries of an sg list, following chains.
 *
 * Kernel: include/linux/scatterlist.h for_each_sg(sglist, sg, nr, __i)
 * Divergence: an iterable; `sgl` may be the first entry or the first array; null with nents 0
 * yields nothing.
 * @throws KernelBug if the list ends before `nents` entries
 * @example
 * ```ts
 * let total = 0;
 * for (const sg of for_each_sg(sgt.sgl, sgt.orig_nents)) total += sg.length;
 * ```
 */
export function* for_each_sg(sgl: SglRef | null, nents: number): Generator<scatterlist, void, undefined> {
  if (nents <= 0) return;
  let sg = first(sgl, 'for_each_sg');
  for (let i = 0; i < nents; i++) {
    BUG_ON(sg === null, `for_each_sg: list ends after ${i} of ${nents} entries`);
    yield sg!;
    if (i + 1 < nents) sg = sg_next(sg!);
  }
}

/**
 * sg_nents - the number of entries in an sg list, chains followed.
 *
 * Kernel: lib/scatterlist.c sg_nents()
 */
export function sg_nents(sgl: SglRef | null): number {
  let n = 0;
  for (let sg = first(sgl, 'sg_nents'); sg !== null; sg = sg_next(sg)) n++;
  return n;
}

/**
 * sg_nents_for_len - the number of entries needed to cover `len` bytes.
 *
 * Kernel: lib/scatterlist.c sg_nents_for_len()
 * @returns the count (0 for len 0), or -EINVAL (−22, a number, as the kernel returns it) if the
 *          list is shorter than `len`
 */
export function sg_nents_for_len(sgl: SglRef | null, len: number): number {
  if (len === 0) return 0;
  let n = 0;
  let total = 0;
  for (let sg = first(sgl, 'sg_nents_for_len'); sg !== null; sg = sg_next(sg)) {
    n++;
    total += sg.length;
    if (total >= len) return n;
  }
  return -22; // -EINVAL
}

/**
 * sg_last - the last of `nents` entries.
 *
 * Kernel: lib/scatterlist.c sg_last()
 * @returns the entry, or null when nents is 0
 */
export function sg_last(sgl: SglRef | null, nents: number): scatterlist | null {
  let ret: scatterlist | null = null;
  for (const sg of for_each_sg(sgl, nents)) ret = sg;
  return ret;
}

/**
 * sg_assign_page - set an entry's page, keeping its flag bits.
 *
 * Kernel: include/linux/scatterlist.h sg_assign_page()
 * Divergence: BUG on a chain entry always (the kernel checks only under CONFIG_DEBUG_SG).
 * @throws KernelBug if `sg` is a chain entry
 */
export function sg_assign_page(sg: scatterlist, pg: page): void {
  BUG_ON(sg_is_chain(sg), 'sg_assign_page: chain entry');
  sg.page_link = pg;
}

/**
 * sg_set_page - point an entry at `len` bytes at `offset` from `pg`.
 *
 * `offset` may be ≥ PAGE_SIZE (the range is then further into physically contiguous memory),
 * though callers normally keep it below PAGE_SIZE.
 *
 * Kernel: include/linux/scatterlist.h sg_set_page()
 * @throws KernelBug if `sg` is a chain entry
 * @example
 * ```ts
 * sg_set_page(sgl[0]!, pg, 512, 100);
 * ```
 */
export function sg_set_page(sg: scatterlist, pg: page, len: number, offset: number): void {
  sg_assign_page(sg, pg);
  sg.offset = offset;
  sg.length = len;
}

/**
 * sg_page - the page of a data entry.
 *
 * Kernel: include/linux/scatterlist.h sg_page()
 * @throws KernelBug if `sg` is a chain entry or has no page set
 */
export function sg_page(sg: scatterlist): page {
  BUG_ON(sg_is_chain(sg), 'sg_page: chain entry');
  BUG_ON(sg.page_link === null, 'sg_page: entry has no page');
  return sg.page_link!;
}

/**
 * sg_set_buf - point an entry at a direct-map buffer.
 *
 * Kernel: include/linux/scatterlist.h sg_set_buf(sg, buf, buflen)
 * Divergence: takes the host memory (a view does not name it); buflen defaults to the view's
 * length. The page and offset come from virt_to_phys().
 * @throws KernelError EFAULT if `buf` is not a view of `mem`'s direct map (the kernel BUGs on
 *         !virt_addr_valid under CONFIG_DEBUG_SG)
 */
export function sg_set_buf(sg: scatterlist, mem: PhysicalMemory, buf: Uint8Array, buflen: number = buf.length): void {
  sg_set_page(sg, virt_to_page(mem, buf), buflen, offset_in_page(virt_to_phys(mem, buf)));
}

/** Kernel: include/linux/scatterlist.h sg_phys() - page_to_phys(sg_page(sg)) + offset. */
export function sg_phys(sg: scatterlist): phys_addr_t {
  return page_to_phys(sg_page(sg)) + sg.offset;
}

/**
 * sg_virt - the direct-map view of an entry's bytes.
 *
 * Kernel: include/linux/scatterlist.h sg_virt()
 * Divergence: a view of all `length` bytes rather than a pointer to the first.
 */
export function sg_virt(sg: scatterlist): Uint8Array {
  return sg_page(sg).mem.view(sg_phys(sg), sg.length);
}

/** Kernel: include/linux/scatterlist.h sg_dma_address() (set the field directly). */
export function sg_dma_address(sg: scatterlist): dma_addr_t {
  return sg.dma_address;
}

/** Kernel: include/linux/scatterlist.h sg_dma_len() - dma_length (CONFIG_NEED_SG_DMA_LENGTH). */
export function sg_dma_len(sg: scatterlist): number {
  return sg.dma_length;
}

/** Kernel: sg_dma_is_bus_address() */
export function sg_dma_is_bus_address(sg: scatterlist): boolean {
  return (sg.dma_flags & SG_DMA_BUS_ADDRESS) !== 0;
}

/** Kernel: sg_dma_mark_bus_address() */
export function sg_dma_mark_bus_address(sg: scatterlist): void {
  sg.dma_flags |= SG_DMA_BUS_ADDRESS;
}

/** Kernel: sg_dma_unmark_bus_address() */
export function sg_dma_unmark_bus_address(sg: scatterlist): void {
  sg.dma_flags &= ~SG_DMA_BUS_ADDRESS;
}

/** Kernel: sg_dma_is_swiotlb() */
export function sg_dma_is_swiotlb(sg: scatterlist): boolean {
  return (sg.dma_flags & SG_DMA_SWIOTLB) !== 0;
}

/**
 * sg_dma_mark_swiotlb - mark the first entry: the list was mapped through swiotlb.
 *
 * Kernel: sg_dma_mark_swiotlb(). Mainline has no unmark helper; dma-iommu sets the flag on the
 * first entry and the next sg_init_table() / map clears dma_flags.
 */
export function sg_dma_mark_swiotlb(sg: scatterlist): void {
  sg.dma_flags |= SG_DMA_SWIOTLB;
}

/**
 * sg_table - an sg list and its entry counts.
 *
 * Kernel: include/linux/scatterlist.h struct sg_table
 * Divergence: `sgl` is the first entry or null (C's NULL) before allocation and after sg_free_table().
 */
export class sg_table {
  /** The first entry of the list. */
  sgl: scatterlist | null = null;
  /** Entries valid after DMA mapping (the count the map call returned). */
  nents = 0;
  /** Entries of the CPU list. */
  orig_nents = 0;
}

/**
 * __sg_alloc_table - allocate a list of `nents` entries in arrays of at most `max_ents`, chained.
 *
 * Every array but the last is `max_ents` long and gives its last entry to the chain, so it holds
 * `max_ents − 1` data entries. The table is zeroed first; nents and orig_nents both end = nents.
 *
 * Kernel: lib/scatterlist.c __sg_alloc_table()
 * Divergence: no first_chunk / allocator arguments; JS allocation does not fail.
 * @throws KernelError EINVAL if nents is 0
 * @throws KernelBug if max_ents < 2 with nents > max_ents (no room to chain)
 */
export function __sg_alloc_table(table: sg_table, nents: number, max_ents: number, gfp: gfp_t = GFP_KERNEL): void {
  void gfp;
  table.sgl = null;
  table.nents = 0;
  table.orig_nents = 0;
  if (nents === 0) throw new KernelError('EINVAL', 'sg_alloc_table: nents is 0');
  BUG_ON(!(Number.isInteger(nents) && nents > 0), `sg_alloc_table: bad nents ${nents}`);
  BUG_ON(nents > max_ents && max_ents < 2, `sg_alloc_table: cannot chain arrays of ${max_ents}`);
  let left = nents;
  let prv: scatterlist[] | null = null;
  do {
    let alloc_size = left;
    let sg_size: number;
    if (alloc_size > max_ents) {
      alloc_size = max_ents;
      sg_size = alloc_size - 1;
    } else {
      sg_size = alloc_size;
    }
    left -= sg_size;
    const sg = sg_init_table(alloc_size);
    table.orig_nents += sg_size;
    table.nents = table.orig_nents;
    if (prv) sg_chain(prv, max_ents, sg);
    else table.sgl = sg[0]!;
    if (left === 0) sg_mark_end(sg[sg_size - 1]!);
    prv = sg;
  } while (left !== 0);
}

/**
 * sg_alloc_table - allocate an sg list of `nents` entries; more than SG_MAX_SINGLE_ALLOC (128)
 * are chained in 128-entry arrays (127 data entries each but the last).
 *
 * Kernel: lib/scatterlist.c sg_alloc_table()
 * @throws KernelError EINVAL if nents is 0
 * @example
 * ```ts
 * const sgt = new sg_table();
 * sg_alloc_table(sgt, 300); // arrays of 128 + 128 + 46, two chain entries
 * ```
 */
export function sg_alloc_table(table: sg_table, nents: number, gfp: gfp_t = GFP_KERNEL): void {
  __sg_alloc_table(table, nents, SG_MAX_SINGLE_ALLOC, gfp);
}

/**
 * sg_free_table - release a table's list: sgl becomes null and orig_nents 0 (nents is left as is,
 * as in __sg_free_table). A table with no list is ignored.
 *
 * Kernel: lib/scatterlist.c sg_free_table()
 * Divergence: the entries are unbound from their arrays so that a later sg_next() on a freed
 * entry is a KernelBug instead of a use-after-free.
 */
export function sg_free_table(table: sg_table): void {
  if (table.sgl === null) return;
  let arr = table.sgl.sgArray;
  while (arr !== null) {
    let next: scatterlist[] | null = null;
    for (const sg of arr) {
      if (sg_is_chain(sg)) next = sg.sgChain;
      resetEntry(sg);
      sg.sgArray = null;
    }
    arr = next;
  }
  table.orig_nents = 0;
  table.sgl = null;
}

/**
 * sg_append_table - an sg_table being built by repeated appends.
 *
 * Kernel: include/linux/scatterlist.h struct sg_append_table
 */
export class sg_append_table {
  /** The table being built. */
  sgt = new sg_table();
  /** The last populated entry (the kernel's prv). */
  prv: scatterlist | null = null;
  /** Entries allocated so far, chain entries excluded. */
  total_nents = 0;
}

/** pages_are_mergeable - `a` directly follows `b` physically (mm.h zone_device_pages_have_same_pgmap aside). */
function pages_are_mergeable(a: page, b: page): boolean {
  return a.mem === b.mem && a.pfn === b.pfn + 1;
}

/** get_next_sg(): the entry after `cur`, allocating and chaining a new array when needed. */
function get_next_sg(table: sg_append_table, cur: scatterlist | null, needed_sges: number): scatterlist {
  let next_sg: scatterlist | null = null;
  if (cur) {
    // The kernel's sg_next(cur) would be NULL here and sg_is_last(NULL) would oops.
    BUG_ON(sg_is_last(cur) || cur.sgArray === null, 'sg_alloc_append_table_from_pages: appending after the end mark');
    next_sg = cur.sgArray![cur.sgIndex + 1] ?? null;
    BUG_ON(next_sg === null, 'sg_alloc_append_table_from_pages: no entry after the last one');
    // Keep the array's last entry for chaining unless this is the final entry needed.
    if (!sg_is_last(next_sg!) || needed_sges === 1) return next_sg!;
  }
  const alloc_size = Math.min(needed_sges, SG_MAX_SINGLE_ALLOC);
  const new_sg = sg_init_table(alloc_size);
  if (cur) {
    table.total_nents += alloc_size - 1;
    sg_chain(cur.sgArray!, cur.sgIndex + 2, new_sg);
  } else {
    table.sgt.sgl = new_sg[0]!;
    table.total_nents = alloc_size;
  }
  return new_sg[0]!;
}

/**
 * sg_alloc_append_table_from_pages - append pages to an sg_append_table, merging physically
 * contiguous pages into entries of at most `max_segment` bytes.
 *
 * `max_segment` is rounded down to PAGE_SIZE first. When the table already has entries, pages
 * that continue its last entry grow that entry (then `offset` must be 0). `left_pages` is how
 * many pages later calls will append; with 0 the last entry gets the end mark.
 *
 * Kernel: lib/scatterlist.c sg_alloc_append_table_from_pages()
 * @throws KernelBug (WARN) if max_segment < PAGE_SIZE after rounding, or if appending with an offset
 * @throws KernelError EINVAL in non-strict mode for the same conditions
 */
export function sg_alloc_append_table_from_pages(
  sgt_append: sg_append_table, pages: readonly page[], n_pages: number, offset: number, size: number,
  max_segment: number, left_pages: number, gfp: gfp_t = GFP_KERNEL,
): void {
  void gfp;
  max_segment = ALIGN_DOWN(max_segment, PAGE_SIZE);
  if (WARN(max_segment < PAGE_SIZE, `sg_alloc_append_table_from_pages: max_segment ${max_segment} < PAGE_SIZE`)) {
    throw new KernelError('EINVAL', `sg_alloc_append_table_from_pages: max_segment ${max_segment} < PAGE_SIZE`);
  }
  let s = sgt_append.prv;
  let p = 0; // index into pages (the kernel advances the pages pointer)
  if (sgt_append.prv) {
    const prv = sgt_append.prv;
    if (WARN(offset !== 0, 'sg_alloc_append_table_from_pages: offset with a non-empty table')) {
      throw new KernelError('EINVAL', 'sg_alloc_append_table_from_pages: offset with a non-empty table');
    }
    // Merge contiguous pages into the last entry.
    const next_pfn = Math.floor((sg_phys(prv) + prv.length) / PAGE_SIZE);
    if (n_pages > 0 && pages[0]!.pfn === next_pfn && pages[0]!.mem === sg_page(prv).mem) {
      let last_pg = nth_page(sg_page(prv), next_pfn - 1 - sg_page(prv).pfn);
      while (n_pages > 0 && pages_are_mergeable(pages[p]!, last_pg)) {
        if (prv.length + PAGE_SIZE > max_segment) break;
        prv.length += PAGE_SIZE;
        last_pg = pages[p]!;
        p++;
        n_pages--;
      }
      if (n_pages === 0) {
        if (left_pages === 0) sg_mark_end(prv);
        return;
      }
    }
  }
  // Number of chunks: a new one at each discontinuity or when a segment reaches max_segment.
  let chunks = 1;
  let seg_len = 0;
  for (let i = 1; i < n_pages; i++) {
    seg_len += PAGE_SIZE;
    if (seg_len >= max_segment || !pages_are_mergeable(pages[p + i]!, pages[p + i - 1]!)) {
      chunks++;
      seg_len = 0;
    }
  }
  let added_nents = 0;
  let cur_page = 0;
  for (let i = 0; i < chunks; i++) {
    let j: number;
    seg_len = 0;
    for (j = cur_page + 1; j < n_pages; j++) {
      seg_len += PAGE_SIZE;
      if (seg_len >= max_segment || !pages_are_mergeable(pages[p + j]!, pages[p + j - 1]!)) break;
    }
    s = get_next_sg(sgt_append, s, chunks - i + left_pages);
    const chunk_size = (j - cur_page) * PAGE_SIZE - offset;
    // size is an unsigned long in C: once exhausted it wraps, and min() picks chunk_size.
    sg_set_page(s, pages[p + cur_page]!, size < 0 ? chunk_size : Math.min(size, chunk_size), offset);
    added_nents++;
    size -= chunk_size;
    offset = 0;
    cur_page = j;
  }
  sgt_append.sgt.nents += added_nents;
  sgt_append.sgt.orig_nents = sgt_append.sgt.nents;
  sgt_append.prv = s;
  if (left_pages === 0) sg_mark_end(s!);
}

/**
 * sg_free_append_table - free an append table's list.
 *
 * Kernel: lib/scatterlist.c sg_free_append_table()
 */
export function sg_free_append_table(table: sg_append_table): void {
  sg_free_table(table.sgt);
  table.prv = null;
  table.total_nents = 0;
}

/**
 * sg_alloc_table_from_pages_segment - build a table from a page array, squashing physically
 * contiguous pages into entries of at most `max_segment` bytes (rounded down to PAGE_SIZE).
 *
 * The first entry starts `offset` bytes into `pages[0]`; `size` bytes are described in all.
 * `n_pages` should be `PAGE_ALIGN(offset + size) / PAGE_SIZE`.
 *
 * Kernel: lib/scatterlist.c sg_alloc_table_from_pages_segment()
 * @throws KernelBug (WARN) if max_segment < PAGE_SIZE after rounding (KernelError EINVAL when not strict)
 */
export function sg_alloc_table_from_pages_segment(
  sgt: sg_table, pages: readonly page[], n_pages: number, offset: number, size: number, max_segment: number,
  gfp: gfp_t = GFP_KERNEL,
): void {
  const append = new sg_append_table();
  try {
    sg_alloc_append_table_from_pages(append, pages, n_pages, offset, size, max_segment, 0, gfp);
  } catch (err) {
    sg_free_append_table(append);
    throw err;
  }
  sgt.sgl = append.sgt.sgl;
  sgt.nents = append.sgt.nents;
  sgt.orig_nents = append.sgt.orig_nents;
  WARN(append.total_nents !== sgt.orig_nents, 'sg_alloc_table_from_pages_segment: total_nents != orig_nents');
}

/**
 * sg_alloc_table_from_pages - build a table from a page array, squashing physically contiguous
 * pages into one entry (max_segment UINT_MAX, i.e. 4 GiB − 4 KiB after rounding).
 *
 * Kernel: include/linux/scatterlist.h sg_alloc_table_from_pages()
 * @example
 * ```ts
 * const sgt = new sg_table();
 * sg_alloc_table_from_pages(sgt, pages, pages.length, 100, total);
 * ```
 */
export function sg_alloc_table_from_pages(
  sgt: sg_table, pages: readonly page[], n_pages: number, offset: number, size: number, gfp: gfp_t = GFP_KERNEL,
): void {
  sg_alloc_table_from_pages_segment(sgt, pages, n_pages, offset, size, UINT_MAX, gfp);
}

/**
 * for_each_sgtable_sg - iterate a table's CPU entries (orig_nents).
 *
 * Kernel: include/linux/scatterlist.h for_each_sgtable_sg()
 */
export function for_each_sgtable_sg(sgt: sg_table): Generator<scatterlist, void, undefined> {
  return for_each_sg(sgt.sgl, sgt.orig_nents);
}

/**
 * for_each_sgtable_dma_sg - iterate a table's mapped entries (nents).
 *
 * Kernel: include/linux/scatterlist.h for_each_sgtable_dma_sg()
 */
export function for_each_sgtable_dma_sg(sgt: sg_table): Generator<scatterlist, void, undefined> {
  return for_each_sg(sgt.sgl, sgt.nents);
}

/**
 * sg_copy_buffer - copy between a linear buffer and an sg list, skipping `skip` bytes of the list.
 *
 * Kernel: lib/scatterlist.c sg_copy_buffer()
 * @param to_buffer true: list → buf; false: buf → list
 * @returns bytes copied (stops at the end of buf, of buflen or of the first `nents` entries)
 */
export function sg_copy_buffer(
  sgl: SglRef | null, nents: number, buf: Uint8Array, buflen: number, skip: number, to_buffer: boolean,
): number {
  buflen = Math.min(buflen, buf.length);
  let copied = 0;
  for (const sg of for_each_sg(sgl, nents)) {
    if (copied >= buflen) break;
    if (skip >= sg.length) {
      skip -= sg.length;
      continue;
    }
    const len = Math.min(sg.length - skip, buflen - copied);
    const view = sg_page(sg).mem.view(sg_phys(sg) + skip, len);
    if (to_buffer) buf.set(view, copied);
    else view.set(buf.subarray(copied, copied + len));
    copied += len;
    skip = 0;
  }
  return copied;
}

/**
 * sg_copy_from_buffer - copy a linear buffer into an sg list.
 *
 * Kernel: lib/scatterlist.c sg_copy_from_buffer()
 * @returns bytes copied
 * @example
 * ```ts
 * sg_copy_from_buffer(sgt.sgl, sgt.orig_nents, new TextEncoder().encode('hello'));
 * ```
 */
export function sg_copy_from_buffer(sgl: SglRef | null, nents: number, buf: Uint8Array, buflen: number = buf.length): number {
  return sg_copy_buffer(sgl, nents, buf, buflen, 0, false);
}

/**
 * sg_copy_to_buffer - copy an sg list into a linear buffer.
 *
 * Kernel: lib/scatterlist.c sg_copy_to_buffer()
 * @returns bytes copied
 */
export function sg_copy_to_buffer(sgl: SglRef | null, nents: number, buf: Uint8Array, buflen: number = buf.length): number {
  return sg_copy_buffer(sgl, nents, buf, buflen, 0, true);
}

/** Kernel: lib/scatterlist.c sg_pcopy_from_buffer() - sg_copy_from_buffer skipping `skip` list bytes. */
export function sg_pcopy_from_buffer(sgl: SglRef | null, nents: number, buf: Uint8Array, buflen: number, skip: number): number {
  return sg_copy_buffer(sgl, nents, buf, buflen, skip, false);
}

/** Kernel: lib/scatterlist.c sg_pcopy_to_buffer() - sg_copy_to_buffer skipping `skip` list bytes. */
export function sg_pcopy_to_buffer(sgl: SglRef | null, nents: number, buf: Uint8Array, buflen: number, skip: number): number {
  return sg_copy_buffer(sgl, nents, buf, buflen, skip, true);
}

/**
 * sgTableFromBvecs - build an sg_table with one entry per bio_vec (`sg_set_page` per bvec).
 *
 * Emulator-only: what a ULP did by hand before bio_vec mapping existed — e.g. the loops in
 * svc_rdma_rw.c (svc_rdma_vec_to_sg / svc_rdma_pagelist_to_sg) and xprtrdma's frwr_map() that
 * call sg_set_page() for each page range. No merging: the "sg" design maps these entries with
 * dma_map_sgtable(), where dma-iommu may merge. A bvec whose bv_offset is ≥ PAGE_SIZE is
 * normalized to the page holding its first byte (nth_page) and an offset below PAGE_SIZE.
 * Zero-length bvecs are skipped.
 * @param nents how many bvecs to take (default all)
 * @throws KernelError EINVAL if no bvec has bytes (sg_alloc_table of 0 entries)
 * @example
 * ```ts
 * const sgt = sgTableFromBvecs(bvecs);
 * const n = dma_map_sgtable(dev, sgt, DMA_TO_DEVICE, 0);
 * ```
 */
export function sgTableFromBvecs(bvecs: readonly bio_vec[], nents: number = bvecs.length): sg_table {
  let count = 0;
  for (let i = 0; i < nents; i++) if (bvecs[i]!.bv_len !== 0) count++;
  const sgt = new sg_table();
  sg_alloc_table(sgt, count);
  let sg: scatterlist | null = sgt.sgl;
  for (let i = 0; i < nents; i++) {
    const bv = bvecs[i]!;
    if (bv.bv_len === 0) continue;
    const pageIdx = Math.floor(bv.bv_offset / PAGE_SIZE);
    sg_set_page(sg!, pageIdx === 0 ? bv.bv_page : nth_page(bv.bv_page, pageIdx), bv.bv_len, bv.bv_offset % PAGE_SIZE);
    sg = sg_next(sg!);
  }
  return sgt;
}
