/**
 * Tests for dma-designs.ts (dmaMapBvecs): one bio_vec array through the sg, bvec and iova
 * designs. The designs must move identical bytes through every DMA path; iova must give one
 * segment on an IOMMU and fall back to dma_map_phys per bio_vec without one or when an interior
 * bio_vec is off the merge boundary; unmap must leave dma-debug clean; a failed mapping must
 * throw KernelError with the errno and leave nothing mapped (KERNEL.md §0.3, §0.4, §11 items 1, 6–8).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { isKernelError } from '@rdmaemu/sim-core';
import { bio_vec, bvec_phys, bvec_virt } from '../src/bvec.js';
import { dmaDeviceCopyOut, dmaDeviceWrite, isDmaFault } from '../src/dma-device-access.js';
import { DMA_DESIGNS, dmaMapBvecs, type DmaDesignMapping } from '../src/dma-designs.js';
import { iommu_dma_flush_fq } from '../src/dma-iommu.js';
import { DMA_BIT_MASK, DMA_FROM_DEVICE, DMA_TO_DEVICE, type dma_data_direction } from '../src/dma-mapping.h.js';
import { noncoherentShadowCount } from '../src/dma-noncoherent.js';
import { PAGE_SIZE, page_to_phys, type page } from '../src/memory.js';
import { __free_pages, alloc_pages } from '../src/page_alloc.js';
import { ALL_PATHS, concat, fcSeed, fill, patterned, rig, type Rig } from './_support.js';

const usesIommu = (r: Rig): boolean => r.dev.iommu_domain !== null;

/** The merge rule dmaMapBvecs must apply: interior starts and all-but-last ends on the 4 KiB granule. */
function mergeable(bvecs: readonly bio_vec[]): boolean {
  return bvecs.every((bv, i) =>
    (i === 0 || bvec_phys(bv) % PAGE_SIZE === 0) && (i === bvecs.length - 1 || (bvec_phys(bv) + bv.bv_len) % PAGE_SIZE === 0));
}

/** Everything a mapping could leave behind: dma-debug entries and errors, iova links, PTEs, bounce slots, shadows. */
function expectNothingMapped(r: Rig, what: string): void {
  const domain = r.dev.iommu_domain;
  if (domain) iommu_dma_flush_fq(domain);
  expect(r.debug!.errors.map((e) => e.message), what).to.deep.equal([]);
  expect(r.debug!.liveMappings(r.dev), what).to.deep.equal([]);
  expect(r.debug!.liveIovaLinks(r.dev), what).to.deep.equal([]);
  expect(domain?.nr_ptes ?? 0, `${what}: PTEs left`).to.equal(0);
  const s = r.dev.stats.total;
  expect(s.iova_frees, `${what}: IOVA allocations not freed`).to.equal(s.iova_allocs);
  expect(r.dev.dma_io_tlb_mem?.used ?? 0, `${what}: swiotlb slots left`).to.equal(0);
  expect(noncoherentShadowCount(r.mem), `${what}: cache shadows left`).to.equal(0);
}

/** The device reads every segment in order. */
function deviceReads(r: Rig, m: DmaDesignMapping): Uint8Array {
  return concat(m.dma_addr.map((a, i) => {
    const buf = new Uint8Array(m.dma_len[i]!);
    const n = dmaDeviceCopyOut(r.dev, a, buf);
    expect(isDmaFault(n), `${m.design} read of segment ${i}: ${String(n)}`).to.equal(false);
    return buf;
  }));
}

/** The device writes `data` across the segments in order. */
function deviceWrites(r: Rig, m: DmaDesignMapping, data: Uint8Array): void {
  let off = 0;
  m.dma_addr.forEach((a, i) => {
    const n = dmaDeviceWrite(r.dev, a, data.subarray(off, off + m.dma_len[i]!));
    expect(isDmaFault(n), `${m.design} write of segment ${i}: ${String(n)}`).to.equal(false);
    off += m.dma_len[i]!;
  });
  expect(off).to.equal(data.length);
}

interface Piece { order: number; off: number; len: number }

const pieceArb = fc.record({
  order: fc.integer({ min: 0, max: 2 }),
  // bias toward the page boundaries that decide whether the iova design can merge
  off: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 16383 })),
  len: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 16384 })),
});

/** bio_vecs over fresh blocks (multi-page bio_vecs for order > 0); each fits its block. */
function makeBvecs(r: Rig, pieces: Piece[], seed: number): { bvecs: bio_vec[]; blocks: [page, number][] } {
  const blocks: [page, number][] = [];
  const bvecs = pieces.map((p, i) => {
    const size = PAGE_SIZE * 2 ** p.order;
    const pg = patterned(r.mem, p.order, seed + i);
    blocks.push([pg, p.order]);
    const off = p.off % size;
    const len = Math.min(p.len, size - off);
    return new bio_vec(pg, len, off);
  });
  return { bvecs, blocks };
}

function cpuBytes(bvecs: readonly bio_vec[]): Uint8Array {
  return concat(bvecs.map((bv) => bvec_virt(bv).slice()));
}

function expectKernelError(fn: () => unknown, code: string, what: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isKernelError(err), `${what}: ${String(err)}`).to.equal(true);
  expect((err as { code: string }).code, what).to.equal(code);
}

describe('dma-designs', () => {
  describe('dmaMapBvecs', () => {
    it('lists the three designs', () => {
      expect(DMA_DESIGNS).to.deep.equal(['sg', 'bvec', 'iova']);
    });

    for (const path of ALL_PATHS) {
      it(`moves identical bytes through sg, bvec and iova on the ${path} path, and unmap leaves nothing mapped (property)`, () => {
        const r = rig({ path });
        fc.assert(fc.property(
          fc.array(pieceArb, { minLength: 1, maxLength: 5 }),
          fc.constantFrom<dma_data_direction>(DMA_TO_DEVICE, DMA_FROM_DEVICE),
          fc.integer({ min: 1, max: 1 << 30 }),
          (pieces, dir, seed) => {
            for (const design of DMA_DESIGNS) {
              const { bvecs, blocks } = makeBvecs(r, pieces, seed);
              const before = cpuBytes(bvecs);
              const m = dmaMapBvecs(r.dev, design, bvecs, bvecs.length, dir);
              const total = m.dma_len.reduce((a, b) => a + b, 0);
              expect(total, `${design}: bytes mapped`).to.equal(before.length);
              expect(m.dma_addr).to.have.length(m.dma_len.length);
              expect(m.dma_addr.every((a) => a !== 0), `${design}: DMA address 0`).to.equal(true);
              // segment counts: only dma-iommu merges; iova is one range or one dma_map_phys per bio_vec
              if (!usesIommu(r)) {
                expect(m.dma_addr, `${design} over dma-direct merges nothing`).to.have.length(bvecs.length);
              } else {
                expect(m.dma_addr.length, design).to.be.within(1, bvecs.length);
              }
              if (design === 'iova') {
                const merged = usesIommu(r) && mergeable(bvecs);
                expect(m.path).to.equal(merged ? 'iova' : 'phys');
                expect(m.dma_addr).to.have.length(merged ? 1 : bvecs.length);
                if (merged) expect(m.dma_addr[0]! % PAGE_SIZE).to.equal(bvec_phys(bvecs[0]!) % PAGE_SIZE);
              } else {
                expect(m.path).to.equal(design);
              }
              if (dir === DMA_TO_DEVICE) {
                expect(deviceReads(r, m), `${design}: what the device reads`).to.deep.equal(before);
                m.unmap();
              } else {
                const data = new Uint8Array(before.length);
                fill(data, seed ^ 0x5a5a);
                deviceWrites(r, m, data);
                m.unmap();
                expect(cpuBytes(bvecs), `${design}: what the CPU reads after unmap`).to.deep.equal(data);
              }
              m.unmap(); // idempotent
              expectNothingMapped(r, `${path}/${design}`);
              for (const [pg, order] of blocks) __free_pages(pg, order);
            }
          },
        ), { seed: fcSeed(0xd35195), numRuns: 25 });
      });
    }

    it('iova: one segment covering every bio_vec on an IOMMU, even for physically scattered pages', () => {
      const r = rig({ path: 'iommu-strict' });
      const pages = [alloc_pages(r.mem, 0)!, alloc_pages(r.mem, 2)!, alloc_pages(r.mem, 0)!];
      alloc_pages(r.mem, 0); // keep pages[0] and pages[2] apart
      const bvecs = pages.map((pg, i) => {
        if (i === 0) return new bio_vec(pg, PAGE_SIZE - 100, 100); // only the first may start off the granule
        if (i === 1) return new bio_vec(pg, 4 * PAGE_SIZE, 0);
        return new bio_vec(pg, 10, 0); // only the last may end off it
      });
      const before = r.dev.stats.family.iova.ptes_written;
      const m = dmaMapBvecs(r.dev, 'iova', bvecs, 3, DMA_TO_DEVICE);
      expect(m.path).to.equal('iova');
      expect(m.dma_len).to.deep.equal([PAGE_SIZE - 100 + 4 * PAGE_SIZE + 10]);
      expect(m.dma_addr[0]! % PAGE_SIZE).to.equal(100);
      expect(r.dev.stats.family.iova.ptes_written - before).to.equal(6);
      m.unmap();
      expectNothingMapped(r, 'iova');
    });

    it('iova: falls back to dma_map_phys per bio_vec when an interior bio_vec is off the granule, or without an IOMMU', () => {
      for (const [path, offs] of [['iommu-strict', [0, 512, 0]], ['iommu-strict', [0, 0, 0]], ['direct', [0, 0, 0]]] as const) {
        const r = rig({ path });
        const bvecs = offs.map((off) => new bio_vec(alloc_pages(r.mem, 0)!, PAGE_SIZE - off, off));
        const m = dmaMapBvecs(r.dev, 'iova', bvecs, 3, DMA_FROM_DEVICE);
        const falls = path === 'direct' || offs[1] !== 0;
        expect(m.path, `${path} ${offs.join()}`).to.equal(falls ? 'phys' : 'iova');
        expect(m.dma_addr).to.have.length(falls ? 3 : 1);
        if (falls) {
          expect(m.dma_len).to.deep.equal(bvecs.map((bv) => bv.bv_len));
          expect(r.dev.stats.family.phys.map_calls).to.equal(3);
          expect(r.dev.stats.family.iova.map_calls).to.equal(0);
        }
        m.unmap();
        expectNothingMapped(r, `${path} ${offs.join()}`);
      }
    });

    it('sg and bvec over an IOMMU merge page-aligned bio_vecs into one segment; over dma-direct they never merge', () => {
      for (const path of ['iommu-strict', 'direct'] as const) {
        for (const design of ['sg', 'bvec'] as const) {
          const r = rig({ path });
          const bvecs = [0, 1, 2].map(() => new bio_vec(alloc_pages(r.mem, 0)!, PAGE_SIZE, 0));
          const m = dmaMapBvecs(r.dev, design, bvecs, 3, DMA_TO_DEVICE);
          expect(m.dma_len, `${path} ${design}`).to.deep.equal(path === 'direct' ? [PAGE_SIZE, PAGE_SIZE, PAGE_SIZE] : [3 * PAGE_SIZE]);
          if (path === 'direct') expect(m.dma_addr).to.deep.equal(bvecs.map((bv) => page_to_phys(bv.bv_page)));
          m.unmap();
          expectNothingMapped(r, `${path} ${design}`);
        }
      }
    });

    describe('failures', () => {
      function pages(r: Rig, n: number, order = 0): bio_vec[] {
        return Array.from({ length: n }, () => new bio_vec(alloc_pages(r.mem, order)!, PAGE_SIZE * 2 ** order, 0));
      }

      it('IOVA space exhausted: sg and bvec throw ENOMEM, iova (try_alloc fails, then dma_map_phys fails) ENOMEM; nothing stays mapped', () => {
        for (const design of DMA_DESIGNS) {
          const r = rig({ path: 'iommu-strict', dev: { dma_mask: DMA_BIT_MASK(16) } }); // 15 IOVA pages
          const bvecs = pages(r, 20);
          expectKernelError(() => dmaMapBvecs(r.dev, design, bvecs, 20, DMA_TO_DEVICE), 'ENOMEM', design);
          expect(r.dev.stats.total.map_errors, design).to.be.greaterThan(0);
          expectNothingMapped(r, design);
          // the IOVA space is whole again: pfns 1..15 hold one size-aligned 8-page range (pfn 8..15)
          const m = dmaMapBvecs(r.dev, design, bvecs, 8, DMA_TO_DEVICE);
          expect(m.path, design).to.equal(design);
          m.unmap();
          expectNothingMapped(r, `${design} retry`);
        }
      });

      it('swiotlb exhausted part way: sg and bvec throw EIO, iova (dma_map_phys fallback) ENOMEM; the bounced entries are released', () => {
        for (const design of DMA_DESIGNS) {
          const r = rig({ path: 'force-bounce', nslabs: 128 }); // 256 KiB of bounce slots
          const bvecs = pages(r, 3, 5); // 3 × 128 KiB: the third does not fit
          expectKernelError(() => dmaMapBvecs(r.dev, design, bvecs, 3, DMA_FROM_DEVICE), design === 'iova' ? 'ENOMEM' : 'EIO', design);
          expect(r.log.grep('swiotlb buffer is full').length, design).to.equal(1);
          expectNothingMapped(r, design);
        }
      });

      it('memory beyond dma_mask with no swiotlb: every design throws, nothing is mapped', () => {
        for (const design of DMA_DESIGNS) {
          const r = rig({ path: 'direct', dev: { dma_mask: DMA_BIT_MASK(20) } }); // 1 MiB; RAM above it is unreachable
          const bvecs = pages(r, 2);
          expect(page_to_phys(bvecs[0]!.bv_page)).to.be.greaterThan(DMA_BIT_MASK(20));
          expectKernelError(() => dmaMapBvecs(r.dev, design, bvecs, 2, DMA_TO_DEVICE), design === 'iova' ? 'ENOMEM' : 'EIO', design);
          expect(r.log.grep('overflow').length, design).to.equal(1);
          expectNothingMapped(r, design);
        }
      });

      it('iova: a failed first dma_iova_link (untrusted device, no swiotlb to bounce the unaligned head) frees the IOVA', () => {
        const r = rig({ path: 'iommu-strict', dev: { untrusted: true } });
        const bvecs = pages(r, 2);
        bvecs[0]!.bv_offset = 100;
        bvecs[0]!.bv_len = PAGE_SIZE - 100;
        expectKernelError(() => dmaMapBvecs(r.dev, 'iova', bvecs, 2, DMA_TO_DEVICE), 'ENOMEM', 'iova');
        expect(r.dev.stats.family.iova.iova_allocs).to.equal(1);
        expect(r.log.grep('DMA bounce buffers are inactive').length).to.equal(1);
        expectNothingMapped(r, 'iova');
      });
    });
  });
});
