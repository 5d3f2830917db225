/**
 * Tests for direct.ts (kernel/dma/direct.{c,h}, include/linux/dma-direct.h): KERNEL.md §4.3 and §11 item 6.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Dmesg } from '@rdmaemu/sim-core';
import { U64_MAX } from '../src/_bits.js';
import { bio_vec } from '../src/bvec.js';
import { device } from '../src/device.js';
import {
  dma_capable, dma_direct_get_required_mask, dma_direct_map_bvecs, dma_direct_map_phys, dma_direct_map_sg,
  dma_direct_max_mapping_size, dma_direct_need_sync, dma_direct_sync_bvecs_for_cpu, dma_direct_sync_sg_for_device,
  dma_direct_sync_single_for_cpu, dma_direct_sync_single_for_device, dma_direct_unmap_bvecs, dma_direct_unmap_phys,
  dma_direct_unmap_sg, dma_to_phys, phys_to_dma,
} from '../src/direct.js';
import { dmaDeviceCopyOut, dmaDeviceWrite } from '../src/dma-device-access.js';
import {
  DMA_ATTR_MMIO, DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_BIT_MASK, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE,
  type dma_data_direction,
} from '../src/dma-mapping.h.js';
import { noncoherentShadowCount, noncoherentShadowPage } from '../src/dma-noncoherent.js';
import { PAGE_SIZE, PhysicalMemory, page_to_phys } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';
import { sg_init_table, sg_set_page } from '../src/scatterlist.js';
import { is_swiotlb_buffer, swiotlb_max_mapping_size } from '../src/swiotlb.js';
import { fcSeed, fill, patterned, rig, unreachableRig } from './_support.js';

function plainDev(init: ConstructorParameters<typeof device>[1] = { name: 'd' }, mem = new PhysicalMemory({ size: '4M' })): device {
  return new device({ name: 'h', mem, log: new Dmesg(), debug: null }, init);
}

describe('direct', () => {
  describe('phys_to_dma / dma_to_phys', () => {
    it('add and remove the device bus offset', () => {
      const dev = plainDev({ name: 'd', dma_bus_offset: 0x8000_0000 });
      expect(phys_to_dma(dev, 0x12345)).to.equal(0x8001_2345);
      expect(dma_to_phys(dev, 0x8001_2345)).to.equal(0x12345);
    });
  });

  describe('dma_capable', () => {
    it('accepts a range whose last byte is exactly the mask and rejects one byte more', () => {
      const dev = plainDev({ name: 'd', dma_mask: DMA_BIT_MASK(32) });
      expect(dma_capable(dev, 0xffff_f000, 0x1000, true)).to.equal(true);
      expect(dma_capable(dev, 0xffff_f001, 0x1000, true)).to.equal(false);
    });

    it('uses min_not_zero(dma_mask, bus_dma_limit)', () => {
      const dev = plainDev({ name: 'd', dma_mask: DMA_BIT_MASK(64), bus_dma_limit: 0xffff });
      expect(dma_capable(dev, 0xf000, 0x1000, true)).to.equal(true);
      expect(dma_capable(dev, 0xf000, 0x1001, true)).to.equal(false);
      dev.bus_dma_limit = 0;
      expect(dma_capable(dev, 2 ** 40, 0x1000, true)).to.equal(true);
    });

    it('rejects DMA_MAPPING_ERROR and a device without a DMA mask', () => {
      const dev = plainDev();
      expect(dma_capable(dev, DMA_MAPPING_ERROR, 1, true)).to.equal(false);
      dev.dma_mask = null;
      expect(dma_capable(dev, 0, 1, true)).to.equal(false);
    });
  });

  describe('dma_direct_map_phys', () => {
    it('returns phys_to_dma for reachable memory and copies nothing', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      const dev = plainDev({ name: 'd', dma_bus_offset: 0x1_0000_0000 }, mem);
      const phys = page_to_phys(alloc_pages(mem, 0)!);
      expect(dma_direct_map_phys(dev, phys + 5, 100, DMA_TO_DEVICE, 0)).to.equal(phys + 5 + 0x1_0000_0000);
    });

    it('fails with DMA_MAPPING_ERROR and logs the overflow once when the device cannot reach the memory and there is no swiotlb', () => {
      const r = unreachableRig(false);
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      expect(dma_direct_map_phys(r.dev, phys, 64, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
      expect(dma_direct_map_phys(r.dev, phys, 64, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
      const lines = r.log.grep('overflow');
      expect(lines).to.have.length(1);
      expect(lines[0]!.text).to.contain(`DMA addr 0x${phys.toString(16).padStart(16, '0')}+64 overflow (mask ffffffff, bus limit 0).`);
      expect(r.dev.warn_count).to.equal(2);
    });

    it('bounces through swiotlb when the device cannot reach the memory and a pool exists', () => {
      const r = rig({ path: 'swiotlb', debug: false });
      const pg = patterned(r.mem, 0, 9);
      const phys = page_to_phys(pg);
      const addr = dma_direct_map_phys(r.dev, phys, 300, DMA_TO_DEVICE, 0);
      expect(addr).to.not.equal(DMA_MAPPING_ERROR);
      expect(is_swiotlb_buffer(r.dev, dma_to_phys(r.dev, addr))).to.equal(true);
      expect(r.mem.view(dma_to_phys(r.dev, addr), 300)).to.deep.equal(r.mem.view(phys, 300));
      dma_direct_unmap_phys(r.dev, addr, 300, DMA_TO_DEVICE, 0);
      expect(r.dev.dma_io_tlb_mem!.used).to.equal(0);
    });

    it('always bounces on a force-bounce device, and refuses MMIO there', () => {
      const r = rig({ path: 'force-bounce', debug: false });
      const phys = page_to_phys(patterned(r.mem, 0, 1));
      const addr = dma_direct_map_phys(r.dev, phys, 100, DMA_BIDIRECTIONAL, 0);
      expect(is_swiotlb_buffer(r.dev, dma_to_phys(r.dev, addr))).to.equal(true);
      expect(dma_direct_map_phys(r.dev, 0xfe00_0000, 100, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO)).to.equal(DMA_MAPPING_ERROR);
      dma_direct_unmap_phys(r.dev, addr, 100, DMA_BIDIRECTIONAL, 0);
    });

    it('maps MMIO at its physical address (no bus offset, no cache maintenance)', () => {
      const r = rig({ path: 'noncoherent', debug: false, dev: { dma_bus_offset: 0x1000 } });
      expect(dma_direct_map_phys(r.dev, 0xfe00_0000, 4096, DMA_FROM_DEVICE, DMA_ATTR_MMIO)).to.equal(0xfe00_0000);
      expect(r.dev.stats.total.cache_maint_bytes).to.equal(0);
      expect(noncoherentShadowCount(r.mem)).to.equal(0);
    });

    it('fails MMIO beyond the mask with the overflow warning', () => {
      const r = rig({ path: 'direct', debug: false, dev: { dma_mask: DMA_BIT_MASK(32) } });
      expect(dma_direct_map_phys(r.dev, 2 ** 36, 4096, DMA_FROM_DEVICE, DMA_ATTR_MMIO)).to.equal(DMA_MAPPING_ERROR);
      expect(r.log.grep('overflow')).to.have.length(1);
    });

    it('cleans the cache for a non-coherent device unless DMA_ATTR_SKIP_CPU_SYNC', () => {
      const r = rig({ path: 'noncoherent', debug: false });
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      const addr = dma_direct_map_phys(r.dev, phys, 100, DMA_TO_DEVICE, 0);
      expect(r.dev.stats.total.cache_maint_bytes).to.equal(100);
      dma_direct_unmap_phys(r.dev, addr, 100, DMA_TO_DEVICE, 0);
      const a2 = dma_direct_map_phys(r.dev, phys, 100, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
      expect(r.dev.stats.total.cache_maint_bytes).to.equal(100);
      expect(noncoherentShadowCount(r.mem)).to.equal(1);
      dma_direct_unmap_phys(r.dev, a2, 100, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
      expect(noncoherentShadowCount(r.mem)).to.equal(0);
    });
  });

  describe('dma_direct_unmap_phys', () => {
    it('copies the bounce buffer back for FROM_DEVICE and frees the slots', () => {
      const r = rig({ path: 'swiotlb', debug: false });
      const phys = page_to_phys(patterned(r.mem, 0, 2));
      const addr = dma_direct_map_phys(r.dev, phys, 200, DMA_FROM_DEVICE, 0);
      r.mem.view(dma_to_phys(r.dev, addr), 200).fill(0x42); // the device wrote the slot
      dma_direct_unmap_phys(r.dev, addr, 200, DMA_FROM_DEVICE, 0);
      expect(r.mem.view(phys, 200)).to.deep.equal(new Uint8Array(200).fill(0x42));
      expect(r.dev.dma_io_tlb_mem!.used).to.equal(0);
    });

    it('does not copy back with DMA_ATTR_SKIP_CPU_SYNC', () => {
      const r = rig({ path: 'swiotlb', debug: false });
      const phys = page_to_phys(patterned(r.mem, 0, 3));
      const before = r.mem.view(phys, 200).slice();
      const addr = dma_direct_map_phys(r.dev, phys, 200, DMA_FROM_DEVICE, 0);
      r.mem.view(dma_to_phys(r.dev, addr), 200).fill(0x42);
      dma_direct_unmap_phys(r.dev, addr, 200, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
      expect(r.mem.view(phys, 200)).to.deep.equal(before);
    });

    it('does nothing for DMA_ATTR_MMIO', () => {
      const r = rig({ path: 'noncoherent', debug: false });
      dma_direct_unmap_phys(r.dev, 0xfe00_0000, 4096, DMA_FROM_DEVICE, DMA_ATTR_MMIO);
      expect(r.dev.stats.total.cache_maint_bytes).to.equal(0);
    });
  });

  describe('dma_direct_sync_single_for_device / _for_cpu', () => {
    it('for the device: swiotlb orig→bounce first, then the cache clean of the bounce slot', () => {
      const r = rig({ path: 'noncoherent-swiotlb', debug: false });
      const phys = page_to_phys(patterned(r.mem, 0, 4));
      const addr = dma_direct_map_phys(r.dev, phys, 64, DMA_TO_DEVICE, 0);
      r.mem.view(phys, 64).fill(0x99); // CPU writes after map
      dma_direct_sync_single_for_device(r.dev, addr, 64, DMA_TO_DEVICE);
      const slot = dma_to_phys(r.dev, addr);
      const sh = noncoherentShadowPage(r.mem, Math.floor(slot / PAGE_SIZE))!;
      const off = slot % PAGE_SIZE;
      expect(sh.subarray(off, off + 64)).to.deep.equal(new Uint8Array(64).fill(0x99));
      const seen = new Uint8Array(64);
      dmaDeviceCopyOut(r.dev, addr, seen);
      expect(seen).to.deep.equal(new Uint8Array(64).fill(0x99));
      dma_direct_unmap_phys(r.dev, addr, 64, DMA_TO_DEVICE, 0);
    });

    it('for the CPU: cache invalidate of the slot first, then swiotlb bounce→orig', () => {
      const r = rig({ path: 'noncoherent-swiotlb', debug: false });
      const phys = page_to_phys(patterned(r.mem, 0, 5));
      const addr = dma_direct_map_phys(r.dev, phys, 64, DMA_FROM_DEVICE, 0);
      dmaDeviceWrite(r.dev, addr, new Uint8Array(64).fill(0x3c)); // lands in the slot's shadow
      dma_direct_sync_single_for_cpu(r.dev, addr, 64, DMA_FROM_DEVICE);
      expect(r.mem.view(phys, 64)).to.deep.equal(new Uint8Array(64).fill(0x3c));
      dma_direct_unmap_phys(r.dev, addr, 64, DMA_FROM_DEVICE, 0);
      expect(noncoherentShadowCount(r.mem)).to.equal(0);
    });
  });

  describe('dma_direct_map_sg', () => {
    it('maps every entry separately and returns nents, even for physically contiguous entries (no merging)', () => {
      const r = rig({ debug: false });
      const pg = alloc_pages(r.mem, 2)!;
      const sgl = sg_init_table(4);
      for (let i = 0; i < 4; i++) sg_set_page(sgl[i]!, r.mem.pageOf(pg.pfn + i), PAGE_SIZE, 0);
      expect(dma_direct_map_sg(r.dev, sgl, 4, DMA_TO_DEVICE, 0)).to.equal(4);
      for (let i = 0; i < 4; i++) {
        expect(sgl[i]!.dma_address).to.equal(page_to_phys(pg) + i * PAGE_SIZE);
        expect(sgl[i]!.dma_length).to.equal(PAGE_SIZE);
      }
      dma_direct_unmap_sg(r.dev, sgl, 4, DMA_TO_DEVICE, 0);
    });

    it('returns -EIO and unmaps the entries already mapped when one fails (swiotlb exhausted)', () => {
      const r = rig({ path: 'force-bounce', debug: false, nslabs: 128 }); // 256 KiB pool
      const sgl = sg_init_table(3);
      for (let i = 0; i < 3; i++) sg_set_page(sgl[i]!, alloc_pages(r.mem, 5)!, 120 * 1024, 0);
      expect(dma_direct_map_sg(r.dev, sgl, 3, DMA_TO_DEVICE, 0)).to.equal(-5);
      expect(r.dev.dma_io_tlb_mem!.used).to.equal(0);
      expect(r.log.grep('swiotlb buffer is full')).to.have.length(1);
    });

    it('syncs each entry for the device (bounced entries get the CPU bytes)', () => {
      const r = rig({ path: 'force-bounce', debug: false });
      const a = patterned(r.mem, 0, 7);
      const sgl = sg_init_table(1);
      sg_set_page(sgl[0]!, a, 100, 10);
      dma_direct_map_sg(r.dev, sgl, 1, DMA_TO_DEVICE, 0);
      r.mem.view(page_to_phys(a) + 10, 100).fill(5);
      dma_direct_sync_sg_for_device(r.dev, sgl, 1, DMA_TO_DEVICE);
      expect(r.mem.view(dma_to_phys(r.dev, sgl[0]!.dma_address), 100)).to.deep.equal(new Uint8Array(100).fill(5));
      dma_direct_unmap_sg(r.dev, sgl, 1, DMA_TO_DEVICE, 0);
    });
  });

  describe('dma_direct_map_bvecs (RFC 5/9)', () => {
    it('maps each bio_vec into bv_dma_address / bv_dma_length and returns nents', () => {
      const r = rig({ debug: false, dev: { dma_bus_offset: 0x4000_0000 } });
      const pg = alloc_pages(r.mem, 1)!;
      const bvecs = [new bio_vec(pg, 5000, 100), new bio_vec(pg, 10, 0)];
      expect(dma_direct_map_bvecs(r.dev, bvecs, 2, DMA_FROM_DEVICE, 0)).to.equal(2);
      expect(bvecs[0]!.bv_dma_address).to.equal(page_to_phys(pg) + 100 + 0x4000_0000);
      expect(bvecs[0]!.bv_dma_length).to.equal(5000);
      expect(bvecs[1]!.bv_dma_length).to.equal(10);
      dma_direct_unmap_bvecs(r.dev, bvecs, 2, DMA_FROM_DEVICE, 0);
    });

    it('returns -EIO and leaves nothing mapped when an entry cannot be reached', () => {
      const r = rig({ path: 'swiotlb', debug: false, nslabs: 128 });
      const bvecs = [new bio_vec(alloc_pages(r.mem, 5)!, 100 * 1024, 0), new bio_vec(alloc_pages(r.mem, 7)!, 300 * 1024, 0)];
      expect(dma_direct_map_bvecs(r.dev, bvecs, 2, DMA_TO_DEVICE, 0)).to.equal(-5);
      expect(r.dev.dma_io_tlb_mem!.used).to.equal(0);
    });

    it('round-trips device writes through bounce buffers for any size, offset and direction', () => {
      const seed = fcSeed(0xb7ec5);
      fc.assert(fc.property(
        fc.array(fc.record({ off: fc.integer({ min: 0, max: 8000 }), len: fc.integer({ min: 1, max: 9000 }) }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom<dma_data_direction>(DMA_FROM_DEVICE, DMA_BIDIRECTIONAL),
        fc.constantFrom('swiotlb', 'force-bounce', 'direct', 'noncoherent', 'noncoherent-swiotlb' as const),
        (shape, dir, path) => {
          const r = rig({ path, debug: false });
          const bvecs = shape.map((s) => new bio_vec(alloc_pages(r.mem, 2)!, Math.min(s.len, 4 * PAGE_SIZE - s.off), s.off));
          expect(dma_direct_map_bvecs(r.dev, bvecs, bvecs.length, dir, 0)).to.equal(bvecs.length);
          const want = bvecs.map((bv, i) => {
            const w = new Uint8Array(bv.bv_len);
            fill(w, i + 77);
            expect(dmaDeviceWrite(r.dev, bv.bv_dma_address, w)).to.equal(w.length);
            return w;
          });
          dma_direct_sync_bvecs_for_cpu(r.dev, bvecs, bvecs.length, dir);
          bvecs.forEach((bv, i) => expect(r.mem.view(page_to_phys(bv.bv_page) + bv.bv_offset, bv.bv_len)).to.deep.equal(want[i]));
          dma_direct_unmap_bvecs(r.dev, bvecs, bvecs.length, dir, 0);
          expect(r.dev.dma_io_tlb_mem?.used ?? 0).to.equal(0);
        },
      ), { seed, numRuns: 60 });
    });
  });

  describe('dma_direct_max_mapping_size', () => {
    it('is SIZE_MAX for a device that reaches all memory', () => {
      expect(dma_direct_max_mapping_size(rig({ debug: false }).dev)).to.equal(U64_MAX);
    });

    it("is swiotlb's limit for an addressing-limited or force-bounce device with a pool", () => {
      const limited = rig({ path: 'swiotlb', debug: false });
      expect(dma_direct_max_mapping_size(limited.dev)).to.equal(swiotlb_max_mapping_size(limited.dev));
      const forced = rig({ path: 'force-bounce', debug: false });
      expect(dma_direct_max_mapping_size(forced.dev)).to.equal(256 * 1024);
    });
  });

  describe('dma_direct_need_sync', () => {
    it('is false for a coherent unbounced mapping, true for non-coherent or bounced ones', () => {
      const r = rig({ debug: false });
      expect(dma_direct_need_sync(r.dev, 0x20_0000)).to.equal(false);
      expect(dma_direct_need_sync(rig({ path: 'noncoherent', debug: false }).dev, 0x20_0000)).to.equal(true);
      const b = rig({ path: 'force-bounce', debug: false });
      expect(dma_direct_need_sync(b.dev, b.dev.dma_io_tlb_mem!.start)).to.equal(true);
    });
  });

  describe('dma_direct_get_required_mask', () => {
    it('covers the highest RAM address with an all-ones mask', () => {
      const dev = plainDev({ name: 'd' }, new PhysicalMemory({ size: '16M' }));
      expect(dma_direct_get_required_mask(dev)).to.equal(DMA_BIT_MASK(24));
      const high = plainDev({ name: 'd' }, new PhysicalMemory({ size: '4M', base: 2 ** 32 }));
      expect(dma_direct_get_required_mask(high)).to.equal(DMA_BIT_MASK(33));
    });
  });

  it('the swiotlb rig places the pool below the mask and buffers above it', () => {
    const r = rig({ path: 'swiotlb', debug: false });
    expect(r.dev.dma_io_tlb_mem!.end - 1).to.be.at.most(r.dev.dma_mask!);
    expect(page_to_phys(alloc_pages(r.mem, 0)!)).to.be.above(r.dev.dma_mask!);
  });
});
