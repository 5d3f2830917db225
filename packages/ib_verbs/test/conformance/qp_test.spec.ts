/**
 * qp_test - port of google/rdma-unit-test unit/qp_test.cc (QpTest, QpStateTest, QpPostTest,
 * ResponderQpStateTest): QP creation limits, the ib_modify_qp transition/mask table, posting in
 * every state, flushes (CONFORMANCE.md §1.2).
 *
 * Kernel: - (conformance port; drivers/infiniband/core/verbs.c + drivers/infiniband/sw/rxe)
 *
 * Handles: the kernel API has no handle table, so a "garbled" handle (HandleGarble) is ported as
 * an object the verb must refuse: a CQ/SRQ of another device for create, a destroyed (stale) QP
 * for modify/query/destroy. Posting below RTS: the rxe profile follows rxe and rdma-core (post_send
 * EINVAL, C10-96; post_recv in RESET EINVAL, C10-97.2.1); rdma-unit-test's hardware expectation
 * (accepted and silently dropped) is checked on the 'connectx' profile.
 */
import { expect } from 'chai';
import { KernelBug, isKernelError } from '@rdmaemu/sim-core';
import { ib_mtu, ib_qp_type, type ib_qp_state, type ib_send_wr } from '../../src/core/ib_verbs.h.js';
import type { ib_qp } from '../../src/core/device.js';
import { ib_alloc_cq, ib_destroy_cq } from '../../src/core/cq.js';
import {
  ib_alloc_pd, ib_create_srq, ib_dealloc_pd, ib_destroy_qp, ib_modify_qp, ib_post_recv, ib_post_send, ib_query_qp,
} from '../../src/core/verbs.js';
import {
  badWrOf, bringUp, connectQp, createRcQp, drainCq, errnoOf, expectFilled, expectNoCompletion, expectWc, INIT_MASK,
  M, modifyState, newTestbed, OP, QPS, qpState, rtrAttr, RTR_MASK, rtsAttr, RTS_MASK, runFor, S, stdPair, TIMEOUT_1S,
  waitForCompletion, waitForCompletions, type HostCtx, type StdPair,
} from './_std_pair.js';
import { postRecv, rdmaWr, recvWr, sendWr } from './_ops.js';
import { ib_poll_context } from '../../src/core/ib_verbs.h.js';

/** A QpTest fixture: one host, PD, CQ(200). */
function qpTest() {
  const tb = newTestbed();
  const h = tb.a;
  const pd = ib_alloc_pd(h.dev);
  const cq = ib_alloc_cq(h.dev, null, 200, 0, ib_poll_context.IB_POLL_DIRECT);
  return { tb, h, pd, cq };
}

/** The verb is refused: KernelError ENOENT|EINVAL (or a KernelBug for a use-after-free). */
function expectRejected(fn: () => unknown, codes = ['ENOENT', 'EINVAL']): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelBug) return;
    if (isKernelError(e)) {
      expect(codes).to.include(e.code);
      return;
    }
    throw e;
  }
  expect.fail('the verb was accepted');
}

const initAttr = { qp_state: QPS.IB_QPS_INIT, pkey_index: 0, port_num: 1, qp_access_flags: 0 };

/** The three "bad mask" rows: every partial mask (STATE, STATE|one required bit) fails; the full mask works. */
function badMaskCase(from: ib_qp_state, required: number[], attr: (h: HostCtx, qp: ib_qp) => object) {
  return function () {
    const { h, pd, cq } = qpTest();
    const qp = createRcQp(h, pd, cq);
    if (from >= QPS.IB_QPS_INIT) ib_modify_qp(qp, initAttr, INIT_MASK);
    if (from >= QPS.IB_QPS_RTR) ib_modify_qp(qp, rtrAttr(h, qp), RTR_MASK);
    const a = attr(h, qp);
    for (const bits of [0, ...required]) {
      expect(errnoOf(() => ib_modify_qp(qp, a, M.IB_QP_STATE | bits)), `mask STATE|0x${bits.toString(16)}`).to.not.equal(null);
    }
    ib_modify_qp(qp, a, M.IB_QP_STATE | required.reduce((x, y) => x | y, 0));
  };
}

/** ResponderQpStateTest / QpStateTest helper: requester RTS (timeout 1 s), responder in `state`. */
function notReady(state: ib_qp_state, extra: Partial<Parameters<typeof stdPair>[0]> = {}): StdPair {
  return stdPair({ localAttrs: { timeout: TIMEOUT_1S }, remoteState: state, ...extra });
}

function readWrs(p: StdPair, n: number, base: number): ib_send_wr {
  const wrs = Array.from({ length: n }, (_, i) => rdmaWr(p, OP.IB_WR_RDMA_READ, { wr_id: base + i }));
  for (let i = 0; i + 1 < n; i++) wrs[i]!.next = wrs[i + 1]!;
  return wrs[0]!;
}

describe('rdma-unit-test qp_test', function () {
  describe('QpTest', function () {
    it('Create: pd/send_cq/recv_cq/srq(null)/qp_type echo the request; state RESET; destroy 0', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      expect([qp.pd, qp.send_cq, qp.recv_cq, qp.srq, qp.qp_type]).to.deep.equal([pd, cq, cq, null, ib_qp_type.IB_QPT_RC]);
      expect(qpState(qp)).to.equal(QPS.IB_QPS_RESET);
      ib_destroy_qp(qp);
    });
    it('CreateWithInlineMax: max_inline 36, 96, 216, 580, 1000: each may fail; if created, cap.max_inline_data >= requested', function () {
      const { h, pd, cq } = qpTest();
      for (const v of [36, 96, 216, 580, 1000]) {
        let qp: ib_qp | null = null;
        if (errnoOf(() => (qp = createRcQp(h, pd, cq, { cap: { max_inline_data: v } }))) !== null) continue;
        expect(ib_query_qp(qp!, M.IB_QP_CAP).init_attr.cap.max_inline_data).to.be.at.least(v);
      }
    });
    it('CreateWithInvalidSendCq (garbled handle -> a CQ of another device): create fails', function () {
      const { tb, h, pd, cq } = qpTest();
      const other = ib_alloc_cq(tb.b.dev, null, 10, 0, ib_poll_context.IB_POLL_DIRECT);
      expect(errnoOf(() => createRcQp(h, pd, other, { recv_cq: cq }))).to.not.equal(null);
    });
    it('CreateWithInvalidRecvCq (garbled handle -> a CQ of another device): create fails', function () {
      const { tb, h, pd, cq } = qpTest();
      const other = ib_alloc_cq(tb.b.dev, null, 10, 0, ib_poll_context.IB_POLL_DIRECT);
      expect(errnoOf(() => createRcQp(h, pd, cq, { recv_cq: other }))).to.not.equal(null);
    });
    it('CreateWithInvalidSrq (garbled handle -> an SRQ of another device): create fails', function () {
      const { tb, h, pd, cq } = qpTest();
      const srq = ib_create_srq(ib_alloc_pd(tb.b.dev), { attr: { max_wr: 10, max_sge: 1, srq_limit: 0 } });
      expect(errnoOf(() => createRcQp(h, pd, cq, { srq }))).to.not.equal(null);
    });
    it('UnknownType: qp_type 0xF0 -> create fails (rxe deviation waived: rdmaemu refuses it)', function () {
      const { h, pd, cq } = qpTest();
      expect(errnoOf(() => createRcQp(h, pd, cq, { qp_type: 0xf0 as ib_qp_type }))).to.not.equal(null);
    });
    it('CreateUd: UD QP created', function () {
      const { h, pd, cq } = qpTest();
      expect(createRcQp(h, pd, cq, { qp_type: ib_qp_type.IB_QPT_UD }).qp_type).to.equal(ib_qp_type.IB_QPT_UD);
    });
    it('ZeroSendWr: max_send_wr 0 -> created', function () {
      const { h, pd, cq } = qpTest();
      expect(createRcQp(h, pd, cq, { cap: { max_send_wr: 0 } })).to.not.equal(null);
    });
    it('QueueRefs: ib_destroy_cq with a QP on the CQ -> EBUSY', function () {
      const { h, pd, cq } = qpTest();
      createRcQp(h, pd, cq);
      expect(errnoOf(() => ib_destroy_cq(cq))).to.equal('EBUSY');
    });
    it('MaxQpWr: send_wr/recv_wr = dev max_qp_wr -> created; limit+1 may succeed', function () {
      const { h, pd, cq } = qpTest();
      const max = h.dev.attrs.max_qp_wr;
      const base = { max_send_wr: 10, max_recv_wr: 1, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 36 };
      createRcQp(h, pd, cq, { cap: { ...base, max_send_wr: max } });
      createRcQp(h, pd, cq, { cap: { ...base, max_recv_wr: max } });
      errnoOf(() => createRcQp(h, pd, cq, { cap: { ...base, max_send_wr: max + 1 } }));
      errnoOf(() => createRcQp(h, pd, cq, { cap: { ...base, max_recv_wr: max + 1 } }));
    });
    it('MaxSge: send/recv sge = dev max_sge -> created; limit+1: if created, returned cap <= max_sge', function () {
      const { h, pd, cq } = qpTest();
      const a = h.dev.attrs;
      createRcQp(h, pd, cq, { cap: { max_send_sge: a.max_send_sge, max_recv_sge: a.max_recv_sge } });
      let qp: ib_qp | null = null;
      if (errnoOf(() => (qp = createRcQp(h, pd, cq, { cap: { max_send_sge: a.max_send_sge + 1 } }))) === null) {
        expect(ib_query_qp(qp!, M.IB_QP_CAP).init_attr.cap.max_send_sge).to.be.at.most(a.max_send_sge);
      }
      if (errnoOf(() => (qp = createRcQp(h, pd, cq, { cap: { max_recv_sge: a.max_recv_sge + 1 } }))) === null) {
        expect(ib_query_qp(qp!, M.IB_QP_CAP).init_attr.cap.max_recv_sge).to.be.at.most(a.max_recv_sge);
      }
    });
    it('Modify: RESET->INIT->RTR (dest = itself)->RTS with full masks, each 0', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      connectQp(h, qp, h, qp);
      expect(qpState(qp)).to.equal(QPS.IB_QPS_RTS);
    });
    it('ModifyInvalidResetToRtrTransition: fails', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      expect(errnoOf(() => ib_modify_qp(qp, rtrAttr(h, qp), RTR_MASK))).to.equal('EINVAL');
    });
    it('ModifyInvalidInitToRtsTransition: fails', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      ib_modify_qp(qp, initAttr, INIT_MASK);
      expect(errnoOf(() => ib_modify_qp(qp, rtsAttr(), RTS_MASK))).to.equal('EINVAL');
    });
    it('ModifyInvalidRtsToRtrTransition: fails', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      connectQp(h, qp, h, qp);
      expect(errnoOf(() => ib_modify_qp(qp, rtrAttr(h, qp), RTR_MASK))).to.equal('EINVAL');
    });
    it('ModifyBadResetToInitStateTransition: masks {STATE}, STATE|one required bit fail; full mask 0',
      badMaskCase(QPS.IB_QPS_RESET, [M.IB_QP_ACCESS_FLAGS, M.IB_QP_PKEY_INDEX, M.IB_QP_PORT], () => initAttr));
    it('ModifyBadInitToRtrStateTransition: partial masks fail; full mask 0',
      badMaskCase(QPS.IB_QPS_INIT, [M.IB_QP_PATH_MTU, M.IB_QP_RQ_PSN, M.IB_QP_DEST_QPN, M.IB_QP_AV, M.IB_QP_MAX_DEST_RD_ATOMIC, M.IB_QP_MIN_RNR_TIMER],
        (h, qp) => rtrAttr(h, qp)));
    it('ModifyBadRtrToRtsStateTransition: partial masks fail; full mask 0',
      badMaskCase(QPS.IB_QPS_RTR, [M.IB_QP_SQ_PSN, M.IB_QP_MAX_QP_RD_ATOMIC, M.IB_QP_TIMEOUT, M.IB_QP_RETRY_CNT, M.IB_QP_RNR_RETRY],
        () => rtsAttr()));
    it('UdModify: INIT (STATE|PKEY|PORT|QKEY, qkey 17) -> RTR (STATE) -> RTS (STATE|SQ_PSN 1225): all 0', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq, { qp_type: ib_qp_type.IB_QPT_UD });
      ib_modify_qp(qp, { qp_state: QPS.IB_QPS_INIT, pkey_index: 0, port_num: 1, qkey: 17 }, M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_QKEY);
      ib_modify_qp(qp, { qp_state: QPS.IB_QPS_RTR }, M.IB_QP_STATE);
      ib_modify_qp(qp, { qp_state: QPS.IB_QPS_RTS, sq_psn: 1225 }, M.IB_QP_STATE | M.IB_QP_SQ_PSN);
      expect(qpState(qp)).to.equal(QPS.IB_QPS_RTS);
    });
    it('DeallocPdWithOutstandingQp: ib_dealloc_pd -> EBUSY', function () {
      const { h, pd, cq } = qpTest();
      createRcQp(h, pd, cq);
      expect(errnoOf(() => ib_dealloc_pd(pd))).to.equal('EBUSY');
    });
    it('ModifyInvalidQp (garbled handle -> a destroyed QP): modify refused (ENOENT|EINVAL)', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      ib_destroy_qp(qp);
      expectRejected(() => ib_modify_qp(qp, initAttr, INIT_MASK));
    });
    it('QueryInvalidQp (garbled handle -> a destroyed QP, was INIT): query refused (ENOENT|EINVAL)', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      ib_modify_qp(qp, initAttr, INIT_MASK);
      ib_destroy_qp(qp);
      expectRejected(() => ib_query_qp(qp, M.IB_QP_STATE));
    });
    it('DestroyInvalidQp (garbled handle -> a destroyed QP): destroy refused (ENOENT|EINVAL)', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      ib_destroy_qp(qp);
      expectRejected(() => ib_destroy_qp(qp));
    });
  });

  describe('QpStateTest', function () {
    it('DestroyFromReset: state RESET; destroy 0', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      expect(qpState(qp)).to.equal(QPS.IB_QPS_RESET);
      ib_destroy_qp(qp);
    });
    it('DestroyFromInit: state INIT; destroy 0', function () {
      const { h, pd, cq } = qpTest();
      const qp = createRcQp(h, pd, cq);
      ib_modify_qp(qp, initAttr, INIT_MASK);
      expect(qpState(qp)).to.equal(QPS.IB_QPS_INIT);
      ib_destroy_qp(qp);
    });
    it('ReuseQp: READ; both QPs ERR -> RESET -> RTS again; READ: both SUCCESS', function () {
      const p = stdPair();
      ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ));
      expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, 1);
      for (const s of [p.local, p.remote]) {
        modifyState(s.qp, QPS.IB_QPS_ERR);
        modifyState(s.qp, QPS.IB_QPS_RESET);
      }
      runFor(p.clock, 1);
      drainCq(p.local.cq);
      drainCq(p.remote.cq);
      bringUp(p.local, p.remote, undefined, QPS.IB_QPS_RTS);
      bringUp(p.remote, p.local, undefined, QPS.IB_QPS_RTS);
      p.local.buf.view.fill(0x61);
      ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ, { wr_id: 2 }));
      expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, 2);
      expectFilled(p.local.buf.view, 'b');
    });
    it('QpIdRollover: dev max_qp+32 QPs created and destroyed while READs keep succeeding, plus 32 READs after (rxe deviation waived)', function () {
      this.timeout(60_000);
      const p = stdPair();
      const h = p.local.h;
      const n = h.dev.attrs.max_qp + 32;
      let wr = 100;
      for (let i = 0; i < n; i++) {
        ib_destroy_qp(createRcQp(h, p.local.pd, p.local.cq));
        if (i % 4096 === 0) {
          ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ, { wr_id: wr }));
          expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, wr++);
        }
      }
      for (let i = 0; i < 32; i++) {
        ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ, { wr_id: wr }));
        expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, wr++);
      }
    });
    it('QpReadWhileTargetEntersRts: >=100 READs succeed while the target is RTR (a responder in RTR serves READs); target -> RTS; 100 more', function () {
      const p = stdPair({ remoteState: QPS.IB_QPS_RTR });
      for (let i = 0; i < 100; i++) {
        ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ, { wr_id: i }));
        expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, i);
      }
      ib_modify_qp(p.remote.qp, rtsAttr(), RTS_MASK);
      for (let i = 100; i < 200; i++) {
        ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ, { wr_id: i }));
        expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, i);
      }
    });
    for (const [sn, state] of [['Reset', QPS.IB_QPS_RESET], ['Init', QPS.IB_QPS_INIT], ['Rtr', QPS.IB_QPS_RTR]] as const) {
      it(`PostSend${sn} [rxe: post_send EINVAL below RTS — rxe/rdma-core, IBA C10-96]`, function () {
        const p = stdPair({ localState: state });
        expect(errnoOf(() => ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ)))).to.equal('EINVAL');
      });
      it(`PostSend${sn} [connectx: post 0, WR silently dropped; after both RTS no CQE]`, function () {
        const p = stdPair({ profile: 'connectx', localState: state });
        ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ));
        if (state < QPS.IB_QPS_INIT) connectQp(p.local.h, p.local.qp, p.remote.h, p.remote.qp, {}, QPS.IB_QPS_INIT);
        if (state < QPS.IB_QPS_RTR) ib_modify_qp(p.local.qp, rtrAttr(p.remote.h, p.remote.qp), RTR_MASK);
        ib_modify_qp(p.local.qp, rtsAttr(), RTS_MASK);
        expectNoCompletion(p.local.cq, p.clock);
        expectFilled(p.local.buf.view, 'a');
      });
    }
    it('PostRecvReset [rxe: post_recv in RESET EINVAL (C10-97.2.1; rdma-unit-test expects 0)]; the SEND then RETRY_EXC_ERR|REM_OP_ERR wr 1; then no CQE', function () {
      const p = notReady(QPS.IB_QPS_RESET);
      expect(errnoOf(() => postRecv(p))).to.equal('EINVAL');
      ib_post_send(p.local.qp, sendWr(p));
      expectWc(waitForCompletion(p.local.cq, p.clock, 10_000), [S.IB_WC_RETRY_EXC_ERR, S.IB_WC_REM_OP_ERR], 1);
      expectNoCompletion(p.local.cq, p.clock);
      expectNoCompletion(p.remote.cq, p.clock, 1);
    });
    it('PostRecvInit: recv posted in INIT (0); SEND from the RTS peer -> RETRY_EXC_ERR|REM_OP_ERR; then no CQE', function () {
      const p = notReady(QPS.IB_QPS_INIT);
      postRecv(p);
      ib_post_send(p.local.qp, sendWr(p));
      expectWc(waitForCompletion(p.local.cq, p.clock, 10_000), [S.IB_WC_RETRY_EXC_ERR, S.IB_WC_REM_OP_ERR], 1);
      expectNoCompletion(p.local.cq, p.clock);
    });
    it('PostRecvRtr: recv posted in RTR (0); both RTS; SEND -> local SUCCESS wr 1; remote RECV SUCCESS wr 0; remote RTS', function () {
      const p = stdPair({ remoteState: QPS.IB_QPS_RTR });
      postRecv(p);
      ib_modify_qp(p.remote.qp, rtsAttr(), RTS_MASK);
      ib_post_send(p.local.qp, sendWr(p));
      expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, 1);
      expectWc(waitForCompletion(p.remote.cq, p.clock), S.IB_WC_SUCCESS, 0);
      expect(qpState(p.remote.qp)).to.equal(QPS.IB_QPS_RTS);
    });
    it('PostSendErr: local QP -> ERR; READ -> WR_FLUSH_ERR', function () {
      const p = stdPair();
      modifyState(p.local.qp, QPS.IB_QPS_ERR);
      ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ));
      expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_WR_FLUSH_ERR, 1);
    });
    it('PostSendErrConcurrent (2 cycles; batches of 32 READs, QP -> ERR mid-stream): first batch SUCCESS; middle SUCCESS|WR_FLUSH_ERR; after ERR all WR_FLUSH_ERR', function () {
      for (let cycle = 0; cycle < 2; cycle++) {
        const p = stdPair();
        ib_post_send(p.local.qp, readWrs(p, 32, 0));
        for (const wc of waitForCompletions(p.local.cq, p.clock, 32)) expectWc(wc, S.IB_WC_SUCCESS);
        ib_post_send(p.local.qp, readWrs(p, 32, 100));
        p.clock.advanceNs(3_000 + cycle * 5_000);
        modifyState(p.local.qp, QPS.IB_QPS_ERR);
        ib_post_send(p.local.qp, readWrs(p, 32, 200));
        const wcs = waitForCompletions(p.local.cq, p.clock, 64);
        for (const wc of wcs.slice(0, 32)) expectWc(wc, [S.IB_WC_SUCCESS, S.IB_WC_WR_FLUSH_ERR]);
        for (const wc of wcs.slice(32)) expectWc(wc, S.IB_WC_WR_FLUSH_ERR);
        expect(wcs.map((w) => Number(w.wr_id))).to.deep.equal([...Array.from({ length: 32 }, (_, i) => 100 + i), ...Array.from({ length: 32 }, (_, i) => 200 + i)]);
      }
    });
    it('PostSendErrDelayed: 32 READs OK; -> ERR; 32 READs; 3 s; 32; 3 s; 32: every post-ERR READ flushes', function () {
      const p = stdPair();
      ib_post_send(p.local.qp, readWrs(p, 32, 0));
      for (const wc of waitForCompletions(p.local.cq, p.clock, 32)) expectWc(wc, S.IB_WC_SUCCESS);
      modifyState(p.local.qp, QPS.IB_QPS_ERR);
      for (let k = 1; k <= 3; k++) {
        ib_post_send(p.local.qp, readWrs(p, 32, k * 100));
        for (const wc of waitForCompletions(p.local.cq, p.clock, 32)) expectWc(wc, S.IB_WC_WR_FLUSH_ERR);
        runFor(p.clock, 3000);
      }
    });
    it('PostRecvErr: remote -> ERR; post_recv wr 2 accepted; recv CQE WR_FLUSH_ERR', function () {
      const p = stdPair();
      modifyState(p.remote.qp, QPS.IB_QPS_ERR);
      postRecv(p, undefined, 2);
      expectWc(waitForCompletion(p.remote.cq, p.clock), S.IB_WC_WR_FLUSH_ERR, 2);
    });
    it('RtsSendToRtr: local RTS, remote stays RTR with a recv posted; SEND -> both SUCCESS', function () {
      const p = stdPair({ remoteState: QPS.IB_QPS_RTR });
      postRecv(p);
      ib_post_send(p.local.qp, sendWr(p));
      expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, 1);
      expectWc(waitForCompletion(p.remote.cq, p.clock), S.IB_WC_SUCCESS, 0);
    });
    it('ModRtsToError: modify(STATE=ERR only) 0; state ERR', function () {
      const p = stdPair();
      modifyState(p.local.qp, QPS.IB_QPS_ERR);
      expect(qpState(p.local.qp)).to.equal(QPS.IB_QPS_ERR);
    });
  });

  describe('QpPostTest', function () {
    it('OverflowSendWr: chain of queried max_send_wr+1 SENDs (num_sge 0) -> ENOMEM, bad_wr == wqes[max_send_wr] (old rxe deviation waived)', function () {
      const p = stdPair();
      const max = ib_query_qp(p.local.qp, M.IB_QP_CAP).init_attr.cap.max_send_wr;
      const wrs = Array.from({ length: max + 1 }, (_, i) => sendWr(p, { wr_id: i, sg: [] }));
      for (let i = 0; i < max; i++) wrs[i]!.next = wrs[i + 1]!;
      expect(errnoOf(() => ib_post_send(p.local.qp, wrs[0]!))).to.equal('ENOMEM');
      const p2 = stdPair();
      const wrs2 = Array.from({ length: max + 1 }, (_, i) => sendWr(p2, { wr_id: i, sg: [] }));
      for (let i = 0; i < max; i++) wrs2[i]!.next = wrs2[i + 1]!;
      expect(badWrOf(() => ib_post_send(p2.local.qp, wrs2[0]!))).to.equal(wrs2[max]);
    });
  });

  describe('ResponderQpStateTest.ResponderNotReadyToReceive', function () {
    for (const [on, op] of [['Read', OP.IB_WR_RDMA_READ], ['Write', OP.IB_WR_RDMA_WRITE]] as const) {
      for (const [sn, state] of [['Reset', QPS.IB_QPS_RESET], ['Init', QPS.IB_QPS_INIT]] as const) {
        it(`Service${on}In${sn}State: post OK, states unchanged; req RETRY_EXC_ERR|REM_OP_ERR|FATAL_ERR (10 s virtual budget); responder -> RTS has no further effect`, function () {
          const p = notReady(state);
          ib_post_send(p.local.qp, rdmaWr(p, op));
          expect([qpState(p.local.qp), qpState(p.remote.qp)]).to.deep.equal([QPS.IB_QPS_RTS, state]);
          expectWc(waitForCompletion(p.local.cq, p.clock, 10_000), [S.IB_WC_RETRY_EXC_ERR, S.IB_WC_REM_OP_ERR, S.IB_WC_FATAL_ERR], 1);
          bringUpFrom(p, state);
          expectNoCompletion(p.local.cq, p.clock);
          expectNoCompletion(p.remote.cq, p.clock, 1);
          expectFilled(p.remote.buf.view, 'b');
          if (op === OP.IB_WR_RDMA_READ) expectFilled(p.local.buf.view, 'a');
        });
      }
    }
  });
});

/** Take the remote QP from `state` (RESET or INIT) to RTS. */
function bringUpFrom(p: StdPair, state: ib_qp_state): void {
  if (state === QPS.IB_QPS_RESET) connectQp(p.remote.h, p.remote.qp, p.local.h, p.local.qp);
  else {
    ib_modify_qp(p.remote.qp, rtrAttr(p.local.h, p.local.qp), RTR_MASK);
    ib_modify_qp(p.remote.qp, rtsAttr(), RTS_MASK);
  }
}

void ib_mtu; void recvWr; void ib_post_recv;
