import { expect } from 'chai';
import fc from 'fast-check';
import { errno } from '@rdmaemu/sim-core';
import { xdr_buf } from '@rdmaemu/xdr_buf';
import {
  RecordReassembler, TCP_RCV_COPY_DATA, TCP_RCV_COPY_FRAGHDR, TCP_RCV_LAST_FRAG, rpcEncodeRecord, tcp_rcv_state_name,
  xs_stream_record_marker,
} from '../../src/xprtsock/record_marking.js';
import { concat, fcParams, words } from '../_support.js';

function collect(init: Partial<ConstructorParameters<typeof RecordReassembler>[0]> = {}) {
  const out: Uint8Array[] = [];
  const errs: number[] = [];
  const rr = new RecordReassembler({ onRecord: (r) => out.push(r.slice()), onError: (e) => errs.push(e), ...init });
  return { rr, out, errs };
}

/** Split `bytes` at the given sorted cut points. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [0, ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length];
  return pts.slice(1).map((end, i) => bytes.subarray(pts[i], end));
}

describe('xprtsock: record marking', () => {
  it('xs_stream_record_marker sets the last-fragment bit over the length after the marker', () => {
    const buf = new xdr_buf();
    buf.len = 44;
    expect(xs_stream_record_marker(buf)).to.equal(0x80000028);
  });

  it('rpcEncodeRecord writes one last fragment by default, as the Linux client does (RFC 5531 §11)', () => {
    expect(rpcEncodeRecord(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).to.deep.equal(concat(words(0x80000008), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])));
    expect(rpcEncodeRecord(new Uint8Array(0))).to.deep.equal(words(0x80000000));
  });

  it('rpcEncodeRecord cuts fragments of maxFragmentSize', () => {
    const msg = new Uint8Array(10).map((_, i) => i);
    expect(rpcEncodeRecord(msg, { maxFragmentSize: 4 })).to.deep.equal(concat(
      words(4), msg.subarray(0, 4), words(4), msg.subarray(4, 8), words(0x80000002), msg.subarray(8)));
  });

  it('reassembles any message, fragmented any way, delivered in any chunks (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ minLength: 8, maxLength: 300 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 64 }),
      fc.array(fc.nat(2000), { maxLength: 30 }),
      (msgs, frag, cuts) => {
        const wire = concat(...msgs.map((m) => rpcEncodeRecord(m, { maxFragmentSize: frag })));
        const { rr, out } = collect();
        for (const chunk of split(wire, cuts)) expect(rr.receive(chunk)).to.equal(0);
        expect(out).to.deep.equal(msgs);
        expect(rr.tcp_flags).to.equal(TCP_RCV_COPY_FRAGHDR);
      }), fcParams);
  });

  it('reassembles a three-fragment message at every single split point and byte by byte', () => {
    const msg = new Uint8Array(20).map((_, i) => i + 1);
    const wire = rpcEncodeRecord(msg, { maxFragmentSize: 7 });
    for (let cut = 0; cut <= wire.length; cut++) {
      const { rr, out } = collect();
      rr.receive(wire.subarray(0, cut));
      rr.receive(wire.subarray(cut));
      expect(out, `cut ${cut}`).to.deep.equal([msg]);
    }
    const { rr, out } = collect();
    for (const b of wire) rr.receive(new Uint8Array([b]));
    expect(out).to.deep.equal([msg]);
  });

  it('accepts zero-length fragments, including a zero-length last fragment', () => {
    const msg = new Uint8Array([9, 9, 9, 9, 8, 8, 8, 8]);
    const wire = concat(words(0), words(4), msg.subarray(0, 4), words(0), words(4), msg.subarray(4), words(0x80000000));
    const { rr, out } = collect();
    expect(rr.receive(wire)).to.equal(0);
    expect(out).to.deep.equal([msg]);
  });

  it('rejects a record larger than maxRecordSize as soon as its marker arrives (-EMSGSIZE), and stays dead', () => {
    const { rr, out, errs } = collect({ maxRecordSize: 64 });
    expect(rr.receive(concat(words(60), new Uint8Array(60)))).to.equal(0);
    expect(rr.receive(words(0x80000008))).to.equal(-errno.EMSGSIZE);
    expect(errs).to.deep.equal([-errno.EMSGSIZE]);
    expect(rr.receive(new Uint8Array(8))).to.equal(-errno.EMSGSIZE);
    expect(out).to.deep.equal([]);
    rr.reset();
    expect(rr.receive(rpcEncodeRecord(new Uint8Array(64)))).to.equal(0);
    expect(out.length).to.equal(1);
    expect(collect({ maxRecordSize: 64 }).rr.receive(words(0xffffffff))).to.equal(-errno.EMSGSIZE);
  });

  it('rejects a complete record shorter than 8 bytes (-EBADMSG, svcsock "client is nuts")', () => {
    const { rr, errs } = collect();
    expect(rr.receive(rpcEncodeRecord(new Uint8Array(4)))).to.equal(-errno.EBADMSG);
    expect(errs).to.deep.equal([-errno.EBADMSG]);
    expect(collect().rr.receive(words(0x80000000))).to.equal(-errno.EBADMSG);
  });

  it('holds a truncated record without delivering it', () => {
    const wire = rpcEncodeRecord(new Uint8Array(100), { maxFragmentSize: 30 });
    for (let n = 0; n < wire.length; n++) {
      const { rr, out, errs } = collect();
      expect(rr.receive(wire.subarray(0, n))).to.equal(0);
      expect(out.length + errs.length).to.equal(0);
    }
  });

  it('never throws on garbage: only 0, -EMSGSIZE or -EBADMSG (fuzz)', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), fc.boolean(), (chunks, small) => {
      const { rr } = collect({ maxRecordSize: 4096 });
      for (const c of chunks) {
        const rc = rr.receive(small ? c.map((b, i) => (i % 4 === 0 ? b & 0x80 : i % 4 === 3 ? b & 0x1f : 0)) : c);
        expect([0, -errno.EMSGSIZE, -errno.EBADMSG]).to.include(rc);
      }
    }), { ...fcParams, numRuns: 1000 });
  });

  it('names its states', () => {
    expect(tcp_rcv_state_name(TCP_RCV_COPY_DATA | TCP_RCV_LAST_FRAG)).to.equal('COPY_DATA|LAST_FRAG');
  });
});
