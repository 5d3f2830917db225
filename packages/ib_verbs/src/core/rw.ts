/**
 * rw - the generic RDMA READ/WRITE API (rdma_rw): turn a local buffer (a scatterlist or a
 * bio_vec array) plus a remote (address, rkey) into the work requests that move it, choosing
 * between one WR with one SGE, several WRs with several SGEs, one IOVA-coalesced WR, or MR
 * registration, from what the device can do.
 *
 * Kernel: drivers/infiniband/core/rw.c, include/rdma/rw.h [2026 snapshot: RDMA_RW_IOVA and the
 * bio_vec API of "RDMA/core: add bio_vec based RDMA read/write API", Jan 2026]
 *
 * Operation
 * ---------
 * `rdma_rw_ctx_init` (scatterlist) DMA-maps the list with ib_dma_map_sgtable_attrs (on an IOMMU
 * the count may shrink by merging), skips the entries sg_offset covers, then picks:
 *
 *   rdma_rw_io_needs_mr ──yes──> rdma_rw_init_mr_wrs   per ≤256-page chunk: [LOCAL_INV] REG_MR RDMA-op
 *        │no                                             (one SGE {mr.iova, mr.length}); -EAGAIN if the
 *        ▼                                               QP's MR pool is empty
 *   sg_cnt > 1 ──yes──> rdma_rw_init_map_wrs           ceil(sg_cnt / max_sge) RDMA WRs, local_dma_lkey SGEs
 *        │no
 *        ▼
 *   rdma_rw_init_single_wr                              one WR, one SGE
 *
 * `rdma_rw_ctx_init_bvec` (bio_vec + bvec_iter): iWARP READ or force_mr → MR path through a
 * temporary scatterlist; one bvec → one WR via ib_dma_map_bvec; otherwise the IOVA path
 * (dma_iova_try_alloc for the whole transfer, dma_iova_link per bvec at the running offset, one
 * dma_iova_sync → ONE SGE and ONE WR, type RDMA_RW_IOVA); without an IOMMU (-EOPNOTSUPP) the MR
 * path if needs_mr, else one ib_dma_map_bvec per bvec in map WRs.
 *
 * `rdma_rw_ctx_wrs` returns the chain; it is also where MR keys are rotated (ib_inc_rkey +
 * ib_update_fast_reg_key) and `need_inval` set, so a context initialised but never posted leaves
 * no MR half-registered. The last WR is chained to `chain_wr`, or signaled with `wr_cqe = cqe`.
 * `rdma_rw_ctx_destroy[_bvec]` undo the DMA mapping and return the MRs to the pool.
 *
 * Return convention: like the kernel, the init functions return the number of WQEs or a
 * *negative errno* (-EINVAL, -EAGAIN, -ENOMEM, -EIO, ...), and unmap everything on error.
 * Divergence (STYLE §4.2): kept as numbers rather than thrown KernelErrors because ULPs branch
 * on -EAGAIN (MR pool exhausted: wait for completions and retry), exactly as svcrdma does.
 *
 * Emulator extension — the DMA design is selectable per context (`new rdma_rw_ctx({ design })`),
 * so one bio_vec transfer can be compared across the three answers to the Oct 2023 "biovec
 * support in the (R)DMA API" question (KERNEL.md §0); all three move identical bytes:
 *
 *   'iova' (default) rdma_rw_ctx_init_bvec exactly as the kernel (above)
 *   'sg'             bvec_iter → temporary scatterlist → rdma_rw_ctx_init (what svcrdma did
 *                    before 2026: svc_rdma_rw_ctxt's sg_table)
 *   'bvec'           the RFC's ib_dma_map_bvecs (patch 9/9): DMA results stored in (copies of)
 *                    the bio_vecs, merged on an IOMMU, then single/map WRs from them
 *
 * In every design the MR decisions are the kernel's (iWARP READ / force_mr → MRs).
 *
 * Invariants: `nr_ops` counts RDMA READ/WRITE WRs only; the WQE count adds REG_MR and LOCAL_INV
 * WRs. With IB/RoCE and max_sgl_rd = 0, no MR is used unless force_mr. An RDMA_RW_IOVA context
 * has exactly one WR with one SGE. Each MR taken from `qp.rdma_mrs` is returned by destroy.
 */
import { KernelBug, WARN, errno } from '@rdmaemu/sim-core';
import type { u32 } from '@rdmaemu/sim-core';
import {
  DMA_FROM_DEVICE, DMA_TO_DEVICE, PAGE_SIZE, bio_vec, bvec_iter_advance, bvec_iter_advance_single, bvec_phys,
  dma_iova_destroy, dma_iova_link, dma_iova_state, dma_iova_sync, dma_iova_try_alloc, mp_bvec_iter_bvec, nth_page,
  scatterlist, sg_dma_address, sg_dma_len, sg_free_table, sg_init_table, sg_mark_end, sg_next, sg_set_page, sg_table,
} from '@rdmaemu/dma-core';
import type { SglRef, bvec_iter, dma_data_direction } from '@rdmaemu/dma-core';
import {
  ib_access_flags, ib_mr_type, ib_qp_create_flags, ib_send_flags, ib_wr_opcode,
} from './ib_verbs.h.js';
import type { ib_cqe, ib_qp_init_attr, ib_rdma_wr, ib_reg_wr, ib_send_wr, ib_sge, u64_api } from './ib_verbs.h.js';
import { ib_wr_num_sge } from './ib_verbs.h.js';
import type { ib_device, ib_mr, ib_qp } from './device.js';
import { ib_inc_rkey, ib_map_mr_sg, ib_post_send, ib_update_fast_reg_key } from './verbs.js';
import {
  ib_dma_map_bvec, ib_dma_map_bvecs, ib_dma_map_sgtable_attrs, ib_dma_mapping_error, ib_dma_unmap_bvec,
  ib_dma_unmap_bvecs, ib_dma_unmap_sg, ib_dma_unmap_sgtable_attrs, ib_uses_virt_dma,
} from './ib_dma.js';
import { rdma_cap_read_inv, rdma_protocol_iwarp } from './rdma_cap.js';
import { ib_mr_pool_destroy, ib_mr_pool_get, ib_mr_pool_init, ib_mr_pool_put } from './mr_pool.js';

// ---------------------------------------------------------------------------------------------
// Context types and the module parameter

/** Kernel: drivers/infiniband/core/rw.c (anonymous enum) - one WR, one SGE. */
export const RDMA_RW_SINGLE_WR = 0;
/** Kernel: rw.c - several WRs with up to max_sge SGEs each (local_dma_lkey). */
export const RDMA_RW_MULTI_WR = 1;
/** Kernel: rw.c - MR registration: per MR [LOCAL_INV] + REG_MR + one RDMA WR. */
export const RDMA_RW_MR = 2;
/** Kernel: rw.c - signature (T10-PI) MR. Declared only: integrity offload is not emulated. */
export const RDMA_RW_SIG_MR = 3;
/** Kernel: rw.c [2026] - the two-step IOVA API: one contiguous DMA range, one WR, one SGE. */
export const RDMA_RW_IOVA = 4;

/** The context type tag (emulator name for rw.c's anonymous enum). */
export type RdmaRwType = typeof RDMA_RW_SINGLE_WR | typeof RDMA_RW_MULTI_WR | typeof RDMA_RW_MR | typeof RDMA_RW_SIG_MR |
  typeof RDMA_RW_IOVA;

/** Names of the context types, for messages and reports. Emulator-only. */
export const rdmaRwTypeName: Readonly<Record<RdmaRwType, string>> = {
  [RDMA_RW_SINGLE_WR]: 'RDMA_RW_SINGLE_WR',
  [RDMA_RW_MULTI_WR]: 'RDMA_RW_MULTI_WR',
  [RDMA_RW_MR]: 'RDMA_RW_MR',
  [RDMA_RW_SIG_MR]: 'RDMA_RW_SIG_MR',
  [RDMA_RW_IOVA]: 'RDMA_RW_IOVA',
};

/**
 * rdmaRwParams - ib_core's rdma_rw module parameters (/sys/module/ib_core/parameters/force_mr).
 * `force_mr`: use MRs for every RDMA READ/WRITE ("Force usage of MRs for RDMA READ/WRITE
 * operations"), a debug knob to exercise the MR path on devices that do not need it.
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_force_mr, module_param_named(force_mr)
 * Divergence: a process-wide mutable object (the kernel's is read-only after load, perm 0);
 * tests set it and restore it.
 * @default { force_mr: false }
 * @example
 * ```ts
 * rdmaRwParams.force_mr = true;
 * try { ... } finally { rdmaRwParams.force_mr = false; }
 * ```
 */
export const rdmaRwParams: { force_mr: boolean } = { force_mr: false };

/** The DMA-API design an rdma_rw_ctx maps bio_vecs with (see the file header). Emulator-only. */
export type RdmaRwDesign = 'sg' | 'bvec' | 'iova';
/** The designs, in report order. Emulator-only. */
export const RDMA_RW_DESIGNS: readonly RdmaRwDesign[] = ['sg', 'bvec', 'iova'];

/** Options of `new rdma_rw_ctx()`. Emulator-only. */
export interface RdmaRwInit {
  /** How rdma_rw_ctx_init_bvec maps the bio_vecs. @default 'iova' (the kernel's rdma_rw_ctx_init_bvec) */
  design?: RdmaRwDesign;
}

/**
 * rdma_rw_reg_ctx - one MR registration of an RDMA_RW_MR context.
 * Kernel: include/rdma/rw.h struct rdma_rw_reg_ctx
 */
export interface rdma_rw_reg_ctx {
  /** The one SGE of the RDMA op: {mr.iova, mr.length, mr.lkey}. */
  sge: ib_sge;
  /** The RDMA READ/WRITE (or READ_WITH_INV) WR. */
  wr: ib_rdma_wr;
  /** The IB_WR_REG_MR WR (key set by rdma_rw_ctx_wrs). */
  reg_wr: ib_reg_wr;
  /** The IB_WR_LOCAL_INV WR; `inv_wr.next` is null when no invalidation is needed. */
  inv_wr: ib_send_wr;
  mr: ib_mr;
  /** The bvec MR path's temporary scatterlist (reg[0] only; null otherwise). */
  sgt: sg_table | null;
}

/**
 * rdma_rw_ctx - the WRs (and the resources behind them) of one RDMA READ or WRITE.
 *
 * Kernel: include/rdma/rw.h struct rdma_rw_ctx
 * Divergence: the C union becomes one field per member (`single`, `map`, `reg`, `sig`, `iova`);
 * only the member named by `type` is meaningful. `single` and `iova` are preallocated so a context
 * can be reused without allocation. `design`, `sgt` and `dma_bvecs` are emulator-only (the DMA
 * design being compared; see the file header). A new context has type RDMA_RW_SINGLE_WR (0), as a
 * zeroed C struct does.
 * @example
 * ```ts
 * const ctx = new rdma_rw_ctx({ design: 'iova' });
 * const ret = rdma_rw_ctx_init_bvec(ctx, qp, 1, bvecs, bvecs.length, bvecIter(bvecs), raddr, rkey, DMA_TO_DEVICE);
 * if (ret < 0) return ret;
 * rdma_rw_ctx_post(ctx, qp, 1, cqe, null);
 * ```
 */
export class rdma_rw_ctx {
  /** Number of RDMA READ/WRITE WRs (not counting MR WRs). */
  nr_ops: u32 = 0;
  /** Tag for the union members below. */
  type: RdmaRwType = RDMA_RW_SINGLE_WR;
  /** RDMA_RW_SINGLE_WR: one SGE and one WR. */
  readonly single: { sge: ib_sge; wr: ib_rdma_wr };
  /** RDMA_RW_MULTI_WR: the SGEs (all WRs') and the WRs. */
  map: { sges: ib_sge[]; wrs: ib_rdma_wr[] } = { sges: [], wrs: [] };
  /** RDMA_RW_MR: one registration per ≤ pages_per_mr chunk. */
  reg: rdma_rw_reg_ctx[] = [];
  /** RDMA_RW_SIG_MR: not emulated (always null). */
  sig: null = null;
  /** RDMA_RW_IOVA: the IOVA transaction, the mapped length, its one SGE and one WR. */
  readonly iova: { state: dma_iova_state; mapped_len: number; sge: ib_sge; wr: ib_rdma_wr };
  /** Emulator-only: how rdma_rw_ctx_init_bvec maps. */
  design: RdmaRwDesign;
  /** Emulator-only ('sg' design): the scatterlist built from the bio_vecs. */
  sgt: sg_table | null = null;
  /** Emulator-only ('bvec' design): the bio_vec copies holding the RFC's DMA results. */
  dma_bvecs: bio_vec[] | null = null;

  constructor(init: RdmaRwInit = {}) {
    this.design = init.design ?? 'iova';
    const sge: ib_sge = { addr: 0, length: 0, lkey: 0 };
    this.single = { sge, wr: newRdmaWr() };
    this.iova = { state: new dma_iova_state(), mapped_len: 0, sge: { addr: 0, length: 0, lkey: 0 }, wr: newRdmaWr() };
  }
}

function newRdmaWr(): ib_rdma_wr {
  return { next: null, wr_cqe: null, sg_list: [], num_sge: 0, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: 0, remote_addr: 0, rkey: 0 };
}

/** Append one RDMA WR of a MULTI_WR context over `list`, chained behind the previous one. */
function pushMapWr(wrs: ib_rdma_wr[], dir: dma_data_direction, list: ib_sge[], remote_addr: u64_api, rkey: u32): void {
  const wr = newRdmaWr();
  setRdmaWr(wr, dir, list, list.length, remote_addr, rkey);
  if (wrs.length > 0) wrs[wrs.length - 1]!.next = wr;
  wrs.push(wr);
}

/** Make `ctx` an RDMA_RW_MULTI_WR context over `sges` / `wrs`; returns its WQE count. */
function setMultiWr(ctx: rdma_rw_ctx, sges: ib_sge[], wrs: ib_rdma_wr[]): number {
  ctx.map = { sges, wrs };
  ctx.nr_ops = wrs.length;
  ctx.type = RDMA_RW_MULTI_WR;
  return wrs.length;
}

/** memset(rdma_wr, 0) then the fields every RDMA WR sets. */
function setRdmaWr(wr: ib_rdma_wr, dir: dma_data_direction, sg_list: ib_sge[], num_sge: number, remote_addr: u64_api, rkey: u32): void {
  wr.next = null;
  wr.wr_cqe = null;
  wr.send_flags = 0;
  wr.opcode = dir === DMA_TO_DEVICE ? ib_wr_opcode.IB_WR_RDMA_WRITE : ib_wr_opcode.IB_WR_RDMA_READ;
  wr.sg_list = sg_list;
  wr.num_sge = num_sge;
  wr.remote_addr = remote_addr;
  wr.rkey = rkey;
  wr.ex = undefined;
}

/** u64 remote address + byte count (bigint stays bigint: the high bits may carry a ULP value). */
function addrAdd(a: u64_api, n: number): u64_api {
  return typeof a === 'bigint' ? a + BigInt(n) : a + n;
}

function firstSg(sg: SglRef): scatterlist | null {
  if (sg instanceof scatterlist) return sg;
  return (sg as readonly scatterlist[])[0] ?? null;
}

// ---------------------------------------------------------------------------------------------
// Capability helpers

/**
 * rdma_rw_can_use_mr - may this port use MR registration for RDMA READ/WRITE? (iWARP must;
 * devices with max_sgl_rd may as an optimisation; force_mr forces it.)
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_can_use_mr()
 * @example
 * ```ts
 * rdma_rw_can_use_mr(dev, 1); // false on rxe/RoCE, true on the 'iwarp' profile
 * ```
 */
export function rdma_rw_can_use_mr(dev: ib_device, port_num: u32): boolean {
  if (rdma_protocol_iwarp(dev, port_num)) return true;
  if (dev.attrs.max_sgl_rd) return true;
  return rdmaRwParams.force_mr;
}

/**
 * rdma_rw_io_needs_mr - will this I/O use MRs? READs always on iWARP, or when max_sgl_rd is set
 * and the DMA entries exceed it; everything with force_mr. On IB/RoCE with max_sgl_rd = 0,
 * never.
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_io_needs_mr()
 * @param dma_nents DMA-mapped entries of the I/O
 * @example
 * ```ts
 * rdma_rw_io_needs_mr(dev, 1, DMA_FROM_DEVICE, 4); // true on iWARP
 * ```
 */
export function rdma_rw_io_needs_mr(dev: ib_device, port_num: u32, dir: dma_data_direction, dma_nents: number): boolean {
  if (dir === DMA_FROM_DEVICE) {
    if (rdma_protocol_iwarp(dev, port_num)) return true;
    if (dev.attrs.max_sgl_rd && dma_nents > dev.attrs.max_sgl_rd) return true;
  }
  return rdmaRwParams.force_mr;
}

/** Kernel: rw.c rdma_rw_fr_page_list_len() - pages per MR, capped at 256 ("arbitrary limit"). */
function rdma_rw_fr_page_list_len(dev: ib_device, pi_support: boolean): number {
  const max_pages = pi_support ? dev.attrs.max_pi_fast_reg_page_list_len : dev.attrs.max_fast_reg_page_list_len;
  return Math.min(max_pages, 256);
}

// ---------------------------------------------------------------------------------------------
// The MR path

/** Kernel: rw.c rdma_rw_inv_key() - chain a LOCAL_INV before the REG_MR if the MR is registered. */
function rdma_rw_inv_key(reg: rdma_rw_reg_ctx): number {
  if (reg.mr.need_inval) {
    reg.inv_wr.opcode = ib_wr_opcode.IB_WR_LOCAL_INV;
    reg.inv_wr.ex = { invalidate_rkey: reg.mr.lkey };
    reg.inv_wr.next = reg.reg_wr;
    return 1;
  }
  reg.inv_wr.next = null;
  return 0;
}

function newRegCtx(mr: ib_mr): rdma_rw_reg_ctx {
  const sge: ib_sge = { addr: 0, length: 0, lkey: 0 };
  return {
    sge,
    wr: newRdmaWr(),
    reg_wr: { next: null, wr_cqe: null, opcode: ib_wr_opcode.IB_WR_REG_MR, send_flags: 0, num_sge: 0, mr, key: 0, access: 0 },
    inv_wr: { next: null, wr_cqe: null, opcode: ib_wr_opcode.IB_WR_LOCAL_INV, send_flags: 0, num_sge: 0 },
    mr,
    sgt: null,
  };
}

/** Kernel: rw.c rdma_rw_init_one_mr() - take an MR, map up to pages_per_mr entries, build REG_MR. */
function rdma_rw_init_one_mr(qp: ib_qp, port_num: u32, regs: rdma_rw_reg_ctx[], sg: scatterlist, sg_cnt: number, offset: number): number {
  const pages_per_mr = rdma_rw_fr_page_list_len(qp.pd.device, qp.integrity_en);
  const nents = Math.min(sg_cnt, pages_per_mr);
  let count = 0;
  const mr = ib_mr_pool_get(qp, qp.rdma_mrs);
  if (mr === null) return -errno.EAGAIN;
  const reg = newRegCtx(mr);
  count += rdma_rw_inv_key(reg);
  let ret: number;
  try {
    ret = ib_map_mr_sg(mr, sg, nents, { value: offset }, PAGE_SIZE);
  } catch {
    ret = -errno.EINVAL;
  }
  if (ret < 0 || ret < nents) {
    ib_mr_pool_put(qp, qp.rdma_mrs!, mr);
    return -errno.EINVAL;
  }
  reg.reg_wr.opcode = ib_wr_opcode.IB_WR_REG_MR;
  reg.reg_wr.mr = mr;
  reg.reg_wr.access = ib_access_flags.IB_ACCESS_LOCAL_WRITE;
  if (rdma_protocol_iwarp(qp.device, port_num)) reg.reg_wr.access |= ib_access_flags.IB_ACCESS_REMOTE_WRITE;
  count++;
  reg.sge.addr = mr.iova;
  reg.sge.length = mr.length;
  regs.push(reg);
  return count;
}

/** Kernel: rw.c rdma_rw_init_reg_wr() - link prev → [inv] → reg → RDMA op; READ_WITH_INV on iWARP. */
function rdma_rw_init_reg_wr(reg: rdma_rw_reg_ctx, prev: rdma_rw_reg_ctx | null, qp: ib_qp, port_num: u32,
  remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  if (prev) prev.wr.next = reg.mr.need_inval ? reg.inv_wr : reg.reg_wr;
  reg.reg_wr.next = reg.wr;
  setRdmaWr(reg.wr, dir, [reg.sge], 1, remote_addr, rkey);
  if (dir !== DMA_TO_DEVICE && rdma_cap_read_inv(qp.device, port_num)) {
    reg.wr.opcode = ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV;
    // As the kernel: the key captured here is the MR's key before rdma_rw_ctx_wrs rotates it.
    reg.wr.ex = { invalidate_rkey: reg.mr.lkey };
  }
  return 1;
}

function putRegs(qp: ib_qp, regs: rdma_rw_reg_ctx[]): void {
  for (const reg of regs) ib_mr_pool_put(qp, qp.rdma_mrs!, reg.mr);
  regs.length = 0;
}

/** Kernel: rw.c rdma_rw_init_mr_wrs() - MR registrations over a DMA-mapped scatterlist. */
function rdma_rw_init_mr_wrs(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, sg: scatterlist | null, sg_cnt: number,
  offset: number, remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  const pages_per_mr = rdma_rw_fr_page_list_len(qp.pd.device, qp.integrity_en);
  let prev: rdma_rw_reg_ctx | null = null;
  let count = 0;
  const nr_ops = Math.ceil(sg_cnt / pages_per_mr);
  const regs: rdma_rw_reg_ctx[] = [];
  for (let i = 0; i < nr_ops; i++) {
    const nents = Math.min(sg_cnt, pages_per_mr);
    const ret = rdma_rw_init_one_mr(qp, port_num, regs, sg!, sg_cnt, offset);
    if (ret < 0) {
      putRegs(qp, regs);
      return ret;
    }
    const reg = regs[i]!;
    count += ret;
    count += rdma_rw_init_reg_wr(reg, prev, qp, port_num, remote_addr, rkey, dir);
    remote_addr = addrAdd(remote_addr, reg.sge.length);
    sg_cnt -= nents;
    for (let j = 0; j < nents && sg !== null; j++) sg = sg_next(sg);
    prev = reg;
    offset = 0;
  }
  if (prev) prev.wr.next = null;
  ctx.nr_ops = nr_ops;
  ctx.reg = regs;
  ctx.type = RDMA_RW_MR;
  return count;
}

/**
 * Kernel: rw.c rdma_rw_init_mr_wrs_bvec() - the bvec MR path: a temporary scatterlist from the
 * iterator (as __blk_rq_map_sg), DMA-mapped, then MR registrations over it.
 */
function rdma_rw_init_mr_wrs_bvec(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, bvecs: readonly bio_vec[], nr_bvec: u32,
  iter: bvec_iter, remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  const dev = qp.pd.device;
  const sgt = bvecIterToSgTable(bvecs, nr_bvec, iter);
  if (typeof sgt === 'number') return sgt;
  const ret = ib_dma_map_sgtable_attrs(dev, sgt, dir, 0);
  if (ret) {
    sg_free_table(sgt);
    return ret;
  }
  const count = rdma_rw_init_mr_wrs(ctx, qp, port_num, sgt.sgl, sgt.nents, 0, remote_addr, rkey, dir);
  if (count < 0) {
    ib_dma_unmap_sgtable_attrs(dev, sgt, dir, 0);
    sg_free_table(sgt);
    return count;
  }
  ctx.reg[0]!.sgt = sgt;
  return count;
}

/**
 * The scatterlist loop of rdma_rw_init_mr_wrs_bvec: one entry per multi-page segment the iterator
 * yields; -EINVAL if there are more than nr_bvec. Advances `iter`.
 */
function bvecIterToSgTable(bvecs: readonly bio_vec[], nr_bvec: u32, iter: bvec_iter): sg_table | number {
  const sgl = sg_init_table(nr_bvec);
  let nents = 0;
  while (iter.bi_size) {
    const bv = mp_bvec_iter_bvec(bvecs, iter);
    if (nents >= nr_bvec) return -errno.EINVAL;
    const pageIdx = Math.floor(bv.bv_offset / PAGE_SIZE);
    sg_set_page(sgl[nents]!, pageIdx ? nth_page(bv.bv_page, pageIdx) : bv.bv_page, bv.bv_len, bv.bv_offset % PAGE_SIZE);
    bvec_iter_advance(bvecs, iter, bv.bv_len);
    nents++;
  }
  if (nents === 0) return -errno.EINVAL;
  sg_mark_end(sgl[nents - 1]!);
  const sgt = new sg_table();
  sgt.sgl = sgl[0]!;
  sgt.orig_nents = nents;
  sgt.nents = nents;
  return sgt;
}

// ---------------------------------------------------------------------------------------------
// Direct SGE paths

/** Kernel: rw.c rdma_rw_init_map_wrs() - ceil(sg_cnt / max_sge) RDMA WRs over the mapped list. */
function rdma_rw_init_map_wrs(ctx: rdma_rw_ctx, qp: ib_qp, sg: scatterlist | null, sg_cnt: number, offset: number,
  remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  const max_sge = dir === DMA_TO_DEVICE ? qp.max_write_sge : qp.max_read_sge;
  if (!(max_sge > 0)) return -errno.EINVAL;
  const nr_ops = Math.ceil(sg_cnt / max_sge);
  const sges: ib_sge[] = [];
  const wrs: ib_rdma_wr[] = [];
  let total_len = 0;
  for (let i = 0; i < nr_ops; i++) {
    const nr_sge = Math.min(sg_cnt, max_sge);
    const list: ib_sge[] = [];
    const start = total_len;
    for (let j = 0; j < nr_sge && sg !== null; j++) {
      const sge: ib_sge = { addr: sg_dma_address(sg) + offset, length: sg_dma_len(sg) - offset, lkey: qp.pd.local_dma_lkey };
      total_len += sge.length;
      list.push(sge);
      sges.push(sge);
      sg_cnt--;
      offset = 0;
      sg = sg_next(sg);
    }
    pushMapWr(wrs, dir, list, addrAdd(remote_addr, start), rkey);
  }
  return setMultiWr(ctx, sges, wrs);
}

/** Kernel: rw.c rdma_rw_init_single_wr() */
function rdma_rw_init_single_wr(ctx: rdma_rw_ctx, qp: ib_qp, sg: scatterlist, offset: number, remote_addr: u64_api,
  rkey: u32, dir: dma_data_direction): number {
  ctx.nr_ops = 1;
  const sge = ctx.single.sge;
  sge.lkey = qp.pd.local_dma_lkey;
  sge.addr = sg_dma_address(sg) + offset;
  sge.length = sg_dma_len(sg) - offset;
  setRdmaWr(ctx.single.wr, dir, [sge], 1, remote_addr, rkey);
  ctx.type = RDMA_RW_SINGLE_WR;
  return 1;
}

/** Kernel: rw.c rdma_rw_init_single_wr_bvec() - one bvec, one ib_dma_map_bvec, one WR. */
function rdma_rw_init_single_wr_bvec(ctx: rdma_rw_ctx, qp: ib_qp, bvecs: readonly bio_vec[], iter: bvec_iter,
  remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  const dev = qp.pd.device;
  const bv = mp_bvec_iter_bvec(bvecs, iter);
  ctx.nr_ops = 1;
  const dma_addr = ib_dma_map_bvec(dev, bv, dir);
  if (ib_dma_mapping_error(dev, dma_addr)) return -errno.ENOMEM;
  const sge = ctx.single.sge;
  sge.lkey = qp.pd.local_dma_lkey;
  sge.addr = dma_addr;
  sge.length = bv.bv_len;
  setRdmaWr(ctx.single.wr, dir, [sge], 1, remote_addr, rkey);
  ctx.type = RDMA_RW_SINGLE_WR;
  return 1;
}

/**
 * Kernel: rw.c rdma_rw_init_map_wrs_bvec() - one ib_dma_map_bvec per segment, split into WRs of
 * max_sge SGEs. Divergence: counts the segments the iterator actually covers rather than
 * trusting nr_bvec (the kernel assumes they are equal).
 */
function rdma_rw_init_map_wrs_bvec(ctx: rdma_rw_ctx, qp: ib_qp, bvecs: readonly bio_vec[], nr_bvec: u32, iter: bvec_iter,
  remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  const dev = qp.pd.device;
  const max_sge = dir === DMA_TO_DEVICE ? qp.max_write_sge : qp.max_read_sge;
  if (!(max_sge > 0)) return -errno.EINVAL;
  const nsegs = Math.min(nr_bvec, iterSegments(bvecs, iter));
  const nr_ops = Math.ceil(nsegs / max_sge);
  const sges: ib_sge[] = [];
  const wrs: ib_rdma_wr[] = [];
  let total_len = 0;
  for (let i = 0; i < nr_ops; i++) {
    const nr_sge = Math.min(nsegs - sges.length, max_sge);
    const list: ib_sge[] = [];
    const start = total_len;
    for (let j = 0; j < nr_sge; j++) {
      const bv = mp_bvec_iter_bvec(bvecs, iter);
      const dma_addr = ib_dma_map_bvec(dev, bv, dir);
      if (ib_dma_mapping_error(dev, dma_addr)) {
        for (const s of sges) ib_dma_unmap_bvec(dev, s.addr as number, s.length, dir);
        return -errno.ENOMEM;
      }
      const sge: ib_sge = { addr: dma_addr, length: bv.bv_len, lkey: qp.pd.local_dma_lkey };
      total_len += bv.bv_len;
      list.push(sge);
      sges.push(sge);
      bvec_iter_advance_single(bvecs, iter, bv.bv_len);
    }
    pushMapWr(wrs, dir, list, addrAdd(remote_addr, start), rkey);
  }
  return setMultiWr(ctx, sges, wrs);
}

/** Number of multi-page segments `iter` yields over `bvecs` (no side effects). */
function iterSegments(bvecs: readonly bio_vec[], iter: bvec_iter): number {
  let n = 0;
  let size = iter.bi_size;
  let idx = iter.bi_idx;
  let done = iter.bi_bvec_done;
  while (size > 0 && idx < bvecs.length) {
    const len = Math.min(size, bvecs[idx]!.bv_len - done);
    if (len > 0) n++;
    size -= len;
    idx++;
    done = 0;
  }
  return n;
}

/**
 * Kernel: rw.c rdma_rw_init_iova_wrs_bvec() - link every segment into one IOVA range, one IOTLB
 * sync, one SGE, one WR. -EOPNOTSUPP (nothing mapped, iter untouched) when there is no IOMMU.
 */
function rdma_rw_init_iova_wrs_bvec(ctx: rdma_rw_ctx, qp: ib_qp, bvecs: readonly bio_vec[], iter: bvec_iter,
  remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  const dev = qp.pd.device;
  const dma_dev = dev.dma_device;
  const total_len = iter.bi_size;
  let mapped_len = 0;
  if (ib_uses_virt_dma(dev)) return -errno.EOPNOTSUPP;
  const first_bv = mp_bvec_iter_bvec(bvecs, iter);
  const state = ctx.iova.state;
  if (!dma_iova_try_alloc(dma_dev, state, bvec_phys(first_bv), total_len)) return -errno.EOPNOTSUPP;
  let ret: number;
  while (iter.bi_size) {
    const bv = mp_bvec_iter_bvec(bvecs, iter);
    ret = dma_iova_link(dma_dev, state, bvec_phys(bv), mapped_len, bv.bv_len, dir, 0);
    if (ret) {
      dma_iova_destroy(dma_dev, state, mapped_len, dir, 0);
      return ret;
    }
    mapped_len += bv.bv_len;
    bvec_iter_advance(bvecs, iter, bv.bv_len);
  }
  ret = dma_iova_sync(dma_dev, state, 0, mapped_len);
  if (ret) {
    dma_iova_destroy(dma_dev, state, mapped_len, dir, 0);
    return ret;
  }
  ctx.iova.mapped_len = mapped_len;
  const sge = ctx.iova.sge;
  sge.addr = state.addr;
  sge.length = mapped_len;
  sge.lkey = qp.pd.local_dma_lkey;
  setRdmaWr(ctx.iova.wr, dir, [sge], 1, remote_addr, rkey);
  ctx.type = RDMA_RW_IOVA;
  ctx.nr_ops = 1;
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Initialisation

/**
 * rdma_rw_ctx_init - initialise a context for an RDMA READ (DMA_FROM_DEVICE) or WRITE
 * (DMA_TO_DEVICE) of a scatterlist.
 *
 * DMA-maps the list (ib_dma_map_sgtable_attrs; on an IOMMU entries merge), skips the entries
 * `sg_offset` covers entirely, then builds MR WRs (rdma_rw_io_needs_mr), map WRs (more than one
 * entry left: ceil(n / max_sge) WRs, remote_addr advancing, same rkey, local_dma_lkey SGEs) or a
 * single WR. If the MR path finds the pool empty on a device that only *prefers* MRs
 * (max_sgl_rd), it falls back to SGEs; on iWARP or with force_mr -EAGAIN is final.
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_ctx_init()
 * @param sg the scatterlist (first entry or its array), not yet DMA-mapped
 * @param sg_cnt entries in `sg`
 * @param sg_offset byte offset into the list where the transfer starts
 * @param remote_addr remote address (relative to `rkey`)
 * @param rkey the remote MR's key
 * @param dir DMA_TO_DEVICE (RDMA WRITE) or DMA_FROM_DEVICE (RDMA READ)
 * @returns the number of WQEs needed on the send queue, or a negative errno (everything unmapped):
 *   the dma_map_sgtable errno (-ENOMEM, -EINVAL, -EIO), -EAGAIN (MR pool empty), -EINVAL (an MR
 *   could not map its entries: a gap), -EIO (sg_offset beyond the list; a WARN)
 * @throws KernelBug in strict mode when sg_offset leaves no entry (WARN_ON_ONCE)
 * @example
 * ```ts
 * const ctx = new rdma_rw_ctx();
 * const n = rdma_rw_ctx_init(ctx, qp, 1, sgt.sgl!, sgt.orig_nents, 0, raddr, rkey, DMA_FROM_DEVICE);
 * if (n < 0) return n;
 * ```
 */
export function rdma_rw_ctx_init(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, sg: SglRef, sg_cnt: u32, sg_offset: u32,
  remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  const dev = qp.pd.device;
  const first = firstSg(sg);
  if (first === null || sg_cnt === 0) return -errno.EINVAL;
  const sgt = new sg_table();
  sgt.sgl = first;
  sgt.orig_nents = sg_cnt;
  let ret = ib_dma_map_sgtable_attrs(dev, sgt, dir, 0);
  if (ret) return ret;
  sg_cnt = sgt.nents;
  // Skip to the entry sg_offset falls into.
  let cur: scatterlist | null = first;
  while (cur !== null && sg_cnt > 0) {
    const len = sg_dma_len(cur);
    if (sg_offset < len) break;
    cur = sg_next(cur);
    sg_offset -= len;
    sg_cnt--;
  }
  if (sg_cnt === 0 || cur === null) {
    ib_dma_unmap_sgtable_attrs(dev, sgt, dir, 0);
    WARN(true, `rdma_rw_ctx_init: qp ${qp.qp_num}: WARN_ON_ONCE(sg_cnt == 0): sg_offset beyond the list`);
    return -errno.EIO;
  }
  ret = -errno.EIO;
  let done = false;
  if (rdma_rw_io_needs_mr(qp.device, port_num, dir, sg_cnt)) {
    ret = rdma_rw_init_mr_wrs(ctx, qp, port_num, cur, sg_cnt, sg_offset, remote_addr, rkey, dir);
    // Pool exhaustion is recoverable only for the max_sgl_rd optimisation.
    if (ret !== -errno.EAGAIN || rdma_protocol_iwarp(qp.device, port_num) || rdmaRwParams.force_mr) done = true;
  }
  if (!done) {
    if (sg_cnt > 1) ret = rdma_rw_init_map_wrs(ctx, qp, cur, sg_cnt, sg_offset, remote_addr, rkey, dir);
    else ret = rdma_rw_init_single_wr(ctx, qp, cur, sg_offset, remote_addr, rkey, dir);
  }
  if (ret < 0) ib_dma_unmap_sgtable_attrs(dev, sgt, dir, 0);
  return ret;
}

/**
 * rdma_rw_ctx_init_bvec - initialise a context for an RDMA READ or WRITE of a bio_vec array,
 * from the position and length `iter` describes.
 *
 * With the default design ('iova') exactly the kernel's: -EINVAL for nr_bvec = 0 or
 * iter.bi_size = 0; iWARP READ or force_mr → MRs (via a temporary scatterlist); one bvec → one
 * WR (ib_dma_map_bvec); otherwise the IOVA path — one dma_iova_try_alloc, a dma_iova_link per
 * segment, one dma_iova_sync, ONE SGE and ONE WR (type RDMA_RW_IOVA); without an IOMMU the MR
 * path if rdma_rw_io_needs_mr, else one ib_dma_map_bvec per segment in map WRs.
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_ctx_init_bvec() [2026]
 * Divergence (emulator extension): `ctx.design` 'sg' maps through a scatterlist and
 * rdma_rw_ctx_init; 'bvec' maps with the Oct 2023 RFC's ib_dma_map_bvecs (see the file header).
 * `iter` is copied, as C passes the struct by value.
 * @returns the number of WQEs, or a negative errno (nothing stays mapped): -EINVAL (empty, more
 *   segments than nr_bvec, or an MR could not map a gap), -ENOMEM (a DMA mapping failed),
 *   -EIO (dma_iova_link refused an interior segment not aligned to the IOMMU granule), -EAGAIN
 *   (MR pool empty)
 * @example
 * ```ts
 * const ctx = new rdma_rw_ctx();
 * const n = rdma_rw_ctx_init_bvec(ctx, qp, 1, bvecs, bvecs.length, bvecIter(bvecs), raddr, rkey, DMA_TO_DEVICE);
 * // on an IOMMU host: n === 1, ctx.type === RDMA_RW_IOVA
 * ```
 */
export function rdma_rw_ctx_init_bvec(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, bvecs: readonly bio_vec[], nr_bvec: u32,
  iter: bvec_iter, remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  const dev = qp.pd.device;
  if (nr_bvec === 0 || iter.bi_size === 0) return -errno.EINVAL;
  const it = iter.clone();
  ctx.sgt = null;
  ctx.dma_bvecs = null;
  if (ctx.design === 'sg') return initBvecViaSg(ctx, qp, port_num, bvecs, nr_bvec, it, remote_addr, rkey, dir);
  if ((dir === DMA_FROM_DEVICE && rdma_protocol_iwarp(dev, port_num)) || rdmaRwParams.force_mr) {
    return rdma_rw_init_mr_wrs_bvec(ctx, qp, port_num, bvecs, nr_bvec, it, remote_addr, rkey, dir);
  }
  if (ctx.design === 'bvec') return initBvecViaRfc(ctx, qp, port_num, bvecs, nr_bvec, it, remote_addr, rkey, dir);
  if (nr_bvec === 1) return rdma_rw_init_single_wr_bvec(ctx, qp, bvecs, it, remote_addr, rkey, dir);
  const ret = rdma_rw_init_iova_wrs_bvec(ctx, qp, bvecs, it, remote_addr, rkey, dir);
  if (ret !== -errno.EOPNOTSUPP) return ret;
  if (rdma_rw_io_needs_mr(dev, port_num, dir, nr_bvec)) {
    return rdma_rw_init_mr_wrs_bvec(ctx, qp, port_num, bvecs, nr_bvec, it, remote_addr, rkey, dir);
  }
  return rdma_rw_init_map_wrs_bvec(ctx, qp, bvecs, nr_bvec, it, remote_addr, rkey, dir);
}

/** Design 'sg': bvec_iter → scatterlist → rdma_rw_ctx_init (the pre-2026 svcrdma way). */
function initBvecViaSg(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, bvecs: readonly bio_vec[], nr_bvec: u32, iter: bvec_iter,
  remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  const sgt = bvecIterToSgTable(bvecs, nr_bvec, iter);
  if (typeof sgt === 'number') return sgt;
  const ret = rdma_rw_ctx_init(ctx, qp, port_num, sgt.sgl!, sgt.orig_nents, 0, remote_addr, rkey, dir);
  if (ret < 0) {
    sg_free_table(sgt);
    return ret;
  }
  ctx.sgt = sgt;
  return ret;
}

/**
 * Design 'bvec': the Oct 2023 RFC — ib_dma_map_bvecs stores the DMA results in the bio_vecs
 * (here in copies of the iterator's segments), merged on an IOMMU; single or map WRs from them.
 */
function initBvecViaRfc(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, bvecs: readonly bio_vec[], nr_bvec: u32, iter: bvec_iter,
  remote_addr: u64_api, rkey: u32, dir: dma_data_direction): number {
  void port_num;
  const dev = qp.pd.device;
  const segs: bio_vec[] = [];
  while (iter.bi_size) {
    if (segs.length >= nr_bvec) return -errno.EINVAL;
    const bv = mp_bvec_iter_bvec(bvecs, iter);
    segs.push(new bio_vec(bv.bv_page, bv.bv_len, bv.bv_offset));
    bvec_iter_advance(bvecs, iter, bv.bv_len);
  }
  const count = ib_dma_map_bvecs(dev, segs, segs.length, dir);
  if (count <= 0) return -errno.ENOMEM;
  ctx.dma_bvecs = segs;
  if (count === 1) {
    ctx.nr_ops = 1;
    const sge = ctx.single.sge;
    sge.lkey = qp.pd.local_dma_lkey;
    sge.addr = segs[0]!.bv_dma_address;
    sge.length = segs[0]!.bv_dma_length;
    setRdmaWr(ctx.single.wr, dir, [sge], 1, remote_addr, rkey);
    ctx.type = RDMA_RW_SINGLE_WR;
    return 1;
  }
  const max_sge = dir === DMA_TO_DEVICE ? qp.max_write_sge : qp.max_read_sge;
  if (!(max_sge > 0)) {
    ib_dma_unmap_bvecs(dev, segs, segs.length, dir);
    ctx.dma_bvecs = null;
    return -errno.EINVAL;
  }
  const nr_ops = Math.ceil(count / max_sge);
  const sges: ib_sge[] = [];
  const wrs: ib_rdma_wr[] = [];
  let total_len = 0;
  for (let i = 0; i < nr_ops; i++) {
    const list: ib_sge[] = [];
    const start = total_len;
    for (let j = 0; j < max_sge && sges.length < count; j++) {
      const bv = segs[sges.length]!;
      const sge: ib_sge = { addr: bv.bv_dma_address, length: bv.bv_dma_length, lkey: qp.pd.local_dma_lkey };
      total_len += sge.length;
      list.push(sge);
      sges.push(sge);
    }
    pushMapWr(wrs, dir, list, addrAdd(remote_addr, start), rkey);
  }
  return setMultiWr(ctx, sges, wrs);
}

// ---------------------------------------------------------------------------------------------
// Posting

/**
 * Kernel: rw.c rdma_rw_update_lkey() - at post time: set need_inval, rotate the key, put it in
 * the REG_MR and the SGE (doing this at init would double or miss invalidations for contexts
 * initialised but never posted).
 */
function rdma_rw_update_lkey(reg: rdma_rw_reg_ctx, need_inval: boolean): void {
  reg.mr.need_inval = need_inval;
  ib_update_fast_reg_key(reg.mr, ib_inc_rkey(reg.mr.lkey));
  reg.reg_wr.key = reg.mr.lkey;
  reg.sge.lkey = reg.mr.lkey;
}

/**
 * rdma_rw_ctx_wrs - the WR chain of a context (MR WRs included). If `chain_wr` is given, the last
 * RDMA WR's `next` is set to it; otherwise the last WR gets `wr_cqe = cqe` and IB_SEND_SIGNALED.
 * For MR contexts the MR keys are rotated here.
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_ctx_wrs()
 * @param cqe completion for the last WR (when no chain_wr)
 * @param chain_wr a WR to append (e.g. the Send carrying the RPC reply), or null
 * @returns the first WR
 * @throws KernelBug for a context that was never initialised with a known type (BUG())
 * @example
 * ```ts
 * const first = rdma_rw_ctx_wrs(ctx, qp, 1, null, sendWr); // WRITE chunk then the reply Send
 * ib_post_send(qp, first);
 * ```
 */
export function rdma_rw_ctx_wrs(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, cqe: ib_cqe | null, chain_wr: ib_send_wr | null): ib_send_wr {
  void qp;
  void port_num;
  let first_wr: ib_send_wr;
  let last_wr: ib_send_wr;
  switch (ctx.type) {
    case RDMA_RW_SIG_MR:
    case RDMA_RW_MR: {
      for (let i = 0; i < ctx.nr_ops; i++) {
        const reg = ctx.reg[i]!;
        rdma_rw_update_lkey(reg, reg.wr.opcode !== ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV);
      }
      const r0 = ctx.reg[0]!;
      first_wr = r0.inv_wr.next ? r0.inv_wr : r0.reg_wr;
      last_wr = ctx.reg[ctx.nr_ops - 1]!.wr;
      break;
    }
    case RDMA_RW_IOVA:
      first_wr = last_wr = ctx.iova.wr;
      break;
    case RDMA_RW_MULTI_WR:
      first_wr = ctx.map.wrs[0]!;
      last_wr = ctx.map.wrs[ctx.nr_ops - 1]!;
      break;
    case RDMA_RW_SINGLE_WR:
      first_wr = last_wr = ctx.single.wr;
      break;
    default:
      throw new KernelBug(`rdma_rw_ctx_wrs: bad context type ${String(ctx.type)}`);
  }
  if (chain_wr) {
    last_wr.next = chain_wr;
  } else {
    last_wr.wr_cqe = cqe;
    last_wr.send_flags = (last_wr.send_flags ?? 0) | ib_send_flags.IB_SEND_SIGNALED;
  }
  return first_wr;
}

/**
 * rdma_rw_ctx_post - post a context's WRs (rdma_rw_ctx_wrs + ib_post_send).
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_ctx_post()
 * Divergence: returns 0; a post failure throws ib_post_send's KernelError (with bad_wr) instead
 * of returning its errno, as every verb in this package does.
 * @returns 0
 * @throws KernelError from ib_post_send (ENOMEM: send queue full; EINVAL: QP state, too many SGEs)
 * @example
 * ```ts
 * rdma_rw_ctx_post(ctx, qp, 1, { done: (cq, wc) => onReadDone(wc) }, null);
 * ```
 */
export function rdma_rw_ctx_post(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, cqe: ib_cqe | null, chain_wr: ib_send_wr | null): number {
  const first_wr = rdma_rw_ctx_wrs(ctx, qp, port_num, cqe, chain_wr);
  ib_post_send(qp, first_wr);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Teardown

/**
 * rdma_rw_ctx_destroy - release what rdma_rw_ctx_init took: MRs back to the pool, the
 * scatterlist unmapped (with the caller's original sg_cnt).
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_ctx_destroy()
 * @param sg the scatterlist given to rdma_rw_ctx_init
 * @param sg_cnt the sg_cnt given to rdma_rw_ctx_init
 * @throws KernelBug (strict mode) for an RDMA_RW_IOVA context or a bvec MR context (they need
 *   rdma_rw_ctx_destroy_bvec; WARN_ON_ONCE), or an unknown type (BUG())
 * @example
 * ```ts
 * rdma_rw_ctx_destroy(ctx, qp, 1, sgt.sgl!, sgt.orig_nents, DMA_FROM_DEVICE);
 * ```
 */
export function rdma_rw_ctx_destroy(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, sg: SglRef, sg_cnt: u32, dir: dma_data_direction): void {
  void port_num;
  switch (ctx.type) {
    case RDMA_RW_MR:
      WARN(ctx.reg[0]?.sgt != null, 'rdma_rw_ctx_destroy: bvec MR context (use rdma_rw_ctx_destroy_bvec)');
      putRegs(qp, ctx.reg);
      break;
    case RDMA_RW_MULTI_WR:
      ctx.map = { sges: [], wrs: [] };
      break;
    case RDMA_RW_SINGLE_WR:
      break;
    case RDMA_RW_IOVA:
      WARN(true, 'rdma_rw_ctx_destroy: IOVA context (use rdma_rw_ctx_destroy_bvec)');
      return;
    default:
      throw new KernelBug(`rdma_rw_ctx_destroy: bad context type ${String(ctx.type)}`);
  }
  ib_dma_unmap_sg(qp.pd.device, sg, sg_cnt, dir);
}

/**
 * rdma_rw_ctx_destroy_bvec - release what a successful rdma_rw_ctx_init_bvec took: RDMA_RW_MR →
 * MRs back to the pool and the temporary scatterlist unmapped; RDMA_RW_IOVA → dma_iova_destroy of
 * the mapped length; RDMA_RW_MULTI_WR → ib_dma_unmap_bvec per SGE; RDMA_RW_SINGLE_WR → one
 * ib_dma_unmap_bvec. Must not be called after a failed init.
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_ctx_destroy_bvec() [2026]
 * Divergence: MULTI_WR unmaps the SGEs actually mapped (the kernel loops nr_bvec times). The
 * 'sg' and 'bvec' designs undo their own mappings (rdma_rw_ctx_destroy + sg_free_table;
 * ib_dma_unmap_bvecs).
 * @param bvecs, nr_bvec as given to rdma_rw_ctx_init_bvec (unused, as in the kernel)
 * @throws KernelBug (strict mode) for an unknown context type (WARN_ON_ONCE)
 * @example
 * ```ts
 * rdma_rw_ctx_destroy_bvec(ctx, qp, 1, bvecs, bvecs.length, DMA_TO_DEVICE);
 * ```
 */
export function rdma_rw_ctx_destroy_bvec(ctx: rdma_rw_ctx, qp: ib_qp, port_num: u32, bvecs: readonly bio_vec[], nr_bvec: u32,
  dir: dma_data_direction): void {
  void bvecs;
  void nr_bvec;
  const dev = qp.pd.device;
  if (ctx.sgt !== null) {
    const sgt = ctx.sgt;
    ctx.sgt = null;
    rdma_rw_ctx_destroy(ctx, qp, port_num, sgt.sgl!, sgt.orig_nents, dir);
    sg_free_table(sgt);
    return;
  }
  if (ctx.dma_bvecs !== null) {
    const segs = ctx.dma_bvecs;
    ctx.dma_bvecs = null;
    ib_dma_unmap_bvecs(dev, segs, segs.length, dir);
    ctx.map = { sges: [], wrs: [] };
    return;
  }
  switch (ctx.type) {
    case RDMA_RW_MR: {
      const sgt = ctx.reg[0]?.sgt ?? null;
      putRegs(qp, ctx.reg);
      if (sgt !== null) {
        ib_dma_unmap_sgtable_attrs(dev, sgt, dir, 0);
        sg_free_table(sgt);
      }
      break;
    }
    case RDMA_RW_IOVA:
      dma_iova_destroy(dev.dma_device, ctx.iova.state, ctx.iova.mapped_len, dir, 0);
      ctx.iova.mapped_len = 0;
      break;
    case RDMA_RW_MULTI_WR:
      for (const s of ctx.map.sges) ib_dma_unmap_bvec(dev, s.addr as number, s.length, dir);
      ctx.map = { sges: [], wrs: [] };
      break;
    case RDMA_RW_SINGLE_WR:
      ib_dma_unmap_bvec(dev, ctx.single.sge.addr as number, ctx.single.sge.length, dir);
      break;
    default:
      WARN(true, `rdma_rw_ctx_destroy_bvec: bad context type ${String(ctx.type)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Sizing and QP resources

/**
 * rdma_rw_mr_factor - how many MRs (or, without MRs, READ SGE groups) a payload of `maxpages`
 * pages needs; used to size max_rdma_ctxs and the send queue/CQ.
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_mr_factor()
 * @example
 * ```ts
 * rdma_rw_mr_factor(dev, 1, 256); // 256 / max_sge_rd rounded up on RoCE
 * ```
 */
export function rdma_rw_mr_factor(device: ib_device, port_num: u32, maxpages: number): number {
  const mr_pages = rdma_rw_can_use_mr(device, port_num) ? rdma_rw_fr_page_list_len(device, false) : device.attrs.max_sge_rd;
  return Math.ceil(maxpages / mr_pages);
}

/**
 * rdma_rw_max_send_wr - send queue entries needed for `max_rdma_ctxs` contexts: one per context,
 * plus REG_MR + LOCAL_INV when the device uses MRs or integrity is enabled.
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_max_send_wr()
 * @example
 * ```ts
 * rdma_rw_max_send_wr(dev, 1, 16, 0); // 16 on RoCE, 48 on iWARP
 * ```
 */
export function rdma_rw_max_send_wr(dev: ib_device, port_num: u32, max_rdma_ctxs: number, create_flags: number): number {
  let factor = 1;
  if (create_flags & ib_qp_create_flags.IB_QP_CREATE_INTEGRITY_EN || rdma_rw_can_use_mr(dev, port_num)) factor += 2;
  const result = factor * max_rdma_ctxs;
  return result > 0xffff_ffff ? 0xffff_ffff : result;
}

/**
 * rdma_rw_init_qp - grow `attr.cap.max_send_wr` by (1 + 2 if MRs or integrity) × max_rdma_ctxs,
 * clamped to the device's max_qp_wr. Called by ib_create_qp when cap.max_rdma_ctxs is set.
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_init_qp()
 * @throws KernelBug (strict mode) if attr.port_num is 0 (WARN_ON_ONCE: rdma_rw needs the port)
 * @example
 * ```ts
 * const attr = { ...init, port_num: 1, cap: { ...cap, max_rdma_ctxs: 16 } };
 * rdma_rw_init_qp(dev, attr); // attr.cap.max_send_wr += 16 (RoCE)
 * ```
 */
export function rdma_rw_init_qp(dev: ib_device, attr: ib_qp_init_attr): void {
  let factor = 1;
  const port_num = attr.port_num ?? 0;
  WARN(port_num === 0, 'rdma_rw_init_qp: WARN_ON_ONCE(attr->port_num == 0)');
  if ((attr.create_flags ?? 0) & ib_qp_create_flags.IB_QP_CREATE_INTEGRITY_EN || rdma_rw_can_use_mr(dev, port_num)) factor += 2;
  attr.cap.max_send_wr += factor * (attr.cap.max_rdma_ctxs ?? 0);
  attr.cap.max_send_wr = Math.min(attr.cap.max_send_wr, dev.attrs.max_qp_wr);
}

/**
 * rdma_rw_init_mrs - fill the QP's MR pool: max_rdma_ctxs MRs of min(max_fast_reg_page_list_len,
 * 256) pages when the device can use MRs (iWARP, max_sgl_rd, force_mr).
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_init_mrs()
 * Divergence: integrity (IB_QP_CREATE_INTEGRITY_EN) is not emulated: -EOPNOTSUPP.
 * @returns 0 or a negative errno (ib_mr_pool_init's)
 * @example
 * ```ts
 * const ret = rdma_rw_init_mrs(qp, init_attr); // ib_create_qp does this
 * ```
 */
export function rdma_rw_init_mrs(qp: ib_qp, attr: ib_qp_init_attr): number {
  const dev = qp.pd.device;
  let nr_mrs = 0;
  let max_num_sg = 0;
  qp.rdma_mrs ??= [];
  qp.sig_mrs ??= [];
  if ((attr.create_flags ?? 0) & ib_qp_create_flags.IB_QP_CREATE_INTEGRITY_EN) return -errno.EOPNOTSUPP;
  if (rdma_rw_can_use_mr(dev, attr.port_num ?? 0)) {
    nr_mrs = attr.cap.max_rdma_ctxs ?? 0;
    max_num_sg = rdma_rw_fr_page_list_len(dev, false);
  }
  if (nr_mrs) {
    const ret = ib_mr_pool_init(qp, qp.rdma_mrs, nr_mrs, ib_mr_type.IB_MR_TYPE_MEM_REG, max_num_sg, 0);
    if (ret) return ret;
  }
  return 0;
}

/**
 * rdma_rw_cleanup_mrs - deregister the QP's pooled MRs (ib_destroy_qp calls it).
 * Kernel: drivers/infiniband/core/rw.c rdma_rw_cleanup_mrs()
 * @example
 * ```ts
 * rdma_rw_cleanup_mrs(qp);
 * ```
 */
export function rdma_rw_cleanup_mrs(qp: ib_qp): void {
  ib_mr_pool_destroy(qp, qp.sig_mrs);
  ib_mr_pool_destroy(qp, qp.rdma_mrs);
}

// ---------------------------------------------------------------------------------------------
// Emulator-only accounting

/** What one initialised context will post. Emulator-only. */
export interface RdmaRwCounts {
  /** RDMA READ/WRITE WRs (= ctx.nr_ops). */
  rdma_wrs: number;
  /** All WQEs: RDMA WRs + REG_MR + LOCAL_INV. */
  wqes: number;
  /** SGEs over all RDMA WRs. */
  sges: number;
  /** MRs registered. */
  mrs: number;
}

/**
 * rdmaRwCtxCounts - WRs, SGEs and MRs of an initialised context (for tests and bench/rw).
 * Emulator-only.
 * @example
 * ```ts
 * rdmaRwCtxCounts(ctx); // { rdma_wrs: 1, wqes: 1, sges: 1, mrs: 0 } for RDMA_RW_IOVA
 * ```
 */
export function rdmaRwCtxCounts(ctx: rdma_rw_ctx): RdmaRwCounts {
  switch (ctx.type) {
    case RDMA_RW_MR: {
      let inv = 0;
      for (let i = 0; i < ctx.nr_ops; i++) if (ctx.reg[i]!.inv_wr.next) inv++;
      return { rdma_wrs: ctx.nr_ops, wqes: 2 * ctx.nr_ops + inv, sges: ctx.nr_ops, mrs: ctx.nr_ops };
    }
    case RDMA_RW_MULTI_WR:
      return { rdma_wrs: ctx.nr_ops, wqes: ctx.nr_ops, sges: ctx.map.sges.length, mrs: 0 };
    case RDMA_RW_SIG_MR:
      return { rdma_wrs: ctx.nr_ops, wqes: 0, sges: 0, mrs: 0 };
    default: {
      // SINGLE_WR and IOVA: read the one WR the context built rather than assume its shape.
      const wr = ctx.type === RDMA_RW_IOVA ? ctx.iova.wr : ctx.single.wr;
      return { rdma_wrs: 1, wqes: 1, sges: ib_wr_num_sge(wr), mrs: 0 };
    }
  }
}
