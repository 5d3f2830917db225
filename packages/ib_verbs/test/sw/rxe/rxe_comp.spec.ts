/**
 * rxe_comp.spec - completer timers and retry budgets in virtual time: the RNR NAK timer table
 * (the 5-bit timer of the responder's RNR NAK picks the wait) and retry_cnt = 7 (infinite).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_comp.c (rnrnak_usec[], COMPST_RNR_RETRY,
 *         COMPST_ERROR_RETRY), include/rdma/ib_verbs.h enum ib_rnr_timeout (IBA Table 45)
 */
import { expect } from 'chai';
import { ib_qp_state, ib_rnr_timeout, ib_send_flags, ib_wc_status, ib_wr_opcode } from '../../../src/core/ib_verbs.h.js';
import { ib_post_recv, ib_post_send, ib_query_qp } from '../../../src/core/verbs.js';
import { rnrnak_usec } from '../../../src/sw/rxe/rxe_param.h.js';
import { makeRcPair } from './_pair.js';

const SIG = ib_send_flags.IB_SEND_SIGNALED;

describe('rxe_comp: rnrnak_usec', () => {
  it('holds, for each 5-bit timer value, the time ib_rnr_timeout names (IB_RNR_TIMER_<ms>_<1/100 ms>)', () => {
    const names = Object.keys(ib_rnr_timeout).filter((k) => k.startsWith('IB_RNR_TIMER_'));
    expect(names).to.have.length(32);
    for (const n of names) {
      const [, ms, cs] = /^IB_RNR_TIMER_(\d+)_(\d+)$/.exec(n)!;
      const v = ib_rnr_timeout[n as keyof typeof ib_rnr_timeout];
      expect(rnrnak_usec[v], n).to.equal(Number(ms) * 1000 + Number(cs) * 10);
    }
  });
});

describe('rxe_comp: COMPST_RNR_RETRY waits the RNR NAK timer', () => {
  for (const t of [1, 14, 25, 0]) {
    it(`min_rnr_timer ${t}: the retry comes ${rnrnak_usec[t]} µs after the RNR NAK; rnr_retry 1 then ends in RNR_RETRY_EXC_ERR`, () => {
      const pair = makeRcPair({ latencyNs: 1000, attr: { min_rnr_timer: t, rnr_retry: 1 } });
      const { a, clock } = pair;
      const src = a.alloc(64, 1);
      const t0 = clock.ktime_get();
      ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: SIG,
        sg_list: [{ addr: src.dma, length: 64, lkey: a.pd.local_dma_lkey }] });
      pair.run();
      expect(a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_RNR_RETRY_EXC_ERR]);
      const elapsedNs = clock.ktime_get() - t0;
      // two round trips (each a few µs) plus exactly one RNR wait
      expect(elapsedNs).to.be.at.least(rnrnak_usec[t]! * 1000);
      expect(elapsedNs).to.be.below(rnrnak_usec[t]! * 1000 + 50_000);
    });
  }
});

describe('rxe_comp: COMPST_ERROR_RETRY', () => {
  it('retry_cnt 7 retries forever: 100 ms of a dead peer leave the WR outstanding; it succeeds once the path heals', () => {
    const pair = makeRcPair({ attr: { timeout: 8, retry_cnt: 7 } }); // 4.096 µs × 2^8 ≈ 1 ms per retry
    const { a, b, clock, fabric } = pair;
    const src = a.alloc(64, 0x77);
    const dst = b.alloc(64, 0);
    ib_post_recv(b.qp, { wr_id: 9, sg_list: [{ addr: dst.dma, length: 64, lkey: b.pd.local_dma_lkey }] });
    for (const l of fabric.links) { l.aToB.faults = { drop: 1 }; l.bToA.faults = { drop: 1 }; }
    ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: SIG,
      sg_list: [{ addr: src.dma, length: 64, lkey: a.pd.local_dma_lkey }] });
    clock.tick(100);
    expect(a.poll(), 'no completion while the peer is unreachable').to.deep.equal([]);
    expect(ib_query_qp(a.qp, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_RTS);
    expect(a.dev.counters.get('completer_retry_err')).to.be.greaterThan(20);
    for (const l of fabric.links) { l.aToB.faults = null; l.bToA.faults = null; }
    clock.tick(10);
    expect(a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_SUCCESS]);
    expect(dst.buf.every((x) => x === 0x77)).to.equal(true);
  });
});
