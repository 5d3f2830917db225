import { expect } from 'chai';
import fc from 'fast-check';
import { isKernelBug, isKernelError, setStrict } from '@rdmaemu/sim-core';
import { bio_vec } from '../src/bvec.js';
import { PAGE_SIZE, PhysicalMemory, nth_page, page_address, page_to_phys, type page } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';
import {
  SG_CHAIN, SG_CHUNK_SIZE, SG_DMA_BUS_ADDRESS, SG_DMA_SWIOTLB, SG_END, SG_MAX_SEGMENTS, SG_MAX_SINGLE_ALLOC,
  for_each_sg, for_each_sgtable_dma_sg, for_each_sgtable_sg, scatterlist, sgTableFromBvecs, sg_alloc_append_table_from_pages,
  sg_alloc_table, sg_alloc_table_from_pages, sg_alloc_table_from_pages_segment, sg_append_table, sg_chain,
  sg_copy_from_buffer, sg_copy_to_buffer, sg_dma_address, sg_dma_is_bus_address, sg_dma_is_swiotlb, sg_dma_len,
  sg_dma_mark_bus_address, sg_dma_mark_swiotlb, sg_dma_unmark_bus_address, sg_free_table, sg_init_one,
  sg_init_table, sg_is_chain, sg_is_last, sg_last, sg_mark_end, sg_nents, sg_nents_for_len, sg_next, sg_page,
  sg_pcopy_from_buffer, sg_pcopy_to_buffer, sg_phys, sg_set_buf, sg_set_page, sg_table, sg_unmark_end, sg_virt,
} from '../src/scatterlist.js';
import { SEED, expectBug, expectErrno } from './_support.js';

/** Physical (start, len) pieces of an sg list, split at page boundaries. */
function pieces(sgt: sg_table): [number, number][] {
  const out: [number, number][] = [];
  for (const sg of for_each_sgtable_sg(sgt)) {
    let phys = sg_phys(sg);
    let left = sg.length;
    while (left > 0) {
      const n = Math.min(left, PAGE_SIZE - (phys % PAGE_SIZE));
      out.push([phys, n]);
      phys += n;
      left -= n;
    }
  }
  return out;
}

describe('scatterlist', () => {
  let mem: PhysicalMemory;
  let pg: page; // first of 64 contiguous pages
  beforeEach(() => {
    mem = new PhysicalMemory({ size: '4M', name: 'test' });
    pg = alloc_pages(mem, 6)!;
  });

  it('has the kernel constants', () => {
    expect([SG_CHAIN, SG_END, SG_DMA_BUS_ADDRESS, SG_DMA_SWIOTLB]).to.deep.equal([1, 2, 1, 2]);
    expect([SG_CHUNK_SIZE, SG_MAX_SEGMENTS, SG_MAX_SINGLE_ALLOC]).to.deep.equal([128, 2048, 128]);
  });

  describe('sg_init_table', () => {
    it('creates nents zeroed entries with only the last marked end', () => {
      const sgl = sg_init_table(3);
      expect(sgl.length).to.equal(3);
      expect(sgl.map(sg_is_last)).to.deep.equal([false, false, true]);
      expect(sgl.map((sg) => [sg.page_link, sg.offset, sg.length, sg.dma_address, sg.dma_length, sg.dma_flags]))
        .to.deep.equal([[null, 0, 0, 0, 0, 0], [null, 0, 0, 0, 0, 0], [null, 0, 0, 0, 0, 0]]);
    });

    it('re-initializes an existing array in place', () => {
      const sgl = sg_init_table(4);
      sg_set_page(sgl[1]!, pg, 10, 5);
      sgl[1]!.dma_address = 99;
      const again = sg_init_table(sgl, 2);
      expect(again).to.equal(sgl);
      expect([sgl[1]!.page_link, sgl[1]!.length, sgl[1]!.dma_address]).to.deep.equal([null, 0, 0]);
      expect(sg_is_last(sgl[1]!)).to.equal(true);
      expect(sg_nents(sgl)).to.equal(2);
    });

    it('binds entries made with new scatterlist()', () => {
      const arr = [new scatterlist(), new scatterlist()];
      sg_init_table(arr, 2);
      expect(sg_next(arr[0]!)).to.equal(arr[1]);
      expect(sg_next(arr[1]!)).to.equal(null);
    });

    it('BUGs on nents 0', () => {
      expectBug(() => sg_init_table(0), 'bad nents');
    });
  });

  describe('sg_next', () => {
    it('returns null after the SG_END entry', () => {
      const sgl = sg_init_table(2);
      expect(sg_next(sgl[0]!)).to.equal(sgl[1]);
      expect(sg_next(sgl[1]!)).to.equal(null);
    });

    it('BUGs when an array ends without an end mark', () => {
      const sgl = sg_init_table(2);
      sg_unmark_end(sgl[1]!);
      expectBug(() => sg_next(sgl[1]!), 'without SG_END');
    });

    it('BUGs on an entry that is not in an initialized array', () => {
      expectBug(() => sg_next(new scatterlist()), 'not in an sg_init_table');
    });
  });

  describe('sg_mark_end / sg_unmark_end', () => {
    it('moves the end of a list', () => {
      const sgl = sg_init_table(4);
      sg_mark_end(sgl[1]!);
      expect(sg_nents(sgl)).to.equal(2);
      sg_unmark_end(sgl[1]!);
      expect(sg_nents(sgl)).to.equal(4);
    });
  });

  describe('sg_chain', () => {
    it('chains three arrays: the last entry of each chained array is a chain entry', () => {
      const a = sg_init_table(4);
      const b = sg_init_table(4);
      const c = sg_init_table(3);
      sg_chain(a, 4, b);
      sg_chain(b, 4, c);
      expect(sg_is_chain(a[3]!)).to.equal(true);
      expect(sg_is_last(a[3]!)).to.equal(false);
      expect([a[3]!.offset, a[3]!.length]).to.deep.equal([0, 0]);
      expect(sg_next(a[2]!)).to.equal(b[0]);
      expect(sg_next(b[2]!)).to.equal(c[0]);
      const visited = [...for_each_sg(a, 9)];
      expect(visited).to.deep.equal([a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]]);
      expect(visited.some(sg_is_chain)).to.equal(false);
      expect(sg_nents(a[0]!)).to.equal(9);
      expect(sg_last(a, 9)).to.equal(c[2]);
    });

    it('chains at prv_nents, not the array length', () => {
      const a = sg_init_table(8);
      const b = sg_init_table(2);
      sg_chain(a, 3, b);
      expect(sg_nents(a)).to.equal(4);
      expect(sg_is_chain(a[2]!)).to.equal(true);
    });

    it('sg_page on a chain entry is a BUG, and so is putting a page on one', () => {
      const a = sg_init_table(2);
      sg_chain(a, 2, sg_init_table(1));
      expectBug(() => sg_page(a[1]!), 'chain entry');
      expectBug(() => sg_set_page(a[1]!, pg, 1, 0), 'chain entry');
    });
  });

  describe('for_each_sg', () => {
    it('stops after nents entries even when the list is longer', () => {
      const a = sg_init_table(5);
      expect([...for_each_sg(a, 3)]).to.deep.equal(a.slice(0, 3));
      expect([...for_each_sg(null, 0)]).to.deep.equal([]);
    });

    it('BUGs when the list ends before nents entries', () => {
      expectBug(() => [...for_each_sg(sg_init_table(2), 3)], 'list ends after 2 of 3');
    });
  });

  describe('sg_nents_for_len', () => {
    it('counts the entries needed to cover len', () => {
      const sgl = sg_init_table(3);
      sgl.forEach((sg, i) => sg_set_page(sg, nth_page(pg, i), 1000, 0));
      expect(sg_nents_for_len(sgl, 0)).to.equal(0);
      expect(sg_nents_for_len(sgl, 1)).to.equal(1);
      expect(sg_nents_for_len(sgl, 1000)).to.equal(1);
      expect(sg_nents_for_len(sgl, 1001)).to.equal(2);
      expect(sg_nents_for_len(sgl, 3000)).to.equal(3);
    });

    it('returns -EINVAL when the list is shorter than len', () => {
      const sgl = sg_init_table(3);
      sgl.forEach((sg, i) => sg_set_page(sg, nth_page(pg, i), 1000, 0));
      expect(sg_nents_for_len(sgl, 3001)).to.equal(-22);
    });
  });

  describe('sg_set_page / sg_set_buf / sg_phys / sg_virt', () => {
    it('sg_phys is page_to_phys(page) + offset and sg_virt views length bytes', () => {
      const sg = sg_init_table(1)[0]!;
      sg_set_page(sg, nth_page(pg, 2), PAGE_SIZE, 100);
      expect(sg_page(sg)).to.equal(nth_page(pg, 2));
      expect(sg_phys(sg)).to.equal(page_to_phys(pg) + 2 * PAGE_SIZE + 100);
      const v = sg_virt(sg);
      expect(v.length).to.equal(PAGE_SIZE);
      v.fill(7);
      expect(page_address(nth_page(pg, 3))[99]).to.equal(7);
      expect(page_address(nth_page(pg, 3))[100]).to.equal(0);
    });

    it('sg_set_buf derives page and offset from a direct-map view', () => {
      const buf = page_address(nth_page(pg, 5)).subarray(300, 500);
      const sg = sg_init_one(mem, buf);
      expect([sg_page(sg), sg.offset, sg.length]).to.deep.equal([nth_page(pg, 5), 300, 200]);
      sg_set_buf(sg, mem, buf, 50);
      expect(sg.length).to.equal(50);
      expect(sg_is_last(sg)).to.equal(true);
    });

    it('sg_set_buf rejects a buffer outside the direct map with EFAULT', () => {
      expectErrno(() => sg_set_buf(sg_init_table(1)[0]!, mem, new Uint8Array(10)), 'EFAULT');
    });

    it('sg_page BUGs on an entry with no page', () => {
      expectBug(() => sg_page(sg_init_table(1)[0]!), 'no page');
    });
  });

  describe('sg_dma_* helpers', () => {
    it('read the DMA fields and set and clear the flags', () => {
      const sg = sg_init_table(1)[0]!;
      sg.dma_address = 0x2_0000_1000;
      sg.dma_length = 4096;
      expect([sg_dma_address(sg), sg_dma_len(sg)]).to.deep.equal([0x2_0000_1000, 4096]);
      sg_dma_mark_bus_address(sg);
      expect(sg_dma_is_bus_address(sg)).to.equal(true);
      sg_dma_mark_swiotlb(sg);
      expect(sg_dma_is_swiotlb(sg)).to.equal(true);
      expect(sg.dma_flags).to.equal(SG_DMA_BUS_ADDRESS | SG_DMA_SWIOTLB);
      sg_dma_unmark_bus_address(sg);
      expect([sg_dma_is_bus_address(sg), sg.dma_flags]).to.deep.equal([false, SG_DMA_SWIOTLB]);
    });
  });

  describe('sg_alloc_table', () => {
    it('fits 128 entries in one array with no chain', () => {
      const sgt = new sg_table();
      sg_alloc_table(sgt, 128);
      expect([sgt.nents, sgt.orig_nents]).to.deep.equal([128, 128]);
      expect(sgt.sgl!.sgArray!.length).to.equal(128);
      expect([...for_each_sgtable_sg(sgt)].some(sg_is_chain)).to.equal(false);
    });

    it('chains 300 entries as arrays of 128 + 128 + 46 (127 + 127 + 46 data entries)', () => {
      const sgt = new sg_table();
      sg_alloc_table(sgt, 300);
      expect([sgt.nents, sgt.orig_nents]).to.deep.equal([300, 300]);
      const a = sgt.sgl!.sgArray!;
      expect(a.length).to.equal(128);
      expect(sg_is_chain(a[127]!)).to.equal(true);
      const b = a[127]!.sgChain!;
      expect(b.length).to.equal(128);
      expect(sg_is_chain(b[127]!)).to.equal(true);
      const c = b[127]!.sgChain!;
      expect(c.length).to.equal(46);
      expect(sg_is_last(c[45]!)).to.equal(true);
      const all = [...for_each_sgtable_sg(sgt)];
      expect(all.length).to.equal(300);
      expect(new Set(all).size).to.equal(300);
      expect(all.filter(sg_is_last)).to.deep.equal([c[45]]);
      expect(sg_nents(sgt.sgl)).to.equal(300);
    });

    it('129 entries need a second array of 2', () => {
      const sgt = new sg_table();
      sg_alloc_table(sgt, 129);
      expect(sgt.sgl!.sgArray![127]!.sgChain!.length).to.equal(2);
      expect(sg_nents(sgt.sgl)).to.equal(129);
    });

    it('fails with EINVAL for nents 0 and leaves the table empty', () => {
      const sgt = new sg_table();
      sgt.nents = 5;
      expectErrno(() => sg_alloc_table(sgt, 0), 'EINVAL');
      expect([sgt.sgl, sgt.nents, sgt.orig_nents]).to.deep.equal([null, 0, 0]);
    });
  });

  describe('sg_free_table', () => {
    it('clears sgl and orig_nents, unbinds the entries, and ignores a second free', () => {
      const sgt = new sg_table();
      sg_alloc_table(sgt, 200);
      const first = sgt.sgl!;
      sg_free_table(sgt);
      expect([sgt.sgl, sgt.orig_nents]).to.deep.equal([null, 0]);
      expect(sgt.nents).to.equal(200); // __sg_free_table leaves nents alone
      expectBug(() => sg_next(first), 'not in an sg_init_table');
      sg_free_table(sgt);
      expect(sgt.sgl).to.equal(null);
    });
  });

  describe('for_each_sgtable_dma_sg', () => {
    it('iterates nents while for_each_sgtable_sg iterates orig_nents', () => {
      const sgt = new sg_table();
      sg_alloc_table(sgt, 5);
      sgt.nents = 2;
      expect([...for_each_sgtable_dma_sg(sgt)].length).to.equal(2);
      expect([...for_each_sgtable_sg(sgt)].length).to.equal(5);
    });
  });

  describe('sg_alloc_table_from_pages', () => {
    it('merges physically contiguous pages into one entry', () => {
      const pages = [0, 1, 2, 3].map((i) => nth_page(pg, i));
      const sgt = new sg_table();
      sg_alloc_table_from_pages(sgt, pages, 4, 100, 4 * PAGE_SIZE - 200);
      expect(sgt.orig_nents).to.equal(1);
      expect([sg_page(sgt.sgl!), sgt.sgl!.offset, sgt.sgl!.length]).to.deep.equal([pg, 100, 4 * PAGE_SIZE - 200]);
      expect(sg_is_last(sgt.sgl!)).to.equal(true);
    });

    it('splits at every physical discontinuity', () => {
      const pages = [0, 1, 5, 6, 7, 3, 2].map((i) => nth_page(pg, i));
      const sgt = new sg_table();
      sg_alloc_table_from_pages(sgt, pages, 7, 0, 7 * PAGE_SIZE - 1);
      const ents = [...for_each_sgtable_sg(sgt)].map((sg) => [sg_page(sg).pfn - pg.pfn, sg.offset, sg.length]);
      expect(ents).to.deep.equal([[0, 0, 2 * PAGE_SIZE], [5, 0, 3 * PAGE_SIZE], [3, 0, PAGE_SIZE], [2, 0, PAGE_SIZE - 1]]);
      expect([sgt.nents, sgt.orig_nents]).to.deep.equal([4, 4]);
    });

    it('respects max_segment (rounded down to PAGE_SIZE) in the _segment variant', () => {
      const pages = [0, 1, 2, 3, 4].map((i) => nth_page(pg, i));
      const sgt = new sg_table();
      sg_alloc_table_from_pages_segment(sgt, pages, 5, 0, 5 * PAGE_SIZE, 3 * PAGE_SIZE - 1);
      const lens = [...for_each_sgtable_sg(sgt)].map((sg) => sg.length);
      expect(lens).to.deep.equal([2 * PAGE_SIZE, 2 * PAGE_SIZE, PAGE_SIZE]);
    });

    it('WARNs for max_segment below PAGE_SIZE (KernelBug in strict mode, EINVAL otherwise)', () => {
      const sgt = new sg_table();
      expectBug(() => sg_alloc_table_from_pages_segment(sgt, [pg], 1, 0, 10, PAGE_SIZE - 1), 'max_segment');
      setStrict(false);
      try {
        expectErrno(() => sg_alloc_table_from_pages_segment(sgt, [pg], 1, 0, 10, 100), 'EINVAL');
      } finally {
        setStrict(true);
      }
      expect(sgt.sgl).to.equal(null);
    });

    it('chains when there are more than 128 chunks', () => {
      const pages: page[] = [];
      for (let i = 0; i < 32; i++) pages.push(nth_page(pg, 2 * i)); // no two adjacent
      const big = alloc_pages(mem, 8)!;
      for (let i = 0; i < 128; i++) pages.push(nth_page(big, 2 * i));
      const sgt = new sg_table();
      sg_alloc_table_from_pages(sgt, pages, 160, 0, 160 * PAGE_SIZE);
      expect(sgt.orig_nents).to.equal(160);
      expect(sgt.sgl!.sgArray!.length).to.equal(128);
      expect(sg_is_chain(sgt.sgl!.sgArray![127]!)).to.equal(true);
      expect([...for_each_sgtable_sg(sgt)].map((sg) => sg_page(sg))).to.deep.equal(pages);
    });

    it('covers exactly the input bytes in order (property)', () => {
      const pool = 64;
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: pool - 1 })), { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 0, max: PAGE_SIZE - 1 }),
          fc.integer({ min: 1, max: PAGE_SIZE }),
          fc.oneof(fc.constant(0xffff_ffff), fc.integer({ min: PAGE_SIZE, max: 6 * PAGE_SIZE })),
          (choice, offset, tail, maxSeg) => {
            // -1 means "the page after the previous one" (builds contiguous runs)
            const pfns: number[] = [];
            for (const c of choice) {
              const prev = pfns[pfns.length - 1];
              pfns.push(c === -1 && prev !== undefined && prev + 1 < pool ? prev + 1 : Math.max(c, 0));
            }
            const pages = pfns.map((i) => nth_page(pg, i));
            const n = pages.length;
            const size = Math.max(1, (n - 1) * PAGE_SIZE - offset + tail);
            if (offset + size > n * PAGE_SIZE) return;
            const sgt = new sg_table();
            sg_alloc_table_from_pages_segment(sgt, pages, n, offset, size, maxSeg);
            const want: [number, number][] = [];
            let left = size;
            pages.forEach((p, i) => {
              const o = i === 0 ? offset : 0;
              const len = Math.min(left, PAGE_SIZE - o);
              if (len > 0) want.push([page_to_phys(p) + o, len]);
              left -= len;
            });
            expect(pieces(sgt)).to.deep.equal(want);
            const ents = [...for_each_sgtable_sg(sgt)];
            expect(sgt.orig_nents).to.equal(ents.length);
            expect(sg_nents(sgt.sgl)).to.equal(ents.length);
            const limit = Math.floor(maxSeg / PAGE_SIZE) * PAGE_SIZE;
            for (let i = 0; i < ents.length; i++) {
              expect(ents[i]!.offset + ents[i]!.length).to.be.at.most(limit + (i === 0 ? offset : 0));
              // maximal merging: an entry that is not full ends at a discontinuity
              if (i + 1 < ents.length && ents[i]!.offset + ents[i]!.length < limit) {
                expect(sg_phys(ents[i + 1]!)).to.not.equal(sg_phys(ents[i]!) + ents[i]!.length);
              }
            }
            sg_free_table(sgt);
          },
        ),
        { seed: SEED, numRuns: 200 },
      );
    });
  });

  describe('sg_alloc_append_table_from_pages', () => {
    it('grows the last entry when the next append continues it, and marks the end on the last call', () => {
      const app = new sg_append_table();
      sg_alloc_append_table_from_pages(app, [pg, nth_page(pg, 1)], 2, 0, 2 * PAGE_SIZE, 0xffff_ffff, 3);
      expect(app.sgt.orig_nents).to.equal(1);
      sg_alloc_append_table_from_pages(app, [nth_page(pg, 2), nth_page(pg, 9), nth_page(pg, 10)], 3, 0, 3 * PAGE_SIZE, 0xffff_ffff, 0);
      const ents = [...for_each_sgtable_sg(app.sgt)].map((sg) => [sg_page(sg).pfn - pg.pfn, sg.length]);
      expect(ents).to.deep.equal([[0, 3 * PAGE_SIZE], [9, 2 * PAGE_SIZE]]);
      expect(sg_is_last(app.prv!)).to.equal(true);
      expect(sg_nents(app.sgt.sgl)).to.equal(2);
    });

    it('WARNs when a later append has an offset', () => {
      const app = new sg_append_table();
      sg_alloc_append_table_from_pages(app, [pg], 1, 0, PAGE_SIZE, 0xffff_ffff, 1);
      expectBug(() => sg_alloc_append_table_from_pages(app, [nth_page(pg, 1)], 1, 8, 100, 0xffff_ffff, 0), 'offset');
    });
  });

  describe('sg_copy_from_buffer / sg_copy_to_buffer', () => {
    it('round-trips bytes through a chained list', () => {
      const a = sg_init_table(3);
      const b = sg_init_table(2);
      sg_chain(a, 3, b);
      sg_set_page(a[0]!, nth_page(pg, 10), 100, 7);
      sg_set_page(a[1]!, nth_page(pg, 20), 3000, 1000);
      sg_set_page(b[0]!, nth_page(pg, 30), 5000, 0);
      sg_set_page(b[1]!, nth_page(pg, 40), 1, 4095);
      const src = Uint8Array.from({ length: 8101 }, (_, i) => (i * 31 + 7) & 0xff);
      expect(sg_copy_from_buffer(a, 4, src)).to.equal(8101);
      expect(page_address(nth_page(pg, 10))[7]).to.equal(src[0]);
      expect(page_address(nth_page(pg, 20))[1000]).to.equal(src[100]);
      expect(page_address(nth_page(pg, 40))[4095]).to.equal(src[8100]);
      const dst = new Uint8Array(8101);
      expect(sg_copy_to_buffer(a, 4, dst)).to.equal(8101);
      expect(dst).to.deep.equal(src);
    });

    it('stops at the shorter of the buffer and the list', () => {
      const sgl = sg_init_table(2);
      sg_set_page(sgl[0]!, pg, 10, 0);
      sg_set_page(sgl[1]!, nth_page(pg, 1), 10, 0);
      expect(sg_copy_from_buffer(sgl, 2, new Uint8Array(50).fill(1))).to.equal(20);
      expect(sg_copy_to_buffer(sgl, 2, new Uint8Array(15))).to.equal(15);
      expect(sg_copy_to_buffer(sgl, 1, new Uint8Array(50))).to.equal(10);
    });

    it('sg_pcopy_* skip bytes of the list first', () => {
      const sgl = sg_init_table(2);
      sg_set_page(sgl[0]!, pg, 10, 0);
      sg_set_page(sgl[1]!, nth_page(pg, 1), 10, 0);
      expect(sg_pcopy_from_buffer(sgl, 2, Uint8Array.of(9, 8, 7), 3, 9)).to.equal(3);
      expect(page_address(pg)[9]).to.equal(9);
      expect(page_address(nth_page(pg, 1))[0]).to.equal(8);
      const out = new Uint8Array(4);
      expect(sg_pcopy_to_buffer(sgl, 2, out, 4, 8)).to.equal(4);
      expect([...out]).to.deep.equal([0, 9, 8, 7]);
    });
  });

  describe('sgTableFromBvecs', () => {
    it('makes one entry per non-empty bvec, normalizing bv_offset >= PAGE_SIZE', () => {
      const bvecs = [new bio_vec(pg, 100, 0), new bio_vec(pg, 0, 0), new bio_vec(pg, 2 * PAGE_SIZE, PAGE_SIZE + 5), new bio_vec(nth_page(pg, 1), 10, 0)];
      const sgt = sgTableFromBvecs(bvecs);
      const ents = [...for_each_sgtable_sg(sgt)].map((sg) => [sg_page(sg).pfn - pg.pfn, sg.offset, sg.length]);
      expect(ents).to.deep.equal([[0, 0, 100], [1, 5, 2 * PAGE_SIZE], [1, 0, 10]]);
      expect(sgt.orig_nents).to.equal(3);
    });

    it('fails with EINVAL when no bvec has bytes', () => {
      expectErrno(() => sgTableFromBvecs([new bio_vec(pg, 0, 0)]), 'EINVAL');
    });
  });
});
