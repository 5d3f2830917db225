/**
 * memory - a host's physical memory: RAM bytes, struct page and struct folio.
 *
 * Kernel: include/linux/mm_types.h (struct page, struct folio), include/linux/mm.h,
 *         include/asm-generic/memory_model.h (pfn_to_page, page_to_pfn), arch/x86/include/asm/page.h
 *
 * Operation: one ArrayBuffer holds all of a host's RAM, `size` bytes starting at physical address
 * `base` (page-aligned; a base above 4 GiB makes every page unreachable by a 32-bit DMA mask, which
 * is how bounce buffering is exercised). Page metadata lives in typed arrays indexed by
 * `pfn - start_pfn` — flags, refcount, order, compound head, free-list links — never one object per
 * page. `struct page` is a small handle `{ mem, pfn }` made on first use and cached, so the same pfn
 * always yields the same object (`bv_page === other.bv_page` works as pointer equality does in C).
 *
 * The direct map: `page_address()` and `phys_to_virt()` return *views* of the RAM buffer (no copy);
 * `virt_to_phys()` maps such a view back to its physical address. A "kernel virtual address" in
 * rdmaemu is a `Uint8Array` view over RAM; any other Uint8Array is not in the direct map.
 *
 * The first `reserved` bytes (default 1 MiB) are PG_reserved and play the part of kernel text and
 * rodata, so dma-debug's "maps memory from kernel text or rodata" check has something to catch.
 *
 * Invariants: `start_pfn = base / PAGE_SIZE`; a handle's pfn is in [start_pfn, end_pfn); flags of a
 * free page include PG_buddy and its refcount is 0.
 */
import { KernelError } from '@rdmaemu/sim-core';
import type { phys_addr_t } from '@rdmaemu/sim-core';

/** Kernel: arch/x86/include/asm/page_types.h PAGE_SHIFT */
export const PAGE_SHIFT = 12;
/** Kernel: PAGE_SIZE (4 KiB) */
export const PAGE_SIZE = 4096;
/**
 * Kernel: MAX_PAGE_ORDER (include/linux/mmzone.h) - the largest buddy order, 4 MiB blocks.
 */
export const MAX_PAGE_ORDER = 10;
/** Kernel: NR_PAGE_ORDERS */
export const NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;
/** Kernel: arch/x86 L1_CACHE_SHIFT (64-byte cachelines) */
export const L1_CACHE_SHIFT = 6;
export const L1_CACHE_BYTES = 1 << L1_CACHE_SHIFT;

/**
 * Zones (include/linux/mmzone.h enum zone_type, x86-64 layout): ZONE_DMA below 16 MiB,
 * ZONE_DMA32 below 4 GiB, ZONE_NORMAL above. The buddy allocator keeps free lists per zone and
 * serves GFP_KERNEL from the highest zone first, so low memory — where the swiotlb pool lives and
 * what small-mask devices can reach — is used last, as in the kernel.
 */
export const ZONE_DMA = 0;
export const ZONE_DMA32 = 1;
export const ZONE_NORMAL = 2;
export const MAX_NR_ZONES = 3;
/** Kernel: arch/x86 MAX_DMA_PFN (16 MiB) and MAX_DMA32_PFN (4 GiB) */
export const MAX_DMA_PFN = (16 * 1024 * 1024) / 4096;
export const MAX_DMA32_PFN = 2 ** 32 / 4096;
export const zone_names: readonly string[] = ['DMA', 'DMA32', 'Normal'];

/** Kernel: page_zonenum() by pfn. */
export function pfn_zone(pfn: number): number {
  return pfn < MAX_DMA_PFN ? ZONE_DMA : pfn < MAX_DMA32_PFN ? ZONE_DMA32 : ZONE_NORMAL;
}

// Page flags (include/linux/page-flags.h names; bit positions are rdmaemu's own)
export const PG_reserved = 1 << 0;
export const PG_buddy = 1 << 1; // PageBuddy: on a buddy free list (head of a free block)
export const PG_head = 1 << 2; // head of a compound page (folio)
export const PG_tail = 1 << 3; // tail of a compound page
export const PG_stack = 1 << 4; // emulator-only: part of a task stack (alloc_thread_stack_node)
export const PG_swiotlb = 1 << 5; // emulator-only: belongs to a swiotlb pool

/** PhysicalMemoryInit - options for a host's RAM. */
export interface PhysicalMemoryInit {
  /** Bytes of RAM, or a size string such as `'256M'`, `'1G'`. @default '256M' */
  size?: number | string;
  /** Physical address of the first byte (page-aligned). @default 0 */
  base?: phys_addr_t;
  /** Bytes at the start reserved as kernel text/rodata (PG_reserved). @default 1 MiB */
  reserved?: number;
  /** A name for messages (`client`, `server`). @default 'host' */
  name?: string;
}

/**
 * parseSize - `'256M'` → 268435456; accepts K, M, G suffixes (binary) or a plain number.
 * @throws KernelError EINVAL for an unparsable size
 */
export function parseSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const m = /^\s*(\d+)\s*([KMG]i?B?)?\s*$/i.exec(size);
  if (!m) throw new KernelError('EINVAL', `memory: bad size '${size}'`);
  const unit = (m[2] ?? '').charAt(0).toUpperCase();
  const mult = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

/**
 * page - struct page: a handle on one page frame of one host's memory.
 *
 * Kernel: include/linux/mm_types.h struct page
 * Divergence: a handle, not the metadata itself; metadata is in `mem`'s typed arrays. Obtain
 * handles with `pfn_to_page()` / `phys_to_page()`, never `new`.
 */
export class page {
  /** @internal use pfn_to_page() */
  constructor(readonly mem: PhysicalMemory, readonly pfn: number) {}
  toString(): string {
    return `page(${this.mem.name} pfn 0x${this.pfn.toString(16)})`;
  }
}

/**
 * folio - struct folio: a compound page of 2^order pages, referenced through its head page.
 *
 * Kernel: include/linux/mm_types.h struct folio
 */
export class folio {
  /** @internal use page_folio() / folio_alloc() */
  constructor(readonly page: page) {}
  get mem(): PhysicalMemory {
    return this.page.mem;
  }
  get pfn(): number {
    return this.page.pfn;
  }
}

/**
 * PhysicalMemory - one host's RAM and its page metadata.
 *
 * Emulator-only: the kernel's memblock / mem_map / zone state for one machine, reduced to what
 * DMA needs.
 * @example
 * ```ts
 * const mem = new PhysicalMemory({ size: '16M', name: 'client' });
 * const pg = alloc_pages(mem, 0)!;
 * page_address(pg).fill(0xab);
 * ```
 */
export class PhysicalMemory {
  readonly name: string;
  readonly base: phys_addr_t;
  readonly size: number;
  readonly nr_pages: number;
  readonly start_pfn: number;
  readonly end_pfn: number;
  /** The RAM itself. Views of it are kernel virtual addresses. */
  readonly bytes: Uint8Array;
  readonly buffer: ArrayBuffer;
  /** Per-page flags (PG_*), indexed by pfn − start_pfn. */
  readonly page_flags: Uint8Array;
  /** Per-page reference count (`page_ref_count`). */
  readonly page_refcount: Int32Array;
  /** Buddy order of a free block's head, or a folio's order on its head page. */
  readonly page_order: Uint8Array;
  /** For a tail page: index of its compound head (pfn − start_pfn). */
  readonly compound_head_idx: Int32Array;
  /** Buddy free-list links (index, −1 = none). @internal page_alloc.ts */
  readonly buddy_next: Int32Array;
  /** @internal page_alloc.ts */
  readonly buddy_prev: Int32Array;
  /** Free-list heads per zone and order, at `zone * NR_PAGE_ORDERS + order` (index or −1). @internal page_alloc.ts */
  readonly free_area_head: Int32Array = new Int32Array(MAX_NR_ZONES * NR_PAGE_ORDERS).fill(-1);
  /** Free blocks per zone and order (`zone->free_area[order].nr_free`), same indexing. */
  readonly zone_nr_free: Int32Array = new Int32Array(MAX_NR_ZONES * NR_PAGE_ORDERS);
  /** Free blocks per order, all zones together. */
  readonly nr_free: Int32Array = new Int32Array(NR_PAGE_ORDERS);
  /** Pages currently free. */
  free_pages_count = 0;
  readonly reserved_pages: number;
  private readonly pageCache: (page | undefined)[];
  private readonly folioCache = new Map<number, folio>();

  constructor(init: PhysicalMemoryInit = {}) {
    this.name = init.name ?? 'host';
    this.size = parseSize(init.size ?? '256M');
    this.base = init.base ?? 0;
    if (this.size <= 0 || this.size % PAGE_SIZE !== 0) {
      throw new KernelError('EINVAL', `memory ${this.name}: size ${this.size} is not a positive multiple of PAGE_SIZE`);
    }
    if (this.base % PAGE_SIZE !== 0 || this.base < 0 || this.base + this.size > Number.MAX_SAFE_INTEGER) {
      throw new KernelError('EINVAL', `memory ${this.name}: base 0x${this.base.toString(16)} not page-aligned or out of range`);
    }
    this.nr_pages = this.size / PAGE_SIZE;
    this.start_pfn = this.base / PAGE_SIZE;
    this.end_pfn = this.start_pfn + this.nr_pages;
    this.buffer = new ArrayBuffer(this.size);
    this.bytes = new Uint8Array(this.buffer);
    this.page_flags = new Uint8Array(this.nr_pages);
    this.page_refcount = new Int32Array(this.nr_pages);
    this.page_order = new Uint8Array(this.nr_pages);
    this.compound_head_idx = new Int32Array(this.nr_pages).fill(-1);
    this.buddy_next = new Int32Array(this.nr_pages).fill(-1);
    this.buddy_prev = new Int32Array(this.nr_pages).fill(-1);
    this.pageCache = new Array(this.nr_pages);
    const reserved = Math.min(this.nr_pages, Math.ceil((init.reserved ?? 1024 * 1024) / PAGE_SIZE));
    this.reserved_pages = reserved;
    for (let i = 0; i < reserved; i++) {
      this.page_flags[i] = PG_reserved;
      this.page_refcount[i] = 1;
    }
    seedFreeLists(this, reserved);
  }

  /** The handle for `pfn` (cached; same object each time). @internal prefer pfn_to_page() */
  pageOf(pfn: number): page {
    const idx = pfn - this.start_pfn;
    let pg = this.pageCache[idx];
    if (pg === undefined) {
      pg = new page(this, pfn);
      this.pageCache[idx] = pg;
    }
    return pg;
  }

  /** The folio handle whose head is `pfn`. @internal prefer page_folio() */
  folioOf(headPfn: number): folio {
    let f = this.folioCache.get(headPfn);
    if (f === undefined) {
      f = new folio(this.pageOf(headPfn));
      this.folioCache.set(headPfn, f);
    }
    return f;
  }

  /** True when [phys, phys+len) lies in this RAM. */
  contains(phys: phys_addr_t, len = 1): boolean {
    return phys >= this.base && len >= 0 && phys + len <= this.base + this.size;
  }

  /**
   * view - the direct-map view of [phys, phys+len): a kernel virtual address. No copy.
   * @throws KernelError EFAULT if the range is not RAM
   */
  view(phys: phys_addr_t, len: number): Uint8Array {
    if (!this.contains(phys, len)) {
      throw new KernelError('EFAULT', `memory ${this.name}: [${phys.toString(16)}, +${len}) is not RAM`);
    }
    const off = phys - this.base;
    return this.bytes.subarray(off, off + len);
  }
}

/** Free every non-reserved page into the buddy lists in maximal aligned blocks. */
function seedFreeLists(mem: PhysicalMemory, firstFree: number): void {
  for (let i = mem.nr_pages - 1; i >= firstFree; i--) mem.page_flags[i] = 0;
  // Blocks are aligned on the absolute pfn, as the buddy allocator requires; zone boundaries are
  // multiples of the largest block, so no block straddles two zones.
  let idx = firstFree;
  while (idx < mem.nr_pages) {
    let order = MAX_PAGE_ORDER;
    const pfn = mem.start_pfn + idx;
    while (order > 0 && (pfn % 2 ** order !== 0 || idx + 2 ** order > mem.nr_pages)) order--;
    free_list_add(mem, idx, order);
    mem.free_pages_count += 2 ** order;
    idx += 2 ** order;
  }
}

/** @internal page_alloc.ts: push block `idx` of `order` on its free list. */
export function free_list_add(mem: PhysicalMemory, idx: number, order: number): void {
  const list = pfn_zone(mem.start_pfn + idx) * NR_PAGE_ORDERS + order;
  const head = mem.free_area_head[list]!;
  mem.buddy_next[idx] = head;
  mem.buddy_prev[idx] = -1;
  if (head >= 0) mem.buddy_prev[head] = idx;
  mem.free_area_head[list] = idx;
  mem.page_flags[idx]! |= PG_buddy;
  mem.page_order[idx] = order;
  mem.nr_free[order]!++;
  mem.zone_nr_free[list]!++;
}

/** @internal page_alloc.ts: unlink block `idx` of `order` from its free list. */
export function free_list_del(mem: PhysicalMemory, idx: number, order: number): void {
  const list = pfn_zone(mem.start_pfn + idx) * NR_PAGE_ORDERS + order;
  const next = mem.buddy_next[idx]!;
  const prev = mem.buddy_prev[idx]!;
  if (prev >= 0) mem.buddy_next[prev] = next;
  else mem.free_area_head[list] = next;
  if (next >= 0) mem.buddy_prev[next] = prev;
  mem.buddy_next[idx] = -1;
  mem.buddy_prev[idx] = -1;
  mem.page_flags[idx]! &= ~PG_buddy;
  mem.page_order[idx] = 0;
  mem.nr_free[order]!--;
  mem.zone_nr_free[list]!--;
}

/** Kernel: include/linux/pfn.h PFN_DOWN() */
export function PFN_DOWN(addr: phys_addr_t): number {
  return Math.floor(addr / PAGE_SIZE);
}

/** Kernel: include/linux/pfn.h PFN_UP() */
export function PFN_UP(addr: phys_addr_t): number {
  return Math.ceil(addr / PAGE_SIZE);
}

/** Kernel: include/linux/pfn.h PFN_PHYS() */
export function PFN_PHYS(pfn: number): phys_addr_t {
  return pfn * PAGE_SIZE;
}

/** Kernel: include/linux/mm.h offset_in_page() */
export function offset_in_page(addr: number): number {
  return addr % PAGE_SIZE;
}

/** Kernel: include/linux/mm.h PAGE_ALIGN() */
export function PAGE_ALIGN(addr: number): number {
  return Math.ceil(addr / PAGE_SIZE) * PAGE_SIZE;
}

/** Kernel: include/asm-generic/getorder.h get_order() - smallest order with 2^order pages ≥ size. */
export function get_order(size: number): number {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < size) order++;
  return order;
}

/** Kernel: include/linux/mmzone.h pfn_valid() - true when `pfn` is RAM of `mem`. */
export function pfn_valid(mem: PhysicalMemory, pfn: number): boolean {
  return Number.isInteger(pfn) && pfn >= mem.start_pfn && pfn < mem.end_pfn;
}

/**
 * pfn_to_page - the struct page of a page frame.
 *
 * Kernel: include/asm-generic/memory_model.h pfn_to_page()
 * Divergence: the kernel computes a pointer without checking; rdmaemu refuses a pfn that is not RAM.
 * @throws KernelError EFAULT if pfn is not valid RAM of `mem`
 */
export function pfn_to_page(mem: PhysicalMemory, pfn: number): page {
  if (!pfn_valid(mem, pfn)) throw new KernelError('EFAULT', `memory ${mem.name}: pfn 0x${pfn.toString(16)} is not RAM`);
  return mem.pageOf(pfn);
}

/** Kernel: page_to_pfn() */
export function page_to_pfn(pg: page): number {
  return pg.pfn;
}

/** Kernel: include/linux/mm.h page_to_phys() */
export function page_to_phys(pg: page): phys_addr_t {
  return pg.pfn * PAGE_SIZE;
}

/**
 * phys_to_page - the page containing physical address `phys`.
 *
 * Kernel: arch/x86/include/asm/io.h phys_to_page()
 * @throws KernelError EFAULT if `phys` is not RAM of `mem`
 */
export function phys_to_page(mem: PhysicalMemory, phys: phys_addr_t): page {
  return pfn_to_page(mem, PFN_DOWN(phys));
}

/** Kernel: include/linux/mm.h nth_page() - the n-th page after `pg` (memory is one flat section). */
export function nth_page(pg: page, n: number): page {
  return pfn_to_page(pg.mem, pg.pfn + n);
}

/**
 * page_address - the direct-map view of one page (PAGE_SIZE bytes). No copy.
 *
 * Kernel: include/linux/mm.h page_address()
 */
export function page_address(pg: page): Uint8Array {
  return pg.mem.view(pg.pfn * PAGE_SIZE, PAGE_SIZE);
}

/**
 * phys_to_virt - the direct-map view of [phys, phys+len).
 *
 * Kernel: arch/x86/include/asm/io.h phys_to_virt()
 * Divergence: takes the length, since a view has one.
 * @throws KernelError EFAULT if the range is not RAM
 */
export function phys_to_virt(mem: PhysicalMemory, phys: phys_addr_t, len: number): Uint8Array {
  return mem.view(phys, len);
}

/**
 * virt_addr_valid - true when `addr` is a view into `mem`'s direct map.
 *
 * Kernel: arch/x86/include/asm/page.h virt_addr_valid()
 */
export function virt_addr_valid(mem: PhysicalMemory, addr: Uint8Array): boolean {
  return addr.buffer === mem.buffer;
}

/**
 * virt_to_phys - the physical address of a direct-map view's first byte.
 *
 * Kernel: arch/x86/include/asm/io.h virt_to_phys()
 * @throws KernelError EFAULT if `addr` is not a view of `mem`
 */
export function virt_to_phys(mem: PhysicalMemory, addr: Uint8Array): phys_addr_t {
  if (!virt_addr_valid(mem, addr)) throw new KernelError('EFAULT', `memory ${mem.name}: address is not in the direct map`);
  return mem.base + addr.byteOffset;
}

/** Kernel: virt_to_page() */
export function virt_to_page(mem: PhysicalMemory, addr: Uint8Array): page {
  return phys_to_page(mem, virt_to_phys(mem, addr));
}

/** Kernel: include/linux/page-flags.h PageReserved() */
export function PageReserved(pg: page): boolean {
  return (pg.mem.page_flags[pg.pfn - pg.mem.start_pfn]! & PG_reserved) !== 0;
}

/** Kernel: PageBuddy() - the page heads a free buddy block. */
export function PageBuddy(pg: page): boolean {
  return (pg.mem.page_flags[pg.pfn - pg.mem.start_pfn]! & PG_buddy) !== 0;
}

/** Kernel: PageHead() */
export function PageHead(pg: page): boolean {
  return (pg.mem.page_flags[pg.pfn - pg.mem.start_pfn]! & PG_head) !== 0;
}

/** Kernel: PageTail() */
export function PageTail(pg: page): boolean {
  return (pg.mem.page_flags[pg.pfn - pg.mem.start_pfn]! & PG_tail) !== 0;
}

/** Kernel: PageCompound() */
export function PageCompound(pg: page): boolean {
  return (pg.mem.page_flags[pg.pfn - pg.mem.start_pfn]! & (PG_head | PG_tail)) !== 0;
}

/** Emulator-only: the page is part of a task stack (see alloc_thread_stack in page_alloc.ts). */
export function PageStack(pg: page): boolean {
  return (pg.mem.page_flags[pg.pfn - pg.mem.start_pfn]! & PG_stack) !== 0;
}

/** Kernel: include/linux/page_ref.h page_ref_count() */
export function page_ref_count(pg: page): number {
  return pg.mem.page_refcount[pg.pfn - pg.mem.start_pfn]!;
}

/** Kernel: include/linux/page-flags.h compound_head() */
export function compound_head(pg: page): page {
  const mem = pg.mem;
  const idx = pg.pfn - mem.start_pfn;
  if ((mem.page_flags[idx]! & PG_tail) === 0) return pg;
  return mem.pageOf(mem.start_pfn + mem.compound_head_idx[idx]!);
}

/** Kernel: include/linux/page-flags.h page_folio() */
export function page_folio(pg: page): folio {
  const head = compound_head(pg);
  return head.mem.folioOf(head.pfn);
}

/** Kernel: include/linux/mm.h folio_order() - 0 for a single page. */
export function folio_order(f: folio): number {
  const mem = f.mem;
  const idx = f.pfn - mem.start_pfn;
  return (mem.page_flags[idx]! & PG_head) !== 0 ? mem.page_order[idx]! : 0;
}

/** Kernel: folio_nr_pages() */
export function folio_nr_pages(f: folio): number {
  return 2 ** folio_order(f);
}

/** Kernel: folio_size() */
export function folio_size(f: folio): number {
  return PAGE_SIZE * folio_nr_pages(f);
}

/** Kernel: folio_page() - the n-th page of a folio. */
export function folio_page(f: folio, n: number): page {
  return nth_page(f.page, n);
}

/** Kernel: folio_pfn() */
export function folio_pfn(f: folio): number {
  return f.pfn;
}

/** Kernel: folio_address() - the direct-map view of the whole folio. */
export function folio_address(f: folio): Uint8Array {
  return f.mem.view(f.pfn * PAGE_SIZE, folio_size(f));
}

/** Kernel: folio_phys() (mm.h folio_pfn << PAGE_SHIFT) */
export function folio_phys(f: folio): phys_addr_t {
  return f.pfn * PAGE_SIZE;
}
