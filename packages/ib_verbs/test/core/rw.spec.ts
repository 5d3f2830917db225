/**
 * rw.spec - rdma_rw (drivers/infiniband/core/rw.c) on two real rxe hosts: the sg, bvec and iova
 * designs move identical bytes for RDMA WRITE and READ (seeded property over sizes, offsets,
 * 4 KiB pages / 64 KiB folios, IOMMU off / strict), with the WR/SGE counts each design must
 * produce; the MR path (iWARP READ, force_mr); -EINVAL / -EAGAIN / -EIO; rdma_rw_ctx_wrs
 * chaining and signaling; destroy leaves dma-debug clean and MRs back in the pool; QP sizing.
 *
 * Kernel: drivers/infiniband/core/rw.c, drivers/infiniband/core/mr_pool.c, KERNEL.md §6
 *
 * Layout: host a ("client") runs rdma_rw on its QP; host b ("server") holds one FRWR-registered
 * contiguous buffer (rkey) that a reads from / writes to. Every mapping rdma_rw makes is on host
 * a, so `a.dma.debug.assertClean()` checks that destroy undid everything.
 *
 * Seeds: fast-check's seed comes from RDMAEMU_SEED when set (else fixed) and is printed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  DMA_FROM_DEVICE, DMA_TO_DEVICE, PAGE_SIZE, alloc_pages, bio_vec, bvec_iter, bvec_phys, folio_alloc, sg_init_table,
  sg_set_page, type dma_data_direction, type IommuMode, type page,
} from '@rdmaemu/dma-core';
import { SeededRandom, SimClock, setStrict, isKernelBug } from '@rdmaemu/sim-core';
import { createFabric } from '../../src/fabric/fabric.js';
import { rxe_add } from '../../src/sw/rxe/rxe.js';
import type { RxeProfileName } from '../../src/sw/rxe/rxe_param.h.js';
import type { ib_cq, ib_mr, ib_pd, ib_qp } from '../../src/core/device.js';
import {
  ib_mr_type, ib_poll_context, ib_qp_type, ib_send_flags, ib_sig_type, ib_wr_opcode, type ib_cqe, type ib_qp_init_attr, type ib_send_wr,
} from '../../src/core/ib_verbs.h.js';
import { ib_alloc_cq, ib_free_cq } from '../../src/core/cq.js';
import { ib_alloc_pd, ib_create_qp, ib_dealloc_pd, ib_destroy_qp, ib_inc_rkey, ib_post_recv, ib_post_send } from '../../src/core/verbs.js';
import {
  RDMA_RW_DESIGNS, RDMA_RW_IOVA, RDMA_RW_MR, RDMA_RW_MULTI_WR, RDMA_RW_SINGLE_WR, rdmaRwCtxCounts, rdmaRwParams, rdma_rw_can_use_mr,
  rdma_rw_ctx, rdma_rw_ctx_destroy, rdma_rw_ctx_destroy_bvec, rdma_rw_ctx_init, rdma_rw_ctx_init_bvec, rdma_rw_ctx_post,
  rdma_rw_ctx_wrs, rdma_rw_init_qp, rdma_rw_io_needs_mr, rdma_rw_max_send_wr, rdma_rw_mr_factor, type RdmaRwDesign,
} from '../../src/core/rw.js';
import {
  allocBuf, connectQp, drainCq, expectNoCompletion, regMr, waitForCompletion, wcStr, type Buf, type HostCtx, type Testbed,
} from '../conformance/_std_pair.js';

const ENV = process.env.RDMAEMU_SEED;
const FC_SEED = ENV ? Number(ENV) >>> 0 : 0x2d3a;
const PORT = 1;
const MiB = 1 << 20;
const FOLIO = 64 * 1024;

type Unit = '4K' | '64K';
const unitBytes = (u: Unit): number => (u === '4K' ? PAGE_SIZE : FOLIO);

// ---------------------------------------------------------------------------------------------
// Fixture

interface RwBedInit {
  iommu?: IommuMode;
  profile?: RxeProfileName;
  max_send_sge?: number;
  max_rdma_ctxs?: number;
  remoteBytes?: number;
  /** force_mr while the QP is created (so its MR pool is filled). */
  forceMrAtCreate?: boolean;
}

interface RwBed {
  readonly tb: Testbed;
  readonly clock: SimClock;
  readonly a: HostCtx;
  readonly b: HostCtx;
  readonly pd: ib_pd;
  readonly cq: ib_cq;
  readonly qp: ib_qp;
  readonly init_attr: ib_qp_init_attr;
  readonly peerQp: ib_qp;
  readonly peerCq: ib_cq;
  readonly remote: Buf;
  readonly rmr: ib_mr;
  /** Local memory units (shuffled, reused by every run). */
  readonly units: Record<Unit, page[]>;
}

function rwBed(init: RwBedInit = {}): RwBed {
  const clock = new SimClock({ seed: 7, traceClock: false });
  const fabric = createFabric(clock, { seed: 7 });
  const mk = (name: string, ip: string): HostCtx => {
    const fh = fabric.addHost({ name, ip, memory: '32M', iommu: init.iommu ?? 'off' });
    const dev = rxe_add(fh.netdev, { dma: fh.dma, profile: init.profile ?? 'rxe', register: false });
    return { fh, dev, admin: new Map(), adminCq: null, adminPd: null };
  };
  const a = mk('client', '10.0.0.1');
  const b = mk('server', '10.0.0.2');
  const tb: Testbed = { clock, fabric, a, b };
  const pd = ib_alloc_pd(a.dev);
  const cq = ib_alloc_cq(a.dev, null, 1024, 0, ib_poll_context.IB_POLL_DIRECT);
  const max_send_sge = init.max_send_sge ?? Math.min(32, a.dev.attrs.max_send_sge);
  const init_attr: ib_qp_init_attr = {
    send_cq: cq, recv_cq: cq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR, port_num: PORT,
    cap: { max_send_wr: 512, max_recv_wr: 16, max_send_sge, max_recv_sge: 1, max_inline_data: 0, max_rdma_ctxs: init.max_rdma_ctxs ?? 4 },
  };
  const saved = rdmaRwParams.force_mr;
  rdmaRwParams.force_mr = init.forceMrAtCreate ?? saved;
  let qp: ib_qp;
  try {
    qp = ib_create_qp(pd, init_attr);
  } finally {
    rdmaRwParams.force_mr = saved;
  }
  const ppd = ib_alloc_pd(b.dev);
  const peerCq = ib_alloc_cq(b.dev, null, 256, 0, ib_poll_context.IB_POLL_DIRECT);
  const peerQp = ib_create_qp(ppd, {
    send_cq: peerCq, recv_cq: peerCq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
    cap: { max_send_wr: 16, max_recv_wr: 16, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 },
  });
  connectQp(a, qp, b, peerQp);
  connectQp(b, peerQp, a, qp);
  const remote = allocBuf(b, init.remoteBytes ?? 2 * MiB);
  const rmr = regMr(tb, ppd, remote);
  // Local units: 300 pages and 20 folios, shuffled as a page cache would hand them out.
  const rng = new SeededRandom(11);
  const units: Record<Unit, page[]> = { '4K': [], '64K': [] };
  for (let i = 0; i < 300; i++) units['4K'].push(alloc_pages(a.fh.dma.mem, 0)!);
  for (let i = 0; i < 20; i++) units['64K'].push(folio_alloc(a.fh.dma.mem, 4)!.page);
  for (const u of ['4K', '64K'] as const) {
    const arr = units[u];
    for (let i = arr.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [arr[i], arr[j]] = [arr[j]!, arr[i]!];
    }
  }
  return { tb, clock, a, b, pd, cq, qp, init_attr, peerQp, peerCq, remote, rmr, units };
}

/** A transfer: `len` bytes starting `off` bytes into the first of ⌈(off+len)/unit⌉ whole units. */
interface Xfer {
  unit: Unit;
  off: number;
  len: number;
  /** Offset into the remote buffer. */
  roff: number;
}

/** bvecs of whole units and an iterator skipping `off` bytes (bi_bvec_done) and covering `len`. */
function xferBvecs(bed: RwBed, x: Xfer): { bvecs: bio_vec[]; iter: bvec_iter } {
  const U = unitBytes(x.unit);
  const n = Math.ceil((x.off + x.len) / U);
  const bvecs: bio_vec[] = [];
  for (let i = 0; i < n; i++) bvecs.push(new bio_vec(bed.units[x.unit][i]!, U, 0));
  return { bvecs, iter: new bvec_iter({ bi_size: x.len, bi_bvec_done: x.off }) };
}

/** CPU view of byte range [from, from+len) of the transfer's local bytes, as one copy. */
function localBytes(bed: RwBed, bvecs: readonly bio_vec[], off: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let pos = off;
  let k = 0;
  for (const bv of bvecs) {
    if (k >= len) break;
    if (pos >= bv.bv_len) {
      pos -= bv.bv_len;
      continue;
    }
    const n = Math.min(bv.bv_len - pos, len - k);
    out.set(bed.a.fh.dma.mem.view(bvec_phys(bv) + pos, n), k);
    k += n;
    pos = 0;
  }
  return out;
}

function fillRandom(v: Uint8Array, rng: SeededRandom): void {
  let i = 0;
  for (; i + 4 <= v.length; i += 4) {
    const x = rng.nextU32();
    v[i] = x & 0xff;
    v[i + 1] = (x >>> 8) & 0xff;
    v[i + 2] = (x >>> 16) & 0xff;
    v[i + 3] = x >>> 24;
  }
  for (; i < v.length; i++) v[i] = rng.nextU32() & 0xff;
}

interface RunResult {
  ret: number;
  type: number;
  counts: ReturnType<typeof rdmaRwCtxCounts>;
  /** sg design: DMA segments after ib_dma_map_sgtable_attrs (= SGEs without MRs). */
  sgNents: number | null;
  /** The bytes that moved (local side after a READ, remote side after a WRITE). */
  moved: Uint8Array;
  /** Counted on the WR chain rdma_rw_ctx_wrs() returned, i.e. what was posted. */
  posted: { wqes: number; rdma_wrs: number; sges: number };
}

const RDMA_OPS: readonly number[] = [ib_wr_opcode.IB_WR_RDMA_WRITE, ib_wr_opcode.IB_WR_RDMA_READ, ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV];

/** WQEs, RDMA WRs and their SGEs on a posted chain (walks wr.next). */
function chainCounts(first: ib_send_wr | null): RunResult['posted'] {
  const c = { wqes: 0, rdma_wrs: 0, sges: 0 };
  for (let wr = first; wr !== null && wr !== undefined; wr = wr.next ?? null) {
    c.wqes++;
    if (RDMA_OPS.includes(wr.opcode)) {
      c.rdma_wrs++;
      c.sges += wr.num_sge ?? wr.sg_list?.length ?? 0;
    }
  }
  return c;
}

/** One rdma_rw transfer with `design`: init_bvec, post, wait, destroy_bvec. */
function runXfer(bed: RwBed, x: Xfer, design: RdmaRwDesign, dir: dma_data_direction, seed: number): RunResult {
  const { bvecs, iter } = xferBvecs(bed, x);
  const rng = new SeededRandom(seed);
  const remoteView = bed.remote.view.subarray(x.roff, x.roff + x.len);
  if (dir === DMA_TO_DEVICE) {
    for (const bv of bvecs) fillRandom(bed.a.fh.dma.mem.view(bvec_phys(bv), bv.bv_len), rng);
    bed.remote.view.fill(0);
  } else {
    for (const bv of bvecs) bed.a.fh.dma.mem.view(bvec_phys(bv), bv.bv_len).fill(0);
    fillRandom(bed.remote.view, rng);
  }
  const ctx = new rdma_rw_ctx({ design });
  const ret = rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, iter, bed.remote.addr + x.roff, bed.rmr.rkey, dir);
  expect(ret, `rdma_rw_ctx_init_bvec (${design})`).to.be.greaterThan(0);
  const counts = rdmaRwCtxCounts(ctx);
  const sgNents = design === 'sg' && counts.mrs === 0 ? counts.sges : null;
  const type = ctx.type;
  const cqe: ib_cqe = { done: () => undefined };
  // rdma_rw_ctx_post() is rdma_rw_ctx_wrs() + ib_post_send(); split so the chain can be counted
  const first = rdma_rw_ctx_wrs(ctx, bed.qp, PORT, cqe, null);
  const posted = chainCounts(first);
  ib_post_send(bed.qp, first);
  const wc = waitForCompletion(bed.cq, bed.clock, 5000);
  expect(wcStr(wc), `${design} completion`).to.equal('SUCCESS');
  expect(wc.wr_cqe, 'the cqe given to rdma_rw_ctx_post').to.equal(cqe);
  expect(drainCq(bed.cq), 'only the last WR is signaled').to.have.length(0);
  rdma_rw_ctx_destroy_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, dir);
  const moved = dir === DMA_TO_DEVICE ? remoteView.slice() : localBytes(bed, bvecs, x.off, x.len);
  const expected = dir === DMA_TO_DEVICE ? localBytes(bed, bvecs, x.off, x.len) : remoteView;
  expect(Buffer.compare(moved, expected), `${design} ${dir === DMA_TO_DEVICE ? 'WRITE' : 'READ'} data`).to.equal(0);
  if (dir === DMA_TO_DEVICE) {
    // nothing outside [roff, roff+len) was written
    expect(bed.remote.view.subarray(0, x.roff).every((b) => b === 0), 'bytes before the target').to.equal(true);
    expect(bed.remote.view.subarray(x.roff + x.len).every((b) => b === 0), 'bytes after the target').to.equal(true);
  } else {
    const before = localBytes(bed, bvecs, 0, x.off);
    const total = bvecs.length * unitBytes(x.unit);
    const after = localBytes(bed, bvecs, x.off + x.len, total - x.off - x.len);
    expect(before.every((b) => b === 0) && after.every((b) => b === 0), 'local bytes outside the iterator untouched').to.equal(true);
  }
  return { ret, type, counts, sgNents, moved, posted };
}

/** dma-debug on host a (where every rdma_rw mapping is made) reports no error and no live mapping. */
function assertClean(bed: RwBed): void {
  const dbg = bed.a.fh.dma.debug;
  expect(dbg, 'dma-debug is on').to.not.equal(null);
  dbg!.assertClean();
}

const withForceMr = <T>(fn: () => T): T => {
  const saved = rdmaRwParams.force_mr;
  rdmaRwParams.force_mr = true;
  try {
    return fn();
  } finally {
    rdmaRwParams.force_mr = saved;
  }
};

const arbXfer = (maxLen: number): fc.Arbitrary<Xfer> =>
  fc.record({ unit: fc.constantFrom<Unit>('4K', '64K'), offFrac: fc.double({ min: 0, max: 0.999, noNaN: true }), len: fc.integer({ min: 1, max: maxLen }), roff: fc.integer({ min: 0, max: 4095 }) })
    .map(({ unit, offFrac, len, roff }) => ({ unit, off: Math.floor(offFrac * unitBytes(unit)), len, roff }));

// ---------------------------------------------------------------------------------------------

describe('rdma_rw: sg, bvec and iova designs move identical bytes', function () {
  this.timeout(300_000);
  before(function () {
    console.log(`      fast-check seed ${FC_SEED} (RDMAEMU_SEED to replay)`);
  });
  for (const iommu of ['off', 'strict'] as const) {
    it(`RDMA WRITE and READ of random sizes/offsets in 4 KiB pages and 64 KiB folios, IOMMU ${iommu}`, function () {
      const bed = rwBed({ iommu });
      let run = 0;
      fc.assert(fc.property(arbXfer(MiB), fc.constantFrom(DMA_TO_DEVICE, DMA_FROM_DEVICE), (x, dir) => {
        run++;
        const results = RDMA_RW_DESIGNS.map((d) => runXfer(bed, x, d, dir, run));
        for (const r of results.slice(1)) expect(Buffer.compare(r.moved, results[0]!.moved), 'designs agree').to.equal(0);
        const [sg, bvec, iova] = results as [RunResult, RunResult, RunResult];
        const segs = Math.ceil((x.off + x.len) / unitBytes(x.unit));
        const max_sge = dir === DMA_TO_DEVICE ? bed.qp.max_write_sge : bed.qp.max_read_sge;
        if (segs === 1) expect(iova.type, 'one bvec: single WR').to.equal(RDMA_RW_SINGLE_WR);
        else if (iommu === 'strict') expect(iova.counts, 'IOVA: 1 WR, 1 SGE').to.deep.include({ rdma_wrs: 1, sges: 1 });
        else expect(iova.counts.sges, 'no IOMMU: one SGE per bvec').to.equal(segs);
        if (iommu === 'off') expect(sg.counts.sges, 'dma-direct: one SGE per entry').to.equal(segs);
        else expect(sg.counts.sges, 'IOMMU: merged').to.be.at.most(Math.ceil((x.off % PAGE_SIZE + x.len) / FOLIO) + 1);
        expect(bvec.counts.sges, 'the RFC maps like sg').to.equal(sg.counts.sges);
        for (const r of results) expect(r.counts.rdma_wrs, 'nr_ops = ceil(SGEs / max_sge)').to.equal(Math.ceil(r.counts.sges / max_sge));
        assertClean(bed);
      }), { seed: FC_SEED + (iommu === 'off' ? 0 : 1), numRuns: 24 });
    });
  }
});

describe('rdma_rw: WR and SGE counts per design (1 MiB, max_send_sge 32)', function () {
  this.timeout(60_000);
  const cases: { iommu: IommuMode; unit: Unit }[] = [
    { iommu: 'off', unit: '4K' }, { iommu: 'strict', unit: '4K' }, { iommu: 'off', unit: '64K' }, { iommu: 'strict', unit: '64K' },
  ];
  for (const c of cases) {
    it(`IOMMU ${c.iommu}, ${c.unit} units: iova is 1 WR + 1 SGE on an IOMMU, else per-bvec map WRs; sg merges only on an IOMMU; split by max_sge`, function () {
      const bed = rwBed({ iommu: c.iommu, max_send_sge: 32 });
      const x: Xfer = { unit: c.unit, off: 0, len: MiB, roff: 0 };
      const nbv = MiB / unitBytes(c.unit);
      for (const dir of [DMA_TO_DEVICE, DMA_FROM_DEVICE]) {
        const r = Object.fromEntries(RDMA_RW_DESIGNS.map((d) => [d, runXfer(bed, x, d, dir, 1)])) as Record<RdmaRwDesign, RunResult>;
        if (c.iommu === 'strict') {
          expect(r.iova.type).to.equal(RDMA_RW_IOVA);
          expect(r.iova.counts).to.deep.equal({ rdma_wrs: 1, wqes: 1, sges: 1, mrs: 0 });
          expect(r.iova.posted, 'IOVA: the posted chain is exactly 1 WR with 1 SGE').to.deep.equal({ wqes: 1, rdma_wrs: 1, sges: 1 });
          // iommu_dma_map_sg merges into max_seg_size (64 KiB) segments
          expect(r.sg.sgNents, 'sg merged into max_seg_size (64 KiB) segments').to.equal(16);
          expect(r.sg.counts.sges).to.equal(r.sg.sgNents);
          expect(r.bvec.counts.sges, 'the RFC merges like sg').to.equal(r.sg.sgNents);
        } else {
          expect(r.iova.type, 'no IOMMU: per-bvec map WRs').to.equal(RDMA_RW_MULTI_WR);
          expect(r.iova.counts.sges).to.equal(nbv);
          expect(r.sg.sgNents, 'dma-direct never merges').to.equal(nbv);
          expect(r.sg.counts.sges).to.equal(nbv);
          expect(r.bvec.counts.sges).to.equal(nbv);
        }
        for (const d of RDMA_RW_DESIGNS) {
          const k = r[d].counts;
          expect(k.rdma_wrs, `${d}: nr_ops = ceil(sges / 32)`).to.equal(Math.ceil(k.sges / 32));
          expect(r[d].ret, `${d}: returns the WQE count`).to.equal(k.wqes);
          expect(r[d].posted, `${d}: the posted chain matches the counts`).to.deep.equal({ wqes: k.wqes, rdma_wrs: k.rdma_wrs, sges: k.sges });
          expect(k.mrs).to.equal(0);
        }
      }
      assertClean(bed);
    });
  }

  it('splits by qp.max_write_sge for WRITE and qp.max_read_sge = min(max_send_sge, max_sge_rd) for READ', function () {
    const bed = rwBed({ iommu: 'off', max_send_sge: 6, profile: 'iwarp' });
    expect(bed.qp.max_write_sge).to.equal(6);
    expect(bed.qp.max_read_sge, 'iwarp max_sge_rd = 1').to.equal(1);
    const x: Xfer = { unit: '4K', off: 100, len: 20 * PAGE_SIZE, roff: 8 };
    const w = runXfer(bed, x, 'sg', DMA_TO_DEVICE, 3);
    expect(w.counts).to.deep.equal({ rdma_wrs: 4, wqes: 4, sges: 21, mrs: 0 });
    const ctx = new rdma_rw_ctx({ design: 'iova' });
    const { bvecs, iter } = xferBvecs(bed, x);
    expect(rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, iter, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.equal(4);
    // remote_addr advances by each WR's bytes; same rkey
    let raddr = bed.remote.addr;
    for (const wr of ctx.map.wrs) {
      expect(wr.remote_addr).to.equal(raddr);
      expect(wr.rkey).to.equal(bed.rmr.rkey);
      expect(wr.opcode).to.equal(ib_wr_opcode.IB_WR_RDMA_WRITE);
      for (const s of wr.sg_list!) {
        expect(s.lkey, 'local_dma_lkey SGEs').to.equal(bed.pd.local_dma_lkey);
        raddr += s.length;
      }
    }
    rdma_rw_ctx_destroy_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, DMA_TO_DEVICE);
    assertClean(bed);
  });

  it('on RoCE (no MRs) splits READ by qp.max_read_sge and WRITE by qp.max_write_sge when the two differ', function () {
    const bed = rwBed({ iommu: 'off', max_send_sge: 6 });
    expect(bed.qp.max_write_sge).to.equal(6);
    bed.qp.max_read_sge = 2; // as on a RoCE device with attrs.max_sge_rd = 2
    const x: Xfer = { unit: '4K', off: 100, len: 20 * PAGE_SIZE, roff: 8 }; // 21 segments
    for (const design of RDMA_RW_DESIGNS) {
      const w = runXfer(bed, x, design, DMA_TO_DEVICE, 5);
      expect(w.posted, `${design} WRITE`).to.deep.equal({ wqes: 4, rdma_wrs: 4, sges: 21 });
      const r = runXfer(bed, x, design, DMA_FROM_DEVICE, 6);
      expect(r.posted, `${design} READ`).to.deep.equal({ wqes: 11, rdma_wrs: 11, sges: 21 });
    }
    assertClean(bed);
  });

  it('rdma_rw_ctx_init skips whole entries covered by sg_offset and starts mid-entry', function () {
    const bed = rwBed({ iommu: 'off' });
    const sgl = sg_init_table(4);
    for (let i = 0; i < 4; i++) sg_set_page(sgl[i]!, bed.units['4K'][i]!, PAGE_SIZE, 0);
    const ctx = new rdma_rw_ctx();
    const n = rdma_rw_ctx_init(ctx, bed.qp, PORT, sgl, 4, 2 * PAGE_SIZE + 10, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE);
    expect(n).to.equal(1);
    expect(ctx.type).to.equal(RDMA_RW_MULTI_WR);
    expect(ctx.map.sges.map((s) => s.length)).to.deep.equal([PAGE_SIZE - 10, PAGE_SIZE]);
    const ctx1 = new rdma_rw_ctx();
    expect(rdma_rw_ctx_init(ctx1, bed.qp, PORT, sgl.slice(0), 4, 3 * PAGE_SIZE + 1, bed.remote.addr, bed.rmr.rkey, DMA_FROM_DEVICE)).to.equal(1);
    expect(ctx1.type).to.equal(RDMA_RW_SINGLE_WR);
    expect(ctx1.single.sge.length).to.equal(PAGE_SIZE - 1);
    rdma_rw_ctx_destroy(ctx, bed.qp, PORT, sgl, 4, DMA_TO_DEVICE);
    rdma_rw_ctx_destroy(ctx1, bed.qp, PORT, sgl, 4, DMA_FROM_DEVICE);
    assertClean(bed);
  });
});

describe('rdma_rw: the MR path', function () {
  this.timeout(120_000);

  it('iWARP READ registers MRs (REG_MR + READ_WITH_INV, one SGE {mr.iova, mr.length}) in every design; iWARP WRITE does not', function () {
    for (const design of RDMA_RW_DESIGNS) {
      const bed = rwBed({ iommu: 'off', profile: 'iwarp', max_send_sge: 6 });
      expect(rdma_rw_can_use_mr(bed.a.dev, PORT)).to.equal(true);
      expect(rdma_rw_io_needs_mr(bed.a.dev, PORT, DMA_FROM_DEVICE, 1)).to.equal(true);
      expect(rdma_rw_io_needs_mr(bed.a.dev, PORT, DMA_TO_DEVICE, 100)).to.equal(false);
      const x: Xfer = { unit: '4K', off: 300, len: 40 * PAGE_SIZE, roff: 64 };
      const ctx = new rdma_rw_ctx({ design });
      const { bvecs, iter } = xferBvecs(bed, x);
      fillRandom(bed.remote.view, new SeededRandom(5));
      const ret = rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, iter, bed.remote.addr + x.roff, bed.rmr.rkey, DMA_FROM_DEVICE);
      expect(ret, `${design}: REG_MR + READ`).to.equal(2);
      expect(ctx.type).to.equal(RDMA_RW_MR);
      const reg = ctx.reg[0]!;
      expect(reg.wr.opcode).to.equal(ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV);
      expect(reg.reg_wr.access & 1, 'LOCAL_WRITE').to.equal(1);
      expect(reg.reg_wr.access & 2, 'REMOTE_WRITE on iWARP').to.equal(2);
      expect(reg.sge.addr).to.equal(reg.mr.iova);
      expect(reg.sge.length).to.equal(x.len);
      expect(bed.qp.mrs_used).to.equal(1);
      const lkey0 = reg.mr.lkey;
      const cqe: ib_cqe = { done: () => undefined };
      rdma_rw_ctx_post(ctx, bed.qp, PORT, cqe, null);
      expect(reg.mr.lkey, 'key rotated at rdma_rw_ctx_wrs time').to.equal(((lkey0 & ~0xff) | ((lkey0 + 1) & 0xff)) >>> 0);
      expect(reg.reg_wr.key).to.equal(reg.mr.lkey);
      expect(reg.sge.lkey).to.equal(reg.mr.lkey);
      expect(reg.mr.need_inval, 'READ_WITH_INV invalidates: no LOCAL_INV needed next time').to.equal(false);
      const wc = waitForCompletion(bed.cq, bed.clock);
      expect(wcStr(wc)).to.equal('SUCCESS');
      expect(Buffer.compare(localBytes(bed, bvecs, x.off, x.len), bed.remote.view.subarray(x.roff, x.roff + x.len))).to.equal(0);
      rdma_rw_ctx_destroy_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, DMA_FROM_DEVICE);
      expect(bed.qp.mrs_used, 'MRs back in the pool').to.equal(0);
      expect(bed.qp.rdma_mrs).to.have.length(4);
      assertClean(bed);
      // WRITE on iWARP: direct SGEs
      const w = runXfer(bed, { unit: '4K', off: 0, len: 8 * PAGE_SIZE, roff: 0 }, design, DMA_TO_DEVICE, 9);
      expect(w.counts.mrs).to.equal(0);
    }
  });

  it('force_mr: every design registers MRs for WRITE and READ; LOCAL_INV precedes the REG_MR once an MR was used; data identical', function () {
    // One QP for every transfer: its two pool MRs are re-registered (LOCAL_INV + REG_MR) again and again.
    const b = rwBed({ iommu: 'strict', forceMrAtCreate: true, max_rdma_ctxs: 2 });
    expect(b.qp.rdma_mrs, 'pool filled at QP creation').to.have.length(2);
    let run = 0;
    for (const dir of [DMA_TO_DEVICE, DMA_FROM_DEVICE]) {
      for (const unit of ['4K', '64K'] as const) {
        const x: Xfer = { unit, off: 1000, len: 100_000, roff: 12 };
        const seed = ++run;
        const res = RDMA_RW_DESIGNS.map((d) => {
          const r = withForceMr(() => runXfer(b, x, d, dir, seed));
          expect(r.type, d).to.equal(RDMA_RW_MR);
          expect(r.counts.mrs).to.equal(1);
          expect(b.qp.mrs_used).to.equal(0);
          assertClean(b);
          return r;
        });
        for (const r of res) expect(Buffer.compare(r.moved, res[0]!.moved)).to.equal(0);
      }
    }
    expect(b.qp.rdma_mrs!.some((mr) => mr.need_inval), 'a pool MR was registered over and over').to.equal(true);
    const bed = rwBed({ iommu: 'strict', forceMrAtCreate: true, max_rdma_ctxs: 2 });
    withForceMr(() => {
      runXfer(bed, { unit: '4K', off: 0, len: 3 * PAGE_SIZE, roff: 0 }, 'iova', DMA_TO_DEVICE, 1);
      // the pool MR has been registered before: the next context starts with LOCAL_INV
      const ctx = new rdma_rw_ctx();
      const { bvecs, iter } = xferBvecs(bed, { unit: '4K', off: 0, len: 3 * PAGE_SIZE, roff: 0 });
      expect(rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, iter, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.equal(3);
      const first = rdma_rw_ctx_wrs(ctx, bed.qp, PORT, { done: () => undefined }, null);
      expect(first.opcode).to.equal(ib_wr_opcode.IB_WR_LOCAL_INV);
      expect(first.next!.opcode).to.equal(ib_wr_opcode.IB_WR_REG_MR);
      expect(first.next!.next!.opcode).to.equal(ib_wr_opcode.IB_WR_RDMA_WRITE);
      rdma_rw_ctx_destroy_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, DMA_TO_DEVICE);
    });
    expect(bed.qp.mrs_used).to.equal(0);
    assertClean(bed);
  });

  it('re-registers a pool MR after use (LOCAL_INV + REG_MR + RDMA op)', function () {
    // One pool MR: every context after the first invalidates the key the previous REG_MR made
    // live, while ib_mr.lkey has already been rotated to the key the new REG_MR installs.
    const bed = rwBed({ iommu: 'strict', forceMrAtCreate: true, max_rdma_ctxs: 1 });
    expect(bed.qp.rdma_mrs).to.have.length(1);
    const mr = bed.qp.rdma_mrs![0]!;
    let liveKey = -1;
    let seed = 0;
    withForceMr(() => {
      for (const dir of [DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_TO_DEVICE, DMA_FROM_DEVICE]) {
        for (const design of RDMA_RW_DESIGNS) {
          const x: Xfer = { unit: '4K', off: 200, len: 5 * PAGE_SIZE, roff: 40 };
          const { bvecs, iter } = xferBvecs(bed, x);
          const rng = new SeededRandom(++seed);
          if (dir === DMA_TO_DEVICE) {
            for (const bv of bvecs) fillRandom(bed.a.fh.dma.mem.view(bvec_phys(bv), bv.bv_len), rng);
          } else {
            fillRandom(bed.remote.view, rng);
          }
          const ctx = new rdma_rw_ctx({ design });
          const ret = rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, iter, bed.remote.addr + x.roff, bed.rmr.rkey, dir);
          expect(ctx.reg[0]!.mr, 'the one pool MR').to.equal(mr);
          expect(ret, 'LOCAL_INV counted once the MR was used').to.equal(liveKey < 0 ? 2 : 3);
          const first = rdma_rw_ctx_wrs(ctx, bed.qp, PORT, { done: () => undefined }, null);
          const ops: number[] = [];
          for (let w: ib_send_wr | null | undefined = first; w; w = w.next) ops.push(w.opcode);
          const op = dir === DMA_TO_DEVICE ? ib_wr_opcode.IB_WR_RDMA_WRITE : ib_wr_opcode.IB_WR_RDMA_READ;
          if (liveKey < 0) {
            expect(ops).to.deep.equal([ib_wr_opcode.IB_WR_REG_MR, op]);
          } else {
            expect(ops).to.deep.equal([ib_wr_opcode.IB_WR_LOCAL_INV, ib_wr_opcode.IB_WR_REG_MR, op]);
            expect(first.ex!.invalidate_rkey, 'LOCAL_INV names the key the last REG_MR made live').to.equal(liveKey);
            expect(mr.lkey, 'ib_mr.lkey already rotated').to.equal(ib_inc_rkey(liveKey));
          }
          expect(ctx.reg[0]!.reg_wr.key).to.equal(mr.lkey);
          ib_post_send(bed.qp, first);
          const wc = waitForCompletion(bed.cq, bed.clock);
          expect(wcStr(wc), `${design} ${dir === DMA_TO_DEVICE ? 'WRITE' : 'READ'} #${seed}`).to.equal('SUCCESS');
          expect(drainCq(bed.cq), 'LOCAL_INV and REG_MR complete unsignaled').to.have.length(0);
          rdma_rw_ctx_destroy_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, dir);
          const local = localBytes(bed, bvecs, x.off, x.len);
          expect(Buffer.compare(local, bed.remote.view.subarray(x.roff, x.roff + x.len)), 'data').to.equal(0);
          expect(mr.need_inval).to.equal(true);
          liveKey = mr.lkey;
        }
      }
    });
    expect(bed.qp.mrs_used).to.equal(0);
    assertClean(bed);
  });

  it('iWARP READ: the same pool MRs serve READ after READ with no LOCAL_INV (READ_WITH_INV left them FREE)', function () {
    const bed = rwBed({ iommu: 'off', profile: 'iwarp', max_send_sge: 6, max_rdma_ctxs: 1 });
    const nmrs = bed.qp.rdma_mrs!.length;
    let seed = 0;
    for (let round = 0; round < 3; round++) {
      for (const design of RDMA_RW_DESIGNS) {
        const x: Xfer = { unit: round === 1 ? '64K' : '4K', off: 100 * round, len: 3 * PAGE_SIZE + round, roff: 8 };
        const r = runXfer(bed, x, design, DMA_FROM_DEVICE, ++seed);
        expect([r.type, r.ret, r.counts.mrs], `${design} #${seed}: REG_MR + READ_WITH_INV only`).to.deep.equal([RDMA_RW_MR, 2, 1]);
        expect(bed.qp.rdma_mrs!.some((mr) => mr.need_inval), 'READ_WITH_INV needs no LOCAL_INV next time').to.equal(false);
      }
    }
    expect(seed, 'more READs than pool MRs: MRs were re-registered').to.be.greaterThan(nmrs);
    expect(bed.qp.mrs_used).to.equal(0);
    assertClean(bed);
  });

  it('more than 256 pages need several MRs (pages_per_mr = min(max_fast_reg_page_list_len, 256)); remote_addr advances per MR', function () {
    const bed = rwBed({ iommu: 'off', profile: 'iwarp', max_send_sge: 6 });
    const x: Xfer = { unit: '4K', off: 0, len: 290 * PAGE_SIZE, roff: 0 };
    const ctx = new rdma_rw_ctx();
    const { bvecs, iter } = xferBvecs(bed, x);
    fillRandom(bed.remote.view, new SeededRandom(8));
    const ret = rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, iter, bed.remote.addr, bed.rmr.rkey, DMA_FROM_DEVICE);
    expect(ret).to.equal(4);
    expect(ctx.nr_ops).to.equal(2);
    expect(ctx.reg.map((r) => r.sge.length)).to.deep.equal([256 * PAGE_SIZE, 34 * PAGE_SIZE]);
    expect(ctx.reg[1]!.wr.remote_addr).to.equal(bed.remote.addr + 256 * PAGE_SIZE);
    rdma_rw_ctx_post(ctx, bed.qp, PORT, { done: () => undefined }, null);
    expect(wcStr(waitForCompletion(bed.cq, bed.clock))).to.equal('SUCCESS');
    expect(Buffer.compare(localBytes(bed, bvecs, 0, x.len), bed.remote.view.subarray(0, x.len))).to.equal(0);
    rdma_rw_ctx_destroy_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, DMA_FROM_DEVICE);
    expect(bed.qp.mrs_used).to.equal(0);
    assertClean(bed);
  });
});

describe('rdma_rw: errors', function () {
  this.timeout(60_000);

  it('-EINVAL for nr_bvec 0 or iter.bi_size 0, and when the iterator covers more segments than nr_bvec (MR / sg paths)', function () {
    const bed = rwBed({ iommu: 'off', profile: 'iwarp' });
    const { bvecs, iter } = xferBvecs(bed, { unit: '4K', off: 0, len: 3 * PAGE_SIZE, roff: 0 });
    const ctx = new rdma_rw_ctx();
    expect(rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, 0, iter, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.equal(-22);
    expect(rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, 3, new bvec_iter({ bi_size: 0 }), bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.equal(-22);
    expect(rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, 2, iter, bed.remote.addr, bed.rmr.rkey, DMA_FROM_DEVICE)).to.equal(-22);
    expect(rdma_rw_ctx_init_bvec(new rdma_rw_ctx({ design: 'sg' }), bed.qp, PORT, bvecs, 2, iter, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.equal(-22);
    expect(bed.qp.mrs_used).to.equal(0);
    assertClean(bed);
  });

  it('-EAGAIN when the QP\'s MR pool is empty (iWARP READ), nothing left mapped; and force_mr on a QP created without MRs', function () {
    for (const design of RDMA_RW_DESIGNS) {
      const bed = rwBed({ iommu: 'strict', profile: 'iwarp', max_rdma_ctxs: 1 });
      const x: Xfer = { unit: '4K', off: 0, len: 2 * PAGE_SIZE, roff: 0 };
      const a = xferBvecs(bed, x);
      const c1 = new rdma_rw_ctx({ design });
      expect(rdma_rw_ctx_init_bvec(c1, bed.qp, PORT, a.bvecs, a.bvecs.length, a.iter, bed.remote.addr, bed.rmr.rkey, DMA_FROM_DEVICE)).to.equal(2);
      const c2 = new rdma_rw_ctx({ design });
      const b2 = [new bio_vec(bed.units['4K'][10]!, PAGE_SIZE), new bio_vec(bed.units['4K'][11]!, PAGE_SIZE)];
      expect(rdma_rw_ctx_init_bvec(c2, bed.qp, PORT, b2, 2, new bvec_iter({ bi_size: 2 * PAGE_SIZE }), bed.remote.addr, bed.rmr.rkey, DMA_FROM_DEVICE), design).to.equal(-11);
      rdma_rw_ctx_destroy_bvec(c1, bed.qp, PORT, a.bvecs, a.bvecs.length, DMA_FROM_DEVICE);
      assertClean(bed);
      expect(bed.qp.mrs_used).to.equal(0);
    }
    const bed = rwBed({ iommu: 'off' });
    expect(bed.qp.rdma_mrs ?? [], 'RoCE: no pool').to.have.length(0);
    const a = xferBvecs(bed, { unit: '4K', off: 0, len: PAGE_SIZE, roff: 0 });
    withForceMr(() => {
      expect(rdma_rw_ctx_init_bvec(new rdma_rw_ctx(), bed.qp, PORT, a.bvecs, 1, a.iter, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.equal(-11);
    });
    assertClean(bed);
  });

  it('-EIO from dma_iova_link when an interior bvec does not start on the IOMMU granule; the IOVA is destroyed', function () {
    const bed = rwBed({ iommu: 'strict' });
    const [p0, p1, p2] = bed.units['4K'];
    const bvecs = [new bio_vec(p0!, PAGE_SIZE, 0), new bio_vec(p1!, 100, 8), new bio_vec(p2!, PAGE_SIZE, 0)];
    const ctx = new rdma_rw_ctx({ design: 'iova' });
    const ret = rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, 3, new bvec_iter({ bi_size: 2 * PAGE_SIZE + 100 }), bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE);
    expect(ret).to.equal(-5);
    assertClean(bed);
    expect(bed.a.dev.dma_device.stats.total.iova_allocs).to.equal(bed.a.dev.dma_device.stats.total.iova_frees);
    // the sg and bvec designs map the same bvecs (as separate segments) and move the bytes
    for (const design of ['sg', 'bvec'] as const) {
      const c = new rdma_rw_ctx({ design });
      expect(rdma_rw_ctx_init_bvec(c, bed.qp, PORT, bvecs, 3, new bvec_iter({ bi_size: 2 * PAGE_SIZE + 100 }), bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.be.greaterThan(0);
      rdma_rw_ctx_destroy_bvec(c, bed.qp, PORT, bvecs, 3, DMA_TO_DEVICE);
    }
    assertClean(bed);
  });

  it('-EIO (WARN_ON_ONCE) when sg_offset leaves no entry: a KernelBug in strict mode, -EIO otherwise; unmapped either way', function () {
    const bed = rwBed({ iommu: 'off' });
    const sgl = sg_init_table(2);
    for (let i = 0; i < 2; i++) sg_set_page(sgl[i]!, bed.units['4K'][i]!, PAGE_SIZE, 0);
    let err: unknown = null;
    try {
      rdma_rw_ctx_init(new rdma_rw_ctx(), bed.qp, PORT, sgl, 2, 2 * PAGE_SIZE, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE);
    } catch (e) {
      err = e;
    }
    expect(isKernelBug(err), 'strict: WARN throws').to.equal(true);
    assertClean(bed);
    setStrict(false);
    try {
      expect(rdma_rw_ctx_init(new rdma_rw_ctx(), bed.qp, PORT, sgl, 2, 3 * PAGE_SIZE, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.equal(-5);
    } finally {
      setStrict(true);
    }
    assertClean(bed);
  });
});

describe('rdma_rw_ctx_wrs', function () {
  this.timeout(60_000);

  it('signals only the last WR with wr_cqe = cqe when no chain_wr is given', function () {
    const bed = rwBed({ iommu: 'off', max_send_sge: 2 });
    const { bvecs, iter } = xferBvecs(bed, { unit: '4K', off: 0, len: 5 * PAGE_SIZE, roff: 0 });
    const ctx = new rdma_rw_ctx();
    expect(rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, 5, iter, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.equal(3);
    const cqe: ib_cqe = { done: () => undefined };
    const first = rdma_rw_ctx_wrs(ctx, bed.qp, PORT, cqe, null);
    const chain: ib_send_wr[] = [];
    for (let w: ib_send_wr | null | undefined = first; w; w = w.next) chain.push(w);
    expect(chain).to.have.length(3);
    expect(chain.map((w) => (w.send_flags ?? 0) & ib_send_flags.IB_SEND_SIGNALED)).to.deep.equal([0, 0, ib_send_flags.IB_SEND_SIGNALED]);
    expect(chain[2]!.wr_cqe).to.equal(cqe);
    expect(chain[2]!.next ?? null).to.equal(null);
    rdma_rw_ctx_destroy_bvec(ctx, bed.qp, PORT, bvecs, 5, DMA_TO_DEVICE);
    assertClean(bed);
  });

  it('appends chain_wr after the last RDMA WR, which stays unsignaled: only the chained Send completes', function () {
    const bed = rwBed({ iommu: 'strict' });
    const { bvecs, iter } = xferBvecs(bed, { unit: '64K', off: 5, len: 3 * FOLIO, roff: 0 });
    const ctx = new rdma_rw_ctx();
    expect(rdma_rw_ctx_init_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, iter, bed.remote.addr, bed.rmr.rkey, DMA_TO_DEVICE)).to.equal(1);
    ib_post_recv(bed.peerQp, { wr_id: 1, sg_list: [], num_sge: 0 });
    const sendCqe: ib_cqe = { done: () => undefined };
    const send: ib_send_wr = { opcode: ib_wr_opcode.IB_WR_SEND, wr_cqe: sendCqe, send_flags: ib_send_flags.IB_SEND_SIGNALED, sg_list: [], num_sge: 0 };
    const first = rdma_rw_ctx_wrs(ctx, bed.qp, PORT, null, send);
    expect(first).to.equal(ctx.iova.wr);
    expect(first.next).to.equal(send);
    expect((first.send_flags ?? 0) & ib_send_flags.IB_SEND_SIGNALED).to.equal(0);
    rdma_rw_ctx_post(ctx, bed.qp, PORT, null, send);
    const wc = waitForCompletion(bed.cq, bed.clock);
    expect(wcStr(wc)).to.equal('SUCCESS');
    expect(wc.wr_cqe).to.equal(sendCqe);
    expectNoCompletion(bed.cq, bed.clock, 5);
    expect(wcStr(waitForCompletion(bed.peerCq, bed.clock)), 'the peer received the Send').to.equal('SUCCESS');
    rdma_rw_ctx_destroy_bvec(ctx, bed.qp, PORT, bvecs, bvecs.length, DMA_TO_DEVICE);
    assertClean(bed);
  });
});

describe('rdma_rw_init_qp / rdma_rw_init_mrs / rdma_rw_cleanup_mrs / rdma_rw_mr_factor', function () {
  this.timeout(60_000);

  it('ib_create_qp adds (1 [+2 with MRs]) x max_rdma_ctxs send WRs and fills the MR pool; ib_destroy_qp deregisters it', function () {
    const roce = rwBed({ iommu: 'off', max_rdma_ctxs: 8 });
    expect(roce.init_attr.cap.max_send_wr, 'RoCE: 512 + 8').to.be.at.least(520);
    expect(roce.qp.rdma_mrs ?? []).to.have.length(0);
    expect(rdma_rw_max_send_wr(roce.a.dev, PORT, 8, 0)).to.equal(8);
    const iw = rwBed({ iommu: 'off', profile: 'iwarp', max_rdma_ctxs: 8 });
    expect(iw.init_attr.cap.max_send_wr, 'iWARP: 512 + 3 x 8').to.be.at.least(536);
    expect(rdma_rw_max_send_wr(iw.a.dev, PORT, 8, 0)).to.equal(24);
    expect(iw.qp.rdma_mrs).to.have.length(8);
    expect(iw.qp.rdma_mrs![0]!.type).to.equal(ib_mr_type.IB_MR_TYPE_MEM_REG);
    // pool MRs count as PD users until the QP is destroyed
    const users = iw.pd.usecnt;
    ib_destroy_qp(iw.qp);
    expect(iw.pd.usecnt, 'QP and its 8 MRs released').to.equal(users - 9);
    ib_free_cq(iw.cq);
    ib_dealloc_pd(iw.pd);
  });

  it('clamps max_send_wr to the device max_qp_wr', function () {
    const bed = rwBed({ iommu: 'off' });
    const attr: ib_qp_init_attr = { ...bed.init_attr, cap: { ...bed.init_attr.cap, max_send_wr: 10, max_rdma_ctxs: 1 << 20 } };
    rdma_rw_init_qp(bed.a.dev, attr);
    expect(attr.cap.max_send_wr).to.equal(bed.a.dev.attrs.max_qp_wr);
    const small: ib_qp_init_attr = { ...bed.init_attr, cap: { ...bed.init_attr.cap, max_send_wr: 10, max_rdma_ctxs: 3 } };
    rdma_rw_init_qp(bed.a.dev, small);
    expect(small.cap.max_send_wr).to.equal(13);
    const qp = ib_create_qp(bed.pd, attr);
    ib_destroy_qp(qp);
  });

  it('rdma_rw_mr_factor: pages / max_sge_rd without MRs, pages / pages_per_mr with them', function () {
    const roce = rwBed({ iommu: 'off' });
    expect(rdma_rw_mr_factor(roce.a.dev, PORT, 256)).to.equal(Math.ceil(256 / roce.a.dev.attrs.max_sge_rd));
    const iw = rwBed({ iommu: 'off', profile: 'iwarp' });
    expect(rdma_rw_mr_factor(iw.a.dev, PORT, 256)).to.equal(1);
    expect(rdma_rw_mr_factor(iw.a.dev, PORT, 257)).to.equal(2);
  });
});
