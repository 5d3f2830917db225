/**
 * Example 00 - one bio_vec array, three DMA-API designs, four machines.
 *
 * The question of the Oct 2023 "Exploring biovec support in (R)DMA API" thread, answered by
 * measurement: the same 24-entry bio_vec array (16 single pages and 8 four-page folios, in the
 * scattered order a page cache hands them out) is DMA-mapped for a NIC through
 *
 *   sg    bio_vec → scatterlist → dma_map_sgtable           (the API before 2025)
 *   bvec  dma_map_bvecs_attrs, results stored in the bio_vec (the 2023 RFC)
 *   iova  dma_iova_try_alloc / dma_iova_link / dma_iova_sync (the 2025 API; dma_map_phys per
 *         bio_vec where there is no IOMMU)
 *
 * on four machines: dma-direct; dma-direct with a 24-bit device that must bounce through
 * swiotlb; an IOMMU in strict mode; an IOMMU in lazy (flush-queue) mode. The device then reads
 * every segment through the device-side DMA path and the bytes are checked against what the CPU
 * wrote. The table shows what each design cost: the DMA segments the device is handed, IOVA
 * allocations, IOMMU page-table entries written, IOTLB flushes and bytes bounced.
 *
 * Kernel call sequence (sg): sg_alloc_table → sg_set_page × n → dma_map_sgtable → … → dma_unmap_sgtable
 * Kernel call sequence (iova): dma_iova_try_alloc → dma_iova_link × n → dma_iova_sync → … → dma_iova_destroy
 */
import {
  DMA_DESIGNS, DMA_BIT_MASK, DMA_TO_DEVICE, bio_vec, bvec_virt, createDmaHost, diffDmaStats, dmaDeviceCopyOut, dmaMapBvecs,
  folio_alloc, folio_size, alloc_page, isDmaFault, PAGE_SIZE, type DmaHostInit, type DeviceInit,
} from '@rdmaemu/dma-core';
import { SeededRandom, SimClock, formatTable, type Cell } from '@rdmaemu/sim-core';
import { isMain } from '@rdmaemu/testing';

interface Machine { label: string; host: DmaHostInit; dev?: Partial<DeviceInit> }

const MACHINES: Machine[] = [
  { label: 'direct', host: { iommu: 'off' } },
  { label: 'swiotlb', host: { iommu: 'off' }, dev: { dma_mask: DMA_BIT_MASK(24) } },
  { label: 'iommu strict', host: { iommu: 'strict' } },
  { label: 'iommu lazy', host: { iommu: 'lazy' } },
];

/** Run the example; returns the table rows (the smoke test checks them). */
export function run(seed = 42): Record<string, Cell>[] {
  const rows: Record<string, Cell>[] = [];
  for (const m of MACHINES) {
    const clock = new SimClock({ seed });
    const host = createDmaHost({ name: 'client', memory: '64M', clock, ...m.host });
    const dev = host.addDevice({ name: '0000:01:00.0', driver: 'mlx5_core', ...m.dev });
    const rng = new SeededRandom(seed);
    const bvecs: bio_vec[] = [];
    for (let i = 0; i < 16; i++) bvecs.push(new bio_vec(alloc_page(host.mem)!, PAGE_SIZE, 0));
    for (let i = 0; i < 8; i++) {
      const f = folio_alloc(host.mem, 2)!;
      bvecs.push(new bio_vec(f.page, folio_size(f), 0));
    }
    rng.shuffle(bvecs);
    for (const bv of bvecs) rng.fill(bvec_virt(bv));
    const expected = Buffer.concat(bvecs.map((bv) => bvec_virt(bv)));

    for (const design of DMA_DESIGNS) {
      const before = dev.stats.snapshot().total;
      const mapping = dmaMapBvecs(dev, design, bvecs, bvecs.length, DMA_TO_DEVICE);
      // The device reads every segment it was given, by DMA address.
      const seen = new Uint8Array(expected.length);
      let at = 0;
      for (let i = 0; i < mapping.dma_addr.length; i++) {
        const n = dmaDeviceCopyOut(dev, mapping.dma_addr[i]!, seen.subarray(at, at + mapping.dma_len[i]!));
        if (isDmaFault(n)) throw new Error(`device read fault: ${n.message}`);
        at += n;
      }
      mapping.unmap();
      clock.runUntilIdle(); // let the lazy flush queue's timer run
      const d = diffDmaStats(dev.stats.total, before);
      rows.push({
        machine: m.label, design, path: mapping.path,
        'bytes ok': at === expected.length && Buffer.compare(Buffer.from(seen), expected) === 0 ? 'yes' : 'NO',
        'dma segs': mapping.dma_addr.length,
        'map calls': d.map_calls, 'iova allocs': d.iova_allocs, 'ptes': d.ptes_written, 'iotlb flushes': d.iotlb_flushes,
        'bounced bytes': d.bounce_bytes,
      });
    }
    host.debug?.assertClean();
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const rows = run();
  console.log('rdmaemu: one 24-entry bio_vec array (16 pages + 8 four-page folios = 192 KiB) mapped for a device\n');
  console.log(formatTable(['machine', 'design', 'path', 'bytes ok', 'dma segs', 'map calls', 'iova allocs', 'ptes', 'iotlb flushes', 'bounced bytes'], rows));
  console.log('\nsg: scatterlist + dma_map_sgtable; bvec: dma_map_bvecs_attrs (2023 RFC); iova: dma_iova_* (2025), dma_map_phys without an IOMMU.');
  console.log('dma-debug: no errors, no leaked mappings on any machine.');
}
