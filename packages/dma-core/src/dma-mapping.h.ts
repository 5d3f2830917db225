/**
 * dma-mapping.h - DMA directions, attributes and the mapping-error sentinel.
 *
 * Kernel: include/linux/dma-direction.h, include/linux/dma-mapping.h
 *
 * The constants every mapping API takes. Values are the kernel's. The header's functions live
 * in dma-mapping.ts (kernel/dma/mapping.c); this file holds only what the header defines.
 */
import { BUG_ON } from '@rdmaemu/sim-core';
import { U64_MAX } from './_bits.js';

/** Kernel: include/linux/dma-direction.h enum dma_data_direction */
export enum dma_data_direction {
  DMA_BIDIRECTIONAL = 0,
  DMA_TO_DEVICE = 1,
  DMA_FROM_DEVICE = 2,
  DMA_NONE = 3,
}
export const DMA_BIDIRECTIONAL = dma_data_direction.DMA_BIDIRECTIONAL;
export const DMA_TO_DEVICE = dma_data_direction.DMA_TO_DEVICE;
export const DMA_FROM_DEVICE = dma_data_direction.DMA_FROM_DEVICE;
export const DMA_NONE = dma_data_direction.DMA_NONE;

/**
 * valid_dma_direction - true for BIDIRECTIONAL, TO_DEVICE and FROM_DEVICE.
 *
 * Kernel: include/linux/dma-direction.h valid_dma_direction()
 */
export function valid_dma_direction(dir: number): boolean {
  return dir === DMA_BIDIRECTIONAL || dir === DMA_TO_DEVICE || dir === DMA_FROM_DEVICE;
}

/**
 * BUG_ON_bad_direction - the `BUG_ON(!valid_dma_direction(dir))` every map, unmap and sync starts with.
 * @throws KernelBug if dir is not 0..2
 */
export function BUG_ON_bad_direction(dir: number, fn: string): void {
  BUG_ON(!valid_dma_direction(dir), `${fn}: invalid dma_data_direction ${dir}`);
}

/** Names as dma-debug prints them (kernel/dma/debug.c dir2name[]). */
export const dir2name: readonly string[] = ['DMA_BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE', 'DMA_NONE'];

/** Names as the rpcrdma/dma tracepoints print them (include/trace/events/dma.h decode_dma_data_direction). */
export const dir2trace: readonly string[] = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE', 'NONE'];

/**
 * DMA_MAPPING_ERROR - the address every failed map returns, `~(dma_addr_t)0`.
 *
 * Kernel: include/linux/dma-mapping.h DMA_MAPPING_ERROR
 * Divergence: a double cannot hold 2^64 − 1; the value is the nearest double (2^64), which no
 * real address reaches. Compare with `dma_mapping_error()` or `===`, never arithmetic.
 */
export const DMA_MAPPING_ERROR = U64_MAX;

/**
 * DMA_BIT_MASK - a mask of the low n bits.
 *
 * Kernel: include/linux/dma-mapping.h DMA_BIT_MASK()
 * Divergence: DMA_BIT_MASK(64) is U64_MAX (2^64 as a double); masks of 53..63 bits are
 * rounded the same way, which only matters for addresses no emulated host has.
 */
export function DMA_BIT_MASK(n: number): number {
  return n >= 64 ? U64_MAX : 2 ** n - 1;
}

// DMA attributes (include/linux/dma-mapping.h)
export const DMA_ATTR_WEAK_ORDERING = 1 << 1;
export const DMA_ATTR_WRITE_COMBINE = 1 << 2;
export const DMA_ATTR_NO_KERNEL_MAPPING = 1 << 4;
export const DMA_ATTR_SKIP_CPU_SYNC = 1 << 5;
export const DMA_ATTR_FORCE_CONTIGUOUS = 1 << 6;
export const DMA_ATTR_ALLOC_SINGLE_PAGES = 1 << 7;
export const DMA_ATTR_NO_WARN = 1 << 8;
export const DMA_ATTR_PRIVILEGED = 1 << 9;
export const DMA_ATTR_MMIO = 1 << 10;
