/**
 * dma-noncoherent - the CPU cache as a non-coherent DMA master sees it: explicit clean and invalidate.
 *
 * Kernel: include/linux/dma-map-ops.h (arch_sync_dma_for_device, arch_sync_dma_for_cpu),
 *         arch/arm64/mm/dma-mapping.c (the semantics modelled: clean for every direction on the
 *         way to the device, invalidate unless TO_DEVICE on the way back)
 *
 * Operation: a cache-coherent device snoops the CPU caches, so it sees RAM exactly as the CPU does
 * (`mem.bytes`). A non-coherent device sees DRAM, which differs from the CPU's view whenever a
 * cache holds dirty lines (CPU writes not yet cleaned) or stale lines (device writes not yet
 * invalidated). rdmaemu models DRAM for the pages such a device maps as a device-visible
 * **shadow**: one PAGE_SIZE copy per page frame, kept per `PhysicalMemory`.
 *
 *   CPU (mem.bytes) --arch_sync_dma_for_device (clean)------> shadow (DRAM) <-- device reads/writes
 *   CPU (mem.bytes) <--arch_sync_dma_for_cpu (invalidate)---- shadow (DRAM)
 *
 * - `arch_sync_dma_for_device(mem, paddr, size, dir)` copies the CPU's bytes [paddr, +size) into
 *   the shadow, creating shadow pages that do not exist yet. arm64 cleans for every direction,
 *   FROM_DEVICE included (so a later partial device write cannot expose dirty lines evicted on top).
 * - `arch_sync_dma_for_cpu(mem, paddr, size, dir)` does nothing for TO_DEVICE; otherwise it copies
 *   the shadow's bytes into the CPU's view (invalidate, then the next CPU read misses to DRAM).
 *   Pages without a shadow are already coherent and are skipped.
 * - The device side (dma-device-access.ts) reads and writes the shadow for pages that have one,
 *   when the device is non-coherent. Coherent devices always use `mem.bytes`.
 * - Lifetime: a mapping path takes a reference with `noncoherentShadowGet()` (creating the page
 *   from the CPU's bytes) and drops it at unmap with `noncoherentShadowPut()`; the page is
 *   discarded when the count reaches 0 ("DRAM caught up with the cache"). A shadow page created by
 *   a bare `arch_sync_dma_for_device()` (a path that did not take a reference) is unowned and stays
 *   until `noncoherentShadowReset()`: that is still faithful, since it holds what DRAM last received.
 *
 * Result: CPU writes after map are invisible to a non-coherent device until
 * `dma_sync_*_for_device`; device writes are invisible to the CPU until `dma_sync_*_for_cpu` or an
 * unmap without DMA_ATTR_SKIP_CPU_SYNC; an unmap with SKIP_CPU_SYNC drops the device's writes.
 *
 * Divergence: caches are modelled at page granularity with explicit copies of exactly the synced
 * byte range; real caches work in 64-byte lines and may write back or evict at any time. The
 * model is the worst case (nothing ever reaches DRAM or the CPU without an explicit sync), which
 * is what makes a forgotten sync observable.
 *
 * Invariants: a shadow page exists only for a pfn of its `mem`; a shadow's refcount is ≥ 0.
 */
import type { phys_addr_t } from '@rdmaemu/sim-core';
import { dma_data_direction, DMA_TO_DEVICE } from './dma-mapping.h.js';
import { dma_stat, type device } from './device.js';
import { PAGE_SIZE, type PhysicalMemory } from './memory.js';

/** One page of modelled DRAM. @internal */
interface ShadowPage {
  readonly bytes: Uint8Array;
  refs: number;
}

const shadows = new WeakMap<PhysicalMemory, Map<number, ShadowPage>>();

function shadowMap(mem: PhysicalMemory): Map<number, ShadowPage> {
  let m = shadows.get(mem);
  if (m === undefined) {
    m = new Map();
    shadows.set(mem, m);
  }
  return m;
}

/** Create the shadow page of `pfn` from the CPU's current bytes (the page was coherent so far). */
function createShadow(mem: PhysicalMemory, m: Map<number, ShadowPage>, pfn: number): ShadowPage {
  const off = pfn * PAGE_SIZE - mem.base;
  const sp: ShadowPage = { bytes: mem.bytes.slice(off, off + PAGE_SIZE), refs: 0 };
  m.set(pfn, sp);
  return sp;
}

/**
 * arch_sync_dma_for_device - clean the CPU cache for [paddr, paddr+size): the device now sees the CPU's bytes.
 *
 * Kernel: include/linux/dma-map-ops.h arch_sync_dma_for_device(); arch/arm64/mm/dma-mapping.c
 *         (dcache_clean_poc for every direction)
 * Divergence: takes the host memory (the kernel has one) and an optional device to charge
 * `cache_maint_bytes` to. Copies into the shadow (creating it), one copy per byte.
 * @param mem - the host's RAM
 * @param paddr - first physical byte
 * @param size - bytes
 * @param dir - the mapping direction (every direction cleans)
 * @param dev - charged `cache_maint_bytes` when given
 * @example Clean after the CPU filled a buffer
 * ```ts
 * page_address(pg).fill(7);
 * arch_sync_dma_for_device(mem, page_to_phys(pg), PAGE_SIZE, DMA_TO_DEVICE);
 * ```
 */
export function arch_sync_dma_for_device(
  mem: PhysicalMemory, paddr: phys_addr_t, size: number, dir: dma_data_direction, dev?: device,
): void {
  void dir; // arm64: dcache_clean_poc() whatever the direction
  if (size <= 0) return;
  if (dev !== undefined) dma_stat(dev, 'cache_maint_bytes', size);
  const m = shadowMap(mem);
  forEachPagePiece(paddr, size, (pfn, inPage, p, n) => {
    const sp = m.get(pfn) ?? createShadow(mem, m, pfn);
    const off = p - mem.base;
    sp.bytes.set(mem.bytes.subarray(off, off + n), inPage);
  });
}

/** Split [paddr, paddr+size) at page boundaries: fn(pfn, offset in page, address, length). */
function forEachPagePiece(paddr: phys_addr_t, size: number, fn: (pfn: number, inPage: number, p: number, n: number) => void): void {
  const end = paddr + size;
  for (let p = paddr; p < end;) {
    const pfn = Math.floor(p / PAGE_SIZE);
    const inPage = p - pfn * PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - inPage, end - p);
    fn(pfn, inPage, p, n);
    p += n;
  }
}

/**
 * arch_sync_dma_for_cpu - invalidate the CPU cache for [paddr, paddr+size): the CPU now sees what the device wrote.
 *
 * Kernel: include/linux/dma-map-ops.h arch_sync_dma_for_cpu(); arch/arm64/mm/dma-mapping.c
 *         (nothing for DMA_TO_DEVICE, dcache_inval_poc otherwise)
 * Divergence: as arch_sync_dma_for_device. Pages without a shadow are coherent and skipped.
 * @example Make the device's writes visible
 * ```ts
 * arch_sync_dma_for_cpu(mem, phys, len, DMA_FROM_DEVICE);
 * ```
 */
export function arch_sync_dma_for_cpu(
  mem: PhysicalMemory, paddr: phys_addr_t, size: number, dir: dma_data_direction, dev?: device,
): void {
  if (dir === DMA_TO_DEVICE || size <= 0) return;
  if (dev !== undefined) dma_stat(dev, 'cache_maint_bytes', size);
  const m = shadows.get(mem);
  if (m === undefined || m.size === 0) return;
  forEachPagePiece(paddr, size, (pfn, inPage, p, n) => {
    const sp = m.get(pfn);
    if (sp !== undefined) mem.bytes.set(sp.bytes.subarray(inPage, inPage + n), p - mem.base);
  });
}

/**
 * noncoherentShadowGet - take a reference on the shadow pages of [paddr, paddr+size), creating them from the CPU's bytes.
 *
 * Emulator-only. Called by a mapping path for a non-coherent device before its
 * `arch_sync_dma_for_device()`; paired with `noncoherentShadowPut()` at unmap.
 */
export function noncoherentShadowGet(mem: PhysicalMemory, paddr: phys_addr_t, size: number): void {
  if (size <= 0) return;
  const m = shadowMap(mem);
  const last = Math.floor((paddr + size - 1) / PAGE_SIZE);
  for (let pfn = Math.floor(paddr / PAGE_SIZE); pfn <= last; pfn++) {
    const sp = m.get(pfn) ?? createShadow(mem, m, pfn);
    sp.refs++;
  }
}

/**
 * noncoherentShadowPut - drop a reference taken by `noncoherentShadowGet()`; a page whose count reaches 0 is discarded.
 *
 * Emulator-only. Called at unmap after the `arch_sync_dma_for_cpu()` (if any): whatever the
 * device wrote and the CPU did not invalidate is lost, as with an unmap that skips the CPU sync.
 */
export function noncoherentShadowPut(mem: PhysicalMemory, paddr: phys_addr_t, size: number): void {
  if (size <= 0) return;
  const m = shadows.get(mem);
  if (m === undefined) return;
  const last = Math.floor((paddr + size - 1) / PAGE_SIZE);
  for (let pfn = Math.floor(paddr / PAGE_SIZE); pfn <= last; pfn++) {
    const sp = m.get(pfn);
    if (sp === undefined) continue;
    if (--sp.refs <= 0) m.delete(pfn);
  }
}

/**
 * noncoherentShadowPage - the DRAM copy of page `pfn` a non-coherent device sees, or undefined when the page is coherent.
 *
 * Emulator-only (dma-device-access.ts reads and writes through it).
 */
export function noncoherentShadowPage(mem: PhysicalMemory, pfn: number): Uint8Array | undefined {
  const m = shadows.get(mem);
  return m === undefined || m.size === 0 ? undefined : m.get(pfn)?.bytes;
}

/** noncoherentHasShadows - true when any page of `mem` has a shadow (a fast check for the device path). Emulator-only. */
export function noncoherentHasShadows(mem: PhysicalMemory): boolean {
  const m = shadows.get(mem);
  return m !== undefined && m.size > 0;
}

/** noncoherentShadowCount - how many shadow pages `mem` has (tests: leaks). Emulator-only. */
export function noncoherentShadowCount(mem: PhysicalMemory): number {
  return shadows.get(mem)?.size ?? 0;
}

/** noncoherentShadowReset - discard every shadow page of `mem` (all of DRAM caught up). Emulator-only. */
export function noncoherentShadowReset(mem: PhysicalMemory): void {
  shadows.delete(mem);
}
