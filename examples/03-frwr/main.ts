/**
 * Example 03 - the FRWR life cycle as xprtrdma drives it (net/sunrpc/xprtrdma/frwr_ops.c).
 *
 * The client plays xprtrdma: it owns one fast-registration MR (ib_alloc_mr(pd,
 * IB_MR_TYPE_MEM_REG, 4)) over a four-page buffer and, per "RPC", maps the buffer's sg list
 * (ib_dma_map_sg, ib_map_mr_sg), rotates the MR's key (ib_update_fast_reg_key(mr,
 * ib_inc_rkey(mr.rkey))), and posts an unsignaled IB_WR_REG_MR chained before the SEND that
 * advertises { rkey, length, offset } (frwr_map + frwr_send). The server plays svcrdma: it
 * reaches the client's memory with RDMA WRITE / READ using the advertised rkey.
 *
 *   round 1  server RDMA WRITEs 16 KiB, then replies with SEND_WITH_INV(rkey): the client's
 *            receive completes with IB_WC_WITH_INVALIDATE and wc.ex.invalidate_rkey = the rkey,
 *            so the MR is already invalid - no LOCAL_INV (frwr_reminv) - and the client unmaps.
 *   round 2  re-registration under a new key; the server RDMA READs 16 KiB and replies with a
 *            plain SEND; the client invalidates itself: IB_WR_LOCAL_INV, completion
 *            IB_WC_LOCAL_INV (frwr_unmap_sync), then unmaps.
 *   round 3  re-registration under a third key; the server RDMA WRITEs with it (success), then
 *            with round 1's rkey: the MR is valid, but not under that key (rxe lookup_mr compares
 *            the whole key), so the client's responder NAKs: IB_WC_REM_ACCESS_ERR at the server,
 *            both QPs go to ERR and the posted receives flush (IB_WC_WR_FLUSH_ERR).
 *
 * Completions arrive on IB_POLL_WORKQUEUE CQs through `wr_cqe.done`, as in xprtrdma and svcrdma.
 *
 * Kernel call sequence (client, per round):
 *   ib_dma_map_sg → ib_map_mr_sg → ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey))
 *   → ib_post_send(IB_WR_REG_MR → IB_WR_SEND) … recv done:
 *       IB_WC_WITH_INVALIDATE && ex.invalidate_rkey == mr->rkey → ib_dma_unmap_sg   (frwr_reminv)
 *       else ib_post_send(IB_WR_LOCAL_INV) … done → ib_dma_unmap_sg                 (frwr_unmap_sync)
 *   once: ib_alloc_mr(pd, IB_MR_TYPE_MEM_REG, 4) … ib_dereg_mr                      (frwr_mr_init / frwr_mr_release)
 * Connection: as example 01 (rdma_cm).
 *
 * Run: `npm start` (in this folder, after the root build), or
 * `node dist/main.js --pcap /tmp/03.pcap` and then `tshark -2 -r /tmp/03.pcap`.
 */
import {
  DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, PAGE_SIZE, alloc_pages, __free_pages, nth_page, page_to_phys, phys_to_virt,
  sg_init_table, sg_set_page, type page, type scatterlist,
} from '@rdmaemu/dma-core';
import { SimClock, recordTrace, type TraceRecorder } from '@rdmaemu/sim-core';
import {
  createFabric, pcapTap, rxe_add, ib_unregister_device, ib_alloc_pd, ib_dealloc_pd, ib_alloc_cq, ib_free_cq,
  ib_post_recv, ib_post_send, ib_query_qp, ib_alloc_mr, ib_map_mr_sg, ib_update_fast_reg_key, ib_inc_rkey, ib_dereg_mr,
  ib_dma_map_single, ib_dma_unmap_single, ib_dma_mapping_error, ib_dma_map_sg, ib_dma_unmap_sg, ib_dma_sync_sg_for_cpu,
  ib_dma_sync_single_for_cpu, ib_dma_sync_single_for_device, ib_wc_status_msg,
  ib_qp_state_name, ib_poll_context, ib_qp_type, ib_sig_type, ib_wr_opcode, ib_wc_opcode, ib_wc_flags, ib_send_flags,
  ib_wc_status, ib_mr_type, ib_access_flags,
  rdma_create_id, rdma_bind_addr, rdma_listen, rdma_resolve_addr, rdma_resolve_route, rdma_create_qp, rdma_connect,
  rdma_accept, rdma_disconnect, rdma_destroy_qp, rdma_destroy_id, rdma_event_msg, rdma_cm_event_type, sockaddrIn,
  sockaddrToString, RDMA_PS_TCP,
  type FabricHost, type ib_device, type ib_pd, type ib_cq, type ib_cqe, type ib_wc, type ib_qp_init_attr,
  type ib_mr, type ib_rdma_wr, type ib_reg_wr, type ib_send_wr, type rdma_cm_id, type rdma_cm_event, type rdma_conn_param,
} from '@rdmaemu/ib_verbs';
import { isMain, parseExampleArgs, wireFrames } from '@rdmaemu/testing';

const PORT = 20049;
/** Pages in the client's buffer (and the MR's page list). */
const NPAGES = 4;
const LEN = NPAGES * PAGE_SIZE;
/** One RPC-over-RDMA segment (RFC 8166 §3.4.3): handle u32, length u32, offset u64. */
const SEGMENT_SIZE = 16;
const REPLY_SIZE = 64;

/** The tracepoints printed by default (`rdma_core:*` adds the per-poll cq_* events). */
export const DEFAULT_TRACE = ['rdma_cma:*', 'dma:*', 'rdma_core:cq_alloc', 'rdma_core:cq_free', 'rdma_core:mr_*'];

/** RunOptions - what the example does; see `run()`. */
export interface RunOptions {
  /** Seed of the SimClock. @default 1 */
  seed?: number;
  /** Write a pcap of every frame on the fabric to this file. */
  pcap?: string;
  /** Called with each output line as it happens (the CLI prints them). */
  print?: (line: string) => void;
  /** Tracepoints to print (`recordTrace` filter). @default DEFAULT_TRACE */
  trace?: string[];
}

/** A completion as the example reports it. */
export interface WcSummary {
  side: 'client' | 'server';
  /** What the WR was (e.g. 'round 1 reply'). */
  wr: string;
  opcode: string;
  status: string;
  byte_len: number;
  wc_flags: number;
  invalidate_rkey?: number;
}

/** FrwrResult - what the smoke test checks. */
export interface FrwrResult {
  cm: { client: string[]; server: string[] };
  /** The rkey of each registration (rounds 1-3), the low byte rotated each time. */
  rkeys: number[];
  /** Bytes intact per round: 1 the server's WRITE, 2 the server's READ, 3 the WRITE under the new key. */
  dataOk: boolean[];
  /** Every completion, in completion order. */
  wcs: WcSummary[];
  qpStateAfterError: { client: string; server: string };
  hosts: FabricHost[];
  frames: number;
  lines: string[];
}

interface Side {
  name: 'client' | 'server';
  host: FabricHost;
  dev: ib_device;
  id: rdma_cm_id | null;
  pd: ib_pd | null;
  cq: ib_cq | null;
  cm: string[];
  established: boolean;
  disconnected: boolean;
}

interface Kmem { pg: page; order: number; buf: Uint8Array }

const cmName = (e: rdma_cm_event_type): string => rdma_cm_event_type[e]!.replace('RDMA_CM_EVENT_', '');
const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

function kmalloc_pages(host: FabricHost, order: number): Kmem {
  const pg = alloc_pages(host.dma.mem, order);
  if (pg === null) throw new Error(`${host.name}: out of memory`);
  return { pg, order, buf: phys_to_virt(host.dma.mem, page_to_phys(pg), PAGE_SIZE << order) };
}

function pattern(buf: Uint8Array, seed: number): void {
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 13 + seed * 101 + (i >>> 9)) & 0xff;
}

/**
 * run - three FRWR rounds: remote invalidation, local invalidation, a stale rkey.
 * @example
 * ```ts
 * const r = run({ seed: 1 });
 * console.log(r.rkeys.map((k) => k.toString(16)), r.dataOk);
 * ```
 */
export function run(opts: RunOptions = {}): FrwrResult {
  const lines: string[] = [];
  const out = (l: string): void => {
    lines.push(l);
    opts.print?.(l);
  };
  const clock = new SimClock({ seed: opts.seed ?? 1 });
  const trace: TraceRecorder = recordTrace(opts.trace ?? DEFAULT_TRACE);
  let shown = 0;
  const flushTrace = (): void => {
    for (; shown < trace.events.length; shown++) out(trace.events[shown]!.text);
  };
  const step = (who: string, what: string): void => {
    flushTrace();
    out(`# ${who}: ${what}`);
  };
  const runUntil = (cond: () => boolean, what: string, maxMs = 5000): void => {
    for (let ms = 0; !cond(); ms++) {
      if (ms >= maxMs) throw new Error(`example 03: timed out waiting for ${what}`);
      clock.advanceNs(10_000);
    }
  };

  try {
    const fabric = createFabric(clock, { seed: opts.seed ?? 1 });
    const tap = opts.pcap !== undefined ? pcapTap(fabric, { file: opts.pcap }) : null;
    const mk = (name: 'client' | 'server', ip: string): Side => {
      const host = fabric.addHost({ name, ip });
      const dev = rxe_add(host.netdev, { dma: host.dma });
      step(name, `rdma link add ${dev.name} type rxe netdev ${host.netdev.name} (${ip})`);
      return { name, host, dev, id: null, pd: null, cq: null, cm: [], established: false, disconnected: false };
    };
    const client = mk('client', '192.0.2.1');
    const server = mk('server', '192.0.2.2');

    // ---- completions: wr_cqe.done on IB_POLL_WORKQUEUE CQs ----
    const wcs: WcSummary[] = [];
    const seen = (side: string, wr: string): WcSummary | undefined => wcs.find((w) => w.side === side && w.wr === wr);
    const cqe = (side: Side, wr: string): ib_cqe => ({
      done(_cq: ib_cq, wc: ib_wc): void {
        const s: WcSummary = { side: side.name, wr, opcode: ib_wc_opcode[wc.opcode] ?? String(wc.opcode),
          status: ib_wc_status[wc.status]!, byte_len: wc.byte_len, wc_flags: wc.wc_flags };
        if (wc.wc_flags & ib_wc_flags.IB_WC_WITH_INVALIDATE) s.invalidate_rkey = wc.ex.invalidate_rkey;
        wcs.push(s);
        const op = wc.status === ib_wc_status.IB_WC_SUCCESS ? ` ${s.opcode}` : '';
        step(side.name, `${wr}.done:${op} status=${ib_wc_status_msg(wc.status)}` +
          (wc.status === ib_wc_status.IB_WC_SUCCESS ? ` byte_len=${wc.byte_len}` : '') +
          (s.invalidate_rkey !== undefined ? ` IB_WC_WITH_INVALIDATE invalidate_rkey=${hex(s.invalidate_rkey)}` : ''));
      },
    });

    const qpAttr = (cq: ib_cq): ib_qp_init_attr => ({
      send_cq: cq, recv_cq: cq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
      cap: { max_send_wr: 8, max_recv_wr: 8, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 },
    });
    const conn: rdma_conn_param = {
      responder_resources: 1, initiator_depth: 1, flow_control: 0, retry_count: 7, rnr_retry_count: 7, srq: 0, qp_num: 0,
    };
    const createQp = (side: Side, id: rdma_cm_id): void => {
      side.pd = ib_alloc_pd(side.dev);
      side.cq = ib_alloc_cq(side.dev, side, 32, 0, ib_poll_context.IB_POLL_WORKQUEUE);
      rdma_create_qp(id, side.pd, qpAttr(side.cq));
      step(side.name, `ib_alloc_pd, ib_alloc_cq(IB_POLL_WORKQUEUE), rdma_create_qp: qp_num ${id.qp!.qp_num}`);
    };
    const note = (side: Side, id: rdma_cm_id, ev: rdma_cm_event): void => {
      side.cm.push(cmName(ev.event));
      step(side.name, `event ${cmName(ev.event)} (${rdma_event_msg(ev.event).trim()}) status ${ev.status}` +
        ` ${sockaddrToString(id.route.addr.src_addr)} -> ${sockaddrToString(id.route.addr.dst_addr)}`);
    };
    /** Receive buffers: one page each, mapped FROM_DEVICE, posted with local_dma_lkey. */
    const recvs: { side: Side; wr: string; mem: Kmem; addr: number }[] = [];
    const postRecv = (side: Side, wr: string): void => {
      const mem = kmalloc_pages(side.host, 0);
      const addr = ib_dma_map_single(side.dev, mem.buf, PAGE_SIZE, DMA_FROM_DEVICE);
      if (ib_dma_mapping_error(side.dev, addr)) throw new Error(`${side.name}: ib_dma_map_single failed`);
      ib_post_recv(side.id!.qp!, { wr_cqe: cqe(side, wr), sg_list: [{ addr, length: PAGE_SIZE, lkey: side.pd!.local_dma_lkey }] });
      recvs.push({ side, wr, mem, addr });
    };
    const recvBuf = (side: Side, wr: string): Uint8Array => {
      const r = recvs.find((x) => x.side === side && x.wr === wr)!;
      ib_dma_sync_single_for_cpu(side.dev, r.addr, PAGE_SIZE, DMA_FROM_DEVICE);
      return r.mem.buf;
    };

    // ---- connect (as example 01) ----
    const listen = rdma_create_id(server.host, (id, ev) => {
      note(server, id, ev);
      switch (ev.event) {
        case rdma_cm_event_type.RDMA_CM_EVENT_CONNECT_REQUEST:
          server.id = id;
          createQp(server, id);
          for (const r of [1, 2, 3]) postRecv(server, `round ${r} call`);
          postRecv(server, 'spare recv');
          step('server', 'ib_post_recv × 4, rdma_accept');
          rdma_accept(id, conn);
          break;
        case rdma_cm_event_type.RDMA_CM_EVENT_ESTABLISHED:
          server.established = true;
          break;
        case rdma_cm_event_type.RDMA_CM_EVENT_DISCONNECTED:
          server.disconnected = true;
          step('server', 'rdma_disconnect (answers the DREQ)');
          rdma_disconnect(id);
          break;
        default:
          break;
      }
      return 0;
    }, null, RDMA_PS_TCP, ib_qp_type.IB_QPT_RC);
    rdma_bind_addr(listen, sockaddrIn(server.host.ip, PORT));
    rdma_listen(listen, 1);
    step('server', `rdma_create_id, rdma_bind_addr(${server.host.ip}:${PORT}), rdma_listen`);
    const cid = rdma_create_id(client.host, (id, ev) => {
      note(client, id, ev);
      switch (ev.event) {
        case rdma_cm_event_type.RDMA_CM_EVENT_ADDR_RESOLVED:
          rdma_resolve_route(id, 2000);
          break;
        case rdma_cm_event_type.RDMA_CM_EVENT_ROUTE_RESOLVED:
          createQp(client, id);
          for (const r of [1, 2]) postRecv(client, `round ${r} reply`);
          postRecv(client, 'spare recv');
          step('client', 'ib_post_recv × 3, rdma_connect');
          rdma_connect(id, conn);
          break;
        case rdma_cm_event_type.RDMA_CM_EVENT_ESTABLISHED:
          client.established = true;
          break;
        case rdma_cm_event_type.RDMA_CM_EVENT_DISCONNECTED:
          client.disconnected = true;
          break;
        default:
          break;
      }
      return 0;
    }, null, RDMA_PS_TCP, ib_qp_type.IB_QPT_RC);
    client.id = cid;
    step('client', `rdma_create_id, rdma_resolve_addr(${server.host.ip}:${PORT})`);
    rdma_resolve_addr(cid, null, sockaddrIn(server.host.ip, PORT), 2000);
    runUntil(() => client.established && server.established, 'ESTABLISHED');

    // ---- client: the MR (frwr_mr_init) and the buffer it covers ----
    const data = kmalloc_pages(client.host, 2);
    const sgl: scatterlist[] = sg_init_table(NPAGES);
    for (let i = 0; i < NPAGES; i++) sg_set_page(sgl[i]!, nth_page(data.pg, i), PAGE_SIZE, 0);
    const mr: ib_mr = ib_alloc_mr(client.pd!, ib_mr_type.IB_MR_TYPE_MEM_REG, NPAGES);
    step('client', `ib_alloc_mr(IB_MR_TYPE_MEM_REG, ${NPAGES}): lkey ${hex(mr.lkey)} rkey ${hex(mr.rkey)}`);
    const call = kmalloc_pages(client.host, 0);
    const callAddr = ib_dma_map_single(client.dev, call.buf, SEGMENT_SIZE, DMA_TO_DEVICE);
    if (ib_dma_mapping_error(client.dev, callAddr)) throw new Error('client: ib_dma_map_single failed');
    let nents = 0;

    /** frwr_map + frwr_send: map, rotate the key, REG_MR → SEND { rkey, length, offset }. */
    const frwrMapAndSend = (round: number): number => {
      nents = ib_dma_map_sg(client.dev, sgl, NPAGES, DMA_BIDIRECTIONAL);
      if (nents === 0) throw new Error('client: ib_dma_map_sg failed');
      const n = ib_map_mr_sg(mr, sgl, nents, null, PAGE_SIZE);
      if (n !== nents) throw new Error(`client: ib_map_mr_sg mapped ${n} of ${nents}`);
      const old = mr.rkey;
      ib_update_fast_reg_key(mr, ib_inc_rkey(mr.rkey));
      step('client', `round ${round}: ib_dma_map_sg (${nents} entries), ib_map_mr_sg: iova ${hex(mr.iova)} length ${mr.length};` +
        ` ib_update_fast_reg_key: rkey ${hex(old)} → ${hex(mr.rkey)}`);
      const dv = new DataView(call.buf.buffer, call.buf.byteOffset, SEGMENT_SIZE);
      dv.setUint32(0, mr.rkey);
      dv.setUint32(4, mr.length);
      dv.setBigUint64(8, mr.iova);
      ib_dma_sync_single_for_device(client.dev, callAddr, SEGMENT_SIZE, DMA_TO_DEVICE);
      const send: ib_send_wr = {
        wr_cqe: cqe(client, `round ${round} call`), opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        sg_list: [{ addr: callAddr, length: SEGMENT_SIZE, lkey: client.pd!.local_dma_lkey }],
      };
      // xprtrdma posts REG_MR unsignaled: an error still completes, success is implied by the SEND's.
      const reg: ib_reg_wr = {
        wr_cqe: cqe(client, `round ${round} REG_MR`), opcode: ib_wr_opcode.IB_WR_REG_MR, send_flags: 0, next: send, mr, key: mr.rkey,
        access: ib_access_flags.IB_ACCESS_LOCAL_WRITE | ib_access_flags.IB_ACCESS_REMOTE_WRITE | ib_access_flags.IB_ACCESS_REMOTE_READ,
      };
      step('client', `round ${round}: ib_post_send: IB_WR_REG_MR (unsignaled) → IB_WR_SEND { rkey ${hex(mr.rkey)}, length ${mr.length}, offset ${hex(mr.iova)} }`);
      ib_post_send(cid.qp!, reg);
      runUntil(() => seen('server', `round ${round} call`) !== undefined && seen('client', `round ${round} call`) !== undefined, `round ${round} call`);
      return mr.rkey;
    };
    /** The server decodes the segment the client sent. */
    const decode = (round: number): { rkey: number; length: number; offset: bigint } => {
      const b = recvBuf(server, `round ${round} call`);
      const dv = new DataView(b.buffer, b.byteOffset, SEGMENT_SIZE);
      return { rkey: dv.getUint32(0), length: dv.getUint32(4), offset: dv.getBigUint64(8) };
    };

    // ---- server buffers ----
    const src = kmalloc_pages(server.host, 2);
    const srcAddr = ib_dma_map_single(server.dev, src.buf, LEN, DMA_TO_DEVICE);
    const sink = kmalloc_pages(server.host, 2);
    const sinkAddr = ib_dma_map_single(server.dev, sink.buf, LEN, DMA_FROM_DEVICE);
    const reply = kmalloc_pages(server.host, 0);
    const replyAddr = ib_dma_map_single(server.dev, reply.buf, REPLY_SIZE, DMA_TO_DEVICE);
    for (const a of [srcAddr, sinkAddr, replyAddr]) if (ib_dma_mapping_error(server.dev, a)) throw new Error('server: mapping failed');
    const slkey = server.pd!.local_dma_lkey;
    const replyWr = (round: number, inv: number | null): ib_send_wr => ({
      wr_cqe: cqe(server, `round ${round} reply`), send_flags: ib_send_flags.IB_SEND_SIGNALED,
      opcode: inv === null ? ib_wr_opcode.IB_WR_SEND : ib_wr_opcode.IB_WR_SEND_WITH_INV,
      sg_list: [{ addr: replyAddr, length: REPLY_SIZE, lkey: slkey }], ...(inv === null ? {} : { ex: { invalidate_rkey: inv } }),
    });
    const writeWr = (wr: string, seg: { rkey: number; length: number; offset: bigint }, rkey: number, next: ib_send_wr | null): ib_rdma_wr => ({
      wr_cqe: cqe(server, wr), opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: ib_send_flags.IB_SEND_SIGNALED, next,
      sg_list: [{ addr: srcAddr, length: seg.length, lkey: slkey }], remote_addr: seg.offset, rkey,
    });
    const dataOk: boolean[] = [];
    const rkeys: number[] = [];
    const clientSees = (): Uint8Array => {
      ib_dma_sync_sg_for_cpu(client.dev, sgl, NPAGES, DMA_BIDIRECTIONAL);
      return data.buf;
    };

    // ---- round 1: remote WRITE, SEND_WITH_INV, the client sees the MR invalidated ----
    data.buf.fill(0); // before ib_dma_map_sg: mapping hands the CPU's bytes to the device
    rkeys.push(frwrMapAndSend(1));
    {
      const seg = decode(1);
      pattern(src.buf, 1);
      ib_dma_sync_single_for_device(server.dev, srcAddr, LEN, DMA_TO_DEVICE);
      step('server', `round 1: ib_post_send: IB_WR_RDMA_WRITE ${seg.length} bytes rkey ${hex(seg.rkey)} → IB_WR_SEND_WITH_INV(invalidate_rkey ${hex(seg.rkey)})`);
      ib_post_send(server.id!.qp!, writeWr('round 1 RDMA WRITE', seg, seg.rkey, replyWr(1, seg.rkey)));
      runUntil(() => seen('client', 'round 1 reply') !== undefined && seen('server', 'round 1 reply') !== undefined, 'round 1 reply');
      const wc = seen('client', 'round 1 reply')!;
      if (wc.invalidate_rkey !== mr.rkey) throw new Error('client: expected a remote invalidation');
      step('client', `round 1: frwr_reminv: the peer invalidated rkey ${hex(mr.rkey)}, no LOCAL_INV needed`);
      dataOk.push(Buffer.compare(Buffer.from(clientSees()), Buffer.from(src.buf)) === 0);
      ib_dma_unmap_sg(client.dev, sgl, NPAGES, DMA_BIDIRECTIONAL);
      step('client', `round 1: ib_dma_sync_sg_for_cpu: the server's WRITE ${dataOk[0] ? 'arrived intact' : 'DIFFERS'}; ib_dma_unmap_sg`);
    }

    // ---- round 2: re-register, remote READ, plain SEND, the client posts LOCAL_INV ----
    pattern(data.buf, 2);
    rkeys.push(frwrMapAndSend(2));
    {
      const seg = decode(2);
      const read: ib_rdma_wr = {
        wr_cqe: cqe(server, 'round 2 RDMA READ'), opcode: ib_wr_opcode.IB_WR_RDMA_READ, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        sg_list: [{ addr: sinkAddr, length: seg.length, lkey: slkey }], remote_addr: seg.offset, rkey: seg.rkey,
      };
      step('server', `round 2: ib_post_send: IB_WR_RDMA_READ ${seg.length} bytes rkey ${hex(seg.rkey)}`);
      ib_post_send(server.id!.qp!, read);
      runUntil(() => seen('server', 'round 2 RDMA READ') !== undefined, 'round 2 READ');
      ib_dma_sync_single_for_cpu(server.dev, sinkAddr, LEN, DMA_FROM_DEVICE);
      dataOk.push(Buffer.compare(Buffer.from(sink.buf), Buffer.from(data.buf)) === 0);
      step('server', `round 2: the READ ${dataOk[1] ? 'returned the client\'s bytes' : 'DIFFERS'}; ib_post_send: IB_WR_SEND (no invalidation)`);
      ib_post_send(server.id!.qp!, replyWr(2, null));
      runUntil(() => seen('client', 'round 2 reply') !== undefined, 'round 2 reply');
      step('client', `round 2: frwr_unmap_sync: ib_post_send: IB_WR_LOCAL_INV(invalidate_rkey ${hex(mr.rkey)})`);
      ib_post_send(cid.qp!, {
        wr_cqe: cqe(client, 'round 2 LOCAL_INV'), opcode: ib_wr_opcode.IB_WR_LOCAL_INV, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        ex: { invalidate_rkey: mr.rkey },
      });
      runUntil(() => seen('client', 'round 2 LOCAL_INV') !== undefined, 'LOCAL_INV');
      ib_dma_unmap_sg(client.dev, sgl, NPAGES, DMA_BIDIRECTIONAL);
      step('client', 'round 2: ib_dma_unmap_sg');
    }

    // ---- round 3: re-register; the new rkey works, round 1's fails ----
    data.buf.fill(0);
    rkeys.push(frwrMapAndSend(3));
    {
      const seg = decode(3);
      pattern(src.buf, 3);
      ib_dma_sync_single_for_device(server.dev, srcAddr, LEN, DMA_TO_DEVICE);
      const stale = writeWr('round 3 RDMA WRITE with round 1 rkey', seg, rkeys[0]!, null);
      step('server', `round 3: ib_post_send: IB_WR_RDMA_WRITE rkey ${hex(seg.rkey)} → IB_WR_RDMA_WRITE with round 1's rkey ${hex(rkeys[0]!)}`);
      ib_post_send(server.id!.qp!, writeWr('round 3 RDMA WRITE', seg, seg.rkey, stale));
      runUntil(() => seen('server', 'round 3 RDMA WRITE with round 1 rkey') !== undefined &&
        seen('server', 'spare recv') !== undefined && seen('client', 'spare recv') !== undefined, 'round 3 completions');
      dataOk.push(Buffer.compare(Buffer.from(clientSees()), Buffer.from(src.buf)) === 0);
      step('client', `round 3: the WRITE under rkey ${hex(seg.rkey)} ${dataOk[2] ? 'arrived intact' : 'DIFFERS'}`);
    }
    const qpStateAfterError = {
      client: ib_qp_state_name(ib_query_qp(cid.qp!, 0).attr.qp_state!),
      server: ib_qp_state_name(ib_query_qp(server.id!.qp!, 0).attr.qp_state!),
    };
    step('both', `ib_query_qp: client QP ${qpStateAfterError.client}, server QP ${qpStateAfterError.server}`);

    // ---- release ----
    step('client', 'rdma_disconnect');
    rdma_disconnect(cid);
    runUntil(() => client.disconnected && server.disconnected, 'DISCONNECTED');
    rdma_destroy_qp(cid);
    rdma_destroy_qp(server.id!);
    // frwr_mr_release: ib_dereg_mr, then unmap the still-registered pages
    ib_dereg_mr(mr);
    ib_dma_unmap_sg(client.dev, sgl, NPAGES, DMA_BIDIRECTIONAL);
    ib_dma_unmap_single(client.dev, callAddr, SEGMENT_SIZE, DMA_TO_DEVICE);
    ib_dma_unmap_single(server.dev, srcAddr, LEN, DMA_TO_DEVICE);
    ib_dma_unmap_single(server.dev, sinkAddr, LEN, DMA_FROM_DEVICE);
    ib_dma_unmap_single(server.dev, replyAddr, REPLY_SIZE, DMA_TO_DEVICE);
    for (const r of recvs) ib_dma_unmap_single(r.side.dev, r.addr, PAGE_SIZE, DMA_FROM_DEVICE);
    for (const side of [client, server]) {
      ib_free_cq(side.cq!);
      ib_dealloc_pd(side.pd!);
      rdma_destroy_id(side.id!);
    }
    rdma_destroy_id(listen);
    for (const m of [data, call, src, sink, reply, ...recvs.map((r) => r.mem)]) __free_pages(m.pg, m.order);
    step('both', 'rdma_destroy_qp, ib_dereg_mr, ib_dma_unmap_sg, ib_dma_unmap_single, ib_free_cq, ib_dealloc_pd, rdma_destroy_id');
    clock.tick(10);
    for (const side of [client, server]) {
      step(side.name, `rdma link delete ${side.dev.name}`);
      ib_unregister_device(side.dev);
    }
    flushTrace();
    tap?.close();
    for (const side of [client, server]) side.host.dma.debug?.assertClean();
    out(`# dma-debug: no errors, no live mappings on ${client.host.name} or ${server.host.name}`);
    if (opts.pcap !== undefined) out(`# capture: ${tap!.frames} frames in ${opts.pcap}; read it with: tshark -2 -r ${opts.pcap}`);
    return {
      cm: { client: client.cm, server: server.cm }, rkeys, dataOk, wcs, qpStateAfterError, hosts: [client.host, server.host],
      frames: wireFrames(fabric.stats()), lines,
    };
  } finally {
    trace.stop();
    clock.close();
  }
}

const USAGE = 'usage: main.js [--pcap FILE] [--trace SYSTEM:EVENT[,...]]';

if (isMain(import.meta.url)) {
  const r = run({ ...parseExampleArgs(process.argv.slice(2), USAGE), print: (l) => console.log(l) });
  if (r.dataOk.some((ok) => !ok)) process.exit(1);
}
