/**
 * _bytes - bounds-checked memcpy / memmove / memset and big-endian word access on views.
 *
 * Emulator-only (private). A `Uint8Array` silently drops out-of-range stores and returns
 * `undefined` for out-of-range loads; the kernel would scribble over or read adjacent memory.
 * Every byte move in xdr_buf goes through these helpers, which turn such an access into a
 * KernelBug naming the operation, so an overrun can never pass unnoticed.
 *
 * The word accessors use no bitwise operators: a Uint8Array store keeps `value mod 256` of the
 * truncated number, so `v[o] = n / 2^24` stores the top byte of any u32 exactly.
 */
import { KernelBug } from '@rdmaemu/sim-core';

function oob(what: string, view: Uint8Array, off: number, len: number): never {
  throw new KernelBug(`BUG: xdr: ${what} out of bounds: [${off}, +${len}) of a ${view.length}-byte buffer`);
}

/** memcpy(dst + dOff, src + sOff, len), checked. Overlap is handled (TypedArray.set copies first). */
export function memcpy(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, len: number): void {
  if (len === 0) return;
  if (!(len > 0)) oob('memcpy length', dst, dOff, len);
  if (!(dOff >= 0 && dOff + len <= dst.length)) oob('memcpy store', dst, dOff, len);
  if (!(sOff >= 0 && sOff + len <= src.length)) oob('memcpy load', src, sOff, len);
  dst.set(src.subarray(sOff, sOff + len), dOff);
}

/** memmove(view + to, view + from, len), checked. */
export function memmove(view: Uint8Array, to: number, from: number, len: number): void {
  if (len === 0) return;
  if (!(len > 0)) oob('memmove length', view, to, len);
  if (!(to >= 0 && to + len <= view.length)) oob('memmove store', view, to, len);
  if (!(from >= 0 && from + len <= view.length)) oob('memmove load', view, from, len);
  view.copyWithin(to, from, from + len);
}

/** memset(view + off, value, len), checked. */
export function memset(view: Uint8Array, off: number, value: number, len: number): void {
  if (len === 0) return;
  if (!(len > 0)) oob('memset length', view, off, len);
  if (!(off >= 0 && off + len <= view.length)) oob('memset', view, off, len);
  view.fill(value, off, off + len);
}

/** put_be32: store the u32 `n` big-endian at view[o..o+4). The caller has bounds-checked. */
export function put_be32(v: Uint8Array, o: number, n: number): void {
  v[o] = n / 16777216;
  v[o + 1] = n / 65536;
  v[o + 2] = n / 256;
  v[o + 3] = n;
}

/** get_be32: load a big-endian u32 from view[o..o+4). The caller has bounds-checked. */
export function get_be32(v: Uint8Array, o: number): number {
  return v[o]! * 16777216 + v[o + 1]! * 65536 + v[o + 2]! * 256 + v[o + 3]!;
}

/** u32 arithmetic wrap, for ports of C expressions that rely on unsigned underflow. */
export function u32wrap(x: number): number {
  const r = x % 4294967296;
  return r < 0 ? r + 4294967296 : r;
}
