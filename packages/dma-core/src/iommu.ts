/**
 * iommu - IOMMU domains: I/O page tables, the IOTLB, faults, and the device-side translation.
 *
 * Kernel: drivers/iommu/iommu.c (iommu_map, iommu_map_nosync, iommu_sync_map, iommu_unmap,
 *         iommu_unmap_fast, iommu_map_sg, iommu_iova_to_phys, report_iommu_fault),
 *         include/linux/iommu.h (IOMMU_READ.., IOMMU_DOMAIN_*, struct iommu_iotlb_gather),
 *         drivers/iommu/intel/dmar.c (the fault message), include/trace/events/iommu.h
 *
 * Operation: a domain is one I/O address space. Its page table maps IOVA page frames (4 KiB,
 * the only page size: `pgsize_bitmap = SZ_4K`) to physical page frames with a protection
 * (IOMMU_READ = the device may read, IOMMU_WRITE = the device may write). The CPU side edits the
 * table with `iommu_map*` / `iommu_unmap*`; the device side goes through `iommuTranslate()`,
 * which models the hardware walk: IOTLB first, then the table, prot checked on every page.
 *
 * IOTLB: translations the device used are cached (a direct-mapped table of IOTLB_ENTRIES
 * entries, filled on device access). Clearing a PTE does not touch the IOTLB; only
 * `iommu_iotlb_sync(domain, gather)` (the gathered range) or `iommu_flush_iotlb_all()` does. So a
 * stale entry keeps working for the device until the flush — the security window of lazy
 * (IOMMU_DOMAIN_DMA_FQ) mode, which dma-iommu.ts opens by deferring the flush to its flush queue.
 *
 * Caching mode (Divergence): PTEs written by `iommu_map_nosync()` are not visible to the device
 * until `iommu_sync_map()` covers them, as on an IOMMU in caching mode under virtualization
 * (VT-d CM=1, a virtio-iommu), where the map-side invalidation is what makes the host shadow the
 * new entry. A device access before the sync faults. `iommu_map()` (map + sync) is visible at
 * once. This is what makes "addresses are usable only after dma_iova_sync" (the dma_iova_* rule)
 * observable. Turn it off per domain with `caching_mode: false`.
 *
 * Faults: a missing/unsynced PTE or a prot violation on a device access is recorded in
 * `domain.faults` (the last IOMMU_FAULT_RECORDS), counted (`dma_stat(dev, 'faults')`), logged the
 * way Intel VT-d's driver logs it (`DMAR: [DMA Write NO_PASID] Request device [..] fault addr
 * 0x.. [fault reason 0x05] PTE Write access is not set`; ratelimited like dmar_fault when the
 * host has a clock), traced (`iommu:io_page_fault`) and reported to the domain's fault handler
 * (`report_iommu_fault`). The access is refused; the device sees an error, never an exception.
 *
 * Page table layout: a Map from (iova pfn / 512) to a Float64Array leaf of 512 entries — a
 * last-level table, 2 MiB of IOVA — so no object is allocated per PTE. An entry is
 * `phys_pfn * 256 + flags` (flags: prot in bits 0..5, PTE_VISIBLE bit 6, PTE_PRESENT bit 7);
 * 0 is an empty slot.
 *
 * Counters: `ptes_written`, `ptes_cleared`, `iotlb_flushes` (each non-empty iommu_iotlb_sync,
 * each iommu_flush_iotlb_all, and each iommu_sync_map — the caching-mode invalidation), `faults`,
 * charged to `domain.dev` (one device per domain here).
 *
 * Invariants: a PTE is never overwritten (EEXIST); the IOTLB only holds translations that were
 * present and visible when the device used them; everything outside [aperture_start,
 * aperture_end] is unmappable.
 */
import { BUG_ON, KernelError, KERN_ERR, defineTracepoint, errno, isKernelError, printk } from '@rdmaemu/sim-core';
import type { Dmesg, SimClock, dma_addr_t, phys_addr_t } from '@rdmaemu/sim-core';
import { fmt_pad } from './_bits.js';
import { dev_is_dma_coherent, dev_name, dma_stat, type device } from './device.js';
import { noncoherentShadowGet, noncoherentShadowPut } from './dma-noncoherent.js';
import { iommu_dma_init_domain, iommu_put_dma_cookie, type iommu_dma_cookie } from './dma-iommu.js';
import { for_each_sg, sg_dma_is_bus_address, sg_phys, type sgl_ref } from './scatterlist.js';

// include/linux/iommu.h: protection flags
/** Kernel: include/linux/iommu.h IOMMU_READ - the device may read. */
export const IOMMU_READ = 1 << 0;
/** Kernel: include/linux/iommu.h IOMMU_WRITE - the device may write. */
export const IOMMU_WRITE = 1 << 1;
/** Kernel: include/linux/iommu.h IOMMU_CACHE - DMA cache coherency. */
export const IOMMU_CACHE = 1 << 2;
/** Kernel: include/linux/iommu.h IOMMU_NOEXEC */
export const IOMMU_NOEXEC = 1 << 3;
/** Kernel: include/linux/iommu.h IOMMU_MMIO - device memory (no cache attributes). */
export const IOMMU_MMIO = 1 << 4;
/** Kernel: include/linux/iommu.h IOMMU_PRIV - privileged accesses only. */
export const IOMMU_PRIV = 1 << 5;

// include/linux/iommu.h: fault flags
/** Kernel: include/linux/iommu.h IOMMU_FAULT_READ */
export const IOMMU_FAULT_READ = 0x0;
/** Kernel: include/linux/iommu.h IOMMU_FAULT_WRITE */
export const IOMMU_FAULT_WRITE = 0x1;

// include/linux/iommu.h: domain types
/** Kernel: include/linux/iommu.h __IOMMU_DOMAIN_PAGING - supports iommu_map/unmap. */
export const __IOMMU_DOMAIN_PAGING = 1 << 0;
/** Kernel: include/linux/iommu.h __IOMMU_DOMAIN_DMA_API - used by the DMA API. */
export const __IOMMU_DOMAIN_DMA_API = 1 << 1;
/** Kernel: include/linux/iommu.h __IOMMU_DOMAIN_PT - identity mapped. */
export const __IOMMU_DOMAIN_PT = 1 << 2;
/** Kernel: include/linux/iommu.h __IOMMU_DOMAIN_DMA_FQ - the DMA API uses a flush queue. */
export const __IOMMU_DOMAIN_DMA_FQ = 1 << 3;
/** Kernel: include/linux/iommu.h IOMMU_DOMAIN_BLOCKED - all DMA is blocked. */
export const IOMMU_DOMAIN_BLOCKED = 0;
/** Kernel: include/linux/iommu.h IOMMU_DOMAIN_IDENTITY - DMA addresses are physical addresses. */
export const IOMMU_DOMAIN_IDENTITY = __IOMMU_DOMAIN_PT;
/** Kernel: include/linux/iommu.h IOMMU_DOMAIN_UNMANAGED - mappings managed by an IOMMU-API user. */
export const IOMMU_DOMAIN_UNMANAGED = __IOMMU_DOMAIN_PAGING;
/** Kernel: include/linux/iommu.h IOMMU_DOMAIN_DMA - the DMA API, strict invalidation. */
export const IOMMU_DOMAIN_DMA = __IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API;
/** Kernel: include/linux/iommu.h IOMMU_DOMAIN_DMA_FQ - the DMA API with batched (lazy) invalidation. */
export const IOMMU_DOMAIN_DMA_FQ = __IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API | __IOMMU_DOMAIN_DMA_FQ;

/** Kernel: include/linux/sizes.h SZ_4K - the only IOMMU page size here. */
export const SZ_4K = 4096;
/** Default aperture end: a 48-bit IOVA space (4-level VT-d / SMMU page tables). */
export const IOMMU_DEFAULT_APERTURE_END = 2 ** 48 - 1;
/** Default IOTLB size in entries (direct-mapped by iova pfn). */
export const IOTLB_ENTRIES = 512;
/** How many fault records a domain keeps (older ones are dropped; `nr_faults` counts all). */
export const IOMMU_FAULT_RECORDS = 64;

const PTE_VISIBLE = 1 << 6;
const PTE_PRESENT = 1 << 7;
const PTE_PROT_MASK = 0x3f;
const LEAF_SHIFT = 9;
const LEAF_ENTRIES = 1 << LEAF_SHIFT;
const PAGE = SZ_4K;

/** What a domain needs from the machine it belongs to (a DmaHost, or a test's DeviceHost). */
export interface IommuHost {
  readonly name: string;
  readonly log: Dmesg;
  /** The host's clock: arms the flush-queue timer and ratelimits fault messages. */
  readonly clock?: SimClock | null;
  /** iommu.forcedac=1: never try a 32-bit IOVA first for a >32-bit mask. @default false */
  readonly forcedac?: boolean;
}

/** IommuDomainInit - options of `iommu_domain_alloc()`. */
export interface IommuDomainInit {
  /** PTEs written without iommu_sync_map are invisible to the device. @default true */
  caching_mode?: boolean;
  /** @default 0 */
  aperture_start?: number;
  /** @default 2^48 − 1 */
  aperture_end?: number;
  /** IOTLB entries (a power of two). @default 512 */
  iotlb_entries?: number;
  /** Try a 32-bit IOVA first for >32-bit masks (pci_32bit_workaround). @default !host.forcedac */
  pci_32bit_workaround?: boolean;
}

/** Kernel: include/linux/iommu.h struct iommu_domain_geometry */
export interface iommu_domain_geometry {
  aperture_start: dma_addr_t;
  aperture_end: dma_addr_t;
  force_aperture: boolean;
}

/** Kernel: include/linux/iommu.h iommu_fault_handler_t - return 0 if handled. */
export type iommu_fault_handler_t = (domain: iommu_domain, dev: device, iova: number, flags: number, token: unknown) => number;

/** One recorded device fault. Emulator-only. */
export interface IommuFault {
  dev: device;
  iova: dma_addr_t;
  /** IOMMU_FAULT_READ or IOMMU_FAULT_WRITE */
  flags: number;
  /** The DMAR reason text, e.g. 'PTE Write access is not set'. */
  reason: string;
}

/**
 * iommu_domain - one IOMMU address space with its page table and IOTLB.
 *
 * Kernel: include/linux/iommu.h struct iommu_domain
 * Divergence: `dev` (one device per domain), `host`, `faults`, the page table and the IOTLB
 * live on the domain object; the kernel keeps the table in the IOMMU driver's io-pgtable.
 */
export class iommu_domain {
  type: number;
  /** Page sizes the domain maps: SZ_4K only. */
  readonly pgsize_bitmap = SZ_4K;
  readonly geometry: iommu_domain_geometry;
  readonly host: IommuHost;
  /** The attached device, charged for the domain's counters. */
  dev: device | null = null;
  /** Kernel: domain->iova_cookie (dma-iommu's state), set when a DMA domain is attached. */
  iova_cookie: iommu_dma_cookie | null = null;
  handler: iommu_fault_handler_t | null = null;
  handler_token: unknown = null;
  /** The most recent faults, oldest first. */
  readonly faults: IommuFault[] = [];
  /** Faults seen in all. */
  nr_faults = 0;
  /** PTEs written by map_nosync are invisible until iommu_sync_map. */
  readonly caching_mode: boolean;
  /** dev->iommu->pci_32bit_workaround: try below 4 GiB first. */
  pci_32bit_workaround: boolean;
  /** Present PTEs. */
  nr_ptes = 0;
  /** @internal leaf tables keyed by iova pfn >> 9 */
  readonly pt = new Map<number, Float64Array>();
  /** @internal IOTLB tags (iova pfn + 1; 0 = empty) */
  readonly iotlb_tag: Float64Array;
  /** @internal IOTLB data (a PTE value) */
  readonly iotlb_pte: Float64Array;
  /** @internal */
  readonly iotlb_mask: number;
  /** @internal fault ratelimit window start (ns) and count */
  rl_begin = -Infinity;
  rl_printed = 0;
  rl_missed = 0;
  private lastKey = -1;
  private lastLeaf: Float64Array | null = null;

  constructor(host: IommuHost, type: number, init: IommuDomainInit = {}) {
    this.host = host;
    this.type = type;
    this.geometry = {
      aperture_start: init.aperture_start ?? 0,
      aperture_end: init.aperture_end ?? IOMMU_DEFAULT_APERTURE_END,
      force_aperture: true,
    };
    this.caching_mode = init.caching_mode ?? true;
    this.pci_32bit_workaround = init.pci_32bit_workaround ?? !host.forcedac;
    const n = init.iotlb_entries ?? IOTLB_ENTRIES;
    BUG_ON(!(n > 0 && (n & (n - 1)) === 0 && n < 2 ** 30), `iommu_domain_alloc: iotlb_entries ${n} is not a power of two`);
    this.iotlb_tag = new Float64Array(n);
    this.iotlb_pte = new Float64Array(n);
    this.iotlb_mask = n - 1;
  }

  /** @internal the leaf holding `pfn`, created if `create`. */
  leaf(pfn: number, create: boolean): Float64Array | null {
    const key = Math.floor(pfn / LEAF_ENTRIES);
    if (key === this.lastKey) return this.lastLeaf;
    let l = this.pt.get(key);
    if (!l) {
      if (!create) return null;
      l = new Float64Array(LEAF_ENTRIES);
      this.pt.set(key, l);
    }
    this.lastKey = key;
    this.lastLeaf = l;
    return l;
  }

  /** @internal the PTE value of `pfn` (0 if none). */
  pte(pfn: number): number {
    const l = this.leaf(pfn, false);
    return l === null ? 0 : l[pfn % LEAF_ENTRIES]!;
  }
}

/**
 * iommu_iotlb_gather - the range unmapped since the last iommu_iotlb_sync.
 *
 * Kernel: include/linux/iommu.h struct iommu_iotlb_gather
 */
export class iommu_iotlb_gather {
  start = Number.POSITIVE_INFINITY;
  end = 0;
  pgsize = 0;
  /** The caller will flush via the flush queue (dma-iommu's lazy mode). */
  queued = false;
}

// include/trace/events/iommu.h
const trace_map = defineTracepoint<{ iova: number; paddr: number; size: number }>('iommu', 'map', (f) =>
  `IOMMU: iova=${fmt_pad(f.iova)} - ${fmt_pad(f.iova + f.size)} paddr=${fmt_pad(f.paddr)} size=${f.size}`);
const trace_unmap = defineTracepoint<{ iova: number; size: number; unmapped_size: number }>('iommu', 'unmap', (f) =>
  `IOMMU: iova=${fmt_pad(f.iova)} - ${fmt_pad(f.iova + f.size)} size=${f.size} unmapped_size=${f.unmapped_size}`);
const trace_io_page_fault = defineTracepoint<{ driver: string; device: string; iova: number; flags: number }>(
  'iommu', 'io_page_fault', (f) =>
    `IOMMU:${f.driver} ${f.device} iova=${fmt_pad(f.iova)} flags=0x${f.flags.toString(16).padStart(4, '0')}`);

/**
 * iommu_domain_alloc - a new, empty domain of `type` on `host`.
 *
 * Kernel: drivers/iommu/iommu.c iommu_domain_alloc() / __iommu_domain_alloc()
 * Divergence: takes the host (the kernel takes a bus or device) and the domain type
 * (the kernel picks DMA/DMA_FQ for default domains from iommu.strict / iommu.passthrough).
 * @example A strict DMA domain for a device
 * ```ts
 * const dev = new device({ name: 'h', mem, log: new Dmesg(), debug: null }, { name: 'dev0' });
 * iommu_attach_device(iommu_domain_alloc(dev.host, IOMMU_DOMAIN_DMA), dev);
 * ```
 */
export function iommu_domain_alloc(host: IommuHost, type: number, init?: IommuDomainInit): iommu_domain {
  return new iommu_domain(host, type, init);
}

/**
 * iommu_domain_free - release a domain (its dma-iommu cookie and flush queue included).
 *
 * Kernel: drivers/iommu/iommu.c iommu_domain_free()
 */
export function iommu_domain_free(domain: iommu_domain): void {
  if (domain.iova_cookie) iommu_put_dma_cookie(domain);
  domain.pt.clear();
  domain.nr_ptes = 0;
  domain.iotlb_tag.fill(0);
}

/** Kernel: include/linux/iommu.h iommu_is_dma_domain() */
export function iommu_is_dma_domain(domain: iommu_domain): boolean {
  return (domain.type & __IOMMU_DOMAIN_DMA_API) !== 0;
}

/**
 * iommu_attach_device - attach `dev` to `domain`; for a DMA domain also set up dma-iommu.
 *
 * Kernel: drivers/iommu/iommu.c iommu_attach_device(), drivers/iommu/dma-iommu.c iommu_setup_dma_ops()
 * Sets `dev.iommu_domain`; for IOMMU_DOMAIN_DMA / DMA_FQ runs `iommu_dma_init_domain()` and sets
 * `dev.dma_iommu` (use_dma_iommu()).
 * Divergence: one device per domain (the kernel attaches groups).
 * @throws KernelError EBUSY if the device already has another domain, or the domain another device
 * @throws KernelError EFAULT if the domain's aperture is unusable (iommu_dma_init_domain)
 */
export function iommu_attach_device(domain: iommu_domain, dev: device): void {
  if ((dev.iommu_domain && dev.iommu_domain !== domain) || (domain.dev && domain.dev !== dev)) {
    throw new KernelError('EBUSY', `iommu_attach_device ${dev_name(dev)}: already attached`);
  }
  domain.dev = dev;
  dev.iommu_domain = domain;
  // iommu_setup_dma_ops()
  dev.dma_iommu = iommu_is_dma_domain(domain);
  if (dev.dma_iommu) {
    try {
      iommu_dma_init_domain(domain, dev);
    } catch (e) {
      printk(domain.host.log, KERN_ERR, `Failed to set up IOMMU for device ${dev_name(dev)}; retaining platform DMA ops`);
      dev.dma_iommu = false;
      throw e;
    }
  }
}

/**
 * iommu_detach_device - detach `dev`; DMA goes back to dma-direct.
 *
 * Kernel: drivers/iommu/iommu.c iommu_detach_device()
 * @throws KernelError EINVAL if dev is not attached to domain
 */
export function iommu_detach_device(domain: iommu_domain, dev: device): void {
  if (dev.iommu_domain !== domain) throw new KernelError('EINVAL', `iommu_detach_device ${dev_name(dev)}: not attached`);
  dev.iommu_domain = null;
  dev.dma_iommu = false;
  domain.dev = null;
}

/** Kernel: include/linux/iommu.h iommu_get_domain_for_dev() */
export function iommu_get_domain_for_dev(dev: device): iommu_domain | null {
  return dev.iommu_domain;
}

/** Kernel: drivers/iommu/iommu.c iommu_get_dma_domain() - the default (DMA) domain. */
export function iommu_get_dma_domain(dev: device): iommu_domain {
  return dev.iommu_domain!;
}

function check_map_args(domain: iommu_domain, iova: number, paddr: number, size: number): void {
  if ((domain.type & __IOMMU_DOMAIN_PAGING) === 0) {
    throw new KernelError('EINVAL', `iommu_map: domain type ${domain.type} has no page table`);
  }
  if (iova % PAGE !== 0 || paddr % PAGE !== 0 || size % PAGE !== 0) {
    printk(domain.host.log, KERN_ERR,
      `iommu: unaligned: iova 0x${iova.toString(16)} pa ${fmt_pad(paddr)} size 0x${size.toString(16)} min_pagesz 0x1000`);
    throw new KernelError('EINVAL', `iommu_map: unaligned iova 0x${iova.toString(16)} pa ${fmt_pad(paddr)} size 0x${size.toString(16)}`);
  }
  const g = domain.geometry;
  if (size > 0 && (iova < g.aperture_start || iova + size - 1 > g.aperture_end)) {
    throw new KernelError('EINVAL', `iommu_map: iova 0x${iova.toString(16)}+0x${size.toString(16)} outside the aperture`);
  }
}

/**
 * iommu_map_nosync - write the PTEs for [iova, iova+size) → [paddr, ...) without the IOTLB sync.
 *
 * Kernel: drivers/iommu/iommu.c iommu_map_nosync() / __iommu_map()
 * Divergence: in caching mode (the default) the new PTEs stay invisible to the device until
 * `iommu_sync_map()` covers them. On failure, the PTEs this call wrote are removed again
 * (the kernel's unwind).
 * @throws KernelError EINVAL for a misaligned iova/paddr/size, a non-paging domain, or a range
 *         outside the aperture
 * @throws KernelError EEXIST if a PTE in the range is already present (io-pgtable's -EEXIST)
 */
export function iommu_map_nosync(domain: iommu_domain, iova: number, paddr: number, size: number, prot: number): void {
  check_map_args(domain, iova, paddr, size);
  const n = size / PAGE;
  let pfn = iova / PAGE;
  let ppfn = paddr / PAGE;
  const flags = PTE_PRESENT | (domain.caching_mode ? 0 : PTE_VISIBLE) | (prot & PTE_PROT_MASK);
  for (let i = 0; i < n; i++, pfn++, ppfn++) {
    const l = domain.leaf(pfn, true)!;
    const k = pfn % LEAF_ENTRIES;
    if (l[k] !== 0) {
      // undo the PTEs written so far
      clear_ptes(domain, iova / PAGE, i);
      throw new KernelError('EEXIST', `iommu_map: iova 0x${(pfn * PAGE).toString(16)} already mapped`);
    }
    l[k] = ppfn * 256 + flags;
  }
  const nc = noncoherent_dev(domain);
  if (nc !== null) noncoherentShadowGet(nc.mem, paddr, size);
  domain.nr_ptes += n;
  if (domain.dev) dma_stat(domain.dev, 'ptes_written', n);
  if (trace_map.enabled) trace_map.emit({ iova, paddr, size });
}

/**
 * Visit every page-table slot of [iova, iova+size) that has a leaf, skipping absent leaves whole;
 * `fn` returns true to stop. @returns whether `fn` stopped the walk
 */
function forEachPte(domain: iommu_domain, iova: number, size: number, fn: (leaf: Float64Array, k: number) => boolean): boolean {
  const end = Math.ceil((iova + size) / PAGE);
  for (let pfn = Math.floor(iova / PAGE); pfn < end; pfn++) {
    const l = domain.leaf(pfn, false);
    if (l === null) {
      pfn = (Math.floor(pfn / LEAF_ENTRIES) + 1) * LEAF_ENTRIES - 1;
      continue;
    }
    if (fn(l, pfn % LEAF_ENTRIES)) return true;
  }
  return false;
}

/**
 * iommu_sync_map - make the PTEs of [iova, iova+size) visible to the device (iotlb_sync_map).
 *
 * Kernel: drivers/iommu/iommu.c iommu_sync_map()
 * Counts one `iotlb_flushes` (the caching-mode invalidation) when the domain is in caching mode.
 * @returns 0
 */
export function iommu_sync_map(domain: iommu_domain, iova: number, size: number): number {
  if (!domain.caching_mode) return 0;
  forEachPte(domain, iova, size, (l, k) => {
    const e = l[k]!;
    if (e !== 0 && e % 256 < PTE_PRESENT + PTE_VISIBLE) l[k] = e + PTE_VISIBLE;
    return false;
  });
  if (domain.dev) dma_stat(domain.dev, 'iotlb_flushes', 1);
  return 0;
}

/**
 * iommu_map - map and sync: the device can use [iova, iova+size) as soon as this returns.
 *
 * Kernel: drivers/iommu/iommu.c iommu_map()
 * @throws KernelError EINVAL / EEXIST as iommu_map_nosync
 * @example
 * ```ts
 * iommu_map(domain, 0x10000, phys, 4096, IOMMU_READ | IOMMU_WRITE);
 * iommu_iova_to_phys(domain, 0x10010); // phys + 0x10
 * ```
 */
export function iommu_map(domain: iommu_domain, iova: number, paddr: number, size: number, prot: number): void {
  iommu_map_nosync(domain, iova, paddr, size, prot);
  iommu_sync_map(domain, iova, size);
}

/**
 * A non-coherent device reaches a page only through a PTE, so the page's DRAM shadow
 * (dma-noncoherent.ts) lives exactly as long as a PTE points at it: a reference per PTE.
 */
function noncoherent_dev(domain: iommu_domain): device | null {
  const dev = domain.dev;
  return dev !== null && !dev_is_dma_coherent(dev) ? dev : null;
}

/** Clear one present PTE, dropping its shadow reference. */
function clear_pte(l: Float64Array, k: number, nc: device | null): void {
  if (nc !== null) noncoherentShadowPut(nc.mem, Math.floor(l[k]! / 256) * PAGE, PAGE);
  l[k] = 0;
}

/** Clear n PTEs from pfn (no IOTLB invalidation); returns how many were present. */
function clear_ptes(domain: iommu_domain, pfn: number, n: number): number {
  const nc = noncoherent_dev(domain);
  let cleared = 0;
  for (let i = 0; i < n; i++, pfn++) {
    const l = domain.leaf(pfn, false);
    if (l === null) continue;
    const k = pfn % LEAF_ENTRIES;
    if (l[k] !== 0) {
      clear_pte(l, k, nc);
      cleared++;
    }
  }
  return cleared;
}

/** Kernel: include/linux/iommu.h iommu_iotlb_gather_init() */
export function iommu_iotlb_gather_init(gather: iommu_iotlb_gather): void {
  gather.start = Number.POSITIVE_INFINITY;
  gather.end = 0;
  gather.pgsize = 0;
  gather.queued = false;
}

/**
 * iommu_unmap_fast - clear the PTEs of [iova, iova+size) and add the range to `gather`; no flush.
 *
 * Kernel: drivers/iommu/iommu.c iommu_unmap_fast() / __iommu_unmap()
 * Stops at the first page that is not mapped, as __iommu_unmap does.
 * @returns the bytes unmapped (0 for a misaligned request, after the kernel's "unaligned" message)
 */
export function iommu_unmap_fast(domain: iommu_domain, iova: number, size: number, gather: iommu_iotlb_gather): number {
  if ((domain.type & __IOMMU_DOMAIN_PAGING) === 0) return 0;
  if (iova % PAGE !== 0 || size % PAGE !== 0) {
    printk(domain.host.log, KERN_ERR,
      `iommu: unaligned: iova 0x${iova.toString(16)} size 0x${size.toString(16)} min_pagesz 0x1000`);
    return 0;
  }
  const n = size / PAGE;
  const nc = noncoherent_dev(domain);
  let pfn = iova / PAGE;
  let i = 0;
  for (; i < n; i++, pfn++) {
    const l = domain.leaf(pfn, false);
    const k = pfn % LEAF_ENTRIES;
    if (l === null || l[k] === 0) break;
    clear_pte(l, k, nc);
  }
  const unmapped = i * PAGE;
  if (i > 0) {
    domain.nr_ptes -= i;
    if (domain.dev) dma_stat(domain.dev, 'ptes_cleared', i);
    // iommu_iotlb_gather_add_range()
    gather.start = Math.min(gather.start, iova);
    gather.end = Math.max(gather.end, iova + unmapped - 1);
    gather.pgsize = PAGE;
  }
  if (trace_unmap.enabled) trace_unmap.emit({ iova, size, unmapped_size: unmapped });
  return unmapped;
}

/**
 * iommu_iotlb_sync - invalidate the gathered range in the IOTLB, then reset the gather.
 *
 * Kernel: include/linux/iommu.h iommu_iotlb_sync()
 */
export function iommu_iotlb_sync(domain: iommu_domain, gather: iommu_iotlb_gather): void {
  if (gather.start <= gather.end) {
    iotlb_invalidate(domain, gather.start, gather.end);
    if (domain.dev) dma_stat(domain.dev, 'iotlb_flushes', 1);
  }
  iommu_iotlb_gather_init(gather);
}

function iotlb_invalidate(domain: iommu_domain, start: number, last: number): void {
  const first = Math.floor(start / PAGE);
  const end = Math.floor(last / PAGE) + 1;
  const tags = domain.iotlb_tag;
  if (end - first >= tags.length) {
    for (let i = 0; i < tags.length; i++) {
      const t = tags[i]!;
      if (t !== 0 && t - 1 >= first && t - 1 < end) tags[i] = 0;
    }
    return;
  }
  for (let pfn = first; pfn < end; pfn++) {
    const i = pfn & domain.iotlb_mask;
    if (tags[i] === pfn + 1) tags[i] = 0;
  }
}

/**
 * iommu_flush_iotlb_all - invalidate the whole IOTLB.
 *
 * Kernel: include/linux/iommu.h iommu_flush_iotlb_all()
 */
export function iommu_flush_iotlb_all(domain: iommu_domain): void {
  domain.iotlb_tag.fill(0);
  if (domain.dev) dma_stat(domain.dev, 'iotlb_flushes', 1);
}

/**
 * iommu_unmap - unmap and flush: once this returns, the device can no longer reach the range.
 *
 * Kernel: drivers/iommu/iommu.c iommu_unmap()
 * @returns the bytes unmapped
 */
export function iommu_unmap(domain: iommu_domain, iova: number, size: number): number {
  const gather = new iommu_iotlb_gather();
  const unmapped = iommu_unmap_fast(domain, iova, size, gather);
  iommu_iotlb_sync(domain, gather);
  return unmapped;
}

/**
 * iommuMapRuns - map physical runs back to back from `iova`, then sync once (the core of
 * iommu_map_sg, shared by the sg and bvec paths).
 *
 * Emulator-only helper behind `iommu_map_sg` (drivers/iommu/iommu.c): runs are given as parallel
 * arrays; physically contiguous runs are coalesced into one iommu_map_nosync, a run with
 * `phys < 0` is skipped (a bus-address segment).
 * @returns the bytes mapped, or a negative errno (everything mapped so far is unmapped again)
 */
export function iommuMapRuns(domain: iommu_domain, iova: number, phys: ArrayLike<number>, lens: ArrayLike<number>, n: number, prot: number): number {
  let mapped = 0;
  let start = 0;
  let len = 0;
  try {
    for (let i = 0; i <= n; i++) {
      const p = i < n ? phys[i]! : -1;
      const l = i < n ? lens[i]! : 0;
      if (i < n && p < 0) continue;
      if (len && i < n && start + len === p) {
        len += l;
        continue;
      }
      if (len) {
        iommu_map_nosync(domain, iova + mapped, start, len, prot);
        mapped += len;
      }
      start = p;
      len = l;
    }
    iommu_sync_map(domain, iova, mapped);
    return mapped;
  } catch (e) {
    if (!isKernelError(e)) throw e;
    if (mapped) iommu_unmap(domain, iova, mapped);
    return -e.errno;
  }
}

/**
 * iommu_map_sg - map an sg list's pages back to back from `iova`, then sync once.
 *
 * Kernel: drivers/iommu/iommu.c iommu_map_sg()
 * Physically contiguous entries are mapped with one iommu_map_nosync; bus-address (P2P) entries
 * are skipped. Every entry's offset and length must be granule-aligned (dma-iommu prepares them).
 * @returns the bytes mapped, or a negative errno (-EINVAL, -EEXIST) after undoing what was mapped
 * @example
 * ```ts
 * const mapped = iommu_map_sg(domain, 0x100000, sgl, 2, IOMMU_READ);
 * ```
 */
export function iommu_map_sg(domain: iommu_domain, iova: number, sg: sgl_ref, nents: number, prot: number): number {
  const phys: number[] = [];
  const lens: number[] = [];
  for (const s of for_each_sg(sg, nents)) {
    phys.push(sg_dma_is_bus_address(s) ? -1 : sg_phys(s));
    lens.push(s.length);
  }
  return iommuMapRuns(domain, iova, phys, lens, phys.length, prot);
}

/**
 * iommu_iova_to_phys - the physical address `iova` maps to, or 0.
 *
 * Kernel: drivers/iommu/iommu.c iommu_iova_to_phys()
 * An identity domain returns iova; a blocked one 0. PTEs not yet synced count (this is the CPU's
 * view of the table).
 */
export function iommu_iova_to_phys(domain: iommu_domain, iova: dma_addr_t): phys_addr_t {
  if (domain.type === IOMMU_DOMAIN_IDENTITY) return iova;
  if ((domain.type & __IOMMU_DOMAIN_PAGING) === 0) return 0;
  const pfn = Math.floor(iova / PAGE);
  const e = domain.pte(pfn);
  if (e === 0) return 0;
  const flags = e % 256;
  return ((e - flags) / 256) * PAGE + (iova - pfn * PAGE);
}

/**
 * iommuPteProt - the prot of the PTE at `iova`, or −1 when none (tests). Emulator-only.
 */
export function iommuPteProt(domain: iommu_domain, iova: dma_addr_t): number {
  const e = domain.pte(Math.floor(iova / PAGE));
  return e === 0 ? -1 : e % 256 & PTE_PROT_MASK;
}

/**
 * iommu_set_fault_handler - install the handler report_iommu_fault calls.
 *
 * Kernel: drivers/iommu/iommu.c iommu_set_fault_handler()
 */
export function iommu_set_fault_handler(domain: iommu_domain, handler: iommu_fault_handler_t | null, token: unknown = null): void {
  domain.handler = handler;
  domain.handler_token = token;
}

/**
 * report_iommu_fault - run the domain's fault handler and the io_page_fault tracepoint.
 *
 * Kernel: drivers/iommu/iommu.c report_iommu_fault()
 * @returns the handler's result, or -ENOSYS when there is none
 */
export function report_iommu_fault(domain: iommu_domain, dev: device, iova: number, flags: number): number {
  let ret = -errno.ENOSYS;
  if (domain.handler) ret = domain.handler(domain, dev, iova, flags, domain.handler_token);
  if (trace_io_page_fault.enabled) trace_io_page_fault.emit({ driver: dev.driver, device: dev_name(dev), iova, flags });
  return ret;
}

// drivers/iommu/intel/dmar.c dma_remap_fault_reasons[] (the ones this model produces)
const DMAR_REASON_BEYOND_MGAW = 0x04;
const DMAR_REASON_NO_WRITE = 0x05;
const DMAR_REASON_NO_READ = 0x06;
const dmar_reason_text: Record<number, string> = {
  [DMAR_REASON_BEYOND_MGAW]: 'Access beyond MGAW',
  [DMAR_REASON_NO_WRITE]: 'PTE Write access is not set',
  [DMAR_REASON_NO_READ]: 'PTE Read access is not set',
};

/** DEFAULT_RATELIMIT_INTERVAL (5 s) / DEFAULT_RATELIMIT_BURST (10), dmar_fault's ratelimit. */
const RL_INTERVAL_NS = 5e9;
const RL_BURST = 10;

/**
 * iommuDeviceFault - record a device fault: domain.faults, the DMAR log line, counters,
 * the fault handler and tracepoint. Emulator-only (the hardware's fault path; dmar_fault()).
 */
function iommuDeviceFault(domain: iommu_domain, dev: device, iova: number, write: boolean, reason_code: number): void {
  const flags = write ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ;
  const reason = dmar_reason_text[reason_code]!;
  domain.nr_faults++;
  if (domain.faults.length >= IOMMU_FAULT_RECORDS) domain.faults.shift();
  domain.faults.push({ dev, iova, flags, reason });
  dma_stat(dev, 'faults', 1);
  // dmar_fault(): ratelimited pr_err (only when time exists)
  let print = true;
  const clock = domain.host.clock;
  if (clock) {
    const now = clock.ktime_get();
    if (now - domain.rl_begin >= RL_INTERVAL_NS) {
      if (domain.rl_missed) {
        printk(domain.host.log, KERN_ERR, `dmar_fault: ${domain.rl_missed} callbacks suppressed`);
      }
      domain.rl_begin = now;
      domain.rl_printed = 0;
      domain.rl_missed = 0;
    }
    if (domain.rl_printed >= RL_BURST) {
      domain.rl_missed++;
      print = false;
    } else domain.rl_printed++;
  }
  if (print) {
    printk(domain.host.log, KERN_ERR,
      `DMAR: [${write ? 'DMA Write' : 'DMA Read'} NO_PASID] Request device [${dev_name(dev)}] fault addr 0x${iova.toString(16)} ` +
      `[fault reason 0x${reason_code.toString(16).padStart(2, '0')}] ${reason}`);
  }
  report_iommu_fault(domain, dev, iova, flags);
}

/**
 * iommuTranslate - the device side: translate a device access to [iova, iova+len) into physical runs.
 *
 * Emulator-only (what the IOMMU hardware does on each DMA transaction). Walks page by page:
 * IOTLB first, then the page table (filling the IOTLB); every page must be present, visible
 * (synced, in caching mode) and allow the access (IOMMU_READ for a device read, IOMMU_WRITE for a
 * device write). Consecutive physical pages are coalesced into one run.
 *
 * Results go into `out` (reused; cleared first) as flat pairs `[phys0, len0, phys1, len1, ...]`,
 * so the hot path allocates nothing when the caller keeps one array. A device with no domain or an
 * identity domain gets one run [iova, len). On a fault the access is refused: the first faulting
 * page is recorded (see the file header) and null is returned. Never throws.
 * @param write true for a device write (DMA_FROM_DEVICE data), false for a device read
 * @returns `out` with the runs, or null on an IOMMU fault
 * @example A device reads 8 KiB from a DMA address
 * ```ts
 * const runs: number[] = [];
 * if (iommuTranslate(dev, dma_addr, 8192, false, runs) === null) return -EFAULT;
 * for (let i = 0; i < runs.length; i += 2) copy(runs[i], runs[i + 1]);
 * ```
 */
export function iommuTranslate(dev: device, iova: dma_addr_t, len: number, write: boolean, out: number[] = []): number[] | null {
  out.length = 0;
  const domain = dev.iommu_domain;
  if (domain === null || domain.type === IOMMU_DOMAIN_IDENTITY) {
    if (len > 0) out.push(iova, len);
    return out;
  }
  if (len <= 0) return out;
  if ((domain.type & __IOMMU_DOMAIN_PAGING) === 0) {
    iommuDeviceFault(domain, dev, iova, write, write ? DMAR_REASON_NO_WRITE : DMAR_REASON_NO_READ);
    return null;
  }
  const need = write ? IOMMU_WRITE : IOMMU_READ;
  const tags = domain.iotlb_tag;
  const ptes = domain.iotlb_pte;
  const mask = domain.iotlb_mask;
  const end = iova + len;
  let addr = iova;
  let pfn = Math.floor(iova / PAGE);
  let run_phys = -1;
  let run_len = 0;
  while (addr < end) {
    const slot = pfn & mask; // exact: ToInt32 keeps the low 32 bits and mask < 2^31
    let e: number;
    if (tags[slot] === pfn + 1) {
      e = ptes[slot]!;
    } else {
      e = domain.pte(pfn);
      const visible = e !== 0 && (!domain.caching_mode || e % 256 >= PTE_PRESENT + PTE_VISIBLE);
      if (!visible) {
        const beyond = addr > domain.geometry.aperture_end;
        iommuDeviceFault(domain, dev, addr, write, beyond ? DMAR_REASON_BEYOND_MGAW : write ? DMAR_REASON_NO_WRITE : DMAR_REASON_NO_READ);
        out.length = 0;
        return null;
      }
      tags[slot] = pfn + 1;
      ptes[slot] = e;
    }
    const flags = e % 256;
    if ((flags & need) === 0) {
      iommuDeviceFault(domain, dev, addr, write, write ? DMAR_REASON_NO_WRITE : DMAR_REASON_NO_READ);
      out.length = 0;
      return null;
    }
    const page_off = addr - pfn * PAGE;
    const chunk = Math.min(PAGE - page_off, end - addr);
    const phys = ((e - flags) / 256) * PAGE + page_off;
    if (run_len && run_phys + run_len === phys) {
      run_len += chunk;
    } else {
      if (run_len) out.push(run_phys, run_len);
      run_phys = phys;
      run_len = chunk;
    }
    addr += chunk;
    pfn++;
  }
  if (run_len) out.push(run_phys, run_len);
  return out;
}

/**
 * iommuRangeHasPtes - true if any PTE in [iova, iova+size) is present (dma_iova_free's check).
 * Emulator-only.
 */
export function iommuRangeHasPtes(domain: iommu_domain, iova: number, size: number): boolean {
  return forEachPte(domain, iova, size, (l, k) => l[k] !== 0);
}
