/**
 * direct - dma-direct: DMA without an IOMMU, bus address = physical address + a bus offset.
 *
 * Kernel: kernel/dma/direct.c, kernel/dma/direct.h, include/linux/dma-direct.h
 *         (+ RFC "[PATCH RFC 5/9] dma-direct: Support direct mapping bio_vec arrays", Oct 2023)
 *
 * Operation: a streaming mapping of [phys, phys+size) is the bus address `phys_to_dma(phys)` when
 * the device can reach it (`dma_capable`: the last byte is within min_not_zero(dma_mask,
 * bus_dma_limit)); otherwise the data bounces through the device's swiotlb pool (`swiotlb_map`),
 * or — with no pool — the mapping fails with DMA_MAPPING_ERROR and a one-time "overflow" warning.
 * A force-bounce device (swiotlb=force, confidential VMs) always bounces. A non-coherent device
 * gets a cache clean (`arch_sync_dma_for_device`) at map and an invalidate
 * (`arch_sync_dma_for_cpu`) at unmap; both are skipped with DMA_ATTR_SKIP_CPU_SYNC, and MMIO
 * (DMA_ATTR_MMIO) gets neither cache maintenance nor bouncing.
 *
 * Sync order: for the device, swiotlb copies orig→bounce first and then the cache is cleaned
 * (the clean must cover the bounce buffer the device reads); for the CPU, the cache is
 * invalidated first and then swiotlb copies bounce→orig.
 *
 * Scatterlists and bio_vec arrays (RFC 5/9) map one entry at a time with **no merging**: the
 * result count is always nents. One per-entry loop serves both, through a tiny accessor table
 * (`DirectEntryOps`): the kernel wrote the bvec loop as a copy of the sg loop; rdmaemu writes it once.
 * On a failure part way, the entries already mapped are unmapped with SKIP_CPU_SYNC and the
 * call returns -EIO.
 *
 * Non-coherent shadow lifetime (dma-noncoherent.ts): a mapping for a non-coherent device takes a
 * reference on the shadow pages of the address the device uses (the original pages, or the bounce
 * slot), and its unmap drops it, after the CPU sync (if any).
 *
 * Invariants: a successful map returns an address whose [addr, addr+size) is dma_capable, or a
 * bounce slot; dma_direct_map_sg/bvecs return nents or a negative errno, never a partial count.
 */
import type { dma_addr_t, phys_addr_t } from '@rdmaemu/sim-core';
import { fmt_llx, fmt_pad, min_not_zero, U64_MAX } from './_bits.js';
import type { bio_vec } from './bvec.js';
import { BV_DMA_BUS_ADDRESS, bvec_phys } from './bvec.js';
import { dev_is_dma_coherent, dev_WARN_ONCE, type device } from './device.js';
import {
  DMA_ATTR_MMIO, DMA_ATTR_SKIP_CPU_SYNC, DMA_MAPPING_ERROR, type dma_data_direction,
} from './dma-mapping.h.js';
import {
  arch_sync_dma_for_cpu, arch_sync_dma_for_device, noncoherentShadowGet, noncoherentShadowPut,
} from './dma-noncoherent.js';
import { PAGE_SIZE } from './memory.js';
import { SG_DMA_BUS_ADDRESS, scatterlist, sg_next, sg_phys, type sgl_ref } from './scatterlist.js';
import {
  is_swiotlb_active, is_swiotlb_buffer, is_swiotlb_force_bounce, swiotlb_map, swiotlb_max_mapping_size,
  swiotlb_sync_single_for_cpu, swiotlb_sync_single_for_device, swiotlb_tbl_unmap_single,
} from './swiotlb.js';

const EIO = 5;

/**
 * phys_to_dma - the bus address of a physical address for this device.
 *
 * Kernel: include/linux/dma-direct.h phys_to_dma() (translate_phys_to_dma over dev->dma_range_map)
 * Divergence: one uniform bus offset (`dev.dma_bus_offset`) stands for a single-range
 * dma_range_map; no memory-encryption bit.
 * @example
 * ```ts
 * phys_to_dma(dev, 0x10_0000) === 0x10_0000 + dev.dma_bus_offset;
 * ```
 */
export function phys_to_dma(dev: device, phys: phys_addr_t): dma_addr_t {
  return phys + dev.dma_bus_offset;
}

/**
 * dma_to_phys - the physical address behind a dma-direct bus address.
 *
 * Kernel: include/linux/dma-direct.h dma_to_phys()
 */
export function dma_to_phys(dev: device, dma_addr: dma_addr_t): phys_addr_t {
  return dma_addr - dev.dma_bus_offset;
}

/**
 * dma_capable - can the device address all of [addr, addr+size)?
 *
 * True when the last byte is at most min_not_zero(*dma_mask, bus_dma_limit).
 * Kernel: include/linux/dma-direct.h dma_capable()
 * Divergence: a null dma_mask answers false (as kernels before 5.x did) instead of dereferencing
 * NULL; `is_ram` only matters in the kernel for 32-bit dma_addr_t and is accepted for the
 * signature's sake.
 */
export function dma_capable(dev: device, addr: dma_addr_t, size: number, is_ram: boolean): boolean {
  void is_ram;
  if (addr === DMA_MAPPING_ERROR || dev.dma_mask === null) return false;
  const end = addr + size - 1;
  return end <= min_not_zero(dev.dma_mask, dev.bus_dma_limit);
}

/**
 * dma_direct_get_required_mask - the smallest all-ones mask covering the host's highest RAM address.
 *
 * Kernel: kernel/dma/direct.c dma_direct_get_required_mask()
 */
export function dma_direct_get_required_mask(dev: device): number {
  const mem = dev.mem;
  const max_dma = phys_to_dma(dev, mem.base + mem.size - PAGE_SIZE) + PAGE_SIZE - 1;
  let mask = 1;
  while (mask - 1 < max_dma) mask *= 2;
  return mask - 1;
}

/**
 * dma_direct_map_phys - map [phys, phys+size) for a device without an IOMMU.
 *
 * Kernel: kernel/dma/direct.h dma_direct_map_phys() [2025+]
 * Divergence: `dma_kmalloc_needs_bounce()` (arm64's bouncing of small unaligned kmalloc buffers
 * for non-coherent devices) is not modelled: rdmaemu has no kmalloc caches.
 * @returns the bus address, a swiotlb bounce address, or DMA_MAPPING_ERROR (the device cannot
 *          reach the memory and there is no swiotlb: logs "DMA addr … overflow" once per device;
 *          or MMIO on a force-bounce device; or swiotlb failed)
 * @example
 * ```ts
 * const addr = dma_direct_map_phys(dev, page_to_phys(pg), 512, DMA_TO_DEVICE, 0);
 * ```
 */
export function dma_direct_map_phys(
  dev: device, phys: phys_addr_t, size: number, dir: dma_data_direction, attrs: number,
): dma_addr_t {
  const mmio = (attrs & DMA_ATTR_MMIO) !== 0;
  let dma_addr: dma_addr_t;
  if (is_swiotlb_force_bounce(dev)) {
    if (mmio) return DMA_MAPPING_ERROR;
    return direct_bounced(dev, swiotlb_map(dev, phys, size, dir, attrs), size);
  }
  if (mmio) {
    dma_addr = phys;
    if (!dma_capable(dev, dma_addr, size, false)) return err_overflow(dev, dma_addr, size);
    return dma_addr;
  }
  dma_addr = phys_to_dma(dev, phys);
  if (!dma_capable(dev, dma_addr, size, true)) {
    if (is_swiotlb_active(dev)) return direct_bounced(dev, swiotlb_map(dev, phys, size, dir, attrs), size);
    return err_overflow(dev, dma_addr, size);
  }
  if (!dev_is_dma_coherent(dev)) {
    if ((attrs & DMA_ATTR_SKIP_CPU_SYNC) === 0) arch_sync_dma_for_device(dev.mem, phys, size, dir, dev);
    noncoherentShadowGet(dev.mem, phys, size);
  }
  return dma_addr;
}

/** After swiotlb_map: a non-coherent device's shadow reference on the bounce slot. */
function direct_bounced(dev: device, dma_addr: dma_addr_t, size: number): dma_addr_t {
  if (dma_addr !== DMA_MAPPING_ERROR && !dev_is_dma_coherent(dev)) {
    noncoherentShadowGet(dev.mem, dma_to_phys(dev, dma_addr), size);
  }
  return dma_addr;
}

function err_overflow(dev: device, dma_addr: dma_addr_t, size: number): dma_addr_t {
  dev_WARN_ONCE(
    dev, true,
    `DMA addr ${fmt_pad(dma_addr)}+${size} overflow (mask ${fmt_llx(dev.dma_mask ?? 0)}, bus limit ${fmt_llx(dev.bus_dma_limit)}).`,
    'dma_direct_map_phys: overflow',
  );
  return DMA_MAPPING_ERROR;
}

/**
 * dma_direct_unmap_phys - undo dma_direct_map_phys: CPU sync (unless SKIP_CPU_SYNC), release the bounce slot.
 *
 * Kernel: kernel/dma/direct.h dma_direct_unmap_phys() [2025+]
 */
export function dma_direct_unmap_phys(
  dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction, attrs: number,
): void {
  if ((attrs & DMA_ATTR_MMIO) !== 0) return;
  const phys = dma_to_phys(dev, addr);
  if ((attrs & DMA_ATTR_SKIP_CPU_SYNC) === 0) dma_direct_sync_single_for_cpu(dev, addr, size, dir);
  if (is_swiotlb_buffer(dev, phys)) swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
  if (!dev_is_dma_coherent(dev)) noncoherentShadowPut(dev.mem, phys, size);
}

/**
 * dma_direct_sync_single_for_device - give a mapping back to the device: swiotlb orig→bounce, then cache clean.
 *
 * Kernel: kernel/dma/direct.h dma_direct_sync_single_for_device()
 */
export function dma_direct_sync_single_for_device(
  dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction,
): void {
  const paddr = dma_to_phys(dev, addr);
  if (is_swiotlb_buffer(dev, paddr)) swiotlb_sync_single_for_device(dev, paddr, size, dir);
  if (!dev_is_dma_coherent(dev)) arch_sync_dma_for_device(dev.mem, paddr, size, dir, dev);
}

/**
 * dma_direct_sync_single_for_cpu - give a mapping to the CPU: cache invalidate, then swiotlb bounce→orig.
 *
 * Kernel: kernel/dma/direct.h dma_direct_sync_single_for_cpu()
 * Divergence: arch_sync_dma_for_cpu_all() and arch_dma_mark_clean() are no-ops here (no
 * speculative prefetch, no ia64 PG_arch_1).
 */
export function dma_direct_sync_single_for_cpu(
  dev: device, addr: dma_addr_t, size: number, dir: dma_data_direction,
): void {
  const paddr = dma_to_phys(dev, addr);
  if (!dev_is_dma_coherent(dev)) arch_sync_dma_for_cpu(dev.mem, paddr, size, dir, dev);
  if (is_swiotlb_buffer(dev, paddr)) swiotlb_sync_single_for_cpu(dev, paddr, size, dir);
}

// ---------------------------------------------------------------------------------------------
// One per-entry loop for scatterlists and bio_vec arrays

/**
 * DirectEntryOps - how the shared per-entry loop reads and writes one entry of a list.
 *
 * Emulator-only: the kernel has two copies of this loop (dma_direct_map_sg and RFC 5/9's
 * dma_direct_map_bvecs); rdmaemu has one, parameterised by this table.
 */
interface DirectEntryOps<L, E> {
  /** The entry at index i, given the previous entry (null for i = 0). */
  next(list: L, prev: E | null, i: number): E | null;
  /** CPU side: physical address and length. */
  phys(e: E): phys_addr_t;
  len(e: E): number;
  /** DMA side (output). */
  dmaAddress(e: E): dma_addr_t;
  dmaLen(e: E): number;
  setDma(e: E, addr: dma_addr_t, len: number): void;
  /** A P2P bus address: never unmapped (and the mark is cleared at unmap). */
  takeBusAddress(e: E): boolean;
}

const sgOps: DirectEntryOps<sgl_ref, scatterlist> = {
  next: (list, prev) => (prev !== null ? sg_next(prev) : list instanceof scatterlist ? list : (list[0] ?? null)),
  phys: (sg) => sg_phys(sg),
  len: (sg) => sg.length,
  dmaAddress: (sg) => sg.dma_address,
  dmaLen: (sg) => sg.dma_length,
  setDma: (sg, addr, len) => {
    sg.dma_address = addr;
    sg.dma_length = len;
  },
  takeBusAddress: (sg) => {
    if ((sg.dma_flags & SG_DMA_BUS_ADDRESS) === 0) return false;
    sg.dma_flags &= ~SG_DMA_BUS_ADDRESS;
    return true;
  },
};

const bvecOps: DirectEntryOps<readonly bio_vec[], bio_vec> = {
  next: (list, _prev, i) => list[i] ?? null,
  phys: (bv) => bvec_phys(bv),
  len: (bv) => bv.bv_len,
  dmaAddress: (bv) => bv.bv_dma_address,
  dmaLen: (bv) => bv.bv_dma_length,
  setDma: (bv, addr, len) => {
    bv.bv_dma_address = addr;
    bv.bv_dma_length = len;
  },
  takeBusAddress: (bv) => {
    if ((bv.bv_dma_flags & BV_DMA_BUS_ADDRESS) === 0) return false;
    bv.bv_dma_flags &= ~BV_DMA_BUS_ADDRESS;
    return true;
  },
};

function direct_map_entries<L, E>(
  ops: DirectEntryOps<L, E>, dev: device, list: L, nents: number, dir: dma_data_direction, attrs: number,
): number {
  let e: E | null = null;
  for (let i = 0; i < nents; i++) {
    e = ops.next(list, e, i);
    if (e === null) break;
    const addr = dma_direct_map_phys(dev, ops.phys(e), ops.len(e), dir, attrs);
    if (addr === DMA_MAPPING_ERROR) {
      ops.setDma(e, DMA_MAPPING_ERROR, 0);
      direct_unmap_entries(ops, dev, list, i, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
      return -EIO;
    }
    ops.setDma(e, addr, ops.len(e));
  }
  return nents;
}

function direct_unmap_entries<L, E>(
  ops: DirectEntryOps<L, E>, dev: device, list: L, nents: number, dir: dma_data_direction, attrs: number,
): void {
  let e: E | null = null;
  for (let i = 0; i < nents; i++) {
    e = ops.next(list, e, i);
    if (e === null) break;
    if (ops.takeBusAddress(e)) continue;
    dma_direct_unmap_phys(dev, ops.dmaAddress(e), ops.dmaLen(e), dir, attrs);
  }
}

function direct_sync_entries<L, E>(
  ops: DirectEntryOps<L, E>, dev: device, list: L, nents: number, dir: dma_data_direction, forDevice: boolean,
): void {
  let e: E | null = null;
  for (let i = 0; i < nents; i++) {
    e = ops.next(list, e, i);
    if (e === null) break;
    if (forDevice) dma_direct_sync_single_for_device(dev, ops.dmaAddress(e), ops.len(e), dir);
    else dma_direct_sync_single_for_cpu(dev, ops.dmaAddress(e), ops.len(e), dir);
  }
}

/**
 * dma_direct_map_sg - map each scatterlist entry separately (no merging).
 *
 * Kernel: kernel/dma/direct.c dma_direct_map_sg()
 * Divergence: no PCI P2PDMA pages exist in rdmaemu, so no entry gets a bus address and
 * -EREMOTEIO never occurs. Like the kernel, SG_DMA_SWIOTLB is not set on this path (only
 * dma-iommu sets it).
 * @returns nents, or -EIO (as a negative number) after unmapping what was mapped
 * @example
 * ```ts
 * const n = dma_direct_map_sg(dev, sgt.sgl, sgt.orig_nents, DMA_TO_DEVICE, 0); // === orig_nents
 * ```
 */
export function dma_direct_map_sg(
  dev: device, sgl: sgl_ref, nents: number, dir: dma_data_direction, attrs: number,
): number {
  return direct_map_entries(sgOps, dev, sgl, nents, dir, attrs);
}

/**
 * dma_direct_unmap_sg - unmap each entry (the original nents).
 *
 * Kernel: kernel/dma/direct.c dma_direct_unmap_sg()
 */
export function dma_direct_unmap_sg(
  dev: device, sgl: sgl_ref, nents: number, dir: dma_data_direction, attrs: number,
): void {
  direct_unmap_entries(sgOps, dev, sgl, nents, dir, attrs);
}

/** Kernel: kernel/dma/direct.c dma_direct_sync_sg_for_device() */
export function dma_direct_sync_sg_for_device(dev: device, sgl: sgl_ref, nents: number, dir: dma_data_direction): void {
  direct_sync_entries(sgOps, dev, sgl, nents, dir, true);
}

/** Kernel: kernel/dma/direct.c dma_direct_sync_sg_for_cpu() */
export function dma_direct_sync_sg_for_cpu(dev: device, sgl: sgl_ref, nents: number, dir: dma_data_direction): void {
  direct_sync_entries(sgOps, dev, sgl, nents, dir, false);
}

/**
 * dma_direct_map_bvecs - map each bio_vec separately into its bv_dma_address / bv_dma_length (no merging).
 *
 * Kernel: RFC "[PATCH RFC 5/9] dma-direct: Support direct mapping bio_vec arrays" dma_direct_map_bvecs()
 * @returns nents, or -EIO after unmapping (with SKIP_CPU_SYNC) what was mapped
 * @example
 * ```ts
 * dma_direct_map_bvecs(dev, bvecs, bvecs.length, DMA_FROM_DEVICE, 0) === bvecs.length;
 * ```
 */
export function dma_direct_map_bvecs(
  dev: device, bvecs: readonly bio_vec[], nents: number, dir: dma_data_direction, attrs: number,
): number {
  return direct_map_entries(bvecOps, dev, bvecs, nents, dir, attrs);
}

/** Kernel: RFC 5/9 dma_direct_unmap_bvecs() */
export function dma_direct_unmap_bvecs(
  dev: device, bvecs: readonly bio_vec[], nents: number, dir: dma_data_direction, attrs: number,
): void {
  direct_unmap_entries(bvecOps, dev, bvecs, nents, dir, attrs);
}

/** Kernel: RFC 5/9 dma_direct_sync_bvecs_for_device() */
export function dma_direct_sync_bvecs_for_device(dev: device, bvecs: readonly bio_vec[], nelems: number, dir: dma_data_direction): void {
  direct_sync_entries(bvecOps, dev, bvecs, nelems, dir, true);
}

/** Kernel: RFC 5/9 dma_direct_sync_bvecs_for_cpu() */
export function dma_direct_sync_bvecs_for_cpu(dev: device, bvecs: readonly bio_vec[], nelems: number, dir: dma_data_direction): void {
  direct_sync_entries(bvecOps, dev, bvecs, nelems, dir, false);
}

/**
 * dma_direct_addressing_limited - true when the device cannot reach all of RAM directly.
 *
 * Kernel: kernel/dma/mapping.c dma_addressing_limited() (the dma-direct half)
 */
export function dma_direct_addressing_limited(dev: device): boolean {
  return min_not_zero(dev.dma_mask ?? 0, dev.bus_dma_limit) < dma_direct_get_required_mask(dev);
}

/**
 * dma_direct_max_mapping_size - the largest single mapping: swiotlb's limit when the device may bounce, else SIZE_MAX.
 *
 * Kernel: kernel/dma/direct.c dma_direct_max_mapping_size()
 * @returns a byte count; SIZE_MAX is U64_MAX
 */
export function dma_direct_max_mapping_size(dev: device): number {
  if (is_swiotlb_active(dev) && (dma_direct_addressing_limited(dev) || is_swiotlb_force_bounce(dev))) {
    return swiotlb_max_mapping_size(dev);
  }
  return U64_MAX;
}

/**
 * dma_direct_need_sync - does this mapping need dma_sync_* calls (non-coherent, or bounced)?
 *
 * Kernel: kernel/dma/direct.c dma_direct_need_sync()
 */
export function dma_direct_need_sync(dev: device, dma_addr: dma_addr_t): boolean {
  return !dev_is_dma_coherent(dev) || is_swiotlb_buffer(dev, dma_to_phys(dev, dma_addr));
}
