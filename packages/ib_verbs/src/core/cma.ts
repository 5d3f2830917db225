/**
 * cma - the RDMA connection manager (rdma_cm): IP addressing, route resolution and connection
 * setup over the IB CM, with the kernel's events.
 *
 * Kernel: drivers/infiniband/core/cma.c, drivers/infiniband/core/cma_priv.h,
 *         drivers/infiniband/core/cma_trace.h, include/rdma/rdma_cm.h
 *
 * Operation
 * ---------
 * A ULP creates an `rdma_cm_id` in a network namespace (`net`: here a host with its netdev),
 * binds it or resolves an address and a route, creates its QP with `rdma_create_qp` (the CM
 * moves it to INIT), then either `rdma_connect`s (active) or `rdma_listen`s and `rdma_accept`s
 * each CONNECT_REQUEST (passive). Results arrive as events (`enum rdma_cm_event_type`) on the
 * id's handler, synchronously on the SimClock as the kernel delivers them from its work queues,
 * and on the RxJS stream `cmaEvents$(id)`. A non-zero return from the handler destroys the id.
 *
 * Address resolution looks the destination up in the fabric's neighbour table after
 * CMA_ADDR_RESOLVE_DELAY_NS: a known IP gives ADDR_RESOLVED, an unknown one ADDR_ERROR
 * (-ETIMEDOUT) once `timeout_ms` has passed (ARP never answers). Route resolution builds the
 * RoCE path record (GIDs ::ffff:a.b.c.d, MTU from the netdev, packet life time
 * CMA_IBOE_PACKET_LIFETIME, flow label from the ports as cma_get_roce_udp_flow_label()).
 *
 * Connection (RoCE, IB CM):
 *   active:  rdma_connect ─ REQ(service ID = ps << 16 | port, private data = cma_hdr ‖ ULP data)
 *            ◄─ REP: QP → RTR → RTS, RTU sent, ESTABLISHED   ◄─ REJ: REJECTED (status = reason)
 *            retries exhausted: UNREACHABLE (-ETIMEDOUT)
 *   passive: REQ ─► new id, CONNECT_REQUEST (private data after the 36-byte cma_hdr) ─
 *            rdma_accept: QP → RTR → RTS, REP ─ RTU ─► ESTABLISHED; rdma_reject: REJ CONSUMER_DEFINED
 *   release: rdma_disconnect: QP → ERR, DREQ (or DREP when answering); DISCONNECTED on DREQ/DREP
 *            (or -ETIMEDOUT when the DREQ retries run out), then TIMEWAIT_EXIT.
 *
 * States (enum rdma_cm_state): IDLE → ADDR_QUERY → ADDR_RESOLVED → ROUTE_QUERY → ROUTE_RESOLVED →
 * CONNECT → DISCONNECT; IDLE → ADDR_BOUND → LISTEN; any → DEVICE_REMOVAL / DESTROYING.
 *
 * Devices arrive through the "cma" ib_client (`cma_init()`, loaded on first use); removing a
 * device delivers DEVICE_REMOVAL to every id on it.
 *
 * Divergence: IPv4 and RoCE only (the IB CM is used for every device, iWARP-profile ones too:
 * there is no iw_cm); `net` is the host ({ netdev }) rather than a struct net; the CONNECT_REQUEST
 * of a listener bound to the wildcard address is delivered to the listener's handler (the kernel
 * routes it through an internal per-device child id with the same handler); no UD/multicast/
 * SIDR, no reuseaddr/afonly options; backlog is not enforced.
 */
import { Subject, type Observable } from 'rxjs';
import { KernelError, defineTracepoint, errno, isKernelError } from '@rdmaemu/sim-core';
import type { ClockEvent, SimClock, u8, u16, u32 } from '@rdmaemu/sim-core';
import {
  ib_mtu, ib_mtu_int_to_enum, ib_qp_attr_mask, ib_qp_state, ib_qp_type, rdma_ip2gid,
  type ib_qp_attr, type ib_qp_init_attr,
} from './ib_verbs.h.js';
import { ib_register_client, ib_unregister_client, ib_device_get_netdev, ibRegisteredDevices, type ib_client,
  type ib_device, type ib_pd, type ib_qp } from './device.js';
import { ib_create_qp, ib_destroy_qp, ib_modify_qp } from './verbs.js';
import {
  ib_cm_init, ib_create_cm_id, ib_destroy_cm_id, ib_cm_listen, ib_send_cm_req, ib_send_cm_rep, ib_send_cm_rtu,
  ib_send_cm_rej, ib_send_cm_mra, ib_send_cm_dreq, ib_send_cm_drep, ib_cm_init_qp_attr, ibcm_reject_msg,
  ib_cm_event_type, ib_cm_event_name, ib_cm_rej_reason, IB_CM_REQ_PRIVATE_DATA_SIZE, IB_CM_REP_PRIVATE_DATA_SIZE,
  IB_CM_REJ_PRIVATE_DATA_SIZE, IB_CM_MRA_FLAG_DELAY, type ib_cm_id, type ib_cm_event, type sa_path_rec,
} from './cm.js';
import { neigh_lookup } from '../fabric/neighbour.js';
import type { net_device } from '../fabric/netdev.js';
import { ipv4ToString, toIpv4 } from '../fabric/ip.js';

// ---------------------------------------------------------------------------------------------
// include/rdma/rdma_cm.h

/** Kernel: include/rdma/rdma_cm.h enum rdma_cm_event_type */
export enum rdma_cm_event_type {
  RDMA_CM_EVENT_ADDR_RESOLVED = 0,
  RDMA_CM_EVENT_ADDR_ERROR = 1,
  RDMA_CM_EVENT_ROUTE_RESOLVED = 2,
  RDMA_CM_EVENT_ROUTE_ERROR = 3,
  RDMA_CM_EVENT_CONNECT_REQUEST = 4,
  RDMA_CM_EVENT_CONNECT_RESPONSE = 5,
  RDMA_CM_EVENT_CONNECT_ERROR = 6,
  RDMA_CM_EVENT_UNREACHABLE = 7,
  RDMA_CM_EVENT_REJECTED = 8,
  RDMA_CM_EVENT_ESTABLISHED = 9,
  RDMA_CM_EVENT_DISCONNECTED = 10,
  RDMA_CM_EVENT_DEVICE_REMOVAL = 11,
  RDMA_CM_EVENT_MULTICAST_JOIN = 12,
  RDMA_CM_EVENT_MULTICAST_ERROR = 13,
  RDMA_CM_EVENT_ADDR_CHANGE = 14,
  RDMA_CM_EVENT_TIMEWAIT_EXIT = 15,
}

const cma_events: readonly string[] = [
  'address resolved', 'address error', 'route resolved ', 'route error', 'connect request', 'connect response',
  'connect error', 'unreachable', 'rejected', 'established', 'disconnected', 'device removal', 'multicast join',
  'multicast error', 'address change', 'timewait exit',
];

/**
 * rdma_event_msg - the kernel's text for an event ("route resolved " keeps its trailing space).
 * Kernel: drivers/infiniband/core/cma.c rdma_event_msg()
 * @example
 * ```ts
 * rdma_event_msg(rdma_cm_event_type.RDMA_CM_EVENT_REJECTED); // 'rejected'
 * ```
 */
export function rdma_event_msg(event: rdma_cm_event_type): string {
  return cma_events[event] ?? 'unrecognized event';
}

/** rdma_show_cm_event - the bare event name trace events print. Kernel: include/trace/misc/rdma.h */
export function rdma_show_cm_event(event: rdma_cm_event_type): string {
  return (rdma_cm_event_type[event] ?? String(event)).replace(/^RDMA_CM_EVENT_/, '');
}

/** Kernel: include/rdma/rdma_cm.h / uapi rdma_user_cm.h enum rdma_ucm_port_space */
export enum rdma_ucm_port_space {
  RDMA_PS_IPOIB = 0x0002,
  RDMA_PS_IB = 0x013f,
  RDMA_PS_TCP = 0x0106,
  RDMA_PS_UDP = 0x0111,
}
export const RDMA_PS_TCP = rdma_ucm_port_space.RDMA_PS_TCP;
export const RDMA_PS_UDP = rdma_ucm_port_space.RDMA_PS_UDP;
export const RDMA_PS_IB = rdma_ucm_port_space.RDMA_PS_IB;
export const RDMA_PS_IPOIB = rdma_ucm_port_space.RDMA_PS_IPOIB;

/** Kernel: drivers/infiniband/core/cma_priv.h enum rdma_cm_state */
export enum rdma_cm_state {
  RDMA_CM_IDLE = 0,
  RDMA_CM_ADDR_QUERY = 1,
  RDMA_CM_ADDR_RESOLVED = 2,
  RDMA_CM_ROUTE_QUERY = 3,
  RDMA_CM_ROUTE_RESOLVED = 4,
  RDMA_CM_CONNECT = 5,
  RDMA_CM_DISCONNECT = 6,
  RDMA_CM_ADDR_BOUND = 7,
  RDMA_CM_LISTEN = 8,
  RDMA_CM_DEVICE_REMOVAL = 9,
  RDMA_CM_DESTROYING = 10,
}

/** Kernel: include/linux/socket.h AF_INET */
export const AF_INET = 2;

/**
 * sockaddr_in - an IPv4 socket address.
 * Kernel: include/uapi/linux/in.h struct sockaddr_in
 * Divergence: `sin_port` in host order; `sin_addr.s_addr` a u32 in host order (10.0.0.1 = 0x0a000001).
 */
export interface sockaddr_in {
  sin_family: number;
  sin_port: u16;
  sin_addr: { s_addr: u32 };
}

/**
 * sockaddrIn - build a sockaddr_in from a dotted (or u32) address and a port. Emulator-only.
 * @example
 * ```ts
 * const dst = sockaddrIn('10.0.0.2', 20049);
 * ```
 */
export function sockaddrIn(addr: string | number, port = 0): sockaddr_in {
  return { sin_family: AF_INET, sin_port: port & 0xffff, sin_addr: { s_addr: toIpv4(addr) } };
}

/** `1.2.3.4:20049`, as %pISpc prints an IPv4 address. Emulator-only. */
export function sockaddrToString(sa: sockaddr_in | null | undefined): string {
  if (!sa) return '0.0.0.0:0';
  return `${ipv4ToString(sa.sin_addr.s_addr)}:${sa.sin_port}`;
}

/** Kernel: include/rdma/rdma_cm.h struct rdma_conn_param */
export interface rdma_conn_param {
  private_data?: Uint8Array | null;
  private_data_len?: u8;
  responder_resources: u8;
  initiator_depth: u8;
  flow_control: u8;
  /** Ignored on accept. */
  retry_count: u8;
  rnr_retry_count: u8;
  /** Ignored if a QP was created on the id. */
  srq: u8;
  /** Ignored if a QP was created on the id. */
  qp_num: u32;
}

/**
 * rdma_cm_event - an event.
 * Kernel: include/rdma/rdma_cm.h struct rdma_cm_event
 * Divergence: `id` (emulator-only) names the id the event is for, so a stream consumer of a
 * listener sees the new connection's id on CONNECT_REQUEST.
 */
export interface rdma_cm_event {
  event: rdma_cm_event_type;
  /** 0, a negative errno, or (REJECTED) the IB REJ reason. */
  status: number;
  param: { conn: rdma_conn_param };
  id: rdma_cm_id;
}

/** Kernel: include/rdma/rdma_cm.h rdma_cm_event_handler */
export type rdma_cm_event_handler = (id: rdma_cm_id, event: rdma_cm_event) => number;

/** Kernel: include/rdma/rdma_cm.h struct rdma_dev_addr (the fields used here) */
export interface rdma_dev_addr {
  src_dev_addr: Uint8Array | null;
  dst_dev_addr: Uint8Array | null;
  net: net | null;
}

/** Kernel: include/rdma/rdma_cm.h struct rdma_addr */
export interface rdma_addr {
  src_addr: sockaddr_in;
  dst_addr: sockaddr_in;
  dev_addr: rdma_dev_addr;
}

/** Kernel: include/rdma/rdma_cm.h struct rdma_route */
export interface rdma_route {
  addr: rdma_addr;
  path_rec: sa_path_rec | null;
  num_pri_alt_paths: number;
}

/**
 * net - the network namespace an id lives in: a host's network interface. A fabric host
 * (`fabric.addHost()`) is one.
 * Kernel: include/net/net_namespace.h struct net
 * Divergence: one netdev; no namespaces of its own.
 */
export interface net {
  readonly netdev: net_device;
}

/**
 * rdma_cm_id - a connection manager identifier.
 * Kernel: include/rdma/rdma_cm.h struct rdma_cm_id
 */
export class rdma_cm_id {
  device: ib_device | null = null;
  context: unknown;
  qp: ib_qp | null = null;
  event_handler: rdma_cm_event_handler;
  route: rdma_route;
  ps: rdma_ucm_port_space;
  qp_type: ib_qp_type;
  port_num: u32 = 0;
  constructor(handler: rdma_cm_event_handler, context: unknown, ps: rdma_ucm_port_space, qp_type: ib_qp_type, netns: net) {
    this.event_handler = handler;
    this.context = context;
    this.ps = ps;
    this.qp_type = qp_type;
    this.route = {
      addr: { src_addr: sockaddrIn(0, 0), dst_addr: sockaddrIn(0, 0), dev_addr: { src_dev_addr: null, dst_dev_addr: null, net: netns } },
      path_rec: null,
      num_pri_alt_paths: 0,
    };
  }
}

/**
 * rdma_id_private - the CM's private part of an id.
 * Kernel: drivers/infiniband/core/cma_priv.h struct rdma_id_private
 */
class rdma_id_private extends rdma_cm_id {
  state = rdma_cm_state.RDMA_CM_IDLE;
  readonly net: net;
  readonly clock: SimClock;
  /** restrack id (cm.id in traces). */
  readonly res_id: number;
  cm_id_ib: ib_cm_id | null = null;
  /** Wildcard listeners: one IB CM listen per device. */
  readonly listen_ids = new Map<ib_device, ib_cm_id>();
  seq_num: u32;
  qp_num: u32 = 0;
  srq = 0;
  tos: u8 = 0;
  backlog = 0;
  bound = false;
  /** Pending address/route work. */
  work: ClockEvent | null = null;
  readonly events = new Subject<rdma_cm_event>();
  constructor(netns: net, clock: SimClock, handler: rdma_cm_event_handler, context: unknown, ps: rdma_ucm_port_space, qp_type: ib_qp_type) {
    super(handler, context, ps, qp_type, netns);
    this.net = netns;
    this.clock = clock;
    this.res_id = next_res_id++;
    this.seq_num = clock.random.nextU32() & 0xffffff;
  }
}

let next_res_id = 0;

/** Kernel: cma.c CMA_CM_RESPONSE_TIMEOUT - 4.096 µs × 2^20 ≈ 4.3 s. */
export const CMA_CM_RESPONSE_TIMEOUT = 20;
/** Kernel: cma.c CMA_MAX_CM_RETRIES. */
export const CMA_MAX_CM_RETRIES = 15;
/** Kernel: cma.c CMA_CM_MRA_SETTING - MRA only on a duplicate, service timeout 2^24 × 4.096 µs. */
export const CMA_CM_MRA_SETTING = IB_CM_MRA_FLAG_DELAY | 24;
/** Kernel: cma.c CMA_IBOE_PACKET_LIFETIME (18 in Linux 6.1, the peer of LINUX-PEER.md; 16 later). */
export const CMA_IBOE_PACKET_LIFETIME = 18;
/** Kernel: cma.c CMA_VERSION - the IP CM private data header version. */
export const CMA_VERSION = 0x00;
/** sizeof(struct cma_hdr): version, ip_version, port, src and dst union cma_ip_addr (16 each). */
export const CMA_HDR_SIZE = 36;
/** Emulator-only: virtual time an address resolution takes (an ARP round trip), ns. */
export const CMA_ADDR_RESOLVE_DELAY_NS = 10_000;
/** Kernel: include/net/ip.h ephemeral port range (net.ipv4.ip_local_port_range default 32768-60999). */
const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;

// ---------------------------------------------------------------------------------------------
// Tracepoints (drivers/infiniband/core/cma_trace.h, system rdma_cma)

interface cma_fields { id: number; src: string; dst: string; tos: number }
const CMA = (f: cma_fields): string => `cm.id=${f.id} src=${f.src} dst=${f.dst}`;
function cma_tos_event(name: string) {
  return defineTracepoint<cma_fields>('rdma_cma', name, (f) => `${CMA(f)} tos=${f.tos}`);
}
function cma_qp_event(name: string) {
  return defineTracepoint<cma_fields & { qp_num: number }>('rdma_cma', name, (f) => `${CMA(f)} tos=${f.tos} qp_num=${f.qp_num}`);
}
/** Kernel: cma_trace.h rdma_cma:* events */
export const trace_cm_send_rtu = cma_tos_event('cm_send_rtu');
export const trace_cm_send_rej = cma_tos_event('cm_send_rej');
export const trace_cm_send_mra = cma_tos_event('cm_send_mra');
export const trace_cm_disconnect = cma_tos_event('cm_disconnect');
export const trace_cm_sent_drep = cma_tos_event('cm_sent_drep');
export const trace_cm_sent_dreq = cma_tos_event('cm_sent_dreq');
export const trace_cm_id_destroy = cma_tos_event('cm_id_destroy');
export const trace_cm_send_req = cma_qp_event('cm_send_req');
export const trace_cm_send_rep = cma_qp_event('cm_send_rep');
export const trace_cm_qp_destroy = cma_qp_event('cm_qp_destroy');
export const trace_cm_id_attach = defineTracepoint<cma_fields & { device: string }>('rdma_cma', 'cm_id_attach',
  (f) => `${CMA(f)} device=${f.device}`);
export const trace_cm_qp_create = defineTracepoint<cma_fields & { pd_id: number; qp_type: string; send_wr: number; recv_wr: number; qp_num: number; rc: number }>(
  'rdma_cma', 'cm_qp_create',
  (f) => `${CMA(f)} tos=${f.tos} pd.id=${f.pd_id} qp_type=${f.qp_type} send_wr=${f.send_wr} recv_wr=${f.recv_wr} qp_num=${f.qp_num} rc=${f.rc}`);
export const trace_cm_req_handler = defineTracepoint<cma_fields & { event: number }>('rdma_cma', 'cm_req_handler',
  (f) => `${CMA(f)} tos=${f.tos} ${ib_cm_event_name[f.event] ?? f.event} (${f.event})`);
export const trace_cm_event_handler = defineTracepoint<cma_fields & { event: number; status: number }>('rdma_cma', 'cm_event_handler',
  (f) => `${CMA(f)} tos=${f.tos} ${rdma_show_cm_event(f.event)} (${f.event}/${f.status})`);
export const trace_cm_event_done = defineTracepoint<cma_fields & { event: number; result: number }>('rdma_cma', 'cm_event_done',
  (f) => `${CMA(f)} tos=${f.tos} ${rdma_show_cm_event(f.event)} consumer returns ${f.result}`);
export const trace_cm_add_one = defineTracepoint<{ name: string }>('rdma_cma', 'cm_add_one', (f) => `device name=${f.name}`);
export const trace_cm_remove_one = defineTracepoint<{ name: string }>('rdma_cma', 'cm_remove_one', (f) => `device name=${f.name}`);

function cf(id: rdma_id_private): cma_fields {
  return { id: id.res_id, src: sockaddrToString(id.route.addr.src_addr), dst: sockaddrToString(id.route.addr.dst_addr), tos: id.tos };
}
const QPT_NAMES: Readonly<Record<number, string>> = { 0: 'SMI', 1: 'GSI', 2: 'RC', 3: 'UC', 4: 'UD', 5: 'RAW_IPV6', 6: 'RAW_ETHERTYPE', 8: 'RAW_PACKET', 9: 'XRC_INI', 10: 'XRC_TGT' };

// ---------------------------------------------------------------------------------------------
// Module, devices, port spaces

/** Kernel: cma.c struct cma_device */
interface cma_device {
  device: ib_device;
  netdev: net_device | null;
  readonly id_list: Set<rdma_id_private>;
}

const cma = {
  devices: [] as cma_device[],
  /** Listeners bound to the wildcard address (they follow device add/remove). */
  listen_any: new Set<rdma_id_private>(),
  /** Port spaces per namespace: ps → port → ids. */
  ports: new WeakMap<net, Map<number, Map<number, Set<rdma_id_private>>>>(),
};
const cma_client: ib_client = { name: 'cma', add: cma_add_one, remove: cma_remove_one };
let cma_loaded = false;

/**
 * cma_init - load rdma_cm (and the IB CM and MAD layer it needs): registers the "cma" client.
 * Called by rdma_create_id on first use; idempotent.
 * Kernel: drivers/infiniband/core/cma.c cma_init()
 * @example
 * ```ts
 * cma_init();
 * ```
 */
export function cma_init(): void {
  if (cma_loaded) return;
  ib_cm_init();
  cma_loaded = true;
  ib_register_client(cma_client);
}

/**
 * cma_cleanup - unload rdma_cm (the cma client is unregistered: ids on devices get
 * DEVICE_REMOVAL).
 * Kernel: drivers/infiniband/core/cma.c cma_cleanup()
 */
export function cma_cleanup(): void {
  if (!cma_loaded) return;
  cma_loaded = false;
  ib_unregister_client(cma_client);
}

/** Kernel: cma.c cma_add_one() */
function cma_add_one(device: ib_device): void {
  const nd = ib_device_get_netdev(device, 1) as net_device | null;
  const cd: cma_device = { device, netdev: nd, id_list: new Set() };
  cma.devices.push(cd);
  if (trace_cm_add_one.enabled) trace_cm_add_one.emit({ name: device.name });
  for (const l of cma.listen_any) {
    if (l.net.netdev === nd && l.state === rdma_cm_state.RDMA_CM_LISTEN) {
      try {
        cma_ib_listen_on(l, device);
      } catch {
        // kernel: cma_listen_on_dev failure only logs
      }
    }
  }
}

/** Kernel: cma.c cma_remove_one() / cma_process_remove() / cma_send_device_removal_put() */
function cma_remove_one(device: ib_device, _client_data: unknown): void {
  if (trace_cm_remove_one.enabled) trace_cm_remove_one.emit({ name: device.name });
  const i = cma.devices.findIndex((d) => d.device === device);
  if (i < 0) return;
  const cd = cma.devices[i]!;
  for (const l of cma.listen_any) {
    const cmid = l.listen_ids.get(device);
    if (cmid) {
      l.listen_ids.delete(device);
      ib_destroy_cm_id(cmid);
    }
  }
  for (const id of [...cd.id_list]) {
    if (id.state === rdma_cm_state.RDMA_CM_DESTROYING || id.state === rdma_cm_state.RDMA_CM_DEVICE_REMOVAL) continue;
    const prev = id.state;
    id.state = rdma_cm_state.RDMA_CM_DEVICE_REMOVAL;
    cma_cancel_operation(id, prev);
    const ret = cma_cm_event_handler(id, cma_event(id, rdma_cm_event_type.RDMA_CM_EVENT_DEVICE_REMOVAL, 0));
    if (ret) destroy_id(id);
    else cma_release_dev(id);
  }
  cma.devices.splice(i, 1);
}

function cma_device_of(device: ib_device): cma_device | null {
  return cma.devices.find((d) => d.device === device) ?? null;
}

/** Kernel: cma.c cma_attach_to_dev() */
function cma_attach_to_dev(id: rdma_id_private, cd: cma_device): void {
  id.device = cd.device;
  id.port_num = 1;
  cd.id_list.add(id);
  id.route.addr.dev_addr.src_dev_addr = cd.netdev?.dev_addr ?? null;
  if (trace_cm_id_attach.enabled) trace_cm_id_attach.emit({ ...cf(id), device: cd.device.name });
}

/** Kernel: cma.c cma_release_dev() */
function cma_release_dev(id: rdma_id_private): void {
  if (id.device === null) return;
  cma_device_of(id.device)?.id_list.delete(id);
}

/** Kernel: cma.c cma_acquire_dev_by_src_ip() - the device whose netdev carries the namespace's address. */
function cma_acquire_dev_by_src_ip(id: rdma_id_private): void {
  if (id.device !== null) return;
  const cd = cma.devices.find((d) => d.netdev !== null && d.netdev === id.net.netdev);
  if (cd === undefined) throw new KernelError('ENODEV', `rdma_cm: no RDMA device on ${id.net.netdev.name} (${id.net.netdev.ip})`);
  cma_attach_to_dev(id, cd);
}

function port_space(id: rdma_id_private): Map<number, Set<rdma_id_private>> {
  let byPs = cma.ports.get(id.net);
  if (byPs === undefined) {
    byPs = new Map();
    cma.ports.set(id.net, byPs);
  }
  let m = byPs.get(id.ps);
  if (m === undefined) {
    m = new Map();
    byPs.set(id.ps, m);
  }
  return m;
}

/** Kernel: cma.c cma_get_port() / cma_alloc_any_port() / cma_check_port() */
function cma_get_port(id: rdma_id_private): void {
  const ps = port_space(id);
  const addr = id.route.addr.src_addr.sin_addr.s_addr;
  let port = id.route.addr.src_addr.sin_port;
  if (port === 0) {
    const range = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
    let p = EPHEMERAL_LOW + (id.clock.random.nextU32() % range);
    for (let n = 0; n < range; n++) {
      if (!ps.has(p)) break;
      p = p === EPHEMERAL_HIGH ? EPHEMERAL_LOW : p + 1;
    }
    if (ps.has(p)) throw new KernelError('EADDRNOTAVAIL', 'rdma_cm: no free port');
    port = p;
  } else {
    for (const other of ps.get(port) ?? []) {
      const oa = other.route.addr.src_addr.sin_addr.s_addr;
      if (oa === 0 || addr === 0 || oa === addr) throw new KernelError('EADDRINUSE', `rdma_cm: port ${port} in use`);
    }
  }
  id.route.addr.src_addr.sin_port = port;
  let set = ps.get(port);
  if (set === undefined) {
    set = new Set();
    ps.set(port, set);
  }
  set.add(id);
  id.bound = true;
}

/** Kernel: cma.c cma_release_port() */
function cma_release_port(id: rdma_id_private): void {
  if (!id.bound) return;
  const ps = port_space(id);
  const port = id.route.addr.src_addr.sin_port;
  const set = ps.get(port);
  set?.delete(id);
  if (set && set.size === 0) ps.delete(port);
  id.bound = false;
}

function priv(id: rdma_cm_id): rdma_id_private {
  if (!(id instanceof rdma_id_private)) throw new KernelError('EINVAL', 'rdma_cm: not an rdma_cm_id');
  return id;
}

function cma_event(id: rdma_id_private, event: rdma_cm_event_type, status: number, conn?: Partial<rdma_conn_param>): rdma_cm_event {
  return {
    event, status, id,
    param: {
      conn: {
        private_data: conn?.private_data ?? null, private_data_len: conn?.private_data_len ?? 0,
        responder_resources: conn?.responder_resources ?? 0, initiator_depth: conn?.initiator_depth ?? 0,
        flow_control: conn?.flow_control ?? 0, retry_count: conn?.retry_count ?? 0, rnr_retry_count: conn?.rnr_retry_count ?? 0,
        srq: conn?.srq ?? 0, qp_num: conn?.qp_num ?? 0,
      },
    },
  };
}

/** Kernel: cma.c cma_cm_event_handler() - trace, stream, then the ULP's handler. */
function cma_cm_event_handler(id: rdma_id_private, event: rdma_cm_event): number {
  if (trace_cm_event_handler.enabled) trace_cm_event_handler.emit({ ...cf(id), event: event.event, status: event.status });
  id.events.next(event);
  const ret = id.event_handler(id, event);
  if (trace_cm_event_done.enabled) trace_cm_event_done.emit({ ...cf(id), event: event.event, result: ret });
  return ret;
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * rdma_create_id - create an identifier in namespace `net` (a host: `{ netdev }`).
 * Kernel: drivers/infiniband/core/cma.c __rdma_create_id() (rdma_create_id macro)
 * Divergence: loads rdma_cm (cma_init) on first use; `net` must carry its host's clock
 * (`net.netdev.host.clock`).
 * @throws KernelError EPROTONOSUPPORT for a port space other than TCP/IB with RC, or UD types;
 *         EINVAL if the namespace has no clock
 * @example
 * ```ts
 * const id = rdma_create_id(host, (id, ev) => 0, ctx, RDMA_PS_TCP, ib_qp_type.IB_QPT_RC);
 * ```
 */
export function rdma_create_id(netns: net, event_handler: rdma_cm_event_handler, context: unknown, ps: rdma_ucm_port_space,
  qp_type: ib_qp_type): rdma_cm_id {
  cma_init();
  const clock = (netns.netdev.host as { clock?: SimClock | null } | null)?.clock ?? null;
  if (clock === null) throw new KernelError('EINVAL', `rdma_create_id: ${netns.netdev.name} has no host clock`);
  if (qp_type !== ib_qp_type.IB_QPT_RC && qp_type !== ib_qp_type.IB_QPT_UC) {
    throw new KernelError('EPROTONOSUPPORT', `rdma_create_id: qp type ${qp_type} not supported`);
  }
  return new rdma_id_private(netns, clock, event_handler, context, ps, qp_type);
}

function is_any(sa: sockaddr_in): boolean {
  return sa.sin_addr.s_addr === 0;
}

/**
 * rdma_bind_addr - bind to a local address and port (port 0: an ephemeral one; address 0: any).
 * Kernel: drivers/infiniband/core/cma.c rdma_bind_addr()
 * @throws KernelError EINVAL if the id is not IDLE or the family is not AF_INET; EADDRNOTAVAIL
 *         for an address not on the namespace's netdev; ENODEV if no RDMA device serves it;
 *         EADDRINUSE for a taken port
 */
export function rdma_bind_addr(id: rdma_cm_id, addr: sockaddr_in): void {
  const p = priv(id);
  if (p.state !== rdma_cm_state.RDMA_CM_IDLE) throw new KernelError('EINVAL', `rdma_bind_addr: id ${p.res_id} in state ${rdma_cm_state[p.state]}`);
  if (addr.sin_family !== AF_INET) throw new KernelError('EAFNOSUPPORT', 'rdma_bind_addr: only AF_INET');
  if (!is_any(addr) && addr.sin_addr.s_addr !== p.net.netdev.ifa_address) {
    throw new KernelError('EADDRNOTAVAIL', `rdma_bind_addr: ${ipv4ToString(addr.sin_addr.s_addr)} is not a local address`);
  }
  p.route.addr.src_addr = { sin_family: AF_INET, sin_port: addr.sin_port, sin_addr: { s_addr: addr.sin_addr.s_addr } };
  try {
    if (!is_any(addr)) cma_acquire_dev_by_src_ip(p);
    cma_get_port(p);
  } catch (e) {
    cma_release_dev(p);
    p.device = null;
    throw e;
  }
  p.state = rdma_cm_state.RDMA_CM_ADDR_BOUND;
}

/**
 * rdma_resolve_addr - resolve `dst_addr` (and bind to `src_addr` or any first): ADDR_RESOLVED
 * after CMA_ADDR_RESOLVE_DELAY_NS, or ADDR_ERROR (-ETIMEDOUT) after `timeout_ms` for an address
 * no neighbour answers.
 * Kernel: drivers/infiniband/core/cma.c rdma_resolve_addr() / addr_handler(), core/addr.c rdma_resolve_ip()
 * @throws KernelError EINVAL in a state other than IDLE/ADDR_BOUND; errors of rdma_bind_addr
 */
export function rdma_resolve_addr(id: rdma_cm_id, src_addr: sockaddr_in | null, dst_addr: sockaddr_in, timeout_ms: number): void {
  const p = priv(id);
  if (p.state === rdma_cm_state.RDMA_CM_IDLE) rdma_bind_addr(p, src_addr ?? sockaddrIn(0, 0));
  if (p.state !== rdma_cm_state.RDMA_CM_ADDR_BOUND) {
    throw new KernelError('EINVAL', `rdma_resolve_addr: id ${p.res_id} in state ${rdma_cm_state[p.state]}`);
  }
  if (dst_addr.sin_family !== AF_INET) throw new KernelError('EAFNOSUPPORT', 'rdma_resolve_addr: only AF_INET');
  p.state = rdma_cm_state.RDMA_CM_ADDR_QUERY;
  p.route.addr.dst_addr = { sin_family: AF_INET, sin_port: dst_addr.sin_port, sin_addr: { s_addr: dst_addr.sin_addr.s_addr } };
  const nd = p.net.netdev;
  const daddr = dst_addr.sin_addr.s_addr;
  const mac = daddr === nd.ifa_address ? nd.dev_addr : neigh_lookup(nd, daddr);
  const delay = mac !== null ? CMA_ADDR_RESOLVE_DELAY_NS : Math.max(timeout_ms, 1) * 1_000_000;
  p.work = p.clock.schedule(() => addr_handler(p, mac), delay, 'rdma_cm addr_handler');
}

/** Kernel: cma.c addr_handler() */
function addr_handler(p: rdma_id_private, mac: Uint8Array | null): void {
  p.work = null;
  if (p.state !== rdma_cm_state.RDMA_CM_ADDR_QUERY) return;
  p.state = rdma_cm_state.RDMA_CM_ADDR_RESOLVED;
  let status = mac === null ? -errno.ETIMEDOUT : 0;
  if (status === 0) {
    try {
      cma_acquire_dev_by_src_ip(p);
      if (is_any(p.route.addr.src_addr)) p.route.addr.src_addr.sin_addr.s_addr = p.net.netdev.ifa_address;
      p.route.addr.dev_addr.dst_dev_addr = mac;
    } catch (e) {
      status = isKernelError(e) ? -e.errno : -errno.ENODEV;
    }
  }
  let event: rdma_cm_event;
  if (status) {
    p.state = rdma_cm_state.RDMA_CM_ADDR_BOUND;
    event = cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_ADDR_ERROR, status);
  } else {
    event = cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_ADDR_RESOLVED, 0);
  }
  if (cma_cm_event_handler(p, event)) destroy_id(p);
}

/** Kernel: include/rdma/ib_addr.h iboe_get_mtu() - the IB MTU that fits an Ethernet MTU. */
export function iboe_get_mtu(mtu: number): ib_mtu {
  // IB_GRH_BYTES + IB_UDP_BYTES + IB_BTH_BYTES + IB_EXT_XRC_BYTES + IB_EXT_ATOMICETH_BYTES + IB_ICRC_BYTES
  const m = mtu - (40 + 8 + 12 + 4 + 28 + 4);
  if (m >= 4096) return ib_mtu.IB_MTU_4096;
  if (m >= 2048) return ib_mtu.IB_MTU_2048;
  if (m >= 1024) return ib_mtu.IB_MTU_1024;
  if (m >= 512) return ib_mtu.IB_MTU_512;
  if (m >= 256) return ib_mtu.IB_MTU_256;
  return 0 as ib_mtu;
}

/** Kernel: cma.c cma_get_roce_udp_flow_label() (IPv4: sport × 31 + dport, 20 bits). */
function cma_get_roce_udp_flow_label(p: rdma_id_private): u32 {
  const sport = p.route.addr.src_addr.sin_port;
  const dport = p.route.addr.dst_addr.sin_port;
  return (sport * 31 + dport) % 0x100000;
}

/**
 * rdma_resolve_route - build the RoCE path to the resolved address: ROUTE_RESOLVED (on the clock,
 * at once) or ROUTE_ERROR.
 * Kernel: drivers/infiniband/core/cma.c rdma_resolve_route() / cma_resolve_iboe_route()
 * @throws KernelError EINVAL unless the address is resolved
 */
export function rdma_resolve_route(id: rdma_cm_id, timeout_ms: number): void {
  void timeout_ms;
  const p = priv(id);
  if (p.state !== rdma_cm_state.RDMA_CM_ADDR_RESOLVED || p.device === null) {
    throw new KernelError('EINVAL', `rdma_resolve_route: id ${p.res_id} in state ${rdma_cm_state[p.state]}`);
  }
  p.state = rdma_cm_state.RDMA_CM_ROUTE_QUERY;
  p.work = p.clock.schedule(() => route_handler(p), 0, 'rdma_cm cma_iboe_join_work');
}

function route_handler(p: rdma_id_private): void {
  p.work = null;
  if (p.state !== rdma_cm_state.RDMA_CM_ROUTE_QUERY || p.device === null) return;
  const nd = p.net.netdev;
  const daddr = p.route.addr.dst_addr.sin_addr.s_addr;
  const dmac = daddr === nd.ifa_address ? nd.dev_addr : neigh_lookup(nd, daddr);
  if (dmac === null) {
    p.state = rdma_cm_state.RDMA_CM_ADDR_RESOLVED;
    if (cma_cm_event_handler(p, cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_ROUTE_ERROR, -errno.ENETUNREACH))) destroy_id(p);
    return;
  }
  let active_mtu = ib_mtu.IB_MTU_4096;
  try {
    active_mtu = p.device.ops.query_port(p.device, p.port_num).active_mtu;
  } catch {
    // keep the default
  }
  const mtu = Math.min(iboe_get_mtu(nd.mtu), active_mtu) as ib_mtu;
  p.route.path_rec = {
    sgid: rdma_ip2gid(p.route.addr.src_addr.sin_addr.s_addr),
    dgid: rdma_ip2gid(daddr),
    dmac,
    flow_label: cma_get_roce_udp_flow_label(p),
    hop_limit: 64,
    traffic_class: p.tos,
    reversible: 1,
    pkey: 0xffff,
    sl: 0,
    mtu,
    rate: 0,
    packet_life_time: CMA_IBOE_PACKET_LIFETIME,
    service_id: rdma_get_service_id(p, p.route.addr.dst_addr),
  };
  p.route.num_pri_alt_paths = 1;
  p.route.addr.dev_addr.dst_dev_addr = dmac;
  p.state = rdma_cm_state.RDMA_CM_ROUTE_RESOLVED;
  if (cma_cm_event_handler(p, cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_ROUTE_RESOLVED, 0))) destroy_id(p);
}

/**
 * rdma_get_service_id - the IB service ID of an IP address and port: (ps << 16) + port
 * (e.g. RDMA_PS_TCP port 20049: 0x0000000001064E51).
 * Kernel: drivers/infiniband/core/cma.c rdma_get_service_id() / cma_get_service_id()
 * @example
 * ```ts
 * rdma_get_service_id(id, sockaddrIn('10.0.0.2', 20049)); // 0x1064e51n for RDMA_PS_TCP
 * ```
 */
export function rdma_get_service_id(id: rdma_cm_id, addr: sockaddr_in): bigint {
  return (BigInt(id.ps) << 16n) + BigInt(addr.sin_port & 0xffff);
}

/**
 * cma_format_hdr - the IP CM private data header the REQ carries in front of the ULP's data:
 * cma_version 0, ip_version 4 in the high nibble, the source port, source and destination
 * IPv4 addresses (in the last 4 bytes of 16-byte fields).
 * Kernel: drivers/infiniband/core/cma.c cma_format_hdr(), struct cma_hdr, cma_set_ip_ver()
 * @example
 * ```ts
 * const hdr = cma_format_hdr(sockaddrIn('10.0.0.1', 42139), sockaddrIn('10.0.0.2', 20049)); // 36 bytes
 * ```
 */
export function cma_format_hdr(src: sockaddr_in, dst: sockaddr_in): Uint8Array {
  const h = new Uint8Array(CMA_HDR_SIZE);
  const dv = new DataView(h.buffer);
  h[0] = CMA_VERSION;
  h[1] = 4 << 4;
  dv.setUint16(2, src.sin_port);
  dv.setUint32(4 + 12, src.sin_addr.s_addr >>> 0);
  dv.setUint32(20 + 12, dst.sin_addr.s_addr >>> 0);
  return h;
}

/** cma_hdr - a parsed IP CM header. Kernel: cma.c struct cma_hdr */
export interface cma_hdr {
  cma_version: u8;
  ip_version: u8;
  port: u16;
  src_addr: u32;
  dst_addr: u32;
}

/** cma_parse_hdr - read an IP CM header (IPv4). Emulator-only counterpart of cma.c cma_save_ip4_info(). */
export function cma_parse_hdr(pd: Uint8Array): cma_hdr {
  const dv = new DataView(pd.buffer, pd.byteOffset, pd.byteLength);
  return {
    cma_version: pd[0]!,
    ip_version: pd[1]! >>> 4,
    port: dv.getUint16(2),
    src_addr: dv.getUint32(16),
    dst_addr: dv.getUint32(32),
  };
}

/**
 * rdma_create_qp - create the id's QP on `pd` and move it to INIT.
 * Kernel: drivers/infiniband/core/cma.c rdma_create_qp() / cma_init_conn_qp()
 * @throws KernelError EINVAL if the id has no device or `pd` is on another device; errors of
 *         ib_create_qp / ib_modify_qp (the QP is destroyed again)
 */
export function rdma_create_qp(id: rdma_cm_id, pd: ib_pd, qp_init_attr: ib_qp_init_attr): void {
  const p = priv(id);
  if (p.device === null || pd.device !== p.device) throw new KernelError('EINVAL', 'rdma_create_qp: pd is not on the id\'s device');
  qp_init_attr.port_num = p.port_num;
  let qp: ib_qp;
  try {
    qp = ib_create_qp(pd, qp_init_attr);
  } catch (e) {
    if (trace_cm_qp_create.enabled && isKernelError(e)) {
      trace_cm_qp_create.emit({ ...cf(p), pd_id: pdId(pd), qp_type: QPT_NAMES[qp_init_attr.qp_type] ?? '?', send_wr: qp_init_attr.cap.max_send_wr,
        recv_wr: qp_init_attr.cap.max_recv_wr, qp_num: 0, rc: -e.errno });
    }
    throw e;
  }
  try {
    const attr: ib_qp_attr = { qp_state: ib_qp_state.IB_QPS_INIT };
    const mask = rdma_init_qp_attr(p, attr);
    ib_modify_qp(qp, attr, mask);
  } catch (e) {
    ib_destroy_qp(qp);
    throw e;
  }
  p.qp = qp;
  p.qp_num = qp.qp_num;
  p.srq = qp.srq !== null ? 1 : 0;
  if (trace_cm_qp_create.enabled) {
    trace_cm_qp_create.emit({ ...cf(p), pd_id: pdId(pd), qp_type: QPT_NAMES[qp_init_attr.qp_type] ?? '?', send_wr: qp_init_attr.cap.max_send_wr,
      recv_wr: qp_init_attr.cap.max_recv_wr, qp_num: qp.qp_num, rc: 0 });
  }
}

function pdId(pd: ib_pd): number {
  return (pd as unknown as { res?: { id?: number } }).res?.id ?? 0;
}

/**
 * rdma_destroy_qp - destroy the id's QP.
 * Kernel: drivers/infiniband/core/cma.c rdma_destroy_qp()
 * @throws KernelError errors of ib_destroy_qp
 */
export function rdma_destroy_qp(id: rdma_cm_id): void {
  const p = priv(id);
  if (p.qp === null) return;
  if (trace_cm_qp_destroy.enabled) trace_cm_qp_destroy.emit({ ...cf(p), qp_num: p.qp.qp_num });
  ib_destroy_qp(p.qp);
  p.qp = null;
}

/**
 * rdma_init_qp_attr - the attributes to move the id's QP to `qp_attr.qp_state`; returns the mask.
 * Kernel: drivers/infiniband/core/cma.c rdma_init_qp_attr() / cma_ib_init_qp_attr()
 * @throws KernelError EINVAL when the connection state has no such attributes
 */
export function rdma_init_qp_attr(id: rdma_cm_id, qp_attr: ib_qp_attr): number {
  const p = priv(id);
  let mask: number;
  if (p.cm_id_ib === null) {
    // cma_ib_init_qp_attr
    qp_attr.pkey_index = 0;
    qp_attr.port_num = p.port_num;
    qp_attr.qp_access_flags = 0;
    mask = ib_qp_attr_mask.IB_QP_STATE | ib_qp_attr_mask.IB_QP_PKEY_INDEX | ib_qp_attr_mask.IB_QP_PORT | ib_qp_attr_mask.IB_QP_ACCESS_FLAGS;
  } else {
    mask = ib_cm_init_qp_attr(p.cm_id_ib, qp_attr);
  }
  if (qp_attr.qp_state === ib_qp_state.IB_QPS_RTR) qp_attr.rq_psn = p.seq_num;
  return mask;
}

/** Kernel: cma.c cma_modify_qp_rtr() */
function cma_modify_qp_rtr(p: rdma_id_private, conn_param: rdma_conn_param | null): void {
  if (p.qp === null) return;
  const init: ib_qp_attr = { qp_state: ib_qp_state.IB_QPS_INIT };
  ib_modify_qp(p.qp, init, rdma_init_qp_attr(p, init));
  const rtr: ib_qp_attr = { qp_state: ib_qp_state.IB_QPS_RTR };
  const mask = rdma_init_qp_attr(p, rtr);
  if (conn_param) rtr.max_dest_rd_atomic = conn_param.responder_resources;
  ib_modify_qp(p.qp, rtr, mask);
}

/** Kernel: cma.c cma_modify_qp_rts() */
function cma_modify_qp_rts(p: rdma_id_private, conn_param: rdma_conn_param | null): void {
  if (p.qp === null) return;
  const rts: ib_qp_attr = { qp_state: ib_qp_state.IB_QPS_RTS };
  const mask = rdma_init_qp_attr(p, rts);
  if (conn_param) rts.max_rd_atomic = conn_param.initiator_depth;
  ib_modify_qp(p.qp, rts, mask);
}

/** Kernel: cma.c cma_modify_qp_err() */
function cma_modify_qp_err(p: rdma_id_private): void {
  if (p.qp === null) return;
  try {
    ib_modify_qp(p.qp, { qp_state: ib_qp_state.IB_QPS_ERR }, ib_qp_attr_mask.IB_QP_STATE);
  } catch {
    // the kernel returns the error; callers here ignore it as most kernel callers do
  }
}

function neg_errno(e: unknown): number {
  if (isKernelError(e)) return -e.errno;
  throw e;
}

/**
 * rdma_connect - send the connection request (REQ) to the resolved route.
 * Kernel: drivers/infiniband/core/cma.c rdma_connect() / rdma_connect_locked() / cma_connect_ib()
 * @throws KernelError EINVAL unless ROUTE_RESOLVED, or for private data longer than
 *         IB_CM_REQ_PRIVATE_DATA_SIZE - CMA_HDR_SIZE (56) bytes; errors of ib_send_cm_req
 * @example
 * ```ts
 * rdma_connect(id, { private_data: hello, private_data_len: hello.length, responder_resources: 1,
 *   initiator_depth: 1, flow_control: 0, retry_count: 7, rnr_retry_count: 7, srq: 0, qp_num: 0 });
 * ```
 */
export function rdma_connect(id: rdma_cm_id, conn_param: rdma_conn_param): void {
  const p = priv(id);
  if (p.state !== rdma_cm_state.RDMA_CM_ROUTE_RESOLVED || p.device === null || p.route.path_rec === null) {
    throw new KernelError('EINVAL', `rdma_connect: id ${p.res_id} in state ${rdma_cm_state[p.state]}`);
  }
  p.state = rdma_cm_state.RDMA_CM_CONNECT;
  if (p.qp === null) {
    p.qp_num = conn_param.qp_num;
    p.srq = conn_param.srq;
  }
  try {
    cma_connect_ib(p, conn_param);
  } catch (e) {
    if (p.state === rdma_cm_state.RDMA_CM_CONNECT) p.state = rdma_cm_state.RDMA_CM_ROUTE_RESOLVED;
    throw e;
  }
}

function cma_connect_ib(p: rdma_id_private, conn_param: rdma_conn_param): void {
  const udl = conn_param.private_data_len ?? conn_param.private_data?.length ?? 0;
  const len = CMA_HDR_SIZE + udl;
  if (len > IB_CM_REQ_PRIVATE_DATA_SIZE) {
    throw new KernelError('EINVAL', `rdma_connect: private_data_len ${udl} > ${IB_CM_REQ_PRIVATE_DATA_SIZE - CMA_HDR_SIZE}`);
  }
  const pd = new Uint8Array(len);
  pd.set(cma_format_hdr(p.route.addr.src_addr, p.route.addr.dst_addr), 0);
  if (conn_param.private_data && udl) pd.set(conn_param.private_data.subarray(0, udl), CMA_HDR_SIZE);
  const cm_id = ib_create_cm_id(p.device!, cma_ib_handler, p);
  p.cm_id_ib = cm_id;
  if (trace_cm_send_req.enabled) trace_cm_send_req.emit({ ...cf(p), qp_num: p.qp_num });
  try {
    ib_send_cm_req(cm_id, {
      primary_path: p.route.path_rec!,
      service_id: rdma_get_service_id(p, p.route.addr.dst_addr),
      qp_num: p.qp_num,
      qp_type: p.qp_type,
      starting_psn: p.seq_num,
      private_data: pd,
      private_data_len: len,
      responder_resources: conn_param.responder_resources,
      initiator_depth: conn_param.initiator_depth,
      flow_control: conn_param.flow_control,
      retry_count: Math.min(7, conn_param.retry_count),
      rnr_retry_count: Math.min(7, conn_param.rnr_retry_count),
      remote_cm_response_timeout: CMA_CM_RESPONSE_TIMEOUT,
      local_cm_response_timeout: CMA_CM_RESPONSE_TIMEOUT,
      max_cm_retries: CMA_MAX_CM_RETRIES,
      srq: p.srq ? 1 : 0,
    });
  } catch (e) {
    ib_destroy_cm_id(cm_id);
    p.cm_id_ib = null;
    throw e;
  }
}

/**
 * rdma_listen - listen for connection requests on the bound address (binding to any address and
 * an ephemeral port first if the id is IDLE).
 * Kernel: drivers/infiniband/core/cma.c rdma_listen() / cma_ib_listen() / cma_listen_on_all()
 * @throws KernelError EINVAL in a state other than IDLE/ADDR_BOUND; errors of rdma_bind_addr and
 *         ib_cm_listen (EBUSY)
 */
export function rdma_listen(id: rdma_cm_id, backlog: number): void {
  const p = priv(id);
  if (p.state === rdma_cm_state.RDMA_CM_IDLE) rdma_bind_addr(p, sockaddrIn(0, 0));
  if (p.state !== rdma_cm_state.RDMA_CM_ADDR_BOUND) {
    throw new KernelError('EINVAL', `rdma_listen: id ${p.res_id} in state ${rdma_cm_state[p.state]}`);
  }
  p.state = rdma_cm_state.RDMA_CM_LISTEN;
  p.backlog = backlog;
  try {
    if (p.device !== null) {
      cma_ib_listen_on(p, p.device);
    } else {
      cma.listen_any.add(p);
      for (const cd of cma.devices) if (cd.netdev === p.net.netdev) cma_ib_listen_on(p, cd.device);
    }
  } catch (e) {
    cma_cancel_listens(p);
    p.state = rdma_cm_state.RDMA_CM_ADDR_BOUND;
    throw e;
  }
}

function cma_ib_listen_on(p: rdma_id_private, device: ib_device): void {
  const cm_id = ib_create_cm_id(device, cma_ib_req_handler, p);
  try {
    ib_cm_listen(cm_id, rdma_get_service_id(p, p.route.addr.src_addr), 0n);
  } catch (e) {
    ib_destroy_cm_id(cm_id);
    throw e;
  }
  p.listen_ids.set(device, cm_id);
}

function cma_cancel_listens(p: rdma_id_private): void {
  cma.listen_any.delete(p);
  for (const cm_id of p.listen_ids.values()) ib_destroy_cm_id(cm_id);
  p.listen_ids.clear();
}

/** Kernel: cma.c cma_ib_req_handler() - a REQ for a listener: a new id and CONNECT_REQUEST. */
function cma_ib_req_handler(cm_id: ib_cm_id, ib_event: ib_cm_event): number {
  const listen = cm_id.context as rdma_id_private;
  if (ib_event.event !== ib_cm_event_type.IB_CM_REQ_RECEIVED) return -errno.EINVAL;
  const req = ib_event.param.req_rcvd!;
  if (trace_cm_req_handler.enabled) trace_cm_req_handler.emit({ ...cf(listen), event: ib_event.event });
  if (listen.state !== rdma_cm_state.RDMA_CM_LISTEN) return -errno.ECONNABORTED;
  if (req.qp_type !== listen.qp_type) return -errno.EINVAL;
  const pdata = ib_event.private_data;
  if (pdata === null) return -errno.EINVAL;
  const hdr = cma_parse_hdr(pdata);
  if (hdr.cma_version !== CMA_VERSION || hdr.ip_version !== 4) return -errno.EINVAL;
  const la = listen.route.addr.src_addr.sin_addr.s_addr;
  if (la !== 0 && la !== hdr.dst_addr) return -errno.EINVAL;

  const conn = new rdma_id_private(listen.net, listen.clock, listen.event_handler, listen.context, listen.ps, listen.qp_type);
  conn.state = rdma_cm_state.RDMA_CM_CONNECT;
  conn.route.addr.src_addr = sockaddrIn(hdr.dst_addr, listen.route.addr.src_addr.sin_port);
  conn.route.addr.dst_addr = sockaddrIn(hdr.src_addr, hdr.port);
  conn.route.path_rec = req.primary_path;
  conn.route.num_pri_alt_paths = 1;
  conn.route.addr.dev_addr.dst_dev_addr = req.primary_path.dmac;
  const cd = cma_device_of(cm_id.device);
  if (cd === null) return -errno.ENODEV;
  cma_attach_to_dev(conn, cd);
  conn.cm_id_ib = cm_id;
  cm_id.context = conn;
  cm_id.cm_handler = cma_ib_handler;

  const offset = CMA_HDR_SIZE;
  const event = cma_event(conn, rdma_cm_event_type.RDMA_CM_EVENT_CONNECT_REQUEST, 0, {
    private_data: pdata.subarray(offset, IB_CM_REQ_PRIVATE_DATA_SIZE),
    private_data_len: IB_CM_REQ_PRIVATE_DATA_SIZE - offset,
    responder_resources: req.responder_resources,
    initiator_depth: req.initiator_depth,
    flow_control: req.flow_control,
    retry_count: req.retry_count,
    rnr_retry_count: req.rnr_retry_count,
    srq: req.srq,
    qp_num: req.remote_qpn,
  });
  // The listener's stream sees the request too (its handler is the one the kernel calls).
  listen.events.next(event);
  const ret = cma_cm_event_handler(conn, event);
  if (ret) {
    conn.cm_id_ib = null;
    destroy_id(conn);
    return ret;
  }
  if (conn.state === rdma_cm_state.RDMA_CM_CONNECT && conn.qp_type !== ib_qp_type.IB_QPT_UD) {
    if (trace_cm_send_mra.enabled) trace_cm_send_mra.emit(cf(conn));
    try {
      ib_send_cm_mra(cm_id, CMA_CM_MRA_SETTING, null, 0);
    } catch {
      // already answered (rdma_accept/rdma_reject inside the handler)
    }
  }
  return 0;
}

/** Kernel: cma.c cma_ib_handler() - IB CM events of a connection to rdma_cm events. */
function cma_ib_handler(cm_id: ib_cm_id, ib_event: ib_cm_event): number {
  const p = cm_id.context as rdma_id_private;
  if (trace_cm_req_handler.enabled) trace_cm_req_handler.emit({ ...cf(p), event: ib_event.event });
  if ((ib_event.event !== ib_cm_event_type.IB_CM_TIMEWAIT_EXIT && p.state !== rdma_cm_state.RDMA_CM_CONNECT) ||
      (ib_event.event === ib_cm_event_type.IB_CM_TIMEWAIT_EXIT && p.state !== rdma_cm_state.RDMA_CM_DISCONNECT)) {
    return 0;
  }
  let event: rdma_cm_event;
  switch (ib_event.event) {
    case ib_cm_event_type.IB_CM_REQ_ERROR:
    case ib_cm_event_type.IB_CM_REP_ERROR:
      cma_modify_qp_err(p);
      event = cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_UNREACHABLE, -errno.ETIMEDOUT);
      break;
    case ib_cm_event_type.IB_CM_REP_RECEIVED: {
      const rep = ib_event.param.rep_rcvd!;
      const conn: Partial<rdma_conn_param> = {
        private_data: ib_event.private_data, private_data_len: IB_CM_REP_PRIVATE_DATA_SIZE,
        responder_resources: rep.responder_resources, initiator_depth: rep.initiator_depth, flow_control: rep.flow_control,
        rnr_retry_count: rep.rnr_retry_count, srq: rep.srq, qp_num: rep.remote_qpn,
      };
      if (p.qp !== null) {
        const status = cma_rep_recv(p);
        event = cma_event(p, status ? rdma_cm_event_type.RDMA_CM_EVENT_CONNECT_ERROR : rdma_cm_event_type.RDMA_CM_EVENT_ESTABLISHED, status, conn);
      } else {
        event = cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_CONNECT_RESPONSE, 0, conn);
      }
      break;
    }
    case ib_cm_event_type.IB_CM_RTU_RECEIVED:
    case ib_cm_event_type.IB_CM_USER_ESTABLISHED:
      event = cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_ESTABLISHED, 0);
      break;
    case ib_cm_event_type.IB_CM_DREQ_ERROR:
    case ib_cm_event_type.IB_CM_DREQ_RECEIVED:
    case ib_cm_event_type.IB_CM_DREP_RECEIVED:
      if (p.state !== rdma_cm_state.RDMA_CM_CONNECT) return 0;
      p.state = rdma_cm_state.RDMA_CM_DISCONNECT;
      event = cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_DISCONNECTED,
        ib_event.event === ib_cm_event_type.IB_CM_DREQ_ERROR ? -errno.ETIMEDOUT : 0);
      break;
    case ib_cm_event_type.IB_CM_TIMEWAIT_EXIT:
      event = cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_TIMEWAIT_EXIT, 0);
      break;
    case ib_cm_event_type.IB_CM_MRA_RECEIVED:
      return 0;
    case ib_cm_event_type.IB_CM_REJ_RECEIVED:
      cma_modify_qp_err(p);
      event = cma_event(p, rdma_cm_event_type.RDMA_CM_EVENT_REJECTED, ib_event.param.rej_rcvd!.reason, {
        private_data: ib_event.private_data, private_data_len: IB_CM_REJ_PRIVATE_DATA_SIZE,
      });
      break;
    default:
      return 0;
  }
  const ret = cma_cm_event_handler(p, event);
  if (ret) {
    // The IB CM destroys cm_id itself when we return non-zero.
    p.cm_id_ib = null;
    destroy_id(p);
    return ret;
  }
  return 0;
}

/** Kernel: cma.c cma_rep_recv() - QP to RTR/RTS and RTU, or REJ on failure; returns 0 or -errno. */
function cma_rep_recv(p: rdma_id_private): number {
  try {
    cma_modify_qp_rtr(p, null);
    cma_modify_qp_rts(p, null);
    if (trace_cm_send_rtu.enabled) trace_cm_send_rtu.emit(cf(p));
    ib_send_cm_rtu(p.cm_id_ib!, null, 0);
    return 0;
  } catch (e) {
    const rc = neg_errno(e);
    cma_modify_qp_err(p);
    if (trace_cm_send_rej.enabled) trace_cm_send_rej.emit(cf(p));
    try {
      ib_send_cm_rej(p.cm_id_ib!, ib_cm_rej_reason.IB_CM_REJ_CONSUMER_DEFINED, null, 0, null, 0);
    } catch {
      // nothing more to do
    }
    return rc;
  }
}

/**
 * rdma_accept - accept a CONNECT_REQUEST: the QP goes to RTR and RTS, a REP is sent;
 * ESTABLISHED follows when the RTU arrives. On failure the request is rejected
 * (IB_CM_REJ_CONSUMER_DEFINED) and the error thrown.
 * Kernel: drivers/infiniband/core/cma.c rdma_accept() / cma_accept_ib()
 * @throws KernelError EINVAL if the id is not a connecting passive id or the private data is
 *         longer than IB_CM_REP_PRIVATE_DATA_SIZE (196); errors of ib_modify_qp
 */
export function rdma_accept(id: rdma_cm_id, conn_param: rdma_conn_param | null): void {
  const p = priv(id);
  if (p.state !== rdma_cm_state.RDMA_CM_CONNECT || p.cm_id_ib === null) {
    throw new KernelError('EINVAL', `rdma_accept: id ${p.res_id} in state ${rdma_cm_state[p.state]}`);
  }
  if (p.qp === null && conn_param) {
    p.qp_num = conn_param.qp_num;
    p.srq = conn_param.srq;
  }
  try {
    if (conn_param) cma_accept_ib(p, conn_param);
    else {
      const rc = cma_rep_recv(p);
      if (rc) throw new KernelError('EINVAL', `rdma_accept: id ${p.res_id}: ${rc}`);
    }
  } catch (e) {
    cma_modify_qp_err(p);
    try {
      rdma_reject(p, null, 0, ib_cm_rej_reason.IB_CM_REJ_CONSUMER_DEFINED);
    } catch {
      // nothing more to do
    }
    throw e;
  }
}

function cma_accept_ib(p: rdma_id_private, conn_param: rdma_conn_param): void {
  const n = conn_param.private_data_len ?? conn_param.private_data?.length ?? 0;
  if (conn_param.private_data && n > IB_CM_REP_PRIVATE_DATA_SIZE) {
    throw new KernelError('EINVAL', `rdma_accept: private_data_len ${n} > ${IB_CM_REP_PRIVATE_DATA_SIZE}`);
  }
  cma_modify_qp_rtr(p, conn_param);
  cma_modify_qp_rts(p, conn_param);
  if (trace_cm_send_rep.enabled) trace_cm_send_rep.emit({ ...cf(p), qp_num: p.qp_num });
  ib_send_cm_rep(p.cm_id_ib!, {
    qp_num: p.qp_num,
    starting_psn: p.seq_num,
    private_data: conn_param.private_data ?? null,
    private_data_len: n,
    responder_resources: conn_param.responder_resources,
    initiator_depth: conn_param.initiator_depth,
    failover_accepted: 0,
    flow_control: conn_param.flow_control,
    rnr_retry_count: Math.min(7, conn_param.rnr_retry_count),
    srq: p.srq ? 1 : 0,
  });
}

/**
 * rdma_reject - reject a connection request (REJ with `reason`, normally
 * IB_CM_REJ_CONSUMER_DEFINED, carrying `private_data`).
 * Kernel: drivers/infiniband/core/cma.c rdma_reject()
 * @throws KernelError EINVAL if the id has no connection to reject or the private data is longer
 *         than IB_CM_REJ_PRIVATE_DATA_SIZE (148)
 */
export function rdma_reject(id: rdma_cm_id, private_data: Uint8Array | null, private_data_len: u8, reason: u8): void {
  const p = priv(id);
  if (p.cm_id_ib === null) throw new KernelError('EINVAL', `rdma_reject: id ${p.res_id} has no connection`);
  if (trace_cm_send_rej.enabled) trace_cm_send_rej.emit(cf(p));
  ib_send_cm_rej(p.cm_id_ib, reason, null, 0, private_data, private_data_len);
}

/**
 * rdma_disconnect - release the connection: the QP goes to ERR (its WRs flush) and a DREQ is
 * sent, or a DREP if the peer's DREQ came first.
 * Kernel: drivers/infiniband/core/cma.c rdma_disconnect()
 * @throws KernelError EINVAL if the id has no connection
 */
export function rdma_disconnect(id: rdma_cm_id): void {
  const p = priv(id);
  if (p.cm_id_ib === null) throw new KernelError('EINVAL', `rdma_disconnect: id ${p.res_id} has no connection`);
  cma_modify_qp_err(p);
  if (trace_cm_disconnect.enabled) trace_cm_disconnect.emit(cf(p));
  const cm_id = p.cm_id_ib;
  try {
    ib_send_cm_dreq(cm_id, null, 0);
    if (trace_cm_sent_dreq.enabled) trace_cm_sent_dreq.emit(cf(p));
  } catch {
    try {
      ib_send_cm_drep(cm_id, null, 0);
      if (trace_cm_sent_drep.enabled) trace_cm_sent_drep.emit(cf(p));
    } catch {
      // kernel: rdma_disconnect returns 0 here too
    }
  }
}

/** Kernel: cma.c cma_cancel_operation() */
function cma_cancel_operation(p: rdma_id_private, state: rdma_cm_state): void {
  if (state === rdma_cm_state.RDMA_CM_ADDR_QUERY || state === rdma_cm_state.RDMA_CM_ROUTE_QUERY) {
    p.work?.cancel();
    p.work = null;
  }
  if (state === rdma_cm_state.RDMA_CM_LISTEN) cma_cancel_listens(p);
}

/** Kernel: cma.c _destroy_id() */
function destroy_id(p: rdma_id_private): void {
  if (p.state === rdma_cm_state.RDMA_CM_DESTROYING) return;
  const prev = p.state;
  p.state = rdma_cm_state.RDMA_CM_DESTROYING;
  if (trace_cm_id_destroy.enabled) trace_cm_id_destroy.emit(cf(p));
  cma_cancel_operation(p, prev);
  p.work?.cancel();
  cma_release_port(p);
  if (p.cm_id_ib !== null) {
    const cm_id = p.cm_id_ib;
    p.cm_id_ib = null;
    ib_destroy_cm_id(cm_id);
  }
  cma_release_dev(p);
  p.events.complete();
}

/**
 * rdma_destroy_id - destroy the id: pending resolutions are cancelled, the port released, and the
 * connection (if any) ended as ib_destroy_cm_id does (REJ, DREQ or DREP to the peer). The QP must
 * have been destroyed with rdma_destroy_qp. The event stream completes.
 * Kernel: drivers/infiniband/core/cma.c rdma_destroy_id()
 */
export function rdma_destroy_id(id: rdma_cm_id): void {
  destroy_id(priv(id));
}

/**
 * cmaEvents$ - the id's events as an Observable (hot: events before the subscription are not
 * replayed); completes when the id is destroyed. A listener's stream also carries each
 * CONNECT_REQUEST (whose `event.id` is the new id).
 * @example
 * ```ts
 * cmaEvents$(id).subscribe((ev) => console.log(rdma_event_msg(ev.event), ev.status));
 * ```
 */
export function cmaEvents$(id: rdma_cm_id): Observable<rdma_cm_event> {
  return priv(id).events.asObservable();
}

/**
 * rdma_is_consumer_reject - true when a REJECTED status is the peer ULP's rdma_reject.
 * Kernel: drivers/infiniband/core/cma.c rdma_is_consumer_reject()
 */
export function rdma_is_consumer_reject(id: rdma_cm_id, reason: number): boolean {
  void id;
  return reason === ib_cm_rej_reason.IB_CM_REJ_CONSUMER_DEFINED;
}

/**
 * rdma_reject_msg - the text of a REJECTED event's status.
 * Kernel: drivers/infiniband/core/cma.c rdma_reject_msg()
 * @example
 * ```ts
 * rdma_reject_msg(id, ev.status); // 'consumer defined'
 * ```
 */
export function rdma_reject_msg(id: rdma_cm_id, reason: number): string {
  void id;
  return ibcm_reject_msg(reason);
}

/**
 * rdma_consumer_reject_data - the private data of a consumer reject (else null / 0).
 * Kernel: drivers/infiniband/core/cma.c rdma_consumer_reject_data()
 * Divergence: returns `{ data, data_len }` instead of filling a length out-parameter.
 */
export function rdma_consumer_reject_data(id: rdma_cm_id, ev: rdma_cm_event): { data: Uint8Array | null; data_len: number } {
  if (ev.event === rdma_cm_event_type.RDMA_CM_EVENT_REJECTED && rdma_is_consumer_reject(id, ev.status)) {
    return { data: ev.param.conn.private_data ?? null, data_len: ev.param.conn.private_data_len ?? 0 };
  }
  return { data: null, data_len: 0 };
}

/** Emulator-only: the rdma_cm state of an id (kernel debug: the restrack "state" attribute). */
export function rdmaCmState(id: rdma_cm_id): rdma_cm_state {
  return priv(id).state;
}

/** Emulator-only: the IB CM id under an rdma_cm id (null when none). */
export function rdmaCmIbId(id: rdma_cm_id): ib_cm_id | null {
  return priv(id).cm_id_ib;
}

void ibRegisteredDevices; void ib_mtu_int_to_enum;
