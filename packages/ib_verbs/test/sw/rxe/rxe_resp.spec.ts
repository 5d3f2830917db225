/**
 * rxe_resp.spec - the responder's check_rkey: the whole RETH range is checked against the MR
 * on the first packet, so a multi-packet WRITE or READ that runs past the MR moves no byte.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_resp.c check_rkey() (mr_check_range(mr, va + offset,
 *         resid) before anything executes), KERNEL.md §11 item 9
 */
import { expect } from 'chai';
import { sg_init_table } from '@rdmaemu/dma-core';
import {
  ib_access_flags, ib_mr_type, ib_mtu, ib_send_flags, ib_wc_status, ib_wr_opcode, type ib_rdma_wr, type ib_reg_wr,
} from '../../../src/core/ib_verbs.h.js';
import type { ib_mr } from '../../../src/core/device.js';
import { ib_alloc_mr, ib_map_mr_sg, ib_post_send } from '../../../src/core/verbs.js';
import { makeRcPair, type PairBuffer, type PairSide, type RcPair } from './_pair.js';

const SIG = ib_send_flags.IB_SEND_SIGNALED;
const A = ib_access_flags;
const LEN = 4096;

/** A one-page FRWR MR over `buf` on side s, registered with remote read/write rights. */
function regPage(pair: RcPair, s: PairSide, buf: PairBuffer): ib_mr {
  const mr = ib_alloc_mr(s.pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 1);
  const sg = sg_init_table(1)[0]!;
  sg.dma_address = buf.dma;
  sg.dma_length = LEN;
  sg.length = LEN;
  expect(ib_map_mr_sg(mr, sg, 1, null, 4096)).to.equal(1);
  const reg: ib_reg_wr = { wr_id: 0, opcode: ib_wr_opcode.IB_WR_REG_MR, send_flags: SIG, mr, key: mr.rkey,
    access: A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE | A.IB_ACCESS_REMOTE_READ };
  ib_post_send(s.qp, reg);
  pair.run();
  expect(s.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_SUCCESS]);
  return mr;
}

describe('rxe_resp: check_rkey checks the whole RETH range up front', () => {
  for (const opcode of [ib_wr_opcode.IB_WR_RDMA_WRITE, ib_wr_opcode.IB_WR_RDMA_READ]) {
    const name = opcode === ib_wr_opcode.IB_WR_RDMA_WRITE ? 'WRITE' : 'READ';
    it(`a 4-packet RDMA ${name} (MTU 1024) ending 1 B past the MR: REM_ACCESS_ERR and no byte moved`, () => {
      const pair = makeRcPair({ path_mtu: ib_mtu.IB_MTU_1024 });
      const { a, b } = pair;
      const local = a.alloc(LEN, 0x11);
      const remote = b.alloc(2 * LEN, 0x22);
      const mr = regPage(pair, b, remote);
      const wr: ib_rdma_wr = { wr_id: 5, opcode, send_flags: SIG, remote_addr: mr.iova + 1n, rkey: mr.rkey,
        sg_list: [{ addr: local.dma, length: LEN, lkey: a.pd.local_dma_lkey }] };
      ib_post_send(a.qp, wr);
      pair.run();
      expect(a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_REM_ACCESS_ERR]);
      expect(remote.buf.every((x) => x === 0x22), 'remote memory untouched').to.equal(true);
      expect(local.buf.every((x) => x === 0x11), 'local memory untouched').to.equal(true);
    });
  }
});

describe('rxe_resp: check_op_valid (the QP\'s remote access flags)', () => {
  it('a WRITE to a QP without IB_ACCESS_REMOTE_WRITE: REM_INV_REQ_ERR although the MR allows it; nothing written', () => {
    const pair = makeRcPair({ access: A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_READ | A.IB_ACCESS_REMOTE_ATOMIC });
    const { a, b } = pair;
    const local = a.alloc(64, 0x11);
    const remote = b.alloc(64, 0x22);
    const mr = b.dev.ops.get_dma_mr!(b.pd, 0xf);
    ib_post_send(a.qp, { wr_id: 1, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: SIG, remote_addr: remote.dma, rkey: mr.rkey,
      sg_list: [{ addr: local.dma, length: 64, lkey: a.pd.local_dma_lkey }] } as ib_rdma_wr);
    pair.run();
    expect(a.poll().map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_REM_INV_REQ_ERR]);
    expect(remote.buf.every((x) => x === 0x22)).to.equal(true);
  });
});
