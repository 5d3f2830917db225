/**
 * mr_pool - per-QP pools of fast-registration MRs, allocated when the QP is created and handed
 * out without allocation on the I/O path (rdma_rw's `qp.rdma_mrs` / `qp.sig_mrs`).
 *
 * Kernel: drivers/infiniband/core/mr_pool.c, include/rdma/mr_pool.h, the `rdma_mrs` / `sig_mrs`
 * / `mrs_used` members of struct ib_qp (include/rdma/ib_verbs.h)
 *
 * Operation: a pool is a list of MRs owned by a QP. `ib_mr_pool_init` allocates `nr` MRs with
 * `ib_alloc_mr` (each counts as a PD user) and appends them; `ib_mr_pool_get` takes the head
 * (or returns null when empty) and increments `qp.mrs_used`; `ib_mr_pool_put` pushes an MR back
 * on the head (LIFO: the most recently returned MR, still warm, is reused first) and decrements
 * `qp.mrs_used`; `ib_mr_pool_destroy` deregisters every MR still in the list. `ib_destroy_qp`
 * WARNs when MRs are still out (mrs_used > 0) and calls rdma_rw_cleanup_mrs.
 *
 * Divergence: a list_head becomes a JS array whose *end* is the list head (push/pop instead of
 * list_add/list_first_entry), so no per-MR link field (`mr->qp_entry`) is needed. The QP's
 * `rdma_mrs` / `sig_mrs` arrays are added to `ib_qp` by module augmentation here (device.ts is
 * another engineer's file) and are undefined until a pool is initialised; the helpers treat
 * undefined as an empty list. No spinlock: the simulation is single-threaded.
 */
import { KernelError, errno, isKernelError } from '@rdmaemu/sim-core';
import type { u32 } from '@rdmaemu/sim-core';
import { ib_mr_type } from './ib_verbs.h.js';
import type { ib_mr, ib_qp } from './device.js';
import { ib_alloc_mr, ib_dereg_mr } from './verbs.js';

declare module './device.js' {
  interface ib_qp {
    /**
     * rdma_rw's pool of IB_MR_TYPE_MEM_REG MRs (rdma_rw_init_mrs); the array's end is the list head.
     * Kernel: include/rdma/ib_verbs.h struct ib_qp rdma_mrs
     */
    rdma_mrs?: ib_mr[];
    /**
     * rdma_rw's pool of integrity MRs (declared; signature offload is not emulated).
     * Kernel: include/rdma/ib_verbs.h struct ib_qp sig_mrs
     */
    sig_mrs?: ib_mr[];
  }
}

/**
 * ib_mr_pool_get - take an MR from a QP's pool.
 * Kernel: drivers/infiniband/core/mr_pool.c ib_mr_pool_get()
 * @param qp the QP owning the pool (its `mrs_used` is incremented)
 * @param list the pool (`qp.rdma_mrs`)
 * @returns the MR, or null when the pool is empty
 * @example
 * ```ts
 * const mr = ib_mr_pool_get(qp, qp.rdma_mrs);
 * if (mr === null) return -errno.EAGAIN;
 * ```
 */
export function ib_mr_pool_get(qp: ib_qp, list: ib_mr[] | undefined): ib_mr | null {
  const mr = list?.pop();
  if (mr === undefined) return null;
  qp.mrs_used++;
  return mr;
}

/**
 * ib_mr_pool_put - return an MR to a QP's pool (at the head).
 * Kernel: drivers/infiniband/core/mr_pool.c ib_mr_pool_put()
 * @example
 * ```ts
 * ib_mr_pool_put(qp, qp.rdma_mrs!, mr);
 * ```
 */
export function ib_mr_pool_put(qp: ib_qp, list: ib_mr[], mr: ib_mr): void {
  list.push(mr);
  qp.mrs_used--;
}

/**
 * ib_mr_pool_init - allocate `nr` MRs of `type` able to map `max_num_sg` pages into `list`.
 * On failure every MR already in the list is deregistered (ib_mr_pool_destroy).
 * Kernel: drivers/infiniband/core/mr_pool.c ib_mr_pool_init()
 * Divergence: returns 0 or a negative errno like the kernel (the KernelError thrown by
 * ib_alloc_mr is caught and turned into its errno); IB_MR_TYPE_INTEGRITY (ib_alloc_mr_integrity)
 * is not emulated and gives -EOPNOTSUPP.
 * @param max_num_meta_sg integrity MRs only (unused)
 * @returns 0, or -errno (e.g. -EINVAL for max_num_sg above max_fast_reg_page_list_len, -ENOMEM)
 * @example
 * ```ts
 * qp.rdma_mrs ??= [];
 * const ret = ib_mr_pool_init(qp, qp.rdma_mrs, 8, ib_mr_type.IB_MR_TYPE_MEM_REG, 256, 0);
 * ```
 */
export function ib_mr_pool_init(qp: ib_qp, list: ib_mr[], nr: number, type: ib_mr_type, max_num_sg: u32, max_num_meta_sg: u32): number {
  void max_num_meta_sg;
  // list_add_tail: the array's start is the list tail, so each new MR goes to the front and the
  // first MR allocated is the first handed out.
  const made: ib_mr[] = [];
  for (let i = 0; i < nr; i++) {
    if (type === ib_mr_type.IB_MR_TYPE_INTEGRITY) {
      for (const mr of made) ib_dereg_mr(mr);
      ib_mr_pool_destroy(qp, list);
      return -errno.EOPNOTSUPP;
    }
    try {
      made.push(ib_alloc_mr(qp.pd, type, max_num_sg));
    } catch (e) {
      if (!isKernelError(e)) throw e;
      for (const mr of made) ib_dereg_mr(mr);
      ib_mr_pool_destroy(qp, list);
      return -(e as KernelError).errno;
    }
  }
  for (const mr of made) list.unshift(mr);
  return 0;
}

/**
 * ib_mr_pool_destroy - deregister every MR in the pool (MRs taken with ib_mr_pool_get and not
 * returned are not touched).
 * Kernel: drivers/infiniband/core/mr_pool.c ib_mr_pool_destroy()
 * @example
 * ```ts
 * ib_mr_pool_destroy(qp, qp.rdma_mrs);
 * ```
 */
export function ib_mr_pool_destroy(qp: ib_qp, list: ib_mr[] | undefined): void {
  void qp;
  if (list === undefined) return;
  while (list.length > 0) ib_dereg_mr(list.pop()!);
}
