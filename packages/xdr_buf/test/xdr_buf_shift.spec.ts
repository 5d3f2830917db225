import { expect } from 'chai';
import fc from 'fast-check';
import { PAGE_SIZE, page_address, type PhysicalMemory } from '@rdmaemu/dma-core';
import { isKernelBug } from '@rdmaemu/sim-core';
import {
  _copy_from_pages, _copy_to_pages, _shift_data_right_pages, xdr_shift_buf, xdr_shrink_bufhead, xdr_shrink_pagelen,
} from '../src/xdr_buf_shift.js';
import { allocPageArray, fcParams, layout, linear, newMem, partsLen } from './_support.js';

function seq(n: number, k = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 11 + k) & 0xff);
}

describe('xdr_buf_shift', () => {
  let mem: PhysicalMemory;
  beforeEach(() => {
    mem = newMem();
  });

  describe('_copy_to_pages / _copy_from_pages', () => {
    it('round-trip any range of a page vector', () => {
      const pages = allocPageArray(mem, 5);
      fc.assert(fc.property(fc.nat({ max: 3 * PAGE_SIZE }), fc.nat({ max: PAGE_SIZE + 100 }), (base, len) => {
        const src = seq(len, base);
        _copy_to_pages(pages, base, src, 0, len);
        const out = new Uint8Array(len);
        _copy_from_pages(out, 0, pages, base, len);
        expect(out).to.deep.equal(src);
      }), { ...fcParams, numRuns: 50 });
    });
    it('BUG instead of reading past the source', () => {
      expect(() => _copy_to_pages(allocPageArray(mem, 1), 0, new Uint8Array(4), 0, 8)).to.throw().that.satisfies(isKernelBug);
    });
  });

  describe('_shift_data_right_pages', () => {
    it('behaves as memmove across pages', () => {
      const pages = allocPageArray(mem, 3);
      fc.assert(fc.property(fc.nat({ max: 2 * PAGE_SIZE }), fc.integer({ min: 1, max: 3000 }), fc.nat({ max: 2000 }), (from, shift, len0) => {
        const len = Math.min(len0, 3 * PAGE_SIZE - from - shift);
        if (len < 0) return;
        const model = seq(3 * PAGE_SIZE, from);
        _copy_to_pages(pages, 0, model, 0, model.length);
        _shift_data_right_pages(pages, from + shift, from, len);
        model.copyWithin(from + shift, from, from + len);
        const out = new Uint8Array(model.length);
        _copy_from_pages(out, 0, pages, 0, out.length);
        expect(out).to.deep.equal(model);
      }), { ...fcParams, numRuns: 50 });
    });
  });

  describe('xdr_shrink_bufhead / xdr_shift_buf', () => {
    it('keep the message bytes in order while moving head bytes into pages and tail', () => {
      fc.assert(fc.property(fc.integer({ min: 4, max: 300 }), fc.nat({ max: 300 }), fc.nat({ max: 3000 }), (headLen, cut, pgbase) => {
        const msg = seq(headLen + 2000 + 16);
        const buf = layout(mem, msg.subarray(0, headLen), new Uint8Array(2000 + headLen), new Uint8Array(64), pgbase);
        for (let i = 0; i < 2000 + 16; i++) {
          const at = pgbase + i;
          if (i < 2000) page_address(buf.pages[Math.floor(at / PAGE_SIZE)]!)[at % PAGE_SIZE] = msg[headLen + i]!;
        }
        buf.tail[0].iov_base.set(msg.subarray(headLen + 2000));
        buf.page_len = 2000 + headLen;
        buf.tail[0].iov_len = 0;
        buf.len = headLen + 2000;
        buf.buflen = headLen + buf.page_len + 64;
        const newHead = headLen - Math.min(cut, headLen);
        xdr_shift_buf(buf, headLen - newHead);
        expect(buf.head[0].iov_len).to.equal(newHead);
        expect(buf.len).to.be.at.most(buf.buflen);
        expect(buf.len).to.be.at.most(partsLen(buf));
        expect(linear(buf, headLen + 2000)).to.deep.equal(msg.subarray(0, headLen + 2000));
      }), { ...fcParams, numRuns: 60 });
    });
    it('WARNs (KernelBug in strict mode) when asked to grow the head', () => {
      const buf = layout(mem, seq(8), new Uint8Array(0), new Uint8Array(0));
      expect(() => xdr_shrink_bufhead(buf, 16)).to.throw().that.satisfies(isKernelBug);
    });
  });

  describe('xdr_shrink_pagelen', () => {
    it('moves the page excess into the tail', () => {
      const buf = layout(mem, seq(4), seq(12, 9), new Uint8Array(16));
      buf.tail[0].iov_len = 0;
      buf.len = 16;
      buf.buflen = 32;
      const before = linear(buf);
      expect(xdr_shrink_pagelen(buf, 4)).to.equal(8);
      expect([buf.page_len, buf.tail[0].iov_len, buf.len]).to.deep.equal([4, 8, 16]);
      expect(linear(buf)).to.deep.equal(before);
    });
  });
});
