/**
 * ib_dma - the ULP DMA mapping wrappers: map memory for an RDMA device through dma-core against
 * the HCA's `struct device` (`dev.dma_device`), so IOMMU, swiotlb and dma-debug apply exactly as
 * for any other device.
 *
 * Kernel: include/rdma/ib_verbs.h (ib_dma_* inline wrappers, ib_uses_virt_dma), the Jan 2026
 * "RDMA/core: add bio_vec based RDMA read/write API" patch (ib_dma_map_bvec /
 * ib_dma_unmap_bvec) and the Oct 2023 RFC 9/9 (ib_dma_map_bvecs)
 *
 * Operation: each wrapper calls the dma-core API of the same shape with `dev.dma_device`.
 * Return conventions are dma-core's (a DMA address checked with ib_dma_mapping_error; a segment
 * count, 0 on failure; a 0 / negative errno for the sgtable form).
 *
 * Divergence: `ib_uses_virt_dma()` is always false. In Linux, rxe and siw are "virt DMA"
 * devices (the DMA address is a kernel VA, nothing is mapped); the emulated HCA instead reads and
 * writes memory only through the dma-core device side, so ULP mapping bugs show up as faults.
 */
import {
  dma_map_sg_attrs,
  dma_unmap_sg_attrs,
  dma_map_sgtable,
  dma_unmap_sgtable,
  dma_map_page_attrs,
  dma_unmap_page_attrs,
  dma_map_single_attrs,
  dma_unmap_single_attrs,
  dma_map_phys,
  dma_unmap_phys,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_sync_sg_for_cpu,
  dma_sync_sg_for_device,
  dma_map_bvecs_attrs,
  dma_unmap_bvecs_attrs,
  dma_get_max_seg_size,
  bvec_phys,
  sg_dma_address,
  sg_dma_len,
} from '@rdmaemu/dma-core';
import type { scatterlist, sg_table, page, bio_vec, dma_data_direction, SglRef } from '@rdmaemu/dma-core';
import type { dma_addr_t } from '@rdmaemu/sim-core';
import type { ib_device } from './device.js';

/**
 * ib_uses_virt_dma - true if the device takes kernel virtual addresses as DMA addresses.
 * Kernel: include/rdma/ib_verbs.h ib_uses_virt_dma()
 * Divergence: always false (see the file header).
 */
export function ib_uses_virt_dma(_dev: ib_device): boolean {
  return false;
}

/**
 * ib_dma_mapping_error - 0, or -ENOMEM if `dma_addr` is DMA_MAPPING_ERROR.
 * Kernel: include/rdma/ib_verbs.h ib_dma_mapping_error()
 */
export function ib_dma_mapping_error(dev: ib_device, dma_addr: dma_addr_t): number {
  return dma_mapping_error(dev.dma_device, dma_addr);
}

/**
 * ib_dma_map_single - map a kernel buffer (a view of host memory) for DMA.
 * Kernel: include/rdma/ib_verbs.h ib_dma_map_single()
 * @example
 * ```ts
 * const addr = ib_dma_map_single(dev, buf, buf.length, DMA_TO_DEVICE);
 * if (ib_dma_mapping_error(dev, addr)) return -errno.EIO;
 * ```
 */
export function ib_dma_map_single(dev: ib_device, cpu_addr: Uint8Array, size: number, direction: dma_data_direction): dma_addr_t {
  return dma_map_single_attrs(dev.dma_device, cpu_addr, size, direction, 0);
}

/** ib_dma_unmap_single - Kernel: include/rdma/ib_verbs.h */
export function ib_dma_unmap_single(dev: ib_device, addr: dma_addr_t, size: number, direction: dma_data_direction): void {
  dma_unmap_single_attrs(dev.dma_device, addr, size, direction, 0);
}

/** ib_dma_map_page - map (part of) a page. Kernel: include/rdma/ib_verbs.h */
export function ib_dma_map_page(dev: ib_device, pg: page, offset: number, size: number, direction: dma_data_direction): dma_addr_t {
  return dma_map_page_attrs(dev.dma_device, pg, offset, size, direction, 0);
}

/** ib_dma_unmap_page - Kernel: include/rdma/ib_verbs.h */
export function ib_dma_unmap_page(dev: ib_device, addr: dma_addr_t, size: number, direction: dma_data_direction): void {
  dma_unmap_page_attrs(dev.dma_device, addr, size, direction, 0);
}

/**
 * ib_dma_map_bvec - map one bio_vec (a physical range) with dma_map_phys.
 * Kernel: include/rdma/ib_verbs.h ib_dma_map_bvec() (Jan 2026 bvec RDMA rw API)
 * @returns the DMA address (check with ib_dma_mapping_error)
 */
export function ib_dma_map_bvec(dev: ib_device, bvec: bio_vec, direction: dma_data_direction): dma_addr_t {
  return dma_map_phys(dev.dma_device, bvec_phys(bvec), bvec.bv_len, direction, 0);
}

/** ib_dma_unmap_bvec - Kernel: include/rdma/ib_verbs.h ib_dma_unmap_bvec() */
export function ib_dma_unmap_bvec(dev: ib_device, addr: dma_addr_t, size: number, direction: dma_data_direction): void {
  dma_unmap_phys(dev.dma_device, addr, size, direction, 0);
}

/**
 * ib_dma_map_bvecs - map an array of bio_vecs (the RFC's dma_map_bvecs_attrs).
 * Kernel: Oct 2023 RFC 9/9 ib_dma_map_bvecs()
 * @returns the number of DMA segments, 0 on failure
 */
export function ib_dma_map_bvecs(dev: ib_device, bvecs: readonly bio_vec[], nents: number, direction: dma_data_direction, dma_attrs = 0): number {
  return dma_map_bvecs_attrs(dev.dma_device, bvecs, nents, direction, dma_attrs);
}

/** ib_dma_unmap_bvecs - Kernel: Oct 2023 RFC 9/9 */
export function ib_dma_unmap_bvecs(dev: ib_device, bvecs: readonly bio_vec[], nents: number, direction: dma_data_direction, dma_attrs = 0): void {
  dma_unmap_bvecs_attrs(dev.dma_device, bvecs, nents, direction, dma_attrs);
}

/**
 * ib_dma_map_sg_attrs - map an sg list.
 * Kernel: include/rdma/ib_verbs.h ib_dma_map_sg_attrs()
 * @returns the number of DMA segments (may be < nents over an IOMMU), 0 on failure
 */
export function ib_dma_map_sg_attrs(dev: ib_device, sg: SglRef, nents: number, direction: dma_data_direction, dma_attrs: number): number {
  return dma_map_sg_attrs(dev.dma_device, sg, nents, direction, dma_attrs);
}

/** ib_dma_unmap_sg_attrs - unmap with the original nents. Kernel: include/rdma/ib_verbs.h */
export function ib_dma_unmap_sg_attrs(dev: ib_device, sg: SglRef, nents: number, direction: dma_data_direction, dma_attrs: number): void {
  dma_unmap_sg_attrs(dev.dma_device, sg, nents, direction, dma_attrs);
}

/**
 * ib_dma_map_sg - map an sg list.
 * Kernel: include/rdma/ib_verbs.h ib_dma_map_sg()
 * @example
 * ```ts
 * const n = ib_dma_map_sg(dev, sgt.sgl!, sgt.orig_nents, DMA_FROM_DEVICE);
 * if (n === 0) return -errno.EIO;
 * ```
 */
export function ib_dma_map_sg(dev: ib_device, sg: SglRef, nents: number, direction: dma_data_direction): number {
  return ib_dma_map_sg_attrs(dev, sg, nents, direction, 0);
}

/** ib_dma_unmap_sg - Kernel: include/rdma/ib_verbs.h */
export function ib_dma_unmap_sg(dev: ib_device, sg: SglRef, nents: number, direction: dma_data_direction): void {
  ib_dma_unmap_sg_attrs(dev, sg, nents, direction, 0);
}

/**
 * ib_dma_map_sgtable_attrs - map an sg_table (sets sgt.nents).
 * Kernel: include/rdma/ib_verbs.h ib_dma_map_sgtable_attrs()
 * @returns 0, or a negative errno (dma_map_sgtable's)
 */
export function ib_dma_map_sgtable_attrs(dev: ib_device, sgt: sg_table, direction: dma_data_direction, dma_attrs: number): number {
  return dma_map_sgtable(dev.dma_device, sgt, direction, dma_attrs);
}

/** ib_dma_unmap_sgtable_attrs - Kernel: include/rdma/ib_verbs.h */
export function ib_dma_unmap_sgtable_attrs(dev: ib_device, sgt: sg_table, direction: dma_data_direction, dma_attrs: number): void {
  dma_unmap_sgtable(dev.dma_device, sgt, direction, dma_attrs);
}

/** ib_dma_sync_single_for_cpu - Kernel: include/rdma/ib_verbs.h */
export function ib_dma_sync_single_for_cpu(dev: ib_device, addr: dma_addr_t, size: number, dir: dma_data_direction): void {
  dma_sync_single_for_cpu(dev.dma_device, addr, size, dir);
}

/** ib_dma_sync_single_for_device - Kernel: include/rdma/ib_verbs.h */
export function ib_dma_sync_single_for_device(dev: ib_device, addr: dma_addr_t, size: number, dir: dma_data_direction): void {
  dma_sync_single_for_device(dev.dma_device, addr, size, dir);
}

/** ib_dma_sync_sg_for_cpu - emulator convenience over dma_sync_sg_for_cpu on the HCA device. */
export function ib_dma_sync_sg_for_cpu(dev: ib_device, sg: SglRef, nents: number, dir: dma_data_direction): void {
  dma_sync_sg_for_cpu(dev.dma_device, sg, nents, dir);
}

/** ib_dma_sync_sg_for_device - emulator convenience over dma_sync_sg_for_device on the HCA device. */
export function ib_dma_sync_sg_for_device(dev: ib_device, sg: SglRef, nents: number, dir: dma_data_direction): void {
  dma_sync_sg_for_device(dev.dma_device, sg, nents, dir);
}

/**
 * ib_dma_max_seg_size - the largest segment ib_dma_map_sg will produce.
 * Kernel: include/rdma/ib_verbs.h ib_dma_max_seg_size()
 */
export function ib_dma_max_seg_size(dev: ib_device): number {
  return dma_get_max_seg_size(dev.dma_device);
}

/** ib_sg_dma_address - Kernel: include/rdma/ib_verbs.h (pre-5.0; now sg_dma_address) */
export function ib_sg_dma_address(_dev: ib_device, sg: scatterlist): dma_addr_t {
  return sg_dma_address(sg);
}

/** ib_sg_dma_len - Kernel: include/rdma/ib_verbs.h (pre-5.0; now sg_dma_len) */
export function ib_sg_dma_len(_dev: ib_device, sg: scatterlist): number {
  return sg_dma_len(sg);
}
