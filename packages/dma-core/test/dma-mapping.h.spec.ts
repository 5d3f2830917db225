/**
 * Tests for dma-mapping.h.ts: the kernel's values for directions, attributes, DMA_MAPPING_ERROR
 * and DMA_BIT_MASK (KERNEL.md §4.1), and the BUG_ON every map, unmap and sync starts with.
 */
import { expect } from 'chai';
import { U64_MAX } from '../src/_bits.js';
import {
  BUG_ON_bad_direction, DMA_ATTR_ALLOC_SINGLE_PAGES, DMA_ATTR_FORCE_CONTIGUOUS, DMA_ATTR_MMIO, DMA_ATTR_NO_KERNEL_MAPPING,
  DMA_ATTR_NO_WARN, DMA_ATTR_PRIVILEGED, DMA_ATTR_SKIP_CPU_SYNC, DMA_ATTR_WEAK_ORDERING, DMA_ATTR_WRITE_COMBINE,
  DMA_BIDIRECTIONAL, DMA_BIT_MASK, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_NONE, DMA_TO_DEVICE, dir2name, valid_dma_direction,
} from '../src/dma-mapping.h.js';
import { expectBug } from './_support.js';

describe('dma-mapping.h', () => {
  it('enum dma_data_direction has the kernel values', () => {
    expect([DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_NONE]).to.deep.equal([0, 1, 2, 3]);
    expect(dir2name).to.deep.equal(['DMA_BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE', 'DMA_NONE']);
  });

  it('DMA_ATTR_* have the kernel bits', () => {
    expect([
      DMA_ATTR_WEAK_ORDERING, DMA_ATTR_WRITE_COMBINE, DMA_ATTR_NO_KERNEL_MAPPING, DMA_ATTR_SKIP_CPU_SYNC, DMA_ATTR_FORCE_CONTIGUOUS,
      DMA_ATTR_ALLOC_SINGLE_PAGES, DMA_ATTR_NO_WARN, DMA_ATTR_PRIVILEGED, DMA_ATTR_MMIO,
    ]).to.deep.equal([1 << 1, 1 << 2, 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8, 1 << 9, 1 << 10]);
  });

  it('DMA_MAPPING_ERROR is ~(dma_addr_t)0 (as a double) and DMA_BIT_MASK(n) is 2^n − 1', () => {
    expect(DMA_MAPPING_ERROR).to.equal(U64_MAX);
    expect(DMA_BIT_MASK(64)).to.equal(U64_MAX);
    expect(DMA_BIT_MASK(32)).to.equal(0xffff_ffff);
    expect(DMA_BIT_MASK(24)).to.equal(0xff_ffff);
    expect(DMA_BIT_MASK(40)).to.equal(2 ** 40 - 1);
  });

  describe('valid_dma_direction / BUG_ON_bad_direction', () => {
    it('accept only 0..2; anything else is a KernelBug naming the caller and the value', () => {
      for (const dir of [0, 1, 2]) {
        expect(valid_dma_direction(dir)).to.equal(true);
        BUG_ON_bad_direction(dir, 'dma_map_phys');
      }
      for (const dir of [3, -1, 4, 1.5]) {
        expect(valid_dma_direction(dir)).to.equal(false);
        expectBug(() => BUG_ON_bad_direction(dir, 'dma_sync_sg_for_cpu'), `dma_sync_sg_for_cpu: invalid dma_data_direction ${dir}`);
      }
    });
  });
});
