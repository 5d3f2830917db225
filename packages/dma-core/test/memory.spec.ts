import { expect } from 'chai';
import { isKernelError } from '@rdmaemu/sim-core';
import {
  MAX_PAGE_ORDER, PAGE_ALIGN, PAGE_SHIFT, PAGE_SIZE, PFN_DOWN, PFN_PHYS, PFN_UP, PageBuddy, PageCompound, PageHead,
  PageReserved, PageTail, PhysicalMemory, compound_head, folio_address, folio_nr_pages, folio_order, folio_page,
  folio_phys, folio_pfn, folio_size, get_order, nth_page, offset_in_page, page_address, page_folio, page_ref_count,
  page_to_pfn, page_to_phys, parseSize, pfn_to_page, pfn_valid, phys_to_page, phys_to_virt, virt_addr_valid,
  virt_to_page, virt_to_phys,
} from '../src/memory.js';
import { alloc_pages, folio_alloc } from '../src/page_alloc.js';
import { expectErrno } from './_support.js';

describe('memory', () => {
  describe('parseSize', () => {
    it('accepts numbers and K/M/G suffixes (binary)', () => {
      expect(parseSize(8192)).to.equal(8192);
      expect(parseSize('4K')).to.equal(4096);
      expect(parseSize('256M')).to.equal(256 * 2 ** 20);
      expect(parseSize('1G')).to.equal(2 ** 30);
      expect(parseSize('2MiB')).to.equal(2 * 2 ** 20);
    });

    it('rejects an unparsable size with EINVAL', () => {
      expectErrno(() => parseSize('lots'), 'EINVAL');
    });
  });

  describe('PhysicalMemory', () => {
    it('derives pfns from base and size', () => {
      const mem = new PhysicalMemory({ size: '4M', base: 16 * PAGE_SIZE });
      expect([mem.nr_pages, mem.start_pfn, mem.end_pfn]).to.deep.equal([1024, 16, 1040]);
      expect(mem.bytes.length).to.equal(4 * 2 ** 20);
    });

    it('reserves the first 1 MiB as kernel text/rodata by default', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      expect(mem.reserved_pages).to.equal(256);
      expect(PageReserved(pfn_to_page(mem, 255))).to.equal(true);
      expect(PageReserved(pfn_to_page(mem, 256))).to.equal(false);
      expect(page_ref_count(pfn_to_page(mem, 0))).to.equal(1);
      expect(mem.free_pages_count).to.equal(1024 - 256);
    });

    it('rejects a size that is not a positive multiple of PAGE_SIZE, and a misaligned base', () => {
      expectErrno(() => new PhysicalMemory({ size: 1000 }), 'EINVAL');
      expectErrno(() => new PhysicalMemory({ size: 0 }), 'EINVAL');
      expectErrno(() => new PhysicalMemory({ size: '1M', base: 100 }), 'EINVAL');
      expectErrno(() => new PhysicalMemory({ size: '1M', base: -PAGE_SIZE }), 'EINVAL');
    });

    it('view() returns a no-copy view and rejects ranges outside RAM with EFAULT', () => {
      const mem = new PhysicalMemory({ size: '2M', base: 2 ** 20 });
      const v = mem.view(2 ** 20 + 10, 5);
      v[0] = 42;
      expect(mem.bytes[10]).to.equal(42);
      expect(mem.contains(2 ** 20, 2 ** 21)).to.equal(true);
      expect(mem.contains(2 ** 20, 2 ** 21 + 1)).to.equal(false);
      expectErrno(() => mem.view(0, 1), 'EFAULT');
      expectErrno(() => mem.view(3 * 2 ** 20 - 1, 2), 'EFAULT');
    });
  });

  describe('pfn_to_page', () => {
    it('returns the same handle for the same pfn', () => {
      const mem = new PhysicalMemory({ size: '2M' });
      expect(pfn_to_page(mem, 300)).to.equal(pfn_to_page(mem, 300));
      expect(phys_to_page(mem, 300 * PAGE_SIZE + 17)).to.equal(pfn_to_page(mem, 300));
      expect(nth_page(pfn_to_page(mem, 300), 2)).to.equal(pfn_to_page(mem, 302));
      expect(page_to_pfn(pfn_to_page(mem, 300))).to.equal(300);
    });

    it('rejects a pfn outside RAM with EFAULT', () => {
      const mem = new PhysicalMemory({ size: '2M', base: 2 ** 30 });
      expect(pfn_valid(mem, 2 ** 30 / PAGE_SIZE)).to.equal(true);
      expect(pfn_valid(mem, 0)).to.equal(false);
      expectErrno(() => pfn_to_page(mem, 0), 'EFAULT');
      expectErrno(() => pfn_to_page(mem, mem.end_pfn), 'EFAULT');
      expectErrno(() => phys_to_page(mem, 2 ** 30 + 2 ** 21), 'EFAULT');
    });
  });

  describe('page_address / virt_to_phys', () => {
    it('round-trip through the direct map', () => {
      const mem = new PhysicalMemory({ size: '2M' });
      const pg = alloc_pages(mem, 0)!;
      const va = page_address(pg);
      expect(va.length).to.equal(PAGE_SIZE);
      expect(virt_to_phys(mem, va)).to.equal(page_to_phys(pg));
      expect(virt_to_phys(mem, va.subarray(123))).to.equal(page_to_phys(pg) + 123);
      expect(virt_to_page(mem, va.subarray(4095))).to.equal(pg);
      const v2 = phys_to_virt(mem, page_to_phys(pg) + 8, 16);
      v2.fill(9);
      expect(va[8]).to.equal(9);
      expect(va[24]).to.equal(0);
    });

    it('virt_to_phys rejects a buffer that is not a view of RAM with EFAULT', () => {
      const mem = new PhysicalMemory({ size: '2M' });
      const other = new PhysicalMemory({ size: '2M' });
      expect(virt_addr_valid(mem, new Uint8Array(4))).to.equal(false);
      expect(virt_addr_valid(mem, other.bytes)).to.equal(false);
      expect(virt_addr_valid(mem, mem.bytes.subarray(5))).to.equal(true);
      expectErrno(() => virt_to_phys(mem, new Uint8Array(4)), 'EFAULT');
      expectErrno(() => virt_to_phys(mem, other.bytes.subarray(0, 4)), 'EFAULT');
    });

    it('works for RAM based above 4 GiB', () => {
      const base = 0x2_4000_0000;
      const mem = new PhysicalMemory({ size: '8M', base });
      const pg = alloc_pages(mem, 3)!;
      const phys = page_to_phys(pg);
      expect(phys).to.be.greaterThanOrEqual(base);
      expect(phys % (8 * PAGE_SIZE)).to.equal(0);
      expect(pg.pfn).to.equal(phys / PAGE_SIZE);
      const va = page_address(nth_page(pg, 7));
      va[4095] = 0x5a;
      expect(virt_to_phys(mem, va)).to.equal(phys + 7 * PAGE_SIZE);
      expect(mem.view(phys + 8 * PAGE_SIZE - 1, 1)[0]).to.equal(0x5a);
      expect(phys_to_page(mem, phys + 7 * PAGE_SIZE + 5)).to.equal(nth_page(pg, 7));
    });
  });

  describe('pfn helpers', () => {
    it('PFN_DOWN, PFN_UP, PFN_PHYS, offset_in_page, PAGE_ALIGN, get_order', () => {
      expect(PAGE_SIZE).to.equal(2 ** PAGE_SHIFT);
      expect(PFN_DOWN(0x1_0000_0fff)).to.equal(0x10_0000);
      expect(PFN_UP(0x1_0000_0001)).to.equal(0x10_0001);
      expect(PFN_PHYS(0x10_0001)).to.equal(0x1_0000_1000);
      expect(offset_in_page(0x1_0000_0abc)).to.equal(0xabc);
      expect(PAGE_ALIGN(0x1_0000_0001)).to.equal(0x1_0000_1000);
      expect(PAGE_ALIGN(0x1_0000_1000)).to.equal(0x1_0000_1000);
      expect([get_order(1), get_order(PAGE_SIZE), get_order(PAGE_SIZE + 1), get_order(4 * 2 ** 20)]).to.deep.equal([0, 0, 1, MAX_PAGE_ORDER]);
    });
  });

  describe('folio', () => {
    it('page_folio of a tail page is its head folio, with the folio geometry', () => {
      const mem = new PhysicalMemory({ size: '4M', base: 2 ** 32 });
      const f = folio_alloc(mem, 3)!;
      const tail = folio_page(f, 5);
      expect(PageHead(f.page)).to.equal(true);
      expect(PageTail(tail)).to.equal(true);
      expect(PageCompound(tail)).to.equal(true);
      expect(compound_head(tail)).to.equal(f.page);
      expect(page_folio(tail)).to.equal(f);
      expect([folio_order(f), folio_nr_pages(f), folio_size(f)]).to.deep.equal([3, 8, 8 * PAGE_SIZE]);
      expect(folio_pfn(f)).to.equal(f.page.pfn);
      expect(folio_phys(f)).to.equal(page_to_phys(f.page));
      expect(folio_address(f).length).to.equal(8 * PAGE_SIZE);
      expect(virt_to_phys(mem, folio_address(f))).to.equal(folio_phys(f));
    });

    it('an order-0 page is its own folio of order 0', () => {
      const mem = new PhysicalMemory({ size: '2M' });
      const pg = alloc_pages(mem, 0)!;
      expect(page_folio(pg).page).to.equal(pg);
      expect(folio_order(page_folio(pg))).to.equal(0);
      expect(PageCompound(pg)).to.equal(false);
    });

    it('a free block head is PageBuddy', () => {
      const mem = new PhysicalMemory({ size: '2M' });
      expect(PageBuddy(pfn_to_page(mem, 256))).to.equal(true);
      expect(PageBuddy(pfn_to_page(mem, 257))).to.equal(false);
    });
  });
});
