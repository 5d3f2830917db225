import { expect } from 'chai';
import { bio_vec, bvec_iter } from '../src/bvec.js';
import { PAGE_SIZE, PhysicalMemory, nth_page, page_to_phys, type page } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';
import { bvec_to_phyr, phyr, phyrs_from_bvecs } from '../src/phyr.js';

describe('phyr', () => {
  let mem: PhysicalMemory;
  let pg: page;
  let base: number;
  beforeEach(() => {
    mem = new PhysicalMemory({ size: '4M', base: 2 ** 33, name: 'test' });
    pg = alloc_pages(mem, 4)!;
    base = page_to_phys(pg);
  });

  it('phyr() builds a { start, len } range', () => {
    expect(phyr(0x1_0000_0000, 8192)).to.deep.equal({ start: 0x1_0000_0000, len: 8192 });
  });

  describe('bvec_to_phyr', () => {
    it('is { bvec_phys(bv), bv_len }, also for bv_offset >= PAGE_SIZE', () => {
      expect(bvec_to_phyr(new bio_vec(pg, 300, PAGE_SIZE + 8))).to.deep.equal({ start: base + PAGE_SIZE + 8, len: 300 });
    });
  });

  describe('phyrs_from_bvecs', () => {
    it('merges physically contiguous neighbours across bvec and page boundaries', () => {
      const bvecs = [
        new bio_vec(pg, PAGE_SIZE - 100, 100), // [base+100, base+4096)
        new bio_vec(nth_page(pg, 1), 2 * PAGE_SIZE, 0), // contiguous
        new bio_vec(nth_page(pg, 5), 10, 0), // gap
        new bio_vec(pg, 0, 0), // empty: dropped
        new bio_vec(nth_page(pg, 5), 20, 10), // contiguous with the previous
        new bio_vec(pg, 50, 0), // backwards: new range
      ];
      expect(phyrs_from_bvecs(bvecs)).to.deep.equal([
        { start: base + 100, len: 3 * PAGE_SIZE - 100 },
        { start: base + 5 * PAGE_SIZE, len: 30 },
        { start: base, len: 50 },
      ]);
    });

    it('starts at the iterator position and stops after bi_size bytes, leaving the iterator alone', () => {
      const bvecs = [new bio_vec(pg, 1000, 0), new bio_vec(nth_page(pg, 3), 1000, 0)];
      const it = new bvec_iter({ bi_size: 1200, bi_bvec_done: 400 });
      expect(phyrs_from_bvecs(bvecs, it)).to.deep.equal([
        { start: base + 400, len: 600 },
        { start: base + 3 * PAGE_SIZE, len: 600 },
      ]);
      expect([it.bi_size, it.bi_idx, it.bi_bvec_done]).to.deep.equal([1200, 0, 400]);
    });

    it('does not merge past maxLen', () => {
      const bvecs = [0, 1, 2].map((i) => new bio_vec(nth_page(pg, i), PAGE_SIZE, 0));
      expect(phyrs_from_bvecs(bvecs, undefined, 2 * PAGE_SIZE).map((r) => r.len)).to.deep.equal([2 * PAGE_SIZE, PAGE_SIZE]);
    });

    it('returns no ranges for an empty array', () => {
      expect(phyrs_from_bvecs([])).to.deep.equal([]);
    });
  });
});
