/**
 * traffic - port of google/rdma-unit-test traffic/rnr_nack_test.cc, cq_overrun_test.cc and
 * vary_mtu_test.cc (CONFORMANCE.md §1.10): RNR NAK retry budgets, a too-small CQ beside a healthy
 * pair, and segmentation at every path MTU.
 *
 * Kernel: - (conformance port; rxe_resp.c RNR NAK, rxe_comp.c rnr_retry, rxe_req.c segmentation)
 *
 * "Sleep" and the long poll windows are virtual time. VaryMtu also asserts what the original only
 * states in a comment: the WRITE is ceil(16384 / MTU) packets (rxe sent_pkts, data direction).
 */
import { expect } from 'chai';
import { ib_mtu, ib_poll_context, type ib_mtu as ib_mtu_t } from '../../src/core/ib_verbs.h.js';
import { ib_alloc_cq } from '../../src/core/cq.js';
import { ib_alloc_pd, ib_post_recv, ib_post_send } from '../../src/core/verbs.js';
import {
  allocBuf, connectQp, createRcQp, drainCq, expectFilled, expectWc, newTestbed, OP, regMr, runFor, S, sge, stdPair,
  waitForCompletion, waitForCompletions, type Testbed,
} from './_std_pair.js';
import { rdmaWr, recvWr } from './_ops.js';

/** The RnrNackTest pair: initiator SQ/RQ 32, target SQ/RQ 16, 32-byte SENDs. */
function rnrPair(min_rnr_timer: number, rnr_retry: number) {
  const tb = newTestbed();
  const pdA = ib_alloc_pd(tb.a.dev);
  const pdB = ib_alloc_pd(tb.b.dev);
  const icq = ib_alloc_cq(tb.a.dev, null, 200, 0, ib_poll_context.IB_POLL_DIRECT);
  const tcq = ib_alloc_cq(tb.b.dev, null, 200, 0, ib_poll_context.IB_POLL_DIRECT);
  const ini = createRcQp(tb.a, pdA, icq, { cap: { max_send_wr: 32, max_recv_wr: 32 } });
  const tgt = createRcQp(tb.b, pdB, tcq, { cap: { max_send_wr: 16, max_recv_wr: 16 } });
  connectQp(tb.a, ini, tb.b, tgt, { rnr_retry, min_rnr_timer });
  connectQp(tb.b, tgt, tb.a, ini, { rnr_retry, min_rnr_timer });
  const sbuf = allocBuf(tb.a, 4096, 'a');
  const rbuf = allocBuf(tb.b, 4096, 'b');
  const smr = regMr(tb, pdA, sbuf);
  const rmr = regMr(tb, pdB, rbuf);
  const recv16 = (base: number) => { for (let i = 0; i < 16; i++) ib_post_recv(tgt, recvWr([sge(rbuf, rmr, (i % 16) * 32, 32)], base + i)); };
  const send32 = () => { for (let i = 0; i < 32; i++) ib_post_send(ini, { wr_id: i, opcode: OP.IB_WR_SEND, send_flags: 2, sg_list: [sge(sbuf, smr, 0, 32)] }); };
  return { tb, icq, tcq, recv16, send32 };
}

function cqOverrunPair(tb: Testbed, scqe: number, rcqe: number) {
  const pdA = ib_alloc_pd(tb.a.dev);
  const pdB = ib_alloc_pd(tb.b.dev);
  const scq = ib_alloc_cq(tb.a.dev, null, scqe, 0, ib_poll_context.IB_POLL_DIRECT);
  const rcq = ib_alloc_cq(tb.b.dev, null, rcqe, 0, ib_poll_context.IB_POLL_DIRECT);
  const s = createRcQp(tb.a, pdA, scq, { cap: { max_send_wr: 128, max_recv_wr: 128 } });
  const r = createRcQp(tb.b, pdB, rcq, { cap: { max_send_wr: 128, max_recv_wr: 128 } });
  connectQp(tb.a, s, tb.b, r);
  connectQp(tb.b, r, tb.a, s);
  const sbuf = allocBuf(tb.a, 4096, 'a');
  const rbuf = allocBuf(tb.b, 4096, 'b');
  const smr = regMr(tb, pdA, sbuf);
  const rmr = regMr(tb, pdB, rbuf);
  for (let i = 0; i < 96; i++) ib_post_recv(r, recvWr([sge(rbuf, rmr, 0, 32)], i));
  const go = () => { for (let i = 0; i < 96; i++) ib_post_send(s, { wr_id: i, opcode: OP.IB_WR_SEND, send_flags: 2, sg_list: [sge(sbuf, smr, 0, 32)] }); };
  return { scq, rcq, go };
}

describe('rdma-unit-test traffic', function () {
  describe('RnrNackTest', function () {
    it('RetryFailure: min_rnr_timer 1 (0.01 ms), rnr_retry 1; 16 recvs, 32 SENDs -> 16 send + 16 recv SUCCESS; after 10 s no 16 more successful sends (RNR_RETRY_EXC_ERR then flushes); no more recvs', function () {
      const x = rnrPair(1, 1);
      x.recv16(0);
      x.send32();
      runFor(x.tb.clock, 10_000);
      const sends = drainCq(x.icq);
      const recvs = drainCq(x.tcq);
      expect(recvs.filter((w) => w.status === S.IB_WC_SUCCESS)).to.have.length(16);
      expect(recvs).to.have.length(16);
      const ok = sends.filter((w) => w.status === S.IB_WC_SUCCESS);
      expect(ok.map((w) => Number(w.wr_id))).to.deep.equal(Array.from({ length: 16 }, (_, i) => i));
      const rest = sends.filter((w) => w.status !== S.IB_WC_SUCCESS);
      expect(rest.length).to.be.greaterThan(0);
      expectWc(rest[0]!, S.IB_WC_RNR_RETRY_EXC_ERR, 16);
      for (const w of rest.slice(1)) expectWc(w, S.IB_WC_WR_FLUSH_ERR);
    });
    it('RetrySuccess: min_rnr_timer 31 (491.52 ms), rnr_retry 7 (infinite); sleep 1 s; 16 more recvs -> the remaining 16 sends and 16 recvs succeed (30 s window)', function () {
      const x = rnrPair(31, 7);
      x.recv16(0);
      x.send32();
      for (const w of waitForCompletions(x.icq, x.tb.clock, 16)) expectWc(w, S.IB_WC_SUCCESS);
      for (const w of waitForCompletions(x.tcq, x.tb.clock, 16)) expectWc(w, S.IB_WC_SUCCESS);
      runFor(x.tb.clock, 1000);
      x.recv16(16);
      const sends = waitForCompletions(x.icq, x.tb.clock, 16, 30_000);
      expect(sends.map((w) => [Number(w.wr_id), w.status])).to.deep.equal(Array.from({ length: 16 }, (_, i) => [16 + i, S.IB_WC_SUCCESS]));
      for (const w of waitForCompletions(x.tcq, x.tb.clock, 16, 30_000)) expectWc(w, S.IB_WC_SUCCESS);
    });
  });

  describe('CqOverrunTest.Basic', function () {
    for (const [label, scqe, rcqe] of [['32SendCq128RecvCq', 128, 32], ['128SendCq32RecvCq', 32, 128]] as const) {
      it(`${label} (send CQ ${scqe} / recv CQ ${rcqe}): pair A <= 96 completions per CQ; pair B (CQs 96) exactly 96 send + 96 recv successes`, function () {
        const tb = newTestbed();
        const a = cqOverrunPair(tb, scqe, rcqe);
        const b = cqOverrunPair(tb, 96, 96);
        a.go();
        b.go();
        runFor(tb.clock, 15_000);
        expect(drainCq(a.scq).length).to.be.at.most(96);
        expect(drainCq(a.rcq).length).to.be.at.most(96);
        const bs = drainCq(b.scq);
        const br = drainCq(b.rcq);
        expect([bs.filter((w) => w.status === 0).length, br.filter((w) => w.status === 0).length]).to.deep.equal([96, 96]);
      });
    }
  });

  describe('VaryMtuTest.VaryMtuTest', function () {
    for (const [mtu, e] of [[256, ib_mtu.IB_MTU_256], [512, ib_mtu.IB_MTU_512], [1024, ib_mtu.IB_MTU_1024], [2048, ib_mtu.IB_MTU_2048], [4096, ib_mtu.IB_MTU_4096]] as [number, ib_mtu_t][]) {
      it(`${mtu}mtu: one 16 KiB RDMA WRITE completes (ops_completed 1) in ceil(16384/${mtu}) = ${Math.ceil(16384 / mtu)} packets`, function () {
        const p = stdPair({ bufBytes: 16384, localAttrs: { path_mtu: e }, remoteAttrs: { path_mtu: e } });
        const before = p.local.h.dev.counters.get('sent_pkts');
        ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_WRITE));
        expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, 1);
        expect(p.local.h.dev.counters.get('sent_pkts') - before).to.equal(Math.ceil(16384 / mtu));
        expectFilled(p.remote.buf.view, 'a');
      });
    }
  });
});
