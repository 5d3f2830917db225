/**
 * cma.spec - rdma_cm on two emulated hosts: rdma-core tests/test_rdmacm.py semantics (connect,
 * reject with private data, disconnect from either side, traffic after connect), the unused
 * port and vanished peer cases on virtual time, private data round trips, the wire form of the
 * REQ, the event stream order and device removal.
 */
import { expect } from 'chai';
import { alloc_contig_pages, dma_map_phys, DMA_BIDIRECTIONAL, page_to_phys, PAGE_SIZE } from '@rdmaemu/dma-core';
import { frameBytes } from '../../src/fabric/frame.js';
import {
  rdma_create_id, rdma_resolve_addr, rdma_resolve_route, rdma_create_qp, rdma_destroy_qp, rdma_listen, rdma_bind_addr,
  rdma_connect, rdma_accept, rdma_reject, rdma_disconnect, rdma_destroy_id, cmaEvents$, rdma_event_msg, rdma_reject_msg,
  rdma_consumer_reject_data, rdma_get_service_id, sockaddrIn, rdma_cm_event_type as E, RDMA_PS_TCP, CMA_HDR_SIZE,
  rdmaCmState, rdma_cm_state, trace_cm_event_handler, trace_cm_send_req, type rdma_cm_id, type rdma_cm_event, type rdma_conn_param,
} from '../../src/core/cma.js';
import { ib_cm_rej_reason } from '../../src/core/cm.js';
import type { Observable } from 'rxjs';
import { ib_unregister_device, type ib_cq, type ib_pd } from '../../src/core/device.js';
import { ib_alloc_pd, ib_dealloc_pd, ib_post_recv, ib_post_send, ib_query_qp } from '../../src/core/verbs.js';
import { ib_alloc_cq, ib_free_cq, ib_poll_cq } from '../../src/core/cq.js';
import {
  ib_poll_context, ib_qp_state, ib_qp_type, ib_send_flags, ib_sig_type, ib_wc_status, ib_wr_opcode, type ib_wc,
} from '../../src/core/ib_verbs.h.js';
import { cmaBed, cmaUnload, run, type CmaBed } from './_cma_bed.js';
import { regMr, type HostCtx } from '../conformance/_std_pair.js';

const PORT = 20049;

interface Side {
  h: HostCtx;
  pd: ib_pd;
  cq: ib_cq;
  events: rdma_cm_event[];
  id: rdma_cm_id;
}

function param(pd?: Uint8Array): rdma_conn_param {
  return {
    private_data: pd ?? null, private_data_len: pd?.length ?? 0, responder_resources: 1, initiator_depth: 1, flow_control: 0,
    retry_count: 7, rnr_retry_count: 7, srq: 0, qp_num: 0,
  };
}

function qpAttr(cq: ib_cq) {
  return {
    send_cq: cq, recv_cq: cq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
    cap: { max_send_wr: 16, max_recv_wr: 16, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 },
  };
}

function names(evs: rdma_cm_event[]): string[] {
  return evs.map((e) => E[e.event]!.replace('RDMA_CM_EVENT_', ''));
}

/** The passive side: a listener whose CONNECT_REQUESTs are collected (accepted later by the test). */
function listener(bed: CmaBed, port = PORT) {
  const reqs: rdma_cm_id[] = [];
  const byId = new Map<rdma_cm_id, rdma_cm_event[]>();
  const events: rdma_cm_event[] = [];
  const id = rdma_create_id(bed.b.fh, (cid, ev) => {
    if (ev.event === E.RDMA_CM_EVENT_CONNECT_REQUEST) reqs.push(cid);
    let l = byId.get(cid);
    if (!l) byId.set(cid, (l = []));
    l.push(ev);
    if (cid === id) events.push(ev);
    return 0;
  }, 'srv', RDMA_PS_TCP, ib_qp_type.IB_QPT_RC);
  rdma_bind_addr(id, sockaddrIn('10.0.0.2', port));
  rdma_listen(id, 8);
  return { id, reqs, byId, events };
}

function sideOf(h: HostCtx): Omit<Side, 'id' | 'events'> {
  const pd = ib_alloc_pd(h.dev);
  const cq = ib_alloc_cq(h.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
  return { h, pd, cq };
}

/** Active side up to ROUTE_RESOLVED with a QP. */
function client(bed: CmaBed, dst = '10.0.0.2', port = PORT, withQp = true): Side {
  const s = sideOf(bed.a);
  const events: rdma_cm_event[] = [];
  const id = rdma_create_id(bed.a.fh, (_cid, ev) => { events.push(ev); return 0; }, 'cli', RDMA_PS_TCP, ib_qp_type.IB_QPT_RC);
  rdma_resolve_addr(id, null, sockaddrIn(dst, port), 2000);
  run(bed.clock, 3000, () => events.length > 0);
  if (events.at(-1)?.event !== E.RDMA_CM_EVENT_ADDR_RESOLVED) return { ...s, id, events };
  rdma_resolve_route(id, 2000);
  run(bed.clock, 100, () => events.length > 1);
  if (withQp) rdma_create_qp(id, s.pd, qpAttr(s.cq));
  return { ...s, id, events };
}

function evOf(list: rdma_cm_event[], e: E): rdma_cm_event | undefined {
  return list.find((x) => x.event === e);
}

/** connect + accept; returns the server's connection side. */
function establish(bed: CmaBed, reqData?: Uint8Array, repData?: Uint8Array) {
  const srv = listener(bed);
  const cli = client(bed);
  rdma_connect(cli.id, param(reqData));
  run(bed.clock, 100, () => srv.reqs.length > 0);
  expect(srv.reqs, 'CONNECT_REQUEST').to.have.length(1);
  const conn = srv.reqs[0]!;
  const s = sideOf(bed.b);
  rdma_create_qp(conn, s.pd, qpAttr(s.cq));
  rdma_accept(conn, param(repData));
  run(bed.clock, 100, () => evOf(cli.events, E.RDMA_CM_EVENT_ESTABLISHED) !== undefined &&
    evOf(srv.byId.get(conn)!, E.RDMA_CM_EVENT_ESTABLISHED) !== undefined);
  const server: Side = { ...s, id: conn, events: srv.byId.get(conn)! };
  return { srv, cli, server };
}

function teardown(...sides: Side[]): void {
  for (const s of sides) {
    rdma_destroy_qp(s.id);
    rdma_destroy_id(s.id);
  }
}

function buf(h: HostCtx, len: number, fill: number) {
  const pg = alloc_contig_pages(h.fh.dma.mem, Math.ceil(len / PAGE_SIZE))!;
  const phys = page_to_phys(pg);
  const addr = dma_map_phys(h.dev.dma_device, phys, Math.ceil(len / PAGE_SIZE) * PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
  const view = h.fh.dma.mem.view(phys, len);
  view.fill(fill);
  return { addr, view, len };
}

function poll(bed: CmaBed, cq: ib_cq, n = 1): ib_wc[] {
  const out: ib_wc[] = [];
  run(bed.clock, 100, () => {
    out.push(...ib_poll_cq(cq, 16));
    return out.length >= n;
  });
  return out;
}

describe('rdma_cm (drivers/infiniband/core/cma.c)', () => {
  let bed: CmaBed;
  beforeEach(() => { bed = cmaBed(); });
  afterEach(() => { bed.close(); });

  describe('test_rdmacm.py: connect', () => {
    it('resolves address and route, connects, and both sides reach ESTABLISHED with QPs in RTS', () => {
      const { srv, cli, server } = establish(bed);
      expect(names(cli.events)).to.deep.equal(['ADDR_RESOLVED', 'ROUTE_RESOLVED', 'ESTABLISHED']);
      expect(names(server.events)).to.deep.equal(['CONNECT_REQUEST', 'ESTABLISHED']);
      expect(cli.events.every((e) => e.status === 0)).to.equal(true);
      const a = ib_query_qp(cli.id.qp!, 0).attr;
      const b = ib_query_qp(server.id.qp!, 0).attr;
      expect(a.qp_state).to.equal(ib_qp_state.IB_QPS_RTS);
      expect(b.qp_state).to.equal(ib_qp_state.IB_QPS_RTS);
      expect(a.dest_qp_num).to.equal(server.id.qp!.qp_num);
      expect(b.dest_qp_num).to.equal(cli.id.qp!.qp_num);
      // PSNs: each side's send PSN is the peer's receive PSN (REQ/REP starting PSNs)
      expect(a.sq_psn).to.equal(b.rq_psn);
      expect(b.sq_psn).to.equal(a.rq_psn);
      expect(rdmaCmState(srv.id)).to.equal(rdma_cm_state.RDMA_CM_LISTEN);
      teardown(cli, server);
      rdma_destroy_id(srv.id);
    });

    it('carries the consumer private data of the REQ and the REP, IP CM header stripped', () => {
      const hello = new TextEncoder().encode('hello from client');
      const welcome = new TextEncoder().encode('welcome');
      const { srv, cli, server } = establish(bed, hello, welcome);
      const req = evOf(server.events, E.RDMA_CM_EVENT_CONNECT_REQUEST)!;
      expect(req.param.conn.private_data_len).to.equal(92 - CMA_HDR_SIZE);
      expect(Array.from(req.param.conn.private_data!.subarray(0, hello.length))).to.deep.equal(Array.from(hello));
      expect(req.param.conn.qp_num).to.equal(cli.id.qp!.qp_num);
      expect(server.id.route.addr.dst_addr.sin_addr.s_addr).to.equal(0x0a000001);
      expect(server.id.route.addr.dst_addr.sin_port).to.equal(cli.id.route.addr.src_addr.sin_port);
      const est = evOf(cli.events, E.RDMA_CM_EVENT_ESTABLISHED)!;
      expect(est.param.conn.private_data_len).to.equal(196);
      expect(Array.from(est.param.conn.private_data!.subarray(0, welcome.length))).to.deep.equal(Array.from(welcome));
      expect(est.param.conn.qp_num).to.equal(server.id.qp!.qp_num);
      teardown(cli, server);
      rdma_destroy_id(srv.id);
    });

    it('moves traffic after connect: SEND/RECV and RDMA WRITE over the CM-established QPs', () => {
      const { srv, cli, server } = establish(bed);
      const src = buf(bed.a, 4096, 0x61);
      const dst = buf(bed.b, 4096, 0x62);
      ib_post_recv(server.id.qp!, { wr_id: 1, sg_list: [{ addr: dst.addr, length: 4096, lkey: server.pd.local_dma_lkey }] });
      ib_post_send(cli.id.qp!, { wr_id: 2, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        sg_list: [{ addr: src.addr, length: 1000, lkey: cli.pd.local_dma_lkey }] });
      const [swc] = poll(bed, cli.cq);
      const [rwc] = poll(bed, server.cq);
      expect(swc!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
      expect(rwc!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
      expect(rwc!.byte_len).to.equal(1000);
      expect(dst.view[999]).to.equal(0x61);
      expect(dst.view[1000]).to.equal(0x62);
      // RDMA WRITE into an FRWR-registered region on the server
      const mr = regMr(bed, server.pd, { host: bed.b, addr: dst.addr, len: 4096, view: dst.view });
      src.view.fill(0x63);
      ib_post_send(cli.id.qp!, { wr_id: 3, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        sg_list: [{ addr: src.addr, length: 4096, lkey: cli.pd.local_dma_lkey }], remote_addr: dst.addr, rkey: mr.rkey } as never);
      const [wwc] = poll(bed, cli.cq);
      expect(wwc!.status).to.equal(ib_wc_status.IB_WC_SUCCESS);
      expect(dst.view.every((x) => x === 0x63)).to.equal(true);
      teardown(cli, server);
      rdma_destroy_id(srv.id);
    });
  });

  describe('test_rdmacm.py: reject', () => {
    it('delivers REJECTED with IB_CM_REJ_CONSUMER_DEFINED and the rejecting ULP\'s private data', () => {
      const srv = listener(bed);
      const cli = client(bed);
      rdma_connect(cli.id, param());
      run(bed.clock, 100, () => srv.reqs.length > 0);
      const why = new TextEncoder().encode('go away');
      rdma_reject(srv.reqs[0]!, why, why.length, ib_cm_rej_reason.IB_CM_REJ_CONSUMER_DEFINED);
      run(bed.clock, 100, () => evOf(cli.events, E.RDMA_CM_EVENT_REJECTED) !== undefined);
      const ev = evOf(cli.events, E.RDMA_CM_EVENT_REJECTED)!;
      expect(ev.status).to.equal(28);
      expect(rdma_reject_msg(cli.id, ev.status)).to.equal('consumer defined');
      const { data, data_len } = rdma_consumer_reject_data(cli.id, ev);
      expect(data_len).to.equal(148);
      expect(new TextDecoder().decode(data!.subarray(0, why.length))).to.equal('go away');
      expect(ib_query_qp(cli.id.qp!, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_ERR);
      rdma_destroy_id(srv.reqs[0]!);
      teardown(cli);
      rdma_destroy_id(srv.id);
    });

    it('rejects a connect to a port nobody listens on with IB_CM_REJ_INVALID_SERVICE_ID, without hanging', () => {
      const cli = client(bed, '10.0.0.2', 4242);
      const t0 = bed.clock.ktime_get();
      rdma_connect(cli.id, param());
      run(bed.clock, 100, () => evOf(cli.events, E.RDMA_CM_EVENT_REJECTED) !== undefined);
      const ev = evOf(cli.events, E.RDMA_CM_EVENT_REJECTED)!;
      expect(ev, 'REJECTED').to.not.equal(undefined);
      expect(ev.status).to.equal(ib_cm_rej_reason.IB_CM_REJ_INVALID_SERVICE_ID);
      expect(rdma_reject_msg(cli.id, ev.status)).to.equal('invalid service ID');
      expect(rdma_consumer_reject_data(cli.id, ev).data).to.equal(null);
      expect(bed.clock.ktime_get() - t0).to.be.at.most(1_000_000);
      teardown(cli);
    });

    it('a handler returning non-zero on CONNECT_REQUEST rejects the request and destroys the new id', () => {
      let newId: rdma_cm_id | null = null;
      const id = rdma_create_id(bed.b.fh, (cid, ev) => {
        if (ev.event === E.RDMA_CM_EVENT_CONNECT_REQUEST) { newId = cid; return -1; }
        return 0;
      }, null, RDMA_PS_TCP, ib_qp_type.IB_QPT_RC);
      rdma_bind_addr(id, sockaddrIn('0.0.0.0', PORT));
      rdma_listen(id, 1);
      const cli = client(bed);
      rdma_connect(cli.id, param());
      run(bed.clock, 100, () => evOf(cli.events, E.RDMA_CM_EVENT_REJECTED) !== undefined);
      expect(evOf(cli.events, E.RDMA_CM_EVENT_REJECTED)!.status).to.equal(28);
      expect(rdmaCmState(newId!)).to.equal(rdma_cm_state.RDMA_CM_DESTROYING);
      teardown(cli);
      rdma_destroy_id(id);
    });
  });

  describe('test_rdmacm.py: disconnect', () => {
    for (const from of ['client', 'server'] as const) {
      it(`disconnects from the ${from}: DISCONNECTED on both sides, then TIMEWAIT_EXIT`, () => {
        const { srv, cli, server } = establish(bed);
        const [first, second] = from === 'client' ? [cli, server] : [server, cli];
        rdma_disconnect(first.id);
        run(bed.clock, 100, () => evOf(second.events, E.RDMA_CM_EVENT_DISCONNECTED) !== undefined);
        expect(evOf(second.events, E.RDMA_CM_EVENT_DISCONNECTED)?.status).to.equal(0);
        rdma_disconnect(second.id);
        run(bed.clock, 100, () => evOf(first.events, E.RDMA_CM_EVENT_DISCONNECTED) !== undefined);
        expect(evOf(first.events, E.RDMA_CM_EVENT_DISCONNECTED)?.status).to.equal(0);
        expect(ib_query_qp(first.id.qp!, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_ERR);
        expect(ib_query_qp(second.id.qp!, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_ERR);
        run(bed.clock, 20_000, () => evOf(first.events, E.RDMA_CM_EVENT_TIMEWAIT_EXIT) !== undefined &&
          evOf(second.events, E.RDMA_CM_EVENT_TIMEWAIT_EXIT) !== undefined);
        expect(names(first.events).slice(-2)).to.deep.equal(['DISCONNECTED', 'TIMEWAIT_EXIT']);
        expect(names(second.events).slice(-2)).to.deep.equal(['DISCONNECTED', 'TIMEWAIT_EXIT']);
        teardown(cli, server);
        rdma_destroy_id(srv.id);
      });
    }
  });

  describe('CM timeouts (virtual time)', () => {
    it('ends in UNREACHABLE (-ETIMEDOUT) when the peer vanished before the REQ: 16 REQs, ~6.1 s apart', () => {
      const cli = client(bed);
      let reqs = 0;
      const sub = bed.fabric.tap$.subscribe((r) => {
        const b = frameBytes(r.frame);
        if (b.length > 80 && b[42] === 0x64 && b[42 + 36] === 0x00 && b[42 + 37] === 0x10 && b[26] === 10 && b[29] === 1) reqs++;
      });
      bed.fabric.setLinkUp('server', false);
      const t0 = bed.clock.ktime_get();
      rdma_connect(cli.id, param());
      run(bed.clock, 200_000, () => evOf(cli.events, E.RDMA_CM_EVENT_UNREACHABLE) !== undefined);
      sub.unsubscribe();
      const ev = evOf(cli.events, E.RDMA_CM_EVENT_UNREACHABLE)!;
      expect(ev, 'UNREACHABLE').to.not.equal(undefined);
      expect(ev.status).to.equal(-110);
      const s = (bed.clock.ktime_get() - t0) / 1e9;
      // (1 + max_cm_retries 15) × (2 × 2^(18-8) + 2^(20-8)) ms = 16 × 6.144 s
      expect(s).to.be.within(98, 99);
      expect(reqs).to.be.at.least(16);
      teardown(cli);
    });

    it('ends in DISCONNECTED (-ETIMEDOUT) after the DREQ retries when the peer vanished', () => {
      const { srv, cli, server } = establish(bed);
      bed.fabric.setLinkUp('server', false);
      rdma_disconnect(cli.id);
      run(bed.clock, 200_000, () => evOf(cli.events, E.RDMA_CM_EVENT_DISCONNECTED) !== undefined);
      const ev = evOf(cli.events, E.RDMA_CM_EVENT_DISCONNECTED)!;
      expect(ev, 'DISCONNECTED').to.not.equal(undefined);
      expect(ev.status).to.equal(-110);
      bed.fabric.setLinkUp('server', true);
      teardown(cli, server);
      rdma_destroy_id(srv.id);
    });

    it('reports ADDR_ERROR for an address no neighbour answers, after timeout_ms', () => {
      const c = client(bed, '10.0.0.99');
      expect(names(c.events)).to.deep.equal(['ADDR_ERROR']);
      expect(c.events[0]!.status).to.equal(-110);
      expect(rdmaCmState(c.id)).to.equal(rdma_cm_state.RDMA_CM_ADDR_BOUND);
      rdma_destroy_id(c.id);
    });
  });

  describe('events', () => {
    it('cmaEvents$ emits the same events as the handler, in order, and completes on rdma_destroy_id', () => {
      const srv = listener(bed);
      const s = sideOf(bed.a);
      const handled: string[] = [];
      const streamed: string[] = [];
      let completed = false;
      const id = rdma_create_id(bed.a.fh, (_c, ev) => { handled.push(rdma_event_msg(ev.event)); return 0; }, null, RDMA_PS_TCP, ib_qp_type.IB_QPT_RC);
      cmaEvents$(id).subscribe({ next: (ev) => streamed.push(rdma_event_msg(ev.event)), complete: () => { completed = true; } });
      const lst: string[] = [];
      cmaEvents$(srv.id).subscribe((ev) => lst.push(`${E[ev.event]}${ev.id === srv.id ? '' : ' (new id)'}`));
      rdma_resolve_addr(id, null, sockaddrIn('10.0.0.2', PORT), 1000);
      run(bed.clock, 10, () => handled.length === 1);
      rdma_resolve_route(id, 1000);
      run(bed.clock, 10, () => handled.length === 2);
      rdma_create_qp(id, s.pd, qpAttr(s.cq));
      rdma_connect(id, param());
      run(bed.clock, 100, () => srv.reqs.length === 1);
      const conn = srv.reqs[0]!;
      const ss = sideOf(bed.b);
      rdma_create_qp(conn, ss.pd, qpAttr(ss.cq));
      rdma_accept(conn, param());
      run(bed.clock, 100, () => handled.length === 3);
      expect(handled).to.deep.equal(['address resolved', 'route resolved ', 'established']);
      expect(streamed).to.deep.equal(handled);
      expect(lst).to.deep.equal(['RDMA_CM_EVENT_CONNECT_REQUEST (new id)']);
      rdma_destroy_qp(id);
      rdma_destroy_id(id);
      expect(completed).to.equal(true);
      rdma_destroy_qp(conn);
      rdma_destroy_id(conn);
      rdma_destroy_id(srv.id);
    });

    it('rdma_event_msg has the kernel strings', () => {
      expect(rdma_event_msg(E.RDMA_CM_EVENT_ADDR_RESOLVED)).to.equal('address resolved');
      expect(rdma_event_msg(E.RDMA_CM_EVENT_ROUTE_RESOLVED)).to.equal('route resolved ');
      expect(rdma_event_msg(E.RDMA_CM_EVENT_TIMEWAIT_EXIT)).to.equal('timewait exit');
      expect(rdma_event_msg(99 as E)).to.equal('unrecognized event');
      expect(E.RDMA_CM_EVENT_DEVICE_REMOVAL).to.equal(11);
    });

    it('delivers DEVICE_REMOVAL to the ids on a device being unregistered', () => {
      const { srv, cli, server } = establish(bed);
      ib_unregister_device(bed.b.dev);
      expect(names(server.events).at(-1)).to.equal('DEVICE_REMOVAL');
      expect(names(srv.events).at(-1)).to.equal('DEVICE_REMOVAL');
      expect(rdmaCmState(server.id)).to.equal(rdma_cm_state.RDMA_CM_DEVICE_REMOVAL);
      rdma_destroy_qp(server.id);
      rdma_destroy_id(server.id);
      rdma_destroy_id(srv.id);
      teardown(cli);
    });
  });

  describe('wire: the REQ as the Linux kernel sends it (LINUX-PEER.md)', () => {
    it('is a UD SEND_ONLY to QP1 with Q_Key 0x80010000, a CM MAD with the IP CM service ID and header', () => {
      const srv = listener(bed);
      const cli = client(bed);
      const frames: Uint8Array[] = [];
      const sub = bed.fabric.tap$.subscribe((r) => frames.push(frameBytes(r.frame)));
      rdma_connect(cli.id, param(new Uint8Array([0xf6, 0xab, 0x0e, 0x18, 1, 1, 3, 3])));
      run(bed.clock, 1, () => frames.length > 0);
      sub.unsubscribe();
      const f = frames[0]!;
      const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
      expect(dv.getUint16(36)).to.equal(4791); // UDP dport
      expect(dv.getUint16(38)).to.equal(8 + 12 + 8 + 256 + 4); // UDP length: BTH+DETH+MAD+ICRC
      const bth = 42;
      expect(f[bth]).to.equal(0x64); // UD SEND_ONLY
      expect(dv.getUint16(bth + 2)).to.equal(0xffff); // P_Key
      expect(dv.getUint32(bth + 4) & 0xffffff).to.equal(1); // DestQP 1
      expect(dv.getUint32(bth + 12)).to.equal(0x80010000); // DETH Q_Key
      expect(dv.getUint32(bth + 16) & 0xffffff).to.equal(1); // SrcQP 1
      const mad = bth + 20;
      expect(Array.from(f.subarray(mad, mad + 4))).to.deep.equal([1, 7, 2, 3]);
      expect(dv.getUint16(mad + 16)).to.equal(0x0010);
      const req = mad + 24;
      expect(dv.getBigUint64(req + 8)).to.equal(rdma_get_service_id(cli.id, sockaddrIn('10.0.0.2', PORT)));
      expect(dv.getBigUint64(req + 8)).to.equal(0x0000000001064e51n);
      expect(dv.getUint32(req + 32) >>> 8).to.equal(cli.id.qp!.qp_num);
      expect(f[req + 43]! >>> 3).to.equal(20); // remote CM response timeout
      expect(f[req + 47]! >>> 3).to.equal(20); // local CM response timeout
      expect(f[req + 47]! & 7).to.equal(7); // retry count
      expect(f[req + 51]! >>> 4).to.equal(15); // max CM retries
      expect(dv.getUint16(req + 52)).to.equal(0xffff);
      expect(f[req + 93]).to.equal(64); // hop limit
      expect(f[req + 95]! >>> 3).to.equal(19); // local ACK timeout 0x13
      expect(Array.from(f.subarray(req + 56 + 10, req + 56 + 16))).to.deep.equal([0xff, 0xff, 10, 0, 0, 1]);
      expect(Array.from(f.subarray(req + 72 + 10, req + 72 + 16))).to.deep.equal([0xff, 0xff, 10, 0, 0, 2]);
      const pd = req + 140;
      expect(f[pd]).to.equal(0); // cma_version
      expect(f[pd + 1]! >>> 4).to.equal(4); // IPv4
      expect(dv.getUint16(pd + 2)).to.equal(cli.id.route.addr.src_addr.sin_port);
      expect(dv.getUint32(pd + 16)).to.equal(0x0a000001);
      expect(dv.getUint32(pd + 32)).to.equal(0x0a000002);
      expect(Array.from(f.subarray(pd + 36, pd + 44))).to.deep.equal([0xf6, 0xab, 0x0e, 0x18, 1, 1, 3, 3]);
      // flow label = sport * 31 + dport (20 bits)
      const fl = (cli.id.route.addr.src_addr.sin_port * 31 + PORT) % 0x100000;
      expect(dv.getUint32(req + 88) >>> 12).to.equal(fl);
      run(bed.clock, 100, () => srv.reqs.length > 0);
      rdma_destroy_id(srv.reqs[0]!);
      teardown(cli);
      rdma_destroy_id(srv.id);
    });
  });

  describe('tracepoints (cma_trace.h, cm_trace.h)', () => {
    it('prints rdma_cma:cm_event_handler and cm_send_req in the kernel formats', () => {
      const lines: string[] = [];
      const subs = [trace_cm_event_handler, trace_cm_send_req].map((tp) =>
        (tp.events$ as Observable<{ name: string; text: string }>).subscribe((e) => lines.push(e.text.slice(e.text.indexOf(e.name)))));
      const cli = client(bed, '10.0.0.2', 4242);
      rdma_connect(cli.id, param());
      run(bed.clock, 100, () => evOf(cli.events, E.RDMA_CM_EVENT_REJECTED) !== undefined);
      const qpn = cli.id.qp!.qp_num;
      rdma_destroy_qp(cli.id);
      rdma_destroy_id(cli.id);
      for (const s of subs) s.unsubscribe();
      const sport = cli.id.route.addr.src_addr.sin_port;
      expect(lines).to.include(`cm_send_req: cm.id=${(cli.id as unknown as { res_id: number }).res_id} src=10.0.0.1:${sport} dst=10.0.0.2:4242 tos=0 qp_num=${qpn}`);
      expect(lines.some((l) => /^cm_event_handler: cm\.id=\d+ src=10\.0\.0\.1:\d+ dst=10\.0\.0\.2:4242 tos=0 REJECTED \(8\/8\)$/.test(l))).to.equal(true);
      expect(lines.some((l) => l.startsWith('cm_event_handler:') && l.endsWith('ADDR_RESOLVED (0/0)'))).to.equal(true);
    });
  });

  describe('argument checks', () => {
    it('refuses consumer private data beyond 56 bytes on connect (EINVAL) and a second bind of a port (EADDRINUSE)', () => {
      const srv = listener(bed);
      const cli = client(bed);
      expect(() => rdma_connect(cli.id, param(new Uint8Array(57)))).to.throw().with.property('code', 'EINVAL');
      const other = rdma_create_id(bed.b.fh, () => 0, null, RDMA_PS_TCP, ib_qp_type.IB_QPT_RC);
      expect(() => rdma_bind_addr(other, sockaddrIn('10.0.0.2', PORT))).to.throw().with.property('code', 'EADDRINUSE');
      rdma_destroy_id(other);
      teardown(cli);
      rdma_destroy_id(srv.id);
    });
  });

  after(() => {
    cmaUnload();
    void ib_free_cq; void ib_dealloc_pd;
  });
});
