import { expect } from 'chai';
import fc from 'fast-check';
import { isKernelBug, setStrict } from '@rdmaemu/sim-core';
import {
  MAX_DMA_PFN, MAX_PAGE_ORDER, NR_PAGE_ORDERS, PAGE_SIZE, PageBuddy, PageStack, PageTail, PhysicalMemory, folio_page, nth_page,
  page_address, page_ref_count, pfn_to_page, type page,
} from '../src/memory.js';
import {
  __GFP_ZERO, __free_page, __free_pages, alloc_page, alloc_pages, alloc_thread_stack, folio_alloc, folio_get, folio_put,
  __GFP_DMA, __GFP_DMA32, alloc_contig_pages, free_contig_range, free_thread_stack, get_page, nr_free_pages, put_page,
} from '../src/page_alloc.js';
import { SEED, expectBug } from './_support.js';

const snapshot = (mem: PhysicalMemory): number[] => [...mem.nr_free];

describe('page_alloc', () => {
  let mem: PhysicalMemory;
  beforeEach(() => {
    mem = new PhysicalMemory({ size: '8M', name: 'test' });
  });

  describe('alloc_pages', () => {
    it('returns blocks aligned on their own size', () => {
      for (let order = 0; order <= 6; order++) {
        const pg = alloc_pages(mem, order)!;
        expect(pg.pfn % 2 ** order, `order ${order}`).to.equal(0);
        expect(page_ref_count(pg)).to.equal(1);
        expect(PageBuddy(pg)).to.equal(false);
      }
    });

    it('splits a larger block and merges it back on free, restoring nr_free', () => {
      const before = snapshot(mem);
      const free = nr_free_pages(mem);
      const pg = alloc_page(mem)!;
      expect(nr_free_pages(mem)).to.equal(free - 1);
      expect(snapshot(mem)).to.not.deep.equal(before);
      __free_page(pg);
      expect(snapshot(mem)).to.deep.equal(before);
      expect(nr_free_pages(mem)).to.equal(free);
    });

    it('merges buddies freed in any order', () => {
      const before = snapshot(mem);
      const pages = [0, 1, 2, 3].map(() => alloc_page(mem)!);
      for (const i of [2, 0, 3, 1]) __free_page(pages[i]!);
      expect(snapshot(mem)).to.deep.equal(before);
    });

    it('returns null when memory is exhausted and recovers after free', () => {
      const initial = nr_free_pages(mem);
      const got: page[] = [];
      for (;;) {
        const pg = alloc_pages(mem, 4);
        if (!pg) break;
        got.push(pg);
      }
      expect(got.length).to.equal(initial / 16);
      expect(nr_free_pages(mem)).to.equal(0);
      expect(alloc_page(mem)).to.equal(null);
      for (const pg of got) __free_pages(pg, 4);
      expect(nr_free_pages(mem)).to.equal(initial);
      expect(alloc_pages(mem, MAX_PAGE_ORDER)).to.not.equal(null);
    });

    it('never hands out reserved pages', () => {
      const got: page[] = [];
      for (let pg = alloc_page(mem); pg; pg = alloc_page(mem)) got.push(pg);
      expect(got.every((p) => p.pfn >= mem.reserved_pages)).to.equal(true);
      expect(got.length).to.equal(mem.nr_pages - mem.reserved_pages);
    });

    it('zeroes the block with __GFP_ZERO', () => {
      const pg = alloc_pages(mem, 1)!;
      page_address(pg).fill(0xff);
      page_address(nth_page(pg, 1)).fill(0xff);
      __free_pages(pg, 1);
      const again = alloc_pages(mem, 1, __GFP_ZERO)!;
      expect(again).to.equal(pg);
      expect(page_address(again).every((b) => b === 0)).to.equal(true);
      expect(page_address(nth_page(again, 1)).every((b) => b === 0)).to.equal(true);
    });

    it('WARNs on an order above MAX_PAGE_ORDER (KernelBug strict, null otherwise)', () => {
      expectBug(() => alloc_pages(mem, MAX_PAGE_ORDER + 1), 'MAX_PAGE_ORDER');
      setStrict(false);
      try {
        expect(alloc_pages(mem, MAX_PAGE_ORDER + 1)).to.equal(null);
        expect(alloc_pages(mem, -1)).to.equal(null);
      } finally {
        setStrict(true);
      }
    });

    it('works on RAM based above 4 GiB and with a base not aligned to MAX_PAGE_ORDER', () => {
      const hi = new PhysicalMemory({ size: '4M', base: 2 ** 32 + 48 * PAGE_SIZE });
      const before = snapshot(hi);
      const pg = alloc_pages(hi, 5)!;
      expect(pg.pfn % 32).to.equal(0);
      expect(pg.pfn).to.be.greaterThan(2 ** 20);
      __free_pages(pg, 5);
      expect(snapshot(hi)).to.deep.equal(before);
    });
  });

  describe('__free_pages', () => {
    it('reports a double free as "Bad page state"', () => {
      const pg = alloc_page(mem)!;
      __free_page(pg);
      expectBug(() => __free_page(pg), 'Bad page state');
    });

    it('reports a double free of a page whose block merged away', () => {
      const a = alloc_page(mem)!;
      const b = alloc_page(mem)!;
      __free_page(a);
      __free_page(b);
      expectBug(() => __free_page(a), 'Bad page state');
      expectBug(() => __free_page(b), 'Bad page state');
    });

    it('reports freeing a tail page', () => {
      const f = folio_alloc(mem, 2)!;
      expectBug(() => __free_page(folio_page(f, 1)), 'tail page');
    });

    it('reports freeing a reserved page', () => {
      expectBug(() => __free_page(pfn_to_page(mem, 0)), 'reserved');
    });

    it('reports freeing a folio with the wrong order', () => {
      const f = folio_alloc(mem, 2)!;
      expectBug(() => __free_pages(f.page, 1), 'Bad page state');
    });

    it('reports a misaligned order-n free', () => {
      const pg = alloc_pages(mem, 1)!;
      expectBug(() => __free_pages(nth_page(pg, 1), 1), 'Bad page state');
    });

    it('only frees at refcount zero', () => {
      const free = nr_free_pages(mem);
      const pg = alloc_page(mem)!;
      get_page(pg);
      expect(page_ref_count(pg)).to.equal(2);
      put_page(pg);
      expect(nr_free_pages(mem)).to.equal(free - 1);
      put_page(pg);
      expect(nr_free_pages(mem)).to.equal(free);
    });
  });

  describe('folio refcounts', () => {
    it('folio_get / folio_put: the last put frees the whole folio', () => {
      const before = snapshot(mem);
      const free = nr_free_pages(mem);
      const f = folio_alloc(mem, 3)!;
      folio_get(f);
      folio_put(f);
      expect(nr_free_pages(mem)).to.equal(free - 8);
      folio_put(f);
      expect(nr_free_pages(mem)).to.equal(free);
      expect(snapshot(mem)).to.deep.equal(before);
      expect(PageTail(nth_page(f.page, 1))).to.equal(false);
      expectBug(() => folio_put(f), 'Bad page state');
    });

    it('get_page / put_page on a tail page count on the head', () => {
      const free = nr_free_pages(mem);
      const f = folio_alloc(mem, 2)!;
      get_page(folio_page(f, 3));
      expect(page_ref_count(f.page)).to.equal(2);
      put_page(folio_page(f, 2));
      put_page(folio_page(f, 1));
      expect(nr_free_pages(mem)).to.equal(free);
    });

    it('get_page on a free page is a bug', () => {
      const pg = alloc_page(mem)!;
      __free_page(pg);
      expectBug(() => get_page(pg), 'Bad page state');
    });
  });

  describe('zones', () => {
    it('serves GFP_KERNEL from the highest zone first and __GFP_DMA only below 16 MiB (the zonelist)', () => {
      const big = new PhysicalMemory({ size: '64M', name: 'zones' });
      expect(alloc_pages(big, 0)!.pfn).to.be.at.least(MAX_DMA_PFN);
      expect(alloc_pages(big, 0, __GFP_DMA)!.pfn).to.be.below(MAX_DMA_PFN);
      // ZONE_DMA32 is empty below 4 GiB on a host above 4 GiB: __GFP_DMA32 fails there.
      const high = new PhysicalMemory({ size: '8M', base: 2 ** 33, name: 'high' });
      expect(alloc_pages(high, 0, __GFP_DMA32)).to.equal(null);
      expect(alloc_pages(high, 0)!.pfn).to.be.at.least(2 ** 33 / PAGE_SIZE);
    });

    it('falls back to a lower zone when the higher ones are exhausted', () => {
      const big = new PhysicalMemory({ size: '20M', name: 'zones', reserved: 0 });
      const high: number[] = [];
      for (let i = 0; i < 1024; i++) high.push(alloc_pages(big, 0)!.pfn);
      expect(Math.min(...high)).to.equal(MAX_DMA_PFN);
      expect(alloc_pages(big, 0)!.pfn).to.be.below(MAX_DMA_PFN);
    });
  });

  describe('get_page / put_page on a reserved page', () => {
    it('checks reserved only when the last reference goes (free_pages_prepare)', () => {
      const pg = pfn_to_page(mem, mem.start_pfn + 5);
      get_page(pg);
      put_page(pg);
      expect(page_ref_count(pg)).to.equal(1);
      expectBug(() => put_page(pg), 'freeing a reserved page');
    });
  });

  describe('alloc_contig_pages', () => {
    it('returns the lowest free run, beyond MAX_PAGE_ORDER, with a reference on every page', () => {
      const before = nr_free_pages(mem);
      const pg = alloc_contig_pages(mem, 2 ** MAX_PAGE_ORDER + 7)!;
      expect(pg.pfn).to.equal(mem.start_pfn + mem.reserved_pages);
      expect(nr_free_pages(mem)).to.equal(before - (2 ** MAX_PAGE_ORDER + 7));
      for (let i = 0; i < 2 ** MAX_PAGE_ORDER + 7; i += 517) expect(page_ref_count(nth_page(pg, i))).to.equal(1);
      free_contig_range(mem, pg.pfn, 2 ** MAX_PAGE_ORDER + 7);
      expect(nr_free_pages(mem)).to.equal(before);
    });

    it('skips allocated pages and returns null when no run is long enough', () => {
      const low = alloc_contig_pages(mem, 1)!;
      const next = alloc_contig_pages(mem, 4)!;
      expect(next.pfn).to.equal(low.pfn + 1);
      expect(alloc_contig_pages(mem, mem.nr_pages)).to.equal(null);
      __free_page(low);
      expect(alloc_contig_pages(mem, 1)!.pfn).to.equal(low.pfn);
    });
  });

  describe('alloc_thread_stack', () => {
    it('marks the stack pages PageStack until freed', () => {
      const pg = alloc_thread_stack(mem)!;
      expect([0, 1, 2, 3].map((i) => PageStack(nth_page(pg, i)))).to.deep.equal([true, true, true, true]);
      free_thread_stack(pg);
      expect(PageStack(pg)).to.equal(false);
    });
  });

  describe('property: random alloc/free', () => {
    it('never hands out overlapping or misaligned blocks, and freeing everything restores the free lists', () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ alloc: fc.boolean(), order: fc.integer({ min: 0, max: 6 }), pick: fc.nat(), comp: fc.boolean() }), { maxLength: 150 }),
          fc.constantFrom(0, 48 * PAGE_SIZE, 2 ** 33),
          (ops, base) => {
            const m = new PhysicalMemory({ size: '2M', base, reserved: 64 * PAGE_SIZE });
            const initial = snapshot(m);
            const initialFree = nr_free_pages(m);
            const owner = new Int32Array(m.nr_pages).fill(-1);
            const live: { pg: page; order: number; comp: boolean; id: number }[] = [];
            let id = 0;
            for (const op of ops) {
              if (op.alloc || live.length === 0) {
                const pg = op.comp ? folio_alloc(m, op.order)?.page ?? null : alloc_pages(m, op.order);
                if (pg === null) {
                  // null only when no free block of at least this order exists
                  for (let o = op.order; o < NR_PAGE_ORDERS; o++) expect(m.nr_free[o], `order ${o}`).to.equal(0);
                  continue;
                }
                expect(pg.pfn % 2 ** op.order).to.equal(0);
                for (let i = 0; i < 2 ** op.order; i++) {
                  const idx = pg.pfn - m.start_pfn + i;
                  expect(idx).to.be.within(64, m.nr_pages - 1);
                  expect(owner[idx], `pfn ${pg.pfn + i} handed out twice`).to.equal(-1);
                  owner[idx] = id;
                }
                live.push({ pg, order: op.order, comp: op.comp, id: id++ });
              } else {
                const [blk] = live.splice(op.pick % live.length, 1);
                for (let i = 0; i < 2 ** blk!.order; i++) owner[blk!.pg.pfn - m.start_pfn + i] = -1;
                if (blk!.comp) put_page(blk!.pg);
                else __free_pages(blk!.pg, blk!.order);
              }
              let used = 0;
              for (const b of live) used += 2 ** b.order;
              expect(nr_free_pages(m)).to.equal(initialFree - used);
            }
            for (const b of live) __free_pages(b.pg, b.order);
            expect(nr_free_pages(m)).to.equal(initialFree);
            expect(snapshot(m)).to.deep.equal(initial);
          },
        ),
        { seed: SEED, numRuns: 100 },
      );
    });
  });
});
