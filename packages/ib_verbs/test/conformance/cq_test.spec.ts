/**
 * cq_test - port of google/rdma-unit-test unit/cq_test.cc (CqTest, CqBatchOpTest,
 * CqOverflowTest): CQ creation limits, shared CQs, overflow (CONFORMANCE.md §1.7).
 *
 * Kernel: - (conformance port; core/cq.c ib_alloc_cq / ib_create_cq / ib_destroy_cq; rxe_cq.c)
 *
 * Completion channels are a uverbs object; the kernel analogue is the CQ's comp_handler
 * (ib_create_cq), so WithChannel/ShareChannel create CQs with a comp_handler (shared for
 * ShareChannel). A garbled CQ is a destroyed one. CqOverflowTest: rdma-unit-test skips it when
 * FullCqIdlesQp (its rxe default); rdmaemu follows rxe's model instead of skipping: a full CQ keeps
 * its cqe entries, the overflowing CQE is dropped and IB_EVENT_CQ_ERR is raised on the CQ.
 * CqBatchOpTest's two threads post alternately here (one simulation thread).
 */
import { expect } from 'chai';
import { KernelBug, isKernelError } from '@rdmaemu/sim-core';
import { ib_event_type, ib_poll_context, type ib_event } from '../../src/core/ib_verbs.h.js';
import type { ib_cq, ib_qp } from '../../src/core/device.js';
import { ib_alloc_cq, ib_create_cq, ib_destroy_cq } from '../../src/core/cq.js';
import { cqEvents$ } from '../../src/core/events.js';
import { ib_alloc_pd, ib_post_recv, ib_post_send } from '../../src/core/verbs.js';
import {
  allocBuf, connectQp, createRcQp, drainCq, errnoOf, expectFilled, expectWc, newTestbed, OP, regMr, runFor, S, sge,
  waitForCompletions, type Testbed,
} from './_std_pair.js';
import { recvWr } from './_ops.js';

const cqAttr = (cqe: number, comp_vector = 0) => ({ cqe, comp_vector, flags: 0 });

/** N RC pairs a->b; sender CQ `scq` and receiver CQ `rcq` shared by all pairs. */
function sharedPairs(tb: Testbed, n: number, scqe: number, rcqe: number) {
  const pdA = ib_alloc_pd(tb.a.dev);
  const pdB = ib_alloc_pd(tb.b.dev);
  const scq = ib_alloc_cq(tb.a.dev, null, scqe, 0, ib_poll_context.IB_POLL_DIRECT);
  const rcq = ib_alloc_cq(tb.b.dev, null, rcqe, 0, ib_poll_context.IB_POLL_DIRECT);
  const sbuf = allocBuf(tb.a, 4096, 'a');
  const rbuf = allocBuf(tb.b, 4096, 'b');
  const smr = regMr(tb, pdA, sbuf);
  const rmr = regMr(tb, pdB, rbuf);
  const pairs: { s: ib_qp; r: ib_qp }[] = [];
  for (let i = 0; i < n; i++) {
    const s = createRcQp(tb.a, pdA, scq, { cap: { max_send_wr: 1024, max_recv_wr: 1024 } });
    const r = createRcQp(tb.b, pdB, rcq, { cap: { max_send_wr: 1024, max_recv_wr: 1024 } });
    connectQp(tb.a, s, tb.b, r);
    connectQp(tb.b, r, tb.a, s);
    pairs.push({ s, r });
  }
  return { scq, rcq, sbuf, rbuf, smr, rmr, pairs };
}

function expectRejected(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof KernelBug) return;
    if (isKernelError(e)) return void expect(['ENOENT', 'EINVAL']).to.include(e.code);
    throw e;
  }
  expect.fail('accepted');
}

describe('rdma-unit-test cq_test', function () {
  describe('CqTest', function () {
    it('Basic: cqe 10, no channel -> context set, cq.cqe >= 10; destroy 0', function () {
      const { a } = newTestbed();
      const ctx = {};
      const cq = ib_create_cq(a.dev, null, null, ctx, cqAttr(10));
      expect(cq.cq_context).to.equal(ctx);
      expect(cq.comp_handler).to.equal(null);
      expect(cq.cqe).to.be.at.least(10);
      ib_destroy_cq(cq);
    });
    it('DestroyInvalidCq (garbled -> a destroyed CQ): destroy refused', function () {
      const { a } = newTestbed();
      const cq = ib_create_cq(a.dev, null, null, null, cqAttr(10));
      ib_destroy_cq(cq);
      expectRejected(() => ib_destroy_cq(cq));
    });
    it('NegativeCqe: cqe -1 -> fails', function () {
      const { a } = newTestbed();
      expect(errnoOf(() => ib_create_cq(a.dev, null, null, null, cqAttr(-1)))).to.not.equal(null);
    });
    it('ZeroCqe: cqe 0 -> fails', function () {
      const { a } = newTestbed();
      expect(errnoOf(() => ib_create_cq(a.dev, null, null, null, cqAttr(0)))).to.not.equal(null);
    });
    it('MaxCqe: dev max_cqe -> created; max_cqe+1 -> fails', function () {
      const { a } = newTestbed();
      const max = a.dev.attrs.max_cqe;
      ib_destroy_cq(ib_create_cq(a.dev, null, null, null, cqAttr(max)));
      expect(errnoOf(() => ib_create_cq(a.dev, null, null, null, cqAttr(max + 1)))).to.not.equal(null);
    });
    it('WithChannel (kernel: a comp_handler): cqe 10 -> created', function () {
      const { a } = newTestbed();
      const h = () => {};
      expect(ib_create_cq(a.dev, h, null, null, cqAttr(10)).comp_handler).to.equal(h);
    });
    it('ShareChannel (kernel: one comp_handler for two CQs): both created', function () {
      const { a } = newTestbed();
      const h = () => {};
      ib_create_cq(a.dev, h, null, null, cqAttr(10));
      ib_create_cq(a.dev, h, null, null, cqAttr(10));
    });
    it('NegativeCompVector: comp_vector -1 -> fails', function () {
      const { a } = newTestbed();
      expect(errnoOf(() => ib_create_cq(a.dev, null, null, null, cqAttr(10, -1)))).to.not.equal(null);
    });
    it('ZeroCompVector: 0 -> created', function () {
      const { a } = newTestbed();
      ib_create_cq(a.dev, null, null, null, cqAttr(10, 0));
    });
    it('LargeCompVector: num_comp_vectors-1 -> created', function () {
      const { a } = newTestbed();
      ib_create_cq(a.dev, null, null, null, cqAttr(10, a.dev.num_comp_vectors - 1));
    });
    it('AboveMaxCompVector: num_comp_vectors -> fails', function () {
      const { a } = newTestbed();
      expect(errnoOf(() => ib_create_cq(a.dev, null, null, null, cqAttr(10, a.dev.num_comp_vectors)))).to.not.equal(null);
    });
  });

  describe('CqBatchOpTest', function () {
    it('SendSharedCq: 2 pairs share one send CQ; (cqe-10)/2 one-byte WRITEs per pair -> all SUCCESS; per-QP wr_ids consecutive', function () {
      const tb = newTestbed();
      const x = sharedPairs(tb, 2, 200, 200);
      const per = (x.scq.cqe - 10) >> 1;
      for (let i = 0; i < per; i++) {
        for (const { s } of x.pairs) {
          ib_post_send(s, { wr_id: i, opcode: OP.IB_WR_RDMA_WRITE, send_flags: 2, sg_list: [sge(x.sbuf, x.smr, 0, 1)], remote_addr: x.rbuf.addr, rkey: x.rmr.rkey } as Parameters<typeof ib_post_send>[1]);
        }
      }
      const wcs = waitForCompletions(x.scq, tb.clock, 2 * per);
      for (const wc of wcs) expectWc(wc, S.IB_WC_SUCCESS);
      for (const { s } of x.pairs) expect(wcs.filter((w) => w.qp === s).map((w) => Number(w.wr_id))).to.deep.equal(Array.from({ length: per }, (_, i) => i));
    });
    it('RecvSharedCq: 2 pairs share the recv CQ, recvs pre-posted, SENDs -> all recv CQEs SUCCESS, in order per QP', function () {
      const tb = newTestbed();
      const x = sharedPairs(tb, 2, 200, 200);
      const per = (x.rcq.cqe - 10) >> 1;
      for (const { r } of x.pairs) for (let i = 0; i < per; i++) ib_post_recv(r, recvWr([sge(x.rbuf, x.rmr, 0, 1)], i));
      for (let i = 0; i < per; i++) for (const { s } of x.pairs) ib_post_send(s, { wr_id: i, opcode: OP.IB_WR_SEND, send_flags: 0, sg_list: [sge(x.sbuf, x.smr, 0, 1)] });
      const wcs = waitForCompletions(x.rcq, tb.clock, 2 * per);
      for (const wc of wcs) expectWc(wc, S.IB_WC_SUCCESS);
      for (const { r } of x.pairs) expect(wcs.filter((w) => w.qp === r).map((w) => Number(w.wr_id))).to.deep.equal(Array.from({ length: per }, (_, i) => i));
    });
  });

  describe('CqOverflowTest (rxe model: a full CQ keeps cqe entries, drops the rest, raises IB_EVENT_CQ_ERR)', function () {
    function overflow(nPairs: number, recv: boolean) {
      const tb = newTestbed();
      const x = sharedPairs(tb, nPairs, 64, 64);
      const cq: ib_cq = recv ? x.rcq : x.scq;
      const events: ib_event[] = [];
      const sub = cqEvents$(cq).subscribe((e) => events.push(e));
      const n = nPairs === 1 ? cq.cqe + 10 : cq.cqe;
      try {
        for (const { s, r } of x.pairs) {
          for (let i = 0; i < n; i++) {
            if (recv) ib_post_recv(r, recvWr([sge(x.rbuf, x.rmr, 0, 8)], i));
            ib_post_send(s, recv
              ? { wr_id: i, opcode: OP.IB_WR_SEND, send_flags: 0, sg_list: [sge(x.sbuf, x.smr, 0, 8)] }
              : { wr_id: i, opcode: OP.IB_WR_RDMA_WRITE, send_flags: 2, sg_list: [sge(x.sbuf, x.smr, 0, 8)], remote_addr: x.rbuf.addr, rkey: x.rmr.rkey } as Parameters<typeof ib_post_send>[1]);
          }
        }
        runFor(tb.clock, 2000);
        expectFilled(x.rbuf.view.subarray(0, 8), 'a');
        const got = drainCq(cq);
        expect(got.length, 'exactly cqe CQEs').to.equal(cq.cqe);
        runFor(tb.clock, 100);
        expect(drainCq(cq).length, 'then none').to.equal(0);
        expect(events.map((e) => e.event)).to.include(ib_event_type.IB_EVENT_CQ_ERR);
      } finally {
        sub.unsubscribe();
      }
    }
    it('SendCqOverflow: cqe+10 WRITEs -> data lands; exactly cqe CQEs, then none; CQ_ERR event', function () { overflow(1, false); });
    it('SendSharedCqOverflow: 5 pairs x cqe WRITEs -> cqe CQEs, then none; CQ_ERR event', function () { overflow(5, false); });
    it('RecvCqOverflow: cqe+10 SENDs -> cqe recv CQEs, then none; CQ_ERR event', function () { overflow(1, true); });
    it('RecvSharedCqOverflow: 5 x cqe SENDs -> cqe recv CQEs, then none; CQ_ERR event', function () { overflow(5, true); });
  });
});
