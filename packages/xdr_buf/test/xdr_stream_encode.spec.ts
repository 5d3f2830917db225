import { expect } from 'chai';
import fc from 'fast-check';
import { PAGE_SIZE, page_address, type PhysicalMemory, type page } from '@rdmaemu/dma-core';
import { errno, isKernelBug } from '@rdmaemu/sim-core';
import {
  xdr_commit_encode, xdr_init_encode, xdr_init_encode_pages, xdr_page_pos, xdr_reserve_space, xdr_reserve_space_vec,
  xdr_restrict_buflen, xdr_stream_encode_be32, xdr_stream_encode_bool, xdr_stream_encode_item_absent,
  xdr_stream_encode_item_present, xdr_stream_encode_opaque, xdr_stream_encode_opaque_fixed,
  xdr_stream_encode_opaque_inline, xdr_stream_encode_u32, xdr_stream_encode_u64, xdr_stream_encode_uint32_array,
  xdr_stream_pos, xdr_truncate_encode, xdr_write_pages, xdrReserveOffset,
} from '../src/xdr_stream_encode.js';
import {
  xdr_init_decode, xdr_stream_decode_bool, xdr_stream_decode_opaque_inline, xdr_stream_decode_u32,
  xdr_stream_decode_u64, xdr_stream_decode_uint32_array,
} from '../src/xdr_stream_decode.js';
import { xdr_buf, xdr_buf_init, xdr_set_scratch_buffer, xdr_stream } from '../src/xdr.h.js';
import { allocPageArray, fcParams, kmalloc, linear, newMem, partsLen, words } from './_support.js';

const EMSGSIZE = -errno.EMSGSIZE;

/** A head-only encode buffer of `cap` bytes whose view sits inside a larger guarded buffer. */
function headBuf(cap: number): { buf: xdr_buf; xdr: xdr_stream; guard: Uint8Array } {
  const guard = new Uint8Array(cap + 64).fill(0xa5);
  const buf = new xdr_buf();
  xdr_buf_init(buf, guard.subarray(0, cap), cap);
  buf.head[0].iov_len = 0;
  const xdr = new xdr_stream();
  xdr_init_encode(xdr, buf, null);
  return { buf, xdr, guard };
}

/** Head of `headCap` bytes followed by `npages` pages of room (svcxdr_init_encode style). */
function spanningBuf(mem: PhysicalMemory, headCap: number, npages: number): { buf: xdr_buf; xdr: xdr_stream; pages: page[] } {
  const buf = new xdr_buf();
  xdr_buf_init(buf, kmalloc(mem, headCap), headCap);
  buf.head[0].iov_len = 0;
  const xdr = new xdr_stream();
  xdr_init_encode(xdr, buf, null);
  const pages = allocPageArray(mem, npages);
  buf.pages = pages;
  xdr.pageArray = pages;
  buf.buflen = headCap + npages * PAGE_SIZE;
  return { buf, xdr, pages };
}

function decoderFor(buf: xdr_buf): xdr_stream {
  const d = new xdr_stream();
  xdr_init_decode(d, buf, null);
  xdr_set_scratch_buffer(d, new Uint8Array(PAGE_SIZE));
  return d;
}

describe('xdr_stream_encode', () => {
  let mem: PhysicalMemory;
  beforeEach(() => {
    mem = newMem();
  });

  describe('xdr_stream_encode_u32', () => {
    it('stores big-endian words and grows head.iov_len and len', () => {
      const { buf, xdr } = headBuf(16);
      expect(xdr_stream_encode_u32(xdr, 0x01020304)).to.equal(4);
      expect(xdr_stream_encode_u32(xdr, 0xffffffff)).to.equal(4);
      expect(linear(buf)).to.deep.equal(words(0x01020304, 0xffffffff));
      expect([buf.len, buf.head[0].iov_len, xdr_stream_pos(xdr)]).to.deep.equal([8, 8, 8]);
    });
    it('returns -EMSGSIZE when full and never writes past the buffer', () => {
      const { buf, xdr, guard } = headBuf(12);
      for (let i = 0; i < 3; i++) expect(xdr_stream_encode_u32(xdr, i)).to.equal(4);
      expect(xdr_stream_encode_u32(xdr, 9)).to.equal(EMSGSIZE);
      expect(xdr_stream_encode_u64(xdr, 9n)).to.equal(EMSGSIZE);
      expect(xdr_stream_encode_opaque(xdr, new Uint8Array(1))).to.equal(EMSGSIZE);
      expect(buf.len).to.equal(12);
      expect([...guard.subarray(12)].every((b) => b === 0xa5)).to.equal(true);
    });
  });

  describe('round trips (encode then decode)', () => {
    it('u32, be32, bool, item_present/absent', () => {
      fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.nat({ max: 0xffffffff })), { maxLength: 40 }), (ops) => {
        const { buf, xdr } = headBuf(4 * 40);
        for (const [k, v] of ops) {
          const r = k === 0 ? xdr_stream_encode_u32(xdr, v) : k === 1 ? xdr_stream_encode_be32(xdr, v)
            : k === 2 ? xdr_stream_encode_bool(xdr, v & 1) : k === 3 ? xdr_stream_encode_item_present(xdr) : xdr_stream_encode_item_absent(xdr);
          expect(r).to.equal(4);
        }
        const d = decoderFor(buf);
        for (const [k, v] of ops) {
          const got = k === 2 ? xdr_stream_decode_bool(d) : xdr_stream_decode_u32(d);
          expect(got).to.equal(k <= 1 ? v : k === 2 ? v & 1 : k === 3 ? 1 : 0);
        }
        expect(xdr_stream_decode_u32(d)).to.equal(-errno.EBADMSG);
      }), fcParams);
    });
    it('u64 (bigint and number)', () => {
      fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (b, n) => {
        const { buf, xdr } = headBuf(16);
        expect(xdr_stream_encode_u64(xdr, b)).to.equal(8);
        expect(xdr_stream_encode_u64(xdr, n)).to.equal(8);
        const d = decoderFor(buf);
        expect(xdr_stream_decode_u64(d)).to.equal(b);
        expect(xdr_stream_decode_u64(d)).to.equal(BigInt(n));
      }), fcParams);
    });
    it('opaque, opaque_fixed, opaque_inline and uint32_array', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 50 }), fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 10 }), (bytes, arr) => {
        const { buf, xdr } = headBuf(512);
        expect(xdr_stream_encode_opaque(xdr, bytes)).to.equal(4 + Math.ceil(bytes.length / 4) * 4);
        expect(xdr_stream_encode_opaque_fixed(xdr, bytes)).to.equal(Math.ceil(bytes.length / 4) * 4);
        const inl = xdr_stream_encode_opaque_inline(xdr, bytes.length);
        expect(inl).to.be.instanceOf(Uint8Array);
        (inl as Uint8Array).set(bytes);
        expect(xdr_stream_encode_uint32_array(xdr, arr)).to.equal(4 * (arr.length + 1));
        expect(buf.len % 4).to.equal(0);
        const d = decoderFor(buf);
        expect(xdr_stream_decode_opaque_inline(d, 1000)).to.deep.equal(bytes);
        const fixed = new Uint8Array(bytes.length);
        const p = linear(buf).subarray(4 + Math.ceil(bytes.length / 4) * 4);
        fixed.set(p.subarray(0, bytes.length));
        expect(fixed).to.deep.equal(bytes);
        expect([...p.subarray(bytes.length, Math.ceil(bytes.length / 4) * 4)].every((b) => b === 0), 'zero padding').to.equal(true);
        d.p += Math.ceil(bytes.length / 4) * 4;
        d.nwords -= Math.ceil(bytes.length / 4);
        expect(xdr_stream_decode_opaque_inline(d, 1000)).to.deep.equal(bytes);
        const out = new Array<number>(arr.length).fill(-1);
        expect(xdr_stream_decode_uint32_array(d, out)).to.equal(arr.length);
        expect(out).to.deep.equal(arr);
      }), fcParams);
    });
  });

  describe('xdr_reserve_space', () => {
    it('rounds to 4 bytes and returns null (changing nothing) when out of room', () => {
      const { buf, xdr } = headBuf(16);
      expect(xdr_reserve_space(xdr, 5)!.length).to.equal(8);
      expect(xdr_reserve_space(xdr, 9)).to.equal(null);
      expect([buf.len, buf.head[0].iov_len, xdr.p]).to.deep.equal([8, 8, 8]);
      expect(xdrReserveOffset(xdr, -1)).to.equal(-1);
    });
    it('refuses a reservation larger than a page', () => {
      const { xdr } = spanningBuf(mem, 64, 4);
      expect(xdr_reserve_space(xdr, PAGE_SIZE + 4)).to.equal(null);
    });

    for (const mode of ['pages', 'head'] as const) {
      it(`reserves items of 4..20 bytes at every offset PAGE_SIZE−12..PAGE_SIZE+12 (${mode === 'pages' ? 'page to page' : 'head to pages'})`, () => {
        for (let start = PAGE_SIZE - 12; start <= PAGE_SIZE + 12; start += 4) {
          for (const size of [4, 8, 12, 16, 20]) {
            let buf: xdr_buf;
            const xdr = new xdr_stream();
            if (mode === 'pages') {
              buf = new xdr_buf();
              buf.pages = allocPageArray(mem, 3);
              buf.buflen = 3 * PAGE_SIZE;
              xdr_init_encode_pages(xdr, buf, buf.pages);
            } else {
              const s = spanningBuf(mem, PAGE_SIZE, 2);
              buf = s.buf;
              Object.assign(xdr, s.xdr);
            }
            const expected: number[] = [];
            for (let i = 0; i < start / 4; i++) {
              expect(xdr_stream_encode_u32(xdr, i)).to.equal(4);
              expected.push(i);
            }
            const p = xdr_reserve_space(xdr, size)!;
            expect(p, `start ${start} size ${size}`).to.not.equal(null);
            for (let i = 0; i < size / 4; i++) {
              new DataView(p.buffer, p.byteOffset).setUint32(4 * i, 0xc0de0000 + i);
              expected.push(0xc0de0000 + i);
            }
            expect(xdr_stream_encode_u32(xdr, 0xeeee)).to.equal(4);
            expected.push(0xeeee);
            xdr_commit_encode(xdr);
            expect(buf.len).to.equal(expected.length * 4);
            expect(partsLen(buf), 'len == head + pages + tail').to.equal(buf.len);
            expect(buf.len).to.be.at.most(buf.buflen);
            expect(linear(buf), `start ${start} size ${size}`).to.deep.equal(words(...expected));
          }
        }
      });
    }
  });

  describe('xdr_write_pages', () => {
    it('places the caller pages without copying and pads an unaligned length in the tail', () => {
      const { buf, xdr } = headBuf(256);
      const pages = allocPageArray(mem, 2, 0x5a);
      xdr_stream_encode_u32(xdr, 7);
      xdr_stream_encode_u32(xdr, 5001);
      xdr_write_pages(xdr, pages, 100, 5001);
      expect(buf.pages).to.equal(pages);
      expect([buf.page_base, buf.page_len]).to.deep.equal([100, 5001]);
      expect(buf.tail[0].iov_len).to.equal(3);
      xdr_stream_encode_u32(xdr, 0xabcdef01);
      expect(buf.len).to.equal(8 + 5004 + 4);
      expect(partsLen(buf)).to.equal(buf.len);
      page_address(pages[0]!)[100] = 0x11; // a store into the caller's page is visible in the message
      const all = linear(buf);
      expect(all[8]).to.equal(0x11);
      expect([...all.subarray(8 + 5001, 8 + 5004)]).to.deep.equal([0, 0, 0]);
      expect(new DataView(all.buffer).getUint32(8 + 5004)).to.equal(0xabcdef01);
    });
    it('needs no pad for an aligned length', () => {
      const { buf, xdr } = headBuf(64);
      xdr_write_pages(xdr, allocPageArray(mem, 1), 0, 4096);
      expect(buf.tail[0].iov_len).to.equal(0);
      expect(buf.len).to.equal(4096);
    });
  });

  describe('xdr_truncate_encode', () => {
    it('cuts the head back and moves the write position', () => {
      const { buf, xdr } = headBuf(64);
      for (let i = 0; i < 5; i++) xdr_stream_encode_u32(xdr, i);
      xdr_truncate_encode(xdr, 8);
      expect([buf.len, buf.head[0].iov_len]).to.deep.equal([8, 8]);
      xdr_stream_encode_u32(xdr, 99);
      expect(linear(buf)).to.deep.equal(words(0, 1, 99));
    });
    it('cuts within the tail after xdr_write_pages', () => {
      const { buf, xdr } = headBuf(64);
      xdr_write_pages(xdr, allocPageArray(mem, 1), 0, 8);
      xdr_stream_encode_u32(xdr, 1);
      xdr_stream_encode_u32(xdr, 2);
      xdr_truncate_encode(xdr, 12);
      expect([buf.len, buf.tail[0].iov_len]).to.deep.equal([12, 4]);
      xdr_stream_encode_u32(xdr, 3);
      expect(new DataView(linear(buf).buffer).getUint32(12)).to.equal(3);
    });
    it('WARNs (KernelBug in strict mode) when asked to grow', () => {
      const { xdr } = headBuf(64);
      expect(() => xdr_truncate_encode(xdr, 4)).to.throw().that.satisfies(isKernelBug);
    });
  });

  describe('xdr_restrict_buflen', () => {
    it('lowers buflen, is a no-op above it, and fails when already past', () => {
      const { buf, xdr } = headBuf(64);
      xdr_stream_encode_u32(xdr, 1);
      expect(xdr_restrict_buflen(xdr, 1000)).to.equal(0);
      expect(buf.buflen).to.equal(64);
      expect(xdr_restrict_buflen(xdr, 8)).to.equal(0);
      expect(buf.buflen).to.equal(8);
      expect(xdr_stream_encode_u32(xdr, 2)).to.equal(4);
      expect(xdr_stream_encode_u32(xdr, 3)).to.equal(EMSGSIZE);
      expect(xdr_restrict_buflen(xdr, 4)).to.equal(-1);
    });
  });

  describe('xdr_reserve_space_vec', () => {
    it('closes the head and reserves page by page', () => {
      const { buf, xdr } = spanningBuf(mem, 64, 3);
      xdr_stream_encode_u32(xdr, 1);
      buf.buflen = 4 + 3 * PAGE_SIZE; // the closed head's spare room is not usable
      expect(xdr_reserve_space_vec(xdr, 2 * PAGE_SIZE + 8)).to.equal(0);
      expect([buf.head[0].iov_len, buf.page_len]).to.deep.equal([4, 2 * PAGE_SIZE + 8]);
      expect(xdr_page_pos(xdr)).to.equal(2 * PAGE_SIZE + 8);
      expect(xdr_reserve_space_vec(xdr, PAGE_SIZE)).to.equal(EMSGSIZE);
    });
  });

  describe('xdr_init_encode', () => {
    it('BUGs when the head view is shorter than the space buflen promises', () => {
      const buf = new xdr_buf();
      xdr_buf_init(buf, new Uint8Array(8), 8);
      buf.buflen = 64;
      buf.head[0].iov_len = 0;
      expect(() => xdr_init_encode(new xdr_stream(), buf, null)).to.throw().that.satisfies(isKernelBug);
    });
    it('counts bytes the caller already wrote up to p', () => {
      const buf = new xdr_buf();
      xdr_buf_init(buf, new Uint8Array(32), 32);
      buf.head[0].iov_len = 0;
      const xdr = new xdr_stream();
      xdr_init_encode(xdr, buf, 12);
      expect([buf.len, buf.head[0].iov_len, xdr.p]).to.deep.equal([12, 12, 12]);
    });
  });
});
