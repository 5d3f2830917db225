import { expect } from 'chai';
import { KernelBug, isKernelError } from '@rdmaemu/sim-core';
import { createFakeDevice, FakeCq } from './_fake_provider.js';
import {
  ib_alloc_cq,
  ib_free_cq,
  ib_create_cq,
  ib_destroy_cq,
  ib_poll_cq,
  ib_req_notify_cq,
  ib_process_cq_direct,
  fromCq,
  IB_POLL_BATCH,
  IB_POLL_BUDGET_IRQ,
} from '../../src/core/cq.js';
import { ib_poll_context, ib_wc_init, ib_wc_status, ib_cq_notify_flags, type ib_wc, type ib_cqe } from '../../src/core/ib_verbs.h.js';

function wcWith(cqe: ib_cqe, i: number, status = ib_wc_status.IB_WC_SUCCESS): ib_wc {
  return ib_wc_init({ wr_cqe: cqe, wr_id: i, status });
}

describe('ib_alloc_cq: deferred poll contexts', () => {
  for (const ctx of [ib_poll_context.IB_POLL_SOFTIRQ, ib_poll_context.IB_POLL_WORKQUEUE, ib_poll_context.IB_POLL_UNBOUND_WORKQUEUE]) {
    it(`${ib_poll_context[ctx]}: arms the CQ and calls wr_cqe.done from a clock task, not from the provider`, () => {
      const f = createFakeDevice();
      const cq = ib_alloc_cq(f.dev, 'priv', 64, 0, ctx);
      expect(cq.cq_context).to.equal('priv');
      expect(cq.poll_ctx).to.equal(ctx);
      expect((cq as FakeCq).notify).to.equal(ib_cq_notify_flags.IB_CQ_NEXT_COMP);
      const done: number[] = [];
      const cqe: ib_cqe = { done: (c, wc) => { expect(c).to.equal(cq); done.push(Number(wc.wr_id)); } };
      f.cqPost(cq, wcWith(cqe, 1));
      f.cqPost(cq, wcWith(cqe, 2, ib_wc_status.IB_WC_WR_FLUSH_ERR));
      expect(done, 'nothing runs inside the provider').to.deep.equal([]);
      f.clock.flush();
      expect(done).to.deep.equal([1, 2]);
      expect((cq as FakeCq).notify, 're-armed').to.equal(ib_cq_notify_flags.IB_CQ_NEXT_COMP);
      f.cqPost(cq, wcWith(cqe, 3));
      f.clock.flush();
      expect(done).to.deep.equal([1, 2, 3]);
      ib_free_cq(cq);
      expect(f.clock.pending).to.equal(0);
    });
  }
  it('SOFTIRQ: polls in batches of IB_POLL_BATCH and yields after IB_POLL_BUDGET_IRQ, rescheduling itself', () => {
    const f = createFakeDevice();
    const cq = ib_alloc_cq(f.dev, null, 4096, 0, ib_poll_context.IB_POLL_SOFTIRQ);
    let done = 0;
    const cqe: ib_cqe = { done: () => done++ };
    const total = IB_POLL_BUDGET_IRQ + 40;
    for (let i = 0; i < total; i++) f.cqPost(cq, wcWith(cqe, i));
    const before = f.calls.length;
    expect(f.clock.flush()).to.equal(2);
    expect(done).to.equal(total);
    const polls = f.calls.slice(before).filter((c) => c.startsWith('poll_cq'));
    expect(polls.every((c) => c === `poll_cq ${IB_POLL_BATCH}`)).to.equal(true);
  });
  it('re-polls when re-arming reports missed events (IB_CQ_REPORT_MISSED_EVENTS)', () => {
    const f = createFakeDevice();
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_SOFTIRQ);
    const done: number[] = [];
    const cqe: ib_cqe = {
      done: (_c, wc) => {
        done.push(Number(wc.wr_id));
        // arrives while the CQ is disarmed: no completion event for it
        if (wc.wr_id === 1) (cq as FakeCq).queue.push(wcWith(cqe, 2));
      },
    };
    f.cqPost(cq, wcWith(cqe, 1));
    expect(f.clock.flush(), 'the handler rescheduled itself once').to.equal(2);
    expect(done).to.deep.equal([1, 2]);
  });
  it('WARNs (KernelBug in strict mode) on a successful completion without wr_cqe', () => {
    const f = createFakeDevice();
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_SOFTIRQ);
    f.cqPost(cq, ib_wc_init({ wr_id: 5 }));
    expect(() => f.clock.flush()).to.throw(KernelBug);
  });
  it('rejects an unknown poll context with EINVAL and destroys the CQ again', () => {
    const f = createFakeDevice();
    expect(() => ib_alloc_cq(f.dev, null, 8, 0, 9 as ib_poll_context)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
    expect(f.calls.slice(-1)).to.deep.equal(['destroy_cq']);
  });
  it('passes provider errors (cqe above max_cqe)', () => {
    const f = createFakeDevice();
    expect(() => ib_alloc_cq(f.dev, null, 1 << 20, 0, ib_poll_context.IB_POLL_DIRECT)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
  });
});

describe('ib_alloc_cq: IB_POLL_DIRECT', () => {
  it('is not armed; ib_process_cq_direct polls in batches of 8 and calls done', () => {
    const f = createFakeDevice();
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
    expect((cq as FakeCq).notify).to.equal(0);
    let done = 0;
    const cqe: ib_cqe = { done: () => done++ };
    for (let i = 0; i < 20; i++) f.cqPost(cq, wcWith(cqe, i));
    expect(f.clock.pending).to.equal(0);
    expect(ib_process_cq_direct(cq, 5)).to.equal(5);
    expect(ib_process_cq_direct(cq, -1)).to.equal(15);
    expect(done).to.equal(20);
    expect(f.calls.filter((c) => c.startsWith('poll_cq')).slice(0, 2)).to.deep.equal(['poll_cq 5', 'poll_cq 8']);
  });
  it('WARNs on a completion event (the CQ must not be armed)', () => {
    const f = createFakeDevice();
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
    ib_req_notify_cq(cq, ib_cq_notify_flags.IB_CQ_NEXT_COMP);
    expect(() => f.cqPost(cq, ib_wc_init())).to.throw(KernelBug, /unsolicited completion/);
  });
});

describe('ib_req_notify_cq', () => {
  it('returns > 0 with IB_CQ_REPORT_MISSED_EVENTS when completions are waiting, else 0', () => {
    const f = createFakeDevice();
    const cq = ib_create_cq(f.dev, null, null, null, { cqe: 8, comp_vector: 0, flags: 0 });
    const flags = ib_cq_notify_flags.IB_CQ_NEXT_COMP | ib_cq_notify_flags.IB_CQ_REPORT_MISSED_EVENTS;
    expect(ib_req_notify_cq(cq, flags)).to.equal(0);
    (cq as FakeCq).queue.push(ib_wc_init());
    expect(ib_req_notify_cq(cq, flags)).to.be.greaterThan(0);
    expect(ib_req_notify_cq(cq, ib_cq_notify_flags.IB_CQ_NEXT_COMP)).to.equal(0);
  });
  it('IB_CQ_SOLICITED: only a solicited completion calls comp_handler (ib_create_cq)', () => {
    const f = createFakeDevice();
    const events: unknown[] = [];
    const cq = ib_create_cq(f.dev, (_c, ctx) => events.push(ctx), null, 'ctx', { cqe: 8, comp_vector: 0, flags: 0 });
    ib_req_notify_cq(cq, ib_cq_notify_flags.IB_CQ_SOLICITED);
    f.cqPost(cq, ib_wc_init());
    expect(events).to.deep.equal([]);
    f.cqPost(cq, ib_wc_init(), true);
    expect(events).to.deep.equal(['ctx']);
    expect(ib_poll_cq(cq, 8).length).to.equal(2);
  });
});

describe('ib_free_cq / ib_destroy_cq', () => {
  it('cancels a pending poll task', () => {
    const f = createFakeDevice();
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_WORKQUEUE);
    let done = 0;
    f.cqPost(cq, wcWith({ done: () => done++ }, 1));
    expect(f.clock.pending).to.equal(1);
    ib_free_cq(cq);
    f.clock.runUntilIdle();
    expect(done).to.equal(0);
    expect(f.calls.slice(-1)).to.deep.equal(['destroy_cq']);
  });
  it('throws EBUSY while a queue uses the CQ', () => {
    const f = createFakeDevice();
    const a = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_SOFTIRQ);
    a.usecnt = 1;
    expect(() => ib_free_cq(a)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EBUSY'));
    const b = ib_create_cq(f.dev, null, null, null, { cqe: 8, comp_vector: 0, flags: 0 });
    b.usecnt = 2;
    expect(() => ib_destroy_cq(b)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EBUSY'));
    b.usecnt = 0;
    ib_destroy_cq(b);
  });
});

describe('fromCq', () => {
  it('emits every completion the poll task polls (before done), then completes on ib_free_cq', () => {
    const f = createFakeDevice();
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_SOFTIRQ);
    const order: string[] = [];
    let completed = false;
    const sub = fromCq(cq).subscribe({ next: (wc) => order.push(`next ${String(wc.wr_id)}`), complete: () => (completed = true) });
    const cqe: ib_cqe = { done: (_c, wc) => order.push(`done ${String(wc.wr_id)}`) };
    f.cqPost(cq, wcWith(cqe, 1));
    f.cqPost(cq, wcWith(cqe, 2, ib_wc_status.IB_WC_REM_ACCESS_ERR));
    f.clock.flush();
    expect(order).to.deep.equal(['next 1', 'next 2', 'done 1', 'done 2']);
    ib_free_cq(cq);
    expect(completed).to.equal(true);
    expect(sub.closed).to.equal(true);
  });
  it('on an IB_POLL_DIRECT CQ emits what ib_poll_cq returns', () => {
    const f = createFakeDevice();
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
    const seen: ib_wc[] = [];
    const sub = fromCq(cq).subscribe((wc) => seen.push(wc));
    f.cqPost(cq, ib_wc_init({ wr_id: 9 }));
    expect(seen).to.deep.equal([]);
    const polled = ib_poll_cq(cq, 4);
    expect(seen).to.deep.equal(polled);
    sub.unsubscribe();
    ib_free_cq(cq);
  });
});
