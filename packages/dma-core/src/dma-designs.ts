/**
 * dma-designs - one bio_vec array, three DMA-API designs: `sg`, `bvec` and `iova`.
 *
 * Emulator-only. The question of the Oct 2023 "[PATCH RFC 0/9] Exploring biovec support in (R)DMA
 * API" thread (KERNEL.md §0) — should the DMA API take scatterlists, bio_vec arrays, or physical
 * ranges? — is answered here by running the same bio_vec array through each and counting:
 *
 *   sg    bio_vec → scatterlist (sg_set_page per entry, as xprtrdma's frwr_map and svcrdma did)
 *         → dma_map_sgtable; on an IOMMU, iommu_dma_map_sg merges into fewer DMA segments.
 *   bvec  dma_map_bvecs_attrs (the RFC, patches 5/9–8/9): DMA results stored in the bio_vecs.
 *   iova  the 2025 two-step API: dma_iova_try_alloc for the whole transfer, dma_iova_link per
 *         bio_vec, one dma_iova_sync → one contiguous DMA range. Without an IOMMU (or when the
 *         bio_vecs are not mergeable: an interior entry that does not start or end on the merge
 *         boundary) it falls back to dma_map_phys per bio_vec, as rdma_rw_ctx_init_bvec does.
 *
 * Each returns the DMA segments a device would be given (addresses and lengths) and an `unmap()`
 * that undoes it with the matching API. The per-design costs (segments, IOVA allocations, PTEs,
 * IOTLB flushes, bounce bytes) land in `dev.stats.family[...]`.
 */
import { KernelError, errnoName } from '@rdmaemu/sim-core';
import { bvec_phys, type bio_vec } from './bvec.js';
import type { device } from './device.js';
import type { dma_data_direction } from './dma-mapping.h.js';
import {
  __dma_map_bvecs_attrs, dma_map_phys, dma_map_sgtable, dma_mapping_error, dma_unmap_bvecs_attrs, dma_unmap_phys,
  dma_unmap_sgtable,
} from './dma-mapping.js';
import {
  dma_get_merge_boundary, dma_iova_destroy, dma_iova_link, dma_iova_state, dma_iova_sync, dma_iova_try_alloc,
} from './dma-iommu.js';
import { for_each_sgtable_dma_sg, sg_dma_address, sg_dma_len, sg_free_table, sgTableFromBvecs } from './scatterlist.js';

/** The three designs compared by `--dma`. */
export type DmaDesign = 'sg' | 'bvec' | 'iova';
export const DMA_DESIGNS: readonly DmaDesign[] = ['sg', 'bvec', 'iova'];

/** DmaDesignMapping - what a device is given, and how to take it back. */
export interface DmaDesignMapping {
  readonly design: DmaDesign;
  /** The path actually used: the iova design degrades to `phys` without an IOMMU. */
  readonly path: 'sg' | 'bvec' | 'iova' | 'phys';
  /** DMA address of each segment the device sees. */
  readonly dma_addr: number[];
  /** Length of each segment. */
  readonly dma_len: number[];
  /** Undo the mapping with the API that made it (idempotent). */
  unmap(): void;
}

/**
 * dmaMapBvecs - map `bvecs[0..nents)` for `dev` through one design.
 *
 * @returns the segments and an unmap function
 * @throws KernelError with the mapping's errno (ENOMEM, EINVAL, EIO) when the mapping fails; nothing stays mapped
 * @example
 * ```ts
 * const m = dmaMapBvecs(dev, 'iova', bvecs, bvecs.length, DMA_TO_DEVICE);
 * // m.dma_addr.length === 1 on an IOMMU
 * m.unmap();
 * ```
 */
export function dmaMapBvecs(dev: device, design: DmaDesign, bvecs: bio_vec[], nents: number, dir: dma_data_direction, attrs = 0): DmaDesignMapping {
  switch (design) {
    case 'sg':
      return mapSg(dev, bvecs, nents, dir, attrs);
    case 'bvec':
      return mapBvec(dev, bvecs, nents, dir, attrs);
    case 'iova':
      return iovaMergeable(dev, bvecs, nents) ? mapIova(dev, bvecs, nents, dir, attrs) : mapPhys(dev, bvecs, nents, dir, attrs);
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function mapSg(dev: device, bvecs: bio_vec[], nents: number, dir: dma_data_direction, attrs: number): DmaDesignMapping {
  const sgt = sgTableFromBvecs(bvecs, nents);
  const ret = dma_map_sgtable(dev, sgt, dir, attrs);
  if (ret < 0) {
    sg_free_table(sgt);
    throw new KernelError(errnoCode(ret), `${dev.name}: dma_map_sgtable of ${nents} entries failed`);
  }
  const dma_addr: number[] = [];
  const dma_len: number[] = [];
  for (const sg of for_each_sgtable_dma_sg(sgt)) {
    dma_addr.push(sg_dma_address(sg));
    dma_len.push(sg_dma_len(sg));
  }
  return {
    design: 'sg', path: 'sg', dma_addr, dma_len,
    unmap: once(() => {
      dma_unmap_sgtable(dev, sgt, dir, attrs);
      sg_free_table(sgt);
    }),
  };
}

function mapBvec(dev: device, bvecs: bio_vec[], nents: number, dir: dma_data_direction, attrs: number): DmaDesignMapping {
  // __dma_map_bvecs_attrs, not dma_map_bvecs_attrs: the latter returns 0 for every error and
  // would lose the errno (-ENOMEM for exhausted IOVA space became EIO).
  const count = __dma_map_bvecs_attrs(dev, bvecs, nents, dir, attrs);
  if (count <= 0) throw new KernelError(count < 0 ? errnoCode(count) : 'EIO', `${dev.name}: dma_map_bvecs_attrs of ${nents} entries failed`);
  const dma_addr: number[] = [];
  const dma_len: number[] = [];
  for (let i = 0; i < count; i++) {
    dma_addr.push(bvecs[i]!.bv_dma_address);
    dma_len.push(bvecs[i]!.bv_dma_length);
  }
  return { design: 'bvec', path: 'bvec', dma_addr, dma_len, unmap: once(() => dma_unmap_bvecs_attrs(dev, bvecs, nents, dir, attrs)) };
}

/**
 * The IOVA path links every bio_vec into one range: all but the first must start on the merge
 * boundary and all but the last must end on it (dma_iova_link's documented contract).
 */
function iovaMergeable(dev: device, bvecs: bio_vec[], nents: number): boolean {
  const boundary = dma_get_merge_boundary(dev);
  if (boundary === 0) return false;
  const gran = boundary + 1;
  for (let i = 0; i < nents; i++) {
    const phys = bvec_phys(bvecs[i]!);
    if (i > 0 && phys % gran !== 0) return false;
    if (i < nents - 1 && (phys + bvecs[i]!.bv_len) % gran !== 0) return false;
  }
  return true;
}

function mapIova(dev: device, bvecs: bio_vec[], nents: number, dir: dma_data_direction, attrs: number): DmaDesignMapping {
  let total = 0;
  for (let i = 0; i < nents; i++) total += bvecs[i]!.bv_len;
  const state = new dma_iova_state();
  if (!dma_iova_try_alloc(dev, state, bvec_phys(bvecs[0]!), total)) return mapPhys(dev, bvecs, nents, dir, attrs);
  let mapped = 0;
  for (let i = 0; i < nents; i++) {
    const bv = bvecs[i]!;
    const ret = dma_iova_link(dev, state, bvec_phys(bv), mapped, bv.bv_len, dir, attrs);
    if (ret < 0) {
      dma_iova_destroy(dev, state, mapped, dir, attrs);
      throw new KernelError(errnoCode(ret), `${dev.name}: dma_iova_link of entry ${i} failed`);
    }
    mapped += bv.bv_len;
  }
  const ret = dma_iova_sync(dev, state, 0, total);
  if (ret < 0) {
    dma_iova_destroy(dev, state, total, dir, attrs);
    throw new KernelError(errnoCode(ret), `${dev.name}: dma_iova_sync failed`);
  }
  return { design: 'iova', path: 'iova', dma_addr: [state.addr], dma_len: [total], unmap: once(() => dma_iova_destroy(dev, state, total, dir, attrs)) };
}

function mapPhys(dev: device, bvecs: bio_vec[], nents: number, dir: dma_data_direction, attrs: number): DmaDesignMapping {
  const dma_addr: number[] = [];
  const dma_len: number[] = [];
  const undo = () => {
    for (let i = 0; i < dma_addr.length; i++) dma_unmap_phys(dev, dma_addr[i]!, dma_len[i]!, dir, attrs);
  };
  for (let i = 0; i < nents; i++) {
    const bv = bvecs[i]!;
    const addr = dma_map_phys(dev, bvec_phys(bv), bv.bv_len, dir, attrs);
    if (dma_mapping_error(dev, addr)) {
      undo();
      throw new KernelError('ENOMEM', `${dev.name}: dma_map_phys of entry ${i} failed`);
    }
    dma_addr.push(addr);
    dma_len.push(bv.bv_len);
  }
  return { design: 'iova', path: 'phys', dma_addr, dma_len, unmap: once(undo) };
}

function errnoCode(ret: number) {
  return errnoName(ret) ?? 'EIO';
}
