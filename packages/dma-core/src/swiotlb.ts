/**
 * swiotlb - software IO TLB: bounce buffers for devices that cannot reach a buffer directly.
 *
 * Kernel: kernel/dma/swiotlb.c, include/linux/swiotlb.h, include/linux/iommu-helper.h
 *         (iommu_is_span_boundary), include/linux/dma-map-ops.h (dma_reset_need_sync),
 *         include/trace/events/swiotlb.h (the swiotlb:swiotlb_bounced tracepoint, emitted by swiotlb_map)
 *
 * Operation: a pool is one physically contiguous run of host RAM cut into 2 KiB slots
 * (IO_TLB_SIZE), grouped in segments of 128 slots (IO_TLB_SEGSIZE). When dma-direct cannot hand
 * a device the buffer's own address (the device's mask is too small, the device is forced to
 * bounce, or dma-iommu bounces an untrusted device's sub-granule buffer), `swiotlb_tbl_map_single`
 * finds a run of free slots, records for every slot which original physical address it shadows,
 * and copies the original into the bounce buffer. The device DMAs to and from the bounce buffer
 * only; `swiotlb_sync_single_for_cpu` and `swiotlb_tbl_unmap_single` copy the device's writes back,
 * `swiotlb_sync_single_for_device` copies the CPU's newer data in.
 *
 * Slot search (swiotlb_search_pool_area): next-fit from `index`, wrapping once around the pool.
 * A candidate first slot must
 * - be aligned to `alloc_align_mask` (at least slot-aligned; allocations of PAGE_SIZE or more
 *   are page-aligned when neither the caller nor the device asks for another alignment),
 * - agree with the original address in the `min_align_mask` bits above the slot size (the bits
 *   below it are kept by starting the data `swiotlb_align_offset()` bytes into the slot),
 * - not make the run span the device's segment boundary (`iommu_is_span_boundary`),
 * - head at least `nslots` free slots up to the next segment end (`list[i]`).
 *
 * Free-list encoding: `list[i]` is the number of free slots from slot i up to the end of its
 * 128-slot segment (0 = slot in use). An allocation sets its slots to 0 and renumbers the free
 * slots just before it; a release renumbers its slots and the free slots before them, merging
 * with the free run after them. Runs never cross a segment end, so no mapping is larger than
 * IO_TLB_SEGSIZE × IO_TLB_SIZE = 256 KiB.
 *
 * Offsets: `swiotlb_align_offset(dev, align_mask, orig)` bytes of the original's low address bits
 * are kept. When the offset reaches past one slot (a large `alloc_align_mask` combined with a
 * large `min_align_mask`), whole slots of it become `pad_slots`, recorded on the first data slot
 * so the release finds the true start. `alloc_size[i]` is the number of bytes of the mapping from
 * slot i's data position (slot start + low offset) to the end; it may be negative in the last
 * slot, as in the kernel (the arithmetic in swiotlb_bounce cancels it).
 *
 * Invariants (KERNEL.md §11.5): a mapping never crosses a 128-slot segment and never exceeds
 * 256 KiB; `tlb_addr & min_align_mask & (IO_TLB_SIZE−1) == orig & min_align_mask & (IO_TLB_SIZE−1)`;
 * a map always copies orig→bounce whatever the direction; an unmap copies back only for
 * FROM_DEVICE/BIDIRECTIONAL without DMA_ATTR_SKIP_CPU_SYNC; `used` counts the slots of live
 * mappings (pad slots included) and returns to 0 when every mapping is released.
 *
 * Divergence: one pool per io_tlb_mem (no CONFIG_SWIOTLB_DYNAMIC growth, no transient pools,
 * no restricted-dma-pool), and one area (rdmaemu runs on one CPU, so per-CPU areas and their
 * locks buy nothing): `struct io_tlb_pool` and its single `struct io_tlb_area` are folded into
 * `io_tlb_mem`.
 */
import { BUG_ON, defineTracepoint, KernelBug, KernelError, KERN_INFO, KERN_WARNING, printk } from '@rdmaemu/sim-core';
import type { dma_addr_t, Dmesg, phys_addr_t, size_t } from '@rdmaemu/sim-core';
import { ADDR_MAX, and64, ALIGN, fmt_llx, fmt_pad, is_power_of_2, min_not_zero, or64, U64_MAX } from './_bits.js';
import {
  dev_is_dma_coherent, dev_name, dev_warn, dev_WARN_ONCE, dma_get_min_align_mask, dma_get_seg_boundary, dma_stat,
  type device,
} from './device.js';
import {
  DMA_ATTR_NO_WARN, DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE,
  type dma_data_direction,
} from './dma-mapping.h.js';
import { arch_sync_dma_for_device } from './dma-noncoherent.js';
import { PAGE_SHIFT, PAGE_SIZE, parseSize, PG_swiotlb, type PhysicalMemory } from './memory.js';
import { __free_pages, alloc_contig_pages } from './page_alloc.js';

/** Kernel: include/linux/swiotlb.h IO_TLB_SHIFT - log2 of the slot size. */
export const IO_TLB_SHIFT = 11;
/** Kernel: include/linux/swiotlb.h IO_TLB_SIZE - one slot, 2 KiB. */
export const IO_TLB_SIZE = 1 << IO_TLB_SHIFT;
/**
 * Kernel: include/linux/swiotlb.h IO_TLB_SEGSIZE - slots per segment (128). No mapping crosses a
 * segment end, so the largest bounce buffer is IO_TLB_SEGSIZE × IO_TLB_SIZE = 256 KiB.
 */
export const IO_TLB_SEGSIZE = 128;
/** Kernel: include/linux/swiotlb.h IO_TLB_DEFAULT_SIZE - 64 MiB (32768 slots). */
export const IO_TLB_DEFAULT_SIZE = 64 << 20;
/**
 * Kernel: kernel/dma/swiotlb.c IO_TLB_MIN_SLABS - 1 MiB of slots (512): the boot-time pool is
 * halved on allocation failure down to this size, then given up.
 */
export const IO_TLB_MIN_SLABS = (1 << 20) >> IO_TLB_SHIFT;
/**
 * Kernel: kernel/dma/swiotlb.c INVALID_PHYS_ADDR - `~(phys_addr_t)0`, the `orig_addr` of a slot
 * that shadows nothing.
 * Divergence: U64_MAX (2^64, the double nearest to ~0ULL), as DMA_MAPPING_ERROR; no physical
 * address of an emulated host comes near it. Compare with `===`.
 */
export const INVALID_PHYS_ADDR = U64_MAX;

/** Kernel: kernel/dma/swiotlb.c SLABS_PER_PAGE */
const SLABS_PER_PAGE = 1 << (PAGE_SHIFT - IO_TLB_SHIFT);

/** Kernel: include/linux/ratelimit_types.h DEFAULT_RATELIMIT_BURST */
const DEFAULT_RATELIMIT_BURST = 10;

/**
 * ratelimit_state - how many messages a ratelimited call site may still print.
 *
 * Kernel: include/linux/ratelimit_types.h struct ratelimit_state
 * Divergence: no interval (devices have no clock here): the first DEFAULT_RATELIMIT_BURST (10)
 * messages print, later ones are counted in `missed`.
 */
class ratelimit_state {
  printed = 0;
  missed = 0;
}

/** Kernel: lib/ratelimit.c ___ratelimit() (burst only). */
function __ratelimit(rs: ratelimit_state): boolean {
  if (rs.printed < DEFAULT_RATELIMIT_BURST) {
    rs.printed++;
    return true;
  }
  rs.missed++;
  return false;
}

/** Per-device state of the "Can not allocate SWIOTLB buffer earlier" message (the device has no pool to hold it). */
const noPoolRatelimit = new WeakMap<device, ratelimit_state>();

/** SwiotlbInit - options for `swiotlb_init()`. */
export interface SwiotlbInit {
  /**
   * Slots in the pool, rounded up to a multiple of IO_TLB_SEGSIZE (the `swiotlb=<nslabs>` boot
   * parameter). Wins over `size`, as the boot parameter wins over swiotlb_adjust_size().
   */
  nslabs?: number;
  /**
   * Pool size in bytes or as `'4M'`; rounded up to whole segments (swiotlb_adjust_size()).
   * @default IO_TLB_DEFAULT_SIZE, clamped to 1/8 of the host's memory
   */
  size?: number | string;
  /** Every device using this pool bounces every streaming mapping (`swiotlb=force`). @default false */
  force?: boolean;
  /** Where the pool's `software IO TLB:` messages go (pr_info / pr_warn). @default none */
  log?: Dmesg;
}

/**
 * io_tlb_mem - one software IO TLB: a pool of bounce slots and its allocator state.
 *
 * Kernel: kernel/dma/swiotlb.c / include/linux/swiotlb.h struct io_tlb_mem, struct io_tlb_pool,
 *         struct io_tlb_area, struct io_tlb_slot
 * Divergence: the pool (`defpool`) and its only area are folded in (see the file header): `index`
 * is the area's next-fit cursor, `used` both `area->used` and the debugfs `total_used`. The slot
 * array of structs is a set of typed arrays indexed by slot. Obtain one with `swiotlb_init()`.
 */
export class io_tlb_mem {
  /** The host memory the pool lives in. */
  readonly mem: PhysicalMemory;
  /** Physical address of slot 0 (page-aligned), or 0 for an empty pool. */
  start: phys_addr_t = 0;
  /** One past the last byte: start + nslabs × IO_TLB_SIZE. */
  end: phys_addr_t = 0;
  /** The pool's bytes: the kernel's `pool->vaddr` (a direct-map view). */
  vaddr: Uint8Array = new Uint8Array(0);
  /** Slots in the pool; 0 when the pool could not be allocated (then nothing bounces). */
  nslabs = 0;
  /** Areas: always 1 (rdmaemu emulates one CPU). */
  readonly nareas = 1;
  /** Slots per area (= nslabs). */
  area_nslabs = 0;
  /** Bounce every streaming mapping of devices that use this pool (`swiotlb=force`). */
  force_bounce: boolean;
  /** Slots in use (kernel: area->used and the debugfs total_used). */
  used = 0;
  /** Highest `used` seen since init or the last `io_tlb_hiwater_set(mem, 0)`. */
  used_hiwater = 0;
  /** Next-fit search start (kernel: area->index). */
  index = 0;
  /** Per slot: the original address this slot shadows, or INVALID_PHYS_ADDR. */
  orig_addr: Float64Array = new Float64Array(0);
  /** Per slot: bytes of the mapping from this slot's data position to its end (signed; see header). */
  alloc_size: Int32Array = new Int32Array(0);
  /** Per slot: free slots from here to the segment end; 0 = in use. */
  list: Uint8Array = new Uint8Array(0);
  /** Per slot: on a mapping's first data slot, how many whole padding slots precede it. */
  pad_slots: Uint8Array = new Uint8Array(0);
  /**
   * Per slot: 1 on the first data slot of a live mapping. Emulator-only: lets swiotlb_bounce()
   * report an access before the mapping's start, which the kernel cannot tell from a legal
   * access at the start of a later slot.
   */
  mappingStart: Uint8Array = new Uint8Array(0);
  /** The pool's log (SwiotlbInit.log), or null. */
  readonly log: Dmesg | null;
  /** @internal state of the ratelimited "swiotlb buffer is full" message */
  readonly fullRatelimit = new ratelimit_state();

  /** @internal use swiotlb_init() */
  constructor(mem: PhysicalMemory, force_bounce: boolean, log: Dmesg | null) {
    this.mem = mem;
    this.force_bounce = force_bounce;
    this.log = log;
  }
}

function pr_info(mem: io_tlb_mem, text: string): void {
  if (mem.log) printk(mem.log, KERN_INFO, `software IO TLB: ${text}`);
}

function pr_warn(mem: io_tlb_mem, text: string): void {
  if (mem.log) printk(mem.log, KERN_WARNING, `software IO TLB: ${text}`);
}

/** C's `%#010llx`: `0x` and at least 8 hex digits (0 prints as `0000000000`, as printf does). */
function fmt_010llx(v: number): string {
  if (v === 0) return '0000000000';
  return '0x' + v.toString(16).padStart(8, '0');
}

/** Kernel: kernel/dma/swiotlb.c io_tlb_offset() - a slot's position in its segment. */
function io_tlb_offset(val: number): number {
  return val % IO_TLB_SEGSIZE;
}

/** Kernel: kernel/dma/swiotlb.c nr_slots() - slots needed for `val` bytes. */
function nr_slots(val: number): number {
  return Math.ceil(val / IO_TLB_SIZE);
}

/** Kernel: kernel/dma/swiotlb.c slot_addr() */
function slot_addr(start: number, idx: number): number {
  return start + idx * IO_TLB_SIZE;
}

/** Kernel: kernel/dma/swiotlb.c get_max_slots() - a boundary mask in slots (ULONG_MAX: no limit). */
function get_max_slots(boundary_mask: number): number {
  if (boundary_mask >= ADDR_MAX) return 2 ** 53;
  return Math.floor(boundary_mask / IO_TLB_SIZE) + 1;
}

/** Kernel: kernel/dma/swiotlb.c wrap_area_index() */
function wrap_area_index(pool: io_tlb_mem, index: number): number {
  return index >= pool.area_nslabs ? 0 : index;
}

/**
 * iommu_is_span_boundary - true when `nr` slots from `index` would cross a boundary of
 * `boundary_size` slots (`shift` = the pool's start in slots).
 *
 * Kernel: include/linux/iommu-helper.h iommu_is_span_boundary()
 * @throws KernelBug if boundary_size is not a power of two (the device's segment boundary mask
 *         is not 2^n − 1)
 */
function iommu_is_span_boundary(index: number, nr: number, shift: number, boundary_size: number): boolean {
  if (boundary_size >= 2 ** 53) return false;
  BUG_ON(!is_power_of_2(boundary_size), `iommu_is_span_boundary: boundary size ${boundary_size} is not a power of two`);
  const pos = (shift + index) % boundary_size;
  return pos + nr > boundary_size;
}

/**
 * phys_to_dma_unencrypted - the bus address of a physical address.
 *
 * Kernel: include/linux/dma-direct.h phys_to_dma_unencrypted() (with one dma_range_map range)
 * Divergence: computed here from `dev.dma_bus_offset` rather than imported from direct.ts, which
 * imports this file; rdmaemu has no memory encryption, so it equals phys_to_dma().
 */
function phys_to_dma_unencrypted(dev: device, paddr: phys_addr_t): dma_addr_t {
  return paddr + dev.dma_bus_offset;
}

/**
 * dma_capable - `addr + size − 1 ≤ min_not_zero(*dma_mask, bus_dma_limit)` (is_ram case).
 *
 * Kernel: include/linux/dma-direct.h dma_capable()
 * Divergence: a private copy (see phys_to_dma_unencrypted); direct.ts exports the public one.
 */
function swiotlb_dma_capable(dev: device, addr: dma_addr_t, size: size_t): boolean {
  if (addr === DMA_MAPPING_ERROR) return false;
  const end = addr + size - 1;
  return end <= min_not_zero(dev.dma_mask ?? 0, dev.bus_dma_limit);
}

/** Kernel: include/linux/dma-map-ops.h dma_reset_need_sync() - bounced mappings always need syncs. */
function dma_reset_need_sync(dev: device): void {
  if (dev.dma_skip_sync) dev.dma_skip_sync = false;
}

/** The slot count SwiotlbInit asks for. */
function swiotlb_requested_nslabs(mem: PhysicalMemory, init: SwiotlbInit, pool: io_tlb_mem): number {
  if (init.nslabs !== undefined) {
    if (!Number.isInteger(init.nslabs) || init.nslabs <= 0) {
      throw new KernelError('EINVAL', `swiotlb: bad nslabs ${init.nslabs}`);
    }
    return ALIGN(init.nslabs, IO_TLB_SEGSIZE);
  }
  if (init.size !== undefined) {
    const bytes = parseSize(init.size);
    if (!Number.isInteger(bytes) || bytes <= 0) throw new KernelError('EINVAL', `swiotlb: bad size ${String(init.size)}`);
    return ALIGN(Math.floor(ALIGN(bytes, IO_TLB_SIZE) / IO_TLB_SIZE), IO_TLB_SEGSIZE);
  }
  let nslabs = IO_TLB_DEFAULT_SIZE / IO_TLB_SIZE;
  const cap = Math.max(IO_TLB_SEGSIZE, Math.floor(mem.size / 8 / IO_TLB_SIZE / IO_TLB_SEGSIZE) * IO_TLB_SEGSIZE);
  if (nslabs > cap) {
    nslabs = cap;
    pr_info(pool, `SWIOTLB bounce buffer size adjusted to ${Math.floor((nslabs * IO_TLB_SIZE) / 2 ** 20)}MB`);
  }
  return nslabs;
}

/**
 * swiotlb_init - allocate a software IO TLB pool from a host's memory.
 *
 * The pool is one physically contiguous, zeroed run of pages taken from the buddy allocator and
 * marked PG_swiotlb. If it cannot be allocated, the slot count is halved (kept a multiple of
 * IO_TLB_SEGSIZE) until it fits, as the kernel's boot-time allocation does, with
 * "SWIOTLB bounce buffer size adjusted %lu -> %lu slabs"; below IO_TLB_MIN_SLABS it gives up and
 * returns an empty pool (nslabs 0), with which every bounce fails with
 * "Can not allocate SWIOTLB buffer earlier…". With `log`, prints
 * `software IO TLB: mapped [mem %#010llx-%#010llx] (%luMB)`.
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_init(), swiotlb_init_remap(), swiotlb_init_io_tlb_pool(),
 *         swiotlb_adjust_size(), setup_io_tlb_npages(), swiotlb_print_info()
 * Divergence: the kernel has one default pool for the machine (plus restricted pools); here every
 * call makes a pool, which the host (or a test) attaches to devices as `dev.dma_io_tlb_mem`.
 * The default size is IO_TLB_DEFAULT_SIZE clamped to 1/8 of the host's memory (whole segments,
 * at least one), since small emulated hosts cannot spare 64 MiB. Pages come from the buddy
 * allocator's lowest free run (`alloc_contig_pages`), where memblock_alloc_low() would put it, so
 * devices with small DMA masks can reach it. On a host whose RAM starts above 4 GiB a 32-bit
 * device still cannot, and `swiotlb_map` reports "swiotlb addr … overflow".
 * @param mem the host's memory
 * @param init sizes, force, log
 * @returns the pool (nslabs 0 if no memory could be found)
 * @throws KernelError EINVAL for a non-positive or non-integer nslabs or size
 * @example
 * ```ts
 * const mem = new PhysicalMemory({ size: '16M' });
 * const dev = new device({ name: 'h', mem, log: new Dmesg(), debug: null }, { name: 'dev0', dma_mask: DMA_BIT_MASK(32) });
 * dev.dma_io_tlb_mem = swiotlb_init(mem, { size: '1M' }); // 512 slots
 * ```
 */
export function swiotlb_init(mem: PhysicalMemory, init: SwiotlbInit = {}): io_tlb_mem {
  const pool = new io_tlb_mem(mem, init.force ?? false, init.log ?? null);
  const requested = swiotlb_requested_nslabs(mem, init, pool);
  let nslabs = requested;
  let pfn: number | null;
  while ((pfn = alloc_contig_pages(mem, Math.ceil(nslabs / SLABS_PER_PAGE))?.pfn ?? null) === null) {
    if (nslabs <= IO_TLB_MIN_SLABS) {
      pr_warn(pool, `swiotlb_memblock_alloc: Failed to allocate ${ALIGN(nslabs * IO_TLB_SIZE, PAGE_SIZE)} bytes tlb structure`);
      return pool;
    }
    nslabs = ALIGN(Math.floor(nslabs / 2), IO_TLB_SEGSIZE);
  }
  if (nslabs !== requested) pr_info(pool, `SWIOTLB bounce buffer size adjusted ${requested} -> ${nslabs} slabs`);
  swiotlb_init_io_tlb_pool(pool, pfn * PAGE_SIZE, nslabs);
  if (pool.log) swiotlb_print_info(pool);
  return pool;
}

/** Kernel: kernel/dma/swiotlb.c swiotlb_init_io_tlb_pool() */
function swiotlb_init_io_tlb_pool(pool: io_tlb_mem, start: phys_addr_t, nslabs: number): void {
  const bytes = nslabs * IO_TLB_SIZE;
  const mem = pool.mem;
  pool.nslabs = nslabs;
  pool.area_nslabs = nslabs;
  pool.start = start;
  pool.end = start + bytes;
  pool.index = 0;
  pool.used = 0;
  pool.used_hiwater = 0;
  pool.orig_addr = new Float64Array(nslabs).fill(INVALID_PHYS_ADDR);
  pool.alloc_size = new Int32Array(nslabs);
  pool.list = new Uint8Array(nslabs);
  pool.pad_slots = new Uint8Array(nslabs);
  pool.mappingStart = new Uint8Array(nslabs);
  for (let i = 0; i < nslabs; i++) pool.list[i] = IO_TLB_SEGSIZE - io_tlb_offset(i);
  pool.vaddr = mem.view(start, bytes);
  pool.vaddr.fill(0);
  const first = start / PAGE_SIZE - mem.start_pfn;
  for (let i = 0; i < bytes / PAGE_SIZE; i++) mem.page_flags[first + i]! |= PG_swiotlb;
}

/**
 * swiotlb_exit - tear a pool down and give its pages back to the buddy allocator.
 *
 * Logs "tearing down default memory pool" to the pool's log. The pool is left empty (nslabs 0):
 * devices still pointing at it get "Can not allocate SWIOTLB buffer earlier…" on their next bounce.
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_exit()
 * Divergence: refuses to free a pool with live mappings (the kernel only calls it at boot, before
 * any); does nothing for an empty pool, as the kernel.
 * @throws KernelError EBUSY if slots are still mapped
 */
export function swiotlb_exit(pool: io_tlb_mem): void {
  if (!pool.nslabs) return;
  if (pool.used !== 0) {
    throw new KernelError('EBUSY', `swiotlb [mem ${fmt_010llx(pool.start)}]: ${pool.used} slots still mapped`);
  }
  pr_info(pool, 'tearing down default memory pool');
  const mem = pool.mem;
  const firstPfn = pool.start / PAGE_SIZE;
  const npages = (pool.end - pool.start) / PAGE_SIZE;
  for (let i = 0; i < npages; i++) {
    mem.page_flags[firstPfn - mem.start_pfn + i]! &= ~PG_swiotlb;
    __free_pages(mem.pageOf(firstPfn + i), 0);
  }
  pool.nslabs = 0;
  pool.area_nslabs = 0;
  pool.start = 0;
  pool.end = 0;
  pool.index = 0;
  pool.vaddr = new Uint8Array(0);
  pool.orig_addr = new Float64Array(0);
  pool.alloc_size = new Int32Array(0);
  pool.list = new Uint8Array(0);
  pool.pad_slots = new Uint8Array(0);
  pool.mappingStart = new Uint8Array(0);
}

/**
 * swiotlb_print_info - log where the pool is: `software IO TLB: mapped [mem %#010llx-%#010llx] (%luMB)`,
 * or `software IO TLB: No low mem` for an empty pool. Goes to `log`, else the pool's log.
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_print_info()
 * Divergence: the address format is the pre-v5.x `%#010llx` one (current kernels print `%pa`).
 */
export function swiotlb_print_info(pool: io_tlb_mem, log: Dmesg | null = pool.log): void {
  if (!log) return;
  if (!pool.nslabs) {
    printk(log, KERN_WARNING, 'software IO TLB: No low mem');
    return;
  }
  const mb = Math.floor((pool.nslabs * IO_TLB_SIZE) / 2 ** 20);
  printk(log, KERN_INFO, `software IO TLB: mapped [mem ${fmt_010llx(pool.start)}-${fmt_010llx(pool.end)}] (${mb}MB)`);
}

/**
 * swiotlb_align_offset - how far into its first slot a bounce buffer starts, so that it keeps
 * the original address's low `min_align_mask` bits.
 *
 * `addr & dma_get_min_align_mask(dev) & (align_mask | (IO_TLB_SIZE − 1))`: bits below the slot
 * size always, and up to `align_mask` when the caller asks for a larger alignment (the part
 * above a slot becomes padding slots).
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_align_offset()
 * @example
 * ```ts
 * dma_set_min_align_mask(dev, 0xfff);
 * swiotlb_align_offset(dev, 0, 0x12345); // 0x345
 * ```
 */
export function swiotlb_align_offset(dev: device, align_mask: number, addr: phys_addr_t): number {
  return and64(and64(addr, dma_get_min_align_mask(dev)), or64(align_mask, IO_TLB_SIZE - 1));
}

/**
 * swiotlb_find_pool - the pool of `dev` that contains `paddr`, or null.
 *
 * Kernel: include/linux/swiotlb.h / kernel/dma/swiotlb.c swiotlb_find_pool()
 */
export function swiotlb_find_pool(dev: device, paddr: phys_addr_t): io_tlb_mem | null {
  const mem = dev.dma_io_tlb_mem;
  if (!mem || !mem.nslabs) return null;
  return paddr >= mem.start && paddr < mem.end ? mem : null;
}

/**
 * is_swiotlb_buffer - true when `paddr` is a bounce buffer of the device's pool.
 *
 * Kernel: include/linux/swiotlb.h is_swiotlb_buffer()
 */
export function is_swiotlb_buffer(dev: device, paddr: phys_addr_t): boolean {
  return swiotlb_find_pool(dev, paddr) !== null;
}

/**
 * is_swiotlb_active - true when the device has a pool with slots.
 *
 * Kernel: kernel/dma/swiotlb.c is_swiotlb_active()
 */
export function is_swiotlb_active(dev: device): boolean {
  const mem = dev.dma_io_tlb_mem;
  return mem !== null && mem.nslabs > 0;
}

/**
 * is_swiotlb_force_bounce - true when every streaming mapping of the device must bounce.
 *
 * Kernel: include/linux/swiotlb.h is_swiotlb_force_bounce() (`mem && mem->force_bounce`)
 * Divergence: also true for a device with `dma_force_bounce` set (a per-device `swiotlb=force`),
 * provided it has a pool.
 */
export function is_swiotlb_force_bounce(dev: device): boolean {
  const mem = dev.dma_io_tlb_mem;
  return mem !== null && (mem.force_bounce || dev.dma_force_bounce);
}

/**
 * swiotlb_max_mapping_size - the largest mapping swiotlb can bounce for this device:
 * `IO_TLB_SIZE × IO_TLB_SEGSIZE − roundup(min_align_mask, IO_TLB_SIZE)` (the search skips slots
 * that do not match min_align_mask, shortening the longest run).
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_max_mapping_size()
 */
export function swiotlb_max_mapping_size(dev: device): size_t {
  const min_align_mask = dma_get_min_align_mask(dev);
  const min_align = min_align_mask ? Math.ceil(min_align_mask / IO_TLB_SIZE) * IO_TLB_SIZE : 0;
  return IO_TLB_SIZE * IO_TLB_SEGSIZE - min_align;
}

/**
 * SwiotlbDebugfs - the pool's debugfs files (/sys/kernel/debug/swiotlb/).
 */
export interface SwiotlbDebugfs {
  io_tlb_nslabs: number;
  io_tlb_used: number;
  io_tlb_used_hiwater: number;
}

/**
 * swiotlb_debugfs - read the pool's debugfs files.
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_create_debugfs_files(), io_tlb_used_get(), io_tlb_hiwater_get()
 */
export function swiotlb_debugfs(pool: io_tlb_mem): SwiotlbDebugfs {
  return { io_tlb_nslabs: pool.nslabs, io_tlb_used: pool.used, io_tlb_used_hiwater: pool.used_hiwater };
}

/**
 * io_tlb_hiwater_set - write the io_tlb_used_hiwater debugfs file: only 0 (reset) is accepted.
 *
 * Kernel: kernel/dma/swiotlb.c io_tlb_hiwater_set()
 * @throws KernelError EINVAL for any value but 0
 */
export function io_tlb_hiwater_set(pool: io_tlb_mem, val: number): void {
  if (val !== 0) throw new KernelError('EINVAL', `swiotlb: io_tlb_used_hiwater can only be reset to 0, not ${val}`);
  pool.used_hiwater = 0;
}

/** Kernel: kernel/dma/swiotlb.c inc_used_and_hiwater() */
function inc_used_and_hiwater(pool: io_tlb_mem, nslots: number): void {
  pool.used += nslots;
  if (pool.used > pool.used_hiwater) pool.used_hiwater = pool.used;
}

/**
 * swiotlb_search_pool_area - find and take `nr_slots(alloc_size)` slots for a mapping of
 * `orig_addr`; returns the first slot's index, or −1.
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_search_pool_area() (swiotlb_area_find_slots() before v6.7)
 * @throws KernelBug when alloc_size is 0 (BUG_ON(!nslots))
 */
function swiotlb_search_pool_area(dev: device, pool: io_tlb_mem, orig_addr: phys_addr_t, alloc_size: number,
  alloc_align_mask: number): number {
  const boundary_mask = dma_get_seg_boundary(dev);
  const tbl_dma_addr = and64(phys_to_dma_unencrypted(dev, pool.start), boundary_mask);
  const max_slots = get_max_slots(boundary_mask);
  let iotlb_align_mask = dma_get_min_align_mask(dev);
  const nslots = nr_slots(alloc_size);
  const offset = swiotlb_align_offset(dev, 0, orig_addr);

  BUG_ON(!nslots, 'swiotlb_search_pool_area: BUG_ON(!nslots)');

  // Streaming mappings of a page or more stay page-aligned unless something else asks otherwise.
  if (!alloc_align_mask && !iotlb_align_mask && alloc_size >= PAGE_SIZE) alloc_align_mask = PAGE_SIZE - 1;
  // At least slot-aligned; min_align_mask bits covered by the start alignment need no matching.
  alloc_align_mask = or64(alloc_align_mask, IO_TLB_SIZE - 1);
  iotlb_align_mask = iotlb_align_mask - and64(iotlb_align_mask, alloc_align_mask);
  const stride = get_max_slots(Math.max(alloc_align_mask, iotlb_align_mask));

  if (nslots > pool.area_nslabs - pool.used) return -1;

  let index = pool.index;
  const tbl_slot_shift = nr_slots(tbl_dma_addr);
  for (let slots_checked = 0; slots_checked < pool.area_nslabs;) {
    const slot_index = index;
    const tlb_addr = slot_addr(tbl_dma_addr, slot_index);
    if (and64(tlb_addr, alloc_align_mask) !== 0 ||
        (orig_addr && and64(tlb_addr, iotlb_align_mask) !== and64(orig_addr, iotlb_align_mask))) {
      index = wrap_area_index(pool, index + 1);
      slots_checked++;
      continue;
    }
    if (!iommu_is_span_boundary(slot_index, nslots, tbl_slot_shift, max_slots) && pool.list[slot_index]! >= nslots) {
      // found: take the slots, renumber the free slots before them in this segment.
      for (let i = slot_index; i < slot_index + nslots; i++) {
        pool.list[i] = 0;
        pool.alloc_size[i] = alloc_size - (offset + (i - slot_index) * IO_TLB_SIZE);
      }
      let count = 0;
      for (let i = slot_index - 1; i >= 0 && io_tlb_offset(i) !== IO_TLB_SEGSIZE - 1 && pool.list[i]; i--) {
        pool.list[i] = ++count;
      }
      pool.index = wrap_area_index(pool, index + nslots);
      inc_used_and_hiwater(pool, nslots);
      return slot_index;
    }
    index = wrap_area_index(pool, index + stride);
    slots_checked += stride;
  }
  return -1;
}

/**
 * swiotlb_bounce - copy between the original buffer and the bounce buffer: orig→bounce for
 * DMA_TO_DEVICE, bounce→orig otherwise. One copy, within the host's RAM.
 *
 * Checks, each a dev_WARN_ONCE in the device's dmesg:
 * - "Access before mapping start detected. orig offset %u, requested offset %u." (nothing copied)
 * - "Buffer overflow detected. Allocation size: %zu. Mapping size: %zu+%u." (past the end; nothing copied)
 * - "Buffer overflow detected. Allocation size: %zu. Mapping size: %zu." (copy truncated)
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_bounce()
 * Divergence: kernels before v6.9 made the first two checks for any slot (wrongly flagging a sync
 * that starts inside the low offset of a later slot); current kernels dropped them and accept a
 * negative offset there. rdmaemu does the current arithmetic and makes the first check only on a
 * mapping's first slot (`mappingStart`), where it is always right.
 * @throws KernelError EFAULT if the original buffer is not RAM of the pool's host
 */
function swiotlb_bounce(dev: device, tlb_addr: phys_addr_t, size: size_t, dir: dma_data_direction, pool: io_tlb_mem): void {
  const index = Math.floor((tlb_addr - pool.start) / IO_TLB_SIZE);
  let orig_addr = pool.orig_addr[index]!;
  let alloc_size = pool.alloc_size[index]!;
  if (orig_addr === INVALID_PHYS_ADDR) return;

  const tlb_low = (tlb_addr - pool.start) % IO_TLB_SIZE; // pool.start is page-aligned
  const orig_addr_offset = swiotlb_align_offset(dev, 0, orig_addr);
  if (pool.mappingStart[index] && tlb_low < orig_addr_offset) {
    dev_WARN_ONCE(dev, true,
      `Access before mapping start detected. orig offset ${orig_addr_offset}, requested offset ${tlb_low}.`,
      'swiotlb_bounce:before-start');
    return;
  }
  const tlb_offset = tlb_low - orig_addr_offset; // negative in the low offset of a later slot
  if (tlb_offset > alloc_size) {
    dev_WARN_ONCE(dev, true,
      `Buffer overflow detected. Allocation size: ${alloc_size}. Mapping size: ${size}+${tlb_offset}.`,
      'swiotlb_bounce:past-end');
    return;
  }
  orig_addr += tlb_offset;
  alloc_size -= tlb_offset;
  if (size > alloc_size) {
    dev_WARN_ONCE(dev, true,
      `Buffer overflow detected. Allocation size: ${alloc_size}. Mapping size: ${size}.`,
      'swiotlb_bounce:overflow');
    size = alloc_size;
  }
  if (size <= 0) return;

  const mem = pool.mem;
  if (!mem.contains(orig_addr, size)) {
    throw new KernelError('EFAULT', `swiotlb: original buffer [${fmt_pad(orig_addr)}, +${size}) is not RAM of ${mem.name}`);
  }
  const bounce = tlb_addr - mem.base;
  const orig = orig_addr - mem.base;
  if (dir === DMA_TO_DEVICE) mem.bytes.copyWithin(bounce, orig, orig + size);
  else mem.bytes.copyWithin(orig, bounce, bounce + size);
  dma_stat(dev, 'bounce_bytes', size);
}

/**
 * swiotlb_tbl_map_single - take bounce slots for [orig_addr, +mapping_size) and copy the
 * original into them.
 *
 * The bounce buffer starts `swiotlb_align_offset(dev, alloc_align_mask, orig_addr)` bytes into
 * the allocation, so it keeps the original's low min_align_mask bits; `alloc_size` bytes (plus
 * that offset) are reserved. The copy is made **whatever the direction**: for a FROM_DEVICE
 * mapping it keeps the bytes a device does not overwrite, so bouncing stays invisible
 * (a partial device write must not clobber the rest with stale bounce data). Clears
 * `dev.dma_skip_sync` (every bounced mapping needs its syncs). Charges `bounce_maps`,
 * `bounce_slots` and, through the copy, `bounce_bytes`.
 *
 * Failures, each returning DMA_MAPPING_ERROR (never a throw):
 * - no pool: "Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA
 *   bounce buffer" (dev_warn_ratelimited);
 * - `mapping_size > alloc_size`: "Invalid sizes (mapping: %zd bytes, alloc: %zd bytes)" (dev_warn_once);
 * - no run of free slots (pool full, or more than one 256 KiB segment needed): "swiotlb buffer is
 *   full (sz: %zd bytes), total %lu (slots), used %lu (slots)" (dev_warn_ratelimited) unless
 *   DMA_ATTR_NO_WARN.
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_tbl_map_single() (the v6.9–v6.11 prototype, with alloc_size)
 * Divergence: ratelimited messages print the first 10 times per pool (no interval, see
 * ratelimit_state).
 * @returns the bounce buffer's physical address (`tlb_addr`), or DMA_MAPPING_ERROR
 * @throws KernelBug for a zero-size mapping with no offset (the kernel's BUG_ON(!nslots))
 * @example
 * ```ts
 * const tlb = swiotlb_tbl_map_single(dev, phys, 512, 512, 0, DMA_FROM_DEVICE, 0);
 * if (tlb !== DMA_MAPPING_ERROR) swiotlb_tbl_unmap_single(dev, tlb, 512, DMA_FROM_DEVICE, 0);
 * ```
 */
export function swiotlb_tbl_map_single(dev: device, orig_addr: phys_addr_t, mapping_size: size_t, alloc_size: size_t,
  alloc_align_mask: number, dir: dma_data_direction, attrs: number): phys_addr_t {
  const mem = dev.dma_io_tlb_mem;
  if (!mem || !mem.nslabs) {
    let rs = noPoolRatelimit.get(dev);
    if (!rs) noPoolRatelimit.set(dev, (rs = new ratelimit_state()));
    if (__ratelimit(rs)) {
      dev_warn(dev, "Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer");
    }
    return DMA_MAPPING_ERROR;
  }
  if (mapping_size > alloc_size) {
    if (dev.warnOnce('swiotlb_tbl_map_single:invalid-sizes')) {
      dev_warn(dev, `Invalid sizes (mapping: ${mapping_size} bytes, alloc: ${alloc_size} bytes)`);
    }
    return DMA_MAPPING_ERROR;
  }
  dev_WARN_ONCE(dev, alloc_align_mask > PAGE_SIZE - 1,
    'Alloc alignment may prevent fulfilling requests with max mapping_size', 'swiotlb_tbl_map_single:align');

  let offset = swiotlb_align_offset(dev, alloc_align_mask, orig_addr);
  let index = swiotlb_search_pool_area(dev, mem, orig_addr, alloc_size + offset, alloc_align_mask);
  if (index === -1) {
    if (!(attrs & DMA_ATTR_NO_WARN) && __ratelimit(mem.fullRatelimit)) {
      dev_warn(dev, `swiotlb buffer is full (sz: ${alloc_size} bytes), total ${mem.nslabs} (slots), used ${mem.used} (slots)`);
    }
    return DMA_MAPPING_ERROR;
  }
  dma_reset_need_sync(dev);
  dma_stat(dev, 'bounce_maps');
  dma_stat(dev, 'bounce_slots', nr_slots(alloc_size + offset));

  const pad = Math.floor(offset / IO_TLB_SIZE);
  offset %= IO_TLB_SIZE;
  index += pad;
  mem.pad_slots[index] = pad;
  mem.mappingStart[index] = 1;
  const data_slots = nr_slots(alloc_size + offset);
  for (let i = 0; i < data_slots; i++) mem.orig_addr[index + i] = slot_addr(orig_addr, i);
  const tlb_addr = slot_addr(mem.start, index) + offset;
  swiotlb_bounce(dev, tlb_addr, mapping_size, DMA_TO_DEVICE, mem);
  return tlb_addr;
}

/**
 * swiotlb_release_slots - give a mapping's slots back, merging with the free runs around them.
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_release_slots()
 * Divergence: releasing slots that are not mapped is a KernelBug (the kernel silently corrupts
 * its free list).
 */
function swiotlb_release_slots(dev: device, tlb_addr: phys_addr_t, pool: io_tlb_mem): void {
  const offset = swiotlb_align_offset(dev, 0, tlb_addr);
  let index = Math.floor((tlb_addr - offset - pool.start) / IO_TLB_SIZE);
  if (pool.list[index] !== 0 || pool.orig_addr[index] === INVALID_PHYS_ADDR) {
    throw new KernelBug(`swiotlb_tbl_unmap_single: ${dev_name(dev)}: bounce buffer ${fmt_pad(tlb_addr)} is not mapped`);
  }
  index -= pool.pad_slots[index]!;
  const nslots = nr_slots(pool.alloc_size[index]! + offset);

  let count = index + nslots < ALIGN(index + 1, IO_TLB_SEGSIZE) ? pool.list[index + nslots]! : 0;
  for (let i = index + nslots - 1; i >= index; i--) {
    pool.list[i] = ++count;
    pool.orig_addr[i] = INVALID_PHYS_ADDR;
    pool.alloc_size[i] = 0;
    pool.pad_slots[i] = 0;
    pool.mappingStart[i] = 0;
  }
  for (let i = index - 1; i >= 0 && io_tlb_offset(i) !== IO_TLB_SEGSIZE - 1 && pool.list[i]; i--) {
    pool.list[i] = ++count;
  }
  pool.used -= nslots;
}

/**
 * swiotlb_tbl_unmap_single - end a bounce mapping: copy the device's data back for
 * DMA_FROM_DEVICE / DMA_BIDIRECTIONAL (unless DMA_ATTR_SKIP_CPU_SYNC), then free the slots.
 * An address outside the device's pool is ignored.
 *
 * Kernel: include/linux/swiotlb.h swiotlb_tbl_unmap_single(), kernel/dma/swiotlb.c
 *         __swiotlb_tbl_unmap_single()
 * @throws KernelBug if `tlb_addr` is in the pool but not mapped (Divergence, see swiotlb_release_slots)
 */
export function swiotlb_tbl_unmap_single(dev: device, tlb_addr: phys_addr_t, mapping_size: size_t,
  dir: dma_data_direction, attrs: number): void {
  const pool = swiotlb_find_pool(dev, tlb_addr);
  if (!pool) return;
  if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) && (dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL)) {
    swiotlb_bounce(dev, tlb_addr, mapping_size, DMA_FROM_DEVICE, pool);
  }
  swiotlb_release_slots(dev, tlb_addr, pool);
}

/**
 * swiotlb_sync_single_for_device - hand a bounced buffer to the device: copy orig→bounce for
 * DMA_TO_DEVICE and DMA_BIDIRECTIONAL; nothing for DMA_FROM_DEVICE. An address outside the
 * device's pool is ignored.
 *
 * Kernel: include/linux/swiotlb.h swiotlb_sync_single_for_device(), kernel/dma/swiotlb.c
 *         __swiotlb_sync_single_for_device()
 * @throws KernelBug for any other direction
 */
export function swiotlb_sync_single_for_device(dev: device, tlb_addr: phys_addr_t, size: size_t, dir: dma_data_direction): void {
  const pool = swiotlb_find_pool(dev, tlb_addr);
  if (!pool) return;
  if (dir === DMA_TO_DEVICE || dir === DMA_BIDIRECTIONAL) swiotlb_bounce(dev, tlb_addr, size, DMA_TO_DEVICE, pool);
  else BUG_ON(dir !== DMA_FROM_DEVICE, `swiotlb_sync_single_for_device: invalid dma_data_direction ${dir}`);
}

/**
 * swiotlb_sync_single_for_cpu - hand a bounced buffer back to the CPU: copy bounce→orig for
 * DMA_FROM_DEVICE and DMA_BIDIRECTIONAL; nothing for DMA_TO_DEVICE. An address outside the
 * device's pool is ignored.
 *
 * Kernel: include/linux/swiotlb.h swiotlb_sync_single_for_cpu(), kernel/dma/swiotlb.c
 *         __swiotlb_sync_single_for_cpu()
 * @throws KernelBug for any other direction
 */
export function swiotlb_sync_single_for_cpu(dev: device, tlb_addr: phys_addr_t, size: size_t, dir: dma_data_direction): void {
  const pool = swiotlb_find_pool(dev, tlb_addr);
  if (!pool) return;
  if (dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL) swiotlb_bounce(dev, tlb_addr, size, DMA_FROM_DEVICE, pool);
  else BUG_ON(dir !== DMA_TO_DEVICE, `swiotlb_sync_single_for_cpu: invalid dma_data_direction ${dir}`);
}

/**
 * swiotlb_map - bounce [paddr, +size) and return the bounce buffer's DMA address.
 *
 * Maps with `swiotlb_tbl_map_single(dev, paddr, size, size, 0, dir, attrs)`, then checks that the
 * device can reach the bounce buffer; if not, the slots are freed again (no copy back) and
 * dev_WARN_ONCE "swiotlb addr %pad+%zu overflow (mask %llx, bus limit %llx)." is logged. For a
 * non-coherent device the bounce buffer is written back from the CPU caches
 * (`arch_sync_dma_for_device`) unless DMA_ATTR_SKIP_CPU_SYNC.
 *
 * Kernel: kernel/dma/swiotlb.c swiotlb_map()
 * Divergence: the DMA address is `swiotlb_addr + dev.dma_bus_offset` computed here (see
 * phys_to_dma_unencrypted).
 * @returns the DMA address, or DMA_MAPPING_ERROR
 * @example
 * ```ts
 * const dma = swiotlb_map(dev, phys, 4096, DMA_TO_DEVICE, 0);
 * if (dma !== DMA_MAPPING_ERROR) swiotlb_tbl_unmap_single(dev, dma - dev.dma_bus_offset, 4096, DMA_TO_DEVICE, 0);
 * ```
 */
export function swiotlb_map(dev: device, paddr: phys_addr_t, size: size_t, dir: dma_data_direction, attrs: number): dma_addr_t {
  trace_swiotlb_bounced(dev, phys_to_dma_unencrypted(dev, paddr), size);

  const swiotlb_addr = swiotlb_tbl_map_single(dev, paddr, size, size, 0, dir, attrs);
  if (swiotlb_addr === DMA_MAPPING_ERROR) return DMA_MAPPING_ERROR;

  const dma_addr = phys_to_dma_unencrypted(dev, swiotlb_addr);
  if (!swiotlb_dma_capable(dev, dma_addr, size)) {
    swiotlb_tbl_unmap_single(dev, swiotlb_addr, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
    dev_WARN_ONCE(dev, true,
      `swiotlb addr ${fmt_pad(dma_addr)}+${size} overflow (mask ${fmt_llx(dev.dma_mask ?? 0)}, bus limit ${fmt_llx(dev.bus_dma_limit)}).`,
      'swiotlb_map:overflow');
    return DMA_MAPPING_ERROR;
  }
  if (!dev_is_dma_coherent(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC)) {
    arch_sync_dma_for_device(dev.mem, swiotlb_addr, size, dir, dev);
  }
  return dma_addr;
}

/** Fields of swiotlb:swiotlb_bounced (TP_STRUCT__entry). */
interface swiotlb_bounced_entry {
  dev_name: string;
  dma_mask: number;
  dev_addr: dma_addr_t;
  size: size_t;
  force: boolean;
}

/**
 * swiotlb:swiotlb_bounced - a streaming mapping is about to bounce.
 *
 * Kernel: include/trace/events/swiotlb.h TRACE_EVENT(swiotlb_bounced)
 */
const tp_swiotlb_bounced = defineTracepoint<swiotlb_bounced_entry>('swiotlb', 'swiotlb_bounced', (e) =>
  `dev_name=${e.dev_name} dma_mask=${fmt_llx(e.dma_mask)} dev_addr=${fmt_llx(e.dev_addr)} size=${e.size} ${e.force ? 'FORCE' : 'NORMAL'}`);

/** Kernel: trace_swiotlb_bounced(dev, dev_addr, size) */
function trace_swiotlb_bounced(dev: device, dev_addr: dma_addr_t, size: size_t): void {
  if (!tp_swiotlb_bounced.enabled) return;
  tp_swiotlb_bounced.emit({
    dev_name: dev_name(dev), dma_mask: dev.dma_mask ?? 0, dev_addr, size, force: is_swiotlb_force_bounce(dev),
  });
}
