/**
 * test_qpex - port of rdma-core tests/test_qpex.py (QpExTestCase): the new post-send API's
 * traffic and its bad flows (CONFORMANCE.md §2.1).
 *
 * Kernel: - (conformance port). The extended QP API (ibv_wr_start / wr_send / wr_complete) is a
 * userspace batching API; in the kernel the same WRs go through ib_post_send, so each row posts
 * the equivalent WR. XRC, FLUSH, ATOMIC_WRITE and memory windows are not implemented by the
 * engine: those rows are skipped with that reason (rdma-core itself skips them on EOPNOTSUPP).
 * Bad flows use UD resources as the originals do.
 */
import { expect } from 'chai';
import { ib_alloc_cq } from '../../src/core/cq.js';
import { ib_poll_context, type ib_recv_wr } from '../../src/core/ib_verbs.h.js';
import { ib_alloc_pd, ib_post_recv, ib_post_send, ib_query_qp } from '../../src/core/verbs.js';
import {
  A, allocBuf, errnoOf, expectFilled, expectWc, M, modifyState, NO_MW, OP, QPS, regMr, S, sge, skipBecause, waitForCompletion,
} from './_std_pair.js';
import { rdmaWr, atomicWr, recvWr } from './_ops.js';
import { atomicTrafficRows } from './_atomic.js';
import { int8b, MSG, rcResources, traffic, udQp, udResources, udToRts, udTraffic } from './_rdma_core.js';
import { ib_wc_flags } from '../../src/core/ib_verbs.h.js';

const NO_XRC = 'XRC QPs/SRQs (IB_QPT_XRC_INI/TGT) are not implemented by the engine';
const NO_FLUSH = 'IB_WR_FLUSH (IBA 1.5 FLUSH) is not implemented by the engine';
const NO_ATOMIC_WRITE = 'IB_WR_ATOMIC_WRITE is not implemented by the engine';
const ITERS = 100;

/** rdma_traffic: the client WRITEs 'c' x 1024 to the server, then the reverse; READ checks the reader. */
function rdmaTraffic(read: boolean, len = MSG, imm = false) {
  const p = rcResources(11, { mrAccess: A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE | A.IB_ACCESS_REMOTE_READ });
  for (let i = 0; i < 10; i++) {
    for (const [tx, rx, ch] of [[p.local, p.remote, 'c'], [p.remote, p.local, 's']] as const) {
      const src = read ? rx : tx;
      const dst = read ? tx : rx;
      src.buf.view.fill(ch.charCodeAt(0));
      dst.buf.view.fill(0);
      if (imm) ib_post_recv(rx.qp, recvWr([], 0));
      ib_post_send(tx.qp, { wr_id: 0x123, opcode: read ? OP.IB_WR_RDMA_READ : imm ? OP.IB_WR_RDMA_WRITE_WITH_IMM : OP.IB_WR_RDMA_WRITE,
        send_flags: 2, sg_list: [sge(tx.buf, tx.mr, 0, len)], remote_addr: rx.buf.addr, rkey: rx.mr.rkey,
        ...(imm ? { ex: { imm_data: 1234 } } : {}) } as Parameters<typeof ib_post_send>[1]);
      expectWc(waitForCompletion(tx.cq, p.clock, 10_000), S.IB_WC_SUCCESS, 0x123);
      if (imm) {
        const r = waitForCompletion(rx.cq, p.clock, 10_000);
        expectWc(r, S.IB_WC_SUCCESS);
        expect([r.wc_flags & ib_wc_flags.IB_WC_WITH_IMM, r.ex.imm_data]).to.deep.equal([ib_wc_flags.IB_WC_WITH_IMM, 1234]);
      }
      expectFilled(dst.buf.view.subarray(0, len), ch);
    }
  }
}

describe('rdma-core test_qpex', function () {
  it('test_qp_ex_ud_send: UD SEND ping-pong, all CQEs SUCCESS, data at GRH offset 40', function () {
    udTraffic(udResources(), ITERS, MSG);
  });
  it('test_qp_ex_ud_zero_size: UD msg_size 0 -> SUCCESS', function () {
    udTraffic(udResources(0), 10, 0);
  });
  it('test_qp_ex_rc_send: RC SEND -> SUCCESS + data', function () {
    traffic(rcResources(), ITERS);
  });
  it('test_qp_ex_xrc_send: xrc_traffic SUCCESS', function () { skipBecause(this, NO_XRC); });
  it('test_qp_ex_ud_send_imm: recv WITH_IMM, imm 1234', function () {
    udTraffic(udResources(), ITERS, MSG, true);
  });
  it('test_qp_ex_rc_send_imm: recv WITH_IMM, imm 1234', function () {
    traffic(rcResources(), ITERS, { imm: true });
  });
  it('test_qp_ex_xrc_send_imm: recv WITH_IMM', function () { skipBecause(this, NO_XRC); });
  it('test_qp_ex_rc_flush: WRITE then FLUSH (GLOBAL, RANGE) -> SUCCESS', function () { skipBecause(this, NO_FLUSH); });
  it('test_qp_ex_rc_flush_type_violate: PERSISTENT on a GLOBAL-only MR -> REM_ACCESS_ERR', function () { skipBecause(this, NO_FLUSH); });
  it('test_qp_ex_rc_atomic_write: ATOMIC_WRITE 8 B, data validated both ways', function () { skipBecause(this, NO_ATOMIC_WRITE); });
  it('test_qp_ex_rc_rdma_write: remote MR == \'c\' x 1024 / \'s\' x 1024', function () { rdmaTraffic(false); });
  it('test_qp_ex_rc_rdma_write_imm: recv WITH_IMM 1234', function () { rdmaTraffic(false, MSG, true); });
  it('test_qp_ex_rc_rdma_write_zero_size: WRITE of 0 bytes -> SUCCESS', function () { rdmaTraffic(false, 0); });
  it('test_qp_ex_rc_rdma_read: client reads \'s\'', function () { rdmaTraffic(true); });
  it('test_qp_ex_rc_rdma_read_zero_size: READ of 0 bytes -> SUCCESS', function () { rdmaTraffic(true, 0); });
  for (const row of atomicTrafficRows()) {
    it(`test_qp_ex_rc_atomic_${row.name}: atomic_traffic values (receiver/sender as in §2)`, row.fn);
  }
  it('test_qp_ex_rc_bind_mw: bind CQE OK; WRITE with the new key -> REM_ACCESS_ERR', function () { skipBecause(this, NO_MW); });

  describe('bad flows (UD resources)', function () {
    it('test_post_receive_qp_state_bad_flow: server QP RTS -> RESET (cur_qp_state RTS); post_recv -> EINVAL', function () {
      const r = udResources();
      modifyState(r.server.qp, QPS.IB_QPS_RESET);
      expect(errnoOf(() => ib_post_recv(r.server.qp, recvWr([sge(r.server.buf, r.server.mr)])))).to.equal('EINVAL');
    });
    it('test_post_send_qp_state_bad_flow: client QP -> RESET; send -> EINVAL', function () {
      const r = udResources();
      modifyState(r.client.qp, QPS.IB_QPS_RESET);
      expect(errnoOf(() => ib_post_send(r.client.qp, { wr_id: 0x123, opcode: OP.IB_WR_SEND, send_flags: 2, sg_list: [sge(r.client.buf, r.client.mr, 0, MSG)],
        ah: r.client.ah!, remote_qpn: r.server.qp.qp_num, remote_qkey: 0x11111111 } as Parameters<typeof ib_post_send>[1]))).to.equal('EINVAL');
    });
    it('test_full_rq_bad_flow: queried max_recv_wr N; N+1 recvs -> the last ENOMEM (the reported cap is the exact capacity)', function () {
      const r = udResources();
      const N = ib_query_qp(r.server.qp, M.IB_QP_CAP).init_attr.cap.max_recv_wr;
      for (let i = 0; i < N; i++) ib_post_recv(r.server.qp, recvWr([sge(r.server.buf, r.server.mr)], i));
      expect(errnoOf(() => ib_post_recv(r.server.qp, recvWr([sge(r.server.buf, r.server.mr)], N)))).to.equal('ENOMEM');
    });
    it('test_rq_with_larger_sgl_bad_flow: queried max_recv_sge S; a recv with S+1 SGEs -> EINVAL', function () {
      const r = udResources();
      const Sg = ib_query_qp(r.server.qp, M.IB_QP_CAP).init_attr.cap.max_recv_sge;
      const wr: ib_recv_wr = recvWr(Array.from({ length: Sg + 1 }, () => sge(r.server.buf, r.server.mr, 0, 8)));
      expect(errnoOf(() => ib_post_recv(r.server.qp, wr))).to.equal('EINVAL');
    });
  });
});

void allocBuf; void regMr; void atomicWr; void rdmaWr; void int8b; void udQp; void udToRts; void ib_alloc_cq; void ib_alloc_pd; void ib_poll_context;
