/**
 * Tests for dma-device-access.ts: the device side of DMA (KERNEL.md §4.5 "an emulator should fault
 * device accesses that violate prot", §11 item 7, and the "device side" requirements).
 */
import { expect } from 'chai';
import { DmaFault, dmaDeviceAccess, dmaDeviceCopyOut, dmaDeviceRead, dmaDeviceWrite, isDmaFault } from '../src/dma-device-access.js';
import { dma_map_phys, dma_mapping_error, dma_unmap_phys } from '../src/dma-mapping.js';
import { DMA_BIDIRECTIONAL, DMA_BIT_MASK, DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../src/dma-mapping.h.js';
import { noncoherentShadowPage } from '../src/dma-noncoherent.js';
import { PAGE_SIZE, page_to_phys } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';
import { concat, debugMessages, fill, patterned, rig, type Rig } from './_support.js';

function mapOk(r: Rig, phys: number, len: number, dir: number): number {
  const a = dma_map_phys(r.dev, phys, len, dir, 0);
  expect(dma_mapping_error(r.dev, a)).to.equal(0);
  return a;
}

describe('dma-device-access', () => {
  describe('dmaDeviceRead', () => {
    it('returns zero-copy views of the mapped bytes, one view for a physically contiguous range', () => {
      const r = rig();
      const pg = patterned(r.mem, 1, 4);
      const phys = page_to_phys(pg) + 1000;
      const a = mapOk(r, phys, 6000, DMA_TO_DEVICE);
      const v = dmaDeviceRead(r.dev, a, 6000);
      expect(isDmaFault(v)).to.equal(false);
      const views = v as Uint8Array[];
      expect(views).to.have.length(1);
      expect(views[0]!.buffer).to.equal(r.mem.buffer);
      expect(views[0]!.byteOffset).to.equal(phys - r.mem.base);
      expect(r.dev.stats.total.device_read_bytes).to.equal(6000);
      dma_unmap_phys(r.dev, a, 6000, DMA_TO_DEVICE, 0);
    });

    it('reuses the caller\'s output array', () => {
      const r = rig({ debug: false });
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      const out: Uint8Array[] = [new Uint8Array(1), new Uint8Array(2)];
      const v = dmaDeviceRead(r.dev, phys, 10, out);
      expect(v).to.equal(out);
      expect(out).to.have.length(1);
    });

    it('reads a zero-length range as no views', () => {
      const r = rig();
      expect(dmaDeviceRead(r.dev, 0x20_0000, 0)).to.deep.equal([]);
    });

    it('through an IOMMU, returns the bytes behind the IOVA, split at discontiguous pages', () => {
      const r = rig({ path: 'iommu-strict' });
      const pg = patterned(r.mem, 0, 8);
      const a = mapOk(r, page_to_phys(pg) + 100, 200, DMA_TO_DEVICE);
      expect(a).to.not.equal(page_to_phys(pg) + 100);
      expect(a % PAGE_SIZE).to.equal(100); // the IOVA keeps the intra-granule offset (§11 item 7)
      const v = dmaDeviceRead(r.dev, a, 200) as Uint8Array[];
      expect(concat(v)).to.deep.equal(r.mem.view(page_to_phys(pg) + 100, 200));
      dma_unmap_phys(r.dev, a, 200, DMA_TO_DEVICE, 0);
    });

    it('for a non-coherent device, returns views of the cache shadow (what DRAM holds)', () => {
      const r = rig({ path: 'noncoherent' });
      const pg = patterned(r.mem, 0, 1);
      const phys = page_to_phys(pg);
      const a = mapOk(r, phys, 64, DMA_TO_DEVICE);
      const v = dmaDeviceRead(r.dev, a, 64) as Uint8Array[];
      expect(v[0]!.buffer).to.equal(noncoherentShadowPage(r.mem, phys / PAGE_SIZE)!.buffer);
      dma_unmap_phys(r.dev, a, 64, DMA_TO_DEVICE, 0);
    });

    it('reads a bounced mapping from its swiotlb slot', () => {
      const r = rig({ path: 'swiotlb' });
      const pg = patterned(r.mem, 0, 2);
      const a = mapOk(r, page_to_phys(pg), 300, DMA_TO_DEVICE);
      const v = dmaDeviceRead(r.dev, a, 300) as Uint8Array[];
      expect(v[0]!.byteOffset).to.be.below(r.dev.dma_io_tlb_mem!.end);
      expect(concat(v)).to.deep.equal(r.mem.view(page_to_phys(pg), 300));
      dma_unmap_phys(r.dev, a, 300, DMA_TO_DEVICE, 0);
    });
  });

  describe('dmaDeviceWrite / dmaDeviceCopyOut', () => {
    it('writes exactly the mapped bytes and nothing around them', () => {
      const r = rig();
      const pg = alloc_pages(r.mem, 1)!;
      const phys = page_to_phys(pg);
      const a = mapOk(r, phys + 4000, 200, DMA_FROM_DEVICE);
      const src = new Uint8Array(200);
      fill(src, 3);
      expect(dmaDeviceWrite(r.dev, a, src)).to.equal(200);
      expect(r.mem.view(phys + 4000, 200)).to.deep.equal(src);
      expect(r.mem.view(phys + 3999, 1)[0]).to.equal(0);
      expect(r.mem.view(phys + 4200, 1)[0]).to.equal(0);
      expect(r.dev.stats.total.device_write_bytes).to.equal(200);
      dma_unmap_phys(r.dev, a, 200, DMA_FROM_DEVICE, 0);
    });

    it('copies out into a packet buffer', () => {
      const r = rig();
      const pg = patterned(r.mem, 0, 5);
      const a = mapOk(r, page_to_phys(pg), 128, DMA_BIDIRECTIONAL);
      const dst = new Uint8Array(128);
      expect(dmaDeviceCopyOut(r.dev, a, dst)).to.equal(128);
      expect(dst).to.deep.equal(r.mem.view(page_to_phys(pg), 128));
      dma_unmap_phys(r.dev, a, 128, DMA_BIDIRECTIONAL, 0);
    });

    it('dmaDeviceAccess(write) hands out views the device fills in place', () => {
      const r = rig();
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      const a = mapOk(r, phys, 16, DMA_FROM_DEVICE);
      const views = dmaDeviceAccess(r.dev, a, 16, true) as Uint8Array[];
      views[0]!.fill(0xab);
      expect(r.mem.view(phys, 16)).to.deep.equal(new Uint8Array(16).fill(0xab));
      dma_unmap_phys(r.dev, a, 16, DMA_FROM_DEVICE, 0);
    });
  });

  describe('faults (values, never exceptions)', () => {
    it('an address outside RAM faults with reason "not-ram"', () => {
      const r = rig({ debug: false });
      const f = dmaDeviceRead(r.dev, r.mem.base + r.mem.size - 8, 16);
      expect(f).to.be.instanceOf(DmaFault);
      expect((f as DmaFault).reason).to.equal('not-ram');
      expect((f as DmaFault).write).to.equal(false);
      expect((f as DmaFault).message).to.contain('not RAM');
      expect(r.dev.stats.total.faults).to.equal(1);
      expect(r.dev.stats.total.device_read_bytes).to.equal(0);
    });

    it('an address beyond the device mask faults with reason "mask" and writes nothing', () => {
      const r = rig({ debug: false, dev: { dma_mask: DMA_BIT_MASK(20) } });
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      expect(phys).to.be.above(DMA_BIT_MASK(20));
      const f = dmaDeviceWrite(r.dev, phys, new Uint8Array([1, 2, 3]));
      expect((f as DmaFault).reason).to.equal('mask');
      expect(r.mem.view(phys, 3)).to.deep.equal(new Uint8Array(3));
    });

    it('an IOMMU prot violation (device write to a TO_DEVICE mapping) faults with reason "iommu" and is recorded', () => {
      const r = rig({ path: 'iommu-strict', debug: false });
      const pg = alloc_pages(r.mem, 0)!;
      const a = mapOk(r, page_to_phys(pg), 64, DMA_TO_DEVICE);
      const f = dmaDeviceWrite(r.dev, a, new Uint8Array(8).fill(1));
      expect((f as DmaFault).reason).to.equal('iommu');
      expect(r.mem.view(page_to_phys(pg), 8)).to.deep.equal(new Uint8Array(8));
      expect(r.dev.iommu_domain!.faults).to.have.length(1);
      expect(r.dev.stats.total.faults).to.equal(1);
      expect(r.log.grep('DMAR: [DMA Write')).to.have.length(1);
      dma_unmap_phys(r.dev, a, 64, DMA_TO_DEVICE, 0);
    });

    it('an access to an unmapped IOVA faults with reason "iommu"', () => {
      const r = rig({ path: 'iommu-strict', debug: false });
      const pg = alloc_pages(r.mem, 0)!;
      const a = mapOk(r, page_to_phys(pg), 64, DMA_FROM_DEVICE);
      dma_unmap_phys(r.dev, a, 64, DMA_FROM_DEVICE, 0);
      const f = dmaDeviceWrite(r.dev, a, new Uint8Array(8));
      expect((f as DmaFault).reason).to.equal('iommu');
    });

    it('an access outside any live mapping is a dma-debug error and a "dma-debug" fault', () => {
      const r = rig({ strictDebug: false });
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      const a = mapOk(r, phys, 64, DMA_FROM_DEVICE);
      const f = dmaDeviceWrite(r.dev, a + 60, new Uint8Array(8));
      expect((f as DmaFault).reason).to.equal('dma-debug');
      expect(debugMessages(r).some((m) => m.includes('device accessed DMA memory outside any mapping'))).to.equal(true);
      expect(r.mem.view(phys + 60, 8)).to.deep.equal(new Uint8Array(8));
      dma_unmap_phys(r.dev, a, 64, DMA_FROM_DEVICE, 0);
    });

    it('a device write into a TO_DEVICE mapping without an IOMMU is a dma-debug error (the hardware would let it through)', () => {
      const r = rig({ strictDebug: false });
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      const a = mapOk(r, phys, 64, DMA_TO_DEVICE);
      const f = dmaDeviceWrite(r.dev, a, new Uint8Array(8));
      expect((f as DmaFault).reason).to.equal('dma-debug');
      expect(debugMessages(r).some((m) => m.includes('device wrote DMA memory mapped DMA_TO_DEVICE'))).to.equal(true);
      dma_unmap_phys(r.dev, a, 64, DMA_TO_DEVICE, 0);
    });

    it('an IOMMU fault takes precedence over the dma-debug report', () => {
      const r = rig({ path: 'iommu-strict', strictDebug: false });
      const f = dmaDeviceRead(r.dev, 0x1234_5000, 8);
      expect((f as DmaFault).reason).to.equal('iommu');
      expect(debugMessages(r).some((m) => m.includes('outside any mapping'))).to.equal(true);
    });
  });
});
