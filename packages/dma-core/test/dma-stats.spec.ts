/**
 * Tests for dma-stats.ts: the per-device counters and their split by API family. Each family's
 * costs — IOVA allocations, PTEs, IOTLB flushes, bounce slots — must land in that family and no
 * other (the comparison the dma-designs benchmark makes), and the device total must be the sum
 * of the families.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { bio_vec } from '../src/bvec.js';
import { dma_iova_destroy, dma_iova_link, dma_iova_state, dma_iova_sync, dma_iova_try_alloc } from '../src/dma-iommu.js';
import {
  dma_map_bvecs_attrs, dma_map_phys, dma_map_sgtable, dma_map_single, dma_mapping_error, dma_sync_single_for_cpu,
  dma_unmap_bvecs_attrs, dma_unmap_phys, dma_unmap_sgtable, dma_unmap_single,
} from '../src/dma-mapping.js';
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../src/dma-mapping.h.js';
import { DMA_FAMILIES, DMA_STAT_KEYS, DmaCounters, diffDmaStats, newDmaStats, type DmaFamily, type DmaStats } from '../src/dma-stats.js';
import { dmaDeviceRead, isDmaFault } from '../src/dma-device-access.js';
import { PAGE_SIZE, page_address, page_to_phys, type page } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';
import { sgTableFromBvecs } from '../src/scatterlist.js';
import { fcSeed, rig, type Rig } from './_support.js';

/** Families other than `f` saw nothing. */
function expectOnly(r: Rig, f: DmaFamily, keys: readonly (keyof DmaStats)[]): void {
  for (const other of DMA_FAMILIES) {
    if (other === f) continue;
    for (const k of keys) expect(r.dev.stats.family[other][k], `${other}.${k}`).to.equal(0);
  }
  for (const k of keys) expect(r.dev.stats.family[f][k], `${f}.${k}`).to.equal(r.dev.stats.total[k]);
}

function sumOfFamilies(c: DmaCounters): DmaStats {
  const s = newDmaStats();
  for (const f of DMA_FAMILIES) for (const k of DMA_STAT_KEYS) s[k] += c.family[f][k];
  return s;
}

function threePages(r: Rig): page[] {
  const pages = [alloc_pages(r.mem, 0)!, alloc_pages(r.mem, 0)!, alloc_pages(r.mem, 0)!];
  alloc_pages(r.mem, 0);
  return pages;
}

const IOMMU_KEYS = ['iova_allocs', 'iova_frees', 'iova_bytes', 'ptes_written', 'ptes_cleared', 'iotlb_flushes'] as const;

describe('dma-stats', () => {
  describe('newDmaStats / DmaCounters / diffDmaStats', () => {
    it('starts every counter of the total and of every family at 0', () => {
      const c = new DmaCounters();
      expect(Object.keys(newDmaStats())).to.deep.equal([...DMA_STAT_KEYS]);
      expect(DMA_FAMILIES).to.deep.equal(['sg', 'bvec', 'phys', 'iova', 'none']);
      for (const k of DMA_STAT_KEYS) {
        expect(c.total[k]).to.equal(0);
        for (const f of DMA_FAMILIES) expect(c.family[f][k]).to.equal(0);
      }
    });

    it('snapshot is a deep copy, reset zeroes everything, and diffDmaStats subtracts key by key', () => {
      const c = new DmaCounters();
      c.total.map_calls = 3;
      c.family.sg.ptes_written = 7;
      const snap = c.snapshot();
      c.total.map_calls = 5;
      c.family.sg.ptes_written = 9;
      expect(snap.total.map_calls).to.equal(3);
      expect(snap.family.sg.ptes_written).to.equal(7);
      const d = diffDmaStats(c.family.sg, snap.family.sg);
      expect(d.ptes_written).to.equal(2);
      expect(d.map_calls).to.equal(0);
      c.reset();
      expect(c.total.map_calls).to.equal(0);
      expect(c.family.sg.ptes_written).to.equal(0);
    });
  });

  describe('charging by API family (through dma-iommu)', () => {
    it('dma_map_sgtable / dma_unmap_sgtable charge IOVA, PTE and IOTLB costs to "sg" and to no other family', () => {
      const r = rig({ path: 'iommu-strict' });
      const bvecs = threePages(r).map((pg) => new bio_vec(pg, PAGE_SIZE, 0));
      const sgt = sgTableFromBvecs(bvecs);
      expect(dma_map_sgtable(r.dev, sgt, DMA_TO_DEVICE, 0)).to.equal(0);
      const sg = r.dev.stats.family.sg;
      expect([sg.map_calls, sg.segs_in, sg.segs_out, sg.iova_allocs, sg.iova_bytes, sg.ptes_written]).to.deep.equal([1, 3, 1, 1, 3 * PAGE_SIZE, 3]);
      expect(sg.iotlb_flushes).to.equal(1); // the iommu_sync_map of iommu_map_sg (caching mode)
      dma_unmap_sgtable(r.dev, sgt, DMA_TO_DEVICE, 0);
      expect([sg.unmap_calls, sg.ptes_cleared, sg.iova_frees, sg.iotlb_flushes]).to.deep.equal([1, 3, 1, 2]);
      expectOnly(r, 'sg', [...IOMMU_KEYS, 'map_calls', 'unmap_calls', 'segs_in', 'segs_out']);
      expect(r.dev.dma_family).to.equal('none');
    });

    it('dma_map_bvecs_attrs / dma_unmap_bvecs_attrs charge "bvec" only', () => {
      const r = rig({ path: 'iommu-strict' });
      const bvecs = threePages(r).map((pg) => new bio_vec(pg, PAGE_SIZE, 0));
      expect(dma_map_bvecs_attrs(r.dev, bvecs, 3, DMA_FROM_DEVICE, 0)).to.equal(1);
      dma_unmap_bvecs_attrs(r.dev, bvecs, 3, DMA_FROM_DEVICE, 0);
      const bv = r.dev.stats.family.bvec;
      expect([bv.map_calls, bv.segs_in, bv.segs_out, bv.ptes_written, bv.ptes_cleared, bv.iova_allocs, bv.iova_frees]).to.deep.equal([1, 3, 1, 3, 3, 1, 1]);
      expectOnly(r, 'bvec', [...IOMMU_KEYS, 'map_calls', 'unmap_calls', 'segs_in', 'segs_out']);
    });

    it('dma_map_phys and dma_map_single charge "phys"', () => {
      const r = rig({ path: 'iommu-strict' });
      const [a, b] = threePages(r);
      const x = dma_map_phys(r.dev, page_to_phys(a!) + 100, 200, DMA_TO_DEVICE, 0);
      const y = dma_map_single(r.dev, page_address(b!).subarray(0, 64), 64, DMA_BIDIRECTIONAL);
      expect(dma_mapping_error(r.dev, x) || dma_mapping_error(r.dev, y)).to.equal(0);
      dma_sync_single_for_cpu(r.dev, y, 64, DMA_BIDIRECTIONAL);
      dma_unmap_phys(r.dev, x, 200, DMA_TO_DEVICE, 0);
      dma_unmap_single(r.dev, y, 64, DMA_BIDIRECTIONAL);
      const p = r.dev.stats.family.phys;
      expect([p.map_calls, p.unmap_calls, p.sync_calls, p.sync_bytes, p.iova_allocs, p.ptes_written, p.ptes_cleared]).to.deep.equal([2, 2, 1, 64, 2, 2, 2]);
      expectOnly(r, 'phys', [...IOMMU_KEYS, 'map_calls', 'unmap_calls', 'sync_calls']);
    });

    it('dma_iova_try_alloc / link / sync / destroy charge "iova": one allocation, one PTE per page, one IOTLB sync', () => {
      const r = rig({ path: 'iommu-strict' });
      const pages = threePages(r);
      const state = new dma_iova_state();
      expect(dma_iova_try_alloc(r.dev, state, page_to_phys(pages[0]!), 3 * PAGE_SIZE)).to.equal(true);
      pages.forEach((pg, i) => expect(dma_iova_link(r.dev, state, page_to_phys(pg), i * PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.equal(0));
      expect(dma_iova_sync(r.dev, state, 0, 3 * PAGE_SIZE)).to.equal(0);
      const io = r.dev.stats.family.iova;
      expect([io.map_calls, io.segs_in, io.segs_out, io.iova_allocs, io.ptes_written, io.iotlb_flushes]).to.deep.equal([3, 3, 1, 1, 3, 1]);
      dma_iova_destroy(r.dev, state, 3 * PAGE_SIZE, DMA_TO_DEVICE, 0);
      expect([io.unmap_calls, io.ptes_cleared, io.iova_frees, io.iotlb_flushes]).to.deep.equal([1, 3, 1, 2]);
      expectOnly(r, 'iova', [...IOMMU_KEYS, 'map_calls', 'unmap_calls', 'segs_in', 'segs_out']);
    });

    it('bounce costs go to the family that bounced (swiotlb)', () => {
      const r = rig({ path: 'force-bounce' });
      const bvecs = threePages(r).map((pg) => new bio_vec(pg, 1000, 0));
      const sgt = sgTableFromBvecs(bvecs);
      expect(dma_map_sgtable(r.dev, sgt, DMA_TO_DEVICE, 0)).to.equal(0);
      dma_unmap_sgtable(r.dev, sgt, DMA_TO_DEVICE, 0);
      const sg = r.dev.stats.family.sg;
      expect([sg.bounce_maps, sg.bounce_slots, sg.bounce_bytes]).to.deep.equal([3, 3, 3000]);
      expectOnly(r, 'sg', ['bounce_maps', 'bounce_slots', 'bounce_bytes']);
    });

    it('device reads and faults are charged to the device total (family "none" outside a mapping call)', () => {
      const r = rig({ path: 'iommu-strict' });
      const [pg] = threePages(r);
      const a = dma_map_phys(r.dev, page_to_phys(pg!), 256, DMA_TO_DEVICE, 0);
      dma_mapping_error(r.dev, a);
      expect(isDmaFault(dmaDeviceRead(r.dev, a, 256))).to.equal(false);
      dma_unmap_phys(r.dev, a, 256, DMA_TO_DEVICE, 0);
      expect(isDmaFault(dmaDeviceRead(r.dev, a, 256))).to.equal(true);
      expect(r.dev.stats.total.device_read_bytes).to.equal(256);
      expect(r.dev.stats.total.faults).to.equal(1);
      expect(r.dev.stats.family.none.faults).to.equal(1);
    });
  });

  it('the device total is always the sum of the families (property)', () => {
    fc.assert(fc.property(
      fc.constantFrom('direct', 'force-bounce', 'iommu-strict', 'iommu-lazy', 'noncoherent-iommu' as const),
      fc.array(fc.constantFrom('phys', 'sg', 'bvec', 'iova'), { minLength: 1, maxLength: 8 }),
      (path, ops) => {
        const r = rig({ path });
        for (const op of ops) {
          const bvecs = threePages(r).map((pg, i) => new bio_vec(pg, i === 2 ? 300 : PAGE_SIZE, 0));
          if (op === 'phys') {
            const a = dma_map_phys(r.dev, page_to_phys(bvecs[0]!.bv_page), 300, DMA_FROM_DEVICE, 0);
            dma_mapping_error(r.dev, a);
            dma_unmap_phys(r.dev, a, 300, DMA_FROM_DEVICE, 0);
          } else if (op === 'sg') {
            const sgt = sgTableFromBvecs(bvecs);
            expect(dma_map_sgtable(r.dev, sgt, DMA_TO_DEVICE, 0)).to.equal(0);
            dma_unmap_sgtable(r.dev, sgt, DMA_TO_DEVICE, 0);
          } else if (op === 'bvec') {
            expect(dma_map_bvecs_attrs(r.dev, bvecs, 3, DMA_TO_DEVICE, 0)).to.be.greaterThan(0);
            dma_unmap_bvecs_attrs(r.dev, bvecs, 3, DMA_TO_DEVICE, 0);
          } else {
            const state = new dma_iova_state();
            if (!dma_iova_try_alloc(r.dev, state, 0, 2 * PAGE_SIZE + 300)) continue;
            bvecs.forEach((bv, i) => dma_iova_link(r.dev, state, page_to_phys(bv.bv_page), i * PAGE_SIZE, bv.bv_len, DMA_TO_DEVICE, 0));
            dma_iova_sync(r.dev, state, 0, 2 * PAGE_SIZE + 300);
            dma_iova_destroy(r.dev, state, 2 * PAGE_SIZE + 300, DMA_TO_DEVICE, 0);
          }
        }
        expect(sumOfFamilies(r.dev.stats)).to.deep.equal(r.dev.stats.total);
      },
    ), { seed: fcSeed(0x57a75), numRuns: 30 });
  });
});
