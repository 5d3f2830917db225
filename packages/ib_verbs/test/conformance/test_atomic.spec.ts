/**
 * test_atomic - port of rdma-core tests/test_atomic.py (RCAtomic): CMP_SWP / FETCH_ADD traffic
 * in both directions and the error rows (CONFORMANCE.md §2.2).
 *
 * Kernel: - (conformance port; rxe_resp.c atomic_reply, rxe_mr.c rxe_mr_do_atomic_op)
 *
 * Resources: msg 8, QP and MR access LOCAL_WRITE|REMOTE_ATOMIC, 10 iterations; values per
 * tests/utils.py atomic_traffic (receiver 1 / sender 2, one byte repeated 8 times). The error rows
 * expect "a PyverbsRDMAError": a failed post (EINVAL, rxe's post-time checks) or an error CQE.
 * XRC rows are skipped (no XRC in the engine).
 */
import { expect } from 'chai';
import { A, expectWc, S, skipBecause } from './_std_pair.js';
import { atomicOp, atomicRes, atomicTrafficRows, FA } from './_atomic.js';

/** The row raises PyverbsRDMAError: a post errno or a non-SUCCESS CQE. */
function expectRdmaError(r: ReturnType<typeof atomicOp>): void {
  if (typeof r === 'string') return void expect(r).to.equal('EINVAL');
  expect(r.status, `status ${r.status}`).to.not.equal(S.IB_WC_SUCCESS);
}

describe('rdma-core test_atomic', function () {
  for (const row of atomicTrafficRows()) it(`test_atomic_${row.name === 'cmp_swp' ? 'cmp_and_swap' : 'fetch_and_add'}: atomic_traffic validates`, row.fn);
  it('test_xrc_atomic_fetch_and_add', function () { skipBecause(this, 'XRC QPs/SRQs are not implemented by the engine'); });
  it('test_xrc_atomic_cmp_and_swap', function () { skipBecause(this, 'XRC QPs/SRQs are not implemented by the engine'); });
  it('test_atomic_invalid_qp_access: QP access LOCAL_WRITE only -> error (REM_INV_REQ_ERR|REM_ACCESS_ERR CQE)', function () {
    const p = atomicRes({ qpAccess: A.IB_ACCESS_LOCAL_WRITE });
    const r = atomicOp(p, 0, FA, 1n, 0n);
    expectRdmaError(r);
    if (typeof r !== 'string') expectWc(r, [S.IB_WC_REM_ACCESS_ERR, S.IB_WC_REM_INV_REQ_ERR], 0x123);
  });
  it('test_atomic_invalid_mr_access: MR access LOCAL_WRITE only -> error', function () {
    expectRdmaError(atomicOp(atomicRes({ mrAccess: A.IB_ACCESS_LOCAL_WRITE }), 0, FA, 1n, 0n));
  });
  it('test_atomic_non_aligned_addr: msg 9, raddr+1 -> error (rxe: post EINVAL)', function () {
    expectRdmaError(atomicOp(atomicRes({ msg: 9 }), 0, FA, 1n, 0n, { raddrOff: 1 }));
  });
  it('test_atomic_invalid_lkey: lkey+1 -> error', function () {
    const p = atomicRes();
    expectRdmaError(atomicOp(p, 0, FA, 1n, 0n, { lkey: (p.local.mr.lkey + 1) >>> 0 }));
  });
  it('test_atomic_invalid_rkey: rkey+1 -> error', function () {
    const p = atomicRes();
    expectRdmaError(atomicOp(p, 0, FA, 1n, 0n, { rkey: (p.remote.mr.rkey + 1) >>> 0 }));
  });
});
