/**
 * dma-stats - DMA cost counters per device and per mapping-API family.
 *
 * Emulator-only. The kernel has no such counters; rdmaemu keeps them because comparing what each
 * DMA-API design costs (the question of the Oct 2023 "biovec support in the (R)DMA API" thread)
 * is one of its jobs.
 *
 * Operation: every public mapping entry point sets `dev.dma_family` for the duration of the call
 * (`dma_map_sg*` → 'sg', `dma_map_bvecs*` → 'bvec', `dma_map_phys`/`dma_map_page*`/`dma_map_single*`
 * → 'phys' (they are dma_map_phys underneath, as in the kernel), `dma_iova_*` → 'iova'); the layers below (direct, swiotlb, IOMMU) bump counters with
 * `dma_stat()`, which charges both the device total and the current family. Work done later and
 * asynchronously (a lazy IOTLB flush from the flush-queue timer) is charged to the total and to
 * family 'none'.
 */

/** The counters. */
export const DMA_STAT_KEYS = [
  'map_calls', 'unmap_calls', 'segs_in', 'segs_out', 'map_errors',
  'iova_allocs', 'iova_frees', 'iova_bytes', 'ptes_written', 'ptes_cleared', 'iotlb_flushes',
  'bounce_maps', 'bounce_slots', 'bounce_bytes', 'sync_calls', 'sync_bytes', 'cache_maint_bytes',
  'faults', 'device_read_bytes', 'device_write_bytes',
] as const;
export type DmaStatKey = (typeof DMA_STAT_KEYS)[number];

/** The API families whose costs are compared. */
export const DMA_FAMILIES = ['sg', 'bvec', 'phys', 'iova', 'none'] as const;
export type DmaFamily = (typeof DMA_FAMILIES)[number];

/** DmaStats - one set of counters (plain numbers; cheap to bump). */
export type DmaStats = Record<DmaStatKey, number>;

/** newDmaStats - a zeroed counter set. */
export function newDmaStats(): DmaStats {
  const s = {} as DmaStats;
  for (const k of DMA_STAT_KEYS) s[k] = 0;
  return s;
}

/** DmaCounters - a device's totals and per-family counters. */
export class DmaCounters {
  readonly total: DmaStats = newDmaStats();
  readonly family: Record<DmaFamily, DmaStats> = {
    sg: newDmaStats(), bvec: newDmaStats(), phys: newDmaStats(), iova: newDmaStats(), none: newDmaStats(),
  };

  reset(): void {
    for (const k of DMA_STAT_KEYS) {
      this.total[k] = 0;
      for (const f of DMA_FAMILIES) this.family[f][k] = 0;
    }
  }

  /** A deep copy, for before/after comparisons. */
  snapshot(): { total: DmaStats; family: Record<DmaFamily, DmaStats> } {
    const family = {} as Record<DmaFamily, DmaStats>;
    for (const f of DMA_FAMILIES) family[f] = { ...this.family[f] };
    return { total: { ...this.total }, family };
  }
}

/** diffDmaStats - `after − before`, key by key. */
export function diffDmaStats(after: DmaStats, before: DmaStats): DmaStats {
  const d = newDmaStats();
  for (const k of DMA_STAT_KEYS) d[k] = after[k] - before[k];
  return d;
}
