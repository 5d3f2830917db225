/**
 * srq_test - port of google/rdma-unit-test unit/srq_test.cc (SrqTest, SrqRcMultiplexTest,
 * SrqMultiThreadTest): SRQ limits, posting, the limit event, SRQ receives for RC (CONFORMANCE.md §1.6).
 *
 * Kernel: - (conformance port; core/verbs.c ib_*_srq; drivers/infiniband/sw/rxe/rxe_srq.c, rxe_resp.c get_srq_wqe)
 *
 * Setup: send and recv 1-page buffers ('a'/'b'), SRQ {max_wr 200, max_sge 1}, QPs 200/200, the
 * recv QP attached to the SRQ, RC at RTS. Sizes: rxe rounds queue sizes up (roundup_pow_of_two(n+1)-1)
 * and reports the enforced size; rows that post the *requested* size + 1 (ExceedMaxWr) use the
 * queried size on 'rxe' and the requested size on 'connectx' (exact sizes). The multithreaded
 * rows run their posting schedules single-threaded (the simulation has one thread); their
 * ordering and accounting assertions are kept. A garbled SRQ/PD is a destroyed one.
 */
import { expect } from 'chai';
import { KernelBug, isKernelError } from '@rdmaemu/sim-core';
import { ib_event_type, ib_poll_context, ib_qp_type, ib_srq_attr_mask, ib_wc_opcode, type ib_event, type ib_recv_wr } from '../../src/core/ib_verbs.h.js';
import type { ib_cq, ib_qp, ib_srq } from '../../src/core/device.js';
import { ib_alloc_cq } from '../../src/core/cq.js';
import { srqEvents$ } from '../../src/core/events.js';
import {
  ib_alloc_pd, ib_create_srq, ib_dealloc_pd, ib_destroy_srq, ib_modify_srq, ib_post_recv, ib_post_send, ib_post_srq_recv, ib_query_srq,
} from '../../src/core/verbs.js';
import {
  allocBuf, badWrOf, connectQp, createRcQp, drainCq, errnoOf, expectFilled, expectNoCompletion, expectWc, modifyState, newTestbed,
  OP, QPS, regMr, runFor, S, sge, stdPair, waitForCompletion, waitForCompletions, type Buf, type StdPair, type TestbedInit,
} from './_std_pair.js';
import { rdmaWr, recvWr, sendWr } from './_ops.js';
import type { ib_mr } from '../../src/core/device.js';

interface SrqPair {
  p: StdPair;
  srq: ib_srq;
  rcq: ib_cq;
  rqp: ib_qp;
  rbuf: Buf;
  rmr: ib_mr;
}

/** SrqTest base: the std pair's remote QP is replaced by one attached to an SRQ on the remote PD. */
function srqPair(init: TestbedInit & { srqWr?: number; maxSge?: number } = {}): SrqPair {
  const p = stdPair(init);
  const h = p.remote.h;
  const srq = ib_create_srq(p.remote.pd, { attr: { max_wr: init.srqWr ?? 200, max_sge: init.maxSge ?? 1, srq_limit: 0 } });
  const rcq = ib_alloc_cq(h.dev, null, 1024, 0, ib_poll_context.IB_POLL_DIRECT);
  const rqp = createRcQp(h, p.remote.pd, rcq, { srq });
  modifyState(p.local.qp, QPS.IB_QPS_RESET);
  connectQp(p.local.h, p.local.qp, h, rqp);
  connectQp(h, rqp, p.local.h, p.local.qp);
  return { p, srq, rcq, rqp, rbuf: p.remote.buf, rmr: p.remote.mr };
}

function chain(n: number, mk: (i: number) => ib_recv_wr): ib_recv_wr[] {
  const wrs = Array.from({ length: n }, (_, i) => mk(i));
  for (let i = 0; i + 1 < n; i++) wrs[i]!.next = wrs[i + 1]!;
  return wrs;
}

describe('rdma-unit-test srq_test', function () {
  describe('SrqTest', function () {
    it('Create: created; destroy 0', function () {
      const { a } = newTestbed();
      ib_destroy_srq(ib_create_srq(ib_alloc_pd(a.dev), { attr: { max_wr: 200, max_sge: 1, srq_limit: 0 } }));
    });
    it('DestroyInvalidSrq (garbled -> a destroyed SRQ): destroy refused', function () {
      const { a } = newTestbed();
      const srq = ib_create_srq(ib_alloc_pd(a.dev), { attr: { max_wr: 200, max_sge: 1, srq_limit: 0 } });
      ib_destroy_srq(srq);
      try {
        ib_destroy_srq(srq);
        expect.fail('accepted');
      } catch (e) {
        if (!(e instanceof KernelBug)) expect(isKernelError(e) && ['ENOENT', 'EINVAL'].includes(e.code), String(e)).to.equal(true);
      }
    });
    it('CreateWithInvalidPd (garbled -> a deallocated PD): create fails', function () {
      const { a } = newTestbed();
      const pd = ib_alloc_pd(a.dev);
      ib_dealloc_pd(pd);
      expect(errnoOf(() => ib_create_srq(pd, { attr: { max_wr: 200, max_sge: 1, srq_limit: 0 } }))).to.not.equal(null);
    });
    it('CreateQpWithSrq: qp.srq == srq', function () {
      const x = srqPair();
      expect(x.rqp.srq).to.equal(x.srq);
    });
    it('PostWrongApi: ib_post_recv on a QP that uses an SRQ fails', function () {
      const x = srqPair();
      expect(errnoOf(() => ib_post_recv(x.rqp, recvWr([sge(x.rbuf, x.rmr)])))).to.not.equal(null);
    });
    it('MaxWr: a chain of 200 (= requested max_wr) recvs -> 0', function () {
      const x = srqPair();
      ib_post_srq_recv(x.srq, chain(200, (i) => recvWr([sge(x.rbuf, x.rmr)], i))[0]!);
    });
    it('ExceedMaxWr [rxe: queried (rounded) max_wr + 1 -> ENOMEM; the queried size is what is enforced]', function () {
      const x = srqPair();
      const max = ib_query_srq(x.srq).max_wr;
      expect(max).to.be.at.least(200);
      expect(errnoOf(() => ib_post_srq_recv(x.srq, chain(max + 1, (i) => recvWr([sge(x.rbuf, x.rmr)], i))[0]!))).to.equal('ENOMEM');
    });
    it('ExceedMaxWr [connectx: exact sizes; a chain of 201 -> fails]', function () {
      const x = srqPair({ profile: 'connectx' });
      expect(errnoOf(() => ib_post_srq_recv(x.srq, chain(201, (i) => recvWr([sge(x.rbuf, x.rmr)], i))[0]!))).to.equal('ENOMEM');
    });
    it('MaxSge: 1 SGE -> 0', function () {
      const x = srqPair();
      ib_post_srq_recv(x.srq, recvWr([sge(x.rbuf, x.rmr)]));
    });
    it('ExceedMaxSge: 2 SGEs -> fails, bad_wr == the recv', function () {
      const x = srqPair();
      const wr = recvWr([sge(x.rbuf, x.rmr, 0, 8), sge(x.rbuf, x.rmr, 8, 8)]);
      expect(badWrOf(() => ib_post_srq_recv(x.srq, wr))).to.equal(wr);
    });
    it('DeviceCap: SRQ(max_srq_wr, max_srq_sge) -> created', function () {
      const { a } = newTestbed();
      ib_create_srq(ib_alloc_pd(a.dev), { attr: { max_wr: a.dev.attrs.max_srq_wr, max_sge: a.dev.attrs.max_srq_sge, srq_limit: 0 } });
    });
    it('ExceedDeviceMaxWr: max_srq_wr+1 -> fails', function () {
      const { a } = newTestbed();
      expect(errnoOf(() => ib_create_srq(ib_alloc_pd(a.dev), { attr: { max_wr: a.dev.attrs.max_srq_wr + 1, max_sge: 1, srq_limit: 0 } }))).to.not.equal(null);
    });
    it('ExceedDeviceMaxSge: max_srq_sge+1 -> fails', function () {
      const { a } = newTestbed();
      expect(errnoOf(() => ib_create_srq(ib_alloc_pd(a.dev), { attr: { max_wr: 10, max_sge: a.dev.attrs.max_srq_sge + 1, srq_limit: 0 } }))).to.not.equal(null);
    });
    it('ModifyMaxWr (IB_DEVICE_SRQ_RESIZE): post queried M -> 0; one more fails; modify MAX_WR M+10 -> 0; post -> 0', function () {
      const x = srqPair();
      const M_ = ib_query_srq(x.srq).max_wr;
      ib_post_srq_recv(x.srq, chain(M_, (i) => recvWr([sge(x.rbuf, x.rmr)], i))[0]!);
      expect(errnoOf(() => ib_post_srq_recv(x.srq, recvWr([sge(x.rbuf, x.rmr)])))).to.not.equal(null);
      ib_modify_srq(x.srq, { max_wr: M_ + 10, max_sge: 1, srq_limit: 0 }, ib_srq_attr_mask.IB_SRQ_MAX_WR);
      ib_post_srq_recv(x.srq, recvWr([sge(x.rbuf, x.rmr)]));
    });
    it('ExceedMaxWrInfinitChain: recv.next = recv (self-loop) -> fails, bad_wr == recv (posting stops when full)', function () {
      const x = srqPair();
      const wr = recvWr([sge(x.rbuf, x.rmr)]);
      wr.next = wr;
      expect(badWrOf(() => ib_post_srq_recv(x.srq, wr))).to.equal(wr);
    });
    it('Send: SRQ recv + SEND 4 KiB -> both SUCCESS; recv \'a\'', function () {
      const x = srqPair();
      ib_post_srq_recv(x.srq, recvWr([sge(x.rbuf, x.rmr)]));
      ib_post_send(x.p.local.qp, sendWr(x.p));
      expectWc(waitForCompletion(x.p.local.cq, x.p.clock), S.IB_WC_SUCCESS, 1);
      const r = waitForCompletion(x.rcq, x.p.clock);
      expectWc(r, S.IB_WC_SUCCESS, 0);
      expect(r.qp).to.equal(x.rqp);
      expectFilled(x.rbuf.view, 'a');
    });
    it('SendManyWithOneOutstanding (slow-NIC counts: 2 x 500; SRQ 512, max_sge 2, recv uses 1): all SUCCESS; wr_id echoed', function () {
      for (let k = 0; k < 2; k++) {
        const x = srqPair({ srqWr: 512, maxSge: 2 });
        for (let i = 0; i < 500; i++) {
          ib_post_srq_recv(x.srq, recvWr([sge(x.rbuf, x.rmr)], i));
          ib_post_send(x.p.local.qp, sendWr(x.p, { wr_id: i }));
          expectWc(waitForCompletion(x.rcq, x.p.clock), S.IB_WC_SUCCESS, i);
          expectWc(waitForCompletion(x.p.local.cq, x.p.clock), S.IB_WC_SUCCESS, i);
        }
      }
    });
    it('QpFlush: a UD QP also on the SRQ, 1 SRQ recv posted, UD QP -> ERR: no CQE (SRQ WQEs are not flushed); then an RC SEND uses it: SUCCESS', function () {
      const x = srqPair();
      const h = x.p.remote.h;
      const udcq = ib_alloc_cq(h.dev, null, 10, 0, ib_poll_context.IB_POLL_DIRECT);
      const ud = createRcQp(h, x.p.remote.pd, udcq, { srq: x.srq, qp_type: ib_qp_type.IB_QPT_UD });
      ib_post_srq_recv(x.srq, recvWr([sge(x.rbuf, x.rmr)]));
      modifyState(ud, QPS.IB_QPS_ERR);
      expectNoCompletion(udcq, x.p.clock);
      expect(drainCq(x.rcq)).to.have.length(0);
      ib_post_send(x.p.local.qp, sendWr(x.p));
      expectWc(waitForCompletion(x.p.local.cq, x.p.clock), S.IB_WC_SUCCESS, 1);
      expectWc(waitForCompletion(x.rcq, x.p.clock), S.IB_WC_SUCCESS, 0);
    });
    it('SrqLimit: 100 WRs posted, srq_limit 50 armed, 50 SENDs all SUCCESS with no event within 10 s; 1 more SEND -> IB_EVENT_SRQ_LIMIT_REACHED', function () {
      const x = srqPair();
      const events: ib_event[] = [];
      const sub = srqEvents$(x.srq).subscribe((e) => events.push(e));
      const handlerEvents: ib_event[] = [];
      x.srq.event_handler = (e) => handlerEvents.push(e);
      try {
        ib_post_srq_recv(x.srq, chain(100, (i) => recvWr([sge(x.rbuf, x.rmr)], i))[0]!);
        ib_modify_srq(x.srq, { max_wr: 0, max_sge: 0, srq_limit: 50 }, ib_srq_attr_mask.IB_SRQ_LIMIT);
        for (let i = 0; i < 50; i++) ib_post_send(x.p.local.qp, sendWr(x.p, { wr_id: i }));
        for (const wc of waitForCompletions(x.p.local.cq, x.p.clock, 50)) expectWc(wc, S.IB_WC_SUCCESS);
        for (const wc of waitForCompletions(x.rcq, x.p.clock, 50)) expectWc(wc, S.IB_WC_SUCCESS);
        runFor(x.p.clock, 10_000);
        expect(events.length + handlerEvents.length, 'no event while outstanding == limit').to.equal(0);
        ib_post_send(x.p.local.qp, sendWr(x.p, { wr_id: 50 }));
        expectWc(waitForCompletion(x.p.local.cq, x.p.clock), S.IB_WC_SUCCESS, 50);
        runFor(x.p.clock, 10);
        const all = events.length ? events : handlerEvents;
        expect(all.map((e) => e.event)).to.deep.equal([ib_event_type.IB_EVENT_SRQ_LIMIT_REACHED]);
      } finally {
        sub.unsubscribe();
      }
    });
    it('SendRnr: empty SRQ -> SEND RNR_RETRY_EXC_ERR; recv buffer unchanged', function () {
      const x = srqPair();
      ib_post_send(x.p.local.qp, sendWr(x.p));
      expectWc(waitForCompletion(x.p.local.cq, x.p.clock), S.IB_WC_RNR_RETRY_EXC_ERR, 1);
      expectFilled(x.rbuf.view, 'b');
    });
  });

  describe('SrqRcMultiplexTest', function () {
    /** 10 RC pairs share one SRQ (on the server). */
    function multiplex() {
      const tb = newTestbed();
      const pdA = ib_alloc_pd(tb.a.dev);
      const pdB = ib_alloc_pd(tb.b.dev);
      const scq = ib_alloc_cq(tb.a.dev, null, 200, 0, ib_poll_context.IB_POLL_DIRECT);
      const rcq = ib_alloc_cq(tb.b.dev, null, 200, 0, ib_poll_context.IB_POLL_DIRECT);
      const srq = ib_create_srq(pdB, { attr: { max_wr: 200, max_sge: 1, srq_limit: 0 } });
      const sbuf = allocBuf(tb.a, 4096, 'a');
      const rbuf = allocBuf(tb.b, 4096, 'b');
      const smr = regMr(tb, pdA, sbuf);
      const rmr = regMr(tb, pdB, rbuf);
      const pairs = Array.from({ length: 10 }, () => {
        const s = createRcQp(tb.a, pdA, scq);
        const r = createRcQp(tb.b, pdB, rcq, { srq });
        connectQp(tb.a, s, tb.b, r);
        connectQp(tb.b, r, tb.a, s);
        return { s, r };
      });
      return { tb, srq, scq, rcq, sbuf, rbuf, smr, rmr, pairs };
    }
    it('Send: 80 SRQ recvs of 8 B at distinct offsets; 8 SENDs per QP -> 80 RECV SUCCESS (8 per recv QP), [0,640) \'a\'; 80 SEND CQEs', function () {
      const m = multiplex();
      ib_post_srq_recv(m.srq, chain(80, (i) => recvWr([sge(m.rbuf, m.rmr, i * 8, 8)], i))[0]!);
      for (const { s } of m.pairs) for (let k = 0; k < 8; k++) ib_post_send(s, { wr_id: k, opcode: OP.IB_WR_SEND, send_flags: 2, sg_list: [sge(m.sbuf, m.smr, 0, 8)] });
      const sends = waitForCompletions(m.scq, m.tb.clock, 80);
      const recvs = waitForCompletions(m.rcq, m.tb.clock, 80);
      for (const wc of [...sends, ...recvs]) expectWc(wc, S.IB_WC_SUCCESS);
      for (const wc of recvs) expect(wc.opcode).to.equal(ib_wc_opcode.IB_WC_RECV);
      for (const { r } of m.pairs) expect(recvs.filter((w) => w.qp === r)).to.have.length(8);
      expectFilled(m.rbuf.view.subarray(0, 640), 'a');
    });
    it('WriteWithImmediate: 80 SRQ recvs with 0 SGEs; WRITE_WITH_IMM 8 B, imm = offset -> RECV_RDMA_WITH_IMM, data at imm \'a\', 8 per QP; sends SUCCESS', function () {
      const m = multiplex();
      ib_post_srq_recv(m.srq, chain(80, (i) => recvWr([], i))[0]!);
      let off = 0;
      for (const { s } of m.pairs) {
        for (let k = 0; k < 8; k++, off += 8) {
          ib_post_send(s, { wr_id: k, opcode: OP.IB_WR_RDMA_WRITE_WITH_IMM, send_flags: 2, sg_list: [sge(m.sbuf, m.smr, 0, 8)],
            remote_addr: m.rbuf.addr + off, rkey: m.rmr.rkey, ex: { imm_data: off } } as Parameters<typeof ib_post_send>[1]);
        }
      }
      const sends = waitForCompletions(m.scq, m.tb.clock, 80);
      const recvs = waitForCompletions(m.rcq, m.tb.clock, 80);
      for (const wc of sends) expectWc(wc, S.IB_WC_SUCCESS);
      for (const wc of recvs) {
        expectWc(wc, S.IB_WC_SUCCESS);
        expect(wc.opcode).to.equal(ib_wc_opcode.IB_WC_RECV_RDMA_WITH_IMM);
        expectFilled(m.rbuf.view.subarray(wc.ex.imm_data, wc.ex.imm_data + 8), 'a');
      }
      for (const { r } of m.pairs) expect(recvs.filter((w) => w.qp === r)).to.have.length(8);
    });
  });

  describe('SrqMultiThreadTest (single-threaded schedules)', function () {
    it('MultiThreadedSrqLoopback: 50 x 20 SRQ recvs of 1 B (SRQ 1010); 1001 SENDs -> first 1000 SUCCESS, the last RNR_RETRY_EXC_ERR; 1000 recv SUCCESS, each wr_id once; data \'a\'', function () {
      this.timeout(20_000);
      const x = srqPair({ srqWr: 1010, cqe: 1024 } as never);
      for (let t = 0; t < 50; t++) ib_post_srq_recv(x.srq, chain(20, (i) => recvWr([sge(x.rbuf, x.rmr, t * 20 + i, 1)], t * 20 + i))[0]!);
      const sends: ReturnType<typeof waitForCompletions> = [];
      for (let i = 0; i < 1001; i++) {
        ib_post_send(x.p.local.qp, sendWr(x.p, { wr_id: i, sg: [sge(x.p.local.buf, x.p.local.mr, 0, 1)] }));
        if (i % 100 === 99) sends.push(...waitForCompletions(x.p.local.cq, x.p.clock, 100));
      }
      sends.push(...waitForCompletions(x.p.local.cq, x.p.clock, 1));
      for (const wc of sends.slice(0, 1000)) expectWc(wc, S.IB_WC_SUCCESS);
      expectWc(sends[1000]!, S.IB_WC_RNR_RETRY_EXC_ERR, 1000);
      const recvs = waitForCompletions(x.rcq, x.p.clock, 1000);
      for (const wc of recvs) expectWc(wc, S.IB_WC_SUCCESS);
      expect(new Set(recvs.map((w) => Number(w.wr_id))).size).to.equal(1000);
      expectFilled(x.rbuf.view.subarray(0, 1000), 'a');
    });
    it('MultiThreadedMultiQpSingleSrq (slow: SRQ 128, 4 pairs, batches of 32): send CQEs in order per QP; recv payload ids match; buffers reposted', function () {
      const tb = newTestbed();
      const pdA = ib_alloc_pd(tb.a.dev);
      const pdB = ib_alloc_pd(tb.b.dev);
      const rcq = ib_alloc_cq(tb.b.dev, null, 1024, 0, ib_poll_context.IB_POLL_DIRECT);
      const srq = ib_create_srq(pdB, { attr: { max_wr: 128, max_sge: 1, srq_limit: 0 } });
      const rbuf = allocBuf(tb.b, 4096, 'b');
      const rmr = regMr(tb, pdB, rbuf);
      ib_post_srq_recv(srq, chain(128, (i) => recvWr([sge(rbuf, rmr, i * 8, 8)], i))[0]!);
      const pairs = Array.from({ length: 4 }, (_, q) => {
        const cq = ib_alloc_cq(tb.a.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
        const s = createRcQp(tb.a, pdA, cq);
        const r = createRcQp(tb.b, pdB, rcq, { srq });
        connectQp(tb.a, s, tb.b, r);
        connectQp(tb.b, r, tb.a, s);
        const buf = allocBuf(tb.a, 32 * 8);
        for (let i = 0; i < 32; i++) new DataView(buf.view.buffer, buf.view.byteOffset).setUint32(i * 8, q * 1000 + i, true);
        return { s, r, cq, buf, mr: regMr(tb, pdA, buf), q };
      });
      for (let round = 0; round < 3; round++) {
        for (const pr of pairs) for (let i = 0; i < 32; i++) ib_post_send(pr.s, { wr_id: i, opcode: OP.IB_WR_SEND, send_flags: 2, sg_list: [sge(pr.buf, pr.mr, i * 8, 8)] });
        for (const pr of pairs) expect(waitForCompletions(pr.cq, tb.clock, 32).map((w) => [Number(w.wr_id), w.status])).to.deep.equal(Array.from({ length: 32 }, (_, i) => [i, 0]));
        const recvs = waitForCompletions(rcq, tb.clock, 128);
        const dv = new DataView(rbuf.view.buffer, rbuf.view.byteOffset);
        for (const wc of recvs) {
          expectWc(wc, S.IB_WC_SUCCESS);
          const id = dv.getUint32(Number(wc.wr_id) * 8, true);
          const pr = pairs.find((x) => x.r === wc.qp)!;
          expect(Math.floor(id / 1000)).to.equal(pr.q);
          ib_post_srq_recv(srq, recvWr([sge(rbuf, rmr, Number(wc.wr_id) * 8, 8)], Number(wc.wr_id)));
        }
      }
    });
    it('MultiThreadedMultiSrq (slow: 2 SRQs x 8 pairs on one recv CQ, 256 sends): recv qp_num valid; per-QP sequence strictly increasing', function () {
      const tb = newTestbed();
      const pdA = ib_alloc_pd(tb.a.dev);
      const pdB = ib_alloc_pd(tb.b.dev);
      const rcq = ib_alloc_cq(tb.b.dev, null, 1024, 0, ib_poll_context.IB_POLL_DIRECT);
      const scq = ib_alloc_cq(tb.a.dev, null, 1024, 0, ib_poll_context.IB_POLL_DIRECT);
      const sbuf = allocBuf(tb.a, 4096, 'a');
      const smr = regMr(tb, pdA, sbuf);
      const rbuf = allocBuf(tb.b, 4096, 'b');
      const rmr = regMr(tb, pdB, rbuf);
      const qps: ib_qp[] = [];
      const sqps: ib_qp[] = [];
      for (let k = 0; k < 2; k++) {
        const srq = ib_create_srq(pdB, { attr: { max_wr: 200, max_sge: 1, srq_limit: 0 } });
        ib_post_srq_recv(srq, chain(128, (i) => recvWr([sge(rbuf, rmr, 0, 8)], (k << 16) | i))[0]!);
        for (let j = 0; j < 8; j++) {
          const s = createRcQp(tb.a, pdA, scq);
          const r = createRcQp(tb.b, pdB, rcq, { srq });
          connectQp(tb.a, s, tb.b, r);
          connectQp(tb.b, r, tb.a, s);
          qps.push(r);
          sqps.push(s);
        }
      }
      for (let n = 0; n < 16; n++) for (const s of sqps) ib_post_send(s, { wr_id: n, opcode: OP.IB_WR_SEND, send_flags: 2, sg_list: [sge(sbuf, smr, 0, 8)] });
      const sends = waitForCompletions(scq, tb.clock, 256);
      const recvs = waitForCompletions(rcq, tb.clock, 256);
      for (const wc of [...sends, ...recvs]) expectWc(wc, S.IB_WC_SUCCESS);
      const last = new Map<ib_qp, number>();
      for (const wc of recvs) {
        expect(qps).to.include(wc.qp);
        const seq = Number(wc.wr_id) & 0xffff;
        const prev = last.get(wc.qp!) ?? -1;
        expect(seq, 'per-QP receive order follows the SRQ order').to.be.greaterThan(prev);
        last.set(wc.qp!, seq);
      }
    });
  });
});
