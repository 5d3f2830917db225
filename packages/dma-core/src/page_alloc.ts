/**
 * page_alloc - the buddy allocator: alloc_pages, __free_pages, folios and page references.
 *
 * Kernel: mm/page_alloc.c, include/linux/gfp.h, include/linux/mm.h (get_page, put_page),
 *         mm/swap.c (folio_put), kernel/fork.c (alloc_thread_stack_node)
 *
 * Operation: free memory is kept in blocks of 2^order pages (order 0..MAX_PAGE_ORDER), each block
 * aligned on its own size in absolute pfn terms, on one doubly linked free list per order whose
 * links live in typed arrays. `alloc_pages(mem, order)` takes the smallest free block of at least
 * `order` and splits it, returning the upper halves to the lower lists (expand()).
 * `__free_pages(page, order)` drops a reference and, at zero, merges the block with its buddy
 * (pfn ± 2^order) as long as the buddy is a free block of the same order.
 *
 * A folio is a compound allocation: the head page carries PG_head and the order, every tail page
 * PG_tail and the index of its head. References are counted on the head.
 *
 * Bugs the kernel reports as "BUG: Bad page state" — freeing a free page, a tail page, or a page
 * with the wrong order — throw KernelBug.
 */
import { KernelBug, WARN } from '@rdmaemu/sim-core';
import type { gfp_t } from '@rdmaemu/sim-core';
import {
  MAX_PAGE_ORDER, NR_PAGE_ORDERS, ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, PG_buddy, PG_head, PG_reserved, PG_stack, PG_tail, PhysicalMemory, compound_head,
  folio, folio_order, free_list_add, free_list_del, page,
} from './memory.js';

/** Kernel: include/linux/gfp_types.h GFP_KERNEL (accepted and ignored: nothing here sleeps) */
export const GFP_KERNEL = 0xcc0;
/** Kernel: GFP_ATOMIC */
export const GFP_ATOMIC = 0xa20;
/** Kernel: include/linux/gfp_types.h __GFP_DMA - allocate from ZONE_DMA (below 16 MiB) */
export const __GFP_DMA = 0x01;
/** Kernel: __GFP_DMA32 - allocate from ZONE_DMA32 or below (below 4 GiB) */
export const __GFP_DMA32 = 0x04;
/** Kernel: GFP_DMA, GFP_DMA32 */
export const GFP_DMA = __GFP_DMA;
export const GFP_DMA32 = __GFP_DMA32;
/** Kernel: __GFP_ZERO */
export const __GFP_ZERO = 0x100;
/** Kernel: __GFP_COMP - allocate a compound page (a folio) */
export const __GFP_COMP = 0x40000;

/** Kernel: arch/x86/include/asm/page_64_types.h THREAD_SIZE_ORDER (16 KiB stacks) */
export const THREAD_SIZE_ORDER = 2;

function bad_page(pg: page, reason: string): never {
  throw new KernelBug(`BUG: Bad page state in process rdmaemu  pfn:${pg.pfn.toString(16)} (${pg.mem.name}): ${reason}`);
}

/**
 * alloc_pages - allocate 2^order physically contiguous pages.
 *
 * Kernel: include/linux/gfp.h alloc_pages()
 * @param mem the host's memory (the kernel's implicit node)
 * @param order 0..MAX_PAGE_ORDER
 * @param gfp `__GFP_ZERO` zeroes the pages, `__GFP_COMP` makes a compound page, `__GFP_DMA` /
 *   `__GFP_DMA32` restrict the zone; other flags are ignored. Without a zone flag the highest zone
 *   is tried first (Normal, then DMA32, then DMA), as the kernel's zonelist does.
 * @returns the first page, or null when no block is free (the kernel's NULL)
 * @throws KernelBug (WARN) for an order above MAX_PAGE_ORDER, in strict mode
 * @example
 * ```ts
 * const pg = alloc_pages(mem, 2, __GFP_ZERO); // 16 KiB, zeroed
 * if (pg) __free_pages(pg, 2);
 * ```
 */
export function alloc_pages(mem: PhysicalMemory, order: number, gfp: gfp_t = GFP_KERNEL): page | null {
  if (WARN(!(order >= 0 && order <= MAX_PAGE_ORDER && Number.isInteger(order)), `alloc_pages: order ${order} > MAX_PAGE_ORDER`)) {
    return null;
  }
  // The zonelist: the highest zone the gfp flags allow first, then the lower ones.
  const top = (gfp & __GFP_DMA) !== 0 ? ZONE_DMA : (gfp & __GFP_DMA32) !== 0 ? ZONE_DMA32 : ZONE_NORMAL;
  let idx = -1;
  let current = order;
  for (let zone = top; zone >= ZONE_DMA && idx < 0; zone--) {
    for (current = order; current <= MAX_PAGE_ORDER; current++) {
      idx = mem.free_area_head[zone * NR_PAGE_ORDERS + current]!;
      if (idx >= 0) break;
    }
  }
  if (idx < 0) return null;
  free_list_del(mem, idx, current);
  // expand(): hand the upper halves back to the lower free lists.
  while (current > order) {
    current--;
    free_list_add(mem, idx + 2 ** current, current);
  }
  const n = 2 ** order;
  mem.free_pages_count -= n;
  mem.page_refcount[idx] = 1;
  if ((gfp & __GFP_COMP) !== 0 && order > 0) prep_compound_page(mem, idx, order);
  if ((gfp & __GFP_ZERO) !== 0) mem.bytes.fill(0, idx * 4096, (idx + n) * 4096);
  return mem.pageOf(mem.start_pfn + idx);
}

/** Kernel: alloc_page() - one page. */
export function alloc_page(mem: PhysicalMemory, gfp: gfp_t = GFP_KERNEL): page | null {
  return alloc_pages(mem, 0, gfp);
}

function prep_compound_page(mem: PhysicalMemory, idx: number, order: number): void {
  mem.page_flags[idx]! |= PG_head;
  mem.page_order[idx] = order;
  for (let i = 1; i < 2 ** order; i++) {
    mem.page_flags[idx + i]! |= PG_tail;
    mem.compound_head_idx[idx + i] = idx;
  }
}

function free_block(mem: PhysicalMemory, idx: number, order: number): void {
  const n = 2 ** order;
  if ((mem.page_flags[idx]! & PG_head) !== 0) {
    mem.page_flags[idx]! &= ~PG_head;
    for (let i = 1; i < n; i++) {
      mem.page_flags[idx + i]! &= ~PG_tail;
      mem.compound_head_idx[idx + i] = -1;
    }
  }
  for (let i = 0; i < n; i++) mem.page_flags[idx + i]! &= ~PG_stack;
  mem.free_pages_count += n;
  // __free_one_page(): merge with free buddies of the same order.
  while (order < MAX_PAGE_ORDER) {
    const pfn = mem.start_pfn + idx;
    const size = 2 ** order;
    const buddyPfn = Math.floor(pfn / size) % 2 === 0 ? pfn + size : pfn - size;
    const buddy = buddyPfn - mem.start_pfn;
    if (buddy < 0 || buddy + size > mem.nr_pages) break;
    if ((mem.page_flags[buddy]! & PG_buddy) === 0 || mem.page_order[buddy] !== order) break;
    free_list_del(mem, buddy, order);
    idx = Math.min(idx, buddy);
    order++;
  }
  free_list_add(mem, idx, order);
}

/** Checks valid on every reference drop: the page must be allocated and not a tail page. */
function check_put(pg: page): number {
  const mem = pg.mem;
  const idx = pg.pfn - mem.start_pfn;
  const flags = mem.page_flags[idx]!;
  if (flags & PG_buddy) bad_page(pg, 'page is already free (double free)');
  if (flags & PG_tail) bad_page(pg, 'freeing a tail page');
  if (mem.page_refcount[idx]! <= 0) bad_page(pg, `VM_BUG_ON_PAGE(page_ref_count(page) == 0)`);
  return idx;
}

/** free_pages_prepare(): checks made only when the last reference goes. */
function check_free(pg: page, idx: number, order: number): void {
  const mem = pg.mem;
  const flags = mem.page_flags[idx]!;
  if (flags & PG_reserved) bad_page(pg, 'freeing a reserved page');
  if ((flags & PG_head) && mem.page_order[idx] !== order) bad_page(pg, `compound order ${mem.page_order[idx]} freed as order ${order}`);
  if ((mem.start_pfn + idx) % 2 ** order !== 0) bad_page(pg, `order-${order} free of a misaligned pfn`);
}

/**
 * __free_pages - drop a reference to an order-`order` allocation, freeing it at zero.
 *
 * Kernel: mm/page_alloc.c __free_pages()
 * @throws KernelBug "Bad page state" for a double free, a tail page, a reserved page or a wrong order
 */
export function __free_pages(pg: page, order: number): void {
  const idx = check_put(pg);
  const mem = pg.mem;
  if (mem.page_refcount[idx]! === 1) check_free(pg, idx, order);
  if (--mem.page_refcount[idx]! === 0) free_block(mem, idx, order);
}

/** Kernel: __free_page() */
export function __free_page(pg: page): void {
  __free_pages(pg, 0);
}

/**
 * get_page - take a reference (on the compound head).
 *
 * Kernel: include/linux/mm.h get_page()
 * @throws KernelBug if the page is free
 */
export function get_page(pg: page): void {
  const head = compound_head(pg);
  const idx = head.pfn - head.mem.start_pfn;
  if (head.mem.page_refcount[idx]! <= 0) bad_page(head, 'get_page on a free page');
  head.mem.page_refcount[idx]!++;
}

/**
 * put_page - drop a reference (on the compound head); the last one frees the page or folio.
 *
 * Kernel: include/linux/mm.h put_page()
 * @throws KernelBug on a page that is already free
 */
export function put_page(pg: page): void {
  const head = compound_head(pg);
  const mem = head.mem;
  const idx = head.pfn - mem.start_pfn;
  const order = (mem.page_flags[idx]! & PG_head) ? mem.page_order[idx]! : 0;
  __free_pages(head, order);
}

/**
 * folio_alloc - allocate a folio (compound page) of 2^order pages.
 *
 * Kernel: include/linux/gfp.h folio_alloc()
 * @returns the folio, or null when memory is exhausted
 * @example
 * ```ts
 * const f = folio_alloc(mem, 4)!; // 64 KiB folio
 * folio_put(f);
 * ```
 */
export function folio_alloc(mem: PhysicalMemory, order: number, gfp: gfp_t = GFP_KERNEL): folio | null {
  const pg = alloc_pages(mem, order, gfp | __GFP_COMP);
  return pg ? mem.folioOf(pg.pfn) : null;
}

/** Kernel: mm.h folio_get() */
export function folio_get(f: folio): void {
  get_page(f.page);
}

/**
 * folio_put - drop a folio reference; the last one frees it.
 *
 * Kernel: include/linux/mm.h folio_put()
 * @throws KernelBug on a folio that is already free
 */
export function folio_put(f: folio): void {
  __free_pages(f.page, folio_order(f));
}

/**
 * alloc_thread_stack - allocate a task stack (THREAD_SIZE) whose pages dma-debug recognises.
 *
 * Kernel: kernel/fork.c alloc_thread_stack_node()
 * Emulator-only: exists so a test can map "stack memory" and see dma-debug's
 * "device driver maps memory from stack".
 * @returns the stack's first page, or null when memory is exhausted
 */
export function alloc_thread_stack(mem: PhysicalMemory): page | null {
  const pg = alloc_pages(mem, THREAD_SIZE_ORDER);
  if (!pg) return null;
  const idx = pg.pfn - mem.start_pfn;
  for (let i = 0; i < 2 ** THREAD_SIZE_ORDER; i++) mem.page_flags[idx + i]! |= PG_stack;
  return pg;
}

/** free_thread_stack - free a stack from alloc_thread_stack(). */
export function free_thread_stack(pg: page): void {
  __free_pages(pg, THREAD_SIZE_ORDER);
}

/** nr_free_pages - pages currently free on `mem` (Kernel: global_zone_page_state(NR_FREE_PAGES)). */
export function nr_free_pages(mem: PhysicalMemory): number {
  return mem.free_pages_count;
}

/**
 * alloc_contig_pages - `nr_pages` physically contiguous pages at the lowest address where they
 * fit, each with its own reference (as after split_page()).
 *
 * Kernel: mm/page_alloc.c alloc_contig_pages(); placement as memblock_alloc_low()
 * Divergence: the kernel searches zones for a range it can migrate; rdmaemu takes the lowest run
 * of free buddy blocks, which is where boot-time allocations such as the swiotlb pool sit (low
 * memory, reachable by devices with small DMA masks). Not limited to MAX_PAGE_ORDER.
 * @returns the first page, or null when no run of free pages is long enough
 * @example
 * ```ts
 * const pg = alloc_contig_pages(mem, 2048)!; // 8 MiB, low in memory
 * free_contig_range(mem, pg.pfn, 2048);
 * ```
 */
export function alloc_contig_pages(mem: PhysicalMemory, nr_pages: number): page | null {
  if (!(nr_pages > 0 && Number.isInteger(nr_pages))) return null;
  let idx = 0;
  let runStart = -1;
  let runLen = 0;
  while (idx < mem.nr_pages && runLen < nr_pages) {
    if ((mem.page_flags[idx]! & PG_buddy) !== 0) {
      if (runStart < 0) runStart = idx;
      const n = 2 ** mem.page_order[idx]!;
      runLen += n;
      idx += n;
    } else {
      runStart = -1;
      runLen = 0;
      idx++;
    }
  }
  if (runLen < nr_pages) return null;
  for (let i = runStart; i < runStart + runLen;) {
    const order = mem.page_order[i]!;
    free_list_del(mem, i, order);
    i += 2 ** order;
  }
  mem.free_pages_count -= runLen;
  for (let i = runStart; i < runStart + runLen; i++) mem.page_refcount[i] = 1;
  for (let i = runStart + nr_pages; i < runStart + runLen; i++) {
    mem.page_refcount[i] = 0;
    free_block(mem, i, 0);
  }
  return mem.pageOf(mem.start_pfn + runStart);
}

/**
 * free_contig_range - free pages from alloc_contig_pages().
 *
 * Kernel: mm/page_alloc.c free_contig_range()
 * @throws KernelBug "Bad page state" for a page that is not allocated
 */
export function free_contig_range(mem: PhysicalMemory, pfn: number, nr_pages: number): void {
  for (let i = 0; i < nr_pages; i++) __free_pages(mem.pageOf(pfn + i), 0);
}
