/**
 * _fake_provider - a tiny in-memory ib_device_ops for provider-independent core tests: it records
 * every call, keeps QP state (validated with ib_modify_qp_is_ok), completes posted WRs on the
 * SimClock (success in RTS, IB_WC_WR_FLUSH_ERR in ERR), and builds MR page lists with
 * ib_sg_to_pages / ibSgToSegments. It moves no data.
 */
import { SimClock, KernelError, errno } from '@rdmaemu/sim-core';
import { createDmaHost, type DmaHost } from '@rdmaemu/dma-core';
import type { scatterlist } from '@rdmaemu/dma-core';
import {
  ib_device,
  ib_pd,
  ib_cq,
  ib_qp,
  ib_srq,
  ib_mr,
  ib_ah,
  type ib_device_ops,
  type ib_uint_ptr,
} from '../../src/core/device.js';
import {
  rdma_node_type,
  ib_device_attr_init,
  ib_port_attr_init,
  ib_port_state,
  ib_mtu,
  ib_qp_state,
  ib_qp_attr_mask,
  ib_wc_init,
  ib_wc_status,
  ib_wc_opcode,
  ib_wr_opcode,
  ib_send_flags,
  ib_sig_type,
  ib_kernel_cap_flags,
  ib_device_cap_flags,
  ib_mr_type,
  ib_cq_notify_flags,
  ib_event_type,
  ib_wr_num_sge,
  type ib_wc,
  type ib_send_wr,
  type ib_recv_wr,
  type ib_qp_init_attr,
  type ib_qp_attr,
  type ib_cq_init_attr,
  type ib_srq_init_attr,
  type ib_srq_attr,
  type rdma_ah_attr,
} from '../../src/core/ib_verbs.h.js';
import { ib_modify_qp_is_ok } from '../../src/core/qp_state_table.js';
import { ib_sg_to_pages, ibSgToSegments } from '../../src/core/verbs.js';
import { ibRaiseEvent } from '../../src/core/events.js';

export class FakeCq extends ib_cq {
  queue: ib_wc[] = [];
  notify = 0;
}

export class FakeQp extends ib_qp {
  state = ib_qp_state.IB_QPS_RESET;
  sq: ib_send_wr[] = [];
  rq: ib_recv_wr[] = [];
  sig_all: boolean;
  cap: ib_qp_init_attr['cap'];
  constructor(pd: ib_pd, init: ib_qp_init_attr) {
    super(pd, init);
    this.sig_all = init.sq_sig_type === ib_sig_type.IB_SIGNAL_ALL_WR;
    this.cap = { ...init.cap };
  }
}

export class FakeMr extends ib_mr {
  pages: number[] = [];
  segments: [number, number][] = [];
  max_num_sg: number;
  constructor(pd: ib_pd, type: ib_mr_type, max_num_sg: number) {
    super(pd, type);
    this.max_num_sg = max_num_sg;
  }
}

export class FakeSrq extends ib_srq {
  rq: ib_recv_wr[] = [];
  attr: ib_srq_attr;
  constructor(pd: ib_pd, init: ib_srq_init_attr) {
    super(pd, init);
    this.attr = { ...init.attr };
  }
}

export interface FakeInit {
  /** Set IBK_LOCAL_DMA_LKEY (else ib_alloc_pd registers a DMA MR, like rxe). @default false */
  localDmaLkey?: boolean;
  sgGaps?: boolean;
  node_type?: rdma_node_type;
  /** Delay before the fake "hardware" completes a posted WR. @default 1000 ns */
  completionDelayNs?: number;
  clock?: SimClock;
  name?: string;
}

export interface Fake {
  dev: ib_device;
  clock: SimClock;
  host: DmaHost;
  calls: string[];
  /** Push a completion onto a CQ as the hardware would (arming, overrun). */
  cqPost(cq: ib_cq, wc: ib_wc, solicited?: boolean): void;
}

let seq = 0;

export function createFakeDevice(init: FakeInit = {}): Fake {
  const clock = init.clock ?? new SimClock({ seed: 1 });
  const host = createDmaHost({ name: 'fake', memory: '16M', clock });
  const dma_device = host.addDevice({ name: `fake${seq}`, driver: 'fake' });
  const calls: string[] = [];
  const delay = init.completionDelayNs ?? 1000;
  let nextQpn = 17;
  let nextKey = 1;

  function cqPost(cq: ib_cq, wc: ib_wc, solicited = false): void {
    const fcq = cq as FakeCq;
    if (fcq.queue.length >= fcq.cqe) {
      ibRaiseEvent({ device: cq.device, element: { cq }, event: ib_event_type.IB_EVENT_CQ_ERR });
      return;
    }
    fcq.queue.push(wc);
    if (fcq.notify & ib_cq_notify_flags.IB_CQ_NEXT_COMP || (fcq.notify & ib_cq_notify_flags.IB_CQ_SOLICITED && solicited)) {
      fcq.notify = 0;
      cq.comp_handler?.(cq, cq.cq_context);
    }
  }

  function completeSend(qp: FakeQp, wr: ib_send_wr): void {
    const flush = qp.state === ib_qp_state.IB_QPS_ERR;
    const signaled = qp.sig_all || ((wr.send_flags ?? 0) & ib_send_flags.IB_SEND_SIGNALED) !== 0;
    if (!flush && !signaled) return;
    const opcode = wr.opcode === ib_wr_opcode.IB_WR_RDMA_READ ? ib_wc_opcode.IB_WC_RDMA_READ : wr.opcode === ib_wr_opcode.IB_WR_RDMA_WRITE ? ib_wc_opcode.IB_WC_RDMA_WRITE : ib_wc_opcode.IB_WC_SEND;
    cqPost(qp.send_cq!, ib_wc_init({ wr_id: wr.wr_id ?? 0, wr_cqe: wr.wr_cqe ?? null, qp, opcode, status: flush ? ib_wc_status.IB_WC_WR_FLUSH_ERR : ib_wc_status.IB_WC_SUCCESS }));
  }

  function flushRq(qp: FakeQp): void {
    const list = qp.srq ? [] : qp.rq.splice(0);
    for (const wr of list) {
      cqPost(qp.recv_cq!, ib_wc_init({ wr_id: wr.wr_id ?? 0, wr_cqe: wr.wr_cqe ?? null, qp, opcode: ib_wc_opcode.IB_WC_RECV, status: ib_wc_status.IB_WC_WR_FLUSH_ERR }));
    }
  }

  function kick(qp: FakeQp): void {
    clock.schedule(() => {
      for (const wr of qp.sq.splice(0)) completeSend(qp, wr);
      if (qp.state === ib_qp_state.IB_QPS_ERR) flushRq(qp);
    }, delay, 'fake_qp_task');
  }

  const ops: ib_device_ops = {
    driver_name: 'fake',
    query_device: (dev) => {
      calls.push('query_device');
      return dev.attrs;
    },
    query_port: (_dev, port) => {
      calls.push(`query_port ${port}`);
      return ib_port_attr_init({ state: ib_port_state.IB_PORT_ACTIVE, active_mtu: ib_mtu.IB_MTU_1024 });
    },
    alloc_pd: (dev) => {
      calls.push('alloc_pd');
      return new ib_pd(dev);
    },
    dealloc_pd: () => {
      calls.push('dealloc_pd');
    },
    create_ah: (pd: ib_pd, attr: rdma_ah_attr) => {
      calls.push('create_ah');
      return new ib_ah(pd, attr);
    },
    destroy_ah: () => {
      calls.push('destroy_ah');
    },
    create_cq: (dev, attr: ib_cq_init_attr) => {
      calls.push('create_cq');
      if (attr.cqe < 1 || attr.cqe > dev.attrs.max_cqe) throw new KernelError('EINVAL', `fake: cqe ${attr.cqe}`);
      return new FakeCq(dev, attr);
    },
    destroy_cq: () => {
      calls.push('destroy_cq');
    },
    poll_cq: (cq, n) => {
      calls.push(`poll_cq ${n}`);
      return (cq as FakeCq).queue.splice(0, n);
    },
    req_notify_cq: (cq, flags) => {
      calls.push(`req_notify_cq ${flags}`);
      const fcq = cq as FakeCq;
      fcq.notify = flags & ib_cq_notify_flags.IB_CQ_SOLICITED_MASK;
      return flags & ib_cq_notify_flags.IB_CQ_REPORT_MISSED_EVENTS && fcq.queue.length > 0 ? 1 : 0;
    },
    create_qp: (pd, init) => {
      calls.push('create_qp');
      if (init.cap.max_send_wr > pd.device.attrs.max_qp_wr) throw new KernelError('EINVAL', 'fake: max_send_wr');
      const qp = new FakeQp(pd, init);
      qp.qp_num = nextQpn++;
      return qp;
    },
    modify_qp: (qp, attr: ib_qp_attr, mask) => {
      calls.push(`modify_qp ${mask}`);
      const fqp = qp as FakeQp;
      const cur = mask & ib_qp_attr_mask.IB_QP_CUR_STATE ? attr.cur_qp_state! : fqp.state;
      const next = mask & ib_qp_attr_mask.IB_QP_STATE ? attr.qp_state! : cur;
      if (!ib_modify_qp_is_ok(cur, next, qp.qp_type, mask)) throw new KernelError('EINVAL', `fake: qp ${qp.qp_num}: bad modify`);
      fqp.state = next;
      if (next === ib_qp_state.IB_QPS_ERR) kick(fqp);
      if (next === ib_qp_state.IB_QPS_RESET) {
        fqp.sq.length = 0;
        fqp.rq.length = 0;
      }
    },
    query_qp: (qp) => {
      calls.push('query_qp');
      const fqp = qp as FakeQp;
      return {
        attr: { qp_state: fqp.state, cap: { ...fqp.cap } },
        init_attr: { send_cq: qp.send_cq, recv_cq: qp.recv_cq, srq: qp.srq, cap: { ...fqp.cap }, qp_type: qp.qp_type, sq_sig_type: fqp.sig_all ? ib_sig_type.IB_SIGNAL_ALL_WR : ib_sig_type.IB_SIGNAL_REQ_WR },
      };
    },
    destroy_qp: () => {
      calls.push('destroy_qp');
    },
    post_send: (qp, wr) => {
      calls.push('post_send');
      const fqp = qp as FakeQp;
      for (let w: ib_send_wr | null | undefined = wr; w; w = w.next) {
        if (fqp.state < ib_qp_state.IB_QPS_RTS) throw new KernelError('EINVAL', `fake: qp ${qp.qp_num}: post_send in state ${fqp.state}`, { bad_wr: w });
        if (ib_wr_num_sge(w) > fqp.cap.max_send_sge) throw new KernelError('EINVAL', 'fake: too many sge', { bad_wr: w });
        if (fqp.sq.length >= fqp.cap.max_send_wr) throw new KernelError('ENOMEM', `fake: qp ${qp.qp_num}: sq full`, { bad_wr: w });
        fqp.sq.push(w);
      }
      kick(fqp);
    },
    post_recv: (qp, wr) => {
      calls.push('post_recv');
      const fqp = qp as FakeQp;
      for (let w: ib_recv_wr | null | undefined = wr; w; w = w.next) {
        if (fqp.state === ib_qp_state.IB_QPS_RESET || qp.srq) throw new KernelError('EINVAL', 'fake: post_recv', { bad_wr: w });
        if (fqp.rq.length >= fqp.cap.max_recv_wr) throw new KernelError('ENOMEM', 'fake: rq full', { bad_wr: w });
        fqp.rq.push(w);
      }
      if (fqp.state === ib_qp_state.IB_QPS_ERR) kick(fqp);
    },
    create_srq: (pd, init) => {
      calls.push('create_srq');
      return new FakeSrq(pd, init);
    },
    modify_srq: (srq, attr, mask) => {
      calls.push(`modify_srq ${mask}`);
      Object.assign((srq as FakeSrq).attr, attr);
    },
    query_srq: (srq) => {
      calls.push('query_srq');
      return { ...(srq as FakeSrq).attr };
    },
    destroy_srq: () => {
      calls.push('destroy_srq');
    },
    post_srq_recv: (srq, wr) => {
      calls.push('post_srq_recv');
      for (let w: ib_recv_wr | null | undefined = wr; w; w = w.next) (srq as FakeSrq).rq.push(w);
    },
    get_dma_mr: (pd, access) => {
      calls.push(`get_dma_mr ${access}`);
      const mr = new FakeMr(pd, ib_mr_type.IB_MR_TYPE_DMA, 0);
      const key = ((nextKey++ << 8) | 0x11) >>> 0;
      mr.lkey = key;
      mr.rkey = key;
      return mr;
    },
    alloc_mr: (pd, type, max_num_sg) => {
      calls.push(`alloc_mr ${type} ${max_num_sg}`);
      if (max_num_sg > pd.device.attrs.max_fast_reg_page_list_len) throw new KernelError('EINVAL', 'fake: max_num_sg');
      const mr = new FakeMr(pd, type, max_num_sg);
      const key = ((nextKey++ << 8) | 0x00) >>> 0;
      mr.lkey = key;
      mr.rkey = key;
      return mr;
    },
    map_mr_sg: (mr, sg: scatterlist | readonly scatterlist[], n, off: ib_uint_ptr | null) => {
      calls.push(`map_mr_sg ${n}`);
      const fmr = mr as FakeMr;
      fmr.pages = [];
      fmr.segments = [];
      if (mr.type === ib_mr_type.IB_MR_TYPE_SG_GAPS) {
        return ibSgToSegments(mr, sg, n, off, (_m, a, l) => (fmr.segments.length < fmr.max_num_sg ? (fmr.segments.push([a, l]), 0) : -errno.ENOMEM));
      }
      return ib_sg_to_pages(mr, sg, n, off, (_m, a) => (fmr.pages.length < fmr.max_num_sg ? (fmr.pages.push(a), 0) : -errno.ENOMEM));
    },
    dereg_mr: () => {
      calls.push('dereg_mr');
    },
  };

  let kcap = 0;
  if (init.localDmaLkey) kcap |= ib_kernel_cap_flags.IBK_LOCAL_DMA_LKEY;
  if (init.sgGaps) kcap |= ib_kernel_cap_flags.IBK_SG_GAPS_REG;
  const attrs = ib_device_attr_init({
    max_qp: 64,
    max_qp_wr: 1024,
    max_send_sge: 8,
    max_recv_sge: 8,
    max_sge_rd: 4,
    max_cq: 64,
    max_cqe: 4096,
    max_mr: 256,
    max_pd: 64,
    max_srq: 16,
    max_srq_wr: 1024,
    max_srq_sge: 8,
    max_fast_reg_page_list_len: 512,
    device_cap_flags: ib_device_cap_flags.IB_DEVICE_MEM_MGT_EXTENSIONS,
    kernel_cap_flags: kcap,
  });
  const dev = new ib_device({
    name: init.name ?? `fake${seq++}`,
    node_type: init.node_type ?? rdma_node_type.RDMA_NODE_IB_CA,
    phys_port_cnt: 1,
    attrs,
    ops,
    dma_device,
    clock,
    local_dma_lkey: 0x1234,
  });
  return { dev, clock, host, calls, cqPost };
}
