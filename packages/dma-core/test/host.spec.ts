/**
 * Tests for host.ts (DmaHost): what a machine gives its devices — memory, dmesg, the default
 * swiotlb pool, a DMA / DMA_FQ default domain per IOMMU mode, dma-debug — and driver unbind with
 * the "pending DMA allocations while released" leak check (KERNEL.md §4.6 item 20).
 */
import { expect } from 'chai';
import { SimClock, isKernelBug } from '@rdmaemu/sim-core';
import { DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../src/dma-mapping.h.js';
import { dma_map_phys, dma_mapping_error, dma_unmap_phys } from '../src/dma-mapping.js';
import { dmaDeviceRead, isDmaFault } from '../src/dma-device-access.js';
import { iommuDmaFqDepth } from '../src/dma-iommu.js';
import { createDmaHost } from '../src/host.js';
import { IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, iommuTranslate } from '../src/iommu.js';
import { PAGE_SIZE, page_to_phys } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';
import { IO_TLB_SIZE } from '../src/swiotlb.js';

const MiB = 1024 * 1024;

describe('host', () => {
  describe('createDmaHost', () => {
    it('defaults to 256 MiB of RAM at 0, no IOMMU, dma-debug on and a swiotlb pool of 1/8 of RAM', () => {
      const host = createDmaHost();
      expect(host.name).to.equal('host');
      expect(host.mem.base).to.equal(0);
      expect(host.mem.size).to.equal(256 * MiB);
      expect(host.iommu).to.equal('off');
      expect(host.clock).to.equal(null);
      expect(host.debug).to.not.equal(null);
      // IO_TLB_DEFAULT_SIZE (64 MiB) clamped to 1/8 of 256 MiB
      expect(host.swiotlb!.nslabs * IO_TLB_SIZE).to.equal(32 * MiB);
      expect(host.swiotlb!.start).to.be.greaterThanOrEqual(host.mem.base);
      expect(host.swiotlb!.end).to.be.at.most(host.mem.base + host.mem.size);
    });

    it('takes memory as a size string or full options, and no swiotlb or dma-debug when false', () => {
      const a = createDmaHost({ name: 'client', memory: '16M', swiotlb: false, dmaDebug: false });
      expect(a.mem.size).to.equal(16 * MiB);
      expect(a.swiotlb).to.equal(null);
      expect(a.debug).to.equal(null);
      const b = createDmaHost({ memory: { size: '8M', base: 2 ** 32 }, swiotlb: { nslabs: 256 } });
      expect(b.mem.base).to.equal(2 ** 32);
      expect(b.mem.size).to.equal(8 * MiB);
      expect(b.swiotlb!.nslabs).to.equal(256);
    });

    it('keeps hosts apart: two hosts share no memory, log or dma-debug', () => {
      const a = createDmaHost({ name: 'client', memory: '16M' });
      const b = createDmaHost({ name: 'server', memory: '16M' });
      expect(a.mem).to.not.equal(b.mem);
      expect(a.log).to.not.equal(b.log);
      expect(a.debug).to.not.equal(b.debug);
      const da = a.addDevice({ name: 'a0' });
      const addr = dma_map_phys(da, page_to_phys(alloc_pages(a.mem, 0)!), 64, DMA_TO_DEVICE, 0);
      dma_mapping_error(da, addr);
      expect(a.debug!.live_entries).to.equal(1);
      expect(b.debug!.live_entries).to.equal(0);
      dma_unmap_phys(da, addr, 64, DMA_TO_DEVICE, 0);
    });

    it('timestamps dmesg lines with the host clock', () => {
      const clock = new SimClock({ seed: 1 });
      const host = createDmaHost({ memory: '16M', clock, swiotlb: false });
      clock.tick(3);
      const dev = host.addDevice({ name: 'dev0', dma_mask: 0 });
      dev.dma_mask = null;
      dma_map_phys(dev, 0x20_0000, 64, DMA_TO_DEVICE, 0); // WARN_ON_ONCE(!dev->dma_mask) is logged
      const line = host.log.grep('dma_mask')[0]!;
      expect(line.ts_ns).to.equal(3_000_000);
    });
  });

  describe('DmaHost.addDevice', () => {
    it('without an IOMMU: dma-direct, the default swiotlb pool, no domain', () => {
      const host = createDmaHost({ memory: '16M' });
      const dev = host.addDevice({ name: '0000:01:00.0', driver: 'mlx5_core' });
      expect(dev.host).to.equal(host);
      expect(dev.driver).to.equal('mlx5_core');
      expect(dev.dma_io_tlb_mem).to.equal(host.swiotlb);
      expect(dev.iommu_domain).to.equal(null);
      expect(dev.dma_iommu).to.equal(false);
      expect(host.devices).to.deep.equal([dev]);
    });

    it('with iommu "strict": its own IOMMU_DOMAIN_DMA domain, no flush queue', () => {
      const host = createDmaHost({ memory: '16M', iommu: 'strict' });
      const a = host.addDevice({ name: 'a' });
      const b = host.addDevice({ name: 'b' });
      expect(a.dma_iommu).to.equal(true);
      expect(a.iommu_domain!.type).to.equal(IOMMU_DOMAIN_DMA);
      expect(a.iommu_domain!.iova_cookie!.fq_domain).to.equal(null);
      expect(b.iommu_domain).to.not.equal(a.iommu_domain);
      expect(a.dma_io_tlb_mem).to.equal(host.swiotlb);
    });

    it('with iommu "lazy": an IOMMU_DOMAIN_DMA_FQ domain with a flush queue', () => {
      const host = createDmaHost({ memory: '16M', iommu: 'lazy' });
      const dev = host.addDevice({ name: 'dev0' });
      expect(dev.dma_iommu).to.equal(true);
      expect(dev.iommu_domain!.type).to.equal(IOMMU_DOMAIN_DMA_FQ);
      expect(dev.iommu_domain!.iova_cookie!.fq_domain).to.equal(dev.iommu_domain);
    });

    it('strict: an unmapped IOVA faults at once; lazy: the 10 ms flush-queue timer on the host clock ends the stale window', () => {
      for (const iommu of ['strict', 'lazy'] as const) {
        const clock = new SimClock({ seed: 1 });
        const host = createDmaHost({ memory: '16M', iommu, clock });
        const dev = host.addDevice({ name: 'dev0' });
        const phys = page_to_phys(alloc_pages(host.mem, 0)!);
        const addr = dma_map_phys(dev, phys, PAGE_SIZE, DMA_TO_DEVICE, 0);
        expect(dma_mapping_error(dev, addr)).to.equal(0);
        expect(isDmaFault(dmaDeviceRead(dev, addr, PAGE_SIZE))).to.equal(false); // fills the IOTLB
        dma_unmap_phys(dev, addr, PAGE_SIZE, DMA_TO_DEVICE, 0);
        const domain = dev.iommu_domain!;
        if (iommu === 'strict') {
          expect(iommuDmaFqDepth(domain)).to.equal(0);
          expect(iommuTranslate(dev, addr, PAGE_SIZE, false), iommu).to.equal(null);
        } else {
          expect(iommuDmaFqDepth(domain)).to.equal(1);
          expect(iommuTranslate(dev, addr, PAGE_SIZE, false), 'stale IOTLB entry').to.deep.equal([phys, PAGE_SIZE]);
          clock.tick(9);
          expect(iommuDmaFqDepth(domain)).to.equal(1);
          clock.tick(1);
          expect(iommuDmaFqDepth(domain)).to.equal(0);
          expect(iommuTranslate(dev, addr, PAGE_SIZE, false), 'after the flush').to.equal(null);
        }
        expect(clock.pending).to.equal(0);
      }
    });
  });

  describe('DmaHost.removeDevice', () => {
    it('reports leaked mappings: "pending DMA allocations while released from device" (strict mode throws it)', () => {
      const host = createDmaHost({ memory: '16M', iommu: 'strict' });
      const dev = host.addDevice({ name: '0000:01:00.0', driver: 'mlx5_core' });
      const addr = dma_map_phys(dev, page_to_phys(alloc_pages(host.mem, 0)!), 512, DMA_FROM_DEVICE, 0);
      dma_mapping_error(dev, addr);
      const domain = dev.iommu_domain!;
      let err: unknown;
      try {
        host.removeDevice(dev);
      } catch (e) {
        err = e;
      }
      expect(isKernelBug(err), String(err)).to.equal(true);
      expect((err as Error).message).to.contain('device driver has pending DMA allocations while released from device [count=1]');
      expect(host.debug!.error_count).to.equal(1);
      expect(host.debug!.errors[0]!.message).to.contain(`[size=512 bytes] [mapped with DMA_FROM_DEVICE] [mapped as phy]`);
      expect(host.log.grep('DMA-API: mlx5_core 0000:01:00.0: device driver has pending DMA allocations').length).to.equal(1);
      // the unbind still happened
      expect(host.devices).to.deep.equal([]);
      expect(dev.released).to.equal(true);
      expect(dev.iommu_domain).to.equal(null);
      expect(dev.dma_iommu).to.equal(false);
      expect(domain.dev).to.equal(null);
      expect(domain.nr_ptes).to.equal(0);
    });

    it('only counts and logs the leak when dma-debug is not strict', () => {
      const host = createDmaHost({ memory: '16M', dmaDebug: { strict: false } });
      const dev = host.addDevice({ name: 'dev0' });
      const p = page_to_phys(alloc_pages(host.mem, 0)!);
      for (const off of [0, 1024]) dma_mapping_error(dev, dma_map_phys(dev, p + off, 64, DMA_TO_DEVICE, 0));
      host.removeDevice(dev);
      expect(host.debug!.error_count).to.equal(1);
      expect(host.debug!.errors[0]!.message).to.match(/^device driver has pending DMA allocations while released from device \[count=2\]/);
    });

    it('says nothing for a device that unmapped everything, and ignores a device it does not have', () => {
      const host = createDmaHost({ memory: '16M' });
      const dev = host.addDevice({ name: 'dev0' });
      const addr = dma_map_phys(dev, page_to_phys(alloc_pages(host.mem, 0)!), 64, DMA_TO_DEVICE, 0);
      dma_mapping_error(dev, addr);
      dma_unmap_phys(dev, addr, 64, DMA_TO_DEVICE, 0);
      host.removeDevice(dev);
      host.removeDevice(dev);
      expect(host.debug!.error_count).to.equal(0);
      expect(dev.released).to.equal(true);
    });

    it('frees a lazy domain: its armed flush-queue timer goes with it', () => {
      const clock = new SimClock({ seed: 1 });
      const host = createDmaHost({ memory: '16M', iommu: 'lazy', clock });
      const dev = host.addDevice({ name: 'dev0' });
      const addr = dma_map_phys(dev, page_to_phys(alloc_pages(host.mem, 0)!), 64, DMA_TO_DEVICE, 0);
      dma_mapping_error(dev, addr);
      dma_unmap_phys(dev, addr, 64, DMA_TO_DEVICE, 0);
      expect(clock.pending).to.equal(1);
      host.removeDevice(dev);
      expect(clock.pending).to.equal(0);
      expect(host.debug!.error_count).to.equal(0);
    });
  });
});
