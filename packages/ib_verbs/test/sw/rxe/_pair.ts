/**
 * _pair - test fixture: two hosts on a fabric, an rxe device on each, PD/CQ/RC QP per side,
 * connected by hand (RESET → INIT → RTR → RTS, no rdma_cm), and DMA-mapped buffers.
 *
 * Emulator-only (tests). V4's conformance ports build on this: `makeRcPair(init)` returns
 * everything; knobs: profile, icrc, iommu, fabric latency/bandwidth/mtu, path MTU, PSNs, QP
 * attributes (timeout, retry_cnt, rnr_retry, min_rnr_timer, max_rd_atomic…), CQ size, queue caps.
 */
import { SimClock } from '@rdmaemu/sim-core';
import { DMA_BIDIRECTIONAL, alloc_contig_pages, page_to_phys, phys_to_virt, type DmaHost } from '@rdmaemu/dma-core';
import { createFabric, type Fabric, type FabricHost } from '../../../src/fabric/fabric.js';
import {
  ib_access_flags, ib_mtu, ib_poll_context, ib_qp_attr_mask, ib_qp_state, ib_qp_type, ib_sig_type, rdma_ah_attr_init,
  rdma_ip2gid, type ib_qp_attr, type ib_qp_cap, type ib_wc,
} from '../../../src/core/ib_verbs.h.js';
import type { ib_cq, ib_pd, ib_qp } from '../../../src/core/device.js';
import { ib_alloc_pd, ib_create_qp, ib_modify_qp } from '../../../src/core/verbs.js';
import { ib_alloc_cq, ib_poll_cq } from '../../../src/core/cq.js';
import { ib_dma_map_single } from '../../../src/core/ib_dma.js';
import { rxe_add } from '../../../src/sw/rxe/rxe.js';
import type { rxe_dev } from '../../../src/sw/rxe/rxe_verbs.h.js';
import type { RxeProfileName } from '../../../src/sw/rxe/rxe_param.h.js';

let devSeq = 0;

/** A DMA-mapped buffer: CPU view + DMA address on the side's rxe device. */
export interface PairBuffer {
  buf: Uint8Array;
  dma: number;
}

/** One side of the pair. */
export interface PairSide {
  host: FabricHost;
  dma: DmaHost;
  dev: rxe_dev;
  pd: ib_pd;
  cq: ib_cq;
  qp: ib_qp;
  /** Allocate `size` bytes of contiguous RAM, mapped DMA_BIDIRECTIONAL. */
  alloc(size: number, fill?: number): PairBuffer;
  /** Poll everything on the CQ. */
  poll(n?: number): ib_wc[];
}

export interface RcPairInit {
  profile?: RxeProfileName;
  icrc?: boolean;
  iommu?: 'off' | 'strict' | 'lazy';
  latencyNs?: number;
  bandwidthGbps?: number;
  fabricMtu?: number;
  path_mtu?: ib_mtu;
  sq_psn?: number;
  rq_psn?: number;
  cqe?: number;
  cap?: Partial<ib_qp_cap>;
  sq_sig_all?: boolean;
  /** Extra attributes for RTR/RTS (timeout, retry_cnt, rnr_retry, min_rnr_timer, max_rd_atomic, …). */
  attr?: ib_qp_attr;
  access?: number;
  seed?: number;
  memory?: string;
}

export interface RcPair {
  clock: SimClock;
  fabric: Fabric;
  a: PairSide;
  b: PairSide;
  /** Run the simulation until nothing is pending (bounded by the clock's event budget). */
  run(): void;
}

function side(fabric: Fabric, name: string, ip: string, init: RcPairInit): Omit<PairSide, 'qp'> & { qp: ib_qp | null } {
  const host = fabric.addHost({ name, ip, iommu: init.iommu ?? 'off', memory: init.memory ?? '64M' });
  const dev = rxe_add(host.netdev, { dma: host.dma, name: `rxe_${name}_${devSeq++}`, profile: init.profile, icrc: init.icrc });
  const pd = ib_alloc_pd(dev);
  const cq = ib_alloc_cq(dev, null, init.cqe ?? 256, 0, ib_poll_context.IB_POLL_DIRECT);
  return {
    host, dma: host.dma, dev, pd, cq, qp: null,
    alloc(size: number, fill = 0): PairBuffer {
      const pages = Math.max(1, Math.ceil(size / 4096));
      const pg = alloc_contig_pages(host.dma.mem, pages);
      if (pg === null) throw new Error('out of memory');
      const buf = phys_to_virt(host.dma.mem, page_to_phys(pg), size);
      buf.fill(fill);
      const dma = ib_dma_map_single(dev, buf, size, DMA_BIDIRECTIONAL);
      return { buf, dma };
    },
    poll(n = 1024): ib_wc[] { return ib_poll_cq(cq, n); },
  };
}

/**
 * makeRcPair - two connected RC QPs at RTS on two hosts.
 * @example
 * ```ts
 * const { a, b, run } = makeRcPair();
 * ```
 */
export function makeRcPair(init: RcPairInit = {}): RcPair {
  const clock = new SimClock({ seed: init.seed ?? 1 });
  const fabric = createFabric(clock, {
    latencyNs: init.latencyNs ?? 1000, bandwidthGbps: init.bandwidthGbps ?? 100, mtu: init.fabricMtu,
  });
  const sa = side(fabric, 'a', '10.0.0.1', init);
  const sb = side(fabric, 'b', '10.0.0.2', init);
  const cap: ib_qp_cap = {
    max_send_wr: 256, max_recv_wr: 256, max_send_sge: 4, max_recv_sge: 4, max_inline_data: 64, ...init.cap,
  };
  for (const s of [sa, sb]) {
    s.qp = ib_create_qp(s.pd, {
      send_cq: s.cq, recv_cq: s.cq, cap: { ...cap }, qp_type: ib_qp_type.IB_QPT_RC,
      sq_sig_type: init.sq_sig_all ? ib_sig_type.IB_SIGNAL_ALL_WR : ib_sig_type.IB_SIGNAL_REQ_WR,
    });
  }
  const M = ib_qp_attr_mask;
  const access = init.access ?? (ib_access_flags.IB_ACCESS_REMOTE_WRITE | ib_access_flags.IB_ACCESS_REMOTE_READ |
    ib_access_flags.IB_ACCESS_REMOTE_ATOMIC | ib_access_flags.IB_ACCESS_LOCAL_WRITE);
  const x = init.attr ?? {};
  const connect = (me: typeof sa, peer: typeof sb, peerIp: string): void => {
    const qp = me.qp!;
    ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_INIT, pkey_index: 0, port_num: 1, qp_access_flags: access },
      M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS);
    ib_modify_qp(qp, {
      qp_state: ib_qp_state.IB_QPS_RTR, path_mtu: init.path_mtu ?? ib_mtu.IB_MTU_4096,
      rq_psn: init.rq_psn ?? 1024, dest_qp_num: peer.qp!.qp_num,
      ah_attr: rdma_ah_attr_init({ dgid: rdma_ip2gid(peerIp), dmac: new Uint8Array(6) }),
      max_dest_rd_atomic: x.max_dest_rd_atomic ?? 8, min_rnr_timer: x.min_rnr_timer ?? 1,
    }, M.IB_QP_STATE | M.IB_QP_PATH_MTU | M.IB_QP_RQ_PSN | M.IB_QP_DEST_QPN | M.IB_QP_AV |
      M.IB_QP_MAX_DEST_RD_ATOMIC | M.IB_QP_MIN_RNR_TIMER);
    ib_modify_qp(qp, {
      qp_state: ib_qp_state.IB_QPS_RTS, sq_psn: init.sq_psn ?? 1024, max_rd_atomic: x.max_rd_atomic ?? 8,
      timeout: x.timeout ?? 14, retry_cnt: x.retry_cnt ?? 7, rnr_retry: x.rnr_retry ?? 7,
    }, M.IB_QP_STATE | M.IB_QP_SQ_PSN | M.IB_QP_MAX_QP_RD_ATOMIC | M.IB_QP_TIMEOUT | M.IB_QP_RETRY_CNT |
      M.IB_QP_RNR_RETRY);
  };
  connect(sa, sb, '10.0.0.2');
  connect(sb, sa, '10.0.0.1');
  return {
    clock, fabric, a: sa as PairSide, b: sb as PairSide,
    run(): void { clock.runUntilIdle(); },
  };
}
