import { expect } from 'chai';
import fc from 'fast-check';
import { isKernelBug, isKernelError, setStrict } from '@rdmaemu/sim-core';
import {
  BVEC_ITER_ALL_INIT, BV_DMA_BUS_ADDRESS, BV_DMA_SWIOTLB, UINT_MAX, bio_vec, bv_dma_address, bv_dma_is_bus_address,
  bv_dma_is_swiotlb, bv_dma_len, bv_dma_mark_bus_address, bv_dma_mark_swiotlb, bv_dma_unmark_bus_address, bv_phys,
  bv_virt, bvecIter, bvec_iter, bvec_iter_advance, bvec_iter_advance_single, bvec_iter_bvec, bvec_iter_len,
  bvec_iter_offset, bvec_iter_page, bvec_phys, bvec_set_folio, bvec_set_page, bvec_set_virt, bvec_virt,
  for_each_bvec, for_each_mp_bvec, mp_bvec_iter_bvec, mp_bvec_iter_len, mp_bvec_iter_offset, mp_bvec_iter_page,
} from '../src/bvec.js';
import { PAGE_SIZE, PhysicalMemory, nth_page, page_address, page_to_phys, type page } from '../src/memory.js';
import { alloc_pages, folio_alloc } from '../src/page_alloc.js';
import { SEED, expectBug } from './_support.js';

describe('bvec', () => {
  let mem: PhysicalMemory;
  let pg: page; // first of 8 contiguous pages
  beforeEach(() => {
    mem = new PhysicalMemory({ size: '4M', name: 'test' });
    pg = alloc_pages(mem, 3)!;
  });

  describe('bio_vec', () => {
    it('starts with the RFC 2/9 DMA fields zeroed', () => {
      const bv = new bio_vec(pg, 100, 4);
      expect([bv.bv_page, bv.bv_len, bv.bv_offset]).to.deep.equal([pg, 100, 4]);
      expect([bv.bv_dma_address, bv.bv_dma_length, bv.bv_dma_flags]).to.deep.equal([0, 0, 0]);
    });
  });

  describe('bvec_phys', () => {
    it('is page_to_phys(bv_page) + bv_offset, also for bv_offset >= PAGE_SIZE', () => {
      const bv = new bio_vec(pg, 10, 2 * PAGE_SIZE + 17);
      expect(bvec_phys(bv)).to.equal(page_to_phys(pg) + 2 * PAGE_SIZE + 17);
      expect(bvec_phys(bv)).to.equal(page_to_phys(nth_page(pg, 2)) + 17);
      expect(bv_phys(bv)).to.equal(bvec_phys(bv));
    });
  });

  describe('bvec_virt', () => {
    it('returns one view of all bv_len bytes of a multi-page bvec', () => {
      const bv = new bio_vec(pg, PAGE_SIZE + 200, PAGE_SIZE - 100);
      const v = bvec_virt(bv);
      expect(v.length).to.equal(PAGE_SIZE + 200);
      v.fill(0xab);
      expect(page_address(pg)[PAGE_SIZE - 101]).to.equal(0);
      expect(page_address(pg)[PAGE_SIZE - 100]).to.equal(0xab);
      expect(page_address(nth_page(pg, 2))[99]).to.equal(0xab);
      expect(page_address(nth_page(pg, 2))[100]).to.equal(0);
      expect(bv_virt(bv).byteOffset).to.equal(v.byteOffset);
    });
  });

  describe('bvec_set_page / bvec_set_folio / bvec_set_virt', () => {
    it('bvec_set_page sets page, length and offset', () => {
      const bv = new bio_vec(pg, 1, 0);
      bvec_set_page(bv, nth_page(pg, 1), 300, 12);
      expect([bv.bv_page, bv.bv_len, bv.bv_offset]).to.deep.equal([nth_page(pg, 1), 300, 12]);
    });

    it('bvec_set_folio uses the folio head page', () => {
      const f = folio_alloc(mem, 2)!;
      const bv = new bio_vec(pg, 1, 0);
      bvec_set_folio(bv, f, 3 * PAGE_SIZE, PAGE_SIZE);
      expect(bv.bv_page).to.equal(f.page);
      expect(bvec_phys(bv)).to.equal(page_to_phys(f.page) + PAGE_SIZE);
    });

    it('bvec_set_virt derives page and in-page offset from a direct-map view', () => {
      const view = page_address(nth_page(pg, 3)).subarray(40, 140);
      const bv = new bio_vec(pg, 1, 0);
      bvec_set_virt(bv, mem, view);
      expect([bv.bv_page, bv.bv_len, bv.bv_offset]).to.deep.equal([nth_page(pg, 3), 100, 40]);
      bvec_set_virt(bv, mem, view, 10);
      expect(bv.bv_len).to.equal(10);
    });

    it('bvec_set_virt rejects a buffer outside the direct map with EFAULT', () => {
      const bv = new bio_vec(pg, 1, 0);
      expect(() => bvec_set_virt(bv, mem, new Uint8Array(8))).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EFAULT'));
    });
  });

  describe('RFC 2/9 bv_dma_* helpers', () => {
    it('read the DMA fields and set and clear the flags', () => {
      const bv = new bio_vec(pg, 64, 0);
      bv.bv_dma_address = 0x1_2345_6000;
      bv.bv_dma_length = 64;
      expect(bv_dma_address(bv)).to.equal(0x1_2345_6000);
      expect(bv_dma_len(bv)).to.equal(64);
      expect(bv_dma_is_bus_address(bv)).to.equal(false);
      bv_dma_mark_bus_address(bv);
      expect(bv_dma_is_bus_address(bv)).to.equal(true);
      expect(bv.bv_dma_flags).to.equal(BV_DMA_BUS_ADDRESS);
      bv_dma_mark_swiotlb(bv);
      expect(bv_dma_is_swiotlb(bv)).to.equal(true);
      expect(bv.bv_dma_flags).to.equal(BV_DMA_BUS_ADDRESS | BV_DMA_SWIOTLB);
      bv_dma_unmark_bus_address(bv);
      expect(bv_dma_is_bus_address(bv)).to.equal(false);
      expect(bv.bv_dma_flags).to.equal(BV_DMA_SWIOTLB);
      expect([BV_DMA_BUS_ADDRESS, BV_DMA_SWIOTLB]).to.deep.equal([1, 2]);
    });
  });

  describe('bvec_iter', () => {
    it('BVEC_ITER_ALL_INIT has bi_size UINT_MAX and zeroes elsewhere', () => {
      const it = BVEC_ITER_ALL_INIT();
      expect([it.bi_sector, it.bi_size, it.bi_idx, it.bi_bvec_done]).to.deep.equal([0, UINT_MAX, 0, 0]);
    });

    it('bvecIter sums the bvec lengths', () => {
      expect(bvecIter([new bio_vec(pg, 10, 0), new bio_vec(pg, 0, 0), new bio_vec(pg, 5, 0)]).bi_size).to.equal(15);
      expect(bvecIter(77).bi_size).to.equal(77);
    });
  });

  describe('mp_bvec_iter_bvec / bvec_iter_bvec', () => {
    const off = 512;
    let bvecs: bio_vec[];
    beforeEach(() => {
      bvecs = [new bio_vec(pg, 3 * PAGE_SIZE, off)];
    });

    it('mp_bvec_iter_bvec returns the whole rest of a multi-page entry', () => {
      const seg = mp_bvec_iter_bvec(bvecs, bvecIter(bvecs));
      expect([seg.bv_page, seg.bv_len, seg.bv_offset]).to.deep.equal([pg, 3 * PAGE_SIZE, off]);
      expect(seg).to.not.equal(bvecs[0]);
    });

    it('bvec_iter_bvec clamps the segment to the end of the first page', () => {
      const seg = bvec_iter_bvec(bvecs, bvecIter(bvecs));
      expect([seg.bv_page, seg.bv_len, seg.bv_offset]).to.deep.equal([pg, PAGE_SIZE - off, off]);
    });

    it('with bi_bvec_done inside the second page, the mp offset grows past PAGE_SIZE and the single-page view moves page', () => {
      const it = new bvec_iter({ bi_size: 3 * PAGE_SIZE - 5000, bi_bvec_done: 5000 });
      expect(mp_bvec_iter_page(bvecs, it)).to.equal(pg);
      expect(mp_bvec_iter_offset(bvecs, it)).to.equal(off + 5000);
      expect(mp_bvec_iter_len(bvecs, it)).to.equal(3 * PAGE_SIZE - 5000);
      const seg = bvec_iter_bvec(bvecs, it);
      expect(seg.bv_page).to.equal(nth_page(pg, 1));
      expect(seg.bv_offset).to.equal((off + 5000) % PAGE_SIZE);
      expect(seg.bv_len).to.equal(2 * PAGE_SIZE - (off + 5000));
      expect([bvec_iter_page(bvecs, it), bvec_iter_offset(bvecs, it), bvec_iter_len(bvecs, it)])
        .to.deep.equal([seg.bv_page, seg.bv_offset, seg.bv_len]);
    });

    it('limits both views by bi_size', () => {
      const it = new bvec_iter({ bi_size: 100 });
      expect(mp_bvec_iter_bvec(bvecs, it).bv_len).to.equal(100);
      expect(bvec_iter_bvec(bvecs, it).bv_len).to.equal(100);
    });

    it('BUGs when bi_idx is past the end of the array', () => {
      expectBug(() => mp_bvec_iter_bvec(bvecs, new bvec_iter({ bi_size: 1, bi_idx: 1 })), 'past the end');
      expectBug(() => bvec_iter_bvec(bvecs, new bvec_iter({ bi_size: 1, bi_idx: 1 })), 'past the end');
    });
  });

  describe('bvec_iter_advance', () => {
    let bvecs: bio_vec[];
    beforeEach(() => {
      bvecs = [new bio_vec(pg, 1000, 0), new bio_vec(pg, 3000, 2000), new bio_vec(nth_page(pg, 4), 6000, 100)];
    });

    it('crosses whole entries and leaves the remainder in bi_bvec_done', () => {
      const it = bvecIter(bvecs);
      expect(bvec_iter_advance(bvecs, it, 1500)).to.equal(true);
      expect([it.bi_idx, it.bi_bvec_done, it.bi_size]).to.deep.equal([1, 500, 8500]);
      expect(bvec_iter_advance(bvecs, it, 4000)).to.equal(true);
      expect([it.bi_idx, it.bi_bvec_done, it.bi_size]).to.deep.equal([2, 1500, 4500]);
      const seg = mp_bvec_iter_bvec(bvecs, it);
      expect([seg.bv_page, seg.bv_len, seg.bv_offset]).to.deep.equal([nth_page(pg, 4), 4500, 1600]);
    });

    it('moves to the next entry when it lands exactly on an entry end', () => {
      const it = bvecIter(bvecs);
      bvec_iter_advance(bvecs, it, 1000);
      expect([it.bi_idx, it.bi_bvec_done]).to.deep.equal([1, 0]);
      bvec_iter_advance(bvecs, it, 9000);
      expect([it.bi_idx, it.bi_bvec_done, it.bi_size]).to.deep.equal([3, 0, 0]);
    });

    it('skips zero-length entries it crosses', () => {
      const bv = [new bio_vec(pg, 100, 0), new bio_vec(pg, 0, 0), new bio_vec(pg, 0, 0), new bio_vec(pg, 50, 200)];
      const it = bvecIter(bv);
      bvec_iter_advance(bv, it, 120);
      expect([it.bi_idx, it.bi_bvec_done, it.bi_size]).to.deep.equal([3, 20, 30]);
    });

    it('advancing 0 is a no-op', () => {
      const it = new bvec_iter({ bi_size: 9000, bi_idx: 1, bi_bvec_done: 7 });
      expect(bvec_iter_advance(bvecs, it, 0)).to.equal(true);
      expect([it.bi_idx, it.bi_bvec_done, it.bi_size]).to.deep.equal([1, 7, 9000]);
    });

    it('WARNs "Attempted to advance past end of bvec iter" (KernelBug in strict mode)', () => {
      const it = bvecIter(bvecs);
      expectBug(() => bvec_iter_advance(bvecs, it, 10_001), 'Attempted to advance past end of bvec iter');
    });

    it('in non-strict mode an overrun sets bi_size to 0 and returns false', () => {
      const it = bvecIter(bvecs);
      bvec_iter_advance(bvecs, it, 10);
      setStrict(false);
      try {
        expect(bvec_iter_advance(bvecs, it, 20_000)).to.equal(false);
      } finally {
        setStrict(true);
      }
      expect([it.bi_size, it.bi_idx, it.bi_bvec_done]).to.deep.equal([0, 0, 10]);
    });

    it('BUGs when bi_size claims more bytes than the array holds', () => {
      const it = BVEC_ITER_ALL_INIT();
      expectBug(() => bvec_iter_advance(bvecs, it, 20_000), 'ran past the end');
    });
  });

  describe('bvec_iter_advance_single', () => {
    it('stays in the entry until its end, then steps to the next', () => {
      const bv = [new bio_vec(pg, 300, 0), new bio_vec(pg, 0, 0), new bio_vec(pg, 10, 0)];
      const it = bvecIter(bv);
      bvec_iter_advance_single(bv, it, 100);
      expect([it.bi_idx, it.bi_bvec_done, it.bi_size]).to.deep.equal([0, 100, 210]);
      bvec_iter_advance_single(bv, it, 200);
      expect([it.bi_idx, it.bi_bvec_done, it.bi_size]).to.deep.equal([1, 0, 10]);
      bvec_iter_advance_single(bv, it, 0); // zero-length entry: advancing 0 steps over it
      expect([it.bi_idx, it.bi_bvec_done, it.bi_size]).to.deep.equal([2, 0, 10]);
    });
  });

  describe('for_each_bvec', () => {
    it('yields single-page segments of a multi-page bvec', () => {
      const bvecs = [new bio_vec(pg, 3 * PAGE_SIZE, 512)];
      const segs = [...for_each_bvec(bvecs, bvecIter(bvecs))].map((s) => [s.bv_page.pfn - pg.pfn, s.bv_offset, s.bv_len]);
      expect(segs).to.deep.equal([[0, 512, PAGE_SIZE - 512], [1, 0, PAGE_SIZE], [2, 0, PAGE_SIZE], [3, 0, 512]]);
    });

    it('steps over zero-length entries (yielding them as empty segments, as the kernel loop body sees them)', () => {
      const bvecs = [new bio_vec(pg, 100, 0), new bio_vec(pg, 0, 0), new bio_vec(nth_page(pg, 1), 50, 8)];
      const segs = [...for_each_bvec(bvecs, bvecIter(bvecs))].map((s) => s.bv_len);
      expect(segs).to.deep.equal([100, 0, 50]);
    });

    it('copies the start iterator and advances the live one', () => {
      const bvecs = [new bio_vec(pg, 5000, 0)];
      const start = bvecIter(bvecs);
      const live = new bvec_iter();
      let n = 0;
      for (const seg of for_each_bvec(bvecs, start, live)) {
        n += seg.bv_len;
        expect(live.bi_size).to.equal(5000 - n + seg.bv_len);
      }
      expect(n).to.equal(5000);
      expect(start.bi_size).to.equal(5000);
      expect([live.bi_size, live.bi_idx]).to.deep.equal([0, 1]);
    });

    it('starts mid-entry from bi_bvec_done', () => {
      const bvecs = [new bio_vec(pg, 2 * PAGE_SIZE, 0)];
      const segs = [...for_each_bvec(bvecs, new bvec_iter({ bi_size: PAGE_SIZE + 10, bi_bvec_done: PAGE_SIZE - 10 }))];
      expect(segs.map((s) => [s.bv_page.pfn - pg.pfn, s.bv_offset, s.bv_len])).to.deep.equal([[0, PAGE_SIZE - 10, 10], [1, 0, PAGE_SIZE]]);
    });

    it('covers exactly the bytes of the array, in order, page by page (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 * PAGE_SIZE }), fc.integer({ min: 0, max: 9000 })), { maxLength: 8 }),
          (specs) => {
            const bvecs = specs.map(([p, off, len]) => new bio_vec(nth_page(pg, p), Math.min(len, (8 - p) * PAGE_SIZE - off), off));
            const want: number[] = [];
            for (const bv of bvecs) for (let i = 0; i < bv.bv_len; i += 1) want.push(bvec_phys(bv) + i);
            const got: number[] = [];
            for (const seg of for_each_bvec(bvecs, bvecIter(bvecs))) {
              expect(seg.bv_offset).to.be.lessThan(PAGE_SIZE);
              expect(seg.bv_offset + seg.bv_len).to.be.at.most(PAGE_SIZE);
              for (let i = 0; i < seg.bv_len; i++) got.push(bvec_phys(seg) + i);
            }
            expect(got).to.deep.equal(want);
          }),
        { seed: SEED, numRuns: 60 },
      );
    });
  });

  describe('for_each_mp_bvec', () => {
    it('yields one segment per non-empty entry, clamped by bi_size', () => {
      const bvecs = [new bio_vec(pg, 3 * PAGE_SIZE, 512), new bio_vec(pg, 0, 0), new bio_vec(nth_page(pg, 5), 5000, 0)];
      const segs = [...for_each_mp_bvec(bvecs, new bvec_iter({ bi_size: 3 * PAGE_SIZE + 100 }))];
      expect(segs.map((s) => [s.bv_page, s.bv_offset, s.bv_len])).to.deep.equal([[pg, 512, 3 * PAGE_SIZE], [pg, 0, 0], [nth_page(pg, 5), 0, 100]]);
    });
  });
});
