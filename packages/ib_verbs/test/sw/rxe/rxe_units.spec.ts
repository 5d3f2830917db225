import { expect } from 'chai';
import { crc32 } from 'node:zlib';
import { ib_opcode, rxe_opcode, RXE_BTH_BYTES, RXE_RETH_MASK, RXE_IMMDT_MASK, RXE_PAYLOAD_MASK, RETH_OFF, IMMDT_OFF,
  rxe_hdr_type } from '../../../src/sw/rxe/rxe_opcode.js';
import { bth_init, bth_opcode, bth_psn, bth_qpn, bth_ack, bth_pad, bth_se, bth_pkey, psn_compare, reth_set_va, reth_va_hi,
  reth_va_lo, reth_set_len, reth_len, aeth_set_syn, aeth_set_msn, aeth_syn, aeth_msn, atmeth_set_swap_add,
  atmeth_swap_add_hi, atmeth_swap_add_lo } from '../../../src/sw/rxe/rxe_hdr.js';
import { rxe_icrc_compute } from '../../../src/sw/rxe/rxe_icrc.js';
import { rxe_queue, rxe_queue_capacity } from '../../../src/sw/rxe/rxe_queue.js';
import { rxe_pool } from '../../../src/sw/rxe/rxe_pool.js';
import { ib_send_flags, ib_wc_status, ib_wr_opcode } from '../../../src/core/ib_verbs.h.js';
import { ib_post_recv, ib_post_send } from '../../../src/core/verbs.js';
import { makeRcPair } from './_pair.js';

describe('rxe_opcode: rxe_opcode[]', () => {
  it('every entry has BTH, a length equal to its header sizes, and offsets inside that length', () => {
    const sizes: Record<number, number> = { [rxe_hdr_type.RXE_RETH]: 16, [rxe_hdr_type.RXE_AETH]: 4, [rxe_hdr_type.RXE_ATMETH]: 28,
      [rxe_hdr_type.RXE_ATMACK]: 8, [rxe_hdr_type.RXE_IETH]: 4, [rxe_hdr_type.RXE_DETH]: 8, [rxe_hdr_type.RXE_IMMDT]: 4 };
    let n = 0;
    rxe_opcode.forEach((e) => {
      if (!e) return;
      n++;
      let len = RXE_BTH_BYTES;
      for (const [h, s] of Object.entries(sizes)) if (e.mask & (1 << Number(h))) { len += s; expect(e.offset[Number(h)]! + s).to.be.at.most(e.length); }
      expect(e.length, e.name).to.equal(len);
      expect(e.offset[rxe_hdr_type.RXE_PAYLOAD]).to.equal(e.length);
    });
    expect(n).to.equal(25);
    const w = rxe_opcode[ib_opcode.IB_OPCODE_RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE]!;
    expect(w.mask & (RXE_RETH_MASK | RXE_IMMDT_MASK | RXE_PAYLOAD_MASK)).to.equal(RXE_RETH_MASK | RXE_IMMDT_MASK | RXE_PAYLOAD_MASK);
    expect(RETH_OFF[ib_opcode.IB_OPCODE_RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE]).to.equal(12);
    expect(IMMDT_OFF[ib_opcode.IB_OPCODE_RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE]).to.equal(28);
    expect(w.length).to.equal(32);
  });
});

describe('rxe_hdr: accessors', () => {
  it('round-trips BTH, RETH, AETH, AtomicETH fields', () => {
    const b = new Uint8Array(64);
    bth_init(b, 4, 0x0a, true, false, 3, 0xffff, 0xabcdef, true, 0xfffffe);
    expect([bth_opcode(b, 4), bth_se(b, 4), bth_pad(b, 4), bth_pkey(b, 4), bth_qpn(b, 4), bth_ack(b, 4), bth_psn(b, 4)])
      .to.deep.equal([0x0a, true, 3, 0xffff, 0xabcdef, true, 0xfffffe]);
    reth_set_va(b, 16, 0xdeadbeef, 0x12345678);
    reth_set_len(b, 16, 0x80000000);
    expect([reth_va_hi(b, 16), reth_va_lo(b, 16), reth_len(b, 16)]).to.deep.equal([0xdeadbeef, 0x12345678, 0x80000000]);
    aeth_set_syn(b, 40, 0x63);
    aeth_set_msn(b, 40, 0x123456);
    expect([aeth_syn(b, 40), aeth_msn(b, 40)]).to.deep.equal([0x63, 0x123456]);
    atmeth_set_swap_add(b, 0, 0xffffffff, 1);
    expect([atmeth_swap_add_hi(b, 0), atmeth_swap_add_lo(b, 0)]).to.deep.equal([0xffffffff, 1]);
  });
  it('psn_compare: signed 24-bit difference across the wrap', () => {
    expect(psn_compare(1, 0xffffff)).to.be.greaterThan(0);
    expect(psn_compare(0xffffff, 1)).to.be.lessThan(0);
    expect(psn_compare(5, 5)).to.equal(0);
    expect(psn_compare(0x7fffff, 0)).to.be.greaterThan(0);
    expect(psn_compare(0x800000, 0)).to.be.lessThan(0);
  });
});

describe('rxe_icrc: rxe_icrc_compute', () => {
  // hand-built packet: IPv4 + UDP + BTH + 5 payload bytes + 3 pad
  const ip = [0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0xab, 0xcd, 10, 0, 0, 1, 10, 0, 0, 2];
  const udp = [0xc0, 0x01, 0x12, 0xb7, 0x00, 0x18, 0x00, 0x00];
  const bth = [0x04, 0x30, 0xff, 0xff, 0x00, 0x00, 0x00, 0x11, 0x80, 0x00, 0x04, 0x00];
  const payload = [1, 2, 3, 4, 5, 0, 0, 0];
  it('equals crc32(FF×8 ‖ masked headers ‖ payload+pad) computed independently', () => {
    const hdr = Uint8Array.from([...new Array(14).fill(0), ...ip, ...udp, ...bth]);
    const masked = [...new Array(8).fill(0xff), ...ip, ...udp, ...bth, ...payload];
    masked[8 + 1] = 0xff; masked[8 + 8] = 0xff; masked[8 + 10] = 0xff; masked[8 + 11] = 0xff;
    masked[8 + 26] = 0xff; masked[8 + 27] = 0xff; masked[8 + 28 + 4] = 0xff;
    const want = crc32(Uint8Array.from(masked)) >>> 0;
    const got = rxe_icrc_compute(hdr, 14, 12, [Uint8Array.from(payload.slice(0, 3)), Uint8Array.from(payload.slice(3))]);
    expect(got).to.equal(want);
    // TTL and checksum are masked: changing them leaves the ICRC unchanged
    hdr[14 + 8] = 1; hdr[14 + 10] = 0;
    expect(rxe_icrc_compute(hdr, 14, 12, [Uint8Array.from(payload)])).to.equal(want);
    // one flipped payload bit changes it
    const p2 = Uint8Array.from(payload); p2[2] ^= 0x10;
    expect(rxe_icrc_compute(hdr, 14, 12, [p2])).to.not.equal(want);
  });
});

describe('rxe_queue', () => {
  it('wraps and enforces capacity; rxe rounding gives 2^k-1', () => {
    expect(rxe_queue_capacity(200, true)).to.equal(255);
    expect(rxe_queue_capacity(200, false)).to.equal(200);
    const q = new rxe_queue<number>(3);
    for (let round = 0; round < 10; round++) {
      q.push(round); q.push(round + 1); q.push(round + 2);
      expect(q.full()).to.equal(true);
      expect([q.shift(), q.shift(), q.shift()]).to.deep.equal([round, round + 1, round + 2]);
      expect(q.empty()).to.equal(true);
    }
  });
});

describe('rxe_pool: cyclic index allocation', () => {
  it('does not reuse a freed index at once and skips live ones on wrap', () => {
    const p = new rxe_pool<string>('qp', 16, 19);
    expect([p.alloc('a'), p.alloc('b')]).to.deep.equal([16, 17]);
    p.remove(16);
    expect(p.alloc('c')).to.equal(18);
    expect(p.alloc('d')).to.equal(19);
    expect(p.alloc('e')).to.equal(16);
  });
});

describe('rxe_comp: retransmission', () => {
  it('recovers from 20% frame loss: every SEND completes in order with data intact', () => {
    const { a, b, run, fabric } = makeRcPair({ attr: { timeout: 10, retry_cnt: 7, rnr_retry: 7 } });
    for (const l of fabric.links) { l.aToB.faults = { drop: 0.2, seed: 3 }; l.bToA.faults = { drop: 0.2, seed: 4 }; }
    const N = 50;
    const src = a.alloc(N * 3000, 0);
    for (let i = 0; i < src.buf.length; i++) src.buf[i] = (i * 7) & 0xff;
    const dst = b.alloc(N * 3000, 0);
    for (let i = 0; i < N; i++) ib_post_recv(b.qp, { wr_id: i, sg_list: [{ addr: dst.dma + i * 3000, length: 3000, lkey: b.pd.local_dma_lkey }] });
    for (let i = 0; i < N; i++) {
      ib_post_send(a.qp, { wr_id: i, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        sg_list: [{ addr: src.dma + i * 3000, length: 3000, lkey: a.pd.local_dma_lkey }] });
    }
    run();
    const ws = a.poll();
    expect(ws.map((w) => w.wr_id)).to.deep.equal([...Array(N).keys()]);
    expect(ws.every((w) => w.status === ib_wc_status.IB_WC_SUCCESS)).to.equal(true);
    expect(b.poll().length).to.equal(N);
    expect(Buffer.from(dst.buf).equals(Buffer.from(src.buf))).to.equal(true);
    expect(a.dev.counters.get('completer_retry_err') + a.dev.counters.get('rcvd_seq_err')).to.be.greaterThan(0);
  });
  it('retry_cnt exhausted against a dead peer: RETRY_EXC_ERR', () => {
    const { a, run, fabric } = makeRcPair({ attr: { timeout: 8, retry_cnt: 2 } });
    for (const l of fabric.links) { l.aToB.faults = { drop: 1 }; l.bToA.faults = { drop: 1 }; }
    const src = a.alloc(64, 1);
    ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_SEND, sg_list: [{ addr: src.dma, length: 64, lkey: a.pd.local_dma_lkey }] });
    run();
    expect(a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_RETRY_EXC_ERR]);
  });
});
