/**
 * rxe_req.spec - the requester's header choices on the wire: ACK coalescing (BTH AckReq).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_req.c init_req_packet() (ack_req = END ||
 *         noack_pkts++ > RXE_MAX_PKT_PER_ACK), rxe_param.h RXE_MAX_PKT_PER_ACK
 */
import { expect } from 'chai';
import { ib_mtu, ib_send_flags, ib_wc_status, ib_wr_opcode, type ib_rdma_wr } from '../../../src/core/ib_verbs.h.js';
import { ib_post_recv, ib_post_send } from '../../../src/core/verbs.js';
import { frameBytes } from '../../../src/fabric/frame.js';
import type { LinkTapRecord } from '../../../src/fabric/link.js';
import { bth_ack, bth_opcode, bth_psn } from '../../../src/sw/rxe/rxe_hdr.js';
import { RXE_MAX_PKT_PER_ACK, RXE_MAX_UNACKED_PSNS } from '../../../src/sw/rxe/rxe_param.h.js';
import { makeRcPair } from './_pair.js';

/** Ethernet (14) + IPv4 (20) + UDP (8): where BTH starts in a RoCEv2 frame. */
const BTH = 42;

describe('rxe_req: init_req_packet ack_req (ACK coalescing)', () => {
  it('sets AckReq on every (RXE_MAX_PKT_PER_ACK + 2)th packet of a long message and on its last packet', () => {
    const pair = makeRcPair({ path_mtu: ib_mtu.IB_MTU_256, sq_psn: 0xfffff0, rq_psn: 0xfffff0 });
    const { a, b } = pair;
    const NPKT = 200;
    const len = NPKT * 256;
    const src = a.alloc(len, 0x5a);
    const dst = b.alloc(len, 0);
    const taps: LinkTapRecord[] = [];
    const sub = pair.fabric.tap$.subscribe((r) => taps.push(r));
    ib_post_recv(b.qp, { wr_id: 1, sg_list: [{ addr: dst.dma, length: len, lkey: b.pd.local_dma_lkey }] });
    ib_post_send(a.qp, { wr_id: 2, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED,
      sg_list: [{ addr: src.dma, length: len, lkey: a.pd.local_dma_lkey }] });
    pair.run();
    sub.unsubscribe();
    expect(a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_SUCCESS]);
    expect(dst.buf.every((x) => x === 0x5a)).to.equal(true);
    // the requester's packets as they leave host a (SEND opcodes 0x00..0x05)
    const first = taps.find((t) => bth_opcode(frameBytes(t.frame), BTH) <= 0x05)!.direction;
    const req = taps.filter((t) => t.direction === first).map((t) => frameBytes(t.frame)).filter((f) => bth_opcode(f, BTH) <= 0x05);
    expect(req).to.have.length(NPKT);
    expect(req.map((f) => bth_psn(f, BTH)), 'PSNs wrap at 2^24').to.deep.equal(
      [...Array(NPKT).keys()].map((i) => (0xfffff0 + i) & 0xffffff));
    const acked = req.map((f, i) => (bth_ack(f, BTH) ? i : -1)).filter((i) => i >= 0);
    const every = RXE_MAX_PKT_PER_ACK + 2; // noack_pkts counts 0..MAX+1 before the test turns true
    const want: number[] = [];
    for (let i = every - 1; i < NPKT - 1; i += every) want.push(i);
    want.push(NPKT - 1);
    expect(acked).to.deep.equal(want);
  });
});

describe('rxe_req: at most RXE_MAX_UNACKED_PSNS unacknowledged PSNs', () => {
  it('stops a 200-packet WRITE after comp.psn + 128 while no ACK comes back, then finishes once ACKs flow', () => {
    const pair = makeRcPair({ path_mtu: ib_mtu.IB_MTU_256, attr: { timeout: 14 } });
    const { a, b, clock, fabric } = pair;
    const NPKT = 200;
    const src = a.alloc(NPKT * 256, 0x3c);
    const dst = b.alloc(NPKT * 256, 0);
    const mr = b.dev.ops.get_dma_mr!(b.pd, 0xf);
    for (const l of fabric.links) l.bToA.faults = { drop: 1 }; // ACKs never arrive
    let sent = 0;
    const sub = fabric.tap$.subscribe((t) => {
      const f = frameBytes(t.frame);
      if (t.direction.startsWith('a:') && bth_opcode(f, BTH) >= 0x06 && bth_opcode(f, BTH) <= 0x0a) sent++;
    });
    ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: ib_send_flags.IB_SEND_SIGNALED,
      sg_list: [{ addr: src.dma, length: NPKT * 256, lkey: a.pd.local_dma_lkey }], remote_addr: dst.dma, rkey: mr.rkey } as ib_rdma_wr);
    clock.tick(1); // well before the retransmit timer (4.096 µs × 2^14 ≈ 67 ms)
    expect(sent, 'PSNs comp.psn .. comp.psn + 128').to.equal(RXE_MAX_UNACKED_PSNS + 1);
    for (const l of fabric.links) l.bToA.faults = null;
    clock.tick(200);
    sub.unsubscribe();
    expect(a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_SUCCESS]);
    expect(dst.buf.every((x) => x === 0x3c)).to.equal(true);
  });
});

/** Opcodes host a sends (tx) and receives (rx), in wire order, as 'tx:0x0c' / 'rx:0x10'. */
function aWire(pair: ReturnType<typeof makeRcPair>): { seq: string[]; stop: () => void } {
  const seq: string[] = [];
  const sub = pair.fabric.tap$.subscribe((t) => {
    const op = bth_opcode(frameBytes(t.frame), BTH);
    if (t.direction.startsWith('a:')) seq.push(`tx:${op}`);
    else if (t.direction.endsWith('->a:eth0')) seq.push(`rx:${op}`);
  });
  return { seq, stop: () => sub.unsubscribe() };
}

const READ_REQ = 'tx:12';
const READ_RESP = 'rx:16';

describe('rxe_req: check_init_depth (max_rd_atomic) and rxe_wqe_is_fenced', () => {
  it('max_rd_atomic 1: three READs go out one at a time, each after the previous response', () => {
    const pair = makeRcPair({ attr: { max_rd_atomic: 1 } });
    const { a, b } = pair;
    const sink = a.alloc(3 * 64, 0);
    const src = b.alloc(64, 0x42);
    const mr = b.dev.ops.get_dma_mr!(b.pd, 0xf);
    const w = aWire(pair);
    for (let i = 0; i < 3; i++) {
      ib_post_send(a.qp, { wr_id: i, opcode: ib_wr_opcode.IB_WR_RDMA_READ, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        sg_list: [{ addr: sink.dma + 64 * i, length: 64, lkey: a.pd.local_dma_lkey }], remote_addr: src.dma, rkey: mr.rkey } as ib_rdma_wr);
    }
    pair.run();
    w.stop();
    expect(a.poll().map((x) => x.status)).to.deep.equal([0, 0, 0]);
    expect(w.seq).to.deep.equal([READ_REQ, READ_RESP, READ_REQ, READ_RESP, READ_REQ, READ_RESP]);
    expect(sink.buf.every((x) => x === 0x42)).to.equal(true);
  });

  for (const fence of [false, true]) {
    it(`a SEND after a READ ${fence ? 'with IB_SEND_FENCE waits for the READ response' : 'without FENCE goes out at once'}`, () => {
      const pair = makeRcPair();
      const { a, b } = pair;
      const sink = a.alloc(64, 0);
      const src = b.alloc(64, 0x42);
      const dst = b.alloc(64, 0);
      const mr = b.dev.ops.get_dma_mr!(b.pd, 0xf);
      ib_post_recv(b.qp, { wr_id: 7, sg_list: [{ addr: dst.dma, length: 64, lkey: b.pd.local_dma_lkey }] });
      const w = aWire(pair);
      ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_RDMA_READ, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        sg_list: [{ addr: sink.dma, length: 64, lkey: a.pd.local_dma_lkey }], remote_addr: src.dma, rkey: mr.rkey } as ib_rdma_wr);
      ib_post_send(a.qp, { wr_id: 2, opcode: ib_wr_opcode.IB_WR_SEND,
        send_flags: ib_send_flags.IB_SEND_SIGNALED | (fence ? ib_send_flags.IB_SEND_FENCE : 0),
        sg_list: [{ addr: sink.dma, length: 64, lkey: a.pd.local_dma_lkey }] });
      pair.run();
      w.stop();
      expect(a.poll().map((x) => [x.wr_id, x.status])).to.deep.equal([[1, 0], [2, 0]]);
      const wire = w.seq.filter((s) => s === READ_REQ || s === READ_RESP || s === 'tx:4');
      expect(wire).to.deep.equal(fence ? [READ_REQ, READ_RESP, 'tx:4'] : [READ_REQ, 'tx:4', READ_RESP]);
      if (fence) expect(dst.buf.every((x) => x === 0x42), 'the SEND carried the READ data').to.equal(true);
    });
  }
});
