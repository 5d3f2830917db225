import { expect } from 'chai';
import {
  XDRBUF_READ, XDRBUF_SPARSE_PAGES, XDRBUF_WRITE, XDR_MAX_NETOBJ, XDR_QUADLEN, XDR_UNIT, ZERO_LENGTH_VIEW, kvec,
  xdr_align_size, xdr_buf, xdr_buf_init, xdr_pad_size, xdr_reset_scratch_buffer, xdr_set_scratch_buffer,
  xdr_set_scratch_page, xdr_stream, xdr_stream_remaining,
} from '../src/xdr.h.js';
import { PAGE_SIZE, alloc_page } from '@rdmaemu/dma-core';
import { newMem } from './_support.js';

describe('xdr.h', () => {
  describe('XDR_QUADLEN / xdr_align_size / xdr_pad_size', () => {
    it('rounds up to whole 4-byte units', () => {
      expect(XDR_UNIT).to.equal(4);
      expect([0, 1, 3, 4, 5, 8].map(XDR_QUADLEN)).to.deep.equal([0, 1, 1, 1, 2, 2]);
      expect([0, 1, 2, 3, 4, 5].map(xdr_align_size)).to.deep.equal([0, 4, 4, 4, 4, 8]);
      expect([0, 1, 2, 3, 4, 5].map(xdr_pad_size)).to.deep.equal([0, 3, 2, 1, 0, 3]);
    });
    it('stays exact for lengths above 2^31 (no 32-bit bitwise wrap)', () => {
      expect(xdr_align_size(0xffff_ffff)).to.equal(2 ** 32);
      expect(xdr_align_size(0x8000_0001)).to.equal(0x8000_0004);
      expect(xdr_pad_size(0xffff_fffe)).to.equal(2);
    });
  });

  it('keeps the kernel values of the XDRBUF_* flags and XDR_MAX_NETOBJ', () => {
    expect([XDRBUF_READ, XDRBUF_WRITE, XDRBUF_SPARSE_PAGES, XDR_MAX_NETOBJ]).to.deep.equal([1, 2, 4, 1024]);
  });

  describe('xdr_buf_init', () => {
    it('points head at the buffer with len 0 and buflen = len', () => {
      const buf = new xdr_buf();
      buf.page_len = 9;
      buf.flags = 3;
      buf.tail[0].iov_len = 5;
      const start = new Uint8Array(100);
      xdr_buf_init(buf, start, 100);
      expect(buf.head[0].iov_base).to.equal(start);
      expect(buf.head[0].iov_len).to.equal(100);
      expect(buf.tail[0].iov_len).to.equal(0);
      expect(buf.pages).to.deep.equal([]);
      expect([buf.page_len, buf.flags, buf.len, buf.buflen]).to.deep.equal([0, 0, 0, 100]);
    });
  });

  describe('kvec', () => {
    it('defaults to the NULL base with length 0', () => {
      const v = new kvec();
      expect(v.iov_base).to.equal(ZERO_LENGTH_VIEW);
      expect(v.iov_len).to.equal(0);
    });
  });

  describe('xdr_set_scratch_buffer', () => {
    it('attaches, attaches a page, and resets the scratch buffer', () => {
      const xdr = new xdr_stream();
      xdr_set_scratch_buffer(xdr, new Uint8Array(64), 32);
      expect(xdr.scratch.iov_len).to.equal(32);
      xdr_set_scratch_page(xdr, alloc_page(newMem())!);
      expect(xdr.scratch.iov_len).to.equal(PAGE_SIZE);
      xdr_reset_scratch_buffer(xdr);
      expect(xdr.scratch.iov_len).to.equal(0);
    });
    it('never records more room than the view has', () => {
      const xdr = new xdr_stream();
      xdr_set_scratch_buffer(xdr, new Uint8Array(8), 4096);
      expect(xdr.scratch.iov_len).to.equal(8);
    });
  });

  describe('xdr_stream_remaining', () => {
    it('is nwords << 2', () => {
      const xdr = new xdr_stream();
      xdr.nwords = 7;
      expect(xdr_stream_remaining(xdr)).to.equal(28);
    });
  });
});
