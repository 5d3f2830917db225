import { expect } from 'chai';
import { isKernelError } from '@rdmaemu/sim-core';
import { sg_init_table } from '@rdmaemu/dma-core';
import {
  ib_access_flags, ib_event_type, ib_mr_type, ib_qp_state, ib_send_flags, ib_wc_opcode, ib_wc_status, ib_wr_opcode,
  rdma_node_type, type ib_event, type ib_rdma_wr, type ib_reg_wr,
} from '../../../src/core/ib_verbs.h.js';
import type { ib_mr } from '../../../src/core/device.js';
import { ib_alloc_mr, ib_inc_rkey, ib_map_mr_sg, ib_post_send, ib_query_qp } from '../../../src/core/verbs.js';
import { qpEvents$ } from '../../../src/core/events.js';
import { rdma_cap_read_multi_sge, rdma_protocol_iwarp, rdma_protocol_roce } from '../../../src/core/rdma_cap.js';
import { makeRcPair, type PairBuffer, type PairSide, type RcPair } from './_pair.js';

const SIG = ib_send_flags.IB_SEND_SIGNALED;
const A = ib_access_flags;
/** One page: the _pair fixture's CPU view covers the first page of an allocation. */
const LEN = 4096;

/** FRWR-register `buf` on side `s` with `access` (REG_MR posted on the side's QP, run to completion). */
function regMr(pair: RcPair, s: PairSide, buf: PairBuffer, access: number): ib_mr {
  const mr = ib_alloc_mr(s.pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 2);
  const sg = sg_init_table(1)[0]!;
  sg.dma_address = buf.dma;
  sg.dma_length = LEN;
  sg.length = LEN;
  expect(ib_map_mr_sg(mr, sg, 1, null, 4096)).to.equal(1);
  const key = ib_inc_rkey(mr.rkey);
  const wr: ib_reg_wr = { wr_id: 0x5e9, opcode: ib_wr_opcode.IB_WR_REG_MR, send_flags: SIG, mr, key, access };
  ib_post_send(s.qp, wr);
  pair.run();
  const wc = s.poll();
  expect(wc.map((w) => w.status), 'REG_MR').to.deep.equal([ib_wc_status.IB_WC_SUCCESS]);
  mr.lkey = key;
  mr.rkey = key;
  return mr;
}

interface ReadSetup {
  pair: RcPair;
  sink: PairBuffer;
  rkey: number;
  src: PairBuffer;
  events: ib_event[];
}

function setup(profile: 'iwarp' | 'rxe' = 'iwarp'): ReadSetup {
  const pair = makeRcPair({ profile });
  const sink = pair.a.alloc(LEN, 0x00);
  const src = pair.b.alloc(LEN, 0x5a);
  const rmr = pair.b.dev.ops.get_dma_mr!(pair.b.pd, A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_READ);
  const events: ib_event[] = [];
  qpEvents$(pair.a.qp).subscribe((e) => events.push(e));
  return { pair, sink, rkey: rmr.rkey, src, events };
}

function read(s: ReadSetup, addr: number | bigint, lkey: number, length = LEN): ib_rdma_wr {
  return {
    wr_id: 0x7ead, opcode: ib_wr_opcode.IB_WR_RDMA_READ, send_flags: SIG, sg_list: [{ addr, length, lkey }],
    remote_addr: s.src.dma, rkey: s.rkey,
  };
}

describe("rxe 'iwarp' profile: RDMA READ sinks need an MR with REMOTE_WRITE (siw / RFC 5040)", () => {
  it('is an iWARP device: node type RNIC, rdma_protocol_iwarp(dev, 1), max_sge_rd = 1', () => {
    const { a } = makeRcPair({ profile: 'iwarp' });
    expect(a.dev.node_type).to.equal(rdma_node_type.RDMA_NODE_RNIC);
    expect(rdma_protocol_iwarp(a.dev, 1)).to.equal(true);
    expect(rdma_protocol_roce(a.dev, 1)).to.equal(false);
    expect(rdma_cap_read_multi_sge(a.dev, 1)).to.equal(false);
    expect(a.dev.attrs.max_sge_rd).to.equal(1);
    expect(a.qp.max_read_sge).to.equal(1);
    const { a: r } = makeRcPair({ profile: 'rxe' });
    expect(rdma_protocol_iwarp(r.dev, 1)).to.equal(false);
  });

  it('a READ with 2 SGEs fails at post with EINVAL (bad_wr = that WR; the WR before it is posted)', () => {
    const s = setup();
    const mr = regMr(s.pair, s.pair.a, s.sink, A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE);
    const ok = read(s, mr.iova, mr.lkey, LEN / 2);
    const two: ib_rdma_wr = { ...read(s, mr.iova, mr.lkey), sg_list: [
      { addr: mr.iova, length: LEN / 2, lkey: mr.lkey }, { addr: mr.iova + BigInt(LEN / 2), length: LEN / 2, lkey: mr.lkey }] };
    ok.next = two;
    let err: unknown;
    try {
      ib_post_send(s.pair.a.qp, ok);
    } catch (e) {
      err = e;
    }
    expect(isKernelError(err, 'EINVAL'), String(err)).to.equal(true);
    expect((err as { bad_wr: unknown }).bad_wr).to.equal(two);
    expect(String(err)).to.match(/num_sge\(2\) != 1/);
    // the first WR was posted and completes (READ of the first half into the MR)
    s.pair.run();
    expect(s.pair.a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_SUCCESS]);
    expect(s.sink.buf.subarray(0, LEN / 2).every((x) => x === 0x5a)).to.equal(true);
    // the 'rxe' profile takes up to max_sge_rd (32) sink SGEs
    const r = setup('rxe');
    ib_post_send(r.pair.a.qp, { ...read(r, r.sink.dma, r.pair.a.pd.local_dma_lkey), sg_list: [
      { addr: r.sink.dma, length: LEN / 2, lkey: r.pair.a.pd.local_dma_lkey },
      { addr: r.sink.dma + LEN / 2, length: LEN / 2, lkey: r.pair.a.pd.local_dma_lkey }] });
    r.pair.run();
    expect(r.pair.a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_SUCCESS]);
  });

  it('sink = the PD local_dma_lkey: IB_WC_LOC_PROT_ERR, QP to ERR, IB_EVENT_QP_ACCESS_ERR, nothing placed', () => {
    const s = setup();
    ib_post_send(s.pair.a.qp, read(s, s.sink.dma, s.pair.a.pd.local_dma_lkey));
    s.pair.run();
    const wc = s.pair.a.poll();
    expect(wc).to.have.length(1);
    expect(wc[0]!.wr_id).to.equal(0x7ead);
    expect(wc[0]!.status).to.equal(ib_wc_status.IB_WC_LOC_PROT_ERR);
    expect(ib_query_qp(s.pair.a.qp, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_ERR);
    expect(s.events.map((e) => e.event)).to.deep.equal([ib_event_type.IB_EVENT_QP_ACCESS_ERR]);
    expect(s.sink.buf.every((x) => x === 0)).to.equal(true);
  });

  it('sink = a DMA MR or an FRWR MR without REMOTE_WRITE: IB_WC_LOC_PROT_ERR', () => {
    const s = setup();
    const local = s.pair.a.dev.ops.get_dma_mr!(s.pair.a.pd, A.IB_ACCESS_LOCAL_WRITE);
    ib_post_send(s.pair.a.qp, read(s, s.sink.dma, local.lkey));
    s.pair.run();
    expect(s.pair.a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_LOC_PROT_ERR]);

    const t = setup();
    const mr = regMr(t.pair, t.pair.a, t.sink, A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_READ);
    ib_post_send(t.pair.a.qp, read(t, mr.iova, mr.lkey));
    t.pair.run();
    expect(t.pair.a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_LOC_PROT_ERR]);
    expect(t.sink.buf.every((x) => x === 0)).to.equal(true);
  });

  it('sink = an FRWR MR with LOCAL_WRITE | REMOTE_WRITE (what rdma_rw registers on iWARP): SUCCESS, data placed', () => {
    const s = setup();
    const mr = regMr(s.pair, s.pair.a, s.sink, A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE);
    ib_post_send(s.pair.a.qp, read(s, mr.iova, mr.lkey));
    s.pair.run();
    const wc = s.pair.a.poll();
    expect(wc.map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_SUCCESS]);
    expect(wc[0]!.opcode).to.equal(ib_wc_opcode.IB_WC_RDMA_READ);
    expect(s.sink.buf.every((x) => x === 0x5a)).to.equal(true);
    expect(s.events).to.deep.equal([]);
    expect(ib_query_qp(s.pair.a.qp, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_RTS);
  });

  it('sink = a DMA MR with REMOTE_WRITE: SUCCESS; a zero-length READ places nothing and needs no MR', () => {
    const s = setup();
    const dmr = s.pair.a.dev.ops.get_dma_mr!(s.pair.a.pd, A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE);
    ib_post_send(s.pair.a.qp, read(s, s.sink.dma, dmr.lkey));
    ib_post_send(s.pair.a.qp, { ...read(s, s.sink.dma, s.pair.a.pd.local_dma_lkey, 0), wr_id: 0 });
    s.pair.run();
    expect(s.pair.a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_SUCCESS, ib_wc_status.IB_WC_SUCCESS]);
    expect(s.sink.buf.every((x) => x === 0x5a)).to.equal(true);
  });

  it("the same local_dma_lkey READ succeeds on the 'rxe' profile (InfiniBand/RoCE: no sink rule)", () => {
    const s = setup('rxe');
    ib_post_send(s.pair.a.qp, read(s, s.sink.dma, s.pair.a.pd.local_dma_lkey));
    s.pair.run();
    expect(s.pair.a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_SUCCESS]);
    expect(s.sink.buf.every((x) => x === 0x5a)).to.equal(true);
  });
});
