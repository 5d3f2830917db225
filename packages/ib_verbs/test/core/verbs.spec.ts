import { expect } from 'chai';
import fc from 'fast-check';
import { isKernelError, seedFromEnv, KernelBug } from '@rdmaemu/sim-core';
import { sg_init_table, type scatterlist } from '@rdmaemu/dma-core';
import { createFakeDevice, FakeMr, FakeQp, type Fake } from './_fake_provider.js';
import {
  ib_alloc_pd,
  ib_dealloc_pd,
  ib_create_qp,
  ib_modify_qp,
  ib_query_qp,
  ib_destroy_qp,
  ib_post_send,
  ib_post_recv,
  ib_create_srq,
  ib_destroy_srq,
  ib_modify_srq,
  ib_query_srq,
  ib_post_srq_recv,
  ib_alloc_mr,
  ib_dereg_mr,
  ib_get_dma_mr,
  ib_map_mr_sg,
  ib_check_mr_access,
  ib_update_fast_reg_key,
  ib_inc_rkey,
  ib_drain_qp,
  ib_drain_sq,
  ib_drain_rq,
  ib_pd_flags,
  rdma_create_ah,
  rdma_destroy_ah,
} from '../../src/core/verbs.js';
import { ib_alloc_cq, ib_free_cq } from '../../src/core/cq.js';
import {
  ib_qp_type,
  ib_sig_type,
  ib_qp_state,
  ib_qp_attr_mask as M,
  ib_wr_opcode,
  ib_send_flags,
  ib_access_flags as A,
  ib_mr_type,
  ib_poll_context,
  ib_wc_status,
  ib_srq_attr_mask,
  rdma_ah_attr_init,
  rdma_ip2gid,
  type ib_wc,
  type ib_qp_init_attr,
  type ib_cqe,
} from '../../src/core/ib_verbs.h.js';
import type { ib_cq, ib_pd, ib_qp } from '../../src/core/device.js';

const PAGE = 4096;

function qpInit(cq: ib_cq, over: Partial<ib_qp_init_attr> = {}): ib_qp_init_attr {
  return {
    send_cq: cq,
    recv_cq: cq,
    qp_type: ib_qp_type.IB_QPT_RC,
    sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
    cap: { max_send_wr: 16, max_recv_wr: 16, max_send_sge: 6, max_recv_sge: 2, max_inline_data: 0 },
    ...over,
  };
}

function toRts(qp: ib_qp): void {
  ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_INIT, pkey_index: 0, port_num: 1, qp_access_flags: 0 }, M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS);
  ib_modify_qp(
    qp,
    { qp_state: ib_qp_state.IB_QPS_RTR, ah_attr: rdma_ah_attr_init({ dgid: rdma_ip2gid('10.0.0.2'), dmac: new Uint8Array(6) }), path_mtu: 3, dest_qp_num: 99, rq_psn: 0, max_dest_rd_atomic: 1, min_rnr_timer: 1 },
    M.IB_QP_STATE | M.IB_QP_AV | M.IB_QP_PATH_MTU | M.IB_QP_DEST_QPN | M.IB_QP_RQ_PSN | M.IB_QP_MAX_DEST_RD_ATOMIC | M.IB_QP_MIN_RNR_TIMER,
  );
  ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_RTS, timeout: 14, retry_cnt: 7, rnr_retry: 7, sq_psn: 0, max_rd_atomic: 1 }, M.IB_QP_STATE | M.IB_QP_TIMEOUT | M.IB_QP_RETRY_CNT | M.IB_QP_RNR_RETRY | M.IB_QP_SQ_PSN | M.IB_QP_MAX_QP_RD_ATOMIC);
}

function throwsCode(fn: () => unknown, code: string): unknown {
  try {
    fn();
  } catch (e) {
    expect(isKernelError(e), String(e)).to.equal(true);
    expect((e as { code: string }).code).to.equal(code);
    return e;
  }
  expect.fail(`expected KernelError ${code}`);
}

function sgl(entries: [number, number][]): scatterlist[] {
  const t = sg_init_table(entries.length);
  entries.forEach(([a, l], i) => {
    t[i]!.dma_address = a;
    t[i]!.dma_length = l;
  });
  return t;
}

describe('ib_alloc_pd', () => {
  it('registers a LOCAL_WRITE DMA MR for local_dma_lkey when the device lacks IBK_LOCAL_DMA_LKEY (rxe)', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    expect(f.calls).to.deep.equal(['alloc_pd', `get_dma_mr ${A.IB_ACCESS_LOCAL_WRITE}`]);
    expect(pd.__internal_mr).to.not.equal(null);
    expect(pd.__internal_mr!.type).to.equal(ib_mr_type.IB_MR_TYPE_DMA);
    expect(pd.local_dma_lkey).to.equal(pd.__internal_mr!.lkey);
    expect(pd.usecnt).to.equal(0);
    ib_dealloc_pd(pd);
    expect(f.calls.slice(-2)).to.deep.equal(['dereg_mr', 'dealloc_pd']);
  });
  it("uses the device's local_dma_lkey with IBK_LOCAL_DMA_LKEY", () => {
    const f = createFakeDevice({ localDmaLkey: true });
    const pd = ib_alloc_pd(f.dev);
    expect(pd.local_dma_lkey).to.equal(0x1234);
    expect(pd.__internal_mr).to.equal(null);
    expect(f.calls).to.deep.equal(['alloc_pd']);
  });
  it('IB_PD_UNSAFE_GLOBAL_RKEY gets a remote read/write DMA MR and exposes its rkey', () => {
    const f = createFakeDevice({ localDmaLkey: true });
    const pd = ib_alloc_pd(f.dev, ib_pd_flags.IB_PD_UNSAFE_GLOBAL_RKEY);
    expect(f.calls[1]).to.equal(`get_dma_mr ${A.IB_ACCESS_REMOTE_READ | A.IB_ACCESS_REMOTE_WRITE}`);
    expect(pd.unsafe_global_rkey).to.equal(pd.__internal_mr!.rkey);
    expect(pd.local_dma_lkey).to.equal(0x1234);
  });
});

describe('ib_dealloc_pd', () => {
  it('throws EBUSY while a QP, CQ-independent MR or SRQ uses the PD, and succeeds after', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
    const qp = ib_create_qp(pd, qpInit(cq));
    const mr = ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 16);
    const srq = ib_create_srq(pd, { attr: { max_wr: 8, max_sge: 1, srq_limit: 0 } });
    expect(pd.usecnt).to.equal(3);
    throwsCode(() => ib_dealloc_pd(pd), 'EBUSY');
    expect(pd.__internal_mr, 'nothing undone by the failed dealloc').to.not.equal(null);
    ib_destroy_qp(qp);
    ib_dereg_mr(mr);
    throwsCode(() => ib_dealloc_pd(pd), 'EBUSY');
    ib_destroy_srq(srq);
    expect(pd.usecnt).to.equal(0);
    ib_dealloc_pd(pd);
    ib_free_cq(cq);
  });
  it('counts address handles as PD users', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const ah = rdma_create_ah(pd, rdma_ah_attr_init({ dgid: rdma_ip2gid(0x0a000002), dmac: new Uint8Array(6) }));
    throwsCode(() => ib_dealloc_pd(pd), 'EBUSY');
    rdma_destroy_ah(ah);
    ib_dealloc_pd(pd);
  });
});

describe('ib_create_qp / ib_destroy_qp', () => {
  let f: Fake;
  let pd: ib_pd;
  let cq: ib_cq;
  beforeEach(() => {
    f = createFakeDevice();
    pd = ib_alloc_pd(f.dev);
    cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
  });
  it('fills the common fields and takes a reference on the PD and on each CQ use', () => {
    const handler = (): void => {};
    const qp = ib_create_qp(pd, qpInit(cq, { event_handler: handler, qp_context: 'ctx' }));
    expect(qp).to.be.instanceOf(FakeQp);
    expect(qp.device).to.equal(f.dev);
    expect(qp.pd).to.equal(pd);
    expect(qp.send_cq).to.equal(cq);
    expect(qp.recv_cq).to.equal(cq);
    expect(qp.qp_type).to.equal(ib_qp_type.IB_QPT_RC);
    expect(qp.event_handler).to.equal(handler);
    expect(qp.qp_context).to.equal('ctx');
    expect(qp.real_qp).to.equal(qp);
    expect(qp.qp_num).to.equal(17);
    expect(qp.max_write_sge).to.equal(6);
    expect(qp.max_read_sge, 'min(max_send_sge, max_sge_rd)').to.equal(4);
    expect(pd.usecnt).to.equal(1);
    expect(cq.usecnt, 'send and recv use count separately').to.equal(2);
    throwsCode(() => ib_free_cq(cq), 'EBUSY');
    ib_destroy_qp(qp);
    expect(pd.usecnt).to.equal(0);
    expect(cq.usecnt).to.equal(0);
    ib_free_cq(cq);
  });
  it('rejects a missing CQ with EINVAL without calling the provider', () => {
    throwsCode(() => ib_create_qp(pd, qpInit(cq, { recv_cq: null })), 'EINVAL');
    expect(f.calls).to.not.include('create_qp');
  });
  it('rejects a CQ of another device with EINVAL', () => {
    const g = createFakeDevice();
    const other = ib_alloc_cq(g.dev, null, 8, 0, ib_poll_context.IB_POLL_DIRECT);
    throwsCode(() => ib_create_qp(pd, qpInit(other)), 'EINVAL');
  });
  it('passes provider errors through and takes no references', () => {
    throwsCode(() => ib_create_qp(pd, qpInit(cq, { cap: { max_send_wr: 1 << 20, max_recv_wr: 1, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 } })), 'EINVAL');
    expect(pd.usecnt).to.equal(0);
    expect(cq.usecnt).to.equal(0);
  });
  it('takes a reference on the SRQ; ib_destroy_srq throws EBUSY while the QP exists', () => {
    const srq = ib_create_srq(pd, { attr: { max_wr: 8, max_sge: 1, srq_limit: 0 } });
    const qp = ib_create_qp(pd, qpInit(cq, { srq }));
    expect(srq.usecnt).to.equal(1);
    throwsCode(() => ib_destroy_srq(srq), 'EBUSY');
    ib_destroy_qp(qp);
    ib_destroy_srq(srq);
    expect(pd.usecnt).to.equal(0);
  });
  it('throws EBUSY from ib_destroy_qp while the QP is opened (usecnt)', () => {
    const qp = ib_create_qp(pd, qpInit(cq));
    qp.usecnt = 1;
    throwsCode(() => ib_destroy_qp(qp), 'EBUSY');
    qp.usecnt = 0;
    ib_destroy_qp(qp);
  });
});

describe('ib_modify_qp / ib_query_qp', () => {
  it('walks RESET -> INIT -> RTR -> RTS and reports the state', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
    const qp = ib_create_qp(pd, qpInit(cq));
    toRts(qp);
    expect(ib_query_qp(qp, M.IB_QP_STATE).attr.qp_state).to.equal(ib_qp_state.IB_QPS_RTS);
    expect(qp.port).to.equal(1);
  });
  it('rejects an invalid port with EINVAL before the provider sees it', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
    const qp = ib_create_qp(pd, qpInit(cq));
    const n = f.calls.length;
    throwsCode(() => ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_INIT, pkey_index: 0, port_num: 2, qp_access_flags: 0 }, M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS), 'EINVAL');
    expect(f.calls.length).to.equal(n);
  });
  it('lets an illegal transition fail with the provider EINVAL (RESET -> RTS)', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
    const qp = ib_create_qp(pd, qpInit(cq));
    throwsCode(() => ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_RTS }, M.IB_QP_STATE), 'EINVAL');
  });
});

describe('ib_post_send / ib_post_recv', () => {
  it('passes the provider error with bad_wr = the first WR not posted', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT);
    const qp = ib_create_qp(pd, qpInit(cq));
    const wr = { opcode: ib_wr_opcode.IB_WR_SEND };
    const err = throwsCode(() => ib_post_send(qp, wr), 'EINVAL') as { bad_wr: unknown };
    expect(err.bad_wr).to.equal(wr);
    toRts(qp);
    const wr2 = { opcode: ib_wr_opcode.IB_WR_SEND, sg_list: new Array(7).fill({ addr: 0, length: 1, lkey: 0 }) };
    const wr1 = { opcode: ib_wr_opcode.IB_WR_SEND, next: wr2 };
    const err2 = throwsCode(() => ib_post_send(qp, wr1), 'EINVAL') as { bad_wr: unknown };
    expect(err2.bad_wr).to.equal(wr2);
    ib_post_recv(qp, { wr_id: 1 });
  });
});

describe('ib_create_srq / ib_modify_srq / ib_query_srq / ib_post_srq_recv', () => {
  it('calls through to the provider', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const srq = ib_create_srq(pd, { attr: { max_wr: 8, max_sge: 1, srq_limit: 0 }, srq_context: 7 });
    expect(srq.srq_context).to.equal(7);
    ib_modify_srq(srq, { max_wr: 8, max_sge: 1, srq_limit: 4 }, ib_srq_attr_mask.IB_SRQ_LIMIT);
    expect(ib_query_srq(srq).srq_limit).to.equal(4);
    ib_post_srq_recv(srq, { wr_id: 1 });
    expect(f.calls).to.include('post_srq_recv');
  });
});

describe('ib_check_mr_access', () => {
  const f = createFakeDevice();
  it('throws EINVAL for REMOTE_WRITE or REMOTE_ATOMIC without LOCAL_WRITE (IBA o10-37)', () => {
    throwsCode(() => ib_check_mr_access(f.dev, A.IB_ACCESS_REMOTE_WRITE), 'EINVAL');
    throwsCode(() => ib_check_mr_access(f.dev, A.IB_ACCESS_REMOTE_ATOMIC | A.IB_ACCESS_REMOTE_READ), 'EINVAL');
  });
  it('accepts REMOTE_READ alone and REMOTE_WRITE with LOCAL_WRITE', () => {
    ib_check_mr_access(f.dev, A.IB_ACCESS_REMOTE_READ);
    ib_check_mr_access(f.dev, A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE | A.IB_ACCESS_REMOTE_ATOMIC);
    ib_check_mr_access(f.dev, 0);
  });
  it('throws EINVAL for unknown bits and EOPNOTSUPP for ODP without IBK_ON_DEMAND_PAGING', () => {
    throwsCode(() => ib_check_mr_access(f.dev, 1 << 12), 'EINVAL');
    throwsCode(() => ib_check_mr_access(f.dev, A.IB_ACCESS_ON_DEMAND), 'EOPNOTSUPP');
  });
  it('is applied by ib_get_dma_mr', () => {
    const pd = ib_alloc_pd(f.dev);
    throwsCode(() => ib_get_dma_mr(pd, A.IB_ACCESS_REMOTE_WRITE), 'EINVAL');
    const mr = ib_get_dma_mr(pd, A.IB_ACCESS_LOCAL_WRITE);
    expect(mr.type).to.equal(ib_mr_type.IB_MR_TYPE_DMA);
    expect(pd.usecnt).to.equal(1);
    ib_dereg_mr(mr);
    expect(pd.usecnt).to.equal(0);
  });
});

describe('ib_update_fast_reg_key / ib_inc_rkey', () => {
  it('ib_inc_rkey increments the low byte, wrapping within it', () => {
    expect(ib_inc_rkey(0x12345600)).to.equal(0x12345601);
    expect(ib_inc_rkey(0x123456ff)).to.equal(0x12345600);
    expect(ib_inc_rkey(0xffffffff)).to.equal(0xffffff00);
  });
  it('ib_update_fast_reg_key replaces the low byte of lkey and rkey', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const mr = ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 4);
    mr.lkey = 0xfedcba00;
    mr.rkey = 0xfedcba00;
    ib_update_fast_reg_key(mr, ib_inc_rkey(mr.rkey) & 0xff);
    expect(mr.lkey).to.equal(0xfedcba01);
    expect(mr.rkey).to.equal(0xfedcba01);
    ib_update_fast_reg_key(mr, 0x1ff);
    expect(mr.rkey).to.equal(0xfedcbaff);
  });
});

describe('ib_alloc_mr', () => {
  it('sets type and need_inval, counts the PD, and rejects INTEGRITY / SG_GAPS without IBK_SG_GAPS_REG', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const mr = ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 32);
    expect(mr).to.be.instanceOf(FakeMr);
    expect(mr.type).to.equal(ib_mr_type.IB_MR_TYPE_MEM_REG);
    expect(mr.need_inval).to.equal(false);
    expect(mr.pd).to.equal(pd);
    expect(pd.usecnt).to.equal(1);
    throwsCode(() => ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_SG_GAPS, 4), 'EINVAL');
    expect(() => ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_INTEGRITY, 4)).to.throw(KernelBug);
    throwsCode(() => ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_MEM_REG, 1 << 20), 'EINVAL');
    expect(pd.usecnt).to.equal(1);
  });
});

describe('ib_map_mr_sg / ib_sg_to_pages', () => {
  let pd: ib_pd;
  beforeEach(() => {
    pd = ib_alloc_pd(createFakeDevice({ sgGaps: true }).dev);
  });
  const newMr = (n = 64, type = ib_mr_type.IB_MR_TYPE_MEM_REG): FakeMr => ib_alloc_mr(pd, type, n) as FakeMr;

  it('maps page-aligned elements into one page list and sets iova and length', () => {
    const mr = newMr();
    const n = ib_map_mr_sg(mr, sgl([[0x10000, 8192], [0x40000, 4096]]), 2, null, PAGE);
    expect(n).to.equal(2);
    expect(mr.page_size).to.equal(PAGE);
    expect(mr.pages).to.deep.equal([0x10000, 0x11000, 0x40000]);
    expect(mr.iova).to.equal(0x10000n);
    expect(mr.length).to.equal(12288);
  });
  it('lets the first element start mid-page and the last end mid-page', () => {
    const mr = newMr();
    const n = ib_map_mr_sg(mr, sgl([[0x10100, 0x1f00], [0x20000, 0x10]]), 2, null, PAGE);
    expect(n).to.equal(2);
    expect(mr.pages).to.deep.equal([0x10000, 0x11000, 0x20000]);
    expect(mr.iova).to.equal(0x10100n);
    expect(mr.length).to.equal(0x1f10);
  });
  it('stops at the first gap (an element not starting on a page) and returns the count mapped', () => {
    const mr = newMr();
    const n = ib_map_mr_sg(mr, sgl([[0x10000, 4096], [0x20010, 100], [0x30000, 4096]]), 3, null, PAGE);
    expect(n).to.equal(1);
    expect(mr.pages).to.deep.equal([0x10000]);
    expect(mr.length).to.equal(4096);
  });
  it('stops when an element before the last ends mid-page', () => {
    const mr = newMr();
    const n = ib_map_mr_sg(mr, sgl([[0x10000, 100], [0x20000, 4096]]), 2, null, PAGE);
    expect(n).to.equal(1);
    expect(mr.length).to.equal(100);
  });
  it('coalesces an unaligned element that is contiguous with the previous one', () => {
    const mr = newMr();
    const n = ib_map_mr_sg(mr, sgl([[0x10000, 100], [0x10064, 5000]]), 2, null, PAGE);
    expect(n).to.equal(2);
    expect(mr.pages).to.deep.equal([0x10000, 0x11000]);
    expect(mr.length).to.equal(5100);
  });
  it('honours sg_offset in the first element and resets it to 0 when all is mapped', () => {
    const mr = newMr();
    const off = { value: 0x200 };
    const n = ib_map_mr_sg(mr, sgl([[0x10000, 8192]]), 1, off, PAGE);
    expect(n).to.equal(1);
    expect(mr.iova).to.equal(0x10200n);
    expect(mr.length).to.equal(8192 - 0x200);
    expect(off.value).to.equal(0);
  });
  it('returns a partial count and the resume offset when the page list fills up (kernel rule: the last page set is re-mapped on resume)', () => {
    const mr = newMr(3);
    const off = { value: 0 };
    const n = ib_map_mr_sg(mr, sgl([[0x10000, 4096], [0x20000, 16384]]), 2, off, PAGE);
    expect(n).to.equal(1);
    expect(mr.pages).to.deep.equal([0x10000, 0x20000, 0x21000]);
    expect(off.value).to.equal(0x1000);
    expect(mr.length).to.equal(4096 + 0x1000);
    const mr2 = newMr(3);
    const off2 = { value: 0 };
    expect(ib_map_mr_sg(mr2, sgl([[0x10000, 8192], [0x20000, 8192]]), 2, off2, PAGE)).to.equal(1);
    expect(off2.value).to.equal(0);
    expect(mr2.length).to.equal(8192);
  });
  it('throws when not even the first page fits, and EINVAL for bad arguments', () => {
    const mr = newMr(0);
    throwsCode(() => ib_map_mr_sg(mr, sgl([[0x10000, 4096]]), 1, null, PAGE), 'ENOMEM');
    throwsCode(() => ib_map_mr_sg(newMr(), sgl([[0x10000, 4096]]), 0, null, PAGE), 'EINVAL');
    throwsCode(() => ib_map_mr_sg(newMr(), sgl([[0x10000, 4096]]), 1, { value: 5000 }, PAGE), 'EINVAL');
  });
  it('maps gaps with an IB_MR_TYPE_SG_GAPS MR', () => {
    const mr = newMr(8, ib_mr_type.IB_MR_TYPE_SG_GAPS);
    const n = ib_map_mr_sg(mr, sgl([[0x10000, 100], [0x20010, 100], [0x30005, 7]]), 3, null, PAGE);
    expect(n).to.equal(3);
    expect(mr.segments).to.deep.equal([[0x10000, 100], [0x20010, 100], [0x30005, 7]]);
    expect(mr.length).to.equal(207);
  });
  it('property: mapped pages are aligned, cover every mapped byte, and length is the mapped bytes', () => {
    const seed = seedFromEnv();
    const elem = fc.record({ page: fc.integer({ min: 1, max: 1000 }), startOff: fc.integer({ min: 0, max: 4095 }), len: fc.integer({ min: 1, max: 3 * PAGE }), aligned: fc.boolean() });
    fc.assert(
      fc.property(fc.array(elem, { minLength: 1, maxLength: 8 }), (els) => {
        let next = 0;
        const entries: [number, number][] = els.map((e) => {
          const base = (next + e.page) * PAGE;
          const start = e.aligned ? base : base + e.startOff;
          next = Math.ceil((start + e.len) / PAGE) + 1;
          return [start, e.aligned ? Math.ceil(e.len / PAGE) * PAGE : e.len];
        });
        const mr = newMr(512);
        const n = ib_map_mr_sg(mr, sgl(entries), entries.length, null, PAGE);
        expect(n).to.be.within(1, entries.length);
        let bytes = 0;
        for (let i = 0; i < n; i++) {
          const [a, l] = entries[i]!;
          bytes += l;
          for (let p = a - (a % PAGE); p < a + l; p += PAGE) expect(mr.pages).to.include(p);
          if (i > 0) expect(a % PAGE, 'later elements start on a page').to.equal(0);
          if (i < n - 1) expect((a + l) % PAGE, 'earlier elements end on a page').to.equal(0);
        }
        for (const p of mr.pages) expect(p % PAGE).to.equal(0);
        expect(mr.length).to.equal(bytes);
        expect(mr.iova).to.equal(BigInt(entries[0]![0]));
        if (n < entries.length) {
          const [a] = entries[n]!;
          const [pa, pl] = entries[n - 1]!;
          expect(a % PAGE !== 0 || (pa + pl) % PAGE !== 0, 'stopped only at a gap').to.equal(true);
        }
      }),
      { seed, numRuns: 200 },
    );
  }).timeout(10000);
});

describe('ib_drain_qp / ib_drain_sq / ib_drain_rq', () => {
  function setup(poll_ctx: ib_poll_context): { f: Fake; qp: ib_qp; cq: ib_cq; wcs: ib_wc[]; cqe: ib_cqe } {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const cq = ib_alloc_cq(f.dev, null, 64, 0, poll_ctx);
    const qp = ib_create_qp(pd, qpInit(cq));
    const wcs: ib_wc[] = [];
    const cqe: ib_cqe = { done: (_cq, wc) => wcs.push(wc) };
    return { f, qp, cq, wcs, cqe };
  }
  for (const ctx of [ib_poll_context.IB_POLL_SOFTIRQ, ib_poll_context.IB_POLL_WORKQUEUE, ib_poll_context.IB_POLL_DIRECT]) {
    it(`flushes every outstanding WR before returning (${ib_poll_context[ctx]})`, () => {
      const { f, qp, wcs, cqe } = setup(ctx);
      toRts(qp);
      ib_post_recv(qp, { wr_cqe: cqe, wr_id: 1 });
      ib_post_recv(qp, { wr_cqe: cqe, wr_id: 2 });
      // not yet run by the fake hardware: the drain flushes them
      ib_post_send(qp, { wr_cqe: cqe, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED });
      ib_post_send(qp, { wr_cqe: cqe, opcode: ib_wr_opcode.IB_WR_SEND });
      ib_drain_qp(qp);
      expect((qp as FakeQp).state).to.equal(ib_qp_state.IB_QPS_ERR);
      expect(wcs.length, 'both sends (flushed even unsignaled) and both receives').to.equal(4);
      expect(wcs.every((w) => w.status === ib_wc_status.IB_WC_WR_FLUSH_ERR)).to.equal(true);
      expect(f.calls.filter((c) => c === 'post_send').length, 'one marker').to.equal(3);
      expect(f.calls.filter((c) => c === 'post_recv').length, 'one marker').to.equal(3);
    });
  }
  it('ib_drain_sq and ib_drain_rq each post one marker and wait for it', () => {
    const { f, qp, wcs, cqe } = setup(ib_poll_context.IB_POLL_SOFTIRQ);
    toRts(qp);
    ib_post_send(qp, { wr_cqe: cqe, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED });
    ib_drain_sq(qp);
    expect(wcs.map((w) => w.status)).to.deep.equal([ib_wc_status.IB_WC_WR_FLUSH_ERR]);
    ib_post_recv(qp, { wr_cqe: cqe });
    ib_drain_rq(qp);
    expect(wcs.length).to.equal(2);
    expect(f.clock.pending).to.equal(0);
  });
  it('skips the RQ drain for a QP with an SRQ', () => {
    const f = createFakeDevice();
    const pd = ib_alloc_pd(f.dev);
    const cq = ib_alloc_cq(f.dev, null, 64, 0, ib_poll_context.IB_POLL_SOFTIRQ);
    const srq = ib_create_srq(pd, { attr: { max_wr: 8, max_sge: 1, srq_limit: 0 } });
    const qp = ib_create_qp(pd, qpInit(cq, { srq }));
    toRts(qp);
    ib_drain_qp(qp);
    expect(f.calls.filter((c) => c === 'post_recv').length).to.equal(0);
  });
  it('uses the provider drain_sq/drain_rq when present', () => {
    const { f, qp } = setup(ib_poll_context.IB_POLL_SOFTIRQ);
    const seen: string[] = [];
    (f.dev.ops as { drain_sq?: (q: ib_qp) => void }).drain_sq = () => seen.push('sq');
    (f.dev.ops as { drain_rq?: (q: ib_qp) => void }).drain_rq = () => seen.push('rq');
    ib_drain_qp(qp);
    expect(seen).to.deep.equal(['sq', 'rq']);
  });
  it('throws KernelBug when the marker never completes (the clock goes idle)', () => {
    const { f, qp } = setup(ib_poll_context.IB_POLL_SOFTIRQ);
    toRts(qp);
    f.dev.ops.post_send = () => {};
    expect(() => ib_drain_sq(qp)).to.throw(KernelBug, /never completed/);
  });
});
