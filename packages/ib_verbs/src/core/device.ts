/**
 * device - the RDMA device (`struct ib_device`), the provider interface (`ib_device_ops`) and the
 * base objects providers extend: `ib_pd`, `ib_cq`, `ib_qp`, `ib_srq`, `ib_mr`, `ib_ah`.
 *
 * Kernel: include/rdma/ib_verbs.h (struct ib_device, struct ib_device_ops, struct ib_pd, ib_cq,
 * ib_qp, ib_srq, ib_mr, ib_ah), drivers/infiniband/core/device.c (ib_register_device,
 * ib_register_client, ib_query_port)
 *
 * Operation
 * ---------
 * A provider (rxe, or a test's fake) builds an `ib_device` with its `ops`, its host's SimClock
 * and the dma-core `device` of the HCA (`dma_device`: every ULP DMA mapping for this HCA is made
 * against it, see ib_dma.ts), then calls `ib_register_device()`. ULPs learn about devices through
 * `ib_register_client()` callbacks.
 *
 * Object creation: the kernel core allocates each object (`rdma_zalloc_drv_obj`) and the driver
 * fills its private part. Here the **provider creates** the object: `ops.create_qp(pd, attr)`
 * returns an instance of its class that `extends ib_qp` (container_of becomes inheritance). The
 * base-class constructors fill the common fields exactly as the kernel core does before calling
 * the driver, so the provider can rely on them; the core verbs (verbs.ts, cq.ts) then take the
 * references (`usecnt`) and enforce teardown order (`EBUSY`).
 *
 * Provider contract (errors): an op that fails throws `KernelError` (the C `-errno`); the core
 * lets it propagate unchanged, undoing what it did first. `post_send`/`post_recv`/`post_srq_recv`
 * put the first WR not posted in the error's `bad_wr`.
 *
 * Invariants: `usecnt` counts live dependants (PD: QPs, SRQs, MRs, AHs; CQ: QPs (send and recv
 * each), SRQs; SRQ: QPs); the PD's internal DMA MR (`__internal_mr`) is not counted.
 *
 * Resource tracking: PDs, CQs and MRs carry a `res` (`rdma_restrack_entry`) whose `id` the core
 * assigns when the object is created through a core verb (`rdma_restrack_add`): per device and
 * per type, cyclic from 0, not reused until the 32-bit space wraps (the kernel's
 * xa_alloc_cyclic). Tracepoints print it as `cq.id=`, `pd.id=`, `mr.id=`.
 */
import { KernelError } from '@rdmaemu/sim-core';
import { ibEventsComplete } from './events.js';
import type { SimClock, ClockEvent, work_struct, u32, u16, ErrnoCode } from '@rdmaemu/sim-core';
import type { device, scatterlist } from '@rdmaemu/dma-core';
import {
  rdma_node_type,
  ib_poll_context,
  ib_mr_type,
  ib_qp_type,
  ib_srq_type,
  RDMA_CORE_PORT_IWARP,
  RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP,
  rdma_link_layer,
} from './ib_verbs.h.js';
import type {
  ib_device_attr,
  ib_port_attr,
  ib_cq_init_attr,
  ib_wc,
  ib_cq_notify_flags,
  ib_qp_init_attr,
  ib_qp_attr,
  ib_send_wr,
  ib_recv_wr,
  ib_srq_init_attr,
  ib_srq_attr,
  ib_srq_attr_mask,
  ib_event_handler_fn,
  rdma_ah_attr,
  ib_gid,
  ib_event,
} from './ib_verbs.h.js';

/** ib_comp_handler - a CQ's completion-event callback. Kernel: include/rdma/ib_verbs.h typedef ib_comp_handler */
export type ib_comp_handler = (cq: ib_cq, cq_context: unknown) => void;

/**
 * ib_event_handler - a device-level async event handler (port active/error, device fatal, ...).
 * Kernel: include/rdma/ib_verbs.h struct ib_event_handler (register with ib_register_event_handler, events.ts)
 */
export interface ib_event_handler {
  device: ib_device;
  handler: (handler: ib_event_handler, event: ib_event) => void;
}

/**
 * INIT_IB_EVENT_HANDLER - initialize an ib_event_handler.
 * Kernel: include/rdma/ib_verbs.h INIT_IB_EVENT_HANDLER()
 * Divergence: returns the new handler object instead of filling a caller-provided one.
 */
export function INIT_IB_EVENT_HANDLER(dev: ib_device, handler: ib_event_handler['handler']): ib_event_handler {
  return { device: dev, handler };
}

/** Kernel: include/rdma/ib_verbs.h struct ib_port_immutable */
export interface ib_port_immutable {
  pkey_tbl_len: number;
  gid_tbl_len: number;
  core_cap_flags: u32;
  max_mad_size: u32;
}

/**
 * ib_uint_ptr - emulator-only: a C `unsigned int *` in/out parameter (`ib_map_mr_sg`'s sg_offset).
 */
export interface ib_uint_ptr {
  value: number;
}

/**
 * ib_device_ops - what a provider implements. Kernel names, object first; C out-parameters are
 * return values; `-errno` is a thrown `KernelError`.
 *
 * Kernel: include/rdma/ib_verbs.h struct ib_device_ops
 *
 * Divergence: creation ops return the provider's object (a subclass of the core class) instead
 * of filling one the core allocated; `poll_cq` returns the completions instead of filling an
 * array; `query_qp` returns `{ attr, init_attr }`.
 */
export interface ib_device_ops {
  /** Provider name (kernel: driver_id), e.g. 'rxe'. */
  readonly driver_name?: string;
  query_device(dev: ib_device): ib_device_attr;
  query_port(dev: ib_device, port_num: u32): ib_port_attr;
  get_port_immutable?(dev: ib_device, port_num: u32): ib_port_immutable;
  get_link_layer?(dev: ib_device, port_num: u32): rdma_link_layer;
  query_gid?(dev: ib_device, port_num: u32, index: number): ib_gid;
  query_pkey?(dev: ib_device, port_num: u32, index: number): u16;
  /** The net_device behind a port (rdma_cm resolves routes with it). */
  get_netdev?(dev: ib_device, port_num: u32): unknown;

  alloc_pd(dev: ib_device): ib_pd;
  dealloc_pd(pd: ib_pd): void;

  create_ah?(pd: ib_pd, ah_attr: rdma_ah_attr): ib_ah;
  destroy_ah?(ah: ib_ah): void;

  /** Creates the CQ; may round `attr.cqe` up and sets `cq.cqe` to the real size. */
  create_cq(dev: ib_device, attr: ib_cq_init_attr): ib_cq;
  destroy_cq(cq: ib_cq): void;
  /** Up to `num_entries` completions, oldest first (may be fewer; [] when empty). */
  poll_cq(cq: ib_cq, num_entries: number): ib_wc[];
  /**
   * Arms the CQ. With IB_CQ_REPORT_MISSED_EVENTS returns > 0 if completions may be pending
   * (the CQ is not empty), else 0. When an armed CQ gets a completion (solicited-only: a solicited
   * one) the provider disarms it and calls `cq.comp_handler(cq, cq.cq_context)`.
   */
  req_notify_cq(cq: ib_cq, flags: ib_cq_notify_flags): number;

  create_qp(pd: ib_pd, init_attr: ib_qp_init_attr): ib_qp;
  /** Must validate the transition with ib_modify_qp_is_ok() (qp_state_table.ts) -> EINVAL. */
  modify_qp(qp: ib_qp, attr: ib_qp_attr, attr_mask: number): void;
  query_qp(qp: ib_qp, attr_mask: number): { attr: ib_qp_attr; init_attr: ib_qp_init_attr };
  destroy_qp(qp: ib_qp): void;
  post_send(qp: ib_qp, wr: ib_send_wr): void;
  post_recv(qp: ib_qp, wr: ib_recv_wr): void;

  create_srq?(pd: ib_pd, init_attr: ib_srq_init_attr): ib_srq;
  modify_srq?(srq: ib_srq, attr: ib_srq_attr, attr_mask: ib_srq_attr_mask | number): void;
  query_srq?(srq: ib_srq): ib_srq_attr;
  destroy_srq?(srq: ib_srq): void;
  post_srq_recv?(srq: ib_srq, wr: ib_recv_wr): void;

  get_dma_mr?(pd: ib_pd, mr_access_flags: number): ib_mr;
  alloc_mr?(pd: ib_pd, mr_type: ib_mr_type, max_num_sg: u32): ib_mr;
  /** Builds the MR's page list (usually with ib_sg_to_pages); returns the sg entries mapped. */
  map_mr_sg?(mr: ib_mr, sg: scatterlist | readonly scatterlist[], sg_nents: number, sg_offset: ib_uint_ptr | null): number;
  dereg_mr(mr: ib_mr): void;

  /** Optional provider drain (iWARP-style); the core's marker-WR drain is used otherwise. */
  drain_sq?(qp: ib_qp): void;
  drain_rq?(qp: ib_qp): void;
}

/** IbDeviceInit - what a provider passes to build an ib_device. */
export interface IbDeviceInit {
  name: string;
  node_type: rdma_node_type;
  phys_port_cnt: number;
  attrs: ib_device_attr;
  ops: ib_device_ops;
  /** The dma-core struct device of the HCA; ULP mappings for this device are made against it. */
  dma_device: device;
  /** The host's clock: CQ poll tasks and drains run on it. */
  clock: SimClock;
  /** Used as every PD's local_dma_lkey when attrs.kernel_cap_flags has IBK_LOCAL_DMA_LKEY. @default 0 */
  local_dma_lkey?: u32;
  /** @default 1 */
  num_comp_vectors?: number;
  node_guid?: bigint;
  /** Per port (index = port number, 1-based; [0] unused). @default derived from node_type */
  port_immutable?: ib_port_immutable[];
  /** Emulator-only: the host object the device belongs to (e.g. a fabric host), for tools. */
  host?: unknown;
}

/**
 * rdma_restrack_type - the kinds of tracked resources.
 * Kernel: include/rdma/restrack.h enum rdma_restrack_type
 */
export enum rdma_restrack_type {
  RDMA_RESTRACK_PD = 0,
  RDMA_RESTRACK_CQ = 1,
  RDMA_RESTRACK_QP = 2,
  RDMA_RESTRACK_CM_ID = 3,
  RDMA_RESTRACK_MR = 4,
  RDMA_RESTRACK_CTX = 5,
  RDMA_RESTRACK_COUNTER = 6,
  RDMA_RESTRACK_SRQ = 7,
  RDMA_RESTRACK_MAX = 8,
}

/**
 * rdma_restrack_entry - an object's resource-tracking identity (`obj.res`).
 * Kernel: include/rdma/restrack.h struct rdma_restrack_entry
 * Divergence: no kref/task/xarray; `id` and `valid` only (what tracepoints and tools read).
 */
export class rdma_restrack_entry {
  readonly type: rdma_restrack_type;
  /** Per device and type; 0 until rdma_restrack_add. */
  id: u32 = 0;
  /** Added and not yet deleted. */
  valid = false;
  constructor(type: rdma_restrack_type) {
    this.type = type;
  }
}

/**
 * rdma_restrack_add - give `res` the next id of its type on `dev` (cyclic from 0, 32 bits).
 * Kernel: drivers/infiniband/core/restrack.c rdma_restrack_add() (xa_alloc_cyclic, xa_limit_32b)
 * Divergence: ids are never looked up, so a wrapped counter does not skip ids still in use.
 * @example
 * ```ts
 * rdma_restrack_add(dev, cq.res); // cq.res.id: 0, 1, 2, ... per device
 * ```
 */
export function rdma_restrack_add(dev: ib_device, res: rdma_restrack_entry): void {
  const next = dev.res_next_id;
  const id = next[res.type] ?? 0;
  next[res.type] = (id + 1) >>> 0;
  res.id = id;
  res.valid = true;
}

/**
 * rdma_restrack_del - the object is going away (its id is not reused until the counter wraps).
 * Kernel: drivers/infiniband/core/restrack.c rdma_restrack_del()
 */
export function rdma_restrack_del(res: rdma_restrack_entry): void {
  res.valid = false;
}

/**
 * ib_device - an RDMA device.
 * Kernel: include/rdma/ib_verbs.h struct ib_device
 * Divergence: the clock (`clock`) and owning host are fields; the kernel has one global time.
 */
export class ib_device {
  name: string;
  node_type: rdma_node_type;
  phys_port_cnt: number;
  attrs: ib_device_attr;
  readonly ops: ib_device_ops;
  /** Do not access from ULPs; use the ib_dma_* wrappers (ib_dma.ts). */
  readonly dma_device: device;
  readonly clock: SimClock;
  local_dma_lkey: u32;
  num_comp_vectors: number;
  node_guid: bigint;
  port_immutable: ib_port_immutable[];
  /** Registered device-level event handlers (ib_register_event_handler). */
  readonly event_handler_list: ib_event_handler[] = [];
  /** IB_DEV_UNINITIALIZED / REGISTERED / UNREGISTERED as a string. */
  reg_state: 'uninitialized' | 'registered' | 'unregistered' = 'uninitialized';
  /** Client private data (ib_set_client_data). */
  readonly client_data = new Map<ib_client, unknown>();
  readonly host: unknown;
  /** Next restrack id per rdma_restrack_type (the kernel's `dev->res[type].next_id`). */
  readonly res_next_id: number[] = new Array<number>(rdma_restrack_type.RDMA_RESTRACK_MAX).fill(0);

  constructor(init: IbDeviceInit) {
    this.name = init.name;
    this.node_type = init.node_type;
    this.phys_port_cnt = init.phys_port_cnt;
    this.attrs = init.attrs;
    this.ops = init.ops;
    this.dma_device = init.dma_device;
    this.clock = init.clock;
    this.local_dma_lkey = (init.local_dma_lkey ?? 0) >>> 0;
    this.num_comp_vectors = init.num_comp_vectors ?? 1;
    this.node_guid = init.node_guid ?? 0n;
    this.host = init.host;
    if (init.port_immutable) {
      this.port_immutable = init.port_immutable;
    } else {
      const core_cap_flags =
        init.node_type === rdma_node_type.RDMA_NODE_RNIC ? RDMA_CORE_PORT_IWARP : RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP;
      this.port_immutable = [];
      for (let p = 0; p <= init.phys_port_cnt; p++) {
        this.port_immutable.push({ pkey_tbl_len: 1, gid_tbl_len: 16, core_cap_flags: p === 0 ? 0 : core_cap_flags, max_mad_size: 256 });
      }
    }
  }

  toString(): string {
    return `ib_device(${this.name})`;
  }
}

/**
 * ib_client - a ULP that wants to know about devices.
 * Kernel: include/rdma/ib_verbs.h struct ib_client
 */
export interface ib_client {
  name: string;
  add(dev: ib_device): void;
  remove(dev: ib_device, client_data: unknown): void;
}

const devices: ib_device[] = [];
const clients: ib_client[] = [];

/**
 * ib_register_device - make a device visible to clients; calls every registered client's add().
 * Kernel: drivers/infiniband/core/device.c ib_register_device()
 * Divergence: the device registry is per process (module-level), as the kernel's is per kernel.
 * @throws KernelError EEXIST if a registered device has the same name
 */
export function ib_register_device(dev: ib_device): void {
  if (devices.some((d) => d.name === dev.name)) {
    throwErr('EEXIST', `ib_register_device: ${dev.name}: name in use`);
  }
  if (dev.ops.get_port_immutable) {
    for (let p = 1; p <= dev.phys_port_cnt; p++) dev.port_immutable[p] = dev.ops.get_port_immutable(dev, p);
  }
  devices.push(dev);
  dev.reg_state = 'registered';
  for (const c of clients) c.add(dev);
}

/**
 * ib_unregister_device - remove a device: every client's remove() runs first (in reverse
 * registration order), then the device leaves the list.
 * Kernel: drivers/infiniband/core/device.c ib_unregister_device()
 */
export function ib_unregister_device(dev: ib_device): void {
  const i = devices.indexOf(dev);
  if (i < 0) return;
  for (let k = clients.length - 1; k >= 0; k--) {
    const c = clients[k]!;
    c.remove(dev, dev.client_data.get(c));
    dev.client_data.delete(c);
  }
  devices.splice(i, 1);
  dev.reg_state = 'unregistered';
  ibEventsComplete(dev);
}

/**
 * ib_register_client - register a ULP; add() runs at once for every registered device.
 * Kernel: drivers/infiniband/core/device.c ib_register_client()
 */
export function ib_register_client(client: ib_client): void {
  clients.push(client);
  for (const d of [...devices]) client.add(d);
}

/**
 * ib_unregister_client - unregister a ULP; remove() runs for every registered device.
 * Kernel: drivers/infiniband/core/device.c ib_unregister_client()
 */
export function ib_unregister_client(client: ib_client): void {
  const i = clients.indexOf(client);
  if (i < 0) return;
  for (const d of [...devices]) {
    client.remove(d, d.client_data.get(client));
    d.client_data.delete(client);
  }
  clients.splice(i, 1);
}

/** ib_set_client_data - Kernel: drivers/infiniband/core/device.c */
export function ib_set_client_data(dev: ib_device, client: ib_client, data: unknown): void {
  dev.client_data.set(client, data);
}

/** ib_get_client_data - Kernel: drivers/infiniband/core/device.c */
export function ib_get_client_data(dev: ib_device, client: ib_client): unknown {
  return dev.client_data.get(client) ?? null;
}

/** ib_device_get_by_name - the registered device named `name`, or null. Kernel: device.c ib_device_get_by_name() */
export function ib_device_get_by_name(name: string): ib_device | null {
  return devices.find((d) => d.name === name) ?? null;
}

/** ibRegisteredDevices - emulator-only: a snapshot of the registered devices. */
export function ibRegisteredDevices(): readonly ib_device[] {
  return [...devices];
}

/**
 * ib_query_port - a port's attributes.
 * Kernel: drivers/infiniband/core/device.c ib_query_port()
 * @throws KernelError EINVAL for a port number outside 1..phys_port_cnt
 */
export function ib_query_port(dev: ib_device, port_num: u32): ib_port_attr {
  if (port_num < 1 || port_num > dev.phys_port_cnt) throwErr('EINVAL', `${dev.name}: no port ${port_num}`);
  return dev.ops.query_port(dev, port_num);
}

/**
 * ib_device_get_netdev - the net_device behind a port (RoCE), or null.
 * Kernel: drivers/infiniband/core/device.c ib_device_get_netdev()
 * Divergence: returns the provider's netdev object untyped (core does not import the fabric);
 * when the provider has no `get_netdev` op, a `ndev` field on the device object (rxe_dev's) is
 * used, as rxe's rxe_ib_device_get_netdev() would return it.
 */
export function ib_device_get_netdev(dev: ib_device, port_num: u32): unknown {
  if (dev.ops.get_netdev) return dev.ops.get_netdev(dev, port_num) ?? null;
  return (dev as unknown as { ndev?: unknown }).ndev ?? null;
}

/** ib_query_device - emulator convenience (kernel ULPs read `dev.attrs`): the provider's query_device(). */
export function ib_query_device(dev: ib_device): ib_device_attr {
  return dev.ops.query_device(dev);
}

// ---------------------------------------------------------------------------------------------
// Core objects. Providers extend these; the constructors fill the fields the kernel core sets
// before it calls the driver.

/**
 * ib_pd - a protection domain.
 * Kernel: include/rdma/ib_verbs.h struct ib_pd
 */
export class ib_pd {
  readonly device: ib_device;
  /** The lkey for SGEs that address DMA-mapped memory directly (ib_alloc_pd sets it). */
  local_dma_lkey: u32 = 0;
  flags: u32 = 0;
  /** Live QPs, SRQs, MRs and AHs on this PD. */
  usecnt = 0;
  unsafe_global_rkey: u32 = 0;
  /** The DMA MR ib_alloc_pd registers when the device has no IBK_LOCAL_DMA_LKEY. */
  __internal_mr: ib_mr | null = null;
  /** Resource tracking (`pd.id=` in traces); ib_alloc_pd assigns the id. */
  readonly res = new rdma_restrack_entry(rdma_restrack_type.RDMA_RESTRACK_PD);
  constructor(dev: ib_device) {
    this.device = dev;
  }
}

/**
 * ib_ah - an address handle (UD).
 * Kernel: include/rdma/ib_verbs.h struct ib_ah
 */
export class ib_ah {
  readonly device: ib_device;
  readonly pd: ib_pd;
  attr: rdma_ah_attr;
  constructor(pd: ib_pd, attr: rdma_ah_attr) {
    this.device = pd.device;
    this.pd = pd;
    this.attr = attr;
  }
}

/**
 * ib_cq - a completion queue. The core sets comp_handler/event_handler/cq_context/poll_ctx
 * (ib_alloc_cq / ib_create_cq in cq.ts); the provider sets `cqe` to the real size.
 * Kernel: include/rdma/ib_verbs.h struct ib_cq
 */
export class ib_cq {
  readonly device: ib_device;
  comp_handler: ib_comp_handler | null = null;
  event_handler: ib_event_handler_fn | null = null;
  cq_context: unknown = null;
  /** Number of CQEs the CQ holds. */
  cqe: number;
  /** CQEs handed out by the shared CQ pool (ib_cq_pool_get). */
  cqe_used = 0;
  /** QPs (each of send/recv use) and SRQs using the CQ. */
  usecnt = 0;
  poll_ctx: ib_poll_context = ib_poll_context.IB_POLL_DIRECT;
  comp_vector: number;
  shared = false;
  /** IB_POLL_SOFTIRQ: the irq_poll instance, a reusable clock event running ib_poll_handler (cq.ts). */
  iop: ClockEvent | null = null;
  /** IB_POLL_WORKQUEUE / IB_POLL_UNBOUND_WORKQUEUE: the work item running ib_cq_poll_work (cq.ts). */
  work: work_struct | null = null;
  /** Emulator-only: set by ib_free_cq/ib_destroy_cq. */
  destroyed = false;
  /** Resource tracking (`cq.id=` in traces); ib_alloc_cq / ib_create_cq assign the id. */
  readonly res = new rdma_restrack_entry(rdma_restrack_type.RDMA_RESTRACK_CQ);
  /** Updated only by the cq_schedule / cq_reschedule tracepoints: when the poll was scheduled (ns). */
  timestamp = 0;
  /** Updated only by tracepoints: the last poll was scheduled by a completion event (not a reschedule). */
  interrupt = false;
  constructor(dev: ib_device, attr: ib_cq_init_attr) {
    this.device = dev;
    this.cqe = attr.cqe;
    this.comp_vector = attr.comp_vector;
  }
}

/**
 * ib_srq - a shared receive queue.
 * Kernel: include/rdma/ib_verbs.h struct ib_srq
 */
export class ib_srq {
  readonly device: ib_device;
  readonly pd: ib_pd;
  event_handler: ib_event_handler_fn | null;
  srq_context: unknown;
  srq_type: ib_srq_type;
  /** QPs attached to the SRQ. */
  usecnt = 0;
  ext: { cq: ib_cq | null };
  constructor(pd: ib_pd, init_attr: ib_srq_init_attr) {
    this.device = pd.device;
    this.pd = pd;
    this.event_handler = init_attr.event_handler ?? null;
    this.srq_context = init_attr.srq_context ?? null;
    this.srq_type = init_attr.srq_type ?? ib_srq_type.IB_SRQT_BASIC;
    this.ext = { cq: init_attr.ext?.cq ?? null };
  }
}

/**
 * ib_qp - a queue pair. The provider sets `qp_num`; the core sets max_write_sge/max_read_sge
 * from the caps the provider granted (written back into init_attr.cap).
 * Kernel: include/rdma/ib_verbs.h struct ib_qp
 */
export class ib_qp {
  readonly device: ib_device;
  readonly pd: ib_pd;
  send_cq: ib_cq | null;
  recv_cq: ib_cq | null;
  srq: ib_srq | null;
  /** Opens, multicast attaches, flow attaches (destroy needs 0). */
  usecnt = 0;
  real_qp: ib_qp;
  event_handler: ib_event_handler_fn | null;
  qp_context: unknown;
  qp_num: u32 = 0;
  max_write_sge: u32 = 0;
  max_read_sge: u32 = 0;
  qp_type: ib_qp_type;
  port: u32;
  /** rdma_rw MR pool accounting (rw.c). */
  mrs_used = 0;
  integrity_en = false;
  constructor(pd: ib_pd, init_attr: ib_qp_init_attr) {
    this.device = pd.device;
    this.pd = pd;
    this.send_cq = init_attr.send_cq ?? null;
    this.recv_cq = init_attr.recv_cq ?? null;
    this.srq = init_attr.srq ?? null;
    this.real_qp = this;
    this.event_handler = init_attr.event_handler ?? null;
    this.qp_context = init_attr.qp_context ?? null;
    this.qp_type = init_attr.qp_type;
    this.port = init_attr.port_num ?? 0;
  }
}

/**
 * ib_mr - a memory region. `iova` is a bigint (an FRWR MR's iova may carry a ULP value, e.g.
 * the XID, in its high 32 bits); `length` is a number (< 2^53).
 * Kernel: include/rdma/ib_verbs.h struct ib_mr
 */
export class ib_mr {
  readonly device: ib_device;
  readonly pd: ib_pd;
  lkey: u32 = 0;
  rkey: u32 = 0;
  iova = 0n;
  length = 0;
  page_size = 0;
  type: ib_mr_type;
  /** The MR is registered on the wire and must be invalidated before reuse. */
  need_inval = false;
  /** Resource tracking (`mr.id=` in traces); ib_alloc_mr assigns the id. */
  readonly res = new rdma_restrack_entry(rdma_restrack_type.RDMA_RESTRACK_MR);
  constructor(pd: ib_pd, type: ib_mr_type) {
    this.device = pd.device;
    this.pd = pd;
    this.type = type;
  }
}

function throwErr(code: ErrnoCode, msg: string): never {
  throw new KernelError(code, msg);
}
