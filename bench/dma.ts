/**
 * bench/dma - map + unmap cost of the three DMA-API designs, direct and behind an IOMMU.
 *
 * For bio_vec arrays of 1, 16 and 256 entries, made of 4 KiB pages or of 64 KiB folios (pages
 * shuffled with a fixed seed, as a page cache hands them out), each design (`sg`, `bvec`, `iova`,
 * see dma-designs.ts) maps and unmaps the array for a device on a host with the IOMMU off, strict
 * or lazy. Reported per case: operations/s, pages/s, and per operation the DMA segments handed to
 * the device, IOVA allocations, PTEs written, IOTLB flushes. The baseline, measured in the same
 * run, is a plain memcpy of the same bytes (`copy×`: how many such copies fit in one map+unmap).
 * dma-debug is off, as in a production kernel.
 *
 * Usage: npm run bench -- dma [--json] [--ms 300]
 */
import {
  DMA_DESIGNS, DMA_TO_DEVICE, PAGE_SIZE, bio_vec, createDmaHost, diffDmaStats, dmaMapBvecs, folio_alloc, folio_size,
  alloc_pages, type DmaDesign, type IommuMode, type device,
} from '@rdmaemu/dma-core';
import { SeededRandom } from '@rdmaemu/sim-core';
import { printReport, timeIt } from './_report.js';

interface Case { iommu: IommuMode; entries: number; unit: '4K' | '64K'; design: DmaDesign }

function buildBvecs(dev: device, entries: number, unit: '4K' | '64K', rng: SeededRandom): bio_vec[] {
  const out: bio_vec[] = [];
  for (let i = 0; i < entries; i++) {
    if (unit === '4K') {
      const pg = alloc_pages(dev.mem, 0);
      if (!pg) throw new Error('bench: out of memory');
      out.push(new bio_vec(pg, PAGE_SIZE, 0));
    } else {
      const f = folio_alloc(dev.mem, 4);
      if (!f) throw new Error('bench: out of memory');
      out.push(new bio_vec(f.page, folio_size(f), 0));
    }
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const msArg = argv.indexOf('--ms');
  const ms = msArg >= 0 ? Number(argv[msArg + 1]) : 300;
  const rows: Record<string, string | number>[] = [];
  const cases: Case[] = [];
  for (const iommu of ['off', 'strict', 'lazy'] as IommuMode[]) {
    for (const unit of ['4K', '64K'] as const) {
      for (const entries of [1, 16, 256]) {
        for (const design of DMA_DESIGNS) cases.push({ iommu, entries, unit, design });
      }
    }
  }
  const memcpyRate = new Map<number, number>();
  for (const c of cases) {
    const host = createDmaHost({ name: 'bench', memory: '256M', iommu: c.iommu, dmaDebug: false });
    const dev = host.addDevice({ name: '0000:01:00.0', driver: 'bench' });
    const bvecs = buildBvecs(dev, c.entries, c.unit, new SeededRandom(1));
    const bytes = bvecs.reduce((n, bv) => n + bv.bv_len, 0);
    const pages = bytes / PAGE_SIZE;
    if (!memcpyRate.has(bytes)) {
      const src = new Uint8Array(bytes);
      const dst = new Uint8Array(bytes);
      memcpyRate.set(bytes, timeIt(() => dst.set(src), ms).opsPerSec);
    }
    const before = dev.stats.snapshot().total;
    const t = timeIt(() => dmaMapBvecs(dev, c.design, bvecs, bvecs.length, DMA_TO_DEVICE).unmap(), ms);
    const d = diffDmaStats(dev.stats.total, before);
    const per = (n: number) => n / t.calls;
    rows.push({
      iommu: c.iommu, unit: c.unit, entries: c.entries, design: c.design,
      'ops/s': Math.round(t.opsPerSec),
      'pages/s': Math.round(t.opsPerSec * pages),
      'segs/op': per(d.segs_out),
      'iova/op': per(d.iova_allocs),
      'ptes/op': per(d.ptes_written),
      'flush/op': per(d.iotlb_flushes),
      'copy×': memcpyRate.get(bytes)! / t.opsPerSec,
    });
  }
  printReport({
    suite: 'dma',
    title: 'DMA map+unmap of one bio_vec array: sg vs bvec vs iova, IOMMU off / strict / lazy',
    columns: ['iommu', 'unit', 'entries', 'design', 'ops/s', 'pages/s', 'segs/op', 'iova/op', 'ptes/op', 'flush/op', 'copy×'],
    rows,
    baseline: Object.fromEntries([...memcpyRate].map(([b, r]) => [`memcpy ${b} B ops/s`, Math.round(r)])),
    notes: ['copy× = how many plain memcpys of the same bytes take as long as one map+unmap.'],
  }, json);
}
