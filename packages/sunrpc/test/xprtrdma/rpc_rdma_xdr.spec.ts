import { expect } from 'chai';
import fc from 'fast-check';
import { errno } from '@rdmaemu/sim-core';
import { xdr_init_decode, xdr_inline_decode, xdr_stream } from '@rdmaemu/xdr_buf';
import {
  RPCRDMA_HDRLEN_ERR, RPCRDMA_HDRLEN_MIN, RPCRDMA_MAX_HDR_SEGS, err_chunk, err_vers, rdma_done, rdma_error, rdma_msg,
  rdma_msgp, rdma_nomsg, rpcrdma_segment,
} from '../../src/xprtrdma/rpc_rdma.h.js';
import {
  RPCSVC_MAXPAGES, decode_read_list, decode_write_chunk, encode_item_not_present, encode_item_present,
  encode_rdma_segment, encode_read_segment, rpcrdma_decode_error, rpcrdma_max_call_header_size,
  rpcrdma_max_reply_header_size, rpcrdmaDecodeHeader, rpcrdmaDecodeReply, rpcrdmaEncodeFixedHeader,
  rpcrdmaEncodeHeader, rpcrdmaEncodeReadList, rpcrdmaEncodeReplyChunk, rpcrdmaEncodeWriteList, rpcrdmaHeader,
  svc_rdma_xdr_decode_req, svcRdmaErrorHeader, type RpcrdmaHeader, type RpcrdmaReadChunk,
} from '../../src/xprtrdma/rpc_rdma_xdr.js';
import { SEED, encodeWith, fcParams, rxBuf, toWords, words } from './_rpc_rdma_support.js';

const EIO = -errno.EIO;
const EINVAL = -errno.EINVAL;
const EMSGSIZE = -errno.EMSGSIZE;
const EREMOTEIO = -errno.EREMOTEIO;
const EPROTONOSUPPORT = -errno.EPROTONOSUPPORT;

const XID = 0x9abcdef0;
/** A Linux-client style segment: XID in the high 32 bits of the offset. */
const seg = (h: number, l: number, lo: number, hi = XID): rpcrdma_segment => new rpcrdma_segment(h, l, hi, lo);
const HLOO = (s: rpcrdma_segment): number[] => [s.rs_handle, s.rs_length, s.rs_offset_hi, s.rs_offset_lo];

function encodeHeader(hdr: RpcrdmaHeader, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const [rc, bytes] = encodeWith((xdr) => rpcrdmaEncodeHeader(xdr, hdr), 8192);
  expect(rc).to.equal(0);
  const out = new Uint8Array(bytes.length + body.length);
  out.set(bytes);
  out.set(body, bytes.length);
  return out;
}

/** A fresh stream over `bytes` positioned after the 4 fixed words (the client's rr_stream). */
function afterFixed(bytes: Uint8Array): xdr_stream {
  const xdr = new xdr_stream();
  xdr_init_decode(xdr, rxBuf(bytes), null);
  xdr_inline_decode(xdr, 16);
  return xdr;
}

describe('rpc_rdma_xdr', () => {
  describe('encoders (byte-exact, RFC 8166 §4)', () => {
    it('encodes RDMA_MSG with an empty Read list, one Write chunk of 2 segments and no Reply chunk as 17 words', () => {
      const s1 = seg(0x100, 4096, 0x1000);
      const s2 = seg(0x101, 2048, 0x8000);
      const bytes = encodeHeader(rpcrdmaHeader({ rm_xid: XID, rm_credit: 128, rm_type: rdma_msg, writeList: [[s1, s2]] }));
      expect(toWords(bytes)).to.deep.equal([
        XID, 1, 128, 0, // xid, vers, credits, RDMA_MSG
        0, // Read list: empty
        1, 2, 0x100, 4096, XID, 0x1000, 0x101, 2048, XID, 0x8000, // Write list: one chunk of 2 HLOO
        0, // end of Write list
        0, // no Reply chunk
      ]);
    });

    it('encodes RDMA_NOMSG with a 2-segment Position-Zero Read chunk and a 1-segment Reply chunk', () => {
      const r1 = seg(7, 4096, 0);
      const r2 = seg(7, 100, 4096);
      const rc = seg(8, 65536, 0x20000);
      const bytes = encodeHeader(rpcrdmaHeader({
        rm_xid: XID, rm_credit: 128, rm_type: rdma_nomsg, readList: [{ position: 0, segments: [r1, r2] }], replyChunk: [rc],
      }));
      expect(toWords(bytes)).to.deep.equal([
        XID, 1, 128, 1,
        1, 0, ...HLOO(r1), 1, 0, ...HLOO(r2), 0,
        0,
        1, 1, ...HLOO(rc),
      ]);
    });

    it('encodes a minimal RDMA_MSG in RPCRDMA_HDRLEN_MIN bytes, and an RDMA_MSG Read chunk at position 148', () => {
      expect(encodeHeader(rpcrdmaHeader({ rm_xid: 1, rm_credit: 64 })).length).to.equal(RPCRDMA_HDRLEN_MIN);
      const s = seg(9, 8192, 0);
      expect(toWords(encodeHeader(rpcrdmaHeader({ rm_xid: 1, rm_credit: 64, readList: [{ position: 148, segments: [s] }] }))))
        .to.deep.equal([1, 1, 64, 0, 1, 148, ...HLOO(s), 0, 0, 0]);
    });

    it('encodes RDMA_ERROR ERR_VERS {1, 1} in 28 bytes and ERR_CHUNK in RPCRDMA_HDRLEN_ERR bytes', () => {
      expect(toWords(encodeHeader(rpcrdmaHeader({ rm_xid: XID, rm_vers: 1, rm_credit: 64, rm_type: rdma_error,
        error: { rm_err: err_vers, rm_vers_low: 1, rm_vers_high: 1 } })))).to.deep.equal([XID, 1, 64, 4, 1, 1, 1]);
      const chunk = encodeHeader(rpcrdmaHeader({ rm_xid: XID, rm_credit: 64, rm_type: rdma_error, error: { rm_err: err_chunk, rm_vers_low: 0, rm_vers_high: 0 } }));
      expect(toWords(chunk)).to.deep.equal([XID, 1, 64, 4, 2]);
      expect(chunk.length).to.equal(RPCRDMA_HDRLEN_ERR);
    });

    it('builds the same bytes from the kernel-named building blocks', () => {
      const s = seg(3, 512, 0x40);
      const [rc, bytes] = encodeWith((xdr) => {
        let r = rpcrdmaEncodeFixedHeader(xdr, { rm_xid: XID, rm_vers: 1, rm_credit: 128, rm_type: rdma_msg });
        r |= encode_read_segment(xdr, s, 64);
        r |= encode_item_not_present(xdr);
        r |= encode_item_present(xdr);
        r |= encode_item_present(xdr); // segcount 1 happens to be the word 1
        r |= encode_rdma_segment(xdr, s);
        r |= encode_item_not_present(xdr);
        r |= encode_item_not_present(xdr);
        return r;
      });
      expect(rc).to.equal(0);
      expect(bytes).to.deep.equal(encodeHeader(rpcrdmaHeader({ rm_xid: XID, rm_credit: 128, readList: [{ position: 64, segments: [s] }], writeList: [[s]] })));
      expect(toWords(encodeWith((xdr) => rpcrdmaEncodeReadList(xdr, []))[1])).to.deep.equal([0]);
      expect(toWords(encodeWith((xdr) => rpcrdmaEncodeWriteList(xdr, []))[1])).to.deep.equal([0]);
      expect(toWords(encodeWith((xdr) => rpcrdmaEncodeReplyChunk(xdr, null))[1])).to.deep.equal([0]);
    });

    it('returns -EMSGSIZE when the header buffer is full', () => {
      const s = seg(1, 1, 1);
      expect(encodeWith((xdr) => rpcrdmaEncodeFixedHeader(xdr, rpcrdmaHeader()), 12)[0]).to.equal(EMSGSIZE);
      expect(encodeWith((xdr) => encode_read_segment(xdr, s, 0), 20)[0]).to.equal(EMSGSIZE);
      expect(encodeWith((xdr) => encode_rdma_segment(xdr, s), 12)[0]).to.equal(EMSGSIZE);
      expect(encodeWith((xdr) => encode_item_present(xdr), 0)[0]).to.equal(EMSGSIZE);
      expect(encodeWith((xdr) => rpcrdmaEncodeHeader(xdr, rpcrdmaHeader({ writeList: [[s, s]] })), 40)[0]).to.equal(EMSGSIZE);
    });

    it('sizes the largest Call and Reply headers as rpc_rdma.c does', () => {
      expect(rpcrdma_max_call_header_size(RPCRDMA_MAX_HDR_SEGS)).to.equal(28 + 16 * 24 + 4 + 16 + 4);
      expect(rpcrdma_max_reply_header_size(RPCRDMA_MAX_HDR_SEGS)).to.equal(28 + 4 + 16 * 16 + 4);
      // the largest call header really fits: 16 read segments + a 1-segment Reply chunk
      const s = seg(1, 1, 1);
      const big = encodeHeader(rpcrdmaHeader({ readList: [{ position: 4, segments: Array(16).fill(s) }], replyChunk: [s] }));
      expect(big.length).to.be.at.most(rpcrdma_max_call_header_size(16));
    });
  });

  describe('round trips (seeded property tests)', () => {
    const u32 = fc.nat({ max: 0xffffffff });
    const segArb = fc.tuple(u32, fc.nat({ max: RPCSVC_MAXPAGES * 4096 }), fc.oneof(fc.constant(XID), u32), u32)
      .map(([h, l, hi, lo]) => new rpcrdma_segment(h, l, hi, lo));
    const chunkArb = fc.array(segArb, { minLength: 1, maxLength: 5 });
    const readListArb = fc.uniqueArray(fc.nat({ max: 1 << 20 }).map((n) => n * 4), { maxLength: 4 })
      .chain((positions) => fc.tuple(...positions.sort((a, b) => a - b).map((position) =>
        chunkArb.map((segments): RpcrdmaReadChunk => ({ position, segments })))));
    const callArb = fc.record({
      rm_xid: u32, rm_credit: u32, rm_type: fc.constantFrom(rdma_msg, rdma_nomsg),
      readList: readListArb, writeList: fc.array(chunkArb, { maxLength: 3 }), replyChunk: fc.option(chunkArb, { nil: null }),
    }).map((r) => rpcrdmaHeader(r));
    const anyArb = fc.oneof(
      callArb,
      fc.record({ rm_xid: u32, rm_vers: u32, rm_credit: u32, readList: readListArb, writeList: fc.array(chunkArb, { maxLength: 2 }),
        replyChunk: fc.option(chunkArb, { nil: null }), padded: fc.record({ rm_align: u32, rm_thresh: u32 }) })
        .map((r) => rpcrdmaHeader({ ...r, rm_type: rdma_msgp })),
      fc.record({ rm_xid: u32, rm_vers: u32, rm_credit: u32 }).map((r) => rpcrdmaHeader({ ...r, rm_type: rdma_done })),
      fc.record({ rm_xid: u32, rm_vers: u32, rm_credit: u32, rm_err: fc.constantFrom(err_vers, err_chunk, 7), low: u32, high: u32 })
        .map((r) => rpcrdmaHeader({ rm_xid: r.rm_xid, rm_vers: r.rm_vers, rm_credit: r.rm_credit, rm_type: rdma_error,
          error: { rm_err: r.rm_err, rm_vers_low: r.rm_err === err_vers ? r.low : 0, rm_vers_high: r.rm_err === err_vers ? r.high : 0 } })),
    );

    it(`decodes every encoded header back to itself, 64-bit offsets exact (seed ${SEED})`, () => {
      fc.assert(fc.property(anyArb, (hdr) => {
        const bytes = encodeHeader(hdr);
        const r = rpcrdmaDecodeHeader(rxBuf(bytes));
        expect(r).to.not.be.a('number');
        if (typeof r === 'number') return;
        expect(r.hdr_len).to.equal(bytes.length);
        expect(r.hdr).to.deep.equal(hdr);
      }), fcParams);
    });

    it(`accepts every well-formed Call in svc_rdma_xdr_decode_req and returns the same header (seed ${SEED})`, () => {
      fc.assert(fc.property(callArb, fc.uint8Array({ maxLength: 64 }), (hdr, body) => {
        const hlen = encodeHeader(hdr).length;
        const rq_arg = rxBuf(encodeHeader(hdr, body));
        const v = svc_rdma_xdr_decode_req(rq_arg);
        expect(v.kind).to.equal('ok');
        if (v.kind !== 'ok') return;
        expect(v.status).to.equal(hlen);
        expect(v.hdr).to.deep.equal(hdr);
        for (const c of v.hdr.readList) for (const s of c.segments) expect(s.rs_offset).to.equal((BigInt(s.rs_offset_hi) << 32n) | BigInt(s.rs_offset_lo));
        // the kernel's contract: head[0] now starts at the RPC message
        expect(rq_arg.len).to.equal(body.length);
        expect(rq_arg.head[0].iov_len).to.equal(body.length);
        expect(rq_arg.head[0].iov_base.subarray(0, body.length)).to.deep.equal(body);
      }), fcParams);
    });
  });

  describe('svc_rdma_xdr_decode_req: validation (KERNEL.md §9.2, §11 item 17)', () => {
    const s = seg(0x77, 4096, 0);
    const decode = (ws: number[], init = {}) => svc_rdma_xdr_decode_req(rxBuf(words(...ws)), init);

    it('answers a header shorter than 4 words with ERR_CHUNK (-EINVAL), echoing what was received', () => {
      expect(decode([XID, 1, 64])).to.deep.equal({ kind: 'err_chunk', status: EINVAL, reason: 'short', rm_xid: XID, rm_vers: 1 });
      expect(decode([])).to.deep.equal({ kind: 'err_chunk', status: EINVAL, reason: 'short', rm_xid: 0, rm_vers: 0 });
    });

    it('answers vers ≠ 1 with ERR_VERS (-EPROTONOSUPPORT), and the error reply is ERR_VERS {1, 1}', () => {
      const v = decode([XID, 2, 64, 0, 0, 0, 0]);
      expect(v).to.deep.equal({ kind: 'err_vers', status: EPROTONOSUPPORT, rm_xid: XID, rm_vers: 2 });
      expect(toWords(encodeHeader(svcRdmaErrorHeader(v, 64)!))).to.deep.equal([XID, 2, 64, 4, 1, 1, 1]);
      expect(decode([XID, 0, 64, 0, 0, 0, 0]).kind).to.equal('err_vers');
    });

    it('drops RDMA_DONE and RDMA_ERROR silently (status 0, no error reply)', () => {
      const done = decode([XID, 1, 64, rdma_done]);
      expect(done).to.deep.equal({ kind: 'drop', status: 0, reason: 'rdma_done', rm_xid: XID, rm_vers: 1 });
      expect(decode([XID, 1, 64, rdma_error, 2])).to.deep.equal({ kind: 'drop', status: 0, reason: 'rdma_error', rm_xid: XID, rm_vers: 1 });
      expect(svcRdmaErrorHeader(done, 64)).to.equal(null);
    });

    it('answers RDMA_MSGP and unknown procs with ERR_CHUNK (badproc); the error reply is ERR_CHUNK', () => {
      const v = decode([XID, 1, 64, rdma_msgp, 0, 0, 0, 0, 0]);
      expect(v).to.deep.equal({ kind: 'err_chunk', status: EINVAL, reason: 'badproc', rm_xid: XID, rm_vers: 1 });
      expect(toWords(encodeHeader(svcRdmaErrorHeader(v, 64)!))).to.deep.equal([XID, 1, 64, 4, 2]);
      expect(decode([XID, 1, 64, 5, 0, 0, 0]).kind).to.equal('err_chunk');
      expect(decode([XID, 1, 64, 0xffffffff, 0, 0, 0])).to.include({ reason: 'badproc' });
    });

    it('rejects a Read position that is not a multiple of 4 (XDR alignment, RFC 8166 §3.4.5)', () => {
      for (const position of [1, 2, 3, 6, 147, 0xffffffff]) {
        expect(decode([XID, 1, 64, 0, 1, position, ...HLOO(s), 0, 0, 0])).to.include({ kind: 'err_chunk', reason: 'read_position' });
      }
      expect(decode([XID, 1, 64, 0, 1, 148, ...HLOO(s), 0, 0, 0]).kind).to.equal('ok');
      expect(decode([XID, 1, 64, 1, 1, 0, ...HLOO(s), 0, 0, 0]).kind).to.equal('ok');
    });

    it('rejects a Read segment longer than maxpages pages', () => {
      const long = seg(1, RPCSVC_MAXPAGES * 4096 + 1, 0);
      expect(decode([XID, 1, 64, 0, 1, 4, ...HLOO(long), 0, 0, 0])).to.include({ reason: 'read_length' });
      expect(decode([XID, 1, 64, 0, 1, 4, ...HLOO(seg(1, 8193, 0)), 0, 0, 0], { maxpages: 2 })).to.include({ reason: 'read_length' });
    });

    it('rejects lists that run past the received bytes with ERR_CHUNK', () => {
      const full = [XID, 1, 64, 0, 1, 4, ...HLOO(s), 0, 1, 1, ...HLOO(s), 0, 1, 1, ...HLOO(s)];
      expect(decode(full).kind).to.equal('ok');
      const reasons = new Set<string>();
      for (let n = 4; n < full.length; n++) {
        const v = decode(full.slice(0, n));
        expect(v.kind, `prefix of ${n} words`).to.equal('err_chunk');
        if (v.kind === 'err_chunk') reasons.add(v.reason);
      }
      expect([...reasons].sort()).to.deep.equal(['read_list', 'reply_chunk', 'write_list']);
    });

    it('rejects a Write chunk of 0 segments or of more than maxpages segments, before trusting the count', () => {
      expect(decode([XID, 1, 64, 0, 0, 1, 0, 0, 0])).to.include({ reason: 'write_segcount' });
      expect(decode([XID, 1, 64, 0, 0, 1, 0xffffffff, 0, 0])).to.include({ reason: 'write_segcount' });
      expect(decode([XID, 1, 64, 0, 0, 1, RPCSVC_MAXPAGES + 1, 0, 0])).to.include({ reason: 'write_segcount' });
      expect(decode([XID, 1, 64, 0, 0, 1, 10, ...HLOO(s), ...HLOO(s), 0, 0])).to.include({ reason: 'write_list' });
    });

    it('rejects a Reply chunk with zero segments, too many, or past the buffer', () => {
      expect(decode([XID, 1, 64, 0, 0, 0, 1, 0])).to.include({ kind: 'err_chunk', reason: 'reply_segcount' });
      expect(decode([XID, 1, 64, 0, 0, 0, 1, 0x10000000])).to.include({ reason: 'reply_segcount' });
      expect(decode([XID, 1, 64, 0, 0, 0, 1, 2, ...HLOO(s)])).to.include({ reason: 'reply_chunk' });
      expect(decode([XID, 1, 64, 0, 0, 0])).to.include({ reason: 'reply_chunk' });
    });

    it('caps segments per list at maxSegments when asked (RPCRDMA_MAX_HDR_SEGS); the Linux default has no cap', () => {
      const entries = (n: number) => Array.from({ length: n }, () => [1, 4, ...HLOO(s)]).flat();
      const read17 = [XID, 1, 64, 0, ...entries(17), 0, 0, 0];
      const read16 = [XID, 1, 64, 0, ...entries(16), 0, 0, 0];
      const init = { maxSegments: RPCRDMA_MAX_HDR_SEGS };
      expect(decode(read17, init)).to.include({ kind: 'err_chunk', reason: 'too_many_segments' });
      expect(decode(read16, init).kind).to.equal('ok');
      expect(decode(read17).kind).to.equal('ok');
      const write17 = [XID, 1, 64, 0, 0, 1, 17, ...Array(17).fill(HLOO(s)).flat(), 0, 0];
      expect(decode(write17, init)).to.include({ reason: 'too_many_segments' });
      const reply17 = [XID, 1, 64, 0, 0, 0, 1, 17, ...Array(17).fill(HLOO(s)).flat()];
      expect(decode(reply17, init)).to.include({ reason: 'too_many_segments' });
    });

    it('groups Read segments into chunks by position, ascending, with position 0 as the PZRC', () => {
      const a = seg(1, 10, 0); const b = seg(2, 20, 0); const c = seg(3, 30, 0); const d = seg(4, 40, 0);
      const v = decode([XID, 1, 64, 1, 1, 8, ...HLOO(a), 1, 0, ...HLOO(b), 1, 8, ...HLOO(c), 1, 4, ...HLOO(d), 0, 0, 0]);
      expect(v.kind).to.equal('ok');
      if (v.kind !== 'ok') return;
      expect(v.hdr.readList).to.deep.equal([{ position: 0, segments: [b] }, { position: 4, segments: [d] }, { position: 8, segments: [a, c] }]);
    });

    it('accepts several Write chunks and a Read list with a Reply chunk', () => {
      const v = decode([XID, 1, 64, 0, 1, 4, ...HLOO(s), 0, 1, 1, ...HLOO(s), 1, 2, ...HLOO(s), ...HLOO(s), 0, 1, 1, ...HLOO(s)]);
      expect(v.kind).to.equal('ok');
      if (v.kind === 'ok') {
        expect(v.hdr.writeList.map((ch) => ch.length)).to.deep.equal([1, 2]);
        expect(v.hdr.replyChunk).to.have.length(1);
      }
    });
  });

  describe('client reply decoding (rpcrdma_decode_msg / nomsg / error, KERNEL.md §8.5, §11 item 13)', () => {
    const body = words(XID, 1, 0, 0, 0, 0); // an RPC reply's first words

    it('returns the responder-updated Write-chunk lengths (RFC 8166 §4.3.2; libevpl bug #1)', () => {
      // the requester offered 2 × 4096 bytes; the responder wrote 4096 + 1001 and says so
      const offered = [seg(0x10, 4096, 0x0000), seg(0x11, 4096, 0x1000)];
      const written = [seg(0x10, 4096, 0x0000), seg(0x11, 1001, 0x1000)];
      const v = rpcrdmaDecodeReply(rxBuf(encodeHeader(rpcrdmaHeader({ rm_xid: XID, rm_credit: 64, writeList: [written] }), body)));
      expect(v.kind).to.equal('reply');
      if (v.kind !== 'reply') return;
      expect(v.writeList).to.deep.equal([written]);
      expect(v.writeList[0]!.map((x) => x.rs_length)).to.not.deep.equal(offered.map((x) => x.rs_length));
      expect(v.writelist).to.equal(5097);
      expect(v.rpclen).to.equal(body.length);
      expect(v.rpcOffset).to.equal(RPCRDMA_HDRLEN_MIN + 4 + 4 + 32);
      expect(v.status).to.equal(body.length + 5100); // rpclen + xdr_align_size(writelist); pad = writelist & 3 = 1
      expect(v).to.include({ rm_xid: XID, rm_credit: 64, rm_type: rdma_msg });
    });

    it('fails RDMA_MSG carrying a Reply chunk, a Read list or two Write chunks with -EIO', () => {
      const s = seg(1, 100, 0);
      const st = (h: RpcrdmaHeader) => {
        const v = rpcrdmaDecodeReply(rxBuf(encodeHeader(h, body)));
        return v.kind === 'reply' ? v.status : NaN;
      };
      expect(st(rpcrdmaHeader({ rm_xid: XID, replyChunk: [s] }))).to.equal(EIO);
      expect(st(rpcrdmaHeader({ rm_xid: XID, readList: [{ position: 4, segments: [s] }] }))).to.equal(EIO);
      expect(st(rpcrdmaHeader({ rm_xid: XID, writeList: [[s], [s]] }))).to.equal(EIO);
      expect(st(rpcrdmaHeader({ rm_xid: XID }))).to.equal(body.length);
    });

    it('requires RDMA_NOMSG to carry a Reply chunk and no Write list; its length is the Reply chunk\'s', () => {
      const s = seg(1, 300, 0);
      const st = (h: RpcrdmaHeader) => {
        const v = rpcrdmaDecodeReply(rxBuf(encodeHeader({ ...h, rm_type: rdma_nomsg })));
        return v.kind === 'reply' ? v.status : NaN;
      };
      expect(st(rpcrdmaHeader({ rm_xid: XID }))).to.equal(EIO);
      expect(st(rpcrdmaHeader({ rm_xid: XID, writeList: [[s]], replyChunk: [s] }))).to.equal(EIO);
      expect(st(rpcrdmaHeader({ rm_xid: XID, replyChunk: [s, seg(2, 12, 0)] }))).to.equal(312);
    });

    it('turns RDMA_ERROR into -EREMOTEIO with the error body; a truncated one into -EIO', () => {
      const vers = rpcrdmaDecodeReply(rxBuf(words(XID, 1, 64, rdma_error, err_vers, 1, 1)));
      expect(vers).to.include({ kind: 'reply', status: EREMOTEIO });
      if (vers.kind === 'reply') expect(vers.error).to.deep.equal({ rm_err: err_vers, rm_vers_low: 1, rm_vers_high: 1 });
      expect(rpcrdmaDecodeReply(rxBuf(words(XID, 1, 64, rdma_error, err_chunk)))).to.include({ status: EREMOTEIO });
      expect(rpcrdmaDecodeReply(rxBuf(words(XID, 1, 64, rdma_error, err_vers)))).to.include({ status: EREMOTEIO });
      expect(rpcrdmaDecodeReply(rxBuf(words(XID, 1, 64, rdma_error)))).to.include({ status: EIO });
      expect(rpcrdma_decode_error(afterFixed(words(XID, 1, 64, rdma_error, 9))).error).to.deep.equal({ rm_err: 9, rm_vers_low: 0, rm_vers_high: 0 });
    });

    it('fails RDMA_MSGP (obsolete), RDMA_DONE and unknown procs with -EIO', () => {
      for (const proc of [rdma_msgp, rdma_done, 5]) {
        expect(rpcrdmaDecodeReply(rxBuf(words(XID, 1, 64, proc, 0, 0, 0, 0, 0)))).to.include({ kind: 'reply', status: EIO });
      }
    });

    it('drops a short reply and a reply of another version', () => {
      expect(rpcrdmaDecodeReply(rxBuf(words(XID, 1, 64)))).to.deep.equal({ kind: 'drop', reason: 'short' });
      expect(rpcrdmaDecodeReply(rxBuf(words(XID, 2, 64, 0, 0, 0, 0)))).to.deep.equal({ kind: 'drop', reason: 'badversion' });
    });

    it('decodes list pieces with the kernel\'s -EIO on truncation', () => {
      expect(decode_read_list(afterFixed(words(0, 0, 0, 0)))).to.equal(EIO);
      expect(decode_read_list(afterFixed(words(0, 0, 0, 0, 1)))).to.equal(EIO);
      expect(decode_read_list(afterFixed(words(0, 0, 0, 0, 0)))).to.equal(0);
      expect(decode_write_chunk(afterFixed(words(0, 0, 0, 0, 0xffffffff, 1, 2, 3, 4)))).to.equal(EIO);
      expect(decode_write_chunk(afterFixed(words(0, 0, 0, 0, 2, 1, 0xffffffff, 0, 0, 2, 2, 0, 0)))).to.deep.equal({
        segments: [new rpcrdma_segment(1, 0xffffffff, 0, 0), new rpcrdma_segment(2, 2, 0, 0)], length: 1, // u32 wrap, as in C
      });
    });
  });

  describe('fuzz: garbage, truncation and huge counts', () => {
    const s = seg(0x55, 4096, 0x1000);
    const seedHeaders = [
      rpcrdmaHeader({ rm_xid: XID, rm_credit: 64, readList: [{ position: 0, segments: [s, s] }, { position: 8, segments: [s] }], replyChunk: [s] }),
      rpcrdmaHeader({ rm_xid: XID, rm_credit: 64, writeList: [[s, s], [s]] }),
      rpcrdmaHeader({ rm_xid: XID, rm_credit: 64, rm_type: rdma_nomsg, replyChunk: [s, s, s] }),
      rpcrdmaHeader({ rm_xid: XID, rm_type: rdma_error, error: { rm_err: err_vers, rm_vers_low: 1, rm_vers_high: 1 } }),
    ].map((h) => toWords(encodeHeader(h)));
    const special = fc.constantFrom(0, 1, 2, 3, 4, 6, 16, 17, 0x7fffffff, 0x80000000, 0x10000000, 0x0fffffff, 0xffffffff);
    const mutated = fc.tuple(fc.constantFrom(...seedHeaders), fc.array(fc.tuple(fc.nat(), fc.oneof(special, fc.nat({ max: 0xffffffff }))), { maxLength: 4 }), fc.nat())
      .map(([ws, muts, cut]) => {
        const out = ws.slice();
        for (const [i, v] of muts) out[i % out.length] = v;
        return out.slice(0, cut % (out.length + 1));
      });
    const garbage = fc.array(fc.oneof(special, fc.nat({ max: 0xffffffff })), { maxLength: 64 });
    const inputs = fc.oneof(mutated, garbage, garbage.map((ws) => [XID, 1, 64, ws.length & 1, ...ws]));

    /** The same words followed by different bytes beyond buf.len: results must not depend on them. */
    function twoBuffers(ws: number[], extra: number): [ReturnType<typeof rxBuf>, ReturnType<typeof rxBuf>] {
      const bytes = words(...ws);
      const a = new Uint8Array(bytes.length + 64).fill(0x00);
      const b = new Uint8Array(bytes.length + 64).fill(extra);
      a.set(bytes); b.set(bytes);
      const ba = rxBuf(a); const bb = rxBuf(b);
      ba.len = bb.len = ba.head[0].iov_len = bb.head[0].iov_len = bytes.length;
      return [ba, bb];
    }

    it(`never throws, never reads past buf.len, and answers with a verdict (seed ${SEED})`, () => {
      fc.assert(fc.property(inputs, fc.integer({ min: 1, max: 255 }), (ws, extra) => {
        const [a, b] = twoBuffers(ws, extra);
        const va = svc_rdma_xdr_decode_req(a);
        const vb = svc_rdma_xdr_decode_req(b);
        expect(va).to.deep.equal(vb);
        expect(['ok', 'err_vers', 'err_chunk', 'drop']).to.include(va.kind);
        if (va.kind === 'ok') expect(va.status).to.be.at.most(ws.length * 4);
        if (va.kind === 'err_vers') expect(va.status).to.equal(EPROTONOSUPPORT);
        if (va.kind === 'err_chunk') expect(va.status).to.equal(EINVAL);
        if (va.kind === 'drop') expect(va.status).to.equal(0);
        const [c, d] = twoBuffers(ws, extra);
        const ra = rpcrdmaDecodeReply(c);
        expect(ra).to.deep.equal(rpcrdmaDecodeReply(d));
        if (ra.kind === 'reply') expect(ra.status === EIO || ra.status === EREMOTEIO || ra.status >= 0).to.equal(true);
        const [e, f] = twoBuffers(ws, extra);
        expect(rpcrdmaDecodeHeader(e)).to.deep.equal(rpcrdmaDecodeHeader(f));
      }), { ...fcParams, numRuns: 2000 });
    });
  });
});
