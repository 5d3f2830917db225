import { expect } from 'chai';
import fc from 'fast-check';
import {
  RPCRDMA_CMP_F_SND_W_INV_OK, RPCRDMA_CMP_VERSION, RPCRDMA_DEF_INLINE, RPCRDMA_HDRLEN_ERR, RPCRDMA_HDRLEN_MIN,
  RPCRDMA_MAX_HDR_SEGS, RPCRDMA_MAX_INLINE, RPCRDMA_MIN_INLINE, RPCRDMA_V1_DEF_INLINE_SIZE, RPCRDMA_VERSION,
  decodeConnectPrivate, encodeConnectPrivate, err_chunk, err_vers, rdma_done, rdma_error, rdma_msg, rdma_msgp,
  rdma_nomsg, rpcrdma_chunktype, rpcrdma_cmp_magic, rpcrdma_decode_buffer_size, rpcrdma_encode_buffer_size,
  rpcrdma_fixed_maxsz, rpcrdma_readchunk_maxsz, rpcrdma_readseg_maxsz, rpcrdma_segment, rpcrdma_segment_maxsz,
  rpcrdma_version, rpcrdmaSegment, show_rpcrdma_proc, xdr_decode_rdma_segment, xdr_decode_read_segment,
  xdr_encode_rdma_segment, xdr_encode_read_segment, xprtrdma_show_chunktype,
} from '../../src/xprtrdma/rpc_rdma.h.js';
import { fcParams, toWords, words } from './_rpc_rdma_support.js';

describe('rpc_rdma.h', () => {
  describe('constants', () => {
    it('has the kernel and RFC 8166 §4 values', () => {
      expect(RPCRDMA_VERSION).to.equal(1);
      expect(rpcrdma_version).to.equal(1);
      expect([rdma_msg, rdma_nomsg, rdma_msgp, rdma_done, rdma_error]).to.deep.equal([0, 1, 2, 3, 4]);
      expect([err_vers, err_chunk]).to.deep.equal([1, 2]);
      expect([rpcrdma_fixed_maxsz, rpcrdma_segment_maxsz, rpcrdma_readseg_maxsz, rpcrdma_readchunk_maxsz]).to.deep.equal([4, 4, 5, 6]);
      expect(RPCRDMA_HDRLEN_MIN).to.equal(28);
      expect(RPCRDMA_HDRLEN_ERR).to.equal(20);
      expect(RPCRDMA_MAX_HDR_SEGS).to.equal(16);
      expect([RPCRDMA_V1_DEF_INLINE_SIZE, RPCRDMA_MIN_INLINE, RPCRDMA_DEF_INLINE, RPCRDMA_MAX_INLINE]).to.deep.equal([1024, 1024, 4096, 65536]);
      expect(rpcrdma_cmp_magic).to.equal(0xf6ab0e18);
      expect(RPCRDMA_CMP_VERSION).to.equal(1);
      expect(RPCRDMA_CMP_F_SND_W_INV_OK).to.equal(1);
    });

    it('names procs and chunk types as the rpcrdma tracepoints do (OBSERVABILITY.md §0)', () => {
      expect([0, 1, 2, 3, 4, 5].map(show_rpcrdma_proc)).to.deep.equal(['RDMA_MSG', 'RDMA_NOMSG', 'RDMA_MSGP', 'RDMA_DONE', 'RDMA_ERROR', 'UNKNOWN']);
      expect(rpcrdma_chunktype.rpcrdma_noch).to.equal(0);
      expect(rpcrdma_chunktype.rpcrdma_replych).to.equal(6);
      expect([0, 1, 2, 3, 4, 5, 6, 7].map(xprtrdma_show_chunktype)).to.deep.equal(
        ['inline', 'pullup', 'mapped', 'read list', '*read list', 'write list', 'reply chunk', 'UNKNOWN']);
    });
  });

  describe('rpcrdma_segment', () => {
    it('keeps a 64-bit offset with the XID in the high word exact', () => {
      const seg = rpcrdmaSegment(0xabcdef01, 8192, (0xfedcba98n << 32n) | 0xffff_f000n);
      expect(seg.rs_offset_hi).to.equal(0xfedcba98);
      expect(seg.rs_offset_lo).to.equal(0xfffff000);
      expect(seg.rs_offset).to.equal(0xfedcba98_fffff000n);
      expect(rpcrdmaSegment(1, 1, 0xffff_ffff_ffff_ffffn).rs_offset).to.equal(0xffff_ffff_ffff_ffffn);
      expect(rpcrdmaSegment(1, 1, 2 ** 40 + 5).rs_offset).to.equal(2n ** 40n + 5n);
    });

    it('encodes HLOO and PHLOO big-endian, high word first, and decodes them back', () => {
      const p = new Uint8Array(20);
      const seg = new rpcrdma_segment(0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10);
      expect(xdr_encode_rdma_segment(p, 0, seg)).to.equal(16);
      expect(toWords(p.subarray(0, 16))).to.deep.equal([0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10]);
      expect(xdr_encode_read_segment(p, 0, 148, seg)).to.equal(20);
      expect(toWords(p)).to.deep.equal([148, 0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10]);
      expect(xdr_decode_read_segment(p, 0)).to.equal(148);
      expect(xdr_decode_rdma_segment(p, 4)).to.deep.equal(seg);
    });

    it('round-trips any segment exactly', () => {
      fc.assert(fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (h, l, o) => {
        const seg = rpcrdmaSegment(h, l, o);
        const p = new Uint8Array(16);
        xdr_encode_rdma_segment(p, 0, seg);
        const back = xdr_decode_rdma_segment(p, 0);
        expect(back.rs_offset).to.equal(o);
        expect(back).to.deep.equal(seg);
      }), fcParams);
    });
  });

  describe('rpcrdma_connect_private', () => {
    it('encodes inline sizes as (size >> 10) − 1 and decodes them as (v + 1) << 10', () => {
      expect(rpcrdma_encode_buffer_size(1024)).to.equal(0);
      expect(rpcrdma_encode_buffer_size(4096)).to.equal(3);
      expect(rpcrdma_encode_buffer_size(65536)).to.equal(63);
      expect(rpcrdma_encode_buffer_size(512)).to.equal(255); // the C u8 wraps
      expect(rpcrdma_decode_buffer_size(0)).to.equal(1024);
      expect(rpcrdma_decode_buffer_size(3)).to.equal(4096);
      expect(rpcrdma_decode_buffer_size(255)).to.equal(262144);
      for (let kib = 1; kib <= 64; kib++) expect(rpcrdma_decode_buffer_size(rpcrdma_encode_buffer_size(kib << 10))).to.equal(kib << 10);
    });

    it('puts the magic, version, flags and sizes on the wire in 8 bytes (4096 / 1024 inline)', () => {
      const pd = encodeConnectPrivate({
        cp_magic: rpcrdma_cmp_magic, cp_version: RPCRDMA_CMP_VERSION, cp_flags: RPCRDMA_CMP_F_SND_W_INV_OK,
        cp_send_size: rpcrdma_encode_buffer_size(4096), cp_recv_size: rpcrdma_encode_buffer_size(1024),
      });
      expect(Array.from(pd)).to.deep.equal([0xf6, 0xab, 0x0e, 0x18, 1, 1, 3, 0]);
      const cp = decodeConnectPrivate(pd)!;
      expect(rpcrdma_decode_buffer_size(cp.cp_send_size)).to.equal(4096);
      expect(rpcrdma_decode_buffer_size(cp.cp_recv_size)).to.equal(1024);
      expect(cp.cp_flags & RPCRDMA_CMP_F_SND_W_INV_OK).to.equal(1);
    });

    it('accepts longer CM private data (the rest is padding)', () => {
      const pd = new Uint8Array(56);
      pd.set(encodeConnectPrivate({ cp_magic: rpcrdma_cmp_magic, cp_version: 1, cp_flags: 0, cp_send_size: 3, cp_recv_size: 3 }));
      expect(decodeConnectPrivate(pd)).to.deep.equal({ cp_magic: rpcrdma_cmp_magic, cp_version: 1, cp_flags: 0, cp_send_size: 3, cp_recv_size: 3 });
    });

    it('rejects absent, short, wrong-magic and wrong-version data (the peer falls back to 1024-byte inline)', () => {
      expect(decodeConnectPrivate(null)).to.equal(null);
      expect(decodeConnectPrivate(undefined)).to.equal(null);
      expect(decodeConnectPrivate(new Uint8Array(7))).to.equal(null);
      expect(decodeConnectPrivate(words(0xf6ab0e19, 0x01000303))).to.equal(null);
      expect(decodeConnectPrivate(words(0xf6ab0e18, 0x02000303))).to.equal(null);
      expect(decodeConnectPrivate(words(0xf6ab0e18, 0x01000303))).to.not.equal(null);
    });
  });
});
