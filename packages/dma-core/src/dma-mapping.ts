/**
 * dma-mapping - the public DMA mapping API: streaming maps, syncs, coherent allocations.
 *
 * Kernel: kernel/dma/mapping.c, include/linux/dma-mapping.h, include/trace/events/dma.h
 *         (+ RFC "[PATCH RFC 6/9] DMA-API: Add dma_sync_bvecs_for_cpu() and dma_sync_bvecs_for_device()"
 *            and "[PATCH RFC 7/9] DMA: Add dma_map_bvecs_attrs()", Oct 2023)
 *
 * Operation: every entry point
 *   1. BUGs on an invalid direction (`BUG_ON(!valid_dma_direction(dir))`);
 *   2. sets `dev.dma_family` for its duration ('phys' for dma_map_phys / page / single / resource
 *      and their unmaps and single syncs, 'sg' for sg lists and sg_tables, 'bvec' for the RFC's
 *      bio_vec arrays), so the layers below charge their costs to the API family that caused them;
 *   3. dispatches: `use_dma_iommu(dev)` → dma-iommu.ts, otherwise → direct.ts (dma-direct, with
 *      swiotlb behind it). rdmaemu has no other `dma_map_ops` (no GART, no Xen swiotlb, no
 *      virtio-vdpa), so `dma_map_direct()` is simply "not dma-iommu";
 *   4. emits the `dma:*` tracepoint (names and TP_printk text from include/trace/events/dma.h);
 *   5. calls the dma-debug hook where the kernel does: after map (with the result, even a failed
 *      one), after dma_unmap_phys, **before** dma_unmap_sg / dma_unmap_bvecs, and after the
 *      implementation for every sync.
 *
 * Counters (dma-stats.ts): map_calls, segs_in, segs_out and map_errors per map call;
 * unmap_calls per unmap; sync_calls and sync_bytes per sync. The layers below add the rest
 * (bounce, IOVA, PTE, IOTLB, cache maintenance).
 *
 * Error contracts (the kernel's, kept exactly): dma_map_phys and friends return
 * DMA_MAPPING_ERROR; dma_map_sg_attrs returns 0 on any error; dma_map_sgtable returns the
 * negative errno (-EINVAL, -ENOMEM, -EIO or -EREMOTEIO; anything else WARNs and becomes -EIO).
 */
import { BUG_ON, WARN, defineTracepoint, errno as E } from '@rdmaemu/sim-core';
import type { dma_addr_t, gfp_t, phys_addr_t } from '@rdmaemu/sim-core';
import { fmt_llx, min_not_zero, U64_MAX } from './_bits.js';
import type { bio_vec } from './bvec.js';
import {
  debug_dma_alloc_coherent, debug_dma_free_coherent, debug_dma_map_bvecs, debug_dma_map_phys, debug_dma_map_sg, debug_dma_map_single, debug_dma_mapping_error,
  debug_dma_sync_bvecs_for_cpu, debug_dma_sync_bvecs_for_device, debug_dma_sync_sg_for_cpu,
  debug_dma_sync_sg_for_device, debug_dma_sync_single_for_cpu, debug_dma_sync_single_for_device,
  debug_dma_unmap_bvecs, debug_dma_unmap_phys, debug_dma_unmap_sg,
} from './debug.js';
import { dev_is_untrusted, dev_WARN_ONCE, dma_stat, use_dma_iommu, type device } from './device.js';
import {
  dma_direct_addressing_limited, dma_direct_get_required_mask, dma_direct_map_bvecs, dma_direct_map_phys,
  dma_direct_map_sg, dma_direct_max_mapping_size, dma_direct_need_sync, dma_direct_sync_bvecs_for_cpu,
  dma_direct_sync_bvecs_for_device, dma_direct_sync_sg_for_cpu, dma_direct_sync_sg_for_device,
  dma_direct_sync_single_for_cpu, dma_direct_sync_single_for_device, dma_direct_unmap_bvecs,
  dma_direct_unmap_phys, dma_direct_unmap_sg, phys_to_dma,
} from './direct.js';
import {
  iommu_dma_map_bvecs, iommu_dma_map_phys, iommu_dma_map_sg, iommu_dma_sync_bvecs_for_cpu,
  iommu_dma_sync_bvecs_for_device, iommu_dma_sync_sg_for_cpu, iommu_dma_sync_sg_for_device,
  iommu_dma_sync_single_for_cpu, iommu_dma_sync_single_for_device, iommu_dma_unmap_bvecs, iommu_dma_unmap_phys,
  iommu_dma_unmap_sg,
} from './dma-iommu.js';
import {
  BUG_ON_bad_direction, DMA_ATTR_MMIO, DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_BIT_MASK,
  DMA_MAPPING_ERROR, dir2trace, type dma_data_direction,
} from './dma-mapping.h.js';
import type { DmaFamily } from './dma-stats.js';
import {
  get_order, offset_in_page, page_to_phys, pfn_valid, PAGE_ALIGN, PFN_DOWN, virt_addr_valid,
  virt_to_page, virt_to_phys, type page,
} from './memory.js';
import { __free_pages, __GFP_ZERO, alloc_pages } from './page_alloc.js';
import { scatterlist, sg_next, sg_phys, type sg_table, type sgl_ref } from './scatterlist.js';
import { is_swiotlb_active, swiotlb_max_mapping_size } from './swiotlb.js';

export { dma_get_merge_boundary } from './dma-iommu.js';

// ---------------------------------------------------------------------------------------------
// Tracepoints: include/trace/events/dma.h

const DMA_TRACE_MAX_ENTRIES = 128;

const ATTR_NAMES: readonly [number, string][] = [
  [1 << 1, 'WEAK_ORDERING'], [1 << 2, 'WRITE_COMBINE'], [1 << 4, 'NO_KERNEL_MAPPING'], [1 << 5, 'SKIP_CPU_SYNC'],
  [1 << 6, 'FORCE_CONTIGUOUS'], [1 << 7, 'ALLOC_SINGLE_PAGES'], [1 << 8, 'NO_WARN'], [1 << 9, 'PRIVILEGED'],
  [1 << 10, 'MMIO'],
];

/** decode_dma_attrs() - __print_flags(attrs, "|", …). */
function decode_dma_attrs(attrs: number): string {
  const out: string[] = [];
  let rest = attrs;
  for (const [bit, name] of ATTR_NAMES) {
    if ((rest & bit) !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) out.push('0x' + rest.toString(16));
  return out.join('|');
}

/** __print_array() of u64 / unsigned int: `{0x1,0x2}`. */
function print_array(a: readonly number[]): string {
  return '{' + a.map((v) => '0x' + fmt_llx(v)).join(',') + '}';
}

/** Fields of the dma_map event class. */
export interface dma_map_trace { device: string; phys_addr: number; dma_addr: number; size: number; dir: number; attrs: number }
/** Fields of the dma_unmap event class. */
export interface dma_unmap_trace { device: string; addr: number; size: number; dir: number; attrs: number }
/** Fields of dma_map_sg. */
export interface dma_map_sg_trace {
  device: string; full_nents: number; full_ents: number; phys_addrs: number[]; dma_addrs: number[]; lengths: number[];
  dir: number; attrs: number;
}
/** Fields of dma_map_sg_err. */
export interface dma_map_sg_err_trace { device: string; phys_addrs: number[]; err: number; dir: number; attrs: number }
/** Fields of dma_unmap_sg. */
export interface dma_unmap_sg_trace { device: string; addrs: number[]; dir: number; attrs: number }
/** Fields of the dma_sync_single event class. */
export interface dma_sync_single_trace { device: string; dma_addr: number; size: number; dir: number }
/** Fields of the dma_sync_sg event class. */
export interface dma_sync_sg_trace { device: string; dma_addrs: number[]; lengths: number[]; dir: number }
/** Fields of the dma_alloc / dma_free event classes (virt_addr: the buffer's physical address; %p is hashed anyway). */
export interface dma_alloc_trace { device: string; virt_addr: number; dma_addr: number; size: number; dir: number; flags: number; attrs: number }

const mapPrintk = (f: dma_map_trace): string =>
  `${f.device} dir=${dir2trace[f.dir]} dma_addr=${fmt_llx(f.dma_addr)} size=${f.size} phys_addr=${fmt_llx(f.phys_addr)} attrs=${decode_dma_attrs(f.attrs)}`;
const unmapPrintk = (f: dma_unmap_trace): string =>
  `${f.device} dir=${dir2trace[f.dir]} dma_addr=${fmt_llx(f.addr)} size=${f.size} attrs=${decode_dma_attrs(f.attrs)}`;
const syncSinglePrintk = (f: dma_sync_single_trace): string =>
  `${f.device} dir=${dir2trace[f.dir]} dma_addr=${fmt_llx(f.dma_addr)} size=${f.size}`;
const syncSgPrintk = (f: dma_sync_sg_trace): string =>
  `${f.device} dir=${dir2trace[f.dir]} dma_addrs=${print_array(f.dma_addrs)} sizes=${print_array(f.lengths)}`;
const allocPrintk = (f: dma_alloc_trace): string =>
  `${f.device} dir=${dir2trace[f.dir]} dma_addr=${fmt_llx(f.dma_addr)} size=${f.size} virt_addr=${'0x' + fmt_llx(f.virt_addr)} ` +
  `flags=${'0x' + f.flags.toString(16)} attrs=${decode_dma_attrs(f.attrs)}`;
const freePrintk = (f: dma_alloc_trace): string =>
  `${f.device} dir=${dir2trace[f.dir]} dma_addr=${fmt_llx(f.dma_addr)} size=${f.size} virt_addr=${'0x' + fmt_llx(f.virt_addr)} ` +
  `attrs=${decode_dma_attrs(f.attrs)}`;

/** Kernel: include/trace/events/dma.h dma_map_phys */
export const trace_dma_map_phys = defineTracepoint<dma_map_trace>('dma', 'dma_map_phys', mapPrintk);
/** Kernel: include/trace/events/dma.h dma_unmap_phys */
export const trace_dma_unmap_phys = defineTracepoint<dma_unmap_trace>('dma', 'dma_unmap_phys', unmapPrintk);
/** Kernel: include/trace/events/dma.h dma_map_sg */
export const trace_dma_map_sg = defineTracepoint<dma_map_sg_trace>('dma', 'dma_map_sg', (f) => {
  const tn = Math.min(f.full_nents, DMA_TRACE_MAX_ENTRIES);
  const te = Math.min(f.full_ents, DMA_TRACE_MAX_ENTRIES);
  const truncated = f.full_nents > DMA_TRACE_MAX_ENTRIES || f.full_ents > DMA_TRACE_MAX_ENTRIES;
  return `${f.device} dir=${dir2trace[f.dir]} nents=${tn}/${f.full_nents} ents=${te}/${f.full_ents}${truncated ? ' [TRUNCATED]' : ''} ` +
    `dma_addrs=${print_array(f.dma_addrs)} sizes=${print_array(f.lengths)} phys_addrs=${print_array(f.phys_addrs)} attrs=${decode_dma_attrs(f.attrs)}`;
});
/** Kernel: include/trace/events/dma.h dma_map_sg_err */
export const trace_dma_map_sg_err = defineTracepoint<dma_map_sg_err_trace>('dma', 'dma_map_sg_err', (f) =>
  `${f.device} dir=${dir2trace[f.dir]} dma_addrs=${print_array(f.phys_addrs)} err=${f.err} attrs=${decode_dma_attrs(f.attrs)}`);
/** Kernel: include/trace/events/dma.h dma_unmap_sg */
export const trace_dma_unmap_sg = defineTracepoint<dma_unmap_sg_trace>('dma', 'dma_unmap_sg', (f) =>
  `${f.device} dir=${dir2trace[f.dir]} phys_addrs=${print_array(f.addrs)} attrs=${decode_dma_attrs(f.attrs)}`);
/** Kernel: include/trace/events/dma.h dma_sync_single_for_cpu */
export const trace_dma_sync_single_for_cpu = defineTracepoint<dma_sync_single_trace>('dma', 'dma_sync_single_for_cpu', syncSinglePrintk);
/** Kernel: include/trace/events/dma.h dma_sync_single_for_device */
export const trace_dma_sync_single_for_device = defineTracepoint<dma_sync_single_trace>('dma', 'dma_sync_single_for_device', syncSinglePrintk);
/** Kernel: include/trace/events/dma.h dma_sync_sg_for_cpu */
export const trace_dma_sync_sg_for_cpu = defineTracepoint<dma_sync_sg_trace>('dma', 'dma_sync_sg_for_cpu', syncSgPrintk);
/** Kernel: include/trace/events/dma.h dma_sync_sg_for_device */
export const trace_dma_sync_sg_for_device = defineTracepoint<dma_sync_sg_trace>('dma', 'dma_sync_sg_for_device', syncSgPrintk);
/** Kernel: include/trace/events/dma.h dma_alloc (flags printed in hex, not show_gfp_flags) */
export const trace_dma_alloc = defineTracepoint<dma_alloc_trace>('dma', 'dma_alloc', allocPrintk);
/** Kernel: include/trace/events/dma.h dma_free */
export const trace_dma_free = defineTracepoint<dma_alloc_trace>('dma', 'dma_free', freePrintk);

// ---------------------------------------------------------------------------------------------
// Helpers

/** Kernel: kernel/dma/mapping.c dma_map_direct() - no dma_map_ops exist here, so "not dma-iommu". */
function dma_map_direct(dev: device): boolean {
  return !use_dma_iommu(dev);
}

function firstSg(sgl: sgl_ref | null): scatterlist | null {
  if (sgl === null) return null;
  return sgl instanceof scatterlist ? sgl : (sgl[0] ?? null);
}

/** Walk up to n entries of an sg list (chains followed) without a generator. */
function sgEach(sgl: sgl_ref | null, n: number, fn: (sg: scatterlist, i: number) => void): void {
  let sg = firstSg(sgl);
  for (let i = 0; i < n && sg !== null; i++) {
    fn(sg, i);
    sg = i + 1 < n ? sg_next(sg) : null;
  }
}

function sgBytes(sgl: sgl_ref | null, n: number): number {
  let total = 0;
  sgEach(sgl, n, (sg) => {
    total += sg.length;
  });
  return total;
}

function bvecBytes(bvecs: readonly bio_vec[], n: number): number {
  let total = 0;
  for (let i = 0; i < n && i < bvecs.length; i++) total += bvecs[i]!.bv_len;
  return total;
}

function enter(dev: device, family: DmaFamily): DmaFamily {
  const prev = dev.dma_family;
  dev.dma_family = family;
  return prev;
}

// ---------------------------------------------------------------------------------------------
// Single mappings: phys, page, single, resource

/**
 * dma_map_phys - map [phys, phys+size) for streaming DMA by `dev`.
 *
 * Kernel: kernel/dma/mapping.c dma_map_phys() [2025+]
 * Divergence: kmsan_handle_dma() is not modelled; the zone-device-page check under
 * CONFIG_DMA_API_DEBUG does not apply (rdmaemu has no ZONE_DEVICE pages).
 * @param attrs DMA_ATTR_* (DMA_ATTR_SKIP_CPU_SYNC, DMA_ATTR_MMIO, DMA_ATTR_NO_WARN, …)
 * @returns the DMA address, or DMA_MAPPING_ERROR (no DMA mask; unreachable with no swiotlb;
 *          swiotlb full; IOVA space exhausted) — test it with dma_mapping_error()
 * @throws KernelBug if dir is not a valid dma_data_direction
 * @example Map a page for the device to read
 * ```ts
 * const addr = dma_map_phys(dev, page_to_phys(pg), 512, DMA_TO_DEVICE, 0);
 * if (dma_mapping_error(dev, addr)) return -ENOMEM;
 * // ... the device reads ...
 * dma_unmap_phys(dev, addr, 512, DMA_TO_DEVICE, 0);
 * ```
 */
export function dma_map_phys(
  dev: device, phys: phys_addr_t, size: number, dir: dma_data_direction, attrs: number,
): dma_addr_t {
  BUG_ON_bad_direction(dir, 'dma_map_phys');
  if (dev_WARN_ONCE(dev, dev.dma_mask === null, 'dma_map_phys: WARN_ON_ONCE(!dev->dma_mask)')) return DMA_MAPPING_ERROR;
  const prev = enter(dev, 'phys');
  try {
    dma_stat(dev, 'map_calls');
    dma_stat(dev, 'segs_in');
    const addr = dma_map_direct(dev)
      ? dma_direct_map_phys(dev, phys, size, dir, attrs)
      : iommu_dma_map_phys(dev, phys, size, dir, attrs);
    if (addr === DMA_MAPPING_ERROR) dma_stat(dev, 'map_errors');
    else dma_stat(dev, 'segs_out');
    if (trace_dma_map_phys.enabled) {
      trace_dma_map_phys.emit({ device: dev.name, phys_addr: phys, dma_addr: addr, size, dir, attrs });
    }
    debug_dma_map_phys(dev, phys, size, dir, addr, attrs);
    return addr;
  } finally {
    dev.dma_family = prev;
  }
}

/**
 * dma_unmap_phys - undo dma_map_phys (same dev, address, size, direction; attrs may differ).
 *
 * Kernel: kernel/dma/mapping.c dma_unmap_phys() [2025+]
 * The dma-debug check runs after the unmap, as in the kernel, and runs even when the
 * implementation WARNs (a WARN does not stop the kernel).
 * @throws KernelBug if dir is invalid; in strict mode, the dma-debug error (unknown address,
 *         wrong size, direction or type, unchecked map error)
 */
export function dma_unmap_phys(
  dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction, attrs: number,
): void {
  BUG_ON_bad_direction(dir, 'dma_unmap_phys');
  const prev = enter(dev, 'phys');
  try {
    dma_stat(dev, 'unmap_calls');
    if (dma_map_direct(dev)) dma_direct_unmap_phys(dev, addr, size, dir, attrs);
    else iommu_dma_unmap_phys(dev, addr, size, dir, attrs);
  } finally {
    try {
      if (trace_dma_unmap_phys.enabled) trace_dma_unmap_phys.emit({ device: dev.name, addr, size, dir, attrs });
      debug_dma_unmap_phys(dev, addr, size, dir);
    } finally {
      dev.dma_family = prev;
    }
  }
}

/**
 * dma_map_page_attrs - map `size` bytes at `offset` in `page`.
 *
 * Kernel: kernel/dma/mapping.c dma_map_page_attrs() (= dma_map_phys(page_to_phys(page) + offset))
 * @returns as dma_map_phys
 * @throws KernelBug if dir is invalid
 * @example
 * ```ts
 * const addr = dma_map_page_attrs(dev, pg, 100, 200, DMA_FROM_DEVICE, 0);
 * ```
 */
export function dma_map_page_attrs(
  dev: device, pg: page, offset: number, size: number, dir: dma_data_direction, attrs: number,
): dma_addr_t {
  return dma_map_phys(dev, page_to_phys(pg) + offset, size, dir, attrs);
}

/** Kernel: kernel/dma/mapping.c dma_unmap_page_attrs() (= dma_unmap_phys) */
export function dma_unmap_page_attrs(
  dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction, attrs: number,
): void {
  dma_unmap_phys(dev, addr, size, dir, attrs);
}

/** Kernel: include/linux/dma-mapping.h dma_map_page() */
export function dma_map_page(dev: device, pg: page, offset: number, size: number, dir: dma_data_direction): dma_addr_t {
  return dma_map_page_attrs(dev, pg, offset, size, dir, 0);
}

/** Kernel: include/linux/dma-mapping.h dma_unmap_page() */
export function dma_unmap_page(dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction): void {
  dma_unmap_page_attrs(dev, addr, size, dir, 0);
}

/**
 * dma_map_single_attrs - map a kernel virtual address range (a direct-map view) for streaming DMA.
 *
 * Kernel: include/linux/dma-mapping.h dma_map_single_attrs()
 * Divergence: the kernel rejects vmalloc memory ("rejecting DMA map of vmalloc memory") and
 * otherwise trusts `virt_to_page()`. In rdmaemu a kernel virtual address is a view of the host's
 * RAM; any other Uint8Array has no physical address at all, so it is rejected the same way
 * (dev_WARN_ONCE + DMA_MAPPING_ERROR, no dma-debug entry). dma-debug's checks of the buffer
 * (stack, kernel text/rodata) then run as in the kernel.
 * @param cpu_addr a view of `dev.mem` (page_address, phys_to_virt, folio_address, …)
 * @returns as dma_map_phys
 * @throws KernelBug if dir is invalid
 * @example
 * ```ts
 * const buf = page_address(pg).subarray(64, 64 + 256);
 * const addr = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
 * ```
 */
export function dma_map_single_attrs(
  dev: device, cpu_addr: Uint8Array, size: number, dir: dma_data_direction, attrs: number,
): dma_addr_t {
  if (dev_WARN_ONCE(dev, !virt_addr_valid(dev.mem, cpu_addr), 'rejecting DMA map of vmalloc memory')) {
    return DMA_MAPPING_ERROR;
  }
  debug_dma_map_single(dev, cpu_addr, size);
  const phys = virt_to_phys(dev.mem, cpu_addr);
  return dma_map_page_attrs(dev, virt_to_page(dev.mem, cpu_addr), offset_in_page(phys), size, dir, attrs);
}

/** Kernel: include/linux/dma-mapping.h dma_unmap_single_attrs() */
export function dma_unmap_single_attrs(
  dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction, attrs: number,
): void {
  dma_unmap_page_attrs(dev, addr, size, dir, attrs);
}

/** Kernel: include/linux/dma-mapping.h dma_map_single() */
export function dma_map_single(dev: device, cpu_addr: Uint8Array, size: number, dir: dma_data_direction): dma_addr_t {
  return dma_map_single_attrs(dev, cpu_addr, size, dir, 0);
}

/** Kernel: include/linux/dma-mapping.h dma_unmap_single() */
export function dma_unmap_single(dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction): void {
  dma_unmap_single_attrs(dev, addr, size, dir, 0);
}

/**
 * dma_map_resource - map MMIO (not RAM: a peer's BAR) for DMA; dma_map_phys with DMA_ATTR_MMIO.
 *
 * Kernel: kernel/dma/mapping.c dma_map_resource() [2025+]
 * With dma-debug on, a physical address that is RAM WARNs once and fails.
 * @returns as dma_map_phys
 * @throws KernelBug if dir is invalid
 */
export function dma_map_resource(
  dev: device, phys_addr: phys_addr_t, size: number, dir: dma_data_direction, attrs: number,
): dma_addr_t {
  if (dev.host.debug !== null &&
    dev_WARN_ONCE(dev, pfn_valid(dev.mem, PFN_DOWN(phys_addr)), 'dma_map_resource: WARN_ON_ONCE(pfn_valid(PHYS_PFN(phys_addr)))')) {
    return DMA_MAPPING_ERROR;
  }
  return dma_map_phys(dev, phys_addr, size, dir, attrs | DMA_ATTR_MMIO);
}

/** Kernel: kernel/dma/mapping.c dma_unmap_resource() (= dma_unmap_phys with DMA_ATTR_MMIO) */
export function dma_unmap_resource(
  dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction, attrs: number,
): void {
  dma_unmap_phys(dev, addr, size, dir, attrs | DMA_ATTR_MMIO);
}

/**
 * dma_mapping_error - test a returned DMA address; also tells dma-debug the driver checked.
 *
 * Kernel: include/linux/dma-mapping.h dma_mapping_error()
 * @returns -ENOMEM (as a negative number) for DMA_MAPPING_ERROR, else 0
 * @example
 * ```ts
 * if (dma_mapping_error(dev, addr)) throw new KernelError('ENOMEM', 'map failed');
 * ```
 */
export function dma_mapping_error(dev: device, dma_addr: dma_addr_t): number {
  debug_dma_mapping_error(dev, dma_addr);
  return dma_addr === DMA_MAPPING_ERROR ? -E.ENOMEM : 0;
}

// ---------------------------------------------------------------------------------------------
// Scatterlists

function valid_map_errno(ents: number): boolean {
  return ents === -E.EINVAL || ents === -E.ENOMEM || ents === -E.EIO || ents === -E.EREMOTEIO;
}

/**
 * __dma_map_sg_attrs - map an sg list; the count of DMA segments or a negative errno.
 *
 * Kernel: kernel/dma/mapping.c __dma_map_sg_attrs()
 * @returns ents > 0, or -EINVAL / -ENOMEM / -EIO / -EREMOTEIO; 0 only when dev->dma_mask is NULL
 * @throws KernelBug if dir is invalid; (strict mode) the WARN for an errno outside the contract
 */
export function __dma_map_sg_attrs(
  dev: device, sgl: sgl_ref, nents: number, dir: dma_data_direction, attrs: number,
): number {
  BUG_ON_bad_direction(dir, 'dma_map_sg_attrs');
  if (dev_WARN_ONCE(dev, dev.dma_mask === null, 'dma_map_sg_attrs: WARN_ON_ONCE(!dev->dma_mask)')) return 0;
  const prev = enter(dev, 'sg');
  try {
    dma_stat(dev, 'map_calls');
    dma_stat(dev, 'segs_in', nents);
    const ents = dma_map_direct(dev)
      ? dma_direct_map_sg(dev, sgl, nents, dir, attrs)
      : iommu_dma_map_sg(dev, sgl, nents, dir, attrs);
    if (ents > 0) {
      dma_stat(dev, 'segs_out', ents);
      if (trace_dma_map_sg.enabled) trace_map_sg(dev, sgl, nents, ents, dir, attrs);
      debug_dma_map_sg(dev, sgl, nents, ents, dir, attrs);
      return ents;
    }
    dma_stat(dev, 'map_errors');
    if (trace_dma_map_sg_err.enabled) {
      const phys_addrs: number[] = [];
      sgEach(sgl, nents, (sg) => phys_addrs.push(sg_phys(sg)));
      trace_dma_map_sg_err.emit({ device: dev.name, phys_addrs, err: ents, dir, attrs });
    }
    if (WARN(!valid_map_errno(ents), `__dma_map_sg_attrs: map_sg returned ${ents}, not -EINVAL/-ENOMEM/-EIO/-EREMOTEIO`)) return -E.EIO;
    return ents;
  } finally {
    dev.dma_family = prev;
  }
}

function trace_map_sg(dev: device, sgl: sgl_ref, nents: number, ents: number, dir: number, attrs: number): void {
  const phys_addrs: number[] = [];
  const dma_addrs: number[] = [];
  const lengths: number[] = [];
  sgEach(sgl, Math.min(nents, DMA_TRACE_MAX_ENTRIES), (sg) => phys_addrs.push(sg_phys(sg)));
  sgEach(sgl, Math.min(ents, DMA_TRACE_MAX_ENTRIES), (sg) => {
    dma_addrs.push(sg.dma_address);
    lengths.push(sg.dma_length);
  });
  trace_dma_map_sg.emit({ device: dev.name, full_nents: nents, full_ents: ents, phys_addrs, dma_addrs, lengths, dir, attrs });
}

/**
 * dma_map_sg_attrs - map an sg list for streaming DMA.
 *
 * Unmap with the original `nents`, not the returned count. Over dma-direct the result is always
 * nents (no merging); over an IOMMU it may be fewer (merged segments).
 * Kernel: kernel/dma/mapping.c dma_map_sg_attrs()
 * @returns the number of DMA segments, or 0 on any error
 * @throws KernelBug if dir is invalid
 * @example
 * ```ts
 * const n = dma_map_sg_attrs(dev, sgt.sgl!, sgt.orig_nents, DMA_TO_DEVICE, 0);
 * if (n === 0) return -EIO;
 * ```
 */
export function dma_map_sg_attrs(
  dev: device, sgl: sgl_ref, nents: number, dir: dma_data_direction, attrs: number,
): number {
  const ret = __dma_map_sg_attrs(dev, sgl, nents, dir, attrs);
  return ret < 0 ? 0 : ret;
}

/** Kernel: include/linux/dma-mapping.h dma_map_sg() */
export function dma_map_sg(dev: device, sgl: sgl_ref, nents: number, dir: dma_data_direction): number {
  return dma_map_sg_attrs(dev, sgl, nents, dir, 0);
}

/**
 * dma_map_sgtable - map an sg_table; sets sgt.nents to the DMA segment count.
 *
 * Kernel: kernel/dma/mapping.c dma_map_sgtable()
 * @returns 0, or a negative errno: -EINVAL (bad argument or alignment, do not retry), -ENOMEM
 *          (out of IOVA space or resources, retry later), -EIO (unknown; e.g. a lower layer
 *          returned DMA_MAPPING_ERROR), -EREMOTEIO (P2P unreachable)
 * @throws KernelBug if dir is invalid
 * @example
 * ```ts
 * const ret = dma_map_sgtable(dev, sgt, DMA_FROM_DEVICE, 0);
 * if (ret) return ret;
 * for (const sg of for_each_sgtable_dma_sg(sgt)) post(sg_dma_address(sg), sg_dma_len(sg));
 * ```
 */
export function dma_map_sgtable(dev: device, sgt: sg_table, dir: dma_data_direction, attrs: number): number {
  BUG_ON(sgt.sgl === null, 'dma_map_sgtable: sg_table has no entries');
  const nents = __dma_map_sg_attrs(dev, sgt.sgl!, sgt.orig_nents, dir, attrs);
  if (nents < 0) return nents;
  sgt.nents = nents;
  return 0;
}

/**
 * dma_unmap_sg_attrs - unmap an sg list mapped with dma_map_sg_attrs (pass the original nents).
 *
 * Kernel: kernel/dma/mapping.c dma_unmap_sg_attrs() (dma-debug checks *before* the unmap)
 * @throws KernelBug if dir is invalid; in strict mode, the dma-debug error
 */
export function dma_unmap_sg_attrs(
  dev: device, sgl: sgl_ref, nents: number, dir: dma_data_direction, attrs: number,
): void {
  BUG_ON_bad_direction(dir, 'dma_unmap_sg_attrs');
  const prev = enter(dev, 'sg');
  try {
    dma_stat(dev, 'unmap_calls');
    if (trace_dma_unmap_sg.enabled) {
      const addrs: number[] = [];
      sgEach(sgl, nents, (sg) => addrs.push(sg_phys(sg)));
      trace_dma_unmap_sg.emit({ device: dev.name, addrs, dir, attrs });
    }
    debug_dma_unmap_sg(dev, sgl, nents, dir);
    if (dma_map_direct(dev)) dma_direct_unmap_sg(dev, sgl, nents, dir, attrs);
    else iommu_dma_unmap_sg(dev, sgl, nents, dir, attrs);
  } finally {
    dev.dma_family = prev;
  }
}

/** Kernel: include/linux/dma-mapping.h dma_unmap_sg() */
export function dma_unmap_sg(dev: device, sgl: sgl_ref, nents: number, dir: dma_data_direction): void {
  dma_unmap_sg_attrs(dev, sgl, nents, dir, 0);
}

/**
 * dma_unmap_sgtable - unmap an sg_table mapped with dma_map_sgtable (uses orig_nents).
 *
 * Kernel: include/linux/dma-mapping.h dma_unmap_sgtable()
 */
export function dma_unmap_sgtable(dev: device, sgt: sg_table, dir: dma_data_direction, attrs: number): void {
  BUG_ON(sgt.sgl === null, 'dma_unmap_sgtable: sg_table has no entries');
  dma_unmap_sg_attrs(dev, sgt.sgl!, sgt.orig_nents, dir, attrs);
}

// ---------------------------------------------------------------------------------------------
// Syncs

/**
 * dma_sync_single_for_cpu - hand a mapping (or part of it) back to the CPU.
 *
 * After this, for FROM_DEVICE and BIDIRECTIONAL mappings the CPU sees what the device wrote
 * (swiotlb copies bounce→orig; a non-coherent cache is invalidated).
 * Kernel: kernel/dma/mapping.c __dma_sync_single_for_cpu() / include/linux/dma-mapping.h dma_sync_single_for_cpu()
 * Divergence: the `dma_dev_need_sync()` short cut is not taken (the sync always runs; for a
 * coherent, never-bounced device it changes nothing).
 * @throws KernelBug if dir is invalid; in strict mode, the dma-debug sync errors
 * @example
 * ```ts
 * dma_sync_single_for_cpu(dev, addr, len, DMA_FROM_DEVICE);
 * const data = page_address(pg).subarray(0, len);
 * ```
 */
export function dma_sync_single_for_cpu(dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction): void {
  BUG_ON_bad_direction(dir, 'dma_sync_single_for_cpu');
  const prev = enter(dev, 'phys');
  try {
    dma_stat(dev, 'sync_calls');
    dma_stat(dev, 'sync_bytes', size);
    if (dma_map_direct(dev)) dma_direct_sync_single_for_cpu(dev, addr, size, dir);
    else iommu_dma_sync_single_for_cpu(dev, addr, size, dir);
    if (trace_dma_sync_single_for_cpu.enabled) trace_dma_sync_single_for_cpu.emit({ device: dev.name, dma_addr: addr, size, dir });
    debug_dma_sync_single_for_cpu(dev, addr, size, dir);
  } finally {
    dev.dma_family = prev;
  }
}

/**
 * dma_sync_single_for_device - hand a mapping back to the device after CPU access.
 *
 * CPU writes made after the map (or the last sync_for_device) reach a bounced or non-coherent
 * device only now.
 * Kernel: kernel/dma/mapping.c __dma_sync_single_for_device()
 * @throws KernelBug if dir is invalid; in strict mode, the dma-debug sync errors
 */
export function dma_sync_single_for_device(dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction): void {
  BUG_ON_bad_direction(dir, 'dma_sync_single_for_device');
  const prev = enter(dev, 'phys');
  try {
    dma_stat(dev, 'sync_calls');
    dma_stat(dev, 'sync_bytes', size);
    if (dma_map_direct(dev)) dma_direct_sync_single_for_device(dev, addr, size, dir);
    else iommu_dma_sync_single_for_device(dev, addr, size, dir);
    if (trace_dma_sync_single_for_device.enabled) trace_dma_sync_single_for_device.emit({ device: dev.name, dma_addr: addr, size, dir });
    debug_dma_sync_single_for_device(dev, addr, size, dir);
  } finally {
    dev.dma_family = prev;
  }
}

function trace_sync_sg(dev: device, sgl: sgl_ref, nelems: number, dir: number, forDevice: boolean): void {
  const dma_addrs: number[] = [];
  const lengths: number[] = [];
  sgEach(sgl, nelems, (sg) => {
    dma_addrs.push(sg.dma_address);
    lengths.push(sg.dma_length);
  });
  (forDevice ? trace_dma_sync_sg_for_device : trace_dma_sync_sg_for_cpu).emit({ device: dev.name, dma_addrs, lengths, dir });
}

/**
 * dma_sync_sg_for_cpu - dma_sync_single_for_cpu for each entry (pass the original nents).
 *
 * Kernel: kernel/dma/mapping.c __dma_sync_sg_for_cpu()
 * @throws KernelBug if dir is invalid; in strict mode, the dma-debug sync errors
 */
export function dma_sync_sg_for_cpu(dev: device, sgl: sgl_ref, nelems: number, dir: dma_data_direction): void {
  BUG_ON_bad_direction(dir, 'dma_sync_sg_for_cpu');
  const prev = enter(dev, 'sg');
  try {
    dma_stat(dev, 'sync_calls');
    dma_stat(dev, 'sync_bytes', sgBytes(sgl, nelems));
    if (dma_map_direct(dev)) dma_direct_sync_sg_for_cpu(dev, sgl, nelems, dir);
    else iommu_dma_sync_sg_for_cpu(dev, sgl, nelems, dir);
    if (trace_dma_sync_sg_for_cpu.enabled) trace_sync_sg(dev, sgl, nelems, dir, false);
    debug_dma_sync_sg_for_cpu(dev, sgl, nelems, dir);
  } finally {
    dev.dma_family = prev;
  }
}

/**
 * dma_sync_sg_for_device - dma_sync_single_for_device for each entry (pass the original nents).
 *
 * Kernel: kernel/dma/mapping.c __dma_sync_sg_for_device()
 * @throws KernelBug if dir is invalid; in strict mode, the dma-debug sync errors
 */
export function dma_sync_sg_for_device(dev: device, sgl: sgl_ref, nelems: number, dir: dma_data_direction): void {
  BUG_ON_bad_direction(dir, 'dma_sync_sg_for_device');
  const prev = enter(dev, 'sg');
  try {
    dma_stat(dev, 'sync_calls');
    dma_stat(dev, 'sync_bytes', sgBytes(sgl, nelems));
    if (dma_map_direct(dev)) dma_direct_sync_sg_for_device(dev, sgl, nelems, dir);
    else iommu_dma_sync_sg_for_device(dev, sgl, nelems, dir);
    if (trace_dma_sync_sg_for_device.enabled) trace_sync_sg(dev, sgl, nelems, dir, true);
    debug_dma_sync_sg_for_device(dev, sgl, nelems, dir);
  } finally {
    dev.dma_family = prev;
  }
}

/** Kernel: include/linux/dma-mapping.h dma_sync_sgtable_for_cpu() (orig_nents) */
export function dma_sync_sgtable_for_cpu(dev: device, sgt: sg_table, dir: dma_data_direction): void {
  BUG_ON(sgt.sgl === null, 'dma_sync_sgtable_for_cpu: sg_table has no entries');
  dma_sync_sg_for_cpu(dev, sgt.sgl!, sgt.orig_nents, dir);
}

/** Kernel: include/linux/dma-mapping.h dma_sync_sgtable_for_device() (orig_nents) */
export function dma_sync_sgtable_for_device(dev: device, sgt: sg_table, dir: dma_data_direction): void {
  BUG_ON(sgt.sgl === null, 'dma_sync_sgtable_for_device: sg_table has no entries');
  dma_sync_sg_for_device(dev, sgt.sgl!, sgt.orig_nents, dir);
}

// ---------------------------------------------------------------------------------------------
// bio_vec arrays (Oct 2023 RFC, patches 6/9 and 7/9)

/**
 * __dma_map_bvecs_attrs - map a bio_vec array; the mapped count or a negative errno.
 *
 * Emulator-only name for the body of RFC 7/9's dma_map_bvecs_attrs(), which has
 * __dma_map_sg_attrs()'s error contract.
 * @returns ents > 0, or -EINVAL / -ENOMEM / -EIO / -EREMOTEIO; 0 when dev->dma_mask is NULL
 * @throws KernelBug if dir is invalid; (strict mode) the WARN for an errno outside the contract
 */
export function __dma_map_bvecs_attrs(
  dev: device, bvecs: readonly bio_vec[], nents: number, dir: dma_data_direction, attrs: number,
): number {
  BUG_ON_bad_direction(dir, 'dma_map_bvecs_attrs');
  if (dev_WARN_ONCE(dev, dev.dma_mask === null, 'dma_map_bvecs_attrs: WARN_ON_ONCE(!dev->dma_mask)')) return 0;
  const prev = enter(dev, 'bvec');
  try {
    dma_stat(dev, 'map_calls');
    dma_stat(dev, 'segs_in', nents);
    const ents = dma_map_direct(dev)
      ? dma_direct_map_bvecs(dev, bvecs, nents, dir, attrs)
      : iommu_dma_map_bvecs(dev, bvecs as bio_vec[], nents, dir, attrs);
    if (ents > 0) {
      dma_stat(dev, 'segs_out', ents);
      debug_dma_map_bvecs(dev, bvecs, nents, ents, dir, attrs);
      return ents;
    }
    dma_stat(dev, 'map_errors');
    if (WARN(!valid_map_errno(ents), `dma_map_bvecs_attrs: map_bvecs returned ${ents}, not -EINVAL/-ENOMEM/-EIO/-EREMOTEIO`)) return -E.EIO;
    return ents;
  } finally {
    dev.dma_family = prev;
  }
}

/**
 * dma_map_bvecs_attrs - map an array of bio_vecs; DMA results land in bv_dma_address / bv_dma_length.
 *
 * Over dma-direct every entry is mapped separately (the count is nents); over an IOMMU entries
 * may be merged (the first `count` entries hold the DMA segments). Unmap with the original nents.
 *
 * Kernel: RFC "[PATCH RFC 7/9] DMA: Add dma_map_bvecs_attrs()" (Message-ID
 *         <169772917833.5232.13488378553385610086.stgit@klimt.1015granger.net>)
 * Divergence: the RFC declared `unsigned int` and documented "Zero is returned for any error",
 * but its body returned the negative errno through that unsigned type (a huge count). rdmaemu
 * follows the documentation: 0 on any error, like dma_map_sg_attrs(); `__dma_map_bvecs_attrs()`
 * gives the errno. The RFC stores results inside the input bio_vecs (the design Robin Murphy and
 * Matthew Wilcox rejected, KERNEL.md §0.2); a cleaner shape is a separate output array of
 * (dma_addr, len) pairs, which is what the merged dma_iova_* / dma_map_phys path amounts to.
 * @returns the number of DMA segments, or 0 on any error
 * @throws KernelBug if dir is invalid
 * @example
 * ```ts
 * const n = dma_map_bvecs_attrs(dev, bvecs, bvecs.length, DMA_TO_DEVICE, 0);
 * for (let i = 0; i < n; i++) post(bv_dma_address(bvecs[i]!), bv_dma_len(bvecs[i]!));
 * dma_unmap_bvecs_attrs(dev, bvecs, bvecs.length, DMA_TO_DEVICE, 0);
 * ```
 */
export function dma_map_bvecs_attrs(
  dev: device, bvecs: readonly bio_vec[], nents: number, dir: dma_data_direction, attrs: number,
): number {
  const ret = __dma_map_bvecs_attrs(dev, bvecs, nents, dir, attrs);
  return ret < 0 ? 0 : ret;
}

/**
 * dma_unmap_bvecs_attrs - unmap a bio_vec array (the original nents); dma-debug checks first.
 *
 * Kernel: RFC 7/9 dma_unmap_bvecs_attrs()
 * @throws KernelBug if dir is invalid; in strict mode, the dma-debug error
 */
export function dma_unmap_bvecs_attrs(
  dev: device, bvecs: readonly bio_vec[], nents: number, dir: dma_data_direction, attrs: number,
): void {
  BUG_ON_bad_direction(dir, 'dma_unmap_bvecs_attrs');
  const prev = enter(dev, 'bvec');
  try {
    dma_stat(dev, 'unmap_calls');
    debug_dma_unmap_bvecs(dev, bvecs, nents, dir);
    if (dma_map_direct(dev)) dma_direct_unmap_bvecs(dev, bvecs, nents, dir, attrs);
    else iommu_dma_unmap_bvecs(dev, bvecs as bio_vec[], nents, dir, attrs);
  } finally {
    dev.dma_family = prev;
  }
}

/**
 * dma_sync_bvecs_for_cpu - sync each mapped bio_vec for the CPU (pass the original nents).
 *
 * Kernel: RFC "[PATCH RFC 6/9] DMA-API: Add dma_sync_bvecs_for_cpu() and dma_sync_bvecs_for_device()"
 * @throws KernelBug if dir is invalid; in strict mode, the dma-debug sync errors
 */
export function dma_sync_bvecs_for_cpu(dev: device, bvecs: readonly bio_vec[], nelems: number, dir: dma_data_direction): void {
  BUG_ON_bad_direction(dir, 'dma_sync_bvecs_for_cpu');
  const prev = enter(dev, 'bvec');
  try {
    dma_stat(dev, 'sync_calls');
    dma_stat(dev, 'sync_bytes', bvecBytes(bvecs, nelems));
    if (dma_map_direct(dev)) dma_direct_sync_bvecs_for_cpu(dev, bvecs, nelems, dir);
    else iommu_dma_sync_bvecs_for_cpu(dev, bvecs as bio_vec[], nelems, dir);
    debug_dma_sync_bvecs_for_cpu(dev, bvecs, nelems, dir);
  } finally {
    dev.dma_family = prev;
  }
}

/**
 * dma_sync_bvecs_for_device - sync each mapped bio_vec for the device (pass the original nents).
 *
 * Kernel: RFC 6/9 dma_sync_bvecs_for_device()
 * @throws KernelBug if dir is invalid; in strict mode, the dma-debug sync errors
 */
export function dma_sync_bvecs_for_device(dev: device, bvecs: readonly bio_vec[], nelems: number, dir: dma_data_direction): void {
  BUG_ON_bad_direction(dir, 'dma_sync_bvecs_for_device');
  const prev = enter(dev, 'bvec');
  try {
    dma_stat(dev, 'sync_calls');
    dma_stat(dev, 'sync_bytes', bvecBytes(bvecs, nelems));
    if (dma_map_direct(dev)) dma_direct_sync_bvecs_for_device(dev, bvecs, nelems, dir);
    else iommu_dma_sync_bvecs_for_device(dev, bvecs as bio_vec[], nelems, dir);
    debug_dma_sync_bvecs_for_device(dev, bvecs, nelems, dir);
  } finally {
    dev.dma_family = prev;
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

/**
 * dma_need_unmap - must the driver keep DMA addresses to unmap them later?
 *
 * False only for a dma-direct device that never needs syncs (`dma_skip_sync`: coherent, never
 * bounced) with dma-debug off.
 * Kernel: kernel/dma/mapping.c dma_need_unmap()
 */
export function dma_need_unmap(dev: device): boolean {
  if (!dma_map_direct(dev)) return true;
  if (!dev.dma_skip_sync) return true;
  return dev.host.debug !== null;
}

/**
 * dma_need_sync - does this mapping need dma_sync_* calls?
 *
 * Kernel: include/linux/dma-mapping.h dma_need_sync(), kernel/dma/mapping.c __dma_need_sync()
 */
export function dma_need_sync(dev: device, dma_addr: dma_addr_t): boolean {
  const dev_need_sync = !dev.dma_skip_sync || dev.host.debug !== null;
  if (!dev_need_sync) return false;
  if (dma_map_direct(dev)) return dma_direct_need_sync(dev, dma_addr);
  return true;
}

/**
 * dma_max_mapping_size - the largest single streaming mapping the device can get.
 *
 * Kernel: kernel/dma/mapping.c dma_max_mapping_size(); drivers/iommu/dma-iommu.c
 *         iommu_dma_max_mapping_size() (swiotlb's limit for untrusted devices)
 * @returns bytes; SIZE_MAX is U64_MAX
 */
export function dma_max_mapping_size(dev: device): number {
  if (dma_map_direct(dev)) return dma_direct_max_mapping_size(dev);
  if (dev_is_untrusted(dev) && is_swiotlb_active(dev)) return swiotlb_max_mapping_size(dev);
  return U64_MAX;
}

/**
 * dma_get_required_mask - the mask that reaches all of the host's RAM (32 bits behind an IOMMU).
 *
 * Kernel: kernel/dma/mapping.c dma_get_required_mask()
 */
export function dma_get_required_mask(dev: device): number {
  if (dma_map_direct(dev)) return dma_direct_get_required_mask(dev);
  return DMA_BIT_MASK(32);
}

/**
 * dma_addressing_limited - true when the device cannot DMA to all RAM without bouncing.
 *
 * Kernel: kernel/dma/mapping.c dma_addressing_limited()
 */
export function dma_addressing_limited(dev: device): boolean {
  if (min_not_zero(dev.dma_mask ?? 0, dev.bus_dma_limit) < dma_get_required_mask(dev)) return true;
  if (!dma_map_direct(dev)) return false;
  return dma_direct_addressing_limited(dev);
}

// ---------------------------------------------------------------------------------------------
// Coherent allocations

/** DmaCoherentBuffer - what dma_alloc_coherent returns: the CPU view and the device's address. */
export interface DmaCoherentBuffer {
  /** The CPU's address of the buffer: a direct-map view of `size` bytes (zeroed). */
  readonly cpu_addr: Uint8Array;
  /** The device's address of the buffer. */
  readonly dma_handle: dma_addr_t;
}

/**
 * dma_alloc_coherent - allocate zeroed memory the CPU and the device share without syncs.
 *
 * Kernel: include/linux/dma-mapping.h dma_alloc_coherent(), kernel/dma/mapping.c dma_alloc_attrs(),
 *         kernel/dma/direct.c dma_direct_alloc(), drivers/iommu/dma-iommu.c iommu_dma_alloc()
 * Divergence: the C out-parameter `*dma_handle` is part of the returned object. dma-direct:
 * alloc_pages + a check against coherent_dma_mask (min_not_zero with bus_dma_limit); rdmaemu has
 * no ZONE_DMA/ZONE_DMA32 to retry in, so memory the device cannot reach fails with null. IOMMU:
 * the pages are mapped BIDIRECTIONAL through dma-iommu. A non-coherent device sees the buffer
 * coherently (the kernel remaps it uncached; rdmaemu never creates a cache shadow for it).
 * @param gfp GFP flags (__GFP_ZERO is implied)
 * @returns the buffer, or null when memory is exhausted or unreachable
 * @example
 * ```ts
 * const buf = dma_alloc_coherent(dev, 4096, GFP_KERNEL);
 * if (buf) dma_free_coherent(dev, 4096, buf.cpu_addr, buf.dma_handle);
 * ```
 */
export function dma_alloc_coherent(dev: device, size: number, gfp: gfp_t): DmaCoherentBuffer | null {
  dev_WARN_ONCE(dev, dev.coherent_dma_mask === 0, 'dma_alloc_attrs: WARN_ON_ONCE(!dev->coherent_dma_mask)');
  const order = get_order(size);
  const pg = alloc_pages(dev.mem, order, gfp | __GFP_ZERO);
  if (pg === null) return null;
  const phys = page_to_phys(pg);
  let dma_handle: dma_addr_t;
  if (dma_map_direct(dev)) {
    dma_handle = phys_to_dma(dev, phys);
    if (dma_handle + size - 1 > min_not_zero(dev.coherent_dma_mask, dev.bus_dma_limit)) {
      __free_pages(pg, order);
      return null;
    }
  } else {
    dma_handle = iommu_dma_map_phys(dev, phys, PAGE_ALIGN(size), DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
    if (dma_handle === DMA_MAPPING_ERROR) {
      __free_pages(pg, order);
      return null;
    }
  }
  const cpu_addr = dev.mem.view(phys, size);
  if (trace_dma_alloc.enabled) {
    trace_dma_alloc.emit({ device: dev.name, virt_addr: phys, dma_addr: dma_handle, size, dir: DMA_BIDIRECTIONAL, flags: gfp, attrs: 0 });
  }
  debug_dma_alloc_coherent(dev, size, dma_handle, cpu_addr, 0);
  return { cpu_addr, dma_handle };
}

/**
 * dma_free_coherent - free a dma_alloc_coherent buffer (same size, CPU address and DMA handle).
 *
 * Kernel: include/linux/dma-mapping.h dma_free_coherent(), kernel/dma/mapping.c dma_free_attrs()
 * dma-debug checks first (unknown handle, different size, "different CPU address", …).
 * @throws KernelError EFAULT if cpu_addr is not a direct-map view; KernelBug ("Bad page state")
 *         if it is not the allocation's first page; in strict mode, the dma-debug error
 */
export function dma_free_coherent(dev: device, size: number, cpu_addr: Uint8Array, dma_handle: dma_addr_t): void {
  const phys = virt_to_phys(dev.mem, cpu_addr);
  if (trace_dma_free.enabled) {
    trace_dma_free.emit({ device: dev.name, virt_addr: phys, dma_addr: dma_handle, size, dir: DMA_BIDIRECTIONAL, flags: 0, attrs: 0 });
  }
  debug_dma_free_coherent(dev, size, cpu_addr, dma_handle);
  if (!dma_map_direct(dev)) {
    iommu_dma_unmap_phys(dev, dma_handle, PAGE_ALIGN(size), DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
  }
  __free_pages(virt_to_page(dev.mem, cpu_addr), get_order(size));
}
