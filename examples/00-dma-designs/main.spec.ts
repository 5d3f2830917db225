import { expect } from 'chai';
import type { Cell } from '@rdmaemu/sim-core';
import { run } from './main.js';

describe('example 00-dma-designs', () => {
  let rows: Record<string, Cell>[] = [];
  before(() => {
    rows = run(42);
  });

  it('moves identical bytes through every design on every machine', () => {
    expect(rows).to.have.length(12);
    for (const r of rows) expect(r['bytes ok'], `${r.machine}/${r.design}`).to.equal('yes');
  });

  it('hands the device one segment per bio_vec without an IOMMU, and one range with dma_iova_* behind it', () => {
    const get = (machine: string, design: string) => rows.find((r) => r.machine === machine && r.design === design)!;
    expect(get('direct', 'sg')['dma segs']).to.equal(24);
    expect(get('direct', 'iova').path).to.equal('phys');
    expect(get('iommu strict', 'iova')['dma segs']).to.equal(1);
    expect(get('iommu strict', 'iova')['iova allocs']).to.equal(1);
    expect(get('iommu strict', 'iova').ptes).to.equal(48);
  });

  it('bounces through swiotlb only on the 24-bit machine', () => {
    for (const r of rows) {
      if (r.machine === 'swiotlb') expect(r['bounced bytes'] as number).to.be.greaterThan(0);
      else expect(r['bounced bytes']).to.equal(0);
    }
  });
});
