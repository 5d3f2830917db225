import { expect } from 'chai';
import { createFakeDevice } from './_fake_provider.js';
import {
  ib_register_event_handler,
  ib_unregister_event_handler,
  ib_dispatch_event,
  ibRaiseEvent,
  ibEvents$,
  qpEvents$,
  cqEvents$,
} from '../../src/core/events.js';
import { INIT_IB_EVENT_HANDLER, ib_register_device, ib_unregister_device } from '../../src/core/device.js';
import { ib_alloc_pd, ib_create_qp } from '../../src/core/verbs.js';
import { ib_alloc_cq } from '../../src/core/cq.js';
import { ib_event_type, ib_qp_type, ib_sig_type, ib_poll_context, ib_wc_init, type ib_event } from '../../src/core/ib_verbs.h.js';

describe('ib_dispatch_event / ib_register_event_handler', () => {
  it('delivers device events to registered handlers in order and on ibEvents$', () => {
    const f = createFakeDevice();
    const seen: string[] = [];
    const h1 = INIT_IB_EVENT_HANDLER(f.dev, (_h, ev) => seen.push(`h1 ${ev.event}`));
    const h2 = INIT_IB_EVENT_HANDLER(f.dev, (_h, ev) => seen.push(`h2 ${ev.event}`));
    ib_register_event_handler(h1);
    ib_register_event_handler(h2);
    const sub = ibEvents$(f.dev).subscribe((ev) => seen.push(`stream ${ev.event}`));
    ib_dispatch_event({ device: f.dev, element: { port_num: 1 }, event: ib_event_type.IB_EVENT_PORT_ACTIVE });
    ib_unregister_event_handler(h1);
    ib_dispatch_event({ device: f.dev, element: { port_num: 1 }, event: ib_event_type.IB_EVENT_PORT_ERR });
    expect(seen).to.deep.equal(['h1 9', 'h2 9', 'stream 9', 'h2 10', 'stream 10']);
    sub.unsubscribe();
  });
});

describe('ibRaiseEvent', () => {
  it("calls the QP's event_handler with qp_context and emits on qpEvents$ only for that QP", () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const cq = ib_alloc_cq(f.dev, null, 8, 0, ib_poll_context.IB_POLL_DIRECT);
    const got: [ib_event, unknown][] = [];
    const init = { send_cq: cq, recv_cq: cq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR, cap: { max_send_wr: 1, max_recv_wr: 1, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 } };
    const qp = ib_create_qp(pd, { ...init, event_handler: (ev, ctx) => got.push([ev, ctx]), qp_context: 'c1' });
    const other = ib_create_qp(pd, init);
    const streamed: ib_event[] = [];
    const sub = qpEvents$(qp).subscribe((ev) => streamed.push(ev));
    const ev = { device: f.dev, element: { qp }, event: ib_event_type.IB_EVENT_QP_FATAL };
    ibRaiseEvent(ev);
    ibRaiseEvent({ device: f.dev, element: { qp: other }, event: ib_event_type.IB_EVENT_QP_FATAL });
    expect(got).to.deep.equal([[ev, 'c1']]);
    expect(streamed).to.deep.equal([ev]);
    sub.unsubscribe();
  });
  it('raises IB_EVENT_CQ_ERR to the CQ event_handler on overrun (provider path)', () => {
    const f = createFakeDevice();
    const cq = ib_alloc_cq(f.dev, 'ctx', 1, 0, ib_poll_context.IB_POLL_DIRECT);
    const got: unknown[] = [];
    cq.event_handler = (ev, ctx) => got.push([ev.event, ctx]);
    const streamed: ib_event[] = [];
    const sub = cqEvents$(cq).subscribe((ev) => streamed.push(ev));
    f.cqPost(cq, ib_wc_init());
    f.cqPost(cq, ib_wc_init());
    expect(got).to.deep.equal([[ib_event_type.IB_EVENT_CQ_ERR, 'ctx']]);
    expect(streamed.length).to.equal(1);
    sub.unsubscribe();
  });
  it('routes an event without an object element to the device handlers', () => {
    const f = createFakeDevice();
    const seen: number[] = [];
    ib_register_event_handler(INIT_IB_EVENT_HANDLER(f.dev, (_h, ev) => seen.push(ev.event)));
    ibRaiseEvent({ device: f.dev, element: {}, event: ib_event_type.IB_EVENT_DEVICE_FATAL });
    expect(seen).to.deep.equal([ib_event_type.IB_EVENT_DEVICE_FATAL]);
  });
  it('ibEvents$ completes when the device is unregistered', () => {
    const f = createFakeDevice();
    ib_register_device(f.dev);
    let completed = false;
    ibEvents$(f.dev).subscribe({ complete: () => (completed = true) });
    ib_unregister_device(f.dev);
    expect(completed).to.equal(true);
  });
});
