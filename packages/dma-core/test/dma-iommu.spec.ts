/**
 * Tests for dma-iommu.ts (drivers/iommu/dma-iommu.c): IOVA allocation rules, strict vs lazy
 * unmap and the flush queue, map_sg merging (KERNEL.md §4.5, invariant 7 of §11), the RFC bvec
 * twin, swiotlb bouncing for untrusted devices, and every dma_iova_* rule of KERNEL.md §0.3
 * (invariant 8).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Dmesg, SimClock, isKernelBug } from '@rdmaemu/sim-core';
import { bio_vec } from '../src/bvec.js';
import { device, type DeviceInit } from '../src/device.js';
import {
  DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_BIT_MASK, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE,
} from '../src/dma-mapping.h.js';
import {
  DMA_IOVA_USE_SWIOTLB, IOVA_DEFAULT_FQ_SIZE, dma_get_merge_boundary, dma_info_to_prot, dma_iova_destroy,
  dma_iova_free, dma_iova_link, dma_iova_size, dma_iova_state, dma_iova_sync, dma_iova_try_alloc, dma_iova_unlink,
  dma_use_iova, iommuDmaFqDepth, iommu_dma_flush_fq, iommu_dma_map_bvecs, iommu_dma_map_phys, iommu_dma_map_sg,
  iommu_dma_sync_single_for_cpu, iommu_dma_unmap_bvecs, iommu_dma_unmap_phys, iommu_dma_unmap_sg,
} from '../src/dma-iommu.js';
import {
  IOMMU_CACHE, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, IOMMU_MMIO, IOMMU_PRIV, IOMMU_READ, IOMMU_WRITE,
  iommuTranslate, iommu_attach_device, iommu_domain, iommu_domain_alloc, iommu_iova_to_phys, type IommuDomainInit,
} from '../src/iommu.js';
import { find_iova } from '../src/iova.js';
import { PAGE_SIZE, PhysicalMemory, page_to_phys, phys_to_page } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';
import { sg_init_table, sg_set_page, type scatterlist } from '../src/scatterlist.js';
import { is_swiotlb_buffer, swiotlb_init, type io_tlb_mem } from '../src/swiotlb.js';
import { DMA_ATTR_MMIO, DMA_ATTR_PRIVILEGED } from '../src/dma-mapping.h.js';
import { fcSeed, fill } from './_support.js';

interface Rig {
  mem: PhysicalMemory;
  log: Dmesg;
  dev: device;
  domain: iommu_domain;
  clock: SimClock | null;
  pool: io_tlb_mem | null;
}

interface RigOpts {
  type?: number;
  dev?: Partial<DeviceInit>;
  domain?: IommuDomainInit;
  clock?: boolean;
  swiotlb?: boolean;
  forcedac?: boolean;
  size?: string;
}

function rig(o: RigOpts = {}): Rig {
  const mem = new PhysicalMemory({ size: o.size ?? '16M' });
  const log = new Dmesg();
  const clock = o.clock ? new SimClock({ seed: 1, traceClock: false }) : null;
  const host = { name: 'h', mem, log, debug: null, clock, forcedac: o.forcedac ?? false };
  const dev = new device(host, { name: 'dev0', ...o.dev });
  const pool = o.swiotlb ? swiotlb_init(mem, { nslabs: 512 }) : null;
  dev.dma_io_tlb_mem = pool;
  const domain = iommu_domain_alloc(host, o.type ?? IOMMU_DOMAIN_DMA, o.domain);
  iommu_attach_device(domain, dev);
  return { mem, log, dev, domain, clock, pool };
}

/** n single pages, each separated from the next by one page (physically discontiguous). */
function scattered(mem: PhysicalMemory, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(page_to_phys(alloc_pages(mem, 0)!));
    alloc_pages(mem, 0);
  }
  return out;
}

function contiguous(mem: PhysicalMemory, order: number): number {
  return page_to_phys(alloc_pages(mem, order)!);
}

/** Read what the device sees at [dma, dma+len) through the IOMMU (null on a fault). */
function deviceRead(r: Rig, dma: number, len: number): Uint8Array | null {
  const runs = iommuTranslate(r.dev, dma, len, false);
  if (runs === null) return null;
  const out = new Uint8Array(len);
  let o = 0;
  for (let i = 0; i < runs.length; i += 2) {
    out.set(r.mem.view(runs[i]!, runs[i + 1]!), o);
    o += runs[i + 1]!;
  }
  return out;
}

const TINY: IommuDomainInit = { aperture_end: 0x7fff }; // 8 pages: pfns 1..7 usable

describe('iommu_dma_init_domain', () => {
  it('starts the IOVA space at pfn 1 and reserves the x86 MSI window', () => {
    const r = rig();
    const iovad = r.domain.iova_cookie!.iovad;
    expect(iovad.start_pfn).to.equal(1);
    expect(iovad.granule).to.equal(4096);
    expect(find_iova(iovad, 0xfee00)).to.deep.include({ pfn_lo: 0xfee00, pfn_hi: 0xfeeff });
  });

  it('starts at aperture_start >> 12 when the aperture does not include 0', () => {
    const r = rig({ domain: { aperture_start: 0x10_0000 } });
    expect(r.domain.iova_cookie!.iovad.start_pfn).to.equal(0x100);
  });
});

describe('dma_info_to_prot', () => {
  it('maps directions and attributes as the kernel does', () => {
    expect(dma_info_to_prot(DMA_TO_DEVICE, true, 0)).to.equal(IOMMU_CACHE | IOMMU_READ);
    expect(dma_info_to_prot(DMA_FROM_DEVICE, false, 0)).to.equal(IOMMU_WRITE);
    expect(dma_info_to_prot(DMA_BIDIRECTIONAL, true, DMA_ATTR_PRIVILEGED)).to.equal(IOMMU_CACHE | IOMMU_PRIV | IOMMU_READ | IOMMU_WRITE);
    expect(dma_info_to_prot(DMA_TO_DEVICE, true, DMA_ATTR_MMIO)).to.equal(IOMMU_MMIO | IOMMU_READ);
    expect(dma_info_to_prot(3, true, 0)).to.equal(0);
  });
});

describe('iommu_dma_map_phys', () => {
  it('keeps the intra-granule offset of phys (invariant 7) and lets the device reach exactly the mapping', () => {
    const r = rig();
    const p = contiguous(r.mem, 0);
    fill(r.mem.view(p, PAGE_SIZE), 3);
    const dma = iommu_dma_map_phys(r.dev, p + 0x234, 100, DMA_TO_DEVICE, 0);
    expect(dma % PAGE_SIZE).to.equal(0x234);
    expect(iommu_iova_to_phys(r.domain, dma)).to.equal(p + 0x234);
    expect(deviceRead(r, dma, 100)).to.deep.equal(r.mem.view(p + 0x234, 100).slice());
    expect(iommuTranslate(r.dev, dma, 4, true)).to.equal(null); // DMA_TO_DEVICE: the device may not write
    expect(r.dev.stats.total.iova_allocs).to.equal(1);
    iommu_dma_unmap_phys(r.dev, dma, 100, DMA_TO_DEVICE, 0);
    expect(r.domain.nr_ptes).to.equal(0);
  });

  it('takes IOVA below 4 GiB first for a 64-bit mask (SAC), and from the top of the aperture with forcedac', () => {
    const sac = rig();
    const a = iommu_dma_map_phys(sac.dev, contiguous(sac.mem, 0), PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(a).to.equal(0xffff_f000);
    const dac = rig({ forcedac: true });
    const b = iommu_dma_map_phys(dac.dev, contiguous(dac.mem, 0), PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(b).to.equal(2 ** 48 - PAGE_SIZE);
  });

  it('respects a 32-bit mask and the bus_dma_limit', () => {
    const r = rig({ dev: { dma_mask: DMA_BIT_MASK(32), bus_dma_limit: DMA_BIT_MASK(24) } });
    const dma = iommu_dma_map_phys(r.dev, contiguous(r.mem, 0), PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(dma).to.equal(0xff_f000);
  });

  it('never returns IOVA 0: an exhausted space gives DMA_MAPPING_ERROR', () => {
    const r = rig({ domain: TINY });
    const got: number[] = [];
    for (let i = 0; i < 8; i++) got.push(iommu_dma_map_phys(r.dev, contiguous(r.mem, 0), PAGE_SIZE, DMA_TO_DEVICE, 0));
    expect(got.slice(0, 7)).to.deep.equal([7, 6, 5, 4, 3, 2, 1].map((p) => p * PAGE_SIZE));
    expect(got[7]).to.equal(DMA_MAPPING_ERROR);
  });

  it('refuses a min_align_mask wider than the granule with dev_WARN_ONCE', () => {
    const r = rig({ dev: { min_align_mask: 0x1fff } });
    expect(iommu_dma_map_phys(r.dev, contiguous(r.mem, 0), 8, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
    expect(r.log.grep('Unsupported alignment constraint')).to.have.length(1);
  });

  it('cleans the cache for a non-coherent device unless DMA_ATTR_SKIP_CPU_SYNC', () => {
    const r = rig({ dev: { coherent: false } });
    const p = contiguous(r.mem, 0);
    const dma = iommu_dma_map_phys(r.dev, p, 512, DMA_TO_DEVICE, 0);
    expect(r.dev.stats.total.cache_maint_bytes).to.equal(512);
    iommu_dma_unmap_phys(r.dev, dma, 512, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
    iommu_dma_map_phys(r.dev, p, 512, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
    expect(r.dev.stats.total.cache_maint_bytes).to.equal(512);
  });

  it('WARNs (strict: throws) when unmapping an address that is not mapped', () => {
    const r = rig();
    expect(() => iommu_dma_unmap_phys(r.dev, 0x5000, 8, DMA_TO_DEVICE, 0)).to.throw().that.satisfies(isKernelBug);
  });
});

describe('untrusted devices (dev_use_swiotlb)', () => {
  it('bounce an unaligned mapping, zero the padding, and copy back on unmap', () => {
    const r = rig({ dev: { untrusted: true }, swiotlb: true });
    const p = contiguous(r.mem, 0);
    fill(r.mem.view(p, PAGE_SIZE), 9);
    const dma = iommu_dma_map_phys(r.dev, p + 100, 200, DMA_BIDIRECTIONAL, 0);
    expect(dma).to.not.equal(DMA_MAPPING_ERROR);
    const tlb = iommu_iova_to_phys(r.domain, dma);
    expect(is_swiotlb_buffer(r.dev, tlb)).to.equal(true);
    const seen = deviceRead(r, dma - (dma % PAGE_SIZE), PAGE_SIZE)!;
    const off = dma % PAGE_SIZE;
    expect(seen.subarray(off, off + 200)).to.deep.equal(r.mem.view(p + 100, 200).slice());
    expect(seen.subarray(0, off).every((b) => b === 0)).to.equal(true);
    expect(seen.subarray(off + 200).every((b) => b === 0)).to.equal(true);
    // the device writes into the bounce buffer; unmap copies it back
    r.mem.view(tlb, 200).fill(0xab);
    iommu_dma_unmap_phys(r.dev, dma, 200, DMA_BIDIRECTIONAL, 0);
    expect(r.mem.view(p + 100, 200).every((b) => b === 0xab)).to.equal(true);
    expect(r.pool!.used).to.equal(0);
  });

  it('do not bounce a granule-aligned mapping', () => {
    const r = rig({ dev: { untrusted: true }, swiotlb: true });
    const p = contiguous(r.mem, 0);
    const dma = iommu_dma_map_phys(r.dev, p, PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(iommu_iova_to_phys(r.domain, dma)).to.equal(p);
    expect(r.pool!.used).to.equal(0);
  });

  it('fail with "DMA bounce buffers are inactive" when there is no swiotlb pool', () => {
    const r = rig({ dev: { untrusted: true } });
    expect(iommu_dma_map_phys(r.dev, contiguous(r.mem, 0) + 8, 8, DMA_TO_DEVICE, 0)).to.equal(DMA_MAPPING_ERROR);
    expect(r.log.grep('DMA bounce buffers are inactive, unable to map unaligned transaction.')).to.have.length(1);
  });

  it('sync_single_for_cpu copies the bounce buffer back', () => {
    const r = rig({ dev: { untrusted: true }, swiotlb: true });
    const p = contiguous(r.mem, 0);
    const dma = iommu_dma_map_phys(r.dev, p + 8, 16, DMA_FROM_DEVICE, 0);
    r.mem.view(iommu_iova_to_phys(r.domain, dma), 16).fill(7);
    iommu_dma_sync_single_for_cpu(r.dev, dma, 16, DMA_FROM_DEVICE);
    expect(r.mem.view(p + 8, 16).every((b) => b === 7)).to.equal(true);
  });
});

describe('__iommu_dma_unmap: strict vs lazy (IOMMU_DOMAIN_DMA vs IOMMU_DOMAIN_DMA_FQ)', () => {
  it('strict: the device faults right after unmap and the IOVA is free again', () => {
    const r = rig();
    const p = contiguous(r.mem, 6); // 64 pages: too big for the rcache
    const dma = iommu_dma_map_phys(r.dev, p, 64 * PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(deviceRead(r, dma, 8)).to.not.equal(null);
    iommu_dma_unmap_phys(r.dev, dma, 64 * PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(deviceRead(r, dma, 8)).to.equal(null);
    expect(find_iova(r.domain.iova_cookie!.iovad, dma / PAGE_SIZE)).to.equal(null);
  });

  it('lazy: a stale IOTLB entry still reaches the page until the flush queue is flushed', () => {
    const r = rig({ type: IOMMU_DOMAIN_DMA_FQ });
    const p = contiguous(r.mem, 6);
    const dma = iommu_dma_map_phys(r.dev, p, 64 * PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(deviceRead(r, dma, 8)).to.not.equal(null);
    iommu_dma_unmap_phys(r.dev, dma, 64 * PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(iommu_iova_to_phys(r.domain, dma)).to.equal(0);
    expect(deviceRead(r, dma, 8)).to.not.equal(null); // the security window
    expect(iommuDmaFqDepth(r.domain)).to.equal(1);
    expect(find_iova(r.domain.iova_cookie!.iovad, dma / PAGE_SIZE)).to.not.equal(null); // not reused yet
    iommu_dma_flush_fq(r.domain);
    expect(deviceRead(r, dma, 8)).to.equal(null);
    expect(iommuDmaFqDepth(r.domain)).to.equal(0);
    expect(find_iova(r.domain.iova_cookie!.iovad, dma / PAGE_SIZE)).to.equal(null);
  });

  it('lazy: the 10 ms timer on the host clock drains the queue, charged to family "none"', () => {
    const r = rig({ type: IOMMU_DOMAIN_DMA_FQ, clock: true });
    const dma = iommu_dma_map_phys(r.dev, contiguous(r.mem, 0), PAGE_SIZE, DMA_TO_DEVICE, 0);
    iommu_dma_unmap_phys(r.dev, dma, PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(iommuDmaFqDepth(r.domain)).to.equal(1);
    const flushes = r.dev.stats.total.iotlb_flushes;
    const noneFlushes = r.dev.stats.family.none.iotlb_flushes; // direct calls here run with family 'none' too
    r.dev.dma_family = 'phys';
    r.clock!.tick(9);
    expect(iommuDmaFqDepth(r.domain)).to.equal(1);
    r.clock!.tick(1);
    expect(iommuDmaFqDepth(r.domain)).to.equal(0);
    expect(r.dev.stats.total.iotlb_flushes).to.equal(flushes + 1);
    expect(r.dev.stats.family.none.iotlb_flushes).to.equal(noneFlushes + 1);
    expect(r.dev.stats.family.phys.iotlb_flushes).to.equal(0);
    expect(r.dev.dma_family).to.equal('phys');
    r.dev.dma_family = 'none';
  });

  it('lazy: a full queue (256 entries, one slot kept empty) flushes once and frees everything queued', () => {
    const r = rig({ type: IOMMU_DOMAIN_DMA_FQ });
    const p = contiguous(r.mem, 0);
    const before = r.dev.stats.total.iotlb_flushes;
    for (let i = 0; i < IOVA_DEFAULT_FQ_SIZE - 1; i++) {
      iommu_dma_unmap_phys(r.dev, iommu_dma_map_phys(r.dev, p, PAGE_SIZE, DMA_TO_DEVICE, 0), PAGE_SIZE, DMA_TO_DEVICE, 0);
    }
    const maps = r.dev.stats.total.iotlb_flushes - before; // one iommu_sync_map per map (caching mode)
    expect(iommuDmaFqDepth(r.domain)).to.equal(IOVA_DEFAULT_FQ_SIZE - 1);
    iommu_dma_unmap_phys(r.dev, iommu_dma_map_phys(r.dev, p, PAGE_SIZE, DMA_TO_DEVICE, 0), PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(iommuDmaFqDepth(r.domain)).to.equal(1);
    expect(r.dev.stats.total.iotlb_flushes - before).to.equal(maps + 1 + 1); // its map's sync + the one flush-all
  });
});

/** An sg list over the given (phys, len) pieces. */
function sgList(mem: PhysicalMemory, pieces: Array<[number, number]>): scatterlist[] {
  const sgl = sg_init_table(pieces.length);
  pieces.forEach(([phys, len], i) => {
    const pg = phys_to_page(mem, phys);
    sg_set_page(sgl[i]!, pg, len, phys - page_to_phys(pg));
  });
  return sgl;
}

function bvList(mem: PhysicalMemory, pieces: Array<[number, number]>): bio_vec[] {
  return pieces.map(([phys, len]) => {
    const pg = phys_to_page(mem, phys);
    return new bio_vec(pg, len, phys - page_to_phys(pg));
  });
}

describe('iommu_dma_map_sg', () => {
  it('merges page-aligned segments into one DMA segment and unmaps the whole range', () => {
    const r = rig();
    const ph = scattered(r.mem, 3);
    const sgl = sgList(r.mem, ph.map((p) => [p, PAGE_SIZE]));
    expect(iommu_dma_map_sg(r.dev, sgl, 3, DMA_TO_DEVICE, 0)).to.equal(1);
    expect(sgl[0]!.dma_length).to.equal(3 * PAGE_SIZE);
    expect(sgl.map((s) => [s.offset, s.length])).to.deep.equal([[0, PAGE_SIZE], [0, PAGE_SIZE], [0, PAGE_SIZE]]);
    expect(iommu_iova_to_phys(r.domain, sgl[0]!.dma_address + 2 * PAGE_SIZE)).to.equal(ph[2]);
    expect(r.domain.nr_ptes).to.equal(3);
    iommu_dma_unmap_sg(r.dev, sgl, 3, DMA_TO_DEVICE, 0);
    expect(r.domain.nr_ptes).to.equal(0);
  });

  it('starts a new output at an intra-granule offset and after a segment that does not end on a granule', () => {
    const r = rig();
    const ph = scattered(r.mem, 4);
    const sgl = sgList(r.mem, [[ph[0]!, PAGE_SIZE], [ph[1]! + 100, PAGE_SIZE - 100], [ph[2]!, 200], [ph[3]!, PAGE_SIZE]]);
    expect(iommu_dma_map_sg(r.dev, sgl, 4, DMA_FROM_DEVICE, 0)).to.equal(3);
    const base = sgl[0]!.dma_address;
    expect(sgl.slice(0, 3).map((s) => [s.dma_address - base, s.dma_length]))
      .to.deep.equal([[0, PAGE_SIZE], [PAGE_SIZE + 100, PAGE_SIZE - 100 + 200], [3 * PAGE_SIZE, PAGE_SIZE]]);
    expect(sgl[3]!.dma_length).to.equal(0);
    expect(sgl[3]!.dma_address).to.equal(DMA_MAPPING_ERROR);
    expect(sgl[1]!.offset).to.equal(100);
    iommu_dma_unmap_sg(r.dev, sgl, 4, DMA_FROM_DEVICE, 0);
    expect(r.domain.nr_ptes).to.equal(0);
  });

  it('never merges past max_segment_size', () => {
    const r = rig({ dev: { max_segment_size: 2 * PAGE_SIZE } });
    const ph = scattered(r.mem, 5);
    const sgl = sgList(r.mem, ph.map((p) => [p, PAGE_SIZE]));
    expect(iommu_dma_map_sg(r.dev, sgl, 5, DMA_TO_DEVICE, 0)).to.equal(3);
    expect(sgl.slice(0, 3).map((s) => s.dma_length)).to.deep.equal([2 * PAGE_SIZE, 2 * PAGE_SIZE, PAGE_SIZE]);
  });

  it('never merges a segment that starts on a segment boundary into the output before it', () => {
    // boundary 16 KiB, max_seg 16 KiB: [4 KiB - 1 | 12 KiB | 4 KiB]. The first entry ends off the
    // granule, so the second starts a new output at IOVA +4 KiB; the third starts exactly on the
    // 16 KiB boundary and fits max_seg, but merging it would make [4 KiB, 20 KiB) cross the boundary.
    const r = rig({ dev: { max_segment_size: 4 * PAGE_SIZE, segment_boundary_mask: 4 * PAGE_SIZE - 1 } });
    const ph = scattered(r.mem, 3);
    const sgl = sgList(r.mem, [[ph[0]!, PAGE_SIZE - 1], [contiguous(r.mem, 2), 3 * PAGE_SIZE], [ph[2]!, PAGE_SIZE]]);
    expect(iommu_dma_map_sg(r.dev, sgl, 3, DMA_TO_DEVICE, 0)).to.equal(3);
    const base = sgl[0]!.dma_address;
    expect(base % (4 * PAGE_SIZE)).to.equal(0);
    expect(sgl.map((s) => [s.dma_address - base, s.dma_length])).to.deep.equal([[0, PAGE_SIZE - 1], [PAGE_SIZE, 3 * PAGE_SIZE], [4 * PAGE_SIZE, PAGE_SIZE]]);
    iommu_dma_unmap_sg(r.dev, sgl, 3, DMA_TO_DEVICE, 0);
    expect(r.domain.nr_ptes).to.equal(0);
  });

  it('returns -ENOMEM when IOVA is exhausted and restores the list', () => {
    const r = rig({ domain: TINY });
    const ph = scattered(r.mem, 3);
    const sgl = sgList(r.mem, [[ph[0]! + 10, 3 * PAGE_SIZE], [ph[1]!, PAGE_SIZE], [ph[2]! + 5, 7]]);
    expect(iommu_dma_map_sg(r.dev, sgl, 3, DMA_TO_DEVICE, 0)).to.equal(-12);
    expect(sgl.map((s) => [s.offset, s.length, s.dma_address, s.dma_length]))
      .to.deep.equal([[10, 3 * PAGE_SIZE, DMA_MAPPING_ERROR, 0], [0, PAGE_SIZE, DMA_MAPPING_ERROR, 0], [5, 7, DMA_MAPPING_ERROR, 0]]);
  });

  it('maps each entry separately through swiotlb for an untrusted device and marks the list', () => {
    const r = rig({ dev: { untrusted: true }, swiotlb: true });
    const ph = scattered(r.mem, 2);
    const sgl = sgList(r.mem, [[ph[0]!, PAGE_SIZE], [ph[1]! + 8, 16]]);
    expect(iommu_dma_map_sg(r.dev, sgl, 2, DMA_TO_DEVICE, 0)).to.equal(2);
    expect(sgl[0]!.dma_flags & 2).to.equal(2); // SG_DMA_SWIOTLB
    expect(is_swiotlb_buffer(r.dev, iommu_iova_to_phys(r.domain, sgl[1]!.dma_address))).to.equal(true);
    iommu_dma_unmap_sg(r.dev, sgl, 2, DMA_TO_DEVICE, 0);
    expect(r.pool!.used).to.equal(0);
    expect(r.domain.nr_ptes).to.equal(0);
  });

  it('returns ≤ nents, never exceeds max_segment_size or crosses the segment boundary, and maps every byte (property)', () => {
    // Merging needs granule-aligned starts and ends: bias offsets to 0 and lengths to whole pages,
    // or the property would almost never merge (and never test the max_seg / boundary rules).
    const seg = fc.record({
      off: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: PAGE_SIZE - 1 })),
      len: fc.oneof(fc.integer({ min: 1, max: 3 }).map((n) => n * PAGE_SIZE), fc.integer({ min: 1, max: 3 * PAGE_SIZE })),
    });
    fc.assert(
      fc.property(
        fc.array(seg, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 14, max: 20 }), // boundary: 16 KiB .. 1 MiB
        fc.integer({ min: 1, max: 64 }),
        fc.boolean(),
        (segs, boundaryShift, maxPages, noBoundary) => {
          const boundary = 2 ** boundaryShift;
          const max_seg = Math.min(maxPages * PAGE_SIZE, boundary);
          const r = rig({ dev: { max_segment_size: max_seg, segment_boundary_mask: noBoundary ? 2 ** 64 : boundary - 1 } });
          // each input fits the device's limits (drivers must not hand bigger ones)
          const pieces: Array<[number, number]> = segs.map((s) => {
            const len = Math.max(1, Math.min(s.len, max_seg - s.off, boundary - s.off));
            return [contiguous(r.mem, 2) + s.off, len];
          });
          const sgl = sgList(r.mem, pieces);
          const n = iommu_dma_map_sg(r.dev, sgl, pieces.length, DMA_BIDIRECTIONAL, 0);
          expect(n).to.be.within(1, pieces.length);
          let total = 0;
          for (let i = 0; i < n; i++) {
            const s = sgl[i]!;
            expect(s.dma_length).to.be.at.most(max_seg);
            expect(s.dma_address).to.be.greaterThan(0);
            if (!noBoundary) expect(Math.floor(s.dma_address / boundary)).to.equal(Math.floor((s.dma_address + s.dma_length - 1) / boundary));
            total += s.dma_length;
          }
          expect(total).to.equal(pieces.reduce((a, p) => a + p[1], 0));
          // inputs restored, and every input's first and last byte reachable at the right phys
          pieces.forEach(([phys, len], i) => {
            expect(sgl[i]!.length).to.equal(len);
            expect(page_to_phys(sgl[i]!.page_link!) + sgl[i]!.offset).to.equal(phys);
          });
          let k = 0;
          let within = 0;
          for (const [phys, len] of pieces) {
            // walk outputs in order: inputs are laid out consecutively within outputs
            if (within === sgl[k]!.dma_length) {
              k++;
              within = 0;
            }
            const dma = sgl[k]!.dma_address + within;
            expect(iommu_iova_to_phys(r.domain, dma)).to.equal(phys);
            expect(iommu_iova_to_phys(r.domain, dma + len - 1)).to.equal(phys + len - 1);
            within += len;
          }
          iommu_dma_unmap_sg(r.dev, sgl, pieces.length, DMA_BIDIRECTIONAL, 0);
          expect(r.domain.nr_ptes).to.equal(0);
        },
      ),
      { seed: fcSeed(0x5e9), numRuns: 120 },
    );
  });
});

describe('iommu_dma_map_bvecs (RFC 8/9)', () => {
  it('gives the same DMA layout as the sg path for the same pages', () => {
    const r = rig();
    const ph = scattered(r.mem, 5);
    const pieces: Array<[number, number]> = [[ph[0]! + 512, PAGE_SIZE - 512], [ph[1]!, PAGE_SIZE], [ph[2]!, 300], [ph[3]! + 64, 64], [ph[4]!, PAGE_SIZE]];
    const sgl = sgList(r.mem, pieces);
    const nsg = iommu_dma_map_sg(r.dev, sgl, 5, DMA_TO_DEVICE, 0);
    const sgLayout = sgl.slice(0, nsg).map((s) => [s.dma_address - sgl[0]!.dma_address, s.dma_length]);
    iommu_dma_unmap_sg(r.dev, sgl, 5, DMA_TO_DEVICE, 0);
    const bv = bvList(r.mem, pieces);
    const nbv = iommu_dma_map_bvecs(r.dev, bv, 5, DMA_TO_DEVICE, 0);
    expect(nbv).to.equal(nsg);
    expect(bv.slice(0, nbv).map((b) => [b.bv_dma_address - bv[0]!.bv_dma_address, b.bv_dma_length])).to.deep.equal(sgLayout);
    expect(bv.map((b) => [b.bv_offset, b.bv_len])).to.deep.equal(pieces.map(([p, l]) => [p % PAGE_SIZE, l]));
    iommu_dma_unmap_bvecs(r.dev, bv, 5, DMA_TO_DEVICE, 0);
    expect(r.domain.nr_ptes).to.equal(0);
  });

  it('returns -ENOMEM on IOVA exhaustion and restores the bvecs', () => {
    const r = rig({ domain: TINY });
    const bv = bvList(r.mem, [[contiguous(r.mem, 4) + 3, 9 * PAGE_SIZE]]);
    expect(iommu_dma_map_bvecs(r.dev, bv, 1, DMA_TO_DEVICE, 0)).to.equal(-12);
    expect([bv[0]!.bv_offset, bv[0]!.bv_len, bv[0]!.bv_dma_length]).to.deep.equal([3, 9 * PAGE_SIZE, 0]);
  });
});

describe('dma_get_merge_boundary', () => {
  it('is the granule mask with dma-iommu and 0 without', () => {
    expect(dma_get_merge_boundary(rig().dev)).to.equal(PAGE_SIZE - 1);
    const plain = new device({ name: 'h', mem: new PhysicalMemory({ size: '4M' }), log: new Dmesg(), debug: null }, { name: 'p' });
    expect(dma_get_merge_boundary(plain)).to.equal(0);
  });
});

describe('dma_iova_try_alloc', () => {
  it('zeroes the state and returns false when the device does not use dma-iommu', () => {
    const plain = new device({ name: 'h', mem: new PhysicalMemory({ size: '4M' }), log: new Dmesg(), debug: null }, { name: 'p' });
    const st = new dma_iova_state();
    st.addr = 123;
    st.__size = 456;
    st.use_swiotlb = true;
    expect(dma_iova_try_alloc(plain, st, 0, PAGE_SIZE)).to.equal(false);
    expect([st.addr, st.__size, st.use_swiotlb, dma_use_iova(st)]).to.deep.equal([0, 0, false, false]);
    expect(dma_iova_link(plain, st, 0, 0, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.equal(-95); // -EOPNOTSUPP
    expect(dma_iova_sync(plain, st, 0, PAGE_SIZE)).to.equal(-95);
  });

  it('returns false with a WARN for size 0 and for a size with bit 63 set', () => {
    const r = rig();
    const st = new dma_iova_state();
    expect(dma_iova_try_alloc(r.dev, st, 0, 0)).to.equal(false);
    expect(dma_iova_try_alloc(r.dev, st, 0, DMA_IOVA_USE_SWIOTLB)).to.equal(false);
    expect(r.dev.warn_count).to.equal(2);
    expect(r.log.grep('WARN_ON_ONCE(!size)')).to.have.length(1);
    expect(r.log.grep('DMA_IOVA_USE_SWIOTLB')).to.have.length(1);
  });

  it('returns false when IOVA allocation fails', () => {
    const r = rig({ domain: TINY });
    expect(dma_iova_try_alloc(r.dev, new dma_iova_state(), 0, 16 * PAGE_SIZE)).to.equal(false);
  });

  it('sets addr = iova + iova_offset(phys) and __size = size; dma_use_iova ⇔ success', () => {
    const r = rig();
    const st = new dma_iova_state();
    expect(dma_iova_try_alloc(r.dev, st, 0x1234_5678, 3 * PAGE_SIZE)).to.equal(true);
    expect(st.addr % PAGE_SIZE).to.equal(0x678);
    expect(dma_iova_size(st)).to.equal(3 * PAGE_SIZE);
    expect(dma_use_iova(st)).to.equal(true);
    // 3 pages + the 0x678 offset need 4 granules
    const r_ = find_iova(r.domain.iova_cookie!.iovad, Math.floor(st.addr / PAGE_SIZE))!;
    expect(r_.pfn_hi - r_.pfn_lo + 1).to.equal(4);
    expect(r.dev.stats.family.iova.segs_out).to.equal(1);
    expect(r.dev.stats.family.iova.iova_allocs).to.equal(1);
    expect(r.dev.dma_family).to.equal('none');
  });
});

describe('dma_iova_link / dma_iova_sync', () => {
  it('links without an IOTLB sync: the device faults until dma_iova_sync, then reads the data', () => {
    const r = rig();
    const ph = scattered(r.mem, 2);
    ph.forEach((p, i) => fill(r.mem.view(p, PAGE_SIZE), i + 1));
    const st = new dma_iova_state();
    expect(dma_iova_try_alloc(r.dev, st, 0, 2 * PAGE_SIZE)).to.equal(true);
    expect(dma_iova_link(r.dev, st, ph[0]!, 0, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.equal(0);
    expect(dma_iova_link(r.dev, st, ph[1]!, PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.equal(0);
    expect(deviceRead(r, st.addr, 2 * PAGE_SIZE)).to.equal(null);
    expect(r.dev.stats.total.faults).to.equal(1);
    const flushes = r.dev.stats.total.iotlb_flushes;
    expect(dma_iova_sync(r.dev, st, 0, 2 * PAGE_SIZE)).to.equal(0);
    expect(r.dev.stats.total.iotlb_flushes).to.equal(flushes + 1);
    const seen = deviceRead(r, st.addr, 2 * PAGE_SIZE)!;
    expect(seen.subarray(0, PAGE_SIZE)).to.deep.equal(r.mem.view(ph[0]!, PAGE_SIZE).slice());
    expect(seen.subarray(PAGE_SIZE)).to.deep.equal(r.mem.view(ph[1]!, PAGE_SIZE).slice());
    expect(r.dev.stats.family.iova.map_calls).to.equal(2);
    expect(r.dev.stats.family.iova.segs_in).to.equal(2);
  });

  it('lets only the first link be unaligned: an unaligned phys at offset > 0 is -EIO with a WARN', () => {
    const r = rig();
    const ph = scattered(r.mem, 2);
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, ph[0]! + 0x100, 2 * PAGE_SIZE);
    expect(dma_iova_link(r.dev, st, ph[0]! + 0x100, 0, PAGE_SIZE - 0x100, DMA_TO_DEVICE, 0)).to.equal(0);
    expect(dma_iova_link(r.dev, st, ph[1]! + 0x10, PAGE_SIZE - 0x100, 0x20, DMA_TO_DEVICE, 0)).to.equal(-5);
    expect(r.log.grep('WARN_ON_ONCE(iova_start_pad && offset > 0)')).to.have.length(1);
    expect(iommu_iova_to_phys(r.domain, st.addr)).to.equal(ph[0]! + 0x100);
    dma_iova_destroy(r.dev, st, PAGE_SIZE - 0x100, DMA_TO_DEVICE, 0);
    expect(r.domain.nr_ptes).to.equal(0);
  });

  it('returns -EEXIST for a range linked twice and -EINVAL for a link off the granule', () => {
    const r = rig();
    const p = contiguous(r.mem, 1);
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, 2 * PAGE_SIZE);
    expect(dma_iova_link(r.dev, st, p, 0, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.equal(0);
    expect(dma_iova_link(r.dev, st, p, 0, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.equal(-17);
    expect(dma_iova_link(r.dev, st, p + PAGE_SIZE, 100, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.equal(-22);
    expect(r.dev.stats.family.iova.map_errors).to.equal(2);
  });

  it('bounces an untrusted device\'s unaligned head and tail and sets DMA_IOVA_USE_SWIOTLB', () => {
    // min_align_mask covering the granule (as NVMe sets it) lets the bounced head keep its offset
    const r = rig({ dev: { untrusted: true, min_align_mask: 0xfff }, swiotlb: true });
    const p = contiguous(r.mem, 2);
    fill(r.mem.view(p, 4 * PAGE_SIZE), 5);
    const phys = p + 0x300;
    const len = 2 * PAGE_SIZE + 0x200; // head: 0xd00 bytes, middle: 1 page, tail: 0x500 bytes
    const st = new dma_iova_state();
    expect(dma_iova_try_alloc(r.dev, st, phys, len)).to.equal(true);
    expect(dma_iova_link(r.dev, st, phys, 0, len, DMA_BIDIRECTIONAL, 0)).to.equal(0);
    expect(st.use_swiotlb).to.equal(true);
    expect(r.pool!.used).to.be.greaterThan(0);
    expect(is_swiotlb_buffer(r.dev, iommu_iova_to_phys(r.domain, st.addr))).to.equal(true);
    expect(iommu_iova_to_phys(r.domain, st.addr + 0xd00)).to.equal(p + PAGE_SIZE); // the middle is not bounced
    dma_iova_sync(r.dev, st, 0, len);
    expect(deviceRead(r, st.addr, len)).to.deep.equal(r.mem.view(phys, len).slice());
    const seenHead = deviceRead(r, st.addr - 0x300, 0x300)!;
    expect(seenHead.every((b) => b === 0)).to.equal(true); // zeroed padding, not the neighbour's data
    dma_iova_destroy(r.dev, st, len, DMA_BIDIRECTIONAL, 0);
    expect(r.pool!.used).to.equal(0);
    expect(r.domain.nr_ptes).to.equal(0);
  });

  it('cannot link a bounced unaligned head without min_align_mask: the bounce is granule-aligned (-EINVAL)', () => {
    const r = rig({ dev: { untrusted: true }, swiotlb: true });
    const p = contiguous(r.mem, 1);
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, p + 0x300, PAGE_SIZE);
    expect(dma_iova_link(r.dev, st, p + 0x300, 0, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.equal(-22);
    expect(st.use_swiotlb).to.equal(false);
    expect(r.pool!.used).to.equal(0);
    expect(r.domain.nr_ptes).to.equal(0);
  });

  it('cleans the cache for a non-coherent device unless DMA_ATTR_SKIP_CPU_SYNC', () => {
    const r = rig({ dev: { coherent: false } });
    const p = contiguous(r.mem, 1);
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, 2 * PAGE_SIZE);
    dma_iova_link(r.dev, st, p, 0, PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(r.dev.stats.total.cache_maint_bytes).to.equal(PAGE_SIZE);
    dma_iova_link(r.dev, st, p + PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
    expect(r.dev.stats.total.cache_maint_bytes).to.equal(PAGE_SIZE);
  });

  it('restores the caller\'s dma_family', () => {
    const r = rig();
    r.dev.dma_family = 'sg';
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, PAGE_SIZE);
    dma_iova_link(r.dev, st, contiguous(r.mem, 0), 0, PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(r.dev.dma_family).to.equal('sg');
    expect(r.dev.stats.family.iova.ptes_written).to.equal(1);
  });
});

describe('dma_iova_unlink / dma_iova_destroy / dma_iova_free', () => {
  it('unlink removes a sub-range at once and keeps the IOVA reserved for new links', () => {
    const r = rig();
    const ph = scattered(r.mem, 2);
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, 2 * PAGE_SIZE);
    dma_iova_link(r.dev, st, ph[0]!, 0, PAGE_SIZE, DMA_TO_DEVICE, 0);
    dma_iova_link(r.dev, st, ph[1]!, PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0);
    dma_iova_sync(r.dev, st, 0, 2 * PAGE_SIZE);
    expect(deviceRead(r, st.addr + PAGE_SIZE, 8)).to.not.equal(null);
    dma_iova_unlink(r.dev, st, PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(deviceRead(r, st.addr + PAGE_SIZE, 8)).to.equal(null); // IOTLB flushed
    expect(deviceRead(r, st.addr, 8)).to.not.equal(null);
    expect(find_iova(r.domain.iova_cookie!.iovad, st.addr / PAGE_SIZE)).to.not.equal(null);
    expect(dma_iova_link(r.dev, st, ph[0]!, PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.equal(0);
  });

  it('unlink WARNs (strict: throws) for a range that was never linked', () => {
    const r = rig();
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, PAGE_SIZE);
    expect(() => dma_iova_unlink(r.dev, st, 0, PAGE_SIZE, DMA_TO_DEVICE, 0)).to.throw().that.satisfies(isKernelBug);
  });

  it('destroy(mapped_len) unlinks everything and frees the IOVA', () => {
    const r = rig();
    const ph = scattered(r.mem, 64);
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, 64 * PAGE_SIZE);
    ph.forEach((p, i) => dma_iova_link(r.dev, st, p, i * PAGE_SIZE, PAGE_SIZE, DMA_FROM_DEVICE, 0));
    dma_iova_destroy(r.dev, st, 64 * PAGE_SIZE, DMA_FROM_DEVICE, 0);
    expect(r.domain.nr_ptes).to.equal(0);
    expect(find_iova(r.domain.iova_cookie!.iovad, st.addr / PAGE_SIZE)).to.equal(null);
    expect(r.dev.stats.family.iova.iova_frees).to.equal(1);
  });

  it('destroy(mapped_len) in lazy mode queues the IOVA in the flush queue', () => {
    const r = rig({ type: IOMMU_DOMAIN_DMA_FQ });
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, 64 * PAGE_SIZE);
    dma_iova_link(r.dev, st, contiguous(r.mem, 6), 0, 64 * PAGE_SIZE, DMA_TO_DEVICE, 0);
    dma_iova_destroy(r.dev, st, 64 * PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(iommuDmaFqDepth(r.domain)).to.equal(1);
    iommu_dma_flush_fq(r.domain);
    expect(find_iova(r.domain.iova_cookie!.iovad, st.addr / PAGE_SIZE)).to.equal(null);
  });

  it('destroy(0) only frees (a failed first link)', () => {
    const r = rig();
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, 64 * PAGE_SIZE);
    dma_iova_destroy(r.dev, st, 0, DMA_TO_DEVICE, 0);
    expect(find_iova(r.domain.iova_cookie!.iovad, st.addr / PAGE_SIZE)).to.equal(null);
  });

  it('free requires every range unlinked: linked PTEs left over WARN (strict: throw)', () => {
    const r = rig();
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, 64 * PAGE_SIZE); // 64 granules: too big for the rcache
    dma_iova_link(r.dev, st, contiguous(r.mem, 0), 0, PAGE_SIZE, DMA_TO_DEVICE, 0);
    expect(() => dma_iova_free(r.dev, st)).to.throw(/still has linked ranges/).that.satisfies(isKernelBug);
    dma_iova_unlink(r.dev, st, 0, PAGE_SIZE, DMA_TO_DEVICE, 0);
    dma_iova_free(r.dev, st);
    expect(find_iova(r.domain.iova_cookie!.iovad, st.addr / PAGE_SIZE)).to.equal(null);
  });
});

describe('PTE cost: dma_iova_link vs iommu_dma_map_sg', () => {
  it('linking 256 discontiguous pages writes exactly 256 PTEs and the sg path writes no fewer', () => {
    const r = rig();
    const ph = scattered(r.mem, 256);
    const st = new dma_iova_state();
    dma_iova_try_alloc(r.dev, st, 0, 256 * PAGE_SIZE);
    ph.forEach((p, i) => dma_iova_link(r.dev, st, p, i * PAGE_SIZE, PAGE_SIZE, DMA_TO_DEVICE, 0));
    dma_iova_sync(r.dev, st, 0, 256 * PAGE_SIZE);
    expect(r.dev.stats.family.iova.ptes_written).to.equal(256);
    dma_iova_destroy(r.dev, st, 256 * PAGE_SIZE, DMA_TO_DEVICE, 0);
    const before = r.dev.stats.total.ptes_written;
    const sgl = sgList(r.mem, ph.map((p) => [p, PAGE_SIZE]));
    r.dev.dma_family = 'sg';
    expect(iommu_dma_map_sg(r.dev, sgl, 256, DMA_TO_DEVICE, 0)).to.equal(16); // 64 KiB max_segment_size: 16 pages per segment
    expect(r.dev.stats.total.ptes_written - before).to.be.at.least(256);
    iommu_dma_unmap_sg(r.dev, sgl, 256, DMA_TO_DEVICE, 0);
    r.dev.dma_family = 'none';
  });
});
