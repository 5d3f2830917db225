import { expect } from 'chai';
import { ib_wc_status, ib_wc_opcode, ib_wr_opcode, ib_send_flags, ib_qp_state, ib_wc_flags } from '../../../src/core/ib_verbs.h.js';
import { ib_post_recv, ib_post_send, ib_query_qp } from '../../../src/core/verbs.js';
import type { ib_atomic_wr, ib_rdma_wr } from '../../../src/core/ib_verbs.h.js';
import { makeRcPair } from './_pair.js';

const SIG = ib_send_flags.IB_SEND_SIGNALED;

describe('rxe: RC pair end to end (smoke)', () => {
  it('SEND/RECV of 4096 bytes arrives intact with one CQE each side', () => {
    const { a, b, run } = makeRcPair();
    const src = a.alloc(4096, 0x61);
    const dst = b.alloc(4096, 0x62);
    ib_post_recv(b.qp, { wr_id: 0, sg_list: [{ addr: dst.dma, length: 4096, lkey: b.pd.local_dma_lkey }] });
    ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: SIG,
      sg_list: [{ addr: src.dma, length: 4096, lkey: a.pd.local_dma_lkey }] });
    run();
    const ws = a.poll();
    const wr = b.poll();
    expect(ws).to.have.length(1);
    expect(ws[0]!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
    expect(ws[0]!.opcode).to.equal(ib_wc_opcode.IB_WC_SEND);
    expect(wr).to.have.length(1);
    expect(wr[0]!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
    expect(wr[0]!.opcode).to.equal(ib_wc_opcode.IB_WC_RECV);
    expect(wr[0]!.byte_len).to.equal(4096);
    expect(dst.buf.every((x) => x === 0x61)).to.equal(true);
  });

  it('multi-packet SEND at MTU 1024 with immediate', () => {
    const { a, b, run } = makeRcPair({ path_mtu: 3 });
    const src = a.alloc(10000, 0x41);
    const dst = b.alloc(10000, 0);
    ib_post_recv(b.qp, { wr_id: 7, sg_list: [{ addr: dst.dma, length: 10000, lkey: b.pd.local_dma_lkey }] });
    ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_SEND_WITH_IMM, send_flags: SIG, ex: { imm_data: 0xbaddcafe },
      sg_list: [{ addr: src.dma, length: 10000, lkey: a.pd.local_dma_lkey }] });
    run();
    const wr = b.poll();
    expect(wr[0]!.byte_len).to.equal(10000);
    expect(wr[0]!.wc_flags & ib_wc_flags.IB_WC_WITH_IMM).to.not.equal(0);
    expect(wr[0]!.ex.imm_data).to.equal(0xbaddcafe);
    expect(dst.buf.every((x) => x === 0x41)).to.equal(true);
    expect(a.poll()[0]!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
  });

  it('RDMA WRITE and RDMA READ of 64 KiB', () => {
    const { a, b, run } = makeRcPair();
    const la = a.alloc(65536, 0x11);
    const rb = b.alloc(65536, 0x22);
    const mr = b.pd.__internal_mr!;
    void mr;
    // remote access through a DMA MR with remote rights
    const rmr = b.dev.ops.get_dma_mr!(b.pd, 0xf);
    const w: ib_rdma_wr = { wr_id: 2, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: SIG,
      sg_list: [{ addr: la.dma, length: 65536, lkey: a.pd.local_dma_lkey }], remote_addr: rb.dma, rkey: rmr.rkey };
    ib_post_send(a.qp, w);
    run();
    expect(a.poll()[0]!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
    expect(rb.buf.every((x) => x === 0x11)).to.equal(true);
    rb.buf.fill(0x33);
    const r: ib_rdma_wr = { wr_id: 3, opcode: ib_wr_opcode.IB_WR_RDMA_READ, send_flags: SIG,
      sg_list: [{ addr: la.dma, length: 65536, lkey: a.pd.local_dma_lkey }], remote_addr: rb.dma, rkey: rmr.rkey };
    ib_post_send(a.qp, r);
    run();
    const wc = a.poll();
    expect(wc[0]!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
    expect(wc[0]!.opcode).to.equal(ib_wc_opcode.IB_WC_RDMA_READ);
    expect(la.buf.every((x) => x === 0x33)).to.equal(true);
  });

  it('FETCH_ADD and COMPARE_SWAP return the old value and update the target', () => {
    const { a, b, run } = makeRcPair();
    const local = a.alloc(8, 0);
    const remote = b.alloc(8, 0);
    new DataView(remote.buf.buffer, remote.buf.byteOffset).setBigUint64(0, 2n, true);
    const rmr = b.dev.ops.get_dma_mr!(b.pd, 0xf);
    const fa: ib_atomic_wr = { wr_id: 4, opcode: ib_wr_opcode.IB_WR_ATOMIC_FETCH_AND_ADD, send_flags: SIG,
      sg_list: [{ addr: local.dma, length: 8, lkey: a.pd.local_dma_lkey }], remote_addr: remote.dma, rkey: rmr.rkey,
      compare_add: 1n << 36n, swap: 0n };
    ib_post_send(a.qp, fa);
    run();
    expect(a.poll()[0]!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
    const lv = () => new DataView(local.buf.buffer, local.buf.byteOffset).getBigUint64(0, true);
    const rv = () => new DataView(remote.buf.buffer, remote.buf.byteOffset).getBigUint64(0, true);
    expect(lv()).to.equal(2n);
    expect(rv()).to.equal((1n << 36n) + 2n);
    const cs: ib_atomic_wr = { ...fa, wr_id: 5, opcode: ib_wr_opcode.IB_WR_ATOMIC_CMP_AND_SWP, compare_add: (1n << 36n) + 2n, swap: 3n };
    ib_post_send(a.qp, cs);
    run();
    expect(a.poll()[0]!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
    expect(rv()).to.equal(3n);
    expect(lv()).to.equal((1n << 36n) + 2n);
  });

  it('receive too small: requester REM_INV_REQ_ERR, responder LOC_LEN_ERR, both QPs in ERR', () => {
    const { a, b, run } = makeRcPair();
    const src = a.alloc(4096, 1);
    const dst = b.alloc(4096, 0);
    ib_post_recv(b.qp, { wr_id: 0, sg_list: [{ addr: dst.dma, length: 4095, lkey: b.pd.local_dma_lkey }] });
    ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: SIG,
      sg_list: [{ addr: src.dma, length: 4096, lkey: a.pd.local_dma_lkey }] });
    run();
    expect(a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_REM_INV_REQ_ERR]);
    expect(b.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_LOC_LEN_ERR]);
    expect(ib_query_qp(a.qp, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_ERR);
    expect(ib_query_qp(b.qp, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_ERR);
  });

  it('RNR: rnr_retry 1 with no receive posted ends in RNR_RETRY_EXC_ERR; later WRs flush', () => {
    const { a, run } = makeRcPair({ attr: { rnr_retry: 1, min_rnr_timer: 1 } });
    const src = a.alloc(64, 1);
    const sge = [{ addr: src.dma, length: 64, lkey: a.pd.local_dma_lkey }];
    ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: SIG, sg_list: sge,
      next: { wr_id: 2, opcode: ib_wr_opcode.IB_WR_SEND, sg_list: sge } });
    run();
    const wc = a.poll();
    expect(wc.map((w) => [w.wr_id, w.status])).to.deep.equal([
      [1, ib_wc_status.IB_WC_RNR_RETRY_EXC_ERR], [2, ib_wc_status.IB_WC_WR_FLUSH_ERR]]);
    expect(a.dev.counters.get('rcvd_rnr_err')).to.equal(2);
  });

  it('bad rkey on WRITE: REM_ACCESS_ERR; zero-length WRITE with a bad rkey succeeds', () => {
    const { a, b, run } = makeRcPair();
    const la = a.alloc(4096, 1);
    const rb = b.alloc(4096, 2);
    ib_post_send(a.qp, { wr_id: 9, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: SIG, sg_list: [],
      remote_addr: rb.dma, rkey: 0xdeadbeef } as ib_rdma_wr);
    run();
    expect(a.poll()[0]!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
    ib_post_send(a.qp, { wr_id: 10, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: SIG,
      sg_list: [{ addr: la.dma, length: 4096, lkey: a.pd.local_dma_lkey }], remote_addr: rb.dma, rkey: 0xdeadbeef } as ib_rdma_wr);
    run();
    expect(a.poll()[0]!.status).to.equal(ib_wc_status.IB_WC_REM_ACCESS_ERR);
    expect(rb.buf.every((x) => x === 2)).to.equal(true);
  });
});
