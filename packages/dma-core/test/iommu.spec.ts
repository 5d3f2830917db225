/**
 * Tests for iommu.ts (drivers/iommu/iommu.c, include/linux/iommu.h): page tables, prot
 * enforcement on device access, the IOTLB's stale-entry window, caching mode, faults.
 */
import { expect } from 'chai';
import { Dmesg, SimClock, isKernelError, recordTrace } from '@rdmaemu/sim-core';
import { device } from '../src/device.js';
import {
  IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_UNMANAGED,
  IOMMU_FAULT_READ, IOMMU_FAULT_RECORDS, IOMMU_FAULT_WRITE, IOMMU_READ, IOMMU_WRITE, iommuPteProt, iommuTranslate,
  iommu_attach_device, iommu_detach_device, iommu_domain, iommu_domain_alloc, iommu_flush_iotlb_all,
  iommu_iotlb_gather, iommu_iotlb_sync, iommu_iova_to_phys, iommu_map, iommu_map_nosync, iommu_set_fault_handler,
  iommu_map_sg, iommu_sync_map, iommu_unmap, iommu_unmap_fast, report_iommu_fault, type IommuDomainInit,
} from '../src/iommu.js';
import { sg_init_table, sg_set_page } from '../src/scatterlist.js';
import { PAGE_SIZE, PhysicalMemory, page_to_phys } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';

interface Rig {
  mem: PhysicalMemory;
  log: Dmesg;
  dev: device;
  domain: iommu_domain;
  clock: SimClock | null;
}

function rig(type = IOMMU_DOMAIN_UNMANAGED, init: IommuDomainInit = {}, withClock = false): Rig {
  const mem = new PhysicalMemory({ size: '8M' });
  const log = new Dmesg();
  const clock = withClock ? new SimClock({ seed: 1, traceClock: false }) : null;
  const host = { name: 'h', mem, log, debug: null, clock };
  const dev = new device(host, { name: 'dev0' });
  const domain = iommu_domain_alloc(host, type, init);
  iommu_attach_device(domain, dev);
  return { mem, log, dev, domain, clock };
}

function page(mem: PhysicalMemory): number {
  return page_to_phys(alloc_pages(mem, 0)!);
}

const IOVA = 0x10_0000;

describe('iommu domain types', () => {
  it('have the kernel values (__IOMMU_DOMAIN_PAGING | DMA_API | PT | DMA_FQ bits)', () => {
    expect([IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_UNMANAGED, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ])
      .to.deep.equal([0, 4, 1, 3, 11]);
  });
});

describe('iommu_attach_device', () => {
  it('sets dev.iommu_domain, and dma_iommu only for DMA domains', () => {
    const r = rig(IOMMU_DOMAIN_DMA);
    expect(r.dev.iommu_domain).to.equal(r.domain);
    expect(r.dev.dma_iommu).to.equal(true);
    expect(r.domain.iova_cookie).to.not.equal(null);
    const u = rig(IOMMU_DOMAIN_UNMANAGED);
    expect(u.dev.dma_iommu).to.equal(false);
  });

  it('refuses a second device (EBUSY) and detach restores dma-direct', () => {
    const r = rig(IOMMU_DOMAIN_DMA);
    const other = new device(r.dev.host, { name: 'dev1' });
    expect(() => iommu_attach_device(r.domain, other)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EBUSY'));
    iommu_detach_device(r.domain, r.dev);
    expect(r.dev.iommu_domain).to.equal(null);
    expect(r.dev.dma_iommu).to.equal(false);
    expect(() => iommu_detach_device(r.domain, r.dev)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
  });
});

describe('iommu_map / iommu_unmap / iommu_iova_to_phys', () => {
  it('maps pages and translates with the offset inside the page', () => {
    const r = rig();
    const p = page(r.mem);
    iommu_map(r.domain, IOVA, p, PAGE_SIZE, IOMMU_READ);
    expect(iommu_iova_to_phys(r.domain, IOVA + 0x123)).to.equal(p + 0x123);
    expect(iommu_iova_to_phys(r.domain, IOVA + PAGE_SIZE)).to.equal(0);
    expect(iommuPteProt(r.domain, IOVA)).to.equal(IOMMU_READ);
    expect(r.dev.stats.total.ptes_written).to.equal(1);
    expect(iommu_unmap(r.domain, IOVA, PAGE_SIZE)).to.equal(PAGE_SIZE);
    expect(iommu_iova_to_phys(r.domain, IOVA)).to.equal(0);
    expect(r.dev.stats.total.ptes_cleared).to.equal(1);
  });

  it('throws EEXIST when a PTE is already present, removing the PTEs the call wrote', () => {
    const r = rig();
    const p = page_to_phys(alloc_pages(r.mem, 2)!);
    iommu_map(r.domain, IOVA + 2 * PAGE_SIZE, p, PAGE_SIZE, IOMMU_READ);
    expect(() => iommu_map(r.domain, IOVA, p, 4 * PAGE_SIZE, IOMMU_READ))
      .to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EEXIST'));
    expect(iommu_iova_to_phys(r.domain, IOVA)).to.equal(0);
    expect(iommu_iova_to_phys(r.domain, IOVA + PAGE_SIZE)).to.equal(0);
    expect(iommu_iova_to_phys(r.domain, IOVA + 2 * PAGE_SIZE)).to.equal(p);
    expect(r.domain.nr_ptes).to.equal(1);
  });

  it('throws EINVAL for misalignment (with the kernel\'s "unaligned" message), outside the aperture, or a non-paging domain', () => {
    const r = rig(IOMMU_DOMAIN_UNMANAGED, { aperture_end: 0xffff_ffff });
    const p = page(r.mem);
    const einval = (e: unknown): boolean => isKernelError(e, 'EINVAL');
    expect(() => iommu_map(r.domain, IOVA + 1, p, PAGE_SIZE, IOMMU_READ)).to.throw().that.satisfies(einval);
    expect(r.log.grep(/iommu: unaligned: iova 0x100001 pa 0x[0-9a-f]{16} size 0x1000 min_pagesz 0x1000/)).to.have.length(1);
    expect(() => iommu_map(r.domain, IOVA, p + 8, PAGE_SIZE, IOMMU_READ)).to.throw().that.satisfies(einval);
    expect(() => iommu_map(r.domain, IOVA, p, 100, IOMMU_READ)).to.throw().that.satisfies(einval);
    expect(() => iommu_map(r.domain, 0x1_0000_0000, p, PAGE_SIZE, IOMMU_READ)).to.throw().that.satisfies(einval);
    const ident = iommu_domain_alloc(r.dev.host, IOMMU_DOMAIN_IDENTITY);
    expect(() => iommu_map(ident, IOVA, p, PAGE_SIZE, IOMMU_READ)).to.throw().that.satisfies(einval);
    expect(iommu_iova_to_phys(ident, 0x1234)).to.equal(0x1234);
  });

  it('iommu_unmap stops at the first hole and returns the bytes unmapped', () => {
    const r = rig();
    const p = page_to_phys(alloc_pages(r.mem, 1)!);
    iommu_map(r.domain, IOVA, p, 2 * PAGE_SIZE, IOMMU_READ);
    expect(iommu_unmap(r.domain, IOVA, 4 * PAGE_SIZE)).to.equal(2 * PAGE_SIZE);
    expect(iommu_unmap(r.domain, IOVA, PAGE_SIZE)).to.equal(0);
    expect(iommu_unmap(r.domain, IOVA + 1, PAGE_SIZE)).to.equal(0);
    expect(r.log.grep('iommu: unaligned: iova 0x100001 size 0x1000')).to.have.length(1);
  });
});

describe('iommu_map_sg', () => {
  it('maps entries back to back, syncs once, and returns the bytes mapped', () => {
    const r = rig();
    const pg = alloc_pages(r.mem, 2)!;
    const p = page_to_phys(pg);
    const sgl = sg_init_table(3);
    sg_set_page(sgl[0]!, pg, PAGE_SIZE, 0);
    sg_set_page(sgl[1]!, pg, PAGE_SIZE, PAGE_SIZE); // contiguous with [0]
    sg_set_page(sgl[2]!, pg, PAGE_SIZE, 3 * PAGE_SIZE);
    const flushes = r.dev.stats.total.iotlb_flushes;
    expect(iommu_map_sg(r.domain, IOVA, sgl, 3, IOMMU_READ)).to.equal(3 * PAGE_SIZE);
    expect(r.dev.stats.total.iotlb_flushes).to.equal(flushes + 1);
    expect(iommuTranslate(r.dev, IOVA, 3 * PAGE_SIZE, false)).to.deep.equal([p, 2 * PAGE_SIZE, p + 3 * PAGE_SIZE, PAGE_SIZE]);
  });

  it('returns -EEXIST and undoes its PTEs when a page is already mapped', () => {
    const r = rig();
    const pg = alloc_pages(r.mem, 1)!;
    iommu_map(r.domain, IOVA + PAGE_SIZE, page_to_phys(pg), PAGE_SIZE, IOMMU_READ);
    const sgl = sg_init_table(2);
    sg_set_page(sgl[0]!, pg, PAGE_SIZE, 0);
    sg_set_page(sgl[1]!, pg, PAGE_SIZE, PAGE_SIZE);
    expect(iommu_map_sg(r.domain, IOVA, sgl, 2, IOMMU_READ)).to.equal(-17);
    expect(r.domain.nr_ptes).to.equal(1);
  });
});

describe('iommuTranslate', () => {
  it('returns coalesced physical runs for contiguous pages and splits discontiguous ones', () => {
    const r = rig();
    const p = page_to_phys(alloc_pages(r.mem, 2)!);
    const q = p + 3 * PAGE_SIZE; // not adjacent to p + 2 pages
    iommu_map(r.domain, IOVA, p, 2 * PAGE_SIZE, IOMMU_READ | IOMMU_WRITE);
    iommu_map(r.domain, IOVA + 2 * PAGE_SIZE, q, PAGE_SIZE, IOMMU_READ);
    const out: number[] = [];
    expect(iommuTranslate(r.dev, IOVA + 100, 2 * PAGE_SIZE + 50, false, out)).to.equal(out);
    expect(out).to.deep.equal([p + 100, 2 * PAGE_SIZE - 100, q, 150]);
    expect(iommuTranslate(r.dev, IOVA, 0, false)).to.deep.equal([]);
  });

  it('faults a device write to an IOMMU_READ-only (DMA_TO_DEVICE) page: recorded, counted, logged DMAR-style', () => {
    const r = rig();
    const p = page(r.mem);
    iommu_map(r.domain, IOVA, p, PAGE_SIZE, IOMMU_READ);
    expect(iommuTranslate(r.dev, IOVA + 8, 4, false)).to.deep.equal([p + 8, 4]);
    expect(iommuTranslate(r.dev, IOVA + 8, 4, true)).to.equal(null);
    expect(r.domain.faults).to.have.length(1);
    expect(r.domain.faults[0]).to.deep.include({ dev: r.dev, iova: IOVA + 8, flags: IOMMU_FAULT_WRITE, reason: 'PTE Write access is not set' });
    expect(r.dev.stats.total.faults).to.equal(1);
    expect(r.log.grep('DMAR: [DMA Write NO_PASID] Request device [dev0] fault addr 0x100008 [fault reason 0x05] PTE Write access is not set'))
      .to.have.length(1);
  });

  it('faults a device read of an IOMMU_WRITE-only page and of an unmapped page (reason 0x06)', () => {
    const r = rig();
    const p = page(r.mem);
    iommu_map(r.domain, IOVA, p, PAGE_SIZE, IOMMU_WRITE);
    expect(iommuTranslate(r.dev, IOVA, 16, true)).to.deep.equal([p, 16]);
    expect(iommuTranslate(r.dev, IOVA, 16, false)).to.equal(null);
    expect(iommuTranslate(r.dev, IOVA + PAGE_SIZE - 4, 8, true)).to.equal(null); // runs off the mapping
    expect(r.domain.faults.map((f) => [f.iova, f.flags])).to.deep.equal([[IOVA, IOMMU_FAULT_READ], [IOVA + PAGE_SIZE, IOMMU_FAULT_WRITE]]);
    expect(r.log.grep('[fault reason 0x06] PTE Read access is not set')).to.have.length(1);
  });

  it('passes through for a device without a domain or with an identity domain; blocks everything in a blocked domain', () => {
    const r = rig(IOMMU_DOMAIN_BLOCKED);
    expect(iommuTranslate(r.dev, IOVA, 8, false)).to.equal(null);
    const plain = new device(r.dev.host, { name: 'plain' });
    expect(iommuTranslate(plain, 0x5000, 8, true)).to.deep.equal([0x5000, 8]);
    const id = rig(IOMMU_DOMAIN_IDENTITY);
    expect(iommuTranslate(id.dev, 0x5000, 8, true)).to.deep.equal([0x5000, 8]);
  });

  it('keeps only the last IOMMU_FAULT_RECORDS faults but counts them all', () => {
    const r = rig();
    for (let i = 0; i < IOMMU_FAULT_RECORDS + 5; i++) iommuTranslate(r.dev, IOVA + i * PAGE_SIZE, 1, false);
    expect(r.domain.faults).to.have.length(IOMMU_FAULT_RECORDS);
    expect(r.domain.nr_faults).to.equal(IOMMU_FAULT_RECORDS + 5);
    expect(r.domain.faults[0]!.iova).to.equal(IOVA + 5 * PAGE_SIZE);
  });

  it('ratelimits the DMAR message like dmar_fault when the host has a clock (10 per 5 s)', () => {
    const r = rig(IOMMU_DOMAIN_UNMANAGED, {}, true);
    for (let i = 0; i < 15; i++) iommuTranslate(r.dev, IOVA, 1, false);
    expect(r.log.grep('DMAR:')).to.have.length(10);
    r.clock!.tick(5000);
    iommuTranslate(r.dev, IOVA, 1, false);
    expect(r.log.grep('dmar_fault: 5 callbacks suppressed')).to.have.length(1);
    expect(r.log.grep('DMAR:')).to.have.length(11);
    expect(r.domain.nr_faults).to.equal(16);
  });
});

describe('IOTLB (iommu_unmap_fast / iommu_iotlb_sync / iommu_flush_iotlb_all)', () => {
  it('lets a stale entry reach an unmapped page until the IOTLB is synced (the lazy-mode window)', () => {
    const r = rig();
    const p = page(r.mem);
    iommu_map(r.domain, IOVA, p, PAGE_SIZE, IOMMU_READ);
    expect(iommuTranslate(r.dev, IOVA, 8, false)).to.deep.equal([p, 8]); // fills the IOTLB
    const gather = new iommu_iotlb_gather();
    expect(iommu_unmap_fast(r.domain, IOVA, PAGE_SIZE, gather)).to.equal(PAGE_SIZE);
    expect(iommu_iova_to_phys(r.domain, IOVA)).to.equal(0);
    expect(iommuTranslate(r.dev, IOVA, 8, false)).to.deep.equal([p, 8]); // stale, still works
    iommu_iotlb_sync(r.domain, gather);
    expect(iommuTranslate(r.dev, IOVA, 8, false)).to.equal(null);
    expect(gather.start).to.equal(Number.POSITIVE_INFINITY); // re-initialised
  });

  it('faults at once after iommu_unmap (strict: unmap + sync)', () => {
    const r = rig();
    const p = page(r.mem);
    iommu_map(r.domain, IOVA, p, PAGE_SIZE, IOMMU_READ);
    iommuTranslate(r.dev, IOVA, 8, false);
    const before = r.dev.stats.total.iotlb_flushes;
    iommu_unmap(r.domain, IOVA, PAGE_SIZE);
    expect(r.dev.stats.total.iotlb_flushes).to.equal(before + 1);
    expect(iommuTranslate(r.dev, IOVA, 8, false)).to.equal(null);
  });

  it('iommu_flush_iotlb_all drops every cached translation', () => {
    const r = rig();
    const p = page_to_phys(alloc_pages(r.mem, 1)!);
    iommu_map(r.domain, IOVA, p, 2 * PAGE_SIZE, IOMMU_READ);
    iommuTranslate(r.dev, IOVA, 2 * PAGE_SIZE, false);
    iommu_unmap_fast(r.domain, IOVA, 2 * PAGE_SIZE, new iommu_iotlb_gather());
    expect(iommuTranslate(r.dev, IOVA + PAGE_SIZE, 8, false)).to.deep.equal([p + PAGE_SIZE, 8]);
    iommu_flush_iotlb_all(r.domain);
    expect(iommuTranslate(r.dev, IOVA + PAGE_SIZE, 8, false)).to.equal(null);
  });
});

describe('iommu_map_nosync / iommu_sync_map (caching mode)', () => {
  it('keeps PTEs written without a sync invisible to the device until iommu_sync_map covers them', () => {
    const r = rig();
    const p = page_to_phys(alloc_pages(r.mem, 1)!);
    iommu_map_nosync(r.domain, IOVA, p, 2 * PAGE_SIZE, IOMMU_READ);
    expect(iommu_iova_to_phys(r.domain, IOVA)).to.equal(p); // the CPU sees the table
    expect(iommuTranslate(r.dev, IOVA, 8, false)).to.equal(null);
    iommu_sync_map(r.domain, IOVA, PAGE_SIZE);
    expect(iommuTranslate(r.dev, IOVA, 8, false)).to.deep.equal([p, 8]);
    expect(iommuTranslate(r.dev, IOVA + PAGE_SIZE, 8, false)).to.equal(null);
    iommu_sync_map(r.domain, IOVA, 2 * PAGE_SIZE);
    expect(iommuTranslate(r.dev, IOVA, 2 * PAGE_SIZE, false)).to.deep.equal([p, 2 * PAGE_SIZE]);
  });

  it('makes PTEs visible at once without caching mode', () => {
    const r = rig(IOMMU_DOMAIN_UNMANAGED, { caching_mode: false });
    const p = page(r.mem);
    iommu_map_nosync(r.domain, IOVA, p, PAGE_SIZE, IOMMU_READ);
    expect(iommuTranslate(r.dev, IOVA, 8, false)).to.deep.equal([p, 8]);
  });
});

describe('report_iommu_fault / iommu_set_fault_handler', () => {
  it('calls the handler with the domain, device, iova, flags and token; -ENOSYS without one', () => {
    const r = rig();
    expect(report_iommu_fault(r.domain, r.dev, 0x1000, IOMMU_FAULT_READ)).to.equal(-38);
    const seen: unknown[] = [];
    iommu_set_fault_handler(r.domain, (d, dev, iova, flags, token) => {
      seen.push([d, dev, iova, flags, token]);
      return 0;
    }, 'tok');
    iommuTranslate(r.dev, IOVA, 4, true);
    expect(seen).to.deep.equal([[r.domain, r.dev, IOVA, IOMMU_FAULT_WRITE, 'tok']]);
  });
});

describe('iommu tracepoints', () => {
  it('emit iommu:map, iommu:unmap and iommu:io_page_fault in the kernel format', () => {
    const r = rig();
    const p = page(r.mem);
    const rec = recordTrace('iommu:*');
    try {
      iommu_map(r.domain, IOVA, p, PAGE_SIZE, IOMMU_READ);
      iommu_unmap(r.domain, IOVA, PAGE_SIZE);
      iommuTranslate(r.dev, IOVA, 4, false);
    } finally {
      rec.stop();
    }
    const lines = rec.events.map((e) => e.text);
    expect(lines[0]).to.match(/ map: IOMMU/);
    expect(lines[0]!.endsWith(`map: IOMMU: iova=0x0000000000100000 - 0x0000000000101000 paddr=0x${p.toString(16).padStart(16, '0')} size=4096`)).to.equal(true);
    expect(lines[1]!.endsWith('unmap: IOMMU: iova=0x0000000000100000 - 0x0000000000101000 size=4096 unmapped_size=4096')).to.equal(true);
    expect(lines[2]!.endsWith('io_page_fault: IOMMU:rdmaemu dev0 iova=0x0000000000100000 flags=0x0000')).to.equal(true);
  });
});
