import { expect } from 'chai';
import fc from 'fast-check';
import { PAGE_SIZE, page_address, type PhysicalMemory } from '@rdmaemu/dma-core';
import { errno, isKernelBug } from '@rdmaemu/sim-core';
import {
  xdr_enter_page, xdr_init_decode, xdr_init_decode_pages, xdr_inline_decode, xdr_read_pages, xdr_set_pagelen,
  xdr_stream_decode_bool, xdr_stream_decode_opaque, xdr_stream_decode_opaque_dup, xdr_stream_decode_opaque_fixed,
  xdr_stream_decode_opaque_inline, xdr_stream_decode_string, xdr_stream_decode_string_dup, xdr_stream_decode_u32,
  xdr_stream_decode_u64, xdr_stream_decode_uint32_array, xdr_stream_subsegment, xdr_truncate_decode,
  xdrStreamDecodeU64Number,
} from '../src/xdr_stream_decode.js';
import { xdr_stream_pos } from '../src/xdr_stream_encode.js';
import { xdr_buf, xdr_set_scratch_buffer, xdr_stream, xdr_stream_remaining } from '../src/xdr.h.js';
import { allocPageArray, fcParams, layout, linear, newMem, partsLen, words } from './_support.js';

const EBADMSG = -errno.EBADMSG;
const EMSGSIZE = -errno.EMSGSIZE;

function seq(n: number, from = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (from + i * 7 + 3) & 0xff;
  return out;
}

describe('xdr_stream_decode', () => {
  let mem: PhysicalMemory;
  beforeEach(() => {
    mem = newMem();
  });

  describe('xdr_inline_decode', () => {
    it('decodes items of 4..20 bytes at every offset PAGE_SIZE−12..PAGE_SIZE+12, as page views or scratch copies', () => {
      const data = seq(3 * PAGE_SIZE);
      const pages = allocPageArray(mem, 3);
      for (let i = 0; i < 3; i++) page_address(pages[i]!).set(data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
      for (let start = PAGE_SIZE - 12; start <= PAGE_SIZE + 12; start += 4) {
        for (const size of [4, 8, 12, 16, 20]) {
          for (const withScratch of [true, false]) {
            const xdr = new xdr_stream();
            xdr_init_decode_pages(xdr, new xdr_buf(), pages, 3 * PAGE_SIZE);
            const scratch = new Uint8Array(64);
            if (withScratch) xdr_set_scratch_buffer(xdr, scratch);
            if (start > 0) expect(xdr_inline_decode(xdr, start)?.length ?? -1).to.be.oneOf([start, -1]);
            xdr_init_decode_pages(xdr, new xdr_buf(), pages, 3 * PAGE_SIZE);
            if (withScratch) xdr_set_scratch_buffer(xdr, scratch);
            for (let i = 0; i < start / 4; i++) expect(xdr_stream_decode_u32(xdr)).to.be.at.least(0);
            const crosses = start < PAGE_SIZE && start + size > PAGE_SIZE;
            const p = xdr_inline_decode(xdr, size);
            if (crosses && !withScratch) {
              expect(p, `start ${start} size ${size}`).to.equal(null);
              continue;
            }
            expect(p, `start ${start} size ${size}`).to.not.equal(null);
            expect([...p!]).to.deep.equal([...data.subarray(start, start + size)]);
            if (crosses) expect(p!.buffer).to.equal(scratch.buffer);
            else expect(p!.buffer, 'a view of the page (zero copy)').to.equal(mem.buffer);
            expect(xdr_stream_pos(xdr)).to.equal(start + size);
            expect(xdr_stream_decode_u32(xdr)).to.equal(new DataView(data.buffer).getUint32(start + size));
          }
        }
      }
    });
    it('returns an empty view at the position for 0 bytes, and null on overrun', () => {
      const buf = layout(mem, words(1, 2), new Uint8Array(0), new Uint8Array(0));
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      expect(xdr_inline_decode(xdr, 0)!.length).to.equal(0);
      expect(xdr_inline_decode(xdr, 12)).to.equal(null);
      expect(xdr_inline_decode(xdr, -4)).to.equal(null);
      expect(xdr_inline_decode(xdr, 8)).to.deep.equal(words(1, 2));
      expect(xdr_inline_decode(xdr, 4)).to.equal(null);
      expect(xdr_stream_decode_u32(xdr)).to.equal(EBADMSG);
    });
    it('walks head → pages → tail', () => {
      const buf = layout(mem, words(1), words(2, 3), words(4));
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      expect([1, 2, 3, 4, EBADMSG].map(() => xdr_stream_decode_u32(xdr))).to.deep.equal([1, 2, 3, 4, EBADMSG]);
    });
  });

  describe('decode primitives', () => {
    it('u64 / bool / opaque_fixed / uint32_array / string / dup', () => {
      const name = new TextEncoder().encode('file.txt');
      const body = new Uint8Array([...words(0x12345678, 0x9abcdef0, 7), ...words(2, 0x10, 0x20), ...words(name.length), ...name,
        ...words(3), 1, 2, 3, 0, ...words(2), 9, 9, 0, 0]);
      const buf = layout(mem, body, new Uint8Array(0), new Uint8Array(0));
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      expect(xdr_stream_decode_u64(xdr)).to.equal(0x123456789abcdef0n);
      expect(xdr_stream_decode_bool(xdr)).to.equal(1);
      const arr = [0, 0, 0];
      expect(xdr_stream_decode_uint32_array(xdr, arr)).to.equal(2);
      expect(arr).to.deep.equal([0x10, 0x20, 0]);
      expect(xdr_stream_decode_string(xdr, 255)).to.equal('file.txt');
      expect(xdr_stream_decode_opaque_dup(xdr, 16)).to.deep.equal(new Uint8Array([1, 2, 3]));
      expect(xdr_stream_decode_string_dup(xdr, 1)).to.equal(EMSGSIZE);
      expect(xdr_stream_decode_u32(xdr)).to.equal(EBADMSG);
    });
    it('reports -EMSGSIZE above maxlen after consuming the item (the kernel order)', () => {
      const buf = layout(mem, new Uint8Array([...words(8), ...seq(8), ...words(5)]), new Uint8Array(0), new Uint8Array(0));
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      expect(xdr_stream_decode_opaque_inline(xdr, 4)).to.equal(EMSGSIZE);
      expect(xdr_stream_decode_u32(xdr)).to.equal(5);
    });
    it('fails cleanly on garbage lengths and huge counts', () => {
      const buf = layout(mem, words(0xffffffff, 0x80000000), new Uint8Array(0), new Uint8Array(0));
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      expect(xdr_stream_decode_uint32_array(xdr, null)).to.equal(EBADMSG);
      xdr_init_decode(xdr, buf, null);
      expect(xdr_stream_decode_opaque(xdr, new Uint8Array(8))).to.equal(EBADMSG);
      xdr_init_decode(xdr, buf, null);
      expect(xdr_stream_decode_opaque_fixed(xdr, new Uint8Array(16), 16)).to.equal(EBADMSG);
      xdr_init_decode(xdr, buf, null);
      expect(xdrStreamDecodeU64Number(xdr)).to.equal(-errno.EOVERFLOW);
    });
  });

  describe('xdr_read_pages', () => {
    const hdr = words(0xaaaa0001, 0xaaaa0002, 1000);
    const data = seq(1000, 5);
    const trailer = words(0xbbbb0001, 0xbbbb0002);

    it('moves nothing when the payload already sits in the pages (RDMA direct placement)', () => {
      const buf = layout(mem, hdr, new Uint8Array([...data, 0, 0, 0, 0].slice(0, 1000)), new Uint8Array([0, 0, 0, 0, ...trailer]), 0);
      // the pad of the 1000-byte item is 0 bytes; the tail starts with a 4-byte pad-free word
      buf.tail[0].iov_base = buf.tail[0].iov_base.subarray(4);
      buf.tail[0].iov_len = 8;
      buf.len = buf.buflen = partsLen(buf);
      const pagesBefore = buf.pages;
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      expect([xdr_stream_decode_u32(xdr), xdr_stream_decode_u32(xdr)]).to.deep.equal([0xaaaa0001, 0xaaaa0002]);
      const count = xdr_stream_decode_u32(xdr);
      expect(xdr_read_pages(xdr, count)).to.equal(1000);
      expect(buf.pages).to.equal(pagesBefore);
      expect([buf.head[0].iov_len, buf.page_base, buf.page_len]).to.deep.equal([12, 0, 1000]);
      expect(xdr_stream_decode_u32(xdr)).to.equal(0xbbbb0001);
      expect(xdr_stream_decode_u32(xdr)).to.equal(0xbbbb0002);
      expect([...page_address(buf.pages[0]!).subarray(0, 1000)]).to.deep.equal([...data]);
    });

    it('realigns a reply that landed in the head (TCP): head excess into pages, page excess into tail', () => {
      // xdr_inline_pages guessed a 200-byte header; the transport filled head (200 bytes), then
      // the pages (capacity 1024), leaving the tail empty.
      const msg = new Uint8Array([...hdr, ...data, ...trailer]);
      const headLen = 200;
      const pageBytes = new Uint8Array(1024);
      pageBytes.set(msg.subarray(headLen));
      const buf = layout(mem, msg.subarray(0, headLen), pageBytes, new Uint8Array(64));
      buf.tail[0].iov_len = 0;
      buf.len = msg.length;
      buf.buflen = headLen + 1024 + 64;
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      xdr_stream_decode_u32(xdr);
      xdr_stream_decode_u32(xdr);
      const count = xdr_stream_decode_u32(xdr);
      expect(xdr_read_pages(xdr, count)).to.equal(1000);
      expect(buf.head[0].iov_len).to.equal(12);
      expect(buf.page_len).to.equal(1000);
      const got = new Uint8Array(1000);
      for (let i = 0; i < 1000; i++) got[i] = page_address(buf.pages[Math.floor((buf.page_base + i) / PAGE_SIZE)]!)[(buf.page_base + i) % PAGE_SIZE]!;
      expect([...got]).to.deep.equal([...data]);
      expect(xdr_stream_decode_u32(xdr)).to.equal(0xbbbb0001);
      expect(xdr_stream_decode_u32(xdr)).to.equal(0xbbbb0002);
      expect(buf.len).to.be.at.most(buf.buflen);
      expect(linear(buf)).to.deep.equal(msg);
    });

    it('returns 0 when nothing is left', () => {
      const buf = layout(mem, words(1), new Uint8Array(0), new Uint8Array(0));
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      xdr_stream_decode_u32(xdr);
      expect(xdr_read_pages(xdr, 100)).to.equal(0);
    });
  });

  describe('xdr_enter_page', () => {
    it('positions the stream at the start of the page data', () => {
      const buf = layout(mem, words(1, 2), words(3, 4), words(5));
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      xdr_stream_decode_u32(xdr);
      xdr_stream_decode_u32(xdr);
      xdr_enter_page(xdr, 8);
      expect(xdr_stream_decode_u32(xdr)).to.equal(3);
    });
  });

  describe('xdr_set_pagelen', () => {
    it('shrinks the page part into the tail and continues in the tail', () => {
      const buf = layout(mem, words(1), words(2, 3, 4), new Uint8Array(16));
      buf.tail[0].iov_len = 0;
      buf.len = 16;
      buf.buflen = 32;
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      xdr_stream_decode_u32(xdr);
      xdr_stream_decode_u32(xdr);
      xdr_set_pagelen(xdr, 4);
      expect(buf.page_len).to.equal(4);
      expect(linear(buf)).to.deep.equal(words(1, 2, 3, 4));
    });
  });

  describe('xdr_stream_subsegment', () => {
    it('describes the next bytes without copying and skips their padding', () => {
      const buf = layout(mem, words(5), seq(PAGE_SIZE + 8), words(0xcafe));
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      expect(xdr_stream_decode_u32(xdr)).to.equal(5);
      const sub = new xdr_buf();
      expect(xdr_stream_subsegment(xdr, sub, PAGE_SIZE + 5)).to.equal(true);
      expect(sub.pages[0]).to.equal(buf.pages[0]);
      expect(linear(sub)).to.deep.equal(seq(PAGE_SIZE + 5));
      expect(xdr_stream_decode_u32(xdr)).to.equal(0xcafe);
      expect(xdr_stream_subsegment(xdr, sub, 4)).to.equal(false);
    });
  });

  describe('xdr_truncate_decode', () => {
    it('drops bytes from the end of what is left', () => {
      const buf = layout(mem, words(1, 2, 3), new Uint8Array(0), new Uint8Array(0));
      const xdr = new xdr_stream();
      xdr_init_decode(xdr, buf, null);
      xdr_truncate_decode(xdr, 5);
      expect(xdr_stream_remaining(xdr)).to.equal(4);
      expect(xdr_stream_decode_u32(xdr)).to.equal(1);
      expect(xdr_stream_decode_u32(xdr)).to.equal(EBADMSG);
    });
  });

  describe('fuzz', () => {
    it('never throws and never returns bytes outside the message, whatever the input and split', () => {
      fc.assert(fc.property(
        fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 600 }), fc.nat({ max: 600 }), fc.nat({ max: 5000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.nat({ max: 0xffffffff })), { maxLength: 30 }),
        fc.boolean(),
        (bytes, h, t, base, ops, scratch) => {
          const headLen = Math.min(h, bytes.length) & ~3;
          const tailStart = Math.max(headLen, bytes.length - (t & ~3));
          const buf = layout(mem, bytes.subarray(0, headLen), bytes.subarray(headLen, tailStart), bytes.subarray(tailStart), base);
          const xdr = new xdr_stream();
          xdr_init_decode(xdr, buf, null);
          if (scratch) xdr_set_scratch_buffer(xdr, new Uint8Array(256));
          for (const [op, arg] of ops) {
            const small = arg % 300;
            let r: unknown;
            switch (op) {
              case 0: r = xdr_stream_decode_u32(xdr); break;
              case 1: r = xdr_stream_decode_u64(xdr); break;
              case 2: r = xdr_inline_decode(xdr, small); break;
              case 3: r = xdr_stream_decode_opaque_inline(xdr, arg); break;
              case 4: r = xdr_stream_decode_uint32_array(xdr, new Array(8).fill(0)); break;
              case 5: r = xdr_stream_decode_string(xdr, small); break;
              case 6: r = xdr_read_pages(xdr, small); break;
              case 7: r = xdr_stream_subsegment(xdr, new xdr_buf(), small); break;
              case 8: r = xdr_stream_decode_opaque(xdr, new Uint8Array(small)); break;
              default: r = xdr_inline_decode(xdr, arg); break;
            }
            if (typeof r === 'number') expect(r === EBADMSG || r === EMSGSIZE || r >= 0, String(r)).to.equal(true);
            expect(xdr.p).to.be.at.least(0);
            expect(xdr.end).to.be.at.most(xdr.view.length);
            expect(buf.len).to.be.at.most(buf.buflen);
          }
        }), { ...fcParams, numRuns: 300 });
    });
    it('turns a kvec that claims more bytes than its view into a KernelBug, not an over-read', () => {
      const buf = layout(mem, words(1), new Uint8Array(0), new Uint8Array(0));
      buf.head[0].iov_len = 64;
      buf.len = 64;
      expect(() => xdr_init_decode(new xdr_stream(), buf, null)).to.throw().that.satisfies(isKernelBug);
    });
  });
});
