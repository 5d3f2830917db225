/**
 * xdr.h - XDR constants and the three structures every RPC travels in: kvec, xdr_buf, xdr_stream.
 *
 * Kernel: include/linux/sunrpc/xdr.h, include/linux/uio.h (struct kvec)
 *
 * Operation: an `xdr_buf` describes one RPC message as three parts laid end to end:
 *
 * ```
 *   head[0]                pages[page_base .. page_base+page_len)          tail[0]
 *   [iov_base, +iov_len) ‖ pages[(page_base+i) >> PAGE_SHIFT] + offset  ‖ [iov_base, +iov_len)
 * ```
 *
 * Byte i of the page part lives in `pages[(page_base + i) >> PAGE_SHIFT]` at offset
 * `(page_base + i) & ~PAGE_MASK`; `page_base` may exceed PAGE_SIZE. `len` is the length of the
 * encoded message, `buflen` the storage capacity of all three parts together.
 *
 * Pointers. A kernel virtual address in rdmaemu is a `Uint8Array` view (a direct-map view over a
 * host's RAM, see dma-core `page_address()`, or any Uint8Array standing for a kmalloc'd buffer).
 * A `kvec`'s `iov_base` is such a view whose first byte is the kernel pointer; the view may extend
 * past `iov_len` (the head's spare room, into which encoding grows). An `xdr_stream`'s `p` and
 * `end` pointers are byte offsets into the view `xdr.view` (emulator-only): the head's or tail's
 * `iov_base`, or `page_address()` of the current page.
 *
 * Page part: `pages`/`page_base`/`page_len` are primary — every xdr.c algorithm works on them, as
 * in the kernel. `bvec` is the kernel's optional mirror of `pages` (one `bio_vec` per page, built
 * by `xdr_alloc_bvec()`), and `xdr_buf_to_bvec()` builds the sendmsg-style bvec array (head,
 * page fragments, tail) a transport hands to DMA or a socket. Functions that install a new page
 * array (`xdr_inline_pages`, `xdr_write_pages`, `xdr_init_decode_pages`) drop a stale mirror
 * (`bvec = null`); call `xdr_alloc_bvec()` again after them.
 *
 * Invariants (KERNEL.md §11 item 18): `len ≤ buflen`; `len == head.iov_len + page_len +
 * tail.iov_len` once encoding finishes; every XDR item is a multiple of 4 bytes; an overrun returns
 * `null` / `-EMSGSIZE` / `-EBADMSG` and never reads or writes outside the buffer.
 *
 * Numbers: lengths are u32 and may come from the wire as anything up to 2^32−1, so nothing here
 * applies JS bitwise operators to them (`&~3` would wrap above 2^31); alignment is arithmetic.
 */
import type { page } from '@rdmaemu/dma-core';
import { PAGE_SIZE, page_address } from '@rdmaemu/dma-core';
import type { bio_vec } from '@rdmaemu/dma-core';

/**
 * XDR_UNIT - the size of an XDR encoding unit in bytes: every item is aligned on 4 bytes.
 *
 * Kernel: include/linux/sunrpc/xdr.h XDR_UNIT (RFC 4506 §3)
 */
export const XDR_UNIT = 4;

/**
 * XDR_MAX_NETOBJ - the largest generic opaque "network object" (`xdr_netobj`), 1024 bytes.
 *
 * Kernel: include/linux/sunrpc/xdr.h XDR_MAX_NETOBJ (rationale: netobjs carry handles and
 * cookies, never bulk data; 1 KiB bounds what a peer can make the decoder accept)
 */
export const XDR_MAX_NETOBJ = 1024;

/** Kernel: XDRBUF_READ - the buffer is the target of a file read (an NFS READ reply's pages). */
export const XDRBUF_READ = 0x01;
/** Kernel: XDRBUF_WRITE - the buffer is the source of a file write (an NFS WRITE call's pages). */
export const XDRBUF_WRITE = 0x02;
/** Kernel: XDRBUF_SPARSE_PAGES - the page array may have holes, filled on receive. */
export const XDRBUF_SPARSE_PAGES = 0x04;

/** Kernel: xdr_zero, cpu_to_be32(0) - here as the host value. */
export const xdr_zero = 0;
/** Kernel: xdr_one */
export const xdr_one = 1;
/** Kernel: xdr_two */
export const xdr_two = 2;

/**
 * XDR_QUADLEN - the number of 4-byte XDR units needed for `l` bytes.
 *
 * Kernel: include/linux/sunrpc/xdr.h XDR_QUADLEN()
 * Divergence: arithmetic, not `>> 2`, so it stays exact for any length below 2^53.
 * @example
 * ```ts
 * XDR_QUADLEN(5) === 2;
 * ```
 */
export function XDR_QUADLEN(l: number): number {
  return Math.floor((l + 3) / 4);
}

/**
 * xdr_align_size - the size of an object of `n` bytes including its XDR padding.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_align_size()
 * @example
 * ```ts
 * xdr_align_size(5) === 8;
 * ```
 */
export function xdr_align_size(n: number): number {
  return XDR_QUADLEN(n) * 4;
}

/**
 * xdr_pad_size - the number of zero bytes that pad an object of `n` bytes.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_pad_size()
 */
export function xdr_pad_size(n: number): number {
  return xdr_align_size(n) - n;
}

/** A zero-length view: the kernel's NULL `iov_base`. Shared; never written. */
export const ZERO_LENGTH_VIEW: Uint8Array = new Uint8Array(0);

/**
 * kvec - a kernel virtual address range: `iov_len` bytes starting at the first byte of `iov_base`.
 *
 * `iov_base` is a view; it may be longer than `iov_len` (room to grow into). A NULL base is
 * `ZERO_LENGTH_VIEW`.
 *
 * Kernel: include/linux/uio.h struct kvec
 * @example
 * ```ts
 * const head = new kvec(new Uint8Array(1024), 0);
 * ```
 */
export class kvec {
  iov_base: Uint8Array;
  iov_len: number;
  constructor(iov_base: Uint8Array = ZERO_LENGTH_VIEW, iov_len = 0) {
    this.iov_base = iov_base;
    this.iov_len = iov_len;
  }
}

/**
 * xdr_buf - one RPC message: a head kvec, a page part and a tail kvec.
 *
 * `head` and `tail` are one-element tuples, as in the kernel (`head[1]`), so code reads
 * `buf.head[0].iov_len` exactly like C. `pages` is the kernel's `struct page **` (an empty array
 * for NULL). See the file header for the layout and for how `bvec` relates to `pages`.
 *
 * Kernel: include/linux/sunrpc/xdr.h struct xdr_buf
 * @example
 * ```ts
 * const buf = new xdr_buf();
 * xdr_buf_init(buf, new Uint8Array(1024), 1024);
 * ```
 */
export class xdr_buf {
  /** RPC header + non-page data. */
  readonly head: [kvec] = [new kvec()];
  /** Appended after the page data. */
  readonly tail: [kvec] = [new kvec()];
  /** Optional mirror of `pages` as bio_vecs (xdr_alloc_bvec), or null. */
  bvec: bio_vec[] | null = null;
  /** The page array (empty for the kernel's NULL). */
  pages: page[] = [];
  /** Start of the page data, relative to pages[0] (may be ≥ PAGE_SIZE). */
  page_base = 0;
  /** Length of the page data. */
  page_len = 0;
  /** XDRBUF_READ | XDRBUF_WRITE | XDRBUF_SPARSE_PAGES. */
  flags = 0;
  /** Total length of the storage buffer. */
  buflen = 0;
  /** Length of the XDR-encoded message. */
  len = 0;
}

/**
 * xdr_buf_init - point a buffer's head at `start` (`len` bytes) and empty everything else.
 *
 * head = [start, len), tail empty, no pages, flags 0, **len 0**, buflen = len. Callers that encode
 * set `head[0].iov_len = 0` before `xdr_init_encode()`, as `rpc_xdr_encode()` does.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_buf_init()
 * Divergence: also clears `page_base` and the `bvec` mirror (the kernel leaves them stale).
 * @example
 * ```ts
 * const buf = new xdr_buf();
 * xdr_buf_init(buf, new Uint8Array(4096), 4096);
 * buf.head[0].iov_len = 0;
 * ```
 */
export function xdr_buf_init(buf: xdr_buf, start: Uint8Array, len: number): void {
  buf.head[0].iov_base = start;
  buf.head[0].iov_len = len;
  buf.tail[0].iov_base = ZERO_LENGTH_VIEW;
  buf.tail[0].iov_len = 0;
  buf.pages = [];
  buf.bvec = null;
  buf.page_base = 0;
  buf.page_len = 0;
  buf.flags = 0;
  buf.len = 0;
  buf.buflen = len;
}

/**
 * xdr_stream - a cursor for encoding into, or decoding from, an xdr_buf.
 *
 * `p` and `end` are byte offsets into `view` (emulator-only: the buffer the C pointers point
 * into). `iov` is the kvec being worked on, or null while in the page part; `page_ptr` is the
 * index of the current page in `pageArray` (null for the kernel's NULL). `scratch` is, while
 * encoding, the fragment left at the end of the previous buffer by a reservation that crossed a
 * page boundary (copied back by `xdr_commit_encode()`), and while decoding the caller's buffer
 * into which a read crossing a boundary is copied (`xdr_set_scratch_buffer()`).
 *
 * Kernel: include/linux/sunrpc/xdr.h struct xdr_stream
 * Divergence: `view` and `pageArray` make the C pointers (`p`, `end`, `page_ptr`) into
 * (buffer, offset) pairs; `rqst` is carried for callers and never used.
 */
export class xdr_stream {
  /** Current position: a byte offset into `view`. */
  p = 0;
  /** The XDR buffer being read or written. */
  buf: xdr_buf = new xdr_buf();
  /** End of available space: a byte offset into `view`. */
  end = 0;
  /** The buffer `p` and `end` index (emulator-only). */
  view: Uint8Array = ZERO_LENGTH_VIEW;
  /** The current kvec (head or tail), or null in the page part. */
  iov: kvec | null = null;
  /** Scratch buffer (see above). */
  readonly scratch: kvec = new kvec();
  /** Index of the current page in `pageArray`, or null. */
  page_ptr: number | null = null;
  /** The array `page_ptr` indexes (emulator-only; `buf.pages` except for xdr_init_encode_pages). */
  pageArray: page[] = [];
  /** Remaining decode buffer length, in XDR units. */
  nwords = 0;
  /** The controlling rpc_rqst, for debugging (opaque here). */
  rqst: object | null = null;
}

/**
 * xdr_set_scratch_buffer - attach a buffer into which a decode spanning two buffers is copied.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_set_scratch_buffer()
 * @example
 * ```ts
 * xdr_set_scratch_buffer(xdr, new Uint8Array(256), 256);
 * ```
 */
export function xdr_set_scratch_buffer(xdr: xdr_stream, buf: Uint8Array, buflen: number = buf.length): void {
  xdr.scratch.iov_base = buf;
  xdr.scratch.iov_len = Math.min(buflen, buf.length);
}

/**
 * xdr_set_scratch_page - use a whole page as the scratch buffer.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_set_scratch_page()
 */
export function xdr_set_scratch_page(xdr: xdr_stream, pg: page): void {
  xdr_set_scratch_buffer(xdr, page_address(pg), PAGE_SIZE);
}

/**
 * xdr_reset_scratch_buffer - forget the scratch buffer.
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_reset_scratch_buffer()
 */
export function xdr_reset_scratch_buffer(xdr: xdr_stream): void {
  xdr.scratch.iov_base = ZERO_LENGTH_VIEW;
  xdr.scratch.iov_len = 0;
}

/**
 * xdr_stream_remaining - bytes left to decode (`nwords << 2`).
 *
 * Kernel: include/linux/sunrpc/xdr.h xdr_stream_remaining()
 */
export function xdr_stream_remaining(xdr: xdr_stream): number {
  return xdr.nwords * 4;
}
