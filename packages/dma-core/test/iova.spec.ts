/**
 * Tests for iova.ts (drivers/iommu/iova.c): top-down, size-aligned allocation, reservations,
 * the range cache, and the never-overlapping / never-pfn-0 invariants (KERNEL.md §4.5).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { isKernelBug } from '@rdmaemu/sim-core';
import {
  IOVA_DEPOT_MAX_MAGS, IOVA_MAG_SIZE, IOVA_RANGE_CACHE_MAX_SIZE, __free_iova, alloc_iova, alloc_iova_fast, find_iova,
  free_cpu_cached_iovas, free_iova, free_iova_fast, init_iova_domain, iova, iova_align, iova_dma_addr, iova_domain,
  iova_mask, iova_offset, iova_pfn, iova_rcache_range, iova_shift, iovaDomainRanges, iovaRcacheDepth, put_iova_domain,
  reserve_iova,
} from '../src/iova.js';
import { fcSeed } from './_support.js';

function domain(start_pfn = 1): iova_domain {
  const d = new iova_domain();
  init_iova_domain(d, 4096, start_pfn);
  return d;
}

const LIMIT32 = 0xfffff; // the top pfn below 4 GiB

describe('init_iova_domain', () => {
  it('derives the shift, mask and 32-bit boundary from the granule', () => {
    const d = domain();
    expect(iova_shift(d)).to.equal(12);
    expect(iova_mask(d)).to.equal(4095);
    expect(d.dma_32bit_pfn).to.equal(0x100000);
    expect(d.start_pfn).to.equal(1);
  });

  it('BUG()s on a granule that is not a power of two or exceeds PAGE_SIZE', () => {
    expect(() => init_iova_domain(new iova_domain(), 3000, 1)).to.throw().that.satisfies(isKernelBug);
    expect(() => init_iova_domain(new iova_domain(), 8192, 1)).to.throw().that.satisfies(isKernelBug);
  });

  it('put_iova_domain drops every range', () => {
    const d = domain();
    alloc_iova(d, 1, LIMIT32, false);
    put_iova_domain(d);
    expect(iovaDomainRanges(d)).to.deep.equal([]);
  });
});

describe('include/linux/iova.h helpers', () => {
  it('compute offsets, alignment and pfns in granule units', () => {
    const d = domain();
    expect(iova_offset(d, 0x12345)).to.equal(0x345);
    expect(iova_align(d, 1)).to.equal(4096);
    expect(iova_align(d, 8192)).to.equal(8192);
    expect(iova_pfn(d, 0x1_0000_3fff)).to.equal(0x100003);
    expect(iova_dma_addr(d, new iova(0x100003, 0x100003))).to.equal(0x1_0000_3000);
    expect(iova_rcache_range()).to.equal(128 * 1024);
  });
});

describe('alloc_iova', () => {
  it('allocates top-down from limit_pfn', () => {
    const d = domain();
    expect(alloc_iova(d, 1, LIMIT32, false)!.pfn_lo).to.equal(0xfffff);
    expect(alloc_iova(d, 1, LIMIT32, false)!.pfn_lo).to.equal(0xffffe);
    const r = alloc_iova(d, 2, LIMIT32, false)!;
    expect([r.pfn_lo, r.pfn_hi]).to.deep.equal([0xffffc, 0xffffd]);
  });

  it('aligns pfn_lo to the power of two ≥ size when size_aligned (fls_long(size − 1))', () => {
    const d = domain();
    alloc_iova(d, 1, LIMIT32, false); // 0xfffff
    const r = alloc_iova(d, 5, LIMIT32, true)!;
    expect(r.pfn_lo % 8).to.equal(0);
    expect(r.pfn_hi - r.pfn_lo + 1).to.equal(5);
    expect(r.pfn_lo).to.equal(0xffff8); // below 0xfffff: 0xfffff − 5 = 0xffffa, rounded down to 8
  });

  it('respects the limit', () => {
    const d = domain();
    const r = alloc_iova(d, 4, 0x1234, true)!;
    expect(r.pfn_hi).to.be.at.most(0x1234);
    expect(r.pfn_lo).to.equal(0x1230);
  });

  it('never hands out pfn 0 and returns null when exhausted', () => {
    const d = domain(1);
    const got: number[] = [];
    for (let r = alloc_iova(d, 1, 7, false); r !== null; r = alloc_iova(d, 1, 7, false)) got.push(r.pfn_lo);
    expect(got).to.deep.equal([7, 6, 5, 4, 3, 2, 1]);
    expect(alloc_iova(d, 1, 7, false)).to.equal(null);
  });

  it('finds a gap left by a free below the cached node', () => {
    const d = domain();
    const a = alloc_iova(d, 1, 15, false)!;
    const b = alloc_iova(d, 1, 15, false)!;
    alloc_iova(d, 1, 15, false);
    __free_iova(d, b);
    expect(alloc_iova(d, 1, 15, false)!.pfn_lo).to.equal(b.pfn_lo);
    free_iova(d, a.pfn_lo);
    expect(alloc_iova(d, 1, 15, false)!.pfn_lo).to.equal(a.pfn_lo);
  });
});

describe('find_iova / free_iova', () => {
  it('finds the range containing a pfn and frees it', () => {
    const d = domain();
    const r = alloc_iova(d, 4, LIMIT32, true)!;
    expect(find_iova(d, r.pfn_lo + 2)).to.deep.equal(r);
    expect(find_iova(d, r.pfn_lo - 1)).to.equal(null);
    free_iova(d, r.pfn_lo + 3);
    expect(find_iova(d, r.pfn_lo)).to.equal(null);
    free_iova(d, r.pfn_lo); // nothing there: a no-op
    expect(iovaDomainRanges(d)).to.deep.equal([]);
  });
});

describe('reserve_iova', () => {
  it('keeps reserved pfns out of allocations', () => {
    const d = domain();
    reserve_iova(d, 4, 6);
    const got: number[] = [];
    for (let r = alloc_iova(d, 1, 8, false); r !== null; r = alloc_iova(d, 1, 8, false)) got.push(r.pfn_lo);
    expect(got).to.deep.equal([8, 7, 3, 2, 1]);
  });

  it('merges an overlapping reservation into the existing range and inserts the rest', () => {
    const d = domain();
    reserve_iova(d, 10, 20);
    const r = reserve_iova(d, 5, 25)!;
    expect([r.pfn_lo, r.pfn_hi]).to.deep.equal([21, 25]);
    expect(iovaDomainRanges(d)).to.deep.equal([[5, 20], [21, 25]]);
    expect(reserve_iova(d, 12, 14)).to.deep.equal(new iova(5, 20)); // already covered
  });

  it('WARNs (strict mode: throws) on a pfn beyond 64 bits', () => {
    expect(() => reserve_iova(domain(), 0, 2 ** 60)).to.throw().that.satisfies(isKernelBug);
  });
});

describe('alloc_iova_fast / free_iova_fast (the rcache)', () => {
  it('rounds cacheable sizes up to a power of two', () => {
    const d = domain();
    const pfn = alloc_iova_fast(d, 3, LIMIT32, true);
    const r = find_iova(d, pfn)!;
    expect(r.pfn_hi - r.pfn_lo + 1).to.equal(4);
    expect(pfn % 4).to.equal(0);
    // 33 granules is above 2^(IOVA_RANGE_CACHE_MAX_SIZE−1): not rounded
    const big = find_iova(d, alloc_iova_fast(d, 33, LIMIT32, true))!;
    expect(big.pfn_hi - big.pfn_lo + 1).to.equal(33);
    expect(big.pfn_lo % 64).to.equal(0);
  });

  it('hands a freed range straight back, keeping it allocated in the tree meanwhile', () => {
    const d = domain();
    const a = alloc_iova_fast(d, 2, LIMIT32, true);
    const b = alloc_iova_fast(d, 2, LIMIT32, true);
    free_iova_fast(d, a, 2);
    expect(iovaRcacheDepth(d, 1)).to.equal(1);
    expect(find_iova(d, a)).to.not.equal(null);
    expect(alloc_iova_fast(d, 2, LIMIT32, true)).to.equal(a);
    expect(iovaRcacheDepth(d, 1)).to.equal(0);
    expect(b).to.not.equal(a);
  });

  it('does not return a cached range above the limit', () => {
    const d = domain();
    const high = alloc_iova_fast(d, 1, 0xfffffff, true);
    free_iova_fast(d, high, 1);
    const low = alloc_iova_fast(d, 1, LIMIT32, true);
    expect(low).to.be.at.most(LIMIT32);
    expect(iovaRcacheDepth(d, 0)).to.equal(1);
  });

  it('frees ranges too big for the cache to the tree', () => {
    const d = domain();
    const pfn = alloc_iova_fast(d, 64, LIMIT32, true);
    free_iova_fast(d, pfn, 64);
    expect(find_iova(d, pfn)).to.equal(null);
  });

  it('returns 0 when exhausted, after flushing the cache when asked', () => {
    const d = domain();
    const got: number[] = [];
    for (let p = alloc_iova_fast(d, 1, 7, false); p !== 0; p = alloc_iova_fast(d, 1, 7, false)) got.push(p);
    expect(got).to.have.length(7);
    expect(got).to.not.include(0);
    free_iova_fast(d, got[0]!, 1); // 7 goes to the rcache
    expect(alloc_iova_fast(d, 2, 7, false)).to.equal(0);
    // flush_rcache: the cached 7 goes back to the tree; still no 2-aligned pair free
    expect(alloc_iova_fast(d, 2, 7, true)).to.equal(0);
    expect(iovaRcacheDepth(d, 0)).to.equal(0);
    expect(alloc_iova_fast(d, 1, 7, true)).to.equal(7);
  });

  it('bounds each order at (2 + depot) magazines, giving the loaded one back to the tree when full', () => {
    const d = domain();
    const depth = (2 + IOVA_DEPOT_MAX_MAGS) * IOVA_MAG_SIZE;
    const pfns: number[] = [];
    for (let i = 0; i <= depth; i++) pfns.push(alloc_iova_fast(d, 1, 0xffffff, true));
    for (const p of pfns) free_iova_fast(d, p, 1);
    expect(iovaRcacheDepth(d, 0)).to.equal(depth - IOVA_MAG_SIZE + 1);
    expect(iovaDomainRanges(d).length).to.equal(depth - IOVA_MAG_SIZE + 1);
    free_cpu_cached_iovas(d);
    expect(iovaDomainRanges(d)).to.deep.equal([]);
    expect(IOVA_RANGE_CACHE_MAX_SIZE).to.equal(6);
  });
});

describe('iova allocator invariants (property)', () => {
  it('never overlaps, never goes below start_pfn or above the limit, and aligns when asked', () => {
    type Op = { kind: 'alloc'; size: number; limit: number; aligned: boolean; fast: boolean } | { kind: 'free'; pick: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('alloc' as const),
        size: fc.integer({ min: 1, max: 40 }),
        limit: fc.integer({ min: 1, max: 600 }),
        aligned: fc.boolean(),
        fast: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 8 }), (ops, start) => {
        const d = domain(start);
        const live: Array<{ pfn: number; size: number; fast: boolean }> = [];
        for (const o of ops) {
          if (o.kind === 'alloc') {
            if (o.fast) {
              const pfn = alloc_iova_fast(d, o.size, o.limit, true);
              if (pfn === 0) continue;
              const eff = o.size < 32 ? 2 ** Math.ceil(Math.log2(o.size)) : o.size;
              expect(pfn % 2 ** Math.ceil(Math.log2(eff))).to.equal(0);
              expect(pfn + eff - 1).to.be.at.most(o.limit);
              expect(pfn).to.be.at.least(start);
              live.push({ pfn, size: o.size, fast: true });
            } else {
              const r = alloc_iova(d, o.size, o.limit, o.aligned);
              if (r === null) continue;
              expect(r.pfn_hi).to.be.at.most(o.limit);
              expect(r.pfn_lo).to.be.at.least(start);
              if (o.aligned) expect(r.pfn_lo % 2 ** Math.ceil(Math.log2(o.size))).to.equal(0);
              live.push({ pfn: r.pfn_lo, size: o.size, fast: false });
            }
          } else if (live.length) {
            const [v] = live.splice(o.pick % live.length, 1);
            if (v!.fast) free_iova_fast(d, v!.pfn, v!.size);
            else free_iova(d, v!.pfn);
          }
          const ranges = iovaDomainRanges(d);
          for (let i = 0; i < ranges.length; i++) {
            expect(ranges[i]![0]).to.be.at.most(ranges[i]![1]);
            expect(ranges[i]![0]).to.be.at.least(1);
            if (i > 0) expect(ranges[i]![0]).to.be.greaterThan(ranges[i - 1]![1]);
          }
          for (const v of live) expect(find_iova(d, v.pfn)?.pfn_lo).to.equal(v.pfn);
        }
      }),
      { seed: fcSeed(0x10ba), numRuns: 150 },
    );
  });
});
