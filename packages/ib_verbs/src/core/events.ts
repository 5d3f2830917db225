/**
 * events - asynchronous events: delivery to the affected object's `event_handler` and to the
 * device's registered handlers, and the same events as RxJS streams.
 *
 * Kernel: drivers/infiniband/core/device.c ib_register_event_handler(),
 * ib_unregister_event_handler(), ib_dispatch_event(); include/rdma/ib_verbs.h struct ib_event;
 * drivers/infiniband/sw/rxe/rxe_qp.c / rxe_cq.c (how a driver raises QP/CQ events: it calls the
 * object's event_handler with the object's context)
 *
 * Operation
 * ---------
 * - Device-scope events (IB_EVENT_PORT_ACTIVE, PORT_ERR, DEVICE_FATAL, GID_CHANGE, ...): the
 *   provider calls `ib_dispatch_event(ev)`, which calls every handler registered with
 *   `ib_register_event_handler()` in registration order.
 * - Object-scope events (QP_FATAL, QP_REQ_ERR, QP_ACCESS_ERR, COMM_EST, SQ_DRAINED,
 *   QP_LAST_WQE_REACHED; CQ_ERR (CQ overrun); SRQ_ERR, SRQ_LIMIT_REACHED): the provider calls
 *   `ibRaiseEvent(ev)`, which calls `element.qp|cq|srq.event_handler(ev, <object>_context)` if
 *   set (as rxe does inline).
 * - Every event of a device, either scope, is also emitted on `ibEvents$(dev)` (a hot stream;
 *   `qpEvents$`, `cqEvents$`, `srqEvents$` filter it). Emission happens synchronously, after the
 *   handlers ran. The streams complete when the device is unregistered (`ibEventsComplete`).
 *
 * Handlers run in the caller's context (the provider's task on the SimClock); like the kernel's,
 * they must not destroy the object the event is about.
 */
import { Subject, filter, type Observable } from 'rxjs';
import type { ib_event } from './ib_verbs.h.js';
import type { ib_device, ib_event_handler, ib_qp, ib_cq, ib_srq } from './device.js';

const streams = new WeakMap<ib_device, Subject<ib_event>>();

function subjectOf(dev: ib_device): Subject<ib_event> {
  let s = streams.get(dev);
  if (s === undefined) {
    s = new Subject<ib_event>();
    streams.set(dev, s);
  }
  return s;
}

function emit(ev: ib_event): void {
  const s = streams.get(ev.device);
  if (s !== undefined && !s.closed) s.next(ev);
}

/**
 * ib_register_event_handler - register a device-level async event handler.
 * Kernel: drivers/infiniband/core/device.c ib_register_event_handler()
 * @example
 * ```ts
 * const h = INIT_IB_EVENT_HANDLER(dev, (_h, ev) => console.log(ib_event_msg(ev.event)));
 * ib_register_event_handler(h);
 * ```
 */
export function ib_register_event_handler(event_handler: ib_event_handler): void {
  const list = event_handler.device.event_handler_list;
  if (!list.includes(event_handler)) list.push(event_handler);
}

/**
 * ib_unregister_event_handler - unregister a device-level handler (no-op if not registered).
 * Kernel: drivers/infiniband/core/device.c ib_unregister_event_handler()
 */
export function ib_unregister_event_handler(event_handler: ib_event_handler): void {
  const list = event_handler.device.event_handler_list;
  const i = list.indexOf(event_handler);
  if (i >= 0) list.splice(i, 1);
}

/**
 * ib_dispatch_event - deliver a device-scope event to every registered handler, then emit it
 * on `ibEvents$(dev)`.
 * Kernel: drivers/infiniband/core/device.c ib_dispatch_event()
 * @example
 * ```ts
 * ib_dispatch_event({ device: dev, element: { port_num: 1 }, event: ib_event_type.IB_EVENT_PORT_ACTIVE });
 * ```
 */
export function ib_dispatch_event(event: ib_event): void {
  for (const h of [...event.device.event_handler_list]) h.handler(h, event);
  emit(event);
}

/**
 * ibRaiseEvent - emulator-only: deliver an object-scope event (QP, CQ or SRQ) the way drivers
 * do: call `element.<obj>.event_handler(event, <obj>_context)` if set, then emit on the streams.
 * Events without a qp/cq/srq element go to ib_dispatch_event().
 * @example CQ overrun (rxe_cq_post)
 * ```ts
 * ibRaiseEvent({ device: cq.device, element: { cq }, event: ib_event_type.IB_EVENT_CQ_ERR });
 * ```
 */
export function ibRaiseEvent(event: ib_event): void {
  const { qp, cq, srq } = event.element;
  if (qp !== undefined) {
    if (qp.event_handler) qp.event_handler(event, qp.qp_context);
  } else if (cq !== undefined) {
    if (cq.event_handler) cq.event_handler(event, cq.cq_context);
  } else if (srq !== undefined) {
    if (srq.event_handler) srq.event_handler(event, srq.srq_context);
  } else {
    ib_dispatch_event(event);
    return;
  }
  emit(event);
}

/**
 * ibEvents$ - every async event of a device (device- and object-scope), hot; completes when the
 * device is unregistered.
 * @example
 * ```ts
 * const sub = ibEvents$(dev).subscribe((ev) => log(ib_event_msg(ev.event)));
 * ```
 */
export function ibEvents$(dev: ib_device): Observable<ib_event> {
  return subjectOf(dev).asObservable();
}

/** qpEvents$ - the async events of one QP (filtered ibEvents$). */
export function qpEvents$(qp: ib_qp): Observable<ib_event> {
  return ibEvents$(qp.device).pipe(filter((ev) => ev.element.qp === qp));
}

/** cqEvents$ - the async events of one CQ (IB_EVENT_CQ_ERR). */
export function cqEvents$(cq: ib_cq): Observable<ib_event> {
  return ibEvents$(cq.device).pipe(filter((ev) => ev.element.cq === cq));
}

/** srqEvents$ - the async events of one SRQ. */
export function srqEvents$(srq: ib_srq): Observable<ib_event> {
  return ibEvents$(srq.device).pipe(filter((ev) => ev.element.srq === srq));
}

/** ibEventsComplete - emulator-only: complete the device's event streams (device removal). */
export function ibEventsComplete(dev: ib_device): void {
  const s = streams.get(dev);
  if (s !== undefined) {
    s.complete();
    streams.delete(dev);
  }
}
