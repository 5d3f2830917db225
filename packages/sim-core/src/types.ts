/**
 * types - the kernel's integer widths, so signatures read like the C prototypes.
 *
 * Kernel: include/linux/types.h, include/uapi/asm-generic/int-ll64.h
 *
 * `u8`..`u32`/`s32` are plain numbers; the caller keeps them in range. `u64` is a number where
 * the value provably stays below 2^53 (physical addresses, IOVAs, lengths) and a `bigint` where
 * the top bits carry meaning (an FRWR iova with the XID in its high word, wr_id). Divergence:
 * TypeScript cannot enforce the width; the names document intent, as `__be32` does in C.
 */
export type u8 = number;
export type u16 = number;
export type u32 = number;
export type s32 = number;
export type s64 = number;
/** A 64-bit value that fits a double exactly (< 2^53): addresses, sizes. */
export type u64 = number;
/** A 64-bit value that uses all 64 bits. */
export type u64_big = bigint;
export type size_t = number;
export type ssize_t = number;
/** Kernel: include/linux/types.h phys_addr_t */
export type phys_addr_t = number;
/** Kernel: include/linux/types.h dma_addr_t */
export type dma_addr_t = number;
/** Kernel: include/linux/types.h gfp_t (flags are accepted and ignored where allocation cannot sleep) */
export type gfp_t = number;
