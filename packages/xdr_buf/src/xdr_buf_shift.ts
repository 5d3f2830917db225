/**
 * xdr_buf_shift - moving bytes between an xdr_buf's head, pages and tail ("buffer surgery").
 *
 * Kernel: net/sunrpc/xdr.c (_copy_to_pages, _copy_from_pages, _shift_data_right_pages,
 *         xdr_buf_try_expand, xdr_buf_{head,pages,tail}_{copy,shift}_right, xdr_shrink_bufhead,
 *         xdr_shrink_pagelen, xdr_shift_buf)
 *
 * Operation: a receive lands the whole reply where the transport put it: over TCP into the head,
 * over RDMA the payload straight into the pages. Before a decoder can look at page data it must sit
 * in the page part, aligned to where the decoder is. `xdr_shrink_bufhead(buf, len)` cuts the head
 * to `len` bytes and pushes the bytes that followed into the pages (and what no longer fits in the
 * pages into the tail); `xdr_shrink_pagelen(buf, len)` cuts the page part and pushes its excess
 * into the tail. Shifting right walks from the end so overlapping moves stay correct, exactly as
 * the kernel's helpers do. These moves are the kernel's own copies; a reply whose data already
 * sits where it belongs (the RDMA case, or a buffer built with xdr_write_pages) moves nothing.
 *
 * Every byte move is bounds-checked (`_bytes.ts`): where the kernel would write past a kvec or a
 * page, rdmaemu throws KernelBug instead.
 *
 * Invariants: after `xdr_shrink_bufhead(buf, n)` (n ≤ head.iov_len) `head.iov_len == n` and the
 * message bytes, read in order head ‖ pages ‖ tail, are unchanged up to the new `len`.
 */
import { BUG_ON, WARN } from '@rdmaemu/sim-core';
import { PAGE_SIZE, page_address, type page } from '@rdmaemu/dma-core';
import { memcpy, memmove, u32wrap } from './_bytes.js';
import type { xdr_buf } from './xdr.h.js';

function pageView(pages: readonly page[], idx: number, fn: string): Uint8Array {
  const pg = pages[idx];
  BUG_ON(pg === undefined, `${fn}: page index ${idx} is past the end of the page array (${pages.length})`);
  return page_address(pg!);
}

/**
 * _copy_to_pages - copy `len` bytes from `src[sOff..]` into the page array at page-vector offset
 * `pgbase` (byte `pgbase` counted from the start of `pages[0]`). Non-overlapping.
 *
 * Kernel: net/sunrpc/xdr.c _copy_to_pages()
 * Divergence: the source is (view, offset) instead of a pointer.
 * @throws KernelBug if the source or a page index is out of bounds
 */
export function _copy_to_pages(pages: readonly page[], pgbase: number, src: Uint8Array, sOff: number, len: number): void {
  if (len === 0) return;
  let idx = Math.floor(pgbase / PAGE_SIZE);
  let off = pgbase % PAGE_SIZE;
  for (;;) {
    const copy = Math.min(PAGE_SIZE - off, len);
    memcpy(pageView(pages, idx, '_copy_to_pages'), off, src, sOff, copy);
    len -= copy;
    if (len === 0) break;
    off += copy;
    if (off === PAGE_SIZE) {
      off = 0;
      idx++;
    }
    sOff += copy;
  }
}

/**
 * _copy_from_pages - copy `len` bytes at page-vector offset `pgbase` of `pages` into `dst[dOff..]`.
 *
 * Kernel: net/sunrpc/xdr.c _copy_from_pages() (EXPORT_SYMBOL_GPL)
 * Divergence: the destination is (view, offset) instead of a pointer.
 * @throws KernelBug if the destination or a page index is out of bounds
 * @example
 * ```ts
 * const out = new Uint8Array(100);
 * _copy_from_pages(out, 0, buf.pages, buf.page_base, 100);
 * ```
 */
export function _copy_from_pages(dst: Uint8Array, dOff: number, pages: readonly page[], pgbase: number, len: number): void {
  if (len === 0) return;
  let idx = Math.floor(pgbase / PAGE_SIZE);
  let off = pgbase % PAGE_SIZE;
  do {
    const copy = Math.min(PAGE_SIZE - off, len);
    memcpy(dst, dOff, pageView(pages, idx, '_copy_from_pages'), off, copy);
    off += copy;
    if (off === PAGE_SIZE) {
      off = 0;
      idx++;
    }
    dOff += copy;
    len -= copy;
  } while (len !== 0);
}

/**
 * _shift_data_right_pages - move `len` bytes within the page array from page-vector offset
 * `pgfrom_base` up to `pgto_base` (> pgfrom_base); the areas may overlap, so the walk runs from
 * the end.
 *
 * Kernel: net/sunrpc/xdr.c _shift_data_right_pages()
 * @throws KernelBug if pgto_base ≤ pgfrom_base (the kernel's BUG_ON), or on an out-of-bounds page
 */
export function _shift_data_right_pages(pages: readonly page[], pgto_base: number, pgfrom_base: number, len: number): void {
  BUG_ON(pgto_base <= pgfrom_base, '_shift_data_right_pages: destination not above source');
  if (len === 0) return;
  pgto_base += len;
  pgfrom_base += len;
  let to = Math.floor(pgto_base / PAGE_SIZE);
  let from = Math.floor(pgfrom_base / PAGE_SIZE);
  pgto_base %= PAGE_SIZE;
  pgfrom_base %= PAGE_SIZE;
  do {
    if (pgto_base === 0) {
      pgto_base = PAGE_SIZE;
      to--;
    }
    if (pgfrom_base === 0) {
      pgfrom_base = PAGE_SIZE;
      from--;
    }
    let copy = len;
    if (copy > pgto_base) copy = pgto_base;
    if (copy > pgfrom_base) copy = pgfrom_base;
    pgto_base -= copy;
    pgfrom_base -= copy;
    const vto = pageView(pages, to, '_shift_data_right_pages');
    if (pages[to] !== pages[from]) {
      memcpy(vto, pgto_base, pageView(pages, from, '_shift_data_right_pages'), pgfrom_base, copy);
    } else {
      memmove(vto, pgto_base, pgfrom_base, copy);
    }
    len -= copy;
  } while (len !== 0);
}

/**
 * xdr_buf_try_expand - grow `len` toward the space the parts already describe, then the tail
 * into unused `buflen`, by up to `len` bytes.
 *
 * Kernel: net/sunrpc/xdr.c xdr_buf_try_expand()
 * Divergence: XDRBUF_SPARSE_PAGES holes are not modelled (an rdmaemu page array has no NULL
 * entries), so xdr_buf_pages_fill_sparse() is the identity.
 */
export function xdr_buf_try_expand(buf: xdr_buf, len: number): void {
  const head = buf.head[0];
  const tail = buf.tail[0];
  const sum = head.iov_len + buf.page_len + tail.iov_len;
  if (sum > buf.len) {
    const free_space = Math.min(sum - buf.len, len);
    buf.len += free_space;
    len -= free_space;
    if (!len) return;
  }
  if (buf.buflen > sum) {
    const free_space = Math.min(buf.buflen - sum, len);
    tail.iov_len += free_space;
    buf.len += free_space;
  }
}

function xdr_buf_tail_copy_right(buf: xdr_buf, base: number, len: number, shift: number): void {
  const tail = buf.tail[0];
  const to = base + shift;
  if (to >= tail.iov_len) return;
  if (len + to > tail.iov_len) len = tail.iov_len - to;
  memmove(tail.iov_base, to, base, len);
}

function xdr_buf_pages_copy_right(buf: xdr_buf, base: number, len: number, shift: number): void {
  const tail = buf.tail[0];
  const to = base + shift;
  let pglen = 0;
  let talen = 0;
  let tato = 0;
  if (base >= buf.page_len) return;
  if (len > buf.page_len - base) len = buf.page_len - base;
  if (to >= buf.page_len) {
    tato = to - buf.page_len;
    if (tail.iov_len >= len + tato) talen = len;
    else if (tail.iov_len > tato) talen = tail.iov_len - tato;
  } else if (len + to >= buf.page_len) {
    pglen = buf.page_len - to;
    talen = len - pglen;
    if (talen > tail.iov_len) talen = tail.iov_len;
  } else {
    pglen = len;
  }
  _copy_from_pages(tail.iov_base, tato, buf.pages, buf.page_base + base + pglen, talen);
  if (pglen) _shift_data_right_pages(buf.pages, buf.page_base + to, buf.page_base + base, pglen);
}

function xdr_buf_head_copy_right(buf: xdr_buf, base: number, len: number, shift: number): void {
  const head = buf.head[0];
  const tail = buf.tail[0];
  const to = base + shift;
  let pglen = 0;
  let pgto = 0;
  let talen = 0;
  let tato = 0;
  if (base >= head.iov_len) return;
  if (len > head.iov_len - base) len = head.iov_len - base;
  if (to >= buf.page_len + head.iov_len) {
    tato = to - buf.page_len - head.iov_len;
    talen = len;
  } else if (to >= head.iov_len) {
    pgto = to - head.iov_len;
    pglen = len;
    if (pgto + pglen > buf.page_len) {
      talen = pgto + pglen - buf.page_len;
      pglen -= talen;
    }
  } else {
    pglen = u32wrap(len - to);
    if (pglen > buf.page_len) {
      talen = pglen - buf.page_len;
      pglen = buf.page_len;
    }
  }
  len = u32wrap(len - talen);
  base += len;
  if (talen + tato > tail.iov_len) talen = tail.iov_len > tato ? tail.iov_len - tato : 0;
  memcpy(tail.iov_base, tato, head.iov_base, base, talen);
  len = u32wrap(len - pglen);
  base -= pglen;
  _copy_to_pages(buf.pages, buf.page_base + pgto, head.iov_base, base, pglen);
  base -= len;
  memmove(head.iov_base, to, base, len);
}

function xdr_buf_tail_shift_right(buf: xdr_buf, base: number, len: number, shift: number): void {
  if (base >= buf.tail[0].iov_len || !shift || !len) return;
  xdr_buf_tail_copy_right(buf, base, len, shift);
}

function xdr_buf_pages_shift_right(buf: xdr_buf, base: number, len: number, shift: number): void {
  if (!shift || !len) return;
  if (base >= buf.page_len) {
    xdr_buf_tail_shift_right(buf, base - buf.page_len, len, shift);
    return;
  }
  if (base + len > buf.page_len) xdr_buf_tail_shift_right(buf, 0, base + len - buf.page_len, shift);
  xdr_buf_pages_copy_right(buf, base, len, shift);
}

/**
 * xdr_buf_head_shift_right - move `len` message bytes starting at `base` right by `shift`,
 * spilling from head into pages and from pages into tail; bytes pushed past the end are dropped.
 *
 * Kernel: net/sunrpc/xdr.c xdr_buf_head_shift_right()
 * Divergence: none. Note that for `base ≥ head.iov_len` the kernel passes `head.iov_len − base`
 * (unsigned, so it wraps) to the page step, which therefore does nothing; rdmaemu reproduces the
 * wrap rather than silently fixing it.
 */
export function xdr_buf_head_shift_right(buf: xdr_buf, base: number, len: number, shift: number): void {
  const head = buf.head[0];
  if (!shift) return;
  if (base >= head.iov_len) {
    xdr_buf_pages_shift_right(buf, u32wrap(head.iov_len - base), len, shift);
    return;
  }
  if (base + len > head.iov_len) xdr_buf_pages_shift_right(buf, 0, base + len - head.iov_len, shift);
  xdr_buf_head_copy_right(buf, base, len, shift);
}

/**
 * xdr_shrink_bufhead - cut head[0] to `len` bytes; the bytes that followed move into the pages
 * (and from there into the tail). Returns the number of bytes the head shrank by.
 *
 * Kernel: net/sunrpc/xdr.c xdr_shrink_bufhead() (static; v5.13+ semantics: `len` is the new head
 * length)
 * @throws KernelBug (WARN_ON_ONCE, strict mode) if len > head.iov_len
 */
export function xdr_shrink_bufhead(buf: xdr_buf, len: number): number {
  const head = buf.head[0];
  const buflen = Math.max(buf.len, len);
  WARN(len > head.iov_len, 'xdr_shrink_bufhead: len > head.iov_len');
  if (head.iov_len > buflen) {
    buf.buflen -= head.iov_len - buflen;
    head.iov_len = buflen;
  }
  if (len >= head.iov_len) return 0;
  const shift = head.iov_len - len;
  xdr_buf_try_expand(buf, shift);
  xdr_buf_head_shift_right(buf, len, buflen - len, shift);
  head.iov_len = len;
  buf.buflen -= shift;
  buf.len -= shift;
  return shift;
}

/**
 * xdr_shrink_pagelen - cut the page part to `len` bytes; its excess moves into the tail.
 * Returns the number of bytes the page part shrank by.
 *
 * Kernel: net/sunrpc/xdr.c xdr_shrink_pagelen() (static)
 * @throws KernelBug (WARN_ON_ONCE, strict mode) if len > page_len
 */
export function xdr_shrink_pagelen(buf: xdr_buf, len: number): number {
  let buflen = buf.len - buf.head[0].iov_len;
  WARN(len > buf.page_len, 'xdr_shrink_pagelen: len > page_len');
  if (buf.head[0].iov_len >= buf.len || len > buflen) buflen = len;
  if (buf.page_len > buflen) {
    buf.buflen -= buf.page_len - buflen;
    buf.page_len = buflen;
  }
  if (len >= buf.page_len) return 0;
  const shift = buf.page_len - len;
  xdr_buf_try_expand(buf, shift);
  xdr_buf_pages_shift_right(buf, len, buflen - len, shift);
  buf.page_len = len;
  buf.len -= shift;
  buf.buflen -= shift;
  return shift;
}

/**
 * xdr_shift_buf - remove `len` bytes from the end of head[0], moving them (and what follows)
 * into the pages and tail.
 *
 * Kernel: net/sunrpc/xdr.c xdr_shift_buf() (removed upstream in v5.13, when xdr_shrink_bufhead()
 * changed to take the new head length; kept here with its original meaning)
 * @example
 * ```ts
 * xdr_shift_buf(buf, 8); // the last 8 head bytes now start the page part
 * ```
 */
export function xdr_shift_buf(buf: xdr_buf, len: number): void {
  xdr_shrink_bufhead(buf, buf.head[0].iov_len - Math.min(len, buf.head[0].iov_len));
}
