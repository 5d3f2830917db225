/**
 * xdr_stream_encode - encoding into an xdr_buf: reservations, page insertion, truncation, and the
 * xdr_stream_encode_* primitives.
 *
 * Kernel: net/sunrpc/xdr.c (xdr_init_encode, xdr_init_encode_pages, __xdr_commit_encode,
 *         xdr_get_next_encode_buffer, xdr_reserve_space, xdr_reserve_space_vec,
 *         xdr_truncate_encode, xdr_restrict_buflen, xdr_write_pages, xdr_stream_pos,
 *         xdr_page_pos, xdr_encode_opaque_fixed, xdr_encode_opaque);
 *         include/linux/sunrpc/xdr.h (xdr_commit_encode, xdr_stream_encode_*)
 *
 * Operation: `xdr_init_encode()` points the stream at the end of head[0]; `xdr_reserve_space(n)`
 * rounds n up to a multiple of 4 and hands out the next n bytes, growing the current part (head,
 * page part or tail) and `buf.len`. When a reservation does not fit in the current buffer, the
 * stream moves to the next page (`xdr_get_next_encode_buffer`): the caller writes the item
 * contiguously at the start of that page, and the bytes that belonged at the end of the previous
 * buffer are remembered in `scratch` and moved into place by `xdr_commit_encode()` (called by
 * the next reservation, or explicitly before the buffer is read). A reservation never exceeds
 * PAGE_SIZE nor `buflen`; beyond that it returns null and changes nothing.
 *
 * `xdr_write_pages()` inserts the caller's pages as the page part, without copying, and continues
 * encoding into the tail (which shares the rest of the head's memory), emitting the XDR pad word
 * when the page length is not a multiple of 4.
 *
 * Hot path: `xdr_stream_encode_u32()` checks the current buffer inline and stores four bytes with
 * no allocation; only a page crossing takes the general path.
 *
 * Invariants: `p ≤ end ≤ view.length`; `buf.len ≤ buf.buflen`; after `xdr_commit_encode()`,
 * `buf.len == head.iov_len + page_len + tail.iov_len`; every reservation is a multiple of 4 bytes.
 */
import { BUG_ON, WARN, errno } from '@rdmaemu/sim-core';
import { PAGE_SIZE, page_address, type page } from '@rdmaemu/dma-core';
import { memcpy, memmove, memset, put_be32 } from './_bytes.js';
import {
  XDR_QUADLEN, xdr_align_size, xdr_reset_scratch_buffer, type xdr_buf, type xdr_stream,
} from './xdr.h.js';

const EMSGSIZE = errno.EMSGSIZE;

/**
 * xdr_stream_pos - the current offset from the start of the stream, in bytes.
 *
 * `(XDR_QUADLEN(buf.len) − nwords) << 2`: while encoding (nwords 0) that is the encoded length
 * rounded up to a word; while decoding, the bytes consumed.
 *
 * Kernel: net/sunrpc/xdr.c xdr_stream_pos()
 */
export function xdr_stream_pos(xdr: xdr_stream): number {
  return (XDR_QUADLEN(xdr.buf.len) - xdr.nwords) * 4;
}

/**
 * xdr_page_pos - the current offset from the start of the page part.
 *
 * Kernel: net/sunrpc/xdr.c xdr_page_pos()
 * @throws KernelBug (WARN_ON, strict mode) if the position is still inside the head
 */
export function xdr_page_pos(xdr: xdr_stream): number {
  const pos = xdr_stream_pos(xdr);
  WARN(pos < xdr.buf.head[0].iov_len, 'xdr_page_pos: position is inside the head');
  return pos - xdr.buf.head[0].iov_len;
}

/**
 * xdr_init_encode - set up `xdr` to encode into `buf` after the head's current contents.
 *
 * The writable head space is `buflen − page_len − tail.iov_len`. `p`, if given and past the
 * head's end, is a head offset up to which the caller has already written (those bytes are
 * counted into head.iov_len and buf.len).
 *
 * Kernel: net/sunrpc/xdr.c xdr_init_encode()
 * Divergence: `p` is a byte offset into head[0].iov_base (null = the kernel's NULL). `page_ptr`
 * starts at −1 over `buf.pages` (the kernel leaves that to callers, e.g. svcxdr_init_encode sets
 * `pages - 1`), so encoding can flow from the head into the pages.
 * @throws KernelBug if the head space is negative, head.iov_len exceeds it, `p` lies outside it
 *   (the kernel's BUG_ONs), or head[0].iov_base is shorter than the head space (rdmaemu's check:
 *   the kernel would write past the allocation)
 * @example
 * ```ts
 * const buf = new xdr_buf();
 * xdr_buf_init(buf, new Uint8Array(1024), 1024);
 * buf.head[0].iov_len = 0;
 * const xdr = new xdr_stream();
 * xdr_init_encode(xdr, buf, null);
 * xdr_stream_encode_u32(xdr, 0x2a);
 * ```
 */
export function xdr_init_encode(xdr: xdr_stream, buf: xdr_buf, p: number | null = null, rqst: object | null = null): void {
  const iov = buf.head[0];
  const scratch_len = buf.buflen - buf.page_len - buf.tail[0].iov_len;
  xdr_reset_scratch_buffer(xdr);
  BUG_ON(scratch_len < 0, 'xdr_init_encode: buflen smaller than page_len + tail');
  BUG_ON(scratch_len > iov.iov_base.length, `xdr_init_encode: head buffer (${iov.iov_base.length} bytes) is shorter than its ${scratch_len} bytes of space`);
  xdr.buf = buf;
  xdr.iov = iov;
  xdr.view = iov.iov_base;
  xdr.p = iov.iov_len;
  xdr.end = scratch_len;
  xdr.nwords = 0;
  xdr.page_ptr = -1;
  xdr.pageArray = buf.pages;
  BUG_ON(iov.iov_len > scratch_len, 'xdr_init_encode: head.iov_len beyond the head space');
  if (p !== null && p !== xdr.p) {
    BUG_ON(p < xdr.p || p > xdr.end, 'xdr_init_encode: p outside the head space');
    const len = p - xdr.p;
    xdr.p = p;
    buf.len += len;
    iov.iov_len += len;
  }
  xdr.rqst = rqst;
}

/**
 * xdr_init_encode_pages - set up `xdr` to encode straight into `pages` (no head).
 *
 * Kernel: net/sunrpc/xdr.c xdr_init_encode_pages()
 * @throws KernelBug if `pages` is empty (a NULL dereference in C)
 * @example
 * ```ts
 * xdr_init_encode_pages(xdr, buf, buf.pages);
 * ```
 */
export function xdr_init_encode_pages(xdr: xdr_stream, buf: xdr_buf, pages: page[], rqst: object | null = null): void {
  xdr_reset_scratch_buffer(xdr);
  BUG_ON(pages[0] === undefined, 'xdr_init_encode_pages: no pages');
  xdr.buf = buf;
  xdr.pageArray = pages;
  xdr.page_ptr = 0;
  xdr.iov = null;
  xdr.view = page_address(pages[0]!);
  xdr.p = 0;
  xdr.end = Math.min(buf.buflen, PAGE_SIZE);
  xdr.nwords = 0;
  xdr.rqst = rqst;
}

/**
 * __xdr_commit_encode - move the bytes of a page-crossing reservation into place.
 *
 * The first `scratch.iov_len` bytes written at the start of the current page belong at the end of
 * the previous buffer: copy them there and slide the rest of the page down.
 *
 * Kernel: net/sunrpc/xdr.c __xdr_commit_encode()
 */
export function __xdr_commit_encode(xdr: xdr_stream): void {
  const shift = xdr.scratch.iov_len;
  const pg = xdr.view;
  memcpy(xdr.scratch.iov_base, 0, pg, 0, shift);
  memmove(pg, 0, shift, xdr.p);
  xdr_reset_scratch_buffer(xdr);
}

/**
 * xdr_commit_encode - make sure everything reserved so far sits in the xdr_buf.
 *
 * Call it before reading a buffer whose last reservation crossed a page boundary; the next
 * xdr_reserve_space() calls it anyway.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_commit_encode()
 */
export function xdr_commit_encode(xdr: xdr_stream): void {
  if (xdr.scratch.iov_len) __xdr_commit_encode(xdr);
}

function xdr_get_next_encode_buffer(xdr: xdr_stream, nbytes: number): number {
  const buf = xdr.buf;
  if (nbytes > PAGE_SIZE) return -1; // bigger buffers require special handling
  if (buf.len + nbytes > buf.buflen) return -1; // totally out of space
  const next = (xdr.page_ptr ?? -1) + 1;
  const pg = xdr.pageArray[next];
  BUG_ON(pg === undefined, `xdr_get_next_encode_buffer: buflen promises page ${next} but the page array has ${xdr.pageArray.length}`);
  const frag1bytes = xdr.end - xdr.p;
  const frag2bytes = nbytes - frag1bytes;
  if (xdr.iov) xdr.iov.iov_len += frag1bytes;
  else buf.page_len += frag1bytes;
  xdr.page_ptr = next;
  xdr.iov = null;
  xdr.scratch.iov_base = xdr.view.subarray(xdr.p, xdr.p + frag1bytes);
  xdr.scratch.iov_len = frag1bytes;
  xdr.view = page_address(pg!);
  xdr.p = frag2bytes;
  const space_left = buf.buflen - buf.len;
  xdr.end = space_left - frag1bytes >= PAGE_SIZE ? PAGE_SIZE : space_left - frag1bytes;
  buf.page_len += frag2bytes;
  buf.len += nbytes;
  return 0;
}

/**
 * xdrReserveOffset - xdr_reserve_space() returning a byte offset into `xdr.view` (−1 for NULL).
 *
 * Emulator-only: the allocation-free form the encoders (and the codec layer) use. The `n` bytes
 * at `xdr.view[off .. off + align(n))` are the reservation, valid until the next reservation.
 * @example
 * ```ts
 * const off = xdrReserveOffset(xdr, 8);
 * if (off >= 0) xdr.view.fill(0, off, off + 8);
 * ```
 */
export function xdrReserveOffset(xdr: xdr_stream, nbytes: number): number {
  if (xdr.scratch.iov_len) __xdr_commit_encode(xdr);
  if (!(nbytes >= 0)) return -1;
  nbytes = xdr_align_size(nbytes);
  const p = xdr.p;
  const q = p + nbytes;
  if (q > xdr.end) return xdr_get_next_encode_buffer(xdr, nbytes);
  xdr.p = q;
  if (xdr.iov) xdr.iov.iov_len += nbytes;
  else xdr.buf.page_len += nbytes;
  xdr.buf.len += nbytes;
  return p;
}

/**
 * xdr_reserve_space - reserve `nbytes` (rounded up to a multiple of 4) at the end of the stream.
 *
 * Grows the current part and `buf.len`. A reservation that does not fit in the current buffer
 * continues at the start of the next page (see the file header); it fails if it is larger than
 * PAGE_SIZE or would exceed `buflen`.
 *
 * Kernel: net/sunrpc/xdr.c xdr_reserve_space()
 * Divergence: returns a view of the whole (aligned) reservation instead of a `__be32 *`.
 * @returns the reserved bytes, or null (nothing changed) when there is no room
 * @example
 * ```ts
 * const p = xdr_reserve_space(xdr, 8);
 * if (p === null) return -EMSGSIZE;
 * p.set([0, 0, 0, 1, 0, 0, 0, 2]);
 * ```
 */
export function xdr_reserve_space(xdr: xdr_stream, nbytes: number): Uint8Array | null {
  const off = xdrReserveOffset(xdr, nbytes);
  if (off < 0) return null;
  return xdr.view.subarray(off, off + xdr_align_size(nbytes));
}

/**
 * xdr_reserve_space_vec - reserve a large amount of space, page by page, starting in the pages.
 *
 * If the stream is still in the head, the head is closed first (svcrdma needs every READ payload
 * to start in the page part). Each step reserves what is left of the current page.
 *
 * Kernel: net/sunrpc/xdr.c xdr_reserve_space_vec() (v6.x signature)
 * @returns 0, or -EMSGSIZE when there is not enough space
 */
export function xdr_reserve_space_vec(xdr: xdr_stream, nbytes: number): number {
  if (xdr.iov === xdr.buf.head[0]) {
    xdr.iov = null;
    xdr.end = xdr.p;
  }
  while (nbytes) {
    let thislen = xdr.buf.page_len % PAGE_SIZE;
    thislen = Math.min(nbytes, PAGE_SIZE - thislen);
    if (xdrReserveOffset(xdr, thislen) < 0) return -EMSGSIZE;
    nbytes -= thislen;
  }
  return 0;
}

/** Point xdr.p at `base[off]`, keeping `end` meaningful when the view changes. */
function setPointer(xdr: xdr_stream, base: Uint8Array, off: number): void {
  if (base.buffer === xdr.view.buffer) {
    const d = base.byteOffset - xdr.view.byteOffset;
    if (d >= 0 && d + off <= xdr.view.length) {
      xdr.p = d + off;
      return;
    }
    xdr.end += xdr.view.byteOffset - base.byteOffset;
  } else {
    xdr.end = base.length;
  }
  xdr.view = base;
  xdr.p = off;
}

/**
 * xdr_truncate_encode - cut the encoded message back to `len` bytes and move the write position
 * there, adjusting tail, page and head lengths.
 *
 * Not safe on a buffer with inlined page-cache pages except within the tail (the kernel's rule).
 *
 * Kernel: net/sunrpc/xdr.c xdr_truncate_encode()
 * @throws KernelBug (WARN_ON_ONCE, strict mode) if len > buf.len, or when the cut crosses from
 *   the tail into the pages (the kernel's WARN_ON_ONCE(fraglen))
 * @example
 * ```ts
 * const mark = xdr.buf.len;
 * // ... encode an optional part, then give up on it:
 * xdr_truncate_encode(xdr, mark);
 * ```
 */
export function xdr_truncate_encode(xdr: xdr_stream, len: number): void {
  const buf = xdr.buf;
  const head = buf.head[0];
  const tail = buf.tail[0];
  if (len > buf.len) {
    WARN(true, 'xdr_truncate_encode: len beyond the encoded length');
    return;
  }
  xdr_commit_encode(xdr);
  let fraglen = Math.min(buf.len - len, tail.iov_len);
  tail.iov_len -= fraglen;
  buf.len -= fraglen;
  if (tail.iov_len) {
    setPointer(xdr, tail.iov_base, tail.iov_len);
    WARN(xdr.iov === null, 'xdr_truncate_encode: tail data but no iov');
    return;
  }
  WARN(fraglen !== 0, 'xdr_truncate_encode: truncating from the tail into the pages');
  fraglen = Math.min(buf.len - len, buf.page_len);
  buf.page_len -= fraglen;
  buf.len -= fraglen;
  const neu = buf.page_base + buf.page_len;
  xdr.pageArray = buf.pages;
  xdr.page_ptr = Math.floor(neu / PAGE_SIZE);
  if (buf.page_len) {
    const pg = buf.pages[xdr.page_ptr];
    BUG_ON(pg === undefined, 'xdr_truncate_encode: page past the page array');
    xdr.view = page_address(pg!);
    xdr.end = PAGE_SIZE;
    xdr.p = neu % PAGE_SIZE;
    WARN(xdr.iov !== null, 'xdr_truncate_encode: in the pages but iov set');
    return;
  }
  if (fraglen) {
    xdr.view = head.iov_base;
    xdr.end = head.iov_len;
  }
  xdr.page_ptr--;
  head.iov_len = len;
  buf.len = len;
  setPointer(xdr, head.iov_base, head.iov_len);
  xdr.iov = head;
}

/**
 * xdr_restrict_buflen - lower the space available to `newbuflen` bytes in all.
 *
 * Kernel: net/sunrpc/xdr.c xdr_restrict_buflen()
 * @returns 0 (also when newbuflen is above buflen: nothing changes), or −1 if more than
 *   newbuflen bytes are already used
 */
export function xdr_restrict_buflen(xdr: xdr_stream, newbuflen: number): number {
  const buf = xdr.buf;
  const left_in_this_buf = xdr.end - xdr.p;
  const end_offset = buf.len + left_in_this_buf;
  if (newbuflen < 0 || newbuflen < buf.len) return -1;
  if (newbuflen > buf.buflen) return 0;
  if (newbuflen < end_offset) xdr.end = xdr.end + newbuflen - end_offset;
  buf.buflen = newbuflen;
  return 0;
}

/**
 * xdr_write_pages - insert `len` bytes of `pages` (from `base`) as the page part, without copying,
 * and continue encoding in the tail.
 *
 * The tail starts at the current position (in the head's memory). If `len` is not a multiple of
 * 4, a zero pad word is written and the tail starts *inside* it, at `len & 3`, holding the pad
 * bytes. `buflen` and `len` grow by the padded page length.
 *
 * Kernel: net/sunrpc/xdr.c xdr_write_pages()
 * Divergence: drops a stale `bvec` mirror.
 * @throws KernelBug if a pad word is needed and there is no room for it (the kernel's BUG_ON)
 * @example
 * ```ts
 * xdr_stream_encode_u32(xdr, count);          // READ3resok: count
 * xdr_write_pages(xdr, pages, 0, count);     // the data, zero copy
 * ```
 */
export function xdr_write_pages(xdr: xdr_stream, pages: page[], base: number, len: number): void {
  const buf = xdr.buf;
  const tail = buf.tail[0];
  buf.pages = pages;
  buf.bvec = null;
  buf.page_base = base;
  buf.page_len = len;
  tail.iov_base = xdr.view.subarray(xdr.p);
  tail.iov_len = 0;
  xdr.iov = tail;
  const rem = len % 4;
  if (rem) {
    const pad = 4 - rem;
    BUG_ON(xdr.p >= xdr.end, 'xdr_write_pages: no room for the pad word');
    tail.iov_base = xdr.view.subarray(xdr.p + rem);
    tail.iov_len += pad;
    len += pad;
    put_be32(xdr.view, xdr.p, 0);
    xdr.p += 4;
  }
  buf.buflen += len;
  buf.len += len;
}

/**
 * xdr_encode_opaque_fixed - copy `nbytes` of `ptr` to `view[off..]` and zero-pad to 4 bytes.
 *
 * With `ptr` null only the padding is written. Returns the offset after the item.
 *
 * Kernel: net/sunrpc/xdr.c xdr_encode_opaque_fixed()
 * Divergence: (view, offset) for the `__be32 *p` argument and result.
 * @throws KernelBug on an out-of-bounds access (the caller reserved too little)
 */
export function xdr_encode_opaque_fixed(view: Uint8Array, off: number, ptr: Uint8Array | null, nbytes: number): number {
  if (nbytes !== 0) {
    const quad = xdr_align_size(nbytes);
    if (ptr !== null) memcpy(view, off, ptr, 0, nbytes);
    if (quad !== nbytes) memset(view, off + nbytes, 0, quad - nbytes);
    off += quad;
  }
  return off;
}

/**
 * xdr_encode_opaque - store the length word then the padded bytes at `view[off..]`.
 *
 * Kernel: net/sunrpc/xdr.c xdr_encode_opaque()
 */
export function xdr_encode_opaque(view: Uint8Array, off: number, ptr: Uint8Array | null, nbytes: number): number {
  put_be32(view, off, nbytes);
  return xdr_encode_opaque_fixed(view, off + 4, ptr, nbytes);
}

/**
 * xdr_stream_encode_u32 - encode a 32-bit unsigned integer (allocation-free).
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_u32()
 * @param n an integer in 0..2^32−1
 * @returns 4, or -EMSGSIZE on buffer overflow
 * @example
 * ```ts
 * if (xdr_stream_encode_u32(xdr, xid) < 0) return -EMSGSIZE;
 * ```
 */
export function xdr_stream_encode_u32(xdr: xdr_stream, n: number): number {
  let p = xdr.p;
  if (xdr.scratch.iov_len === 0 && p + 4 <= xdr.end) {
    xdr.p = p + 4;
    const iov = xdr.iov;
    if (iov !== null) iov.iov_len += 4;
    else xdr.buf.page_len += 4;
    xdr.buf.len += 4;
  } else {
    p = xdrReserveOffset(xdr, 4);
    if (p < 0) return -EMSGSIZE;
  }
  const v = xdr.view;
  v[p] = n / 16777216;
  v[p + 1] = n / 65536;
  v[p + 2] = n / 256;
  v[p + 3] = n;
  return 4;
}

/**
 * xdr_stream_encode_be32 - encode a word already in network order.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_be32()
 * Divergence: byte order is explicit in rdmaemu (a `__be32` is the number read big-endian), so
 * this is xdr_stream_encode_u32(); it exists for name parity.
 * @returns 4, or -EMSGSIZE
 */
export function xdr_stream_encode_be32(xdr: xdr_stream, n: number): number {
  return xdr_stream_encode_u32(xdr, n);
}

/**
 * xdr_stream_encode_u64 - encode a 64-bit unsigned integer (hyper), high word first.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_u64()
 * @param n a bigint (taken modulo 2^64) or a non-negative safe integer number
 * @returns 8, or -EMSGSIZE
 * @example
 * ```ts
 * xdr_stream_encode_u64(xdr, 1n << 40n);
 * ```
 */
export function xdr_stream_encode_u64(xdr: xdr_stream, n: bigint | number): number {
  const off = xdrReserveOffset(xdr, 8);
  if (off < 0) return -EMSGSIZE;
  let hi: number;
  let lo: number;
  if (typeof n === 'bigint') {
    const u = BigInt.asUintN(64, n);
    hi = Number(u >> 32n);
    lo = Number(u & 0xffffffffn);
  } else {
    hi = Math.floor(n / 4294967296);
    lo = n - hi * 4294967296;
  }
  put_be32(xdr.view, off, hi);
  put_be32(xdr.view, off + 4, lo);
  return 8;
}

/**
 * xdr_stream_encode_bool - encode a boolean (1 for any truthy value, else 0).
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_bool()
 * @returns 4, or -EMSGSIZE
 */
export function xdr_stream_encode_bool(xdr: xdr_stream, n: boolean | number): number {
  return xdr_stream_encode_u32(xdr, n ? 1 : 0);
}

/**
 * xdr_stream_encode_item_present - encode the "present" discriminator of an optional/list item.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_item_present()
 * @returns 4, or -EMSGSIZE
 */
export function xdr_stream_encode_item_present(xdr: xdr_stream): number {
  return xdr_stream_encode_u32(xdr, 1);
}

/**
 * xdr_stream_encode_item_absent - encode the "not present" discriminator.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_item_absent()
 * @returns 4, or -EMSGSIZE
 */
export function xdr_stream_encode_item_absent(xdr: xdr_stream): number {
  return xdr_stream_encode_u32(xdr, 0);
}

/**
 * xdr_stream_encode_opaque_inline - reserve a variable-length opaque of `len` bytes: write the
 * length word and zero padding, and return where the caller puts the data.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_opaque_inline()
 * Divergence: returns the data view (`len` bytes) instead of the count and a `void **` out-param;
 * the count is `4 + xdr_align_size(len)`.
 * @returns the view to fill, or -EMSGSIZE
 */
export function xdr_stream_encode_opaque_inline(xdr: xdr_stream, len: number): Uint8Array | number {
  const off = xdrReserveOffset(xdr, 4 + xdr_align_size(len));
  if (off < 0) return -EMSGSIZE;
  xdr_encode_opaque(xdr.view, off, null, len);
  return xdr.view.subarray(off + 4, off + 4 + len);
}

/**
 * xdr_stream_encode_opaque_fixed - encode fixed-length opaque data (no length word), zero-padded.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_opaque_fixed()
 * @returns xdr_align_size(len), or -EMSGSIZE
 * @throws KernelBug if `ptr` holds fewer than `len` bytes
 */
export function xdr_stream_encode_opaque_fixed(xdr: xdr_stream, ptr: Uint8Array | null, len: number = ptr?.length ?? 0): number {
  const off = xdrReserveOffset(xdr, len);
  if (off < 0) return -EMSGSIZE;
  xdr_encode_opaque_fixed(xdr.view, off, ptr, len);
  return xdr_align_size(len);
}

/**
 * xdr_stream_encode_opaque - encode variable-length opaque data: length word, bytes, padding.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_opaque()
 * @returns 4 + xdr_align_size(len), or -EMSGSIZE
 * @throws KernelBug if `ptr` holds fewer than `len` bytes
 * @example
 * ```ts
 * xdr_stream_encode_opaque(xdr, fh, fh.length);
 * ```
 */
export function xdr_stream_encode_opaque(xdr: xdr_stream, ptr: Uint8Array | null, len: number = ptr?.length ?? 0): number {
  const count = 4 + xdr_align_size(len);
  const off = xdrReserveOffset(xdr, count);
  if (off < 0) return -EMSGSIZE;
  xdr_encode_opaque(xdr.view, off, ptr, len);
  return count;
}

/**
 * xdr_stream_encode_uint32_array - encode a counted array of u32.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_encode_uint32_array()
 * @returns (array_size + 1) * 4, or -EMSGSIZE
 */
export function xdr_stream_encode_uint32_array(xdr: xdr_stream, array: ArrayLike<number>, array_size: number = array.length): number {
  const ret = (array_size + 1) * 4;
  const off = xdrReserveOffset(xdr, ret);
  if (off < 0) return -EMSGSIZE;
  const v = xdr.view;
  put_be32(v, off, array_size);
  for (let i = 0; i < array_size; i++) put_be32(v, off + 4 + 4 * i, array[i]!);
  return ret;
}
