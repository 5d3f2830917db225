/**
 * Tests for dma-noncoherent.ts: the cache model of a non-coherent DMA master (KERNEL.md §11 item 3).
 */
import { expect } from 'chai';
import {
  arch_sync_dma_for_cpu, arch_sync_dma_for_device, noncoherentHasShadows, noncoherentShadowCount, noncoherentShadowGet,
  noncoherentShadowPage, noncoherentShadowPut, noncoherentShadowReset,
} from '../src/dma-noncoherent.js';
import { dmaDeviceRead, dmaDeviceWrite, isDmaFault } from '../src/dma-device-access.js';
import {
  dma_map_phys, dma_map_sg_attrs, dma_mapping_error, dma_sync_sg_for_cpu, dma_sync_single_for_cpu,
  dma_sync_single_for_device, dma_unmap_phys, dma_unmap_sg_attrs,
} from '../src/dma-mapping.js';
import { DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../src/dma-mapping.h.js';
import { PAGE_SIZE, PhysicalMemory, page_to_phys } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';
import { sg_init_table, sg_set_page } from '../src/scatterlist.js';
import { concat, fill, patterned, rig } from './_support.js';

function deviceBytes(r: ReturnType<typeof rig>, addr: number, len: number): Uint8Array {
  const v = dmaDeviceRead(r.dev, addr, len);
  if (isDmaFault(v)) throw new Error(v.message);
  return concat(v);
}

describe('dma-noncoherent', () => {
  describe('arch_sync_dma_for_device', () => {
    it('copies the CPU bytes of the range into the device-visible shadow, creating it', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      const phys = page_to_phys(alloc_pages(mem, 1)!);
      fill(mem.view(phys, 2 * PAGE_SIZE), 1);
      expect(noncoherentShadowPage(mem, phys / PAGE_SIZE)).to.equal(undefined);
      arch_sync_dma_for_device(mem, phys + 100, PAGE_SIZE, DMA_TO_DEVICE);
      const s0 = noncoherentShadowPage(mem, phys / PAGE_SIZE)!;
      const s1 = noncoherentShadowPage(mem, phys / PAGE_SIZE + 1)!;
      expect(s0.subarray(100)).to.deep.equal(mem.view(phys + 100, PAGE_SIZE - 100));
      expect(s1.subarray(0, 100)).to.deep.equal(mem.view(phys + PAGE_SIZE, 100));
      expect(noncoherentShadowCount(mem)).to.equal(2);
    });

    it('cleans for DMA_FROM_DEVICE too, as arm64 does (dcache_clean_poc for every direction)', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      const phys = page_to_phys(alloc_pages(mem, 0)!);
      noncoherentShadowGet(mem, phys, PAGE_SIZE);
      mem.view(phys, 16).fill(0x5a);
      arch_sync_dma_for_device(mem, phys, 16, DMA_FROM_DEVICE);
      expect([...noncoherentShadowPage(mem, phys / PAGE_SIZE)!.subarray(0, 16)]).to.deep.equal(new Array(16).fill(0x5a));
    });

    it('leaves bytes outside the range alone (a later CPU write there stays invisible)', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      const phys = page_to_phys(alloc_pages(mem, 0)!);
      noncoherentShadowGet(mem, phys, PAGE_SIZE);
      mem.view(phys, PAGE_SIZE).fill(7);
      arch_sync_dma_for_device(mem, phys + 8, 8, DMA_TO_DEVICE);
      const sh = noncoherentShadowPage(mem, phys / PAGE_SIZE)!;
      expect(sh[7]).to.equal(0);
      expect(sh[8]).to.equal(7);
      expect(sh[15]).to.equal(7);
      expect(sh[16]).to.equal(0);
    });
  });

  describe('arch_sync_dma_for_cpu', () => {
    it('does nothing for DMA_TO_DEVICE (the device only read)', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      const phys = page_to_phys(alloc_pages(mem, 0)!);
      noncoherentShadowGet(mem, phys, PAGE_SIZE);
      noncoherentShadowPage(mem, phys / PAGE_SIZE)!.fill(9);
      arch_sync_dma_for_cpu(mem, phys, PAGE_SIZE, DMA_TO_DEVICE);
      expect(mem.view(phys, 1)[0]).to.equal(0);
    });

    it('copies the shadow into the CPU view for FROM_DEVICE and BIDIRECTIONAL, only the range', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      const phys = page_to_phys(alloc_pages(mem, 0)!);
      noncoherentShadowGet(mem, phys, PAGE_SIZE);
      noncoherentShadowPage(mem, phys / PAGE_SIZE)!.fill(9);
      arch_sync_dma_for_cpu(mem, phys + 10, 10, DMA_FROM_DEVICE);
      expect(mem.view(phys + 9, 1)[0]).to.equal(0);
      expect(mem.view(phys + 10, 1)[0]).to.equal(9);
      expect(mem.view(phys + 20, 1)[0]).to.equal(0);
      arch_sync_dma_for_cpu(mem, phys + 20, 1, DMA_BIDIRECTIONAL);
      expect(mem.view(phys + 20, 1)[0]).to.equal(9);
    });

    it('skips pages that have no shadow (they are coherent)', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      const phys = page_to_phys(alloc_pages(mem, 0)!);
      mem.view(phys, 4).fill(3);
      arch_sync_dma_for_cpu(mem, phys, PAGE_SIZE, DMA_FROM_DEVICE);
      expect(mem.view(phys, 1)[0]).to.equal(3);
      expect(noncoherentHasShadows(mem)).to.equal(false);
    });

    it('charges cache_maint_bytes to the device it is given', () => {
      const r = rig({ path: 'noncoherent', debug: false });
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      arch_sync_dma_for_device(r.mem, phys, 300, DMA_TO_DEVICE, r.dev);
      arch_sync_dma_for_cpu(r.mem, phys, 200, DMA_FROM_DEVICE, r.dev);
      arch_sync_dma_for_cpu(r.mem, phys, 200, DMA_TO_DEVICE, r.dev);
      expect(r.dev.stats.total.cache_maint_bytes).to.equal(500);
    });
  });

  describe('noncoherentShadowGet / noncoherentShadowPut', () => {
    it('refcounts shadow pages and discards them at zero', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      const phys = page_to_phys(alloc_pages(mem, 1)!);
      noncoherentShadowGet(mem, phys + 4000, 200); // two pages
      noncoherentShadowGet(mem, phys, 10); // first page again
      expect(noncoherentShadowCount(mem)).to.equal(2);
      noncoherentShadowPut(mem, phys + 4000, 200);
      expect(noncoherentShadowCount(mem)).to.equal(1);
      expect(noncoherentShadowPage(mem, phys / PAGE_SIZE)).to.not.equal(undefined);
      noncoherentShadowPut(mem, phys, 10);
      expect(noncoherentShadowCount(mem)).to.equal(0);
    });

    it('noncoherentShadowReset drops every shadow', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      arch_sync_dma_for_device(mem, page_to_phys(alloc_pages(mem, 0)!), 1, DMA_TO_DEVICE);
      noncoherentShadowReset(mem);
      expect(noncoherentShadowCount(mem)).to.equal(0);
    });
  });

  describe('through the mapping API on a non-coherent device', () => {
    it('a forgotten dma_sync_single_for_cpu leaves the CPU seeing stale data', () => {
      const r = rig({ path: 'noncoherent' });
      const pg = patterned(r.mem, 0, 1);
      const phys = page_to_phys(pg);
      const before = r.mem.view(phys, 512).slice();
      const addr = dma_map_phys(r.dev, phys, 512, DMA_FROM_DEVICE, 0);
      expect(dma_mapping_error(r.dev, addr)).to.equal(0);
      const payload = new Uint8Array(512).fill(0xee);
      expect(dmaDeviceWrite(r.dev, addr, payload)).to.equal(512);
      expect(r.mem.view(phys, 512)).to.deep.equal(before); // stale: no sync yet
      dma_sync_single_for_cpu(r.dev, addr, 512, DMA_FROM_DEVICE);
      expect(r.mem.view(phys, 512)).to.deep.equal(payload);
      dma_unmap_phys(r.dev, addr, 512, DMA_FROM_DEVICE, 0);
      expect(noncoherentShadowCount(r.mem)).to.equal(0);
    });

    it('a forgotten dma_sync_single_for_device leaves the device seeing stale data', () => {
      const r = rig({ path: 'noncoherent' });
      const phys = page_to_phys(patterned(r.mem, 0, 2));
      const addr = dma_map_phys(r.dev, phys, 256, DMA_TO_DEVICE, 0);
      expect(dma_mapping_error(r.dev, addr)).to.equal(0);
      const mapped = r.mem.view(phys, 256).slice();
      r.mem.view(phys, 256).fill(0x11); // CPU writes after map
      expect(deviceBytes(r, addr, 256)).to.deep.equal(mapped);
      dma_sync_single_for_device(r.dev, addr, 256, DMA_TO_DEVICE);
      expect(deviceBytes(r, addr, 256)).to.deep.equal(new Uint8Array(256).fill(0x11));
      dma_unmap_phys(r.dev, addr, 256, DMA_TO_DEVICE, 0);
    });

    it('an unmap with DMA_ATTR_SKIP_CPU_SYNC loses the device writes', () => {
      const r = rig({ path: 'noncoherent' });
      const phys = page_to_phys(patterned(r.mem, 0, 3));
      const before = r.mem.view(phys, 128).slice();
      const addr = dma_map_phys(r.dev, phys, 128, DMA_FROM_DEVICE, 0);
      expect(dma_mapping_error(r.dev, addr)).to.equal(0);
      dmaDeviceWrite(r.dev, addr, new Uint8Array(128).fill(0x77));
      dma_unmap_phys(r.dev, addr, 128, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
      expect(r.mem.view(phys, 128)).to.deep.equal(before);
      expect(noncoherentShadowCount(r.mem)).to.equal(0);
    });

    it('an unmap without SKIP_CPU_SYNC makes the device writes visible (sg list)', () => {
      const r = rig({ path: 'noncoherent' });
      const a = page_to_phys(patterned(r.mem, 0, 4));
      const b = patterned(r.mem, 0, 5);
      const sgl = sg_init_table(2);
      sg_set_page(sgl[0]!, r.mem.pageOf(a / PAGE_SIZE), 100, 50);
      sg_set_page(sgl[1]!, b, 200, 0);
      const n = dma_map_sg_attrs(r.dev, sgl, 2, DMA_BIDIRECTIONAL, 0);
      expect(n).to.equal(2);
      dmaDeviceWrite(r.dev, sgl[0]!.dma_address, new Uint8Array(100).fill(1));
      dmaDeviceWrite(r.dev, sgl[1]!.dma_address, new Uint8Array(200).fill(2));
      dma_sync_sg_for_cpu(r.dev, sgl, 2, DMA_BIDIRECTIONAL);
      expect(r.mem.view(a + 50, 100)).to.deep.equal(new Uint8Array(100).fill(1));
      dma_unmap_sg_attrs(r.dev, sgl, 2, DMA_BIDIRECTIONAL, 0);
      expect(r.mem.view(page_to_phys(b), 200)).to.deep.equal(new Uint8Array(200).fill(2));
      expect(noncoherentShadowCount(r.mem)).to.equal(0);
    });

    it('a coherent device on the same memory never sees a shadow', () => {
      const r = rig({ path: 'direct' });
      const phys = page_to_phys(patterned(r.mem, 0, 6));
      arch_sync_dma_for_device(r.mem, phys, PAGE_SIZE, DMA_TO_DEVICE); // some other device's clean
      r.mem.view(phys, 4).fill(0xcd);
      const addr = dma_map_phys(r.dev, phys, 4, DMA_TO_DEVICE, 0);
      dma_mapping_error(r.dev, addr);
      expect([...deviceBytes(r, addr, 4)]).to.deep.equal([0xcd, 0xcd, 0xcd, 0xcd]);
      dma_unmap_phys(r.dev, addr, 4, DMA_TO_DEVICE, 0);
    });
  });
});
