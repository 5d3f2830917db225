/**
 * device - struct device as DMA sees it: masks, segment limits, coherence, IOMMU and swiotlb.
 *
 * Kernel: include/linux/device.h (struct device), include/linux/dma-mapping.h
 *         (dma_get_max_seg_size, dma_get_seg_boundary, dma_get_min_align_mask, dma_set_*),
 *         include/linux/dma-map-ops.h (dev_is_dma_coherent), include/linux/iommu-dma.h (use_dma_iommu),
 *         include/linux/dev_printk.h (dev_err, dev_warn, dev_WARN_ONCE)
 *
 * Operation: a device belongs to one emulated host (`DmaHost`) and DMAs into that host's memory.
 * Its DMA configuration is what the bus and driver would set up: `dma_mask` (streaming),
 * `coherent_dma_mask`, `bus_dma_limit` (a bridge's limit; 0 = none), a bus offset for
 * `phys_to_dma`, `dma_parms` (max segment size, segment boundary, min_align_mask), whether it is
 * cache-coherent, whether it is untrusted (forces bouncing of sub-granule IOMMU mappings), and
 * either an IOMMU default domain (`use_dma_iommu`) or dma-direct with an optional swiotlb pool.
 *
 * Warnings a driver causes (`dev_WARN_ONCE`) are logged to the host's dmesg and counted, never
 * thrown: the kernel keeps going after them and so must a session.
 */
import { KERN_ERR, KERN_INFO, KERN_WARNING, printk } from '@rdmaemu/sim-core';
import type { Dmesg } from '@rdmaemu/sim-core';
import { U64_MAX } from './_bits.js';
import { DMA_BIT_MASK } from './dma-mapping.h.js';
import { DmaCounters, type DmaFamily, type DmaStatKey } from './dma-stats.js';
import type { PhysicalMemory } from './memory.js';
import type { io_tlb_mem } from './swiotlb.js';
import type { iommu_domain } from './iommu.js';
import type { dma_debug } from './debug.js';

/** Kernel: include/linux/device.h struct device_dma_parameters */
export interface device_dma_parameters {
  /** @default 65536 (SZ_64K: the kernel's answer when a device has no dma_parms) */
  max_segment_size: number;
  /** Segments may not cross a (mask+1) boundary. @default ULONG_MAX (no boundary) */
  segment_boundary_mask: number;
  /** Low address bits a bounce buffer must preserve. @default 0 */
  min_align_mask: number;
}

/** What a device is attached to: enough of a host for the DMA layer. */
export interface DeviceHost {
  readonly name: string;
  readonly mem: PhysicalMemory;
  readonly log: Dmesg;
  /** The host's dma-debug, or null when disabled. */
  readonly debug: dma_debug | null;
}

/** DeviceInit - how a bus and driver configure a device for DMA. */
export interface DeviceInit {
  /** dev_name(), e.g. `'0000:01:00.0'` or `'rxe0'`. */
  name: string;
  /** The bound driver's name (dma-debug's driver_filter and messages). @default 'rdmaemu' */
  driver?: string;
  /** Streaming DMA mask. @default DMA_BIT_MASK(64) */
  dma_mask?: number;
  /** @default the dma_mask */
  coherent_dma_mask?: number;
  /** An upstream bridge's addressing limit; 0 = none. @default 0 */
  bus_dma_limit?: number;
  /** Added by phys_to_dma (dma_range_map with one range). @default 0 */
  dma_bus_offset?: number;
  /** Cache-coherent DMA (x86 and most servers). @default true */
  coherent?: boolean;
  max_segment_size?: number;
  segment_boundary_mask?: number;
  min_align_mask?: number;
  /** An external-facing device (Thunderbolt): sub-granule IOMMU mappings bounce. @default false */
  untrusted?: boolean;
  /** Bounce every streaming mapping through swiotlb (swiotlb=force, CoCo VMs). @default false */
  force_bounce?: boolean;
}

/**
 * device - struct device, the DMA-relevant part.
 *
 * Kernel: include/linux/device.h struct device
 * Divergence: `host` and `stats` are rdmaemu's: the host stands for the machine the kernel's
 * globals (swiotlb default pool, dma-debug hash, dmesg) belong to; stats are cost counters.
 */
export class device {
  readonly name: string;
  driver: string;
  readonly host: DeviceHost;
  /** Kernel: dev->dma_mask (a pointer in C; null means "no DMA mask set"). */
  dma_mask: number | null;
  coherent_dma_mask: number;
  bus_dma_limit: number;
  dma_bus_offset: number;
  dma_coherent: boolean;
  readonly dma_parms: device_dma_parameters;
  untrusted: boolean;
  /** Kernel: dev->dma_io_tlb_mem - the swiotlb pool this device bounces through, or null. */
  dma_io_tlb_mem: io_tlb_mem | null = null;
  /** Kernel: is_swiotlb_force_bounce() is the pool's force_bounce; here it is per device. */
  dma_force_bounce: boolean;
  /** Kernel: dev->dma_skip_sync - set for coherent devices, cleared on the first bounce. */
  dma_skip_sync: boolean;
  /** Kernel: dev->dma_iommu - DMA goes through dma-iommu (use_dma_iommu()). */
  dma_iommu = false;
  /** Kernel: iommu_get_domain_for_dev(dev) - the attached domain, or null. */
  iommu_domain: iommu_domain | null = null;
  /** The API family of the mapping call in progress (dma-stats.ts). */
  dma_family: DmaFamily = 'none';
  readonly stats = new DmaCounters();
  /** Driver unbound (device_release_driver): dma-debug checks for leaks then. */
  released = false;
  private readonly warnedOnce = new Set<string>();
  /** How many dev_WARN_ONCE conditions fired (each logs once). */
  warn_count = 0;

  constructor(host: DeviceHost, init: DeviceInit) {
    this.host = host;
    this.name = init.name;
    this.driver = init.driver ?? 'rdmaemu';
    this.dma_mask = init.dma_mask ?? DMA_BIT_MASK(64);
    this.coherent_dma_mask = init.coherent_dma_mask ?? this.dma_mask;
    this.bus_dma_limit = init.bus_dma_limit ?? 0;
    this.dma_bus_offset = init.dma_bus_offset ?? 0;
    this.dma_coherent = init.coherent ?? true;
    this.dma_parms = {
      max_segment_size: init.max_segment_size ?? 65536,
      segment_boundary_mask: init.segment_boundary_mask ?? U64_MAX,
      min_align_mask: init.min_align_mask ?? 0,
    };
    this.untrusted = init.untrusted ?? false;
    this.dma_force_bounce = init.force_bounce ?? false;
    this.dma_skip_sync = this.dma_coherent;
  }

  get mem(): PhysicalMemory {
    return this.host.mem;
  }

  /** @internal dev_WARN_ONCE bookkeeping */
  warnOnce(key: string): boolean {
    if (this.warnedOnce.has(key)) return false;
    this.warnedOnce.add(key);
    return true;
  }
}

/** Kernel: include/linux/device.h dev_name() */
export function dev_name(dev: device): string {
  return dev.name;
}

/** Kernel: drivers/base/core.c dev_driver_string() */
export function dev_driver_string(dev: device): string {
  return dev.driver;
}

/** Kernel: include/linux/dma-map-ops.h dev_is_dma_coherent() */
export function dev_is_dma_coherent(dev: device): boolean {
  return dev.dma_coherent;
}

/** Kernel: drivers/iommu/dma-iommu.c dev_is_untrusted() */
export function dev_is_untrusted(dev: device): boolean {
  return dev.untrusted;
}

/** Kernel: include/linux/iommu-dma.h use_dma_iommu() */
export function use_dma_iommu(dev: device): boolean {
  return dev.dma_iommu;
}

/** Kernel: include/linux/dma-mapping.h dma_get_max_seg_size() */
export function dma_get_max_seg_size(dev: device): number {
  return dev.dma_parms.max_segment_size;
}

/** Kernel: include/linux/dma-mapping.h dma_get_seg_boundary() - U64_MAX when there is none. */
export function dma_get_seg_boundary(dev: device): number {
  return dev.dma_parms.segment_boundary_mask;
}

/**
 * dma_get_seg_boundary_nr_pages - the segment boundary in units of 2^page_shift.
 *
 * Kernel: include/linux/dma-mapping.h dma_get_seg_boundary_nr_pages()
 */
export function dma_get_seg_boundary_nr_pages(dev: device, page_shift: number): number {
  const mask = dma_get_seg_boundary(dev);
  if (mask >= Number.MAX_SAFE_INTEGER) return 2 ** (64 - page_shift);
  return Math.floor(mask / 2 ** page_shift) + 1;
}

/** Kernel: include/linux/dma-mapping.h dma_get_min_align_mask() */
export function dma_get_min_align_mask(dev: device): number {
  return dev.dma_parms.min_align_mask;
}

/**
 * dma_set_max_seg_size - set the largest segment the device takes.
 *
 * Kernel: include/linux/dma-mapping.h dma_set_max_seg_size()
 */
export function dma_set_max_seg_size(dev: device, size: number): void {
  dev.dma_parms.max_segment_size = size;
}

/** Kernel: include/linux/dma-mapping.h dma_set_seg_boundary() */
export function dma_set_seg_boundary(dev: device, mask: number): void {
  dev.dma_parms.segment_boundary_mask = mask;
}

/** Kernel: include/linux/dma-mapping.h dma_set_min_align_mask() */
export function dma_set_min_align_mask(dev: device, min_align_mask: number): void {
  dev.dma_parms.min_align_mask = min_align_mask;
}

/** Kernel: include/linux/dma-mapping.h dma_set_mask(). Returns 0 (every mask is supported here). */
export function dma_set_mask(dev: device, mask: number): number {
  dev.dma_mask = mask;
  return 0;
}

/** Kernel: dma_set_coherent_mask(). Returns 0. */
export function dma_set_coherent_mask(dev: device, mask: number): number {
  dev.coherent_dma_mask = mask;
  return 0;
}

/** Kernel: dma_set_mask_and_coherent(). Returns 0. */
export function dma_set_mask_and_coherent(dev: device, mask: number): number {
  dma_set_mask(dev, mask);
  return dma_set_coherent_mask(dev, mask);
}

function dev_prefix(dev: device): string {
  return `${dev.driver} ${dev.name}: `;
}

/** Kernel: include/linux/dev_printk.h dev_err() - log to the host's dmesg. */
export function dev_err(dev: device, text: string): void {
  printk(dev.host.log, KERN_ERR, dev_prefix(dev) + text);
}

/** Kernel: dev_warn() */
export function dev_warn(dev: device, text: string): void {
  printk(dev.host.log, KERN_WARNING, dev_prefix(dev) + text);
}

/** Kernel: dev_info() */
export function dev_info(dev: device, text: string): void {
  printk(dev.host.log, KERN_INFO, dev_prefix(dev) + text);
}

/**
 * dev_WARN_ONCE - log a warning the first time `cond` holds for this device and `key`.
 *
 * Kernel: include/linux/dev_printk.h dev_WARN_ONCE()
 * Divergence: never throws, even in strict mode: the kernel's DMA layer keeps going after these
 * (it returns DMA_MAPPING_ERROR), and callers test that outcome. The count is `dev.warn_count`.
 * @returns cond
 */
export function dev_WARN_ONCE(dev: device, cond: boolean, text: string, key = text): boolean {
  if (!cond) return false;
  dev.warn_count++;
  if (dev.warnOnce(key)) printk(dev.host.log, KERN_WARNING, `WARNING: ${dev_prefix(dev)}${text}`);
  return true;
}

/**
 * dma_stat - charge `n` to a counter of the device total and of the family in progress.
 *
 * Emulator-only (dma-stats.ts).
 */
export function dma_stat(dev: device, key: DmaStatKey, n = 1): void {
  dev.stats.total[key] += n;
  dev.stats.family[dev.dma_family][key] += n;
}
