/**
 * Example 02 - one-sided RDMA: the server exposes a buffer with an rkey, the client WRITEs it and
 * READs it back; then a READ past the end of the region shows what an rkey protects.
 *
 * Two hosts on one fabric, rxe on each, connected through rdma_cm as in example 01 (this time
 * with IB_POLL_DIRECT CQs that the example polls with ib_poll_cq, by wr_id). Once connected the
 * server DMA-maps an 8 KiB buffer (ib_dma_map_sg), registers it as an FRWR MR (ib_alloc_mr,
 * ib_map_mr_sg, ib_update_fast_reg_key, IB_WR_REG_MR with LOCAL_WRITE | REMOTE_WRITE |
 * REMOTE_READ) and advertises { rkey, length, offset } - the RPC-over-RDMA segment layout
 * (RFC 8166 §3.4.3) - to the client in a SEND chained behind the REG_MR, as xprtrdma and
 * nvme-rdma do. The client RDMA WRITEs 8 KiB of pattern into the region, RDMA READs it back
 * into a second buffer and compares; the server checks its copy too.
 *
 * Then the client READs 8 KiB starting 4 KiB into the 8 KiB region. The server's responder
 * finds the range outside the MR (rxe: mr_check_range) and NAKs with a remote access error: the
 * client's READ completes IB_WC_REM_ACCESS_ERR, the client's QP goes to ERR and every WR behind
 * it - the READ chained after it, the spare receive - completes IB_WC_WR_FLUSH_ERR. The server's
 * QP goes to ERR too (a class C error at the responder, IBA 9.9.3) and flushes its receive.
 * The connection is then released and torn down as in example 01.
 *
 * Kernel call sequence:
 *   connect as example 01 (rdma_create_id … rdma_connect / rdma_accept … ESTABLISHED)
 *   server: ib_dma_map_sg → ib_alloc_mr(IB_MR_TYPE_MEM_REG) → ib_map_mr_sg → ib_update_fast_reg_key
 *           → ib_post_send(IB_WR_REG_MR → IB_WR_SEND { rkey, length, offset })
 *   client: ib_poll_cq (RECV) → ib_post_send(IB_WR_RDMA_WRITE) → ib_poll_cq
 *           → ib_post_send(IB_WR_RDMA_READ) → ib_poll_cq → compare
 *           → ib_post_send(IB_WR_RDMA_READ beyond the MR → IB_WR_RDMA_READ)
 *           → ib_poll_cq: IB_WC_REM_ACCESS_ERR, IB_WC_WR_FLUSH_ERR … → ib_query_qp: IB_QPS_ERR
 *   release: rdma_disconnect → rdma_destroy_qp → ib_dereg_mr → ib_dma_unmap_sg / ib_dma_unmap_single
 *           → ib_free_cq → ib_dealloc_pd → rdma_destroy_id
 *
 * Run: `npm start` (in this folder, after the root build), or
 * `node dist/main.js --pcap /tmp/02.pcap` and then `tshark -2 -r /tmp/02.pcap`.
 */
import {
  DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, PAGE_SIZE, alloc_pages, __free_pages, page_to_phys, phys_to_virt,
  sg_init_one, type page, type scatterlist,
} from '@rdmaemu/dma-core';
import { SimClock, recordTrace, type TraceRecorder } from '@rdmaemu/sim-core';
import {
  createFabric, pcapTap, rxe_add, ib_unregister_device, ib_alloc_pd, ib_dealloc_pd, ib_alloc_cq, ib_free_cq, ib_poll_cq,
  ib_post_recv, ib_post_send, ib_query_qp, ib_alloc_mr, ib_map_mr_sg, ib_update_fast_reg_key, ib_inc_rkey, ib_dereg_mr,
  ib_dma_map_single, ib_dma_unmap_single, ib_dma_mapping_error, ib_dma_map_sg, ib_dma_unmap_sg, ib_dma_sync_sg_for_cpu,
  ib_dma_sync_single_for_cpu, ib_dma_sync_single_for_device, ib_wc_status_msg, ib_qp_state_name, ib_poll_context,
  ib_qp_type, ib_sig_type, ib_wr_opcode, ib_wc_opcode, ib_send_flags, ib_wc_status, ib_mr_type, ib_access_flags,
  rdma_create_id, rdma_bind_addr, rdma_listen, rdma_resolve_addr, rdma_resolve_route, rdma_create_qp, rdma_connect,
  rdma_accept, rdma_disconnect, rdma_destroy_qp, rdma_destroy_id, rdma_event_msg, rdma_cm_event_type, sockaddrIn,
  sockaddrToString, RDMA_PS_TCP,
  type FabricHost, type ib_device, type ib_pd, type ib_cq, type ib_wc, type ib_qp_init_attr,
  type ib_rdma_wr, type ib_reg_wr, type ib_send_wr, type rdma_cm_id, type rdma_cm_event, type rdma_conn_param,
} from '@rdmaemu/ib_verbs';
import { isMain, parseExampleArgs, wireFrames } from '@rdmaemu/testing';

const PORT = 20049;
/** The region the server exposes: two pages. */
const REGION = 2 * PAGE_SIZE;
/** One RPC-over-RDMA segment: handle (rkey) u32, length u32, offset u64, big-endian. */
const SEGMENT_SIZE = 16;

// wr_ids, so completions polled with ib_poll_cq can be told apart
const WR_ADVERT_RECV = 1;
const WR_SPARE_RECV = 2;
const WR_REG_MR = 10;
const WR_ADVERT_SEND = 11;
const WR_WRITE = 20;
const WR_READ = 21;
const WR_READ_BEYOND = 22;
const WR_READ_AFTER = 23;
const WR_NAMES: Record<number, string> = {
  [WR_ADVERT_RECV]: 'advert recv', [WR_SPARE_RECV]: 'spare recv', [WR_REG_MR]: 'REG_MR', [WR_ADVERT_SEND]: 'advert send',
  [WR_WRITE]: 'RDMA WRITE', [WR_READ]: 'RDMA READ', [WR_READ_BEYOND]: 'RDMA READ beyond the MR', [WR_READ_AFTER]: 'RDMA READ behind it',
};

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
  wr: string;
  opcode: string;
  status: string;
  byte_len: number;
}

/** RdmaWriteReadResult - what the smoke test checks. */
export interface RdmaWriteReadResult {
  cm: { client: string[]; server: string[] };
  /** The advertised segment as the client decoded it. */
  advert: { rkey: number; length: number; offset: bigint };
  /** The MR as registered on the server. */
  mr: { rkey: number; length: number; iova: bigint };
  /** The RDMA WRITE reached the server's buffer intact. */
  writeOk: boolean;
  /** The RDMA READ brought back what was written. */
  readOk: boolean;
  /** Every completion, in poll order. */
  wcs: WcSummary[];
  /** QP states after the READ beyond the MR. */
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

const cmName = (e: rdma_cm_event_type): string => rdma_cm_event_type[e]!.replace('RDMA_CM_EVENT_', '');

/** Physically contiguous kernel memory of `1 << order` pages: its first page and its direct-map view. */
function kmalloc_pages(host: FabricHost, order: number): { pg: page; order: number; buf: Uint8Array } {
  const pg = alloc_pages(host.dma.mem, order);
  if (pg === null) throw new Error(`${host.name}: out of memory`);
  return { pg, order, buf: phys_to_virt(host.dma.mem, page_to_phys(pg), PAGE_SIZE << order) };
}

/**
 * run - connect, register and advertise, RDMA WRITE + READ, READ beyond the MR, tear down.
 * @example
 * ```ts
 * const r = run({ seed: 1 });
 * console.log(r.writeOk, r.readOk, r.qpStateAfterError);
 * ```
 */
export function run(opts: RunOptions = {}): RdmaWriteReadResult {
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
      if (ms >= maxMs) throw new Error(`example 02: timed out waiting for ${what}`);
      clock.advanceNs(10_000);
    }
  };
  const wcs: WcSummary[] = [];
  /** ib_poll_cq until `n` completions came (advancing virtual time); report each. */
  const poll = (side: Side, n: number): ib_wc[] => {
    const got: ib_wc[] = [];
    runUntil(() => {
      for (const wc of ib_poll_cq(side.cq!, 16)) {
        got.push(wc);
        const s: WcSummary = { side: side.name, wr: WR_NAMES[Number(wc.wr_id)] ?? String(wc.wr_id),
          opcode: ib_wc_opcode[wc.opcode] ?? String(wc.opcode), status: ib_wc_status[wc.status]!, byte_len: wc.byte_len };
        wcs.push(s);
        // A flushed WR's opcode is undefined (IBA 11.4.2.1); don't print it.
        const op = wc.status === ib_wc_status.IB_WC_SUCCESS ? ` ${s.opcode}` : '';
        step(side.name, `ib_poll_cq: wr_id ${String(wc.wr_id)} (${s.wr})${op} status=${ib_wc_status_msg(wc.status)} byte_len=${wc.byte_len}`);
      }
      return got.length >= n;
    }, `${n} completions on the ${side.name}`);
    return got;
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

    const qpAttr = (cq: ib_cq): ib_qp_init_attr => ({
      send_cq: cq, recv_cq: cq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
      cap: { max_send_wr: 8, max_recv_wr: 8, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 },
    });
    const conn: rdma_conn_param = {
      responder_resources: 1, initiator_depth: 1, flow_control: 0, retry_count: 7, rnr_retry_count: 7, srq: 0, qp_num: 0,
    };
    const createQp = (side: Side, id: rdma_cm_id): void => {
      side.pd = ib_alloc_pd(side.dev);
      side.cq = ib_alloc_cq(side.dev, side, 16, 0, ib_poll_context.IB_POLL_DIRECT);
      rdma_create_qp(id, side.pd, qpAttr(side.cq));
      step(side.name, `ib_alloc_pd, ib_alloc_cq(IB_POLL_DIRECT), rdma_create_qp: qp_num ${id.qp!.qp_num}`);
    };
    const note = (side: Side, id: rdma_cm_id, ev: rdma_cm_event): void => {
      side.cm.push(cmName(ev.event));
      step(side.name, `event ${cmName(ev.event)} (${rdma_event_msg(ev.event).trim()}) status ${ev.status}` +
        ` ${sockaddrToString(id.route.addr.src_addr)} -> ${sockaddrToString(id.route.addr.dst_addr)}`);
    };
    /** A receive of one page, DMA-mapped FROM_DEVICE, posted with the PD's local_dma_lkey. */
    const postRecvPage = (side: Side, wr_id: number): { mem: ReturnType<typeof kmalloc_pages>; addr: number } => {
      const mem = kmalloc_pages(side.host, 0);
      const addr = ib_dma_map_single(side.dev, mem.buf, PAGE_SIZE, DMA_FROM_DEVICE);
      if (ib_dma_mapping_error(side.dev, addr)) throw new Error(`${side.name}: ib_dma_map_single failed`);
      ib_post_recv(side.id!.qp!, { wr_id, sg_list: [{ addr, length: PAGE_SIZE, lkey: side.pd!.local_dma_lkey }] });
      return { mem, addr };
    };
    const recvs: { side: Side; mem: ReturnType<typeof kmalloc_pages>; addr: number }[] = [];

    // ---- connect (as example 01) ----
    const listen = rdma_create_id(server.host, (id, ev) => {
      note(server, id, ev);
      switch (ev.event) {
        case rdma_cm_event_type.RDMA_CM_EVENT_CONNECT_REQUEST:
          server.id = id;
          createQp(server, id);
          recvs.push({ side: server, ...postRecvPage(server, WR_SPARE_RECV) });
          step('server', 'ib_post_recv (spare), rdma_accept');
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
          recvs.push({ side: client, ...postRecvPage(client, WR_ADVERT_RECV) });
          recvs.push({ side: client, ...postRecvPage(client, WR_SPARE_RECV) });
          step('client', 'ib_post_recv × 2 (advert, spare), rdma_connect');
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

    // ---- server: map, register, advertise ----
    const region = kmalloc_pages(server.host, 1);
    region.buf.fill(0);
    const sg: scatterlist = sg_init_one(server.host.dma.mem, region.buf, REGION);
    const nents = ib_dma_map_sg(server.dev, sg, 1, DMA_BIDIRECTIONAL);
    if (nents === 0) throw new Error('server: ib_dma_map_sg failed');
    const mr = ib_alloc_mr(server.pd!, ib_mr_type.IB_MR_TYPE_MEM_REG, REGION / PAGE_SIZE);
    const mapped = ib_map_mr_sg(mr, sg, nents, null, PAGE_SIZE);
    if (mapped !== nents) throw new Error(`server: ib_map_mr_sg mapped ${mapped} of ${nents}`);
    ib_update_fast_reg_key(mr, ib_inc_rkey(mr.rkey));
    step('server', `ib_dma_map_sg (${nents} entry), ib_alloc_mr(IB_MR_TYPE_MEM_REG, 2), ib_map_mr_sg: iova 0x${mr.iova.toString(16)}` +
      ` length ${mr.length}; ib_update_fast_reg_key: rkey 0x${mr.rkey.toString(16)}`);

    const advert = kmalloc_pages(server.host, 0);
    const dv = new DataView(advert.buf.buffer, advert.buf.byteOffset, SEGMENT_SIZE);
    dv.setUint32(0, mr.rkey);
    dv.setUint32(4, mr.length);
    dv.setBigUint64(8, mr.iova);
    const advertAddr = ib_dma_map_single(server.dev, advert.buf, SEGMENT_SIZE, DMA_TO_DEVICE);
    if (ib_dma_mapping_error(server.dev, advertAddr)) throw new Error('server: ib_dma_map_single failed');
    ib_dma_sync_single_for_device(server.dev, advertAddr, SEGMENT_SIZE, DMA_TO_DEVICE);
    const send: ib_send_wr = {
      wr_id: WR_ADVERT_SEND, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED,
      sg_list: [{ addr: advertAddr, length: SEGMENT_SIZE, lkey: server.pd!.local_dma_lkey }],
    };
    const reg: ib_reg_wr = {
      wr_id: WR_REG_MR, opcode: ib_wr_opcode.IB_WR_REG_MR, send_flags: ib_send_flags.IB_SEND_SIGNALED, next: send,
      mr, key: mr.rkey,
      access: ib_access_flags.IB_ACCESS_LOCAL_WRITE | ib_access_flags.IB_ACCESS_REMOTE_WRITE | ib_access_flags.IB_ACCESS_REMOTE_READ,
    };
    step('server', 'ib_post_send: IB_WR_REG_MR (LOCAL_WRITE|REMOTE_WRITE|REMOTE_READ) → IB_WR_SEND { rkey, length, offset }');
    ib_post_send(server.id!.qp!, reg);
    poll(server, 2);

    // ---- client: decode the advert ----
    const [advWc] = poll(client, 1);
    if (advWc!.status !== ib_wc_status.IB_WC_SUCCESS || Number(advWc!.wr_id) !== WR_ADVERT_RECV) throw new Error('client: no advert');
    const advRecv = recvs.find((r) => r.side === client)!;
    ib_dma_sync_single_for_cpu(client.dev, advRecv.addr, PAGE_SIZE, DMA_FROM_DEVICE);
    const av = new DataView(advRecv.mem.buf.buffer, advRecv.mem.buf.byteOffset, SEGMENT_SIZE);
    const seg = { rkey: av.getUint32(0), length: av.getUint32(4), offset: av.getBigUint64(8) };
    step('client', `segment: rkey 0x${seg.rkey.toString(16)} length ${seg.length} offset 0x${seg.offset.toString(16)}`);

    // ---- client: RDMA WRITE, then RDMA READ back ----
    const src = kmalloc_pages(client.host, 1);
    for (let i = 0; i < REGION; i++) src.buf[i] = (i * 31 + 7) & 0xff;
    const dst = kmalloc_pages(client.host, 1);
    dst.buf.fill(0);
    const srcAddr = ib_dma_map_single(client.dev, src.buf, REGION, DMA_TO_DEVICE);
    const dstAddr = ib_dma_map_single(client.dev, dst.buf, REGION, DMA_FROM_DEVICE);
    if (ib_dma_mapping_error(client.dev, srcAddr) || ib_dma_mapping_error(client.dev, dstAddr)) throw new Error('client: mapping failed');
    const lkey = client.pd!.local_dma_lkey;
    const write: ib_rdma_wr = {
      wr_id: WR_WRITE, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: ib_send_flags.IB_SEND_SIGNALED,
      sg_list: [{ addr: srcAddr, length: seg.length, lkey }], remote_addr: seg.offset, rkey: seg.rkey,
    };
    step('client', `ib_post_send: IB_WR_RDMA_WRITE ${seg.length} bytes to 0x${seg.offset.toString(16)} rkey 0x${seg.rkey.toString(16)}`);
    ib_post_send(cid.qp!, write);
    poll(client, 1);
    const read: ib_rdma_wr = {
      wr_id: WR_READ, opcode: ib_wr_opcode.IB_WR_RDMA_READ, send_flags: ib_send_flags.IB_SEND_SIGNALED,
      sg_list: [{ addr: dstAddr, length: seg.length, lkey }], remote_addr: seg.offset, rkey: seg.rkey,
    };
    step('client', `ib_post_send: IB_WR_RDMA_READ ${seg.length} bytes from 0x${seg.offset.toString(16)} into a second buffer`);
    ib_post_send(cid.qp!, read);
    poll(client, 1);
    ib_dma_sync_single_for_cpu(client.dev, dstAddr, REGION, DMA_FROM_DEVICE);
    const readOk = Buffer.compare(Buffer.from(dst.buf), Buffer.from(src.buf)) === 0;
    step('client', `compare: the READ ${readOk ? 'returned what was written' : 'DIFFERS from what was written'}`);
    ib_dma_sync_sg_for_cpu(server.dev, sg, 1, DMA_BIDIRECTIONAL);
    const writeOk = Buffer.compare(Buffer.from(region.buf), Buffer.from(src.buf)) === 0;
    step('server', `ib_dma_sync_sg_for_cpu: the region ${writeOk ? 'holds the written bytes' : 'DIFFERS'}`);

    // ---- client: a READ that runs past the end of the MR ----
    const after: ib_rdma_wr = {
      wr_id: WR_READ_AFTER, opcode: ib_wr_opcode.IB_WR_RDMA_READ, send_flags: ib_send_flags.IB_SEND_SIGNALED,
      sg_list: [{ addr: dstAddr, length: PAGE_SIZE, lkey }], remote_addr: seg.offset, rkey: seg.rkey,
    };
    const beyond: ib_rdma_wr = {
      wr_id: WR_READ_BEYOND, opcode: ib_wr_opcode.IB_WR_RDMA_READ, send_flags: ib_send_flags.IB_SEND_SIGNALED, next: after,
      sg_list: [{ addr: dstAddr, length: REGION, lkey }], remote_addr: seg.offset + BigInt(PAGE_SIZE), rkey: seg.rkey,
    };
    step('client', `ib_post_send: IB_WR_RDMA_READ ${REGION} bytes at offset ${PAGE_SIZE} of the ${seg.length}-byte MR → IB_WR_RDMA_READ (valid)`);
    ib_post_send(cid.qp!, beyond);
    poll(client, 3); // the bad READ, the READ behind it, the spare receive
    poll(server, 1); // the server's spare receive
    const qpStateAfterError = {
      client: ib_qp_state_name(ib_query_qp(cid.qp!, 0).attr.qp_state!),
      server: ib_qp_state_name(ib_query_qp(server.id!.qp!, 0).attr.qp_state!),
    };
    step('client', `ib_query_qp: client QP ${qpStateAfterError.client}, server QP ${qpStateAfterError.server}`);

    // ---- release ----
    step('client', 'rdma_disconnect');
    rdma_disconnect(cid);
    runUntil(() => client.disconnected && server.disconnected, 'DISCONNECTED');
    rdma_destroy_qp(cid);
    rdma_destroy_qp(server.id!);
    ib_dereg_mr(mr);
    ib_dma_unmap_sg(server.dev, sg, 1, DMA_BIDIRECTIONAL);
    ib_dma_unmap_single(server.dev, advertAddr, SEGMENT_SIZE, DMA_TO_DEVICE);
    ib_dma_unmap_single(client.dev, srcAddr, REGION, DMA_TO_DEVICE);
    ib_dma_unmap_single(client.dev, dstAddr, REGION, DMA_FROM_DEVICE);
    for (const r of recvs) ib_dma_unmap_single(r.side.dev, r.addr, PAGE_SIZE, DMA_FROM_DEVICE);
    for (const side of [client, server]) {
      ib_free_cq(side.cq!);
      ib_dealloc_pd(side.pd!);
      rdma_destroy_id(side.id!);
    }
    rdma_destroy_id(listen);
    for (const m of [region, advert, src, dst, ...recvs.map((r) => r.mem)]) __free_pages(m.pg, m.order);
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
      cm: { client: client.cm, server: server.cm }, advert: seg, mr: { rkey: mr.rkey, length: mr.length, iova: mr.iova },
      writeOk, readOk, wcs, qpStateAfterError, hosts: [client.host, server.host], frames: wireFrames(fabric.stats()), lines,
    };
  } finally {
    trace.stop();
    clock.close();
  }
}

const USAGE = 'usage: main.js [--pcap FILE] [--trace SYSTEM:EVENT[,...]]';

if (isMain(import.meta.url)) {
  const r = run({ ...parseExampleArgs(process.argv.slice(2), USAGE), print: (l) => console.log(l) });
  if (!r.writeOk || !r.readOk) process.exit(1);
}
