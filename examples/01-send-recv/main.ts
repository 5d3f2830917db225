/**
 * Example 01 - a kernel ULP's first connection: rdma_cm, then SEND and SEND_WITH_IMM.
 *
 * Two hosts on one Ethernet fabric, a Soft-RoCE (rxe) device on each. The server listens with
 * rdma_cm; the client resolves the server's address and route and connects. Each side creates
 * its PD, CQ (IB_POLL_SOFTIRQ: completions arrive through `wr_cqe.done`, as in every in-kernel
 * ULP) and QP the way the kernel does it: from the rdma_cm event handler. Buffers are kmalloc'd
 * pages DMA-mapped with ib_dma_map_single and addressed with the PD's local_dma_lkey. The server
 * posts two receives before it accepts; the client sends a SEND and a SEND_WITH_IMM; the server
 * checks the bytes and the immediate. Then the client disconnects, both sides drain and tear
 * down in reverse order, and dma-debug confirms that nothing stayed mapped.
 *
 * Kernel call sequence:
 *   server: rdma_create_id → rdma_bind_addr → rdma_listen
 *           … CONNECT_REQUEST → ib_alloc_pd → ib_alloc_cq → rdma_create_qp → ib_dma_map_single
 *           → ib_post_recv × 2 → rdma_accept … ESTABLISHED
 *   client: rdma_create_id → rdma_resolve_addr … ADDR_RESOLVED → rdma_resolve_route
 *           … ROUTE_RESOLVED → ib_alloc_pd → ib_alloc_cq → rdma_create_qp → rdma_connect
 *           … ESTABLISHED → ib_dma_map_single → ib_post_send(SEND, SEND_WITH_IMM) … wr_cqe.done
 *   release: rdma_disconnect … DISCONNECTED (server: rdma_disconnect) → ib_drain_qp
 *           → rdma_destroy_qp → ib_free_cq → ib_dma_unmap_single → ib_dealloc_pd → rdma_destroy_id
 *
 * Run: `npm start` (in this folder, after the root build), or
 * `node dist/main.js --pcap /tmp/01.pcap` and then `tshark -2 -r /tmp/01.pcap`.
 */
import {
  DMA_FROM_DEVICE, DMA_TO_DEVICE, alloc_pages, __free_pages, page_address, type page,
} from '@rdmaemu/dma-core';
import { SimClock, recordTrace, type TraceRecorder } from '@rdmaemu/sim-core';
import {
  createFabric, pcapTap, rxe_add, ib_unregister_device, ib_alloc_pd, ib_dealloc_pd, ib_alloc_cq, ib_free_cq,
  ib_post_recv, ib_post_send, ib_drain_qp, ib_dma_map_single, ib_dma_unmap_single, ib_dma_mapping_error,
  ib_dma_sync_single_for_cpu, ib_wc_status_msg, ib_poll_context, ib_qp_type,
  ib_sig_type, ib_wr_opcode, ib_wc_opcode, ib_wc_flags, ib_send_flags, ib_wc_status,
  rdma_create_id, rdma_bind_addr, rdma_listen, rdma_resolve_addr, rdma_resolve_route, rdma_create_qp, rdma_connect,
  rdma_accept, rdma_disconnect, rdma_destroy_qp, rdma_destroy_id, rdma_event_msg, rdma_cm_event_type, sockaddrIn,
  sockaddrToString, RDMA_PS_TCP,
  type FabricHost, type ib_device, type ib_pd, type ib_cq, type ib_cqe, type ib_wc, type ib_qp_init_attr,
  type rdma_cm_id, type rdma_cm_event, type rdma_conn_param,
} from '@rdmaemu/ib_verbs';
import { isMain, parseExampleArgs, wireFrames } from '@rdmaemu/testing';

/** The port the server listens on (NFS/RDMA's, for recognisable service IDs: 0x1064e51). */
const PORT = 20049;
const MSG_SIZE = 4096;
const IMM = 0x12345678;

/** RunOptions - what the example does; see `run()`. */
export interface RunOptions {
  /** Seed of the SimClock (and so of PSNs, ports, CM ids). @default 1 */
  seed?: number;
  /** Write a pcap of every frame on the fabric to this file. */
  pcap?: string;
  /** Called with each output line as it happens (the CLI prints them). */
  print?: (line: string) => void;
  /** Tracepoints to print (`recordTrace` filter). @default DEFAULT_TRACE */
  trace?: string[];
}

/**
 * The tracepoints printed by default: rdma_cm, DMA mapping, and the verbs core without its
 * per-poll events (`rdma_core:*` adds cq_schedule / cq_process / cq_poll for every completion).
 */
export const DEFAULT_TRACE = ['rdma_cma:*', 'dma:*', 'rdma_core:cq_alloc', 'rdma_core:cq_free', 'rdma_core:cq_drain_complete', 'rdma_core:mr_*'];

/** A completion as the example reports it. */
export interface WcSummary {
  side: 'client' | 'server';
  opcode: string;
  status: string;
  byte_len: number;
  imm_data?: number;
}

/** SendRecvResult - what the smoke test checks. */
export interface SendRecvResult {
  /** CM events seen by each side, in order (kernel names without RDMA_CM_EVENT_). */
  cm: { client: string[]; server: string[] };
  /** Every completion, in completion order. */
  wcs: WcSummary[];
  /** The two messages arrived byte for byte. */
  dataOk: boolean;
  /** The hosts (their `dma.debug` is dma-debug). */
  hosts: FabricHost[];
  /** Frames the fabric carried. */
  frames: number;
  /** The printed lines (steps and ftrace lines). */
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

/** A kmalloc'd, page-aligned buffer of one page (the direct-map view and its page). */
function kmalloc_page(host: FabricHost): { pg: page; buf: Uint8Array } {
  const pg = alloc_pages(host.dma.mem, 0);
  if (pg === null) throw new Error(`${host.name}: out of memory`);
  return { pg, buf: page_address(pg) };
}

/**
 * run - connect, SEND + SEND_WITH_IMM, disconnect, tear down.
 * @example
 * ```ts
 * const r = run({ seed: 1 });
 * console.log(r.dataOk, r.wcs.map((w) => `${w.side} ${w.opcode} ${w.status}`));
 * ```
 */
export function run(opts: RunOptions = {}): SendRecvResult {
  const lines: string[] = [];
  const out = (l: string): void => {
    lines.push(l);
    opts.print?.(l);
  };
  const clock = new SimClock({ seed: opts.seed ?? 1 });
  const trace: TraceRecorder = recordTrace(opts.trace ?? DEFAULT_TRACE);
  let shown = 0;
  /** Print the trace lines emitted since the last step, then the step itself. */
  const step = (who: string, what: string): void => {
    flushTrace();
    out(`# ${who}: ${what}`);
  };
  const flushTrace = (): void => {
    for (; shown < trace.events.length; shown++) out(trace.events[shown]!.text);
  };
  const runUntil = (cond: () => boolean, what: string, maxMs = 5000): void => {
    for (let ms = 0; !cond(); ms++) {
      if (ms >= maxMs) throw new Error(`example 01: timed out waiting for ${what}`);
      clock.advanceNs(10_000);
    }
  };

  try {
    const fabric = createFabric(clock, { seed: opts.seed ?? 1 });
    const tap = opts.pcap !== undefined ? pcapTap(fabric, { file: opts.pcap }) : null;
    const mk = (name: 'client' | 'server', ip: string): Side => {
      const host = fabric.addHost({ name, ip });
      // rdma link add rxe0 type rxe netdev eth0
      const dev = rxe_add(host.netdev, { dma: host.dma });
      step(name, `rdma link add ${dev.name} type rxe netdev ${host.netdev.name} (${ip})`);
      return { name, host, dev, id: null, pd: null, cq: null, cm: [], established: false, disconnected: false };
    };
    const client = mk('client', '192.0.2.1');
    const server = mk('server', '192.0.2.2');

    const wcs: WcSummary[] = [];
    const onDone = (side: Side, label: string): ib_cqe => ({
      done(_cq: ib_cq, wc: ib_wc): void {
        const s: WcSummary = { side: side.name, opcode: ib_wc_opcode[wc.opcode] ?? String(wc.opcode), status: ib_wc_status[wc.status]!, byte_len: wc.byte_len };
        // rxe flags a SEND_WITH_IMM's send completion WITH_IMM too; the immediate is the receiver's.
        if (wc.opcode & ib_wc_opcode.IB_WC_RECV && wc.wc_flags & ib_wc_flags.IB_WC_WITH_IMM) s.imm_data = wc.ex.imm_data;
        wcs.push(s);
        step(side.name, `${label}.done: ${s.opcode} status=${ib_wc_status_msg(wc.status)} byte_len=${wc.byte_len}` +
          (s.imm_data !== undefined ? ` imm_data=0x${s.imm_data.toString(16)}` : ''));
      },
    });
    const qpAttr = (cq: ib_cq): ib_qp_init_attr => ({
      send_cq: cq, recv_cq: cq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
      cap: { max_send_wr: 8, max_recv_wr: 8, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 },
    });
    const conn: rdma_conn_param = {
      responder_resources: 1, initiator_depth: 1, flow_control: 0, retry_count: 7, rnr_retry_count: 7, srq: 0, qp_num: 0,
    };
    /** PD, CQ and QP for a connecting id, from its event handler (kernel: in the CM callback). */
    const createQp = (side: Side, id: rdma_cm_id): void => {
      side.pd = ib_alloc_pd(side.dev);
      side.cq = ib_alloc_cq(side.dev, side, 16, 0, ib_poll_context.IB_POLL_SOFTIRQ);
      rdma_create_qp(id, side.pd, qpAttr(side.cq));
      step(side.name, `ib_alloc_pd, ib_alloc_cq(IB_POLL_SOFTIRQ), rdma_create_qp: qp_num ${id.qp!.qp_num}`);
    };
    const note = (side: Side, id: rdma_cm_id, ev: rdma_cm_event): void => {
      side.cm.push(cmName(ev.event));
      step(side.name, `event ${cmName(ev.event)} (${rdma_event_msg(ev.event).trim()}) status ${ev.status}` +
        ` ${sockaddrToString(id.route.addr.src_addr)} -> ${sockaddrToString(id.route.addr.dst_addr)}`);
    };

    // Server: two receive buffers, mapped once the device is known.
    const rx = [kmalloc_page(server.host), kmalloc_page(server.host)];
    const rxDma: number[] = [];

    // ---- server: listen ----
    const listen = rdma_create_id(server.host, (id, ev) => {
      note(server, id, ev);
      switch (ev.event) {
        case rdma_cm_event_type.RDMA_CM_EVENT_CONNECT_REQUEST: {
          server.id = id;
          createQp(server, id);
          for (let i = 0; i < rx.length; i++) {
            const addr = ib_dma_map_single(server.dev, rx[i]!.buf, MSG_SIZE, DMA_FROM_DEVICE);
            if (ib_dma_mapping_error(server.dev, addr)) throw new Error('server: ib_dma_map_single failed');
            rxDma.push(addr);
            ib_post_recv(id.qp!, { wr_cqe: onDone(server, `recv${i}`), sg_list: [{ addr, length: MSG_SIZE, lkey: server.pd!.local_dma_lkey }] });
          }
          step('server', `ib_dma_map_single × 2, ib_post_recv × 2 (lkey local_dma_lkey 0x${server.pd!.local_dma_lkey.toString(16)}), rdma_accept`);
          rdma_accept(id, conn);
          break;
        }
        case rdma_cm_event_type.RDMA_CM_EVENT_ESTABLISHED:
          server.established = true;
          break;
        case rdma_cm_event_type.RDMA_CM_EVENT_DISCONNECTED:
          server.disconnected = true;
          step('server', 'rdma_disconnect (answers the DREQ: QP to ERR, DREP)');
          rdma_disconnect(id);
          break;
        default:
          break;
      }
      return 0;
    }, null, RDMA_PS_TCP, ib_qp_type.IB_QPT_RC);
    rdma_bind_addr(listen, sockaddrIn(server.host.ip, PORT));
    rdma_listen(listen, 1);
    step('server', `rdma_create_id(RDMA_PS_TCP, IB_QPT_RC), rdma_bind_addr(${server.host.ip}:${PORT}), rdma_listen`);

    // ---- client: resolve and connect ----
    const cid = rdma_create_id(client.host, (id, ev) => {
      note(client, id, ev);
      switch (ev.event) {
        case rdma_cm_event_type.RDMA_CM_EVENT_ADDR_RESOLVED:
          step('client', 'rdma_resolve_route');
          rdma_resolve_route(id, 2000);
          break;
        case rdma_cm_event_type.RDMA_CM_EVENT_ROUTE_RESOLVED:
          createQp(client, id);
          step('client', 'rdma_connect');
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

    // ---- client: SEND and SEND_WITH_IMM ----
    const tx = [kmalloc_page(client.host), kmalloc_page(client.host)];
    const text = ['hello from the client: an RDMA SEND', 'and a SEND_WITH_IMM'];
    const enc = new TextEncoder();
    const sizes = [MSG_SIZE, 1000];
    const txDma: number[] = [];
    for (let i = 0; i < tx.length; i++) {
      const b = tx[i]!.buf;
      for (let j = 0; j < MSG_SIZE; j++) b[j] = (j * 7 + i * 13) & 0xff;
      b.set(enc.encode(text[i]!));
      const addr = ib_dma_map_single(client.dev, b, MSG_SIZE, DMA_TO_DEVICE);
      if (ib_dma_mapping_error(client.dev, addr)) throw new Error('client: ib_dma_map_single failed');
      txDma.push(addr);
    }
    const lkey = client.pd!.local_dma_lkey;
    step('client', `ib_post_send: SEND ${sizes[0]} bytes, then SEND_WITH_IMM ${sizes[1]} bytes imm 0x${IMM.toString(16)} (one chain)`);
    ib_post_send(cid.qp!, {
      wr_cqe: onDone(client, 'send0'), opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED,
      sg_list: [{ addr: txDma[0]!, length: sizes[0]!, lkey }],
      next: {
        wr_cqe: onDone(client, 'send1'), opcode: ib_wr_opcode.IB_WR_SEND_WITH_IMM, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        sg_list: [{ addr: txDma[1]!, length: sizes[1]!, lkey }], ex: { imm_data: IMM },
      },
    });
    runUntil(() => wcs.length >= 4, 'four completions');

    // ---- server: look at what arrived ----
    let dataOk = true;
    for (let i = 0; i < rx.length; i++) {
      ib_dma_sync_single_for_cpu(server.dev, rxDma[i]!, MSG_SIZE, DMA_FROM_DEVICE);
      const got = rx[i]!.buf.subarray(0, sizes[i]);
      const want = tx[i]!.buf.subarray(0, sizes[i]);
      const same = Buffer.compare(Buffer.from(got), Buffer.from(want)) === 0;
      dataOk &&= same;
      step('server', `recv${i}: ${same ? 'bytes match' : 'BYTES DIFFER'}: "${new TextDecoder().decode(got.subarray(0, text[i]!.length))}"`);
    }

    // ---- release ----
    step('client', 'rdma_disconnect');
    rdma_disconnect(cid);
    runUntil(() => client.disconnected && server.disconnected, 'DISCONNECTED');
    for (const side of [client, server]) {
      ib_drain_qp(side.id!.qp!);
      rdma_destroy_qp(side.id!);
      ib_free_cq(side.cq!);
      const [bufs, dmas, dir] = side === client ? [tx, txDma, DMA_TO_DEVICE] : [rx, rxDma, DMA_FROM_DEVICE];
      for (let i = 0; i < bufs.length; i++) ib_dma_unmap_single(side.dev, dmas[i]!, MSG_SIZE, dir);
      ib_dealloc_pd(side.pd!);
      rdma_destroy_id(side.id!);
      for (const b of bufs) __free_pages(b.pg, 0);
      step(side.name, 'ib_drain_qp, rdma_destroy_qp, ib_free_cq, ib_dma_unmap_single × 2, ib_dealloc_pd, rdma_destroy_id');
    }
    rdma_destroy_id(listen);
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
    return { cm: { client: client.cm, server: server.cm }, wcs, dataOk, hosts: [client.host, server.host], frames: wireFrames(fabric.stats()), lines };
  } finally {
    trace.stop();
    clock.close();
  }
}

const USAGE = 'usage: main.js [--pcap FILE] [--trace SYSTEM:EVENT[,...]]';

if (isMain(import.meta.url)) {
  const r = run({ ...parseExampleArgs(process.argv.slice(2), USAGE), print: (l) => console.log(l) });
  if (!r.dataOk) process.exit(1);
}
