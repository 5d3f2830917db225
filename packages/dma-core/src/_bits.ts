/**
 * _bits - exact integer helpers for addresses and masks above 2^31.
 *
 * JavaScript's bitwise operators work on 32 bits, but physical addresses, IOVAs and DMA masks are
 * 64-bit quantities. rdmaemu keeps addresses as numbers below 2^53 (exact in a double) and does
 * every mask, alignment and shift through these helpers, with arithmetic, never `&`/`|`/`>>` on
 * a value that can exceed 2^31. Private to dma-core (the leading underscore).
 */

const TWO32 = 0x1_0000_0000;

/** The double nearest to 2^64 − 1 (it rounds to 2^64): `U64_MAX` / `ULONG_MAX` / `~0ULL`. */
export const U64_MAX = 2 ** 64;

/** Largest value every helper here handles exactly. */
export const ADDR_MAX = Number.MAX_SAFE_INTEGER;

/** a & b for non-negative integers below 2^53 (a mask ≥ 2^53 counts as all ones). */
export function and64(a: number, b: number): number {
  if (b >= ADDR_MAX) return a;
  if (a >= ADDR_MAX) return b;
  const hi = (Math.floor(a / TWO32) & Math.floor(b / TWO32)) >>> 0;
  const lo = ((a >>> 0) & (b >>> 0)) >>> 0;
  return hi * TWO32 + lo;
}

/** a | b for non-negative integers below 2^53. */
export function or64(a: number, b: number): number {
  const hi = (Math.floor(a / TWO32) | Math.floor(b / TWO32)) >>> 0;
  const lo = ((a >>> 0) | (b >>> 0)) >>> 0;
  return hi * TWO32 + lo;
}

/** True when `a` is a multiple of the power of two `align`. */
export function IS_ALIGNED(a: number, align: number): boolean {
  return a % align === 0;
}

/** Kernel: include/linux/align.h ALIGN() - round up to a power-of-two (or any) multiple. */
export function ALIGN(a: number, align: number): number {
  return Math.ceil(a / align) * align;
}

/** Kernel: include/linux/align.h ALIGN_DOWN() */
export function ALIGN_DOWN(a: number, align: number): number {
  return Math.floor(a / align) * align;
}

/** Kernel: include/linux/bitops.h fls_long() - 1-based index of the highest set bit, 0 for 0. */
export function fls_long(x: number): number {
  if (x <= 0) return 0;
  return Math.floor(Math.log2(x)) + 1 - (2 ** Math.floor(Math.log2(x)) > x ? 1 : 0);
}

/** Kernel: include/linux/log2.h ilog2() */
export function ilog2(x: number): number {
  return fls_long(x) - 1;
}

/** Kernel: include/linux/bitops.h __ffs() - 0-based index of the lowest set bit (x > 0). */
export function __ffs(x: number): number {
  let n = 0;
  while (x % 2 === 0 && x > 0) {
    x /= 2;
    n++;
  }
  return n;
}

/** Kernel: include/linux/log2.h roundup_pow_of_two() */
export function roundup_pow_of_two(x: number): number {
  return x <= 1 ? 1 : 2 ** fls_long(x - 1);
}

/** Kernel: include/linux/log2.h is_power_of_2() */
export function is_power_of_2(x: number): boolean {
  return x > 0 && 2 ** ilog2(x) === x;
}

/** Kernel: include/linux/minmax.h min_not_zero() */
export function min_not_zero(a: number, b: number): number {
  return a === 0 ? b : b === 0 ? a : Math.min(a, b);
}

/** Format a dma_addr_t / phys_addr_t as the kernel's `%pad` / `%pa`: `0x` + 16 hex digits. */
export function fmt_pad(addr: number): string {
  if (addr >= U64_MAX) return '0xffffffffffffffff';
  return '0x' + addr.toString(16).padStart(16, '0');
}

/** Format as `%llx` (no padding). */
export function fmt_llx(v: number): string {
  if (v >= U64_MAX) return 'ffffffffffffffff';
  return v.toString(16);
}
