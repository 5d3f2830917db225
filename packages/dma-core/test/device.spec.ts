/**
 * Tests for device.ts (struct device as DMA sees it): the kernel's defaults for a device without
 * dma_parms, the dma_set_* / dma_get_* accessors, dev_printk and dev_WARN_ONCE, and dma_stat.
 */
import { expect } from 'chai';
import { Dmesg, KERN_ERR, KERN_WARNING } from '@rdmaemu/sim-core';
import { U64_MAX } from '../src/_bits.js';
import {
  dev_driver_string, dev_err, dev_is_dma_coherent, dev_is_untrusted, dev_name, dev_warn, dev_WARN_ONCE, device,
  dma_get_max_seg_size, dma_get_min_align_mask, dma_get_seg_boundary, dma_get_seg_boundary_nr_pages, dma_set_coherent_mask,
  dma_set_mask, dma_set_mask_and_coherent, dma_set_max_seg_size, dma_set_min_align_mask, dma_set_seg_boundary, dma_stat,
  use_dma_iommu, type DeviceHost,
} from '../src/device.js';
import { DMA_BIT_MASK } from '../src/dma-mapping.h.js';
import { PhysicalMemory } from '../src/memory.js';

function host(): DeviceHost {
  return { name: 'h', mem: new PhysicalMemory({ size: '4M', name: 'h' }), log: new Dmesg(), debug: null };
}

describe('device', () => {
  describe('struct device defaults', () => {
    it('has a 64-bit mask, the coherent mask = the mask, coherent, trusted, no bus limit, offset or IOMMU', () => {
      const dev = new device(host(), { name: '0000:01:00.0' });
      expect(dev_name(dev)).to.equal('0000:01:00.0');
      expect(dev_driver_string(dev)).to.equal('rdmaemu');
      expect(dev.dma_mask).to.equal(DMA_BIT_MASK(64));
      expect(dev.coherent_dma_mask).to.equal(DMA_BIT_MASK(64));
      expect(dev.bus_dma_limit).to.equal(0);
      expect(dev.dma_bus_offset).to.equal(0);
      expect(dev_is_dma_coherent(dev)).to.equal(true);
      expect(dev_is_untrusted(dev)).to.equal(false);
      expect(use_dma_iommu(dev)).to.equal(false);
      expect(dev.iommu_domain).to.equal(null);
      expect(dev.dma_io_tlb_mem).to.equal(null);
      expect(dev.dma_force_bounce).to.equal(false);
      expect(dev.dma_family).to.equal('none');
    });

    it('uses the kernel answers for a device without dma_parms: 64 KiB segments, no boundary, no min_align_mask', () => {
      const dev = new device(host(), { name: 'd' });
      expect(dma_get_max_seg_size(dev)).to.equal(65536);
      expect(dma_get_seg_boundary(dev)).to.equal(U64_MAX);
      expect(dma_get_min_align_mask(dev)).to.equal(0);
    });

    it('skips syncs only for a coherent device until it bounces (dma_skip_sync)', () => {
      expect(new device(host(), { name: 'c' }).dma_skip_sync).to.equal(true);
      expect(new device(host(), { name: 'n', coherent: false }).dma_skip_sync).to.equal(false);
    });

    it('takes every field from DeviceInit; the coherent mask follows the streaming mask unless given', () => {
      const dev = new device(host(), {
        name: 'd', driver: 'mlx5_core', dma_mask: DMA_BIT_MASK(32), bus_dma_limit: DMA_BIT_MASK(40), dma_bus_offset: 0x8000_0000,
        coherent: false, max_segment_size: 2 ** 31, segment_boundary_mask: 0xffff_ffff, min_align_mask: 0xfff, untrusted: true,
        force_bounce: true,
      });
      expect([dev.driver, dev.dma_mask, dev.coherent_dma_mask, dev.bus_dma_limit, dev.dma_bus_offset])
        .to.deep.equal(['mlx5_core', DMA_BIT_MASK(32), DMA_BIT_MASK(32), DMA_BIT_MASK(40), 0x8000_0000]);
      expect([dma_get_max_seg_size(dev), dma_get_seg_boundary(dev), dma_get_min_align_mask(dev)]).to.deep.equal([2 ** 31, 0xffff_ffff, 0xfff]);
      expect([dev_is_dma_coherent(dev), dev_is_untrusted(dev), dev.dma_force_bounce]).to.deep.equal([false, true, true]);
      expect(new device(host(), { name: 'e', dma_mask: DMA_BIT_MASK(32), coherent_dma_mask: DMA_BIT_MASK(24) }).coherent_dma_mask)
        .to.equal(DMA_BIT_MASK(24));
    });
  });

  describe('dma_set_* / dma_get_*', () => {
    it('set and read back the masks and dma_parms, returning 0', () => {
      const dev = new device(host(), { name: 'd' });
      expect(dma_set_mask(dev, DMA_BIT_MASK(40))).to.equal(0);
      expect(dev.dma_mask).to.equal(DMA_BIT_MASK(40));
      expect(dev.coherent_dma_mask).to.equal(DMA_BIT_MASK(64));
      expect(dma_set_coherent_mask(dev, DMA_BIT_MASK(36))).to.equal(0);
      expect(dev.coherent_dma_mask).to.equal(DMA_BIT_MASK(36));
      expect(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))).to.equal(0);
      expect([dev.dma_mask, dev.coherent_dma_mask]).to.deep.equal([DMA_BIT_MASK(32), DMA_BIT_MASK(32)]);
      dma_set_max_seg_size(dev, 1 << 20);
      dma_set_seg_boundary(dev, 0xffff);
      dma_set_min_align_mask(dev, 0x7ff);
      expect([dma_get_max_seg_size(dev), dma_get_seg_boundary(dev), dma_get_min_align_mask(dev)]).to.deep.equal([1 << 20, 0xffff, 0x7ff]);
    });

    it('dma_get_seg_boundary_nr_pages counts boundary-sized units, and 2^(64 − shift) with no boundary', () => {
      const dev = new device(host(), { name: 'd', segment_boundary_mask: 0xffff });
      expect(dma_get_seg_boundary_nr_pages(dev, 12)).to.equal(16);
      dma_set_seg_boundary(dev, 0xffff_ffff);
      expect(dma_get_seg_boundary_nr_pages(dev, 12)).to.equal(2 ** 20);
      dma_set_seg_boundary(dev, U64_MAX);
      expect(dma_get_seg_boundary_nr_pages(dev, 12)).to.equal(2 ** 52);
    });
  });

  describe('dev_err / dev_warn / dev_WARN_ONCE', () => {
    it('prefix "<driver> <device>: " at the right level', () => {
      const dev = new device(host(), { name: '0000:01:00.0', driver: 'mlx5_core' });
      dev_err(dev, 'boom');
      dev_warn(dev, 'careful');
      expect(dev.host.log.lines.map((l) => [l.level, l.text])).to.deep.equal([
        [KERN_ERR, 'mlx5_core 0000:01:00.0: boom'], [KERN_WARNING, 'mlx5_core 0000:01:00.0: careful'],
      ]);
    });

    it('dev_WARN_ONCE logs the first time per device and key, counts every time, returns cond and never throws', () => {
      const h = host();
      const a = new device(h, { name: 'a' });
      const b = new device(h, { name: 'b' });
      expect(dev_WARN_ONCE(a, false, 'x')).to.equal(false);
      expect(dev_WARN_ONCE(a, true, 'x')).to.equal(true);
      expect(dev_WARN_ONCE(a, true, 'x')).to.equal(true);
      expect(dev_WARN_ONCE(b, true, 'x')).to.equal(true);
      expect(dev_WARN_ONCE(a, true, 'y')).to.equal(true);
      expect(h.log.lines.map((l) => l.text)).to.deep.equal(['WARNING: rdmaemu a: x', 'WARNING: rdmaemu b: x', 'WARNING: rdmaemu a: y']);
      expect([a.warn_count, b.warn_count]).to.deep.equal([3, 1]);
    });
  });

  describe('dma_stat', () => {
    it('charges the device total and the family of the call in progress', () => {
      const dev = new device(host(), { name: 'd' });
      dma_stat(dev, 'map_calls');
      dev.dma_family = 'sg';
      dma_stat(dev, 'ptes_written', 5);
      expect(dev.stats.total.map_calls).to.equal(1);
      expect(dev.stats.family.none.map_calls).to.equal(1);
      expect(dev.stats.total.ptes_written).to.equal(5);
      expect(dev.stats.family.sg.ptes_written).to.equal(5);
      expect(dev.stats.family.bvec.ptes_written).to.equal(0);
    });
  });
});
