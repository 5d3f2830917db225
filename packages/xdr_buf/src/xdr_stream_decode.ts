/**
 * xdr_stream_decode - decoding from an xdr_buf: the cursor walk head → pages → tail, page-data
 * alignment, and the xdr_stream_decode_* primitives.
 *
 * Kernel: net/sunrpc/xdr.c (xdr_init_decode, xdr_init_decode_pages, xdr_set_iov,
 *         xdr_set_page_base, xdr_set_next_buffer, __xdr_inline_decode, xdr_copy_to_scratch,
 *         xdr_inline_decode, xdr_realign_pages, xdr_align_pages, xdr_read_pages, xdr_enter_page,
 *         xdr_set_pagelen, xdr_truncate_decode, xdr_stream_subsegment, xdr_stream_decode_opaque,
 *         xdr_stream_decode_string, *_dup); include/linux/sunrpc/xdr.h (xdr_stream_decode_u32 …)
 *
 * Operation: the stream covers `buf.len` bytes (`nwords` words remain). `p`/`end` bound the bytes
 * of the current buffer: the head, one page of the page part, or the tail. `xdr_inline_decode(n)`
 * hands out the next n bytes as a **view** of the buffer they lie in (zero copy). When those bytes
 * straddle the end of the current buffer, they are copied into the scratch buffer
 * (`xdr_set_scratch_buffer()`) — the kernel's own copy — or the call fails if there is none, or
 * if they span more than two buffers. A returned view is valid only until the next decode.
 *
 * Page data: `xdr_read_pages(len)` makes the page part start exactly at the current position
 * (moving any excess head bytes into the pages — `xdr_shrink_bufhead` — and any page bytes beyond
 * `len` into the tail — `xdr_shrink_pagelen`), then skips the stream to the tail. A reply whose
 * payload already sits in the pages at the right place (RDMA direct placement, or a buffer built
 * with xdr_write_pages) moves nothing; the payload is then `buf.pages` from `buf.page_base`.
 *
 * Errors: overruns give `null` (xdr_inline_decode) or `-EBADMSG`; a value above the caller's
 * maximum gives `-EMSGSIZE`. Nothing here reads outside `[0, end)` of the current view, and
 * `end` never exceeds the part's length.
 *
 * Hot path: `xdr_stream_decode_u32()` reads four bytes inline with no allocation.
 */
import { BUG_ON, errno } from '@rdmaemu/sim-core';
import { PAGE_SIZE, page_address, type page } from '@rdmaemu/dma-core';
import { get_be32, memcpy, u32wrap } from './_bytes.js';
import { xdr_buf_subsegment } from './xdr_buf.js';
import { xdr_buf_head_shift_right, xdr_buf_try_expand, xdr_shrink_bufhead, xdr_shrink_pagelen } from './xdr_buf_shift.js';
import { xdr_stream_pos } from './xdr_stream_encode.js';
import {
  XDR_QUADLEN, ZERO_LENGTH_VIEW, xdr_align_size, xdr_pad_size, xdr_reset_scratch_buffer, xdr_stream_remaining,
  type kvec, type xdr_buf, type xdr_stream,
} from './xdr.h.js';

const EBADMSG = errno.EBADMSG;
const EMSGSIZE = errno.EMSGSIZE;

function xdr_stream_set_pos(xdr: xdr_stream, pos: number): void {
  const blen = xdr.buf.len;
  xdr.nwords = blen > pos ? XDR_QUADLEN(blen) - XDR_QUADLEN(pos) : 0;
}

function xdr_stream_page_set_pos(xdr: xdr_stream, pos: number): void {
  xdr_stream_set_pos(xdr, u32wrap(pos + xdr.buf.head[0].iov_len));
}

function xdr_set_iov(xdr: xdr_stream, iov: kvec, base: number, len: number): number {
  BUG_ON(iov.iov_len > iov.iov_base.length, `xdr: kvec iov_len ${iov.iov_len} exceeds its ${iov.iov_base.length}-byte buffer`);
  if (len > iov.iov_len) len = iov.iov_len;
  if (base > len) base = len;
  xdr.view = iov.iov_base;
  xdr.p = base;
  xdr.end = len;
  xdr.iov = iov;
  xdr.page_ptr = null;
  return len - base;
}

function xdr_set_tail_base(xdr: xdr_stream, base: number, len: number): number {
  const buf = xdr.buf;
  xdr_stream_set_pos(xdr, u32wrap(base + buf.page_len + buf.head[0].iov_len));
  return xdr_set_iov(xdr, buf.tail[0], base, len);
}

function xdr_set_page_base(xdr: xdr_stream, base: number, len: number): number {
  const buf = xdr.buf;
  let maxlen = buf.page_len;
  if (base >= maxlen) return 0;
  maxlen -= base;
  if (len > maxlen) len = maxlen;
  xdr_stream_page_set_pos(xdr, base);
  base += buf.page_base;
  const pgnr = Math.floor(base / PAGE_SIZE);
  const pg: page | undefined = buf.pages[pgnr];
  BUG_ON(pg === undefined, `xdr_set_page_base: page ${pgnr} is past the page array (${buf.pages.length})`);
  xdr.pageArray = buf.pages;
  xdr.page_ptr = pgnr;
  xdr.view = page_address(pg!);
  const pgoff = base % PAGE_SIZE;
  xdr.p = pgoff;
  xdr.end = Math.min(pgoff + len, PAGE_SIZE);
  xdr.iov = null;
  return len;
}

function xdr_set_page(xdr: xdr_stream, base: number, len: number): void {
  if (xdr_set_page_base(xdr, base, len) === 0) {
    base = u32wrap(base - xdr.buf.page_len);
    xdr_set_tail_base(xdr, base, len);
  }
}

function xdr_set_next_page(xdr: xdr_stream): void {
  const newbase = (1 + (xdr.page_ptr ?? 0)) * PAGE_SIZE - xdr.buf.page_base;
  if (newbase < xdr.buf.page_len) xdr_set_page_base(xdr, newbase, xdr_stream_remaining(xdr));
  else xdr_set_tail_base(xdr, 0, xdr_stream_remaining(xdr));
}

function xdr_set_next_buffer(xdr: xdr_stream): boolean {
  if (xdr.page_ptr !== null) xdr_set_next_page(xdr);
  else if (xdr.iov === xdr.buf.head[0]) xdr_set_page(xdr, 0, xdr_stream_remaining(xdr));
  return xdr.p !== xdr.end;
}

/**
 * xdr_init_decode - set up `xdr` to decode the `buf.len` bytes of `buf`, from the head (or the
 * first non-empty part).
 *
 * Kernel: net/sunrpc/xdr.c xdr_init_decode()
 * Divergence: `p` is a byte offset into head[0].iov_base (null for NULL). The scratch buffer is
 * reset, as in the kernel: call xdr_set_scratch_buffer() after this.
 * @throws KernelBug if a kvec claims more bytes than its view holds, or the page array is short
 * @example
 * ```ts
 * const xdr = new xdr_stream();
 * xdr_init_decode(xdr, buf, null);
 * xdr_set_scratch_buffer(xdr, new Uint8Array(PAGE_SIZE));
 * const xid = xdr_stream_decode_u32(xdr);
 * ```
 */
export function xdr_init_decode(xdr: xdr_stream, buf: xdr_buf, p: number | null = null, rqst: object | null = null): void {
  xdr.buf = buf;
  xdr_reset_scratch_buffer(xdr);
  xdr.nwords = XDR_QUADLEN(buf.len);
  if (xdr_set_iov(xdr, buf.head[0], 0, buf.len) === 0 && xdr_set_page_base(xdr, 0, buf.len) === 0) {
    xdr_set_iov(xdr, buf.tail[0], 0, buf.len);
  }
  if (p !== null && p > xdr.p && xdr.end >= p) {
    xdr.nwords -= Math.floor((p - xdr.p) / 4);
    xdr.p = p;
  }
  xdr.rqst = rqst;
}

/**
 * xdr_init_decode_pages - decode `len` bytes held only in `pages`: `buf` is reset to a page-only
 * buffer over them.
 *
 * Kernel: net/sunrpc/xdr.c xdr_init_decode_pages()
 * @example
 * ```ts
 * xdr_init_decode_pages(xdr, new xdr_buf(), pages, len);
 * ```
 */
export function xdr_init_decode_pages(xdr: xdr_stream, buf: xdr_buf, pages: page[], len: number): void {
  buf.head[0].iov_base = ZERO_LENGTH_VIEW;
  buf.head[0].iov_len = 0;
  buf.tail[0].iov_base = ZERO_LENGTH_VIEW;
  buf.tail[0].iov_len = 0;
  buf.bvec = null;
  buf.page_base = 0;
  buf.flags = 0;
  buf.pages = pages;
  buf.page_len = len;
  buf.buflen = len;
  buf.len = len;
  xdr_init_decode(xdr, buf, null, null);
}

/** __xdr_inline_decode as an offset into xdr.view (−1 for NULL). */
function inlineOff(xdr: xdr_stream, nbytes: number): number {
  if (!(nbytes >= 0)) return -1;
  const nwords = XDR_QUADLEN(nbytes);
  const p = xdr.p;
  const q = p + nwords * 4;
  if (nwords > xdr.nwords || q > xdr.end) return -1;
  xdr.p = q;
  xdr.nwords -= nwords;
  return p;
}

function xdr_copy_to_scratch(xdr: xdr_stream, nbytes: number): Uint8Array | null {
  const cpdest = xdr.scratch.iov_base;
  const cplen = xdr.end - xdr.p;
  const total = nbytes;
  if (nbytes > xdr.scratch.iov_len || cplen < 0) return null;
  let p = inlineOff(xdr, cplen);
  if (p < 0) return null;
  memcpy(cpdest, 0, xdr.view, p, cplen);
  if (!xdr_set_next_buffer(xdr)) return null;
  nbytes -= cplen;
  p = inlineOff(xdr, nbytes);
  if (p < 0) return null;
  memcpy(cpdest, cplen, xdr.view, p, nbytes);
  return cpdest.subarray(0, total);
}

/**
 * xdr_inline_decode - take the next `nbytes` (padded to 4) from the stream.
 *
 * Inside one buffer the result is a view of the buffer itself (head, page or tail memory): no
 * copy. Across a boundary it is the scratch buffer holding a copy. `nbytes` 0 returns an empty
 * view at the current position without advancing.
 *
 * Kernel: net/sunrpc/xdr.c xdr_inline_decode()
 * Divergence: returns a view of exactly `nbytes` bytes instead of a `__be32 *`.
 * @returns the bytes (valid until the next decode), or null on overrun, when there is no
 *   (or too small a) scratch buffer for a crossing read, or when the read spans more than two
 *   buffers
 * @example
 * ```ts
 * const p = xdr_inline_decode(xdr, 8);
 * if (p === null) return -EBADMSG;
 * ```
 */
export function xdr_inline_decode(xdr: xdr_stream, nbytes: number): Uint8Array | null {
  if (nbytes === 0) return xdr.view.subarray(xdr.p, xdr.p);
  if (!(nbytes > 0)) return null;
  if (xdr.p === xdr.end && !xdr_set_next_buffer(xdr)) return null;
  const off = inlineOff(xdr, nbytes);
  if (off >= 0) return xdr.view.subarray(off, off + nbytes);
  return xdr_copy_to_scratch(xdr, nbytes);
}

function xdr_realign_pages(xdr: xdr_stream): void {
  const buf = xdr.buf;
  const cur = xdr_stream_pos(xdr);
  if (buf.head[0].iov_len > cur) {
    xdr_shrink_bufhead(buf, cur);
    xdr_set_page(xdr, 0, buf.page_len);
  }
}

function xdr_align_pages(xdr: xdr_stream, len: number): number {
  const buf = xdr.buf;
  let nwords = XDR_QUADLEN(len);
  if (xdr.nwords === 0) return 0;
  xdr_realign_pages(xdr);
  if (nwords > xdr.nwords) {
    nwords = xdr.nwords;
    len = nwords * 4;
  }
  if (buf.page_len <= len) len = buf.page_len;
  else if (nwords < xdr.nwords) xdr_shrink_pagelen(buf, len);
  return len;
}

/**
 * xdr_read_pages - align the page part to the current position and skip the stream past it.
 *
 * Excess head bytes (beyond the current position) move into the pages; page bytes beyond `len`
 * (padded) move into the tail; the stream continues at the next item in the tail. No bytes move
 * when the payload already sits in the pages at the current position.
 *
 * Kernel: net/sunrpc/xdr.c xdr_read_pages()
 * @returns the number of payload bytes now in the pages (≤ len; 0 if nothing is left)
 * @throws KernelBug if the buffer is inconsistent (the moves are bounds-checked)
 * @example
 * ```ts
 * const count = xdr_stream_decode_u32(xdr);
 * const got = xdr_read_pages(xdr, count); // payload: buf.pages from buf.page_base, `got` bytes
 * ```
 */
export function xdr_read_pages(xdr: xdr_stream, len: number): number {
  const nwords = XDR_QUADLEN(len);
  const pglen = xdr_align_pages(xdr, nwords * 4);
  if (pglen === 0) return 0;
  const base = u32wrap(nwords * 4 - pglen);
  const end = u32wrap(xdr_stream_remaining(xdr) - pglen);
  xdr_set_tail_base(xdr, base, end);
  return len <= pglen ? len : pglen;
}

/**
 * xdr_enter_page - align the page part like xdr_read_pages(), then position the stream at the
 * start of the page data (to decode items inside it, e.g. READDIR entries).
 *
 * Kernel: net/sunrpc/xdr.c xdr_enter_page()
 */
export function xdr_enter_page(xdr: xdr_stream, len: number): void {
  len = xdr_align_pages(xdr, len);
  if (len !== 0) xdr_set_page_base(xdr, 0, len);
}

/**
 * xdr_set_pagelen - make the page part `len` bytes long: shrinking moves the excess into the
 * tail, growing takes bytes from after the current position; the stream moves to the tail.
 *
 * Kernel: net/sunrpc/xdr.c xdr_set_pagelen()
 */
export function xdr_set_pagelen(xdr: xdr_stream, len: number): void {
  const buf = xdr.buf;
  const remaining = xdr_stream_remaining(xdr);
  let base = 0;
  if (len < buf.page_len) {
    base = buf.page_len - len;
    xdr_shrink_pagelen(buf, len);
  } else {
    xdr_buf_head_shift_right(buf, xdr_stream_pos(xdr), buf.page_len, remaining);
    if (len > buf.page_len) xdr_buf_try_expand(buf, len - buf.page_len);
  }
  xdr_set_tail_base(xdr, base, remaining);
}

/**
 * xdr_truncate_decode - drop `len` bytes (padded) from the end of what is left to decode.
 *
 * Kernel: net/sunrpc/xdr.c xdr_truncate_decode()
 */
export function xdr_truncate_decode(xdr: xdr_stream, len: number): void {
  const nbytes = xdr_align_size(len);
  xdr.buf.len -= nbytes;
  xdr.nwords -= XDR_QUADLEN(nbytes);
}

/**
 * xdr_stream_subsegment - describe the next `nbytes` of the stream as `subbuf` (sharing memory, no
 * copy) and advance past them and their padding.
 *
 * Kernel: net/sunrpc/xdr.c xdr_stream_subsegment()
 * @returns true, or false on a bounds error
 * @example
 * ```ts
 * const payload = new xdr_buf();
 * if (!xdr_stream_subsegment(xdr, payload, count)) return -EBADMSG; // NFS WRITE data
 * ```
 */
export function xdr_stream_subsegment(xdr: xdr_stream, subbuf: xdr_buf, nbytes: number): boolean {
  const start = xdr_stream_pos(xdr);
  if (!(nbytes >= 0)) return false;
  if (xdr_buf_subsegment(xdr.buf, subbuf, start, nbytes)) return false;
  for (let remaining = nbytes; remaining;) {
    if (xdr.p === xdr.end && !xdr_set_next_buffer(xdr)) return false;
    const len = xdr.end - xdr.p;
    if (remaining <= len) {
      xdr.p = xdr.p + remaining + xdr_pad_size(nbytes);
      break;
    }
    xdr.p += len;
    xdr.end = xdr.p;
    remaining -= len;
  }
  xdr_stream_set_pos(xdr, start + nbytes);
  return true;
}

/**
 * xdr_stream_decode_u32 - decode a 32-bit unsigned integer (allocation-free).
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_decode_u32()
 * Divergence: the value is the return value (C: an out-parameter); a u32 is never negative, so a
 * negative return is unambiguous.
 * @returns the value (0..2^32−1), or -EBADMSG on overrun
 * @example
 * ```ts
 * const n = xdr_stream_decode_u32(xdr);
 * if (n < 0) return n;
 * ```
 */
export function xdr_stream_decode_u32(xdr: xdr_stream): number {
  const p = xdr.p;
  if (xdr.nwords !== 0 && p + 4 <= xdr.end) {
    xdr.p = p + 4;
    xdr.nwords--;
    const v = xdr.view;
    return v[p]! * 16777216 + v[p + 1]! * 65536 + v[p + 2]! * 256 + v[p + 3]!;
  }
  const q = xdr_inline_decode(xdr, 4);
  if (q === null) return -EBADMSG;
  return get_be32(q, 0);
}

/**
 * xdr_stream_decode_u64 - decode a 64-bit unsigned integer (hyper).
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_decode_u64()
 * @returns the value as a bigint, or the number -EBADMSG on overrun
 */
export function xdr_stream_decode_u64(xdr: xdr_stream): bigint | number {
  const q = xdr_inline_decode(xdr, 8);
  if (q === null) return -EBADMSG;
  return (BigInt(get_be32(q, 0)) << 32n) | BigInt(get_be32(q, 4));
}

/**
 * xdrStreamDecodeU64Number - xdr_stream_decode_u64() as a number, for values known to be below
 * 2^53 (file offsets, sizes): no bigint allocation.
 *
 * Emulator-only.
 * @returns the value, -EBADMSG on overrun, or -EOVERFLOW if it is 2^53 or more
 */
export function xdrStreamDecodeU64Number(xdr: xdr_stream): number {
  const hi = xdr_stream_decode_u32(xdr);
  if (hi < 0) return hi;
  const lo = xdr_stream_decode_u32(xdr);
  if (lo < 0) return lo;
  if (hi >= 0x200000) return -errno.EOVERFLOW;
  return hi * 4294967296 + lo;
}

/**
 * xdr_stream_decode_bool - decode a boolean: any non-zero word is true (the kernel's rule).
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_decode_bool()
 * @returns 1 or 0, or -EBADMSG on overrun
 */
export function xdr_stream_decode_bool(xdr: xdr_stream): number {
  const n = xdr_stream_decode_u32(xdr);
  if (n < 0) return n;
  return n !== 0 ? 1 : 0;
}

/**
 * xdr_stream_decode_opaque_fixed - decode `len` bytes of fixed-length opaque into `ptr`.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_decode_opaque_fixed()
 * @returns len, or -EBADMSG on overrun
 * @throws KernelBug if `ptr` is shorter than `len`
 */
export function xdr_stream_decode_opaque_fixed(xdr: xdr_stream, ptr: Uint8Array, len: number): number {
  const p = xdr_inline_decode(xdr, len);
  if (p === null) return -EBADMSG;
  memcpy(ptr, 0, p, 0, len);
  return len;
}

const EMPTY = new Uint8Array(0);

/**
 * xdr_stream_decode_opaque_inline - decode a variable-length opaque in place.
 *
 * The stream advances past the data even when it is too long (as in the kernel).
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_decode_opaque_inline()
 * Divergence: returns the data view (C: the length, and the pointer through `void **`); its
 * `length` is the decoded length. A zero-length opaque yields an empty view.
 * @returns a view of the data (valid until the next decode), -EBADMSG on overrun, or -EMSGSIZE if
 *   the length exceeds `maxlen`
 * @example
 * ```ts
 * const fh = xdr_stream_decode_opaque_inline(xdr, NFS3_FHSIZE);
 * if (typeof fh === 'number') return fh;
 * ```
 */
export function xdr_stream_decode_opaque_inline(xdr: xdr_stream, maxlen: number): Uint8Array | number {
  const len = xdr_stream_decode_u32(xdr);
  if (len < 0) return -EBADMSG;
  if (len !== 0) {
    const p = xdr_inline_decode(xdr, len);
    if (p === null) return -EBADMSG;
    if (len > maxlen) return -EMSGSIZE;
    return p;
  }
  return EMPTY;
}

/**
 * xdr_stream_decode_uint32_array - decode a counted array of u32 into `array`.
 *
 * With `array` null only the count is returned (the data is skipped). Entries past the decoded
 * length up to `array_size` are zeroed.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_decode_uint32_array()
 * @returns the number of elements, -EBADMSG on overrun, or -EMSGSIZE if more than `array_size`
 *   (the first `array_size` are stored anyway)
 */
export function xdr_stream_decode_uint32_array(xdr: xdr_stream, array: number[] | Uint32Array | null, array_size: number = array?.length ?? 0): number {
  const len = xdr_stream_decode_u32(xdr);
  if (len < 0) return -EBADMSG;
  const p = xdr_inline_decode(xdr, len * 4);
  if (p === null) return -EBADMSG;
  if (array === null) return len;
  let retval: number;
  if (len <= array_size) {
    for (let i = len; i < array_size; i++) array[i] = 0;
    array_size = len;
    retval = len;
  } else {
    retval = -EMSGSIZE;
  }
  for (let i = 0; i < array_size; i++) array[i] = get_be32(p, 4 * i);
  return retval;
}

/**
 * xdr_stream_decode_opaque - decode a variable-length opaque into `ptr` (`size` bytes of room).
 *
 * Kernel: net/sunrpc/xdr.c xdr_stream_decode_opaque()
 * @returns the length stored, -EBADMSG on overrun, or -EMSGSIZE if it exceeds `size`
 */
export function xdr_stream_decode_opaque(xdr: xdr_stream, ptr: Uint8Array, size: number = ptr.length): number {
  const p = xdr_stream_decode_opaque_inline(xdr, Math.min(size, ptr.length));
  if (typeof p === 'number') return p;
  memcpy(ptr, 0, p, 0, p.length);
  return p.length;
}

/**
 * xdr_stream_decode_opaque_dup - decode a variable-length opaque into a new array.
 *
 * Kernel: net/sunrpc/xdr.c xdr_stream_decode_opaque_dup()
 * Divergence: returns the copy (empty for a zero length; the kernel returns 0 and NULL); no gfp,
 * no -ENOMEM.
 * @returns the copy, -EBADMSG on overrun, or -EMSGSIZE if the length exceeds `maxlen`
 */
export function xdr_stream_decode_opaque_dup(xdr: xdr_stream, maxlen: number): Uint8Array | number {
  const p = xdr_stream_decode_opaque_inline(xdr, maxlen);
  if (typeof p === 'number') return p;
  return p.slice();
}

const utf8 = new TextDecoder('utf-8');

function cstring(p: Uint8Array): string {
  const nul = p.indexOf(0);
  return utf8.decode(nul < 0 ? p : p.subarray(0, nul));
}

/**
 * xdr_stream_decode_string - decode a variable-length string.
 *
 * Kernel: net/sunrpc/xdr.c xdr_stream_decode_string()
 * Divergence: returns a JS string (UTF-8, invalid sequences replaced), cut at the first NUL as
 * the kernel's `strlen()` would; `size` is the maximum byte length.
 * @returns the string, -EBADMSG on overrun, or -EMSGSIZE if longer than `size`
 */
export function xdr_stream_decode_string(xdr: xdr_stream, size: number): string | number {
  const p = xdr_stream_decode_opaque_inline(xdr, size);
  if (typeof p === 'number') return p;
  return cstring(p);
}

/**
 * xdr_stream_decode_string_dup - decode a variable-length string (a JS string is always a copy).
 *
 * Kernel: net/sunrpc/xdr.c xdr_stream_decode_string_dup()
 * Divergence: as xdr_stream_decode_string(); no gfp, no -ENOMEM.
 * @returns the string, -EBADMSG on overrun, or -EMSGSIZE if longer than `maxlen`
 */
export function xdr_stream_decode_string_dup(xdr: xdr_stream, maxlen: number): string | number {
  return xdr_stream_decode_string(xdr, maxlen);
}
