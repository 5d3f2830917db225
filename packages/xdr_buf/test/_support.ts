/**
 * _support - shared rigs for the xdr_buf specs: host memory, page arrays, buffers laid out over
 * RAM, a linear view of a message, and the fast-check seed (RDMAEMU_SEED, printed on failure).
 */
import { PAGE_SIZE, PhysicalMemory, alloc_page, alloc_pages, page_address, page_to_phys, type page } from '@rdmaemu/dma-core';
import { seedFromEnv } from '@rdmaemu/sim-core';
import { read_bytes_from_xdr_buf } from '../src/xdr_buf.js';
import { kvec, xdr_buf } from '../src/xdr.h.js';

/** The property-test seed: RDMAEMU_SEED or a fresh one (fast-check prints it on failure). */
export const SEED = seedFromEnv();
export const fcParams = { seed: SEED, numRuns: 200 };

export function newMem(): PhysicalMemory {
  return new PhysicalMemory({ size: '32M', name: 'test' });
}

/** `n` separately allocated pages, filled with `fill` (default: 0). */
export function allocPageArray(mem: PhysicalMemory, n: number, fill = 0): page[] {
  const out: page[] = [];
  for (let i = 0; i < n; i++) {
    const pg = alloc_page(mem);
    if (!pg) throw new Error('test: out of memory');
    page_address(pg).fill(fill);
    out.push(pg);
  }
  return out;
}

/** A direct-map view of `len` bytes of fresh RAM (a kmalloc'd buffer). */
export function kmalloc(mem: PhysicalMemory, len: number): Uint8Array {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < len) order++;
  const pg = alloc_pages(mem, order);
  if (!pg) throw new Error('test: out of memory');
  const v = mem.view(page_to_phys(pg), len);
  v.fill(0);
  return v;
}

/** The message bytes head ‖ pages ‖ tail (buf.len of them), copied out. */
export function linear(buf: xdr_buf, len = buf.len): Uint8Array {
  const out = new Uint8Array(len);
  const rc = read_bytes_from_xdr_buf(buf, 0, out, len);
  if (rc !== 0) throw new Error(`test: linear(): message shorter than ${len}`);
  return out;
}

/** A buffer whose parts hold `headBytes`, `pageBytes` (at page_base) and `tailBytes`. */
export function layout(mem: PhysicalMemory, headBytes: Uint8Array, pageBytes: Uint8Array, tailBytes: Uint8Array, page_base = 0): xdr_buf {
  const buf = new xdr_buf();
  const head = kmalloc(mem, Math.max(headBytes.length, 1));
  head.set(headBytes);
  buf.head[0] = new kvec(head.subarray(0, headBytes.length), headBytes.length);
  const npages = Math.ceil((page_base + pageBytes.length) / PAGE_SIZE);
  buf.pages = allocPageArray(mem, npages, 0xee);
  buf.page_base = page_base;
  buf.page_len = pageBytes.length;
  for (let i = 0; i < pageBytes.length; i++) {
    const at = page_base + i;
    page_address(buf.pages[Math.floor(at / PAGE_SIZE)]!)[at % PAGE_SIZE] = pageBytes[i]!;
  }
  const tail = kmalloc(mem, Math.max(tailBytes.length, 1));
  tail.set(tailBytes);
  buf.tail[0] = new kvec(tail.subarray(0, tailBytes.length), tailBytes.length);
  buf.len = buf.buflen = headBytes.length + pageBytes.length + tailBytes.length;
  return buf;
}

/** Big-endian words as bytes. */
export function words(...ws: number[]): Uint8Array {
  const out = new Uint8Array(ws.length * 4);
  const dv = new DataView(out.buffer);
  ws.forEach((w, i) => dv.setUint32(4 * i, w >>> 0));
  return out;
}

/** KERNEL.md §11 item 18: len ≤ buflen and len == head + pages + tail. */
export function partsLen(buf: xdr_buf): number {
  return buf.head[0].iov_len + buf.page_len + buf.tail[0].iov_len;
}
