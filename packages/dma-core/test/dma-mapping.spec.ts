/**
 * Tests for dma-mapping.ts (kernel/dma/mapping.c, include/linux/dma-mapping.h, the Oct 2023 RFC
 * 6/9 and 7/9): KERNEL.md §4.2 and §11 items 1–8, through every DMA path and API family.
 */
import { expect } from 'chai';
import { noncoherentShadowCount } from '../src/dma-noncoherent.js';
import fc from 'fast-check';
import { isKernelBug, type TraceEvent } from '@rdmaemu/sim-core';
import { U64_MAX } from '../src/_bits.js';
import { bio_vec } from '../src/bvec.js';
import { dmaDeviceCopyOut, dmaDeviceWrite, isDmaFault } from '../src/dma-device-access.js';
import {
  dma_iova_destroy, dma_iova_link, dma_iova_state, dma_iova_sync, dma_iova_try_alloc, dma_use_iova, iommu_dma_flush_fq,
} from '../src/dma-iommu.js';
import {
  __dma_map_bvecs_attrs, dma_addressing_limited, dma_alloc_coherent, dma_free_coherent, dma_map_bvecs_attrs, dma_map_page,
  dma_map_page_attrs, dma_map_phys, dma_map_resource, dma_map_sg, dma_map_sg_attrs, dma_map_sgtable, dma_map_single,
  dma_map_single_attrs, dma_mapping_error, dma_max_mapping_size, dma_need_sync, dma_need_unmap, dma_sync_bvecs_for_cpu,
  dma_sync_bvecs_for_device, dma_sync_sg_for_cpu, dma_sync_sg_for_device, dma_sync_sgtable_for_cpu,
  dma_sync_sgtable_for_device, dma_sync_single_for_cpu, dma_sync_single_for_device, dma_unmap_bvecs_attrs,
  dma_unmap_page_attrs, dma_unmap_phys, dma_unmap_resource, dma_unmap_sg, dma_unmap_sg_attrs, dma_unmap_sgtable,
  dma_unmap_single, dma_unmap_single_attrs, trace_dma_map_phys, trace_dma_map_sg, trace_dma_sync_single_for_cpu,
  trace_dma_unmap_phys,
} from '../src/dma-mapping.js';
import {
  DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_BIT_MASK, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_NONE, DMA_TO_DEVICE,
  type dma_data_direction,
} from '../src/dma-mapping.h.js';
import { PAGE_SIZE, page_address, page_to_phys, virt_to_phys, type page } from '../src/memory.js';
import { GFP_KERNEL, alloc_pages } from '../src/page_alloc.js';
import {
  for_each_sgtable_dma_sg, sg_alloc_table, sg_init_table, sg_set_page, sg_table, type scatterlist,
} from '../src/scatterlist.js';
import { ALL_PATHS, concat, debugMessages, fcSeed, fill, rig, unreachableRig, type DmaPath, type Rig } from './_support.js';

const EIO = 5;
const ENOMEM = 12;

// ---------------------------------------------------------------------------------------------
// One mapping through one API family: the DMA segments the device is given, and how to sync/unmap

type Family = 'phys' | 'page' | 'single' | 'sg' | 'sgtable' | 'bvec' | 'iova';
const FAMILIES: readonly Family[] = ['phys', 'page', 'single', 'sg', 'sgtable', 'bvec', 'iova'];

interface Buf { pg: page; off: number; len: number }

interface Mapped {
  /** DMA segments in CPU byte order. */
  segs: [number, number][];
  syncForCpu(): void;
  syncForDevice(): void;
  unmap(): void;
  /** Syncs are expressible for this family (dma_iova_* has no per-range sync API). */
  canSync: boolean;
}

function bufView(r: Rig, b: Buf): Uint8Array {
  return r.mem.view(page_to_phys(b.pg) + b.off, b.len);
}

function mapFamily(r: Rig, family: Family, bufs: Buf[], dir: dma_data_direction): Mapped | null {
  const dev = r.dev;
  switch (family) {
    case 'phys':
    case 'page':
    case 'single': {
      const addrs = bufs.map((b) => {
        const a = family === 'phys'
          ? dma_map_phys(dev, page_to_phys(b.pg) + b.off, b.len, dir, 0)
          : family === 'page' ? dma_map_page_attrs(dev, b.pg, b.off, b.len, dir, 0)
            : dma_map_single_attrs(dev, bufView(r, b), b.len, dir, 0);
        expect(dma_mapping_error(dev, a)).to.equal(0);
        return a;
      });
      return {
        segs: addrs.map((a, i) => [a, bufs[i]!.len]),
        syncForCpu: () => addrs.forEach((a, i) => dma_sync_single_for_cpu(dev, a, bufs[i]!.len, dir)),
        syncForDevice: () => addrs.forEach((a, i) => dma_sync_single_for_device(dev, a, bufs[i]!.len, dir)),
        unmap: () => addrs.forEach((a, i) => {
          if (family === 'single') dma_unmap_single_attrs(dev, a, bufs[i]!.len, dir, 0);
          else if (family === 'page') dma_unmap_page_attrs(dev, a, bufs[i]!.len, dir, 0);
          else dma_unmap_phys(dev, a, bufs[i]!.len, dir, 0);
        }),
        canSync: true,
      };
    }
    case 'sg': {
      const sgl = sg_init_table(bufs.length);
      bufs.forEach((b, i) => sg_set_page(sgl[i]!, b.pg, b.len, b.off));
      const n = dma_map_sg_attrs(dev, sgl, bufs.length, dir, 0);
      expect(n).to.be.within(1, bufs.length);
      return {
        segs: sgl.slice(0, n).map((sg) => [sg.dma_address, sg.dma_length]),
        syncForCpu: () => dma_sync_sg_for_cpu(dev, sgl, bufs.length, dir),
        syncForDevice: () => dma_sync_sg_for_device(dev, sgl, bufs.length, dir),
        unmap: () => dma_unmap_sg_attrs(dev, sgl, bufs.length, dir, 0),
        canSync: true,
      };
    }
    case 'sgtable': {
      const sgt = new sg_table();
      sg_alloc_table(sgt, bufs.length);
      let i = 0;
      for (let sg: scatterlist | null = sgt.sgl; i < bufs.length; i++, sg = sgt.sgl!.sgArray![i] ?? null) {
        sg_set_page(sg!, bufs[i]!.pg, bufs[i]!.len, bufs[i]!.off);
      }
      expect(dma_map_sgtable(dev, sgt, dir, 0)).to.equal(0);
      const segs: [number, number][] = [];
      for (const sg of for_each_sgtable_dma_sg(sgt)) segs.push([sg.dma_address, sg.dma_length]);
      expect(segs.length).to.equal(sgt.nents);
      return {
        segs,
        syncForCpu: () => dma_sync_sgtable_for_cpu(dev, sgt, dir),
        syncForDevice: () => dma_sync_sgtable_for_device(dev, sgt, dir),
        unmap: () => dma_unmap_sgtable(dev, sgt, dir, 0),
        canSync: true,
      };
    }
    case 'bvec': {
      const bvecs = bufs.map((b) => new bio_vec(b.pg, b.len, b.off));
      const n = dma_map_bvecs_attrs(dev, bvecs, bvecs.length, dir, 0);
      expect(n).to.be.within(1, bvecs.length);
      return {
        segs: bvecs.slice(0, n).map((bv) => [bv.bv_dma_address, bv.bv_dma_length]),
        syncForCpu: () => dma_sync_bvecs_for_cpu(dev, bvecs, bvecs.length, dir),
        syncForDevice: () => dma_sync_bvecs_for_device(dev, bvecs, bvecs.length, dir),
        unmap: () => dma_unmap_bvecs_attrs(dev, bvecs, bvecs.length, dir, 0),
        canSync: true,
      };
    }
    case 'iova': {
      // One transaction per buffer: only the first link of a transaction may be unaligned.
      const states = bufs.map((b) => {
        const st = new dma_iova_state();
        const phys = page_to_phys(b.pg) + b.off;
        if (!dma_iova_try_alloc(dev, st, phys, b.len)) return null;
        expect(dma_iova_link(dev, st, phys, 0, b.len, dir, 0)).to.equal(0);
        expect(dma_iova_sync(dev, st, 0, b.len)).to.equal(0);
        return st;
      });
      if (states.some((s) => s === null)) {
        expect(states.every((s) => s === null)).to.equal(true);
        return null;
      }
      return {
        segs: states.map((s, i) => [s!.addr, bufs[i]!.len]),
        syncForCpu: () => undefined,
        syncForDevice: () => undefined,
        unmap: () => states.forEach((s, i) => dma_iova_destroy(dev, s!, bufs[i]!.len, dir, 0)),
        canSync: false,
      };
    }
  }
}

function deviceWriteAll(r: Rig, segs: [number, number][], data: Uint8Array): void {
  let off = 0;
  for (const [addr, len] of segs) {
    const w = dmaDeviceWrite(r.dev, addr, data.subarray(off, off + len));
    if (isDmaFault(w)) throw new Error(w.message);
    off += len;
  }
  expect(off).to.equal(data.length);
}

function deviceReadAll(r: Rig, segs: [number, number][]): Uint8Array {
  let n = 0;
  for (const [, len] of segs) n += len;
  const out = new Uint8Array(n);
  let off = 0;
  for (const [addr, len] of segs) {
    const w = dmaDeviceCopyOut(r.dev, addr, out.subarray(off, off + len));
    if (isDmaFault(w)) throw new Error(w.message);
    off += len;
  }
  return out;
}

/** Paths where the device does not see CPU writes made after map until sync_for_device. */
const COPYING_PATHS: ReadonlySet<DmaPath> = new Set(['swiotlb', 'force-bounce', 'noncoherent', 'noncoherent-swiotlb', 'noncoherent-iommu']);

function assertClean(r: Rig): void {
  if (r.dev.iommu_domain) iommu_dma_flush_fq(r.dev.iommu_domain);
  expect(debugMessages(r)).to.deep.equal([]);
  expect(r.debug?.liveMappings(r.dev) ?? []).to.deep.equal([]);
  expect(r.dev.dma_io_tlb_mem?.used ?? 0).to.equal(0);
  expect(noncoherentShadowCount(r.mem), 'cache shadow pages left after unmap').to.equal(0);
}

const bufArb = fc.record({ order: fc.integer({ min: 0, max: 2 }), off: fc.integer({ min: 0, max: 16383 }), len: fc.integer({ min: 1, max: 16384 }) });

function makeBufs(r: Rig, shape: { order: number; off: number; len: number }[]): Buf[] {
  return shape.map((s) => {
    const size = PAGE_SIZE * 2 ** s.order;
    const off = s.off % size;
    return { pg: alloc_pages(r.mem, s.order)!, off, len: Math.max(1, Math.min(s.len, size - off)) };
  });
}

describe('dma-mapping', () => {
  describe('round trips through every path and API family (KERNEL.md §11 items 1, 3, 5–8)', () => {
    for (const path of ALL_PATHS) {
      it(`device writes reach the CPU after sync_for_cpu or unmap, on the ${path} path`, () => {
        fc.assert(fc.property(
          fc.constantFrom(...FAMILIES), fc.array(bufArb, { minLength: 1, maxLength: 4 }),
          fc.constantFrom<dma_data_direction>(DMA_FROM_DEVICE, DMA_BIDIRECTIONAL), fc.boolean(), fc.integer(),
          (family, shape, dir, syncFirst, seed) => {
            const r = rig({ path, size: '16M', debug: true });
            const bufs = makeBufs(r, shape);
            bufs.forEach((b, i) => fill(bufView(r, b), seed + i));
            const m = mapFamily(r, family, bufs, dir);
            if (m === null) {
              expect(family).to.equal('iova');
              expect(r.dev.iommu_domain).to.equal(null);
              return;
            }
            const total = bufs.reduce((n, b) => n + b.len, 0);
            const data = new Uint8Array(total);
            fill(data, seed ^ 0x5a5a);
            deviceWriteAll(r, m.segs, data);
            if (syncFirst && m.canSync) {
              m.syncForCpu();
              expect(concat(bufs.map((b) => bufView(r, b)))).to.deep.equal(data);
              m.unmap();
            } else {
              m.unmap();
            }
            expect(concat(bufs.map((b) => bufView(r, b)))).to.deep.equal(data);
            assertClean(r);
          },
        ), { seed: fcSeed(0xd0a + ALL_PATHS.indexOf(path)), numRuns: 40 });
      });

      it(`the device sees the CPU's bytes at map, and later CPU writes only after sync_for_device, on the ${path} path`, () => {
        fc.assert(fc.property(
          fc.constantFrom(...FAMILIES), fc.array(bufArb, { minLength: 1, maxLength: 4 }),
          fc.constantFrom<dma_data_direction>(DMA_TO_DEVICE, DMA_BIDIRECTIONAL), fc.integer(),
          (family, shape, dir, seed) => {
            const r = rig({ path, size: '16M', debug: true });
            const bufs = makeBufs(r, shape);
            bufs.forEach((b, i) => fill(bufView(r, b), seed + i));
            const atMap = concat(bufs.map((b) => bufView(r, b)));
            const m = mapFamily(r, family, bufs, dir);
            if (m === null) return;
            expect(deviceReadAll(r, m.segs)).to.deep.equal(atMap);
            if (m.canSync) {
              bufs.forEach((b, i) => fill(bufView(r, b), seed + 100 + i));
              const later = concat(bufs.map((b) => bufView(r, b)));
              const seen = deviceReadAll(r, m.segs);
              expect(seen).to.deep.equal(COPYING_PATHS.has(path) ? atMap : later);
              m.syncForDevice();
              expect(deviceReadAll(r, m.segs)).to.deep.equal(later);
            }
            m.unmap();
            assertClean(r);
          },
        ), { seed: fcSeed(0x70d + ALL_PATHS.indexOf(path)), numRuns: 40 });
      });
    }
  });

  describe('invalid direction (KERNEL.md §4.1: BUG in every map, unmap and sync)', () => {
    const r = rig({ debug: false });
    const pg = alloc_pages(r.mem, 0)!;
    const sgl = sg_init_table(1);
    sg_set_page(sgl[0]!, pg, 100, 0);
    const bv = [new bio_vec(pg, 100, 0)];
    const calls: [string, () => unknown][] = [
      ['dma_map_phys', () => dma_map_phys(r.dev, page_to_phys(pg), 100, DMA_NONE, 0)],
      ['dma_unmap_phys', () => dma_unmap_phys(r.dev, page_to_phys(pg), 100, 7 as dma_data_direction, 0)],
      ['dma_map_page', () => dma_map_page(r.dev, pg, 0, 100, DMA_NONE)],
      ['dma_map_single', () => dma_map_single(r.dev, page_address(pg), 100, DMA_NONE)],
      ['dma_map_sg_attrs', () => dma_map_sg_attrs(r.dev, sgl, 1, DMA_NONE, 0)],
      ['dma_unmap_sg_attrs', () => dma_unmap_sg_attrs(r.dev, sgl, 1, DMA_NONE, 0)],
      ['dma_map_bvecs_attrs', () => dma_map_bvecs_attrs(r.dev, bv, 1, DMA_NONE, 0)],
      ['dma_unmap_bvecs_attrs', () => dma_unmap_bvecs_attrs(r.dev, bv, 1, DMA_NONE, 0)],
      ['dma_sync_single_for_cpu', () => dma_sync_single_for_cpu(r.dev, 0x10_0000, 1, DMA_NONE)],
      ['dma_sync_single_for_device', () => dma_sync_single_for_device(r.dev, 0x10_0000, 1, -1 as dma_data_direction)],
      ['dma_sync_sg_for_cpu', () => dma_sync_sg_for_cpu(r.dev, sgl, 1, DMA_NONE)],
      ['dma_sync_sg_for_device', () => dma_sync_sg_for_device(r.dev, sgl, 1, DMA_NONE)],
      ['dma_sync_bvecs_for_cpu', () => dma_sync_bvecs_for_cpu(r.dev, bv, 1, DMA_NONE)],
      ['dma_sync_bvecs_for_device', () => dma_sync_bvecs_for_device(r.dev, bv, 1, DMA_NONE)],
    ];
    for (const [name, call] of calls) {
      it(`${name} with DMA_NONE (or an out-of-range value) is a KernelBug`, () => {
        let err: unknown;
        try {
          call();
        } catch (e) {
          err = e;
        }
        expect(isKernelBug(err), String(err)).to.equal(true);
        expect(String(err)).to.contain('invalid dma_data_direction');
      });
    }
  });

  describe('dma-debug errors through the API (KERNEL.md §4.6 errors 1–8)', () => {
    function mapped(r: Rig, len = 256, dir: dma_data_direction = DMA_FROM_DEVICE): { phys: number; addr: number } {
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      const addr = dma_map_phys(r.dev, phys, len, dir, 0);
      expect(dma_mapping_error(r.dev, addr)).to.equal(0);
      return { phys, addr };
    }

    it('unmap of an address never mapped: "tries to free DMA memory it has not allocated" (strict mode throws it)', () => {
      const r = rig();
      expect(() => dma_unmap_phys(r.dev, 0x7_0000, 64, DMA_TO_DEVICE, 0)).to.throw(/device driver tries to free DMA memory it has not allocated \[device address=0x0000000000070000\] \[size=64 bytes\]/);
      expect(r.log.grep('tries to free DMA memory it has not allocated')).to.have.length(1);
      expect(r.debug!.error_count).to.equal(1);
    });

    it('unmap of DMA_MAPPING_ERROR: "tries to free an invalid DMA memory address"', () => {
      const r = rig();
      expect(() => dma_unmap_phys(r.dev, DMA_MAPPING_ERROR, 64, DMA_TO_DEVICE, 0)).to.throw(/tries to free an invalid DMA memory address/);
    });

    it('unmap with a different size: "frees DMA memory with different size"', () => {
      const r = rig();
      const { addr } = mapped(r);
      expect(() => dma_unmap_phys(r.dev, addr, 255, DMA_FROM_DEVICE, 0)).to.throw(/frees DMA memory with different size .*\[map size=256 bytes\] \[unmap size=255 bytes\]/);
    });

    it('unmap with a different direction: "frees DMA memory with different direction"', () => {
      const r = rig();
      const { addr } = mapped(r);
      expect(() => dma_unmap_phys(r.dev, addr, 256, DMA_BIDIRECTIONAL, 0)).to.throw(/different direction .*\[mapped with DMA_FROM_DEVICE\] \[unmapped with DMA_BIDIRECTIONAL\]/);
    });

    it('a single mapping unmapped as an sg list: "frees DMA memory with wrong function"', () => {
      const r = rig();
      const pg = alloc_pages(r.mem, 0)!;
      const addr = dma_map_page(r.dev, pg, 0, PAGE_SIZE, DMA_TO_DEVICE);
      expect(dma_mapping_error(r.dev, addr)).to.equal(0);
      const sgl = sg_init_table(1);
      sg_set_page(sgl[0]!, pg, PAGE_SIZE, 0);
      sgl[0]!.dma_address = addr;
      sgl[0]!.dma_length = PAGE_SIZE;
      expect(() => dma_unmap_sg(r.dev, sgl, 1, DMA_TO_DEVICE)).to.throw(/wrong function .*\[unmapped as scatter-gather\]/);
    });

    it('sg unmap with a different entry count: "frees DMA sg list with different entry count"', () => {
      const r = rig();
      const sgl = sg_init_table(3);
      for (let i = 0; i < 3; i++) sg_set_page(sgl[i]!, alloc_pages(r.mem, 0)!, 512, 0);
      expect(dma_map_sg(r.dev, sgl, 3, DMA_TO_DEVICE)).to.equal(3);
      expect(() => dma_unmap_sg(r.dev, sgl, 2, DMA_TO_DEVICE)).to.throw(/different entry count \[map count=3\] \[unmap count=2\]/);
    });

    it('unmap without dma_mapping_error(): "failed to check map error"', () => {
      const r = rig();
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      const addr = dma_map_phys(r.dev, phys, 64, DMA_TO_DEVICE, 0);
      expect(() => dma_unmap_phys(r.dev, addr, 64, DMA_TO_DEVICE, 0)).to.throw(/device driver failed to check map error/);
    });

    it('a sync of memory never mapped: "tries to sync DMA memory it has not allocated"', () => {
      const r = rig();
      expect(() => dma_sync_single_for_cpu(r.dev, 0x50_0000, 8, DMA_FROM_DEVICE)).to.throw(/tries to sync DMA memory it has not allocated/);
    });

    it('dma_unmap_phys checks after the unmap, dma_unmap_sg_attrs before it (KERNEL.md §4.2)', () => {
      const r = rig({ path: 'force-bounce' });
      const { addr } = mapped(r, 256, DMA_FROM_DEVICE);
      expect(r.dev.dma_io_tlb_mem!.used).to.equal(1);
      expect(() => dma_unmap_phys(r.dev, addr, 256, DMA_TO_DEVICE, 0)).to.throw(/different direction/);
      expect(r.dev.dma_io_tlb_mem!.used).to.equal(0); // unmapped first, then reported

      const r2 = rig({ path: 'force-bounce' });
      const sgl = sg_init_table(1);
      sg_set_page(sgl[0]!, alloc_pages(r2.mem, 0)!, 256, 0);
      expect(dma_map_sg(r2.dev, sgl, 1, DMA_FROM_DEVICE)).to.equal(1);
      expect(() => dma_unmap_sg(r2.dev, sgl, 1, DMA_TO_DEVICE)).to.throw(/different direction/);
      expect(r2.dev.dma_io_tlb_mem!.used).to.equal(1); // reported first; strict mode stopped the unmap
    });

    it('a clean run leaves no errors and no live mappings', () => {
      const r = rig();
      const { addr } = mapped(r);
      dma_unmap_phys(r.dev, addr, 256, DMA_FROM_DEVICE, 0);
      assertClean(r);
    });
  });

  describe('dma_map_phys failures', () => {
    it('beyond dma_mask with no swiotlb: DMA_MAPPING_ERROR and the "overflow" dmesg line (KERNEL.md §11 item 6)', () => {
      const r = unreachableRig();
      const phys = page_to_phys(alloc_pages(r.mem, 0)!);
      const addr = dma_map_phys(r.dev, phys, 100, DMA_TO_DEVICE, 0);
      expect(addr).to.equal(DMA_MAPPING_ERROR);
      expect(dma_mapping_error(r.dev, addr)).to.equal(-ENOMEM);
      expect(r.log.grep(/DMA addr 0x0000000100[0-9a-f]{6}\+100 overflow \(mask ffffffff, bus limit 0\)\./)).to.have.length(1);
      expect(r.dev.stats.family.phys.map_errors).to.equal(1);
      expect(debugMessages(r)).to.deep.equal([]); // dma-debug ignores a failed mapping
    });

    it('swiotlb exhausted: DMA_MAPPING_ERROR and "swiotlb buffer is full"', () => {
      const r = rig({ path: 'force-bounce', nslabs: 128 });
      const addrs: number[] = [];
      for (let i = 0; i < 2; i++) {
        const a = dma_map_phys(r.dev, page_to_phys(alloc_pages(r.mem, 5)!), 128 * 1024, DMA_TO_DEVICE, 0);
        expect(dma_mapping_error(r.dev, a)).to.equal(0);
        addrs.push(a);
      }
      const a = dma_map_phys(r.dev, page_to_phys(alloc_pages(r.mem, 0)!), 100, DMA_TO_DEVICE, 0);
      expect(a).to.equal(DMA_MAPPING_ERROR);
      expect(dma_mapping_error(r.dev, a)).to.equal(-ENOMEM);
      expect(r.log.grep('swiotlb buffer is full')).to.have.length(1);
      addrs.forEach((x) => dma_unmap_phys(r.dev, x, 128 * 1024, DMA_TO_DEVICE, 0));
      assertClean(r);
    });

    it('IOVA space exhausted: DMA_MAPPING_ERROR from dma_map_phys, -ENOMEM from dma_map_sgtable, 0 from dma_map_sg_attrs', () => {
      const r = rig({ path: 'iommu-strict', dev: { dma_mask: DMA_BIT_MASK(16) } }); // 15 usable IOVA pages (pfn 0 never)
      const addrs: number[] = [];
      let failed = false;
      for (let i = 0; i < 16; i++) {
        const a = dma_map_phys(r.dev, page_to_phys(alloc_pages(r.mem, 0)!), PAGE_SIZE, DMA_TO_DEVICE, 0);
        if (dma_mapping_error(r.dev, a)) {
          failed = true;
          break;
        }
        addrs.push(a);
      }
      expect(failed).to.equal(true);
      expect(addrs.length).to.be.at.most(15);
      const sgt = new sg_table();
      sg_alloc_table(sgt, 2);
      sg_set_page(sgt.sgl!, alloc_pages(r.mem, 0)!, PAGE_SIZE, 0);
      sg_set_page(sgt.sgl!.sgArray![1]!, alloc_pages(r.mem, 0)!, PAGE_SIZE, 0);
      expect(dma_map_sgtable(r.dev, sgt, DMA_TO_DEVICE, 0)).to.equal(-ENOMEM);
      expect(dma_map_sg_attrs(r.dev, sgt.sgl!, 2, DMA_TO_DEVICE, 0)).to.equal(0);
      addrs.forEach((a) => dma_unmap_phys(r.dev, a, PAGE_SIZE, DMA_TO_DEVICE, 0));
      assertClean(r);
    });

    it('a device without a DMA mask gets DMA_MAPPING_ERROR (WARN_ON_ONCE logged, not thrown)', () => {
      const r = rig();
      r.dev.dma_mask = null;
      expect(dma_map_phys(r.dev, 0x20_0000, 8, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
      const sgl = sg_init_table(1);
      sg_set_page(sgl[0]!, alloc_pages(r.mem, 0)!, 8, 0);
      expect(dma_map_sg_attrs(r.dev, sgl, 1, DMA_TO_DEVICE, 0)).to.equal(0);
      expect(r.log.grep('dma_mask')).to.have.length(2);
    });
  });

  describe('dma_map_sg_attrs / dma_map_sgtable', () => {
    it('over dma-direct returns nents: physically contiguous entries are not merged (KERNEL.md §11 item 6)', () => {
      const r = rig();
      const pg = alloc_pages(r.mem, 3)!;
      const sgl = sg_init_table(8);
      for (let i = 0; i < 8; i++) sg_set_page(sgl[i]!, r.mem.pageOf(pg.pfn + i), PAGE_SIZE, 0);
      expect(dma_map_sg(r.dev, sgl, 8, DMA_TO_DEVICE)).to.equal(8);
      expect(r.dev.stats.family.sg.segs_in).to.equal(8);
      expect(r.dev.stats.family.sg.segs_out).to.equal(8);
      dma_unmap_sg(r.dev, sgl, 8, DMA_TO_DEVICE);
      assertClean(r);
    });

    it('over an IOMMU returns at most nents (contiguous IOVA merges)', () => {
      const r = rig({ path: 'iommu-strict' });
      const sgl = sg_init_table(8);
      for (let i = 0; i < 8; i++) sg_set_page(sgl[i]!, alloc_pages(r.mem, 0)!, PAGE_SIZE, 0);
      const n = dma_map_sg(r.dev, sgl, 8, DMA_TO_DEVICE);
      expect(n).to.be.within(1, 8);
      expect(n).to.be.below(8);
      dma_unmap_sg(r.dev, sgl, 8, DMA_TO_DEVICE);
      assertClean(r);
    });

    it('dma_map_sg_attrs returns 0 on error while dma_map_sgtable returns the errno (-EIO over dma-direct)', () => {
      const r = unreachableRig();
      const sgt = new sg_table();
      sg_alloc_table(sgt, 1);
      sg_set_page(sgt.sgl!, alloc_pages(r.mem, 0)!, 100, 0);
      expect(dma_map_sg_attrs(r.dev, sgt.sgl!, 1, DMA_TO_DEVICE, 0)).to.equal(0);
      expect(dma_map_sgtable(r.dev, sgt, DMA_TO_DEVICE, 0)).to.equal(-EIO);
      expect(sgt.nents).to.equal(1); // untouched on failure
      expect(r.dev.stats.family.sg.map_errors).to.equal(2);
    });

    it('dma_map_sgtable sets sgt.nents and dma_unmap_sgtable unmaps orig_nents', () => {
      const r = rig({ path: 'force-bounce' });
      const sgt = new sg_table();
      sg_alloc_table(sgt, 3);
      for (const [i, sg] of [sgt.sgl!, sgt.sgl!.sgArray![1]!, sgt.sgl!.sgArray![2]!].entries()) sg_set_page(sg, alloc_pages(r.mem, 0)!, 100 + i, 0);
      expect(dma_map_sgtable(r.dev, sgt, DMA_BIDIRECTIONAL, 0)).to.equal(0);
      expect(sgt.nents).to.equal(3);
      expect(r.dev.dma_io_tlb_mem!.used).to.equal(3);
      dma_unmap_sgtable(r.dev, sgt, DMA_BIDIRECTIONAL, 0);
      assertClean(r);
    });
  });

  describe('dma_map_bvecs_attrs (RFC 7/9)', () => {
    it('returns nents over dma-direct and stores the results in the bio_vecs', () => {
      const r = rig();
      const pg = alloc_pages(r.mem, 1)!;
      const bvecs = [new bio_vec(pg, 100, 10), new bio_vec(pg, 5000, 200)];
      expect(dma_map_bvecs_attrs(r.dev, bvecs, 2, DMA_TO_DEVICE, 0)).to.equal(2);
      expect(bvecs[1]!.bv_dma_address).to.equal(page_to_phys(pg) + 200);
      expect(bvecs[1]!.bv_dma_length).to.equal(5000);
      expect(r.dev.stats.family.bvec.map_calls).to.equal(1);
      dma_unmap_bvecs_attrs(r.dev, bvecs, 2, DMA_TO_DEVICE, 0);
      assertClean(r);
    });

    it('returns 0 on error (the RFC documentation), __dma_map_bvecs_attrs the errno', () => {
      const r = unreachableRig();
      const bvecs = [new bio_vec(alloc_pages(r.mem, 0)!, 100, 0)];
      expect(dma_map_bvecs_attrs(r.dev, bvecs, 1, DMA_TO_DEVICE, 0)).to.equal(0);
      expect(__dma_map_bvecs_attrs(r.dev, bvecs, 1, DMA_TO_DEVICE, 0)).to.equal(-EIO);
    });

    it('unmap with a different entry count is a dma-debug error', () => {
      const r = rig();
      const bvecs = [new bio_vec(alloc_pages(r.mem, 0)!, 100, 0), new bio_vec(alloc_pages(r.mem, 0)!, 100, 0)];
      expect(dma_map_bvecs_attrs(r.dev, bvecs, 2, DMA_TO_DEVICE, 0)).to.equal(2);
      expect(() => dma_unmap_bvecs_attrs(r.dev, bvecs, 1, DMA_TO_DEVICE, 0)).to.throw(/different entry count/);
    });
  });

  describe('dma_map_single_attrs', () => {
    it('maps a direct-map view at its physical address', () => {
      const r = rig();
      const buf = page_address(alloc_pages(r.mem, 0)!).subarray(100, 300);
      const addr = dma_map_single(r.dev, buf, 200, DMA_TO_DEVICE);
      expect(addr).to.equal(virt_to_phys(r.mem, buf));
      expect(dma_mapping_error(r.dev, addr)).to.equal(0);
      dma_unmap_single(r.dev, addr, 200, DMA_TO_DEVICE);
      assertClean(r);
    });

    it('rejects a buffer outside the direct map ("rejecting DMA map of vmalloc memory", DMA_MAPPING_ERROR)', () => {
      const r = rig();
      expect(dma_map_single(r.dev, new Uint8Array(64), 64, DMA_TO_DEVICE)).to.equal(DMA_MAPPING_ERROR);
      expect(r.log.grep('rejecting DMA map of vmalloc memory')).to.have.length(1);
      expect(r.debug!.liveMappings(r.dev)).to.have.length(0);
    });

    it('reports a buffer in kernel text or rodata (dma-debug, then still maps as the kernel does)', () => {
      const r = rig({ strictDebug: false });
      const text = r.mem.view(0x1000, 64); // the first MiB is PG_reserved
      const addr = dma_map_single(r.dev, text, 64, DMA_TO_DEVICE);
      expect(addr).to.equal(0x1000);
      expect(debugMessages(r).some((m) => m.includes('maps memory from kernel text or rodata'))).to.equal(true);
      dma_mapping_error(r.dev, addr);
      dma_unmap_single(r.dev, addr, 64, DMA_TO_DEVICE);
    });
  });

  describe('dma_map_resource', () => {
    it('maps MMIO at its physical address and unmaps without touching memory', () => {
      const r = rig();
      const addr = dma_map_resource(r.dev, 0xfe00_0000, 4096, DMA_BIDIRECTIONAL, 0);
      expect(addr).to.equal(0xfe00_0000);
      expect(dma_mapping_error(r.dev, addr)).to.equal(0);
      dma_unmap_resource(r.dev, addr, 4096, DMA_BIDIRECTIONAL, 0);
      assertClean(r);
    });

    it('refuses RAM when dma-debug is on (WARN_ON_ONCE(pfn_valid))', () => {
      const r = rig();
      expect(dma_map_resource(r.dev, 0x20_0000, 4096, DMA_BIDIRECTIONAL, 0)).to.equal(DMA_MAPPING_ERROR);
      expect(r.log.grep('pfn_valid')).to.have.length(1);
    });
  });

  describe('counters and API families (dma-stats.ts)', () => {
    it('charges map, unmap, segment and sync counters to the family of the call, and restores dma_family', () => {
      const r = rig({ path: 'force-bounce' });
      const pg = alloc_pages(r.mem, 0)!;
      const a = dma_map_phys(r.dev, page_to_phys(pg), 100, DMA_BIDIRECTIONAL, 0);
      dma_mapping_error(r.dev, a);
      dma_sync_single_for_cpu(r.dev, a, 60, DMA_BIDIRECTIONAL);
      dma_unmap_phys(r.dev, a, 100, DMA_BIDIRECTIONAL, 0);
      const sgl = sg_init_table(2);
      sg_set_page(sgl[0]!, pg, 10, 0);
      sg_set_page(sgl[1]!, alloc_pages(r.mem, 0)!, 20, 0);
      dma_map_sg(r.dev, sgl, 2, DMA_TO_DEVICE);
      dma_sync_sg_for_device(r.dev, sgl, 2, DMA_TO_DEVICE);
      dma_unmap_sg(r.dev, sgl, 2, DMA_TO_DEVICE);
      const { phys, sg } = r.dev.stats.family;
      expect([phys.map_calls, phys.unmap_calls, phys.segs_in, phys.segs_out, phys.sync_calls, phys.sync_bytes]).to.deep.equal([1, 1, 1, 1, 1, 60]);
      expect([sg.map_calls, sg.unmap_calls, sg.segs_in, sg.segs_out, sg.sync_calls, sg.sync_bytes]).to.deep.equal([1, 1, 2, 2, 1, 30]);
      expect(phys.bounce_maps + sg.bounce_maps).to.be.greaterThan(0);
      expect(r.dev.dma_family).to.equal('none');
      expect(r.dev.stats.total.map_calls).to.equal(2);
    });
  });

  describe('tracepoints (include/trace/events/dma.h)', () => {
    it('dma:dma_map_phys, dma:dma_unmap_phys and dma:dma_sync_single_for_cpu print the kernel format', () => {
      const r = rig();
      const lines: string[] = [];
      const subs = [trace_dma_map_phys, trace_dma_unmap_phys, trace_dma_sync_single_for_cpu].map((tp) =>
        (tp.events$ as import('rxjs').Observable<TraceEvent<object>>).subscribe((e) => lines.push(e.text)));
      try {
        const phys = page_to_phys(alloc_pages(r.mem, 0)!);
        const a = dma_map_phys(r.dev, phys, 100, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
        dma_mapping_error(r.dev, a);
        dma_sync_single_for_cpu(r.dev, a, 100, DMA_FROM_DEVICE);
        dma_unmap_phys(r.dev, a, 100, DMA_FROM_DEVICE, 0);
        const h = phys.toString(16);
        expect(lines[0]).to.match(new RegExp(`dma_map_phys: dev0 dir=FROM_DEVICE dma_addr=${h} size=100 phys_addr=${h} attrs=SKIP_CPU_SYNC$`));
        expect(lines[1]).to.match(new RegExp(`dma_sync_single_for_cpu: dev0 dir=FROM_DEVICE dma_addr=${h} size=100$`));
        expect(lines[2]).to.match(new RegExp(`dma_unmap_phys: dev0 dir=FROM_DEVICE dma_addr=${h} size=100 attrs=$`));
      } finally {
        subs.forEach((s) => s.unsubscribe());
      }
    });

    it('dma:dma_map_sg lists DMA addresses, sizes and physical addresses', () => {
      const r = rig();
      const lines: string[] = [];
      const sub = (trace_dma_map_sg.events$ as import('rxjs').Observable<TraceEvent<object>>).subscribe((e) => lines.push(e.text));
      try {
        const sgl = sg_init_table(2);
        sg_set_page(sgl[0]!, r.mem.pageOf(0x200), 16, 0);
        sg_set_page(sgl[1]!, r.mem.pageOf(0x201), 32, 8);
        dma_map_sg(r.dev, sgl, 2, DMA_TO_DEVICE);
        dma_unmap_sg(r.dev, sgl, 2, DMA_TO_DEVICE);
        expect(lines[0]).to.match(/dma_map_sg: dev0 dir=TO_DEVICE nents=2\/2 ents=2\/2 dma_addrs=\{0x200000,0x201008\} sizes=\{0x10,0x20\} phys_addrs=\{0x200000,0x201008\} attrs=$/);
      } finally {
        sub.unsubscribe();
      }
    });
  });

  describe('queries', () => {
    it('dma_need_unmap: false only for a coherent dma-direct device without dma-debug', () => {
      expect(dma_need_unmap(rig({ debug: false }).dev)).to.equal(false);
      expect(dma_need_unmap(rig().dev)).to.equal(true);
      expect(dma_need_unmap(rig({ path: 'noncoherent', debug: false }).dev)).to.equal(true);
      expect(dma_need_unmap(rig({ path: 'iommu-strict', debug: false }).dev)).to.equal(true);
    });

    it('dma_need_sync: false for a coherent unbounced direct mapping, true when bounced or non-coherent', () => {
      const r = rig({ debug: false });
      expect(dma_need_sync(r.dev, 0x20_0000)).to.equal(false);
      const b = rig({ path: 'force-bounce', debug: false });
      const a = dma_map_phys(b.dev, page_to_phys(alloc_pages(b.mem, 0)!), 10, DMA_TO_DEVICE, 0);
      expect(dma_need_sync(b.dev, a)).to.equal(true);
      expect(dma_need_sync(rig({ path: 'noncoherent', debug: false }).dev, 0x20_0000)).to.equal(true);
    });

    it('dma_max_mapping_size: SIZE_MAX unless swiotlb limits it', () => {
      expect(dma_max_mapping_size(rig({ debug: false }).dev)).to.equal(U64_MAX);
      expect(dma_max_mapping_size(rig({ path: 'force-bounce', debug: false }).dev)).to.equal(256 * 1024);
      expect(dma_max_mapping_size(rig({ path: 'iommu-strict', debug: false }).dev)).to.equal(U64_MAX);
    });

    it('dma_addressing_limited: true for a mask below the highest RAM address', () => {
      expect(dma_addressing_limited(rig({ debug: false }).dev)).to.equal(false);
      expect(dma_addressing_limited(rig({ path: 'swiotlb', debug: false }).dev)).to.equal(true);
    });
  });

  describe('dma_alloc_coherent / dma_free_coherent', () => {
    it('returns zeroed memory the device reaches at dma_handle (dma-direct), no syncs needed', () => {
      const r = rig({ path: 'noncoherent' });
      const buf = dma_alloc_coherent(r.dev, 6000, GFP_KERNEL)!;
      expect(buf.cpu_addr.length).to.equal(6000);
      expect(buf.cpu_addr.every((b) => b === 0)).to.equal(true);
      expect(buf.dma_handle).to.equal(virt_to_phys(r.mem, buf.cpu_addr));
      buf.cpu_addr.fill(0x61, 0, 16);
      const seen = new Uint8Array(16);
      expect(dmaDeviceCopyOut(r.dev, buf.dma_handle, seen)).to.equal(16);
      expect(seen).to.deep.equal(new Uint8Array(16).fill(0x61));
      dmaDeviceWrite(r.dev, buf.dma_handle + 32, new Uint8Array([1, 2, 3]));
      expect([...buf.cpu_addr.subarray(32, 35)]).to.deep.equal([1, 2, 3]);
      dma_free_coherent(r.dev, 6000, buf.cpu_addr, buf.dma_handle);
      assertClean(r);
    });

    it('maps the buffer BIDIRECTIONAL through the IOMMU', () => {
      const r = rig({ path: 'iommu-strict' });
      const buf = dma_alloc_coherent(r.dev, 4096, GFP_KERNEL)!;
      expect(buf.dma_handle).to.not.equal(virt_to_phys(r.mem, buf.cpu_addr));
      expect(dmaDeviceWrite(r.dev, buf.dma_handle, new Uint8Array([9]))).to.equal(1);
      expect(buf.cpu_addr[0]).to.equal(9);
      dma_free_coherent(r.dev, 4096, buf.cpu_addr, buf.dma_handle);
      assertClean(r);
    });

    it('returns null when the memory is beyond coherent_dma_mask (no ZONE_DMA to retry in)', () => {
      const r = unreachableRig();
      expect(dma_alloc_coherent(r.dev, 4096, GFP_KERNEL)).to.equal(null);
    });

    it('freeing at a different CPU address is the dma-debug error "frees DMA memory with different CPU address"', () => {
      const r = rig();
      const buf = dma_alloc_coherent(r.dev, 4096, GFP_KERNEL)!;
      const other = page_address(alloc_pages(r.mem, 0)!);
      expect(() => dma_free_coherent(r.dev, 4096, other, buf.dma_handle)).to.throw(/different CPU address/);
    });
  });

  it('dma_iova_link ranges are live mappings for the device-access check (dma-iommu.ts calls debug_dma_iova_link)', () => {
    const r = rig({ path: 'iommu-strict', strictDebug: false });
    const pg = alloc_pages(r.mem, 1)!;
    const st = new dma_iova_state();
    expect(dma_iova_try_alloc(r.dev, st, page_to_phys(pg), 2 * PAGE_SIZE)).to.equal(true);
    expect(dma_iova_link(r.dev, st, page_to_phys(pg), 0, 2 * PAGE_SIZE, DMA_FROM_DEVICE, 0)).to.equal(0);
    expect(dma_iova_sync(r.dev, st, 0, 2 * PAGE_SIZE)).to.equal(0);
    expect(dmaDeviceWrite(r.dev, st.addr + 100, new Uint8Array(5000).fill(4))).to.equal(5000);
    expect(debugMessages(r)).to.deep.equal([]);
    dma_iova_destroy(r.dev, st, 2 * PAGE_SIZE, DMA_FROM_DEVICE, 0);
    const after = dmaDeviceWrite(r.dev, st.addr, new Uint8Array(1));
    expect(isDmaFault(after) && after.reason).to.equal('iommu');
    expect(r.debug!.liveMappings(r.dev)).to.deep.equal([]);
  });

  it('dma_iova_try_alloc is false without an IOMMU (the caller falls back to dma_map_phys)', () => {
    const r = rig();
    const st = new dma_iova_state();
    expect(dma_iova_try_alloc(r.dev, st, 0x20_0000, 4096)).to.equal(false);
    expect(dma_use_iova(st)).to.equal(false);
  });
});
