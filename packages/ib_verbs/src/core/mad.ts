/**
 * mad - the MAD layer: QP1 (the GSI QP) on every port, MAD agents, sends with response timeouts
 * and retries, receive dispatch by management class.
 *
 * Kernel: drivers/infiniband/core/mad.c (ib_mad_init, ib_mad_init_device / ib_mad_port_open,
 *         ib_mad_port_start, ib_mad_remove_device / ib_mad_port_close, ib_register_mad_agent,
 *         ib_unregister_mad_agent, ib_create_send_mad, ib_free_send_mad, ib_post_send_mad,
 *         ib_cancel_mad, ib_modify_mad, ib_mad_recv_done, ib_mad_send_done, timeout_sends),
 *         drivers/infiniband/core/verbs.c (ib_init_ah_attr_from_wc, ib_create_ah_from_wc),
 *         include/rdma/ib_mad.h (struct ib_mad_agent, ib_mad_send_buf, ib_mad_send_wc,
 *         ib_mad_recv_wc)
 *
 * Operation
 * ---------
 * `ib_mad_init()` registers the "mad" ib_client (module load); its add() opens every port of a
 * device: a PD, a CQ (IB_POLL_UNBOUND_WORKQUEUE), QP1 (`IB_QPT_GSI`, qp_num 1, Q_Key
 * IB_QP1_QKEY) brought RESET → INIT (pkey_index 0, qkey) → RTR → RTS (sq_psn 0), and
 * IB_MAD_QP_RECV_SIZE receive buffers of IB_GRH_BYTES + IB_MGMT_MAD_SIZE bytes, DMA-mapped from
 * the host's memory. A UD receive lands with the 40-byte GRH area in front (for RoCEv2/IPv4: 20
 * zero bytes, then the IPv4 header); the MAD follows.
 *
 * Sends: `ib_create_send_mad()` gives a zeroed 256-byte MAD; the client fills it, sets `ah`,
 * `timeout_ms` and `retries`, and `ib_post_send_mad()` copies it into a DMA-mapped send slot and
 * posts a UD SEND to `remote_qpn` (QP1) with Q_Key IB_QP1_QKEY. With `timeout_ms` 0 the client's
 * send_handler gets the completion status. With a timeout the MAD waits for its response: the
 * timer starts when the send completes; on expiry the same MAD (same TID) is sent again while
 * retries remain, else the send completes with IB_WC_RESP_TIMEOUT_ERR. `ib_cancel_mad()` ends
 * the wait with IB_WC_WR_FLUSH_ERR; `ib_modify_mad()` re-arms the timer (an MRA).
 *
 *   ib_post_send_mad ─► SENDING ─(send wc)─► WAIT_RESP ─(timer, retries left)─► SENDING ...
 *                          │                    │ └─(timer, none left)─► done RESP_TIMEOUT_ERR
 *                          │ (timeout 0)        └─ ib_cancel_mad ─► done WR_FLUSH_ERR
 *                          └───────────► done SUCCESS / error status
 *
 * Receives are dispatched to the agent registered for the MAD's management class and class
 * version on that port (`recv_handler(agent, null, mad_recv_wc)`); the buffer is reposted.
 *
 * Divergence: no RMPP, no SMI/QP0 (RoCE ports have none), no response matching by TID (the CM,
 * the only client, cancels its sends itself); receive buffers are copied out before the
 * handler runs, so a handler may keep `recv_buf.mad`.
 */
import { KernelError, KernelBug, isKernelError } from '@rdmaemu/sim-core';
import type { ClockEvent, u8, u16, u32 } from '@rdmaemu/sim-core';
import { alloc_pages, __free_pages, get_order, page_to_phys, DMA_BIDIRECTIONAL, type page } from '@rdmaemu/dma-core';
import {
  ib_poll_context, ib_qp_attr_mask, ib_qp_state, ib_qp_type, ib_send_flags, ib_sig_type, ib_wc_status, ib_wr_opcode,
  rdma_ah_attr_init, rdma_ip2gid, type ib_cqe, type ib_recv_wr, type ib_ud_wr, type ib_wc, type rdma_ah_attr,
} from './ib_verbs.h.js';
import { ib_register_client, ib_unregister_client, ib_set_client_data, ib_get_client_data, type ib_ah, type ib_cq,
  type ib_client, type ib_device, type ib_pd, type ib_qp } from './device.js';
import { ib_alloc_pd, ib_dealloc_pd, ib_create_qp, ib_modify_qp, ib_destroy_qp, ib_post_send, ib_post_recv, rdma_create_ah } from './verbs.js';
import { ib_alloc_cq, ib_free_cq } from './cq.js';
import { ib_dma_map_page, ib_dma_unmap_page, ib_dma_mapping_error } from './ib_dma.js';
import { IB_GRH_BYTES, IB_MGMT_MAD_SIZE, IB_QP1_QKEY, IB_MAD_MGMT_CLASS, IB_MAD_CLASS_VERSION, IBA_GET } from './ib_mad.h.js';

/** Kernel: mad_priv.h IB_MAD_QP_SEND_SIZE default (mad_sendq_size = 128). */
export const IB_MAD_QP_SEND_SIZE = 128;
/** Kernel: mad_priv.h IB_MAD_QP_RECV_SIZE default (mad_recvq_size = 512); rationale: absorbs bursts of CM MADs. */
export const IB_MAD_QP_RECV_SIZE = 512;
/** Kernel: mad_priv.h IB_MAD_SEND_Q_PSN - QP1's starting send PSN. */
export const IB_MAD_SEND_Q_PSN = 0;
/** Bytes of one receive slot: the GRH area, then the MAD. */
const RECV_SLOT = IB_GRH_BYTES + IB_MGMT_MAD_SIZE;

/** Kernel: include/rdma/ib_mad.h struct ib_mad_reg_req (the fields the CM uses). */
export interface ib_mad_reg_req {
  mgmt_class: u8;
  mgmt_class_version: u8;
}

/** Kernel: include/rdma/ib_mad.h struct ib_mad_send_wc */
export interface ib_mad_send_wc {
  send_buf: ib_mad_send_buf;
  status: ib_wc_status;
  vendor_err: u32;
}

/** Kernel: include/rdma/ib_mad.h struct ib_mad_recv_buf (one segment; no RMPP). */
export interface ib_mad_recv_buf {
  /** The 40-byte GRH area of the UD receive. */
  grh: Uint8Array;
  /** The MAD (IB_MGMT_MAD_SIZE bytes, a private copy). */
  mad: Uint8Array;
}

/** Kernel: include/rdma/ib_mad.h struct ib_mad_recv_wc */
export interface ib_mad_recv_wc {
  wc: ib_wc;
  recv_buf: ib_mad_recv_buf;
  mad_len: number;
  mad_seg_size: number;
}

/** Kernel: include/rdma/ib_mad.h ib_mad_send_handler */
export type ib_mad_send_handler = (mad_agent: ib_mad_agent, mad_send_wc: ib_mad_send_wc) => void;
/** Kernel: include/rdma/ib_mad.h ib_mad_recv_handler */
export type ib_mad_recv_handler = (mad_agent: ib_mad_agent, send_buf: ib_mad_send_buf | null, mad_recv_wc: ib_mad_recv_wc) => void;

/**
 * ib_mad_agent - a registered MAD client on one port.
 * Kernel: include/rdma/ib_mad.h struct ib_mad_agent
 */
export class ib_mad_agent {
  readonly device: ib_device;
  readonly qp: ib_qp;
  readonly port_num: u32;
  readonly recv_handler: ib_mad_recv_handler | null;
  readonly send_handler: ib_mad_send_handler | null;
  readonly context: unknown;
  /** High 32 bits of the TIDs this agent sends (a per-registration number). */
  readonly hi_tid: u32;
  readonly mgmt_class: u8;
  readonly mgmt_class_version: u8;
  /** @internal */
  readonly port_priv: ib_mad_port_private;
  /** @internal the agent's outstanding sends (kernel: send_list + wait_list). */
  readonly sends = new Set<ib_mad_send_buf>();
  registered = true;
  constructor(port_priv: ib_mad_port_private, reg: ib_mad_reg_req, send_handler: ib_mad_send_handler | null,
    recv_handler: ib_mad_recv_handler | null, context: unknown, hi_tid: u32) {
    this.device = port_priv.device;
    this.qp = port_priv.qp;
    this.port_num = port_priv.port_num;
    this.port_priv = port_priv;
    this.send_handler = send_handler;
    this.recv_handler = recv_handler;
    this.context = context;
    this.hi_tid = hi_tid;
    this.mgmt_class = reg.mgmt_class;
    this.mgmt_class_version = reg.mgmt_class_version;
  }
}

/** States of an outstanding send (emulator-only names for mad.c's send/wait lists). */
export enum ib_mad_send_state {
  MAD_SEND_IDLE = 0,
  MAD_SEND_SENDING = 1,
  MAD_SEND_WAIT_RESP = 2,
  MAD_SEND_DONE = 3,
}

/**
 * ib_mad_send_buf - a MAD to send.
 * Kernel: include/rdma/ib_mad.h struct ib_mad_send_buf (+ mad_priv.h ib_mad_send_wr_private)
 */
export class ib_mad_send_buf {
  readonly mad_agent: ib_mad_agent;
  /** The whole MAD, zeroed at creation. */
  readonly mad: Uint8Array = new Uint8Array(IB_MGMT_MAD_SIZE);
  ah: ib_ah | null = null;
  /** Response wait per try, ms; 0 = no response expected. */
  timeout_ms = 0;
  /** In: retries allowed. After ib_post_send_mad: retries done (kernel semantics). */
  retries = 0;
  /** Client context slots (the CM keeps the cm_id and the state the MAD was sent in). */
  context: [unknown, unknown] = [null, null];
  readonly remote_qpn: u32;
  readonly pkey_index: u16;
  /** @internal */
  state = ib_mad_send_state.MAD_SEND_IDLE;
  /** @internal */
  retries_left = 0;
  /** @internal */
  status = ib_wc_status.IB_WC_SUCCESS;
  /** @internal the response timer. */
  timer: ClockEvent | null = null;
  /** @internal sends posted and not yet completed. */
  inflight = 0;
  constructor(agent: ib_mad_agent, remote_qpn: u32, pkey_index: u16) {
    this.mad_agent = agent;
    this.remote_qpn = remote_qpn;
    this.pkey_index = pkey_index;
  }
}

/**
 * ib_mad_port_private - a port's MAD resources (QP1 and its buffers).
 * Kernel: drivers/infiniband/core/mad_priv.h struct ib_mad_port_private
 */
export class ib_mad_port_private {
  readonly device: ib_device;
  readonly port_num: u32;
  readonly pd: ib_pd;
  readonly cq: ib_cq;
  readonly qp: ib_qp;
  readonly agents: ib_mad_agent[] = [];
  /** @internal */
  readonly recv_pages: page;
  readonly recv_order: number;
  readonly recv_dma: number;
  readonly recv_view: Uint8Array;
  readonly send_pages: page;
  readonly send_order: number;
  readonly send_dma: number;
  readonly send_view: Uint8Array;
  readonly free_send_slots: number[] = [];
  closed = false;
  constructor(init: {
    device: ib_device; port_num: u32; pd: ib_pd; cq: ib_cq; qp: ib_qp; recv_pages: page; recv_order: number; recv_dma: number;
    recv_view: Uint8Array; send_pages: page; send_order: number; send_dma: number; send_view: Uint8Array;
  }) {
    this.device = init.device;
    this.port_num = init.port_num;
    this.pd = init.pd;
    this.cq = init.cq;
    this.qp = init.qp;
    this.recv_pages = init.recv_pages;
    this.recv_order = init.recv_order;
    this.recv_dma = init.recv_dma;
    this.recv_view = init.recv_view;
    this.send_pages = init.send_pages;
    this.send_order = init.send_order;
    this.send_dma = init.send_dma;
    this.send_view = init.send_view;
    for (let i = IB_MAD_QP_SEND_SIZE - 1; i >= 0; i--) this.free_send_slots.push(i);
  }
}

let next_hi_tid = 1;

const mad_client: ib_client = {
  name: 'mad',
  add: ib_mad_init_device,
  remove: ib_mad_remove_device,
};
let mad_loaded = false;

/**
 * ib_mad_init - load the MAD layer: register the "mad" client (QP1 opens on every device).
 * Idempotent.
 * Kernel: drivers/infiniband/core/mad.c ib_mad_init()
 * @example
 * ```ts
 * ib_mad_init();
 * ```
 */
export function ib_mad_init(): void {
  if (mad_loaded) return;
  mad_loaded = true;
  ib_register_client(mad_client);
}

/**
 * ib_mad_cleanup - unload the MAD layer (QP1 closes on every device).
 * Kernel: drivers/infiniband/core/mad.c ib_mad_cleanup()
 */
export function ib_mad_cleanup(): void {
  if (!mad_loaded) return;
  mad_loaded = false;
  ib_unregister_client(mad_client);
}

/** @internal the port privates of a device (index = port number). */
function ports_of(dev: ib_device): (ib_mad_port_private | undefined)[] | null {
  return (ib_get_client_data(dev, mad_client) as (ib_mad_port_private | undefined)[] | null) ?? null;
}

/**
 * ib_get_mad_port - the MAD port of (device, port), or null when the MAD layer has no QP1 there.
 * Emulator-only accessor (the kernel's __ib_get_mad_port() is static).
 */
export function ib_get_mad_port(dev: ib_device, port_num: u32): ib_mad_port_private | null {
  return ports_of(dev)?.[port_num] ?? null;
}

/** Kernel: mad.c ib_mad_init_device() - open every port. */
function ib_mad_init_device(dev: ib_device): void {
  const ports: (ib_mad_port_private | undefined)[] = [];
  ib_set_client_data(dev, mad_client, ports);
  for (let p = 1; p <= dev.phys_port_cnt; p++) {
    try {
      ports[p] = ib_mad_port_open(dev, p);
    } catch (e) {
      // Kernel: ib_mad_init_device() logs "Couldn't open port %d" and the device stays usable.
      if (!isKernelError(e)) throw e;
    }
  }
}

/** Kernel: mad.c ib_mad_remove_device() - close every port. */
function ib_mad_remove_device(dev: ib_device, client_data: unknown): void {
  const ports = (client_data as (ib_mad_port_private | undefined)[] | null) ?? [];
  for (const pp of ports) if (pp) ib_mad_port_close(pp);
}

/**
 * ib_mad_port_open - create QP1 and its buffers on a port and start it.
 * Kernel: drivers/infiniband/core/mad.c ib_mad_port_open() / create_mad_qp() / ib_mad_port_start()
 * @throws KernelError ENOMEM if host memory for the MAD buffers is exhausted; errors of the verbs
 */
export function ib_mad_port_open(dev: ib_device, port_num: u32): ib_mad_port_private {
  const mem = dev.dma_device.host.mem;
  const pd = ib_alloc_pd(dev, 0);
  let cq: ib_cq | null = null;
  let qp: ib_qp | null = null;
  try {
    cq = ib_alloc_cq(dev, null, IB_MAD_QP_SEND_SIZE + IB_MAD_QP_RECV_SIZE, 0, ib_poll_context.IB_POLL_UNBOUND_WORKQUEUE);
    qp = ib_create_qp(pd, {
      send_cq: cq, recv_cq: cq, qp_type: ib_qp_type.IB_QPT_GSI, sq_sig_type: ib_sig_type.IB_SIGNAL_ALL_WR, port_num,
      cap: { max_send_wr: IB_MAD_QP_SEND_SIZE, max_recv_wr: IB_MAD_QP_RECV_SIZE, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 },
    });
    // ib_mad_port_start: RESET -> INIT -> RTR -> RTS
    ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_INIT, pkey_index: 0, qkey: IB_QP1_QKEY },
      ib_qp_attr_mask.IB_QP_STATE | ib_qp_attr_mask.IB_QP_PKEY_INDEX | ib_qp_attr_mask.IB_QP_QKEY);
    ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_RTR }, ib_qp_attr_mask.IB_QP_STATE);
    ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_RTS, sq_psn: IB_MAD_SEND_Q_PSN },
      ib_qp_attr_mask.IB_QP_STATE | ib_qp_attr_mask.IB_QP_SQ_PSN);
  } catch (e) {
    if (qp) ib_destroy_qp(qp);
    if (cq) ib_free_cq(cq);
    ib_dealloc_pd(pd);
    throw e;
  }
  const recv_bytes = RECV_SLOT * IB_MAD_QP_RECV_SIZE;
  const send_bytes = IB_MGMT_MAD_SIZE * IB_MAD_QP_SEND_SIZE;
  const recv_order = get_order(recv_bytes);
  const send_order = get_order(send_bytes);
  const rp = alloc_pages(mem, recv_order);
  const sp = rp === null ? null : alloc_pages(mem, send_order);
  if (rp === null || sp === null) {
    if (rp) __free_pages(rp, recv_order);
    ib_destroy_qp(qp);
    ib_free_cq(cq);
    ib_dealloc_pd(pd);
    throw new KernelError('ENOMEM', `${dev.name}: port ${port_num}: no memory for MAD buffers`);
  }
  const recv_dma = ib_dma_map_page(dev, rp, 0, recv_bytes, DMA_BIDIRECTIONAL);
  const recv_err = ib_dma_mapping_error(dev, recv_dma);
  const send_dma = ib_dma_map_page(dev, sp, 0, send_bytes, DMA_BIDIRECTIONAL);
  const send_err = ib_dma_mapping_error(dev, send_dma);
  if (recv_err || send_err) {
    if (!recv_err) ib_dma_unmap_page(dev, recv_dma, recv_bytes, DMA_BIDIRECTIONAL);
    if (!send_err) ib_dma_unmap_page(dev, send_dma, send_bytes, DMA_BIDIRECTIONAL);
    __free_pages(rp, recv_order);
    __free_pages(sp, send_order);
    ib_destroy_qp(qp);
    ib_free_cq(cq);
    ib_dealloc_pd(pd);
    throw new KernelError('ENOMEM', `${dev.name}: port ${port_num}: MAD buffers could not be DMA-mapped`);
  }
  const pp = new ib_mad_port_private({
    device: dev, port_num, pd, cq, qp, recv_pages: rp, recv_order, recv_dma, recv_view: mem.view(page_to_phys(rp), recv_bytes),
    send_pages: sp, send_order, send_dma, send_view: mem.view(page_to_phys(sp), send_bytes),
  });
  for (let i = 0; i < IB_MAD_QP_RECV_SIZE; i++) ib_mad_post_receive_mad(pp, i);
  return pp;
}

/**
 * ib_mad_port_close - stop a port's MAD service: agents' outstanding sends complete with
 * IB_WC_WR_FLUSH_ERR, QP1, CQ and PD are destroyed and the buffers freed.
 * Kernel: drivers/infiniband/core/mad.c ib_mad_port_close()
 */
export function ib_mad_port_close(pp: ib_mad_port_private): void {
  if (pp.closed) return;
  pp.closed = true;
  for (const agent of [...pp.agents]) ib_unregister_mad_agent(agent);
  const dev = pp.device;
  ib_destroy_qp(pp.qp);
  ib_free_cq(pp.cq);
  ib_dealloc_pd(pp.pd);
  ib_dma_unmap_page(dev, pp.recv_dma, RECV_SLOT * IB_MAD_QP_RECV_SIZE, DMA_BIDIRECTIONAL);
  ib_dma_unmap_page(dev, pp.send_dma, IB_MGMT_MAD_SIZE * IB_MAD_QP_SEND_SIZE, DMA_BIDIRECTIONAL);
  __free_pages(pp.recv_pages, pp.recv_order);
  __free_pages(pp.send_pages, pp.send_order);
}

/** A receive WQE's completion context: the slot index. */
class mad_recv_cqe implements ib_cqe {
  constructor(readonly pp: ib_mad_port_private, readonly slot: number) {}
  done(_cq: ib_cq, wc: ib_wc): void {
    ib_mad_recv_done(this.pp, this.slot, wc);
  }
}

/** Kernel: mad.c ib_mad_post_receive_mads() (one buffer). */
function ib_mad_post_receive_mad(pp: ib_mad_port_private, slot: number): void {
  const wr: ib_recv_wr = {
    wr_cqe: new mad_recv_cqe(pp, slot),
    sg_list: [{ addr: pp.recv_dma + slot * RECV_SLOT, length: RECV_SLOT, lkey: pp.pd.local_dma_lkey }],
  };
  ib_post_recv(pp.qp, wr);
}

/**
 * ib_mad_recv_done - a QP1 receive completed: copy the GRH and MAD out, hand them to the agent
 * of the MAD's class, repost the buffer.
 * Kernel: drivers/infiniband/core/mad.c ib_mad_recv_done() / ib_mad_complete_recv() / find_mad_agent()
 */
function ib_mad_recv_done(pp: ib_mad_port_private, slot: number, wc: ib_wc): void {
  if (pp.closed || wc.status !== ib_wc_status.IB_WC_SUCCESS) return;
  const base = slot * RECV_SLOT;
  const grh = pp.recv_view.slice(base, base + IB_GRH_BYTES);
  const mad = pp.recv_view.slice(base + IB_GRH_BYTES, base + RECV_SLOT);
  ib_mad_post_receive_mad(pp, slot);
  if (wc.byte_len < IB_GRH_BYTES + IB_MGMT_MAD_SIZE) return; // validate_mad(): short MAD dropped
  const mgmt_class = IBA_GET(IB_MAD_MGMT_CLASS, mad);
  const class_version = IBA_GET(IB_MAD_CLASS_VERSION, mad);
  const agent = pp.agents.find((a) => a.mgmt_class === mgmt_class && a.mgmt_class_version === class_version);
  if (agent === undefined || agent.recv_handler === null) return;
  agent.recv_handler(agent, null, { wc, recv_buf: { grh, mad }, mad_len: IB_MGMT_MAD_SIZE, mad_seg_size: IB_MGMT_MAD_SIZE });
}

/**
 * ib_register_mad_agent - register a client for a management class on a port's QP1.
 * Kernel: drivers/infiniband/core/mad.c ib_register_mad_agent()
 * Divergence: only class/version matching (no method mask, OUI, RMPP); `rmpp_version` and
 * `registration_flags` are accepted and ignored.
 * @throws KernelError ENODEV if the MAD layer has no QP1 on that port (ib_mad_init not run or the
 *         device not registered); EINVAL for a qp_type other than IB_QPT_GSI; EBUSY if the class
 *         version is taken on the port
 * @example
 * ```ts
 * const agent = ib_register_mad_agent(dev, 1, ib_qp_type.IB_QPT_GSI, { mgmt_class: IB_MGMT_CLASS_CM,
 *   mgmt_class_version: IB_CM_CLASS_VERSION }, 0, onSend, onRecv, port, 0);
 * ```
 */
export function ib_register_mad_agent(device: ib_device, port_num: u32, qp_type: ib_qp_type, mad_reg_req: ib_mad_reg_req,
  rmpp_version: u8, send_handler: ib_mad_send_handler | null, recv_handler: ib_mad_recv_handler | null, context: unknown,
  registration_flags: u32): ib_mad_agent {
  void rmpp_version; void registration_flags;
  if (qp_type !== ib_qp_type.IB_QPT_GSI) throw new KernelError('EINVAL', `ib_register_mad_agent: qp type ${qp_type} not supported`);
  const pp = ib_get_mad_port(device, port_num);
  if (pp === null || pp.closed) throw new KernelError('ENODEV', `ib_register_mad_agent: ${device.name} port ${port_num}: no MAD port`);
  if (pp.agents.some((a) => a.mgmt_class === mad_reg_req.mgmt_class && a.mgmt_class_version === mad_reg_req.mgmt_class_version)) {
    throw new KernelError('EBUSY', `ib_register_mad_agent: class 0x${mad_reg_req.mgmt_class.toString(16)} taken`);
  }
  const agent = new ib_mad_agent(pp, mad_reg_req, send_handler, recv_handler, context, next_hi_tid++ >>> 0);
  pp.agents.push(agent);
  return agent;
}

/**
 * ib_unregister_mad_agent - unregister; outstanding sends are cancelled (their completions,
 * IB_WC_WR_FLUSH_ERR, are delivered before this returns).
 * Kernel: drivers/infiniband/core/mad.c ib_unregister_mad_agent() / cancel_mads()
 */
export function ib_unregister_mad_agent(mad_agent: ib_mad_agent): void {
  if (!mad_agent.registered) return;
  for (const sb of [...mad_agent.sends]) {
    sb.timer?.cancel();
    finish_send(sb, ib_wc_status.IB_WC_WR_FLUSH_ERR);
  }
  mad_agent.registered = false;
  const list = mad_agent.port_priv.agents;
  const i = list.indexOf(mad_agent);
  if (i >= 0) list.splice(i, 1);
}

/**
 * ib_create_send_mad - a zeroed MAD to send to `remote_qpn`.
 * Kernel: drivers/infiniband/core/mad.c ib_create_send_mad()
 * Divergence: one 256-byte segment; rmpp_active, hdr_len, data_len, gfp_mask and base_version are
 * checked for sanity only.
 * @throws KernelError EINVAL for RMPP or a MAD larger than IB_MGMT_MAD_SIZE
 */
export function ib_create_send_mad(mad_agent: ib_mad_agent, remote_qpn: u32, pkey_index: u16, rmpp_active: number,
  hdr_len: number, data_len: number, gfp_mask: number, base_version: u8): ib_mad_send_buf {
  void gfp_mask; void base_version;
  if (rmpp_active || hdr_len + data_len > IB_MGMT_MAD_SIZE) {
    throw new KernelError('EINVAL', `ib_create_send_mad: unsupported size ${hdr_len}+${data_len} or rmpp`);
  }
  return new ib_mad_send_buf(mad_agent, remote_qpn, pkey_index);
}

/** ib_free_send_mad - Kernel: drivers/infiniband/core/mad.c ib_free_send_mad() (nothing to free here). */
export function ib_free_send_mad(send_buf: ib_mad_send_buf): void {
  send_buf.timer?.cancel();
}

/** A send WQE's completion context. */
class mad_send_cqe implements ib_cqe {
  constructor(readonly sb: ib_mad_send_buf, readonly slot: number) {}
  done(_cq: ib_cq, wc: ib_wc): void {
    ib_mad_send_done(this.sb, this.slot, wc);
  }
}

function post_one(sb: ib_mad_send_buf): void {
  const pp = sb.mad_agent.port_priv;
  const slot = pp.free_send_slots.pop();
  if (slot === undefined) throw new KernelError('ENOMEM', `${pp.device.name}: MAD send queue full`);
  pp.send_view.set(sb.mad, slot * IB_MGMT_MAD_SIZE);
  if (sb.ah === null) throw new KernelBug('ib_post_send_mad: send_buf without ah');
  const wr: ib_ud_wr = {
    opcode: ib_wr_opcode.IB_WR_SEND,
    send_flags: ib_send_flags.IB_SEND_SIGNALED,
    wr_cqe: new mad_send_cqe(sb, slot),
    sg_list: [{ addr: pp.send_dma + slot * IB_MGMT_MAD_SIZE, length: IB_MGMT_MAD_SIZE, lkey: pp.pd.local_dma_lkey }],
    ah: sb.ah,
    remote_qpn: sb.remote_qpn,
    remote_qkey: IB_QP1_QKEY,
    pkey_index: sb.pkey_index,
  };
  try {
    ib_post_send(pp.qp, wr);
  } catch (e) {
    pp.free_send_slots.push(slot);
    throw e;
  }
  sb.inflight++;
  sb.state = ib_mad_send_state.MAD_SEND_SENDING;
}

/**
 * ib_post_send_mad - send a MAD (see the file header for timeouts and retries).
 * Kernel: drivers/infiniband/core/mad.c ib_post_send_mad()
 * Divergence: one send_buf at a time (`send_buf.next` chains are not supported).
 * @throws KernelError EINVAL if the agent is unregistered or the MAD is already outstanding;
 *         ENOMEM if QP1's send queue is full; errors of ib_post_send
 */
export function ib_post_send_mad(send_buf: ib_mad_send_buf, bad_send_buf?: unknown): void {
  void bad_send_buf;
  const agent = send_buf.mad_agent;
  if (!agent.registered || agent.port_priv.closed) throw new KernelError('EINVAL', 'ib_post_send_mad: agent unregistered');
  if (agent.sends.has(send_buf)) throw new KernelError('EINVAL', 'ib_post_send_mad: MAD already posted');
  send_buf.retries_left = send_buf.retries;
  send_buf.retries = 0;
  send_buf.status = ib_wc_status.IB_WC_SUCCESS;
  post_one(send_buf);
  agent.sends.add(send_buf);
}

/** Kernel: mad.c ib_mad_send_done() / ib_mad_complete_send_wr() / wait_for_response(). */
function ib_mad_send_done(sb: ib_mad_send_buf, slot: number, wc: ib_wc): void {
  const pp = sb.mad_agent.port_priv;
  pp.free_send_slots.push(slot);
  sb.inflight--;
  if (sb.state !== ib_mad_send_state.MAD_SEND_SENDING || sb.inflight > 0) return;
  if (wc.status !== ib_wc_status.IB_WC_SUCCESS) {
    finish_send(sb, wc.status);
    return;
  }
  if (sb.timeout_ms > 0) {
    sb.state = ib_mad_send_state.MAD_SEND_WAIT_RESP;
    arm_timer(sb, sb.timeout_ms);
  } else {
    finish_send(sb, ib_wc_status.IB_WC_SUCCESS);
  }
}

function arm_timer(sb: ib_mad_send_buf, timeout_ms: number): void {
  const clock = sb.mad_agent.device.clock;
  if (sb.timer === null) sb.timer = clock.createEvent(() => timeout_send(sb), 'ib_mad timeout_sends');
  sb.timer.reschedule(timeout_ms * 1_000_000);
}

/** Kernel: mad.c timeout_sends() / retry_send(). */
function timeout_send(sb: ib_mad_send_buf): void {
  if (sb.state !== ib_mad_send_state.MAD_SEND_WAIT_RESP) return;
  if (sb.retries_left > 0 && sb.mad_agent.registered && !sb.mad_agent.port_priv.closed) {
    sb.retries_left--;
    sb.retries++;
    try {
      post_one(sb);
      return;
    } catch {
      // fall through: the retry could not be posted
    }
  }
  finish_send(sb, ib_wc_status.IB_WC_RESP_TIMEOUT_ERR);
}

function finish_send(sb: ib_mad_send_buf, status: ib_wc_status): void {
  if (sb.state === ib_mad_send_state.MAD_SEND_DONE) return;
  sb.state = ib_mad_send_state.MAD_SEND_DONE;
  sb.status = status;
  sb.timer?.cancel();
  const agent = sb.mad_agent;
  agent.sends.delete(sb);
  agent.send_handler?.(agent, { send_buf: sb, status, vendor_err: 0 });
}

/**
 * ib_cancel_mad - stop waiting for a response: the send completes with IB_WC_WR_FLUSH_ERR
 * (delivered on the clock, not inside this call). A MAD not outstanding is ignored.
 * Kernel: include/rdma/ib_mad.h ib_cancel_mad() (ib_modify_mad(send_buf, 0))
 */
export function ib_cancel_mad(send_buf: ib_mad_send_buf | null): void {
  if (send_buf === null || !send_buf.mad_agent.sends.has(send_buf)) return;
  if (send_buf.state === ib_mad_send_state.MAD_SEND_DONE) return;
  send_buf.timer?.cancel();
  send_buf.retries_left = 0;
  send_buf.mad_agent.device.clock.schedule(() => finish_send(send_buf, ib_wc_status.IB_WC_WR_FLUSH_ERR), 0, 'ib_mad cancel');
  send_buf.state = ib_mad_send_state.MAD_SEND_IDLE;
}

/**
 * ib_modify_mad - change the response timeout of an outstanding MAD (the timer restarts with
 * `timeout_ms`); 0 cancels it.
 * Kernel: drivers/infiniband/core/mad.c ib_modify_mad()
 * @throws KernelError EINVAL if the MAD is not outstanding
 */
export function ib_modify_mad(send_buf: ib_mad_send_buf, timeout_ms: u32): void {
  if (!send_buf.mad_agent.sends.has(send_buf) || send_buf.state === ib_mad_send_state.MAD_SEND_DONE) {
    throw new KernelError('EINVAL', 'ib_modify_mad: MAD not outstanding');
  }
  if (timeout_ms === 0) {
    ib_cancel_mad(send_buf);
    return;
  }
  send_buf.timeout_ms = timeout_ms;
  if (send_buf.state === ib_mad_send_state.MAD_SEND_WAIT_RESP) arm_timer(send_buf, timeout_ms);
}

/**
 * ib_init_ah_attr_from_wc - the address vector answering a received UD packet: for RoCEv2/IPv4
 * the destination GID is the IPv4-mapped source address found in the GRH area (the IPv4 header
 * in its last 20 bytes), the MAC the packet's source MAC.
 * Kernel: drivers/infiniband/core/verbs.c ib_init_ah_attr_from_wc()
 * Divergence: IPv4 RoCEv2 only; returns the attribute instead of filling one.
 * @throws KernelError EINVAL if the GRH area holds no IPv4 header
 */
export function ib_init_ah_attr_from_wc(device: ib_device, port_num: u32, wc: ib_wc, grh: Uint8Array): rdma_ah_attr {
  void device;
  const ip = grh.subarray(20, 40);
  if ((ip[0]! >>> 4) !== 4) throw new KernelError('EINVAL', 'ib_init_ah_attr_from_wc: GRH area holds no IPv4 header');
  const saddr = ((ip[12]! << 24) | (ip[13]! << 16) | (ip[14]! << 8) | ip[15]!) >>> 0;
  return rdma_ah_attr_init({ dgid: rdma_ip2gid(saddr), dmac: wc.smac ?? new Uint8Array(6), port_num, hop_limit: 64 });
}

/**
 * ib_create_ah_from_wc - an AH answering a received UD packet.
 * Kernel: drivers/infiniband/core/verbs.c ib_create_ah_from_wc()
 * @throws KernelError see ib_init_ah_attr_from_wc and rdma_create_ah
 */
export function ib_create_ah_from_wc(pd: ib_pd, wc: ib_wc, grh: Uint8Array, port_num: u32): ib_ah {
  return rdma_create_ah(pd, ib_init_ah_attr_from_wc(pd.device, port_num, wc, grh));
}
