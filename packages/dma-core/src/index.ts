/**
 * @packageDocumentation
 * dma-core - a host's physical memory and the Linux DMA layer: pages and folios, `bio_vec`,
 * scatterlists, `struct device`, dma-direct, swiotlb, IOMMU (IOVA allocator, page tables, IOTLB,
 * faults, flush queue), dma-debug, and every mapping API — the scatterlist API, the Oct 2023 RFC's
 * `dma_map_bvecs_attrs`, `dma_map_phys` and the two-step `dma_iova_*` API — plus the device side:
 * the one path through which an emulated device reads and writes memory by DMA address.
 *
 * | kernel | rdmaemu |
 * |---|---|
 * | `mm/page_alloc.c`, `include/linux/mm.h`, `mm_types.h` | `memory.ts` (`PhysicalMemory`, `page`, `folio`), `page_alloc.ts` |
 * | `include/linux/bvec.h` (+ RFC patch 2/9) | `bvec.ts` |
 * | `include/linux/scatterlist.h`, `lib/scatterlist.c` | `scatterlist.ts` |
 * | Wilcox's `struct phyr` (Oct 2023 thread) | `phyr.ts` |
 * | `include/linux/dma-direction.h`, `dma-mapping.h` constants | `dma-mapping.h.ts` |
 * | `struct device`, `dev_printk.h` | `device.ts` |
 * | `include/linux/dma-map-ops.h` `arch_sync_dma_for_*` | `dma-noncoherent.ts` |
 * | `kernel/dma/direct.c` | `direct.ts` |
 * | `kernel/dma/swiotlb.c` | `swiotlb.ts` |
 * | `drivers/iommu/iova.c` | `iova.ts` |
 * | `drivers/iommu/iommu.c`, `include/linux/iommu.h` | `iommu.ts` |
 * | `drivers/iommu/dma-iommu.c` (+ RFC patch 8/9, `dma_iova_*`) | `dma-iommu.ts` |
 * | `kernel/dma/mapping.c` (+ RFC patches 6/9, 7/9) | `dma-mapping.ts` |
 * | `kernel/dma/debug.c` (+ RFC patch 3/9) | `debug.ts` |
 * | — (emulator-only) | `dma-device-access.ts` (device side), `dma-designs.ts` (sg / bvec / iova compared), `dma-stats.ts` (cost counters), `host.ts` (`DmaHost`) |
 */
// memory.ts
export {
  PAGE_SHIFT, PAGE_SIZE, MAX_PAGE_ORDER, NR_PAGE_ORDERS, L1_CACHE_SHIFT, L1_CACHE_BYTES, ZONE_DMA, ZONE_DMA32,
  ZONE_NORMAL, MAX_NR_ZONES, MAX_DMA_PFN, MAX_DMA32_PFN, zone_names, pfn_zone, PG_reserved, PG_buddy, PG_head,
  PG_tail, PG_stack, PG_swiotlb, parseSize, page, folio, PhysicalMemory, free_list_del,
  PFN_DOWN, PFN_UP, PFN_PHYS, offset_in_page, PAGE_ALIGN, get_order, pfn_valid, pfn_to_page, page_to_pfn,
  page_to_phys, phys_to_page, nth_page, page_address, phys_to_virt, virt_addr_valid, virt_to_phys,
  virt_to_page, PageReserved, PageBuddy, PageHead, PageTail, PageCompound, PageStack, page_ref_count,
  compound_head, page_folio, folio_order, folio_nr_pages, folio_size, folio_page, folio_pfn, folio_address,
  folio_phys, type PhysicalMemoryInit,
} from './memory.js';
// page_alloc.ts
export {
  GFP_KERNEL, GFP_ATOMIC, __GFP_DMA, __GFP_DMA32, GFP_DMA, GFP_DMA32, __GFP_ZERO, __GFP_COMP,
  THREAD_SIZE_ORDER, alloc_pages, alloc_page, __free_pages, __free_page, get_page, put_page, folio_alloc,
  folio_get, folio_put, alloc_thread_stack, free_thread_stack, nr_free_pages, alloc_contig_pages,
  free_contig_range,
} from './page_alloc.js';
// bvec.ts
export {
  UINT_MAX, BV_DMA_BUS_ADDRESS, BV_DMA_SWIOTLB, bio_vec, bvec_set_page, bvec_set_folio, bvec_set_virt,
  bvec_phys, bv_phys, bvec_virt, bv_virt, bv_dma_address, bv_dma_len, bv_dma_is_bus_address,
  bv_dma_mark_bus_address, bv_dma_unmark_bus_address, bv_dma_is_swiotlb, bv_dma_mark_swiotlb, bvec_iter,
  BVEC_ITER_ALL_INIT, bvecIter, mp_bvec_iter_page, mp_bvec_iter_len, mp_bvec_iter_offset,
  mp_bvec_iter_page_idx, mp_bvec_iter_bvec, bvec_iter_offset, bvec_iter_len, bvec_iter_page, bvec_iter_bvec,
  bvec_iter_advance, bvec_iter_advance_single, for_each_bvec, for_each_mp_bvec, type BvecIterInit,
} from './bvec.js';
// phyr.ts
export {
  phyr, bvec_to_phyr, phyrs_from_bvecs,
} from './phyr.js';
// scatterlist.ts
export {
  SG_CHAIN, SG_END, SG_DMA_BUS_ADDRESS, SG_DMA_SWIOTLB, SG_CHUNK_SIZE, SG_MAX_SEGMENTS, SG_MAX_SINGLE_ALLOC,
  scatterlist, sg_init_table, sg_init_one, sg_is_chain, sg_is_last, sg_chain_ptr, sg_mark_end, sg_unmark_end,
  sg_chain, sg_next, for_each_sg, sg_nents, sg_nents_for_len, sg_last, sg_assign_page, sg_set_page, sg_page,
  sg_set_buf, sg_phys, sg_virt, sg_dma_address, sg_dma_len, sg_dma_is_bus_address, sg_dma_mark_bus_address,
  sg_dma_unmark_bus_address, sg_dma_is_swiotlb, sg_dma_mark_swiotlb, sg_table, __sg_alloc_table,
  sg_alloc_table, sg_free_table, sg_append_table, sg_alloc_append_table_from_pages, sg_free_append_table,
  sg_alloc_table_from_pages_segment, sg_alloc_table_from_pages, for_each_sgtable_sg, for_each_sgtable_dma_sg,
  sg_copy_buffer, sg_copy_from_buffer, sg_copy_to_buffer, sg_pcopy_from_buffer, sg_pcopy_to_buffer,
  sgTableFromBvecs, type SglRef, type sgl_ref,
} from './scatterlist.js';
// dma-mapping.h.ts
export {
  dma_data_direction, DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_NONE, valid_dma_direction,
  BUG_ON_bad_direction, dir2name, dir2trace, DMA_MAPPING_ERROR, DMA_BIT_MASK, DMA_ATTR_WEAK_ORDERING,
  DMA_ATTR_WRITE_COMBINE, DMA_ATTR_NO_KERNEL_MAPPING, DMA_ATTR_SKIP_CPU_SYNC, DMA_ATTR_FORCE_CONTIGUOUS,
  DMA_ATTR_ALLOC_SINGLE_PAGES, DMA_ATTR_NO_WARN, DMA_ATTR_PRIVILEGED, DMA_ATTR_MMIO,
} from './dma-mapping.h.js';
// device.ts
export {
  device, dev_name, dev_driver_string, dev_is_dma_coherent, dev_is_untrusted, use_dma_iommu,
  dma_get_max_seg_size, dma_get_seg_boundary, dma_get_seg_boundary_nr_pages, dma_get_min_align_mask,
  dma_set_max_seg_size, dma_set_seg_boundary, dma_set_min_align_mask, dma_set_mask, dma_set_coherent_mask,
  dma_set_mask_and_coherent, dev_err, dev_warn, dev_info, dev_WARN_ONCE, dma_stat, type device_dma_parameters,
  type DeviceHost, type DeviceInit,
} from './device.js';
// dma-stats.ts
export {
  DMA_STAT_KEYS, DMA_FAMILIES, newDmaStats, DmaCounters, diffDmaStats, type DmaStatKey, type DmaFamily,
  type DmaStats,
} from './dma-stats.js';
// dma-noncoherent.ts
export {
  arch_sync_dma_for_device, arch_sync_dma_for_cpu, noncoherentShadowGet, noncoherentShadowPut,
  noncoherentShadowPage, noncoherentHasShadows, noncoherentShadowCount, noncoherentShadowReset,
} from './dma-noncoherent.js';
// direct.ts
export {
  phys_to_dma, dma_to_phys, dma_capable, dma_direct_get_required_mask, dma_direct_map_phys,
  dma_direct_unmap_phys, dma_direct_sync_single_for_device, dma_direct_sync_single_for_cpu, dma_direct_map_sg,
  dma_direct_unmap_sg, dma_direct_sync_sg_for_device, dma_direct_sync_sg_for_cpu, dma_direct_map_bvecs,
  dma_direct_unmap_bvecs, dma_direct_sync_bvecs_for_device, dma_direct_sync_bvecs_for_cpu,
  dma_direct_addressing_limited, dma_direct_max_mapping_size, dma_direct_need_sync,
} from './direct.js';
// swiotlb.ts
export {
  IO_TLB_SHIFT, IO_TLB_SIZE, IO_TLB_SEGSIZE, IO_TLB_DEFAULT_SIZE, IO_TLB_MIN_SLABS, INVALID_PHYS_ADDR,
  io_tlb_mem, swiotlb_init, swiotlb_exit, swiotlb_print_info, swiotlb_align_offset, swiotlb_find_pool,
  is_swiotlb_buffer, is_swiotlb_active, is_swiotlb_force_bounce, swiotlb_max_mapping_size, swiotlb_debugfs,
  io_tlb_hiwater_set, swiotlb_tbl_map_single, swiotlb_tbl_unmap_single, swiotlb_sync_single_for_device,
  swiotlb_sync_single_for_cpu, swiotlb_map, type SwiotlbInit, type SwiotlbDebugfs,
} from './swiotlb.js';
// iova.ts
export {
  IOVA_RANGE_CACHE_MAX_SIZE, IOVA_MAG_SIZE, IOVA_DEPOT_MAX_MAGS, IOVA_ANCHOR, iova, iova_domain,
  init_iova_domain, put_iova_domain, alloc_iova, find_iova, __free_iova, free_iova, reserve_iova,
  free_cpu_cached_iovas, alloc_iova_fast, free_iova_fast, iova_rcache_range, iova_shift, iova_mask,
  iova_offset, iova_align, iova_align_down, iova_dma_addr, iova_pfn, iovaDomainRanges, iovaRcacheDepth,
} from './iova.js';
// iommu.ts
export {
  IOMMU_READ, IOMMU_WRITE, IOMMU_CACHE, IOMMU_NOEXEC, IOMMU_MMIO, IOMMU_PRIV, IOMMU_FAULT_READ,
  IOMMU_FAULT_WRITE, __IOMMU_DOMAIN_PAGING, __IOMMU_DOMAIN_DMA_API, __IOMMU_DOMAIN_PT, __IOMMU_DOMAIN_DMA_FQ,
  IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_UNMANAGED, IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ,
  SZ_4K, IOMMU_DEFAULT_APERTURE_END, IOTLB_ENTRIES, IOMMU_FAULT_RECORDS, iommu_domain, iommu_iotlb_gather,
  iommu_domain_alloc, iommu_domain_free, iommu_is_dma_domain, iommu_attach_device, iommu_detach_device,
  iommu_get_domain_for_dev, iommu_get_dma_domain, iommu_map_nosync, iommu_sync_map, iommu_map,
  iommu_iotlb_gather_init, iommu_unmap_fast, iommu_iotlb_sync, iommu_flush_iotlb_all, iommu_unmap,
  iommuMapRuns, iommu_map_sg, iommu_iova_to_phys, iommuPteProt, iommu_set_fault_handler, report_iommu_fault,
  iommuTranslate, iommuRangeHasPtes, type IommuHost, type IommuDomainInit, type iommu_domain_geometry,
  type iommu_fault_handler_t, type IommuFault,
} from './iommu.js';
// dma-iommu.ts
export {
  IOVA_DEFAULT_FQ_SIZE, IOVA_DEFAULT_FQ_TIMEOUT, DMA_IOVA_USE_SWIOTLB, iommu_dma_cookie, iommu_get_dma_cookie,
  iommu_put_dma_cookie, iommu_dma_init_fq, iommu_dma_init_domain, iommu_dma_flush_fq, iommuDmaFqDepth,
  dma_info_to_prot, iommu_dma_alloc_iova, iommu_dma_free_iova, __iommu_dma_unmap, __iommu_dma_map,
  iommu_dma_map_phys, iommu_dma_unmap_phys, iommu_dma_sync_single_for_cpu, iommu_dma_sync_single_for_device,
  iommu_dma_map_sg, iommu_dma_unmap_sg, iommu_dma_sync_sg_for_cpu, iommu_dma_sync_sg_for_device,
  iommu_dma_map_bvecs, iommu_dma_unmap_bvecs, iommu_dma_sync_bvecs_for_cpu, iommu_dma_sync_bvecs_for_device,
  dma_get_merge_boundary, dma_iova_state, dma_use_iova, dma_iova_size, dma_iova_try_alloc, dma_iova_free,
  dma_iova_link, dma_iova_sync, dma_iova_unlink, dma_iova_destroy,
} from './dma-iommu.js';
// dma-mapping.ts
export {
  trace_dma_map_phys, trace_dma_unmap_phys, trace_dma_map_sg, trace_dma_map_sg_err, trace_dma_unmap_sg,
  trace_dma_sync_single_for_cpu, trace_dma_sync_single_for_device, trace_dma_sync_sg_for_cpu,
  trace_dma_sync_sg_for_device, trace_dma_alloc, trace_dma_free, dma_map_phys, dma_unmap_phys,
  dma_map_page_attrs, dma_unmap_page_attrs, dma_map_page, dma_unmap_page, dma_map_single_attrs,
  dma_unmap_single_attrs, dma_map_single, dma_unmap_single, dma_map_resource, dma_unmap_resource,
  dma_mapping_error, __dma_map_sg_attrs, dma_map_sg_attrs, dma_map_sg, dma_map_sgtable, dma_unmap_sg_attrs,
  dma_unmap_sg, dma_unmap_sgtable, dma_sync_single_for_cpu, dma_sync_single_for_device, dma_sync_sg_for_cpu,
  dma_sync_sg_for_device, dma_sync_sgtable_for_cpu, dma_sync_sgtable_for_device, __dma_map_bvecs_attrs,
  dma_map_bvecs_attrs, dma_unmap_bvecs_attrs, dma_sync_bvecs_for_cpu, dma_sync_bvecs_for_device,
  dma_need_unmap, dma_need_sync, dma_max_mapping_size, dma_get_required_mask, dma_addressing_limited,
  dma_alloc_coherent, dma_free_coherent, type dma_map_trace, type dma_unmap_trace, type dma_map_sg_trace,
  type dma_map_sg_err_trace, type dma_unmap_sg_trace, type dma_sync_single_trace, type dma_sync_sg_trace,
  type dma_alloc_trace, type DmaCoherentBuffer,
} from './dma-mapping.js';
// debug.ts
export {
  HASH_SIZE, HASH_FN_SHIFT, HASH_FN_MASK, PREALLOC_DMA_DEBUG_ENTRIES, DMA_DEBUG_DYNAMIC_ENTRIES,
  RADIX_TREE_MAX_TAGS, ACTIVE_CACHELINE_MAX_OVERLAP, CACHELINE_PER_PAGE_SHIFT, NAME_MAX_LEN,
  DMA_DEBUG_ERRORS_MAX, dma_debug_single, dma_debug_sg, dma_debug_coherent, dma_debug_noncoherent,
  dma_debug_phy, dma_debug_bv, type2name, map_err_types, MAP_ERR_CHECK_NOT_APPLICABLE, MAP_ERR_NOT_APPLICABLE,
  MAP_ERR_NOT_CHECKED, MAP_ERR_CHECKED, maperr2str, dma_debug_entry, hash_fn, to_cacheline_number, dma_debug,
  debug_dma_map_phys, debug_dma_unmap_phys, debug_dma_map_single, debug_dma_mapping_error, debug_dma_map_sg,
  debug_dma_unmap_sg, debug_dma_map_bvecs, debug_dma_unmap_bvecs, debug_dma_sync_single_for_cpu,
  debug_dma_sync_single_for_device, debug_dma_sync_sg_for_cpu, debug_dma_sync_sg_for_device,
  debug_dma_sync_bvecs_for_cpu, debug_dma_sync_bvecs_for_device, debug_dma_alloc_coherent,
  debug_dma_free_coherent, debug_dma_alloc_pages, debug_dma_free_pages, debug_dma_device_release,
  debug_dma_device_access, debug_dma_iova_link, debug_dma_iova_unlink, dmaDebugReport, liveMappings,
  assertDmaDebugClean, type DmaDebugError, type DmaDebugInit, type DmaDebugReport,
} from './debug.js';
// dma-device-access.ts
export {
  DmaFault, isDmaFault, dmaDeviceAccess, dmaDeviceRead, dmaDeviceReadAppend, dmaDeviceWrite, dmaDeviceCopyOut, type DmaFaultReason,
} from './dma-device-access.js';
// dma-designs.ts
export {
  DMA_DESIGNS, dmaMapBvecs, type DmaDesign, type DmaDesignMapping,
} from './dma-designs.js';
// host.ts
export {
  DmaHost, createDmaHost, type IommuMode, type DmaHostInit,
} from './host.js';

