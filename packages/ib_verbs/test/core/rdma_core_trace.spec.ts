import { expect } from 'chai';
import { recordTrace, formatTraceLine, isKernelError, type TraceRecorder } from '@rdmaemu/sim-core';
import { createFakeDevice, FakeCq, type Fake } from './_fake_provider.js';
import {
  ib_alloc_cq,
  ib_free_cq,
  ib_create_cq,
  ib_destroy_cq,
  ib_process_cq_direct,
  rdma_show_ib_poll_ctx,
  trace_cq_poll,
  trace_cq_schedule,
} from '../../src/core/cq.js';
import {
  ib_alloc_pd,
  ib_dealloc_pd,
  ib_alloc_mr,
  ib_dereg_mr,
  ib_create_qp,
  ib_modify_qp,
  ib_destroy_qp,
  ib_drain_qp,
  rdma_show_ib_mr_type,
} from '../../src/core/verbs.js';
import {
  ib_poll_context,
  ib_mr_type,
  ib_wc_init,
  ib_qp_type,
  ib_sig_type,
  ib_qp_state,
  ib_qp_attr_mask as M,
  rdma_ah_attr_init,
  rdma_ip2gid,
  type ib_cqe,
  type ib_wc,
} from '../../src/core/ib_verbs.h.js';
import type { ib_cq, ib_qp, ib_pd } from '../../src/core/device.js';

/** The TP_printk part of each recorded line: `<name>: <body>`. */
function bodies(trace: TraceRecorder): string[] {
  return trace.events.map((e) => e.text.slice(e.text.indexOf(`${e.name}: `)));
}

function withTrace(fn: (trace: TraceRecorder) => void): void {
  const trace = recordTrace('rdma_core');
  try {
    fn(trace);
  } finally {
    trace.stop();
  }
}

function wc(cqe: ib_cqe, i: number): ib_wc {
  return ib_wc_init({ wr_cqe: cqe, wr_id: i });
}

function toRts(qp: ib_qp): void {
  ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_INIT, pkey_index: 0, port_num: 1, qp_access_flags: 0 },
    M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS);
  ib_modify_qp(qp, {
    qp_state: ib_qp_state.IB_QPS_RTR, ah_attr: rdma_ah_attr_init({ dgid: rdma_ip2gid('10.0.0.2'), dmac: new Uint8Array(6) }),
    path_mtu: 3, dest_qp_num: 99, rq_psn: 0, max_dest_rd_atomic: 1, min_rnr_timer: 1,
  }, M.IB_QP_STATE | M.IB_QP_AV | M.IB_QP_PATH_MTU | M.IB_QP_DEST_QPN | M.IB_QP_RQ_PSN | M.IB_QP_MAX_DEST_RD_ATOMIC |
    M.IB_QP_MIN_RNR_TIMER);
  ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_RTS, timeout: 14, retry_cnt: 7, rnr_retry: 7, sq_psn: 0, max_rd_atomic: 1 },
    M.IB_QP_STATE | M.IB_QP_TIMEOUT | M.IB_QP_RETRY_CNT | M.IB_QP_RNR_RETRY | M.IB_QP_SQ_PSN | M.IB_QP_MAX_QP_RD_ATOMIC);
}

function rcQp(pd: ib_pd, send_cq: ib_cq, recv_cq: ib_cq): ib_qp {
  return ib_create_qp(pd, {
    send_cq, recv_cq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
    cap: { max_send_wr: 16, max_recv_wr: 16, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 },
  });
}

describe('rdma_core tracepoints (include/trace/events/rdma_core.h)', () => {
  describe('restrack ids (cq->res.id, pd->res.id, mr->res.id)', () => {
    it('are per device and per type, count from 0, and are not reused after a free', () => {
      const f = createFakeDevice();
      const g = createFakeDevice();
      const c0 = ib_alloc_cq(f.dev, null, 8, 0, ib_poll_context.IB_POLL_DIRECT);
      const c1 = ib_create_cq(f.dev, null, null, null, { cqe: 8, comp_vector: 0, flags: 0 });
      const other = ib_alloc_cq(g.dev, null, 8, 0, ib_poll_context.IB_POLL_DIRECT);
      expect([c0.res.id, c1.res.id, other.res.id]).to.deep.equal([0, 1, 0]);
      expect(c0.res.valid).to.equal(true);
      ib_free_cq(c0);
      ib_destroy_cq(c1);
      expect(c0.res.valid).to.equal(false);
      expect(ib_alloc_cq(f.dev, null, 8, 0, ib_poll_context.IB_POLL_DIRECT).res.id, 'cyclic: no reuse').to.equal(2);
      const pd0 = ib_alloc_pd(f.dev);
      const pd1 = ib_alloc_pd(f.dev);
      expect([pd0.res.id, pd1.res.id]).to.deep.equal([0, 1]);
      const m0 = ib_alloc_mr(pd1, ib_mr_type.IB_MR_TYPE_MEM_REG, 4);
      const m1 = ib_alloc_mr(pd0, ib_mr_type.IB_MR_TYPE_MEM_REG, 4);
      expect([m0.res.id, m1.res.id], 'MR ids are per device, not per PD').to.deep.equal([0, 1]);
      ib_dereg_mr(m0);
      ib_dereg_mr(m1);
      ib_dealloc_pd(pd0);
      expect(pd0.res.valid).to.equal(false);
    });
  });

  describe('CQ events (cq.c)', () => {
    it('alloc / schedule / process / poll / free on a SOFTIRQ CQ: exact lines, in order', () => {
      withTrace((trace) => {
        const f = createFakeDevice();
        const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_SOFTIRQ);
        const done: number[] = [];
        const cqe: ib_cqe = { done: (_c, w) => done.push(Number(w.wr_id)) };
        f.cqPost(cq, wc(cqe, 1));
        f.cqPost(cq, wc(cqe, 2));
        f.clock.flush();
        ib_free_cq(cq);
        expect(done).to.deep.equal([1, 2]);
        expect(bodies(trace)).to.deep.equal([
          'cq_alloc: cq.id=0 nr_cqe=64 comp_vector=0 poll_ctx=SOFTIRQ',
          'cq_schedule: cq.id=0',
          'cq_process: cq.id=0 wake-up took 0 [us] from interrupt',
          'cq_poll: cq.id=0 requested 16, returned 2',
          'cq_free: cq.id=0',
        ]);
        trace.expectSequence(['cq_alloc', 'cq_schedule', 'cq_process', 'cq_poll', 'rdma_core:cq_free']);
        expect(() => trace.expectSequence(['cq_free', 'cq_alloc'])).to.throw(/not seen/);
      });
    });

    it('cq_reschedule when re-arming reports missed events; the second pass is "from reschedule"', () => {
      withTrace((trace) => {
        const f = createFakeDevice();
        const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_SOFTIRQ);
        const cqe: ib_cqe = {
          done: (_c, w) => {
            // arrives while the CQ is disarmed: no completion event, found by IB_CQ_REPORT_MISSED_EVENTS
            if (w.wr_id === 1) (cq as FakeCq).queue.push(wc(cqe, 2));
          },
        };
        f.cqPost(cq, wc(cqe, 1));
        f.clock.flush();
        expect(bodies(trace).slice(1)).to.deep.equal([
          'cq_schedule: cq.id=0',
          'cq_process: cq.id=0 wake-up took 0 [us] from interrupt',
          'cq_poll: cq.id=0 requested 16, returned 1',
          'cq_reschedule: cq.id=0',
          'cq_process: cq.id=0 wake-up took 0 [us] from reschedule',
          'cq_poll: cq.id=0 requested 16, returned 1',
        ]);
        ib_free_cq(cq);
      });
    });

    it('WORKQUEUE: a full batch polls again; the last poll returns what is left', () => {
      withTrace((trace) => {
        const f = createFakeDevice();
        const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_WORKQUEUE);
        const cqe: ib_cqe = { done: () => undefined };
        for (let i = 0; i < 20; i++) f.cqPost(cq, wc(cqe, i));
        f.clock.flush();
        ib_free_cq(cq);
        expect(bodies(trace)).to.deep.equal([
          'cq_alloc: cq.id=0 nr_cqe=64 comp_vector=0 poll_ctx=WORKQUEUE',
          'cq_schedule: cq.id=0',
          'cq_process: cq.id=0 wake-up took 0 [us] from interrupt',
          'cq_poll: cq.id=0 requested 16, returned 16',
          'cq_poll: cq.id=0 requested 16, returned 4',
          'cq_free: cq.id=0',
        ]);
      });
    });

    it('cq_process measures the wake-up latency in µs of SimClock time (DIRECT: from CQ creation time 0)', () => {
      withTrace((trace) => {
        const f = createFakeDevice();
        const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
        const cqe: ib_cqe = { done: () => undefined };
        f.cqPost(cq, wc(cqe, 1));
        f.clock.advanceNs(5_000_999);
        expect(ib_process_cq_direct(cq, -1)).to.equal(1);
        expect(bodies(trace).slice(1)).to.deep.equal([
          // never scheduled: the timestamp is 0, as a kernel DIRECT CQ's is
          'cq_process: cq.id=0 wake-up took 5000 [us] from reschedule',
          // 1 < IB_POLL_BATCH_DIRECT: the pass ends without another poll
          'cq_poll: cq.id=0 requested 8, returned 1',
        ]);
        // the whole ftrace line carries the SimClock time
        const e = trace.events[1]!;
        expect(e.ts_ns).to.equal(5_000_999);
        expect(e.text).to.equal(formatTraceLine(5_000_999, 'cq_process', 'cq.id=0 wake-up took 5000 [us] from reschedule'));
        expect(e.text).to.match(/ {5}0\.005000: cq_process: /);
        ib_free_cq(cq);
      });
    });

    it('cq_alloc names every poll context; cq_alloc_error carries rc=-errno (provider and core failures)', () => {
      withTrace((trace) => {
        const f = createFakeDevice();
        const ids: number[] = [];
        for (const ctx of [ib_poll_context.IB_POLL_DIRECT, ib_poll_context.IB_POLL_UNBOUND_WORKQUEUE]) {
          const cq = ib_alloc_cq(f.dev, null, 4, 1, ctx);
          ids.push(cq.res.id);
          ib_free_cq(cq);
        }
        let err: unknown;
        try {
          ib_alloc_cq(f.dev, null, f.dev.attrs.max_cqe + 1, 0, ib_poll_context.IB_POLL_SOFTIRQ);
        } catch (e) {
          err = e;
        }
        expect(isKernelError(err, 'EINVAL')).to.equal(true);
        expect(() => ib_alloc_cq(f.dev, null, 4, 0, 7 as ib_poll_context)).to.throw(/bad poll context/);
        expect(bodies(trace)).to.deep.equal([
          `cq_alloc: cq.id=${ids[0]} nr_cqe=4 comp_vector=1 poll_ctx=DIRECT`,
          `cq_free: cq.id=${ids[0]}`,
          `cq_alloc: cq.id=${ids[1]} nr_cqe=4 comp_vector=1 poll_ctx=UNBOUND_WORKQUEUE`,
          `cq_free: cq.id=${ids[1]}`,
          `cq_alloc_error: nr_cqe=${f.dev.attrs.max_cqe + 1} comp_vector=0 poll_ctx=SOFTIRQ rc=-22`,
          'cq_alloc_error: nr_cqe=4 comp_vector=0 poll_ctx=0x7 rc=-22',
        ]);
      });
    });

    it('rdma_show_ib_poll_ctx maps by enum value (IB_POLL_DIRECT is 3)', () => {
      expect(ib_poll_context.IB_POLL_DIRECT).to.equal(3);
      expect([0, 1, 2, 3, 4].map(rdma_show_ib_poll_ctx)).to.deep.equal(['SOFTIRQ', 'WORKQUEUE', 'UNBOUND_WORKQUEUE', 'DIRECT', '0x4']);
    });

    it('zero cost when nobody subscribes: disabled, and the TP_fast_assign side effects do not happen', () => {
      const f: Fake = createFakeDevice();
      expect(trace_cq_schedule.enabled).to.equal(false);
      expect(trace_cq_poll.enabled).to.equal(false);
      const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_SOFTIRQ);
      f.clock.advanceNs(1000);
      f.cqPost(cq, wc({ done: () => undefined }, 1));
      f.clock.flush();
      expect(cq.timestamp, 'cq_schedule did not stamp').to.equal(0);
      expect(cq.interrupt).to.equal(false);
      ib_free_cq(cq);
    });
  });

  describe('cq_drain_complete (verbs.c ib_drain_sq / ib_drain_rq)', () => {
    it('fires once per drained queue, with the send CQ then the receive CQ', () => {
      withTrace((trace) => {
        const f = createFakeDevice();
        const pd = ib_alloc_pd(f.dev);
        const scq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_SOFTIRQ);
        const rcq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_WORKQUEUE);
        const qp = rcQp(pd, scq, rcq);
        toRts(qp);
        ib_drain_qp(qp);
        trace.expectSequence(['cq_alloc', 'cq_alloc', 'cq_drain_complete', 'cq_drain_complete']);
        const drains = bodies(trace).filter((l) => l.startsWith('cq_drain_complete'));
        expect(drains).to.deep.equal([`cq_drain_complete: cq.id=${scq.res.id}`, `cq_drain_complete: cq.id=${rcq.res.id}`]);
        expect(scq.res.id).to.not.equal(rcq.res.id);
        ib_destroy_qp(qp);
        ib_free_cq(scq);
        ib_free_cq(rcq);
        ib_dealloc_pd(pd);
      });
    });
  });

  describe('MR events (verbs.c ib_alloc_mr / ib_dereg_mr_user)', () => {
    it('mr_alloc on success and on failure (mr.id=0, rc=-errno); mr_dereg', () => {
      withTrace((trace) => {
        const f = createFakeDevice();
        ib_alloc_pd(f.dev); // pd.id 0
        const pd = ib_alloc_pd(f.dev); // pd.id 1
        const mr = ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 16);
        const mr2 = ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 1);
        expect(() => ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_SG_GAPS, 8)).to.throw(/IBK_SG_GAPS_REG/);
        const big = f.dev.attrs.max_fast_reg_page_list_len + 1;
        expect(() => ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_MEM_REG, big)).to.throw(/max_num_sg/);
        ib_dereg_mr(mr);
        ib_dereg_mr(mr2);
        expect(bodies(trace)).to.deep.equal([
          'mr_alloc: pd.id=1 mr.id=0 type=MEM_REG max_num_sg=16 rc=0',
          'mr_alloc: pd.id=1 mr.id=1 type=MEM_REG max_num_sg=1 rc=0',
          'mr_alloc: pd.id=1 mr.id=0 type=SG_GAPS max_num_sg=8 rc=-22',
          `mr_alloc: pd.id=1 mr.id=0 type=MEM_REG max_num_sg=${big} rc=-22`,
          'mr_dereg: mr.id=0',
          'mr_dereg: mr.id=1',
        ]);
        trace.expectSequence(['mr_alloc', 'mr_alloc', 'mr_dereg', 'mr_dereg']);
      });
    });

    it('the PD internal DMA MR is not traced (ib_alloc_pd / ib_dealloc_pd call the driver directly)', () => {
      withTrace((trace) => {
        const f = createFakeDevice();
        const pd = ib_alloc_pd(f.dev);
        ib_dealloc_pd(pd);
        expect(trace.names()).to.deep.equal([]);
      });
    });

    it('rdma_show_ib_mr_type', () => {
      expect([0, 1, 2, 3, 4, 5, 9].map(rdma_show_ib_mr_type)).to.deep.equal(['MEM_REG', 'SG_GAPS', 'DM', 'USER', 'DMA', 'INTEGRITY', '0x9']);
    });
  });
});
