/**
 * xdr_buf - functions on a whole xdr_buf: page count, the bio_vec views, sub-buffers, trimming,
 * random-access reads and writes.
 *
 * Kernel: net/sunrpc/xdr.c (xdr_buf_pagecount, xdr_alloc_bvec, xdr_free_bvec, xdr_buf_to_bvec,
 *         xdr_inline_pages, xdr_buf_from_iov, xdr_buf_subsegment, xdr_buf_trim,
 *         read_bytes_from_xdr_buf, write_bytes_to_xdr_buf, xdr_encode_word, xdr_decode_word,
 *         xdr_terminate_string, xdr_process_buf); the bounds-check fix for xdr_buf_to_bvec
 *         ("SUNRPC: Bound-check xdr_buf_to_bvec() stores before writing", Chuck Lever, May 2026,
 *         Fixes: 2eb2b9358181 "SUNRPC: Convert svc_tcp_sendmsg to use bio_vecs directly")
 *
 * Operation: the message is `head[0] ‖ page part ‖ tail[0]` (see xdr.h.ts). Random access walks
 * the three parts by offset; `xdr_buf_subsegment()` describes a byte range of one buffer as
 * another xdr_buf sharing the same memory (no copy). `xdr_buf_to_bvec()` turns the message into
 * the bio_vec array a transport sends or DMA-maps: head, one entry per page fragment, tail.
 *
 * Zero copy: nothing here copies payload except `read_bytes_from_xdr_buf()` /
 * `write_bytes_to_xdr_buf()`, whose job is to copy.
 */
import {
  PAGE_SIZE, bio_vec, bvec_set_page, bvec_set_virt, page_address, scatterlist, sg_init_table, sg_set_buf,
  sg_set_page, virt_to_page, type PhysicalMemory, type page,
} from '@rdmaemu/dma-core';
import { KernelError, errno, printk, KERN_WARNING, type Dmesg } from '@rdmaemu/sim-core';
import { get_be32, memcpy, put_be32 } from './_bytes.js';
import { _copy_from_pages, _copy_to_pages } from './xdr_buf_shift.js';
import { ZERO_LENGTH_VIEW, kvec, xdr_buf } from './xdr.h.js';

/**
 * xdr_buf_pagecount - the number of pages the page part touches.
 *
 * `page_len ? ceil((page_base + page_len) / PAGE_SIZE) : 0`.
 *
 * Kernel: net/sunrpc/xdr.c xdr_buf_pagecount()
 * @example
 * ```ts
 * buf.page_base = 100; buf.page_len = PAGE_SIZE; xdr_buf_pagecount(buf) === 2;
 * ```
 */
export function xdr_buf_pagecount(buf: xdr_buf): number {
  if (!buf.page_len) return 0;
  return Math.ceil((buf.page_base + buf.page_len) / PAGE_SIZE);
}

/**
 * xdr_alloc_bvec - build the `bvec` mirror of `pages`: one `{pages[i], PAGE_SIZE, 0}` per page.
 *
 * Does nothing when there are no pages or a mirror already exists.
 *
 * Kernel: net/sunrpc/xdr.c xdr_alloc_bvec()
 * Divergence: the gfp argument is accepted and ignored; allocation cannot fail (no -ENOMEM).
 * @returns 0
 * @throws KernelBug if `pages` has fewer entries than xdr_buf_pagecount() (a NULL dereference in C)
 * @example
 * ```ts
 * xdr_alloc_bvec(buf);
 * dma_map_bvecs_attrs(dev, buf.bvec!, buf.bvec!.length, DMA_TO_DEVICE, 0);
 * ```
 */
export function xdr_alloc_bvec(buf: xdr_buf, _gfp = 0): number {
  const n = xdr_buf_pagecount(buf);
  if (n !== 0 && buf.bvec === null) {
    const bvec: bio_vec[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const pg = buf.pages[i];
      if (pg === undefined) throw new KernelError('EFAULT', `xdr_alloc_bvec: pages[${i}] is NULL`);
      bvec[i] = new bio_vec(pg, PAGE_SIZE, 0);
    }
    buf.bvec = bvec;
  }
  return 0;
}

/**
 * xdr_free_bvec - drop the `bvec` mirror.
 *
 * Kernel: net/sunrpc/xdr.c xdr_free_bvec()
 */
export function xdr_free_bvec(buf: xdr_buf): void {
  buf.bvec = null;
}

/** Options of xdr_buf_to_bvec(). */
export interface XdrBufToBvecInit {
  /** Host memory that head/tail views belong to (a view does not name its PhysicalMemory). @default the memory of pages[0] */
  mem?: PhysicalMemory;
  /** Index of the first entry to fill in `bvec` (C callers pass `rq_bvec + 1`). @default 0 */
  start?: number;
  /** Where the one-time "bio_vec array overflow" warning goes (pr_warn_once). @default nowhere */
  log?: Dmesg;
}

let bvecOverflowWarned = false;

/**
 * xdr_buf_to_bvec - describe the message (head, page fragments, tail) as bio_vecs, for sendmsg
 * or DMA mapping, without copying it.
 *
 * Entries: head (if non-empty) via bvec_set_virt; one per page fragment, the first at
 * `offset_in_page(page_base)`, each ending at a page boundary or at page_len; tail (if non-empty).
 * At most `bvec_size` entries are stored, starting at `bvec[start]`: the range check comes
 * *before* each store, as in the fixed kernel, so nothing is ever written at or past
 * `start + bvec_size` (the original 2eb2b9358181 code stored first and checked after, one past
 * the end). Existing bio_vec objects in the slots are reused (bvec_set_page), missing ones created.
 *
 * Kernel: net/sunrpc/xdr.c xdr_buf_to_bvec(), with "SUNRPC: Bound-check xdr_buf_to_bvec() stores
 * before writing" (patch 1/2 of `<20260519-xdr-buf-to-bvec-fix-v1-0-1c9decbd4466@oracle.com>`,
 * the stable-safe fix)
 * Divergence: the array is (array, start) instead of a pointer; head/tail need `init.mem` (or
 * pages[0]'s memory) to find their pages. Patch 2/2 of that series, which turns the overflow into
 * -ESERVERFAULT, is not applied: like the stable fix, the overflow returns the count stored.
 * @returns the number of entries stored; on overflow, `bvec_size` (the entries that fit) after a
 *   one-time "xdr_buf_to_bvec: bio_vec array overflow" warning
 * @throws KernelError EFAULT if a non-empty head or tail is not a direct-map view of the memory
 * @example
 * ```ts
 * const bvec: bio_vec[] = [];
 * const n = xdr_buf_to_bvec(bvec, 64, buf, { mem });
 * ```
 */
export function xdr_buf_to_bvec(bvec: bio_vec[], bvec_size: number, xdr: xdr_buf, init: XdrBufToBvecInit = {}): number {
  const head = xdr.head[0];
  const tail = xdr.tail[0];
  const start = init.start ?? 0;
  let count = 0;
  const slot = (i: number): bio_vec | undefined => bvec[start + i];
  const memOf = (): PhysicalMemory => {
    const mem = init.mem ?? xdr.pages[0]?.mem;
    if (mem === undefined) throw new KernelError('EFAULT', 'xdr_buf_to_bvec: no memory for the head/tail views (pass init.mem)');
    return mem;
  };
  const storeVirt = (v: kvec): void => {
    const mem = memOf();
    const view = v.iov_base.subarray(0, v.iov_len);
    const bv = slot(count);
    if (bv === undefined) {
      const fresh = new bio_vec(virt_to_page(mem, view), v.iov_len, 0);
      bvec_set_virt(fresh, mem, view, v.iov_len);
      bvec[start + count] = fresh;
    } else {
      bvec_set_virt(bv, mem, view, v.iov_len);
    }
  };
  overflow: {
    if (head.iov_len) {
      if (count >= bvec_size) break overflow;
      storeVirt(head);
      ++count;
    }
    if (xdr.page_len) {
      let offset = xdr.page_base % PAGE_SIZE;
      let remaining = xdr.page_len;
      let pi = 0;
      while (remaining > 0) {
        const len = Math.min(remaining, PAGE_SIZE - offset);
        if (count >= bvec_size) break overflow;
        const pg = xdr.pages[pi++];
        if (pg === undefined) throw new KernelError('EFAULT', `xdr_buf_to_bvec: pages[${pi - 1}] is NULL`);
        const bv = slot(count);
        if (bv === undefined) bvec[start + count] = new bio_vec(pg, len, offset);
        else bvec_set_page(bv, pg, len, offset);
        remaining -= len;
        offset = 0;
        ++count;
      }
    }
    if (tail.iov_len) {
      if (count >= bvec_size) break overflow;
      storeVirt(tail);
      ++count;
    }
    return count;
  }
  if (!bvecOverflowWarned) {
    bvecOverflowWarned = true;
    if (init.log) printk(init.log, KERN_WARNING, 'xdr_buf_to_bvec: bio_vec array overflow');
  }
  return count;
}

/**
 * xdr_inline_pages - prepare a receive buffer for a large reply: the payload will land in
 * `pages` at `base`, `offset` bytes into the message; what the head held beyond `offset` becomes
 * the tail.
 *
 * head.iov_len = offset; pages/page_base/page_len = pages/base/len; tail = [head + offset,
 * old head.iov_len − offset); buflen += len.
 *
 * Kernel: net/sunrpc/xdr.c xdr_inline_pages()
 * Divergence: drops a stale `bvec` mirror.
 * @example
 * ```ts
 * xdr_inline_pages(rcv_buf, hdrlen, pages, 0, count); // NFS READ reply
 * ```
 */
export function xdr_inline_pages(xdr: xdr_buf, offset: number, pages: page[], base: number, len: number): void {
  const head = xdr.head[0];
  const tail = xdr.tail[0];
  const buf = head.iov_base;
  const buflen = head.iov_len;
  head.iov_len = offset;
  xdr.pages = pages;
  xdr.bvec = null;
  xdr.page_base = base;
  xdr.page_len = len;
  tail.iov_base = buf.subarray(Math.min(offset, buf.length));
  tail.iov_len = buflen - offset;
  xdr.buflen += len;
}

/**
 * xdr_buf_from_iov - make `buf` a head-only buffer holding exactly the kvec `iov`.
 *
 * Kernel: net/sunrpc/xdr.c xdr_buf_from_iov()
 */
export function xdr_buf_from_iov(iov: kvec, buf: xdr_buf): void {
  buf.head[0].iov_base = iov.iov_base;
  buf.head[0].iov_len = iov.iov_len;
  buf.tail[0].iov_base = ZERO_LENGTH_VIEW;
  buf.tail[0].iov_len = 0;
  buf.page_len = 0;
  buf.buflen = buf.len = iov.iov_len;
}

/**
 * xdr_buf_subsegment - set `subbuf` to the `len` bytes of `buf` starting at `base`, sharing
 * `buf`'s memory (head and tail are views, pages the same page handles).
 *
 * `buf` and `subbuf` may be the same object.
 *
 * Kernel: net/sunrpc/xdr.c xdr_buf_subsegment()
 * Divergence: `subbuf.pages` is a new array holding the page handles from
 * `pages[(page_base + base) >> PAGE_SHIFT]` on (the kernel points into `buf`'s array), so a store
 * into `subbuf.pages` does not change `buf`.
 * @returns 0, or -1 if `base + len` is beyond the message parts
 * @example
 * ```ts
 * const sub = new xdr_buf();
 * if (xdr_buf_subsegment(buf, sub, 128, 4096) === 0) xdr_buf_to_bvec(bvec, 8, sub, { mem });
 * ```
 */
export function xdr_buf_subsegment(buf: xdr_buf, subbuf: xdr_buf, base: number, len: number): number {
  const bh = buf.head[0];
  const bt = buf.tail[0];
  const sh = subbuf.head[0];
  const st = subbuf.tail[0];
  // Read everything from buf before writing subbuf: they may be the same object.
  const headBase = bh.iov_base;
  const headLen = bh.iov_len;
  const pages = buf.pages;
  const pageBase = buf.page_base;
  const pageLen = buf.page_len;
  const tailBase = bt.iov_base;
  const tailLen = bt.iov_len;
  subbuf.buflen = subbuf.len = len;
  if (base < headLen) {
    sh.iov_base = headBase.subarray(base);
    sh.iov_len = Math.min(len, headLen - base);
    len -= sh.iov_len;
    base = 0;
  } else {
    base -= headLen;
    sh.iov_base = headBase;
    sh.iov_len = 0;
  }
  if (base < pageLen) {
    subbuf.page_len = Math.min(pageLen - base, len);
    base += pageBase;
    subbuf.page_base = base % PAGE_SIZE;
    const first = Math.floor(base / PAGE_SIZE);
    const n = Math.ceil((subbuf.page_base + subbuf.page_len) / PAGE_SIZE);
    subbuf.pages = pages.slice(first, first + Math.max(n, 1));
    len -= subbuf.page_len;
    base = 0;
  } else {
    base -= pageLen;
    subbuf.pages = pages;
    subbuf.page_base = 0;
    subbuf.page_len = 0;
  }
  if (subbuf !== buf) subbuf.bvec = null;
  if (base < tailLen) {
    st.iov_base = tailBase.subarray(base);
    st.iov_len = Math.min(len, tailLen - base);
    len -= st.iov_len;
    base = 0;
  } else {
    base -= tailLen;
    st.iov_base = tailBase;
    st.iov_len = 0;
  }
  if (base || len) return -1;
  return 0;
}

/**
 * xdr_buf_trim - lop at most `len` bytes off the end of the message: tail first, then pages,
 * then head, adjusting `len` by what was removed.
 *
 * Kernel: net/sunrpc/xdr.c xdr_buf_trim()
 * @example
 * ```ts
 * xdr_buf_trim(buf, 4); // drop a trailing checksum word
 * ```
 */
export function xdr_buf_trim(buf: xdr_buf, len: number): void {
  let trim = len;
  fix_len: {
    if (buf.tail[0].iov_len) {
      const cur = Math.min(buf.tail[0].iov_len, trim);
      buf.tail[0].iov_len -= cur;
      trim -= cur;
      if (!trim) break fix_len;
    }
    if (buf.page_len) {
      const cur = Math.min(buf.page_len, trim);
      buf.page_len -= cur;
      trim -= cur;
      if (!trim) break fix_len;
    }
    if (buf.head[0].iov_len) {
      const cur = Math.min(buf.head[0].iov_len, trim);
      buf.head[0].iov_len -= cur;
      trim -= cur;
    }
  }
  buf.len -= len - trim;
}

/** Walk [base, base+len) of the message, copying to (write) or from (read) obj[oOff..]. */
function copyXdrBuf(buf: xdr_buf, base: number, obj: Uint8Array, oOff: number, len: number, write: boolean): number {
  const head = buf.head[0];
  const tail = buf.tail[0];
  if (base + len > head.iov_len + buf.page_len + tail.iov_len) return -1;
  if (base < head.iov_len) {
    const n = Math.min(len, head.iov_len - base);
    if (write) memcpy(head.iov_base, base, obj, oOff, n);
    else memcpy(obj, oOff, head.iov_base, base, n);
    len -= n;
    oOff += n;
    base = 0;
  } else {
    base -= head.iov_len;
  }
  if (len && base < buf.page_len) {
    const n = Math.min(len, buf.page_len - base);
    if (write) _copy_to_pages(buf.pages, buf.page_base + base, obj, oOff, n);
    else _copy_from_pages(obj, oOff, buf.pages, buf.page_base + base, n);
    len -= n;
    oOff += n;
    base = 0;
  } else if (base >= buf.page_len) {
    base -= buf.page_len;
  }
  if (len) {
    if (write) memcpy(tail.iov_base, base, obj, oOff, len);
    else memcpy(obj, oOff, tail.iov_base, base, len);
  }
  return 0;
}

/**
 * read_bytes_from_xdr_buf - copy `len` message bytes at offset `base` into `obj`.
 *
 * Kernel: net/sunrpc/xdr.c read_bytes_from_xdr_buf()
 * Divergence: no temporary subbuf is built; the bounds rule is xdr_buf_subsegment()'s.
 * @returns 0, or -1 (xdr_buf_subsegment's status) if the range is outside the message parts
 * @throws KernelBug if `obj` is shorter than `len`
 * @example
 * ```ts
 * const out = new Uint8Array(16);
 * read_bytes_from_xdr_buf(buf, 0, out, 16);
 * ```
 */
export function read_bytes_from_xdr_buf(buf: xdr_buf, base: number, obj: Uint8Array, len: number): number {
  return copyXdrBuf(buf, base, obj, 0, len, false);
}

/**
 * write_bytes_to_xdr_buf - copy `len` bytes of `obj` into the message at offset `base`.
 *
 * Kernel: net/sunrpc/xdr.c write_bytes_to_xdr_buf()
 * @returns 0, or -1 if the range is outside the message parts
 * @throws KernelBug if `obj` is shorter than `len`
 */
export function write_bytes_to_xdr_buf(buf: xdr_buf, base: number, obj: Uint8Array, len: number): number {
  return copyXdrBuf(buf, base, obj, 0, len, true);
}

const wordScratch = new Uint8Array(4);

/**
 * xdr_decode_word - read the big-endian u32 at message offset `base`.
 *
 * Kernel: net/sunrpc/xdr.c xdr_decode_word()
 * Divergence: the out-parameter is the return value.
 * @returns the u32 (≥ 0), or -1 if the word is outside the message parts
 * @example
 * ```ts
 * const xid = xdr_decode_word(buf, 0);
 * ```
 */
export function xdr_decode_word(buf: xdr_buf, base: number): number {
  const head = buf.head[0];
  if (base + 4 <= head.iov_len) return get_be32(head.iov_base, base);
  if (read_bytes_from_xdr_buf(buf, base, wordScratch, 4) !== 0) return -1;
  return get_be32(wordScratch, 0);
}

/**
 * xdr_encode_word - store the u32 `obj` big-endian at message offset `base`.
 *
 * Kernel: net/sunrpc/xdr.c xdr_encode_word()
 * @returns 0, or -1 if the word is outside the message parts
 */
export function xdr_encode_word(buf: xdr_buf, base: number, obj: number): number {
  put_be32(wordScratch, 0, obj);
  return write_bytes_to_xdr_buf(buf, base, wordScratch, 4);
}

/**
 * xdr_terminate_string - NUL-terminate a string of `len` bytes that starts the page part.
 *
 * Kernel: net/sunrpc/xdr.c xdr_terminate_string()
 * Divergence: the kernel writes at `page_address(pages[0]) + page_base + len` even when that is
 * past the first page; rdmaemu writes into the page that actually holds that byte.
 * @throws KernelBug if that page is not in the page array
 */
export function xdr_terminate_string(buf: xdr_buf, len: number): void {
  const at = buf.page_base + len;
  const pg = buf.pages[Math.floor(at / PAGE_SIZE)];
  if (pg === undefined) throw new KernelError('EFAULT', `xdr_terminate_string: byte ${at} is past the page array`);
  page_address(pg)[at % PAGE_SIZE] = 0;
}

/** Options of xdr_process_buf(). */
export interface XdrProcessBufInit {
  /** Host memory of the head/tail views. @default the memory of pages[0] */
  mem?: PhysicalMemory;
}

/**
 * xdr_process_buf - call `actor` on each piece of message bytes [offset, offset+len) as a
 * one-entry scatterlist: the head piece, each page fragment, the tail piece.
 *
 * Kernel: net/sunrpc/xdr.c xdr_process_buf()
 * Divergence: head/tail pieces need the host memory (`init.mem`, or pages[0]'s) for sg_set_buf.
 * @returns 0; the actor's non-zero return, which stops the walk; or -EINVAL if the range runs past
 *   the tail
 * @throws KernelError EFAULT if a head/tail piece is not a direct-map view
 * @example
 * ```ts
 * let n = 0;
 * xdr_process_buf(buf, 0, buf.len, (sg) => { n += sg.length; return 0; }, null, { mem });
 * ```
 */
export function xdr_process_buf<D>(buf: xdr_buf, offset: number, len: number,
  actor: (sg: scatterlist, data: D) => number, data: D, init: XdrProcessBufInit = {}): number {
  const [sg] = sg_init_table(1) as [scatterlist];
  const memOf = (): PhysicalMemory => {
    const mem = init.mem ?? buf.pages[0]?.mem;
    if (mem === undefined) throw new KernelError('EFAULT', 'xdr_process_buf: no memory for the head/tail views (pass init.mem)');
    return mem;
  };
  let ret = 0;
  const head = buf.head[0];
  const tail = buf.tail[0];
  if (offset >= head.iov_len) {
    offset -= head.iov_len;
  } else {
    const thislen = Math.min(head.iov_len - offset, len);
    sg_set_buf(sg, memOf(), head.iov_base.subarray(offset, offset + thislen), thislen);
    ret = actor(sg, data);
    if (ret) return ret;
    offset = 0;
    len -= thislen;
  }
  if (len === 0) return ret;
  if (offset >= buf.page_len) {
    offset -= buf.page_len;
  } else {
    let page_len = Math.min(buf.page_len - offset, len);
    len -= page_len;
    let page_offset = (offset + buf.page_base) % PAGE_SIZE;
    let i = Math.floor((offset + buf.page_base) / PAGE_SIZE);
    let thislen = PAGE_SIZE - page_offset;
    do {
      if (thislen > page_len) thislen = page_len;
      const pg = buf.pages[i];
      if (pg === undefined) throw new KernelError('EFAULT', `xdr_process_buf: pages[${i}] is NULL`);
      sg_set_page(sg, pg, thislen, page_offset);
      ret = actor(sg, data);
      if (ret) return ret;
      page_len -= thislen;
      i++;
      page_offset = 0;
      thislen = PAGE_SIZE;
    } while (page_len !== 0);
    offset = 0;
  }
  if (len === 0) return ret;
  if (offset < tail.iov_len) {
    const thislen = Math.min(tail.iov_len - offset, len);
    sg_set_buf(sg, memOf(), tail.iov_base.subarray(offset, offset + thislen), thislen);
    ret = actor(sg, data);
    len -= thislen;
  }
  if (len !== 0) ret = -errno.EINVAL;
  return ret;
}
