import { expect } from 'chai';
import fc from 'fast-check';
import { PAGE_SIZE, bio_vec, bvec_virt, page_address, type PhysicalMemory } from '@rdmaemu/dma-core';
import {
  read_bytes_from_xdr_buf, write_bytes_to_xdr_buf, xdr_alloc_bvec, xdr_buf_from_iov, xdr_buf_pagecount,
  xdr_buf_subsegment, xdr_buf_to_bvec, xdr_buf_trim, xdr_decode_word, xdr_encode_word, xdr_free_bvec,
  xdr_inline_pages, xdr_process_buf, xdr_terminate_string,
} from '../src/xdr_buf.js';
import { kvec, xdr_buf } from '../src/xdr.h.js';
import { allocPageArray, fcParams, kmalloc, layout, linear, newMem } from './_support.js';

function seq(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 13 + 1) & 0xff);
}

describe('xdr_buf', () => {
  let mem: PhysicalMemory;
  beforeEach(() => {
    mem = newMem();
  });

  describe('xdr_buf_pagecount / xdr_alloc_bvec / xdr_free_bvec', () => {
    it('counts touched pages and mirrors them one bvec per page', () => {
      const buf = layout(mem, new Uint8Array(0), seq(PAGE_SIZE), new Uint8Array(0), 100);
      expect(xdr_buf_pagecount(buf)).to.equal(2);
      expect(xdr_alloc_bvec(buf)).to.equal(0);
      expect(buf.bvec!.map((b) => [b.bv_page, b.bv_len, b.bv_offset])).to.deep.equal(buf.pages.map((p) => [p, PAGE_SIZE, 0]));
      xdr_free_bvec(buf);
      expect(buf.bvec).to.equal(null);
      buf.page_len = 0;
      expect(xdr_buf_pagecount(buf)).to.equal(0);
    });
  });

  describe('xdr_buf_to_bvec', () => {
    it('lists head, page fragments (first at offset_in_page(page_base)) and tail, without copying', () => {
      const buf = layout(mem, seq(40), seq(2 * PAGE_SIZE), seq(12), 1000);
      const bvec: bio_vec[] = [];
      const n = xdr_buf_to_bvec(bvec, 16, buf, { mem });
      expect(n).to.equal(5);
      expect(bvec.map((b) => b.bv_len)).to.deep.equal([40, PAGE_SIZE - 1000, PAGE_SIZE, 1000, 12]);
      expect(bvec[1]!.bv_offset).to.equal(1000);
      const joined = new Uint8Array(bvec.reduce((s, b) => s + b.bv_len, 0));
      let o = 0;
      for (const b of bvec) {
        const v = bvec_virt(b);
        expect(v.buffer, 'direct-map view').to.equal(mem.buffer);
        joined.set(v, o);
        o += b.bv_len;
      }
      expect(joined).to.deep.equal(linear(buf));
    });

    it('stops at the bound before storing and returns the entries stored (Fixes: 2eb2b9358181)', () => {
      const buf = layout(mem, seq(40), seq(3 * PAGE_SIZE), seq(12), 8); // 1 + 4 + 1 = 6 segments
      for (let size = 0; size <= 7; size++) {
        const sentinel = new bio_vec(buf.pages[0]!, 0xdead, 0xbeef);
        const bvec: bio_vec[] = [];
        for (let i = 0; i < size; i++) bvec.push(new bio_vec(buf.pages[0]!, 0, 0));
        bvec.push(sentinel);
        const n = xdr_buf_to_bvec(bvec, size, buf, { mem });
        expect(n, `bvec_size ${size}`).to.equal(Math.min(size, 6));
        expect(bvec.length, 'nothing stored past the array').to.equal(size + 1);
        expect([bvec[size]!.bv_len, bvec[size]!.bv_offset], 'slot bvec_size untouched').to.deep.equal([0xdead, 0xbeef]);
      }
    });

    it('fills from a start slot (svc_tcp_sendmsg passes rq_bvec + 1)', () => {
      const buf = layout(mem, seq(8), new Uint8Array(0), new Uint8Array(0));
      const bvec: bio_vec[] = [new bio_vec(buf.pages[0] ?? allocPageArray(mem, 1)[0]!, 4, 0)];
      expect(xdr_buf_to_bvec(bvec, 1, buf, { mem, start: 1 })).to.equal(1);
      expect(bvec[1]!.bv_len).to.equal(8);
    });
  });

  describe('xdr_buf_subsegment / read_bytes_from_xdr_buf / write_bytes_to_xdr_buf', () => {
    it('agree with the linear message for every in-range window and fail outside', () => {
      const buf = layout(mem, seq(37), seq(PAGE_SIZE + 91), seq(23), 4000);
      const all = linear(buf);
      fc.assert(fc.property(fc.nat({ max: all.length + 8 }), fc.nat({ max: all.length + 8 }), (base, len) => {
        const sub = new xdr_buf();
        const rc = xdr_buf_subsegment(buf, sub, base, len);
        const out = new Uint8Array(len);
        expect(read_bytes_from_xdr_buf(buf, base, out, len)).to.equal(rc);
        if (base + len > all.length) {
          expect(rc).to.equal(-1);
          return;
        }
        expect(rc).to.equal(0);
        expect(out).to.deep.equal(all.subarray(base, base + len));
        expect(linear(sub, len)).to.deep.equal(all.subarray(base, base + len));
      }), fcParams);
    });
    it('writes through to every part', () => {
      const buf = layout(mem, seq(10), seq(PAGE_SIZE), seq(10), 4090);
      const patch = Uint8Array.from({ length: PAGE_SIZE + 20 }, () => 0x77);
      expect(write_bytes_to_xdr_buf(buf, 0, patch, patch.length)).to.equal(0);
      expect([...linear(buf)].every((b) => b === 0x77)).to.equal(true);
      expect(write_bytes_to_xdr_buf(buf, 1, patch, patch.length)).to.equal(-1);
    });
  });

  describe('xdr_encode_word / xdr_decode_word', () => {
    it('round-trips at every offset across both part boundaries', () => {
      const buf = layout(mem, seq(16), seq(24), seq(16), PAGE_SIZE - 10);
      for (let off = 0; off + 4 <= buf.len; off++) {
        expect(xdr_encode_word(buf, off, 0x80000000 + off)).to.equal(0);
        expect(xdr_decode_word(buf, off)).to.equal(0x80000000 + off);
      }
      expect(xdr_decode_word(buf, buf.len - 3)).to.equal(-1);
    });
  });

  describe('xdr_buf_trim', () => {
    it('trims tail, then pages, then head', () => {
      const buf = layout(mem, seq(8), seq(8), seq(8));
      xdr_buf_trim(buf, 12);
      expect([buf.tail[0].iov_len, buf.page_len, buf.head[0].iov_len, buf.len]).to.deep.equal([0, 4, 8, 12]);
      xdr_buf_trim(buf, 100);
      expect(buf.len).to.equal(0);
    });
  });

  describe('xdr_inline_pages', () => {
    it('splits the head at offset: the rest becomes the tail, pages in between', () => {
      const buf = new xdr_buf();
      const headMem = kmalloc(mem, 256);
      buf.head[0] = new kvec(headMem, 256);
      buf.buflen = 256;
      const pages = allocPageArray(mem, 2);
      xdr_inline_pages(buf, 100, pages, 0, 8000);
      expect([buf.head[0].iov_len, buf.tail[0].iov_len, buf.page_len, buf.buflen]).to.deep.equal([100, 156, 8000, 8256]);
      expect(buf.tail[0].iov_base.byteOffset).to.equal(headMem.byteOffset + 100);
    });
  });

  describe('xdr_buf_from_iov', () => {
    it('makes a head-only buffer of exactly the kvec', () => {
      const buf = new xdr_buf();
      xdr_buf_from_iov(new kvec(seq(12), 12), buf);
      expect([buf.len, buf.buflen, buf.page_len]).to.deep.equal([12, 12, 0]);
    });
  });

  describe('xdr_terminate_string', () => {
    it('writes the NUL into the page that holds the byte', () => {
      const buf = layout(mem, new Uint8Array(0), seq(PAGE_SIZE + 10), new Uint8Array(0), 4090);
      xdr_terminate_string(buf, 8);
      expect(page_address(buf.pages[1]!)[2]).to.equal(0);
    });
  });

  describe('xdr_process_buf', () => {
    it('hands every byte of the range to the actor as one-entry scatterlists', () => {
      const buf = layout(mem, seq(30), seq(PAGE_SIZE + 5), seq(30), 100);
      const all = linear(buf);
      const got: number[] = [];
      const rc = xdr_process_buf(buf, 10, all.length - 20, (sg) => {
        got.push(...page_address(sg.page_link!).subarray(sg.offset, sg.offset + sg.length));
        return 0;
      }, null, { mem });
      expect(rc).to.equal(0);
      expect(got).to.deep.equal([...all.subarray(10, all.length - 10)]);
      expect(xdr_process_buf(buf, 0, all.length + 1, () => 0, null, { mem })).to.equal(-22);
    });
  });
});
