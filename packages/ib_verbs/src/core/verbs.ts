/**
 * verbs - the kernel verbs on PDs, QPs, SRQs, MRs and AHs, memory registration helpers
 * (ib_map_mr_sg, ib_sg_to_pages, key rotation) and the QP drain functions.
 *
 * Kernel: drivers/infiniband/core/verbs.c, include/rdma/ib_verbs.h (inline verbs)
 *
 * Operation
 * ---------
 * Each verb validates what the kernel core validates, calls the provider (`dev.ops`), then fills
 * the common fields and takes the references the kernel takes (`usecnt`). Teardown verbs check
 * those references first and throw `KernelError('EBUSY')` where the kernel returns -EBUSY or
 * WARNs (PD with users, SRQ with QPs, QP with opens). A provider error propagates unchanged.
 *
 * PD local_dma_lkey (ib_alloc_pd): if the device has IBK_LOCAL_DMA_LKEY, every PD uses
 * `dev.local_dma_lkey`; otherwise (rxe) the core registers a DMA MR with IB_ACCESS_LOCAL_WRITE
 * through `ops.get_dma_mr` and the PD's local_dma_lkey is that MR's lkey (`pd.__internal_mr`,
 * not counted in usecnt, deregistered by ib_dealloc_pd).
 *
 * Drain (ib_drain_sq/rq/qp), as `__ib_drain_sq`/`__ib_drain_rq`: move the QP to ERR, post a
 * marker WR whose `wr_cqe.done` sets a flag, then run the device's SimClock until the flag is
 * set: `clock.flush()`, then (IB_POLL_DIRECT CQ) `ib_process_cq_direct(cq, -1)`, then advance
 * virtual time in growing steps (1 us doubling to 100 ms = HZ/10). The provider must accept
 * posts on a QP in ERR and complete them with IB_WC_WR_FLUSH_ERR (IBA 10.7.3.1).
 * A drain runs the clock, so it must be called from outside clock callbacks (like the kernel's,
 * which sleeps and cannot run in atomic context).
 *
 * Tracepoints (system `rdma_core`, include/trace/events/rdma_core.h): `mr_alloc` on every
 * ib_alloc_mr outcome (`rc=0` with the new `mr.id`, or `mr.id=0 rc=-errno`), `mr_dereg` at the
 * start of ib_dereg_mr, `cq_drain_complete` (cq.ts) after ib_drain_sq / ib_drain_rq. PDs and MRs
 * get their restrack ids (`pd.res.id`, `mr.res.id`) in ib_alloc_pd / ib_alloc_mr.
 */
import { KernelError, KernelBug, WARN, errnoName, defineTracepoint, isKernelError } from '@rdmaemu/sim-core';
import type { ErrnoCode } from '@rdmaemu/sim-core';
import type { scatterlist } from '@rdmaemu/dma-core';
import { for_each_sg, sg_dma_address, sg_dma_len } from '@rdmaemu/dma-core';
import {
  ib_access_flags,
  ib_kernel_cap_flags,
  ib_mr_type,
  ib_qp_attr_mask,
  ib_qp_state,
  ib_qp_type,
  ib_wr_opcode,
  ib_poll_context,
  ib_device_cap_flags,
  ib_device_cap_has,
  ib_srq_type,
} from './ib_verbs.h.js';
import type {
  ib_qp_init_attr,
  ib_qp_attr,
  ib_send_wr,
  ib_recv_wr,
  ib_srq_init_attr,
  ib_srq_attr,
  rdma_ah_attr,
  ib_cqe,
  ib_rdma_wr,
} from './ib_verbs.h.js';
import type { ib_device, ib_pd, ib_qp, ib_srq, ib_mr, ib_cq, ib_ah, ib_uint_ptr } from './device.js';
import { ib_process_cq_direct, trace_cq_drain_complete } from './cq.js';
import { rdma_is_port_valid } from './rdma_cap.js';
import { rdma_rw_cleanup_mrs, rdma_rw_init_mrs, rdma_rw_init_qp } from './rw.js';
import { rdma_restrack_add, rdma_restrack_del } from './device.js';

// ---------------------------------------------------------------------------------------------
// rdma_core tracepoints (MR events)

/** Fields of mr_alloc. */
export interface mr_alloc_entry {
  pd_id: number;
  /** 0 when the allocation failed. */
  mr_id: number;
  max_num_sg: number;
  /** 0 or -errno. */
  rc: number;
  mr_type: number;
}
/** Fields of mr_integ_alloc. */
export interface mr_integ_alloc_entry {
  pd_id: number;
  mr_id: number;
  max_num_data_sg: number;
  max_num_meta_sg: number;
  rc: number;
}
/** Fields of mr_dereg. */
export interface mr_dereg_entry {
  id: number;
}

/**
 * rdma_show_ib_mr_type - the trace name of an MR type (`__print_symbolic`: unknown → `0x<hex>`).
 * Kernel: include/trace/events/rdma_core.h rdma_show_ib_mr_type()
 */
export function rdma_show_ib_mr_type(mr_type: number): string {
  switch (mr_type) {
    case ib_mr_type.IB_MR_TYPE_MEM_REG: return 'MEM_REG';
    case ib_mr_type.IB_MR_TYPE_SG_GAPS: return 'SG_GAPS';
    case ib_mr_type.IB_MR_TYPE_DM: return 'DM';
    case ib_mr_type.IB_MR_TYPE_USER: return 'USER';
    case ib_mr_type.IB_MR_TYPE_DMA: return 'DMA';
    case ib_mr_type.IB_MR_TYPE_INTEGRITY: return 'INTEGRITY';
    default: return `0x${(mr_type >>> 0).toString(16)}`;
  }
}

/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(mr_alloc) */
export const trace_mr_alloc = defineTracepoint<mr_alloc_entry>('rdma_core', 'mr_alloc', (f) =>
  `pd.id=${f.pd_id} mr.id=${f.mr_id} type=${rdma_show_ib_mr_type(f.mr_type)} max_num_sg=${f.max_num_sg} rc=${f.rc}`);
/**
 * Kernel: include/trace/events/rdma_core.h TRACE_EVENT(mr_integ_alloc)
 * Divergence: never emitted (no ib_alloc_mr_integrity here).
 */
export const trace_mr_integ_alloc = defineTracepoint<mr_integ_alloc_entry>('rdma_core', 'mr_integ_alloc', (f) =>
  `pd.id=${f.pd_id} mr.id=${f.mr_id} max_num_data_sg=${f.max_num_data_sg} max_num_meta_sg=${f.max_num_meta_sg} rc=${f.rc}`);
/** Kernel: include/trace/events/rdma_core.h TRACE_EVENT(mr_dereg) */
export const trace_mr_dereg = defineTracepoint<mr_dereg_entry>('rdma_core', 'mr_dereg', (f) => `mr.id=${f.id}`);

function fail(code: ErrnoCode, msg: string, ctx?: Record<string, unknown>): never {
  throw new KernelError(code, msg, ctx);
}

// ---------------------------------------------------------------------------------------------
// Protection domains

/** Kernel: include/rdma/ib_verbs.h enum ib_pd_flags */
export enum ib_pd_flags {
  /** Create a global rkey for the whole PD (remote access to all memory; unsafe). */
  IB_PD_UNSAFE_GLOBAL_RKEY = 0x01,
}

/**
 * ib_alloc_pd - allocate a protection domain; every PD has a usable `local_dma_lkey`.
 * Kernel: drivers/infiniband/core/verbs.c __ib_alloc_pd() (ib_alloc_pd macro)
 * @param dev the device
 * @param flags ib_pd_flags
 * @default flags 0
 * @throws KernelError from the provider's alloc_pd or get_dma_mr (the PD is freed again)
 * @example
 * ```ts
 * const pd = ib_alloc_pd(dev);
 * const sge = { addr: dma_addr, length: 4096, lkey: pd.local_dma_lkey };
 * ```
 */
export function ib_alloc_pd(dev: ib_device, flags = 0): ib_pd {
  const pd = dev.ops.alloc_pd(dev);
  rdma_restrack_add(dev, pd.res);
  pd.usecnt = 0;
  pd.flags = flags;
  let mr_access_flags = 0;
  if (dev.attrs.kernel_cap_flags & ib_kernel_cap_flags.IBK_LOCAL_DMA_LKEY) pd.local_dma_lkey = dev.local_dma_lkey;
  else mr_access_flags |= ib_access_flags.IB_ACCESS_LOCAL_WRITE;
  if (flags & ib_pd_flags.IB_PD_UNSAFE_GLOBAL_RKEY) {
    mr_access_flags |= ib_access_flags.IB_ACCESS_REMOTE_READ | ib_access_flags.IB_ACCESS_REMOTE_WRITE;
  }
  if (mr_access_flags) {
    if (!dev.ops.get_dma_mr) {
      rdma_restrack_del(pd.res);
      dev.ops.dealloc_pd(pd);
      fail('EOPNOTSUPP', `ib_alloc_pd: ${dev.name}: no local_dma_lkey and no get_dma_mr`);
    }
    let mr: ib_mr;
    try {
      mr = dev.ops.get_dma_mr(pd, mr_access_flags);
    } catch (e) {
      rdma_restrack_del(pd.res);
      dev.ops.dealloc_pd(pd);
      throw e;
    }
    mr.type = ib_mr_type.IB_MR_TYPE_DMA;
    mr.need_inval = false;
    pd.__internal_mr = mr;
    if (!(dev.attrs.kernel_cap_flags & ib_kernel_cap_flags.IBK_LOCAL_DMA_LKEY)) pd.local_dma_lkey = mr.lkey;
    if (flags & ib_pd_flags.IB_PD_UNSAFE_GLOBAL_RKEY) pd.unsafe_global_rkey = mr.rkey;
  }
  return pd;
}

/**
 * ib_dealloc_pd - free a PD (and its internal DMA MR).
 * Kernel: drivers/infiniband/core/verbs.c ib_dealloc_pd_user()
 * Divergence: the kernel WARNs when resources remain; here it throws EBUSY and changes nothing.
 * @throws KernelError EBUSY if QPs, SRQs, MRs or AHs still use the PD
 * @example
 * ```ts
 * ib_dealloc_pd(pd);
 * ```
 */
export function ib_dealloc_pd(pd: ib_pd): void {
  if (pd.usecnt !== 0) fail('EBUSY', `ib_dealloc_pd: ${pd.device.name}: pd still used by ${pd.usecnt} object(s)`);
  if (pd.__internal_mr !== null) {
    const mr = pd.__internal_mr;
    pd.__internal_mr = null;
    pd.device.ops.dereg_mr(mr);
  }
  rdma_restrack_del(pd.res);
  pd.device.ops.dealloc_pd(pd);
}

// ---------------------------------------------------------------------------------------------
// Address handles

/**
 * rdma_create_ah - create an address handle (UD).
 * Kernel: drivers/infiniband/core/verbs.c rdma_create_ah()
 * @throws KernelError EOPNOTSUPP if the provider has no create_ah; provider errors
 */
export function rdma_create_ah(pd: ib_pd, ah_attr: rdma_ah_attr): ib_ah {
  const dev = pd.device;
  if (!dev.ops.create_ah) fail('EOPNOTSUPP', `rdma_create_ah: ${dev.name}: not supported`);
  if (!rdma_is_port_valid(dev, ah_attr.port_num)) fail('EINVAL', `rdma_create_ah: ${dev.name}: bad port ${ah_attr.port_num}`);
  const ah = dev.ops.create_ah(pd, ah_attr);
  pd.usecnt++;
  return ah;
}

/**
 * rdma_destroy_ah - destroy an address handle.
 * Kernel: drivers/infiniband/core/verbs.c rdma_destroy_ah_user()
 */
export function rdma_destroy_ah(ah: ib_ah): void {
  ah.device.ops.destroy_ah?.(ah);
  ah.pd.usecnt--;
}

// ---------------------------------------------------------------------------------------------
// Shared receive queues

/**
 * ib_create_srq - create a shared receive queue.
 * Kernel: drivers/infiniband/core/verbs.c ib_create_srq_user()
 * @throws KernelError EOPNOTSUPP if the provider has no SRQ support; provider errors (EINVAL
 *   for attr.max_wr/max_sge above the device limits)
 * @example
 * ```ts
 * const srq = ib_create_srq(pd, { attr: { max_wr: 256, max_sge: 1, srq_limit: 0 } });
 * ```
 */
export function ib_create_srq(pd: ib_pd, srq_init_attr: ib_srq_init_attr): ib_srq {
  const dev = pd.device;
  if (!dev.ops.create_srq) fail('EOPNOTSUPP', `ib_create_srq: ${dev.name}: not supported`);
  const srq = dev.ops.create_srq(pd, srq_init_attr);
  srq.event_handler = srq_init_attr.event_handler ?? null;
  srq.srq_context = srq_init_attr.srq_context ?? null;
  srq.srq_type = srq_init_attr.srq_type ?? ib_srq_type.IB_SRQT_BASIC;
  srq.usecnt = 0;
  const cq = srq_init_attr.ext?.cq ?? null;
  srq.ext.cq = srq.srq_type === ib_srq_type.IB_SRQT_BASIC ? null : cq;
  if (srq.ext.cq) srq.ext.cq.usecnt++;
  pd.usecnt++;
  return srq;
}

/**
 * ib_modify_srq - resize an SRQ (IB_SRQ_MAX_WR) and/or arm its limit event (IB_SRQ_LIMIT).
 * Kernel: drivers/infiniband/core/verbs.c ib_modify_srq()
 * @throws KernelError EOPNOTSUPP without provider support; provider errors (EINVAL)
 */
export function ib_modify_srq(srq: ib_srq, srq_attr: ib_srq_attr, srq_attr_mask: number): void {
  const op = srq.device.ops.modify_srq;
  if (!op) fail('EOPNOTSUPP', `ib_modify_srq: ${srq.device.name}: not supported`);
  op.call(srq.device.ops, srq, srq_attr, srq_attr_mask);
}

/**
 * ib_query_srq - an SRQ's attributes.
 * Kernel: drivers/infiniband/core/verbs.c ib_query_srq()
 * @throws KernelError EOPNOTSUPP without provider support
 */
export function ib_query_srq(srq: ib_srq): ib_srq_attr {
  const op = srq.device.ops.query_srq;
  if (!op) fail('EOPNOTSUPP', `ib_query_srq: ${srq.device.name}: not supported`);
  return op.call(srq.device.ops, srq);
}

/**
 * ib_destroy_srq - destroy an SRQ.
 * Kernel: drivers/infiniband/core/verbs.c ib_destroy_srq_user()
 * @throws KernelError EBUSY if QPs are still attached to it
 */
export function ib_destroy_srq(srq: ib_srq): void {
  if (srq.usecnt !== 0) fail('EBUSY', `ib_destroy_srq: ${srq.device.name}: srq still used by ${srq.usecnt} qp(s)`);
  srq.device.ops.destroy_srq?.(srq);
  srq.pd.usecnt--;
  if (srq.ext.cq) srq.ext.cq.usecnt--;
}

/**
 * ib_post_srq_recv - post receive WRs (a `next` chain) to an SRQ.
 * Kernel: include/rdma/ib_verbs.h ib_post_srq_recv()
 * @throws KernelError ENOMEM if the SRQ is full, EINVAL on too many SGEs; err.bad_wr is the
 *   first WR not posted (those before it were posted)
 */
export function ib_post_srq_recv(srq: ib_srq, recv_wr: ib_recv_wr): void {
  const op = srq.device.ops.post_srq_recv;
  if (!op) fail('EOPNOTSUPP', `ib_post_srq_recv: ${srq.device.name}: not supported`, { bad_wr: recv_wr });
  op.call(srq.device.ops, srq, recv_wr);
}

// ---------------------------------------------------------------------------------------------
// Queue pairs

/**
 * ib_create_qp - create a QP (kernel ULP path: ib_create_qp -> ib_create_qp_kernel).
 *
 * On return `init_attr.cap` holds the capacities the provider granted; `qp.max_write_sge` is
 * cap.max_send_sge and `qp.max_read_sge` is min(cap.max_send_sge, attrs.max_sge_rd) (rdma_rw
 * uses them). The QP takes references on its PD, send CQ, recv CQ (one each, even if the same
 * CQ) and SRQ.
 * Kernel: drivers/infiniband/core/verbs.c ib_create_qp_kernel(), create_qp(), ib_qp_usecnt_inc()
 * @throws KernelError EINVAL if a CQ is missing, or a CQ/SRQ belongs to another device
 * @throws KernelError EOPNOTSUPP for XRC_TGT (not emulated)
 * @throws KernelError from the provider (EINVAL for caps above the device limits, ENOMEM)
 * @example
 * ```ts
 * const qp = ib_create_qp(pd, { send_cq: cq, recv_cq: cq, qp_type: ib_qp_type.IB_QPT_RC,
 *   sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
 *   cap: { max_send_wr: 64, max_recv_wr: 64, max_send_sge: 2, max_recv_sge: 2, max_inline_data: 0 } });
 * ```
 */
export function ib_create_qp(pd: ib_pd, qp_init_attr: ib_qp_init_attr): ib_qp {
  const dev = pd.device;
  if (qp_init_attr.qp_type === ib_qp_type.IB_QPT_XRC_TGT) fail('EOPNOTSUPP', `ib_create_qp: ${dev.name}: XRC_TGT not supported`);
  const { send_cq, recv_cq } = qp_init_attr;
  const srq = qp_init_attr.srq ?? null;
  if (!send_cq || (!recv_cq && qp_init_attr.qp_type !== ib_qp_type.IB_QPT_XRC_INI)) {
    fail('EINVAL', `ib_create_qp: ${dev.name}: missing cq`);
  }
  for (const o of [send_cq, recv_cq, srq]) {
    if (o && o.device !== dev) fail('EINVAL', `ib_create_qp: ${dev.name}: cq/srq of device ${o.device.name}`);
  }
  if (qp_init_attr.port_num !== undefined && qp_init_attr.port_num !== 0 && !rdma_is_port_valid(dev, qp_init_attr.port_num)) {
    fail('EINVAL', `ib_create_qp: ${dev.name}: bad port ${qp_init_attr.port_num}`);
  }
  // rdma_rw users (cap.max_rdma_ctxs) get SQ room for their contexts' WRs (rw.c)
  if (qp_init_attr.cap.max_rdma_ctxs) rdma_rw_init_qp(dev, qp_init_attr);
  const qp = dev.ops.create_qp(pd, qp_init_attr);
  qp.real_qp = qp;
  qp.usecnt = 0;
  qp.qp_type = qp_init_attr.qp_type;
  qp.event_handler = qp_init_attr.event_handler ?? null;
  qp.qp_context = qp_init_attr.qp_context ?? null;
  qp.send_cq = send_cq;
  qp.recv_cq = qp_init_attr.qp_type === ib_qp_type.IB_QPT_XRC_INI ? null : recv_cq;
  qp.srq = qp_init_attr.qp_type === ib_qp_type.IB_QPT_XRC_INI ? null : srq;
  qp.port = qp_init_attr.port_num ?? 0;
  qp.max_write_sge = qp_init_attr.cap.max_send_sge;
  qp.max_read_sge = Math.min(qp_init_attr.cap.max_send_sge, dev.attrs.max_sge_rd);
  // ib_qp_usecnt_inc
  pd.usecnt++;
  if (qp.send_cq) qp.send_cq.usecnt++;
  if (qp.recv_cq) qp.recv_cq.usecnt++;
  if (qp.srq) qp.srq.usecnt++;
  if (qp_init_attr.cap.max_rdma_ctxs) {
    const ret = rdma_rw_init_mrs(qp, qp_init_attr);
    if (ret) {
      ib_destroy_qp(qp);
      fail(errnoName(-ret) ?? 'ENOMEM', `ib_create_qp: ${dev.name}: rdma_rw_init_mrs failed (${ret})`);
    }
  }
  return qp;
}

/**
 * ib_modify_qp - change QP attributes / state. The provider validates the transition with
 * ib_modify_qp_is_ok() and the values against its limits.
 * Kernel: drivers/infiniband/core/verbs.c ib_modify_qp() -> _ib_modify_qp()
 * @throws KernelError EINVAL for an invalid port (IB_QP_PORT / ah_attr.port_num), an illegal
 *   transition or attribute mask, or out-of-range values
 * @example
 * ```ts
 * ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_ERR }, ib_qp_attr_mask.IB_QP_STATE);
 * ```
 */
export function ib_modify_qp(qp: ib_qp, qp_attr: ib_qp_attr, qp_attr_mask: number): void {
  const dev = qp.device;
  if (qp_attr_mask & ib_qp_attr_mask.IB_QP_PORT && !rdma_is_port_valid(dev, qp_attr.port_num ?? 0)) {
    fail('EINVAL', `ib_modify_qp: qp ${qp.qp_num}: bad port ${qp_attr.port_num}`);
  }
  if (qp_attr_mask & ib_qp_attr_mask.IB_QP_AV) {
    const port = qp_attr.ah_attr?.port_num ?? 0;
    if (qp_attr.ah_attr === undefined || !rdma_is_port_valid(dev, port)) fail('EINVAL', `ib_modify_qp: qp ${qp.qp_num}: bad ah_attr port ${port}`);
  }
  if (qp_attr_mask & ib_qp_attr_mask.IB_QP_ALT_PATH) {
    const port = qp_attr.alt_ah_attr?.port_num ?? 0;
    if (qp_attr.alt_ah_attr === undefined || !rdma_is_port_valid(dev, port)) fail('EINVAL', `ib_modify_qp: qp ${qp.qp_num}: bad alt port ${port}`);
  }
  dev.ops.modify_qp(qp.real_qp, qp_attr, qp_attr_mask);
  if (qp_attr_mask & ib_qp_attr_mask.IB_QP_PORT) qp.port = qp_attr.port_num!;
}

/**
 * ib_query_qp - a QP's current attributes and creation attributes.
 * Kernel: drivers/infiniband/core/verbs.c ib_query_qp()
 * Divergence: returns { attr, init_attr } instead of filling two out-parameters.
 * @example
 * ```ts
 * const { attr } = ib_query_qp(qp, ib_qp_attr_mask.IB_QP_STATE);
 * ```
 */
export function ib_query_qp(qp: ib_qp, qp_attr_mask: number): { attr: ib_qp_attr; init_attr: ib_qp_init_attr } {
  return qp.device.ops.query_qp(qp.real_qp, qp_attr_mask);
}

/**
 * ib_destroy_qp - destroy a QP and drop its references. Outstanding WRs are discarded
 * without completions (drain first to get their flushes).
 * Kernel: drivers/infiniband/core/verbs.c ib_destroy_qp_user(), ib_qp_usecnt_dec()
 * @throws KernelError EBUSY if the QP is still opened/attached (qp.usecnt > 0)
 * @example
 * ```ts
 * ib_drain_qp(qp);
 * ib_destroy_qp(qp);
 * ```
 */
export function ib_destroy_qp(qp: ib_qp): void {
  if (qp.usecnt !== 0) fail('EBUSY', `ib_destroy_qp: qp ${qp.qp_num}: still in use (${qp.usecnt})`);
  WARN(qp.mrs_used > 0, `ib_destroy_qp: qp ${qp.qp_num}: ${qp.mrs_used} rdma_rw MRs still in use`);
  rdma_rw_cleanup_mrs(qp);
  const { pd, send_cq, recv_cq, srq } = qp;
  qp.device.ops.destroy_qp(qp);
  pd.usecnt--;
  if (send_cq) send_cq.usecnt--;
  if (recv_cq) recv_cq.usecnt--;
  if (srq) srq.usecnt--;
}

/**
 * ib_post_send - post a chain (`next`) of send WRs. Synchronous; completions arrive on the send
 * CQ later. Unsignaled successful WRs (without IB_SEND_SIGNALED on an IB_SIGNAL_REQ_WR QP)
 * produce no completion; failed WRs always do.
 * Kernel: include/rdma/ib_verbs.h ib_post_send()
 * @throws KernelError EINVAL in a state that forbids posting (RESET, INIT, RTR), on too many
 *   SGEs or a bad opcode; ENOMEM if the SQ is full. err.bad_wr is the first WR not posted; the
 *   WRs before it were posted and will complete.
 * @example
 * ```ts
 * ib_post_send(qp, { opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED,
 *   wr_cqe: cqe, sg_list: [{ addr, length: 64, lkey: pd.local_dma_lkey }] });
 * ```
 */
export function ib_post_send(qp: ib_qp, send_wr: ib_send_wr): void {
  qp.device.ops.post_send(qp, send_wr);
}

/**
 * ib_post_recv - post a chain of receive WRs (allowed from INIT on).
 * Kernel: include/rdma/ib_verbs.h ib_post_recv()
 * @throws KernelError EINVAL in RESET, on a QP with an SRQ, or with too many SGEs; ENOMEM if the
 *   RQ is full; err.bad_wr is the first WR not posted
 */
export function ib_post_recv(qp: ib_qp, recv_wr: ib_recv_wr): void {
  qp.device.ops.post_recv(qp, recv_wr);
}

// ---------------------------------------------------------------------------------------------
// Memory regions

/**
 * ib_check_mr_access - validate MR access flags.
 * Kernel: include/rdma/ib_verbs.h ib_check_mr_access()
 * Spec: IBA o10-37 (remote write/atomic require local write)
 * @throws KernelError EINVAL if REMOTE_WRITE or REMOTE_ATOMIC is asked without LOCAL_WRITE, or
 *   for unknown bits
 * @throws KernelError EOPNOTSUPP for ON_DEMAND / FLUSH_* the device does not support
 * @example
 * ```ts
 * ib_check_mr_access(dev, ib_access_flags.IB_ACCESS_REMOTE_WRITE); // throws EINVAL
 * ```
 */
export function ib_check_mr_access(dev: ib_device, flags: number): void {
  if (flags & (ib_access_flags.IB_ACCESS_REMOTE_ATOMIC | ib_access_flags.IB_ACCESS_REMOTE_WRITE) && !(flags & ib_access_flags.IB_ACCESS_LOCAL_WRITE)) {
    fail('EINVAL', `ib_check_mr_access: ${dev.name}: remote write/atomic without local write (0x${flags.toString(16)})`);
  }
  if (flags & ~ib_access_flags.IB_ACCESS_SUPPORTED) fail('EINVAL', `ib_check_mr_access: ${dev.name}: unknown access bits 0x${flags.toString(16)}`);
  if (flags & ib_access_flags.IB_ACCESS_ON_DEMAND && !(dev.attrs.kernel_cap_flags & ib_kernel_cap_flags.IBK_ON_DEMAND_PAGING)) {
    fail('EOPNOTSUPP', `ib_check_mr_access: ${dev.name}: no ODP`);
  }
  const cap = dev.attrs.device_cap_flags;
  if (
    (flags & ib_access_flags.IB_ACCESS_FLUSH_GLOBAL && !ib_device_cap_has(cap, ib_device_cap_flags.IB_DEVICE_FLUSH_GLOBAL)) ||
    (flags & ib_access_flags.IB_ACCESS_FLUSH_PERSISTENT && !ib_device_cap_has(cap, ib_device_cap_flags.IB_DEVICE_FLUSH_PERSISTENT))
  ) {
    fail('EOPNOTSUPP', `ib_check_mr_access: ${dev.name}: no flush support`);
  }
}

/**
 * ib_get_dma_mr - an MR covering all DMA addresses (iova = DMA address) with `mr_access_flags`.
 * Kernel: drivers/infiniband/core/verbs.c ib_get_dma_mr() (pre-4.9; now internal to ib_alloc_pd)
 * @throws KernelError EINVAL for bad access flags; EOPNOTSUPP without provider support
 */
export function ib_get_dma_mr(pd: ib_pd, mr_access_flags: number): ib_mr {
  ib_check_mr_access(pd.device, mr_access_flags);
  const op = pd.device.ops.get_dma_mr;
  if (!op) fail('EOPNOTSUPP', `ib_get_dma_mr: ${pd.device.name}: not supported`);
  const mr = op.call(pd.device.ops, pd, mr_access_flags);
  mr.type = ib_mr_type.IB_MR_TYPE_DMA;
  mr.need_inval = false;
  pd.usecnt++;
  return mr;
}

/**
 * ib_alloc_mr - allocate a fast-registration MR (FRWR) able to map `max_num_sg` pages. The MR is
 * invalid until an IB_WR_REG_MR completes; its keys' low byte is rotated with
 * ib_update_fast_reg_key before each registration.
 * Kernel: drivers/infiniband/core/verbs.c ib_alloc_mr()
 * Divergence: the core also rejects IB_MR_TYPE_SG_GAPS on a device without IBK_SG_GAPS_REG
 * (the kernel leaves that check to drivers).
 * @throws KernelError EOPNOTSUPP without provider support; EINVAL for IB_MR_TYPE_INTEGRITY, for
 *   SG_GAPS without IBK_SG_GAPS_REG, or (provider) max_num_sg above max_fast_reg_page_list_len
 * @example
 * ```ts
 * const mr = ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 256);
 * ```
 */
export function ib_alloc_mr(pd: ib_pd, mr_type: ib_mr_type, max_num_sg: number): ib_mr {
  let mr: ib_mr;
  try {
    mr = __ib_alloc_mr(pd, mr_type, max_num_sg);
  } catch (e) {
    if (trace_mr_alloc.enabled && isKernelError(e)) {
      trace_mr_alloc.emit({ pd_id: pd.res.id, mr_id: 0, max_num_sg, rc: e.negative, mr_type });
    }
    throw e;
  }
  if (trace_mr_alloc.enabled) trace_mr_alloc.emit({ pd_id: pd.res.id, mr_id: mr.res.id, max_num_sg, rc: 0, mr_type });
  return mr;
}

function __ib_alloc_mr(pd: ib_pd, mr_type: ib_mr_type, max_num_sg: number): ib_mr {
  const dev = pd.device;
  if (!dev.ops.alloc_mr) fail('EOPNOTSUPP', `ib_alloc_mr: ${dev.name}: not supported`);
  if (mr_type === ib_mr_type.IB_MR_TYPE_INTEGRITY) {
    WARN(true, 'ib_alloc_mr: use ib_alloc_mr_integrity for IB_MR_TYPE_INTEGRITY');
    fail('EINVAL', `ib_alloc_mr: ${dev.name}: integrity mr`);
  }
  if (mr_type === ib_mr_type.IB_MR_TYPE_SG_GAPS && !(dev.attrs.kernel_cap_flags & ib_kernel_cap_flags.IBK_SG_GAPS_REG)) {
    fail('EINVAL', `ib_alloc_mr: ${dev.name}: no IBK_SG_GAPS_REG`);
  }
  const mr = dev.ops.alloc_mr(pd, mr_type, max_num_sg);
  mr.type = mr_type;
  mr.need_inval = false;
  rdma_restrack_add(dev, mr.res);
  pd.usecnt++;
  return mr;
}

/**
 * ib_dereg_mr - deregister / free an MR.
 * Kernel: drivers/infiniband/core/verbs.c ib_dereg_mr_user()
 * @throws KernelError from the provider (e.g. EBUSY while memory windows are bound)
 */
export function ib_dereg_mr(mr: ib_mr): void {
  if (trace_mr_dereg.enabled) trace_mr_dereg.emit({ id: mr.res.id });
  const pd = mr.pd;
  mr.device.ops.dereg_mr(mr);
  rdma_restrack_del(mr.res);
  pd.usecnt--;
}

/**
 * ib_map_mr_sg - map a DMA-mapped sg list into an FRWR MR's page list (before IB_WR_REG_MR).
 *
 * Sets `mr.page_size`, then the provider (normally through ib_sg_to_pages) sets `mr.iova` (the
 * first element's DMA address + sg_offset) and `mr.length`.
 * Kernel: drivers/infiniband/core/verbs.c ib_map_mr_sg()
 * @param mr the MR (from ib_alloc_mr)
 * @param sg the DMA-mapped sg list (first entry or array)
 * @param sg_nents number of mapped entries to use
 * @param sg_offset in: byte offset into the first entry; out: offset into the first element not
 *   (fully) mapped (null = 0)
 * @param page_size the MR page size (PAGE_SIZE for ULPs)
 * @returns the number of sg entries mapped; fewer than sg_nents when a gap stops mapping (no
 *   SG_GAPS) or the page list is full
 * @throws KernelError EOPNOTSUPP without provider support; EINVAL for sg_nents <= 0 or an
 *   offset beyond the first entry; ENOMEM/EINVAL when not even the first page fits
 * @example
 * ```ts
 * const n = ib_map_mr_sg(mr, sgt.sgl!, nents, null, PAGE_SIZE);
 * if (n !== nents) throw new Error('gap');
 * ```
 */
export function ib_map_mr_sg(mr: ib_mr, sg: scatterlist | readonly scatterlist[], sg_nents: number, sg_offset: ib_uint_ptr | null, page_size: number): number {
  const op = mr.device.ops.map_mr_sg;
  if (!op) fail('EOPNOTSUPP', `ib_map_mr_sg: ${mr.device.name}: not supported`);
  mr.page_size = page_size;
  return op.call(mr.device.ops, mr, sg, sg_nents, sg_offset);
}

/**
 * ib_sg_to_pages - split a DMA-mapped sg list into `mr.page_size` pages for a provider's page
 * list, calling `set_page(mr, page_addr)` per page.
 *
 * Rules (no SG_GAPS): every element but the first must start on a page boundary and every
 * element but the last must end on one; mapping stops at the first element that violates this
 * and is not contiguous with the previous one (contiguous elements are merged). Sets
 * `mr.iova = first dma address + sg_offset` and `mr.length` = bytes mapped.
 * Kernel: drivers/infiniband/core/verbs.c ib_sg_to_pages()
 * @param set_page returns 0, or a negative errno when the page list is full (stops mapping)
 * @returns the number of sg elements mapped (a partially mapped last element counts as not
 *   mapped and its remaining offset goes to sg_offset_p)
 * @throws KernelError EINVAL for sg_nents <= 0 or sg_offset beyond the first element; the
 *   set_page errno if not even the first page could be set
 * @example A provider's map_mr_sg
 * ```ts
 * map_mr_sg(mr, sg, n, off) { mr.npages = 0; return ib_sg_to_pages(mr, sg, n, off, (m, a) => (m.npages < m.max ? (m.pages[m.npages++] = a, 0) : -errno.ENOMEM)); }
 * ```
 */
export function ib_sg_to_pages(
  mr: ib_mr,
  sgl: scatterlist | readonly scatterlist[],
  sg_nents: number,
  sg_offset_p: ib_uint_ptr | null,
  set_page: (mr: ib_mr, addr: number) => number,
): number {
  let sg_offset = sg_offset_p ? sg_offset_p.value : 0;
  const page_size = mr.page_size;
  if (!(page_size > 0) || (page_size & (page_size - 1)) !== 0) fail('EINVAL', `ib_sg_to_pages: bad page_size ${page_size}`);
  const first = Array.isArray(sgl) ? (sgl as readonly scatterlist[])[0] : (sgl as scatterlist);
  if (sg_nents <= 0 || first === undefined || sg_offset > sg_dma_len(first)) {
    fail('EINVAL', `ib_sg_to_pages: bad sg_nents ${sg_nents} / sg_offset ${sg_offset}`);
  }
  const pageDown = (a: number): number => a - (a % page_size);
  mr.iova = BigInt(sg_dma_address(first) + sg_offset);
  mr.length = 0;
  let last_end_dma_addr = 0;
  let last_page_off = 0;
  let i = 0;
  for (const sg of for_each_sg(sgl as scatterlist, sg_nents)) {
    const dma_addr = sg_dma_address(sg) + sg_offset;
    let prev_addr = dma_addr;
    const dma_len = sg_dma_len(sg) - sg_offset;
    const end_dma_addr = dma_addr + dma_len;
    let page_addr = pageDown(dma_addr);
    let coalesce = false;
    if (i && (last_page_off !== 0 || page_addr !== dma_addr)) {
      // a gap: stop mapping
      if (last_end_dma_addr !== dma_addr) break;
      // contiguous with the previous element: merge, continue from its next page
      coalesce = true;
    }
    do {
      if (!coalesce) {
        const ret = set_page(mr, page_addr);
        if (ret < 0) {
          sg_offset = prev_addr - sg_dma_address(sg);
          mr.length += prev_addr - dma_addr;
          if (sg_offset_p) sg_offset_p.value = sg_offset;
          if (i || sg_offset) return i;
          fail((errnoName(-ret) ?? 'ENOMEM') as ErrnoCode, `ib_sg_to_pages: set_page failed (${ret})`);
        }
        prev_addr = page_addr;
      }
      coalesce = false;
      page_addr += page_size;
    } while (page_addr < end_dma_addr);
    mr.length += dma_len;
    last_end_dma_addr = end_dma_addr;
    last_page_off = end_dma_addr % page_size;
    sg_offset = 0;
    i++;
  }
  if (sg_offset_p) sg_offset_p.value = 0;
  return i;
}

/**
 * ibSgToSegments - emulator-only: map an sg list into an IB_MR_TYPE_SG_GAPS MR as arbitrary
 * (address, length) segments (the role of mlx5's KLM lists); never stops at gaps.
 * Sets mr.iova (first address + offset) and mr.length (sum of lengths).
 * @param set_segment returns 0, or a negative errno when the segment list is full
 * @returns the number of sg elements mapped
 */
export function ibSgToSegments(
  mr: ib_mr,
  sgl: scatterlist | readonly scatterlist[],
  sg_nents: number,
  sg_offset_p: ib_uint_ptr | null,
  set_segment: (mr: ib_mr, addr: number, len: number) => number,
): number {
  let sg_offset = sg_offset_p ? sg_offset_p.value : 0;
  const first = Array.isArray(sgl) ? (sgl as readonly scatterlist[])[0] : (sgl as scatterlist);
  if (sg_nents <= 0 || first === undefined || sg_offset > sg_dma_len(first)) {
    fail('EINVAL', `ibSgToSegments: bad sg_nents ${sg_nents} / sg_offset ${sg_offset}`);
  }
  mr.iova = BigInt(sg_dma_address(first) + sg_offset);
  mr.length = 0;
  let i = 0;
  for (const sg of for_each_sg(sgl as scatterlist, sg_nents)) {
    const len = sg_dma_len(sg) - sg_offset;
    const ret = set_segment(mr, sg_dma_address(sg) + sg_offset, len);
    if (ret < 0) {
      if (sg_offset_p) sg_offset_p.value = sg_offset;
      if (i) return i;
      fail((errnoName(-ret) ?? 'ENOMEM') as ErrnoCode, `ibSgToSegments: set_segment failed (${ret})`);
    }
    mr.length += len;
    sg_offset = 0;
    i++;
  }
  if (sg_offset_p) sg_offset_p.value = 0;
  return i;
}

/**
 * ib_update_fast_reg_key - set the low 8 bits (the consumer key) of an MR's lkey and rkey.
 * Kernel: include/rdma/ib_verbs.h ib_update_fast_reg_key()
 * @example
 * ```ts
 * ib_update_fast_reg_key(mr, ib_inc_rkey(mr.rkey) & 0xff);
 * ```
 */
export function ib_update_fast_reg_key(mr: ib_mr, newkey: number): void {
  const k = newkey & 0xff;
  mr.lkey = ((mr.lkey & 0xffffff00) | k) >>> 0;
  mr.rkey = ((mr.rkey & 0xffffff00) | k) >>> 0;
}

/**
 * ib_inc_rkey - the rkey with its low byte incremented (wrapping within the byte).
 * Kernel: include/rdma/ib_verbs.h ib_inc_rkey()
 * @example
 * ```ts
 * ib_inc_rkey(0x123456ff); // 0x12345600
 * ```
 */
export function ib_inc_rkey(rkey: number): number {
  return (((rkey + 1) & 0xff) | (rkey & 0xffffff00)) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Drain

/** Longest a drain waits in virtual time before declaring the provider stuck (a KernelBug). */
const DRAIN_TIMEOUT_NS = 60e9;
/** Kernel: __ib_drain_sq polls a DIRECT CQ every HZ / 10. */
const DRAIN_MAX_STEP_NS = 100e6;

interface ib_drain_cqe {
  cqe: ib_cqe;
  done: boolean;
}

function newDrainCqe(): ib_drain_cqe {
  const d: ib_drain_cqe = {
    cqe: {
      done: function ib_drain_qp_done() {
        d.done = true;
      },
    },
    done: false,
  };
  return d;
}

function drainWait(qp: ib_qp, cq: ib_cq, d: ib_drain_cqe, what: string): void {
  const clock = qp.device.clock;
  let step = 1000;
  let waited = 0;
  for (;;) {
    clock.flush();
    if (cq.poll_ctx === ib_poll_context.IB_POLL_DIRECT && !d.done) ib_process_cq_direct(cq, -1);
    if (d.done) return;
    if (clock.pending === 0) throw new KernelBug(`${what}: qp ${qp.qp_num}: the marker WR never completed and the clock is idle`);
    if (waited >= DRAIN_TIMEOUT_NS) throw new KernelBug(`${what}: qp ${qp.qp_num}: the marker WR did not complete in ${DRAIN_TIMEOUT_NS / 1e9} s`);
    clock.advanceNs(step);
    waited += step;
    step = Math.min(step * 2, DRAIN_MAX_STEP_NS);
  }
}

function __ib_drain_sq(qp: ib_qp): void {
  const cq = qp.send_cq;
  if (cq === null) return;
  try {
    ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_ERR }, ib_qp_attr_mask.IB_QP_STATE);
  } catch (e) {
    WARN(true, `failed to drain send queue: ${String(e)}`);
    return;
  }
  const sdrain = newDrainCqe();
  const swr: ib_rdma_wr = { next: null, wr_cqe: sdrain.cqe, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, remote_addr: 0, rkey: 0 };
  try {
    ib_post_send(qp, swr);
  } catch (e) {
    WARN(true, `failed to drain send queue: ${String(e)}`);
    return;
  }
  drainWait(qp, cq, sdrain, 'ib_drain_sq');
}

function __ib_drain_rq(qp: ib_qp): void {
  const cq = qp.recv_cq;
  if (cq === null) return;
  try {
    ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_ERR }, ib_qp_attr_mask.IB_QP_STATE);
  } catch (e) {
    WARN(true, `failed to drain recv queue: ${String(e)}`);
    return;
  }
  const rdrain = newDrainCqe();
  const rwr: ib_recv_wr = { next: null, wr_cqe: rdrain.cqe };
  try {
    ib_post_recv(qp, rwr);
  } catch (e) {
    WARN(true, `failed to drain recv queue: ${String(e)}`);
    return;
  }
  drainWait(qp, cq, rdrain, 'ib_drain_rq');
}

/**
 * ib_drain_sq - move the QP to ERR and wait until every send WR posted before has completed
 * (flushed), by posting a marker WR and running the SimClock until its completion is processed.
 * The send CQ must come from ib_alloc_cq (its completions are processed by the core).
 * Kernel: drivers/infiniband/core/verbs.c ib_drain_sq(), __ib_drain_sq()
 * Divergence: "waiting" runs the device's virtual clock (see the file header); a marker that
 * never completes is a KernelBug instead of a hung task.
 * @throws KernelBug when the clock goes idle or 60 s of virtual time pass without the marker
 *   completing, or when called from inside a clock callback
 * @example
 * ```ts
 * ib_drain_sq(qp);
 * ```
 */
export function ib_drain_sq(qp: ib_qp): void {
  if (qp.device.ops.drain_sq) qp.device.ops.drain_sq(qp);
  else __ib_drain_sq(qp);
  if (trace_cq_drain_complete.enabled && qp.send_cq !== null) trace_cq_drain_complete.emit({ cq_id: qp.send_cq.res.id });
}

/**
 * ib_drain_rq - move the QP to ERR and wait until every receive WR posted before has flushed.
 * Kernel: drivers/infiniband/core/verbs.c ib_drain_rq(), __ib_drain_rq()
 * @throws KernelBug as ib_drain_sq
 */
export function ib_drain_rq(qp: ib_qp): void {
  if (qp.device.ops.drain_rq) qp.device.ops.drain_rq(qp);
  else __ib_drain_rq(qp);
  if (trace_cq_drain_complete.enabled && qp.recv_cq !== null) trace_cq_drain_complete.emit({ cq_id: qp.recv_cq.res.id });
}

/**
 * ib_drain_qp - drain the SQ and (without an SRQ) the RQ. Use before ib_destroy_qp so that
 * every outstanding WR's `done()` has run.
 * Kernel: drivers/infiniband/core/verbs.c ib_drain_qp()
 * Divergence: with an SRQ, the kernel (>= 6.11) also waits for IB_EVENT_QP_LAST_WQE_REACHED;
 * here the RQ side is skipped.
 * @throws KernelBug as ib_drain_sq
 * @example
 * ```ts
 * rdma_disconnect(id); ib_drain_qp(qp); ib_destroy_qp(qp);
 * ```
 */
export function ib_drain_qp(qp: ib_qp): void {
  ib_drain_sq(qp);
  if (!qp.srq) ib_drain_rq(qp);
}
