/**
 * bench/rw - one 1 MiB RDMA transfer through rdma_rw: the sg, bvec and iova DMA designs side by
 * side, in 4 KiB pages and 64 KiB folios, with the IOMMU off and strict.
 *
 * Two hosts on the emulated fabric, an rxe device each, a connected RC QP pair. Host a holds the
 * 1 MiB as a bio_vec array (pages or folios shuffled with a fixed seed, as a page cache hands them
 * out); host b holds a DMA-mapped contiguous buffer reached through its PD's unsafe global rkey.
 * Per case, `rdma_rw_ctx_init_bvec` with `new rdma_rw_ctx({ design })`:
 *
 *   ctx/s full   init + rdma_rw_ctx_post + completion (the 1 MiB moves through rxe and the fabric in
 *                virtual time: RoCEv2 packets, ICRC, DMA) + rdma_rw_ctx_destroy_bvec
 *   ctx/s map    init + destroy only (what the DMA design itself costs)
 *   per context: WQEs posted, SGEs, MRs, IOMMU PTEs written and IOTLB flushes
 *
 * The `rxe` profile moves RDMA WRITEs (no MRs: RoCE with max_sgl_rd = 0). The `iwarp` rows are
 * RDMA READs, which iWARP must land in MRs (REG_MR + READ_WITH_INV): the READ_WITH_INV leaves the
 * pool MR invalid, so the next context re-registers it with no LOCAL_INV.
 * dma-debug is off, as in a production kernel. Wall-clock rates; counters are exact.
 *
 * Usage: npm run bench -- rw [--json] [--ms 300]
 */
import {
  DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE, PAGE_SIZE, alloc_contig_pages, alloc_pages, bio_vec, bvecIter,
  diffDmaStats, dma_map_phys, folio_alloc, folio_size, page_to_phys, type IommuMode, type dma_data_direction,
} from '@rdmaemu/dma-core';
import { SeededRandom, SimClock } from '@rdmaemu/sim-core';
import {
  RDMA_RW_DESIGNS, createFabric, ib_alloc_cq, ib_alloc_pd, ib_create_qp, ib_modify_qp, ib_mtu, ib_pd_flags, ib_poll_context,
  ib_poll_cq, ib_qp_attr_mask as M, ib_qp_state, ib_qp_type, ib_sig_type, ib_access_flags, rdmaRwCtxCounts, rdma_ah_attr_init,
  rdma_ip2gid, rdma_rw_ctx, rdma_rw_ctx_destroy_bvec, rdma_rw_ctx_init_bvec, rdma_rw_ctx_post, rxe_add, type FabricHost,
  type RdmaRwDesign, type RxeProfileName, type ib_cq, type ib_cqe, type ib_qp,
} from '@rdmaemu/ib_verbs';
import { printReport, timeIt } from './_report.js';

const MiB = 1 << 20;
type Unit = '4K' | '64K';

interface Bed {
  clock: SimClock;
  a: FabricHost;
  qp: ib_qp;
  cq: ib_cq;
  raddr: number;
  rkey: number;
  bvecs: bio_vec[];
}

function connect(qp: ib_qp, peer: FabricHost, peerQp: ib_qp): void {
  const access = ib_access_flags.IB_ACCESS_REMOTE_READ | ib_access_flags.IB_ACCESS_REMOTE_WRITE;
  ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_INIT, pkey_index: 0, port_num: 1, qp_access_flags: access },
    M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS);
  ib_modify_qp(qp, {
    qp_state: ib_qp_state.IB_QPS_RTR, path_mtu: ib_mtu.IB_MTU_4096, dest_qp_num: peerQp.qp_num, rq_psn: 0, max_dest_rd_atomic: 8,
    min_rnr_timer: 12, ah_attr: rdma_ah_attr_init({ dgid: rdma_ip2gid(peer.ip), dmac: new Uint8Array(6), hop_limit: 64 }),
  }, M.IB_QP_STATE | M.IB_QP_AV | M.IB_QP_PATH_MTU | M.IB_QP_DEST_QPN | M.IB_QP_RQ_PSN | M.IB_QP_MAX_DEST_RD_ATOMIC | M.IB_QP_MIN_RNR_TIMER);
  ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_RTS, sq_psn: 0, timeout: 14, retry_cnt: 7, rnr_retry: 7, max_rd_atomic: 8 },
    M.IB_QP_STATE | M.IB_QP_SQ_PSN | M.IB_QP_TIMEOUT | M.IB_QP_RETRY_CNT | M.IB_QP_RNR_RETRY | M.IB_QP_MAX_QP_RD_ATOMIC);
}

function makeBed(iommu: IommuMode, unit: Unit, profile: RxeProfileName): Bed {
  const clock = new SimClock({ seed: 1, traceClock: false });
  const fabric = createFabric(clock, { seed: 1 });
  const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', memory: '64M', iommu, dmaDebug: false });
  const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', memory: '64M', iommu, dmaDebug: false });
  const da = rxe_add(a.netdev, { dma: a.dma, profile, register: false });
  const db = rxe_add(b.netdev, { dma: b.dma, profile, register: false });
  const pd = ib_alloc_pd(da);
  const cq = ib_alloc_cq(da, null, 1024, 0, ib_poll_context.IB_POLL_DIRECT);
  const qp = ib_create_qp(pd, {
    send_cq: cq, recv_cq: cq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR, port_num: 1,
    cap: { max_send_wr: 512, max_recv_wr: 4, max_send_sge: Math.min(32, da.attrs.max_send_sge), max_recv_sge: 1, max_inline_data: 0, max_rdma_ctxs: 4 },
  });
  const ppd = ib_alloc_pd(db, ib_pd_flags.IB_PD_UNSAFE_GLOBAL_RKEY);
  const pcq = ib_alloc_cq(db, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
  const pqp = ib_create_qp(ppd, {
    send_cq: pcq, recv_cq: pcq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
    cap: { max_send_wr: 4, max_recv_wr: 4, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 },
  });
  connect(qp, b, pqp);
  connect(pqp, a, qp);
  const rpg = alloc_contig_pages(b.dma.mem, MiB / PAGE_SIZE);
  if (rpg === null) throw new Error('bench rw: out of memory');
  const raddr = dma_map_phys(db.dma_device, page_to_phys(rpg), MiB, DMA_BIDIRECTIONAL, 0);
  const rng = new SeededRandom(1);
  const bvecs: bio_vec[] = [];
  for (let i = 0; i < (unit === '4K' ? MiB / PAGE_SIZE : 16); i++) {
    if (unit === '4K') bvecs.push(new bio_vec(alloc_pages(a.dma.mem, 0)!, PAGE_SIZE, 0));
    else {
      const f = folio_alloc(a.dma.mem, 4)!;
      bvecs.push(new bio_vec(f.page, folio_size(f), 0));
    }
  }
  for (let i = bvecs.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [bvecs[i], bvecs[j]] = [bvecs[j]!, bvecs[i]!];
  }
  return { clock, a, qp, cq, raddr, rkey: ppd.unsafe_global_rkey, bvecs };
}

const cqe: ib_cqe = { done: () => undefined };

function initCtx(bed: Bed, design: RdmaRwDesign, dir: dma_data_direction): rdma_rw_ctx {
  const ctx = new rdma_rw_ctx({ design });
  const ret = rdma_rw_ctx_init_bvec(ctx, bed.qp, 1, bed.bvecs, bed.bvecs.length, bvecIter(bed.bvecs), bed.raddr, bed.rkey, dir);
  if (ret < 0) throw new Error(`bench rw: rdma_rw_ctx_init_bvec (${design}) = ${ret}`);
  return ctx;
}

/** init + post + run the clock until the completion + destroy. */
function fullCycle(bed: Bed, design: RdmaRwDesign, dir: dma_data_direction): void {
  const ctx = initCtx(bed, design, dir);
  rdma_rw_ctx_post(ctx, bed.qp, 1, cqe, null);
  for (let step = 1000; ; step = Math.min(step * 2, 100_000)) {
    bed.clock.flush();
    const wc = ib_poll_cq(bed.cq, 1)[0];
    if (wc !== undefined) {
      if (wc.status !== 0) throw new Error(`bench rw: ${design}: completion status ${wc.status}`);
      break;
    }
    bed.clock.advanceNs(step);
  }
  rdma_rw_ctx_destroy_bvec(ctx, bed.qp, 1, bed.bvecs, bed.bvecs.length, dir);
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const msArg = argv.indexOf('--ms');
  const ms = msArg >= 0 ? Number(argv[msArg + 1]) : 300;
  const rows: Record<string, string | number>[] = [];
  const groups: { profile: RxeProfileName; dir: dma_data_direction; full: boolean }[] = [
    { profile: 'rxe', dir: DMA_TO_DEVICE, full: true },
    { profile: 'iwarp', dir: DMA_FROM_DEVICE, full: true },
  ];
  for (const g of groups) {
    for (const iommu of ['off', 'strict'] as IommuMode[]) {
      for (const unit of ['4K', '64K'] as Unit[]) {
        for (const design of RDMA_RW_DESIGNS) {
          const bed = makeBed(iommu, unit, g.profile);
          const dev = bed.qp.device.dma_device;
          // shape of one context
          const probe = initCtx(bed, design, g.dir);
          const counts = rdmaRwCtxCounts(probe);
          rdma_rw_ctx_destroy_bvec(probe, bed.qp, 1, bed.bvecs, bed.bvecs.length, g.dir);
          // map-only rate and per-context IOMMU work
          const before = dev.stats.snapshot().total;
          const tm = timeIt(() => {
            const ctx = initCtx(bed, design, g.dir);
            rdma_rw_ctx_destroy_bvec(ctx, bed.qp, 1, bed.bvecs, bed.bvecs.length, g.dir);
          }, ms);
          const d = diffDmaStats(dev.stats.total, before);
          const tf = g.full ? timeIt(() => fullCycle(bed, design, g.dir), ms, 20) : null;
          rows.push({
            profile: g.profile, op: g.dir === DMA_TO_DEVICE ? 'WRITE' : 'READ', iommu, unit, design,
            'ctx/s full': tf ? Math.round(tf.opsPerSec) : '-',
            'ctx/s map': Math.round(tm.opsPerSec),
            WQEs: counts.wqes, SGEs: counts.sges, MRs: counts.mrs,
            PTEs: d.ptes_written / tm.calls,
            flushes: d.iotlb_flushes / tm.calls,
          });
        }
      }
    }
  }
  printReport({
    suite: 'rw',
    title: 'rdma_rw: one 1 MiB transfer per context, sg vs bvec vs iova, IOMMU off / strict, 4 KiB pages / 64 KiB folios',
    columns: ['profile', 'op', 'iommu', 'unit', 'design', 'ctx/s full', 'ctx/s map', 'WQEs', 'SGEs', 'MRs', 'PTEs', 'flushes'],
    rows,
    notes: [
      'ctx/s full = rdma_rw_ctx_init_bvec + rdma_rw_ctx_post + completion (1 MiB through rxe + fabric, virtual time) + rdma_rw_ctx_destroy_bvec.',
      'ctx/s map = rdma_rw_ctx_init_bvec + rdma_rw_ctx_destroy_bvec only. PTEs / flushes: IOMMU PTEs written and IOTLB flushes per context (map+unmap).',
      'WQEs = RDMA WRs + REG_MR + LOCAL_INV posted per context; iwarp READs use MRs (REG_MR + READ_WITH_INV: no LOCAL_INV).',
    ],
  }, json);
}
