/**
 * _atomic - rdma-core tests/utils.py atomic_traffic and the RCAtomic resources (msg 8, QP and MR
 * access LOCAL_WRITE|REMOTE_ATOMIC), shared by test_atomic and test_qpex.
 *
 * Kernel: - (test helpers)
 */
import { expect } from 'chai';
import { ib_post_send } from '../../src/core/verbs.js';
import { A, errnoOf, expectWc, getU64, OP, S, setU64, sge, waitForCompletion, type StdPair } from './_std_pair.js';
import { int8b, rcResources } from './_rdma_core.js';

type OP = (typeof OP)[keyof typeof OP];
export const ATOMIC_ACCESS = A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_ATOMIC;
export const FA = OP.IB_WR_ATOMIC_FETCH_AND_ADD;
export const CS = OP.IB_WR_ATOMIC_CMP_AND_SWP;

export function atomicRes(o: { qpAccess?: number; mrAccess?: number; msg?: number } = {}): StdPair {
  const qa = o.qpAccess ?? ATOMIC_ACCESS;
  return rcResources(5, { msg: o.msg ?? 8, mrAccess: o.mrAccess ?? ATOMIC_ACCESS, localAttrs: { access: qa }, remoteAttrs: { access: qa } });
}

/** One atomic op tx -> rx; returns the CQE. */
export function atomicOp(p: StdPair, dir: 0 | 1, opcode: OP, compare_add: bigint, swap: bigint, o: { lkey?: number; rkey?: number; raddrOff?: number; len?: number } = {}) {
  const [tx, rx] = dir === 0 ? [p.local, p.remote] : [p.remote, p.local];
  const wr = { wr_id: 0x123, opcode, send_flags: 2, sg_list: [{ ...sge(tx.buf, tx.mr, 0, o.len ?? 8), ...(o.lkey !== undefined ? { lkey: o.lkey } : {}) }],
    remote_addr: rx.buf.addr + (o.raddrOff ?? 0), rkey: o.rkey ?? rx.mr.rkey, compare_add, swap };
  const e = errnoOf(() => ib_post_send(tx.qp, wr as Parameters<typeof ib_post_send>[1]));
  if (e !== null) return e;
  return waitForCompletion(tx.cq, p.clock, 10_000);
}

/** atomic_traffic rows shared with test_qpex (which runs the same traffic through its API). */
export function atomicTrafficRows(): { name: string; fn: () => void }[] {
  return [
    {
      name: 'cmp_swp', fn() {
        const p = atomicRes();
        for (let i = 0; i < 10; i++) {
          for (const dir of [0, 1] as const) {
            const [tx, rx] = dir === 0 ? [p.local, p.remote] : [p.remote, p.local];
            // first call: receiver 1, sender 2: compare int8b(2) != int8b(1): no swap
            setU64(rx.buf.view, 0, int8b(1));
            setU64(tx.buf.view, 0, int8b(2));
            expectWc(atomicOp(p, dir, CS, int8b(2), int8b(0)) as never, S.IB_WC_SUCCESS, 0x123);
            expect([getU64(rx.buf.view), getU64(tx.buf.view)]).to.deep.equal([int8b(1), int8b(1)]);
            // second call: receiver 1, sender 1: equal -> receiver becomes int8b(0)
            setU64(tx.buf.view, 0, int8b(1));
            expectWc(atomicOp(p, dir, CS, int8b(1), int8b(0)) as never, S.IB_WC_SUCCESS, 0x123);
            expect([getU64(rx.buf.view), getU64(tx.buf.view)]).to.deep.equal([0n, int8b(1)]);
          }
        }
      },
    },
    {
      name: 'fetch_add', fn() {
        const p = atomicRes();
        for (let i = 0; i < 10; i++) {
          for (const dir of [0, 1] as const) {
            const [tx, rx] = dir === 0 ? [p.local, p.remote] : [p.remote, p.local];
            setU64(rx.buf.view, 0, int8b(1));
            setU64(tx.buf.view, 0, int8b(2));
            expectWc(atomicOp(p, dir, FA, int8b(2), 0n) as never, S.IB_WC_SUCCESS, 0x123);
            expect([getU64(rx.buf.view), getU64(tx.buf.view)]).to.deep.equal([int8b(3), int8b(1)]);
          }
        }
      },
    },
  ];
}

