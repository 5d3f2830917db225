/**
 * buffer_test - port of google/rdma-unit-test unit/buffer_test.cc (BufferTest, BufferMrTest,
 * BufferMwTest): MR bounds and zero-length rules (CONFORMANCE.md §1.3).
 *
 * Kernel: - (conformance port; drivers/infiniband/sw/rxe/rxe_mr.c mr_check_range, rxe_resp.c check_rkey)
 *
 * Setup as the original: a 6-page buffer per side, the MR covering [4 KiB, 20 KiB); the pair has
 * the default (infinite) timeout, so every error must come from a NAK. RDMA lengths are 4 KiB
 * unless 0. The zero-length rules (no bounds or rkey check for a 0-byte RDMA) are rxe's, which
 * its introspection once waived as BufferTest.ZeroByte*InvalidRKey (CONFORMANCE.md §1.11).
 */
import { expect } from 'chai';
import { PAGE_SIZE } from '@rdmaemu/dma-core';
import { ib_post_recv, ib_post_send } from '../../src/core/verbs.js';
import {
  expectWc, NO_MW, OP, regMr, S, sge, skipBecause, stdPair, waitForCompletion, type StdPair,
} from './_std_pair.js';
import { rdmaWr, recvWr, sendWr } from './_ops.js';
import type { ib_mr } from '../../src/core/device.js';

const MR_OFF = PAGE_SIZE;
const MR_LEN = 4 * PAGE_SIZE;

function bufferPair(): StdPair & { zmr: () => ib_mr } {
  const p = stdPair({ bufBytes: 6 * PAGE_SIZE });
  p.local.mr = regMr(p.tb, p.local.pd, p.local.buf, { offset: MR_OFF, length: MR_LEN });
  p.remote.mr = regMr(p.tb, p.remote.pd, p.remote.buf, { offset: MR_OFF, length: MR_LEN });
  return Object.assign(p, { zmr: () => regMr(p.tb, p.remote.pd, p.remote.buf, { offset: MR_OFF, length: 0 }) });
}

/** Post an RDMA op (remote offset `roff` into the buffer, `len` bytes) and return the requester CQE. */
function rdma(p: StdPair, op: OP, roff: number, len: number, rkey = p.remote.mr.rkey) {
  ib_post_send(p.local.qp, rdmaWr(p, op, { sg: [sge(p.local.buf, p.local.mr, MR_OFF, len)], raddr: p.remote.buf.addr + roff, rkey }));
  return waitForCompletion(p.local.cq, p.clock);
}

function sendZero(p: StdPair, off: number, lkey?: number) {
  ib_post_recv(p.remote.qp, recvWr([{ addr: p.remote.buf.addr + off, length: 0, lkey: lkey ?? p.remote.mr.lkey }]));
  ib_post_send(p.local.qp, sendWr(p, { sg: [{ addr: p.local.buf.addr + off, length: 0, lkey: p.local.mr.lkey }] }));
  expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, 1);
  expectWc(waitForCompletion(p.remote.cq, p.clock), S.IB_WC_SUCCESS, 0);
}

type OP = (typeof OP)[keyof typeof OP];
const R = OP.IB_WR_RDMA_READ;
const W = OP.IB_WR_RDMA_WRITE;

describe('rdma-unit-test buffer_test', function () {
  describe('BufferTest', function () {
    it('RegisterZeroByteMr: an MR of length 0 registers', function () {
      const p = bufferPair();
      expect(p.zmr().length).to.equal(0);
    });
  });
  describe('BufferMrTest', function () {
    it('SendZeroByte: 0-length SGEs inside the MR -> (SUCCESS, SUCCESS)', function () {
      sendZero(bufferPair(), MR_OFF + 100);
    });
    it('SendZeroByteFromZeroByteMr: a 0-length MR exists; send with the main MR lkey, length 0 -> (SUCCESS, SUCCESS)', function () {
      const p = bufferPair();
      p.zmr();
      sendZero(p, MR_OFF);
    });
    it('SendZeroByteOutsideMr: 0-length SGEs outside the MR are not bounds-checked -> (SUCCESS, SUCCESS)', function () {
      sendZero(bufferPair(), 0);
    });
    const rows: [string, OP, (p: StdPair & { zmr: () => ib_mr }) => [number, number, number?], number][] = [
      ['ReadExceedFront: remote range starts 1 B before the MR -> REM_ACCESS_ERR', R, () => [MR_OFF - 1, PAGE_SIZE], S.IB_WC_REM_ACCESS_ERR],
      ['ReadExceedRear: remote range ends 1 B past the MR -> REM_ACCESS_ERR', R, () => [MR_OFF + MR_LEN - PAGE_SIZE + 1, PAGE_SIZE], S.IB_WC_REM_ACCESS_ERR],
      ['ReadZeroByte: 0-length READ -> SUCCESS', R, () => [MR_OFF, 0], S.IB_WC_SUCCESS],
      ['ReadZeroByteOutsideMr: 0-length READ outside the MR -> SUCCESS', R, () => [0, 0], S.IB_WC_SUCCESS],
      ['ReadZeroByteFromZeroByteMr: rkey of the 0-length MR -> SUCCESS', R, (p) => [MR_OFF, 0, p.zmr().rkey], S.IB_WC_SUCCESS],
      ['ReadZeroByteOutsideZeroByteMr: 0-length MR rkey, address outside -> SUCCESS', R, (p) => [0, 0, p.zmr().rkey], S.IB_WC_SUCCESS],
      ['ReadZeroByteInvalidRKey: rkey 0xDEADBEEF -> SUCCESS (rkey not validated when length is 0)', R, () => [MR_OFF, 0, 0xdeadbeef], S.IB_WC_SUCCESS],
      ['WriteExceedFront: WRITE starting 1 B before the MR -> REM_ACCESS_ERR', W, () => [MR_OFF - 1, PAGE_SIZE], S.IB_WC_REM_ACCESS_ERR],
      ['WriteExceedRear: WRITE ending 1 B past the MR -> REM_ACCESS_ERR', W, () => [MR_OFF + MR_LEN - PAGE_SIZE + 1, PAGE_SIZE], S.IB_WC_REM_ACCESS_ERR],
      ['WriteZeroByte: -> SUCCESS', W, () => [MR_OFF, 0], S.IB_WC_SUCCESS],
      ['WriteZeroByteOutsideMr: -> SUCCESS', W, () => [0, 0], S.IB_WC_SUCCESS],
      ['WriteZeroByteToZeroByteMr: -> SUCCESS', W, (p) => [MR_OFF, 0, p.zmr().rkey], S.IB_WC_SUCCESS],
      ['WriteZeroByteOutsideZeroByteMr: -> SUCCESS', W, (p) => [0, 0, p.zmr().rkey], S.IB_WC_SUCCESS],
      ['WriteZeroByteInvalidRKey: rkey 0xDEADBEEF -> SUCCESS', W, () => [MR_OFF, 0, 0xdeadbeef], S.IB_WC_SUCCESS],
    ];
    for (const [name, op, args, status] of rows) {
      it(name, function () {
        const p = bufferPair();
        const [roff, len, rkey] = args(p);
        expectWc(rdma(p, op, roff, len, rkey), status, 1);
      });
    }
  });
  describe('BufferMwTest', function () {
    for (const mw of ['MW1', 'MW2']) {
      for (const name of ['BindExceedFront: MW_BIND_ERR', 'BindExceedRear: MW_BIND_ERR', 'ReadExceedFront: REM_ACCESS_ERR',
        'ReadExceedRear: REM_ACCESS_ERR', 'ReadZeroByte: SUCCESS', 'ReadZeroByteOutsideMw: SUCCESS', 'WriteExceedFront: REM_ACCESS_ERR',
        'WriteExceedRear: REM_ACCESS_ERR', 'WriteZeroByte: SUCCESS', 'WriteZeroByteOutsideMw: SUCCESS']) {
        it(`${name.replace(':', ` (${mw}):`)}`, function () { skipBecause(this, NO_MW); });
      }
    }
  });
});
