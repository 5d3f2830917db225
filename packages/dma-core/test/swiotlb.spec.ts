/**
 * Tests for swiotlb.ts (kernel/dma/swiotlb.c): KERNEL.md §4.4 and invariant 5 of §11.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Dmesg, isKernelBug, isKernelError, tracepoint } from '@rdmaemu/sim-core';
import { DMA_BIT_MASK, DMA_ATTR_NO_WARN, DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR,
  DMA_NONE, DMA_TO_DEVICE, dir2name, type dma_data_direction } from '../src/dma-mapping.h.js';
import { device, type DeviceInit } from '../src/device.js';
import { PAGE_SIZE, PG_swiotlb, PhysicalMemory, page_to_phys } from '../src/memory.js';
import { alloc_pages, nr_free_pages } from '../src/page_alloc.js';
import {
  INVALID_PHYS_ADDR, IO_TLB_DEFAULT_SIZE, IO_TLB_MIN_SLABS, IO_TLB_SEGSIZE, IO_TLB_SHIFT, IO_TLB_SIZE,
  io_tlb_hiwater_set, io_tlb_mem, is_swiotlb_active, is_swiotlb_buffer, is_swiotlb_force_bounce, swiotlb_align_offset,
  swiotlb_debugfs, swiotlb_exit, swiotlb_find_pool, swiotlb_init, swiotlb_map, swiotlb_max_mapping_size,
  swiotlb_print_info, swiotlb_sync_single_for_cpu, swiotlb_sync_single_for_device, swiotlb_tbl_map_single,
  swiotlb_tbl_unmap_single,
} from '../src/swiotlb.js';

const SEG_BYTES = IO_TLB_SEGSIZE * IO_TLB_SIZE; // 256 KiB

interface Rig {
  mem: PhysicalMemory;
  log: Dmesg;
  dev: device;
  pool: io_tlb_mem;
}

function rig(devInit: Partial<DeviceInit> = {}, nslabs = 512, memSize = '16M'): Rig {
  const mem = new PhysicalMemory({ size: memSize });
  const log = new Dmesg();
  const dev = new device({ name: 'h', mem, log, debug: null }, { name: 'dev0', ...devInit });
  const pool = swiotlb_init(mem, { nslabs });
  dev.dma_io_tlb_mem = pool;
  return { mem, log, dev, pool };
}

/** A buffer of `pages` pages filled with a pattern; returns its physical address. */
function buffer(mem: PhysicalMemory, order: number, seed = 1): number {
  const pg = alloc_pages(mem, order)!;
  const phys = page_to_phys(pg);
  const v = mem.view(phys, PAGE_SIZE * 2 ** order);
  for (let i = 0; i < v.length; i++) v[i] = (i * 7 + seed) & 0xff;
  return phys;
}

function slotOf(pool: io_tlb_mem, tlb: number): number {
  return Math.floor((tlb - pool.start) / IO_TLB_SIZE);
}

function bytes(mem: PhysicalMemory, phys: number, len: number): number[] {
  return Array.from(mem.view(phys, len));
}

describe('swiotlb constants', () => {
  it('match include/linux/swiotlb.h and kernel/dma/swiotlb.c', () => {
    expect(IO_TLB_SHIFT).to.equal(11);
    expect(IO_TLB_SIZE).to.equal(2048);
    expect(IO_TLB_SEGSIZE).to.equal(128);
    expect(IO_TLB_DEFAULT_SIZE).to.equal(64 * 1024 * 1024);
    expect(IO_TLB_MIN_SLABS).to.equal(512);
    expect(INVALID_PHYS_ADDR).to.equal(2 ** 64);
  });
});

describe('swiotlb_init', () => {
  it('allocates a zeroed, contiguous, PG_swiotlb pool of nslabs rounded up to whole segments', () => {
    const mem = new PhysicalMemory({ size: '16M' });
    const free = nr_free_pages(mem);
    const pool = swiotlb_init(mem, { nslabs: 300 });
    expect(pool.nslabs).to.equal(384);
    expect(pool.end - pool.start).to.equal(384 * IO_TLB_SIZE);
    expect(pool.start % PAGE_SIZE).to.equal(0);
    expect(nr_free_pages(mem)).to.equal(free - (384 * IO_TLB_SIZE) / PAGE_SIZE);
    for (let pfn = pool.start / PAGE_SIZE; pfn < pool.end / PAGE_SIZE; pfn++) {
      expect(mem.page_flags[pfn - mem.start_pfn]! & PG_swiotlb).to.equal(PG_swiotlb);
    }
    expect(mem.page_flags[pool.end / PAGE_SIZE - mem.start_pfn]! & PG_swiotlb).to.equal(0);
    expect(pool.list[0]).to.equal(128);
    expect(pool.list[127]).to.equal(1);
    expect(pool.list[128]).to.equal(128);
    expect(pool.orig_addr[5]).to.equal(INVALID_PHYS_ADDR);
    expect(pool.nareas).to.equal(1);
    expect(pool.vaddr.every((b) => b === 0)).to.equal(true);
  });

  it('logs "software IO TLB: mapped [mem %#010llx-%#010llx] (%luMB)"', () => {
    const mem = new PhysicalMemory({ size: '16M' });
    const log = new Dmesg();
    const pool = swiotlb_init(mem, { size: '2M', log });
    const hex = (v: number) => '0x' + v.toString(16).padStart(8, '0');
    expect(pool.nslabs).to.equal(1024);
    expect(log.lines.map((l) => l.text)).to.deep.equal([`software IO TLB: mapped [mem ${hex(pool.start)}-${hex(pool.end)}] (2MB)`]);
  });

  it('clamps the default 64 MiB to 1/8 of the host memory and says so', () => {
    const mem = new PhysicalMemory({ size: '16M' });
    const log = new Dmesg();
    const pool = swiotlb_init(mem, { log });
    expect(pool.nslabs).to.equal((2 << 20) / IO_TLB_SIZE);
    expect(log.grep('software IO TLB: SWIOTLB bounce buffer size adjusted to 2MB')).to.have.length(1);
  });

  it('builds a pool larger than MAX_PAGE_ORDER from adjacent max-order blocks and frees the rest', () => {
    const mem = new PhysicalMemory({ size: '64M' });
    const free = nr_free_pages(mem);
    const pool = swiotlb_init(mem, { size: '10M' });
    expect(pool.nslabs).to.equal(5120);
    expect(nr_free_pages(mem)).to.equal(free - (10 << 20) / PAGE_SIZE);
    for (let pfn = pool.start / PAGE_SIZE; pfn < pool.end / PAGE_SIZE; pfn++) {
      expect(mem.page_flags[pfn - mem.start_pfn]! & PG_swiotlb).to.equal(PG_swiotlb);
    }
    swiotlb_exit(pool);
    expect(nr_free_pages(mem)).to.equal(free);
  });

  it('halves the pool until it fits, as the boot-time allocation does', () => {
    const mem = new PhysicalMemory({ size: '4M' }); // 3 MiB free: no 4 MiB run
    const log = new Dmesg();
    const pool = swiotlb_init(mem, { size: '4M', log });
    expect(pool.nslabs).to.equal(1024);
    expect(log.grep('software IO TLB: SWIOTLB bounce buffer size adjusted 2048 -> 1024 slabs')).to.have.length(1);
  });

  it('returns an empty pool when not even IO_TLB_MIN_SLABS fit, and mapping then fails', () => {
    const mem = new PhysicalMemory({ size: '1536K' }); // 512 KiB free
    const log = new Dmesg();
    const pool = swiotlb_init(mem, { nslabs: IO_TLB_MIN_SLABS, log });
    expect(pool.nslabs).to.equal(0);
    expect(log.grep('software IO TLB: swiotlb_memblock_alloc: Failed to allocate 1048576 bytes tlb structure')).to.have.length(1);
    const dev = new device({ name: 'h', mem, log, debug: null }, { name: 'dev0' });
    dev.dma_io_tlb_mem = pool;
    expect(is_swiotlb_active(dev)).to.equal(false);
    expect(swiotlb_tbl_map_single(dev, 0x100000, 64, 64, 0, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
    expect(log.grep("Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer")).to.have.length(1);
  });

  it('lets nslabs win over size (the swiotlb= boot parameter over swiotlb_adjust_size)', () => {
    const mem = new PhysicalMemory({ size: '16M' });
    expect(swiotlb_init(mem, { nslabs: 128, size: '1M' }).nslabs).to.equal(128);
  });

  it('throws EINVAL for a bad nslabs or size', () => {
    const mem = new PhysicalMemory({ size: '16M' });
    for (const init of [{ nslabs: 0 }, { nslabs: -1 }, { nslabs: 1.5 }, { size: 0 }, { size: 'lots' }]) {
      expect(() => swiotlb_init(mem, init), JSON.stringify(init)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
    }
  });
});

describe('swiotlb_exit', () => {
  it('gives the pages back, clears PG_swiotlb and empties the pool', () => {
    const mem = new PhysicalMemory({ size: '16M' });
    const log = new Dmesg();
    const free = nr_free_pages(mem);
    const pool = swiotlb_init(mem, { nslabs: 256, log });
    const start = pool.start;
    swiotlb_exit(pool);
    expect(nr_free_pages(mem)).to.equal(free);
    expect(mem.page_flags[start / PAGE_SIZE - mem.start_pfn]! & PG_swiotlb).to.equal(0);
    expect(pool.nslabs).to.equal(0);
    expect(log.grep('software IO TLB: tearing down default memory pool')).to.have.length(1);
  });

  it('throws EBUSY while slots are mapped', () => {
    const { mem, dev, pool } = rig();
    const orig = buffer(mem, 0);
    const tlb = swiotlb_tbl_map_single(dev, orig, 100, 100, 0, DMA_TO_DEVICE, 0);
    expect(() => swiotlb_exit(pool)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EBUSY'));
    swiotlb_tbl_unmap_single(dev, tlb, 100, DMA_TO_DEVICE, 0);
    swiotlb_exit(pool);
    expect(pool.nslabs).to.equal(0);
  });
});

describe('swiotlb_print_info', () => {
  it('prints "No low mem" for an empty pool', () => {
    const mem = new PhysicalMemory({ size: '1536K' });
    const pool = swiotlb_init(mem, { nslabs: 512 });
    const log = new Dmesg();
    swiotlb_print_info(pool, log);
    expect(log.lines.map((l) => l.text)).to.deep.equal(['software IO TLB: No low mem']);
  });
});

describe('swiotlb_align_offset', () => {
  it('is addr & min_align_mask & (align_mask | (IO_TLB_SIZE - 1))', () => {
    const { dev } = rig({ min_align_mask: 0xfff });
    expect(swiotlb_align_offset(dev, 0, 0x12345)).to.equal(0x345);
    expect(swiotlb_align_offset(dev, 0xfff, 0x12345)).to.equal(0x345 | 0x000);
    expect(swiotlb_align_offset(dev, 0xfff, 0x12b45)).to.equal(0xb45);
    expect(swiotlb_align_offset(dev, 0, 0x1_0000_0b45)).to.equal(0x345);
    dev.dma_parms.min_align_mask = 0;
    expect(swiotlb_align_offset(dev, 0xfff, 0x12b45)).to.equal(0);
  });
});

describe('swiotlb_tbl_map_single', () => {
  for (const dir of [DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL] as dma_data_direction[]) {
    it(`copies orig to bounce for ${dir2name[dir]} (partial device writes must not clobber unwritten bytes)`, () => {
      const { mem, dev, pool } = rig();
      const orig = buffer(mem, 1) + 100;
      const tlb = swiotlb_tbl_map_single(dev, orig, 3000, 3000, 0, dir, 0);
      expect(is_swiotlb_buffer(dev, tlb)).to.equal(true);
      expect(tlb).to.be.at.least(pool.start);
      expect(bytes(mem, tlb, 3000)).to.deep.equal(bytes(mem, orig, 3000));
      expect(pool.orig_addr[slotOf(pool, tlb)]).to.equal(orig);
      expect(pool.orig_addr[slotOf(pool, tlb) + 1]).to.equal(orig + IO_TLB_SIZE);
    });
  }

  it('keeps addr & min_align_mask & 2047 of the original address', () => {
    const { mem, dev } = rig({ min_align_mask: 0x7ff });
    const base = buffer(mem, 2);
    for (const off of [0, 1, 0x3f, 0x400, 0x7ff, 0x801, 0xabc]) {
      const tlb = swiotlb_tbl_map_single(dev, base + off, 512, 512, 0, DMA_TO_DEVICE, 0);
      expect(tlb % 2048, `offset ${off}`).to.equal((base + off) % 2048);
      expect(bytes(mem, tlb, 512)).to.deep.equal(bytes(mem, base + off, 512));
    }
  });

  it('matches min_align_mask bits above the slot size by choosing the slot (min_align_mask 0xfff)', () => {
    const { mem, dev, pool } = rig({ min_align_mask: 0xfff });
    const base = buffer(mem, 2);
    swiotlb_tbl_map_single(dev, base, 16, 16, 0, DMA_TO_DEVICE, 0); // occupy slot 0
    const orig = base + 0x210; // bit 11 clear: slot 1 (next-fit) does not match, slot 2 does
    const tlb = swiotlb_tbl_map_single(dev, orig, 1000, 1000, 0, DMA_TO_DEVICE, 0);
    expect(tlb % 4096).to.equal(orig % 4096);
    expect(slotOf(pool, tlb)).to.equal(2);
    const orig2 = base + 0xa10; // bit 11 set: slot 3
    const tlb2 = swiotlb_tbl_map_single(dev, orig2, 1000, 1000, 0, DMA_TO_DEVICE, 0);
    expect(tlb2 % 4096).to.equal(orig2 % 4096);
    expect(slotOf(pool, tlb2)).to.equal(3);
  });

  it('never lets a mapping cross a 128-slot segment', () => {
    const { mem, dev, pool } = rig();
    const orig = buffer(mem, 6);
    const a = swiotlb_tbl_map_single(dev, orig, 100 * IO_TLB_SIZE, 100 * IO_TLB_SIZE, 0, DMA_TO_DEVICE, 0);
    expect(slotOf(pool, a)).to.equal(0);
    // 60 slots would straddle slots 100..159; they must start at the next segment.
    const b = swiotlb_tbl_map_single(dev, orig, 60 * IO_TLB_SIZE, 60 * IO_TLB_SIZE, 0, DMA_TO_DEVICE, 0);
    expect(slotOf(pool, b)).to.equal(128);
    // 28 slots fit exactly before the boundary
    const c = swiotlb_tbl_map_single(dev, orig, 28 * IO_TLB_SIZE, 28 * IO_TLB_SIZE, 0, DMA_TO_DEVICE, 0);
    expect(slotOf(pool, c) + 28).to.be.at.most(256);
    expect(Math.floor(slotOf(pool, c) / 128)).to.equal(Math.floor((slotOf(pool, c) + 27) / 128));
  });

  it('maps exactly 256 KiB at offset 0 and refuses 256 KiB + 1 with "swiotlb buffer is full"', () => {
    const { mem, log, dev, pool } = rig();
    const orig = buffer(mem, 7);
    const ok = swiotlb_tbl_map_single(dev, orig, SEG_BYTES, SEG_BYTES, 0, DMA_TO_DEVICE, 0);
    expect(ok).to.not.equal(DMA_MAPPING_ERROR);
    expect(slotOf(pool, ok) % 128).to.equal(0);
    expect(pool.used).to.equal(128);
    swiotlb_tbl_unmap_single(dev, ok, SEG_BYTES, DMA_TO_DEVICE, 0);
    expect(swiotlb_tbl_map_single(dev, orig, SEG_BYTES + 1, SEG_BYTES + 1, 0, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
    expect(log.grep('rdmaemu dev0: swiotlb buffer is full (sz: 262145 bytes), total 512 (slots), used 0 (slots)')).to.have.length(1);
    expect(pool.used).to.equal(0);
  });

  it('refuses 256 KiB when the kept offset makes it longer than a segment', () => {
    const { mem, dev } = rig({ min_align_mask: 0x7ff });
    const orig = buffer(mem, 7) + 1;
    expect(swiotlb_tbl_map_single(dev, orig, SEG_BYTES, SEG_BYTES, 0, DMA_TO_DEVICE, DMA_ATTR_NO_WARN)).to.equal(DMA_MAPPING_ERROR);
    expect(swiotlb_tbl_map_single(dev, orig, SEG_BYTES - 2048, SEG_BYTES - 2048, 0, DMA_TO_DEVICE, 0)).to.not.equal(DMA_MAPPING_ERROR);
  });

  it('page-aligns allocations of PAGE_SIZE or more', () => {
    const { mem, dev, pool } = rig();
    const orig = buffer(mem, 1);
    const a = swiotlb_tbl_map_single(dev, orig, 100, 100, 0, DMA_TO_DEVICE, 0);
    expect(slotOf(pool, a)).to.equal(0);
    const b = swiotlb_tbl_map_single(dev, orig, PAGE_SIZE, PAGE_SIZE, 0, DMA_TO_DEVICE, 0);
    expect((b - pool.start) % PAGE_SIZE).to.equal(0);
    expect(slotOf(pool, b)).to.equal(2);
  });

  it('honours the device segment boundary (iommu_is_span_boundary)', () => {
    const { mem, dev, pool } = rig({ segment_boundary_mask: 0xffff });
    const orig = buffer(mem, 5);
    const startSlot = Math.ceil((pool.start % 0x10000) / IO_TLB_SIZE);
    const a = swiotlb_tbl_map_single(dev, orig, 100, 100, 0, DMA_TO_DEVICE, 0);
    expect(slotOf(pool, a)).to.equal(0);
    const b = swiotlb_tbl_map_single(dev, orig, 0x10000, 0x10000, 0, DMA_TO_DEVICE, 0);
    expect(b).to.not.equal(DMA_MAPPING_ERROR);
    expect(Math.floor(b / 0x10000)).to.equal(Math.floor((b + 0x10000 - 1) / 0x10000));
    expect((slotOf(pool, b) + startSlot) % 32).to.equal(0);
  });

  it('pads with whole slots for an alloc_align_mask above the slot size and frees them all', () => {
    const { mem, log, dev, pool } = rig({ min_align_mask: 0x3fff });
    const orig = buffer(mem, 3) + 0x1234;
    const tlb = swiotlb_tbl_map_single(dev, orig, 3000, 3000, 0x1fff, DMA_BIDIRECTIONAL, 0);
    expect(tlb).to.not.equal(DMA_MAPPING_ERROR);
    expect(tlb % 0x2000).to.equal(0x1234);
    expect(pool.pad_slots[slotOf(pool, tlb)]).to.equal(2);
    expect(pool.used).to.equal(Math.ceil((3000 + 0x1234) / IO_TLB_SIZE));
    expect(bytes(mem, tlb, 3000)).to.deep.equal(bytes(mem, orig, 3000));
    expect(log.grep('WARNING: rdmaemu dev0: Alloc alignment may prevent fulfilling requests with max mapping_size')).to.have.length(1);
    swiotlb_tbl_unmap_single(dev, tlb, 3000, DMA_BIDIRECTIONAL, 0);
    expect(pool.used).to.equal(0);
    for (let i = 0; i < pool.nslabs; i++) expect(pool.list[i]).to.equal(128 - (i % 128));
  });

  it('fails an exhausted pool with DMA_MAPPING_ERROR and logs "swiotlb buffer is full"', () => {
    const { mem, log, dev, pool } = rig({}, 128);
    const orig = buffer(mem, 7);
    expect(swiotlb_tbl_map_single(dev, orig, 200 * 1024, 200 * 1024, 0, DMA_TO_DEVICE, 0)).to.not.equal(DMA_MAPPING_ERROR);
    expect(swiotlb_tbl_map_single(dev, orig, 64 * 1024, 64 * 1024, 0, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
    expect(log.grep(`rdmaemu dev0: swiotlb buffer is full (sz: 65536 bytes), total 128 (slots), used ${pool.used} (slots)`))
      .to.have.length(1);
    expect(pool.used).to.equal(100);
  });

  it('logs nothing for an exhausted pool with DMA_ATTR_NO_WARN', () => {
    const { mem, log, dev } = rig({}, 128);
    const orig = buffer(mem, 7);
    swiotlb_tbl_map_single(dev, orig, SEG_BYTES, SEG_BYTES, 0, DMA_TO_DEVICE, 0);
    expect(swiotlb_tbl_map_single(dev, orig, 64, 64, 0, DMA_TO_DEVICE, DMA_ATTR_NO_WARN)).to.equal(DMA_MAPPING_ERROR);
    expect(log.grep('swiotlb buffer is full')).to.have.length(0);
  });

  it('ratelimits "swiotlb buffer is full" to a burst of 10', () => {
    const { mem, log, dev } = rig({}, 128);
    const orig = buffer(mem, 7);
    swiotlb_tbl_map_single(dev, orig, SEG_BYTES, SEG_BYTES, 0, DMA_TO_DEVICE, 0);
    for (let i = 0; i < 15; i++) swiotlb_tbl_map_single(dev, orig, 64, 64, 0, DMA_TO_DEVICE, 0);
    expect(log.grep('swiotlb buffer is full')).to.have.length(10);
  });

  it('fails without a pool: "Can not allocate SWIOTLB buffer earlier…"', () => {
    const { mem, log, dev } = rig();
    dev.dma_io_tlb_mem = null;
    expect(swiotlb_tbl_map_single(dev, buffer(mem, 0), 64, 64, 0, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
    expect(log.lines.map((l) => l.text)).to.deep.equal([
      "rdmaemu dev0: Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer",
    ]);
  });

  it('fails mapping_size > alloc_size with "Invalid sizes", logged once', () => {
    const { mem, log, dev, pool } = rig();
    const orig = buffer(mem, 0);
    expect(swiotlb_tbl_map_single(dev, orig, 200, 100, 0, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
    expect(swiotlb_tbl_map_single(dev, orig, 300, 100, 0, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
    expect(log.lines.map((l) => l.text)).to.deep.equal(['rdmaemu dev0: Invalid sizes (mapping: 200 bytes, alloc: 100 bytes)']);
    expect(pool.used).to.equal(0);
  });

  it('reserves alloc_size but copies only mapping_size', () => {
    const { mem, dev, pool } = rig();
    const orig = buffer(mem, 1);
    const tlb = swiotlb_tbl_map_single(dev, orig, 100, 5000, 0, DMA_TO_DEVICE, 0);
    expect(pool.used).to.equal(3);
    expect(bytes(mem, tlb, 100)).to.deep.equal(bytes(mem, orig, 100));
    expect(mem.view(tlb + 100, 4900).every((b) => b === 0)).to.equal(true);
    expect(dev.stats.total.bounce_bytes).to.equal(100);
  });

  it('BUGs on a zero-size mapping (BUG_ON(!nslots))', () => {
    const { mem, dev } = rig();
    expect(() => swiotlb_tbl_map_single(dev, buffer(mem, 0), 0, 0, 0, DMA_TO_DEVICE, 0)).to.throw().that.satisfies(isKernelBug);
  });

  it('clears dev.dma_skip_sync on the first bounce (dma_reset_need_sync)', () => {
    const { mem, dev } = rig();
    expect(dev.dma_skip_sync).to.equal(true);
    swiotlb_tbl_map_single(dev, buffer(mem, 0), 64, 64, 0, DMA_TO_DEVICE, 0);
    expect(dev.dma_skip_sync).to.equal(false);
  });

  it('charges bounce_maps, bounce_slots and bounce_bytes', () => {
    const { mem, dev } = rig();
    const orig = buffer(mem, 1);
    const tlb = swiotlb_tbl_map_single(dev, orig, 5000, 5000, 0, DMA_FROM_DEVICE, 0);
    swiotlb_tbl_unmap_single(dev, tlb, 5000, DMA_FROM_DEVICE, 0);
    expect(dev.stats.total.bounce_maps).to.equal(1);
    expect(dev.stats.total.bounce_slots).to.equal(3);
    expect(dev.stats.total.bounce_bytes).to.equal(10000);
  });

  it('tracks used and used_hiwater, readable as debugfs files', () => {
    const { mem, dev, pool } = rig();
    const orig = buffer(mem, 2);
    const a = swiotlb_tbl_map_single(dev, orig, 5000, 5000, 0, DMA_TO_DEVICE, 0);
    const b = swiotlb_tbl_map_single(dev, orig, 100, 100, 0, DMA_TO_DEVICE, 0);
    expect(swiotlb_debugfs(pool)).to.deep.equal({ io_tlb_nslabs: 512, io_tlb_used: 4, io_tlb_used_hiwater: 4 });
    swiotlb_tbl_unmap_single(dev, a, 5000, DMA_TO_DEVICE, 0);
    expect(swiotlb_debugfs(pool)).to.deep.equal({ io_tlb_nslabs: 512, io_tlb_used: 1, io_tlb_used_hiwater: 4 });
    io_tlb_hiwater_set(pool, 0);
    expect(pool.used_hiwater).to.equal(0);
    swiotlb_tbl_unmap_single(dev, b, 100, DMA_TO_DEVICE, 0);
    expect(pool.used).to.equal(0);
  });
});

describe('io_tlb_hiwater_set', () => {
  it('throws EINVAL for anything but 0', () => {
    const { pool } = rig();
    expect(() => io_tlb_hiwater_set(pool, 5)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
  });
});

describe('swiotlb_tbl_unmap_single', () => {
  const cases: [string, dma_data_direction, number, boolean][] = [
    ['FROM_DEVICE', DMA_FROM_DEVICE, 0, true],
    ['BIDIRECTIONAL', DMA_BIDIRECTIONAL, 0, true],
    ['TO_DEVICE', DMA_TO_DEVICE, 0, false],
    ['FROM_DEVICE with DMA_ATTR_SKIP_CPU_SYNC', DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC, false],
    ['BIDIRECTIONAL with DMA_ATTR_SKIP_CPU_SYNC', DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC, false],
  ];
  for (const [name, dir, attrs, copied] of cases) {
    it(`${copied ? 'copies' : 'does not copy'} the device's writes back for ${name}`, () => {
      const { mem, dev, pool } = rig();
      const orig = buffer(mem, 1) + 10;
      const before = bytes(mem, orig, 3000);
      const tlb = swiotlb_tbl_map_single(dev, orig, 3000, 3000, 0, dir, 0);
      mem.view(tlb, 3000).fill(0xee); // the device writes the bounce buffer
      swiotlb_tbl_unmap_single(dev, tlb, 3000, dir, attrs);
      expect(bytes(mem, orig, 3000)).to.deep.equal(copied ? new Array(3000).fill(0xee) : before);
      expect(pool.used).to.equal(0);
    });
  }

  it('ignores an address outside the pool', () => {
    const { mem, dev, pool } = rig();
    swiotlb_tbl_unmap_single(dev, buffer(mem, 0), 64, DMA_FROM_DEVICE, 0);
    expect(pool.used).to.equal(0);
  });

  it('BUGs on a bounce address that is not mapped (double unmap)', () => {
    const { mem, dev } = rig();
    const tlb = swiotlb_tbl_map_single(dev, buffer(mem, 0), 64, 64, 0, DMA_TO_DEVICE, 0);
    swiotlb_tbl_unmap_single(dev, tlb, 64, DMA_TO_DEVICE, 0);
    expect(() => swiotlb_tbl_unmap_single(dev, tlb, 64, DMA_TO_DEVICE, 0)).to.throw().that.satisfies(isKernelBug);
  });

  it('merges freed runs so that whole segments can be mapped again', () => {
    const { mem, dev, pool } = rig();
    const orig = buffer(mem, 7);
    const tlbs: number[] = [];
    for (let i = 0; i < 512; i++) tlbs.push(swiotlb_tbl_map_single(dev, orig, 1000, 1000, 0, DMA_TO_DEVICE, 0));
    expect(tlbs).to.not.include(DMA_MAPPING_ERROR);
    expect(pool.used).to.equal(512);
    // free in a scrambled order
    const order = tlbs.map((t, i) => [((i * 197) % 512), t] as const).sort((a, b) => a[0] - b[0]);
    for (const [, t] of order) swiotlb_tbl_unmap_single(dev, t, 1000, DMA_TO_DEVICE, 0);
    expect(pool.used).to.equal(0);
    for (let i = 0; i < 512; i++) expect(pool.list[i], `list[${i}]`).to.equal(128 - (i % 128));
    for (let s = 0; s < 4; s++) {
      expect(swiotlb_tbl_map_single(dev, orig, SEG_BYTES, SEG_BYTES, 0, DMA_TO_DEVICE, 0)).to.not.equal(DMA_MAPPING_ERROR);
    }
    expect(pool.used).to.equal(512);
  });
});

describe('swiotlb_sync_single_for_device', () => {
  for (const [name, dir, copied] of [['TO_DEVICE', DMA_TO_DEVICE, true], ['BIDIRECTIONAL', DMA_BIDIRECTIONAL, true],
    ['FROM_DEVICE', DMA_FROM_DEVICE, false]] as const) {
    it(`${copied ? 'copies the CPU\'s new data to the bounce buffer' : 'copies nothing'} for ${name}`, () => {
      const { mem, dev } = rig();
      const orig = buffer(mem, 0);
      const tlb = swiotlb_tbl_map_single(dev, orig, 1000, 1000, 0, dir, 0);
      const mapped = bytes(mem, tlb, 1000);
      mem.view(orig + 100, 50).fill(0x5a); // the CPU writes after map
      swiotlb_sync_single_for_device(dev, tlb + 100, 50, dir);
      const expected = mapped.slice();
      if (copied) expected.fill(0x5a, 100, 150);
      expect(bytes(mem, tlb, 1000)).to.deep.equal(expected);
    });
  }

  it('BUGs on DMA_NONE', () => {
    const { mem, dev } = rig();
    const tlb = swiotlb_tbl_map_single(dev, buffer(mem, 0), 64, 64, 0, DMA_TO_DEVICE, 0);
    expect(() => swiotlb_sync_single_for_device(dev, tlb, 64, DMA_NONE)).to.throw().that.satisfies(isKernelBug);
  });
});

describe('swiotlb_sync_single_for_cpu', () => {
  for (const [name, dir, copied] of [['FROM_DEVICE', DMA_FROM_DEVICE, true], ['BIDIRECTIONAL', DMA_BIDIRECTIONAL, true],
    ['TO_DEVICE', DMA_TO_DEVICE, false]] as const) {
    it(`${copied ? 'copies the device\'s writes back' : 'copies nothing'} for ${name}`, () => {
      const { mem, dev } = rig();
      const orig = buffer(mem, 0);
      const before = bytes(mem, orig, 1000);
      const tlb = swiotlb_tbl_map_single(dev, orig, 1000, 1000, 0, dir, 0);
      mem.view(tlb + 200, 30).fill(0xc3);
      swiotlb_sync_single_for_cpu(dev, tlb + 200, 30, dir);
      const expected = before.slice();
      if (copied) expected.fill(0xc3, 200, 230);
      expect(bytes(mem, orig, 1000)).to.deep.equal(expected);
    });
  }

  it('BUGs on DMA_NONE', () => {
    const { mem, dev } = rig();
    const tlb = swiotlb_tbl_map_single(dev, buffer(mem, 0), 64, 64, 0, DMA_TO_DEVICE, 0);
    expect(() => swiotlb_sync_single_for_cpu(dev, tlb, 64, DMA_NONE)).to.throw().that.satisfies(isKernelBug);
  });

  it('syncs a range starting inside a later slot\'s kept offset without a warning', () => {
    const { mem, log, dev } = rig({ min_align_mask: 0x7ff });
    const orig = buffer(mem, 1) + 0x100;
    const tlb = swiotlb_tbl_map_single(dev, orig, 5000, 5000, 0, DMA_FROM_DEVICE, 0);
    // tlb + 0x780 lies in the second slot, 0x80 bytes in: before that slot's 0x100 offset.
    mem.view(tlb + 0x780, 0x100).fill(0x77);
    swiotlb_sync_single_for_cpu(dev, tlb + 0x780, 0x100, DMA_FROM_DEVICE);
    expect(bytes(mem, orig + 0x780, 0x100)).to.deep.equal(new Array(0x100).fill(0x77));
    expect(log.lines).to.have.length(0);
  });
});

describe('swiotlb_bounce checks', () => {
  it('warns "Access before mapping start detected" and copies nothing', () => {
    const { mem, log, dev } = rig({ min_align_mask: 0x7ff });
    const orig = buffer(mem, 0) + 0x100;
    const before = bytes(mem, orig - 0x80, 0x100);
    const tlb = swiotlb_tbl_map_single(dev, orig, 1000, 1000, 0, DMA_FROM_DEVICE, 0);
    mem.view(tlb - 0x80, 0x100).fill(0x11);
    swiotlb_sync_single_for_cpu(dev, tlb - 0x80, 0x10, DMA_FROM_DEVICE);
    expect(log.grep('WARNING: rdmaemu dev0: Access before mapping start detected. orig offset 256, requested offset 128.'))
      .to.have.length(1);
    expect(bytes(mem, orig - 0x80, 0x100)).to.deep.equal(before);
  });

  it('warns "Buffer overflow detected" and truncates a sync past the end', () => {
    const { mem, log, dev } = rig();
    const orig = buffer(mem, 0);
    const before = bytes(mem, orig, 200);
    const tlb = swiotlb_tbl_map_single(dev, orig, 100, 100, 0, DMA_FROM_DEVICE, 0);
    mem.view(tlb, 200).fill(0x22);
    swiotlb_sync_single_for_cpu(dev, tlb, 200, DMA_FROM_DEVICE);
    expect(log.grep('WARNING: rdmaemu dev0: Buffer overflow detected. Allocation size: 100. Mapping size: 200.')).to.have.length(1);
    expect(bytes(mem, orig, 100)).to.deep.equal(new Array(100).fill(0x22));
    expect(bytes(mem, orig + 100, 100)).to.deep.equal(before.slice(100));
  });

  it('warns "Buffer overflow detected … Mapping size: %zu+%u." and copies nothing past the allocation', () => {
    const { mem, log, dev } = rig();
    const orig = buffer(mem, 0);
    const before = bytes(mem, orig, 200);
    const tlb = swiotlb_tbl_map_single(dev, orig, 100, 100, 0, DMA_FROM_DEVICE, 0);
    mem.view(tlb, 200).fill(0x33);
    swiotlb_sync_single_for_cpu(dev, tlb + 150, 10, DMA_FROM_DEVICE);
    expect(log.grep('WARNING: rdmaemu dev0: Buffer overflow detected. Allocation size: 100. Mapping size: 10+150.')).to.have.length(1);
    expect(bytes(mem, orig, 200)).to.deep.equal(before);
  });
});

describe('swiotlb_map', () => {
  it('returns the bounce buffer\'s bus address (phys + dma_bus_offset)', () => {
    const { mem, dev, pool } = rig({ dma_bus_offset: 0x1000_0000 });
    const orig = buffer(mem, 0);
    const dma = swiotlb_map(dev, orig, 700, DMA_TO_DEVICE, 0);
    expect(dma - 0x1000_0000).to.be.within(pool.start, pool.end - 1);
    expect(bytes(mem, dma - 0x1000_0000, 700)).to.deep.equal(bytes(mem, orig, 700));
  });

  it('unmaps and warns "swiotlb addr %pad+%zu overflow" when the device cannot reach the pool', () => {
    const { mem, log, dev, pool } = rig({ dma_mask: DMA_BIT_MASK(20), bus_dma_limit: 0 });
    const orig = buffer(mem, 0);
    const before = bytes(mem, orig, 64);
    expect(swiotlb_map(dev, orig, 64, DMA_FROM_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
    expect(pool.used).to.equal(0);
    const pad = '0x' + pool.start.toString(16).padStart(16, '0');
    expect(log.grep(`WARNING: rdmaemu dev0: swiotlb addr ${pad}+64 overflow (mask fffff, bus limit 0).`)).to.have.length(1);
    expect(bytes(mem, orig, 64)).to.deep.equal(before);
  });

  it('writes a non-coherent device\'s bounce buffer back from the cache unless DMA_ATTR_SKIP_CPU_SYNC', () => {
    const { mem, dev } = rig({ coherent: false });
    const orig = buffer(mem, 0);
    swiotlb_map(dev, orig, 300, DMA_TO_DEVICE, 0);
    expect(dev.stats.total.cache_maint_bytes).to.equal(300);
    swiotlb_map(dev, orig, 300, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
    expect(dev.stats.total.cache_maint_bytes).to.equal(300);
  });

  it('emits swiotlb:swiotlb_bounced with the original bus address', () => {
    const { mem, dev } = rig({ dma_mask: DMA_BIT_MASK(32), force_bounce: true });
    const orig = buffer(mem, 0);
    const texts: string[] = [];
    const sub = tracepoint('swiotlb', 'swiotlb_bounced')!.events$.subscribe((e) => texts.push(e.text));
    try {
      swiotlb_map(dev, orig, 300, DMA_TO_DEVICE, 0);
    } finally {
      sub.unsubscribe();
    }
    expect(texts).to.have.length(1);
    expect(texts[0]).to.match(new RegExp(`swiotlb_bounced: dev_name=dev0 dma_mask=ffffffff dev_addr=${orig.toString(16)} size=300 FORCE$`));
  });

  it('does no cache maintenance for a coherent device', () => {
    const { mem, dev } = rig();
    swiotlb_map(dev, buffer(mem, 0), 300, DMA_TO_DEVICE, 0);
    expect(dev.stats.total.cache_maint_bytes).to.equal(0);
  });
});

describe('swiotlb_max_mapping_size', () => {
  it('is 256 KiB less min_align_mask rounded up to a slot', () => {
    expect(swiotlb_max_mapping_size(rig().dev)).to.equal(262144);
    expect(swiotlb_max_mapping_size(rig({ min_align_mask: 0xfff }).dev)).to.equal(262144 - 4096);
    expect(swiotlb_max_mapping_size(rig({ min_align_mask: 0x7ff }).dev)).to.equal(262144 - 2048);
  });
});

describe('is_swiotlb_buffer / is_swiotlb_active / is_swiotlb_force_bounce / swiotlb_find_pool', () => {
  it('report the pool range, its presence and forced bouncing', () => {
    const { mem, dev, pool } = rig();
    expect(is_swiotlb_buffer(dev, pool.start)).to.equal(true);
    expect(is_swiotlb_buffer(dev, pool.end - 1)).to.equal(true);
    expect(is_swiotlb_buffer(dev, pool.end)).to.equal(false);
    expect(swiotlb_find_pool(dev, pool.start + 5)).to.equal(pool);
    expect(is_swiotlb_active(dev)).to.equal(true);
    expect(is_swiotlb_force_bounce(dev)).to.equal(false);
    dev.dma_force_bounce = true;
    expect(is_swiotlb_force_bounce(dev)).to.equal(true);
    dev.dma_force_bounce = false;
    dev.dma_io_tlb_mem = swiotlb_init(mem, { nslabs: 128, force: true });
    expect(is_swiotlb_force_bounce(dev)).to.equal(true);
    dev.dma_io_tlb_mem = null;
    dev.dma_force_bounce = true;
    expect(is_swiotlb_force_bounce(dev)).to.equal(false);
    expect(is_swiotlb_active(dev)).to.equal(false);
    expect(is_swiotlb_buffer(dev, pool.start)).to.equal(false);
  });
});

describe('swiotlb: random map/unmap sequences (property)', () => {
  it('never overlap live mappings, keep the low bits, stay within a segment and return used to 0', () => {
    const seed = process.env.RDMAEMU_SEED !== undefined ? Number(process.env.RDMAEMU_SEED) : 0x5107;
    const op = fc.record({
      map: fc.boolean(),
      size: fc.integer({ min: 1, max: 70000 }),
      off: fc.integer({ min: 0, max: 4095 }),
      pick: fc.nat(),
      dir: fc.constantFrom(DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL),
    });
    fc.assert(fc.property(fc.constantFrom(0, 0x7ff, 0xfff), fc.array(op, { minLength: 1, maxLength: 60 }), (min_align_mask, ops) => {
      const { mem, dev, pool } = rig({ min_align_mask }, 256);
      const src = buffer(mem, 5, 3); // 128 KiB of pattern
      interface Live { tlb: number; size: number; orig: number; dir: dma_data_direction; first: number; slots: number }
      const live: Live[] = [];
      for (const o of ops) {
        if (o.map || live.length === 0) {
          const size = Math.min(o.size, 128 * 1024 - o.off);
          const orig = src + o.off;
          const tlb = swiotlb_tbl_map_single(dev, orig, size, size, 0, o.dir, DMA_ATTR_NO_WARN);
          if (tlb === DMA_MAPPING_ERROR) continue;
          const keep = orig % 2048 & min_align_mask;
          expect(tlb % 2048 & min_align_mask).to.equal(keep);
          expect(tlb % 4096 & min_align_mask, 'min_align_mask bits').to.equal(orig % 4096 & min_align_mask);
          const first = slotOf(pool, tlb - keep);
          const nslots = Math.ceil((size + keep) / IO_TLB_SIZE);
          expect(Math.floor(first / 128)).to.equal(Math.floor((first + nslots - 1) / 128));
          for (const l of live) {
            expect(first + nslots <= l.first || l.first + l.slots <= first, 'live slot ranges overlap').to.equal(true);
          }
          live.push({ tlb, size, orig, dir: o.dir, first, slots: nslots });
        } else {
          const [l] = live.splice(o.pick % live.length, 1);
          // every live bounce buffer still holds its original's bytes (no one else wrote it)
          expect(bytes(mem, l!.tlb, l!.size)).to.deep.equal(bytes(mem, l!.orig, l!.size));
          swiotlb_tbl_unmap_single(dev, l!.tlb, l!.size, l!.dir, 0);
        }
        expect(pool.used).to.equal(live.reduce((n, l) => n + l.slots, 0));
        expect(pool.used_hiwater).to.be.at.least(pool.used);
      }
      for (const l of live) swiotlb_tbl_unmap_single(dev, l.tlb, l.size, l.dir, DMA_ATTR_SKIP_CPU_SYNC);
      expect(pool.used).to.equal(0);
      for (let i = 0; i < pool.nslabs; i++) expect(pool.list[i]).to.equal(128 - (i % 128));
    }), { seed, numRuns: 150 });
  });
});
