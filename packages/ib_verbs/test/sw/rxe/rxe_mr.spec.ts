/**
 * rxe_mr.spec - the FRWR MR key state machine: the HCA's keys (rxe_mr.rxe_lkey/rxe_rkey, kernel
 * rxe_mr.lkey/rkey) against the consumer's (ib_mr.lkey/rkey), through REG_MR, LOCAL_INV,
 * SEND_WITH_INV and RDMA READ_WITH_INV on a real RC pair.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_mr.c (rxe_reg_fast_mr, rxe_invalidate_mr, lookup_mr),
 *         include/rdma/ib_verbs.h (ib_update_fast_reg_key, ib_inc_rkey),
 *         drivers/infiniband/sw/siw/siw_qp_rx.c siw_rdmap_complete (READ_WITH_INV)
 *
 * The ULP's cycle this protects (rdma_rw, xprtrdma frwr_ops): rotate the ib_mr key with
 * ib_update_fast_reg_key, then post LOCAL_INV(the key the HCA still honours) + REG_MR(new key).
 */
import { expect } from 'chai';
import { sg_init_table } from '@rdmaemu/dma-core';
import {
  ib_access_flags, ib_mr_type, ib_qp_state, ib_send_flags, ib_wc_opcode, ib_wc_status, ib_wr_opcode, type ib_rdma_wr,
  type ib_reg_wr, type ib_send_wr, type ib_wc,
} from '../../../src/core/ib_verbs.h.js';
import type { ib_mr } from '../../../src/core/device.js';
import { ib_alloc_mr, ib_inc_rkey, ib_map_mr_sg, ib_post_recv, ib_post_send, ib_query_qp, ib_update_fast_reg_key } from '../../../src/core/verbs.js';
import { lookup_mr } from '../../../src/sw/rxe/rxe_mr.js';
import { rxe_mr_lookup_type, rxe_mr_state, to_rmr } from '../../../src/sw/rxe/rxe_verbs.h.js';
import { makeRcPair, type PairBuffer, type PairSide, type RcPair } from './_pair.js';

const SIG = ib_send_flags.IB_SEND_SIGNALED;
const A = ib_access_flags;
const S = ib_wc_status;
const LEN = 4096;
const SINK_ACCESS = A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE | A.IB_ACCESS_REMOTE_READ;

/** Post `wr` on side `s`, run the pair, and return the side's completions. */
function post(pair: RcPair, s: PairSide, wr: ib_send_wr): ib_wc[] {
  ib_post_send(s.qp, wr);
  pair.run();
  return s.poll();
}

const statuses = (wcs: readonly ib_wc[]): number[] => wcs.map((w) => w.status);

/** alloc_mr + map one page of `buf` (state FREE, no key live yet). */
function allocMapped(s: PairSide, buf: PairBuffer): ib_mr {
  const mr = ib_alloc_mr(s.pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 2);
  const sg = sg_init_table(1)[0]!;
  sg.dma_address = buf.dma;
  sg.dma_length = LEN;
  sg.length = LEN;
  expect(ib_map_mr_sg(mr, sg, 1, null, 4096)).to.equal(1);
  return mr;
}

const regWr = (mr: ib_mr, access = SINK_ACCESS): ib_reg_wr =>
  ({ wr_id: 0x4e9, opcode: ib_wr_opcode.IB_WR_REG_MR, send_flags: SIG, mr, key: mr.rkey, access });
const invWr = (key: number): ib_send_wr =>
  ({ wr_id: 0x14f, opcode: ib_wr_opcode.IB_WR_LOCAL_INV, send_flags: SIG, ex: { invalidate_rkey: key } });

/** Rotate the consumer's key (as rdma_rw_ctx_wrs / frwr_map do) and return the old one. */
function rotate(mr: ib_mr): number {
  const old = mr.rkey;
  ib_update_fast_reg_key(mr, ib_inc_rkey(mr.rkey));
  return old;
}

/** `from` RDMA-WRITEs 64 bytes of `src` into the MR at `rkey` on the other side. */
function remoteWrite(from: PairSide, src: PairBuffer, mr: ib_mr, rkey: number): ib_rdma_wr {
  return {
    wr_id: 0x3417e, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: SIG,
    sg_list: [{ addr: src.dma, length: 64, lkey: from.pd.local_dma_lkey }], remote_addr: mr.iova, rkey,
  };
}

const hcaFinds = (mr: ib_mr, key: number): boolean =>
  lookup_mr(mr.pd, 0, key, rxe_mr_lookup_type.RXE_LOOKUP_REMOTE) === mr;

describe('rxe_mr: the HCA keys (rxe_mr.lkey/rkey) and the ib_mr keys', () => {
  it('ib_update_fast_reg_key moves only the ib_mr keys; REG_MR installs the WR key byte in the HCA and makes the MR VALID', () => {
    const pair = makeRcPair();
    const mr = allocMapped(pair.a, pair.a.alloc(LEN));
    const r = to_rmr(mr);
    expect([r.rxe_lkey, r.rxe_rkey], 'equal at alloc_mr').to.deep.equal([mr.lkey, mr.rkey]);
    expect(r.state).to.equal(rxe_mr_state.RXE_MR_STATE_FREE);
    const k0 = rotate(mr);
    expect(r.rxe_rkey, 'the HCA still has the alloc_mr key').to.equal(k0);
    expect(statuses(post(pair, pair.a, regWr(mr)))).to.deep.equal([S.IB_WC_SUCCESS]);
    expect([r.rxe_lkey, r.rxe_rkey]).to.deep.equal([mr.lkey, mr.rkey]);
    expect(r.state).to.equal(rxe_mr_state.RXE_MR_STATE_VALID);
    expect(hcaFinds(mr, mr.rkey)).to.equal(true);
    expect(hcaFinds(mr, k0), 'the old key byte is stale').to.equal(false);
    // rotating again changes nothing the HCA honours until the next REG_MR
    const k1 = rotate(mr);
    expect(r.rxe_rkey).to.equal(k1);
    expect(hcaFinds(mr, k1)).to.equal(true);
    expect(hcaFinds(mr, mr.rkey)).to.equal(false);
  });

  it('REG_MR takes only the low byte of the WR key (the index stays the MR\'s)', () => {
    const pair = makeRcPair();
    const mr = allocMapped(pair.a, pair.a.alloc(LEN));
    const r = to_rmr(mr);
    const idx = r.rxe_lkey & 0xffffff00;
    const wr = { ...regWr(mr), key: ((idx ^ 0x100) | 0x37) >>> 0 };
    expect(statuses(post(pair, pair.a, wr))).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(r.rxe_lkey).to.equal((idx | 0x37) >>> 0);
    expect(r.rxe_rkey).to.equal((idx | 0x37) >>> 0);
  });

  it('the FRWR cycle on one MR: rotate, LOCAL_INV(live key) + REG_MR(new key); the new rkey works remotely, the old one gets REM_ACCESS_ERR', () => {
    const pair = makeRcPair();
    const sink = pair.a.alloc(LEN, 0);
    const src = pair.b.alloc(LEN, 0x6b);
    const mr = allocMapped(pair.a, sink);
    rotate(mr);
    expect(statuses(post(pair, pair.a, regWr(mr)))).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(statuses(post(pair, pair.b, remoteWrite(pair.b, src, mr, mr.rkey)))).to.deep.equal([S.IB_WC_SUCCESS]);
    for (let round = 0; round < 300; round++) { // past the 8-bit key wrap
      const live = rotate(mr);
      const inv = invWr(live);
      inv.next = regWr(mr);
      const wcs = post(pair, pair.a, inv);
      expect(statuses(wcs), `round ${round}`).to.deep.equal([S.IB_WC_SUCCESS, S.IB_WC_SUCCESS]);
      expect(wcs.map((w) => w.opcode)).to.deep.equal([ib_wc_opcode.IB_WC_LOCAL_INV, ib_wc_opcode.IB_WC_REG_MR]);
      expect(to_rmr(mr).rxe_rkey).to.equal(mr.rkey);
    }
    expect(statuses(post(pair, pair.b, remoteWrite(pair.b, src, mr, mr.rkey)))).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(sink.buf.subarray(0, 64).every((x) => x === 0x6b)).to.equal(true);
    const stale = ((mr.rkey & 0xffffff00) | ((mr.rkey - 1) & 0xff)) >>> 0;
    expect(statuses(post(pair, pair.b, remoteWrite(pair.b, src, mr, stale)))).to.deep.equal([S.IB_WC_REM_ACCESS_ERR]);
  });

  it('LOCAL_INV with the rotated key (not yet live) fails: IB_WC_LOC_QP_OP_ERR, the MR stays VALID with its old key', () => {
    const pair = makeRcPair();
    const mr = allocMapped(pair.a, pair.a.alloc(LEN));
    expect(statuses(post(pair, pair.a, regWr(mr)))).to.deep.equal([S.IB_WC_SUCCESS]);
    const live = rotate(mr);
    expect(statuses(post(pair, pair.a, invWr(mr.rkey)))).to.deep.equal([S.IB_WC_LOC_QP_OP_ERR]);
    expect(ib_query_qp(pair.a.qp, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_ERR);
    expect(to_rmr(mr).state).to.equal(rxe_mr_state.RXE_MR_STATE_VALID);
    expect(hcaFinds(mr, live)).to.equal(true);
  });

  it('REG_MR on a VALID MR fails (IB_WC_LOC_QP_OP_ERR): it must be invalidated first', () => {
    const pair = makeRcPair();
    const mr = allocMapped(pair.a, pair.a.alloc(LEN));
    expect(statuses(post(pair, pair.a, regWr(mr)))).to.deep.equal([S.IB_WC_SUCCESS]);
    const live = rotate(mr);
    expect(statuses(post(pair, pair.a, regWr(mr)))).to.deep.equal([S.IB_WC_LOC_QP_OP_ERR]);
    expect(to_rmr(mr).rxe_rkey, 'keys unchanged').to.equal(live);
  });

  it('SEND_WITH_INV names the live rkey: the responder invalidates its MR although the consumer already rotated ib_mr.rkey', () => {
    const pair = makeRcPair();
    const target = allocMapped(pair.b, pair.b.alloc(LEN));
    expect(statuses(post(pair, pair.b, regWr(target)))).to.deep.equal([S.IB_WC_SUCCESS]);
    const live = rotate(target);
    const rbuf = pair.b.alloc(LEN);
    ib_post_recv(pair.b.qp, { wr_id: 0x2ec, sg_list: [{ addr: rbuf.dma, length: LEN, lkey: pair.b.pd.local_dma_lkey }] });
    const sbuf = pair.a.alloc(LEN, 1);
    const send: ib_send_wr = {
      wr_id: 0x5e4d, opcode: ib_wr_opcode.IB_WR_SEND_WITH_INV, send_flags: SIG,
      sg_list: [{ addr: sbuf.dma, length: 16, lkey: pair.a.pd.local_dma_lkey }], ex: { invalidate_rkey: live },
    };
    expect(statuses(post(pair, pair.a, send))).to.deep.equal([S.IB_WC_SUCCESS]);
    const recv = pair.b.poll();
    expect(statuses(recv)).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(recv[0]!.ex.invalidate_rkey).to.equal(live);
    expect(to_rmr(target).state).to.equal(rxe_mr_state.RXE_MR_STATE_FREE);
    // FREE: the next REG_MR needs no LOCAL_INV
    expect(statuses(post(pair, pair.b, regWr(target)))).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(to_rmr(target).rxe_rkey).to.equal(target.rkey);
  });
});

describe('rxe_comp: IB_WR_RDMA_READ_WITH_INV invalidates the sink MR when the READ completes (as siw)', () => {
  interface Bed { pair: RcPair; sink: PairBuffer; src: PairBuffer; rkey: number; mr: ib_mr }

  function bed(profile: 'iwarp' | 'rxe' = 'iwarp'): Bed {
    const pair = makeRcPair({ profile });
    const sink = pair.a.alloc(LEN, 0);
    const src = pair.b.alloc(LEN, 0x5a);
    const rmr = pair.b.dev.ops.get_dma_mr!(pair.b.pd, A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_READ);
    const mr = allocMapped(pair.a, sink);
    rotate(mr);
    expect(statuses(post(pair, pair.a, regWr(mr)))).to.deep.equal([S.IB_WC_SUCCESS]);
    return { pair, sink, src, rkey: rmr.rkey, mr };
  }

  const readInv = (b: Bed, invalidate_rkey: number, opcode = ib_wr_opcode.IB_WR_RDMA_READ_WITH_INV): ib_rdma_wr => ({
    wr_id: 0x7ead, opcode, send_flags: SIG, sg_list: [{ addr: b.mr.iova, length: LEN, lkey: b.mr.lkey }],
    remote_addr: b.src.dma, rkey: b.rkey, ex: { invalidate_rkey },
  });

  it('iWARP: data placed, SUCCESS (IB_WC_RDMA_READ), the MR is FREE; a REG_MR with a rotated key needs no LOCAL_INV; the old rkey gets REM_ACCESS_ERR', () => {
    const b = bed();
    const old = b.mr.rkey;
    const wcs = post(b.pair, b.pair.a, readInv(b, old));
    expect(statuses(wcs)).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(wcs[0]!.opcode).to.equal(ib_wc_opcode.IB_WC_RDMA_READ);
    expect(b.sink.buf.every((x) => x === 0x5a), 'data placed').to.equal(true);
    expect(to_rmr(b.mr).state).to.equal(rxe_mr_state.RXE_MR_STATE_FREE);
    expect(hcaFinds(b.mr, old)).to.equal(false);
    rotate(b.mr);
    expect(statuses(post(b.pair, b.pair.a, regWr(b.mr))), 'REG_MR straight after READ_WITH_INV').to.deep.equal([S.IB_WC_SUCCESS]);
    const src = b.pair.b.alloc(LEN, 0x11);
    expect(statuses(post(b.pair, b.pair.b, remoteWrite(b.pair.b, src, b.mr, b.mr.rkey)))).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(b.sink.buf[0]).to.equal(0x11);
    expect(statuses(post(b.pair, b.pair.b, remoteWrite(b.pair.b, src, b.mr, old)))).to.deep.equal([S.IB_WC_REM_ACCESS_ERR]);
  });

  it('right after READ_WITH_INV the rkey is dead remotely: REM_ACCESS_ERR, nothing written', () => {
    const b = bed();
    expect(statuses(post(b.pair, b.pair.a, readInv(b, b.mr.rkey)))).to.deep.equal([S.IB_WC_SUCCESS]);
    const src = b.pair.b.alloc(LEN, 0x22);
    expect(statuses(post(b.pair, b.pair.b, remoteWrite(b.pair.b, src, b.mr, b.mr.rkey)))).to.deep.equal([S.IB_WC_REM_ACCESS_ERR]);
    expect(b.sink.buf[0]).to.equal(0x5a);
  });

  it('the sink SGE\'s lkey is invalidated, not ex.invalidate_rkey (rdma_rw captures that before rotating the key)', () => {
    const b = bed();
    // as rdma_rw: invalidate_rkey = the key before the REG_MR that made mr.lkey live
    const stale = ((b.mr.lkey & 0xffffff00) | ((b.mr.lkey - 1) & 0xff)) >>> 0;
    expect(statuses(post(b.pair, b.pair.a, readInv(b, stale)))).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(to_rmr(b.mr).state).to.equal(rxe_mr_state.RXE_MR_STATE_FREE);
  });

  it('a plain RDMA READ leaves the sink MR VALID; on the \'rxe\' profile READ_WITH_INV invalidates too', () => {
    const b = bed();
    expect(statuses(post(b.pair, b.pair.a, readInv(b, 0, ib_wr_opcode.IB_WR_RDMA_READ)))).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(to_rmr(b.mr).state).to.equal(rxe_mr_state.RXE_MR_STATE_VALID);
    const r = bed('rxe');
    expect(statuses(post(r.pair, r.pair.a, readInv(r, r.mr.rkey)))).to.deep.equal([S.IB_WC_SUCCESS]);
    expect(to_rmr(r.mr).state).to.equal(rxe_mr_state.RXE_MR_STATE_FREE);
  });

  it('a sink that cannot be invalidated (a DMA MR): data placed, then IB_WC_GENERAL_ERR and the QP in ERR', () => {
    const b = bed();
    const dmr = b.pair.a.dev.ops.get_dma_mr!(b.pair.a.pd, A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE);
    const wr: ib_rdma_wr = { ...readInv(b, dmr.lkey), sg_list: [{ addr: b.sink.dma, length: LEN, lkey: dmr.lkey }] };
    b.sink.buf.fill(0);
    expect(statuses(post(b.pair, b.pair.a, wr))).to.deep.equal([S.IB_WC_GENERAL_ERR]);
    expect(b.sink.buf.every((x) => x === 0x5a)).to.equal(true);
    expect(ib_query_qp(b.pair.a.qp, 0).attr.qp_state).to.equal(ib_qp_state.IB_QPS_ERR);
  });
});
