import { expect } from 'chai';
import {
  alloc_pages,
  page_address,
  page_to_phys,
  sg_init_table,
  sg_set_page,
  sg_dma_address,
  sg_table,
  sg_alloc_table,
  bio_vec,
  bvec_set_page,
  DMA_TO_DEVICE,
  DMA_FROM_DEVICE,
  DMA_MAPPING_ERROR,
  dmaDeviceRead,
  isDmaFault,
} from '@rdmaemu/dma-core';
import { createFakeDevice } from './_fake_provider.js';
import {
  ib_uses_virt_dma,
  ib_dma_map_single,
  ib_dma_unmap_single,
  ib_dma_mapping_error,
  ib_dma_map_page,
  ib_dma_unmap_page,
  ib_dma_map_sg,
  ib_dma_unmap_sg,
  ib_dma_map_sgtable_attrs,
  ib_dma_unmap_sgtable_attrs,
  ib_dma_map_bvec,
  ib_dma_unmap_bvec,
  ib_dma_sync_single_for_cpu,
  ib_dma_sync_single_for_device,
  ib_dma_max_seg_size,
} from '../../src/core/ib_dma.js';

describe('ib_dma_*', () => {
  it('maps against the HCA dma_device so the device side can read, and unmaps cleanly (dma-debug)', () => {
    const f = createFakeDevice();
    const pg = alloc_pages(f.host.mem, 0)!;
    const buf = page_address(pg).subarray(0, 64);
    buf.fill(0xab);
    expect(ib_uses_virt_dma(f.dev)).to.equal(false);
    const addr = ib_dma_map_single(f.dev, buf, 64, DMA_TO_DEVICE);
    expect(ib_dma_mapping_error(f.dev, addr)).to.equal(0);
    ib_dma_sync_single_for_device(f.dev, addr, 64, DMA_TO_DEVICE);
    const views = dmaDeviceRead(f.dev.dma_device, addr, 64);
    expect(isDmaFault(views)).to.equal(false);
    expect((views as Uint8Array[])[0]![0]).to.equal(0xab);
    ib_dma_sync_single_for_cpu(f.dev, addr, 64, DMA_TO_DEVICE);
    ib_dma_unmap_single(f.dev, addr, 64, DMA_TO_DEVICE);
    f.host.debug?.assertClean();
    expect(isDmaFault(dmaDeviceRead(f.dev.dma_device, addr, 64)), 'unmapped: dma-debug refuses').to.equal(true);
  });
  it('ib_dma_mapping_error flags DMA_MAPPING_ERROR', () => {
    const f = createFakeDevice();
    expect(ib_dma_mapping_error(f.dev, DMA_MAPPING_ERROR)).to.be.lessThan(0);
  });
  it('maps pages, sg lists, sg tables and bvecs', () => {
    const f = createFakeDevice();
    const pg = alloc_pages(f.host.mem, 1)!;
    const a = ib_dma_map_page(f.dev, pg, 128, 256, DMA_FROM_DEVICE);
    expect(ib_dma_mapping_error(f.dev, a)).to.equal(0);
    ib_dma_unmap_page(f.dev, a, 256, DMA_FROM_DEVICE);

    const sgl = sg_init_table(2);
    sg_set_page(sgl[0]!, pg, 4096, 0);
    const pg2 = alloc_pages(f.host.mem, 0)!;
    sg_set_page(sgl[1]!, pg2, 100, 0);
    const n = ib_dma_map_sg(f.dev, sgl, 2, DMA_TO_DEVICE);
    expect(n).to.equal(2);
    expect(sg_dma_address(sgl[0]!)).to.equal(page_to_phys(pg));
    ib_dma_unmap_sg(f.dev, sgl, 2, DMA_TO_DEVICE);

    const sgt = new sg_table();
    sg_alloc_table(sgt, 1);
    sg_set_page(sgt.sgl!, pg, 512, 0);
    expect(ib_dma_map_sgtable_attrs(f.dev, sgt, DMA_TO_DEVICE, 0)).to.equal(0);
    expect(sgt.nents).to.equal(1);
    ib_dma_unmap_sgtable_attrs(f.dev, sgt, DMA_TO_DEVICE, 0);

    const bv = new bio_vec(pg, 300, 10);
    bvec_set_page(bv, pg, 300, 10);
    const b = ib_dma_map_bvec(f.dev, bv, DMA_TO_DEVICE);
    expect(ib_dma_mapping_error(f.dev, b)).to.equal(0);
    expect(b).to.equal(page_to_phys(pg) + 10);
    ib_dma_unmap_bvec(f.dev, b, 300, DMA_TO_DEVICE);
    expect(ib_dma_max_seg_size(f.dev)).to.be.greaterThan(0);
    f.host.debug?.assertClean();
  });
});
