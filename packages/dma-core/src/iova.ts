/**
 * iova - the IOVA allocator: ranges of I/O virtual page frames handed out top-down.
 *
 * Kernel: drivers/iommu/iova.c, include/linux/iova.h
 *
 * Operation: an `iova_domain` owns the I/O virtual address space of one IOMMU DMA domain, in
 * units of its granule (the smallest IOMMU page, 4 KiB here). `alloc_iova()` finds a free range
 * of `size` granules below a limit by walking the allocated ranges *downwards* from a cached
 * position (the kernel's `cached_node`/`cached32_node`), so addresses are handed out from the top
 * of the space and the low 4 GiB stays free for 32-bit devices. With `size_aligned` the start is
 * aligned to the power of two ≥ size (`fls_long(size − 1)`), which is what lets an IOMMU use large
 * pages. `alloc_iova_fast()`/`free_iova_fast()` put a per-order range cache (the "rcache") in front
 * of the tree for ranges below 2^(IOVA_RANGE_CACHE_MAX_SIZE−1) granules: a cached range stays
 * allocated in the tree and is handed straight back to the next request of the same order.
 *
 * Data structure (Divergence): the kernel keeps `struct iova` nodes in an rbtree with an anchor
 * node at pfn ~0UL. Here the live ranges are two parallel `Float64Array`s (`pfn_lo`, `pfn_hi`),
 * sorted by pfn_lo, plus the anchor as a virtual element past the end. Lookup is a binary search;
 * insert/erase shift the tail with `copyWithin` (a memmove of 8-byte slots, cheap for the
 * thousands of live ranges a session holds). The cached nodes are remembered by their pfn_lo
 * (re-found by binary search) rather than by pointer. `iova` objects are created only by the
 * object-returning API (`alloc_iova`, `find_iova`, `reserve_iova`) — the fast path
 * (`alloc_iova_fast`/`free_iova_fast`) allocates no objects. The walk, the retry above the cached
 * node, `max32_alloc_size` and the cached-node updates follow the kernel step by step, so the
 * addresses handed out are the kernel's.
 *
 * Range cache (Divergence): the kernel keeps, per order and per CPU, a `loaded` and a `prev`
 * magazine of IOVA_MAG_SIZE (127) pfns, plus a shared depot that a delayed work trims. rdmaemu is
 * single-CPU and has no workqueue in dma-core, so each order is one stack of pfns bounded at
 * (2 + IOVA_DEPOT_MAX_MAGS) magazines; a pop searches only the top magazine's worth (the loaded
 * magazine) for a pfn under the limit and swaps it out as `iova_magazine_pop` does; a push onto a
 * full stack first frees the top magazine's worth back to the tree (what the pre-6.7 kernel did
 * when its depot of MAX_GLOBAL_MAGS was full).
 *
 * Invariants: ranges never overlap; every live range lies in [start_pfn, ∞) except ranges the
 * caller reserved; pfn 0 is never handed out when start_pfn ≥ 1 (dma-iommu always uses ≥ 1), so
 * `alloc_iova_fast()` can use 0 for failure.
 */
import { BUG_ON, WARN_ON } from '@rdmaemu/sim-core';
import { U64_MAX, fls_long, ilog2, is_power_of_2, roundup_pow_of_two } from './_bits.js';
import { PAGE_SIZE } from './memory.js';

/** Kernel: include/linux/iova.h IOVA_RANGE_CACHE_MAX_SIZE - log of the largest cached range (orders 0..5). */
export const IOVA_RANGE_CACHE_MAX_SIZE = 6;
/** Kernel: drivers/iommu/iova.c IOVA_MAG_SIZE - pfns per magazine (127 since v6.7; one 1 KiB slab object). */
export const IOVA_MAG_SIZE = 127;
/**
 * Depot depth per order, in magazines. Emulator bound (the pre-6.7 kernel's MAX_GLOBAL_MAGS);
 * today's kernel lets the depot grow and trims it from a delayed work.
 */
export const IOVA_DEPOT_MAX_MAGS = 32;
/** Kernel: drivers/iommu/iova.c IOVA_ANCHOR (~0UL) - pfn of the anchor node above every range. */
export const IOVA_ANCHOR = U64_MAX;

const RCACHE_DEPTH = (2 + IOVA_DEPOT_MAX_MAGS) * IOVA_MAG_SIZE;

/**
 * iova - one allocated range of IOVA page frames, [pfn_lo, pfn_hi] inclusive.
 *
 * Kernel: include/linux/iova.h struct iova
 * Divergence: a value snapshot; the domain stores ranges in typed arrays, not in these objects.
 */
export class iova {
  constructor(
    public pfn_lo: number,
    public pfn_hi: number,
  ) {}
}

/**
 * iova_domain - an IOVA address space.
 *
 * Kernel: include/linux/iova.h struct iova_domain
 */
export class iova_domain {
  /** Allocation granule in bytes (a power of two ≤ PAGE_SIZE). */
  granule = 0;
  /** Lowest pfn alloc_iova hands out (0 until init_iova_domain). */
  start_pfn = 0;
  /** First pfn above 4 GiB in granule units. */
  dma_32bit_pfn = 0;
  /** Size known to fail below 4 GiB (a 32-bit allocation of this size or more fails fast). */
  max32_alloc_size = 0;
  /** @internal pfn_lo of the cached node (IOVA_ANCHOR = the anchor). */
  cached_node = IOVA_ANCHOR;
  /** @internal pfn_lo of the cached 32-bit node. */
  cached32_node = IOVA_ANCHOR;
  /** @internal sorted live ranges. */
  lo = new Float64Array(64);
  /** @internal */
  hi = new Float64Array(64);
  /** Number of live ranges (reserved and rcache-held ones included). */
  nr = 0;
  /** @internal per-order rcache stacks (null until init). */
  rcaches: Float64Array[] | null = null;
  /** @internal per-order rcache depth. */
  rcache_size: Int32Array = new Int32Array(IOVA_RANGE_CACHE_MAX_SIZE);
  /** log2(granule). */
  shift = 0;
}

/**
 * init_iova_domain - set up an empty IOVA space with the given granule and lowest pfn.
 *
 * Kernel: drivers/iommu/iova.c init_iova_domain(), iova_domain_init_rcaches()
 * Divergence: the rcaches are set up here too (the kernel has a separate iova_domain_init_rcaches()).
 * @throws KernelBug if granule is not a power of two or exceeds PAGE_SIZE
 * @example Set up a 4 KiB-granule space
 * ```ts
 * const iovad = new iova_domain();
 * init_iova_domain(iovad, 4096, 1);
 * const pfn = alloc_iova_fast(iovad, 1, 0xfffff, true); // 0xfffff: the top page below 4 GiB
 * ```
 */
export function init_iova_domain(iovad: iova_domain, granule: number, start_pfn: number): void {
  BUG_ON(granule > PAGE_SIZE || !is_power_of_2(granule), `init_iova_domain: bad granule ${granule}`);
  iovad.granule = granule;
  iovad.shift = ilog2(granule);
  iovad.start_pfn = start_pfn;
  iovad.dma_32bit_pfn = 2 ** (32 - iovad.shift);
  iovad.max32_alloc_size = iovad.dma_32bit_pfn;
  iovad.cached_node = IOVA_ANCHOR;
  iovad.cached32_node = IOVA_ANCHOR;
  iovad.nr = 0;
  iovad.rcaches = [];
  for (let i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) iovad.rcaches.push(new Float64Array(RCACHE_DEPTH));
  iovad.rcache_size.fill(0);
}

/**
 * put_iova_domain - tear the space down: every range and the rcaches are dropped.
 *
 * Kernel: drivers/iommu/iova.c put_iova_domain()
 */
export function put_iova_domain(iovad: iova_domain): void {
  iovad.nr = 0;
  iovad.rcache_size.fill(0);
  iovad.cached_node = iovad.cached32_node = IOVA_ANCHOR;
}

// ---- sorted-array helpers (the rbtree) ----------------------------------------------------

/** Index of the first range with pfn_lo ≥ key (nr if none). */
function lower_bound(iovad: iova_domain, key: number): number {
  const lo = iovad.lo;
  let a = 0;
  let b = iovad.nr;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (lo[m]! < key) a = m + 1;
    else b = m;
  }
  return a;
}

/** Index of the range containing pfn, or −1 (private_find_iova). */
function find_index(iovad: iova_domain, pfn: number): number {
  const i = lower_bound(iovad, pfn + 1) - 1; // last range with pfn_lo ≤ pfn
  if (i >= 0 && iovad.hi[i]! >= pfn) return i;
  return -1;
}

/** Index of a node given its pfn_lo key (the anchor is index nr). */
function node_index(iovad: iova_domain, key: number): number {
  if (key === IOVA_ANCHOR) return iovad.nr;
  const i = lower_bound(iovad, key);
  return i < iovad.nr && iovad.lo[i] === key ? i : iovad.nr;
}

function node_lo(iovad: iova_domain, i: number): number {
  return i >= iovad.nr ? IOVA_ANCHOR : iovad.lo[i]!;
}

function node_hi(iovad: iova_domain, i: number): number {
  return i >= iovad.nr ? IOVA_ANCHOR : iovad.hi[i]!;
}

function insert_at(iovad: iova_domain, i: number, pfn_lo: number, pfn_hi: number): void {
  if (iovad.nr === iovad.lo.length) {
    const lo = new Float64Array(iovad.lo.length * 2);
    const hi = new Float64Array(iovad.lo.length * 2);
    lo.set(iovad.lo);
    hi.set(iovad.hi);
    iovad.lo = lo;
    iovad.hi = hi;
  }
  if (i < iovad.nr) {
    iovad.lo.copyWithin(i + 1, i, iovad.nr);
    iovad.hi.copyWithin(i + 1, i, iovad.nr);
  }
  iovad.lo[i] = pfn_lo;
  iovad.hi[i] = pfn_hi;
  iovad.nr++;
}

/** iova_insert_rbtree() without a hint: sorted insert; WARN on a duplicate pfn_lo. */
function insert_range(iovad: iova_domain, pfn_lo: number, pfn_hi: number): boolean {
  const i = lower_bound(iovad, pfn_lo);
  if (i < iovad.nr && iovad.lo[i] === pfn_lo) {
    WARN_ON(true, `iova_insert_rbtree: pfn ${pfn_lo} already present`);
    return false;
  }
  insert_at(iovad, i, pfn_lo, pfn_hi);
  return true;
}

/** remove_iova(): cached-node update, then erase. */
function remove_at(iovad: iova_domain, i: number): void {
  const free_lo = iovad.lo[i]!;
  const free_hi = iovad.hi[i]!;
  const next = node_lo(iovad, i + 1);
  // __cached_rbnode_delete_update()
  const c32 = iovad.cached32_node;
  if (free_lo === c32 || (free_hi < iovad.dma_32bit_pfn && free_lo >= c32)) iovad.cached32_node = next;
  if (free_lo < iovad.dma_32bit_pfn) iovad.max32_alloc_size = iovad.dma_32bit_pfn;
  if (free_lo >= iovad.cached_node) iovad.cached_node = next;
  // rb_erase()
  iovad.lo.copyWithin(i, i + 1, iovad.nr);
  iovad.hi.copyWithin(i, i + 1, iovad.nr);
  iovad.nr--;
}

/** iova_find_limit(): the first node whose pfn_hi ≥ limit_pfn (the anchor above 4 GiB). */
function iova_find_limit(iovad: iova_domain, limit_pfn: number): number {
  if (limit_pfn > iovad.dma_32bit_pfn) return iovad.nr;
  let a = 0;
  let b = iovad.nr;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (iovad.hi[m]! < limit_pfn) a = m + 1;
    else b = m;
  }
  return a;
}

/**
 * __alloc_and_insert_iova_range - the top-down walk. `limit_pfn` is exclusive here.
 * @returns the new range's pfn_lo, or −1 (the kernel's -ENOMEM)
 */
function __alloc_and_insert_iova_range(iovad: iova_domain, size: number, limit_pfn: number, size_aligned: boolean): number {
  // align_mask <<= fls_long(size - 1): round new_pfn down to a multiple of align
  const align = size_aligned ? 2 ** fls_long(size - 1) : 1;
  let high_pfn = limit_pfn;
  let low_pfn = iovad.start_pfn;

  if (limit_pfn <= iovad.dma_32bit_pfn && size >= iovad.max32_alloc_size) return -1;

  // __get_cached_rbnode()
  let curr = node_index(iovad, limit_pfn <= iovad.dma_32bit_pfn ? iovad.cached32_node : iovad.cached_node);
  const retry_pfn = node_hi(iovad, curr);
  let new_pfn: number;
  let prev: number;
  for (;;) {
    // do { ... } while (curr && new_pfn <= curr->pfn_hi && new_pfn >= low_pfn)
    do {
      high_pfn = Math.min(high_pfn, node_lo(iovad, curr));
      new_pfn = high_pfn - size;
      if (align !== 1) new_pfn = Math.floor(new_pfn / align) * align;
      prev = curr;
      curr--;
    } while (curr >= 0 && new_pfn <= iovad.hi[curr]! && new_pfn >= low_pfn);

    if (high_pfn < size || new_pfn < low_pfn) {
      if (low_pfn === iovad.start_pfn && retry_pfn < limit_pfn) {
        high_pfn = limit_pfn;
        low_pfn = retry_pfn + 1;
        curr = iova_find_limit(iovad, limit_pfn);
        continue;
      }
      iovad.max32_alloc_size = size;
      return -1;
    }
    break;
  }
  // iova_insert_rbtree(root, new, prev): the new range sits just below prev
  insert_at(iovad, prev, new_pfn, new_pfn + size - 1);
  // __cached_rbnode_insert_update()
  if (new_pfn + size - 1 < iovad.dma_32bit_pfn) iovad.cached32_node = new_pfn;
  else iovad.cached_node = new_pfn;
  return new_pfn;
}

/**
 * alloc_iova - allocate `size` granules at or below `limit_pfn`, top-down.
 *
 * Kernel: drivers/iommu/iova.c alloc_iova()
 * @param limit_pfn highest usable pfn (inclusive)
 * @param size_aligned align pfn_lo to roundup_pow_of_two(size)
 * @returns the range, or null when no gap fits (the kernel's NULL)
 * @example
 * ```ts
 * const r = alloc_iova(iovad, 4, 0xfffff, true); // r.pfn_lo % 4 === 0
 * ```
 */
export function alloc_iova(iovad: iova_domain, size: number, limit_pfn: number, size_aligned: boolean): iova | null {
  const pfn = __alloc_and_insert_iova_range(iovad, size, limit_pfn + 1, size_aligned);
  return pfn < 0 ? null : new iova(pfn, pfn + size - 1);
}

/**
 * find_iova - the live range containing `pfn`, or null.
 *
 * Kernel: drivers/iommu/iova.c find_iova()
 */
export function find_iova(iovad: iova_domain, pfn: number): iova | null {
  const i = find_index(iovad, pfn);
  return i < 0 ? null : new iova(iovad.lo[i]!, iovad.hi[i]!);
}

/**
 * __free_iova - free the given range.
 *
 * Kernel: drivers/iommu/iova.c __free_iova()
 * Divergence: the range is found again by its pfn_lo (the snapshot carries no tree pointer);
 * freeing a range that is not live is a no-op (the kernel would corrupt its tree).
 */
export function __free_iova(iovad: iova_domain, range: iova): void {
  const i = find_index(iovad, range.pfn_lo);
  if (i >= 0 && iovad.lo[i] === range.pfn_lo) remove_at(iovad, i);
}

/**
 * free_iova - find the range containing `pfn` and free it; nothing happens if there is none.
 *
 * Kernel: drivers/iommu/iova.c free_iova()
 */
export function free_iova(iovad: iova_domain, pfn: number): void {
  const i = find_index(iovad, pfn);
  if (i >= 0) remove_at(iovad, i);
}

/**
 * reserve_iova - mark [pfn_lo, pfn_hi] as never to be handed out.
 *
 * Kernel: drivers/iommu/iova.c reserve_iova()
 * Overlaps with live ranges are resolved as the kernel does: an overlapped range is stretched
 * down to pfn_lo and the remainder above it is inserted as a new range.
 * @returns the range that now covers the request's top, or null on a WARN
 * @throws KernelBug (strict mode) if a pfn does not fit in 64 bits
 */
export function reserve_iova(iovad: iova_domain, pfn_lo: number, pfn_hi: number): iova | null {
  if (WARN_ON(Math.max(pfn_lo, pfn_hi) > U64_MAX / iovad.granule, 'reserve_iova: nonsensical pfns')) return null;
  let overlap = false;
  for (let i = 0; i < iovad.nr; i++) {
    const lo = iovad.lo[i]!;
    const hi = iovad.hi[i]!;
    if (pfn_lo <= hi && pfn_hi >= lo) {
      // __adjust_overlap_range()
      if (pfn_lo < lo) {
        if (iovad.cached_node === lo) iovad.cached_node = pfn_lo;
        if (iovad.cached32_node === lo) iovad.cached32_node = pfn_lo;
        iovad.lo[i] = pfn_lo;
      }
      if (pfn_hi > hi) pfn_lo = hi + 1;
      if (pfn_lo >= iovad.lo[i]! && pfn_hi <= hi) return new iova(iovad.lo[i]!, hi);
      overlap = true;
    } else if (overlap) break;
  }
  if (!insert_range(iovad, pfn_lo, pfn_hi)) return null;
  return new iova(pfn_lo, pfn_hi);
}

// ---- the range cache ----------------------------------------------------------------------

/** Kernel: include/linux/log2.h order_base_2() */
function order_base_2(n: number): number {
  return n <= 1 ? 0 : fls_long(n - 1);
}

/** iova_rcache_insert(): true if the range was cached. */
function iova_rcache_insert(iovad: iova_domain, pfn: number, size: number): boolean {
  const log_size = order_base_2(size);
  if (log_size >= IOVA_RANGE_CACHE_MAX_SIZE || !iovad.rcaches) return false;
  const mag = iovad.rcaches[log_size]!;
  let n = iovad.rcache_size[log_size]!;
  if (n === RCACHE_DEPTH) {
    // Every magazine is full: the loaded one goes back to the tree (iova_magazine_free_pfns).
    for (let k = n - IOVA_MAG_SIZE; k < n; k++) {
      const i = find_index(iovad, mag[k]!);
      if (WARN_ON(i < 0, 'iova_magazine_free_pfns: cached pfn not in the tree')) continue;
      remove_at(iovad, i);
    }
    n -= IOVA_MAG_SIZE;
  }
  mag[n] = pfn;
  iovad.rcache_size[log_size] = n + 1;
  return true;
}

/** iova_rcache_get(): a cached pfn ≤ limit_pfn − size, or 0. `limit_pfn` is exclusive. */
function iova_rcache_get(iovad: iova_domain, size: number, limit_pfn: number): number {
  const log_size = order_base_2(size);
  if (log_size >= IOVA_RANGE_CACHE_MAX_SIZE || !iovad.rcaches) return 0;
  const n = iovad.rcache_size[log_size]!;
  if (n === 0) return 0;
  const mag = iovad.rcaches[log_size]!;
  const limit = limit_pfn - size;
  // iova_magazine_pop(): search the loaded magazine (the top ≤127 entries) from its top down
  const bottom = Math.max(0, n - (((n - 1) % IOVA_MAG_SIZE) + 1));
  for (let i = n - 1; i >= bottom; i--) {
    const pfn = mag[i]!;
    if (pfn <= limit) {
      mag[i] = mag[n - 1]!;
      iovad.rcache_size[log_size] = n - 1;
      return pfn;
    }
  }
  return 0;
}

/**
 * free_cpu_cached_iovas - return every cached range to the tree.
 *
 * Kernel: drivers/iommu/iova.c free_cpu_cached_iovas(), free_global_cached_iovas()
 * Divergence: one CPU, one call for both.
 */
export function free_cpu_cached_iovas(iovad: iova_domain): void {
  if (!iovad.rcaches) return;
  for (let o = 0; o < IOVA_RANGE_CACHE_MAX_SIZE; o++) {
    const mag = iovad.rcaches[o]!;
    const n = iovad.rcache_size[o]!;
    for (let k = 0; k < n; k++) {
      const i = find_index(iovad, mag[k]!);
      if (WARN_ON(i < 0, 'iova_magazine_free_pfns: cached pfn not in the tree')) continue;
      remove_at(iovad, i);
    }
    iovad.rcache_size[o] = 0;
  }
}

/**
 * alloc_iova_fast - allocate a size-aligned range, from the rcache when possible.
 *
 * Kernel: drivers/iommu/iova.c alloc_iova_fast()
 * Sizes below 2^(IOVA_RANGE_CACHE_MAX_SIZE−1) granules are rounded up to a power of two first
 * (the kernel does this here since v6.2; it used to be in iommu_dma_alloc_iova()), so that a
 * range freed into the rcache always matches the order it is handed out for.
 * @param limit_pfn highest usable pfn (inclusive)
 * @param flush_rcache on failure, return every cached range to the tree and retry once
 * @returns pfn_lo, or 0 when the space is exhausted
 * @example
 * ```ts
 * const pfn = alloc_iova_fast(iovad, 3, 0xfffff, true); // 4 granules, 4-aligned
 * free_iova_fast(iovad, pfn, 3);                         // cached at order 2
 * ```
 */
export function alloc_iova_fast(iovad: iova_domain, size: number, limit_pfn: number, flush_rcache: boolean): number {
  if (size < 2 ** (IOVA_RANGE_CACHE_MAX_SIZE - 1)) size = roundup_pow_of_two(size);
  const cached = iova_rcache_get(iovad, size, limit_pfn + 1);
  if (cached) return cached;
  for (;;) {
    const pfn = __alloc_and_insert_iova_range(iovad, size, limit_pfn + 1, true);
    if (pfn >= 0) return pfn;
    if (!flush_rcache) return 0;
    flush_rcache = false;
    free_cpu_cached_iovas(iovad);
  }
}

/**
 * free_iova_fast - free a range into the rcache, or to the tree when it is too big to cache.
 *
 * Kernel: drivers/iommu/iova.c free_iova_fast()
 * @param size the size passed to alloc_iova_fast (its order selects the cache)
 */
export function free_iova_fast(iovad: iova_domain, pfn: number, size: number): void {
  if (iova_rcache_insert(iovad, pfn, size)) return;
  free_iova(iovad, pfn);
}

/**
 * iova_rcache_range - the largest mapping size (bytes) the rcache serves.
 *
 * Kernel: drivers/iommu/iova.c iova_rcache_range()
 */
export function iova_rcache_range(): number {
  return PAGE_SIZE * 2 ** (IOVA_RANGE_CACHE_MAX_SIZE - 1);
}

// ---- include/linux/iova.h inlines ---------------------------------------------------------

/** Kernel: include/linux/iova.h iova_shift() */
export function iova_shift(iovad: iova_domain): number {
  return iovad.shift;
}

/** Kernel: include/linux/iova.h iova_mask() - granule − 1. */
export function iova_mask(iovad: iova_domain): number {
  return iovad.granule - 1;
}

/** Kernel: include/linux/iova.h iova_offset() - addr & (granule − 1). */
export function iova_offset(iovad: iova_domain, addr: number): number {
  return addr % iovad.granule;
}

/** Kernel: include/linux/iova.h iova_align() - round size up to the granule. */
export function iova_align(iovad: iova_domain, size: number): number {
  const g = iovad.granule;
  return Math.ceil(size / g) * g;
}

/** Kernel: include/linux/iova.h iova_align_down() */
export function iova_align_down(iovad: iova_domain, size: number): number {
  return size - (size % iovad.granule);
}

/** Kernel: include/linux/iova.h iova_dma_addr() - pfn_lo << shift. */
export function iova_dma_addr(iovad: iova_domain, range: iova): number {
  return range.pfn_lo * iovad.granule;
}

/** Kernel: include/linux/iova.h iova_pfn() - addr >> shift. */
export function iova_pfn(iovad: iova_domain, addr: number): number {
  return Math.floor(addr / iovad.granule);
}

/**
 * iovaDomainRanges - the live ranges as [pfn_lo, pfn_hi] pairs, lowest first (tests, debugfs-like dumps).
 *
 * Emulator-only (the kernel's /proc/iova/<name>/used walks the same tree).
 */
export function iovaDomainRanges(iovad: iova_domain): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < iovad.nr; i++) out.push([iovad.lo[i]!, iovad.hi[i]!]);
  return out;
}

/** iovaRcacheDepth - how many ranges the rcache holds for `order` (tests). Emulator-only. */
export function iovaRcacheDepth(iovad: iova_domain, order: number): number {
  return iovad.rcache_size[order] ?? 0;
}
